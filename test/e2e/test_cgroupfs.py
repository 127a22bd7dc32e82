"""cgroupfs inside the sandbox (sentry/fsimpl/cgroupfs): Docker's "cgroup"
mount gives runc's cgroup v1 layout (a tmpfs with cpu,cpuacct, cpuset,
memory and pids hierarchies); the control files show the limits of the host
cgroup the sandbox runs in and the sandbox's own tasks; /proc/self/cgroup,
/proc/cgroups and /proc/self/mountinfo agree with what is mounted; a
read-only mount refuses writes, a writable one refuses what cannot be
applied."""
import json
import os

import pytest

from conftest import fresh_cgroup_path, build_busybox_rootfs

CG = "/sys/fs/cgroup"
UNLIMITED = "9223372036854771712"  # cgroup v1's "no limit" (page-aligned LLONG_MAX)
DOCKER_CGROUP = {"destination": "/sys/fs/cgroup", "type": "cgroup", "source": "cgroup",
                 "options": ["ro", "nosuid", "noexec", "nodev"]}


def host_v1(*ctrls):
    return os.geteuid() == 0 and all(os.path.isdir(os.path.join(CG, c)) for c in ctrls)


needs_host_cgroups = pytest.mark.skipif(
    not host_v1("memory", "pids", "cpu"),
    reason="needs root and cgroup v1 memory, pids and cpu hierarchies on the host")


@pytest.fixture(scope="module")
def bb_rootfs(tmp_path_factory):
    return build_busybox_rootfs(str(tmp_path_factory.mktemp("cgrootfs") / "rootfs"))


@pytest.fixture
def cgpath():
    """A fresh top-level cgroup path; whatever is left of it is removed."""
    yield from fresh_cgroup_path("runsc-e2e-cgroupfs")


def configure(bundle, script, cgroup_mount=DOCKER_CGROUP, extra_mounts=(), **linux):
    """The spec's own cgroup mount replaced by cgroup_mount (None: none)."""
    c = json.load(open(bundle / "config.json"))
    c["process"]["terminal"] = False
    c["process"]["args"] = ["/bin/sh", "-c", script]
    c["mounts"] = [m for m in c["mounts"] if m.get("type") not in ("cgroup", "cgroup2")]
    if cgroup_mount:
        c["mounts"].append(cgroup_mount)
    c["mounts"] += list(extra_mounts)
    c["linux"].update(linux)
    json.dump(c, open(bundle / "config.json", "w"))


def run(rt, bundle, cid="cg1"):
    p = rt("run", "--bundle", bundle, cid, timeout=60)
    return p


def own_host_value(ctrl, name):
    """A control file of the host cgroup this test runs in (where a sandbox
    without linux.cgroupsPath stays), or None when it has none (pids.max in
    a root cgroup)."""
    with open("/proc/self/cgroup") as f:
        for line in f:
            _, ctrls, path = line.rstrip("\n").split(":", 2)
            if ctrl in ctrls.split(","):
                try:
                    with open(os.path.join(CG, ctrl) + path.rstrip("/") + "/" + name) as v:
                        return v.read().strip()
                except FileNotFoundError:
                    return None
    return None


@needs_host_cgroups
def test_docker_mount_shows_the_containers_limits(rt, bundle, cgpath):
    configure(bundle,
              "cd /sys/fs/cgroup && ls -1 && "
              "echo limit=$(cat memory/memory.limit_in_bytes) && "
              "echo usage=$(cat memory/memory.usage_in_bytes) && "
              "echo pidsmax=$(cat pids/pids.max) && echo pidscur=$(cat pids/pids.current) && "
              "echo shares=$(cat cpu/cpu.shares) && echo quota=$(cat cpu,cpuacct/cpu.cfs_quota_us) "
              "&& echo period=$(cat cpuacct/cpu.cfs_period_us) && "
              "echo cpus=$(cat cpuset/cpuset.cpus) && echo usage_ns=$(cat cpuacct/cpuacct.usage) && "
              "grep -qx $$ pids/cgroup.procs && echo procs-has-shell && "
              "grep -qx $$ memory/tasks && echo tasks-has-shell && "
              "echo --self && cat /proc/self/cgroup && echo --cgroups && cat /proc/cgroups && "
              "echo --mounts && grep cgroup /proc/self/mounts && echo --writes && "
              "(echo 1 > memory/memory.limit_in_bytes || echo limit-refused) && "
              "(echo $$ > pids/cgroup.procs || echo procs-refused) && "
              "(mkdir memory/child || echo mkdir-refused) && "
              "(ln -s x y || echo tmpfs-refused)",
              cgroupsPath=cgpath,
              resources={"memory": {"limit": 64 << 20}, "pids": {"limit": 50},
                         "cpu": {"shares": 512, "quota": 50000, "period": 100000}})
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    out = p.stdout
    for name in ("cpu", "cpu,cpuacct", "cpuacct", "cpuset", "memory", "pids"):
        assert "\n%s\n" % name in "\n" + out, (name, out)
    assert "limit=%d\n" % (64 << 20) in out, out
    usage = int(out.split("usage=")[1].split()[0])
    assert 0 < usage < 64 << 20, out
    assert "pidsmax=50\n" in out, out
    assert int(out.split("pidscur=")[1].split()[0]) >= 2, out  # the shell and cat at least
    assert "shares=512\n" in out and "quota=50000\n" in out and "period=100000\n" in out, out
    assert out.split("cpus=")[1].split()[0][0].isdigit(), out
    assert int(out.split("usage_ns=")[1].split()[0]) >= 0, out  # no CPU time accounting yet
    assert "procs-has-shell" in out and "tasks-has-shell" in out, out
    self_cg = out.split("--self\n")[1].split("--cgroups")[0].split()
    assert self_cg == ["4:pids:/", "3:memory:/", "2:cpu,cpuacct:/", "1:cpuset:/"], out
    cgroups = out.split("--cgroups\n")[1].split("--mounts")[0].splitlines()
    assert cgroups[0].startswith("#subsys_name")
    assert {l.split()[0]: l.split()[1] for l in cgroups[1:]} == {
        "cpuset": "1", "cpu": "2", "cpuacct": "2", "memory": "3", "pids": "4"}, out
    mounts = out.split("--mounts\n")[1].split("--writes")[0]
    assert "cgroup /sys/fs/cgroup/memory cgroup ro,nosuid,nodev,noexec,memory 0 0" in mounts
    assert "cgroup /sys/fs/cgroup/cpu,cpuacct cgroup ro,nosuid,nodev,noexec,cpu,cpuacct" in mounts
    assert "tmpfs /sys/fs/cgroup tmpfs ro," in mounts, mounts
    for what in ("limit-refused", "procs-refused", "mkdir-refused", "tmpfs-refused"):
        assert what in out, (what, out)
    assert "Read-only file system" in p.stderr, p.stderr


@pytest.mark.skipif(not host_v1("memory", "pids"),
                    reason="needs root and cgroup v1 memory and pids hierarchies on the host")
def test_without_a_cgroup_the_callers_limits_show(rt, bundle):
    """No linux.cgroupsPath: the sandbox stays in runsc's own cgroup, whose
    limits it shows (not the spec's, which nothing applies)."""
    configure(bundle, "cat /sys/fs/cgroup/memory/memory.limit_in_bytes "
                      "/sys/fs/cgroup/pids/pids.max",
              resources={"memory": {"limit": 64 << 20}, "pids": {"limit": 50}})
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    mem = own_host_value("memory", "memory.limit_in_bytes") or UNLIMITED
    pids = own_host_value("pids", "pids.max") or "max"
    assert p.stdout.split() == [mem, pids], (p.stdout, mem, pids)
    assert mem != str(64 << 20) and pids != "50"


def test_tasks_are_live(rt, bundle):
    configure(bundle, "sleep 100 & a=$!; sleep 100 & b=$!; "
                      "procs=$(cat /sys/fs/cgroup/pids/cgroup.procs); "
                      "n=$(cat /sys/fs/cgroup/pids/pids.current); "
                      "kill $a $b; wait; "
                      "echo a=$a b=$b; echo procs=$procs; echo n=$n; "
                      "echo after=$(cat /sys/fs/cgroup/pids/pids.current)")
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    out = p.stdout
    a = out.split("a=")[1].split()[0]
    b = out.split("b=")[1].split()[0]
    procs = out.split("procs=")[1].splitlines()[0].split()
    assert a in procs and b in procs and "1" in procs, out
    assert procs == sorted(procs, key=int), out
    assert int(out.split("n=")[1].split()[0]) >= 4, out  # sh, two sleeps, cat
    assert int(out.split("after=")[1].split()[0]) == 2, out  # sh and cat


def test_writable_mount_refuses_what_it_cannot_apply(rt, bundle):
    rw = dict(DOCKER_CGROUP, options=["nosuid", "noexec", "nodev"])
    configure(bundle, "cd /sys/fs/cgroup; "
                      "echo $$ > pids/cgroup.procs && echo moved; "
                      "echo 0 > memory/tasks && echo moved-self; "
                      "echo 99999 > pids/cgroup.procs || echo esrch; "
                      "echo nonsense > pids/cgroup.procs || echo einval; "
                      "echo 5 > pids/pids.max || echo max-refused; "
                      "echo 1 > cpu/cpu.shares || echo shares-refused; "
                      "mkdir memory/child || echo mkdir-refused; "
                      "cat pids/pids.max; grep 'cgroup /sys/fs/cgroup/pids' /proc/mounts",
              cgroup_mount=rw)
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    out = p.stdout
    for what in ("moved", "moved-self", "esrch", "einval", "max-refused", "shares-refused",
                 "mkdir-refused"):
        assert what in out, (what, out, p.stderr)
    assert "No such process" in p.stderr and "Invalid argument" in p.stderr, p.stderr
    assert "Permission denied" in p.stderr and "Operation not permitted" in p.stderr, p.stderr
    assert "cgroup rw,nosuid,nodev,noexec,pids" in out, out


def test_single_hierarchy_mounts(rt, bundle):
    """A "cgroup" mount with controllers is that hierarchy (mount -t cgroup
    -o memory); the same set again is the same hierarchy."""
    configure(bundle, "ls /cg-mem; cat /cg-mem/memory.limit_in_bytes; "
                      "echo --; cat /proc/self/cgroup; echo --; "
                      "ls /sys/fs/cgroup/memory; grep cgroup /proc/self/mountinfo",
              extra_mounts=[{"destination": "/cg-mem", "type": "cgroup", "source": "cgroup",
                             "options": ["ro", "memory"]}])
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    out = p.stdout
    files = out.split("--")[0].split()
    assert files[:4] == ["cgroup.procs", "memory.limit_in_bytes", "memory.usage_in_bytes",
                         "tasks"] and files[4].isdigit(), out
    assert out.split("--")[1].split() == ["4:pids:/", "3:memory:/", "2:cpu,cpuacct:/",
                                          "1:cpuset:/"], out
    info = [l for l in out.splitlines() if " - cgroup " in l]
    mem = [l for l in info if l.endswith(",memory")]
    assert len(mem) == 2 and mem[0].split()[2] == mem[1].split()[2], info  # one device


def test_single_hierarchy_of_all_controllers(rt, bundle):
    configure(bundle, "ls /cg; cat /proc/self/cgroup; cat /proc/cgroups",
              cgroup_mount={"destination": "/cg", "type": "cgroup", "source": "cgroup",
                            "options": ["all"]})
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "pids.max" in p.stdout and "memory.limit_in_bytes" in p.stdout, p.stdout
    assert "1:cpuset,cpu,cpuacct,memory,pids:/" in p.stdout, p.stdout


def test_unknown_controller_fails_the_boot(rt, bundle):
    configure(bundle, "true", cgroup_mount={"destination": "/cg", "type": "cgroup",
                                            "source": "cgroup", "options": ["devices"]})
    p = run(rt, bundle)
    assert p.returncode != 0
    assert "unknown cgroup controller" in p.stdout + p.stderr, (p.stdout, p.stderr)


def test_cgroup2_is_skipped(rt, bundle):
    configure(bundle, "ls -A /sys/fs/cgroup | wc -l; cat /proc/self/cgroup",
              cgroup_mount={"destination": "/sys/fs/cgroup", "type": "cgroup2",
                            "source": "cgroup", "options": ["ro"]})
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert p.stdout.split() == ["0", "0::/"], p.stdout


def test_no_cgroup_mount(rt, bundle):
    configure(bundle, "cat /proc/self/cgroup; ls -A /sys/fs/cgroup | wc -l; "
                      "awk '$2 != 0' /proc/cgroups | wc -l", cgroup_mount=None)
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert p.stdout.split() == ["0::/", "0", "1"], p.stdout  # only the header has no 0


@needs_host_cgroups
def test_update_reaches_the_sandbox(rt, bundle, cgpath):
    """runsc update changes the host cgroup and tells the sandbox
    (Control.UpdateResources): its cgroupfs shows the new limits."""
    configure(bundle, "sleep 1000", cgroupsPath=cgpath,
              resources={"memory": {"limit": 64 << 20}, "pids": {"limit": 50},
                         "cpu": {"shares": 512}})
    rt("create", "--bundle", bundle, "cgu", check=True)
    rt("start", "cgu", check=True)

    def inside():
        return rt("exec", "cgu", "cat", "/sys/fs/cgroup/memory/memory.limit_in_bytes",
                  "/sys/fs/cgroup/pids/pids.max", "/sys/fs/cgroup/cpu/cpu.shares",
                  check=True).stdout.split()
    assert inside() == [str(64 << 20), "50", "512"]
    rt("update", "--memory", "32M", "--pids-limit", "40", "cgu", check=True)
    assert inside() == [str(32 << 20), "40", "512"]
    rt("update", "--memory", "-1", "--pids-limit", "-1", "--cpu-shares", "256", "cgu", check=True)
    assert inside() == [UNLIMITED, "max", "256"]
    rt("delete", "--force", "cgu", check=True)

"""runsc update (runc update on cgroup v1): runc's flags and --resources JSON
reach the container's cgroup, the state records them, and bad input, a value
the kernel refuses, an unknown or stopped container, or one without a cgroup
change nothing."""
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

from conftest import fresh_cgroup_path, RUNSC, build_busybox_rootfs, make_bundle, make_rootless_bundle

CG = "/sys/fs/cgroup"
UNLIMITED = "9223372036854771712"  # cgroup v1's "no limit" (page-aligned LLONG_MAX)

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="cgroups need root"),
    pytest.mark.skipif(not os.path.isdir(os.path.join(CG, "memory")),
                       reason="no cgroup v1 memory hierarchy at /sys/fs/cgroup/memory"),
]


@pytest.fixture(scope="module")
def bb_rootfs(tmp_path_factory):
    return build_busybox_rootfs(str(tmp_path_factory.mktemp("updrootfs") / "rootfs"))


@pytest.fixture
def cgpath():
    """A fresh top-level cgroup path; whatever is left of it is removed."""
    yield from fresh_cgroup_path("runsc-e2e-update")


def sleep_bundle(tmp_path, rootfs, cgroups_path=None, resources=None):
    b = make_bundle(tmp_path / ("bundle-" + uuid.uuid4().hex[:6]), rootfs)
    c = json.load(open(b / "config.json"))
    c["process"]["terminal"] = False
    c["process"]["args"] = ["/bin/sleep", "1000"]
    if cgroups_path:
        c["linux"]["cgroupsPath"] = cgroups_path
    if resources:
        c["linux"].setdefault("resources", {}).update(resources)
    json.dump(c, open(b / "config.json", "w"))
    return b


def cg(path, ctrl, name):
    with open(os.path.join(CG, ctrl) + path + "/" + name) as f:
        return f.read().strip()


def snapshot(path):
    files = [("memory", "memory.limit_in_bytes"), ("memory", "memory.soft_limit_in_bytes"),
             ("cpu", "cpu.shares"), ("cpu", "cpu.cfs_quota_us"), ("cpu", "cpu.cfs_period_us"),
             ("cpuset", "cpuset.cpus"), ("pids", "pids.max")]
    if os.path.exists(os.path.join(CG, "memory") + path + "/memory.memsw.limit_in_bytes"):
        files.append(("memory", "memory.memsw.limit_in_bytes"))
    return {f: cg(path, c, f) for c, f in files}


def saved_resources(rt, cid):
    with open(os.path.join(rt.root, cid, "state.json")) as f:
        return json.load(f).get("resources")


def started(rt, tmp_path, rootfs, cid, cgroups_path, **kw):
    b = sleep_bundle(tmp_path, rootfs, cgroups_path, **kw)
    rt("create", "--bundle", b, cid, check=True)
    rt("start", cid, check=True)
    return b


def test_update_flags_reach_the_cgroup(rt, tmp_path, bb_rootfs, cgpath):
    started(rt, tmp_path, bb_rootfs, "u1", cgpath)
    rt("update", "--memory", "64M", "--pids-limit", "50", "u1", check=True)
    assert cg(cgpath, "memory", "memory.limit_in_bytes") == str(64 << 20)
    assert cg(cgpath, "pids", "pids.max") == "50"
    # The sandbox and the gofer are the processes the limits apply to.
    pid = json.loads(rt("state", "u1", check=True).stdout)["pid"]
    assert str(pid) in cg(cgpath, "pids", "cgroup.procs").split()
    assert saved_resources(rt, "u1")["memory"]["limit"] == 64 << 20
    assert saved_resources(rt, "u1")["pids"]["limit"] == 50

    rt("update", "--memory-reservation", "32m", "--cpu-share", "512", "--cpu-period", "100000",
       "--cpu-quota", "50000", "--cpuset-cpus", "0", "--cpuset-mems", "0", "u1", check=True)
    assert cg(cgpath, "memory", "memory.soft_limit_in_bytes") == str(32 << 20)
    assert cg(cgpath, "memory", "memory.limit_in_bytes") == str(64 << 20)  # unchanged
    assert cg(cgpath, "cpu", "cpu.shares") == "512"
    assert cg(cgpath, "cpu", "cpu.cfs_period_us") == "100000"
    assert cg(cgpath, "cpu", "cpu.cfs_quota_us") == "50000"
    assert cg(cgpath, "cpuset", "cpuset.cpus") == "0"
    r = saved_resources(rt, "u1")
    assert r["memory"] == {"limit": 64 << 20, "reservation": 32 << 20}
    assert r["cpu"]["shares"] == 512 and r["cpu"]["cpus"] == "0" and r["pids"]["limit"] == 50

    # docker's spelling, and -1: unlimited (memory lifts memory+swap too, as runc).
    rt("update", "--cpu-shares", "256", "--memory", "-1", "--pids-limit", "-1",
       "--cpu-quota", "-1", "u1", check=True)
    assert cg(cgpath, "cpu", "cpu.shares") == "256"
    assert cg(cgpath, "memory", "memory.limit_in_bytes") == UNLIMITED
    assert cg(cgpath, "pids", "pids.max") == "max"
    assert cg(cgpath, "cpu", "cpu.cfs_quota_us") == "-1"


def test_update_memory_and_swap_in_either_order(rt, tmp_path, bb_rootfs, cgpath):
    started(rt, tmp_path, bb_rootfs, "u2", cgpath)
    if not os.path.exists(os.path.join(CG, "memory") + cgpath + "/memory.memsw.limit_in_bytes"):
        pytest.skip("the kernel does not account swap (swapaccount=0)")
    rt("update", "--memory", "64M", "--memory-swap", "128M", "u2", check=True)
    # Growing: memory+swap must be raised first.
    rt("update", "--memory", "256M", "--memory-swap", "512M", "u2", check=True)
    assert cg(cgpath, "memory", "memory.limit_in_bytes") == str(256 << 20)
    assert cg(cgpath, "memory", "memory.memsw.limit_in_bytes") == str(512 << 20)
    # Shrinking: memory must be lowered first.
    rt("update", "--memory", "32M", "--memory-swap", "48M", "u2", check=True)
    assert cg(cgpath, "memory", "memory.limit_in_bytes") == str(32 << 20)
    assert cg(cgpath, "memory", "memory.memsw.limit_in_bytes") == str(48 << 20)


def test_update_resources_json(rt, tmp_path, bb_rootfs, cgpath):
    started(rt, tmp_path, bb_rootfs, "u3", cgpath)
    res = {"memory": {"limit": 96 << 20, "reservation": 0},
           "cpu": {"shares": 300, "quota": 20000, "period": 50000, "cpus": "", "mems": ""},
           "pids": {"limit": 77}, "blockIO": {"weight": 500}}
    p = rt("update", "--resources", "-", "u3", input=json.dumps(res))
    assert p.returncode == 0, p.stderr
    assert cg(cgpath, "memory", "memory.limit_in_bytes") == str(96 << 20)
    assert cg(cgpath, "cpu", "cpu.shares") == "300"
    assert cg(cgpath, "cpu", "cpu.cfs_quota_us") == "20000"
    assert cg(cgpath, "cpu", "cpu.cfs_period_us") == "50000"
    assert cg(cgpath, "pids", "pids.max") == "77"
    blkio = os.path.join(CG, "blkio") + cgpath
    weight = [f for f in ("blkio.weight", "blkio.bfq.weight")
              if os.path.exists(os.path.join(blkio, f))]
    if weight:
        assert cg(cgpath, "blkio", weight[0]) == "500"
    else:
        assert "blkio" in p.stderr and "ignored" in p.stderr, p.stderr
    # From a file, with -r; the other flags are then ignored (runc).
    f = tmp_path / "res.json"
    f.write_text(json.dumps({"pids": {"limit": 33}, "memory": {"limit": 80 << 20}}))
    rt("update", "-r", f, "--pids-limit", "5", "u3", check=True)
    assert cg(cgpath, "pids", "pids.max") == "33"
    assert cg(cgpath, "memory", "memory.limit_in_bytes") == str(80 << 20)
    r = saved_resources(rt, "u3")
    assert r["pids"]["limit"] == 33 and r["cpu"]["shares"] == 300


def test_update_created_and_paused(rt, tmp_path, bb_rootfs, cgpath):
    b = sleep_bundle(tmp_path, bb_rootfs, cgpath, resources={"memory": {"limit": 64 << 20}})
    rt("create", "--bundle", b, "u4", check=True)
    assert cg(cgpath, "memory", "memory.limit_in_bytes") == str(64 << 20)  # the spec's
    rt("update", "--pids-limit", "40", "u4", check=True)
    assert cg(cgpath, "pids", "pids.max") == "40"
    r = saved_resources(rt, "u4")
    assert r["memory"]["limit"] == 64 << 20 and r["pids"]["limit"] == 40  # spec + update
    rt("start", "u4", check=True)
    rt("pause", "u4", check=True)
    rt("update", "--pids-limit", "41", "u4", check=True)
    assert cg(cgpath, "pids", "pids.max") == "41"
    rt("resume", "u4", check=True)


@pytest.mark.parametrize("args,what", [
    (["--memory", "abc"], "--memory"),
    (["--memory", "12Q"], "--memory"),
    (["--memory-swap", "-2"], "--memory-swap"),
    (["--pids-limit", "many"], "--pids-limit"),
    (["--cpu-period", "-5"], "--cpu-period"),
    (["--cpu-shares", "1.5"], "--cpu-share"),
    (["--blkio-weight", "5"], "--blkio-weight"),
    (["--cpuset-cpus", "zero"], "cpuset"),
    (["--no-such-flag", "1"], "unknown flag"),
    # Refused by the kernel after memory was written: memory is restored.
    (["--memory", "32M", "--cpu-shares", "1"], "cpu shares"),
    (["--memory", "32M", "--memory-swap", "16M"], "memory.memsw"),
])
def test_update_bad_values_change_nothing(rt, tmp_path, bb_rootfs, cgpath, args, what):
    started(rt, tmp_path, bb_rootfs, "u5", cgpath)
    rt("update", "--memory", "64M", "--pids-limit", "50", "u5", check=True)
    before, saved = snapshot(cgpath), saved_resources(rt, "u5")
    p = rt("update", *args, "u5")
    assert p.returncode == 1, p.stderr
    assert what in p.stderr, p.stderr
    assert snapshot(cgpath) == before
    assert saved_resources(rt, "u5") == saved


@pytest.mark.parametrize("text,what", [
    ("{", "resources"),
    ("[]", "must be a JSON object"),
    ('{"memory": {"limit": "64M"}}', "memory.limit must be an integer"),
    ('{"cpu": {"shares": -1}}', "cpu.shares is out of range"),
    ('{"memory": {"limit": -7}}', "invalid memory limit"),
])
def test_update_bad_resources_change_nothing(rt, tmp_path, bb_rootfs, cgpath, text, what):
    started(rt, tmp_path, bb_rootfs, "u6", cgpath)
    before = snapshot(cgpath)
    p = rt("update", "-r", "-", "u6", input=text)
    assert p.returncode == 1 and what in p.stderr, p.stderr
    assert snapshot(cgpath) == before
    assert saved_resources(rt, "u6") is None
    p = rt("update", "-r", tmp_path / "missing.json", "u6")
    assert p.returncode == 1 and "missing.json" in p.stderr, p.stderr


def test_update_errors(rt, tmp_path, bb_rootfs, cgpath):
    p = rt("update", "--memory", "64M", "nosuch")
    assert p.returncode == 1 and 'container "nosuch" does not exist' in p.stderr, p.stderr
    p = rt("update", "--memory", "64M")
    assert p.returncode == 1 and "container id" in p.stderr, p.stderr
    # No linux.cgroupsPath: no cgroup to update.
    b = sleep_bundle(tmp_path, bb_rootfs)
    rt("create", "--bundle", b, "nocg", check=True)
    p = rt("update", "--memory", "64M", "nocg")
    assert p.returncode == 1 and "no cgroup" in p.stderr, p.stderr
    # Stopped.
    started(rt, tmp_path, bb_rootfs, "u7", cgpath)
    rt("update", "--pids-limit", "60", "u7", check=True)
    rt("kill", "u7", "KILL", check=True)
    rt("wait", "u7", timeout=30)
    p = rt("update", "--pids-limit", "70", "u7")
    assert p.returncode == 1 and "stopped" in p.stderr, p.stderr
    assert saved_resources(rt, "u7")["pids"]["limit"] == 60


def test_update_rootless_has_no_cgroup():
    """A rootless container (runsc run as an unprivileged user) has no cgroup:
    update says so."""
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    d = tempfile.mkdtemp(prefix="runsc-rootless-upd-")
    try:
        make_rootless_bundle(d, ["/bin/sleep", "1000"])
        as_nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", RUNSC,
                     "--root", os.path.join(d, "state")]

        def run(*args):
            with tempfile.TemporaryFile("w+") as out:
                p = subprocess.run(as_nobody + list(args), stdout=out, stderr=out, text=True,
                                   timeout=60, stdin=subprocess.DEVNULL)
                out.seek(0)
                p.stdout = out.read()
            return p
        try:
            p = run("create", "--bundle", d, "rl")
            assert p.returncode == 0, p.stdout
            p = run("update", "--memory", "64M", "rl")
            assert p.returncode == 1 and "rootless" in p.stdout and "cgroup" in p.stdout, p.stdout
        finally:
            run("delete", "--force", "rl")
    finally:
        shutil.rmtree(d, ignore_errors=True)

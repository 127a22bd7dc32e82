"""runsc spec: the default config.json, and whether the reference runtime
(Debian's runc) accepts what we write."""
import json
import os
import shutil
import subprocess
import uuid

import pytest

RUNC = "/usr/sbin/runc"
BUSYBOX = "/bin/busybox"
NOBODY = 65534


def make_bundle(tmpdir_path, name="bundle"):
    bundle = os.path.join(tmpdir_path, name)
    os.mkdir(bundle)
    return bundle


def read(path):
    with open(path) as f:
        return f.read()


def load(bundle):
    with open(os.path.join(bundle, "config.json")) as f:
        return json.load(f)


def ns_types(config):
    return [ns["type"] for ns in config["linux"]["namespaces"]]


def make_rootfs(bundle):
    """A busybox rootfs: /bin/busybox plus the applets the tests call."""
    bindir = os.path.join(bundle, "rootfs", "bin")
    os.makedirs(bindir)
    shutil.copy2(BUSYBOX, os.path.join(bindir, "busybox"))
    for applet in ("sh", "echo", "true", "cat", "id"):
        os.symlink("busybox", os.path.join(bindir, applet))
    for d in ("proc", "sys", "dev", "tmp"):
        os.makedirs(os.path.join(bundle, "rootfs", d))


def set_process(bundle, args):
    config = load(bundle)
    config["process"]["terminal"] = False
    config["process"]["args"] = args
    with open(os.path.join(bundle, "config.json"), "w") as f:
        json.dump(config, f, indent=4)


def need_runc():
    if not os.path.exists(RUNC):
        pytest.skip("runc is not installed at %s" % RUNC)
    if not os.path.exists(BUSYBOX):
        pytest.skip("busybox-static is not installed at %s" % BUSYBOX)
    if os.geteuid() != 0:
        pytest.skip("runc needs root here")


def runc_run(tmpdir_path, bundle, global_flags=(), user_prefix=()):
    cid = "runsc-spec-" + uuid.uuid4().hex[:12]
    root = os.path.join(tmpdir_path, "runc-root")
    argv = list(user_prefix) + [RUNC, "--root", root] + list(global_flags) + [
        "run", "--bundle", bundle, cid]
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=120,
                              stdin=subprocess.DEVNULL)
    finally:
        # "run" deletes the container when it ends; this is for a timeout.
        subprocess.run(list(user_prefix) + [RUNC, "--root", root, "delete", "--force", cid],
                       capture_output=True, stdin=subprocess.DEVNULL)


def test_spec_writes_default_config(runsc, tmpdir_path):
    bundle = make_bundle(tmpdir_path)
    p = runsc.run("spec", "--bundle", bundle)
    assert p.returncode == 0, p.stderr
    assert p.stdout == ""
    config = load(bundle)
    assert list(config) == ["ociVersion", "process", "root", "hostname", "mounts", "linux"]
    assert config["ociVersion"].startswith("1.")
    proc = config["process"]
    assert proc["terminal"] is True
    assert proc["user"] == {"uid": 0, "gid": 0}
    assert proc["args"] == ["sh"]
    assert proc["cwd"] == "/"
    assert any(e.startswith("PATH=") for e in proc["env"])
    assert proc["capabilities"]["bounding"] == [
        "CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"]
    assert proc["rlimits"] == [{"type": "RLIMIT_NOFILE", "hard": 1024, "soft": 1024}]
    assert proc["noNewPrivileges"] is True
    assert config["root"] == {"path": "rootfs", "readonly": True}
    assert config["hostname"] == "runsc"
    assert [m["destination"] for m in config["mounts"]] == [
        "/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys", "/sys/fs/cgroup"]
    assert ns_types(config) == ["pid", "network", "ipc", "uts", "mount", "cgroup"]
    assert "/proc/kcore" in config["linux"]["maskedPaths"]
    assert "/proc/sys" in config["linux"]["readonlyPaths"]
    mode = os.stat(os.path.join(bundle, "config.json")).st_mode & 0o777
    assert mode & 0o600 == 0o600


def test_spec_defaults_to_current_directory(runsc, tmpdir_path):
    bundle = make_bundle(tmpdir_path)
    p = runsc.run("spec", cwd=bundle)
    assert p.returncode == 0, p.stderr
    assert load(bundle)["root"]["path"] == "rootfs"


def test_spec_refuses_to_overwrite(runsc, tmpdir_path):
    bundle = make_bundle(tmpdir_path)
    runsc.run("spec", "--bundle", bundle, check=True)
    path = os.path.join(bundle, "config.json")
    with open(path, "a") as f:
        f.write(" ")  # mark it: the second run must not touch it
    before = read(path)
    p = runsc.run("spec", "--bundle", bundle)
    assert p.returncode != 0
    assert "config.json exists. Remove it first" in p.stderr
    assert read(path) == before


def test_spec_missing_bundle(runsc, tmpdir_path):
    missing = os.path.join(tmpdir_path, "nonexistent")
    p = runsc.run("spec", "--bundle", missing)
    assert p.returncode != 0
    assert missing in p.stderr
    assert "No such file or directory" in p.stderr
    assert not os.path.exists(missing)


def test_spec_rejects_extra_arguments(runsc, tmpdir_path):
    p = runsc.run("spec", "extra", cwd=tmpdir_path)
    assert p.returncode != 0
    assert not os.path.exists(os.path.join(tmpdir_path, "config.json"))


@pytest.mark.parametrize("where", ["command", "global"])
def test_spec_rootless(runsc, tmpdir_path, where):
    bundle = make_bundle(tmpdir_path)
    if where == "command":
        p = runsc.run("spec", "--rootless", "--bundle", bundle)
    else:
        p = runsc.run("--rootless", "spec", "--bundle", bundle)
    assert p.returncode == 0, p.stderr
    config = load(bundle)
    linux = config["linux"]
    assert ns_types(config) == ["pid", "ipc", "uts", "mount", "cgroup", "user"]
    assert linux["uidMappings"] == [{"containerID": 0, "hostID": os.geteuid(), "size": 1}]
    assert linux["gidMappings"] == [{"containerID": 0, "hostID": os.getegid(), "size": 1}]
    assert "resources" not in linux
    for m in config["mounts"]:
        assert not any(o.startswith(("gid=", "uid=")) for o in m.get("options", []))
    sys_mount = [m for m in config["mounts"] if m["destination"] == "/sys"]
    assert sys_mount == [{"destination": "/sys", "type": "none", "source": "/sys",
                          "options": ["rbind", "nosuid", "noexec", "nodev", "ro"]}]


def test_runc_runs_default_spec(runsc, tmpdir_path):
    need_runc()
    bundle = make_bundle(tmpdir_path)
    runsc.run("spec", "--bundle", bundle, check=True)
    make_rootfs(bundle)
    set_process(bundle, ["/bin/echo", "hello"])
    p = runc_run(tmpdir_path, bundle)
    assert p.returncode == 0, "runc failed: %s%s" % (p.stdout, p.stderr)
    assert p.stdout == "hello\n"


def test_runc_runs_rootless_spec_as_root(runsc, tmpdir_path):
    need_runc()
    bundle = make_bundle(tmpdir_path)
    runsc.run("spec", "--rootless", "--bundle", bundle, check=True)
    make_rootfs(bundle)
    set_process(bundle, ["/bin/sh", "-c", "echo hello; cat /proc/self/uid_map"])
    p = runc_run(tmpdir_path, bundle, global_flags=["--rootless", "true"])
    assert p.returncode == 0, "runc failed: %s%s" % (p.stdout, p.stderr)
    lines = p.stdout.splitlines()
    assert lines[0] == "hello"
    assert lines[1].split() == ["0", str(os.geteuid()), "1"]


def test_runc_runs_rootless_spec_unprivileged(runsc, tmpdir_path):
    """The real rootless case: spec and runc both run as nobody."""
    need_runc()
    setpriv = shutil.which("setpriv")
    if not setpriv:
        pytest.skip("setpriv (util-linux) is not installed")
    for knob, off in (("/proc/sys/kernel/unprivileged_userns_clone", "0"),
                      ("/proc/sys/user/max_user_namespaces", "0")):
        if os.path.exists(knob) and read(knob).strip() == off:
            pytest.skip("unprivileged user namespaces are disabled (%s)" % knob)
    as_nobody = [setpriv, "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                 "env", "HOME=" + tmpdir_path, "XDG_RUNTIME_DIR=" + tmpdir_path]
    os.chmod(tmpdir_path, 0o755)
    bundle = make_bundle(tmpdir_path)
    make_rootfs(bundle)
    runc_root = os.path.join(tmpdir_path, "runc-root")
    os.mkdir(runc_root)
    for d in (bundle, runc_root):
        for dirpath, dirnames, filenames in os.walk(d):
            for name in [dirpath] + [os.path.join(dirpath, n) for n in dirnames + filenames]:
                os.lchown(name, NOBODY, NOBODY)
    p = subprocess.run(as_nobody + runsc.cmd("spec", "--rootless", "--bundle", bundle,
                                             root=False),
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    assert load(bundle)["linux"]["uidMappings"][0]["hostID"] == NOBODY
    set_process(bundle, ["/bin/sh", "-c", "echo hello; id -u; cat /proc/self/uid_map"])
    os.lchown(os.path.join(bundle, "config.json"), NOBODY, NOBODY)
    p = runc_run(tmpdir_path, bundle, user_prefix=as_nobody)
    assert p.returncode == 0, "runc failed: %s%s" % (p.stdout, p.stderr)
    lines = p.stdout.splitlines()
    assert lines[:2] == ["hello", "0"]
    assert lines[2].split() == ["0", str(NOBODY), "1"]

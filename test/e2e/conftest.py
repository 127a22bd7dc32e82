"""Shared fixtures for the end-to-end tests: they drive bin/runsc as a user
would. RUNSC (environment) overrides the binary under test."""
import json
import os
import shutil
import subprocess
import tempfile
import uuid

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
RUNSC = os.environ.get("RUNSC", os.path.join(REPO, "bin", "runsc"))


class Runsc:
    """Runs bin/runsc with a private --root state directory."""

    def __init__(self, root):
        self.root = root
        self.binary = RUNSC

    def cmd(self, *args, root=True):
        argv = [self.binary]
        if root:
            argv += ["--root", self.root]
        return argv + [str(a) for a in args]

    def run(self, *args, check=False, timeout=60, input=None, root=True, **kw):
        p = subprocess.run(self.cmd(*args, root=root), capture_output=True, text=True,
                           timeout=timeout, input=input, stdin=None if input is not None
                           else subprocess.DEVNULL, **kw)
        if check and p.returncode != 0:
            raise AssertionError("runsc %s failed (%d): %s%s" % (
                " ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
        return p


@pytest.fixture
def tmpdir_path():
    d = tempfile.mkdtemp(prefix="runsc-e2e-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def runsc(tmpdir_path):
    root = os.path.join(tmpdir_path, "state")
    return Runsc(root)


BUSYBOX = "/bin/busybox"


def build_busybox_rootfs(root):
    """A busybox rootfs from Debian's busybox-static: every applet as a
    symlink in /bin, a few files in /etc, and the usual directories."""
    if not os.path.exists(BUSYBOX):
        pytest.skip("busybox-static is not installed (%s)" % BUSYBOX)
    for d in ("bin", "etc", "dev", "proc", "sys", "tmp", "root", "usr/bin", "var"):
        os.makedirs(os.path.join(root, d), exist_ok=True)
    shutil.copy2(BUSYBOX, os.path.join(root, "bin", "busybox"))
    applets = subprocess.run([BUSYBOX, "--list"], capture_output=True, text=True,
                             check=True).stdout.split()
    for a in applets:
        p = os.path.join(root, "bin", a)
        if a != "busybox" and not os.path.exists(p):
            os.symlink("busybox", p)
    # Device nodes for native runs under chroot (the sandbox mounts its own /dev).
    if os.geteuid() == 0:
        import stat
        for name, minor in (("null", 3), ("zero", 5), ("random", 8), ("urandom", 9)):
            p = os.path.join(root, "dev", name)
            if not os.path.exists(p):
                os.mknod(p, 0o666 | stat.S_IFCHR, os.makedev(1, minor))
    with open(os.path.join(root, "etc", "passwd"), "w") as f:
        f.write("root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n")
    with open(os.path.join(root, "etc", "group"), "w") as f:
        f.write("root:x:0:\nnogroup:x:65534:\n")
    with open(os.path.join(root, "etc", "hostname"), "w") as f:
        f.write("busybox-rootfs\n")
    return root


@pytest.fixture(scope="session")
def busybox_rootfs():
    d = tempfile.mkdtemp(prefix="runsc-busybox-")
    yield build_busybox_rootfs(os.path.join(d, "rootfs"))
    shutil.rmtree(d, ignore_errors=True)


class Runtime:
    """runsc with a private --root, called as rt("create", ...). Output goes
    to files, not pipes: a created container keeps its stdio (the caller's)
    open after runsc create returns, as with runc."""

    def __init__(self, root):
        self.root = root

    def __call__(self, *args, check=False, timeout=60, input=None):
        with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
            p = subprocess.run([RUNSC, "--root", self.root] + [str(a) for a in args],
                               stdout=out, stderr=err, text=True, timeout=timeout,
                               input=input, stdin=None if input is not None
                               else subprocess.DEVNULL)
            out.seek(0)
            err.seek(0)
            p.stdout, p.stderr = out.read(), err.read()
        if check:
            assert p.returncode == 0, (args, p.stdout, p.stderr)
        return p

    def state(self, cid):
        return json.loads(self("state", cid, check=True).stdout)


@pytest.fixture
def rt(tmp_path):
    r = Runtime(str(tmp_path / "state"))
    yield r
    # Nothing may be left behind, whatever the test did.
    for c in json.loads(r("list", "--format", "json").stdout or "[]"):
        r("delete", "--force", c["id"])


def make_bundle(path, rootfs):
    """A bundle at path (a pathlib.Path, created): rootfs as a symlink to
    rootfs, and the config.json of runsc spec."""
    path.mkdir()
    os.symlink(rootfs, path / "rootfs")
    subprocess.run([RUNSC, "spec", "--bundle", str(path)], check=True)
    return path


@pytest.fixture
def bundle(tmp_path, bb_rootfs):
    """A bundle of the rootfs that the module's bb_rootfs fixture builds."""
    return make_bundle(tmp_path / "bundle", bb_rootfs)


NOBODY = 65534


def make_rootless_bundle(d, args):
    """A rootless bundle in the directory d: a busybox rootfs, the config.json
    of runsc spec --rootless running args, all of it owned by nobody."""
    os.chmod(d, 0o755)
    build_busybox_rootfs(os.path.join(d, "rootfs"))
    subprocess.run([RUNSC, "spec", "--rootless", "--bundle", d], check=True)
    c = json.load(open(os.path.join(d, "config.json")))
    c["process"]["terminal"] = False
    c["process"]["args"] = args
    json.dump(c, open(os.path.join(d, "config.json"), "w"))
    for root, dirs, files in os.walk(d):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), NOBODY, NOBODY)
    os.lchown(d, NOBODY, NOBODY)


def compile_static(src, out, compiler="gcc", extra=()):
    """Builds a static C program; skips the test when the compiler is absent."""
    if not shutil.which(compiler):
        pytest.skip("%s is not installed" % compiler)
    subprocess.run([compiler, "-static", "-O2", "-o", out, src] + list(extra), check=True,
                   capture_output=True)
    return out


CGROUP_ROOT = "/sys/fs/cgroup"


def fresh_cgroup_path(prefix):
    """A fresh top-level host cgroup path (a generator for a fixture): what
    is left of it in any v1 hierarchy is removed afterwards."""
    p = "/%s-%s" % (prefix, uuid.uuid4().hex[:10])
    yield p
    if os.path.isdir(CGROUP_ROOT):
        for h in os.listdir(CGROUP_ROOT):
            d = os.path.join(CGROUP_ROOT, h) + p
            if os.path.isdir(d):
                try:
                    os.rmdir(d)
                except OSError:
                    pass

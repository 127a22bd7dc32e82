"""Rootless podman: an unprivileged user's podman runs containers through the
runtime. The runtime then runs as root of podman's user namespace (not of the
host): runsc must treat that as rootless, as runc does.

Every test runs with Debian's runc first (which proves the harness: if rootless
podman cannot run runc here, the tests skip) and then with RUNSC. The user is
nobody (65534); its podman gets a private HOME, XDG_RUNTIME_DIR, storage (vfs)
and containers.conf under one directory, and two id mappings are tried: the
single mapping podman falls back to without /etc/subuid entries, and
subordinate id ranges (/etc/subuid, /etc/subgid and newuidmap from the uidmap
package; the entries are added for the test and removed again). Nothing is
left behind: the containers are removed, podman's pause process and anything
else running as nobody for this directory is killed, the directory deleted.
"""
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

import pytest

import engines
from conftest import RUNSC, build_busybox_rootfs

NOBODY = 65534
PODMAN = engines.PODMAN
RUNC = engines.RUNC

CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "%(dir)s/events.log"
"""

RUNTIMES = [pytest.param("runc", id="runc"), pytest.param("runsc", id="runsc")]
TRAP_APP = "trap 'echo got-SIGTERM; exit 0' TERM; echo ready; sleep 1000 & wait"

pytestmark = [
    pytest.mark.skipif(os.geteuid() != 0, reason="the test switches to user nobody (needs root)"),
    pytest.mark.skipif(not shutil.which("setpriv"), reason="setpriv (util-linux) is not installed"),
    pytest.mark.skipif(not os.access(PODMAN, os.X_OK), reason="podman is not installed"),
]


def _procs_of(directory):
    """Pids of nobody's processes whose environment names DIRECTORY."""
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if os.stat("/proc/" + d).st_uid != NOBODY:
                continue
            with open("/proc/%s/environ" % d, "rb") as f:
                env = f.read()
        except OSError:
            continue
        if directory.encode() in env:
            out.append(int(d))
    return out


class SubIds:
    """Adds "nobody:START:65536" to /etc/subuid and /etc/subgid; restore()
    puts the files back as they were (or removes them)."""
    START = 1500000

    def __init__(self):
        self.saved = {}
        for f in ("/etc/subuid", "/etc/subgid"):
            old = open(f).read() if os.path.exists(f) else None
            self.saved[f] = old
            if old and any(l.split(":")[0] in ("nobody", str(NOBODY)) for l in old.splitlines()):
                continue  # already has ranges: leave them
            with open(f, "a") as fp:
                if old and not old.endswith("\n"):
                    fp.write("\n")
                fp.write("nobody:%d:65536\n" % self.START)

    def restore(self):
        for f, old in self.saved.items():
            if old is None:
                try:
                    os.unlink(f)
                except FileNotFoundError:
                    pass
            else:
                with open(f, "w") as fp:
                    fp.write(old)


class RootlessPodman:
    def __init__(self, subids):
        # Short: the runtime's control socket goes under XDG_RUNTIME_DIR, and
        # "<dir>/run/runsc/runsc-<64 hex>.sock" must fit a socket address.
        self.dir = tempfile.mkdtemp(prefix="e2e-prl-", dir="/tmp")
        os.chmod(self.dir, 0o755)
        self.home = os.path.join(self.dir, "home")
        self.run_dir = os.path.join(self.dir, "run")
        os.makedirs(self.home)
        os.makedirs(self.run_dir, mode=0o700)
        with open(os.path.join(self.dir, "containers.conf"), "w") as f:
            f.write(CONF % {"dir": self.dir})
        self.rootfs = build_busybox_rootfs(os.path.join(self.dir, "rootfs"))
        for root, dirs, files in os.walk(self.dir):
            for n in dirs + files:
                os.lchown(os.path.join(root, n), NOBODY, NOBODY)
        os.lchown(self.dir, NOBODY, NOBODY)
        self.subids = SubIds() if subids else None

    def cmd(self, runtime, *args):
        env = ["PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "HOME=" + self.home,
               "USER=nobody", "XDG_RUNTIME_DIR=" + self.run_dir,
               "CONTAINERS_CONF=" + os.path.join(self.dir, "containers.conf")]
        rt = {"runc": RUNC, "runsc": RUNSC}[runtime]
        return (["setpriv", "--reuid=%d" % NOBODY, "--regid=%d" % NOBODY, "--clear-groups",
                 "env", "-i"] + env +
                [PODMAN, "--root", os.path.join(self.home, "storage"),
                 "--runroot", os.path.join(self.run_dir, "storage"), "--storage-driver", "vfs",
                 "--runtime", rt] + [str(a) for a in args])

    def podman(self, runtime, *args, timeout=90):
        p = subprocess.run(self.cmd(runtime, *args), capture_output=True, text=True,
                           timeout=timeout, stdin=subprocess.DEVNULL, cwd=self.dir)
        # podman's warnings about "/" not being a shared mount and the single
        # mapping are not the container's output.
        p.stderr_lines = [l for l in p.stderr.splitlines() if " level=" not in l]
        return p

    def stop(self):
        try:
            for rt in ("runsc", "runc"):
                self.podman(rt, "rm", "-af", "-t", "0", timeout=60)
        finally:
            try:
                with open(os.path.join(self.run_dir, "libpod", "tmp", "pause.pid")) as f:
                    os.kill(int(f.read().strip()), signal.SIGKILL)
            except (OSError, ValueError):
                pass
            for _ in range(50):
                left = _procs_of(self.dir)
                if not left:
                    break
                for pid in left:
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except OSError:
                        pass
                time.sleep(0.1)
            if self.subids:
                self.subids.restore()
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture(scope="module", params=["single-mapping", "subuid-ranges"])
def rootless(request):
    subids = request.param == "subuid-ranges"
    if subids and not (shutil.which("newuidmap") and shutil.which("newgidmap")):
        pytest.skip("newuidmap/newgidmap (package uidmap, tools/install-deps) are not installed")
    pm = RootlessPodman(subids)
    request.addfinalizer(pm.stop)
    # The harness: rootless podman must run runc on this machine.
    p = pm.podman("runc", "run", "--rm", "--rootfs", pm.rootfs, "/bin/true")
    if p.returncode != 0:
        pytest.skip("rootless podman cannot start even with runc on this machine:\n" + p.stderr)
    return pm


@pytest.fixture(params=RUNTIMES)
def runtime(request):
    return request.param


def test_rootless_podman_run_echo(rootless, runtime):
    p = rootless.podman(runtime, "run", "--rm", "--rootfs", rootless.rootfs, "/bin/echo", "hi")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hi\n"
    assert p.stderr_lines == [], p.stderr


def test_rootless_podman_exit_code_and_ids(rootless, runtime):
    p = rootless.podman(runtime, "run", "--rm", "--rootfs", rootless.rootfs, "/bin/sh", "-c",
                        "id -u; exit 3")
    assert p.returncode == 3, p.stderr
    assert p.stdout == "0\n"


def test_rootless_podman_detach_exec_stop(rootless, runtime):
    pm, name = rootless, "rl-" + runtime
    p = pm.podman(runtime, "run", "-d", "--name", name, "--rootfs", pm.rootfs, "/bin/sh", "-c",
                  TRAP_APP)
    assert p.returncode == 0, p.stderr
    deadline = time.time() + 20
    while time.time() < deadline and "ready" not in pm.podman(runtime, "logs", name).stdout:
        time.sleep(0.1)
    p = pm.podman(runtime, "exec", name, "echo", "exec-ok")
    assert p.returncode == 0 and p.stdout == "exec-ok\n", p.stderr
    t = time.time()
    p = pm.podman(runtime, "stop", "-t", "10", name)
    assert p.returncode == 0, p.stderr
    assert time.time() - t < 8, "podman stop needed SIGKILL: SIGTERM did not end the app"
    assert "got-SIGTERM" in pm.podman(runtime, "logs", name).stdout
    p = pm.podman(runtime, "inspect", "--format", "{{.State.ExitCode}}", name)
    assert p.stdout.strip() == "0", p.stderr
    p = pm.podman(runtime, "rm", name)
    assert p.returncode == 0, p.stderr
    names = pm.podman(runtime, "ps", "-a", "--format", "json").stdout
    assert name not in json.dumps(json.loads(names or "[]"))

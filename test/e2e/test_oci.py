"""The OCI lifecycle (issue 5): create/start/state/kill/delete/run/exec/ps,
the sandbox's confinement, and bad input leaving nothing behind."""
import json
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import RUNSC, build_busybox_rootfs, make_rootless_bundle


@pytest.fixture(scope="module")
def bb_rootfs(tmp_path_factory):
    return build_busybox_rootfs(str(tmp_path_factory.mktemp("ocirootfs") / "rootfs"))


def set_args(bundle, args, **process):
    c = json.load(open(bundle / "config.json"))
    c["process"]["terminal"] = False
    c["process"]["args"] = args
    c["process"].update(process)
    json.dump(c, open(bundle / "config.json", "w"))
    return c


def wait_status(rt, cid, want, timeout=10):
    end = time.time() + timeout
    while time.time() < end:
        if rt.state(cid)["status"] == want:
            return True
        time.sleep(0.05)
    return False


def test_run_exit_code_and_output(rt, bundle):
    set_args(bundle, ["/bin/sh", "-c", "echo out; echo err >&2; exit 3"])
    p = rt("run", "--bundle", bundle, "c1")
    assert p.returncode == 3
    assert p.stdout == "out\n" and p.stderr == "err\n"
    assert json.loads(rt("list", "--format", "json").stdout) == []


def test_lifecycle(rt, bundle, tmp_path):
    set_args(bundle, ["/bin/sh", "-c", "trap 'echo term; exit 7' TERM; echo up; "
                      "while true; do sleep 0.1; done"])
    out = open(tmp_path / "out", "w")
    pidfile = tmp_path / "pid"
    p = subprocess.run([RUNSC, "--root", rt.root, "create", "--bundle", str(bundle),
                        "--pid-file", str(pidfile), "c2"], stdout=out, stderr=out,
                       stdin=subprocess.DEVNULL, timeout=60)
    assert p.returncode == 0
    st = rt.state("c2")
    assert st["status"] == "created" and st["id"] == "c2" and st["bundle"] == str(bundle)
    pid = int(pidfile.read_text())
    assert st["pid"] == pid
    rt("start", "c2", check=True)
    assert rt.state("c2")["status"] == "running"
    p = rt("start", "c2")
    assert p.returncode != 0 and "running" in p.stderr
    end = time.time() + 10  # the trap is set once "up" is printed
    while time.time() < end and "up" not in open(tmp_path / "out").read():
        time.sleep(0.05)
    rt("kill", "c2", "TERM", check=True)
    assert wait_status(rt, "c2", "stopped")
    out.close()
    assert open(tmp_path / "out").read() == "up\nterm\n"
    p = rt("kill", "c2", "KILL")
    assert p.returncode != 0 and "not running" in p.stderr
    p = rt("exec", "c2", "/bin/true")
    assert p.returncode != 0 and "stopped" in p.stderr
    rt("delete", "c2", check=True)
    p = rt("state", "c2")
    assert p.returncode != 0 and "does not exist" in p.stderr


def sandbox_status(pid):
    fields = {}
    for line in open("/proc/%d/status" % pid):
        k, _, v = line.partition(":")
        fields[k] = v.strip()
    return fields


def test_sandbox_is_confined(rt, bundle, tmp_path):
    set_args(bundle, ["/bin/sleep", "30"])
    pidfile = tmp_path / "pid"
    rt("create", "--bundle", bundle, "--pid-file", pidfile, "c3", check=True)
    rt("start", "c3", check=True)
    pid = int(pidfile.read_text())
    f = sandbox_status(pid)
    assert f["Uid"].split() == ["65534"] * 4
    assert f["Gid"].split() == ["65534"] * 4
    assert int(f["CapEff"], 16) == 0 and int(f["CapBnd"], 16) == 0
    assert f["NoNewPrivs"] == "1" and f["Seccomp"] == "2"
    for ns in ("user", "mnt", "pid", "net", "ipc", "uts"):
        assert os.readlink("/proc/%d/ns/%s" % (pid, ns)) != os.readlink("/proc/self/ns/" + ns)
    gofer = rt.state("c3")
    st = json.load(open(os.path.join(rt.root, "c3", "state.json")))
    g = sandbox_status(st["goferPid"])
    assert g["Seccomp"] == "2"
    allowed = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 18)
    assert int(g["CapEff"], 16) & ~allowed == 0
    assert int(g["CapBnd"], 16) & ~allowed == 0
    rt("delete", "--force", "c3", check=True)
    assert not os.path.exists("/proc/%d" % pid) or sandbox_status(pid)["State"].startswith("Z")


def status_of(text):
    return dict(l.split(":", 1) for l in text.splitlines() if ":" in l)


def caps_of(names):
    bits = {"CAP_CHOWN": 0, "CAP_KILL": 5, "CAP_SETUID": 7, "CAP_NET_BIND_SERVICE": 10}
    return sum(1 << bits[n] for n in names)


def test_process_user_and_capabilities(rt, bundle):
    """process.user and process.capabilities become the application's
    credentials after the exec of its program, as under runc: a non-root
    user keeps only its ambient capabilities, root gets its bounding set."""
    sets = ["CAP_KILL", "CAP_NET_BIND_SERVICE", "CAP_SETUID"]
    caps = {k: sets for k in ("bounding", "effective", "permitted", "inheritable")}
    caps["ambient"] = ["CAP_KILL"]
    set_args(bundle, ["/bin/cat", "/proc/self/status"], capabilities=caps,
             user={"uid": 1000, "gid": 1001, "additionalGids": [20, 10]})
    p = rt("run", "--bundle", bundle, "u1")
    assert p.returncode == 0, p.stderr
    f = status_of(p.stdout)
    assert f["Uid"].split() == ["1000"] * 4
    assert f["Gid"].split() == ["1001"] * 4
    assert sorted(f["Groups"].split()) == ["10", "20"]
    assert int(f["CapEff"], 16) == caps_of(["CAP_KILL"])
    assert int(f["CapPrm"], 16) == caps_of(["CAP_KILL"])
    assert int(f["CapAmb"], 16) == caps_of(["CAP_KILL"])
    assert int(f["CapBnd"], 16) == caps_of(sets)

    # Root: the bounding set, whatever the permitted set said ...
    caps = {"bounding": ["CAP_CHOWN", "CAP_SETUID"], "effective": ["CAP_CHOWN"],
            "permitted": ["CAP_CHOWN"], "inheritable": [], "ambient": []}
    set_args(bundle, ["/bin/sh", "-c", "touch /dev/shm/f && chown 1234 /dev/shm/f && "
                      "echo chowned; cat /proc/self/status"],
             capabilities=caps, user={"uid": 0, "gid": 0}, noNewPrivileges=False)
    p = rt("run", "--bundle", bundle, "u2")
    assert p.returncode == 0, p.stderr
    f = status_of(p.stdout)
    assert int(f["CapEff"], 16) == caps_of(["CAP_CHOWN", "CAP_SETUID"])
    assert "chowned" in p.stdout
    # ... unless noNewPrivileges: then the permitted set cannot grow.
    set_args(bundle, ["/bin/cat", "/proc/self/status"], noNewPrivileges=True)
    p = rt("run", "--bundle", bundle, "u3")
    assert p.returncode == 0, p.stderr
    assert int(status_of(p.stdout)["CapEff"], 16) == caps_of(["CAP_CHOWN"])


def test_exec_and_ps(rt, bundle):
    set_args(bundle, ["/bin/sleep", "30"])
    rt("create", "--bundle", bundle, "c4", check=True)
    rt("start", "c4", check=True)
    p = rt("exec", "c4", "/bin/sh", "-c", "echo in; exit 4")
    assert p.returncode == 4 and p.stdout == "in\n"
    p = rt("exec", "--cwd", "/etc", "--env", "X=y", "c4", "/bin/sh", "-c", "echo $PWD $X")
    assert p.stdout == "/etc y\n", p.stderr
    ps = rt("ps", "c4", check=True).stdout
    assert "sleep 30" in ps
    # As runc: host pids (those running the container: the sandbox's).
    pids = json.loads(rt("ps", "--format", "json", "c4", check=True).stdout)
    assert rt.state("c4")["pid"] in pids
    rt("delete", "--force", "c4", check=True)


def test_pause_resume(rt, bundle):
    set_args(bundle, ["/bin/sleep", "30"])
    rt("create", "--bundle", bundle, "c5", check=True)
    rt("start", "c5", check=True)
    rt("pause", "c5", check=True)
    assert rt.state("c5")["status"] == "paused"
    rt("resume", "c5", check=True)
    assert rt.state("c5")["status"] == "running"
    rt("delete", "--force", "c5", check=True)


def test_hooks_get_state(rt, bundle, tmp_path):
    c = set_args(bundle, ["/bin/true"])
    log = tmp_path / "hooks"
    log.mkdir()
    hook = {"path": "/bin/sh", "args": ["sh", "-c", "cat > %s/$(date +%%s%%N)" % log]}
    c["hooks"] = {"prestart": [hook], "poststop": [hook]}
    json.dump(c, open(bundle / "config.json", "w"))
    rt("run", "--bundle", bundle, "c6")
    states = [json.load(open(log / n)) for n in sorted(os.listdir(log))]
    assert [s["id"] for s in states] == ["c6", "c6"]
    assert states[0]["status"] == "created" and states[1]["status"] == "stopped"


def test_terminal_through_console_socket(rt, bundle, tmp_path):
    set_args(bundle, ["/bin/sh", "-c", "trap 'echo got-int; exit 0' INT; test -t 0 && "
                      "echo is-a-tty; stty size; while true; do sleep 0.1; done"],
             terminal=True, consoleSize={"height": 30, "width": 100})
    sock_path = str(tmp_path / "console.sock")
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(sock_path)
    srv.listen(1)
    p = subprocess.Popen([RUNSC, "--root", rt.root, "create", "--bundle", str(bundle),
                          "--console-socket", sock_path, "c7"], stdin=subprocess.DEVNULL)
    conn, _ = srv.accept()
    msg, fds, _, _ = socket.recv_fds(conn, 1024, 1)
    assert p.wait(timeout=60) == 0
    master = fds[0]
    rt("start", "c7", check=True)
    out = b""
    end = time.time() + 10
    while time.time() < end and b"100" not in out:
        try:
            chunk = os.read(master, 1024)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    assert b"is-a-tty" in out and b"30 100" in out, out
    os.write(master, b"\x03")  # ^C reaches the application
    end = time.time() + 10
    while time.time() < end and b"got-int" not in out:
        r = os.read(master, 1024)
        if not r:
            break
        out += r
    assert b"got-int" in out, out
    os.close(master)


BAD = [
    ("missing bundle", lambda b: shutil.rmtree(b), "no such file"),
    ("bad json", lambda b: open(b / "config.json", "w").write("{bad"), "line 1"),
    ("empty args", lambda b: set_args(b, []), "process.args"),
]


@pytest.mark.parametrize("name,breaker,msg", BAD, ids=[x[0] for x in BAD])
def test_bad_bundles_leave_nothing(rt, bundle, name, breaker, msg):
    breaker(bundle)
    p = rt("create", "--bundle", bundle, "bad")
    assert p.returncode != 0
    assert msg in p.stderr.lower(), p.stderr
    assert not os.path.exists(os.path.join(rt.root, "bad"))
    assert json.loads(rt("list", "--format", "json").stdout) == []


def test_duplicate_and_unknown_ids(rt, bundle):
    set_args(bundle, ["/bin/sleep", "30"])
    rt("create", "--bundle", bundle, "dup", check=True)
    p = rt("create", "--bundle", bundle, "dup")
    assert p.returncode != 0 and "already exists" in p.stderr
    for cmd in (["start"], ["kill"], ["delete"], ["exec"], ["ps"], ["pause"]):
        args = cmd + ["nosuch"] + (["/bin/true"] if cmd == ["exec"] else [])
        p = rt(*args)
        assert p.returncode != 0 and 'container "nosuch" does not exist' in p.stderr, (cmd, p)
    p = rt("delete", "dup")
    assert p.returncode != 0 and "not stopped" in p.stderr
    assert rt("delete", "--force", "nosuch").returncode == 0  # as runc
    rt("delete", "--force", "dup", check=True)


def test_features(rt):
    f = json.loads(rt("features", check=True).stdout)
    assert f["ociVersionMin"].startswith("1.") and "linux" in f


def test_rootless_as_an_unprivileged_user():
    """euid != 0: rootless (the sandbox maps to the caller; no cgroups)."""
    import tempfile
    if not shutil.which("setpriv"):
        pytest.skip("setpriv (util-linux) is not installed")
    d = tempfile.mkdtemp(prefix="runsc-rootless-")
    try:
        make_rootless_bundle(d, ["/bin/sh", "-c", "echo rootless $(id -u); exit 5"])
        p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                            RUNSC, "--root", os.path.join(d, "state"), "run", "--bundle", d,
                            "rl"], capture_output=True, text=True, timeout=60,
                           stdin=subprocess.DEVNULL)
        assert p.returncode == 5, p.stderr
        assert p.stdout == "rootless 0\n"
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_runsc_not_executable_by_nobody(rt, bundle, tmp_path):
    """The sandbox runs as uid 65534: create says so when it cannot exec runsc."""
    d = tmp_path / "private"
    d.mkdir(mode=0o700)
    exe = d / "runsc"
    shutil.copy2(os.path.realpath(RUNSC), exe)
    set_args(bundle, ["/bin/true"])
    p = subprocess.run([str(exe), "--root", rt.root, "create", "--bundle", str(bundle), "nx"],
                       capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode != 0
    assert "65534" in p.stderr and "chmod o+x" in p.stderr, p.stderr
    assert not os.path.exists(os.path.join(rt.root, "nx"))

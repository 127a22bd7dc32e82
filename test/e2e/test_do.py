"""runsc do: static programs in the sentry on the ptrace platform (issue 3)."""
import hashlib
import os
import subprocess
import time

import pytest

from conftest import RUNSC, build_busybox_rootfs, compile_static

PROGS = os.path.join(os.path.dirname(__file__), "progs")


def do(*args, rootfs=None, input=None, timeout=120, extra=()):
    argv = [RUNSC] + list(extra) + ["do"]
    if rootfs:
        argv += ["--rootfs", rootfs]
    argv += ["--"] + [str(a) for a in args]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          input=input, stdin=None if input is not None else subprocess.DEVNULL)


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    d = tmp_path_factory.mktemp("progs")
    out = {}
    for name in ("hello", "bigmap", "enosys"):
        out[name] = compile_static(os.path.join(PROGS, name + ".c"), str(d / name))
    return out


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("bb") / "rootfs")
    build_busybox_rootfs(root)
    # The symlink escapes of the acceptance check.
    os.symlink("/", os.path.join(root, "evil"))
    os.symlink("../../../..", os.path.join(root, "evil2"))
    with open(os.path.join(root, "big"), "wb") as f:
        f.write(os.urandom(10 << 20))
    with open(os.path.join(root, "etc", "words"), "w") as f:
        f.write("pear\napple\nfig\nbanana\napple\n")
    return root


def test_static_glibc_hello(progs):
    p = do(progs["hello"], "glibc")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hello from glibc\n"


def test_static_musl_hello(tmp_path):
    exe = compile_static(os.path.join(PROGS, "hello.c"), str(tmp_path / "hello-musl"),
                         compiler="musl-gcc")
    p = do(exe, "musl")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hello from musl\n"


def test_exit_status(progs):
    p = do(progs["hello"], "x", "7")
    assert p.stdout == "hello from x\n"
    assert p.returncode == 7


def test_missing_program():
    p = do("/bin/nosuch")
    assert p.returncode != 0
    assert "runsc: exec /bin/nosuch: no such file or directory" in p.stderr


def test_not_elf(tmp_path):
    f = tmp_path / "text"
    f.write_text("just text\n")
    f.chmod(0o755)
    p = do(str(f))
    assert p.returncode != 0
    assert "exec format error" in p.stderr


def test_bad_elf(tmp_path, progs):
    data = bytearray(open(progs["hello"], "rb").read())
    data[18] = 0x28  # e_machine = ARM
    f = tmp_path / "arm"
    f.write_bytes(bytes(data))
    f.chmod(0o755)
    p = do(str(f))
    assert p.returncode != 0
    assert "exec format error" in p.stderr


def test_bad_rootfs():
    p = do("/bin/true", rootfs="/nonexistent")
    assert p.returncode != 0
    assert "/nonexistent" in p.stderr


@pytest.mark.parametrize("arg,msg", [
    ("tmp", "--tmpfs must be an absolute path"),
    ("/", "--tmpfs cannot be the root directory"),
    ("//", "--tmpfs cannot be the root directory"),
])
def test_bad_tmpfs(arg, msg):
    p = subprocess.run([RUNSC, "do", "--tmpfs", arg, "/bin/true"], capture_output=True,
                       text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert p.returncode == 1
    assert msg in p.stderr


BUSYBOX_CASES = [
    (["echo", "hello", "world"], None),
    (["cat", "/etc/passwd"], None),
    (["wc", "/etc/words"], None),
    (["head", "-n", "2", "/etc/words"], None),
    (["sort", "/etc/words"], None),
    (["true"], None),
    (["false"], None),
    (["ls", "-la", "/"], None),
    (["uname", "-s", "-m"], None),
]


@pytest.mark.parametrize("argv,_", BUSYBOX_CASES, ids=[" ".join(c[0]) for c in BUSYBOX_CASES])
def test_busybox_matches_host(rootfs, argv, _):
    """The same applet with the same rootfs, natively (chroot) and in the sandbox."""
    native = subprocess.run(["chroot", rootfs] + ["/bin/" + argv[0]] + argv[1:],
                            capture_output=True, text=True)
    p = do("/bin/" + argv[0], *argv[1:], rootfs=rootfs)
    assert p.returncode == native.returncode, p.stderr
    if argv[0] == "ls":
        # Timestamps and link counts can differ in formatting only; names and modes match.
        # /dev, /proc and /sys are the sandbox's own filesystems, not the rootfs's dirs.
        def names(out):
            return sorted((l.split()[0], l.split()[-1]) for l in out.splitlines()[1:]
                          if l and l.split()[-1] not in ("dev", "proc", "sys"))
        assert names(p.stdout) == names(native.stdout)
    else:
        assert p.stdout == native.stdout


def test_busybox_uname_date_env(rootfs):
    p = do("/bin/uname", "-a", rootfs=rootfs)
    assert p.returncode == 0 and p.stdout.startswith("Linux ") and "x86_64" in p.stdout
    before = int(time.time())
    p = do("/bin/date", "+%s", rootfs=rootfs)
    assert p.returncode == 0, p.stderr
    assert abs(int(p.stdout) - before) < 30
    p = subprocess.run([RUNSC, "do", "--rootfs", rootfs, "--env", "FOO=bar", "--", "/bin/env"],
                       capture_output=True, text=True, env={"PATH": "/bin", "KEEP": "1"},
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    env = dict(l.split("=", 1) for l in p.stdout.splitlines())
    assert env["FOO"] == "bar" and env["KEEP"] == "1"


def test_sha256_of_10mib(rootfs):
    want = hashlib.sha256(open(os.path.join(rootfs, "big"), "rb").read()).hexdigest()
    p = do("/bin/sha256sum", "/big", rootfs=rootfs)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split()[0] == want


def test_symlinks_cannot_escape(rootfs):
    for link in ("/evil/etc/hostname", "/evil2/etc/hostname"):
        p = do("/bin/cat", link, rootfs=rootfs)
        assert p.returncode == 0, p.stderr
        assert p.stdout == "busybox-rootfs\n", link


def test_dev_is_the_sandboxs(rootfs):
    p = do("/bin/ls", "/dev", rootfs=rootfs)
    assert p.returncode == 0, p.stderr
    names = p.stdout.split()
    for n in ("null", "zero", "full", "random", "urandom", "tty"):
        assert n in names
    p = do("/bin/sh", "-c", "echo gone > /dev/null; head -c 4 /dev/zero | wc -c", rootfs=rootfs)
    # sh needs fork (issue 4); dd-free check through head only when sh works.
    if p.returncode == 0:
        assert p.stdout.strip() == "4"


def memfile_blocks(pid):
    """Allocated bytes of the sentry's MemoryFile, found among its fds."""
    for fd in os.listdir("/proc/%d/fd" % pid):
        path = "/proc/%d/fd/%s" % (pid, fd)
        try:
            if "runsc-memory" in os.readlink(path):
                return os.stat(path).st_blocks * 512
        except OSError:
            continue
    raise AssertionError("no MemoryFile among the sandbox's fds")


def find_sandbox(parent):
    for _ in range(200):
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = open("/proc/%s/stat" % pid).read()
                cmd = open("/proc/%s/cmdline" % pid, "rb").read().split(b"\0")
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            if ppid == parent and cmd[0] == b"runsc-sandbox":
                return int(pid)
        time.sleep(0.05)
    raise AssertionError("sandbox process not found")


def test_1gib_map_touch_one_page(progs):
    p = subprocess.Popen([RUNSC, "do", "--", progs["bigmap"]], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "before\n"
        sandbox = find_sandbox(p.pid)
        before = memfile_blocks(sandbox)
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.stdout.readline() == "after\n"
        after = memfile_blocks(sandbox)
        assert after - before < (1 << 20), (before, after)
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_enosys_logged_once(progs, tmp_path):
    log = tmp_path / "log"
    p = do(progs["enosys"], extra=["--log", str(log)])
    assert p.returncode == 0, p.stderr
    assert p.stdout == "io_setup -> -1 errno 38\n" * 2
    lines = [l for l in log.read_text().splitlines() if "io_setup" in l]
    assert len(lines) == 1, lines
    assert "unsupported syscall io_setup" in lines[0]


def test_help_syscalls_table(runsc):
    p = runsc.run("help", "syscalls", root=False, check=True)
    rows = {l.split()[1]: l.split()[2] for l in p.stdout.splitlines()[1:]
            if l and l[0].isdigit()}
    assert rows["read"] == "SUPPORTED"
    assert rows["io_setup"] == "ENOSYS"
    assert rows["rseq"] == "ENOSYS"
    assert rows["mremap"] == "PARTIAL"


def test_killed_runsc_do_leaves_nothing(progs):
    """Killing runsc do takes the sandbox, its stubs and the gofer with it."""
    p = subprocess.Popen([RUNSC, "do", "--", progs["bigmap"]], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert p.stdout.readline() == "before\n"
    sandbox = find_sandbox(p.pid)
    p.kill()
    p.wait()
    for _ in range(100):
        if not os.path.exists("/proc/%d" % sandbox):
            break
        try:
            if open("/proc/%d/stat" % sandbox).read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        except OSError:
            break
        time.sleep(0.05)
    else:
        raise AssertionError("sandbox %d outlived runsc do" % sandbox)

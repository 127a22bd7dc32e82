"""The sandbox process and the gofer run confined (issue 5): read from the host's /proc
while a program sleeps in the sandbox. That the filters bite (a forbidden syscall kills)
is shown by test/unit/seccomp, with the same functions the runtime calls."""
import os
import subprocess
import time

import pytest

from conftest import RUNSC

# What the gofer keeps: CHOWN, DAC_OVERRIDE, DAC_READ_SEARCH, FOWNER, FSETID, SYS_CHROOT.
GOFER_CAPS = (1 << 0) | (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 18)


def status(path):
    out = {}
    with open(path) as f:
        for line in f:
            k, _, v = line.partition(":")
            out[k] = v.strip()
    return out


def children(pid):
    out = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            if int(status("/proc/%s/status" % d).get("PPid", "0")) == pid:
                out.append(int(d))
        except (OSError, ValueError):
            pass
    return out


def argv0(pid):
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            return f.read().split(b"\0")[0].decode()
    except OSError:
        return ""


def threads(pid):
    """The status of every thread of pid."""
    d = "/proc/%d/task" % pid
    return {int(t): status(os.path.join(d, t, "status")) for t in os.listdir(d)}


@pytest.fixture
def sleeping():
    """runsc do -- sleep: yields (sandbox pid, gofer pid) while the program sleeps."""
    p = subprocess.Popen([RUNSC, "do", "--", "/bin/sleep", "30"], stdin=subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        sandbox = gofer = None
        deadline = time.time() + 20
        while time.time() < deadline and not (sandbox and gofer):
            for c in children(p.pid):
                if argv0(c) == "runsc-sandbox":
                    sandbox = c
                elif argv0(c) == "runsc-gofer":
                    gofer = c
            time.sleep(0.05)
        assert sandbox and gofer, "no runsc-sandbox / runsc-gofer child of runsc do"
        # The program runs once the sandbox has a stub process (its address space).
        deadline = time.time() + 20
        while time.time() < deadline and not children(sandbox):
            time.sleep(0.05)
        time.sleep(0.2)
        assert p.poll() is None, p.communicate()
        yield sandbox, gofer
    finally:
        p.kill()
        p.wait()


def test_gofer_is_confined(sleeping):
    _, gofer = sleeping
    root = os.geteuid() == 0
    for tid, st in threads(gofer).items():
        assert st["Seccomp"] == "2", (tid, st["Seccomp"])
        assert st["NoNewPrivs"] == "1", tid
        assert int(st["CapAmb"], 16) == 0, tid
        assert int(st["CapInh"], 16) == 0, tid
        eff = int(st["CapEff"], 16)
        assert eff & ~GOFER_CAPS == 0, (tid, hex(eff))
        if root:
            assert eff == GOFER_CAPS, (tid, hex(eff))
            assert int(st["CapBnd"], 16) == GOFER_CAPS, (tid, st["CapBnd"])


def check_no_caps(pid):
    for tid, st in threads(pid).items():
        who = "%s %d/%d" % (argv0(pid) or "stub", pid, tid)
        assert st["Seccomp"] == "2", (who, st["Seccomp"])
        assert st["NoNewPrivs"] == "1", who
        for k in ("CapEff", "CapPrm", "CapInh", "CapAmb", "CapBnd"):
            assert int(st[k], 16) == 0, (who, k, st[k])


def test_sandbox_is_confined(sleeping):
    sandbox, _ = sleeping
    check_no_caps(sandbox)  # every thread of the sentry


def test_sandbox_stubs_are_confined(sleeping):
    sandbox, _ = sleeping
    stubs = children(sandbox)
    assert stubs
    for pid in stubs:
        check_no_caps(pid)

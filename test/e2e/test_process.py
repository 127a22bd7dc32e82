"""Processes, threads and signals in the sandbox (issue 4): busybox sh runs
real scripts; pthreads; copy-on-write fork; fault signals; idle threads."""
import os
import subprocess
import time

import pytest

from conftest import RUNSC, build_busybox_rootfs, compile_static
from test_do import find_sandbox, memfile_blocks

PROGS = os.path.join(os.path.dirname(__file__), "progs")


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    root = str(tmp_path_factory.mktemp("bbp") / "rootfs")
    return build_busybox_rootfs(root)


def sh(rootfs, script, timeout=120, native=False):
    if native:
        argv = ["chroot", rootfs, "/bin/sh", "-c", script]
    else:
        argv = [RUNSC, "do", "--rootfs", rootfs, "--", "/bin/sh", "-c", script]
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


SCRIPTS = [
    ("pipeline", "seq 1 100000 | sort -rn | head -1", "100000\n", 0),
    ("subshell", "(echo in; exit 4); echo out $?", "in\nout 4\n", 0),
    ("command substitution", "x=$(echo a $(echo b)); echo \"$x\"", "a b\n", 0),
    ("here-document", "cat <<EOF\nline one\n$((1+2))\nEOF", "line one\n3\n", 0),
    ("trap", "trap 'echo got' USR1; kill -USR1 $$; echo after", "got\nafter\n", 0),
    ("kill -9", "sh -c 'kill -9 $$'; echo status $?", "status 137\n", 0),
    ("exit status", "sh -c 'exit 3'", "", 3),
    ("fork+exec loop", "i=0; while [ $i -lt 200 ]; do /bin/true; i=$((i+1)); done; echo $i",
     "200\n", 0),
    ("wait status", "sleep 0 & wait $!; echo $?; false & wait $!; echo $?", "0\n1\n", 0),
    ("background kill", "sleep 10 & kill $!; wait $!; echo $?", "143\n", 0),
]


@pytest.mark.parametrize("name,script,out,code", SCRIPTS, ids=[s[0] for s in SCRIPTS])
def test_busybox_sh(rootfs, name, script, out, code):
    native = sh(rootfs, script, native=True)
    assert (native.stdout, native.returncode) == (out, code), "wrong test: " + native.stderr
    p = sh(rootfs, script)
    assert p.stdout == out, p.stderr
    assert p.returncode == code, p.stderr


def test_parallel_sleeps_take_one_second(rootfs):
    start = time.monotonic()
    p = sh(rootfs, "sleep 1 & sleep 1 & wait; echo done")
    took = time.monotonic() - start
    assert p.stdout == "done\n", p.stderr
    assert 0.9 < took < 2.5, took


def test_ps_lists_shell_and_children(rootfs):
    p = sh(rootfs, "sleep 5 & sleep 5 & ps; kill %1 %2 2>/dev/null; kill $(jobs -p) 2>/dev/null; true")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert lines and lines[0].split()[0] == "PID"
    cmds = [l.split(None, 2)[2] if len(l.split()) > 2 else "" for l in lines[1:]]
    assert any(c.startswith("/bin/sh") or c.startswith("sh") for c in cmds), p.stdout
    # busybox shows "{comm} args" when comm differs from argv[0] (an applet
    # re-exec'ed through /proc/self/exe is "{exe} sleep 5").
    assert sum(1 for c in cmds if c.endswith("sleep 5")) == 2, p.stdout
    assert any(c.startswith("ps") or c.startswith("{ps}") for c in cmds), p.stdout


@pytest.fixture(scope="module")
def progs(tmp_path_factory):
    d = tmp_path_factory.mktemp("pprogs")
    out = {}
    for name in ("threads", "cowfork", "segv", "sleepers", "abort"):
        out[name] = compile_static(os.path.join(PROGS, name + ".c"), str(d / name),
                                   extra=["-pthread"])
    return out


def run(prog, *args, input=None, timeout=120):
    return subprocess.run([RUNSC, "do", "--", prog] + list(args), capture_output=True,
                          text=True, timeout=timeout, input=input,
                          stdin=None if input is not None else subprocess.DEVNULL)


def test_pthreads_exact_totals(progs):
    native = subprocess.run([progs["threads"]], capture_output=True, text=True)
    assert native.returncode == 0
    p = run(progs["threads"])
    assert p.returncode == 0, p.stderr
    assert p.stdout == "counter 800000 pings 4000 joined 10\n"


def test_segv_handler_sees_fault_address(progs):
    assert subprocess.run([progs["segv"]]).returncode == 0
    p = run(progs["segv"])
    assert p.returncode == 0, p.stdout + p.stderr
    assert p.stdout == "si_addr ok, si_code ok\n"


def test_fork_is_copy_on_write(progs):
    p = subprocess.Popen([RUNSC, "do", "--", progs["cowfork"]], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "forked\n"
        sandbox = find_sandbox(p.pid)
        # Let the parent's writes settle: 512 MiB are resident before the fork.
        after_fork = memfile_blocks(sandbox)
        assert after_fork >= 500 << 20
        time.sleep(0.2)
        still = memfile_blocks(sandbox)
        assert still - after_fork < (10 << 20)
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.stdout.readline() == "written\n"
        written = memfile_blocks(sandbox)
        assert written - after_fork > (400 << 20), (after_fork, written)
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def descendants(pid):
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                stat = open("/proc/%s/stat" % d).read()
            except OSError:
                continue
            kids.setdefault(int(stat.rsplit(")", 1)[1].split()[1]), []).append(int(d))
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        try:
            for tid in os.listdir("/proc/%d/task" % pid):
                f = open("/proc/%d/task/%s/stat" % (pid, tid)).read().rsplit(")", 1)[1].split()
                total += int(f[11]) + int(f[12])
        except OSError:
            pass
    return total


def test_sleeping_threads_use_no_cpu(progs):
    p = subprocess.Popen([RUNSC, "do", "--", progs["sleepers"]], stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline() == "ready\n"
        time.sleep(0.5)
        pids = descendants(p.pid)
        before = cpu_ticks(pids)
        time.sleep(2.0)
        used = cpu_ticks(descendants(p.pid)) - before
        hz = os.sysconf("SC_CLK_TCK")
        assert used / hz / 2.0 < 0.05, "%d ticks in 2 s" % used
        p.stdin.write("\n")
        p.stdin.flush()
        assert p.stdout.readline() == "joined\n"
        assert p.wait(timeout=60) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_abort_as_pid1_matches_linux(progs):
    native = subprocess.run(["unshare", "-fp", "--mount-proc", progs["abort"]],
                            capture_output=True, text=True, timeout=60)
    p = run(progs["abort"], timeout=60)
    assert p.stdout == "aborting\n"
    assert p.returncode == 128 + 11 and native.returncode in (128 + 11, -11), (p, native)

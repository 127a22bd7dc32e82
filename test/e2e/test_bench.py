"""The benchmark programs of tools/bench/: each builds (gcc -static), runs
natively with a tiny iteration count and prints its figure(s) in the
machine-readable form "NAME VALUE UNIT". No number is judged: the benchmark
suite reports, it never fails on a figure (make bench runs the real thing)."""
import glob
import os
import re
import subprocess
import sys

import pytest

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BENCH = os.path.join(REPO, "tools", "bench")
FIGURE = re.compile(r"^([A-Za-z0-9_.-]+) ([0-9]+(?:\.[0-9]+)?) ([a-zA-Z]+/[a-zA-Z]+)$")

# program -> (arguments, figure names it must print). {d}: a scratch
# directory, {b}: the build's bin directory.
PROGRAMS = {
    "getppid": (["-n", "1000"], ["getppid"]),
    "open": (["-n", "100", "{d}/small"], ["open_read_close"]),
    "stat": (["-n", "100", "{d}/small"], ["stat"]),
    "fork": (["-n", "5"], ["fork_wait"]),
    "exec": (["-n", "5", "{b}/true"], ["fork_exec"]),
    "mmap": (["-n", "100"], ["mmap_munmap"]),
    "pipe": (["-n", "100"], ["pipe_pingpong"]),
    "pipe-1cpu": (["-n", "100", "1cpu"], ["pipe_pingpong_1cpu"]),
    "touch": (["-n", "4"], ["touch_page"]),
    "fileio": (["-n", "4", "-l", "t", "{d}/file"], ["t_write", "t_read"]),
    "runcmd": (["-n", "2", "-l", "x", "--", "{b}/true"], ["x"]),
}
HELPERS = {"true", "idle"}  # run by the harness, print no figure (tested below)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("bench"))
    p = subprocess.run(["make", "-s", "-C", BENCH, "O=" + out], capture_output=True, text=True,
                       timeout=300)
    assert p.returncode == 0, "building tools/bench failed:\n" + p.stdout + p.stderr
    return os.path.join(out, "bin")


@pytest.fixture
def scratch(tmp_path):
    (tmp_path / "small").write_text("a small file\n")
    return str(tmp_path)


def test_every_program_is_covered():
    progs = {os.path.basename(f)[:-2] for f in glob.glob(os.path.join(BENCH, "*.c"))}
    tested = {name.split("-")[0] for name in PROGRAMS}
    assert progs == tested | HELPERS, "add new tools/bench programs to PROGRAMS"


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_program_prints_figure(built, scratch, name):
    args, figs = PROGRAMS[name]
    argv = [os.path.join(built, name.split("-")[0])]
    argv += [a.format(d=scratch, b=built) for a in args]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=60,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, "%s failed (%d): %s" % (name, p.returncode, p.stderr)
    got = {}
    for line in p.stdout.splitlines():
        if line.startswith("#"):  # annotations (e.g. "#fstype"), not figures
            continue
        m = FIGURE.match(line)
        assert m, "%s printed a line that is not 'NAME VALUE UNIT': %r" % (name, line)
        got[m.group(1)] = float(m.group(2))
    assert sorted(got) == sorted(figs)
    assert all(v >= 0 for v in got.values())


def test_true_and_idle(built, scratch):
    assert subprocess.run([os.path.join(built, "true")]).returncode == 0
    marker = os.path.join(scratch, "ready")
    p = subprocess.run([os.path.join(built, "idle"), "-m", marker, "0.01"], timeout=30)
    assert p.returncode == 0 and open(marker).read() == "ready\n"


def test_time_cap_stops_early(built):
    # -t bounds a run whatever -n says (quick mode relies on it).
    p = subprocess.run([os.path.join(built, "getppid"), "-n", "1e12", "-t", "0.05"],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and FIGURE.match(p.stdout.strip())


def test_harness_parses_its_arguments():
    p = subprocess.run([sys.executable, os.path.join(BENCH, "run"), "--help"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "--full" in p.stdout


def load_harness():
    """tools/bench/run as a module (its main() runs only as a script)."""
    import importlib.machinery
    import importlib.util
    loader = importlib.machinery.SourceFileLoader("bench_run", os.path.join(BENCH, "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def test_runsc_do_tmp_is_a_tmpfs():
    # fileio_tmpfs writes /tmp/bench-fileio.dat: under runsc do, /tmp must be
    # the sentry's tmpfs (--tmpfs /tmp), not the root's directory (the gofer).
    run = load_harness()
    h = type("H", (), {"runsc_version": "test"})()
    peer = run.RunscDo(h, "ptrace")
    argv, _ = peer.wrap("micro", ["/bench/fileio", run.INSIDE["tmpfile"]])
    sep = argv.index("--")
    opts = argv[argv.index("do") + 1:sep]
    assert run.INSIDE["tmpfile"].startswith("/tmp/")
    assert any(opts[i:i + 2] == ["--tmpfs", "/tmp"] for i in range(len(opts))), argv
    assert argv[sep + 1:] == ["/bench/fileio", run.INSIDE["tmpfile"]]

"""The runsc command line: flags, errors, state files (issue 2)."""
import json
import os
import subprocess

from conftest import RUNSC


def test_version(runsc):
    p = runsc.run("--version", root=False, check=True)
    assert p.stdout.startswith("runsc version ")
    assert "spec: 1." in p.stdout


def test_help_lists_commands(runsc):
    p = runsc.run("--help", root=False, check=True)
    for c in ("spec", "list", "state", "do"):
        assert "\n  %s " % c in p.stdout
    assert "boot" not in p.stdout  # internal commands are hidden


def test_help_command(runsc):
    p = runsc.run("help", "list", root=False, check=True)
    assert "--format" in p.stdout
    p = runsc.run("help", "nosuch", root=False)
    assert p.returncode != 0
    assert 'unknown command "nosuch"' in p.stderr


def test_state_unknown_container(runsc):
    p = runsc.run("state", "nosuch")
    assert p.returncode != 0
    assert p.stderr.strip() == 'runsc: container "nosuch" does not exist'
    assert not os.path.exists(os.path.join(runsc.root, "nosuch"))


def test_state_bad_id(runsc):
    p = runsc.run("state", "../etc")
    assert p.returncode != 0
    assert "invalid container id" in p.stderr


def test_list_empty_json(runsc):
    p = runsc.run("list", "--format", "json", check=True)
    assert json.loads(p.stdout) == []


def test_list_table_header(runsc):
    p = runsc.run("list", check=True)
    assert p.stdout.split()[:4] == ["ID", "PID", "STATUS", "BUNDLE"]


def test_list_and_state_read_state_files(runsc):
    # A state file as runsc create writes it: list and state must read it
    # (a dead sandbox pid reads as stopped).
    d = os.path.join(runsc.root, "c1")
    os.makedirs(d)
    state = {"id": "c1", "bundle": "/b", "status": "running", "pid": 999999,
             "sandboxPid": 999999, "created": "2026-01-01T00:00:00.000000000Z",
             "owner": "", "annotations": {"k": "v"}}
    with open(os.path.join(d, "state.json"), "w") as f:
        json.dump(state, f)
    p = runsc.run("list", "--format", "json", check=True)
    lst = json.loads(p.stdout)
    assert [c["id"] for c in lst] == ["c1"]
    assert lst[0]["status"] == "stopped"
    p = runsc.run("state", "c1", check=True)
    st = json.loads(p.stdout)
    assert st["id"] == "c1" and st["status"] == "stopped" and st["bundle"] == "/b"
    assert st["annotations"] == {"k": "v"}
    assert st["ociVersion"].startswith("1.")
    p = runsc.run("list", "-q", check=True)
    assert p.stdout.split() == ["c1"]


def test_corrupt_state_file(runsc):
    d = os.path.join(runsc.root, "bad")
    os.makedirs(d)
    with open(os.path.join(d, "state.json"), "w") as f:
        f.write("{not json")
    p = runsc.run("state", "bad")
    assert p.returncode != 0
    assert "corrupt" in p.stderr and "line 1" in p.stderr


def test_unknown_command(runsc):
    p = runsc.run("frobnicate")
    assert p.returncode != 0
    assert p.stderr.strip() == 'runsc: unknown command "frobnicate" (see runsc --help)'


def test_unknown_global_flag(runsc):
    p = runsc.run("--frob", "list", root=False)
    assert p.returncode != 0
    assert "unknown flag --frob" in p.stderr


def test_unknown_command_flag(runsc):
    p = runsc.run("list", "--frob")
    assert p.returncode != 0
    assert "list: unknown flag --frob" in p.stderr


def test_missing_argument(runsc):
    p = runsc.run("state")
    assert p.returncode != 0
    assert "expected exactly one container id" in p.stderr
    p = runsc.run("--root", root=False)
    assert p.returncode != 0
    assert "needs an argument" in p.stderr


def test_bad_flag_values(runsc):
    for args, msg in ((["--log-format", "xml", "list"], "--log-format"),
                      (["--platform", "vmware", "list"], "--platform"),
                      (["--network", "wifi", "list"], "--network"),
                      (["list", "--format", "yaml"], "--format")):
        p = runsc.run(*args)
        assert p.returncode != 0, args
        assert msg in p.stderr, (args, p.stderr)


def built_platforms():
    """The platforms platform/ implements: one directory each."""
    d = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "platform")
    return sorted(n for n in os.listdir(d) if os.path.isdir(os.path.join(d, n)))


def test_help_lists_real_platforms(runsc):
    # runsc help do (and --help) names the platforms that exist, no others;
    # --platform accepts exactly those.
    real = built_platforms()
    assert "ptrace" in real
    p = runsc.run("help", "do", root=False, check=True)
    lines = [l for l in p.stdout.splitlines() if l.startswith("Platforms:")]
    assert len(lines) == 1, p.stdout
    assert sorted(n.strip() for n in lines[0].split(":", 1)[1].split(",")) == real
    helps = p.stdout + runsc.run("--help", root=False, check=True).stdout
    for name in ("ptrace", "systrap", "kvm"):
        assert (name in helps) == (name in real), name
    for name in ("systrap", "kvm"):
        if name in real:
            continue
        p = runsc.run("--platform", name, "list")
        assert p.returncode != 0
        assert "--platform: must be one of %s" % ",".join(real) in p.stderr, p.stderr
        p = runsc.run("do", "--platform", name, "--", "/bin/true")
        assert p.returncode != 0
        assert "--platform: must be one of" in p.stderr, p.stderr


def test_gvisor_style_single_dash_flags(runsc):
    p = subprocess.run([RUNSC, "-root=" + runsc.root, "list", "-format=json"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert json.loads(p.stdout) == []


def test_log_json_format(runsc, tmpdir_path):
    log = os.path.join(tmpdir_path, "log.json")
    p = runsc.run("--log", log, "--log-format", "json", "state", "nosuch")
    assert p.returncode != 0
    lines = open(log).read().splitlines()
    assert lines, "nothing logged"
    rec = json.loads(lines[-1])
    assert rec["level"] == "error"
    assert rec["msg"] == 'container "nosuch" does not exist'
    assert rec["time"].endswith("Z")


def test_debug_log_directory(runsc, tmpdir_path):
    d = os.path.join(tmpdir_path, "logs") + "/"
    os.makedirs(d)
    runsc.run("--debug", "--debug-log", d, "list", check=True)
    names = os.listdir(d)
    assert len(names) == 1 and names[0].endswith(".list.log")
    assert "command list" in open(os.path.join(d, names[0])).read()


def test_accepted_compat_flags(runsc):
    p = runsc.run("--systemd-cgroup", "--rootless=false", "list", "--format", "json")
    assert p.returncode == 0, p.stderr

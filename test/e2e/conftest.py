"""Shared fixtures for the end-to-end tests: they drive bin/runsc as a user
would. RUNSC (environment) overrides the binary under test."""
import os
import shutil
import subprocess
import tempfile

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

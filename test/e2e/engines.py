"""Real container engines for the end-to-end tests (issue 5, "Real engines").

Each engine runs from Debian's packages in a private directory under /tmp and is
stopped again with nothing left behind: its processes (the daemon, the
containerd it starts, shims, conmon and the containers under them) are killed,
the mounts it made under its directory are unmounted, the cgroups it created
are removed, and the directory is deleted. A pytest run that was killed before
its finalizers ran leaves a directory whose owner pid is dead; the next run
reaps it (reap_stale).

  Docker      dockerd --data-root/--exec-root/-H unix://DIR/docker.sock, its own
              managed containerd, --iptables=false --bridge=none, one
              --add-runtime NAME=PATH per runtime under test.
  Containerd  containerd --config DIR/config.toml (root, state and socket in
              DIR, CRI disabled); `ctr --address DIR/containerd.sock`.
  Podman      no daemon: podman --root/--runroot/--tmpdir in DIR,
              CONTAINERS_CONF=DIR/containers.conf (nofile/nproc ulimits,
              cgroupfs, file events, no network), --runtime PATH per call.

Every runtime an engine is given is registered through a small sh wrapper that
appends its argv (one tab-separated line per call: CALL, wrapper pid, the
caller's comm, argv...) to a log and then execs the real binary, so the engine
calls the runtime exactly as it would directly. The log is DIR/runtime-argv.log,
or the file named by E2E_RUNTIME_LOG (kept after the run). E2E_RUNTIME_WRAPPER=0
registers the binaries themselves instead. E2E_RUNTIME_SPECS=DIR also keeps a
copy of every config.json (create) and process JSON (exec) the runtime is given.

    E2E_RUNTIME_LOG=/tmp/argv.log python3 -m pytest test/e2e/test_engines.py
    python3 test/e2e/engines.py summary /tmp/argv.log
"""
import ctypes
import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time

RUNC = shutil.which("runc") or "/usr/sbin/runc"
# Debian's client matches Debian's daemon (another client may sit earlier in PATH).
DOCKER = "/usr/bin/docker" if os.path.exists("/usr/bin/docker") else shutil.which("docker")
DOCKERD = shutil.which("dockerd") or "/usr/sbin/dockerd"
CONTAINERD = shutil.which("containerd") or "/usr/bin/containerd"
CTR = shutil.which("ctr") or "/usr/bin/ctr"
PODMAN = shutil.which("podman") or "/usr/bin/podman"

IMAGE = "busybox-e2e:latest"                       # docker import
PODMAN_IMAGE = "localhost/busybox-e2e:latest"      # podman import
CTR_IMAGE = "docker.io/library/busybox-e2e:latest"  # ctr image import

DIR_PREFIX = "e2e-eng-"
OWNER_FILE = "owner.pid"
CGROUP_ROOT = "/sys/fs/cgroup"
# Directories the engines create outside their own directory whatever they are
# told; removed after a stop only if they did not exist before and are empty.
GLOBAL_DIRS = ("/run/containerd", "/run/docker", "/run/libpod", "/run/runc", "/run/runsc",
               "/run/netns")

MNT_DETACH = 2
_libc = ctypes.CDLL(None, use_errno=True)


class EngineUnavailable(Exception):
    """The engine cannot start at all on this machine (tests skip)."""


# ---------------------------------------------------------------- processes

def _proc_table():
    """pid -> (ppid, cmdline joined by spaces) for every live process."""
    table = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                stat = f.read()
            with open("/proc/%s/cmdline" % d, "rb") as f:
                cmd = f.read().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        table[int(d)] = (ppid, cmd)
    return table


def pids_owned_by(directory, roots=()):
    """The processes that name DIRECTORY on their command line (daemons,
    containerd, shims, conmon) or are in ROOTS, and all their descendants."""
    table = _proc_table()
    me = os.getpid()
    named = re.compile(re.escape(directory.rstrip("/")) + r"(/|\s|$)")
    owned = {p for p, (_, cmd) in table.items() if named.search(cmd) and p != me}
    owned |= {p for p in roots if p in table}
    grew = True
    while grew:
        grew = False
        for p, (pp, _) in table.items():
            if pp in owned and p not in owned and p != me:
                owned.add(p)
                grew = True
    return owned


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie is not alive for our purposes.
    try:
        with open("/proc/%d/stat" % pid) as f:
            s = f.read()
        return s[s.rindex(")") + 2] != "Z"
    except OSError:
        return False


def kill_owned(directory, roots=()):
    """SIGKILL every process (and its process group) that belongs to DIRECTORY."""
    for _ in range(5):
        pids = [p for p in pids_owned_by(directory, roots) if _alive(p)]
        if not pids:
            return
        for p in pids:
            try:
                # Daemons, shims and conmon lead their own process groups.
                if os.getpgid(p) == p and p != os.getpgrp():
                    os.killpg(p, signal.SIGKILL)
            except OSError:
                pass
            try:
                os.kill(p, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.2)


def wait_gone(pid, timeout):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if not _alive(pid):
            return True
        time.sleep(0.05)
    return not _alive(pid)


# ---------------------------------------------------------------- mounts, cgroups

def _unescape(path):
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), path)


def mounts_under(directory):
    out = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            mp = _unescape(line.split()[4])
            if mp == directory or mp.startswith(directory.rstrip("/") + "/"):
                out.append(mp)
    return out


def unmount_under(directory):
    """Detach every mount at or below DIRECTORY, deepest first (stacked too)."""
    for _ in range(20):
        mps = mounts_under(directory)
        if not mps:
            return
        for mp in sorted(set(mps), key=len, reverse=True):
            _libc.umount2(mp.encode(), MNT_DETACH)


def cgroup_hierarchies():
    return [d for d in glob.glob(os.path.join(CGROUP_ROOT, "*")) if os.path.isdir(d)
            and os.path.exists(os.path.join(d, "cgroup.procs"))]


def top_cgroups():
    """{hierarchy: set of top-level cgroup names}."""
    out = {}
    for h in cgroup_hierarchies():
        try:
            out[h] = {e for e in os.listdir(h) if os.path.isdir(os.path.join(h, e))}
        except OSError:
            out[h] = set()
    return out


def remove_cgroup_tree(path):
    """rmdir a cgroup and its children, deepest first; busy ones stay."""
    for dirpath, dirnames, _ in sorted(os.walk(path), key=lambda t: -len(t[0])):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


def remove_new_cgroups(before, names):
    """Remove the top-level cgroups called NAMES that were not there BEFORE."""
    for h, had in top_cgroups().items():
        for n in names:
            if n not in before.get(h, set()) and os.path.isdir(os.path.join(h, n)):
                remove_cgroup_tree(os.path.join(h, n))


def remove_stale_sockets(directory):
    """Unlink the unix sockets in DIRECTORY that nobody listens on any more
    (containerd puts its shims' sockets there whatever its config says)."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for n in names:
        p = os.path.join(directory, n)
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            s.connect(p)
        except ConnectionRefusedError:
            try:
                os.unlink(p)
            except OSError:
                pass
        except OSError:
            pass
        finally:
            s.close()


def remove_empty_tree(path):
    if not os.path.isdir(path) or os.path.ismount(path):
        return
    for dirpath, _, _ in sorted(os.walk(path), key=lambda t: -len(t[0])):
        try:
            os.rmdir(dirpath)
        except OSError:
            pass


# ---------------------------------------------------------------- runtime wrapper

WRAPPER = """#!/bin/sh
# Logs how the engine calls the OCI runtime, then runs it. Made by test/e2e/engines.py.
caller=$(cat /proc/$PPID/comm 2>/dev/null)
line="CALL\t%(tag)s\t$$\t$caller"
for a in "$@"; do line="$line\t$a"; done
printf '%%s\\n' "$line" >>'%(log)s'
%(specs)sexec '%(real)s' "$@"
"""


# With a spec directory: keep a copy of each bundle's config.json and each
# exec's process JSON, named TAG-PID-{spec,process}.json.
WRAPPER_SPECS = """prev=
for a in "$@"; do
  case "$prev" in
  --bundle) cp "$a/config.json" '%(specs)s/%(file)s'-$$-spec.json 2>/dev/null ;;
  --process) cp "$a" '%(specs)s/%(file)s'-$$-process.json 2>/dev/null ;;
  esac
  prev=$a
done
"""


def make_runtime_wrapper(real, path, log, tag, specs=None):
    """Writes an argv-logging wrapper for the runtime binary REAL at PATH; with
    SPECS (a directory), it also keeps the specs the engine hands the runtime."""
    for s in (real, log, tag, specs or ""):
        assert "'" not in s and "\t" not in s and "\n" not in s, s
    copy = ""
    if specs:
        os.makedirs(specs, exist_ok=True)
        copy = WRAPPER_SPECS % {"specs": specs, "file": tag.replace("/", "-")}
    with open(path, "w") as f:
        f.write(WRAPPER % {"real": real, "log": log, "tag": tag, "specs": copy})
    os.chmod(path, 0o755)
    return path


def _wrapped_binary(path):
    """The real runtime behind a wrapper made by make_runtime_wrapper."""
    try:
        with open(path, errors="replace") as f:
            m = re.search(r"^exec '([^']*)' \"\$@\"$", f.read(), re.M)
    except OSError:
        return None
    return m.group(1) if m else None


def read_runtime_log(log, tag=None):
    """[(tag, caller, argv)] from a wrapper log, optionally for one TAG."""
    out = []
    try:
        with open(log, errors="replace") as f:
            for line in f:
                parts = line.rstrip("\n").split("\t")
                if len(parts) < 4 or parts[0] != "CALL":
                    continue
                if tag is None or parts[1] == tag:
                    out.append((parts[1], parts[3], parts[4:]))
    except OSError:
        pass
    return out


# ---------------------------------------------------------------- images

def rootfs_tar(rootfs, out):
    """A tar of the busybox rootfs directory ROOTFS for `docker/podman import`:
    device nodes are left out (the runtime mounts its own /dev)."""
    def keep(ti):
        if ti.ischr() or ti.isblk():
            return None
        ti.uid = ti.gid = 0
        ti.uname = ti.gname = "root"
        return ti
    with tarfile.open(out, "w") as t:
        for e in sorted(os.listdir(rootfs)):
            t.add(os.path.join(rootfs, e), arcname=e, filter=keep)
    return out


def _sha256_file(path):
    import hashlib
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for b in iter(lambda: f.read(1 << 20), b""):
            h.update(b)
    return h.hexdigest()


def oci_archive(layer_tar, out, ref=CTR_IMAGE, workdir=None):
    """An OCI image-layout tar holding LAYER_TAR as its one layer, for
    `ctr image import` when no docker daemon can `docker save` one."""
    import hashlib
    work = tempfile.mkdtemp(prefix="oci-", dir=workdir)
    try:
        blobs = os.path.join(work, "blobs", "sha256")
        os.makedirs(blobs)

        def put(data):
            d = hashlib.sha256(data).hexdigest()
            with open(os.path.join(blobs, d), "wb") as f:
                f.write(data)
            return d, len(data)
        ldigest = _sha256_file(layer_tar)
        shutil.copyfile(layer_tar, os.path.join(blobs, ldigest))
        lsize = os.path.getsize(layer_tar)
        path = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
        config = json.dumps({
            "architecture": "amd64", "os": "linux", "config": {"Env": [path]},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:" + ldigest]},
        }).encode()
        cdigest, csize = put(config)
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json",
                       "digest": "sha256:" + cdigest, "size": csize},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar",
                        "digest": "sha256:" + ldigest, "size": lsize}],
        }).encode()
        mdigest, msize = put(manifest)
        index = {"schemaVersion": 2, "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": "sha256:" + mdigest, "size": msize,
            "annotations": {"io.containerd.image.name": ref,
                            "org.opencontainers.image.ref.name": ref.rsplit(":", 1)[1]}}]}
        with open(os.path.join(work, "index.json"), "w") as f:
            json.dump(index, f)
        with open(os.path.join(work, "oci-layout"), "w") as f:
            json.dump({"imageLayoutVersion": "1.0.0"}, f)
        with tarfile.open(out, "w") as t:
            for e in ("oci-layout", "index.json", "blobs"):
                t.add(os.path.join(work, e), arcname=e)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return out


# ---------------------------------------------------------------- engines

LOG_PATH_FILE = "runtime-log.path"


def delete_leftover_state(directory):
    """`RUNTIME [--root R] delete --force ID` for every container that the
    wrapper log says an engine in DIRECTORY created: once the processes are
    gone, that removes what a killed container left in the runtime's state
    directory (which may be outside DIRECTORY) and its cgroups."""
    reals = {}
    for w in glob.glob(os.path.join(directory, "rt-*")):
        reals[os.path.basename(w)[3:]] = _wrapped_binary(w)
    try:
        with open(os.path.join(directory, LOG_PATH_FILE)) as f:
            log = f.read().strip()
    except OSError:
        return
    for tag, _, argv in read_runtime_log(log):
        real = reals.get(tag.split("/")[-1])
        if not real or "create" not in argv:
            continue
        if not any(a.startswith(directory + "/") for a in argv):
            continue  # another engine's, sharing E2E_RUNTIME_LOG
        i = argv.index("create")
        root = argv[argv.index("--root") + 1] if "--root" in argv[:i] else None
        cmd = [real] + (["--root", root] if root else []) + ["delete", "--force", argv[-1]]
        try:
            subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, timeout=20)
        except (OSError, subprocess.SubprocessError):
            pass


def cleanup_dir(directory, roots=(), cgroup_names=(), cgroups_before=None,
                globals_before=None, keep=False):
    """Leaves nothing of an engine that ran in DIRECTORY: kills its processes
    (and process groups), deletes its containers' runtime state, unmounts what
    it mounted there, removes the top-level cgroups CGROUP_NAMES it created
    (all of them if CGROUPS_BEFORE is None, busy ones stay), the global
    directories it made (GLOBAL_DIRS not in GLOBAL_BEFORE, if empty), and the
    directory itself unless KEEP."""
    kill_owned(directory, roots)
    delete_leftover_state(directory)
    unmount_under(directory)
    remove_new_cgroups(cgroups_before or {}, cgroup_names)
    remove_stale_sockets("/run/containerd/s")
    for d in GLOBAL_DIRS:
        if globals_before is None or d not in globals_before:
            if globals_before is not None and os.path.ismount(d):
                _libc.umount2(d.encode(), MNT_DETACH)
            remove_empty_tree(d)
    if not keep:
        shutil.rmtree(directory, ignore_errors=True)


def reap_stale():
    """Stop what a killed earlier run left: engine directories whose owner is dead."""
    for d in glob.glob(os.path.join(tempfile.gettempdir(), DIR_PREFIX + "*")):
        try:
            with open(os.path.join(d, OWNER_FILE)) as f:
                owner = int(f.read().strip())
        except (OSError, ValueError):
            owner = 0
        if owner and _alive(owner):
            continue
        if owner == 0 and time.time() - os.path.getmtime(d) < 600:
            continue  # being set up right now
        name = os.path.basename(d)[len(DIR_PREFIX):].split("-")[0]
        cls = {c.name: c for c in (Docker, Containerd, Podman)}.get(name, Engine)
        names = (os.path.basename(d),) if cls is Docker else cls.cgroup_names
        cleanup_dir(d, cgroup_names=names)


class Engine:
    """Common lifecycle: a private directory, runtimes registered through
    wrappers, a guaranteed cleanup (stop() is idempotent)."""
    name = "engine"
    binaries = ()
    cgroup_names = ()

    def __init__(self, runtimes, log=None):
        missing = [b for b in self.binaries if not b or not os.access(b, os.X_OK)]
        if missing:
            raise EngineUnavailable("%s is not installed (%s)" % (self.name, ", ".join(
                str(m) for m in missing)))
        self.dir = tempfile.mkdtemp(prefix=DIR_PREFIX + self.name + "-")
        with open(os.path.join(self.dir, OWNER_FILE), "w") as f:
            f.write(str(os.getpid()))
        self.cgroups_before = top_cgroups()
        self.globals_before = {d for d in GLOBAL_DIRS if os.path.exists(d)}
        self.runtime_log = log or os.environ.get("E2E_RUNTIME_LOG") or os.path.join(
            self.dir, "runtime-argv.log")
        with open(os.path.join(self.dir, LOG_PATH_FILE), "w") as f:
            f.write(self.runtime_log)
        self.daemon_log = os.path.join(self.dir, "daemon.log")
        self.proc = None
        self.stopped = False
        # name -> path the engine is given (the wrapper, or the binary itself)
        self.runtimes = {}
        wrap = os.environ.get("E2E_RUNTIME_WRAPPER", "1") != "0"
        for rname, real in runtimes.items():
            real = os.path.abspath(real)
            if wrap:
                path = make_runtime_wrapper(real, os.path.join(self.dir, "rt-" + rname),
                                            self.runtime_log, "%s/%s" % (self.name, rname),
                                            os.environ.get("E2E_RUNTIME_SPECS"))
            else:
                path = real
            self.runtimes[rname] = path
        try:
            self.start()
        except BaseException:
            self.stop()
            raise

    def start(self):
        """Engine-specific: start the engine in self.dir, ready to use."""

    def path(self, *p):
        return os.path.join(self.dir, *p)

    def calls(self, rname=None):
        """The runtime invocations logged so far: [(tag, caller, argv)]."""
        tag = None if rname is None else "%s/%s" % (self.name, rname)
        return read_runtime_log(self.runtime_log, tag)

    def tail(self, n=30):
        try:
            with open(self.daemon_log, errors="replace") as f:
                # dockerd's gRPC connection chatter says nothing about containers.
                return "".join([l for l in f if "module=grpc" not in l][-n:])
        except OSError:
            return ""

    def diagnostics(self, rname=None, n=15):
        calls = self.calls(rname)[-n:]
        s = "--- last runtime calls (%s):\n" % self.runtime_log
        s += "".join("  %s <- %s: %s\n" % (t, c, " ".join(a)) for t, c, a in calls) or "  none\n"
        s += "--- %s log tail:\n%s" % (self.name, self.tail())
        return s

    def _spawn(self, argv, env=None):
        self.logf = open(self.daemon_log, "ab")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=self.logf,
                                     stderr=subprocess.STDOUT, start_new_session=True,
                                     env=env, cwd=self.dir)

    def _wait_ready(self, probe, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc is not None and self.proc.poll() is not None:
                raise EngineUnavailable("%s exited with status %d at start:\n%s" % (
                    self.name, self.proc.returncode, self.tail()))
            if probe():
                return
            time.sleep(0.1)
        raise EngineUnavailable("%s did not become ready in %ds:\n%s" % (
            self.name, timeout, self.tail()))

    def remove_containers(self):
        """Engine-specific: remove every container, best effort."""

    def stop(self):
        if self.stopped:
            return
        self.stopped = True
        if self.proc is None or self.proc.poll() is None:
            try:
                self.remove_containers()
            except Exception:  # noqa: BLE001 - best effort, the kill below follows
                pass
        roots = []
        if self.proc is not None:
            roots.append(self.proc.pid)
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(10)
                except subprocess.TimeoutExpired:
                    pass
        if self.proc is not None:
            kill_owned(self.dir, roots)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
            self.logf.close()
        cleanup_dir(self.dir, roots, self.cgroup_names, self.cgroups_before,
                    self.globals_before, keep=os.environ.get("E2E_KEEP_ENGINE_DIR") == "1")

    def run(self, argv, timeout=60, env=None, input=None):
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout,
                              env=env, input=input,
                              stdin=None if input is not None else subprocess.DEVNULL)


class Docker(Engine):
    """dockerd with its own managed containerd, everything under self.dir."""
    name = "docker"
    binaries = (DOCKERD, DOCKER)
    # With --bridge=none and no iptables the daemon changes no host network state.
    DAEMON_FLAGS = ("--iptables=false", "--ip-forward=false", "--ip-masq=false",
                    "--bridge=none", "--userland-proxy=false")

    def start(self):
        self.sock = self.path("docker.sock")
        self.cgroup_parent = os.path.basename(self.dir)
        self.cgroup_names = (self.cgroup_parent,)
        with open(self.path("daemon.json"), "w") as f:
            f.write("{}\n")
        os.makedirs(self.path("client"))
        self.env = dict(os.environ, DOCKER_CONFIG=self.path("client"))
        self.env.pop("DOCKER_HOST", None)
        argv = [DOCKERD, "--config-file", self.path("daemon.json"),
                "--data-root", self.path("data"), "--exec-root", self.path("exec"),
                "-H", "unix://" + self.sock, "--pidfile", self.path("docker.pid"),
                "--cgroup-parent", "/" + self.cgroup_parent] + list(self.DAEMON_FLAGS)
        for rname, path in self.runtimes.items():
            argv += ["--add-runtime", "%s=%s" % (self.runtime_name(rname), path)]
        self.argv = argv
        self._spawn(argv)
        self._wait_ready(self._ping)

    @staticmethod
    def runtime_name(rname):
        """The name for `docker run --runtime=`: dockerd reserves "runc"."""
        return "e2e-runc" if rname == "runc" else rname

    def _ping(self):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(2)
        try:
            s.connect(self.sock)
            s.sendall(b"GET /_ping HTTP/1.0\r\n\r\n")
            return b" 200 " in s.recv(256)
        except OSError:
            return False
        finally:
            s.close()

    def cmd(self, *args):
        return [DOCKER, "-H", "unix://" + self.sock] + [str(a) for a in args]

    def docker(self, *args, timeout=60, input=None):
        return self.run(self.cmd(*args), timeout=timeout, env=self.env, input=input)

    def import_image(self, tar, ref=IMAGE):
        p = self.docker("import", tar, ref, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("docker import failed: " + p.stderr)
        return ref

    def save(self, ref, out):
        p = self.docker("save", "-o", out, ref, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("docker save failed: " + p.stderr)
        return out

    def remove_containers(self):
        ids = self.docker("ps", "-aq", timeout=20).stdout.split()
        if ids:
            self.docker("rm", "-f", *ids, timeout=30)


CONTAINERD_CONFIG = """version = 2
root = "%(dir)s/root"
state = "%(dir)s/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]

[grpc]
  address = "%(dir)s/containerd.sock"

[ttrpc]
  address = "%(dir)s/containerd.sock.ttrpc"

[debug]
  address = ""

[metrics]
  address = ""
"""


class Containerd(Engine):
    """A standalone containerd driven by ctr."""
    name = "containerd"
    binaries = (CONTAINERD, CTR)
    cgroup_names = ("default",)  # ctr's default namespace -> /default/<id>

    def start(self):
        self.sock = self.path("containerd.sock")
        with open(self.path("config.toml"), "w") as f:
            f.write(CONTAINERD_CONFIG % {"dir": self.dir})
        os.makedirs(self.path("fifo"))
        self.argv = [CONTAINERD, "--config", self.path("config.toml")]
        self._spawn(self.argv)
        self._wait_ready(lambda: self.ctr("version", timeout=10).returncode == 0)

    def cmd(self, *args):
        return [CTR, "--address", self.sock] + [str(a) for a in args]

    def ctr(self, *args, timeout=60, input=None):
        return self.run(self.cmd(*args), timeout=timeout, input=input)

    def import_image(self, tar):
        p = self.ctr("image", "import", tar, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("ctr image import failed: " + p.stderr)

    def remove_containers(self):
        for t in self.ctr("task", "ls", "-q", timeout=20).stdout.split():
            self.ctr("task", "kill", "-s", "SIGKILL", t, timeout=20)
            self.ctr("task", "delete", "-f", t, timeout=20)
        cs = self.ctr("container", "ls", "-q", timeout=20).stdout.split()
        if cs:
            self.ctr("container", "rm", *cs, timeout=30)


PODMAN_CONF = """[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
netns = "none"

[network]
network_config_dir = "%(dir)s/cni"

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "%(dir)s/events.log"
tmp_dir = "%(dir)s/tmp"
volume_path = "%(dir)s/volumes"
"""


class Podman(Engine):
    """podman with private storage and configuration (no daemon)."""
    name = "podman"
    binaries = (PODMAN,)
    cgroup_names = ("libpod_parent",)

    def start(self):
        with open(self.path("containers.conf"), "w") as f:
            f.write(PODMAN_CONF % {"dir": self.dir})
        self.env = dict(os.environ, CONTAINERS_CONF=self.path("containers.conf"))
        p = self.podman("info", "--format", "{{.Store.GraphDriverName}}", timeout=60)
        if p.returncode != 0:
            raise EngineUnavailable("podman info failed:\n" + p.stderr)

    def cmd(self, *args, runtime=None):
        argv = [PODMAN, "--root", self.path("root"), "--runroot", self.path("runroot"),
                "--tmpdir", self.path("tmp")]
        if runtime is not None:
            argv += ["--runtime", self.runtimes[runtime]]
        return argv + [str(a) for a in args]

    def podman(self, *args, runtime=None, timeout=60, input=None):
        return self.run(self.cmd(*args, runtime=runtime), timeout=timeout, env=self.env,
                        input=input)

    def import_image(self, tar, ref=PODMAN_IMAGE):
        p = self.podman("import", tar, ref, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("podman import failed: " + p.stderr)
        return ref

    def remove_containers(self):
        ids = self.podman("ps", "-aq", timeout=30).stdout.split()
        # Each container is removed through the runtime that created it.
        for rname in self.runtimes:
            for i in ids:
                self.podman("rm", "-f", "-t", "0", i, runtime=rname, timeout=30)
        self.podman("rm", "-af", "-t", "0", timeout=30)
        self.podman("umount", "-a", timeout=30)


# ---------------------------------------------------------------- terminals

def run_in_pty(argv, env=None, timeout=30, rows=33, cols=101):
    """Runs ARGV with a new pty as its controlling terminal and stdio (window
    size ROWS x COLS); returns (status, everything written to the terminal)."""
    import fcntl
    import pty
    import select
    import struct
    import termios
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))

    def ctty():
        os.setsid()
        fcntl.ioctl(0, termios.TIOCSCTTY, 0)
    p = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                         preexec_fn=ctty, close_fds=True)
    os.close(slave)
    out = b""
    deadline = time.time() + timeout
    try:
        while time.time() < deadline:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                try:
                    b = os.read(master, 65536)
                except OSError:  # EIO: every slave fd is closed
                    break
                if not b:
                    break
                out += b
            elif p.poll() is not None:
                break
        else:
            p.kill()
        status = p.wait(10)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        os.close(master)
    return status, out.decode("utf-8", "replace")


# ---------------------------------------------------------------- summary CLI

_HEX_ID = re.compile(r"\b[0-9a-f]{64}\b")
_ENGINE_DIR = re.compile(re.escape(tempfile.gettempdir()) + "/" + DIR_PREFIX + r"[a-z]+-[^/\s]+")


def normalise(argv):
    s = " ".join(argv)
    s = _ENGINE_DIR.sub("$DIR", s)
    s = _HEX_ID.sub("<id>", s)
    s = re.sub(r"\b(e2e-[a-z]+-[0-9a-f]{6,})\b", "<name>", s)
    s = re.sub(r"/[0-9a-f]{12,}(\.[a-z]+)?\b", r"/<hash>\1", s)
    return s


def summary(log):
    """Per engine/runtime: each distinct (normalised) runtime command line and
    how often it was seen, in order of first appearance."""
    seen = {}  # tag -> {(caller, line): count}, both in order of first appearance
    for tag, caller, argv in read_runtime_log(log):
        d = seen.setdefault(tag, {})
        key = (caller, normalise(argv))
        d[key] = d.get(key, 0) + 1
    lines = []
    for tag, d in seen.items():
        lines.append("%s:" % tag)
        lines += ["  %3dx [%s] %s" % (n, caller, s) for (caller, s), n in d.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "summary":
        print(summary(sys.argv[2]))
    elif len(sys.argv) == 2 and sys.argv[1] == "reap":
        reap_stale()
    else:
        sys.exit("usage: engines.py summary LOG | reap")

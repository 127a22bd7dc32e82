"""Spec mounts inside the sandbox (issue 5): bind mounts served by their own
gofer connections, tmpfs with options, proc/sysfs/devpts/mqueue, the flags
ro/nosuid/nodev/noexec, maskedPaths and readonlyPaths."""
import json
import os

import pytest

from conftest import build_busybox_rootfs


@pytest.fixture(scope="module")
def bb_rootfs(tmp_path_factory):
    root = build_busybox_rootfs(str(tmp_path_factory.mktemp("mntrootfs") / "rootfs"))
    os.makedirs(os.path.join(root, "data"), exist_ok=True)
    os.makedirs(os.path.join(root, "mnt", "secretdir"), exist_ok=True)
    with open(os.path.join(root, "mnt", "secretdir", "f"), "w") as f:
        f.write("hidden\n")
    with open(os.path.join(root, "etc", "secret"), "w") as f:
        f.write("top secret\n")
    return root


def configure(bundle, script, mounts=(), **linux):
    c = json.load(open(bundle / "config.json"))
    c["process"]["terminal"] = False
    c["process"]["args"] = ["/bin/sh", "-c", script]
    c["mounts"] += list(mounts)
    c["linux"].update(linux)
    json.dump(c, open(bundle / "config.json", "w"))
    return c


def run(rt, bundle, cid="m1"):
    return rt("run", "--bundle", bundle, cid, timeout=60)


def test_bind_mounts_rw_ro_and_file(rt, bundle, tmp_path):
    rw = tmp_path / "rw"
    rw.mkdir()
    (rw / "from-host").write_text("hello from the host\n")
    ro = tmp_path / "ro"
    ro.mkdir()
    (ro / "f").write_text("read only\n")
    single = tmp_path / "single.conf"
    single.write_text("one file\n")
    configure(bundle, "cat /data/from-host && echo written > /data/from-sandbox && "
                      "cat /ro/f && (echo x > /ro/g || echo ro-refused) && "
                      "cat /etc/single.conf && mkdir /data/sub && ls /data",
              mounts=[{"destination": "/data", "type": "bind", "source": str(rw),
                       "options": ["rbind", "rw"]},
                      {"destination": "/ro", "type": "bind", "source": str(ro),
                       "options": ["rbind", "ro"]},
                      {"destination": "/etc/single.conf", "type": "bind", "source": str(single),
                       "options": ["bind", "ro"]}])
    # The root is read-only in runsc spec's default: /ro and /etc/single.conf
    # must be created as mount points (in a writable root).
    c = json.load(open(bundle / "config.json"))
    c["root"]["readonly"] = False
    json.dump(c, open(bundle / "config.json", "w"))
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    out = p.stdout
    assert "hello from the host" in out
    assert "read only" in out and "ro-refused" in out
    assert "one file" in out
    assert "from-sandbox" in out and "sub" in out
    assert (rw / "from-sandbox").read_text() == "written\n"
    assert (rw / "sub").is_dir()
    assert not (ro / "g").exists()


def test_tmpfs_options_and_proc_mounts(rt, bundle):
    configure(bundle, "cat /proc/mounts; "
                      "dd if=/dev/zero of=/scratch/big bs=1024 count=2048 2>&1; "
                      "stat -c '%a %F' /scratch; "
                      "ls -d /dev/shm /dev/pts /dev/mqueue",
              mounts=[{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                       "options": ["nosuid", "noexec", "size=1m", "mode=1777"]}])
    p = run(rt, bundle)
    out = p.stdout
    lines = [l.split() for l in out.splitlines() if len(l.split()) == 6]
    mounts = {l[1]: l for l in lines}
    assert "/scratch" in mounts, out
    assert mounts["/scratch"][2] == "tmpfs"
    assert "noexec" in mounts["/scratch"][3] and "nosuid" in mounts["/scratch"][3]
    for d in ("/proc", "/dev", "/sys", "/dev/shm"):
        assert d in mounts, (d, out)
    # runsc spec's cgroup mount: runc's cgroup v1 layout (sentry/fsimpl/cgroupfs).
    assert mounts["/sys/fs/cgroup"][2] == "tmpfs", out
    assert mounts["/sys/fs/cgroup/memory"][2] == "cgroup", out
    assert mounts["/sys/fs/cgroup/memory"][3].startswith("ro,"), out
    assert mounts["/sys/fs/cgroup/memory"][3].endswith(",memory"), out
    assert "No space left on device" in out, out
    assert "1777 directory" in out
    assert "/dev/shm" in out and "/dev/pts" in out


def test_noexec_tmpfs_refuses_exec(rt, bundle):
    configure(bundle, "cp /bin/busybox /scratch/true && /scratch/true; echo rc=$?; "
                      "cp /bin/busybox /exe/true && /exe/true; echo rc2=$?",
              mounts=[{"destination": "/scratch", "type": "tmpfs", "source": "tmpfs",
                       "options": ["noexec"]},
                      {"destination": "/exe", "type": "tmpfs", "source": "tmpfs"}])
    c = json.load(open(bundle / "config.json"))
    c["root"]["readonly"] = False
    json.dump(c, open(bundle / "config.json", "w"))
    p = run(rt, bundle)
    assert "rc=126" in p.stdout, (p.stdout, p.stderr)
    assert "rc2=0" in p.stdout, (p.stdout, p.stderr)


def test_nodev_refuses_device_nodes(rt, bundle):
    configure(bundle, "mknod /nodev/null c 1 3 && (echo x > /nodev/null; echo rc=$?); "
                      "mknod /dev-ok/null c 1 3 && echo x > /dev-ok/null && echo rc2=$?; "
                      "grep /nodev /proc/mounts",
              mounts=[{"destination": "/nodev", "type": "tmpfs", "source": "tmpfs",
                       "options": ["nodev"]},
                      {"destination": "/dev-ok", "type": "tmpfs", "source": "tmpfs"}])
    c = json.load(open(bundle / "config.json"))
    for k in ("bounding", "effective", "permitted"):
        c["process"]["capabilities"][k].append("CAP_MKNOD")
    json.dump(c, open(bundle / "config.json", "w"))
    p = run(rt, bundle)
    assert "rc=1" in p.stdout and "Permission denied" in p.stderr, (p.stdout, p.stderr)
    assert "rc2=0" in p.stdout, (p.stdout, p.stderr)
    assert "nodev" in p.stdout


def test_masked_and_readonly_paths(rt, bundle, tmp_path):
    rw = tmp_path / "rw"
    rw.mkdir()
    configure(bundle, "echo secret=$(cat /etc/secret); ls /mnt/secretdir | wc -l; "
                      "(echo x > /data/f || echo data-refused); "
                      "(echo x > /mnt/secretdir/g || echo masked-refused); echo done",
              mounts=[{"destination": "/data", "type": "bind", "source": str(rw),
                       "options": ["rbind", "rw"]}],
              maskedPaths=["/etc/secret", "/mnt/secretdir", "/does/not/exist"],
              readonlyPaths=["/data", "/not/there/either"])
    p = run(rt, bundle)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert "secret=\n" in p.stdout, p.stdout
    assert "\n0\n" in p.stdout, p.stdout
    assert "data-refused" in p.stdout and "masked-refused" in p.stdout
    assert not (rw / "f").exists()


@pytest.mark.parametrize("mount, msg", [
    ({"destination": "/x", "type": "nfs", "source": "host:/x"}, "not supported"),
    ({"destination": "/x", "type": "bind", "source": "/nonexistent/src"}, "/nonexistent/src"),
])
def test_bad_mounts_fail_create_and_leave_nothing(rt, bundle, mount, msg):
    configure(bundle, "true", mounts=[mount])
    p = rt("create", "--bundle", bundle, "bad")
    assert p.returncode != 0
    assert msg in p.stderr, p.stderr
    assert json.loads(rt("list", "--format", "json").stdout or "[]") == []

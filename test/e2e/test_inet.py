"""AF_INET / AF_INET6 sockets (sentry/socket/inet.c: host sockets in the
sandbox's network namespace). A container that gets a new network namespace
has its loopback interface up (runsc/sandbox/launch.c) and nothing else, so a
TCP server and client inside it talk over 127.0.0.1, while the host's
addresses are out of reach."""
import json
import os

import pytest

from conftest import build_busybox_rootfs, compile_static

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture(scope="module")
def bb_rootfs(tmp_path_factory):
    return build_busybox_rootfs(str(tmp_path_factory.mktemp("inetrootfs") / "rootfs"))


def set_args(bundle, args):
    c = json.load(open(bundle / "config.json"))
    c["process"]["terminal"] = False
    c["process"]["args"] = args
    json.dump(c, open(bundle / "config.json", "w"))


NC_PAIR = ("echo from-server | nc -l -p 7777 & sleep 0.5; "
           "echo from-client | nc -w 5 127.0.0.1 7777; wait")


def test_loopback_tcp_in_new_netns(rt, bundle):
    set_args(bundle, ["/bin/sh", "-c", NC_PAIR])
    p = rt("run", "--bundle", bundle, "inet1", timeout=60)
    assert p.returncode == 0, (p.stdout, p.stderr)
    assert sorted(p.stdout.split()) == ["from-client", "from-server"], (p.stdout, p.stderr)


def test_new_netns_has_only_loopback_up(rt, bundle):
    # ifconfig: SIOCGIFCONF, SIOCGIFFLAGS, SIOCGIFADDR... on an AF_INET socket.
    set_args(bundle, ["/bin/ifconfig"])
    p = rt("run", "--bundle", bundle, "inet2", timeout=60)
    assert p.returncode == 0, (p.stdout, p.stderr)
    names = [l.split()[0] for l in p.stdout.splitlines() if l and not l[0].isspace()]
    assert names == ["lo"], p.stdout
    assert "inet addr:127.0.0.1" in p.stdout and "UP LOOPBACK RUNNING" in p.stdout, p.stdout


@pytest.mark.parametrize("name", ["inet_tcp", "inet_udp"])
def test_syscall_tests_in_new_netns(rt, bundle, bb_rootfs, name):
    # The syscall tests (127.0.0.1 and ::1 only) in a container of its own
    # network namespace, where runsc do would share the host's.
    src = os.path.join(REPO, "test", "syscalls", name + ".c")
    out = os.path.join(bb_rootfs, "bin", name)
    compile_static(src, out, extra=["-D_GNU_SOURCE", "-std=gnu11", "-I",
                                    os.path.join(REPO, "test", "syscalls")])
    set_args(bundle, ["/bin/" + name])
    p = rt("run", "--bundle", bundle, "inet-" + name, timeout=120)
    assert p.returncode == 0, (p.stdout, p.stderr)


def test_host_address_unreachable_in_new_netns(rt, bundle):
    # No route out of a new network namespace: connecting anywhere but the
    # loopback fails at once (ENETUNREACH), it does not reach the host.
    set_args(bundle, ["/bin/sh", "-c", "nc -w 2 192.0.2.1 80 < /dev/null; echo rc=$?"])
    p = rt("run", "--bundle", bundle, "inet4", timeout=60)
    assert "rc=1" in p.stdout, (p.stdout, p.stderr)

"""linux.seccomp of config.json: runsc compiles it (libseccomp) and the sentry runs
the filter against every system call of the container's processes, init and
runsc exec alike. Also: the application's own seccomp(2) needs no_new_privs or
CAP_SYS_ADMIN, and bad seccomp sections fail create cleanly."""
import json
import os
import subprocess

import pytest

from conftest import RUNSC, build_busybox_rootfs, compile_static

PROGS = os.path.join(os.path.dirname(__file__), "progs")

EPERM, E2BIG, EDOM, ENOSYS, ENOKEY = 1, 7, 33, 38, 126


@pytest.fixture(scope="module")
def rootfs(tmp_path_factory):
    root = build_busybox_rootfs(str(tmp_path_factory.mktemp("scrootfs") / "rootfs"))
    compile_static(os.path.join(PROGS, "seccomp_probe.c"), os.path.join(root, "probe"))
    return root


@pytest.fixture
def bundle(tmp_path, rootfs):
    b = tmp_path / "bundle"
    b.mkdir()
    os.symlink(rootfs, b / "rootfs")
    subprocess.run([RUNSC, "spec", "--bundle", str(b)], check=True)
    return b


def configure(bundle, args, seccomp, **process):
    c = json.load(open(bundle / "config.json"))
    c["process"]["terminal"] = False
    c["process"]["args"] = args
    c["process"].update(process)
    if seccomp is None:
        c["linux"].pop("seccomp", None)
    else:
        c["linux"]["seccomp"] = seccomp
    json.dump(c, open(bundle / "config.json", "w"))


def allow_but(rules):
    return {"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_X86_64"],
            "syscalls": rules}


MKDIR = ["mkdir", "mkdirat"]
MKDIR_SH = "echo hi; mkdir /tmp/d; echo rc=$?"

# Argument conditions, as the probe calls them (test/e2e/progs/seccomp_probe.c).
PROBE_RULES = [
    {"names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOKEY,
     "args": [{"index": 0, "value": 12345, "op": "SCMP_CMP_EQ"}]},
    {"names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": E2BIG,
     "args": [{"index": 0, "value": 0xff00, "valueTwo": 0x1200, "op": "SCMP_CMP_MASKED_EQ"}]},
    # Two conditions on one argument: either matches (one rule each, as runc).
    {"names": ["dup"], "action": "SCMP_ACT_ERRNO", "errnoRet": EDOM,
     "args": [{"index": 0, "value": 500, "op": "SCMP_CMP_EQ"},
              {"index": 0, "value": 600, "op": "SCMP_CMP_EQ"}]},
    # An unknown name is skipped; the rule still applies to the others.
    {"names": ["getppid", "no_such_syscall"], "action": "SCMP_ACT_ERRNO"},
]
PROBE_OUT = ("dup12345=ENOKEY dup12346=EBADF dup0x1234=E2BIG dup500=EDOM dup600=EDOM "
             "dup700=EBADF getppid=EPERM mode=2 status=2\n")


def test_errno_rule_and_what_runs(rt, bundle):
    configure(bundle, ["/bin/sh", "-c", MKDIR_SH],
              allow_but([{"names": MKDIR, "action": "SCMP_ACT_ERRNO"}]))
    p = rt("run", "--bundle", bundle, "e1")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hi\nrc=1\n"
    assert "Operation not permitted" in p.stderr, p.stderr
    # errnoRet picks the error.
    configure(bundle, ["/bin/sh", "-c", MKDIR_SH],
              allow_but([{"names": MKDIR, "action": "SCMP_ACT_ERRNO", "errnoRet": 28}]))
    p = rt("run", "--bundle", bundle, "e2")
    assert "No space left on device" in p.stderr, p.stderr


def test_argument_conditions(rt, bundle):
    configure(bundle, ["/probe"], allow_but(PROBE_RULES))
    p = rt("run", "--bundle", bundle, "a1")
    assert p.returncode == 0, p.stderr
    assert p.stdout == PROBE_OUT


def test_without_seccomp_nothing_is_filtered(rt, bundle):
    configure(bundle, ["/probe"], None)
    p = rt("run", "--bundle", bundle, "n1")
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("dup12345=EBADF dup12346=EBADF dup0x1234=EBADF ")
    assert p.stdout.endswith("getppid=ok mode=0 status=0\n")


@pytest.mark.parametrize("action", ["SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL", "SCMP_ACT_TRAP"])
def test_killing_actions(rt, bundle, action):
    """The process dies of SIGSYS: 128 + 31 for the shell (TRAP: no handler)."""
    configure(bundle, ["/bin/sh", "-c", "/bin/mkdir /tmp/d; echo rc=$?"],
              allow_but([{"names": MKDIR, "action": action}]))
    p = rt("run", "--bundle", bundle, "k1")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "rc=159\n"


def test_trace_without_tracer_is_enosys(rt, bundle):
    configure(bundle, ["/bin/sh", "-c", MKDIR_SH],
              allow_but([{"names": MKDIR, "action": "SCMP_ACT_TRACE"}]))
    p = rt("run", "--bundle", bundle, "t1")
    assert p.stdout == "hi\nrc=1\n"
    assert "Function not implemented" in p.stderr, p.stderr


def test_exec_gets_the_filter(rt, bundle):
    configure(bundle, ["/bin/sleep", "30"], allow_but(PROBE_RULES))
    rt("create", "--bundle", bundle, "x1", check=True)
    rt("start", "x1", check=True)
    p = rt("exec", "x1", "/probe")
    assert p.returncode == 0, p.stderr
    assert p.stdout == PROBE_OUT
    p = rt("exec", "x1", "/bin/sh", "-c", "/probe")  # and its children
    assert p.stdout == PROBE_OUT
    rt("delete", "--force", "x1", check=True)


# Docker's default profile, in shape: deny (EPERM) by default, a long allow list with
# names of other architectures and unknown ones, argument rules for personality and
# clone, clone3 as ENOSYS. mkdir/mkdirat are left out to see the default action.
DOCKER_NAMES = """
accept accept4 access adjtimex alarm bind brk capget capset chdir chmod chown chown32
clock_adjtime clock_adjtime64 clock_getres clock_getres_time64 clock_gettime clock_gettime64
clock_nanosleep clock_nanosleep_time64 close close_range connect copy_file_range creat dup dup2
dup3 epoll_create epoll_create1 epoll_ctl epoll_ctl_old epoll_pwait epoll_pwait2 epoll_wait
epoll_wait_old eventfd eventfd2 execve execveat exit exit_group faccessat faccessat2 fadvise64
fadvise64_64 fallocate fanotify_mark fchdir fchmod fchmodat fchown fchown32 fchownat fcntl
fcntl64 fdatasync fgetxattr flistxattr flock fork fremovexattr fsetxattr fstat fstat64
fstatat64 fstatfs fstatfs64 fsync ftruncate ftruncate64 futex futex_time64 futex_waitv
futimesat getcpu getcwd getdents getdents64 getegid getegid32 geteuid geteuid32 getgid
getgid32 getgroups getgroups32 getitimer getpeername getpgid getpgrp getpid getppid
getpriority getrandom getresgid getresgid32 getresuid getresuid32 getrlimit get_robust_list
getrusage getsid getsockname getsockopt get_thread_area gettid gettimeofday getuid getuid32
getxattr inotify_add_watch inotify_init inotify_init1 inotify_rm_watch io_cancel ioctl
io_destroy io_getevents io_pgetevents io_pgetevents_time64 ioprio_get ioprio_set io_setup
io_submit ipc kill lchown lchown32 lgetxattr link linkat listen listxattr llistxattr _llseek
lremovexattr lseek lsetxattr lstat lstat64 madvise membarrier memfd_create mincore mknod
mknodat mlock mlock2 mlockall mmap mmap2 mprotect mq_getsetattr mq_notify mq_open
mq_timedreceive mq_timedsend mq_unlink mremap msgctl msgget msgrcv msgsnd msync munlock
munlockall munmap nanosleep newfstatat _newselect open openat openat2 pause pidfd_open
pidfd_send_signal pipe pipe2 poll ppoll ppoll_time64 prctl pread64 preadv preadv2 prlimit64
pselect6 pselect6_time64 pwrite64 pwritev pwritev2 read readahead readlink readlinkat readv
recv recvfrom recvmmsg recvmsg remap_file_pages removexattr rename renameat renameat2
restart_syscall rmdir rseq rt_sigaction rt_sigpending rt_sigprocmask rt_sigqueueinfo
rt_sigreturn rt_sigsuspend rt_sigtimedwait rt_sigtimedwait_time64 rt_tgsigqueueinfo
sched_getaffinity sched_getattr sched_getparam sched_get_priority_max sched_get_priority_min
sched_getscheduler sched_rr_get_interval sched_setaffinity sched_setattr sched_setparam
sched_setscheduler sched_yield seccomp select semctl semget semop semtimedop send sendfile
sendfile64 sendmmsg sendmsg sendto setfsgid setfsgid32 setfsuid setfsuid32 setgid setgid32
setgroups setgroups32 setitimer setpgid setpriority setregid setregid32 setresgid setresgid32
setresuid setresuid32 setreuid setreuid32 setrlimit set_robust_list setsid setsockopt
set_thread_area set_tid_address setuid setuid32 setxattr shmat shmctl shmdt shmget shutdown
sigaltstack signalfd signalfd4 sigprocmask sigreturn socket socketcall socketpair splice stat
stat64 statfs statfs64 statx symlink symlinkat sync sync_file_range syncfs sysinfo tee tgkill
time timer_create timer_delete timer_getoverrun timer_gettime timer_gettime64 timer_settime
timer_settime64 timerfd_create timerfd_gettime timerfd_gettime64 timerfd_settime
timerfd_settime64 times tkill truncate truncate64 ugetrlimit umask uname unlink unlinkat utime
utimensat utimensat_time64 utimes vfork vmsplice wait4 waitid waitpid write writev arch_prctl
modify_ldt chroot not_a_syscall_anywhere
""".split()


def docker_like():
    return {
        "defaultAction": "SCMP_ACT_ERRNO",
        "defaultErrnoRet": EPERM,
        "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
        "syscalls": [
            {"names": DOCKER_NAMES, "action": "SCMP_ACT_ALLOW"},
            {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": v, "op": "SCMP_CMP_EQ"}
                      for v in (0, 8, 131072, 131080, 4294967295)]},
            {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
             "args": [{"index": 0, "value": 2114060288, "valueTwo": 0,
                       "op": "SCMP_CMP_MASKED_EQ"}]},
            {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": ENOSYS},
        ],
    }


def test_docker_default_profile_shape(rt, bundle):
    configure(bundle, ["/bin/sh", "-c", "echo hi; (echo sub); " + MKDIR_SH], docker_like())
    p = rt("run", "--bundle", bundle, "d1")
    assert p.returncode == 0, p.stderr
    assert p.stdout == "hi\nsub\nhi\nrc=1\n"
    assert "Operation not permitted" in p.stderr, p.stderr


def test_application_filter_needs_no_new_privs_or_cap_sys_admin(rt, bundle):
    caps = {k: [] for k in ("bounding", "effective", "inheritable", "permitted", "ambient")}
    user = {"uid": 1000, "gid": 1000}
    configure(bundle, ["/probe", "install"], None, user=user, capabilities=caps,
              noNewPrivileges=False)
    p = rt("run", "--bundle", bundle, "p1")
    assert p.stdout == "install=EACCES\n", p.stderr
    configure(bundle, ["/probe", "install"], None, user=user, capabilities=caps,
              noNewPrivileges=True)
    p = rt("run", "--bundle", bundle, "p2")
    assert p.stdout == "install=ok\n", p.stderr
    # CAP_SYS_ADMIN is enough. A non-root user keeps capabilities across the
    # exec of its program only through the ambient set (as under runc).
    admin = {k: ["CAP_SYS_ADMIN"] for k in caps}
    configure(bundle, ["/probe", "install"], None, user=user, capabilities=admin,
              noNewPrivileges=False)
    p = rt("run", "--bundle", bundle, "p3")
    assert p.stdout == "install=ok\n", p.stderr


BAD = [
    ("unknown action", {"defaultAction": "SCMP_ACT_NOPE"}, "unknown action"),
    ("unknown rule action", allow_but([{"names": ["uname"], "action": "SCMP_ACT_EXPLODE"}]),
     "unknown action"),
    ("bad operator", allow_but([{"names": ["dup"], "action": "SCMP_ACT_ERRNO",
                                 "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_SOMETIMES"}]}]),
     "unknown operator"),
    ("bad index", allow_but([{"names": ["dup"], "action": "SCMP_ACT_ERRNO",
                              "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]),
     "index"),
    ("notify", allow_but([{"names": ["uname"], "action": "SCMP_ACT_NOTIFY"}]), "not supported"),
    ("errnoRet range", allow_but([{"names": ["uname"], "action": "SCMP_ACT_ERRNO",
                                   "errnoRet": 70000}]), "errnoret"),
    ("empty name", allow_but([{"names": ["uname", ""], "action": "SCMP_ACT_ERRNO"}]),
     "syscalls[0].names[1]: must not be empty"),
]


@pytest.mark.parametrize("name,seccomp,msg", BAD, ids=[x[0] for x in BAD])
def test_bad_seccomp_fails_create_leaving_nothing(rt, bundle, name, seccomp, msg):
    configure(bundle, ["/bin/true"], seccomp)
    p = rt("create", "--bundle", bundle, "bad")
    assert p.returncode == 1, (p.returncode, p.stderr)
    assert "seccomp" in p.stderr and msg in p.stderr.lower(), p.stderr
    assert not os.path.exists(os.path.join(rt.root, "bad"))
    assert json.loads(rt("list", "--format", "json").stdout) == []

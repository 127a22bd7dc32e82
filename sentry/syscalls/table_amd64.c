/* x86-64 system call table: one row per implemented (or deliberately
 * refused) number. A number without a row returns -ENOSYS. */
#include <asm/unistd_64.h>

#include "sentry/syscalls/syscalls.h"

#define S(name) [__NR_##name] = {sys_##name, SYSCALL_SUPPORTED, NULL}
#define P(name, why) [__NR_##name] = {sys_##name, SYSCALL_PARTIAL, why}
#define N(nr, why) [nr] = {NULL, SYSCALL_ENOSYS, why}

const struct syscall_entry g_syscall_table[SYSCALL_NR_MAX] = {
    /* files */
    P(open, "O_TMPFILE is EISDIR, as on Linux before 3.11"),
    P(openat, "as open"),
    S(creat),
    S(close),
    P(close_range, "CLOSE_RANGE_UNSHARE is not supported"),
    S(read),
    S(write),
    S(readv),
    S(writev),
    S(pread64),
    S(pwrite64),
    S(preadv),
    S(pwritev),
    P(preadv2, "flags other than 0 are EOPNOTSUPP"),
    P(pwritev2, "flags other than 0 are EOPNOTSUPP"),
    S(lseek),
    S(fsync),
    S(fdatasync),
    S(stat),
    S(lstat),
    S(fstat),
    S(newfstatat),
    P(statx, "stx_btime and stx_attributes are not reported"),
    S(access),
    S(faccessat),
    S(faccessat2),
    S(readlink),
    S(readlinkat),
    P(statfs, "block and inode counts from tmpfs and the gofer (the host filesystem's); "
              "other filesystems report their magic and zero counts"),
    P(fstatfs, "as statfs"),
    /* extended attributes (sys_xattr.c): tmpfs keeps them in memory; the gofer's
     * files and the synthetic filesystems have none (EOPNOTSUPP, list empty) */
    P(getxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(lgetxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(fgetxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(setxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(lsetxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(fsetxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(listxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(llistxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(flistxattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(removexattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(lremovexattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    P(fremovexattr, "tmpfs only (user., trusted., security.); system. is EOPNOTSUPP"),
    /* namespace and attribute changes (sys_namei.c) */
    S(mkdir),
    S(mkdirat),
    P(mknod, "tmpfs: regular files, FIFOs, sockets and device nodes (opening a device node "
             "the sentry does not provide is ENXIO); gofer: regular files, FIFOs and sockets, "
             "device nodes are EPERM; a FIFO (on either) is a sentry pipe per node, shared by "
             "the sandbox's processes only, never with host processes"),
    P(mknodat, "as mknod"),
    S(symlink),
    S(symlinkat),
    S(link),
    S(linkat),
    S(unlink),
    S(unlinkat),
    S(rmdir),
    S(rename),
    S(renameat),
    P(renameat2, "RENAME_WHITEOUT is EINVAL"),
    S(chmod),
    S(fchmod),
    S(fchmodat),
    S(chown),
    S(fchown),
    S(lchown),
    S(fchownat),
    S(utime),
    S(utimes),
    S(futimesat),
    S(utimensat),
    S(truncate),
    S(ftruncate),
    S(getdents64),
    S(getdents),
    S(getcwd),
    S(chdir),
    S(fchdir),
    S(dup),
    S(dup2),
    S(dup3),
    P(fcntl, "F_GETFD F_SETFD F_GETFL F_SETFL F_DUPFD F_DUPFD_CLOEXEC F_GETPIPE_SZ "
             "F_SETPIPE_SZ F_GETLK F_SETLK F_SETLKW F_OFD_GETLK F_OFD_SETLK F_OFD_SETLKW (record "
             "locks live in the sentry, not on the host file) F_ADD_SEALS F_GET_SEALS (tmpfs "
             "files; only memfd_create's start unsealed); leases, F_NOTIFY, F_SETOWN: EINVAL"),
    P(flock, "the lock lives in the sentry, not on the host file"),
    P(ioctl, "FIONBIO FIOCLEX FIONCLEX on any file, FIONREAD on pipes; on terminals TCGETS "
             "TCSETS* TIOCGWINSZ TIOCSWINSZ TIOCSCTTY TIOCNOTTY TIOCGPGRP TIOCSPGRP TIOCGSID; "
             "on devpts ptys also TIOCGPTN TIOCSPTLCK TIOCGPTLCK TIOCGPTPEER TIOCPKT TIOCGPKT "
             "TIOCSIG FIONREAD TIOCOUTQ TCFLSH TCSBRK TCSBRKP (no TIOCSTI, TCXONC); on "
             "sockets SIOCINQ (FIONREAD) SIOCOUTQ; on AF_INET/AF_INET6 sockets also SIOCATMARK; "
             "on every socket the read-only interface queries SIOCGIFCONF SIOCGIFNAME SIOCGIFINDEX "
             "SIOCGIFFLAGS SIOCGIFADDR SIOCGIFDSTADDR SIOCGIFBRDADDR SIOCGIFNETMASK SIOCGIFMTU "
             "SIOCGIFHWADDR (forwarded to the host socket)"),
    /* pipes and readiness */
    S(pipe),
    P(pipe2, "O_NOTIFICATION_PIPE is ENOPKG (no watch queues)"),
    S(poll),
    S(ppoll),
    S(select),
    S(pselect6),
    /* sockets (sys_socket.c, sentry/socket): AF_UNIX, AF_INET/AF_INET6 (host sockets) */
    P(socket, "AF_UNIX (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET); AF_INET and AF_INET6 "
              "SOCK_STREAM (TCP) and SOCK_DGRAM (UDP), each a host socket in the sandbox's "
              "network namespace (SOCK_RAW EPERM, ping sockets EACCES, other protocols "
              "EPROTONOSUPPORT); every other family (AF_NETLINK, AF_PACKET...) is EAFNOSUPPORT"),
    P(socketpair, "AF_UNIX only; AF_INET/AF_INET6 EOPNOTSUPP as Linux"),
    P(bind, "AF_UNIX: filesystem names (an S_IFSOCK node made through the VFS: tmpfs, or the "
            "gofer's mknod; a node bound by a host process is not reachable), abstract names, "
            "autobind"),
    S(listen),
    S(accept),
    S(accept4),
    S(connect),
    S(getsockname),
    S(getpeername),
    S(shutdown),
    P(sendto, "AF_UNIX: MSG_OOB is EOPNOTSUPP (no out-of-band data on stream sockets); "
              "AF_INET/AF_INET6 pass it to the host socket"),
    S(recvfrom),
    P(sendmsg, "SCM_RIGHTS and SCM_CREDENTIALS; no SCM_PIDFD/SCM_SECURITY; MSG_OOB as sendto; "
               "passed sockets are not garbage-collected (a socket queued on itself leaks); "
               "AF_INET/AF_INET6: no control messages reach the host (SCM_RIGHTS/SCM_CREDENTIALS "
               "ignored as Linux; other SOL_SOCKET ones, and UDP's IP/IPv6 ones, EINVAL)"),
    P(recvmsg, "SCM_RIGHTS and SCM_CREDENTIALS (SO_PASSCRED); no SO_PASSPIDFD/SO_PASSSEC, "
               "SO_TIMESTAMP* or SO_PEEK_OFF; MSG_ERRQUEUE reads the normal queue; "
               "AF_INET/AF_INET6: no control messages (no IP_PKTINFO, IP_RECVTOS...), "
               "MSG_ERRQUEUE EAGAIN"),
    P(sendmmsg, "as sendmsg"),
    P(recvmmsg, "as recvmsg; an error after the first message is not kept for SO_ERROR"),
    P(getsockopt, "SOL_SOCKET: SO_TYPE SO_PROTOCOL SO_DOMAIN SO_ERROR SO_ACCEPTCONN SO_PEERCRED "
                  "SO_PASSCRED SO_SNDBUF SO_RCVBUF SO_RCVTIMEO SO_SNDTIMEO SO_RCVLOWAT SO_SNDLOWAT "
                  "SO_REUSEADDR SO_KEEPALIVE SO_BROADCAST SO_DONTROUTE SO_OOBINLINE SO_PRIORITY "
                  "SO_LINGER; others ENOPROTOOPT; other levels EOPNOTSUPP (as AF_UNIX); "
                  "AF_INET/AF_INET6: a whitelist forwarded to the host socket (INET_SOCKOPTS "
                  "in sentry/socket/inet.h: SOL_SOCKET, TCP, IP, IPv6), SO_RCVTIMEO/SO_SNDTIMEO "
                  "kept by the sentry, others ENOPROTOOPT"),
    P(setsockopt, "the options of getsockopt that can be set (and SO_SNDBUFFORCE, "
                  "SO_RCVBUFFORCE); wmem_max/rmem_max are Linux's defaults (212992); "
                  "AF_INET/AF_INET6 as getsockopt"),
    /* memory */
    P(mmap, "MAP_SHARED file mappings map the file's pages (tmpfs data, the gofer's page "
            "cache, written back on msync/fsync/last unmap); files without pages to share "
            "(procfs...): writable MAP_SHARED is ENODEV, read-only a private snapshot; "
            "MAP_HUGETLB is EINVAL"),
    S(munmap),
    S(mprotect),
    S(brk),
    P(mremap, "MREMAP_DONTUNMAP is EINVAL"),
    P(madvise, "DONTNEED and FREE drop pages; NORMAL RANDOM SEQUENTIAL WILLNEED DONTFORK "
               "DOFORK (UN)MERGEABLE (NO)HUGEPAGE DONTDUMP DODUMP COLD PAGEOUT are accepted "
               "and ignored (a DONTFORK range is still inherited); others are EINVAL"),
    S(msync),
    P(mincore, "reports every mapped page resident"),
    P(mlock, "accepted: sandbox memory is never swapped by the sentry"),
    P(munlock, "accepted: see mlock"),
    /* tasks */
    P(arch_prctl, "ARCH_SET/GET_FS, ARCH_SET/GET_GS, ARCH_GET_CPUID (ARCH_SET_CPUID is "
                  "ENODEV); other codes (XSTATE permissions, vDSO mapping, shadow stacks) "
                  "are EINVAL"),
    S(set_tid_address),
    S(set_robust_list),
    P(get_robust_list, "the caller only (pid 0 or own tid), else ESRCH"),
    S(exit),
    S(exit_group),
    S(getpid),
    S(gettid),
    S(getppid),
    P(prctl, "PR_SET_NAME PR_GET_NAME PR_SET_NO_NEW_PRIVS PR_GET_NO_NEW_PRIVS PR_CAPBSET_READ "
             "PR_CAPBSET_DROP PR_SET/GET_KEEPCAPS PR_SET/GET_SECUREBITS PR_CAP_AMBIENT "
             "PR_SET/GET_PDEATHSIG PR_SET/GET_CHILD_SUBREAPER PR_SET/GET_SECCOMP; "
             "PR_SET_DUMPABLE is accepted and not recorded (PR_GET_DUMPABLE is always 1)"),
    S(getuid),
    S(geteuid),
    S(getgid),
    S(getegid),
    S(getresuid),
    S(getresgid),
    S(getgroups),
    S(umask),
    S(setuid),
    S(setgid),
    S(setreuid),
    S(setregid),
    S(setresuid),
    S(setresgid),
    S(setfsuid),
    S(setfsgid),
    S(setgroups),
    S(capget),
    S(capset),

    /* time */
    P(clock_gettime, "CPU-time clocks (own, clock_getcpuclockid, pthread_getcpuclockid) count "
                     "application plus sentry time by state, as gVisor does, not host CPU "
                     "time; dynamic posix-clock fds are EINVAL"),
    P(clock_getres, "as clock_gettime"),
    S(gettimeofday),
    S(time),
    S(nanosleep),
    P(clock_nanosleep, "CPU-time clocks are EINVAL or EOPNOTSUPP"),
    /* timers (sys_timer.c) */
    S(alarm),
    P(getitimer, "ITIMER_VIRTUAL and ITIMER_PROF count wall time, not CPU time"),
    P(setitimer, "ITIMER_VIRTUAL and ITIMER_PROF count wall time, not CPU time"),
    P(timer_create, "CPU-time clocks count wall time; an absolute CLOCK_REALTIME expiration "
                    "does not follow later changes of the host clock"),
    S(timer_settime),
    S(timer_gettime),
    S(timer_getoverrun),
    S(timer_delete),
    /* scheduling */
    P(sched_getaffinity, "the caller only (pid 0, own tid or tgid), else ESRCH; first 64 CPUs"),
    P(sched_setaffinity, "the caller only (pid 0, own tid or tgid), else ESRCH; accepted "
                         "for any subset of the sandbox's CPUs; not enforced"),
    S(sched_yield),
    S(getcpu),
    P(sched_getscheduler, "the caller only (pid 0, own tid or tgid), else ESRCH"),
    P(sched_getparam, "the caller only (pid 0, own tid or tgid), else ESRCH"),
    P(prlimit64, "the caller's process only (pid 0 or own tgid), else ESRCH; new limits as "
                 "setrlimit"),
    S(getrlimit),
    P(setrlimit, "RLIMIT_NOFILE is enforced and RLIMIT_CORE sets the core-dump flag of a "
                 "wait status; the others are recorded only"),
    S(uname),
    P(sysinfo, "the load averages are 0; RAM figures are the host's; no swap, shared or "
               "buffer memory"),
    S(getrandom),
    S(sethostname),
    /* signals */
    S(rt_sigaction),
    S(rt_sigprocmask),
    S(sigaltstack),
    S(rt_sigpending),
    S(rt_sigreturn),
    S(rt_sigsuspend),
    S(pause),
    S(rt_sigtimedwait),
    S(rt_sigqueueinfo),
    S(rt_tgsigqueueinfo),
    S(kill),
    S(tkill),
    S(tgkill),
    /* signalfd (sys_signalfd.c) */
    S(signalfd),
    S(signalfd4),
    /* memfd (sys_memfd.c, sentry/fsimpl/tmpfs: an internal tmpfs, seals) */
    P(memfd_create, "MFD_HUGETLB is EINVAL (no hugetlbfs); F_SEAL_WRITE with a shared "
                    "read-only mapping is EBUSY too (Linux: only writable ones)"),
    /* eventfd (sys_eventfd.c, sentry/fsimpl/anon/eventfd.c) */
    S(eventfd),
    S(eventfd2),
    /* timerfd (sys_timerfd.c, sentry/fsimpl/anon/timerfd.c) */
    P(timerfd_create, "timers run on CLOCK_MONOTONIC: an absolute CLOCK_REALTIME expiration is "
                      "converted when set (later steps of the host's clock are not followed); "
                      "no TFD_IOC_SET_TICKS"),
    P(timerfd_settime, "TFD_TIMER_CANCEL_ON_SET is accepted but never cancels (the sandbox cannot "
                       "set the clock; steps of the host's clock are not noticed)"),
    S(timerfd_gettime),
    /* inotify (sys_inotify.c, sentry/kernel/inotify.c) */
    S(inotify_init),
    S(inotify_init1),
    P(inotify_add_watch, "no IN_UNMOUNT; sendfile, splice and copy_file_range make no events; "
                         "max_user_watches is a fixed 8192"),
    S(inotify_rm_watch),
    /* epoll (sys_epoll.c, sentry/kernel/epoll.c) */
    S(epoll_create),
    S(epoll_create1),
    P(epoll_ctl, "EPOLLEXCLUSIVE wakes every waiter (allowed: \"one or more\"); EPOLLWAKEUP "
                 "is kept with CAP_BLOCK_SUSPEND but nothing suspends; no max_user_watches "
                 "limit or wakeup-path count (ENOSPC, EINVAL)"),
    P(epoll_wait, "items of host files (stdio) are polled on each wait: edge-triggered ones "
                  "report a condition a previous poll did not see"),
    P(epoll_pwait, "as epoll_wait"),
    P(epoll_pwait2, "as epoll_wait"),
    /* processes */
    P(clone, "namespace flags are EINVAL"),
    P(clone3, "namespace flags and set_tid are EINVAL; CLONE_INTO_CGROUP is EBADF (no cgroup v2 "
              "hierarchy: no fd is a cgroup2 directory, Linux's answer for any other fd)"),
    S(fork),
    S(vfork),
    S(execve),
    S(execveat),
    P(wait4, "rusage: only ru_utime and ru_stime (the child's, with its waited-for children)"),
    P(waitid, "rusage: only ru_utime and ru_stime"),
    S(pidfd_open),
    P(pidfd_send_signal, "flags must be 0"),
    S(setpgid),
    S(setsid),
    S(getpgid),
    S(getsid),
    S(getpgrp),
    P(getrusage, "ru_utime, ru_stime (application vs sentry time, as gVisor accounts them) and "
                 "ru_maxrss; the other fields are zero"),
    S(times),
    P(futex, "PI futexes work functionally, without priority inheritance"),
    S(restart_syscall),
    /* POSIX message queues (sys_mq.c, sentry/fsimpl/mqueue) */
    S(mq_open),
    S(mq_unlink),
    S(mq_timedsend),
    S(mq_timedreceive),
    P(mq_notify, "SIGEV_THREAD needs a netlink socket: none in the sandbox"),
    S(mq_getsetattr),
    /* System V IPC (sys_shm.c, sys_sem.c, sys_msg.c, sentry/kernel/ipc) */
    S(shmget),
    S(shmat),
    S(shmdt),
    S(shmctl),
    S(semget),
    S(semop),
    S(semtimedop),
    S(semctl),
    S(msgget),
    S(msgsnd),
    S(msgrcv),
    S(msgctl),
    /* seccomp (sys_seccomp.c, sentry/kernel/seccomp.c) */
    P(seccomp, "strict mode and filters (TSYNC, LOG); SECCOMP_FILTER_FLAG_NEW_LISTENER is "
               "EINVAL: no user notification (RET_USER_NOTIF and RET_TRACE fail with ENOSYS)"),
    /* Refused on purpose. */
    N(__NR_rseq, "restartable sequences are not supported; glibc falls back"),
    N(__NR_uselib, "obsolete"),
    N(__NR_epoll_ctl_old, "never implemented on x86-64 (ENOSYS in Linux too)"),
    N(__NR_epoll_wait_old, "never implemented on x86-64 (ENOSYS in Linux too)"),
    N(__NR_create_module, "obsolete"),
    N(__NR_get_kernel_syms, "obsolete"),
    N(__NR_query_module, "obsolete"),
    N(__NR_nfsservctl, "obsolete"),
    N(__NR_getpmsg, "not in Linux"),
    N(__NR_putpmsg, "not in Linux"),
    N(__NR_afs_syscall, "not in Linux"),
    N(__NR_tuxcall, "not in Linux"),
    N(__NR_security, "not in Linux"),
    N(__NR_vserver, "not in Linux"),
    N(__NR_init_module, "no kernel modules in a sandbox"),
    N(__NR_finit_module, "no kernel modules in a sandbox"),
    N(__NR_delete_module, "no kernel modules in a sandbox"),
    N(__NR_kexec_load, "not in a sandbox"),
    N(__NR_kexec_file_load, "not in a sandbox"),
    N(__NR_reboot, "not in a sandbox"),
    N(__NR_swapon, "not in a sandbox"),
    N(__NR_swapoff, "not in a sandbox"),
    N(__NR_iopl, "no port I/O in a sandbox"),
    N(__NR_ioperm, "no port I/O in a sandbox"),
    N(__NR_bpf, "not supported"),
    N(__NR_perf_event_open, "not supported"),
    N(__NR_userfaultfd, "not supported"),
};

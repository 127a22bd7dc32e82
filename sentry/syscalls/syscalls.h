/* The system call table: the only place that knows syscall numbers and
 * argument registers. Handlers are sys_<name>(task, args) in sys_<family>.c
 * and return a value or -errno.
 *
 * Every number has a row with a support status; a number without a handler
 * returns -ENOSYS, is counted, and its name is logged once. */
#pragma once

#include <limits.h>
#include <stdint.h>
#include <stdio.h>

#include "sentry/kernel/kernel.h"

#define SYSCALL_NR_MAX 468

enum syscall_status {
    SYSCALL_ENOSYS = 0, /* not implemented (the note says why) */
    SYSCALL_SUPPORTED,  /* implemented as Linux does */
    SYSCALL_PARTIAL,    /* implemented with the limits in the note */
};

struct syscall_args {
    uint64_t a[6];
};

typedef long (*syscall_fn)(struct task *t, const struct syscall_args *args);

struct syscall_entry {
    syscall_fn fn;
    enum syscall_status status;
    const char *note;
};

extern const struct syscall_entry g_syscall_table[SYSCALL_NR_MAX];
extern const char *const g_syscall_names[SYSCALL_NR_MAX];

/* A handler returning SYSCALL_RETURN_REGS has set the registers itself
 * (rt_sigreturn): rax is left alone and no restart is considered. */
#define SYSCALL_RETURN_REGS LONG_MIN
/* What syscall_dispatch returns in that case. */
#define SYSCALL_NO_RESTART LONG_MIN

/* Serves the system call the task stopped at (regs.gp.orig_rax and the
 * argument registers), stores the result in rax and returns it (raw: the
 * restart codes -ERESTART* are seen by the signal code). */
long syscall_dispatch(struct task *t);
/* Prints the compatibility report (number, name, status, note). */
void syscall_print_table(FILE *f);
/* Name of a number, or NULL. */
const char *syscall_name(unsigned long nr);

/* Handlers, by family (sys_<family>.c). */
#define SYS(name) long sys_##name(struct task *t, const struct syscall_args *args)
/* sys_file.c */
SYS(open);
SYS(openat);
SYS(creat);
SYS(close);
SYS(close_range);
/* sys_rw.c */
SYS(read);
SYS(write);
SYS(readv);
SYS(writev);
SYS(pread64);
SYS(pwrite64);
SYS(preadv);
SYS(pwritev);
SYS(preadv2);
SYS(pwritev2);
SYS(lseek);
SYS(fsync);
SYS(fdatasync);
/* sys_stat.c */
SYS(stat);
SYS(lstat);
SYS(fstat);
SYS(newfstatat);
SYS(statx);
SYS(access);
SYS(faccessat);
SYS(faccessat2);
SYS(readlink);
SYS(readlinkat);
SYS(statfs);
SYS(fstatfs);
/* sys_dir.c */
SYS(getdents64);
SYS(getdents);
SYS(getcwd);
SYS(chdir);
SYS(fchdir);
/* sys_fd.c */
SYS(dup);
SYS(dup2);
SYS(dup3);
SYS(fcntl);
/* sys_memfd.c */
SYS(memfd_create);
/* sys_xattr.c */
SYS(getxattr);
SYS(lgetxattr);
SYS(fgetxattr);
SYS(setxattr);
SYS(lsetxattr);
SYS(fsetxattr);
SYS(listxattr);
SYS(llistxattr);
SYS(flistxattr);
SYS(removexattr);
SYS(lremovexattr);
SYS(fremovexattr);
SYS(flock);
SYS(ioctl);
/* sys_mm.c */
SYS(mmap);
SYS(munmap);
SYS(mprotect);
SYS(brk);
SYS(mremap);
SYS(madvise);
SYS(msync);
SYS(mincore);
SYS(mlock);
SYS(munlock);
/* sys_thread.c */
SYS(arch_prctl);
SYS(set_tid_address);
SYS(set_robust_list);
SYS(get_robust_list);
SYS(exit);
SYS(exit_group);
SYS(getpid);
SYS(gettid);
SYS(getppid);
SYS(prctl);
/* sys_identity.c */
SYS(getuid);
SYS(geteuid);
SYS(getgid);
SYS(getegid);
SYS(getresuid);
SYS(getresgid);
SYS(getgroups);
SYS(umask);
SYS(setuid);
SYS(setgid);
SYS(setreuid);
SYS(setregid);
SYS(setresuid);
SYS(setresgid);
SYS(setfsuid);
SYS(setfsgid);
SYS(setgroups);
SYS(capget);
SYS(capset);

/* sys_time.c */
SYS(clock_gettime);
SYS(clock_getres);
SYS(gettimeofday);
SYS(time);
SYS(nanosleep);
SYS(clock_nanosleep);
/* sys_sched.c */
SYS(sched_getaffinity);
SYS(sched_setaffinity);
SYS(sched_yield);
SYS(getcpu);
SYS(sched_getscheduler);
SYS(sched_getparam);
/* sys_rlimit.c */
SYS(prlimit64);
SYS(getrlimit);
SYS(setrlimit);
/* sys_info.c */
SYS(uname);
SYS(sysinfo);
SYS(getrandom);
SYS(sethostname);
/* sys_signal.c */
SYS(rt_sigaction);
SYS(rt_sigprocmask);
SYS(sigaltstack);
SYS(rt_sigpending);
SYS(rt_sigreturn);
SYS(rt_sigsuspend);
SYS(pause);
SYS(rt_sigtimedwait);
SYS(rt_sigqueueinfo);
SYS(rt_tgsigqueueinfo);
/* sys_process.c */
SYS(clone);
SYS(clone3);
SYS(fork);
SYS(vfork);
SYS(execve);
SYS(execveat);
SYS(wait4);
SYS(waitid);
SYS(setpgid);
SYS(setsid);
SYS(getpgid);
SYS(getsid);
SYS(getpgrp);
SYS(kill);
SYS(tkill);
SYS(tgkill);
SYS(getrusage);
SYS(times);
SYS(pidfd_open);
SYS(pidfd_send_signal);
/* sys_futex.c */
SYS(futex);
SYS(restart_syscall);
/* sys_namei.c */
SYS(mkdir);
SYS(mkdirat);
SYS(mknod);
SYS(mknodat);
SYS(symlink);
SYS(symlinkat);
SYS(link);
SYS(linkat);
SYS(unlink);
SYS(unlinkat);
SYS(rmdir);
SYS(rename);
SYS(renameat);
SYS(renameat2);
SYS(chmod);
SYS(fchmod);
SYS(fchmodat);
SYS(chown);
SYS(fchown);
SYS(lchown);
SYS(fchownat);
SYS(utime);
SYS(utimes);
SYS(futimesat);
SYS(utimensat);
SYS(truncate);
SYS(ftruncate);
/* sys_pipe.c */
SYS(pipe);
SYS(pipe2);
/* sys_socket.c */
SYS(socket);
SYS(socketpair);
SYS(bind);
SYS(listen);
SYS(accept);
SYS(accept4);
SYS(connect);
SYS(getsockname);
SYS(getpeername);
SYS(shutdown);
SYS(sendto);
SYS(recvfrom);
SYS(sendmsg);
SYS(recvmsg);
SYS(sendmmsg);
SYS(recvmmsg);
SYS(getsockopt);
SYS(setsockopt);
/* sys_poll.c */
SYS(poll);
SYS(ppoll);
SYS(select);
SYS(pselect6);
/* sys_timer.c */
SYS(alarm);
SYS(getitimer);
SYS(setitimer);
SYS(timer_create);
SYS(timer_settime);
SYS(timer_gettime);
SYS(timer_getoverrun);
SYS(timer_delete);
/* sys_signalfd.c */
SYS(signalfd);
SYS(signalfd4);
/* sys_eventfd.c */
SYS(eventfd);
SYS(eventfd2);
/* sys_timerfd.c */
SYS(timerfd_create);
SYS(timerfd_settime);
SYS(timerfd_gettime);
/* sys_inotify.c */
SYS(inotify_init);
SYS(inotify_init1);
SYS(inotify_add_watch);
SYS(inotify_rm_watch);
/* sys_epoll.c */
SYS(epoll_create);
SYS(epoll_create1);
SYS(epoll_ctl);
SYS(epoll_wait);
SYS(epoll_pwait);
SYS(epoll_pwait2);
/* sys_mq.c */
SYS(mq_open);
SYS(mq_unlink);
SYS(mq_timedsend);
SYS(mq_timedreceive);
SYS(mq_notify);
SYS(mq_getsetattr);
/* sys_shm.c (sentry/kernel/ipc) */
SYS(shmget);
SYS(shmat);
SYS(shmdt);
SYS(shmctl);
/* sys_sem.c (sentry/kernel/ipc) */
SYS(semget);
SYS(semop);
SYS(semtimedop);
SYS(semctl);
/* sys_msg.c (sentry/kernel/ipc) */
SYS(msgget);
SYS(msgsnd);
SYS(msgrcv);
SYS(msgctl);
/* sys_seccomp.c (prctl's PR_SET_SECCOMP / PR_GET_SECCOMP too) */
SYS(seccomp);
long sys_prctl_seccomp(struct task *t, int op, uint64_t mode, uint64_t filter);
#undef SYS

/* The gofer's host seccomp filter (seccomp.h).
 *
 * The gofer serves one poll() loop: uRPC frames over unix sockets (sendmsg/recvmsg with
 * SCM_RIGHTS), and file operations relative to O_PATH fds (gofer/ops.c): openat2 /
 * openat beneath a directory fd, reopening through its /proc fd ("self/fd/N"), fstat,
 * getdents64, readlinkat, mkdirat, mknodat, symlinkat, linkat, renameat2, unlinkat,
 * fchownat, fchmodat, utimensat, ftruncate, fstatfs. The list was
 * checked by running the gofer unit tests and the e2e suites with GOFER_SECCOMP_LOG (and the
 * ASan build's unit tests, which add sigaltstack).
 *
 * "A real directory fd": the dirfd argument of every *at call must be a non-negative int
 * (unsigned 64-bit comparison <= INT_MAX), so AT_FDCWD is refused however its upper bits
 * are set. An absolute path ignores dirfd; after gofer_confine's pivot_root it resolves
 * inside the served tree anyway. */
#include "gofer/seccomp.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include "confine/seccomp.h"
#include "lib/cleanup.h"

static const struct confine_rule g_rules[] = {
    /* uRPC: frames and fds over the connections, the loop, the stop pipe. */
    ANY(sendmsg),
    ANY(recvmsg),
    ANY(poll),
    ANY(ppoll),
    ANY(read),
    ANY(write),
    ANY(readv),
    ANY(writev),
    ANY(close),
    IF1(getsockopt, A_EQ(1, SOL_SOCKET)),
    IF1(fcntl, A_EQ(1, F_GETFD)),
    IF1(fcntl, A_EQ(1, F_SETFD)),
    IF1(fcntl, A_EQ(1, F_GETFL)),
    IF1(fcntl, A_EQ(1, F_SETFL)),
    IF1(fcntl, A_EQ(1, F_DUPFD)),
    IF1(fcntl, A_EQ(1, F_DUPFD_CLOEXEC)),

    /* Files, always relative to a fid's fd (or the /proc fd for reopening). */
    IF1(openat, A_FD(0)),
    IF1(openat2, A_FD(0)),
    IF1(newfstatat, A_FD(0)),
    IF1(statx, A_FD(0)),
    IF1(readlinkat, A_FD(0)),
    IF1(mkdirat, A_FD(0)),
    IF1(unlinkat, A_FD(0)),
    IF1(fchownat, A_FD(0)),
    IF1(fchmodat, A_FD(0)),
    IF1(utimensat, A_FD(0)),
    /* Gofer.Mknod: regular files, fifos and sockets, never devices. */
    IF2(mknodat, A_FD(0), A_MASK(2, S_IFMT, S_IFREG)),
    IF2(mknodat, A_FD(0), A_MASK(2, S_IFMT, S_IFIFO)),
    IF2(mknodat, A_FD(0), A_MASK(2, S_IFMT, S_IFSOCK)),
    IF1(symlinkat, A_FD(1)),       /* (target, dirfd, name) */
    IF2(linkat, A_FD(0), A_FD(2)), /* the /proc fd, the new name's dir fd */
    IF2(renameat2, A_FD(0), A_FD(2)),
    ANY(fstat),
    ANY(fstatfs),
    ANY(getdents64),
    ANY(lseek),
    ANY(fchmod),
    ANY(fchown),
    ANY(ftruncate),
    ANY(fsync),
    ANY(fdatasync),

    /* malloc, never executable memory. */
    ANY(brk),
    ANY(munmap),
    ANY(mremap),
    ANY(madvise),
    IF1(mmap, A_MASK(2, PROT_EXEC, 0)),
    IF1(mprotect, A_MASK(2, PROT_EXEC, 0)),
    ANY(futex),

    /* The rest of a process's life: logging (time, pid), abort() on OOM, exit. */
    ANY(clock_gettime),
    ANY(gettimeofday),
    ANY(getpid),
    ANY(gettid),
    ANY(rt_sigaction),
    ANY(rt_sigprocmask),
    ANY(rt_sigreturn),
    ANY(sigaltstack), /* ASan builds: a thread's alternate stack goes at exit */
    ANY(restart_syscall),
    ANY(exit),
    ANY(exit_group),
};

size_t gofer_seccomp_syscall_count(void)
{
    return confine_seccomp_count(g_rules, ARRAY_SIZE(g_rules));
}

int gofer_seccomp_install_mode(enum gofer_seccomp_mode mode)
{
    return confine_seccomp_load(mode == GOFER_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_KILL_PROCESS,
                                g_rules, ARRAY_SIZE(g_rules), NULL, NULL, 0);
}

int gofer_seccomp_install(void)
{
    return gofer_seccomp_install_mode(GOFER_SECCOMP_KILL);
}

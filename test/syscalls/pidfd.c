/* pidfds: pidfd_open, CLONE_PIDFD (clone3), poll readiness on exit,
 * pidfd_send_signal, waitid(P_PIDFD). */
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

static void open_poll_signal_wait(void)
{
    pid_t c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    int fd = (int)CHECK_OK(syscall(SYS_pidfd_open, c, 0));
    CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    struct pollfd p = {fd, POLLIN, 0};
    CHECK_EQ(CHECK_OK(poll(&p, 1, 50)), 0); /* alive: not readable */
    CHECK_OK(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0));
    CHECK_EQ(CHECK_OK(poll(&p, 1, 5000)), 1);
    CHECK(p.revents & POLLIN);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_PIDFD, fd, &si, WEXITED));
    CHECK_EQ(si.si_pid, c);
    CHECK_EQ(si.si_code, CLD_KILLED);
    CHECK_EQ(si.si_status, SIGTERM);
    CHECK_ERR(syscall(SYS_pidfd_send_signal, fd, SIGTERM, NULL, 0), ESRCH);
    CHECK_ERR(waitid(P_PIDFD, fd, &si, WEXITED), ECHILD);
    close(fd);
}

static void errors(void)
{
    CHECK_ERR(syscall(SYS_pidfd_open, 0, 0), EINVAL);
    CHECK_ERR(syscall(SYS_pidfd_open, getpid(), 12345), EINVAL);
    CHECK_ERR(syscall(SYS_pidfd_send_signal, 0, SIGTERM, NULL, 0), EBADF);
    siginfo_t si;
    CHECK_ERR(waitid(P_PIDFD, 0, &si, WEXITED), EBADF); /* stdin is not a pidfd */
}

static void clone3_pidfd(void)
{
    int pidfd = -1;
    struct clone_args ca;
    memset(&ca, 0, sizeof(ca));
    ca.flags = CLONE_PIDFD;
    ca.pidfd = (uint64_t)(uintptr_t)&pidfd;
    ca.exit_signal = SIGCHLD;
    long c = CHECK_OK(syscall(SYS_clone3, &ca, sizeof(ca)));
    if (c == 0)
        _exit(7);
    CHECK(pidfd >= 0);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    CHECK_OK(waitid(P_PIDFD, pidfd, &si, WEXITED));
    CHECK_EQ(si.si_pid, c);
    CHECK_EQ(si.si_code, CLD_EXITED);
    CHECK_EQ(si.si_status, 7);
    close(pidfd);
}

int main(void)
{
    open_poll_signal_wait();
    errors();
    clone3_pidfd();
    return 0;
}

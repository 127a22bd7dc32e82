/* The confinement of the sandbox and the gofer (sentry/boot/confine.c, sentry/boot/seccomp.c,
 * gofer/confine.c, gofer/seccomp.c, confine/): the filters bite, the allowed calls work, pivot_root
 * and the capability drops leave what /proc says they should.
 *
 * Every filter is installed in a child forked for it (a filter cannot be removed), with the
 * functions the runtime itself calls; the test process only watches: exit status, and the
 * child's /proc/<pid>/{status,task,root,mountinfo}. Tests that need a mount namespace of
 * their own (unshare, as root) skip when it cannot be made. */
#include <dirent.h>
#include <errno.h>
#include <execinfo.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "confine/mountns.h"
#include "gofer/confine.h"
#include "gofer/entry.h"
#include "gofer/seccomp.h"
#include "platform/platform.h"
#include "sentry/boot/confine.h"
#include "sentry/boot/seccomp.h"
#include "sentry/fsimpl/gofer/client.h"
#include "test/unit/harness.h"
#include "urpc/conn.h"

/* A child's exit code when it could not set up what the test needs (not the filter's
 * fault): the test skips. */
#define CHILD_SKIP 77

static const int g_no_platform[] = {-1};

static const int *ptrace_syscalls(void)
{
    const struct platform_ops *ops = platform_lookup("ptrace");
    CHECK(ops && ops->host_syscalls);
    return ops->host_syscalls;
}

/* Runs fn in a forked child and returns its wait status. */
static int in_child(void (*fn)(const void *), const void *arg)
{
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(30);
        fn(arg);
        _exit(0);
    }
    int st;
    CHECK_INT(waitpid(pid, &st, 0), ==, pid);
    return st;
}

static void check_sigsys(int st, const char *what)
{
    if (WIFSIGNALED(st) && WTERMSIG(st) == SIGSYS)
        return;
    if (WIFEXITED(st))
        ut_fail(__FILE__, __LINE__, "%s: exited with %d instead of dying of SIGSYS", what,
                WEXITSTATUS(st));
    ut_fail(__FILE__, __LINE__, "%s: killed by signal %d instead of SIGSYS", what,
            WIFSIGNALED(st) ? WTERMSIG(st) : -1);
}

static void check_exit0(int st, const char *what)
{
    if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_SKIP)
        SKIP("%s: the child could not set up (see above)", what);
    if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
        return;
    if (WIFSIGNALED(st))
        ut_fail(__FILE__, __LINE__, "%s: killed by signal %d%s", what, WTERMSIG(st),
                WTERMSIG(st) == SIGSYS ? " (a forbidden syscall)" : "");
    ut_fail(__FILE__, __LINE__, "%s: exited with %d", what, WEXITSTATUS(st));
}

/* ---- the sentry's filter ------------------------------------------------------------ */

static void sentry_filter(const int *platform)
{
    /* As sentry_confine does: glibc loads libgcc_s (for pthread_exit) by path, with
     * PROT_EXEC, which a platform without openat and mmap does not allow afterwards. */
    void *frames[2];
    backtrace(frames, 2);
    int r = sentry_seccomp_install(platform);
    if (r < 0) {
        fprintf(stderr, "sentry_seccomp_install: %s\n", strerror(-r));
        _exit(3);
    }
}

static void do_execve(const void *arg)
{
    char *argv[] = {"true", NULL};
    execve("/bin/true", argv, environ);
    _exit(4); /* exec failed without killing: the filter let it through */
}

static void sentry_then_execve(const void *platform)
{
    sentry_filter(platform);
    do_execve(NULL);
}

TEST(sentry_filter_kills_execve)
{
    check_sigsys(in_child(sentry_then_execve, ptrace_syscalls()), "execve");
    check_sigsys(in_child(sentry_then_execve, g_no_platform), "execve, no platform");
}

static void *thread_exit(void *arg)
{
    (void)arg;
    pthread_exit((void *)42); /* unwinds through libgcc_s */
}

/* What the sentry does all day, each call checked. */
static void sentry_allowed_calls(const void *platform)
{
    int p[2];
    CHECK_INT(pipe2(p, O_CLOEXEC), ==, 0);
    sentry_filter(platform);
    pid_t pid = getpid();
    CHECK(pid > 0);
    CHECK(syscall(SYS_gettid) > 0);
    struct timespec ts;
    CHECK_INT(clock_gettime(CLOCK_MONOTONIC, &ts), ==, 0);
    CHECK_INT(clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts), ==, 0); /* a real syscall */
    CHECK_INT(clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts), ==, 0);
    struct timespec nap = {0, 1000};
    CHECK_INT(nanosleep(&nap, NULL), ==, 0);
    CHECK_INT(write(p[1], "x", 1), ==, 1);
    char c;
    CHECK_INT(read(p[0], &c, 1), ==, 1);
    struct iovec iov = {.iov_base = "yz", .iov_len = 2};
    CHECK_INT(writev(p[1], &iov, 1), ==, 2);
    struct pollfd pfd = {.fd = p[0], .events = POLLIN};
    CHECK_INT(poll(&pfd, 1, 0), ==, 1);
    char *big = malloc(64 << 20); /* mmap */
    CHECK(big);
    memset(big, 1, 1 << 20);
    free(big);
    void *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    CHECK_INT(mprotect(m, 4096, PROT_READ), ==, 0);
    CHECK_INT(madvise(m, 8192, MADV_DONTNEED), ==, 0);
    CHECK_INT(munmap(m, 8192), ==, 0);
    struct stat st;
    CHECK_INT(fstat(p[0], &st), ==, 0);
    CHECK_INT(fcntl(p[0], F_GETFL) >= 0, ==, 1);
    int dupfd = fcntl(p[0], F_DUPFD_CLOEXEC, 10);
    CHECK(dupfd >= 10);
    CHECK_INT(close(dupfd), ==, 0);
    CHECK_INT(isatty(p[0]), ==, 0); /* ioctl TCGETS: ENOTTY */
    int on = 1;
    CHECK_INT(ioctl(p[0], FIONBIO, &on), ==, 0);
    int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    CHECK(efd >= 0);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    CHECK(ep >= 0);
    struct epoll_event ev = {.events = EPOLLIN, .data.fd = efd};
    CHECK_INT(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), ==, 0);
    CHECK_INT(epoll_wait(ep, &ev, 1, 0), ==, 0);
    int sv[2];
    CHECK_INT(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), ==, 0);
    /* AF_INET / AF_INET6 as sentry/socket/inet.c uses them (a loopback connection). */
    int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(ls >= 0);
    CHECK_INT(setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)), ==, 0);
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_INT(bind(ls, (struct sockaddr *)&sin, sizeof(sin)), ==, 0);
    socklen_t sl = sizeof(sin);
    CHECK_INT(getsockname(ls, (struct sockaddr *)&sin, &sl), ==, 0);
    CHECK_INT(listen(ls, 1), ==, 0);
    int cs = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(cs >= 0);
    CHECK_INT(connect(cs, (struct sockaddr *)&sin, sizeof(sin)) == 0 || errno == EINPROGRESS, ==,
              1);
    CHECK_INT(setsockopt(cs, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)), ==, 0);
    int avail = -1;
    CHECK_INT(ioctl(cs, FIONREAD, &avail), ==, 0);
    int us = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    CHECK(us >= 0 || errno == EAFNOSUPPORT);
    /* An fd over the socket, as uRPC does. */
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec one = {.iov_base = "m", .iov_len = 1};
    struct msghdr mh = {
        .msg_iov = &one, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(cm), &efd, sizeof(int));
    CHECK_INT(sendmsg(sv[0], &mh, MSG_NOSIGNAL), ==, 1);
    char rbuf[1];
    struct iovec rio = {.iov_base = rbuf, .iov_len = 1};
    char rcbuf[CMSG_SPACE(sizeof(int))];
    struct msghdr rh = {
        .msg_iov = &rio, .msg_iovlen = 1, .msg_control = rcbuf, .msg_controllen = sizeof(rcbuf)};
    CHECK_INT(recvmsg(sv[1], &rh, MSG_CMSG_CLOEXEC), ==, 1);
    int type = 0;
    socklen_t tl = sizeof(type);
    CHECK_INT(getsockopt(sv[1], SOL_SOCKET, SO_TYPE, &type, &tl), ==, 0);
    uint8_t rnd[16];
    CHECK_INT(getrandom(rnd, sizeof(rnd), 0), ==, 16);
    struct sysinfo si;
    CHECK_INT(sysinfo(&si), ==, 0);
    struct utsname u;
    CHECK_INT(uname(&u), ==, 0);
    cpu_set_t set;
    CHECK_INT(sched_getaffinity(0, sizeof(set), &set), ==, 0);
    CHECK_INT(sched_yield(), ==, 0);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    CHECK_INT(pthread_sigmask(SIG_BLOCK, &mask, NULL), ==, 0);
    CHECK_INT(raise(SIGUSR1), ==, 0); /* tgkill of our own process */
    siginfo_t info;
    CHECK_INT(sigwaitinfo(&mask, &info), ==, SIGUSR1);
    /* Threads: glibc's clone3 gets ENOSYS (or the platform's allow), clone makes them. */
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, thread_exit, NULL), ==, 0);
    void *ret;
    CHECK_INT(pthread_join(th, &ret), ==, 0);
    CHECK(ret == (void *)42);
    CHECK_INT(ftruncate(p[0], 0) < 0, ==, 1); /* a pipe: EINVAL, but allowed */
}

TEST(sentry_filter_allows_what_the_sentry_uses)
{
    check_exit0(in_child(sentry_allowed_calls, ptrace_syscalls()), "with the ptrace list");
    check_exit0(in_child(sentry_allowed_calls, g_no_platform), "without a platform");
}

static void sentry_then_inet(const void *platform)
{
    sentry_filter(platform);
    socket(AF_INET, SOCK_RAW, IPPROTO_ICMP); /* inet sockets are TCP or UDP only */
    _exit(4);
}

static void sentry_then_unix_socket(const void *platform)
{
    sentry_filter(platform);
    socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0); /* connect could reach abstract names */
    _exit(4);
}

static void sentry_then_netlink(const void *platform)
{
    sentry_filter(platform);
    socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    _exit(4);
}

static void sentry_then_bad_sockopt(const void *platform)
{
    sentry_filter(platform);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int v = 1;
    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, &v, sizeof(v)); /* not on the list */
    _exit(4);
}

static void sentry_then_inet_pair(const void *platform)
{
    sentry_filter(platform);
    int sv[2];
    socketpair(AF_INET6, SOCK_STREAM, 0, sv);
    _exit(4);
}

static void sentry_then_bad_ioctl(const void *platform)
{
    sentry_filter(platform);
    char c = 'x';
    ioctl(0, TIOCSTI, &c); /* typing into a terminal */
    _exit(4);
}

static void sentry_then_fcntl_lock(const void *platform)
{
    int p[2];
    CHECK_INT(pipe(p), ==, 0);
    sentry_filter(platform);
    fcntl(p[0], F_SETOWN, 1);
    _exit(4);
}

static void sentry_then_mount(const void *platform)
{
    sentry_filter(platform);
    mount("none", "/", "tmpfs", 0, NULL);
    _exit(4);
}

static void sentry_then_unshare(const void *platform)
{
    sentry_filter(platform);
    unshare(CLONE_NEWUSER);
    _exit(4);
}

static void sentry_then_tgkill_other(const void *platform)
{
    sentry_filter(platform);
    syscall(SYS_tgkill, 1, 1, 0);
    _exit(4);
}

/* Forbidden arguments of allowed syscalls kill too; these are checked whatever the
 * platform (the ptrace platform does not list them). */
TEST(sentry_filter_kills_forbidden_arguments)
{
    const int *pt = ptrace_syscalls();
    check_sigsys(in_child(sentry_then_inet, pt), "socket(AF_INET, SOCK_RAW)");
    check_sigsys(in_child(sentry_then_unix_socket, pt), "socket(AF_UNIX)");
    check_sigsys(in_child(sentry_then_netlink, pt), "socket(AF_NETLINK)");
    check_sigsys(in_child(sentry_then_bad_sockopt, pt), "setsockopt(SO_BINDTODEVICE)");
    check_sigsys(in_child(sentry_then_inet_pair, pt), "socketpair(AF_INET6)");
    check_sigsys(in_child(sentry_then_bad_ioctl, pt), "ioctl(TIOCSTI)");
    check_sigsys(in_child(sentry_then_mount, pt), "mount");
    check_sigsys(in_child(sentry_then_unshare, pt), "unshare");
}

static void sentry_then_exec_mmap(const void *platform)
{
    sentry_filter(platform);
    mmap(NULL, 4096, PROT_READ | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    _exit(4);
}

static void sentry_then_exec_mprotect(const void *platform)
{
    void *m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(m != MAP_FAILED);
    sentry_filter(platform);
    mprotect(m, 4096, PROT_READ | PROT_EXEC);
    _exit(4);
}

static void sentry_then_fork(const void *platform)
{
    sentry_filter(platform);
    syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0); /* a process, not a thread */
    _exit(4);
}

static void sentry_then_open(const void *platform)
{
    sentry_filter(platform);
    open("/etc/passwd", O_RDONLY);
    _exit(4);
}

static void sentry_then_stat_path(const void *platform)
{
    sentry_filter(platform);
    struct stat st;
    stat("/", &st);
    _exit(4);
}

/* The sentry's own argument checks on calls its platform (ptrace) allows outright: they
 * bite for a platform that does not list those calls. */
TEST(sentry_filter_own_argument_checks)
{
    check_sigsys(in_child(sentry_then_exec_mmap, g_no_platform), "mmap(PROT_EXEC)");
    check_sigsys(in_child(sentry_then_exec_mprotect, g_no_platform), "mprotect(PROT_EXEC)");
    check_sigsys(in_child(sentry_then_fork, g_no_platform), "clone without CLONE_THREAD");
    check_sigsys(in_child(sentry_then_open, g_no_platform), "open");
    check_sigsys(in_child(sentry_then_stat_path, g_no_platform), "stat of a path");
    check_sigsys(in_child(sentry_then_fcntl_lock, g_no_platform), "fcntl(F_SETOWN)");
    check_sigsys(in_child(sentry_then_tgkill_other, g_no_platform), "tgkill of another pid");
}

TEST(sentry_filter_list_size)
{
    size_t n = sentry_seccomp_syscall_count();
    CHECK(n > 50 && n < 120);
    CHECK(sentry_seccomp_allows(SYS_read));
    CHECK(!sentry_seccomp_allows(SYS_execve));
    CHECK(!sentry_seccomp_allows(SYS_openat));
    size_t g = gofer_seccomp_syscall_count();
    CHECK(g > 30 && g < 80);
    printf("    allowlists: sentry %zu syscalls (+ the platform's), gofer %zu\n", n, g);
}

/* ---- the gofer's filter ----------------------------------------------------------- */

static void gofer_filter(void)
{
    int r = gofer_seccomp_install();
    if (r < 0) {
        fprintf(stderr, "gofer_seccomp_install: %s\n", strerror(-r));
        _exit(3);
    }
}

static void gofer_then_execve(const void *arg)
{
    gofer_filter();
    do_execve(NULL);
}

static void gofer_then_inet(const void *arg)
{
    gofer_filter();
    socket(AF_INET, SOCK_STREAM, 0);
    _exit(4);
}

static void gofer_then_unix_socket(const void *arg)
{
    gofer_filter();
    socket(AF_UNIX, SOCK_STREAM, 0);
    _exit(4);
}

static void gofer_then_open_cwd(const void *arg)
{
    gofer_filter();
    open("/etc/passwd", O_RDONLY); /* openat(AT_FDCWD, ...) */
    _exit(4);
}

static void gofer_then_open_fake_cwd(const void *arg)
{
    gofer_filter();
    /* AT_FDCWD with its upper 32 bits cleared: still AT_FDCWD to the kernel. */
    syscall(SYS_openat, 0xffffff9cul, "/etc/passwd", O_RDONLY, 0);
    _exit(4);
}

static void gofer_then_kill(const void *arg)
{
    gofer_filter();
    kill(1, 0);
    _exit(4);
}

static void gofer_then_ptrace(const void *arg)
{
    gofer_filter();
    syscall(SYS_ptrace, 0 /* PTRACE_TRACEME */, 0, 0, 0);
    _exit(4);
}

TEST(gofer_filter_kills)
{
    check_sigsys(in_child(gofer_then_execve, NULL), "execve");
    check_sigsys(in_child(gofer_then_inet, NULL), "socket(AF_INET)");
    check_sigsys(in_child(gofer_then_unix_socket, NULL), "socket(AF_UNIX)");
    check_sigsys(in_child(gofer_then_open_cwd, NULL), "open of an absolute path");
    check_sigsys(in_child(gofer_then_open_fake_cwd, NULL), "openat(0xffffff9c)");
    check_sigsys(in_child(gofer_then_kill, NULL), "kill");
    check_sigsys(in_child(gofer_then_ptrace, NULL), "ptrace");
}

/* What gofer/ops.c does, relative to fds. */
static void gofer_allowed_calls(const void *arg)
{
    const char *dir = arg;
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(dfd >= 0);
    int proc = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(proc >= 0);
    uid_t uid = getuid();
    gid_t gid = getgid();
    gofer_filter();
    struct open_how how = {.flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                           .mode = 0644,
                           .resolve =
                               RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
    int fd = (int)syscall(SYS_openat2, dfd, "f", &how, sizeof(how));
    if (fd < 0 && errno == ENOSYS)
        fd = openat(dfd, "f", O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, "hello", 5), ==, 5);
    CHECK_INT(ftruncate(fd, 4), ==, 0);
    CHECK_INT(fsync(fd), ==, 0);
    struct stat st;
    CHECK_INT(fstat(fd, &st), ==, 0);
    CHECK_INT(st.st_size, ==, 4);
    CHECK_INT(fchownat(fd, "", uid, gid, AT_EMPTY_PATH), ==, 0);
    /* Reopen through /proc, as ops.c does. */
    char path[32];
    snprintf(path, sizeof(path), "self/fd/%d", fd);
    int ro = openat(proc, path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    CHECK(ro >= 0);
    char buf[8] = {0};
    CHECK_INT(read(ro, buf, sizeof(buf)), ==, 4);
    CHECK_STR(buf, "hell");
    CHECK_INT(fchmodat(proc, path, 0600, 0), ==, 0);
    CHECK_INT(mkdirat(dfd, "d", 0755), ==, 0);
    int dd = openat(dfd, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    CHECK(dd >= 0);
    char dents[1024];
    CHECK(getdents64(dd, dents, sizeof(dents)) > 0);
    CHECK_INT(lseek(dd, 0, SEEK_SET), ==, 0);
}

static void gofer_allowed_calls_no_symlink(const void *arg)
{
    const char *dir = arg;
    int dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(dfd >= 0);
    gofer_filter();
    CHECK_INT(mkdirat(dfd, "e", 0755), ==, 0);
    CHECK_INT(unlinkat(dfd, "e", AT_REMOVEDIR), ==, 0);
    char link[16];
    CHECK_INT(readlinkat(dfd, "nolink", link, sizeof(link)) < 0, ==, 1);
    CHECK_INT(write(2, "", 0), ==, 0);
    char *big = malloc(16 << 20);
    CHECK(big);
    free(big);
    struct timespec ts;
    CHECK_INT(clock_gettime(CLOCK_REALTIME, &ts), ==, 0);
}

TEST(gofer_filter_allows_what_the_gofer_uses)
{
    char dir[512];
    snprintf(dir, sizeof(dir), "%s/g", ut_tmpdir());
    CHECK_INT(mkdir(dir, 0755), ==, 0);
    check_exit0(in_child(gofer_allowed_calls, dir), "the gofer's calls");
    char f[600];
    snprintf(f, sizeof(f), "%s/f", dir);
    struct stat st;
    CHECK_INT(stat(f, &st), ==, 0);
    CHECK_INT(st.st_mode & 07777, ==, 0600); /* the chmod through /proc happened */
    snprintf(f, sizeof(f), "%s/d", dir);
    CHECK_INT(stat(f, &st), ==, 0);
    check_exit0(in_child(gofer_allowed_calls_no_symlink, dir), "mkdirat, unlinkat, readlinkat");
}

/* ---- reading another process's /proc -------------------------------------------------- */

static unsigned long long status_field(const char *status, const char *name)
{
    char key[64];
    snprintf(key, sizeof(key), "\n%s:", name);
    const char *p = strstr(status, key);
    if (!p)
        ut_fail(__FILE__, __LINE__, "no %s in status", name);
    p += strlen(key);
    bool hex = strncmp(name, "Cap", 3) == 0;
    return strtoull(p, NULL, hex ? 16 : 10);
}

static void read_file(const char *path, char *buf, size_t size)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        ut_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(errno));
    size_t len = 0;
    ssize_t n;
    while (len < size - 1 && (n = read(fd, buf + len, size - 1 - len)) > 0)
        len += (size_t)n;
    buf[len] = '\0';
    close(fd);
}

/* Every thread of pid: no capabilities (or exactly eff), no_new_privs, a filter. Returns
 * the number of threads. */
static int check_confined(pid_t pid, unsigned long long eff, bool bnd_too)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    DIR *d = opendir(path);
    CHECK(d);
    int threads = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char sp[320], status[4096];
        snprintf(sp, sizeof(sp), "/proc/%d/task/%s/status", (int)pid, de->d_name);
        read_file(sp, status, sizeof(status));
        CHECK_INT(status_field(status, "CapEff"), ==, eff);
        CHECK_INT(status_field(status, "CapPrm"), ==, eff);
        CHECK_INT(status_field(status, "CapInh"), ==, 0);
        CHECK_INT(status_field(status, "CapAmb"), ==, 0);
        if (bnd_too)
            CHECK_INT(status_field(status, "CapBnd"), ==, eff);
        CHECK_INT(status_field(status, "NoNewPrivs"), ==, 1);
        CHECK_INT(status_field(status, "Seccomp"), ==, 2);
        threads++;
    }
    closedir(d);
    return threads;
}

/* Entries of /proc/<pid>/root (without . and ..). */
static int root_entries(pid_t pid, const char *expect_name)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/root", (int)pid);
    DIR *d = opendir(path);
    CHECK(d);
    int n = 0;
    bool found = !expect_name;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        if (expect_name && strcmp(de->d_name, expect_name) == 0)
            found = true;
        n++;
    }
    closedir(d);
    CHECK(found);
    return n;
}

/* ---- sentry_confine ------------------------------------------------------------------ */

struct confine_child {
    int ready[2];   /* child -> parent: the result of sentry_confine, as an int */
    int go[2];      /* parent -> child: checks done */
    int ns;         /* 0: as is; CLONE_NEWNS; CLONE_NEWNS | CLONE_NEWUSER */
    bool blocker;   /* start a thread that blocks every signal (like ptrace's creator) */
    pid_t confined; /* the process that confined itself (not the child with CLONE_NEWPID) */
};

static int g_park[2];
static int g_started[2]; /* a byte per thread that runs (with its signal mask set) */

static void *parked(void *arg)
{
    if (arg) {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, NULL);
    }
    CHECK_INT(write(g_started[1], "s", 1), ==, 1);
    char c;
    while (read(g_park[0], &c, 1) < 0 && errno == EINTR) {
    }
    return NULL;
}

static void *sleeper(void *arg)
{
    CHECK_INT(write(g_started[1], "s", 1), ==, 1);
    for (;;) {
        struct timespec ts = {0, 5 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void write_file(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s)) {
        fprintf(stderr, "writing %s: %s\n", path, strerror(errno));
        _exit(CHILD_SKIP);
    }
    close(fd);
}

static void confine_child_main(const void *arg)
{
    const struct confine_child *cc = arg;
    close(cc->ready[0]);
    close(cc->go[1]);
    if (cc->ns) {
        uid_t uid = getuid();
        gid_t gid = getgid();
        if (unshare(cc->ns) < 0) {
            fprintf(stderr, "unshare: %s\n", strerror(errno));
            _exit(CHILD_SKIP);
        }
        if (cc->ns & CLONE_NEWUSER) {
            char map[64];
            write_file("/proc/self/setgroups", "deny");
            snprintf(map, sizeof(map), "0 %d 1", (int)uid);
            write_file("/proc/self/uid_map", map);
            snprintf(map, sizeof(map), "0 %d 1", (int)gid);
            write_file("/proc/self/gid_map", map);
        }
        if (cc->ns & CLONE_NEWPID) {
            /* The child is pid 1 of the new namespace; /proc stays the host's, as in the
             * sandbox runsc starts. This process only passes the exit status on. */
            pid_t inner = fork();
            CHECK(inner >= 0);
            if (inner > 0) {
                close(cc->ready[1]);
                close(cc->go[0]);
                int st;
                CHECK_INT(waitpid(inner, &st, 0), ==, inner);
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
            }
            CHECK_INT(getpid(), ==, 1);
        }
    }
    CHECK_INT(pipe2(g_park, O_CLOEXEC), ==, 0);
    CHECK_INT(pipe2(g_started, O_CLOEXEC), ==, 0);
    pthread_t th;
    CHECK_INT(pthread_create(&th, NULL, parked, NULL), ==, 0);
    CHECK_INT(pthread_create(&th, NULL, sleeper, NULL), ==, 0);
    if (cc->blocker)
        CHECK_INT(pthread_create(&th, NULL, parked, (void *)1), ==, 0);
    for (int i = 0; i < (cc->blocker ? 3 : 2); i++) {
        char s;
        CHECK_INT(read(g_started[0], &s, 1), ==, 1);
    }
    /* Our pid as the test sees it: /proc/self is resolved in /proc's pid namespace. */
    char self[32] = {0};
    CHECK(readlink("/proc/self", self, sizeof(self) - 1) > 0);
    int r = sentry_confine(ptrace_syscalls());
    int msg[2] = {r, atoi(self)};
    CHECK_INT(write(cc->ready[1], msg, sizeof(msg)), ==, sizeof(msg));
    if (r < 0)
        _exit(6);
    char c;
    CHECK_INT(read(cc->go[0], &c, 1), ==, 1);
    /* Life goes on under confinement: a thread that ends with pthread_exit. */
    CHECK_INT(pthread_create(&th, NULL, thread_exit, NULL), ==, 0);
    void *ret;
    CHECK_INT(pthread_join(th, &ret), ==, 0);
    CHECK(ret == (void *)42);
    _exit(0);
}

/* Starts a child that confines itself; returns its pid and sentry_confine's result (or
 * skips when the child could not make its namespaces). */
static pid_t start_confined(struct confine_child *cc, int *result)
{
    CHECK_INT(pipe2(cc->ready, O_CLOEXEC), ==, 0);
    CHECK_INT(pipe2(cc->go, O_CLOEXEC), ==, 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(30);
        confine_child_main(cc);
        _exit(0);
    }
    close(cc->ready[1]);
    close(cc->go[0]);
    int msg[2];
    ssize_t n = read(cc->ready[0], msg, sizeof(msg));
    if (n != sizeof(msg)) {
        int st;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_SKIP)
            SKIP("cannot make the namespaces for this test (not root?)");
        check_exit0(st, "the confining child");
        ut_fail(__FILE__, __LINE__, "the child said nothing");
    }
    *result = msg[0];
    cc->confined = msg[1];
    return pid;
}

static void finish_confined(struct confine_child *cc, pid_t pid)
{
    CHECK_INT(write(cc->go[1], "g", 1), ==, 1);
    int st;
    CHECK_INT(waitpid(pid, &st, 0), ==, pid);
    check_exit0(st, "the confined child");
}

static void check_empty_ro_root(pid_t pid)
{
    CHECK_INT(root_entries(pid, NULL), ==, 0);
    char path[64], mi[8192];
    snprintf(path, sizeof(path), "/proc/%d/mountinfo", (int)pid);
    read_file(path, mi, sizeof(mi));
    /* One mount left: the tmpfs, read-only, at /. */
    CHECK_INT(strchr(mi, '\n') == mi + strlen(mi) - 1, ==, 1);
    CHECK_CONTAINS(mi, " / / ro,");
    CHECK_CONTAINS(mi, " - tmpfs runsc-root ");
}

/* sentry_confine in namespaces ns (with CLONE_NEWNS): fully confined, root pivoted. */
static void confine_pivot_case(int ns)
{
    struct confine_child cc = {.ns = ns};
    int r;
    pid_t pid = start_confined(&cc, &r);
    CHECK_INT(r, ==, 0);
    CHECK_INT(check_confined(cc.confined, 0, true), ==, 3);
    check_empty_ro_root(cc.confined);
    finish_confined(&cc, pid);
}

TEST(sentry_confine_in_own_mount_ns)
{
    confine_pivot_case(CLONE_NEWNS);
}

/* The way runsc's launcher starts the sandbox: a new user namespace with its mount
 * namespace, the parent out of reach. */
TEST(sentry_confine_in_user_ns)
{
    confine_pivot_case(CLONE_NEWNS | CLONE_NEWUSER);
}

/* As runsc starts the sandbox: new user, mount and pid namespaces, the host's /proc (whose
 * thread ids are not the sandbox's). */
TEST(sentry_confine_in_user_and_pid_ns)
{
    confine_pivot_case(CLONE_NEWNS | CLONE_NEWUSER | CLONE_NEWPID);
}

TEST(sentry_confine_without_own_mount_ns)
{
    if (geteuid() != 0)
        SKIP("needs root (CAP_SETPCAP) to empty the bounding set");
    struct confine_child cc = {.ns = 0};
    int r;
    pid_t pid = start_confined(&cc, &r);
    CHECK_INT(r, ==, SENTRY_CONFINE_NO_PIVOT);
    CHECK_INT(check_confined(cc.confined, 0, true), ==, 3);
    CHECK(root_entries(cc.confined, "proc") > 3); /* still the host's / */
    finish_confined(&cc, pid);
}

/* A thread that blocks every signal cannot be made to drop its capabilities: confine
 * refuses rather than leave it with them (call it before the platform starts its
 * creator thread). */
TEST(sentry_confine_refuses_unreachable_thread)
{
    struct confine_child cc = {.ns = 0, .blocker = true};
    int r;
    pid_t pid = start_confined(&cc, &r);
    CHECK_INT(r, ==, -EDEADLK);
    int st;
    CHECK_INT(waitpid(pid, &st, 0), ==, pid);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 6);
}

static void own_ns_child(const void *arg)
{
    CHECK_INT(confine_own_mount_ns(), ==, 0);
    if (unshare(CLONE_NEWNS) < 0)
        _exit(CHILD_SKIP);
    CHECK_INT(confine_own_mount_ns(), ==, 1);
}

TEST(own_mount_ns_detection)
{
    check_exit0(in_child(own_ns_child, NULL), "detection");
}

/* ---- gofer_confine, through gofer_main ---------------------------------------------- */

struct gofer_child {
    const char *root;
    int sock;
    bool own_ns;
};

static void gofer_child_main(const void *arg)
{
    const struct gofer_child *gc = arg;
    if (gc->own_ns && unshare(CLONE_NEWNS) < 0) {
        fprintf(stderr, "unshare: %s\n", strerror(errno));
        _exit(CHILD_SKIP);
    }
    char fds[16];
    snprintf(fds, sizeof(fds), "%d", gc->sock);
    char *argv[] = {"gofer", "--root", (char *)gc->root, "--io-fds", fds, NULL};
    _exit(gofer_main(5, argv));
}

/* Starts gofer_main serving root in a child and mounts it (or skips when the child could
 * not make its mount namespace). Returns the child's pid. */
static pid_t start_gofer(const char *root, bool own_ns, struct gofer_client **c, uint64_t *rootfid,
                         struct gofer_attr *attr)
{
    int sv[2];
    CHECK_INT(urpc_socketpair(sv), ==, 0);
    struct gofer_child gch = {.root = root, .sock = sv[1], .own_ns = own_ns};
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(30);
        close(sv[0]);
        gofer_child_main(&gch);
    }
    close(sv[1]);
    CHECK_INT(gofer_client_new(sv[0], c), ==, 0);
    bool ro;
    int r = gofer_mount(*c, rootfid, attr, &ro);
    if (r < 0) {
        int st;
        waitpid(pid, &st, 0);
        if (WIFEXITED(st) && WEXITSTATUS(st) == CHILD_SKIP)
            SKIP("cannot make a mount namespace");
        check_exit0(st, "the gofer");
        ut_fail(__FILE__, __LINE__, "mount: %s", strerror(-r));
    }
    return pid;
}

#define GOFER_CAPS                                                                                 \
    ((1ull << CAP_CHOWN) | (1ull << CAP_DAC_OVERRIDE) | (1ull << CAP_DAC_READ_SEARCH) |            \
     (1ull << CAP_FOWNER) | (1ull << CAP_FSETID) | (1ull << CAP_SYS_CHROOT))

static void gofer_confine_case(bool own_ns)
{
    if (geteuid() != 0)
        SKIP("needs root");
    char root[512], path[600];
    snprintf(root, sizeof(root), "%s/served", ut_tmpdir());
    CHECK_INT(mkdir(root, 0755), ==, 0);
    snprintf(path, sizeof(path), "%s/file.txt", root);
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    CHECK(fd >= 0);
    CHECK_INT(write(fd, "content", 7), ==, 7);
    close(fd);

    struct gofer_client *c;
    uint64_t rootfid;
    struct gofer_attr attr;
    pid_t pid = start_gofer(root, own_ns, &c, &rootfid, &attr);
    /* It serves: confined by now. */
    CHECK_INT(check_confined(pid, GOFER_CAPS, true), ==, 1);
    if (own_ns)
        CHECK_INT(root_entries(pid, "file.txt"), ==, 1); /* "/" is the served tree */
    else
        CHECK(root_entries(pid, "proc") > 1);
    /* Reading (the reopen through /proc/self/fd works after the pivot) and writing. */
    const char *names[] = {"file.txt"};
    uint64_t fid;
    size_t walked;
    CHECK_INT(gofer_walk(c, rootfid, names, 1, &fid, &attr, &walked), ==, 0);
    CHECK_INT(walked, ==, 1);
    int hfd;
    CHECK_INT(gofer_open(c, fid, O_RDONLY, &hfd), ==, 0);
    char buf[16] = {0};
    CHECK_INT(pread(hfd, buf, sizeof(buf), 0), ==, 7);
    CHECK_STR(buf, "content");
    close(hfd);
    uint64_t nfid;
    CHECK_INT(gofer_create(c, rootfid, "new.txt", O_RDWR, 0640, 0, 0, &nfid, &attr, &hfd), ==, 0);
    CHECK_INT(write(hfd, "new", 3), ==, 3);
    close(hfd);
    gofer_client_free(c);
    int st;
    CHECK_INT(waitpid(pid, &st, 0), ==, pid);
    check_exit0(st, "the gofer");
    snprintf(path, sizeof(path), "%s/new.txt", root);
    struct stat sst;
    CHECK_INT(stat(path, &sst), ==, 0);
    CHECK_INT(sst.st_size, ==, 3);
    CHECK_INT(sst.st_mode & 07777, ==, 0640);
}

TEST(gofer_confine_pivots_and_serves)
{
    gofer_confine_case(true);
}

TEST(gofer_confine_without_own_mount_ns)
{
    gofer_confine_case(false);
}

/* Serving the host's "/" in a mount namespace of its own: nothing to pivot into (pivot_root
 * would say EBUSY), the rest of the confinement still holds. */
TEST(gofer_confine_serving_slash)
{
    if (geteuid() != 0)
        SKIP("needs root");
    struct gofer_client *c;
    uint64_t rootfid;
    struct gofer_attr attr;
    pid_t pid = start_gofer("/", true, &c, &rootfid, &attr);
    CHECK_INT(check_confined(pid, GOFER_CAPS, true), ==, 1);
    const char *names[] = {"proc"};
    uint64_t fid;
    size_t walked;
    CHECK_INT(gofer_walk(c, rootfid, names, 1, &fid, &attr, &walked), ==, 0);
    CHECK_INT(walked, ==, 1);
    gofer_client_free(c);
    int st;
    CHECK_INT(waitpid(pid, &st, 0), ==, pid);
    check_exit0(st, "the gofer");
}

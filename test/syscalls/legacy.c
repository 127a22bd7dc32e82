/* The older entry points that glibc's wrappers no longer reach (fork() is
 * clone, renameat() is renameat2, setrlimit() is prlimit64, utime() and
 * utimes() are utimensat), called with syscall(2): fork, renameat,
 * getrlimit/setrlimit, utime, utimes. Also renameat2's flag checks.
 *
 * Works in a fresh directory below /tmp (a tmpfs in the sandbox). */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <linux/fs.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <utime.h>

static char g_base[PATH_MAX];
static char g_path[4][PATH_MAX];

/* g_base/name in one of a few rotating buffers. */
static const char *P(const char *name)
{
    static int next;
    char *b = g_path[next++ % 4];
    if (snprintf(b, PATH_MAX, "%s/%s", g_base, name) >= PATH_MAX)
        FAIL("path too long");
    return b;
}

static volatile int g_touched;

/* fork(2) itself: a copy of the address space, SIGCHLD at exit. */
static void fork_(void)
{
    pid_t parent = getpid();
    g_touched = 1;
    long pid = CHECK_OK(syscall(SYS_fork));
    if (pid == 0) {
        g_touched = 2; /* the child's copy only */
        int ok = getpid() != parent && getppid() == parent;
        syscall(SYS_exit_group, ok ? 42 : 1);
    }
    CHECK_GT(pid, 0);
    CHECK_NE(pid, parent);
    int status;
    CHECK_EQ(CHECK_OK(waitpid((pid_t)pid, &status, 0)), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 42);
    CHECK_EQ(g_touched, 1);
}

static void renameat_(void)
{
    int dfd = CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    check_write_str(P("ra"), "a");
    CHECK_OK(syscall(SYS_renameat, dfd, "ra", dfd, "rb"));
    CHECK_ERR(access(P("ra"), F_OK), ENOENT);
    check_content(P("rb"), "a");
    /* Over an existing file: replaced. */
    check_write_str(P("rc"), "c");
    CHECK_OK(syscall(SYS_renameat, AT_FDCWD, P("rb"), dfd, "rc"));
    check_content(P("rc"), "a");
    CHECK_ERR(access(P("rb"), F_OK), ENOENT);
    CHECK_ERR(syscall(SYS_renameat, dfd, "none", dfd, "rd"), ENOENT);
    CHECK_ERR(syscall(SYS_renameat, 12345, "rc", dfd, "rd"), EBADF);
    int ffd = CHECK_OK(open(P("rc"), O_RDONLY));
    CHECK_ERR(syscall(SYS_renameat, ffd, "x", dfd, "rd"), ENOTDIR);
    CHECK_ERR(syscall(SYS_renameat, dfd, BAD_PTR, dfd, "rd"), EFAULT);
    CHECK_OK(close(ffd));
    CHECK_OK(unlink(P("rc")));
    CHECK_OK(close(dfd));
}

/* renameat2's flags: unknown bits, and RENAME_EXCHANGE with another flag,
 * are EINVAL before anything is looked up, or even copied in (bad name
 * pointers). */
static void renameat2_flags(void)
{
    check_write_str(P("fa"), "a");
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("fa"), AT_FDCWD, P("fb"), 1 << 3), EINVAL);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("fa"), AT_FDCWD, P("fb"), -1), EINVAL);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("fa"), AT_FDCWD, P("fb"),
                      RENAME_EXCHANGE | RENAME_WHITEOUT),
              EINVAL);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("none"), AT_FDCWD, P("fb"), 1 << 3), EINVAL);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, BAD_PTR, AT_FDCWD, BAD_PTR, 1 << 3), EINVAL);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, P("fa"), AT_FDCWD, BAD_PTR, -1), EINVAL);
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, BAD_PTR, AT_FDCWD, P("fb"),
                      RENAME_EXCHANGE | RENAME_NOREPLACE),
              EINVAL);
    /* Good flags: the names' fault. */
    CHECK_ERR(syscall(SYS_renameat2, AT_FDCWD, BAD_PTR, AT_FDCWD, P("fb"), RENAME_NOREPLACE),
              EFAULT);
    CHECK_ERR(access(P("fb"), F_OK), ENOENT);
    check_content(P("fa"), "a");
    CHECK_OK(unlink(P("fa")));
}

/* The old getrlimit/setrlimit numbers (struct rlimit, as prlimit64's). */
static void setrlimit_(void)
{
    struct rlimit old, rl, got;
    CHECK_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &old));
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &rl));
    CHECK(rl.rlim_cur == old.rlim_cur && rl.rlim_max == old.rlim_max);
    if (old.rlim_max < 64)
        SKIP("RLIMIT_NOFILE hard limit below 64");
    rl.rlim_cur = 64;
    rl.rlim_max = old.rlim_max;
    CHECK_OK(syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl));
    CHECK_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &got));
    CHECK(got.rlim_cur == 64 && got.rlim_max == old.rlim_max);
    /* Enforced: no descriptor at or above the soft limit. */
    CHECK_ERR(fcntl(0, F_DUPFD, 64), EINVAL);
    CHECK_ERR(dup2(0, 64), EBADF);
    CHECK_OK(prlimit(0, RLIMIT_NOFILE, NULL, &got));
    CHECK(got.rlim_cur == 64);
    /* cur above max, an unknown resource, bad pointers. */
    rl.rlim_cur = old.rlim_max;
    rl.rlim_max = 64;
    CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl), EINVAL);
    CHECK_ERR(syscall(SYS_setrlimit, RLIM_NLIMITS, &old), EINVAL);
    CHECK_ERR(syscall(SYS_getrlimit, RLIM_NLIMITS, &got), EINVAL);
    CHECK_ERR(syscall(SYS_setrlimit, RLIMIT_NOFILE, BAD_PTR), EFAULT);
    CHECK_ERR(syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD_PTR), EFAULT);
    CHECK_OK(syscall(SYS_setrlimit, RLIMIT_NOFILE, &old));
    CHECK_OK(syscall(SYS_getrlimit, RLIMIT_NOFILE, &got));
    CHECK(got.rlim_cur == old.rlim_cur && got.rlim_max == old.rlim_max);
}

static struct stat stat_of(const char *path)
{
    struct stat st;
    CHECK_OK(stat(path, &st));
    return st;
}

/* utime: whole seconds; NULL is now. */
static void utime_(void)
{
    check_write_str(P("ut"), "x");
    struct utimbuf ub = {.actime = 1000, .modtime = 2000};
    CHECK_OK(syscall(SYS_utime, P("ut"), &ub));
    struct stat st = stat_of(P("ut"));
    CHECK_EQ(st.st_atim.tv_sec, 1000);
    CHECK_EQ(st.st_atim.tv_nsec, 0);
    CHECK_EQ(st.st_mtim.tv_sec, 2000);
    CHECK_EQ(st.st_mtim.tv_nsec, 0);
    time_t before = time(NULL);
    CHECK_OK(syscall(SYS_utime, P("ut"), NULL));
    st = stat_of(P("ut"));
    CHECK_GE(st.st_mtim.tv_sec, before);
    CHECK_LE(st.st_mtim.tv_sec, time(NULL));
    CHECK_GE(st.st_atim.tv_sec, before);
    CHECK_ERR(syscall(SYS_utime, P("none"), &ub), ENOENT);
    CHECK_ERR(syscall(SYS_utime, P("ut"), BAD_PTR), EFAULT);
    CHECK_ERR(syscall(SYS_utime, NULL, &ub), EFAULT);
    CHECK_OK(unlink(P("ut")));
}

/* utimes: microseconds; NULL is now; tv_usec out of range is EINVAL. */
static void utimes_(void)
{
    check_write_str(P("us"), "x");
    struct timeval tv[2] = {{10, 500}, {20, 999999}};
    CHECK_OK(syscall(SYS_utimes, P("us"), tv));
    struct stat st = stat_of(P("us"));
    CHECK_EQ(st.st_atim.tv_sec, 10);
    CHECK_EQ(st.st_atim.tv_nsec, 500000);
    CHECK_EQ(st.st_mtim.tv_sec, 20);
    CHECK_EQ(st.st_mtim.tv_nsec, 999999000);
    struct timeval bad[2] = {{10, 1000000}, {20, 0}};
    CHECK_ERR(syscall(SYS_utimes, P("us"), bad), EINVAL);
    bad[0].tv_usec = -1;
    CHECK_ERR(syscall(SYS_utimes, P("us"), bad), EINVAL);
    st = stat_of(P("us"));
    CHECK_EQ(st.st_mtim.tv_sec, 20); /* unchanged by the failed calls */
    time_t before = time(NULL);
    CHECK_OK(syscall(SYS_utimes, P("us"), NULL));
    st = stat_of(P("us"));
    CHECK_GE(st.st_mtim.tv_sec, before);
    CHECK_LE(st.st_mtim.tv_sec, time(NULL));
    CHECK_ERR(syscall(SYS_utimes, P("none"), tv), ENOENT);
    CHECK_ERR(syscall(SYS_utimes, P("us"), BAD_PTR), EFAULT);
    CHECK_ERR(syscall(SYS_utimes, NULL, tv), EFAULT);
    CHECK_OK(unlink(P("us")));
}

static void cleanup(void)
{
    static const char *names[] = {"ra", "rb", "rc", "rd", "fa", "fb", "ut", "us", NULL};
    for (int i = 0; names[i]; i++)
        unlink(P(names[i]));
    rmdir(g_base);
}

int main(void)
{
    RUN(fork_);
    snprintf(g_base, sizeof(g_base), "/tmp/legacy.XXXXXX");
    if (!mkdtemp(g_base))
        SKIP("no writable directory: mkdtemp in /tmp: %s", strerror(errno));
    atexit(cleanup);
    RUN(renameat_);
    RUN(renameat2_flags);
    RUN(utime_);
    RUN(utimes_);
    RUN(setrlimit_);
    return 0;
}

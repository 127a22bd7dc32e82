/* The system calls no other test calls by name: close_range, creat,
 * pwritev/preadv2/pwritev2, fsync/fdatasync, statfs/fstatfs, getdents,
 * mincore/mlock/munlock, getcpu, sched_getscheduler/sched_getparam,
 * sethostname (errors only), get_robust_list, rt_tgsigqueueinfo, setsid,
 * getpgid/getsid, getrusage, times. */
#include <dirent.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <linux/magic.h>
#include <sched.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/statfs.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/wait.h>

#include "check.h"

static void fds(void)
{
    int a = CHECK_OK(open("/dev/null", O_RDONLY));
    int b = CHECK_OK(dup(a));
    CHECK_OK(syscall(SYS_close_range, a, b, CLOSE_RANGE_CLOEXEC));
    CHECK_EQ(fcntl(a, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    CHECK_EQ(fcntl(b, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    CHECK_ERR(syscall(SYS_close_range, b, a, 0), EINVAL);
    CHECK_OK(syscall(SYS_close_range, a, b, 0));
    CHECK_ERR(fcntl(a, F_GETFD), EBADF);
    CHECK_ERR(fcntl(b, F_GETFD), EBADF);
    CHECK_ERR(creat("/nonexistent-dir/x", 0600), ENOENT);
}

static void vectored(void)
{
    int fd = CHECK_OK(open("/dev/null", O_RDWR));
    char x[4] = "abc", y[8];
    struct iovec w[2] = {{x, 2}, {x + 2, 1}};
    CHECK_EQ(CHECK_OK(pwritev(fd, w, 2, 0)), 3);
    CHECK_EQ(CHECK_OK(syscall(SYS_pwritev2, fd, w, 2, 0, 0, 0)), 3);
    CHECK_EQ(CHECK_OK(syscall(SYS_pwritev2, fd, w, 2, -1, 0, 0)), 3);
    struct iovec r = {y, sizeof(y)};
    CHECK_EQ(CHECK_OK(syscall(SYS_preadv2, fd, &r, 1, -1, 0, 0)), 0); /* EOF */
    close(fd);
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERR(pwritev(p[1], w, 2, 0), ESPIPE);
    close(p[0]);
    close(p[1]);
}

static void sync_calls(void)
{
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_OK(fsync(fd));
    CHECK_OK(fdatasync(fd));
    close(fd);
    int d = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
    CHECK_OK(fsync(d));
    close(d);
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERR(fsync(p[0]), EINVAL);
    close(p[0]);
    close(p[1]);
    CHECK_ERR(fsync(12345), EBADF);
}

static void fs_stats(void)
{
    struct statfs s;
    CHECK_OK(statfs("/proc", &s));
    CHECK_EQ(s.f_type, PROC_SUPER_MAGIC);
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_OK(fstatfs(p[0], &s));
    CHECK_EQ(s.f_type, PIPEFS_MAGIC);
    close(p[0]);
    close(p[1]);
    CHECK_ERR(statfs("/nonexistent", &s), ENOENT);
    CHECK_ERR(fstatfs(12345, &s), EBADF);
}

/* The old getdents: struct linux_dirent, the type in the record's last byte. */
static void old_getdents(void)
{
    int fd = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
    char buf[8192];
    long n = CHECK_OK(syscall(SYS_getdents, fd, buf, sizeof(buf)));
    CHECK_GT(n, 0);
    int found_etc = 0;
    for (long off = 0; off < n;) {
        unsigned short reclen;
        memcpy(&reclen, buf + off + 16, sizeof(reclen));
        CHECK_GT(reclen, 18);
        const char *name = buf + off + 18;
        if (strcmp(name, "etc") == 0) {
            found_etc = 1;
            CHECK_EQ(buf[off + reclen - 1], DT_DIR);
        }
        off += reclen;
    }
    CHECK(found_etc);
    close(fd);
    fd = CHECK_OK(open("/", O_RDONLY | O_DIRECTORY));
    CHECK_ERR(syscall(SYS_getdents, fd, buf, 4), EINVAL); /* no room for one record */
    close(fd);
}

static void memory(void)
{
    long pg = sysconf(_SC_PAGESIZE);
    char *p =
        CHECK_PTR(mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    p[0] = 1;
    unsigned char vec[2];
    CHECK_OK(mincore(p, 2 * pg, vec));
    CHECK_EQ(vec[0] & 1, 1);
    CHECK_ERR(mincore(p + 1, pg, vec), EINVAL);
    CHECK_OK(mlock(p, pg));
    CHECK_OK(munlock(p, pg));
    CHECK_OK(munmap(p, 2 * pg));
    CHECK_ERR(mincore(p, pg, vec), ENOMEM);
    CHECK_ERR(mlock(p, pg), ENOMEM);
}

static void sched(void)
{
    unsigned cpu = 9999, node = 9999;
    CHECK_OK(syscall(SYS_getcpu, &cpu, &node, NULL));
    CHECK_LT(cpu, 4096);
    CHECK_EQ(CHECK_OK(sched_getscheduler(0)), SCHED_OTHER);
    struct sched_param sp = {.sched_priority = 7};
    CHECK_OK(sched_getparam(0, &sp));
    CHECK_EQ(sp.sched_priority, 0);
    CHECK_ERR(sched_getscheduler(-1), EINVAL);
    CHECK_ERR(sched_getparam(0, NULL), EINVAL);
}

static void names(void)
{
    char name[80];
    memset(name, 'a', sizeof(name));
    CHECK_ERR(sethostname(name, 65), EINVAL);
}

static void robust(void)
{
    void *head = NULL;
    size_t len = 0;
    CHECK_OK(syscall(SYS_get_robust_list, 0, &head, &len));
    CHECK_EQ(len, 24); /* glibc registered one for this thread */
    CHECK(head != NULL);
}

static volatile int g_code, g_value;

static void on_usr1(int sig, siginfo_t *si, void *uc)
{
    g_code = si->si_code;
    g_value = si->si_value.sival_int;
}

static void queue_to_thread(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_signo = SIGUSR1;
    si.si_code = SI_QUEUE;
    si.si_value.sival_int = 42;
    CHECK_OK(syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGUSR1, &si));
    CHECK_EQ(g_code, SI_QUEUE);
    CHECK_EQ(g_value, 42);
    CHECK_ERR(syscall(SYS_rt_tgsigqueueinfo, getpid(), 0, SIGUSR1, &si), EINVAL);
    signal(SIGUSR1, SIG_DFL);
}

static void sessions(void)
{
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        pid_t me = getpid();
        if (setsid() != me || getpgid(0) != me || getsid(0) != me)
            _exit(1);
        if (setsid() != -1 || errno != EPERM) /* already a group leader */
            _exit(2);
        _exit(0);
    }
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st));
    CHECK_EQ(WEXITSTATUS(st), 0);
    CHECK_EQ(CHECK_OK(getpgid(0)), getpgrp());
    CHECK_ERR(getpgid(c), ESRCH); /* reaped */
}

static void usage(void)
{
    struct rusage ru;
    CHECK_OK(getrusage(RUSAGE_SELF, &ru));
    CHECK_OK(getrusage(RUSAGE_CHILDREN, &ru));
    CHECK_ERR(getrusage(12345, &ru), EINVAL);
    struct tms t;
    CHECK(times(&t) != (clock_t)-1);
    CHECK(times(NULL) != (clock_t)-1);
}

int main(void)
{
    RUN(fds);
    RUN(vectored);
    RUN(sync_calls);
    RUN(fs_stats);
    RUN(old_getdents);
    RUN(memory);
    RUN(sched);
    RUN(names);
    RUN(robust);
    RUN(queue_to_thread);
    RUN(sessions);
    RUN(usage);
    return 0;
}

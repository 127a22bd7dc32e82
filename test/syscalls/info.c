/* System information and resources: getrandom, sysinfo, sched_getaffinity
 * and sched_setaffinity, getrlimit/setrlimit/prlimit64 (RLIMIT_NOFILE, and
 * its effect on new descriptors). */
#include "check.h"

#include <fcntl.h>
#include <sched.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>

static void random_bytes(void)
{
    unsigned char a[64], b[64], zero[64] = {0};
    memset(a, 0, sizeof(a));
    memset(b, 0, sizeof(b));
    CHECK_EQ(CHECK_OK(getrandom(a, sizeof(a), 0)), sizeof(a));
    CHECK_EQ(CHECK_OK(getrandom(b, sizeof(b), GRND_NONBLOCK)), sizeof(b));
    CHECK(memcmp(a, zero, sizeof(a)) != 0);
    CHECK(memcmp(a, b, sizeof(a)) != 0);
    CHECK_EQ(CHECK_OK(getrandom(a, 0, 0)), 0);
    /* Larger requests are served too (up to 32 MiB in one call). */
    static unsigned char big[1 << 16];
    CHECK_EQ(CHECK_OK(getrandom(big, sizeof(big), 0)), sizeof(big));
    CHECK_ERR(getrandom(a, sizeof(a), 0x100), EINVAL);
    CHECK_ERR(getrandom(a, sizeof(a), -1), EINVAL);
    CHECK_ERR(syscall(SYS_getrandom, BAD_PTR, 16, 0), EFAULT);
}

static void system_info(void)
{
    struct sysinfo si;
    memset(&si, 0xff, sizeof(si));
    CHECK_OK(sysinfo(&si));
    CHECK_GE(si.uptime, 0);
    CHECK_GE(si.mem_unit, 1);
    CHECK_GT(si.totalram, 0);
    CHECK_LE(si.freeram, si.totalram);
    CHECK_LE(si.freeswap, si.totalswap);
    CHECK_GE(si.procs, 1);
    CHECK_ERR(syscall(SYS_sysinfo, BAD_PTR), EFAULT);
}

static void affinity(void)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    /* The raw call returns the size of the kernel's mask in bytes. */
    long n = CHECK_OK(syscall(SYS_sched_getaffinity, 0, sizeof(set), &set));
    CHECK_GE(n, 8);
    CHECK_LE(n, sizeof(set));
    CHECK_EQ(n % 8, 0);
    CHECK_GE(CPU_COUNT(&set), 1);
    cpu_set_t mine;
    CHECK_OK(sched_getaffinity(getpid(), sizeof(mine), &mine));
    CHECK(CPU_EQUAL(&set, &mine));
    /* Setting the same mask back is allowed. */
    CHECK_OK(sched_setaffinity(0, sizeof(set), &set));
    /* Sizes too small for the kernel's mask, or not a multiple of a long. */
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 0, &set), EINVAL);
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, 4, &set), EINVAL);
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, n + 1, &set), EINVAL);
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0, sizeof(set), BAD_PTR), EFAULT);
    /* No such process. */
    CHECK_ERR(syscall(SYS_sched_getaffinity, 0x3fffffff, sizeof(set), &set), ESRCH);
    /* An empty mask cannot be set. */
    cpu_set_t none;
    CPU_ZERO(&none);
    CHECK_ERR(sched_setaffinity(0, sizeof(none), &none), EINVAL);
}

static void limits(void)
{
    struct rlimit old, rl, got;
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &old));
    CHECK(old.rlim_cur <= old.rlim_max);
    CHECK_GE(old.rlim_cur, 64);
    /* prlimit64 on self reads the same; it also sets and returns the old. */
    CHECK_OK(prlimit(0, RLIMIT_NOFILE, NULL, &got));
    CHECK_EQ(got.rlim_cur, old.rlim_cur);
    CHECK_EQ(got.rlim_max, old.rlim_max);
    rl = (struct rlimit){64, old.rlim_max};
    CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &got));
    CHECK_EQ(got.rlim_cur, 64);
    CHECK_EQ(got.rlim_max, old.rlim_max);
    rl.rlim_cur = 100;
    CHECK_OK(prlimit(getpid(), RLIMIT_NOFILE, &rl, &got));
    CHECK_EQ(got.rlim_cur, 64);
    CHECK_OK(prlimit(0, RLIMIT_NOFILE, NULL, &got));
    CHECK_EQ(got.rlim_cur, 100);

    /* The soft limit bounds new descriptor numbers. */
    rl.rlim_cur = 64;
    CHECK_OK(setrlimit(RLIMIT_NOFILE, &rl));
    int fd = CHECK_OK(open("/dev/null", O_RDONLY));
    CHECK_ERR(dup2(fd, 64), EBADF);
    CHECK_EQ(CHECK_OK(dup2(fd, 63)), 63);
    CHECK_ERR(fcntl(fd, F_DUPFD, 64), EINVAL);
    CHECK_ERR(fcntl(fd, F_DUPFD, 63), EMFILE);
    int fds[64], n = 0;
    for (;;) {
        int d = dup(fd);
        if (d < 0) {
            CHECK_EQ(errno, EMFILE);
            break;
        }
        CHECK_LT(d, 63);
        CHECK_LT(n, 64);
        fds[n++] = d;
    }
    CHECK_ERR(open("/dev/null", O_RDONLY), EMFILE);
    for (int i = 0; i < n; i++)
        CHECK_OK(close(fds[i]));
    CHECK_OK(close(63));
    CHECK_OK(close(fd));

    /* Errors: soft above hard, unknown resource, bad pointer. */
    rl = (struct rlimit){old.rlim_max, old.rlim_max - 1};
    CHECK_ERR(setrlimit(RLIMIT_NOFILE, &rl), EINVAL);
    CHECK_ERR(prlimit(0, RLIMIT_NOFILE, &rl, NULL), EINVAL);
    CHECK_ERR(syscall(SYS_getrlimit, 100, &got), EINVAL);
    CHECK_ERR(syscall(SYS_prlimit64, 0, 100, NULL, &got), EINVAL);
    CHECK_ERR(syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD_PTR), EFAULT);
    CHECK_ERR(syscall(SYS_prlimit64, 0x3fffffff, RLIMIT_NOFILE, NULL, &got), ESRCH);

    CHECK_OK(setrlimit(RLIMIT_NOFILE, &old));
    CHECK_OK(getrlimit(RLIMIT_NOFILE, &got));
    CHECK_EQ(got.rlim_cur, old.rlim_cur);

    /* Other resources read back consistently. */
    CHECK_OK(getrlimit(RLIMIT_STACK, &got));
    CHECK(got.rlim_cur <= got.rlim_max);
    CHECK_OK(getrlimit(RLIMIT_AS, &got));
    CHECK(got.rlim_cur <= got.rlim_max);
}

int main(void)
{
    RUN(random_bytes);
    RUN(system_info);
    RUN(affinity);
    RUN(limits);
    return 0;
}

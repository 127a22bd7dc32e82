/* /sys: what programs commonly read there. Only what holds on a host too:
 * the CPU lists parse and cover the CPUs sched_getaffinity reports (a host
 * may have more, or offline ones), cpuN directories exist for those CPUs,
 * transparent_hugepage's settings have one [selected] choice, and the
 * usual directories exist. */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>

/* Reads a whole small file into buf (NUL-terminated); returns its length. */
static long read_file(const char *path, char *buf, size_t size)
{
    int fd = CHECK_OK(open(path, O_RDONLY | O_CLOEXEC));
    long len = 0;
    for (;;) {
        long r = CHECK_OK(read(fd, buf + len, size - 1 - (size_t)len));
        if (r == 0)
            break;
        len += r;
        CHECK_LT(len, (long)size - 1);
    }
    buf[len] = '\0';
    CHECK_OK(close(fd));
    return len;
}

/* Parses a cpulist ("0-3,5\n") into a set; fails on anything else. */
static void parse_list(const char *path, cpu_set_t *set)
{
    char buf[4096];
    read_file(path, buf, sizeof(buf));
    CPU_ZERO(set);
    const char *p = buf;
    CHECK(*p >= '0' && *p <= '9');
    while (*p && *p != '\n') {
        char *end;
        long a = strtol(p, &end, 10), b = a;
        CHECK(end != p);
        if (*end == '-') {
            p = end + 1;
            b = strtol(p, &end, 10);
            CHECK(end != p);
        }
        CHECK_LE(a, b);
        CHECK_LT(b, CPU_SETSIZE);
        for (long i = a; i <= b; i++)
            CPU_SET(i, set);
        p = end;
        if (*p == ',')
            p++;
        else
            CHECK(*p == '\n' || *p == '\0');
    }
    CHECK_STR(p, "\n");
}

static void is_dir(const char *path)
{
    struct stat st;
    CHECK_OK(stat(path, &st));
    CHECK(S_ISDIR(st.st_mode));
}

static void cpus(void)
{
    cpu_set_t aff, online, possible, present;
    CHECK_OK(sched_getaffinity(0, sizeof(aff), &aff));
    parse_list("/sys/devices/system/cpu/online", &online);
    parse_list("/sys/devices/system/cpu/possible", &possible);
    parse_list("/sys/devices/system/cpu/present", &present);
    CHECK_GE(CPU_COUNT(&online), 1);
    CHECK_GE(CPU_COUNT(&online), CPU_COUNT(&aff));
    for (int i = 0; i < CPU_SETSIZE; i++) {
        if (CPU_ISSET(i, &aff))
            CHECK(CPU_ISSET(i, &online));
        if (CPU_ISSET(i, &online)) {
            CHECK(CPU_ISSET(i, &possible));
            CHECK(CPU_ISSET(i, &present));
        }
        if (CPU_ISSET(i, &aff)) {
            char path[64];
            snprintf(path, sizeof(path), "/sys/devices/system/cpu/cpu%d", i);
            is_dir(path);
        }
    }
    /* The files are regular, read-only and seekable. */
    struct stat st;
    CHECK_OK(stat("/sys/devices/system/cpu/online", &st));
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_mode & 0222, 0);
    char a[64], b[64];
    int fd = CHECK_OK(open("/sys/devices/system/cpu/online", O_RDONLY));
    long n = CHECK_OK(read(fd, a, sizeof(a)));
    CHECK_GT(n, 1);
    CHECK_EQ(CHECK_OK(lseek(fd, 1, SEEK_SET)), 1);
    CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), n - 1);
    CHECK_MEM(a + 1, b, (size_t)n - 1);
    CHECK_EQ(CHECK_OK(read(fd, b, sizeof(b))), 0);
    CHECK_OK(close(fd));
}

static void thp_file(const char *path)
{
    char buf[256];
    read_file(path, buf, sizeof(buf));
    CHECK(strchr(buf, '\n') != NULL);
    const char *open_br = strchr(buf, '[');
    CHECK(open_br != NULL);
    const char *close_br = strchr(open_br, ']');
    CHECK(close_br != NULL);
    CHECK(strchr(close_br, '[') == NULL); /* exactly one selected */
    CHECK(strstr(buf, "madvise") != NULL);
    CHECK(strstr(buf, "never") != NULL);
}

static void transparent_hugepage(void)
{
    if (access("/sys/kernel/mm/transparent_hugepage", F_OK) < 0)
        SKIP("no transparent_hugepage in this kernel");
    thp_file("/sys/kernel/mm/transparent_hugepage/enabled");
    thp_file("/sys/kernel/mm/transparent_hugepage/defrag");
}

static void directories(void)
{
    static const char *const dirs[] = {
        "/sys",     "/sys/fs",    "/sys/fs/cgroup", "/sys/class",
        "/sys/bus", "/sys/block", "/sys/dev",       "/sys/devices/system/cpu"};
    for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++)
        is_dir(dirs[i]);
    /* The cpu directory lists online (and the listing has . and ..). */
    DIR *d = opendir("/sys/devices/system/cpu");
    CHECK(d != NULL);
    int found = 0, dots = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, "online") == 0)
            found++;
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            dots++;
    }
    CHECK_OK(closedir(d));
    CHECK_EQ(found, 1);
    CHECK_EQ(dots, 2);
    CHECK_ERR(open("/sys/devices/system/cpu/no-such-file", O_RDONLY), ENOENT);
}

int main(void)
{
    RUN(cpus);
    RUN(directories);
    RUN(transparent_hugepage);
    return 0;
}

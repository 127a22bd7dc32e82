/* MAP_SHARED file mappings: stores through a mapping are seen by read(2),
 * by other mappings and by other processes (fork keeps them shared);
 * write(2) and truncation are seen through mappings (SIGBUS past the end
 * after a shrink, zeros after a grow); PROT_WRITE on a file opened O_RDONLY
 * is EACCES (mmap and mprotect); msync's errors; an exiting process's
 * stores stay in the file; MAP_PRIVATE stays
 * copy-on-write; MADV_DONTNEED keeps the file's data; mremap of shared
 * mappings (grow, move, old_size 0); /proc/self/maps says "rw-s".
 *
 * Runs on a file in $TMPDIR or /tmp (a tmpfs in the sandbox), then on one
 * next to the test binary (the host filesystem through the gofer in the
 * sandbox) when that directory is writable (it is not inside the sandbox
 * unless the root is writable: that part skips itself). */
#include "check.h"

#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>

static sigjmp_buf g_jump;
static volatile sig_atomic_t g_signo;
static long pg;
static char g_path[PATH_MAX];
static const char *g_dir;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)si;
    (void)ctx;
    g_signo = sig;
    siglongjmp(g_jump, 1);
}

/* Reads (or writes) one byte at p; returns the signal it raised, or 0. */
static int touch(volatile char *p, int write, char *val)
{
    g_signo = 0;
    if (sigsetjmp(g_jump, 1) == 0) {
        if (write)
            *p = *val;
        else
            *val = *p;
    }
    return g_signo;
}

static void remove_file(void)
{
    if (g_path[0])
        unlink(g_path);
}

/* A new file of size bytes in g_dir, open O_RDWR; g_path names it. */
static int new_file(off_t size)
{
    snprintf(g_path, sizeof(g_path), "%s/syscalls-mmap-shared-XXXXXX", g_dir);
    int fd = CHECK_OK(mkstemp(g_path));
    CHECK_OK(ftruncate(fd, size));
    return fd;
}

static void done_file(int fd)
{
    CHECK_OK(close(fd));
    CHECK_OK(unlink(g_path));
    g_path[0] = '\0';
}

static char *map(int fd, size_t len, int prot, int flags)
{
    return CHECK_PTR(mmap(NULL, len, prot, flags, fd, 0));
}

static void store_then_read(void)
{
    int fd = new_file(2 * pg);
    char *p = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    memcpy(p + 100, "hello", 5);
    memcpy(p + pg + 7, "world", 5);
    char buf[8] = {0};
    CHECK_EQ(pread(fd, buf, 5, 100), 5);
    CHECK_MEM(buf, "hello", 5);
    CHECK_EQ(pread(fd, buf, 5, pg + 7), 5);
    CHECK_MEM(buf, "world", 5);
    /* The size did not change; the rest is still zero. */
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 2 * pg);
    CHECK_EQ(pread(fd, buf, 1, 99), 1);
    CHECK_EQ(buf[0], 0);
    /* The data stays in the file after munmap (and in a new description). */
    CHECK_OK(munmap(p, 2 * pg));
    int fd2 = CHECK_OK(open(g_path, O_RDONLY));
    CHECK_EQ(pread(fd2, buf, 5, pg + 7), 5);
    CHECK_MEM(buf, "world", 5);
    CHECK_OK(close(fd2));
    done_file(fd);
}

static void write_then_load(void)
{
    int fd = new_file(2 * pg);
    char *p = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    CHECK_EQ(p[10], 0); /* faulted in before the write */
    CHECK_EQ(pwrite(fd, "abc", 3, 10), 3);
    CHECK_MEM(p + 10, "abc", 3);
    CHECK_EQ(pwrite(fd, "xyz", 3, pg + 1), 3); /* a page not touched yet */
    CHECK_MEM(p + pg + 1, "xyz", 3);
    /* A read-only shared mapping is coherent too. */
    char *r = map(fd, pg, PROT_READ, MAP_SHARED);
    CHECK_MEM(r + 10, "abc", 3);
    CHECK_EQ(pwrite(fd, "ABC", 3, 10), 3);
    CHECK_MEM(r + 10, "ABC", 3);
    p[11] = 'Q';
    CHECK_EQ(r[11], 'Q');
    /* read(2) into a shared mapping and write(2) from one. */
    int fd2 = CHECK_OK(open(g_path, O_RDWR));
    CHECK_EQ(pwrite(fd2, "12345678", 8, 200), 8);
    CHECK_EQ(pread(fd2, p + pg + 300, 8, 200), 8);
    char buf[8];
    CHECK_EQ(pread(fd, buf, 8, pg + 300), 8);
    CHECK_MEM(buf, "12345678", 8);
    CHECK_EQ(pwrite(fd2, p + 10, 3, 400), 3);
    CHECK_MEM(p + 400, "AQC", 3);
    CHECK_OK(close(fd2));
    CHECK_OK(munmap(r, pg));
    CHECK_OK(munmap(p, 2 * pg));
    done_file(fd);
}

static void two_mappings(void)
{
    int fd = new_file(pg);
    int fd2 = CHECK_OK(open(g_path, O_RDWR));
    char *a = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *b = map(fd2, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    CHECK(a != b);
    a[5] = 'a';
    CHECK_EQ(b[5], 'a');
    b[6] = 'b';
    CHECK_EQ(a[6], 'b');
    /* A second mapping at an offset. */
    CHECK_OK(ftruncate(fd, 3 * pg));
    char *c = CHECK_PTR(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd2, 2 * pg));
    c[0] = 'c';
    char *d = map(fd, 3 * pg, PROT_READ, MAP_SHARED);
    CHECK_EQ(d[2 * pg], 'c');
    CHECK_EQ(d[6], 'b');
    CHECK_OK(munmap(a, pg));
    CHECK_OK(munmap(b, pg));
    CHECK_OK(munmap(c, pg));
    CHECK_OK(munmap(d, 3 * pg));
    CHECK_OK(close(fd2));
    done_file(fd);
}

static void fork_shares(void)
{
    int fd = new_file(pg);
    char *p = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *priv = map(fd, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    p[0] = 'p';
    CHECK_EQ(priv[0], 'p'); /* first touch of the private mapping: the file */
    priv[4] = 'q';          /* now the parent's own copy */
    int to_child[2], to_parent[2];
    CHECK_OK(pipe(to_child));
    CHECK_OK(pipe(to_parent));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        char c;
        close(to_child[1]);
        close(to_parent[0]);
        /* The child's store is the parent's, and the parent's the child's. */
        p[1] = 'c';
        priv[1] = 'x'; /* private: copy-on-write, nobody else sees it */
        if (write(to_parent[1], "1", 1) != 1 || read(to_child[0], &c, 1) != 1)
            _exit(2);
        if (p[2] != 'P' || priv[1] != 'x' || priv[2] != 0 || priv[4] != 'q')
            _exit(3);
        /* A child exiting does not take the pages with it. */
        p[3] = 'e';
        _exit(0);
    }
    char c;
    close(to_child[0]);
    close(to_parent[1]);
    CHECK_EQ(read(to_parent[0], &c, 1), 1);
    CHECK_EQ(p[1], 'c');
    CHECK_EQ(priv[1], 0);
    p[2] = 'P';
    CHECK_EQ(write(to_child[1], "1", 1), 1);
    check_reap(pid);
    CHECK_EQ(p[3], 'e');
    char buf[4];
    CHECK_EQ(pread(fd, buf, 4, 0), 4);
    CHECK_MEM(buf, "pcPe", 4);
    CHECK_OK(munmap(p, pg));
    CHECK_OK(munmap(priv, pg));
    close(to_child[1]);
    close(to_parent[0]);
    done_file(fd);
}

/* A process that exits with a dirty shared mapping leaves its stores in
 * the file (on the host: written back when the last mapping goes). */
static void exit_keeps_stores(void)
{
    int fd = new_file(2 * pg);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        char *p = mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED)
            _exit(2);
        memcpy(p + pg + 3, "gone", 4);
        _exit(0);
    }
    check_reap(pid);
    int fd2 = CHECK_OK(open(g_path, O_RDONLY));
    char buf[4];
    CHECK_EQ(pread(fd2, buf, 4, pg + 3), 4);
    CHECK_MEM(buf, "gone", 4);
    CHECK_OK(close(fd2));
    done_file(fd);
}

static void truncation(void)
{
    int fd = new_file(3 * pg);
    char *p = map(fd, 3 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *q = map(fd, 3 * pg, PROT_READ, MAP_SHARED); /* a second address space view */
    memset(p, 'x', 3 * pg);
    CHECK_EQ(q[2 * pg + 5], 'x');
    char v = 0;
    /* Shrink to a page and a bit: the last page keeps its head and has a
     * zeroed tail; the page after faults with SIGBUS in every mapping. */
    CHECK_OK(ftruncate(fd, pg + 100));
    CHECK_EQ(touch(p + pg + 99, 0, &v), 0);
    CHECK_EQ(v, 'x');
    CHECK_EQ(touch(p + pg + 100, 0, &v), 0);
    CHECK_EQ(v, 0);
    CHECK_EQ(touch(p + 2 * pg + 5, 0, &v), SIGBUS);
    CHECK_EQ(touch(q + 2 * pg + 5, 0, &v), SIGBUS);
    v = 'y';
    CHECK_EQ(touch(p + 2 * pg, 1, &v), SIGBUS);
    /* A store past the end in the last page does not grow the file. */
    CHECK_EQ(touch(p + pg + 200, 1, &v), 0);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, pg + 100);
    /* Grow: the new page reads as zeros and can be written. */
    CHECK_OK(ftruncate(fd, 3 * pg));
    CHECK_EQ(touch(q + 2 * pg + 5, 0, &v), 0);
    CHECK_EQ(v, 0);
    v = 'z';
    CHECK_EQ(touch(p + 2 * pg + 5, 1, &v), 0);
    CHECK_EQ(q[2 * pg + 5], 'z');
    char buf[1];
    CHECK_EQ(pread(fd, buf, 1, 2 * pg + 5), 1);
    CHECK_EQ(buf[0], 'z');
    /* Truncation to zero through the path (O_TRUNC). */
    int fd2 = CHECK_OK(open(g_path, O_RDWR | O_TRUNC));
    CHECK_EQ(touch(q, 0, &v), SIGBUS);
    CHECK_OK(close(fd2));
    CHECK_OK(munmap(p, 3 * pg));
    CHECK_OK(munmap(q, 3 * pg));
    done_file(fd);
}

static void access_modes(void)
{
    int fd = new_file(pg);
    int ro = CHECK_OK(open(g_path, O_RDONLY));
    CHECK_ERR(mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
    CHECK_ERR(mmap(NULL, pg, PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
    /* Read-only shared: fine, but it can never become writable. */
    char *r = map(ro, pg, PROT_READ, MAP_SHARED);
    CHECK_ERR(mprotect(r, pg, PROT_READ | PROT_WRITE), EACCES);
    CHECK_OK(munmap(r, pg));
    /* Private writable mappings of a read-only file are fine. */
    char *priv = map(ro, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    priv[0] = 1;
    CHECK_OK(munmap(priv, pg));
    /* A read-only shared mapping of a read-write file may become writable. */
    char *w = map(fd, pg, PROT_READ, MAP_SHARED);
    CHECK_OK(mprotect(w, pg, PROT_READ | PROT_WRITE));
    w[9] = 'w';
    char buf[1];
    CHECK_EQ(pread(ro, buf, 1, 9), 1);
    CHECK_EQ(buf[0], 'w');
    CHECK_OK(mprotect(w, pg, PROT_READ));
    char v = 'n';
    CHECK_EQ(touch(w + 9, 1, &v), SIGSEGV);
    CHECK_OK(munmap(w, pg));
    int wo = CHECK_OK(open(g_path, O_WRONLY));
    CHECK_ERR(mmap(NULL, pg, PROT_WRITE, MAP_SHARED, wo, 0), EACCES);
    CHECK_OK(close(wo));
    CHECK_OK(close(ro));
    done_file(fd);
}

static void msync_calls(void)
{
    int fd = new_file(2 * pg);
    char *p = map(fd, 2 * pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    p[0] = 's';
    CHECK_OK(msync(p, 2 * pg, MS_SYNC));
    CHECK_OK(msync(p, pg, MS_ASYNC));
    CHECK_OK(msync(p, 1, MS_SYNC)); /* the length is rounded up */
    CHECK_OK(msync(p, 2 * pg, MS_INVALIDATE));
    CHECK_OK(msync(p, 2 * pg, MS_SYNC | MS_INVALIDATE));
    CHECK_OK(msync(p, 0, MS_SYNC));
    CHECK_ERR(msync(p + 1, pg, MS_SYNC), EINVAL);
    CHECK_ERR(msync(p, pg, MS_SYNC | MS_ASYNC), EINVAL);
    CHECK_ERR(msync(p, pg, 0x10), EINVAL);
    CHECK_EQ(p[0], 's'); /* MS_INVALIDATE keeps what the file has */
    char buf[1];
    CHECK_EQ(pread(fd, buf, 1, 0), 1);
    CHECK_EQ(buf[0], 's');
    /* A hole in the range: ENOMEM. */
    CHECK_OK(munmap(p + pg, pg));
    CHECK_ERR(msync(p, 2 * pg, MS_SYNC), ENOMEM);
    CHECK_ERR(msync(p + pg, pg, MS_ASYNC), ENOMEM);
    CHECK_OK(munmap(p, pg));
    CHECK_ERR(msync(p, pg, MS_SYNC), ENOMEM);
    /* Anonymous and private mappings sync trivially. */
    char *a = CHECK_PTR(mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHECK_OK(msync(a, pg, MS_SYNC));
    CHECK_OK(munmap(a, pg));
    done_file(fd);
}

static void private_cow(void)
{
    int fd = new_file(pg);
    char *s = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *p = map(fd, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE);
    p[0] = 'p';
    char buf[1];
    CHECK_EQ(pread(fd, buf, 1, 0), 1);
    CHECK_EQ(buf[0], 0);
    CHECK_EQ(s[0], 0);
    s[0] = 's';
    CHECK_EQ(p[0], 'p');
    CHECK_OK(munmap(p, pg));
    CHECK_OK(munmap(s, pg));
    done_file(fd);
}

static void dontneed(void)
{
    int fd = new_file(pg);
    char *p = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    p[0] = 'd';
    CHECK_OK(madvise(p, pg, MADV_DONTNEED));
    CHECK_EQ(p[0], 'd'); /* read back from the file */
    CHECK_EQ(pwrite(fd, "e", 1, 0), 1);
    CHECK_EQ(p[0], 'e');
    CHECK_OK(munmap(p, pg));
    done_file(fd);
}

static void remap(void)
{
    int fd = new_file(4 * pg);
    char *p = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    p[0] = 'r';
    /* Grow (moving if need be): the new pages are the file's next pages. */
    char *g = CHECK_PTR(mremap(p, pg, 3 * pg, MREMAP_MAYMOVE));
    CHECK_EQ(g[0], 'r');
    g[2 * pg] = 'g';
    char buf[1];
    CHECK_EQ(pread(fd, buf, 1, 2 * pg), 1);
    CHECK_EQ(buf[0], 'g');
    /* old_size 0: a second mapping of the same pages. */
    char *d = CHECK_PTR(mremap(g, 0, 2 * pg, MREMAP_MAYMOVE));
    CHECK(d != g);
    d[1] = 'd';
    CHECK_EQ(g[1], 'd');
    CHECK_OK(munmap(d, 2 * pg));
    CHECK_OK(munmap(g, 3 * pg));
    char *priv = map(fd, pg, PROT_READ, MAP_PRIVATE);
    CHECK_ERR(mremap(priv, 0, pg, MREMAP_MAYMOVE), EINVAL);
    CHECK_OK(munmap(priv, pg));
    done_file(fd);
}

static void proc_maps(void)
{
    int fd = new_file(pg);
    char *p = map(fd, pg, PROT_READ | PROT_WRITE, MAP_SHARED);
    char *r = map(fd, pg, PROT_READ, MAP_SHARED);
    char want_p[64], want_r[64];
    snprintf(want_p, sizeof(want_p), "%08lx-%08lx rw-s ", (unsigned long)p,
             (unsigned long)(p + pg));
    snprintf(want_r, sizeof(want_r), "%08lx-%08lx r--s ", (unsigned long)r,
             (unsigned long)(r + pg));
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    char line[8192];
    bool found_p = false, found_r = false;
    while (fgets(line, sizeof(line), f)) {
        if (!strncmp(line, want_p, strlen(want_p)) && strstr(line, strrchr(g_path, '/')))
            found_p = true;
        if (!strncmp(line, want_r, strlen(want_r)))
            found_r = true;
    }
    fclose(f);
    CHECK(found_p);
    CHECK(found_r);
    CHECK_OK(munmap(p, pg));
    CHECK_OK(munmap(r, pg));
    done_file(fd);
}

static void all(void)
{
    RUN(store_then_read);
    RUN(write_then_load);
    RUN(two_mappings);
    RUN(fork_shares);
    RUN(exit_keeps_stores);
    RUN(truncation);
    RUN(access_modes);
    RUN(msync_calls);
    RUN(private_cow);
    RUN(dontneed);
    RUN(remap);
    RUN(proc_maps);
}

/* Whether a file can be made in dir. */
static bool writable_dir(const char *dir)
{
    char p[PATH_MAX];
    snprintf(p, sizeof(p), "%s/syscalls-mmap-shared-probe-XXXXXX", dir);
    int fd = mkstemp(p);
    if (fd < 0)
        return false;
    close(fd);
    unlink(p);
    return true;
}

int main(int argc, char **argv)
{
    (void)argc;
    pg = sysconf(_SC_PAGESIZE);
    atexit(remove_file);
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    CHECK_OK(sigaction(SIGBUS, &sa, NULL));
    CHECK_OK(sigaction(SIGSEGV, &sa, NULL));

    const char *tmp = getenv("TMPDIR");
    if (!tmp || !tmp[0])
        tmp = "/tmp";
    bool tmp_ok = writable_dir(tmp);
    if (tmp_ok) {
        g_dir = tmp;
        all();
    }
    /* The test binary's own directory: the host filesystem (the gofer). */
    static char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    if (n <= 0 && argv[0][0] == '/' && strlen(argv[0]) < sizeof(exe))
        n = (ssize_t)strlen(strcpy(exe, argv[0])); /* no /proc */
    bool exe_ok = false;
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            slash[slash == exe] = '\0'; /* "/" stays "/" */
            exe_ok = writable_dir(exe);
        }
    }
    if (exe_ok) {
        g_dir = exe;
        all();
    }
    if (!tmp_ok && !exe_ok)
        SKIP("no writable directory (%s, the binary's)", tmp);
    if (!exe_ok)
        printf("host directory part skipped: %s is not writable\n", exe);
    return 0;
}

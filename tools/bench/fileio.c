/* Sequential write, then read back, of a file in 1 MiB blocks: PATH (default
 * /tmp/bench-fileio) is created, written (-n MiB, default 1024), closed,
 * reopened, read, closed and removed. No fsync: this measures the path
 * through the (sandbox) kernel to the page cache, not the disk. Prints two
 * figures, NAME_write and NAME_read (NAME from -l, default "fileio"), in
 * microseconds per MiB. Open and close are inside the timed span. It also
 * prints "#fstype NAME 0xTYPE" (statfs f_type of the file, "?" if statfs
 * fails) so the harness can tell which filesystem was really measured. */
#include <fcntl.h>
#include <sys/vfs.h>

#include "bench.h"

#define BLOCK (1 << 20)

static char *buf;
static int fd;

static void do_write(void *ctx, long k)
{
    (void)ctx;
    for (long i = 0; i < k; i++)
        for (size_t off = 0; off < BLOCK;) {
            ssize_t r = write(fd, buf + off, BLOCK - off);
            if (r <= 0)
                bench_die("write");
            off += (size_t)r;
        }
}

static void do_read(void *ctx, long k)
{
    (void)ctx;
    for (long i = 0; i < k; i++)
        for (size_t off = 0; off < BLOCK;) {
            ssize_t r = read(fd, buf + off, BLOCK - off);
            if (r <= 0)
                bench_die(r == 0 ? "read: short file" : "read");
            off += (size_t)r;
        }
}

int main(int argc, char **argv)
{
    struct bench_opts o;
    long written, done;
    char name[256];
    bench_parse(argc, argv, 1024, "[PATH]", &o);
    const char *path = o.argc > 0 ? o.argv[0] : "/tmp/bench-fileio";
    const char *label = o.label ? o.label : "fileio";
    buf = malloc(BLOCK);
    if (!buf)
        bench_die("malloc");
    for (size_t i = 0; i < BLOCK; i++)
        buf[i] = (char)(i * 7 + 1);

    double start = bench_now();
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        bench_die(path);
    struct statfs sf;
    if (fstatfs(fd, &sf) == 0)
        printf("#fstype %s 0x%lx\n", label, (unsigned long)sf.f_type);
    else
        printf("#fstype %s ?\n", label);
    bench_loop(do_write, NULL, &o, &written);
    if (close(fd) < 0)
        bench_die("close");
    double ws = bench_now() - start;

    struct bench_opts ro = o;
    ro.n = written;
    start = bench_now();
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        bench_die(path);
    bench_loop(do_read, NULL, &ro, &done);
    close(fd);
    double rs = bench_now() - start;
    unlink(path);

    snprintf(name, sizeof(name), "%s_write", label);
    bench_report(name, ws, written, "us/MiB");
    snprintf(name, sizeof(name), "%s_read", label);
    bench_report(name, rs, done, "us/MiB");
    return 0;
}

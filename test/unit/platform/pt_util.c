#include "test/unit/platform/pt_util.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test/unit/harness.h"

void env_init(struct env *e)
{
    memset(e, 0, sizeof(*e));
    e->ops = platform_lookup("ptrace");
    CHECK(e->ops != NULL);
    e->memfd = memfd_create("memfile", MFD_CLOEXEC);
    CHECK(e->memfd >= 0);
    CHECK_INT(ftruncate(e->memfd, MEM_SIZE), ==, 0);
    e->mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, e->memfd, 0);
    CHECK(e->mem != MAP_FAILED);
    int err = e->ops->create(e->memfd, -1, &e->p);
    if (err == -EPERM || err == -EACCES)
        SKIP("ptrace not permitted here (%d)", err);
    CHECK_INT(err, ==, 0);
    CHECK_INT(e->ops->new_as(e->p, &e->as), ==, 0);
    CHECK_INT(e->ops->new_ctx(e->p, &e->ctx), ==, 0);
}

void env_load(struct env *e, const char *start, const char *end)
{
    CHECK((size_t)(end - start) <= PAGE);
    memcpy(e->mem + OFF_CODE, start, (size_t)(end - start));
    CHECK_INT(e->ops->as_map(e->as, CODE_ADDR, PAGE, OFF_CODE, PROT_READ | PROT_EXEC), ==, 0);
    CHECK_INT(e->ops->as_map(e->as, DATA_ADDR, PAGE, OFF_DATA, PROT_READ | PROT_WRITE), ==, 0);
}

void env_fini(struct env *e)
{
    if (e->ctx)
        e->ops->ctx_release(e->ctx);
    if (e->as)
        e->ops->as_release(e->as);
    if (e->p)
        e->ops->destroy(e->p);
    munmap(e->mem, MEM_SIZE);
    close(e->memfd);
    errno = 0;
    CHECK_INT(waitpid(-1, NULL, __WALL | WNOHANG), ==, -1);
    CHECK_INT(errno, ==, ECHILD);
}

void regs_init(struct platform_regs *r, uint64_t rip)
{
    memset(r, 0, sizeof(*r));
    platform_fpu_init(r);
    r->gp.rip = rip;
    r->gp.rsp = DATA_ADDR + PAGE - 64;
    r->gp.eflags = 0x202;
}

void env_start(struct env *e, const char *start, const char *end, struct platform_regs *r)
{
    env_init(e);
    env_load(e, start, end);
    regs_init(r, CODE_ADDR);
    r->gp.rbx = DATA_ADDR;
}

uint64_t data_u64(const struct env *e, uint64_t off)
{
    uint64_t v;
    memcpy(&v, e->mem + OFF_DATA + off, sizeof(v));
    return v;
}

void set_data_u64(struct env *e, uint64_t off, uint64_t v)
{
    memcpy(e->mem + OFF_DATA + off, &v, sizeof(v));
}

const char *proc_read(pid_t pid, const char *what)
{
    static char buf[16384];
    char path[128];
    snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    ssize_t n, off = 0;
    while ((n = read(fd, buf + off, sizeof(buf) - 1 - (size_t)off)) > 0)
        off += n;
    close(fd);
    buf[off] = 0;
    return buf;
}

int proc_threads(pid_t pid)
{
    char path[64];
    snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
    return ut_count_entries(path);
}

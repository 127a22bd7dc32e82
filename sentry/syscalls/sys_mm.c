/* mmap, munmap, mprotect, brk, mremap, madvise, msync, mincore, mlock,
 * munlock. */
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "sentry/fsimpl/dev/dev.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/syscalls/internal.h"

#define MAP_KNOWN                                                                                  \
    (MAP_SHARED | MAP_PRIVATE | MAP_SHARED_VALIDATE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN |  \
     MAP_DENYWRITE | MAP_EXECUTABLE | MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK |   \
     MAP_STACK | MAP_HUGETLB | MAP_SYNC | MAP_FIXED_NOREPLACE | (0x3f << MAP_HUGE_SHIFT))

long sys_mmap(struct task *t, const struct syscall_args *args)
{
    uint64_t addr = ARG_U64(0), len = ARG_U64(1), off = ARG_U64(5);
    int prot = ARG_INT(2), flags = ARG_INT(3), fd = ARG_INT(4);
    if ((flags & MAP_TYPE) == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN))
        return -EOPNOTSUPP;
    if (flags & MAP_HUGETLB)
        return -EINVAL; /* no huge pages in the sandbox (PARTIAL note in the table) */
    uint64_t out;
    int r;
    if (flags & MAP_ANONYMOUS) {
        r = mm_mmap(t->mm, addr, len, prot, flags, NULL, 0, 0, &out);
        return r < 0 ? r : (long)out;
    }
    struct file *f = sc_file(t, fd);
    if (!f)
        return -EBADF;
    int acc = f->flags & O_ACCMODE;
    int type = flags & MAP_TYPE;
    int max_prot = PROT_READ | PROT_WRITE | PROT_EXEC;
    bool noexec = f->path.mnt && (f->path.mnt->flags & MNT_NOEXEC);
    /* A write-sealed memfd: no writable shared mapping, now or by mprotect
     * later (Linux clears VM_MAYWRITE). */
    bool sealed = type != MAP_PRIVATE && tmpfs_sealed_against_shared_write(f);
    if (noexec)
        max_prot &= ~PROT_EXEC; /* mprotect(PROT_EXEC) later is EACCES too */
    if (f->flags & O_PATH) {
        r = -EBADF;
    } else if (noexec && (prot & PROT_EXEC)) {
        r = -EPERM;
    } else if (acc == O_WRONLY) {
        r = -EACCES;
    } else if (type != MAP_PRIVATE && (prot & PROT_WRITE) && acc != O_RDWR) {
        r = -EACCES;
    } else if ((prot & PROT_WRITE) && sealed) {
        r = -EPERM; /* a memfd with F_SEAL_WRITE / F_SEAL_FUTURE_WRITE */
    } else if (!f->ops->mmap) {
        r = -ENODEV;
    } else if ((r = f->ops->mmap(f)) == 1) {
        /* /dev/zero and friends: anonymous memory. */
        r = mm_mmap(t->mm, addr, len, prot, flags | MAP_ANONYMOUS, NULL, 0, 0, &out);
    } else if (r == 0) {
        if (type != MAP_PRIVATE && (acc != O_RDWR || sealed))
            max_prot &= ~PROT_WRITE; /* mprotect(PROT_WRITE) later: EACCES */
        bool shareable = f->ops->mappable && f->ops->mappable(f);
        if (type == MAP_PRIVATE || shareable) {
            /* Shared: the file's own pages (tmpfs data, the gofer's page
             * cache), coherent with read/write and other mappings. */
            r = mm_mmap(t->mm, addr, len, prot, flags, &f->mmf, off, max_prot, &out);
        } else if (prot & PROT_WRITE) {
            r = -ENODEV; /* a file without pages to share */
        } else {
            /* Read-only shared mapping of such a file: it sees the file as
             * it was when read (private copies, no write-back to do). */
            r = mm_mmap(t->mm, addr, len, prot, (flags & ~MAP_TYPE) | MAP_PRIVATE, &f->mmf, off,
                        max_prot, &out);
        }
    }
    file_put(f);
    return r < 0 ? r : (long)out;
}

long sys_munmap(struct task *t, const struct syscall_args *args)
{
    return mm_munmap(t->mm, ARG_U64(0), ARG_U64(1));
}

long sys_mprotect(struct task *t, const struct syscall_args *args)
{
    return mm_mprotect(t->mm, ARG_U64(0), ARG_U64(1), ARG_INT(2));
}

long sys_brk(struct task *t, const struct syscall_args *args)
{
    return (long)mm_brk(t->mm, ARG_U64(0));
}

long sys_mremap(struct task *t, const struct syscall_args *args)
{
    uint64_t out;
    int r = mm_mremap(t->mm, ARG_U64(0), ARG_U64(1), ARG_U64(2), ARG_INT(3), ARG_U64(4), &out);
    return r < 0 ? r : (long)out;
}

long sys_madvise(struct task *t, const struct syscall_args *args)
{
    return mm_madvise(t->mm, ARG_U64(0), ARG_U64(1), ARG_INT(2));
}

/* Checks that [addr, addr+len) is mapped: -ENOMEM otherwise. */
static int check_mapped(struct mm *mm, uint64_t addr, uint64_t len)
{
    uint64_t end = MM_PAGE_ROUND_UP(addr + len);
    if (end < addr)
        return -ENOMEM;
    pthread_mutex_lock(&mm->lock);
    uint64_t at = addr;
    int r = 0;
    struct vma *v = mm->vmas;
    while (at < end) {
        while (v && v->end <= at)
            v = v->next;
        if (!v || v->start > at) {
            r = -ENOMEM;
            break;
        }
        at = v->end;
    }
    pthread_mutex_unlock(&mm->lock);
    return r;
}

long sys_msync(struct task *t, const struct syscall_args *args)
{
    return mm_msync(t->mm, ARG_U64(0), ARG_U64(1), ARG_INT(2));
}

long sys_mincore(struct task *t, const struct syscall_args *args)
{
    uint64_t addr = ARG_U64(0), len = ARG_U64(1);
    if (addr & (MM_PAGE_SIZE - 1))
        return -EINVAL;
    int r = check_mapped(t->mm, addr, len);
    if (r < 0)
        return r;
    uint64_t pages = MM_PAGE_ROUND_UP(len) / MM_PAGE_SIZE;
    unsigned char *v = malloc(pages ? pages : 1);
    if (!v)
        return -ENOMEM;
    for (uint64_t i = 0; i < pages; i++)
        v[i] = 1;
    r = mm_copy_out(t->mm, ARG_U64(2), v, pages);
    free(v);
    return r;
}

long sys_mlock(struct task *t, const struct syscall_args *args)
{
    uint64_t addr = MM_PAGE_ROUND_DOWN(ARG_U64(0));
    return check_mapped(t->mm, addr, ARG_U64(1) + (ARG_U64(0) - addr));
}

long sys_munlock(struct task *t, const struct syscall_args *args)
{
    uint64_t addr = MM_PAGE_ROUND_DOWN(ARG_U64(0));
    return check_mapped(t->mm, addr, ARG_U64(1) + (ARG_U64(0) - addr));
}

/* memfd_create (the file: sentry/fsimpl/tmpfs, with its seals). */
#include <linux/memfd.h>

#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/syscalls/internal.h"

#define MFD_NAME_MAX 249 /* NAME_MAX - strlen("memfd:") */
#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008u
#define MFD_EXEC 0x0010u
#endif

long sys_memfd_create(struct task *t, const struct syscall_args *args)
{
    unsigned flags = (unsigned)args->a[1];
    if (flags & ~(MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC |
                  ((unsigned)MFD_HUGE_MASK << MFD_HUGE_SHIFT)))
        return -EINVAL;
    if (flags & MFD_HUGETLB)
        return -EINVAL; /* no hugetlbfs in the sandbox (PARTIAL) */
    if (flags & ((unsigned)MFD_HUGE_MASK << MFD_HUGE_SHIFT))
        return -EINVAL; /* a huge page size without MFD_HUGETLB */
    if ((flags & MFD_EXEC) && (flags & MFD_NOEXEC_SEAL))
        return -EINVAL;
    char name[MFD_NAME_MAX + 1];
    ssize_t n = mm_copy_in_string(t->mm, ARG_U64(0), name, sizeof(name));
    if (n == -ENAMETOOLONG)
        return -EINVAL;
    if (n < 0)
        return n;
    unsigned tf = 0;
    if (flags & (MFD_ALLOW_SEALING | MFD_NOEXEC_SEAL))
        tf |= TMPFS_MFD_ALLOW_SEALING; /* MFD_NOEXEC_SEAL implies sealing */
    if (flags & MFD_NOEXEC_SEAL)
        tf |= TMPFS_MFD_NOEXEC;
    struct vfs_owner owner = {t->creds.fsuid, t->creds.fsgid};
    struct file *f;
    int r = tmpfs_memfd_create(name, tf, &owner, &f);
    if (r < 0)
        return r;
    return sc_install_new(t, f, flags & MFD_CLOEXEC);
}

/* eventfd, eventfd2. The file is sentry/fsimpl/anon/eventfd.c. */
#include <sys/eventfd.h>

#include "sentry/fsimpl/anon/eventfd.h"
#include "sentry/syscalls/internal.h"

static long do_eventfd(struct task *t, unsigned int initval, int flags)
{
    if (flags & ~(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
        return -EINVAL;
    struct file *f;
    int r = eventfd_create_file(initval, flags, &f);
    if (r < 0)
        return r;
    return sc_install_new(t, f, flags & EFD_CLOEXEC);
}

long sys_eventfd(struct task *t, const struct syscall_args *args)
{
    return do_eventfd(t, (unsigned int)ARG_U64(0), 0);
}

long sys_eventfd2(struct task *t, const struct syscall_args *args)
{
    return do_eventfd(t, (unsigned int)ARG_U64(0), ARG_INT(1));
}

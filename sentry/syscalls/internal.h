/* Helpers shared by the sys_<family>.c files (private to sentry/syscalls). */
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/stat.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/kernel.h"
#include "sentry/syscalls/syscalls.h"
#include "sentry/vfs/vfs.h"

#define ARG_INT(i) ((int)args->a[i])
#define ARG_U64(i) (args->a[i])

/* Copies a path argument (at most PATH_MAX bytes with the NUL). */
static inline int sc_copy_path(struct task *t, uint64_t addr, char *buf)
{
    ssize_t r = mm_copy_in_string(t->mm, addr, buf, PATH_MAX);
    return r < 0 ? (int)r : 0;
}

/* The file at fd (new reference), or NULL (the caller answers -EBADF). */
static inline struct file *sc_file(struct task *t, int fd)
{
    return fdt_get_file(t->fdt, fd, NULL);
}

/* Linux's struct stat from VFS attributes (x86-64 layout = glibc's). */
void sc_attr_to_stat(const struct vfs_attr *a, struct stat *st);
/* stat/lstat/newfstatat/statx core: resolve (dirfd, path, AT_* flags). */
int sc_resolve_at(struct task *t, int dirfd, const char *path, int at_flags, struct vfs_path *out);
/* sc_copy_path of the path at addr, then sc_resolve_at. */
int sc_resolve_path(struct task *t, int dirfd, uint64_t addr, int at_flags, struct vfs_path *out);

/* (sys_namei.c) The walk context (task_walk_ctx: with all of the task's
 * credentials) of a path argument: sc_copy_path of addr into path
 * (PATH_MAX bytes), then task_walk_ctx. */
int sc_path_ctx(struct task *t, int dirfd, uint64_t addr, char *path, struct vfs_walk_ctx *ctx);
/* A context with the task's credentials only (nothing to resolve: root and
 * start are empty), for changes to a file already found. */
void sc_cred_ctx(struct task *t, struct vfs_walk_ctx *ctx);
/* The task's umask. */
uint32_t sc_umask(struct task *t);

/* Bounce buffers for moving file data through the sentry. */
#define SC_IO_CHUNK (1u << 20)

/* (sys_poll.c) The temporary signal mask of ppoll, pselect6 and
 * epoll_pwait(2): installs the mask at addr (size must be 8) for the call;
 * *set says whether one was. sc_sigmask_end restores it, except when the
 * call was interrupted by a signal (Linux's restore_saved_sigmask_unless):
 * then the call's mask stays until the signal is delivered (the handler
 * frame records the saved one). */
int sc_sigmask_begin(struct task *t, uint64_t addr, uint64_t size, bool *set);
void sc_sigmask_end(struct task *t, bool set, bool interrupted);

/* RLIMIT_NOFILE as the bound of new fds. */
static inline int sc_nofile(struct task *t)
{
    return (int)task_rlimit_cur(t, RLIMIT_NOFILE);
}

/* Installs the new file f at the lowest free fd (below RLIMIT_NOFILE),
 * close-on-exec if asked, and drops the caller's reference: the fd or
 * -EMFILE. */
static inline int sc_install_new(struct task *t, struct file *f, bool cloexec)
{
    int fd = fdt_install(t->fdt, 0, f, cloexec ? FDT_CLOEXEC : 0, sc_nofile(t));
    file_put(f);
    return fd;
}

/* The file at fd with a new reference, or NULL for a bad fd or an O_PATH
 * one (Linux's fdget for calls that use the file itself: EBADF). */
static inline struct file *sc_file_nopath(struct task *t, int fd)
{
    struct file *f = sc_file(t, fd);
    if (f && (f->flags & O_PATH)) {
        file_put(f);
        return NULL;
    }
    return f;
}

/* A valid timespec value for timer settings: tv_sec >= 0, tv_nsec in
 * [0, 1e9). */
static inline bool sc_timespec_ok(const struct timespec *ts)
{
    return ts->tv_sec >= 0 && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

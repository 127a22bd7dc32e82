/* File descriptor tables (shared between tasks with CLONE_FILES).
 * fdt->lock protects the array; it is taken alone (file ops are called
 * after the reference is taken and the lock dropped). */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "sentry/vfs/vfs.h"

#define FDT_CLOEXEC 1

struct fd_entry {
    struct file *file;
    int flags; /* FDT_CLOEXEC */
};

struct fdtable {
    int refs;
    pthread_mutex_t lock;
    struct fd_entry *fds;
    int size;
};

int fdt_new(struct fdtable **out);
/* Copy for fork (every file gets a reference). */
int fdt_dup_table(struct fdtable *src, struct fdtable **out);
void fdt_get(struct fdtable *fdt);
void fdt_put(struct fdtable *fdt);

/* Installs f (takes a new reference) at the lowest free fd >= min below
 * limit. Returns the fd or -EMFILE. */
int fdt_install(struct fdtable *fdt, int min, struct file *f, int flags, int limit);
/* Installs at exactly fd, closing what was there (dup2). */
int fdt_install_at(struct fdtable *fdt, int fd, struct file *f, int flags, int limit);
/* The file at fd with a new reference, or NULL (-EBADF). */
struct file *fdt_get_file(struct fdtable *fdt, int fd, int *flags);
int fdt_set_flags(struct fdtable *fdt, int fd, int flags);
int fdt_close(struct fdtable *fdt, int fd);
/* Closes every FDT_CLOEXEC fd (execve). */
void fdt_close_on_exec(struct fdtable *fdt);
/* Highest open fd + 1 (for /proc and close_range). */
int fdt_count(struct fdtable *fdt);

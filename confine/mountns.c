/* The mount namespace check of the confinement (mountns.h). */
#include "confine/mountns.h"

#include <errno.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* 1 when path names the same namespace as *self, 0 when another, -errno. */
static int same_ns(const char *path, const struct stat *self)
{
    struct stat st;
    if (stat(path, &st) < 0)
        return -errno;
    return st.st_dev == self->st_dev && st.st_ino == self->st_ino;
}

int confine_own_mount_ns(void)
{
    struct stat self;
    if (stat("/proc/self/ns/mnt", &self) < 0)
        return -errno;
    pid_t ppid = getppid(); /* 0: the parent is outside our pid namespace */
    if (ppid > 0) {
        char path[64];
        snprintf(path, sizeof(path), "/proc/%d/ns/mnt", (int)ppid);
        int r = same_ns(path, &self);
        if (r >= 0)
            return !r;
        if (r != -EACCES && r != -EPERM && r != -ENOENT)
            return r;
    }
    int r = same_ns("/proc/1/ns/mnt", &self);
    if (r >= 0)
        return !r;
    /* Neither the parent nor pid 1 may be inspected: they are in another user namespace
     * (or more privileged), which a launcher that made our namespaces leaves behind. */
    return r == -EACCES || r == -EPERM ? 1 : r;
}

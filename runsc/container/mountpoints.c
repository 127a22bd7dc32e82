/* Mount points in the rootfs, created on the host before the gofer starts,
 * as runc creates them: a read-only root (root.readonly) is read-only to the
 * sandbox, but its mount points must exist all the same. Every path is
 * resolved with openat2(RESOLVE_IN_ROOT), so a symlink in the rootfs cannot
 * lead outside it. Destinations under /dev, /proc, /sys or under an earlier
 * mount are the sentry's to create (sentry/boot/mounts.c). */
#include "runsc/container/mountpoints.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lib/cleanup.h"

static int open_in_root(int root, const char *path)
{
    struct open_how how = {.flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT};
    int fd = (int)syscall(SYS_openat2, root, path, &how, sizeof(how));
    return fd < 0 ? -errno : fd;
}

/* Whether dest is at or under prefix ("/dev" holds "/dev/shm"). */
static bool under(const char *dest, const char *prefix)
{
    size_t n = strlen(prefix);
    while (n > 1 && prefix[n - 1] == '/')
        n--;
    if (n == 1)
        return true; /* "/" holds everything */
    return strncmp(dest, prefix, n) == 0 && (dest[n] == '/' || dest[n] == '\0');
}

static bool sentry_owned(const struct bootcfg_mounts *m, size_t i)
{
    static const char *const own[] = {"/dev", "/proc", "/sys", NULL};
    const char *dest = m->items[i].destination;
    for (size_t j = 0; own[j]; j++)
        if (under(dest, own[j]))
            return true;
    for (size_t j = 0; j < i; j++)
        if (under(dest, m->items[j].destination))
            return true;
    return false;
}

/* Creates each missing component of dest (relative to root), the last one a
 * directory or an empty file. */
static int make_one(int root, const char *dest, bool want_dir)
{
    cleanup_free char *p = xstrdup(dest);
    for (char *s = p + 1;; s++) {
        bool end = *s == '\0';
        if (*s != '/' && !end)
            continue;
        *s = '\0';
        int fd = open_in_root(root, p);
        if (fd >= 0) {
            close(fd);
        } else if (fd == -ENOENT) {
            char *slash = strrchr(p, '/');
            *slash = '\0';
            int dir = open_in_root(root, slash == p ? "/" : p);
            *slash = '/';
            if (dir < 0)
                return dir;
            int r;
            if (end && !want_dir) {
                r = openat(dir, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_CLOEXEC,
                           0644);
                if (r >= 0)
                    close(r);
            } else {
                r = mkdirat(dir, slash + 1, 0755);
            }
            int e = errno;
            close(dir);
            if (r < 0 && e != EEXIST)
                return -e;
        } else {
            return fd;
        }
        if (end)
            return 0;
        *s = '/';
    }
}

int mountpoints_create(const char *rootfs, const struct bootcfg_mounts *m, rs_error_t *err)
{
    cleanup_close int root = open(rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (root < 0)
        return rs_error(err, errno, "root.path %s", rootfs);
    for (size_t i = 0; i < m->count; i++) {
        const Runsc__Boot__Mount *mt = &m->items[i];
        if (sentry_owned(m, i) || strcmp(mt->type, "cgroup2") == 0)
            continue; /* cgroup2 is not mounted (sentry/boot/mounts.c) */
        bool want_dir = true;
        struct stat st;
        if (strcmp(mt->type, "bind") == 0 && stat(mt->source, &st) == 0 && !S_ISDIR(st.st_mode))
            want_dir = false;
        int r = make_one(root, mt->destination, want_dir);
        if (r < 0)
            return rs_error(err, -r, "mounts[%zu]: creating the mount point %s in %s", i,
                            mt->destination, rootfs);
    }
    return 0;
}

#include "lib/fileutil.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"

int fu_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

ssize_t fu_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    size_t got = 0;
    while (got < len) {
        ssize_t r = read(fd, p + got, len - got);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    return (ssize_t)got;
}

int fu_read_fd(int fd, size_t max_size, char **out, size_t *out_len, rs_error_t *err)
{
    size_t cap = 4096, len = 0;
    char *buf = xmalloc(cap + 1);
    for (;;) {
        if (len == cap) {
            if (cap >= max_size) {
                free(buf);
                return rs_error(err, E2BIG, "file larger than %zu bytes", max_size);
            }
            cap = cap * 2 > max_size ? max_size : cap * 2;
            buf = xrealloc(buf, cap + 1);
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            free(buf);
            return rs_error(err, e, "read");
        }
        if (r == 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    *out = buf;
    if (out_len)
        *out_len = len;
    return 0;
}

int fu_read_file(const char *path, size_t max_size, char **out, size_t *out_len, rs_error_t *err)
{
    cleanup_close int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return rs_error(err, errno, "open %s", path);
    if (fu_read_fd(fd, max_size, out, out_len, err) < 0)
        return rs_error_wrap(err, "%s", path);
    return 0;
}

int fu_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         rs_error_t *err)
{
    cleanup_free char *tmp = xasprintf("%s.tmp.%d", path, (int)getpid());
    cleanup_close int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd < 0)
        return rs_error(err, errno, "create %s", tmp);
    int r = fu_write_all(fd, data, len);
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (r < 0) {
        unlink(tmp);
        return rs_error(err, -r, "write %s", tmp);
    }
    if (rename(tmp, path) < 0) {
        int e = errno;
        unlink(tmp);
        return rs_error(err, e, "rename %s to %s", tmp, path);
    }
    return 0;
}

int fu_mkdir_p(const char *path, mode_t mode, rs_error_t *err)
{
    if (strlen(path) >= PATH_MAX)
        return rs_error(err, ENAMETOOLONG, "mkdir %s", path);
    char buf[PATH_MAX];
    strcpy(buf, path);
    for (char *p = buf + 1;; p++) {
        if (*p == '/' || *p == '\0') {
            char c = *p;
            *p = '\0';
            if (mkdir(buf, mode) < 0 && errno != EEXIST)
                return rs_error(err, errno, "mkdir %s", buf);
            *p = c;
            if (c == '\0')
                break;
        }
    }
    struct stat st;
    if (stat(path, &st) < 0)
        return rs_error(err, errno, "stat %s", path);
    if (!S_ISDIR(st.st_mode))
        return rs_error(err, ENOTDIR, "mkdir %s", path);
    return 0;
}

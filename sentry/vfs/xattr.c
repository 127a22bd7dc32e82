/* Extended attributes: checks and an in-memory store (see xattr.h). */
#include "sentry/vfs/xattr.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>

#include "sentry/kernel/creds.h"

struct vfs_xattr_entry {
    char *name;
    void *value;
    size_t size;
    struct vfs_xattr_entry *next;
};

static bool has_prefix(const char *name, const char *prefix)
{
    return strncmp(name, prefix, strlen(prefix)) == 0;
}

/* Linux's xattr_permission plus the capability LSM's setxattr rule. write:
 * set or remove. */
static int permission(const struct vfs_walk_ctx *ctx, struct inode *ino, const char *name,
                      bool write)
{
    struct vfs_attr a;
    int r = vfs_getattr(ino, &a);
    if (r < 0)
        return r;
    if (has_prefix(name, "security.")) {
        if (write && !vfs_capable(ctx, CREDS_CAP_SYS_ADMIN))
            return -EPERM;
        return 0;
    }
    if (has_prefix(name, "system."))
        return -EOPNOTSUPP; /* no POSIX ACLs */
    if (has_prefix(name, "trusted.")) {
        if (!vfs_capable(ctx, CREDS_CAP_SYS_ADMIN))
            return write ? -EPERM : -ENODATA;
        return 0;
    }
    if (has_prefix(name, "user.")) {
        if (!S_ISREG(a.mode) && !S_ISDIR(a.mode))
            return write ? -EPERM : -ENODATA;
        if (write && S_ISDIR(a.mode) && (a.mode & S_ISVTX) && a.uid != ctx->uid &&
            !vfs_capable(ctx, CREDS_CAP_FOWNER))
            return -EPERM;
    } else {
        return -EOPNOTSUPP;
    }
    return vfs_permission(&a, ctx, write ? 2 : 4);
}

static const struct vfs_xattr_ops *ops_of(struct inode *ino)
{
    return ino->ops ? ino->ops->xattr : NULL;
}

ssize_t vfs_getxattr(const struct vfs_walk_ctx *ctx, struct inode *ino, const char *name, void *buf,
                     size_t size)
{
    int r = permission(ctx, ino, name, false);
    if (r < 0)
        return r;
    const struct vfs_xattr_ops *x = ops_of(ino);
    if (!x || !x->get)
        return -EOPNOTSUPP;
    if (size > VFS_XATTR_SIZE_MAX)
        size = VFS_XATTR_SIZE_MAX;
    return x->get(ino, name, buf, size);
}

static int change(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, const char *name,
                  const void *value, size_t size, int flags)
{
    if (p->mnt && (p->mnt->flags & MNT_RDONLY))
        return -EROFS;
    int r = permission(ctx, p->d->inode, name, true);
    if (r < 0)
        return r;
    const struct vfs_xattr_ops *x = ops_of(p->d->inode);
    if (!x || !x->set)
        return -EOPNOTSUPP;
    return x->set(p->d->inode, name, value, size, flags);
}

int vfs_setxattr(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, const char *name,
                 const void *value, size_t size, int flags)
{
    if (flags & ~(XATTR_CREATE | XATTR_REPLACE))
        return -EINVAL;
    if (size > VFS_XATTR_SIZE_MAX)
        return -E2BIG;
    return change(ctx, p, name, value ? value : "", size, flags);
}

int vfs_removexattr(const struct vfs_walk_ctx *ctx, const struct vfs_path *p, const char *name)
{
    return change(ctx, p, name, NULL, 0, XATTR_REPLACE);
}

ssize_t vfs_listxattr(const struct vfs_walk_ctx *ctx, struct inode *ino, char *buf, size_t size)
{
    const struct vfs_xattr_ops *x = ops_of(ino);
    if (!x || !x->list)
        return 0;
    if (size > VFS_XATTR_LIST_MAX)
        size = VFS_XATTR_LIST_MAX;
    return x->list(ino, buf, size, vfs_capable(ctx, CREDS_CAP_SYS_ADMIN));
}

/* ---- the in-memory store --------------------------------------------------- */

static struct vfs_xattr_entry **find(struct vfs_xattr_store *s, const char *name)
{
    struct vfs_xattr_entry **p = &s->head;
    while (*p && strcmp((*p)->name, name) != 0)
        p = &(*p)->next;
    return p;
}

ssize_t vfs_xattr_store_get(struct vfs_xattr_store *s, const char *name, void *buf, size_t size)
{
    struct vfs_xattr_entry *e = *find(s, name);
    if (!e)
        return -ENODATA;
    if (size == 0)
        return (ssize_t)e->size;
    if (e->size > size)
        return -ERANGE;
    memcpy(buf, e->value, e->size);
    return (ssize_t)e->size;
}

int vfs_xattr_store_set(struct vfs_xattr_store *s, const char *name, const void *value, size_t size,
                        int flags)
{
    struct vfs_xattr_entry **p = find(s, name);
    struct vfs_xattr_entry *e = *p;
    if (!value) {
        if (!e)
            return -ENODATA;
        *p = e->next;
        free(e->name);
        free(e->value);
        free(e);
        return 0;
    }
    if (e && (flags & XATTR_CREATE))
        return -EEXIST;
    if (!e && (flags & XATTR_REPLACE))
        return -ENODATA;
    void *v = malloc(size ? size : 1);
    if (!v)
        return -ENOMEM;
    memcpy(v, value, size);
    if (e) {
        free(e->value);
        e->value = v;
        e->size = size;
        return 0;
    }
    e = calloc(1, sizeof(*e));
    char *n = strdup(name);
    if (!e || !n) {
        free(e);
        free(n);
        free(v);
        return -ENOMEM;
    }
    *e = (struct vfs_xattr_entry){.name = n, .value = v, .size = size};
    *p = e; /* at the end: listxattr in creation order */
    return 0;
}

ssize_t vfs_xattr_store_list(struct vfs_xattr_store *s, char *buf, size_t size, bool trusted)
{
    size_t need = 0;
    for (struct vfs_xattr_entry *e = s->head; e; e = e->next) {
        if (!trusted && has_prefix(e->name, "trusted."))
            continue;
        size_t n = strlen(e->name) + 1;
        if (size) {
            if (need + n > size)
                return -ERANGE;
            memcpy(buf + need, e->name, n);
        }
        need += n;
    }
    return (ssize_t)need;
}

void vfs_xattr_store_free(struct vfs_xattr_store *s)
{
    while (s->head) {
        struct vfs_xattr_entry *e = s->head;
        s->head = e->next;
        free(e->name);
        free(e->value);
        free(e);
    }
}

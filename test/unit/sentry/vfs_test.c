/* sentry/vfs path walk over a synthetic tree: symlinks, "..", mounts. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fsimpl/dev/dev.h"
#include "sentry/fsimpl/synth/synth.h"
#include "sentry/vfs/vfs.h"
#include "test/unit/harness.h"

struct tree {
    struct vfs_path root;
    struct vfs_walk_ctx ctx;
};

/* / { a/ { b/ { file } }, up -> .., abs -> /a/b, loop1 -> loop2, loop2 -> loop1,
 *     escape -> ../../.., dev/ (devfs mounted) } */
static void build(struct tree *t)
{
    memset(t, 0, sizeof(*t)); /* uid 0, no groups, caps from the uid */
    struct synth_fs *s;
    CHECK_INT(synth_fs_new("test", &s), ==, 0);
    struct synth_node *a = synth_add_dir(s, NULL, "a", 0755);
    struct synth_node *b = synth_add_dir(s, a, "b", 0755);
    static const struct file_ops none = {.stream = true};
    synth_add_file(s, b, "file", S_IFREG | 0644, 0, &none, NULL);
    synth_add_link(s, a, "up", "..", NULL);
    synth_add_link(s, NULL, "abs", "/a/b", NULL);
    synth_add_link(s, NULL, "loop1", "loop2", NULL);
    synth_add_link(s, NULL, "loop2", "loop1", NULL);
    synth_add_link(s, NULL, "escape", "../../..", NULL);
    synth_add_dir(s, NULL, "dev", 0755);
    struct dentry *root;
    CHECK_INT(synth_root(s, &root), ==, 0);
    CHECK_INT(vfs_mount_root(&s->fs, root, 0, &t->root), ==, 0);
    t->ctx.root = t->root;
    t->ctx.start = t->root;
    struct vfs_path devp;
    CHECK_INT(vfs_walk(&t->ctx, "/dev", WALK_FOLLOW, &devp), ==, 0);
    struct vfs_fs *dfs;
    struct dentry *droot;
    CHECK_INT(devfs_new(&dfs, &droot), ==, 0);
    CHECK_INT(vfs_mount(&devp, dfs, droot, 0), ==, 0);
    path_put(&devp);
}

static char *name_of(struct tree *t, const char *path, int flags)
{
    struct vfs_path p;
    int r = vfs_walk(&t->ctx, path, flags, &p);
    if (r < 0) {
        char *e = malloc(32);
        snprintf(e, 32, "err %d", -r);
        return e;
    }
    char *n = vfs_path_name(&t->root, &p);
    path_put(&p);
    return n;
}

TEST(walk_basic)
{
    struct tree t;
    build(&t);
    CHECK_STR(name_of(&t, "/a/b/file", WALK_FOLLOW), "/a/b/file");
    CHECK_STR(name_of(&t, "a//b/./file", WALK_FOLLOW), "/a/b/file");
    CHECK_STR(name_of(&t, "/a/b/", WALK_FOLLOW), "/a/b");
    CHECK_STR(name_of(&t, "/", WALK_FOLLOW), "/");
    CHECK_STR(name_of(&t, "/nosuch", WALK_FOLLOW), "err 2");
    CHECK_STR(name_of(&t, "/a/b/file/x", WALK_FOLLOW), "err 20");
    CHECK_STR(name_of(&t, "/a/b/file/", WALK_FOLLOW), "err 20");
    CHECK_STR(name_of(&t, "", WALK_FOLLOW), "err 2");
}

TEST(dotdot_stops_at_root)
{
    struct tree t;
    build(&t);
    CHECK_STR(name_of(&t, "/../../a/..", WALK_FOLLOW), "/");
    CHECK_STR(name_of(&t, "/escape/a", WALK_FOLLOW), "/a");
    CHECK_STR(name_of(&t, "/a/up/a/b", WALK_FOLLOW), "/a/b");
}

TEST(symlinks)
{
    struct tree t;
    build(&t);
    CHECK_STR(name_of(&t, "/abs/file", WALK_FOLLOW), "/a/b/file");
    CHECK_STR(name_of(&t, "/abs", WALK_FOLLOW), "/a/b");
    CHECK_STR(name_of(&t, "/abs", 0), "/abs");  /* trailing link not followed */
    CHECK_STR(name_of(&t, "/abs/", 0), "/a/b"); /* ... unless there is a slash */
    CHECK_STR(name_of(&t, "/loop1", WALK_FOLLOW), "err 40");
    CHECK_STR(name_of(&t, "/loop1", 0), "/loop1");
}

TEST(mounts_cross_both_ways)
{
    struct tree t;
    build(&t);
    CHECK_STR(name_of(&t, "/dev/null", WALK_FOLLOW), "/dev/null");
    CHECK_STR(name_of(&t, "/dev/../a", WALK_FOLLOW), "/a");
    struct vfs_path p;
    CHECK_INT(vfs_walk(&t.ctx, "/dev/zero", WALK_FOLLOW, &p), ==, 0);
    CHECK(S_ISCHR(p.d->inode->mode));
    struct file *f;
    CHECK_INT(vfs_open_path(&p, O_RDWR, &f), ==, 0);
    char buf[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_INT(vfs_read(f, buf, sizeof(buf)), ==, 8);
    CHECK_INT(buf[3], ==, 0);
    CHECK_INT(vfs_write(f, buf, 8), ==, 8);
    file_put(f);
    path_put(&p);
}

TEST(open_errors)
{
    struct tree t;
    build(&t);
    struct file *f;
    CHECK_INT(vfs_open(&t.ctx, "/a", O_WRONLY, 0, &f), ==, -EISDIR);
    CHECK_INT(vfs_open(&t.ctx, "/a/b/file", O_RDONLY | O_DIRECTORY, 0, &f), ==, -ENOTDIR);
    CHECK_INT(vfs_open(&t.ctx, "/abs", O_RDONLY | O_NOFOLLOW, 0, &f), ==, -ELOOP);
    CHECK_INT(vfs_open(&t.ctx, "/a/new", O_CREAT | O_WRONLY, 0644, &f), ==, -EROFS);
    CHECK_INT(vfs_open(&t.ctx, "/a", O_RDONLY | O_CREAT, 0644, &f), ==, -EISDIR);
    CHECK_INT(vfs_open(&t.ctx, "/a/b/file", O_RDONLY | O_CREAT | O_EXCL, 0644, &f), ==, -EEXIST);
}

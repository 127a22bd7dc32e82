/* sentry/fsimpl/tmpfs through the VFS: options, limits, memory accounting,
 * and the VFS's permission rules for the namespace operations as an
 * unprivileged caller (which the syscall tests cannot reach in the sandbox
 * while setuid is missing). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/mman.h>

#include "sentry/fsimpl/pipe/pipe.h"
#include "sentry/fsimpl/tmpfs/tmpfs.h"
#include "sentry/mm/memfile.h"
#include "sentry/mm/mm.h"
#include "sentry/vfs/vfs.h"
#include "test/unit/harness.h"

struct fs {
    struct memfile *mf;
    struct vfs_path root;
    struct vfs_walk_ctx ctx; /* root */
};

static void setup(struct fs *t, const char *options, int mnt_flags)
{
    CHECK_INT(memfile_create(1ull << 30, &t->mf), ==, 0);
    tmpfs_set_memfile(t->mf);
    struct vfs_fs *fs;
    struct dentry *root;
    CHECK_INT(tmpfs_new(options, &fs, &root), ==, 0);
    CHECK_INT(vfs_mount_root(fs, root, mnt_flags, &t->root), ==, 0);
    memset(&t->ctx, 0, sizeof(t->ctx));
    t->ctx.root = t->root;
    t->ctx.start = t->root;
}

/* A caller with uid/gid and no capabilities. */
static struct vfs_walk_ctx user(struct fs *t, uint32_t uid)
{
    struct vfs_walk_ctx c = t->ctx;
    c.uid = uid;
    c.gid = uid;
    c.caps_valid = true;
    c.caps = 0;
    return c;
}

static int attr(struct fs *t, const char *path, struct vfs_attr *a)
{
    struct vfs_path p;
    int r = vfs_walk(&t->ctx, path, 0, &p);
    if (r < 0)
        return r;
    r = vfs_getattr(p.d->inode, a);
    path_put(&p);
    return r;
}

static int setattr(struct fs *t, const struct vfs_walk_ctx *c, const char *path,
                   struct vfs_setattr sa)
{
    struct vfs_path p;
    int r = vfs_walk(&t->ctx, path, 0, &p);
    if (r < 0)
        return r;
    r = vfs_setattr(c, &p, &sa);
    path_put(&p);
    return r;
}

static int create(const struct vfs_walk_ctx *c, const char *path, struct file **f)
{
    return vfs_open(c, path, O_CREAT | O_EXCL | O_RDWR, 0644, f);
}

TEST(options)
{
    struct vfs_fs *fs;
    struct dentry *root;
    CHECK_INT(tmpfs_new("bogus=1", &fs, &root), ==, -EINVAL);
    CHECK_INT(tmpfs_new("size=12q", &fs, &root), ==, -EINVAL);
    CHECK_INT(tmpfs_new("mode=99", &fs, &root), ==, -EINVAL);
    CHECK_INT(tmpfs_new("mode", &fs, &root), ==, -EINVAL);
    CHECK_INT(tmpfs_new("uid=-1", &fs, &root), ==, -EINVAL);
    CHECK_INT(tmpfs_new("mode=0700,uid=5,gid=6,size=1m,nr_inodes=10k", &fs, &root), ==, 0);
    struct vfs_attr a;
    CHECK_INT(vfs_getattr(root->inode, &a), ==, 0);
    CHECK_INT(a.mode, ==, S_IFDIR | 0700);
    CHECK_INT(a.uid, ==, 5);
    CHECK_INT(a.gid, ==, 6);
    CHECK_INT(a.nlink, ==, 2);
    CHECK(tmpfs_is(fs));
    uint64_t mp, p, mi, i;
    tmpfs_usage(fs, &mp, &p, &mi, &i);
    CHECK_INT(mp, ==, 256);
    CHECK_INT(mi, ==, 10240);
    CHECK_INT(i, ==, 1);
    dentry_put(root);
    CHECK_INT(tmpfs_new(NULL, &fs, &root), ==, 0);
    CHECK_INT(vfs_getattr(root->inode, &a), ==, 0);
    CHECK_INT(a.mode, ==, S_IFDIR | 01777);
    dentry_put(root);
}

TEST(size_limit_and_frames)
{
    struct fs t;
    setup(&t, "size=8k,nr_inodes=3", 0);
    uint64_t base = t.mf->used;
    struct file *f;
    CHECK_INT(create(&t.ctx, "/a", &f), ==, 0);
    static char buf[3 * 4096];
    memset(buf, 'a', sizeof(buf));
    /* Two pages fit; the write stops short, then ENOSPC. */
    CHECK_INT(vfs_write(f, buf, sizeof(buf)), ==, 8192);
    CHECK_INT(vfs_write(f, buf, 1), ==, -ENOSPC);
    CHECK_INT(t.mf->used, ==, base + 2);
    struct file *g;
    CHECK_INT(create(&t.ctx, "/b", &g), ==, 0);
    /* The root, a and b: no fourth inode. */
    CHECK_INT(vfs_mkdirat(&t.ctx, "/c", 0755), ==, -ENOSPC);
    file_put(g);
    /* Unlinked but open: the pages stay until the last reference. */
    CHECK_INT(vfs_unlinkat(&t.ctx, "/a", false), ==, 0);
    CHECK_INT(t.mf->used, ==, base + 2);
    char back[4];
    CHECK_INT(vfs_pread(f, back, 4, 4096), ==, 4);
    file_put(f);
    CHECK_INT(t.mf->used, ==, base);
    CHECK_INT(vfs_mkdirat(&t.ctx, "/c", 0755), ==, 0);
}

/* MAP_SHARED mappings map the file's frames: stores are the file's data,
 * writes are seen through the mapping, faults allocate within size= (SIGBUS
 * past it), truncation unmaps pages past the end, and every frame is
 * released with the last mapping and reference. */
TEST(shared_mapping)
{
    struct fs t;
    setup(&t, "size=8k", 0);
    uint64_t base = t.mf->used;
    struct mm *mm;
    CHECK_INT(mm_create(t.mf, NULL, NULL, &mm), ==, 0);
    struct file *f;
    CHECK_INT(create(&t.ctx, "/m", &f), ==, 0);
    CHECK_INT(vfs_file_truncate(f, 3 * 4096), ==, 0);
    uint64_t a;
    CHECK_INT(mm_mmap(mm, 0, 3 * 4096, PROT_READ | PROT_WRITE, MAP_SHARED, &f->mmf, 0, 0, &a), ==,
              0);
    CHECK_INT(mm_copy_out(mm, a + 10, "abc", 3), ==, 0);
    char buf[4] = {0};
    CHECK_INT(vfs_pread(f, buf, 3, 10), ==, 3);
    CHECK(memcmp(buf, "abc", 3) == 0);
    CHECK_INT(vfs_pwrite(f, "xyz", 3, 4096 + 5), ==, 3);
    CHECK_INT(mm_copy_in(mm, a + 4096 + 5, buf, 3), ==, 0);
    CHECK(memcmp(buf, "xyz", 3) == 0);
    /* Two pages are the size= limit: the third page's fault is SIGBUS. */
    CHECK_INT(mm_fault(mm, a + 2 * 4096, PLATFORM_ACCESS_READ), ==, -EIO);
    CHECK_INT(t.mf->used, ==, base + 2);
    /* A fork shares the frames (no copy). */
    struct mm *child;
    CHECK_INT(mm_fork(mm, &child), ==, 0);
    CHECK_INT(mm_copy_out(child, a + 11, "Q", 1), ==, 0);
    CHECK_INT(mm_copy_in(mm, a + 10, buf, 3), ==, 0);
    CHECK(memcmp(buf, "aQc", 3) == 0);
    CHECK_INT(t.mf->used, ==, base + 2);
    /* Shrink: the second page leaves both address spaces. */
    CHECK_INT(vfs_file_truncate(f, 100), ==, 0);
    CHECK_INT(mm_fault(mm, a + 4096, PLATFORM_ACCESS_READ), ==, -EIO);
    CHECK_INT(mm_fault(child, a + 4096, PLATFORM_ACCESS_WRITE), ==, -EIO);
    CHECK_INT(mm_fault(child, a, PLATFORM_ACCESS_WRITE), ==, 0);
    CHECK_INT(t.mf->used, ==, base + 1);
    mm_put(child);
    CHECK_INT(mm_munmap(mm, a, 3 * 4096), ==, 0);
    mm_put(mm);
    CHECK_INT(t.mf->used, ==, base + 1); /* the file's page */
    file_put(f);
    CHECK_INT(vfs_unlinkat(&t.ctx, "/m", false), ==, 0);
    CHECK_INT(t.mf->used, ==, base);
}

TEST(readonly_mount)
{
    struct fs t;
    setup(&t, NULL, MNT_RDONLY);
    struct file *f;
    CHECK_INT(vfs_mkdirat(&t.ctx, "/d", 0755), ==, -EROFS);
    CHECK_INT(vfs_mknodat(&t.ctx, "/f", S_IFREG | 0644, 0), ==, -EROFS);
    CHECK_INT(vfs_symlinkat(&t.ctx, "x", "/l"), ==, -EROFS);
    CHECK_INT(create(&t.ctx, "/f", &f), ==, -EROFS);
    CHECK_INT(vfs_unlinkat(&t.ctx, "/none", false), ==, -EROFS);
    CHECK_INT(vfs_renameat(&t.ctx, "/a", &t.ctx, "/b", 0), ==, -EROFS);
    CHECK_INT(setattr(&t, &t.ctx, "/", (struct vfs_setattr){.mask = VFS_SA_MODE, .mode = 0755}), ==,
              -EROFS);
    /* Existing names still say EEXIST first. */
    CHECK_INT(vfs_mkdirat(&t.ctx, "/", 0755), ==, -EEXIST);
}

/* FIFOs: one pipe per node, made by the first open and dropped with the
 * last; the non-blocking open rules (no task here, so nothing may wait). A
 * nodev mount does not matter to them. */
TEST(fifo_nodes)
{
    struct fs t;
    setup(&t, NULL, MNT_NODEV);
    CHECK_INT(vfs_mknodat(&t.ctx, "/p", S_IFIFO | 0600, 0), ==, 0);
    struct vfs_attr a;
    CHECK_INT(attr(&t, "/p", &a), ==, 0);
    CHECK_INT(a.mode, ==, S_IFIFO | 0600);
    CHECK_INT(a.size, ==, 0);
    struct file *r, *w, *rw;
    CHECK_INT(vfs_open(&t.ctx, "/p", O_WRONLY | O_NONBLOCK, 0, &w), ==, -ENXIO);
    CHECK_INT(vfs_open(&t.ctx, "/p", O_RDONLY | O_NONBLOCK, 0, &r), ==, 0);
    char buf[8];
    CHECK_INT(vfs_read(r, buf, sizeof(buf)), ==, 0);           /* no writer: EOF */
    CHECK_INT(vfs_open(&t.ctx, "/p", O_WRONLY, 0, &w), ==, 0); /* a reader is there */
    CHECK_INT(vfs_read(r, buf, sizeof(buf)), ==, -EAGAIN);
    CHECK_INT(vfs_write(w, "abc", 3), ==, 3);
    CHECK_INT(pipe_get_size(w), ==, PIPE_DEFAULT_SIZE);
    CHECK_INT(vfs_read(r, buf, 2), ==, 2);
    CHECK_INT(vfs_file_getattr(r, &a), ==, 0);
    CHECK_INT(a.mode, ==, S_IFIFO | 0600);
    CHECK_INT(vfs_lseek(r, 0, SEEK_SET), ==, -ESPIPE);
    file_put(w);
    file_put(r);
    /* Every end closed: the byte left went with the pipe. */
    CHECK_INT(vfs_open(&t.ctx, "/p", O_RDWR | O_NONBLOCK, 0, &rw), ==, 0);
    CHECK_INT(vfs_read(rw, buf, sizeof(buf)), ==, -EAGAIN);
    CHECK_INT(vfs_write(rw, "z", 1), ==, 1);
    CHECK_INT(vfs_read(rw, buf, sizeof(buf)), ==, 1);
    file_put(rw);
}

TEST(unprivileged_rules)
{
    struct fs t;
    setup(&t, "mode=1777", 0);
    struct vfs_walk_ctx alice = user(&t, 1000), bob = user(&t, 1001);
    struct file *f;
    CHECK_INT(vfs_mkdirat(&t.ctx, "/rootdir", 0755), ==, 0);
    CHECK_INT(vfs_mkdirat(&alice, "/rootdir/x", 0755), ==, -EACCES);
    CHECK_INT(create(&alice, "/rootdir/x", &f), ==, -EACCES);
    CHECK_INT(vfs_mknodat(&alice, "/dev", S_IFCHR | 0600, 0x103), ==, -EPERM);
    /* Sticky directory: only the owner of the file (or of the directory). */
    CHECK_INT(create(&alice, "/alice", &f), ==, 0);
    file_put(f);
    struct vfs_attr a;
    CHECK_INT(attr(&t, "/alice", &a), ==, 0);
    CHECK_INT(a.uid, ==, 1000);
    CHECK_INT(a.gid, ==, 1000);
    CHECK_INT(vfs_unlinkat(&bob, "/alice", false), ==, -EPERM);
    CHECK_INT(vfs_renameat(&bob, "/alice", &bob, "/bob", 0), ==, -EPERM);
    CHECK_INT(vfs_renameat(&bob, "/rootdir", &bob, "/bob", 0), ==, -EPERM);
    /* chmod and explicit times: the owner only. */
    struct vfs_setattr chmod = {.mask = VFS_SA_MODE, .mode = 0666};
    CHECK_INT(setattr(&t, &bob, "/alice", chmod), ==, -EPERM);
    CHECK_INT(setattr(&t, &alice, "/alice", chmod), ==, 0);
    struct vfs_setattr times = {.mask = VFS_SA_MTIME, .mtime = {5, 0}};
    CHECK_INT(setattr(&t, &bob, "/alice", times), ==, -EPERM);
    /* Times to now: write permission is enough (the file is 0666 now). */
    struct vfs_setattr now = {.mask = VFS_SA_ATIME_NOW | VFS_SA_MTIME_NOW};
    CHECK_INT(setattr(&t, &bob, "/alice", now), ==, 0);
    chmod.mode = 0644;
    CHECK_INT(setattr(&t, &alice, "/alice", chmod), ==, 0);
    CHECK_INT(setattr(&t, &bob, "/alice", now), ==, -EACCES);
    /* chown: not to someone else; chgrp only to one's groups. */
    struct vfs_setattr own = {.mask = VFS_SA_UID, .uid = 1001};
    CHECK_INT(setattr(&t, &alice, "/alice", own), ==, -EPERM);
    struct vfs_setattr grp = {.mask = VFS_SA_GID, .gid = 7};
    CHECK_INT(setattr(&t, &alice, "/alice", grp), ==, -EPERM);
    uint32_t groups[1] = {7};
    alice.groups = groups;
    alice.ngroups = 1;
    CHECK_INT(setattr(&t, &alice, "/alice", grp), ==, 0);
    CHECK_INT(attr(&t, "/alice", &a), ==, 0);
    CHECK_INT(a.gid, ==, 7);
    /* chmod g+s on a file of a group the caller is not in drops S_ISGID. */
    alice.ngroups = 0;
    chmod.mode = 02755;
    CHECK_INT(setattr(&t, &alice, "/alice", chmod), ==, 0);
    CHECK_INT(attr(&t, "/alice", &a), ==, 0);
    CHECK_INT(a.mode & 07777, ==, 0755);
    /* Hard links to others' files need read and write access. */
    CHECK_INT(vfs_linkat(&bob, "/alice", &bob, "/bob_link", 0), ==, -EPERM);
    CHECK_INT(vfs_unlinkat(&alice, "/alice", false), ==, 0);
}

TEST(setgid_directory)
{
    struct fs t;
    setup(&t, NULL, 0);
    CHECK_INT(vfs_mkdirat(&t.ctx, "/g", 0777), ==, 0);
    CHECK_INT(
        setattr(&t, &t.ctx, "/g",
                (struct vfs_setattr){.mask = VFS_SA_MODE | VFS_SA_GID, .mode = 02777, .gid = 50}),
        ==, 0);
    struct vfs_walk_ctx alice = user(&t, 1000);
    CHECK_INT(vfs_mkdirat(&alice, "/g/sub", 0755), ==, 0);
    CHECK_INT(vfs_mknodat(&alice, "/g/file", S_IFREG | 02755, 0), ==, 0);
    struct vfs_attr a;
    CHECK_INT(attr(&t, "/g/sub", &a), ==, 0);
    CHECK_INT(a.gid, ==, 50);
    CHECK_INT(a.mode & 07777, ==, 02755); /* inherited S_ISGID */
    CHECK_INT(attr(&t, "/g/file", &a), ==, 0);
    CHECK_INT(a.gid, ==, 50);
    CHECK_INT(a.mode & 07777, ==, 0755); /* not in group 50: no S_ISGID */
}

TEST(mounts_busy_and_exdev)
{
    struct fs t;
    setup(&t, NULL, 0);
    CHECK_INT(vfs_mkdirat(&t.ctx, "/mnt", 0755), ==, 0);
    CHECK_INT(vfs_mkdirat(&t.ctx, "/other", 0755), ==, 0);
    struct vfs_path mp;
    CHECK_INT(vfs_walk(&t.ctx, "/mnt", 0, &mp), ==, 0);
    struct vfs_fs *fs2;
    struct dentry *root2;
    CHECK_INT(tmpfs_new(NULL, &fs2, &root2), ==, 0);
    CHECK_INT(vfs_mount(&mp, fs2, root2, 0), ==, 0);
    path_put(&mp);
    CHECK_INT(vfs_unlinkat(&t.ctx, "/mnt", true), ==, -EBUSY);
    CHECK_INT(vfs_renameat(&t.ctx, "/mnt", &t.ctx, "/moved", 0), ==, -EBUSY);
    CHECK_INT(vfs_renameat(&t.ctx, "/other", &t.ctx, "/mnt", 0), ==, -EBUSY);
    CHECK_INT(vfs_mknodat(&t.ctx, "/mnt/f", S_IFREG | 0644, 0), ==, 0);
    CHECK_INT(vfs_renameat(&t.ctx, "/mnt/f", &t.ctx, "/other/f", 0), ==, -EXDEV);
    CHECK_INT(vfs_linkat(&t.ctx, "/mnt/f", &t.ctx, "/other/f", 0), ==, -EXDEV);
    CHECK_INT(vfs_renameat(&t.ctx, "/mnt/f", &t.ctx, "/mnt/g", 0), ==, 0);
    /* A directory moved below itself. */
    CHECK_INT(vfs_mkdirat(&t.ctx, "/other/deep", 0755), ==, 0);
    CHECK_INT(vfs_renameat(&t.ctx, "/other", &t.ctx, "/other/deep/x", 0), ==, -EINVAL);
    CHECK_INT(vfs_renameat(&t.ctx, "/other/deep", &t.ctx, "/other", 0), ==, -ENOTEMPTY);
}

TEST(dentry_cache_follows)
{
    struct fs t;
    setup(&t, NULL, 0);
    CHECK_INT(vfs_mkdirat(&t.ctx, "/a", 0755), ==, 0);
    CHECK_INT(vfs_mkdirat(&t.ctx, "/a/b", 0755), ==, 0);
    struct vfs_path p;
    CHECK_INT(vfs_walk(&t.ctx, "/a/b", 0, &p), ==, 0);
    CHECK_INT(vfs_renameat(&t.ctx, "/a", &t.ctx, "/z", 0), ==, 0);
    char *name = vfs_path_name(&t.root, &p);
    CHECK_STR(name, "/z/b");
    free(name);
    CHECK_INT(vfs_walk(&t.ctx, "/a", 0, &(struct vfs_path){0}), ==, -ENOENT);
    /* ".." from the moved directory is its new parent. */
    struct vfs_walk_ctx from_b = t.ctx;
    from_b.start = p;
    struct vfs_path up;
    CHECK_INT(vfs_walk(&from_b, "..", 0, &up), ==, 0);
    name = vfs_path_name(&t.root, &up);
    CHECK_STR(name, "/z");
    free(name);
    path_put(&up);
    /* Exchange swaps the cached names. */
    CHECK_INT(vfs_mkdirat(&t.ctx, "/y", 0755), ==, 0);
    CHECK_INT(vfs_renameat(&t.ctx, "/z/b", &t.ctx, "/y", RENAME_EXCHANGE), ==, 0);
    name = vfs_path_name(&t.root, &p);
    CHECK_STR(name, "/y");
    free(name);
    struct vfs_attr a;
    CHECK_INT(attr(&t, "/z/b", &a), ==, 0);
    CHECK_INT(attr(&t, "/z", &a), ==, 0);
    CHECK_INT(a.nlink, ==, 3);
    /* rmdir removes the cached child. */
    CHECK_INT(vfs_unlinkat(&t.ctx, "/z/b", true), ==, 0);
    CHECK_INT(attr(&t, "/z/b", &a), ==, -ENOENT);
    CHECK_INT(attr(&t, "/z", &a), ==, 0);
    CHECK_INT(a.nlink, ==, 2);
    path_put(&p);
}

/* sentry/fsimpl/cgroupfs through the VFS: the hierarchy registry (shared
 * sets, EBUSY, EINVAL), the control files' values for known and unknown
 * limits, kernfs's EACCES for writes to read-only files, EROFS on a
 * read-only mount, the pid files' write checks, and the /proc texts. No
 * kernel runs here (g_kernel is NULL): the task lists are empty. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fsimpl/cgroupfs/cgroupfs.h"
#include "sentry/vfs/vfs.h"
#include "test/unit/harness.h"

struct cg {
    struct vfs_path root;
    struct vfs_walk_ctx ctx; /* root, all capabilities */
};

static void mount_hier(struct cg *c, const char *options, int mnt_flags)
{
    struct vfs_fs *fs;
    struct dentry *root;
    CHECK_INT(cgroupfs_get(options, &fs, &root), ==, 0);
    CHECK_INT(vfs_mount_root(fs, root, mnt_flags, &c->root), ==, 0);
    memset(&c->ctx, 0, sizeof(c->ctx));
    c->ctx.root = c->root;
    c->ctx.start = c->root;
}

/* The contents of a control file (static buffer), or NULL with *err. */
static const char *cat(struct cg *c, const char *name, int *err)
{
    static char buf[4096];
    struct file *f;
    int r = vfs_open(&c->ctx, name, O_RDONLY, 0, &f);
    if (r < 0) {
        *err = r;
        return NULL;
    }
    ssize_t n = vfs_read(f, buf, sizeof(buf) - 1);
    file_put(f);
    if (n < 0) {
        *err = (int)n;
        return NULL;
    }
    buf[n] = '\0';
    *err = 0;
    return buf;
}

static const char *cat_ok(struct cg *c, const char *name)
{
    int err = 0;
    const char *s = cat(c, name, &err);
    if (!s)
        ut_fail(__FILE__, __LINE__, "reading %s: %s", name, strerror(-err));
    return s;
}

static int open_write(struct cg *c, const char *name, struct file **out)
{
    return vfs_open(&c->ctx, name, O_WRONLY | O_TRUNC, 0, out);
}

TEST(defaults_when_nothing_is_known)
{
    cgroupfs_init(NULL);
    struct cg c;
    mount_hier(&c, "memory", 0);
    CHECK_STR(cat_ok(&c, "memory.limit_in_bytes"), "9223372036854771712\n");
    CHECK_STR(cat_ok(&c, "memory.usage_in_bytes"), "0\n"); /* no kernel, no MemoryFile */
    CHECK_STR(cat_ok(&c, "cgroup.procs"), "");
    CHECK_STR(cat_ok(&c, "tasks"), "");
    int err = 0;
    CHECK(!cat(&c, "pids.max", &err));
    CHECK_INT(err, ==, -ENOENT); /* another controller's file */
    struct cg p;
    mount_hier(&p, "pids", 0);
    CHECK_STR(cat_ok(&p, "pids.max"), "max\n");
    CHECK_STR(cat_ok(&p, "pids.current"), "0\n");
    struct cg cpu;
    mount_hier(&cpu, "cpu,cpuacct", 0);
    CHECK_STR(cat_ok(&cpu, "cpu.shares"), "1024\n");
    CHECK_STR(cat_ok(&cpu, "cpu.cfs_quota_us"), "-1\n");
    CHECK_STR(cat_ok(&cpu, "cpu.cfs_period_us"), "100000\n");
    CHECK_STR(cat_ok(&cpu, "cpuacct.usage"), "0\n");
    CHECK_STR(cat_ok(&cpu, "cpuacct.stat"), "user 0\nsystem 0\n");
    struct cg cs;
    mount_hier(&cs, "cpuset", 0);
    const char *cpus = cat_ok(&cs, "cpuset.cpus");
    CHECK(cpus[0] >= '0' && cpus[0] <= '9' && cpus[strlen(cpus) - 1] == '\n');
    CHECK(cat_ok(&cs, "cpuset.mems")[0] >= '0');
}

TEST(limits_from_the_boot_config)
{
    struct cgroupfs_limits l = {.memory_limit = 64 << 20,
                                .cpu_shares = 512,
                                .cpu_quota_us = 50000,
                                .cpu_period_us = 100000,
                                .pids_max = 42};
    cgroupfs_init(&l);
    struct cg c;
    mount_hier(&c, "", 0); /* every controller in one hierarchy */
    CHECK_STR(cat_ok(&c, "memory.limit_in_bytes"), "67108864\n");
    CHECK_STR(cat_ok(&c, "pids.max"), "42\n");
    CHECK_STR(cat_ok(&c, "cpu.shares"), "512\n");
    CHECK_STR(cat_ok(&c, "cpu.cfs_quota_us"), "50000\n");
    CHECK_STR(cat_ok(&c, "cpu.cfs_period_us"), "100000\n");
    char opts[64];
    CHECK(cgroupfs_mount_options(c.root.mnt->fs, opts, sizeof(opts)));
    CHECK_STR(opts, "cpuset,cpu,cpuacct,memory,pids");
}

TEST(read_only_files_refuse_writes)
{
    cgroupfs_init(NULL);
    struct cg c;
    mount_hier(&c, "memory", 0);
    struct file *f;
    /* kernfs: EACCES even for root. */
    CHECK_INT(open_write(&c, "memory.limit_in_bytes", &f), ==, -EACCES);
    CHECK_INT(vfs_open(&c.ctx, "memory.usage_in_bytes", O_RDWR, 0, &f), ==, -EACCES);
    struct vfs_attr a;
    struct vfs_path p;
    CHECK_INT(vfs_walk(&c.ctx, "memory.limit_in_bytes", 0, &p), ==, 0);
    CHECK_INT(vfs_getattr(p.d->inode, &a), ==, 0);
    CHECK_INT(a.mode, ==, S_IFREG | 0444);
    path_put(&p);
    CHECK_INT(vfs_walk(&c.ctx, "cgroup.procs", 0, &p), ==, 0);
    CHECK_INT(vfs_getattr(p.d->inode, &a), ==, 0);
    CHECK_INT(a.mode, ==, S_IFREG | 0644);
    path_put(&p);
    /* No child cgroups. */
    CHECK_INT(vfs_mkdirat(&c.ctx, "child", 0755), ==, -EPERM);
    /* The pid files: Linux's checks (no task exists here). */
    CHECK_INT(open_write(&c, "cgroup.procs", &f), ==, 0);
    CHECK_INT(vfs_write(f, "abc", 3), ==, -EINVAL);
    CHECK_INT(vfs_write(f, "-1\n", 3), ==, -EINVAL);
    CHECK_INT(vfs_write(f, "", 0), ==, -EINVAL);
    CHECK_INT(vfs_write(f, "4242\n", 5), ==, -ESRCH);
    file_put(f);
}

TEST(read_only_mount_is_erofs)
{
    cgroupfs_init(NULL);
    struct cg c;
    mount_hier(&c, "pids", MNT_RDONLY);
    struct file *f;
    CHECK_INT(open_write(&c, "cgroup.procs", &f), ==, -EROFS);
    CHECK_INT(open_write(&c, "pids.max", &f), ==, -EROFS);
    CHECK_INT(vfs_mkdirat(&c.ctx, "child", 0755), ==, -EROFS);
    CHECK_STR(cat_ok(&c, "pids.max"), "max\n");
}

static bool add_name(void *arg, const char *name, uint64_t ino, uint8_t type, int64_t next)
{
    char *list = arg;
    strcat(list, name);
    strcat(list, " ");
    return true;
}

TEST(listing_and_seek)
{
    cgroupfs_init(NULL);
    struct cg c;
    mount_hier(&c, "memory", 0);
    struct file *d;
    CHECK_INT(vfs_open(&c.ctx, "/", O_RDONLY | O_DIRECTORY, 0, &d), ==, 0);
    char list[1024] = "";
    int64_t pos = 0;
    CHECK_INT(d->ops->iterate(d, &pos, add_name, list), ==, 0);
    CHECK_STR(list, ". .. cgroup.procs memory.limit_in_bytes memory.usage_in_bytes tasks ");
    file_put(d);
    struct file *f;
    CHECK_INT(vfs_open(&c.ctx, "memory.limit_in_bytes", O_RDONLY, 0, &f), ==, 0);
    CHECK_INT(vfs_lseek(f, 5, SEEK_SET), ==, 5);
    char buf[64] = {0};
    CHECK_INT(vfs_read(f, buf, sizeof(buf)), ==, 15);
    CHECK_STR(buf, "72036854771712\n"); /* from offset 5 */
    CHECK_INT(vfs_lseek(f, 0, SEEK_END), ==, -EINVAL);
    file_put(f);
    struct vfs_statfs st;
    CHECK_INT(c.root.mnt->fs->statfs(c.root.mnt->fs, c.root.d->inode, &st), ==, 0);
    CHECK_INT(st.type, ==, 0x27e0eb); /* CGROUP_SUPER_MAGIC */
}

static char *capture(void (*fn)(FILE *))
{
    char *data = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&data, &len);
    fn(out);
    fclose(out);
    return data;
}

TEST(registry_and_proc_texts)
{
    cgroupfs_init(NULL);
    char *s = capture(cgroupfs_proc_cgroup);
    CHECK_STR(s, "0::/\n"); /* no hierarchy yet */
    free(s);
    struct vfs_fs *fs1, *fs2, *fs3;
    struct dentry *r1, *r2, *r3;
    CHECK_INT(cgroupfs_get("cpuset", &fs1, &r1), ==, 0);
    CHECK_INT(cgroupfs_get("cpuacct,cpu", &fs2, &r2), ==, 0);
    CHECK_INT(cgroupfs_get("cpu,cpuacct", &fs3, &r3), ==, 0);
    CHECK(fs2 == fs3 && r2 == r3); /* the same set: the same hierarchy */
    struct vfs_fs *fsx;
    struct dentry *rx;
    CHECK_INT(cgroupfs_get("cpu", &fsx, &rx), ==, -EBUSY); /* cpu is bound to cpu,cpuacct */
    CHECK_INT(cgroupfs_get("memory,cpuset", &fsx, &rx), ==, -EBUSY);
    CHECK_INT(cgroupfs_get("devices", &fsx, &rx), ==, -EINVAL);
    CHECK_INT(cgroupfs_get("name=systemd", &fsx, &rx), ==, -EINVAL);
    CHECK_INT(cgroupfs_get("all,memory", &fsx, &rx), ==, -EINVAL);
    s = capture(cgroupfs_proc_cgroup);
    CHECK_STR(s, "2:cpu,cpuacct:/\n1:cpuset:/\n");
    free(s);
    s = capture(cgroupfs_proc_cgroups);
    CHECK_STR(s, "#subsys_name\thierarchy\tnum_cgroups\tenabled\ncpuset\t1\t1\t1\ncpu\t2\t1\t1\n"
                 "cpuacct\t2\t1\t1\nmemory\t0\t1\t1\npids\t0\t1\t1\n");
    free(s);
    char opts[64];
    CHECK(cgroupfs_mount_options(fs2, opts, sizeof(opts)));
    CHECK_STR(opts, "cpu,cpuacct");
}

TEST(new_limits_show_in_files_opened_after)
{
    struct cgroupfs_limits l = {.pids_max = 50};
    cgroupfs_init(&l);
    struct cg c;
    mount_hier(&c, "pids", 0);
    struct file *before;
    CHECK_INT(vfs_open(&c.ctx, "pids.max", O_RDONLY, 0, &before), ==, 0);
    l.pids_max = 40;
    cgroupfs_set_limits(&l); /* what runsc update sends */
    CHECK_STR(cat_ok(&c, "pids.max"), "40\n");
    char buf[16] = {0};
    CHECK_INT(vfs_read(before, buf, sizeof(buf) - 1), ==, 3); /* its snapshot */
    CHECK_STR(buf, "50\n");
    file_put(before);
    cgroupfs_set_limits(NULL);
    CHECK_STR(cat_ok(&c, "pids.max"), "max\n");
}

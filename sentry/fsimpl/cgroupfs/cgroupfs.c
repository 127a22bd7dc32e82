/* cgroupfs: the hierarchy registry and the filesystem (a directory, the
 * root cgroup, of control files).
 *
 * Registry: at most one hierarchy per controller, made by the first
 * cgroupfs_get of its set and kept for the sandbox's life (the sentry has
 * no umount), so its ID in /proc/<pid>/cgroup never changes. g_lock guards
 * the table (a leaf: nothing is taken under it but the VFS object
 * references).
 *
 * Files: a snapshot of the contents is made when a file is opened for
 * reading (Linux's seq files generate on the first read); reads are offsets
 * into it, lseek SEEK_END is EINVAL. A file without a write handler is 0444
 * and opening it for writing is EACCES, even for root (kernfs's rule); a
 * read-only mount refuses every write open with EROFS before that (VFS). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sentry/fsimpl/cgroupfs/internal.h"

#define CGROUP_SUPER_MAGIC 0x27e0eb

const char *const cg_ctrl_names[CG_NCTRL] = {
    [CG_CPUSET] = "cpuset", [CG_CPU] = "cpu",   [CG_CPUACCT] = "cpuacct",
    [CG_MEMORY] = "memory", [CG_PIDS] = "pids",
};

/* Made in Linux's controller order, so that the hierarchy IDs follow it. */
const char *const cgroupfs_v1_layout[] = {"cpuset", "cpu,cpuacct", "memory", "pids", NULL};

static const struct vfs_fs_type g_cgroupfs_type = {.name = "cgroup"};

struct cg_hier {
    struct vfs_fs fs; /* first: the VFS's fs is the hierarchy */
    int id;           /* hierarchy ID, from 1 */
    unsigned mask;    /* CG_BIT()s of its controllers */
    struct timespec ctime;
    struct dentry *root; /* the registry's reference */
};

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cg_hier *g_hiers[CG_NCTRL]; /* by creation; IDs 1.. */
static int g_nhiers;

/* ---- inodes ------------------------------------------------------------------ */

/* Inode numbers: 1 the root, 2 + i the control file cg_files[i]. An
 * inode's priv is its struct cg_file (NULL for the root). */
#define ROOT_INO 1

static const struct inode_ops g_inode_ops;

static bool in_hier(const struct cg_hier *h, const struct cg_file *cf)
{
    return cf->ctrl == 0 || (cf->ctrl & h->mask) != 0;
}

static uint32_t file_mode(const struct cg_file *cf)
{
    return S_IFREG | (cf->write ? 0644 : 0444);
}

static int cg_lookup(struct inode *dir, const char *name, struct inode **out)
{
    const struct cg_hier *h = (const struct cg_hier *)dir->fs;
    for (size_t i = 0; i < cg_nfiles; i++) {
        const struct cg_file *cf = &cg_files[i];
        if (!in_hier(h, cf) || strcmp(cf->name, name) != 0)
            continue;
        *out = vfs_inode_new(dir->fs, &g_inode_ops, 2 + i, file_mode(cf), (void *)cf);
        return *out ? 0 : -ENOMEM;
    }
    return -ENOENT;
}

static int cg_getattr(struct inode *ino, struct vfs_attr *a)
{
    const struct cg_hier *h = (const struct cg_hier *)ino->fs;
    memset(a, 0, sizeof(*a));
    a->ino = ino->ino;
    a->dev = ino->fs->dev;
    a->mode = ino->mode;
    a->nlink = S_ISDIR(ino->mode) ? 2 : 1;
    a->blksize = 4096;
    a->atime = a->mtime = a->ctime = a->btime = h->ctime;
    return 0;
}

static int dir_iterate(struct file *f, int64_t *pos, vfs_dirent_fn fn, void *arg)
{
    const struct cg_hier *h = (const struct cg_hier *)f->inode->fs;
    if (!vfs_emit_dots(pos, fn, arg, ROOT_INO, ROOT_INO))
        return 0;
    /* Position 2 + i: cg_files[i] comes next. */
    for (size_t i = (size_t)(*pos - 2); i < cg_nfiles; i++) {
        const struct cg_file *cf = &cg_files[i];
        if (in_hier(h, cf) && !fn(arg, cf->name, 2 + i, DT_REG, (int64_t)i + 3))
            return 0;
        *pos = (int64_t)i + 3;
    }
    return 0;
}

static const struct file_ops g_dir_ops = {
    .iterate = dir_iterate,
    .llseek = vfs_generic_llseek,
};

/* ---- control files ----------------------------------------------------------- */

struct cg_snapshot {
    char *data;
    size_t len;
};

static ssize_t file_read(struct file *f, void *buf, size_t len, int64_t off)
{
    const struct cg_snapshot *s = f->priv;
    if (off < 0 || (uint64_t)off >= s->len)
        return 0;
    size_t n = s->len - (size_t)off;
    if (n > len)
        n = len;
    memcpy(buf, s->data + off, n);
    return (ssize_t)n;
}

static ssize_t file_write(struct file *f, const void *buf, size_t len, int64_t off)
{
    const struct cg_file *cf = f->inode->priv;
    if (!cf->write)
        return -EINVAL; /* not opened for writing: the VFS answers EBADF first */
    int r = cf->write(buf, len);
    return r < 0 ? r : (ssize_t)len;
}

static void file_release(struct file *f)
{
    struct cg_snapshot *s = f->priv;
    if (s) {
        free(s->data);
        free(s);
    }
}

static const struct file_ops g_file_ops = {
    .read = file_read,
    .write = file_write,
    .llseek = vfs_seq_llseek,
    .release = file_release,
};

static int cg_open(struct inode *ino, struct file *f, int flags)
{
    const struct cg_file *cf = ino->priv;
    if (!cf) {
        f->ops = &g_dir_ops;
        return 0;
    }
    int acc = flags & O_ACCMODE;
    if (acc != O_RDONLY && !cf->write)
        return -EACCES;
    struct cg_snapshot *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    if (acc != O_WRONLY) {
        FILE *out = open_memstream(&s->data, &s->len);
        if (!out) {
            free(s);
            return -ENOMEM;
        }
        int r = cf->gen(out);
        if (fclose(out) != 0 && r == 0)
            r = -ENOMEM;
        if (r < 0) {
            free(s->data);
            free(s);
            return r;
        }
    }
    f->ops = &g_file_ops;
    f->priv = s;
    return 0;
}

/* O_TRUNC on a writable control file ("echo PID > cgroup.procs"): nothing
 * to truncate, as for kernfs files. */
static int cg_truncate(struct inode *ino, int64_t size)
{
    const struct cg_file *cf = ino->priv;
    return cf && cf->write ? 0 : -EACCES;
}

static const struct inode_ops g_inode_ops = {
    .lookup = cg_lookup,
    .getattr = cg_getattr,
    .open = cg_open,
    .truncate = cg_truncate,
};

/* ---- hierarchies ------------------------------------------------------------- */

static int cg_statfs(struct vfs_fs *fs, struct inode *ino, struct vfs_statfs *out)
{
    memset(out, 0, sizeof(*out));
    out->type = CGROUP_SUPER_MAGIC;
    out->bsize = 4096;
    out->namelen = 255;
    return 0;
}

/* The controllers named in options; -EINVAL for anything else. */
static int parse_options(const char *options, unsigned *mask)
{
    *mask = 0;
    char *copy = strdup(options ? options : "");
    if (!copy)
        return -ENOMEM;
    int r = 0;
    bool all = false;
    char *save = NULL;
    for (char *tok = strtok_r(copy, ",", &save); tok && r == 0; tok = strtok_r(NULL, ",", &save)) {
        if (strcmp(tok, "all") == 0) {
            all = true;
            continue;
        }
        int c = 0;
        while (c < CG_NCTRL && strcmp(cg_ctrl_names[c], tok) != 0)
            c++;
        if (c == CG_NCTRL)
            r = -EINVAL; /* another controller, name=, none, a flag */
        else
            *mask |= CG_BIT(c);
    }
    free(copy);
    if (r == 0 && all && *mask)
        r = -EINVAL; /* "all" with names (Linux) */
    if (r == 0 && !*mask)
        *mask = CG_ALL; /* no names: every controller */
    return r;
}

/* A new hierarchy (g_lock held). */
static int hier_new_locked(unsigned mask, struct cg_hier **out)
{
    struct cg_hier *h = calloc(1, sizeof(*h));
    if (!h)
        return -ENOMEM;
    h->fs.type = &g_cgroupfs_type;
    h->fs.refs = 1; /* the registry's */
    h->fs.dev = vfs_new_dev();
    h->fs.priv = h;
    h->fs.statfs = cg_statfs;
    h->mask = mask;
    clock_gettime(CLOCK_REALTIME, &h->ctime);
    struct inode *ino = vfs_inode_new(&h->fs, &g_inode_ops, ROOT_INO, S_IFDIR | 0755, NULL);
    if (!ino) {
        free(h);
        return -ENOMEM;
    }
    h->root = vfs_dentry_new_root(&h->fs, ino);
    if (!h->root) {
        inode_put(ino);
        free(h);
        return -ENOMEM;
    }
    h->id = g_nhiers + 1;
    g_hiers[g_nhiers++] = h;
    *out = h;
    return 0;
}

int cgroupfs_get(const char *options, struct vfs_fs **fs, struct dentry **root)
{
    unsigned mask;
    int r = parse_options(options, &mask);
    if (r < 0)
        return r;
    pthread_mutex_lock(&g_lock);
    struct cg_hier *h = NULL;
    for (int i = 0; i < g_nhiers && r == 0; i++) {
        if (g_hiers[i]->mask == mask)
            h = g_hiers[i];
        else if (g_hiers[i]->mask & mask)
            r = -EBUSY; /* a controller is bound to another hierarchy */
    }
    if (r == 0 && !h)
        r = hier_new_locked(mask, &h);
    if (r == 0) {
        vfs_fs_get(&h->fs);
        dentry_get(h->root);
        *fs = &h->fs;
        *root = h->root;
    }
    pthread_mutex_unlock(&g_lock);
    return r;
}

/* "cpu,cpuacct": the controllers of mask in Linux's order. */
static void mask_names(unsigned mask, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int c = 0; c < CG_NCTRL; c++) {
        if (!(mask & CG_BIT(c)))
            continue;
        int n = snprintf(buf + len, size - len, "%s%s", len ? "," : "", cg_ctrl_names[c]);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
    }
}

bool cgroupfs_mount_options(const struct vfs_fs *fs, char *buf, size_t size)
{
    if (!fs || fs->type != &g_cgroupfs_type)
        return false;
    mask_names(((const struct cg_hier *)fs)->mask, buf, size);
    return true;
}

void cgroupfs_proc_cgroup(FILE *out)
{
    pthread_mutex_lock(&g_lock);
    for (int i = g_nhiers - 1; i >= 0; i--) {
        char names[64];
        mask_names(g_hiers[i]->mask, names, sizeof(names));
        fprintf(out, "%d:%s:/\n", g_hiers[i]->id, names);
    }
    if (g_nhiers == 0)
        fputs("0::/\n", out); /* as before any hierarchy (a cgroup v2 host's view) */
    pthread_mutex_unlock(&g_lock);
}

void cgroupfs_proc_cgroups(FILE *out)
{
    pthread_mutex_lock(&g_lock);
    fputs("#subsys_name\thierarchy\tnum_cgroups\tenabled\n", out);
    for (int c = 0; c < CG_NCTRL; c++) {
        int id = 0;
        for (int i = 0; i < g_nhiers; i++)
            if (g_hiers[i]->mask & CG_BIT(c))
                id = g_hiers[i]->id;
        fprintf(out, "%s\t%d\t1\t1\n", cg_ctrl_names[c], id);
    }
    pthread_mutex_unlock(&g_lock);
}

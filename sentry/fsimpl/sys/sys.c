/* sysfs: a fixed synth tree built once per instance. The CPU lists come
 * from the sentry's affinity mask (the CPUs sched_getaffinity and
 * /proc/stat report inside the sandbox), read when the instance is built. */
#include "sentry/fsimpl/sys/sys.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sentry/fsimpl/synth/synth.h"
#include "sentry/kernel/kernel.h"

/* A read-only file whose contents are the NUL-terminated string f->priv. */
static ssize_t text_read(struct file *f, void *buf, size_t len, int64_t off)
{
    const char *s = f->priv;
    size_t n = strlen(s);
    if (off < 0)
        return -EINVAL;
    if ((uint64_t)off >= n)
        return 0;
    if (len > n - (size_t)off)
        len = n - (size_t)off;
    memcpy(buf, s + off, len);
    return (ssize_t)len;
}

static const struct file_ops g_text_ops = {
    .read = text_read,
    .llseek = vfs_generic_llseek,
};

/* Linux's cpulist format: "0-3,6\n". */
static void cpu_list(uint64_t mask, char *buf, size_t size)
{
    size_t len = 0;
    buf[0] = '\0';
    for (int i = 0; i < 64; i++) {
        if (!(mask & (1ull << i)))
            continue;
        int j = i;
        while (j + 1 < 64 && (mask & (1ull << (j + 1))))
            j++;
        int n = j == i ? snprintf(buf + len, size - len, "%s%d", len ? "," : "", i)
                       : snprintf(buf + len, size - len, "%s%d-%d", len ? "," : "", i, j);
        if (n < 0 || (size_t)n >= size - len)
            break;
        len += (size_t)n;
        i = j;
    }
    snprintf(buf + len, size - len, "\n");
}

/* Strings the files point at (immutable, shared by every instance). */
static char g_cpu_list[512];
static const char g_thp_enabled[] = "always [madvise] never\n";
static const char g_thp_defrag[] = "always defer defer+madvise [madvise] never\n";

static bool add_text(struct synth_fs *s, struct synth_node *dir, const char *name, const char *text)
{
    return synth_add_file(s, dir, name, S_IFREG | 0444, 0, &g_text_ops, (void *)text) != NULL;
}

static int build(struct synth_fs *s)
{
    static const char *const empty[] = {"block", "bus", "class", "dev", "firmware"};
    for (size_t i = 0; i < sizeof(empty) / sizeof(empty[0]); i++)
        if (!synth_add_dir(s, NULL, empty[i], 0755))
            return -ENOMEM;

    struct synth_node *devices = synth_add_dir(s, NULL, "devices", 0755);
    struct synth_node *system = devices ? synth_add_dir(s, devices, "system", 0755) : NULL;
    struct synth_node *cpu = system ? synth_add_dir(s, system, "cpu", 0755) : NULL;
    if (!cpu)
        return -ENOMEM;
    uint64_t mask = kernel_cpu_mask();
    if (!g_cpu_list[0])
        cpu_list(mask, g_cpu_list, sizeof(g_cpu_list));
    for (int i = 0; i < 64; i++) {
        if (!(mask & (1ull << i)))
            continue;
        char name[16];
        snprintf(name, sizeof(name), "cpu%d", i);
        if (!synth_add_dir(s, cpu, name, 0755))
            return -ENOMEM;
    }
    if (!add_text(s, cpu, "online", g_cpu_list) || !add_text(s, cpu, "possible", g_cpu_list) ||
        !add_text(s, cpu, "present", g_cpu_list))
        return -ENOMEM;

    struct synth_node *fsdir = synth_add_dir(s, NULL, "fs", 0755);
    if (!fsdir || !synth_add_dir(s, fsdir, "cgroup", 0755))
        return -ENOMEM;

    struct synth_node *kernel = synth_add_dir(s, NULL, "kernel", 0755);
    struct synth_node *mm = kernel ? synth_add_dir(s, kernel, "mm", 0755) : NULL;
    struct synth_node *thp = mm ? synth_add_dir(s, mm, "transparent_hugepage", 0755) : NULL;
    if (!thp || !add_text(s, thp, "enabled", g_thp_enabled) ||
        !add_text(s, thp, "defrag", g_thp_defrag))
        return -ENOMEM;
    return 0;
}

int sysfs_new(struct vfs_fs **fs, struct dentry **root)
{
    struct synth_fs *s;
    int r = synth_fs_new("sysfs", &s);
    if (r < 0)
        return r;
    r = build(s);
    if (r == 0)
        r = synth_root(s, root);
    if (r < 0) {
        vfs_fs_put(&s->fs);
        return r;
    }
    *fs = &s->fs;
    return 0;
}

/* The global files of /proc: meminfo, uptime, loadavg, stat, cpuinfo,
 * version, filesystems, mounts, the self and thread-self links, and
 * sys/{kernel,vm,fs}/...
 *
 * Memory figures come from the host (sysinfo(2), as the sentry's own
 * sysinfo reports them) plus the application memory the sandbox holds;
 * times and counts come from the sentry's kernel (boot time, tasks).
 * cpuinfo is the host's, read once when procfs is created (the sentry may
 * not open host files once it is confined). */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include "sentry/fsimpl/cgroupfs/cgroupfs.h"
#include "sentry/fsimpl/mqueue/mqueue.h"
#include "sentry/fsimpl/proc/internal.h"
#include "sentry/kernel/creds.h"
#include "sentry/kernel/inotify.h"
#include "sentry/kernel/ipc/ipc.h"

#define TABLE_ROOT 1
#define TABLE_SYS 7
#define TABLE_SYS_KERNEL 8
#define TABLE_SYS_VM 9
#define TABLE_SYS_FS 10
#define TABLE_SYS_RANDOM 11
#define TABLE_SYS_FS_MQUEUE 12
#define TABLE_SYS_FS_INOTIFY 13
#define TABLE_NET 31
#define TABLE_SYSVIPC 32

static char *g_cpuinfo;
static size_t g_cpuinfo_len;
static char g_boot_id[37];

/* ---- helpers -------------------------------------------------------------- */

static int ncpus(void)
{
    return __builtin_popcountll(kernel_cpu_mask());
}

static uint64_t uptime_ns(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    const struct timespec *b = &g_kernel->boot_monotonic;
    int64_t ns = (int64_t)(now.tv_sec - b->tv_sec) * 1000000000 + (now.tv_nsec - b->tv_nsec);
    return ns < 0 ? 0 : (uint64_t)ns;
}

static void random_uuid(char out[37])
{
    uint8_t b[16] = {0};
    if (getrandom(b, sizeof(b), 0) != (ssize_t)sizeof(b)) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        memcpy(b, &ts, sizeof(b) < sizeof(ts) ? sizeof(b) : sizeof(ts));
    }
    b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* version 4 */
    b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* RFC 4122 variant */
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
             b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
             b[14], b[15]);
}

void proc_global_init(void)
{
    if (!g_boot_id[0])
        random_uuid(g_boot_id);
    if (g_cpuinfo)
        return;
    int fd = open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    size_t cap = 16384, len = 0;
    char *buf = malloc(cap);
    if (!buf) {
        close(fd);
        return;
    }
    for (;;) {
        if (len == cap) {
            char *nb = cap < (8u << 20) ? realloc(buf, cap * 2) : NULL;
            if (!nb)
                break; /* keep what was read */
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    close(fd);
    g_cpuinfo = buf;
    g_cpuinfo_len = buf ? len : 0;
}

/* ---- files ---------------------------------------------------------------- */

static int gen_cpuinfo(const struct proc_node *n, struct file *f, FILE *out)
{
    if (g_cpuinfo && g_cpuinfo_len) {
        fwrite(g_cpuinfo, 1, g_cpuinfo_len, out);
        return 0;
    }
    /* No host copy: the minimum that counts processors. */
    uint64_t mask = kernel_cpu_mask();
    for (int i = 0; i < 64; i++)
        if (mask & (1ull << i))
            fprintf(out, "processor\t: %d\nvendor_id\t: unknown\nmodel name\t: unknown\n\n", i);
    return 0;
}

static void meminfo_line(FILE *out, const char *name, uint64_t bytes)
{
    char label[32];
    snprintf(label, sizeof(label), "%s:", name);
    fprintf(out, "%-15s %8llu kB\n", label, (unsigned long long)(bytes >> 10));
}

static int gen_meminfo(const struct proc_node *n, struct file *f, FILE *out)
{
    struct sysinfo si;
    if (sysinfo(&si) < 0)
        memset(&si, 0, sizeof(si));
    uint64_t unit = si.mem_unit ? si.mem_unit : 1;
    uint64_t total = (uint64_t)si.totalram * unit;
    uint64_t free_ = (uint64_t)si.freeram * unit;
    uint64_t buffers = (uint64_t)si.bufferram * unit;
    /* What the sandbox's applications hold (frames of the MemoryFile). */
    uint64_t anon = 0;
    if (g_kernel && g_kernel->mf)
        anon = __atomic_load_n(&g_kernel->mf->used, __ATOMIC_RELAXED) * MF_PAGE_SIZE;
    if (anon > total)
        anon = total;
    uint64_t avail = free_ + buffers;
    if (avail > total)
        avail = total;
    meminfo_line(out, "MemTotal", total);
    meminfo_line(out, "MemFree", free_);
    meminfo_line(out, "MemAvailable", avail);
    meminfo_line(out, "Buffers", 0);
    meminfo_line(out, "Cached", 0);
    meminfo_line(out, "SwapCached", 0);
    meminfo_line(out, "Active", anon);
    meminfo_line(out, "Inactive", 0);
    meminfo_line(out, "Active(anon)", anon);
    meminfo_line(out, "Inactive(anon)", 0);
    meminfo_line(out, "Active(file)", 0);
    meminfo_line(out, "Inactive(file)", 0);
    meminfo_line(out, "Unevictable", 0);
    meminfo_line(out, "Mlocked", 0);
    meminfo_line(out, "SwapTotal", 0);
    meminfo_line(out, "SwapFree", 0);
    meminfo_line(out, "Dirty", 0);
    meminfo_line(out, "Writeback", 0);
    meminfo_line(out, "AnonPages", anon);
    meminfo_line(out, "Mapped", 0);
    meminfo_line(out, "Shmem", 0);
    meminfo_line(out, "KReclaimable", 0);
    meminfo_line(out, "Slab", 0);
    meminfo_line(out, "SReclaimable", 0);
    meminfo_line(out, "SUnreclaim", 0);
    meminfo_line(out, "KernelStack", 0);
    meminfo_line(out, "PageTables", 0);
    meminfo_line(out, "NFS_Unstable", 0);
    meminfo_line(out, "Bounce", 0);
    meminfo_line(out, "WritebackTmp", 0);
    meminfo_line(out, "CommitLimit", total / 2);
    meminfo_line(out, "Committed_AS", anon);
    meminfo_line(out, "VmallocTotal", 34359738367ull << 10);
    meminfo_line(out, "VmallocUsed", 0);
    meminfo_line(out, "VmallocChunk", 0);
    meminfo_line(out, "Percpu", 0);
    meminfo_line(out, "AnonHugePages", 0);
    meminfo_line(out, "ShmemHugePages", 0);
    meminfo_line(out, "ShmemPmdMapped", 0);
    meminfo_line(out, "FileHugePages", 0);
    meminfo_line(out, "FilePmdMapped", 0);
    fputs("HugePages_Total:       0\nHugePages_Free:        0\nHugePages_Rsvd:        0\n"
          "HugePages_Surp:        0\n",
          out);
    meminfo_line(out, "Hugepagesize", 2048 << 10);
    meminfo_line(out, "Hugetlb", 0);
    return 0;
}

/* Busy time of the sandbox's live tasks, in ns. */
static uint64_t busy_ns(const struct proc_counts *c)
{
    return c->utime_ns + c->stime_ns;
}

static int gen_uptime(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_counts c;
    proc_counts(&c);
    uint64_t up = uptime_ns();
    uint64_t all = up * (uint64_t)ncpus();
    uint64_t idle = all > busy_ns(&c) ? all - busy_ns(&c) : 0;
    fprintf(out, "%llu.%02llu %llu.%02llu\n", (unsigned long long)(up / 1000000000),
            (unsigned long long)(up % 1000000000 / 10000000),
            (unsigned long long)(idle / 1000000000),
            (unsigned long long)(idle % 1000000000 / 10000000));
    return 0;
}

/* Load averages as Linux computes them: exponentially damped averages of
 * the number of runnable tasks, sampled every 5 s (here: caught up lazily
 * when read, with the count seen now). Fixed point, 11 bits of fraction. */
#define FSHIFT 11
#define FIXED_1 (1ul << FSHIFT)
#define EXP_1 1884ul
#define EXP_5 2014ul
#define EXP_15 2037ul
#define LOAD_FREQ_NS 5000000000ull

static pthread_mutex_t g_load_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long g_avenrun[3];
static uint64_t g_load_last_ns; /* uptime of the last sample */

static unsigned long calc_load(unsigned long load, unsigned long exp, unsigned long active)
{
    unsigned long newload = load * exp + active * (FIXED_1 - exp);
    if (active >= load)
        newload += FIXED_1 - 1;
    return newload / FIXED_1;
}

static int gen_loadavg(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_counts c;
    proc_counts(&c);
    uint64_t up = uptime_ns();
    unsigned long active = (unsigned long)c.running * FIXED_1;
    unsigned long avg[3];
    pthread_mutex_lock(&g_load_lock);
    for (int steps = 0; up - g_load_last_ns >= LOAD_FREQ_NS; steps++) {
        if (steps == 1000) { /* long idle: the averages have converged */
            g_load_last_ns = up;
            break;
        }
        g_avenrun[0] = calc_load(g_avenrun[0], EXP_1, active);
        g_avenrun[1] = calc_load(g_avenrun[1], EXP_5, active);
        g_avenrun[2] = calc_load(g_avenrun[2], EXP_15, active);
        g_load_last_ns += LOAD_FREQ_NS;
    }
    memcpy(avg, g_avenrun, sizeof(avg));
    pthread_mutex_unlock(&g_load_lock);
    for (int i = 0; i < 3; i++) {
        unsigned long a = avg[i] + FIXED_1 / 200; /* round to 2 decimals */
        fprintf(out, "%lu.%02lu ", a >> FSHIFT, ((a & (FIXED_1 - 1)) * 100) >> FSHIFT);
    }
    fprintf(out, "%d/%d %d\n", c.running, c.total, c.last_pid);
    return 0;
}

static int gen_stat(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_counts c;
    proc_counts(&c);
    uint64_t mask = kernel_cpu_mask();
    int cpus = __builtin_popcountll(mask);
    uint64_t hz_ns = 1000000000ull / PROC_HZ;
    uint64_t user = c.utime_ns / hz_ns, sys = c.stime_ns / hz_ns;
    uint64_t all = uptime_ns() / hz_ns * (uint64_t)cpus;
    uint64_t idle = all > user + sys ? all - user - sys : 0;
    fprintf(out, "cpu  %llu 0 %llu %llu 0 0 0 0 0 0\n", (unsigned long long)user,
            (unsigned long long)sys, (unsigned long long)idle);
    for (int i = 0; i < 64; i++)
        if (mask & (1ull << i))
            fprintf(out, "cpu%d %llu 0 %llu %llu 0 0 0 0 0 0\n", i,
                    (unsigned long long)(user / (uint64_t)cpus),
                    (unsigned long long)(sys / (uint64_t)cpus),
                    (unsigned long long)(idle / (uint64_t)cpus));
    fprintf(out,
            "intr 0\nctxt 0\nbtime %lld\nprocesses %d\nprocs_running %d\nprocs_blocked 0\n"
            "softirq 0 0 0 0 0 0 0 0 0 0 0\n",
            (long long)g_kernel->boot_realtime.tv_sec, c.last_pid, c.running);
    return 0;
}

static int gen_version(const struct proc_node *n, struct file *f, FILE *out)
{
    fputs("Linux version " PROC_RELEASE " (runsc@runsc) (gcc) " PROC_VERSION "\n", out);
    return 0;
}

static int gen_filesystems(const struct proc_node *n, struct file *f, FILE *out)
{
    /* The filesystem types the sentry implements. */
    fputs("nodev\tsysfs\nnodev\ttmpfs\nnodev\tproc\nnodev\tdevtmpfs\nnodev\tdevpts\n"
          "nodev\tmqueue\nnodev\tcgroup\nnodev\t9p\n",
          out);
    return 0;
}

static int gen_cgroups(const struct proc_node *n, struct file *f, FILE *out)
{
    cgroupfs_proc_cgroups(out);
    return 0;
}

/* The sandbox has no network devices yet (no network stack): the header
 * Linux prints, and no interface lines. */
static int gen_net_dev(const struct proc_node *n, struct file *f, FILE *out)
{
    fputs("Inter-|   Receive                                                |  Transmit\n"
          " face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets "
          "errs drop fifo colls carrier compressed\n",
          out);
    return 0;
}

/* Mount point names with the characters /proc/mounts escapes. */
static void put_escaped(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
            fprintf(out, "\\%03o", (unsigned char)*s);
        else
            fputc(*s, out);
    }
}

static void put_options(FILE *out, int flags)
{
    fputs(flags & MNT_RDONLY ? "ro" : "rw", out);
    if (flags & MNT_NOSUID)
        fputs(",nosuid", out);
    if (flags & MNT_NODEV)
        fputs(",nodev", out);
    if (flags & MNT_NOEXEC)
        fputs(",noexec", out);
}

int proc_gen_mounts(struct file *f, const struct vfs_path *root, bool info, FILE *out)
{
    /* The global mount list is newest first and only grows. */
    const struct mount *start = vfs_mounts_newest();
    size_t n = 0;
    for (const struct mount *m = start; m; m = m->next)
        n++;
    const struct mount **list = malloc((n ? n : 1) * sizeof(*list));
    if (!list)
        return -ENOMEM;
    size_t i = n;
    for (const struct mount *m = start; m; m = m->next)
        list[--i] = m; /* oldest first */
    for (i = 0; i < n; i++) {
        const struct mount *m = list[i];
        struct vfs_path p = {(struct mount *)m, m->root};
        char *path = vfs_path_name(root, &p);
        if (!path) {
            free(list);
            return -ENOMEM;
        }
        if (strncmp(path, "(unreachable)", 13) != 0) {
            char fsopts[64];
            const char *type = m->fs->type->name;
            const char *source = strcmp(type, "9p") == 0 ? "none" : type;
            if (info) {
                int id = proc_mount_id(m);
                int parent = m->parent ? proc_mount_id(m->parent) : id - 1;
                fprintf(out, "%d %d 0:%llu / ", id, parent, (unsigned long long)m->fs->dev);
                put_escaped(out, path);
                fputc(' ', out);
                put_options(out, m->flags);
                fprintf(out, " - %s %s %s", type, source, m->flags & MNT_RDONLY ? "ro" : "rw");
                if (cgroupfs_mount_options(m->fs, fsopts, sizeof(fsopts)))
                    fprintf(out, ",%s", fsopts);
                fputc('\n', out);
            } else {
                fprintf(out, "%s ", source);
                put_escaped(out, path);
                fprintf(out, " %s ", type);
                put_options(out, m->flags);
                if (cgroupfs_mount_options(m->fs, fsopts, sizeof(fsopts)))
                    fprintf(out, ",%s", fsopts); /* the controllers */
                fputs(" 0 0\n", out);
            }
        }
        free(path);
    }
    free(list);
    return 0;
}

/* ---- links ---------------------------------------------------------------- */

static ssize_t link_self(const struct proc_node *n, char *buf, size_t size)
{
    struct task *t = task_current();
    if (!t)
        return -ENOENT;
    char s[16];
    snprintf(s, sizeof(s), "%d", t->tg->tgid);
    return proc_copy_link(s, buf, size);
}

static ssize_t link_thread_self(const struct proc_node *n, char *buf, size_t size)
{
    struct task *t = task_current();
    if (!t)
        return -ENOENT;
    char s[40];
    snprintf(s, sizeof(s), "%d/task/%d", t->tg->tgid, t->tid);
    return proc_copy_link(s, buf, size);
}

static ssize_t link_mounts(const struct proc_node *n, char *buf, size_t size)
{
    return proc_copy_link("self/mounts", buf, size);
}

/* ---- /proc/sys ------------------------------------------------------------ */

/* A file holding a constant string. */
#define CONST_FILE(fn, text)                                                                       \
    static int fn(const struct proc_node *n, struct file *f, FILE *out)                            \
    {                                                                                              \
        fputs(text, out);                                                                          \
        return 0;                                                                                  \
    }

CONST_FILE(gen_cap_last_cap, "40\n")
CONST_FILE(gen_ngroups_max, "65536\n")
CONST_FILE(gen_osrelease, PROC_RELEASE "\n")
CONST_FILE(gen_ostype, "Linux\n")
CONST_FILE(gen_overflowid, "65534\n")
CONST_FILE(gen_pid_max, "4194304\n")
CONST_FILE(gen_kversion, PROC_VERSION "\n")
CONST_FILE(gen_overcommit_memory, "0\n")
CONST_FILE(gen_max_map_count, "65530\n")
CONST_FILE(gen_mmap_min_addr, "65536\n")
CONST_FILE(gen_pipe_max_size, "1048576\n")
CONST_FILE(gen_nr_open, "1048576\n")
CONST_FILE(gen_file_max, "9223372036854775807\n")

/* fs.mqueue: the limits sentry/fsimpl/mqueue enforces (fixed, read-only). */
#define NUMBER_FILE(fn, value)                                                                     \
    static int fn(const struct proc_node *n, struct file *f, FILE *out)                            \
    {                                                                                              \
        fprintf(out, "%ld\n", (long)(value));                                                      \
        return 0;                                                                                  \
    }

NUMBER_FILE(gen_mq_msg_default, MQUEUE_MSG_DEFAULT)
NUMBER_FILE(gen_mq_msg_max, MQUEUE_MSG_MAX)
NUMBER_FILE(gen_mq_msgsize_default, MQUEUE_MSGSIZE_DEFAULT)
NUMBER_FILE(gen_mq_msgsize_max, MQUEUE_MSGSIZE_MAX)
NUMBER_FILE(gen_mq_queues_max, MQUEUE_QUEUES_MAX)
/* fs.inotify: the limits sentry/kernel/inotify.c enforces (fixed, read-only). */
NUMBER_FILE(gen_ino_max_queued_events, INOTIFY_MAX_QUEUED_EVENTS)
NUMBER_FILE(gen_ino_max_user_instances, INOTIFY_MAX_USER_INSTANCES)
NUMBER_FILE(gen_ino_max_user_watches, INOTIFY_MAX_USER_WATCHES)

/* kernel.shm*: the limits sentry/kernel/ipc enforces (read-only). */
static int gen_shmmax(const struct proc_node *n, struct file *f, FILE *out)
{
    fprintf(out, "%llu\n", (unsigned long long)IPC_SHMMAX);
    return 0;
}
static int gen_shmall(const struct proc_node *n, struct file *f, FILE *out)
{
    fprintf(out, "%llu\n", (unsigned long long)IPC_SHMALL);
    return 0;
}
NUMBER_FILE(gen_shmmni, IPC_SHMMNI)
NUMBER_FILE(gen_msgmax, IPC_MSGMAX)
NUMBER_FILE(gen_msgmnb, IPC_MSGMNB)
NUMBER_FILE(gen_msgmni, IPC_MSGMNI)
/* kernel.sem: SEMMSL SEMMNS SEMOPM SEMMNI. */
static int gen_sem(const struct proc_node *n, struct file *f, FILE *out)
{
    fprintf(out, "%d\t%ld\t%d\t%d\n", IPC_SEMMSL, (long)IPC_SEMMNS, IPC_SEMOPM, IPC_SEMMNI);
    return 0;
}

/* /proc/sysvipc: the objects of the sandbox's IPC namespace. */
static int gen_sysvipc_shm(const struct proc_node *n, struct file *f, FILE *out)
{
    ipc_shm_proc(out);
    return 0;
}
static int gen_sysvipc_msg(const struct proc_node *n, struct file *f, FILE *out)
{
    ipc_msg_proc(out);
    return 0;
}
static int gen_sysvipc_sem(const struct proc_node *n, struct file *f, FILE *out)
{
    ipc_sem_proc(out);
    return 0;
}

static int gen_hostname(const struct proc_node *n, struct file *f, FILE *out)
{
    fprintf(out, "%s\n", g_kernel->hostname);
    return 0;
}

static int gen_domainname(const struct proc_node *n, struct file *f, FILE *out)
{
    fprintf(out, "%s\n", g_kernel->domainname);
    return 0;
}

/* sethostname/setdomainname through sysctl: CAP_SYS_ADMIN, at most 64
 * bytes, a trailing newline dropped. */
static int write_uts(char *dst, const char *data, size_t len)
{
    struct task *t = task_current();
    if (!t || !creds_capable(&t->creds, CREDS_CAP_SYS_ADMIN))
        return -EPERM;
    if (len > 0 && data[len - 1] == '\n')
        len--;
    if (len > 64)
        return -EINVAL;
    char name[65] = {0};
    memcpy(name, data, len);
    memcpy(dst, name, sizeof(name));
    return 0;
}

static int write_hostname(const struct proc_node *n, const char *data, size_t len)
{
    return write_uts(g_kernel->hostname, data, len);
}

static int write_domainname(const struct proc_node *n, const char *data, size_t len)
{
    return write_uts(g_kernel->domainname, data, len);
}

static int gen_boot_id(const struct proc_node *n, struct file *f, FILE *out)
{
    fprintf(out, "%s\n", g_boot_id);
    return 0;
}

static int gen_uuid(const struct proc_node *n, struct file *f, FILE *out)
{
    char u[37];
    random_uuid(u);
    fprintf(out, "%s\n", u);
    return 0;
}

#define FILE_ENT(n, g)                                                                             \
    {                                                                                              \
        .name = (n), .mode = S_IFREG | 0444, .gen = (g)                                            \
    }
#define DIR_ENT(n, d)                                                                              \
    {                                                                                              \
        .name = (n), .mode = S_IFDIR | 0555, .dir = (d)                                            \
    }
#define TABLE(id_, ents_)                                                                          \
    {                                                                                              \
        .id = (id_), .ents = (ents_), .n_ents = sizeof(ents_) / sizeof((ents_)[0])                 \
    }

static const struct proc_ent g_random_ents[] = {
    FILE_ENT("boot_id", gen_boot_id),
    FILE_ENT("uuid", gen_uuid),
};
static const struct proc_dir g_random_dir = TABLE(TABLE_SYS_RANDOM, g_random_ents);

static const struct proc_ent g_kernel_ents[] = {
    FILE_ENT("cap_last_cap", gen_cap_last_cap),
    {.name = "domainname",
     .mode = S_IFREG | 0644,
     .gen = gen_domainname,
     .write = write_domainname},
    {.name = "hostname", .mode = S_IFREG | 0644, .gen = gen_hostname, .write = write_hostname},
    FILE_ENT("msgmax", gen_msgmax),
    FILE_ENT("msgmnb", gen_msgmnb),
    FILE_ENT("msgmni", gen_msgmni),
    FILE_ENT("ngroups_max", gen_ngroups_max),
    FILE_ENT("osrelease", gen_osrelease),
    FILE_ENT("ostype", gen_ostype),
    FILE_ENT("overflowgid", gen_overflowid),
    FILE_ENT("overflowuid", gen_overflowid),
    FILE_ENT("pid_max", gen_pid_max),
    DIR_ENT("random", &g_random_dir),
    FILE_ENT("sem", gen_sem),
    FILE_ENT("shmall", gen_shmall),
    FILE_ENT("shmmax", gen_shmmax),
    FILE_ENT("shmmni", gen_shmmni),
    FILE_ENT("version", gen_kversion),
};
static const struct proc_dir g_kernel_dir = TABLE(TABLE_SYS_KERNEL, g_kernel_ents);

static const struct proc_ent g_vm_ents[] = {
    FILE_ENT("max_map_count", gen_max_map_count),
    FILE_ENT("mmap_min_addr", gen_mmap_min_addr),
    FILE_ENT("overcommit_memory", gen_overcommit_memory),
};
static const struct proc_dir g_vm_dir = TABLE(TABLE_SYS_VM, g_vm_ents);

static const struct proc_ent g_mqueue_ents[] = {
    FILE_ENT("msg_default", gen_mq_msg_default),
    FILE_ENT("msg_max", gen_mq_msg_max),
    FILE_ENT("msgsize_default", gen_mq_msgsize_default),
    FILE_ENT("msgsize_max", gen_mq_msgsize_max),
    FILE_ENT("queues_max", gen_mq_queues_max),
};
static const struct proc_dir g_mqueue_dir = TABLE(TABLE_SYS_FS_MQUEUE, g_mqueue_ents);

static const struct proc_ent g_inotify_ents[] = {
    FILE_ENT("max_queued_events", gen_ino_max_queued_events),
    FILE_ENT("max_user_instances", gen_ino_max_user_instances),
    FILE_ENT("max_user_watches", gen_ino_max_user_watches),
};
static const struct proc_dir g_inotify_dir = TABLE(TABLE_SYS_FS_INOTIFY, g_inotify_ents);

static const struct proc_ent g_fs_ents[] = {
    FILE_ENT("file-max", gen_file_max),
    DIR_ENT("inotify", &g_inotify_dir),
    DIR_ENT("mqueue", &g_mqueue_dir),
    FILE_ENT("nr_open", gen_nr_open),
    FILE_ENT("pipe-max-size", gen_pipe_max_size),
};
static const struct proc_dir g_fs_dir = TABLE(TABLE_SYS_FS, g_fs_ents);

static const struct proc_ent g_sys_ents[] = {
    DIR_ENT("fs", &g_fs_dir),
    DIR_ENT("kernel", &g_kernel_dir),
    DIR_ENT("vm", &g_vm_dir),
};
static const struct proc_dir g_sys_dir = TABLE(TABLE_SYS, g_sys_ents);

static const struct proc_ent g_sysvipc_ents[] = {
    FILE_ENT("msg", gen_sysvipc_msg),
    FILE_ENT("sem", gen_sysvipc_sem),
    FILE_ENT("shm", gen_sysvipc_shm),
};
static const struct proc_dir g_sysvipc_dir = TABLE(TABLE_SYSVIPC, g_sysvipc_ents);

static const struct proc_ent g_net_ents[] = {
    FILE_ENT("dev", gen_net_dev),
};
static const struct proc_dir g_net_dir = TABLE(TABLE_NET, g_net_ents);

static const struct proc_ent g_root_ents[] = {
    FILE_ENT("cgroups", gen_cgroups),
    FILE_ENT("cpuinfo", gen_cpuinfo),
    FILE_ENT("filesystems", gen_filesystems),
    FILE_ENT("loadavg", gen_loadavg),
    FILE_ENT("meminfo", gen_meminfo),
    {.name = "mounts", .mode = S_IFLNK | 0777, .link = link_mounts},
    DIR_ENT("net", &g_net_dir),
    {.name = "self", .mode = S_IFLNK | 0777, .link = link_self},
    FILE_ENT("stat", gen_stat),
    DIR_ENT("sys", &g_sys_dir),
    DIR_ENT("sysvipc", &g_sysvipc_dir),
    {.name = "thread-self", .mode = S_IFLNK | 0777, .link = link_thread_self},
    FILE_ENT("uptime", gen_uptime),
    FILE_ENT("version", gen_version),
};

const struct proc_dir g_proc_root_dir = {
    .id = TABLE_ROOT,
    .ents = g_root_ents,
    .n_ents = sizeof(g_root_ents) / sizeof(g_root_ents[0]),
    .dyn = &g_proc_pid_dyn,
};

/* The control files of cgroupfs and what they read.
 *
 * Limits: those of the host cgroup the sandbox runs in, set at boot
 * (cgroupfs_init) and again when runsc update changes them
 * (cgroupfs_set_limits); g_limits_lock (a leaf) guards them. They are
 * enforced by the host on the whole sandbox (the sentry's own memory and
 * threads count too), never by the sentry: no limit file is writable.
 *
 * Usage: the sandbox's own, read when a file is opened: the kernel's task
 * list under kernel.lock (live tasks: not zombies), the MemoryFile's frames
 * in use under memfile.lock (each taken alone).
 *
 * Assumptions about sentry/kernel (kernel.h): g_kernel->tasks lists the
 * live tasks and changes under kernel.lock; t->utime_ns/stime_ns are
 * written by their own task (read racily, as procfs does); t->creds is
 * written by its own task. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sentry/fsimpl/cgroupfs/internal.h"
#include "sentry/kernel/kernel.h"
#include "sentry/mm/memfile.h"

/* Linux's defaults (cgroup v1) for what the host does not limit. */
#define CG_UNLIMITED_BYTES INT64_C(9223372036854771712) /* LLONG_MAX rounded down to a page */
#define CG_DEFAULT_SHARES 1024
#define CG_DEFAULT_PERIOD_US 100000
#define CG_USER_HZ 100 /* cpuacct.stat's unit */

static pthread_mutex_t g_limits_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cgroupfs_limits g_limits;
static char g_cpus[1024] = "0\n"; /* cpuset.cpus: the sentry's affinity */
static char g_mems[1024] = "0\n"; /* cpuset.mems: its allowed memory nodes */

/* Linux's list format of the set bits of a mask ("0-3,6\n"). */
static void bit_list(const unsigned long *mask, size_t nbits, char *buf, size_t size)
{
    const size_t w = sizeof(unsigned long) * 8;
    size_t len = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < nbits; i++) {
        if (!(mask[i / w] & (1ul << (i % w))))
            continue;
        size_t j = i;
        while (j + 1 < nbits && (mask[(j + 1) / w] & (1ul << ((j + 1) % w))))
            j++;
        int n = j == i ? snprintf(buf + len, size - len, "%s%zu", len ? "," : "", i)
                       : snprintf(buf + len, size - len, "%s%zu-%zu", len ? "," : "", i, j);
        if (n < 0 || (size_t)n >= size - len - 1)
            break;
        len += (size_t)n;
        i = j;
    }
    snprintf(buf + len, size - len, "\n");
}

void cgroupfs_set_limits(const struct cgroupfs_limits *limits)
{
    pthread_mutex_lock(&g_limits_lock);
    if (limits)
        g_limits = *limits;
    else
        memset(&g_limits, 0, sizeof(g_limits));
    pthread_mutex_unlock(&g_limits_lock);
}

static struct cgroupfs_limits limits_now(void)
{
    pthread_mutex_lock(&g_limits_lock);
    struct cgroupfs_limits l = g_limits;
    pthread_mutex_unlock(&g_limits_lock);
    return l;
}

void cgroupfs_init(const struct cgroupfs_limits *limits)
{
    cgroupfs_set_limits(limits);
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0 && CPU_COUNT(&set) > 0) {
        unsigned long mask[CPU_SETSIZE / (8 * sizeof(unsigned long))] = {0};
        for (size_t i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &set))
                mask[i / (8 * sizeof(unsigned long))] |= 1ul << (i % (8 * sizeof(unsigned long)));
        bit_list(mask, CPU_SETSIZE, g_cpus, sizeof(g_cpus));
    }
    /* The nodes the host's cpuset lets the sentry use (get_mempolicy's
     * MPOL_F_MEMS_ALLOWED); node 0 when the host has no NUMA support. */
    unsigned long nodes[16] = {0};
    const unsigned long mpol_f_mems_allowed = 4;
    if (syscall(SYS_get_mempolicy, NULL, nodes, sizeof(nodes) * 8, NULL, mpol_f_mems_allowed) ==
        0) {
        bool any = false;
        for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
            any |= nodes[i] != 0;
        if (any)
            bit_list(nodes, sizeof(nodes) * 8, g_mems, sizeof(g_mems));
    }
}

/* ---- the kernel's tasks ------------------------------------------------------ */

static bool live_locked(const struct task *t)
{
    return t->tg && t->tg->state != TG_DEAD && t->state != TASK_ZOMBIE;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* The live tids (or, with groups, tgids), sorted and without duplicates,
 * as Linux's cgroup v1 pid lists are. */
static int task_ids(bool groups, int **out, size_t *count)
{
    *out = NULL;
    *count = 0;
    if (!g_kernel)
        return 0;
    size_t n = 0, cap = 64;
    int *ids = malloc(cap * sizeof(int));
    if (!ids)
        return -ENOMEM;
    pthread_mutex_lock(&g_kernel->lock);
    for (struct task *t = g_kernel->tasks; t; t = t->next) {
        if (!live_locked(t))
            continue;
        if (n == cap) {
            int *bigger = realloc(ids, 2 * cap * sizeof(int));
            if (!bigger) {
                pthread_mutex_unlock(&g_kernel->lock);
                free(ids);
                return -ENOMEM;
            }
            ids = bigger;
            cap *= 2;
        }
        ids[n++] = groups ? t->tg->tgid : t->tid;
    }
    pthread_mutex_unlock(&g_kernel->lock);
    qsort(ids, n, sizeof(int), cmp_int);
    size_t u = 0;
    for (size_t i = 0; i < n; i++)
        if (u == 0 || ids[u - 1] != ids[i])
            ids[u++] = ids[i];
    *out = ids;
    *count = u;
    return 0;
}

/* Live tasks, and the CPU time of every task the sandbox has run (live
 * threads' utime/stime plus the kernel's total of exited ones; see
 * task_acct in kernel.h). */
static void task_usage(uint64_t *count, uint64_t *user_ns, uint64_t *sys_ns)
{
    *count = *user_ns = *sys_ns = 0;
    if (!g_kernel)
        return;
    pthread_mutex_lock(&g_kernel->lock);
    for (struct task *t = g_kernel->tasks; t; t = t->next) {
        if (!live_locked(t))
            continue;
        (*count)++;
        *user_ns += __atomic_load_n(&t->utime_ns, __ATOMIC_RELAXED);
        *sys_ns += __atomic_load_n(&t->stime_ns, __ATOMIC_RELAXED);
    }
    *user_ns += g_kernel->exited_utime_ns; /* cpuacct is cumulative */
    *sys_ns += g_kernel->exited_stime_ns;
    pthread_mutex_unlock(&g_kernel->lock);
}

/* ---- contents ---------------------------------------------------------------- */

static int gen_ids(FILE *out, bool groups)
{
    int *ids;
    size_t n;
    int r = task_ids(groups, &ids, &n);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++)
        fprintf(out, "%d\n", ids[i]);
    free(ids);
    return 0;
}

static int gen_procs(FILE *out)
{
    return gen_ids(out, true);
}

static int gen_tasks(FILE *out)
{
    return gen_ids(out, false);
}

/* A write to cgroup.procs or tasks: moves the process (the thread) into
 * this cgroup. Every task is in it already, the hierarchy's only cgroup,
 * so a valid request changes nothing; Linux's errors otherwise: EINVAL for
 * what is not a pid, ESRCH for no such live task, EACCES when the caller
 * is neither root nor the task's owner (cgroup v1's rule). */
static int write_pid(const char *buf, size_t len)
{
    char s[32];
    if (len >= sizeof(s))
        return -EINVAL;
    memcpy(s, buf, len);
    s[len] = '\0';
    char *p = s;
    while (*p == ' ' || *p == '\t' || *p == '\n')
        p++;
    size_t l = strlen(p);
    while (l && (p[l - 1] == ' ' || p[l - 1] == '\t' || p[l - 1] == '\n'))
        p[--l] = '\0';
    char *end;
    errno = 0;
    long pid = strtol(p, &end, 0);
    if (!*p || *end || errno || pid < 0 || pid > INT32_MAX)
        return -EINVAL;
    struct task *cur = task_current();
    if (pid == 0) {
        if (!cur)
            return -ESRCH;
        pid = cur->tid;
    }
    if (!g_kernel)
        return -ESRCH;
    int r = 0;
    pthread_mutex_lock(&g_kernel->lock);
    struct task *t = kernel_find_task_locked((int)pid);
    if (!t || !live_locked(t))
        r = -ESRCH;
    else if (cur && cur->creds.euid != 0 && cur->creds.euid != t->creds.ruid &&
             cur->creds.euid != t->creds.suid)
        r = -EACCES;
    pthread_mutex_unlock(&g_kernel->lock);
    return r;
}

static int gen_cpu_shares(FILE *out)
{
    struct cgroupfs_limits l = limits_now();
    fprintf(out, "%" PRIu64 "\n", l.cpu_shares ? l.cpu_shares : CG_DEFAULT_SHARES);
    return 0;
}

static int gen_cfs_quota(FILE *out)
{
    struct cgroupfs_limits l = limits_now();
    fprintf(out, "%" PRId64 "\n", l.cpu_quota_us > 0 ? l.cpu_quota_us : -1);
    return 0;
}

static int gen_cfs_period(FILE *out)
{
    struct cgroupfs_limits l = limits_now();
    fprintf(out, "%" PRIu64 "\n", l.cpu_period_us ? l.cpu_period_us : CG_DEFAULT_PERIOD_US);
    return 0;
}

static int gen_cpuacct_usage(FILE *out)
{
    uint64_t n, user, sys;
    task_usage(&n, &user, &sys);
    fprintf(out, "%" PRIu64 "\n", user + sys);
    return 0;
}

static int gen_cpuacct_stat(FILE *out)
{
    uint64_t n, user, sys;
    task_usage(&n, &user, &sys);
    const uint64_t tick = 1000000000 / CG_USER_HZ;
    fprintf(out, "user %" PRIu64 "\nsystem %" PRIu64 "\n", user / tick, sys / tick);
    return 0;
}

static int gen_cpus(FILE *out)
{
    fputs(g_cpus, out);
    return 0;
}

static int gen_mems(FILE *out)
{
    fputs(g_mems, out);
    return 0;
}

static int gen_mem_limit(FILE *out)
{
    struct cgroupfs_limits l = limits_now();
    int64_t v = l.memory_limit > 0 ? l.memory_limit : CG_UNLIMITED_BYTES;
    fprintf(out, "%" PRId64 "\n", v & ~(int64_t)(MF_PAGE_SIZE - 1));
    return 0;
}

/* The application memory the sandbox holds: the MemoryFile's frames in
 * use (the sentry's own heap is not counted; the host cgroup's usage is
 * larger by it). */
static int gen_mem_usage(FILE *out)
{
    uint64_t used = 0;
    struct memfile *mf = g_kernel ? g_kernel->mf : NULL;
    if (mf) {
        pthread_mutex_lock(&mf->lock);
        used = mf->used;
        pthread_mutex_unlock(&mf->lock);
    }
    fprintf(out, "%" PRIu64 "\n", (uint64_t)(used * MF_PAGE_SIZE));
    return 0;
}

static int gen_pids_max(FILE *out)
{
    struct cgroupfs_limits l = limits_now();
    if (l.pids_max > 0)
        fprintf(out, "%" PRId64 "\n", l.pids_max);
    else
        fputs("max\n", out);
    return 0;
}

static int gen_pids_current(FILE *out)
{
    uint64_t n, user, sys;
    task_usage(&n, &user, &sys);
    fprintf(out, "%" PRIu64 "\n", n);
    return 0;
}

const struct cg_file cg_files[] = {
    {"cgroup.procs", 0, gen_procs, write_pid},
    {"cpu.cfs_period_us", CG_BIT(CG_CPU), gen_cfs_period, NULL},
    {"cpu.cfs_quota_us", CG_BIT(CG_CPU), gen_cfs_quota, NULL},
    {"cpu.shares", CG_BIT(CG_CPU), gen_cpu_shares, NULL},
    {"cpuacct.stat", CG_BIT(CG_CPUACCT), gen_cpuacct_stat, NULL},
    {"cpuacct.usage", CG_BIT(CG_CPUACCT), gen_cpuacct_usage, NULL},
    {"cpuset.cpus", CG_BIT(CG_CPUSET), gen_cpus, NULL},
    {"cpuset.effective_cpus", CG_BIT(CG_CPUSET), gen_cpus, NULL},
    {"cpuset.effective_mems", CG_BIT(CG_CPUSET), gen_mems, NULL},
    {"cpuset.mems", CG_BIT(CG_CPUSET), gen_mems, NULL},
    {"memory.limit_in_bytes", CG_BIT(CG_MEMORY), gen_mem_limit, NULL},
    {"memory.usage_in_bytes", CG_BIT(CG_MEMORY), gen_mem_usage, NULL},
    {"pids.current", CG_BIT(CG_PIDS), gen_pids_current, NULL},
    {"pids.max", CG_BIT(CG_PIDS), gen_pids_max, NULL},
    {"tasks", 0, gen_tasks, write_pid},
};
const size_t cg_nfiles = sizeof(cg_files) / sizeof(cg_files[0]);

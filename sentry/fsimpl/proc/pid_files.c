/* /proc/<pid>/ and /proc/<pid>/task/<tid>/: stat, status, statm, cmdline,
 * environ, comm, auxv, maps, limits, cgroup, mounts, mountinfo, the exe,
 * cwd and root links, fd/ and fdinfo/, task/.
 *
 * Files of /proc/<pid>/ describe the thread group as Linux shows it (the
 * leader's state and comm, times summed over the threads); the same files
 * under task/<tid>/ describe that thread. Formats follow Linux 6.1
 * (fs/proc/array.c, fs/proc/base.c, fs/proc/fd.c). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "sentry/fsimpl/cgroupfs/cgroupfs.h"
#include "sentry/fsimpl/proc/internal.h"
#include "sentry/kernel/seccomp.h"

#define TABLE_PID_DIR 3
#define TABLE_FD 4
#define TABLE_FDINFO 5
#define TABLE_TASK 6

/* Largest cmdline/environ shown (Linux has no limit but ARG_MAX applies). */
#define MAX_ARGS_SIZE (4u << 20)

static int task_of(const struct proc_node *n, unsigned want, struct proc_task *pt)
{
    return proc_task_get(n->tgid, n->thread ? n->tid : 0, want, pt);
}

static uint64_t ticks(uint64_t ns)
{
    return ns / (1000000000ull / PROC_HZ);
}

static int64_t ns_since_boot(const struct timespec *mono)
{
    const struct timespec *b = &g_kernel->boot_monotonic;
    int64_t ns = (int64_t)(mono->tv_sec - b->tv_sec) * 1000000000 + (mono->tv_nsec - b->tv_nsec);
    return ns < 0 ? 0 : ns;
}

/* ---- memory --------------------------------------------------------------- */

struct mem_usage {
    uint64_t vsize, rss, stack, exec, data;
    uint64_t start_stack, arg_start, arg_end, env_start, env_end, brk_start;
};

static void mem_usage_of(struct mm *mm, struct mem_usage *u)
{
    memset(u, 0, sizeof(*u));
    if (!mm)
        return;
    mm_usage(mm, &u->vsize, &u->rss);
    pthread_mutex_lock(&mm->lock);
    for (struct vma *v = mm->vmas; v; v = v->next) {
        uint64_t len = v->end - v->start;
        if (v->flags & (VMA_STACK | VMA_GROWSDOWN))
            u->stack += len;
        else if ((v->prot & PROT_WRITE) && !(v->flags & VMA_SHARED))
            u->data += len;
        else if ((v->prot & PROT_EXEC) && v->file)
            u->exec += len;
    }
    u->start_stack = mm->start_stack;
    u->arg_start = mm->arg_start;
    u->arg_end = mm->arg_end;
    u->env_start = mm->env_start;
    u->env_end = mm->env_end;
    u->brk_start = mm->brk_start;
    pthread_mutex_unlock(&mm->lock);
}

/* ---- stat, statm, status -------------------------------------------------- */

static int gen_stat(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_task pt;
    int r = task_of(n, PT_MM, &pt);
    if (r < 0)
        return r;
    struct mem_usage u;
    mem_usage_of(pt.mm, &u);
    uint64_t rsslim = pt.rlimits[RLIMIT_RSS].rlim_cur;
    unsigned long long code = pt.mm ? 1 : 0; /* Linux's value when not permitted */
    fprintf(out, "%d (%s) %c %d %d %d %u %d %u %lu %lu %lu %lu ", n->thread ? pt.tid : pt.tgid,
            pt.comm, pt.state, pt.ppid, pt.pgid, pt.sid, pt.tty_nr, pt.tpgid,
            0x400000u /* PF_RANDOMIZE */, 0ul, 0ul, 0ul, 0ul);
    fprintf(out, "%llu %llu %llu %llu %d %d %d %d %llu %llu %llu %llu ",
            (unsigned long long)ticks(pt.utime_ns), (unsigned long long)ticks(pt.stime_ns),
            (unsigned long long)ticks(pt.cutime_ns), (unsigned long long)ticks(pt.cstime_ns),
            20 /* priority */, 0 /* nice */, pt.nr_threads, 0 /* itrealvalue */,
            (unsigned long long)ticks((uint64_t)ns_since_boot(&pt.start_time)),
            (unsigned long long)u.vsize, (unsigned long long)(u.rss / MM_PAGE_SIZE),
            (unsigned long long)rsslim);
    fprintf(out, "%llu %llu %llu 0 0 %llu %llu %llu %llu 0 0 0 %d 0 0 0 0 0 0 ", code, code,
            (unsigned long long)u.start_stack, (unsigned long long)(pt.sigpnd & 0x7fffffff),
            (unsigned long long)(pt.sigblk & 0x7fffffff),
            (unsigned long long)(pt.sigign & 0x7fffffff),
            (unsigned long long)(pt.sigcgt & 0x7fffffff), pt.exit_signal);
    fprintf(out, "0 0 %llu %llu %llu %llu %llu %d\n", (unsigned long long)u.brk_start,
            (unsigned long long)u.arg_start, (unsigned long long)u.arg_end,
            (unsigned long long)u.env_start, (unsigned long long)u.env_end, pt.exit_code);
    proc_task_release(&pt);
    return 0;
}

static int gen_statm(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_task pt;
    int r = task_of(n, PT_MM, &pt);
    if (r < 0)
        return r;
    struct mem_usage u;
    mem_usage_of(pt.mm, &u);
    fprintf(out, "%llu %llu 0 %llu 0 %llu 0\n", (unsigned long long)(u.vsize / MM_PAGE_SIZE),
            (unsigned long long)(u.rss / MM_PAGE_SIZE), (unsigned long long)(u.exec / MM_PAGE_SIZE),
            (unsigned long long)((u.data + u.stack) / MM_PAGE_SIZE));
    proc_task_release(&pt);
    return 0;
}

static const char *state_name(char s)
{
    switch (s) {
    case 'R':
        return "R (running)";
    case 'S':
        return "S (sleeping)";
    case 'T':
        return "T (stopped)";
    case 'Z':
        return "Z (zombie)";
    default:
        return "X (dead)";
    }
}

/* Linux's "%*pb" of a CPU mask: hex in 32-bit groups, most significant first. */
static void print_cpumask(FILE *out, uint64_t mask)
{
    if (mask >> 32)
        fprintf(out, "%08llx,%08llx", (unsigned long long)(mask >> 32),
                (unsigned long long)(mask & 0xffffffff));
    else
        fprintf(out, "%llx", (unsigned long long)mask);
}

/* Linux's "%*pbl": ranges like 0-3,6. */
static void print_cpulist(FILE *out, uint64_t mask)
{
    bool first = true;
    for (int i = 0; i < 64; i++) {
        if (!(mask & (1ull << i)))
            continue;
        int j = i;
        while (j + 1 < 64 && (mask & (1ull << (j + 1))))
            j++;
        fprintf(out, "%s%d", first ? "" : ",", i);
        if (j > i)
            fprintf(out, "-%d", j);
        first = false;
        i = j;
    }
}

static void print_kb(FILE *out, const char *name, uint64_t bytes)
{
    fprintf(out, "%s:\t%8llu kB\n", name, (unsigned long long)(bytes >> 10));
}

static int gen_status(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_task pt;
    int r = task_of(n, PT_MM | PT_FDT | PT_FS, &pt);
    if (r < 0)
        return r;
    uint32_t umask = 022;
    if (pt.fs) {
        pthread_mutex_lock(&pt.fs->lock);
        umask = pt.fs->umask;
        pthread_mutex_unlock(&pt.fs->lock);
    }
    int fdsize = 0;
    if (pt.fdt) {
        pthread_mutex_lock(&pt.fdt->lock);
        fdsize = pt.fdt->size;
        pthread_mutex_unlock(&pt.fdt->lock);
        if (fdsize < 64)
            fdsize = 64;
    }
    /* Name: escaped as Linux does (backslash and newline). */
    fputs("Name:\t", out);
    for (const char *c = pt.comm; *c; c++) {
        if (*c == '\\')
            fputs("\\\\", out);
        else if (*c == '\n')
            fputs("\\n", out);
        else
            fputc(*c, out);
    }
    int pid = n->thread ? pt.tid : pt.tgid;
    fprintf(out, "\nUmask:\t%04o\nState:\t%s\nTgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\n",
            umask & 0777, state_name(pt.state), pt.tgid, pid, pt.ppid);
    fprintf(out,
            "TracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\nFDSize:\t%d\nGroups:\t",
            pt.creds.ruid, pt.creds.euid, pt.creds.suid, pt.creds.fsuid, pt.creds.rgid,
            pt.creds.egid, pt.creds.sgid, pt.creds.fsgid, fdsize);
    for (int i = 0; i < pt.creds.ngroups; i++)
        fprintf(out, "%u ", pt.creds.groups[i]);
    fprintf(out, "\nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\nNSsid:\t%d\n", pt.tgid, pid, pt.pgid,
            pt.sid);
    if (pt.mm) {
        struct mem_usage u;
        mem_usage_of(pt.mm, &u);
        /* Peaks are not tracked: they show the current values. */
        print_kb(out, "VmPeak", u.vsize);
        print_kb(out, "VmSize", u.vsize);
        print_kb(out, "VmLck", 0);
        print_kb(out, "VmPin", 0);
        print_kb(out, "VmHWM", u.rss);
        print_kb(out, "VmRSS", u.rss);
        print_kb(out, "RssAnon", u.rss);
        print_kb(out, "RssFile", 0);
        print_kb(out, "RssShmem", 0);
        print_kb(out, "VmData", u.data);
        print_kb(out, "VmStk", u.stack);
        print_kb(out, "VmExe", u.exec);
        print_kb(out, "VmLib", 0);
        print_kb(out, "VmPTE", 0);
        print_kb(out, "VmSwap", 0);
        print_kb(out, "HugetlbPages", 0);
    }
    fprintf(out, "CoreDumping:\t0\nTHP_enabled:\t1\nThreads:\t%d\nSigQ:\t%d/%llu\n", pt.nr_threads,
            pt.sigq, (unsigned long long)pt.rlimits[RLIMIT_SIGPENDING].rlim_cur);
    fprintf(out,
            "SigPnd:\t%016llx\nShdPnd:\t%016llx\nSigBlk:\t%016llx\nSigIgn:\t%016llx\n"
            "SigCgt:\t%016llx\n",
            (unsigned long long)pt.sigpnd, (unsigned long long)pt.shdpnd,
            (unsigned long long)pt.sigblk, (unsigned long long)pt.sigign,
            (unsigned long long)pt.sigcgt);
    fprintf(out,
            "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\nCapBnd:\t%016llx\n"
            "CapAmb:\t%016llx\n",
            (unsigned long long)pt.creds.cap_inheritable,
            (unsigned long long)pt.creds.cap_permitted, (unsigned long long)pt.creds.cap_effective,
            (unsigned long long)pt.creds.cap_bounding, (unsigned long long)pt.creds.cap_ambient);
    int sc_mode, sc_filters;
    seccomp_task_status(pt.tid, &sc_mode, &sc_filters);
    fprintf(out,
            "NoNewPrivs:\t%d\nSeccomp:\t%d\nSeccomp_filters:\t%d\n"
            "Speculation_Store_Bypass:\tthread vulnerable\n"
            "SpeculationIndirectBranch:\tconditional enabled\nCpus_allowed:\t",
            pt.creds.no_new_privs ? 1 : 0, sc_mode, sc_filters);
    uint64_t mask = kernel_cpu_mask();
    print_cpumask(out, mask);
    fputs("\nCpus_allowed_list:\t", out);
    print_cpulist(out, mask);
    fputs("\nMems_allowed:\t00000001\nMems_allowed_list:\t0\n"
          "voluntary_ctxt_switches:\t0\nnonvoluntary_ctxt_switches:\t0\n",
          out);
    proc_task_release(&pt);
    return 0;
}

/* ---- memory contents: cmdline, environ, auxv, maps ------------------------- */

/* Copies [start, end) of the task's memory to out; returns bytes or -errno. */
static ssize_t copy_range(struct mm *mm, uint64_t start, uint64_t end, char **out)
{
    *out = NULL;
    if (!mm || end <= start)
        return 0;
    size_t len = end - start;
    if (len > MAX_ARGS_SIZE)
        len = MAX_ARGS_SIZE;
    char *buf = malloc(len);
    if (!buf)
        return -ENOMEM;
    int r = mm_copy_in(mm, start, buf, len);
    if (r < 0) {
        free(buf);
        return 0; /* unreadable (unmapped by the application): empty, as Linux */
    }
    *out = buf;
    return (ssize_t)len;
}

/* cmdline and environ: the argument or the environment area of the task's
 * memory (only their bounds are read from the mm, not its usage). */
static int gen_area(const struct proc_node *n, FILE *out, bool want_env)
{
    struct proc_task pt;
    int r = task_of(n, PT_MM, &pt);
    if (r < 0)
        return r;
    uint64_t arg_start = 0, arg_end = 0, env_start = 0, env_end = 0;
    if (pt.mm) {
        pthread_mutex_lock(&pt.mm->lock);
        arg_start = pt.mm->arg_start;
        arg_end = pt.mm->arg_end;
        env_start = pt.mm->env_start;
        env_end = pt.mm->env_end;
        pthread_mutex_unlock(&pt.mm->lock);
    }
    char *buf;
    ssize_t len = want_env ? copy_range(pt.mm, env_start, env_end, &buf)
                           : copy_range(pt.mm, arg_start, arg_end, &buf);
    if (!want_env && len > 0 && buf[len - 1] != '\0') {
        /* The program rewrote its arguments (setproctitle): Linux shows one
         * string, which may run on into the environment area. */
        size_t sl = strnlen(buf, (size_t)len);
        fwrite(buf, 1, sl, out);
        if (sl == (size_t)len) {
            char *env;
            ssize_t el = copy_range(pt.mm, env_start, env_end, &env);
            if (el > 0)
                fwrite(env, 1, strnlen(env, (size_t)el), out);
            free(env);
        }
    } else if (len > 0) {
        fwrite(buf, 1, (size_t)len, out);
    }
    free(buf);
    proc_task_release(&pt);
    return len < 0 ? (int)len : 0;
}

static int gen_cmdline(const struct proc_node *n, struct file *f, FILE *out)
{
    return gen_area(n, out, false);
}

static int gen_environ(const struct proc_node *n, struct file *f, FILE *out)
{
    return gen_area(n, out, true);
}

static int gen_auxv(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_task pt;
    int r = task_of(n, PT_MM, &pt);
    if (r < 0)
        return r;
    if (pt.mm) {
        uint64_t auxv[64];
        pthread_mutex_lock(&pt.mm->lock);
        size_t words = pt.mm->auxv_len;
        if (words > 64)
            words = 64;
        memcpy(auxv, pt.mm->auxv, words * sizeof(uint64_t));
        pthread_mutex_unlock(&pt.mm->lock);
        fwrite(auxv, sizeof(uint64_t), words, out);
    }
    proc_task_release(&pt);
    return 0;
}

static int gen_maps(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_task pt;
    int r = task_of(n, PT_MM, &pt);
    if (r < 0)
        return r;
    if (pt.mm) {
        struct vfs_path reader;
        proc_reader_root(&reader);
        char *text = mm_maps_text(pt.mm, &reader);
        path_put(&reader);
        if (!text) {
            proc_task_release(&pt);
            return -ENOMEM;
        }
        fputs(text, out);
        free(text);
    }
    proc_task_release(&pt);
    return 0;
}

/* ---- small files ------------------------------------------------------------ */

static int gen_comm(const struct proc_node *n, struct file *f, FILE *out)
{
    struct proc_task pt;
    int r = task_of(n, 0, &pt);
    if (r < 0)
        return r;
    fprintf(out, "%s\n", pt.comm);
    proc_task_release(&pt);
    return 0;
}

static int write_comm(const struct proc_node *n, const char *data, size_t len)
{
    return proc_set_comm(n->tgid, n->thread ? n->tid : n->tgid, data, len);
}

static void print_limit(FILE *out, uint64_t v)
{
    if (v == (uint64_t)RLIM_INFINITY)
        fprintf(out, "%-20s ", "unlimited");
    else
        fprintf(out, "%-20llu ", (unsigned long long)v);
}

static int gen_limits(const struct proc_node *n, struct file *f, FILE *out)
{
    static const struct {
        int res;
        const char *name, *unit;
    } rows[] = {
        {RLIMIT_CPU, "Max cpu time", "seconds"},
        {RLIMIT_FSIZE, "Max file size", "bytes"},
        {RLIMIT_DATA, "Max data size", "bytes"},
        {RLIMIT_STACK, "Max stack size", "bytes"},
        {RLIMIT_CORE, "Max core file size", "bytes"},
        {RLIMIT_RSS, "Max resident set", "bytes"},
        {RLIMIT_NPROC, "Max processes", "processes"},
        {RLIMIT_NOFILE, "Max open files", "files"},
        {RLIMIT_MEMLOCK, "Max locked memory", "bytes"},
        {RLIMIT_AS, "Max address space", "bytes"},
        {RLIMIT_LOCKS, "Max file locks", "locks"},
        {RLIMIT_SIGPENDING, "Max pending signals", "signals"},
        {RLIMIT_MSGQUEUE, "Max msgqueue size", "bytes"},
        {RLIMIT_NICE, "Max nice priority", NULL},
        {RLIMIT_RTPRIO, "Max realtime priority", NULL},
        {RLIMIT_RTTIME, "Max realtime timeout", "us"},
    };
    struct proc_task pt;
    int r = task_of(n, 0, &pt);
    if (r < 0)
        return r;
    fprintf(out, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        fprintf(out, "%-25s ", rows[i].name);
        print_limit(out, pt.rlimits[rows[i].res].rlim_cur);
        print_limit(out, pt.rlimits[rows[i].res].rlim_max);
        if (rows[i].unit)
            fprintf(out, "%-10s\n", rows[i].unit);
        else
            fputc('\n', out);
    }
    proc_task_release(&pt);
    return 0;
}

/* Every task is in the root cgroup of every hierarchy (cgroupfs). */
static int gen_cgroup(const struct proc_node *n, struct file *f, FILE *out)
{
    cgroupfs_proc_cgroup(out);
    return 0;
}

static int gen_zero(const struct proc_node *n, struct file *f, FILE *out)
{
    fputs("0\n", out);
    return 0;
}

static int gen_loginuid(const struct proc_node *n, struct file *f, FILE *out)
{
    fputs("4294967295", out); /* not set; Linux prints no newline */
    return 0;
}

static int gen_task_mounts(const struct proc_node *n, struct file *f, FILE *out)
{
    struct vfs_path root;
    int r = proc_task_path(n->tgid, n->thread ? n->tid : 0, true, &root);
    if (r < 0)
        return r;
    r = proc_gen_mounts(f, &root, false, out);
    path_put(&root);
    return r;
}

static int gen_task_mountinfo(const struct proc_node *n, struct file *f, FILE *out)
{
    struct vfs_path root;
    int r = proc_task_path(n->tgid, n->thread ? n->tid : 0, true, &root);
    if (r < 0)
        return r;
    r = proc_gen_mounts(f, &root, true, out);
    path_put(&root);
    return r;
}

/* ---- links ---------------------------------------------------------------- */

ssize_t proc_copy_link(const char *target, char *buf, size_t size)
{
    if (!target)
        return -ENOMEM;
    size_t len = strlen(target);
    if (len > size)
        len = size;
    memcpy(buf, target, len);
    return (ssize_t)len;
}

static ssize_t link_exe(const struct proc_node *n, char *buf, size_t size)
{
    struct proc_task pt;
    int r = task_of(n, PT_EXE, &pt);
    if (r < 0)
        return r;
    ssize_t len = pt.exe ? proc_copy_link(pt.exe, buf, size) : -ENOENT;
    proc_task_release(&pt);
    return len;
}

static ssize_t link_path(const struct proc_node *n, bool root, char *buf, size_t size)
{
    struct vfs_path p;
    int r = proc_task_path(n->tgid, n->thread ? n->tid : 0, root, &p);
    if (r < 0)
        return r;
    struct vfs_path reader;
    proc_reader_root(&reader);
    char *name = vfs_path_name(&reader, &p);
    path_put(&reader);
    path_put(&p);
    ssize_t len = proc_copy_link(name, buf, size);
    free(name);
    return len;
}

static ssize_t link_cwd(const struct proc_node *n, char *buf, size_t size)
{
    return link_path(n, false, buf, size);
}

static ssize_t link_root(const struct proc_node *n, char *buf, size_t size)
{
    return link_path(n, true, buf, size);
}

/* The open file at the node's fd (new reference) and its fd flags. */
static int fd_file(const struct proc_node *n, struct file **out, int *fdflags)
{
    struct proc_task pt;
    int r = task_of(n, PT_FDT, &pt);
    if (r < 0)
        return r;
    *out = pt.fdt ? fdt_get_file(pt.fdt, n->fd, fdflags) : NULL;
    proc_task_release(&pt);
    return *out ? 0 : -ENOENT;
}

static ssize_t link_fd(const struct proc_node *n, char *buf, size_t size)
{
    struct file *f;
    int r = fd_file(n, &f, NULL);
    if (r < 0)
        return r;
    struct vfs_path reader;
    proc_reader_root(&reader);
    char *name = proc_file_name(f, &reader);
    path_put(&reader);
    file_put(f);
    ssize_t len = proc_copy_link(name, buf, size);
    free(name);
    return len;
}

static int gen_fdinfo(const struct proc_node *n, struct file *pf, FILE *out)
{
    struct file *f;
    int fdflags = 0;
    int r = fd_file(n, &f, &fdflags);
    if (r < 0)
        return r;
    struct vfs_attr a;
    if (vfs_file_getattr(f, &a) < 0)
        a.ino = f->inode->ino;
    int flags = f->flags | ((fdflags & FDT_CLOEXEC) ? O_CLOEXEC : 0);
    fprintf(out, "pos:\t%lld\nflags:\t0%o\nmnt_id:\t%d\nino:\t%llu\n",
            (long long)__atomic_load_n(&f->pos, __ATOMIC_RELAXED), (unsigned)flags,
            f->path.mnt ? proc_mount_id(f->path.mnt) : 0, (unsigned long long)a.ino);
    if (f->ops && f->ops->show_fdinfo)
        f->ops->show_fdinfo(f, out);
    file_put(f);
    return 0;
}

/* ---- dynamic directories: fd/, fdinfo/, task/, /proc/<pid> ---------------- */

/* Parses a decimal id as Linux does: digits only, no leading zero. */
static int parse_id(const char *name)
{
    if (name[0] < '1' || name[0] > '9')
        return -1;
    long v = 0;
    for (const char *c = name; *c; c++) {
        if (*c < '0' || *c > '9')
            return -1;
        v = v * 10 + (*c - '0');
        if (v > INT_MAX)
            return -1;
    }
    return (int)v;
}

static void fd_child(const struct proc_node *dir, int key, struct proc_node *out,
                     const struct proc_ent *ent)
{
    *out = (struct proc_node){
        .ent = ent,
        .table = dir->ent->dir,
        .idx = key,
        .tgid = dir->tgid,
        .tid = dir->tid,
        .thread = dir->thread,
        .fd = key,
        .dynamic = true,
    };
}

static void fd_link_child(const struct proc_node *dir, int key, struct proc_node *out)
{
    fd_child(dir, key, out, &g_proc_fd_ent);
}

static void fdinfo_child(const struct proc_node *dir, int key, struct proc_node *out)
{
    fd_child(dir, key, out, &g_proc_fdinfo_ent);
}

static int fd_lookup_common(const struct proc_node *dir, const char *name, struct proc_node *out,
                            const struct proc_ent *ent)
{
    int fd = name[0] == '0' && !name[1] ? 0 : parse_id(name);
    if (fd < 0)
        return -ENOENT;
    fd_child(dir, fd, out, ent);
    return proc_node_alive(out) ? 0 : -ENOENT;
}

static int fd_lookup(const struct proc_node *dir, const char *name, struct proc_node *out)
{
    return fd_lookup_common(dir, name, out, &g_proc_fd_ent);
}

static int fdinfo_lookup(const struct proc_node *dir, const char *name, struct proc_node *out)
{
    return fd_lookup_common(dir, name, out, &g_proc_fdinfo_ent);
}

static int fd_list(const struct proc_node *dir, int **keys, size_t *count)
{
    *keys = NULL;
    *count = 0;
    struct proc_task pt;
    int r = task_of(dir, PT_FDT, &pt);
    if (r < 0)
        return r;
    if (!pt.fdt) {
        proc_task_release(&pt);
        return 0;
    }
    pthread_mutex_lock(&pt.fdt->lock);
    int size = pt.fdt->size;
    int *fds = malloc((size_t)(size > 0 ? size : 1) * sizeof(int));
    size_t n = 0;
    if (fds)
        for (int i = 0; i < size; i++)
            if (pt.fdt->fds[i].file)
                fds[n++] = i;
    pthread_mutex_unlock(&pt.fdt->lock);
    proc_task_release(&pt);
    if (!fds)
        return -ENOMEM;
    *keys = fds;
    *count = n;
    return 0;
}

static void tid_child(const struct proc_node *dir, int key, struct proc_node *out)
{
    *out = (struct proc_node){
        .ent = &g_proc_tid_ent,
        .table = dir->ent->dir,
        .idx = key,
        .tgid = dir->tgid,
        .tid = key,
        .thread = true,
        .fd = -1,
        .dynamic = true,
    };
}

static int tid_lookup(const struct proc_node *dir, const char *name, struct proc_node *out)
{
    int tid = parse_id(name);
    if (tid < 0 || !proc_task_exists(dir->tgid, tid))
        return -ENOENT;
    tid_child(dir, tid, out);
    return 0;
}

static int tid_list(const struct proc_node *dir, int **keys, size_t *count)
{
    return proc_list_tids(dir->tgid, keys, count);
}

static void pid_child(const struct proc_node *dir, int key, struct proc_node *out)
{
    *out = (struct proc_node){
        .ent = &g_proc_pid_ent,
        .table = dir->ent->dir,
        .idx = key,
        .tgid = key,
        .tid = key,
        .fd = -1,
        .dynamic = true,
    };
}

static int pid_lookup(const struct proc_node *dir, const char *name, struct proc_node *out)
{
    int pid = parse_id(name);
    if (pid < 0 || !proc_task_exists(pid, 0))
        return -ENOENT;
    pid_child(dir, pid, out);
    return 0;
}

static int pid_list(const struct proc_node *dir, int **keys, size_t *count)
{
    return proc_list_tgids(keys, count);
}

const struct proc_dyn g_proc_pid_dyn = {.lookup = pid_lookup, .list = pid_list, .child = pid_child};
static const struct proc_dyn g_fd_dyn = {
    .lookup = fd_lookup, .list = fd_list, .child = fd_link_child};
static const struct proc_dyn g_fdinfo_dyn = {
    .lookup = fdinfo_lookup, .list = fd_list, .child = fdinfo_child};
static const struct proc_dyn g_tid_dyn = {
    .lookup = tid_lookup, .list = tid_list, .child = tid_child};

static const struct proc_dir g_fd_dir = {.id = TABLE_FD, .dyn = &g_fd_dyn};
static const struct proc_dir g_fdinfo_dir = {.id = TABLE_FDINFO, .dyn = &g_fdinfo_dyn};
static const struct proc_dir g_task_dir = {.id = TABLE_TASK, .dyn = &g_tid_dyn};

const struct proc_ent g_proc_fd_ent = {.mode = S_IFLNK | 0700, .link = link_fd};
const struct proc_ent g_proc_fdinfo_ent = {.mode = S_IFREG | 0444, .gen = gen_fdinfo};

#define FILE_ENT(n, m, g)                                                                          \
    {                                                                                              \
        .name = (n), .mode = S_IFREG | (m), .gen = (g)                                             \
    }
#define LINK_ENT(n, l)                                                                             \
    {                                                                                              \
        .name = (n), .mode = S_IFLNK | 0777, .link = (l)                                           \
    }

static const struct proc_ent g_pid_ents[] = {
    FILE_ENT("auxv", 0400, gen_auxv),
    FILE_ENT("cgroup", 0444, gen_cgroup),
    FILE_ENT("cmdline", 0444, gen_cmdline),
    {.name = "comm", .mode = S_IFREG | 0644, .gen = gen_comm, .write = write_comm},
    LINK_ENT("cwd", link_cwd),
    FILE_ENT("environ", 0400, gen_environ),
    LINK_ENT("exe", link_exe),
    {.name = "fd", .mode = S_IFDIR | 0500, .dir = &g_fd_dir},
    {.name = "fdinfo", .mode = S_IFDIR | 0500, .dir = &g_fdinfo_dir},
    FILE_ENT("limits", 0444, gen_limits),
    FILE_ENT("loginuid", 0444, gen_loginuid),
    FILE_ENT("maps", 0444, gen_maps),
    FILE_ENT("mountinfo", 0444, gen_task_mountinfo),
    FILE_ENT("mounts", 0444, gen_task_mounts),
    FILE_ENT("oom_score", 0444, gen_zero),
    FILE_ENT("oom_score_adj", 0444, gen_zero),
    LINK_ENT("root", link_root),
    FILE_ENT("stat", 0444, gen_stat),
    FILE_ENT("statm", 0444, gen_statm),
    FILE_ENT("status", 0444, gen_status),
    {.name = "task", .mode = S_IFDIR | 0555, .dir = &g_task_dir, .flags = PE_PROCESS_ONLY},
};

const struct proc_dir g_proc_pid_dir = {
    .id = TABLE_PID_DIR, .ents = g_pid_ents, .n_ents = sizeof(g_pid_ents) / sizeof(g_pid_ents[0])};

const struct proc_ent g_proc_pid_ent = {.mode = S_IFDIR | 0555, .dir = &g_proc_pid_dir};
const struct proc_ent g_proc_tid_ent = {.mode = S_IFDIR | 0555, .dir = &g_proc_pid_dir};

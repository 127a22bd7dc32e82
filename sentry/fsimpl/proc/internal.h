/* procfs internals shared by proc.c (the filesystem), tasks.c (reading the
 * kernel's tasks), pid_files.c (/proc/<pid>/...) and global_files.c (the
 * rest).
 *
 * Every file is described by a const struct proc_ent in a table; a
 * directory is a struct proc_dir: a table of static entries plus optional
 * dynamic children (pids, tids, fds). An inode's private data is a
 * struct proc_node: which entry, and for whom (thread group, thread, fd).
 * Nodes never point at tasks: every operation looks the task up again by
 * number, so a dead pid's cached dentries answer ENOENT.
 *
 * Locking: procfs has no locks of its own except the load average state
 * (a leaf). It takes kernel.lock (then thread_group.siglock) to copy what
 * it shows (tasks.c); it takes fdt->lock, fsctx->lock and mm->lock alone,
 * after dropping kernel.lock. lookup runs under the parent dentry's lock,
 * so the order is dentry.lock -> kernel.lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <time.h>

#include "sentry/fsimpl/proc/proc.h"
#include "sentry/kernel/kernel.h"

/* Linux's USER_HZ: the unit of clock ticks in /proc (stat, uptime is in s). */
#define PROC_HZ 100
/* Kernel identity, as uname(2) reports it (sentry/syscalls/sys_info.c). */
#define PROC_RELEASE "6.1.0"
#define PROC_VERSION "#1 SMP PREEMPT_DYNAMIC runsc"

struct proc_node;

/* Writes a file's contents to out (an open_memstream). Returns 0 or -errno. */
typedef int (*proc_gen_fn)(const struct proc_node *n, struct file *f, FILE *out);
/* Handles a write of len bytes (at offset 0) to the file. */
typedef int (*proc_write_fn)(const struct proc_node *n, const char *data, size_t len);
/* Computes a symlink target (not NUL-terminated); returns length or -errno. */
typedef ssize_t (*proc_link_fn)(const struct proc_node *n, char *buf, size_t size);

struct proc_dir;

#define PE_PROCESS_ONLY 0x1 /* not under task/<tid>/ (e.g. "task" itself) */

struct proc_ent {
    const char *name;
    uint32_t mode; /* S_IF* | permission bits */
    proc_gen_fn gen;
    proc_write_fn write;
    proc_link_fn link;
    const struct proc_dir *dir;
    unsigned flags; /* PE_* */
};

/* Dynamic children of a directory (pids, tids, fds): looked up by name and
 * listed in increasing key order. */
struct proc_dyn {
    /* Parses name; fills out (ent, ids) and returns 0, or -ENOENT. */
    int (*lookup)(const struct proc_node *dir, const char *name, struct proc_node *out);
    /* Fills keys with the children's keys in increasing order; *count gets
     * how many (malloc'ed array in *keys). */
    int (*list)(const struct proc_node *dir, int **keys, size_t *count);
    /* The child node for key (for its name, inode number and type). */
    void (*child)(const struct proc_node *dir, int key, struct proc_node *out);
};

struct proc_dir {
    unsigned id; /* unique per table: part of inode numbers */
    const struct proc_ent *ents;
    size_t n_ents;
    const struct proc_dyn *dyn;
};

/* What an inode stands for. */
struct proc_node {
    const struct proc_ent *ent;
    const struct proc_dir *table; /* the table ent is in, or the dynamic parent */
    int idx;                      /* index in table (static) or key (dynamic) */
    int tgid;                     /* 0: a global file */
    int tid;                      /* the thread (== tgid at process level) */
    bool thread;                  /* under /proc/<pid>/task/<tid>/ */
    int fd;                       /* fd/N and fdinfo/N; -1 otherwise */
    bool dynamic;                 /* a pid, tid or fd entry (not in a table) */
    uint64_t parent_ino;
};

uint64_t proc_node_ino(const struct proc_node *n);
/* Whether the node's task (and fd) still exist. Global nodes always do. */
bool proc_node_alive(const struct proc_node *n);

/* ---- tasks.c: copies of kernel state ------------------------------------- */

#define PT_MM 0x1  /* take a reference on the address space */
#define PT_FDT 0x2 /* ... on the fd table */
#define PT_FS 0x4  /* ... on the fs context (root, cwd, umask) */
#define PT_EXE 0x8 /* copy the executable's path */

/* What /proc shows about one task, copied under kernel.lock. */
struct proc_task {
    int tgid, tid;
    int ppid, pgid, sid;
    unsigned tty_nr; /* controlling terminal (stat), 0: none */
    int tpgid;       /* its foreground group, -1 without a terminal */
    char comm[16];
    char state; /* R S T Z X */
    int nr_threads;
    struct creds creds; /* groups: a malloc'ed copy */
    uint64_t sigpnd, shdpnd, sigblk, sigign, sigcgt;
    int sigq; /* queued signals */
    uint64_t utime_ns, stime_ns, cutime_ns, cstime_ns;
    struct timespec start_time; /* CLOCK_MONOTONIC */
    int exit_signal;
    int exit_code; /* wait status of a zombie */
    struct rlimit rlimits[RLIM_NLIMITS];
    char *exe;             /* PT_EXE; may be NULL */
    struct mm *mm;         /* PT_MM; NULL for a zombie */
    struct fdtable *fdt;   /* PT_FDT; NULL for a zombie */
    struct fs_context *fs; /* PT_FS; NULL for a zombie */
};

/* Copies task tid of thread group tgid (tid 0: the group's leader, with
 * times summed over its threads). -ENOENT if it is gone. */
int proc_task_get(int tgid, int tid, unsigned want, struct proc_task *out);
void proc_task_release(struct proc_task *pt);
/* Whether thread group tgid (and thread tid, if non-zero) exists. */
bool proc_task_exists(int tgid, int tid);
/* Sorted thread-group ids / thread ids of a group (malloc'ed). */
int proc_list_tgids(int **out, size_t *count);
int proc_list_tids(int tgid, int **out, size_t *count);
/* Counts for loadavg and stat. */
struct proc_counts {
    int running, total, last_pid;
    uint64_t utime_ns, stime_ns; /* of live tasks */
};
void proc_counts(struct proc_counts *c);
/* Sets the comm of thread tid of group tgid (the caller's group only). */
int proc_set_comm(int tgid, int tid, const char *name, size_t len);

/* The caller's root (for path names), referenced; the sandbox's root when
 * not called from a task. */
void proc_reader_root(struct vfs_path *out);
/* Copies a task's cwd or root (referenced); -ENOENT for a zombie. */
int proc_task_path(int tgid, int tid, bool root, struct vfs_path *out);
/* Path-like name of an open file, as /proc/<pid>/fd/<n> shows it
 * (malloc'ed): its path, or "pipe:[ino]", "socket:[ino]", "/dev/pts/N",
 * "anon_inode:[type]" for files without one. */
char *proc_file_name(struct file *f, const struct vfs_path *root);
/* Mount id of m as /proc shows it (mountinfo, fdinfo). */
int proc_mount_id(const struct mount *m);

/* Writes the mounts visible from root in /proc/mounts (or, with info,
 * /proc/<pid>/mountinfo) format. f is the procfs file being opened: the
 * mount list is reached through its mount. */
int proc_gen_mounts(struct file *f, const struct vfs_path *root, bool info, FILE *out);
/* Copies a symlink target into buf (truncated to size); target NULL means
 * the allocation failed. */
ssize_t proc_copy_link(const char *target, char *buf, size_t size);

/* ---- the tables ----------------------------------------------------------- */
extern const struct proc_dir g_proc_root_dir;
extern const struct proc_dir g_proc_pid_dir;    /* /proc/<pid>/ and task/<tid>/ */
extern const struct proc_dyn g_proc_pid_dyn;    /* the pids in /proc */
extern const struct proc_ent g_proc_pid_ent;    /* /proc/<pid> itself */
extern const struct proc_ent g_proc_tid_ent;    /* /proc/<pid>/task/<tid> */
extern const struct proc_ent g_proc_fd_ent;     /* fd/<n> */
extern const struct proc_ent g_proc_fdinfo_ent; /* fdinfo/<n> */

/* Snapshots taken when procfs is created (global_files.c). */
void proc_global_init(void);

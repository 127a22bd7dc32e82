/* /proc as a shell and ps use it: /proc/self and /proc/thread-self, the
 * per-process files (stat, status, cmdline, environ, comm, exe, cwd, fd/,
 * fdinfo/, task/, mounts, maps: full paths of mapped files, renames), the
 * global files (meminfo, uptime, loadavg,
 * stat, version, sys/kernel), the listing of /proc, and ENOENT for pids
 * that do not exist or are gone (a reaped child; its zombie first). */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <sys/wait.h>

extern char **environ;

static int g_argc;
static char **g_argv;

/* Reads a whole file (at most size - 1 bytes, NUL-terminated); returns its
 * length. */
static size_t read_file(const char *path, char *buf, size_t size)
{
    int fd = (int)CHECK_OK(open(path, O_RDONLY | O_CLOEXEC));
    size_t len = 0;
    for (;;) {
        ssize_t r = read(fd, buf + len, size - 1 - len);
        if (r < 0)
            FAIL("read %s: %s", path, check_errname_(errno));
        if (r == 0)
            break;
        len += (size_t)r;
        if (len == size - 1)
            break;
    }
    buf[len] = '\0';
    CHECK_OK(close(fd));
    return len;
}

static void read_link(const char *path, char *buf, size_t size)
{
    ssize_t n = readlink(path, buf, size - 1);
    if (n < 0)
        FAIL("readlink %s: %s", path, check_errname_(errno));
    buf[n] = '\0';
}

/* The value after "Key:" in a status-style file, or NULL. */
static const char *field(const char *text, const char *key, char *out, size_t size)
{
    size_t kl = strlen(key);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, key, kl) == 0 && l[kl] == ':') {
            const char *v = l + kl + 1;
            while (*v == ' ' || *v == '\t')
                v++;
            size_t n = strcspn(v, "\n");
            if (n >= size)
                n = size - 1;
            memcpy(out, v, n);
            out[n] = '\0';
            return out;
        }
    }
    return NULL;
}

/* Whether directory path has an entry name (and its d_type, if asked). */
static bool dir_has(const char *path, const char *name, unsigned char *type)
{
    DIR *d = opendir(path);
    if (!d)
        FAIL("opendir %s: %s", path, check_errname_(errno));
    bool found = false;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, name) == 0) {
            found = true;
            if (type)
                *type = e->d_type;
        }
    closedir(d);
    return found;
}

static void self_links(void)
{
    char buf[256], want[64];
    struct stat st;
    CHECK_OK(lstat("/proc/self", &st));
    CHECK(S_ISLNK(st.st_mode));
    read_link("/proc/self", buf, sizeof(buf));
    snprintf(want, sizeof(want), "%d", getpid());
    CHECK_STR(buf, want);
    read_link("/proc/thread-self", buf, sizeof(buf));
    snprintf(want, sizeof(want), "%d/task/%d", getpid(), (int)syscall(SYS_gettid));
    CHECK_STR(buf, want);
    /* Through the link: the same directory as /proc/<pid>. */
    struct stat a, b;
    char pid_dir[64];
    snprintf(pid_dir, sizeof(pid_dir), "/proc/%d", getpid());
    CHECK_OK(stat("/proc/self", &a));
    CHECK_OK(stat(pid_dir, &b));
    CHECK(S_ISDIR(a.st_mode));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_EQ(a.st_dev, b.st_dev);
    CHECK_EQ(a.st_uid, geteuid());
}

static void exe(void)
{
    char buf[4096];
    read_link("/proc/self/exe", buf, sizeof(buf));
    CHECK(buf[0] == '/');
    /* It names the running binary. */
    struct stat a, b;
    CHECK_OK(stat(buf, &a));
    CHECK_OK(stat(g_argv[0], &b));
    CHECK_EQ(a.st_ino, b.st_ino);
    CHECK_EQ(a.st_dev, b.st_dev);
}

static void cmdline_environ_comm(void)
{
    static char buf[65536];
    size_t len = read_file("/proc/self/cmdline", buf, sizeof(buf));
    size_t off = 0;
    for (int i = 0; i < g_argc; i++) {
        size_t al = strlen(g_argv[i]) + 1;
        CHECK_LE(off + al, len);
        CHECK_MEM(buf + off, g_argv[i], al);
        off += al;
    }
    CHECK_EQ(off, len);

    len = read_file("/proc/self/environ", buf, sizeof(buf));
    if (environ[0]) {
        size_t el = strlen(environ[0]) + 1;
        CHECK_GE(len, el);
        CHECK_MEM(buf, environ[0], el);
    }

    /* comm: the executable's name, cut to 15 bytes, and a newline. */
    const char *base = strrchr(g_argv[0], '/') ? strrchr(g_argv[0], '/') + 1 : g_argv[0];
    char want[32];
    snprintf(want, sizeof(want), "%.15s\n", base);
    read_file("/proc/self/comm", buf, sizeof(buf));
    CHECK_STR(buf, want);
}

static void stat_file(void)
{
    char buf[4096];
    read_file("/proc/self/stat", buf, sizeof(buf));
    int pid;
    CHECK_EQ(sscanf(buf, "%d", &pid), 1);
    CHECK_EQ(pid, getpid());
    /* comm in parentheses (it may hold spaces or parens: the last ')'). */
    char *open_paren = strchr(buf, '(');
    char *close_paren = strrchr(buf, ')');
    CHECK(open_paren && close_paren && close_paren > open_paren);
    char comm[32];
    snprintf(comm, sizeof(comm), "%.*s", (int)(close_paren - open_paren - 1), open_paren + 1);
    char want[32];
    read_file("/proc/self/comm", want, sizeof(want));
    want[strcspn(want, "\n")] = '\0';
    CHECK_STR(comm, want);
    char state;
    int ppid, pgrp, session;
    CHECK_EQ(sscanf(close_paren + 2, "%c %d %d %d", &state, &ppid, &pgrp, &session), 4);
    CHECK_EQ(state, 'R'); /* it is reading the file */
    CHECK_EQ(ppid, getppid());
    CHECK_EQ(pgrp, getpgrp());
    CHECK_EQ(session, getsid(0));
    /* 52 fields since Linux 3.5 (field 3 is the state); 20 is num_threads,
     * 23 vsize (bytes), 24 rss (pages). */
    long long f[64] = {0};
    int n = 3;
    for (char *tok = strtok(close_paren + 4, " \n"); tok && n < 63; tok = strtok(NULL, " \n"))
        f[++n] = strtoll(tok, NULL, 10);
    CHECK_GE(n, 52);
    CHECK_EQ(f[20], 1);
    CHECK_GT(f[23], 0);
    CHECK_GT(f[24], 0);
    struct stat st;
    CHECK_OK(stat("/proc/self/stat", &st));
    CHECK_EQ(st.st_size, 0);
    CHECK_EQ(st.st_mode, S_IFREG | 0444);
}

static void status_file(void)
{
    char buf[8192], v[256], want[64];
    read_file("/proc/self/status", buf, sizeof(buf));
    snprintf(want, sizeof(want), "%d", getpid());
    CHECK(field(buf, "Pid", v, sizeof(v)));
    CHECK_STR(v, want);
    CHECK(field(buf, "Tgid", v, sizeof(v)));
    CHECK_STR(v, want);
    snprintf(want, sizeof(want), "%d", getppid());
    CHECK(field(buf, "PPid", v, sizeof(v)));
    CHECK_STR(v, want);
    CHECK(field(buf, "State", v, sizeof(v)));
    CHECK_STR(v, "R (running)");
    CHECK(field(buf, "Threads", v, sizeof(v)));
    CHECK_STR(v, "1");
    CHECK(field(buf, "Uid", v, sizeof(v)));
    unsigned r, e, s, fs;
    CHECK_EQ(sscanf(v, "%u %u %u %u", &r, &e, &s, &fs), 4);
    CHECK_EQ(r, getuid());
    CHECK_EQ(e, geteuid());
    CHECK(field(buf, "VmRSS", v, sizeof(v)));
    CHECK_GT(atol(v), 0);
    CHECK(field(buf, "SigBlk", v, sizeof(v)));
    CHECK_EQ(strlen(v), 16);
    CHECK(field(buf, "CapEff", v, sizeof(v)));
    CHECK_EQ(strlen(v), 16);
    /* A blocked signal shows in SigBlk. */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    CHECK_OK(sigprocmask(SIG_BLOCK, &set, &old));
    read_file("/proc/self/status", buf, sizeof(buf));
    CHECK_OK(sigprocmask(SIG_SETMASK, &old, NULL));
    CHECK(field(buf, "SigBlk", v, sizeof(v)));
    CHECK(strtoull(v, NULL, 16) & (1ull << (SIGUSR1 - 1)));
}

static void fds(void)
{
    /* A high fd: opening the listing must not reuse its number once closed. */
    int low = (int)CHECK_OK(open("/etc/passwd", O_RDONLY));
    int fd = (int)CHECK_OK(fcntl(low, F_DUPFD_CLOEXEC, 100));
    CHECK_OK(close(low));
    char name[16];
    snprintf(name, sizeof(name), "%d", fd);
    unsigned char type = 0;
    CHECK(dir_has("/proc/self/fd", "0", NULL));
    CHECK(dir_has("/proc/self/fd", "1", NULL));
    CHECK(dir_has("/proc/self/fd", "2", NULL));
    CHECK(dir_has("/proc/self/fd", name, &type));
    CHECK_EQ(type, DT_LNK);

    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    read_link(path, buf, sizeof(buf));
    CHECK_STR(buf, "/etc/passwd");
    struct stat st;
    CHECK_OK(lstat(path, &st));
    CHECK(S_ISLNK(st.st_mode));
    CHECK_EQ(st.st_mode & 0777, 0500); /* read-only description: r-x */
    /* Following it reaches the file. */
    struct stat a, b;
    CHECK_OK(stat(path, &a));
    CHECK_OK(fstat(fd, &b));
    CHECK_EQ(a.st_ino, b.st_ino);

    /* fdinfo: position and flags (close-on-exec shows as O_CLOEXEC). */
    char c;
    CHECK_EQ(read(fd, &c, 1), 1);
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    read_file(path, buf, sizeof(buf));
    char v[64];
    CHECK(field(buf, "pos", v, sizeof(v)));
    CHECK_STR(v, "1");
    CHECK(field(buf, "flags", v, sizeof(v)));
    long flags = strtol(v, NULL, 8);
    CHECK_EQ(flags & O_ACCMODE, O_RDONLY);
    CHECK(flags & O_CLOEXEC);
    CHECK(field(buf, "mnt_id", v, sizeof(v)));

    /* Closed: gone from the listing and from lookups. */
    CHECK_OK(close(fd));
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    CHECK_ERR(readlink(path, buf, sizeof(buf)), ENOENT);
    CHECK(!dir_has("/proc/self/fd", name, NULL));
    CHECK_ERR(open("/proc/self/fd/999999", O_RDONLY), ENOENT);

    /* The fd directory is the owner's only. */
    CHECK_OK(stat("/proc/self/fd", &st));
    CHECK_EQ(st.st_mode, S_IFDIR | 0500);
}

static void cwd_root(void)
{
    char buf[4096];
    CHECK_OK(chdir("/etc"));
    read_link("/proc/self/cwd", buf, sizeof(buf));
    CHECK_STR(buf, "/etc");
    CHECK_OK(chdir("/"));
    read_link("/proc/self/cwd", buf, sizeof(buf));
    CHECK_STR(buf, "/");
    read_link("/proc/self/root", buf, sizeof(buf));
    CHECK_STR(buf, "/");
}

static void tasks(void)
{
    char tid[16];
    snprintf(tid, sizeof(tid), "%d", (int)syscall(SYS_gettid));
    CHECK(dir_has("/proc/self/task", tid, NULL));
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/self/task/%s/stat", tid);
    read_file(path, buf, sizeof(buf));
    CHECK_EQ(atoi(buf), (int)syscall(SYS_gettid));
    /* No task/ inside task/<tid>/. */
    snprintf(path, sizeof(path), "/proc/self/task/%s/task", tid);
    struct stat st;
    CHECK_ERR(stat(path, &st), ENOENT);
}

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t g_cond = PTHREAD_COND_INITIALIZER;
static int g_thread_tid;
static bool g_thread_done;

static void *thread_main(void *arg)
{
    pthread_mutex_lock(&g_lock);
    g_thread_tid = (int)syscall(SYS_gettid);
    pthread_cond_broadcast(&g_cond);
    while (!g_thread_done)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);
    return NULL;
}

static void threads(void)
{
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, thread_main, NULL), 0);
    pthread_mutex_lock(&g_lock);
    while (!g_thread_tid)
        pthread_cond_wait(&g_cond, &g_lock);
    pthread_mutex_unlock(&g_lock);

    char tid[16], path[64], buf[4096], v[64];
    snprintf(tid, sizeof(tid), "%d", g_thread_tid);
    CHECK(dir_has("/proc/self/task", tid, NULL));
    read_file("/proc/self/status", buf, sizeof(buf));
    CHECK(field(buf, "Threads", v, sizeof(v)));
    CHECK_STR(v, "2");
    /* The thread's own status: its tid as Pid, the group as Tgid. */
    snprintf(path, sizeof(path), "/proc/self/task/%s/status", tid);
    read_file(path, buf, sizeof(buf));
    CHECK(field(buf, "Pid", v, sizeof(v)));
    CHECK_STR(v, tid);
    snprintf(v, sizeof(v), "%d", getpid());
    char tgid[64];
    CHECK(field(buf, "Tgid", tgid, sizeof(tgid)));
    CHECK_STR(tgid, v);
    /* glibc names another thread by writing /proc/self/task/<tid>/comm. */
    CHECK_EQ(pthread_setname_np(th, "worker"), 0);
    snprintf(path, sizeof(path), "/proc/self/task/%s/comm", tid);
    read_file(path, buf, sizeof(buf));
    CHECK_STR(buf, "worker\n");
    char name[16];
    CHECK_EQ(pthread_getname_np(th, name, sizeof(name)), 0);
    CHECK_STR(name, "worker");

    pthread_mutex_lock(&g_lock);
    g_thread_done = true;
    pthread_cond_broadcast(&g_cond);
    pthread_mutex_unlock(&g_lock);
    CHECK_EQ(pthread_join(th, NULL), 0);
    /* Gone after the join (the kernel clears the tid before waking it). */
    snprintf(path, sizeof(path), "/proc/self/task/%s", tid);
    struct stat st;
    for (int i = 0; i < 1000 && stat(path, &st) == 0; i++)
        usleep(1000);
    CHECK_ERR(stat(path, &st), ENOENT);
}

static void mounts(void)
{
    static char buf[65536];
    read_file("/proc/self/mounts", buf, sizeof(buf));
    CHECK(strstr(buf, " /proc proc "));
    read_file("/proc/self/mountinfo", buf, sizeof(buf));
    CHECK(strstr(buf, " /proc "));
    CHECK(strstr(buf, " - proc "));
    char target[64];
    read_link("/proc/mounts", target, sizeof(target));
    CHECK_STR(target, "self/mounts");
}

static void global_files(void)
{
    static char buf[65536];
    char v[128];
    read_file("/proc/meminfo", buf, sizeof(buf));
    CHECK(field(buf, "MemTotal", v, sizeof(v)));
    CHECK_GT(atol(v), 0);
    CHECK(strstr(v, " kB"));
    CHECK(field(buf, "MemFree", v, sizeof(v)));
    CHECK(field(buf, "MemAvailable", v, sizeof(v)));
    CHECK(field(buf, "SwapTotal", v, sizeof(v)));

    read_file("/proc/uptime", buf, sizeof(buf));
    double up, idle;
    char nl;
    CHECK_EQ(sscanf(buf, "%lf %lf%c", &up, &idle, &nl), 3);
    CHECK(up >= 0 && idle >= 0);
    CHECK_EQ(nl, '\n');

    read_file("/proc/loadavg", buf, sizeof(buf));
    double l1, l5, l15;
    int running, total, last;
    CHECK_EQ(sscanf(buf, "%lf %lf %lf %d/%d %d", &l1, &l5, &l15, &running, &total, &last), 6);
    CHECK_GE(running, 1);
    CHECK_GE(total, running);
    CHECK_GE(last, 1);
    CHECK(l1 >= 0 && l5 >= 0 && l15 >= 0);

    read_file("/proc/stat", buf, sizeof(buf));
    CHECK(strncmp(buf, "cpu ", 4) == 0);
    CHECK(strstr(buf, "\ncpu0 "));
    CHECK(strstr(buf, "\nbtime "));
    CHECK(strstr(buf, "\nprocesses "));
    CHECK(strstr(buf, "\nprocs_running "));

    read_file("/proc/version", buf, sizeof(buf));
    CHECK(strncmp(buf, "Linux version ", 14) == 0);
    read_file("/proc/cpuinfo", buf, sizeof(buf));
    CHECK(strncmp(buf, "processor", 9) == 0);
    read_file("/proc/filesystems", buf, sizeof(buf));
    CHECK(strstr(buf, "\tproc\n"));

    struct utsname u;
    CHECK_OK(uname(&u));
    char want[128];
    read_file("/proc/sys/kernel/ostype", buf, sizeof(buf));
    CHECK_STR(buf, "Linux\n");
    read_file("/proc/sys/kernel/osrelease", buf, sizeof(buf));
    snprintf(want, sizeof(want), "%s\n", u.release);
    CHECK_STR(buf, want);
    read_file("/proc/sys/kernel/hostname", buf, sizeof(buf));
    snprintf(want, sizeof(want), "%s\n", u.nodename);
    CHECK_STR(buf, want);
    read_file("/proc/sys/kernel/pid_max", buf, sizeof(buf));
    CHECK_GT(atol(buf), getpid());
    read_file("/proc/sys/kernel/ngroups_max", buf, sizeof(buf));
    CHECK_EQ(atol(buf), 65536);
    read_file("/proc/sys/kernel/cap_last_cap", buf, sizeof(buf));
    CHECK_GT(atol(buf), 30);
    read_file("/proc/sys/vm/overcommit_memory", buf, sizeof(buf));
    CHECK(buf[0] >= '0' && buf[0] <= '2');
    read_file("/proc/sys/fs/pipe-max-size", buf, sizeof(buf));
    CHECK_GE(atol(buf), 4096);

    /* Snapshot semantics: reads continue where they stopped; size 0. */
    int fd = (int)CHECK_OK(open("/proc/version", O_RDONLY));
    char a[8], b[8];
    CHECK_EQ(read(fd, a, 6), 6);
    CHECK_EQ(read(fd, b, 2), 2);
    CHECK_MEM(a, "Linux ", 6);
    CHECK_MEM(b, "ve", 2);
    CHECK_EQ(lseek(fd, 0, SEEK_SET), 0);
    CHECK_EQ(pread(fd, b, 5, 0), 5);
    CHECK_MEM(b, "Linux", 5);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_size, 0);
    CHECK_ERR(write(fd, "x", 1), EBADF);
    CHECK_OK(close(fd));
    /* Read-only: root may open it for writing, but writes fail. */
    if (geteuid() == 0) {
        fd = (int)CHECK_OK(open("/proc/version", O_WRONLY));
        CHECK_ERR(write(fd, "x", 1), EIO);
        CHECK_OK(close(fd));
    } else {
        CHECK_ERR(open("/proc/version", O_WRONLY), EACCES);
    }
}

static void listing(void)
{
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", getpid());
    unsigned char type = 0;
    CHECK(dir_has("/proc", pid, &type));
    CHECK_EQ(type, DT_DIR);
    CHECK(dir_has("/proc", "self", &type));
    CHECK_EQ(type, DT_LNK);
    CHECK(dir_has("/proc", "meminfo", &type));
    CHECK_EQ(type, DT_REG);
    struct stat st;
    CHECK_OK(stat("/proc", &st));
    CHECK_EQ(st.st_mode, S_IFDIR | 0555);
}

static void missing_pids(void)
{
    struct stat st;
    /* Above pid_max: no such process can exist. */
    CHECK_ERR(stat("/proc/999999999", &st), ENOENT);
    CHECK_ERR(open("/proc/999999999/stat", O_RDONLY), ENOENT);
    CHECK_ERR(stat("/proc/0", &st), ENOENT);
    CHECK_ERR(stat("/proc/-1", &st), ENOENT);
    /* Not a canonical number. */
    char name[32];
    snprintf(name, sizeof(name), "/proc/0%d", getpid());
    CHECK_ERR(stat(name, &st), ENOENT);
    CHECK(!dir_has("/proc", "999999999", NULL));
}

static void dead_child(void)
{
    int pfd[2];
    CHECK_OK(pipe(pfd));
    pid_t child = fork();
    CHECK_OK(child);
    if (child == 0) {
        close(pfd[0]);
        _exit(0);
    }
    close(pfd[1]);
    char c;
    CHECK_EQ(read(pfd[0], &c, 1), 0); /* the child has exited */
    close(pfd[0]);
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/%d/stat", child);
    /* A zombie until waited for: state Z. The pipe closes before the child
     * is a zombie: retry briefly. */
    char state = 0;
    for (int i = 0; i < 1000 && state != 'Z'; i++) {
        read_file(path, buf, sizeof(buf));
        char *p = strrchr(buf, ')');
        CHECK(p);
        state = p[2];
        if (state != 'Z')
            usleep(1000);
    }
    CHECK_EQ(state, 'Z');
    int fd = (int)CHECK_OK(open(path, O_RDONLY));
    char dir[64];
    snprintf(dir, sizeof(dir), "/proc/%d", child);
    struct stat st;
    CHECK_OK(stat(dir, &st));

    int status;
    CHECK_EQ(waitpid(child, &status, 0), child);
    CHECK(WIFEXITED(status));
    CHECK_ERR(stat(dir, &st), ENOENT);
    CHECK_ERR(open(path, O_RDONLY), ENOENT);
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", child);
    CHECK(!dir_has("/proc", pid, NULL));
    /* (A file opened before: Linux fails its first read with ESRCH; the
     * sentry made its snapshot at open. Neither is checked.) */
    CHECK_OK(close(fd));
}

/* The maps line of the mapping at addr: its path column ("" for none). */
static bool maps_name(const char *text, void *addr, char *out, size_t size)
{
    char want[32];
    snprintf(want, sizeof(want), "%08lx-", (unsigned long)addr);
    for (const char *l = text; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
        if (strncmp(l, want, strlen(want)) != 0)
            continue;
        /* address perms offset dev inode, then the name after spaces */
        const char *p = l;
        for (int f = 0; f < 5; f++) {
            p += strcspn(p, " \n");
            while (*p == ' ')
                p++;
        }
        size_t n = strcspn(p, "\n");
        if (n >= size)
            n = size - 1;
        memcpy(out, p, n);
        out[n] = '\0';
        return true;
    }
    return false;
}

static volatile int g_stop_renames;

static void *renamer(void *arg)
{
    const char *const *paths = arg;
    for (int i = 0; !g_stop_renames; i++)
        if (rename(paths[i % 2], paths[(i + 1) % 2]) < 0)
            break;
    return NULL;
}

static void maps(void)
{
    const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char dir[256], sub[300], sub2[300], file[400], moved[400];
    snprintf(dir, sizeof(dir), "%s/proc-maps-XXXXXX", tmp);
    if (!mkdtemp(dir))
        SKIP("no writable temporary directory: %s: %s", tmp, strerror(errno));
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    snprintf(sub2, sizeof(sub2), "%s/other-directory", dir);
    snprintf(file, sizeof(file), "%s/mapped-file", sub);
    snprintf(moved, sizeof(moved), "%s/a-longer-name-after-the-rename", sub2);
    CHECK_OK(mkdir(sub, 0755));
    CHECK_OK(mkdir(sub2, 0755));
    int fd = (int)CHECK_OK(open(file, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644));
    CHECK_OK(ftruncate(fd, 4096));
    void *addr = CHECK_PTR(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0));
    CHECK_OK(close(fd));

    /* The full path from the root, not the file's name. */
    static char text[1 << 16];
    char name[512];
    read_file("/proc/self/maps", text, sizeof(text));
    if (!maps_name(text, addr, name, sizeof(name)))
        FAIL("no line for %p in /proc/self/maps", addr);
    CHECK_STR(name, file);

    /* The name now, after a rename into another directory. */
    CHECK_OK(rename(file, moved));
    read_file("/proc/self/maps", text, sizeof(text));
    CHECK(maps_name(text, addr, name, sizeof(name)));
    CHECK_STR(name, moved);

    /* Renamed back and forth while maps is read: always one of the two. */
    const char *paths[2] = {moved, file};
    pthread_t th;
    g_stop_renames = 0;
    CHECK_EQ(pthread_create(&th, NULL, renamer, (void *)paths), 0);
    for (int i = 0; i < 200; i++) {
        read_file("/proc/self/maps", text, sizeof(text));
        CHECK(maps_name(text, addr, name, sizeof(name)));
        if (strcmp(name, moved) != 0 && strcmp(name, file) != 0)
            FAIL("maps names %s", name);
    }
    g_stop_renames = 1;
    CHECK_EQ(pthread_join(th, NULL), 0);

    /* The running binary: the path /proc/self/exe names. */
    char exe_path[4096];
    read_link("/proc/self/exe", exe_path, sizeof(exe_path));
    CHECK(strstr(text, exe_path) != NULL);

    CHECK_OK(munmap(addr, 4096));
    if (unlink(moved) < 0)
        CHECK_OK(unlink(file));
    CHECK_OK(rmdir(sub));
    CHECK_OK(rmdir(sub2));
    CHECK_OK(rmdir(dir));
}

int main(int argc, char **argv)
{
    g_argc = argc;
    g_argv = argv;
    RUN(self_links);
    RUN(exe);
    RUN(cmdline_environ_comm);
    RUN(stat_file);
    RUN(status_file);
    RUN(fds);
    RUN(cwd_root);
    RUN(tasks);
    RUN(threads);
    RUN(mounts);
    RUN(maps);
    RUN(global_files);
    RUN(listing);
    RUN(missing_pids);
    RUN(dead_child);
    return 0;
}

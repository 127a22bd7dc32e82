/* Credentials: the setuid family with Linux's capability fix-ups,
 * setgroups, setfsuid, capget/capset, the capability prctls (bounding set,
 * keepcaps, securebits, ambient), permission checks by supplementary group
 * and by CAP_DAC_*, access() with the real ids, kill permission, and the
 * execve transition (set-user-ID files, root's capabilities, AT_SECURE,
 * no_new_privs). Runs as root (skips otherwise); each part runs in a child
 * that drops what it needs. Works in a fresh directory below /tmp. */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/auxv.h>
#include <sys/fsuid.h>
#include <sys/prctl.h>
#include <sys/statvfs.h>
#include <sys/wait.h>

static char g_dir[64];
static char g_self[PATH_MAX]; /* a copy of this program, for the exec parts */

struct caps {
    uint64_t eff, prm, inh;
};

static struct caps caps_get(pid_t pid)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, pid};
    struct __user_cap_data_struct d[2];
    CHECK_OK(syscall(SYS_capget, &h, d));
    struct caps c = {d[0].effective | (uint64_t)d[1].effective << 32,
                     d[0].permitted | (uint64_t)d[1].permitted << 32,
                     d[0].inheritable | (uint64_t)d[1].inheritable << 32};
    return c;
}

static long caps_set(uint64_t eff, uint64_t prm, uint64_t inh)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2] = {
        {(uint32_t)eff, (uint32_t)prm, (uint32_t)inh},
        {(uint32_t)(eff >> 32), (uint32_t)(prm >> 32), (uint32_t)(inh >> 32)},
    };
    return syscall(SYS_capset, &h, d);
}

#define BIT(c) (1ull << (c))

static uint64_t bounding(void)
{
    uint64_t b = 0;
    for (int c = 0; c < 64; c++) {
        int r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);
        if (r < 0)
            break;
        if (r)
            b |= BIT(c);
    }
    return b;
}

static void ids(uid_t r, uid_t e, uid_t s)
{
    uid_t a, b, c;
    CHECK_OK(getresuid(&a, &b, &c));
    CHECK_EQ(a, r);
    CHECK_EQ(b, e);
    CHECK_EQ(c, s);
}

/* Runs fn in a child; fails if the child fails. */
#define in_child(fn)                                                                               \
    do {                                                                                           \
        check_part_ = #fn;                                                                         \
        run_child(fn);                                                                             \
    } while (0)

static void run_child(void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        fn();
        exit(0);
    }
    check_reap(pid);
}

static const char *P(const char *name)
{
    static char buf[4][PATH_MAX];
    static int next;
    char *b = buf[next++ % 4];
    if (strlen(g_dir) + strlen(name) + 2 > PATH_MAX)
        FAIL("path too long");
    strcpy(b, g_dir);
    strcat(b, "/");
    strcat(b, name);
    return b;
}

static pid_t g_owner;

static void rm_dir(void)
{
    if (getpid() != g_owner)
        return;
    unlink(P("pub/fsfile"));
    rmdir(P("pub"));
    DIR *d = opendir(g_dir);
    if (d) {
        struct dirent *e;
        while ((e = readdir(d)))
            if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
                unlink(P(e->d_name));
        closedir(d);
    }
    rmdir(g_dir);
}

/* ---- capget / capset ----------------------------------------------------- */

static void capget_versions(void)
{
    struct __user_cap_header_struct h = {0x12345678, 0};
    struct __user_cap_data_struct d[2];
    CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
    CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
    h.version = 0x12345678;
    CHECK_OK(syscall(SYS_capget, &h, NULL)); /* a version probe */
    CHECK_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = -1;
    CHECK_ERR(syscall(SYS_capget, &h, d), EINVAL);
    h.pid = 0;
    CHECK_ERR(syscall(SYS_capget, &h, BAD_PTR), EFAULT);
    /* Version 1 moves one 32-bit word per set. */
    struct __user_cap_data_struct one[2];
    memset(one, 0xaa, sizeof(one));
    h.version = _LINUX_CAPABILITY_VERSION_1;
    CHECK_OK(syscall(SYS_capget, &h, one));
    CHECK_EQ(one[1].effective, 0xaaaaaaaau);
    struct caps c = caps_get(0);
    CHECK_EQ(one[0].effective, (uint32_t)c.eff);
    /* Another thread's (here: our parent's) sets; a missing task is ESRCH. */
    struct caps pc = caps_get(getppid());
    CHECK_EQ(pc.prm, c.prm);
    h.version = _LINUX_CAPABILITY_VERSION_3;
    h.pid = 0x3fffffff;
    CHECK_ERR(syscall(SYS_capget, &h, d), ESRCH);
}

static void capset_rules(void)
{
    struct caps c = caps_get(0);
    CHECK(c.eff & BIT(CAP_SETUID));
    /* Another process: EPERM. */
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, getppid()};
    struct __user_cap_data_struct d[2] = {{0}};
    CHECK_ERR(syscall(SYS_capset, &h, d), EPERM);
    /* Effective must be within permitted. */
    CHECK_ERR(caps_set(BIT(CAP_KILL), 0, 0), EPERM);
    /* Dropping works; the dropped ones cannot come back. */
    CHECK_OK(caps_set(BIT(CAP_KILL), BIT(CAP_KILL) | BIT(CAP_CHOWN), 0));
    c = caps_get(0);
    CHECK_EQ(c.eff, BIT(CAP_KILL));
    CHECK_EQ(c.prm, BIT(CAP_KILL) | BIT(CAP_CHOWN));
    CHECK_ERR(caps_set(BIT(CAP_KILL), BIT(CAP_KILL) | BIT(CAP_SETUID), 0), EPERM);
    /* Without CAP_SETPCAP, inheritable only within inheritable|permitted. */
    CHECK_ERR(caps_set(0, BIT(CAP_KILL), BIT(CAP_SETUID)), EPERM);
    CHECK_OK(caps_set(0, BIT(CAP_KILL), BIT(CAP_KILL)));
    CHECK_EQ(caps_get(0).inh, BIT(CAP_KILL));
    /* No CAP_SETUID: setuid to a stranger fails. */
    CHECK_ERR(setuid(1234), EPERM);
}

/* ---- the capability prctls ---------------------------------------------------- */

static void prctl_caps(void)
{
    CHECK_ERR(prctl(PR_CAPBSET_READ, 1000, 0, 0, 0), EINVAL);
    CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 1);
    CHECK_OK(prctl(PR_CAPBSET_DROP, CAP_CHOWN, 0, 0, 0));
    CHECK_EQ(prctl(PR_CAPBSET_READ, CAP_CHOWN, 0, 0, 0), 0);
    CHECK_ERR(prctl(PR_CAPBSET_DROP, 1000, 0, 0, 0), EINVAL);

    CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
    CHECK_ERR(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
    CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
    CHECK_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 1 << 4); /* SECBIT_KEEP_CAPS */
    /* Lock keepcaps off: it cannot be set again. */
    CHECK_OK(prctl(PR_SET_SECUREBITS, 1 << 5, 0, 0, 0));
    CHECK_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
    CHECK_ERR(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0), EPERM);
    CHECK_ERR(prctl(PR_SET_SECUREBITS, 1 << 4 | 1 << 5, 0, 0, 0), EPERM);
    CHECK_ERR(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), EPERM); /* a lock stays */

    /* Ambient: only what is permitted and inheritable. */
    CHECK_ERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0), EPERM);
    CHECK_ERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 1000, 0, 0), EINVAL);
    CHECK_ERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL);
    CHECK_ERR(prctl(PR_CAP_AMBIENT, 99, CAP_KILL, 0, 0), EINVAL);
    struct caps c = caps_get(0);
    CHECK_OK(caps_set(c.eff, c.prm, BIT(CAP_KILL) | BIT(CAP_SETUID)));
    CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_SETUID, 0, 0));
    CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 1);
    CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_KILL, 0, 0));
    CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 0);
    /* Dropping it from inheritable drops it from ambient. */
    CHECK_OK(caps_set(c.eff, c.prm, 0));
    CHECK_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_SETUID, 0, 0), 0);
    CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    /* Without CAP_SETPCAP the bounding set cannot shrink. */
    CHECK_OK(caps_set(c.eff & ~BIT(CAP_SETPCAP), c.prm, 0));
    CHECK_ERR(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0), EPERM);
    CHECK_ERR(prctl(PR_SET_SECUREBITS, 1 << 5, 0, 0, 0), EPERM);
}

/* ---- the setuid family ----------------------------------------------------- */

static void setuid_drops_caps(void)
{
    CHECK_ERR(setuid(-1), EINVAL);
    CHECK_OK(setuid(1000));
    ids(1000, 1000, 1000);
    struct caps c = caps_get(0);
    CHECK_EQ(c.eff, 0);
    CHECK_EQ(c.prm, 0);
    CHECK_ERR(setuid(0), EPERM);
    CHECK_ERR(setresuid(0, -1, -1), EPERM);
    CHECK_ERR(setreuid(-1, 0), EPERM);
    CHECK_OK(setreuid(-1, 1000));
    CHECK_ERR(setgroups(0, NULL), EPERM);
    CHECK_ERR(setgid(1234), EPERM);
}

static void saved_uid_keeps_root(void)
{
    struct caps before = caps_get(0);
    CHECK_OK(setresuid(1000, 1000, 0));
    ids(1000, 1000, 0);
    struct caps c = caps_get(0);
    CHECK_EQ(c.eff, 0);          /* euid left 0 */
    CHECK_EQ(c.prm, before.prm); /* a root id remains */
    CHECK_ERR(setuid(1234), EPERM);
    CHECK_OK(setresuid(-1, 0, -1)); /* back through the saved uid */
    ids(1000, 0, 0);
    CHECK_EQ(caps_get(0).eff, before.prm);
    /* setreuid: a new ruid sets suid to the new euid. */
    CHECK_OK(setreuid(2000, 3000));
    ids(2000, 3000, 3000);
    CHECK_EQ(caps_get(0).prm, 0);
    CHECK_OK(setreuid(3000, 2000)); /* swap: both are ours */
    ids(3000, 2000, 2000);
}

static void keepcaps(void)
{
    struct caps before = caps_get(0);
    CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    CHECK_OK(setresuid(1000, 1000, 1000));
    struct caps c = caps_get(0);
    CHECK_EQ(c.prm, before.prm);
    CHECK_EQ(c.eff, 0);
    CHECK_OK(caps_set(BIT(CAP_SETUID), c.prm, 0));
    CHECK_OK(setuid(0)); /* CAP_SETUID is enough */
    ids(0, 0, 0);
    CHECK_EQ(caps_get(0).eff, before.prm);
}

static void fsuid(void)
{
    struct caps before = caps_get(0);
    CHECK_EQ(setfsuid(1000), 0);
    CHECK_EQ(setfsuid(-1), 1000); /* a query */
    struct caps c = caps_get(0);
    CHECK_EQ(c.eff & BIT(CAP_CHOWN), 0);
    CHECK_EQ(c.eff & BIT(CAP_DAC_OVERRIDE), 0);
    CHECK(c.eff & BIT(CAP_KILL));
    CHECK_EQ(setfsuid(0), 1000);
    CHECK_EQ(caps_get(0).eff, before.eff);
    CHECK_EQ(setfsgid(55), 0);
    CHECK_EQ(setfsgid(-1), 55);
    /* Files created now belong to the fs ids. */
    CHECK_OK(setfsuid(1000));
    int fd = CHECK_OK(open(P("pub/fsfile"), O_CREAT | O_EXCL | O_WRONLY, 0600));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_uid, 1000);
    CHECK_EQ(st.st_gid, 55);
    close(fd);
    /* An unprivileged caller cannot pick a stranger. */
    CHECK_OK(setresuid(1000, 1000, 1000));
    CHECK_EQ(setfsuid(4321), 1000);
    CHECK_EQ(setfsuid(-1), 1000);
}

static void gids(void)
{
    gid_t list[3] = {30, 10, 20};
    CHECK_OK(setgroups(3, list));
    gid_t got[4];
    CHECK_EQ(getgroups(4, got), 3);
    CHECK_EQ(got[0], 10); /* sorted, as Linux keeps them */
    CHECK_EQ(got[1], 20);
    CHECK_EQ(got[2], 30);
    CHECK_ERR(syscall(SYS_setgroups, 70000, list), EINVAL);
    CHECK_ERR(syscall(SYS_setgroups, 1, BAD_PTR), EFAULT);
    CHECK_OK(setresgid(100, 200, 300));
    gid_t a, b, c;
    CHECK_OK(getresgid(&a, &b, &c));
    CHECK_EQ(a, 100);
    CHECK_EQ(b, 200);
    CHECK_EQ(c, 300);
    CHECK_OK(setresuid(1000, 1000, 1000));
    CHECK_ERR(setgid(400), EPERM);
    CHECK_OK(setgid(300)); /* the saved gid */
    CHECK_OK(getresgid(&a, &b, &c));
    CHECK_EQ(a, 100);
    CHECK_EQ(b, 300);
    CHECK_EQ(c, 300);
    CHECK_OK(setregid(300, 100));
    CHECK_OK(getresgid(&a, &b, &c));
    CHECK_EQ(a, 300);
    CHECK_EQ(b, 100);
    CHECK_EQ(c, 100);
}

/* ---- permission checks --------------------------------------------------------- */

static void supplementary_group(void)
{
    gid_t g = 2000;
    CHECK_OK(setgroups(1, &g));
    CHECK_OK(setresgid(1000, 1000, 1000));
    CHECK_OK(setresuid(1000, 1000, 1000));
    int fd = CHECK_OK(open(P("group"), O_RDONLY));
    close(fd);
    CHECK_ERR(open(P("group"), O_WRONLY), EACCES);
    CHECK_ERR(open(P("secret"), O_RDONLY), EACCES);
}

static void dac_caps(void)
{
    struct caps c = caps_get(0);
    /* Without CAP_DAC_OVERRIDE but with CAP_DAC_READ_SEARCH: read, no write. */
    CHECK_OK(setresuid(1000, 1000, 0)); /* no root ids but saved: caps stay */
    uint64_t keep = BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_SETUID);
    CHECK_OK(caps_set(keep, c.prm, 0));
    int fd = CHECK_OK(open(P("secret"), O_RDONLY));
    close(fd);
    CHECK_ERR(open(P("secret"), O_WRONLY), EACCES);
    /* With CAP_DAC_OVERRIDE: write as well. */
    CHECK_OK(caps_set(keep | BIT(CAP_DAC_OVERRIDE), c.prm, 0));
    fd = CHECK_OK(open(P("secret"), O_WRONLY));
    close(fd);
    /* But not execute a file without any x bit. */
    CHECK_ERR(faccessat(AT_FDCWD, P("secret"), X_OK, AT_EACCESS), EACCES);
}

static void access_real_ids(void)
{
    /* euid 0 with its capabilities, real uid 1000: access() says no where
     * open() says yes. */
    CHECK_OK(setresuid(1000, 0, 0));
    int fd = CHECK_OK(open(P("secret"), O_RDONLY));
    close(fd);
    CHECK_ERR(access(P("secret"), R_OK), EACCES);
    CHECK_OK(faccessat(AT_FDCWD, P("secret"), R_OK, AT_EACCESS));
}

static void kill_permission(void)
{
    int pfd[2];
    CHECK_OK(pipe(pfd));
    pid_t victim = CHECK_OK(fork());
    if (victim == 0) {
        close(pfd[0]);
        if (setresuid(2000, 2000, 2000) < 0)
            _exit(2);
        close(pfd[1]);
        pause();
        _exit(0);
    }
    close(pfd[1]);
    char b;
    CHECK_EQ(read(pfd[0], &b, 1), 0); /* the victim has dropped */
    close(pfd[0]);
    fflush(NULL);
    pid_t killer = CHECK_OK(fork());
    if (killer == 0) {
        if (setresuid(1000, 1000, 1000) < 0)
            _exit(2);
        if (kill(victim, 0) == 0 || errno != EPERM)
            _exit(3);
        if (kill(getpid(), 0) < 0)
            _exit(4);
        _exit(0);
    }
    int status;
    check_reap(killer);
    /* Same real uid: allowed. */
    killer = CHECK_OK(fork());
    if (killer == 0) {
        if (setresuid(2000, 2000, 2000) < 0)
            _exit(2);
        _exit(kill(victim, SIGKILL) == 0 ? 0 : 3);
    }
    check_reap(killer);
    CHECK_OK(waitpid(victim, &status, 0));
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
}

/* ---- execve ------------------------------------------------------------------- */

struct probe {
    uid_t r, e, s;
    gid_t gr, ge;
    unsigned long secure;
    struct caps c;
};

/* Execs g_self "probe" and reads what it reports. */
static struct probe run_probe(void)
{
    int pfd[2];
    CHECK_OK(pipe(pfd));
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        dup2(pfd[1], 1);
        char *argv[] = {g_self, "probe", NULL};
        execv(g_self, argv);
        _exit(127);
    }
    close(pfd[1]);
    struct probe p;
    size_t got = 0;
    while (got < sizeof(p)) {
        ssize_t n = read(pfd[0], (char *)&p + got, sizeof(p) - got);
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(pfd[0]);
    check_reap(pid);
    CHECK_EQ(got, sizeof(p));
    return p;
}

static int probe_main(void)
{
    struct probe p;
    if (getresuid(&p.r, &p.e, &p.s) < 0)
        return 1;
    gid_t s;
    if (getresgid(&p.gr, &p.ge, &s) < 0)
        return 1;
    p.secure = getauxval(AT_SECURE);
    p.c = caps_get(0);
    return write(1, &p, sizeof(p)) == sizeof(p) ? 0 : 1;
}

static void exec_root_gets_bounding(void)
{
    uint64_t b = bounding();
    /* Root that dropped its permitted set gets the bounding set back. */
    CHECK_OK(caps_set(BIT(CAP_KILL), BIT(CAP_KILL), 0));
    struct probe p = run_probe();
    CHECK_EQ(p.e, 0);
    CHECK_EQ(p.c.prm, b);
    CHECK_EQ(p.c.eff, b);
    CHECK_EQ(p.secure, 0);
    /* ... unless no_new_privs is set. */
    CHECK_OK(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    p = run_probe();
    CHECK_EQ(p.c.prm, BIT(CAP_KILL));
    CHECK_EQ(p.c.eff, BIT(CAP_KILL));
}

static void exec_unprivileged(void)
{
    CHECK_OK(chmod(g_self, 0755));
    CHECK_OK(setresuid(1000, 1000, 1000));
    struct probe p = run_probe();
    CHECK_EQ(p.r, 1000);
    CHECK_EQ(p.e, 1000);
    CHECK_EQ(p.c.prm, 0);
    CHECK_EQ(p.c.eff, 0);
    CHECK_EQ(p.secure, 0);
}

static void exec_ambient(void)
{
    struct caps c = caps_get(0);
    CHECK_OK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
    CHECK_OK(setresuid(1000, 1000, 1000));
    CHECK_OK(caps_set(0, c.prm, BIT(CAP_KILL)));
    CHECK_OK(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
    struct probe p = run_probe();
    CHECK_EQ(p.e, 1000);
    CHECK_EQ(p.c.prm, BIT(CAP_KILL));
    CHECK_EQ(p.c.eff, BIT(CAP_KILL));
    CHECK_EQ(p.c.inh, BIT(CAP_KILL));
    CHECK_EQ(p.secure, 0);
}

static void exec_setuid_file(void)
{
    uint64_t b = bounding();
    struct statvfs sv;
    CHECK_OK(statvfs(g_dir, &sv));
    bool nosuid = (sv.f_flag & ST_NOSUID) != 0;
    CHECK_OK(chown(g_self, 0, 0));
    CHECK_OK(chmod(g_self, 04755));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
            _exit(2);
        struct probe p = run_probe();
        if (nosuid) /* the bit is ignored */
            _exit(p.e == 1000 && p.c.prm == 0 && p.secure == 0 ? 0 : 6);
        if (p.r != 1000 || p.e != 0 || p.s != 0 || p.secure != 1 || p.c.prm != b || p.c.eff != b) {
            fprintf(stderr, "setuid: r %u e %u s %u secure %lu prm %#llx eff %#llx\n", p.r, p.e,
                    p.s, p.secure, (unsigned long long)p.c.prm, (unsigned long long)p.c.eff);
            _exit(3);
        }
        /* With no_new_privs the bit is ignored. */
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
            _exit(4);
        p = run_probe();
        if (p.e != 1000 || p.c.prm != 0 || p.secure != 0)
            _exit(5);
        _exit(0);
    }
    check_reap(pid);
    /* Set-group-ID (with group execute): egid changes, AT_SECURE. */
    CHECK_OK(chown(g_self, 0, 77));
    CHECK_OK(chmod(g_self, 02755));
    pid = CHECK_OK(fork());
    if (pid == 0) {
        if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
            _exit(2);
        struct probe p = run_probe();
        if (nosuid)
            _exit(p.ge == 1000 && p.secure == 0 ? 0 : 6);
        _exit(p.e == 1000 && p.gr == 1000 && p.ge == 77 && p.secure == 1 ? 0 : 3);
    }
    check_reap(pid);
    CHECK_OK(chmod(g_self, 0755));
}

/* ---- set-up ----------------------------------------------------------------------- */

static void copy_self(void)
{
    int in = open("/proc/self/exe", O_RDONLY);
    CHECK(in >= 0);
    strcpy(g_self, P("self"));
    int out = CHECK_OK(open(g_self, O_CREAT | O_EXCL | O_WRONLY, 0755));
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        CHECK_EQ(write(out, buf, (size_t)n), n);
    CHECK_EQ(n, 0);
    close(in);
    close(out);
}

static void make_files(void)
{
    int fd = CHECK_OK(open(P("secret"), O_CREAT | O_EXCL | O_WRONLY, 0600));
    close(fd);
    fd = CHECK_OK(open(P("group"), O_CREAT | O_EXCL | O_WRONLY, 0640));
    close(fd);
    CHECK_OK(chown(P("group"), 0, 2000));
    CHECK_OK(mkdir(P("pub"), 0777));
    CHECK_OK(chmod(P("pub"), 0777));
    CHECK_OK(chmod(g_dir, 0755));
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "probe") == 0)
        return probe_main();
    if (getuid() != 0 || geteuid() != 0)
        SKIP("needs root");
    struct caps c = caps_get(0);
    uint64_t need = BIT(CAP_SETUID) | BIT(CAP_SETGID) | BIT(CAP_SETPCAP) | BIT(CAP_CHOWN) |
                    BIT(CAP_DAC_OVERRIDE) | BIT(CAP_DAC_READ_SEARCH) | BIT(CAP_FOWNER) |
                    BIT(CAP_KILL);
    if ((c.eff & need) != need)
        SKIP("needs the capabilities of root");
    snprintf(g_dir, sizeof(g_dir), "/tmp/creds.XXXXXX");
    if (!mkdtemp(g_dir)) {
        if (errno == EROFS || errno == EACCES)
            SKIP("/tmp is not writable");
        FAIL("mkdtemp: %s", strerror(errno));
    }
    g_owner = getpid();
    atexit(rm_dir);
    make_files();
    copy_self();

    in_child(capget_versions);
    in_child(capset_rules);
    in_child(prctl_caps);
    in_child(setuid_drops_caps);
    in_child(saved_uid_keeps_root);
    in_child(keepcaps);
    in_child(fsuid);
    in_child(gids);
    in_child(supplementary_group);
    in_child(dac_caps);
    in_child(access_real_ids);
    in_child(kill_permission);
    in_child(exec_root_gets_bounding);
    in_child(exec_unprivileged);
    in_child(exec_ambient);
    in_child(exec_setuid_file);
    return 0;
}

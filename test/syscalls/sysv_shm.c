/* System V shared memory: shmget (keys, IPC_CREAT/IPC_EXCL, size rules),
 * shmat (addresses, SHM_RND, SHM_RDONLY, SHM_REMAP), shmdt, shmctl
 * (IPC_STAT/SHM_STAT/SHM_STAT_ANY, IPC_SET, IPC_RMID and SHM_DEST,
 * IPC_INFO/SHM_INFO, SHM_LOCK), sharing across fork, permissions as an
 * unprivileged uid, /proc/sysvipc/shm. Natively the objects live in the
 * host's IPC namespace: every segment is IPC_PRIVATE or keyed by the pid,
 * and removed at exit even when a check fails. */
#include "check.h"

#include <grp.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15
#endif

static pid_t g_owner;
static int g_ids[64];
static int g_nids;

static void cleanup(void)
{
    if (getpid() != g_owner)
        return;
    for (int i = 0; i < g_nids; i++)
        if (g_ids[i] >= 0)
            shmctl(g_ids[i], IPC_RMID, NULL);
}

/* shmget that records the new id for cleanup. */
static int get(key_t key, size_t size, int flags)
{
    int id = shmget(key, size, flags);
    if (id >= 0 && g_nids < 64)
        g_ids[g_nids++] = id;
    return id;
}

static void rm(int id)
{
    CHECK_OK(shmctl(id, IPC_RMID, NULL));
}

static key_t pid_key(int n)
{
    return (key_t)(0x5e000000 | ((getpid() & 0xffff) << 8) | n);
}

static void errors_get(void)
{
    key_t k = pid_key(1);
    CHECK_ERR(shmget(k, 4096, 0600), ENOENT);
    CHECK_ERR(shmget(IPC_PRIVATE, 0, IPC_CREAT | 0600), EINVAL);
    CHECK_ERR(syscall(SYS_shmget, IPC_PRIVATE, (size_t)-1, IPC_CREAT | 0600), EINVAL);
    int id = CHECK_OK(get(k, 8192, IPC_CREAT | IPC_EXCL | 0600));
    CHECK_ERR(shmget(k, 8192, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_EQ(CHECK_OK(shmget(k, 8192, IPC_CREAT | 0600)), id);
    CHECK_EQ(CHECK_OK(shmget(k, 100, 0)), id);
    CHECK_EQ(CHECK_OK(shmget(k, 0, 0)), id); /* size 0 is fine for an existing key */
    CHECK_ERR(shmget(k, 8193, 0600), EINVAL);
    /* IPC_PRIVATE always makes a new one. */
    int p1 = CHECK_OK(get(IPC_PRIVATE, 4096, 0600));
    int p2 = CHECK_OK(get(IPC_PRIVATE, 4096, 0600));
    CHECK_NE(p1, p2);
    struct shmid_ds ds;
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.shm_perm.__key, k);
    CHECK_EQ(ds.shm_perm.mode, 0600);
    CHECK_EQ(ds.shm_segsz, 8192);
    CHECK_EQ(ds.shm_nattch, 0);
    CHECK_EQ(ds.shm_cpid, getpid());
    CHECK_EQ(ds.shm_perm.uid, geteuid());
    CHECK_EQ(ds.shm_perm.cuid, geteuid());
    CHECK_EQ(ds.shm_atime, 0);
    CHECK(ds.shm_ctime > 0);
    rm(id);
    rm(p1);
    rm(p2);
    CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL);
    CHECK_ERR(shmctl(id, IPC_RMID, NULL), EINVAL);
    CHECK_ERR(shmctl(-1, IPC_STAT, &ds), EINVAL);
    CHECK_ERR(shmctl(p1, 12345, &ds), EINVAL);
}

static void attach(void)
{
    long pg = check_page_size();
    int id = CHECK_OK(get(IPC_PRIVATE, 3 * pg + 10, 0600));
    char *a = CHECK_PTR(shmat(id, NULL, 0));
    char *b = CHECK_PTR(shmat(id, NULL, 0));
    CHECK(a != b);
    CHECK_EQ(a[0], 0);
    strcpy(a + 3 * pg, "tail");
    CHECK_STR(b + 3 * pg, "tail");
    b[5] = 'x';
    CHECK_EQ(a[5], 'x');
    struct shmid_ds ds;
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.shm_nattch, 2);
    CHECK_EQ(ds.shm_lpid, getpid());
    CHECK(ds.shm_atime > 0);
    /* Detach errors: not an attach point. */
    CHECK_ERR(shmdt(a + 1), EINVAL);
    CHECK_ERR(shmdt(a + pg), EINVAL);
    CHECK_ERR(shmdt((void *)pg), EINVAL);
    CHECK_OK(shmdt(b));
    CHECK_ERR(shmdt(b), EINVAL);
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.shm_nattch, 1);
    CHECK(ds.shm_dtime > 0);
    /* Read-only attach. */
    char *r = CHECK_PTR(shmat(id, NULL, SHM_RDONLY));
    CHECK_EQ(r[5], 'x');
    CHECK_ERR(mprotect(r, pg, PROT_READ | PROT_WRITE), EACCES);
    CHECK_OK(shmdt(r));
    /* Addresses: unaligned without SHM_RND, SHM_RND rounds down, SHM_REMAP. */
    char *want = a + 16 * pg; /* likely free: try a fresh area */
    char *area = CHECK_PTR(mmap(NULL, 8 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHECK_OK(munmap(area, 8 * pg));
    want = area;
    CHECK_ERR(shmat(id, want + 1, 0), EINVAL);
    char *c = CHECK_PTR(shmat(id, want + 1, SHM_RND));
    CHECK(c == want);
    CHECK_EQ(c[5], 'x');
    /* Overlapping an existing mapping: EINVAL without SHM_REMAP. */
    CHECK_ERR(shmat(id, c, 0), EINVAL);
    char *d = CHECK_PTR(shmat(id, c, SHM_REMAP));
    CHECK(d == c);
    CHECK_ERR(shmat(id, NULL, SHM_REMAP), EINVAL);
    CHECK_OK(shmdt(d));
    /* Detaching through a split attach removes every piece. */
    CHECK_OK(mprotect(a + pg, pg, PROT_READ));
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.shm_nattch, 3); /* Linux counts VMAs */
    CHECK_OK(shmdt(a));
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.shm_nattch, 0);
    unsigned char v;
    CHECK_ERR(mincore(a + 2 * pg, pg, &v), ENOMEM);
    CHECK_ERR(shmat(-1, NULL, 0), EINVAL);
    rm(id);
    CHECK_ERR(shmat(id, NULL, 0), EINVAL);
}

static void rmid(void)
{
    key_t k = pid_key(2);
    int id = CHECK_OK(get(k, 4096, IPC_CREAT | IPC_EXCL | 0600));
    char *a = CHECK_PTR(shmat(id, NULL, 0));
    a[0] = 42;
    rm(id);
    /* Still there while attached: SHM_DEST, key IPC_PRIVATE. */
    struct shmid_ds ds;
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(ds.shm_perm.mode & SHM_DEST);
    CHECK_EQ(ds.shm_perm.__key, IPC_PRIVATE);
    CHECK_EQ(ds.shm_nattch, 1);
    CHECK_ERR(shmget(k, 4096, 0600), ENOENT);
    /* The same key can name a new segment meanwhile. */
    int id2 = CHECK_OK(get(k, 4096, IPC_CREAT | IPC_EXCL | 0600));
    CHECK_NE(id2, id);
    rm(id2);
    /* Attaching by id still works (Linux allows it). */
    char *b = CHECK_PTR(shmat(id, NULL, 0));
    CHECK_EQ(b[0], 42);
    CHECK_OK(shmdt(b));
    CHECK_EQ(a[0], 42);
    CHECK_OK(shmdt(a));
    CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL);
}

static void fork_share(void)
{
    int id = CHECK_OK(get(IPC_PRIVATE, 4096, 0600));
    volatile int *p = CHECK_PTR(shmat(id, NULL, 0));
    rm(id); /* destroyed when both processes are done with it */
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        struct shmid_ds ds;
        if (shmctl(id, IPC_STAT, &ds) < 0 || ds.shm_nattch != 2)
            _exit(2);
        p[0] = 1234;
        while (p[1] != 5678)
            usleep(1000);
        _exit(0); /* exit detaches */
    }
    while (p[0] != 1234)
        usleep(1000);
    p[1] = 5678;
    check_reap(c);
    struct shmid_ds ds;
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.shm_nattch, 1);
    CHECK_EQ(ds.shm_lpid, c);
    CHECK_OK(shmdt((void *)p));
    CHECK_ERR(shmctl(id, IPC_STAT, &ds), EINVAL);
}

/* exec drops the old address space: its attaches go with it. */
static void exec_detaches(void)
{
    if (access("/bin/cat", X_OK) < 0)
        SKIP("no /bin/cat");
    int id = CHECK_OK(get(IPC_PRIVATE, 4096, 0600));
    int p[2];
    CHECK_OK(pipe(p));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        if (shmat(id, NULL, 0) == (void *)-1)
            _exit(2);
        dup2(p[0], 0);
        close(p[0]);
        close(p[1]);
        execl("/bin/cat", "cat", (char *)NULL);
        _exit(3);
    }
    close(p[0]);
    /* Detached by the exec, while cat still waits for input. */
    struct shmid_ds ds;
    for (int i = 0; i < 2000; i++) {
        CHECK_OK(shmctl(id, IPC_STAT, &ds));
        if (ds.shm_nattch == 0 && ds.shm_lpid == c)
            break;
        check_sleep_ms(1);
    }
    CHECK_EQ(ds.shm_nattch, 0);
    CHECK_EQ(ds.shm_lpid, c);
    CHECK_OK(close(p[1]));
    check_reap(c);
    rm(id);
}

static void set_and_stat(void)
{
    int id = CHECK_OK(get(IPC_PRIVATE, 4096, 0640));
    struct shmid_ds ds;
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    ds.shm_perm.uid = 1000;
    ds.shm_perm.gid = 1001;
    ds.shm_perm.mode = 0604 | 0170000;
    CHECK_OK(shmctl(id, IPC_SET, &ds));
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.shm_perm.uid, 1000);
    CHECK_EQ(ds.shm_perm.gid, 1001);
    CHECK_EQ(ds.shm_perm.cuid, geteuid());
    CHECK_EQ(ds.shm_perm.mode, 0604);
    CHECK_ERR(shmctl(id, IPC_SET, BAD_PTR), EFAULT);
    CHECK_ERR(shmctl(id, IPC_STAT, BAD_PTR), EFAULT);
    /* SHM_STAT takes an index and returns the id. */
    struct shminfo info;
    int maxidx = CHECK_OK(shmctl(0, IPC_INFO, (struct shmid_ds *)&info));
    CHECK(info.shmmni >= 4096);
    CHECK_EQ(info.shmmin, 1);
    CHECK(info.shmmax > 1ull << 32);
    int found = 0;
    for (int i = 0; i <= maxidx; i++) {
        struct shmid_ds s2;
        int r = shmctl(i, SHM_STAT_ANY, &s2);
        if (r == id) {
            found = 1;
            CHECK_EQ(shmctl(i, SHM_STAT, &s2), id);
            CHECK_EQ(s2.shm_perm.uid, 1000);
        }
    }
    CHECK(found);
    struct shm_info si;
    CHECK_OK(shmctl(0, SHM_INFO, (struct shmid_ds *)&si));
    CHECK_GE(si.used_ids, 1);
    CHECK_GE(si.shm_tot, 1);
    /* SHM_LOCK/SHM_UNLOCK as root: the SHM_LOCKED bit. */
    CHECK_OK(shmctl(id, SHM_LOCK, NULL));
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(ds.shm_perm.mode & SHM_LOCKED);
    CHECK_OK(shmctl(id, SHM_UNLOCK, NULL));
    CHECK_OK(shmctl(id, IPC_STAT, &ds));
    CHECK(!(ds.shm_perm.mode & SHM_LOCKED));
    rm(id);
}

/* In a child with uid/gid 1000 and no capabilities. */
static int unpriv(int id_other, int id_owned_r, int id_group)
{
    if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 ||
        setresuid(1000, 1000, 1000) < 0)
        return 3;
    struct shmid_ds ds;
    /* 0600, owned by root: nothing. */
    if (shmat(id_other, NULL, 0) != (void *)-1 || errno != EACCES)
        return 10;
    if (shmctl(id_other, IPC_STAT, &ds) != -1 || errno != EACCES)
        return 11;
    if (shmctl(id_other, IPC_RMID, NULL) != -1 || errno != EPERM)
        return 12;
    if (shmctl(id_other, SHM_STAT_ANY, &ds) < 0 && errno != EINVAL)
        return 13; /* an index, not an id: EINVAL is fine; EACCES is not */
    if (shmctl(id_other, SHM_LOCK, NULL) != -1 || errno != EPERM)
        return 14;
    /* 0644: read-only attach only. */
    if (shmat(id_owned_r, NULL, 0) != (void *)-1 || errno != EACCES)
        return 20;
    void *p = shmat(id_owned_r, NULL, SHM_RDONLY);
    if (p == (void *)-1)
        return 21;
    shmdt(p);
    /* 0060 with group 1000: read-write through the group. */
    p = shmat(id_group, NULL, 0);
    if (p == (void *)-1)
        return 30;
    shmdt(p);
    /* Its own segment: IPC_SET/IPC_RMID allowed. */
    int mine = shmget(IPC_PRIVATE, 4096, 0600);
    if (mine < 0)
        return 40;
    if (shmctl(mine, IPC_STAT, &ds) < 0 || ds.shm_perm.uid != 1000 || ds.shm_perm.cgid != 1000)
        return 41;
    ds.shm_perm.mode = 0;
    if (shmctl(mine, IPC_SET, &ds) < 0)
        return 42;
    /* mode 0 locks out even the owner. */
    if (shmat(mine, NULL, 0) != (void *)-1 || errno != EACCES)
        return 43;
    if (shmctl(mine, IPC_RMID, NULL) < 0)
        return 44;
    return 0;
}

static void permissions(void)
{
    if (geteuid() != 0)
        SKIP("not root: no setresuid");
    int a = CHECK_OK(get(IPC_PRIVATE, 4096, 0600));
    int b = CHECK_OK(get(IPC_PRIVATE, 4096, 0644));
    int c = CHECK_OK(get(IPC_PRIVATE, 4096, 0060));
    struct shmid_ds ds;
    CHECK_OK(shmctl(c, IPC_STAT, &ds));
    ds.shm_perm.gid = 1000;
    CHECK_OK(shmctl(c, IPC_SET, &ds));
    /* Root (CAP_IPC_OWNER) gets in whatever the mode. */
    void *p = CHECK_PTR(shmat(c, NULL, 0));
    CHECK_OK(shmdt(p));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(unpriv(a, b, c));
    check_reap(pid);
    rm(a);
    rm(b);
    rm(c);
}

static void procfs(void)
{
    char buf[256];
    if (!check_read_text("/proc/sys/kernel/shmmni", buf, sizeof(buf)))
        SKIP("no /proc/sys/kernel/shmmni");
    CHECK(atol(buf) >= 4096);
    int id = CHECK_OK(get(IPC_PRIVATE, 12345, 0640));
    char want[64];
    snprintf(want, sizeof(want), " %10d   640                 12345 ", id);
    check_contains("/proc/sysvipc/shm", "shmid perms", want, NULL);
    rm(id);
}

int main(void)
{
    g_owner = getpid();
    atexit(cleanup);
    RUN(errors_get);
    RUN(attach);
    RUN(rmid);
    RUN(fork_share);
    RUN(exec_detaches);
    RUN(set_and_stat);
    RUN(procfs);
    RUN(permissions);
    return 0;
}

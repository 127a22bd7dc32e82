/* System V semaphores: semget (keys, nsems rules), semop/semtimedop (atomic
 * multi-operation calls, IPC_NOWAIT, timeouts, blocking woken by another
 * process, EINTR even with SA_RESTART, EIDRM, SEM_UNDO applied at exit,
 * E2BIG/EFBIG/ERANGE), semctl (GETVAL/SETVAL/GETALL/SETALL/GETPID/GETNCNT/
 * GETZCNT, IPC_STAT/SEM_STAT, IPC_SET, IPC_RMID, IPC_INFO/SEM_INFO),
 * permissions as an unprivileged uid, /proc/sysvipc/sem. Every set is
 * IPC_PRIVATE or keyed by the pid, and removed at exit even on failure. */
#include "check.h"

#include <grp.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif

union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
    struct seminfo *__buf;
};

static pid_t g_owner;
static int g_ids[64];
static int g_nids;

static void cleanup(void)
{
    if (getpid() != g_owner)
        return;
    for (int i = 0; i < g_nids; i++)
        semctl(g_ids[i], 0, IPC_RMID);
}

static int get(key_t key, int n, int flags)
{
    int id = semget(key, n, flags);
    if (id >= 0 && g_nids < 64)
        g_ids[g_nids++] = id;
    return id;
}

static void rm(int id)
{
    CHECK_OK(semctl(id, 0, IPC_RMID));
}

static int op(int id, unsigned short num, short o, short flg)
{
    struct sembuf b = {num, o, flg};
    return semop(id, &b, 1);
}

static int val(int id, int n)
{
    return semctl(id, n, GETVAL);
}

static void errors(void)
{
    key_t k = (key_t)(0x5f000000 | ((getpid() & 0xffff) << 8) | 1);
    CHECK_ERR(semget(k, 1, 0600), ENOENT);
    CHECK_ERR(semget(IPC_PRIVATE, -1, 0600), EINVAL);
    CHECK_ERR(semget(IPC_PRIVATE, 0, 0600), EINVAL);
    CHECK_ERR(semget(IPC_PRIVATE, 32001, 0600), EINVAL);
    int id = CHECK_OK(get(k, 3, IPC_CREAT | IPC_EXCL | 0600));
    CHECK_ERR(semget(k, 3, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_EQ(CHECK_OK(semget(k, 2, 0)), id);
    CHECK_EQ(CHECK_OK(semget(k, 0, 0)), id);
    CHECK_ERR(semget(k, 4, 0), EINVAL);

    struct sembuf ops[501] = {{0}};
    CHECK_ERR(semop(id, ops, 0), EINVAL);
    CHECK_ERR(semop(id, ops, 501), E2BIG);
    CHECK_ERR(semop(-1, ops, 1), EINVAL);
    CHECK_ERR(semop(id, BAD_PTR, 1), EFAULT);
    CHECK_ERR(op(id, 3, 1, 0), EFBIG);
    CHECK_ERR(op(id, 0, -1, IPC_NOWAIT), EAGAIN);
    CHECK_OK(semctl(id, 0, SETVAL, 32767));
    CHECK_ERR(op(id, 0, 1, 0), ERANGE);
    CHECK_ERR(semctl(id, 0, SETVAL, 32768), ERANGE);
    CHECK_ERR(semctl(id, 0, SETVAL, -1), ERANGE);
    CHECK_ERR(semctl(id, 3, SETVAL, 1), EINVAL);
    CHECK_ERR(semctl(id, 3, GETVAL), EINVAL);
    CHECK_ERR(semctl(id, 0, 12345), EINVAL);
    struct timespec bad = {0, 1000000000};
    CHECK_ERR(semtimedop(id, ops, 1, &bad), EINVAL);
    rm(id);
    CHECK_ERR(semctl(id, 0, GETVAL), EINVAL);
    CHECK_ERR(op(id, 0, 1, 0), EINVAL);
    CHECK_ERR(semctl(id, 0, IPC_RMID), EINVAL);
}

static void ops_and_ctl(void)
{
    int id = CHECK_OK(get(IPC_PRIVATE, 3, 0600));
    CHECK_EQ(val(id, 0), 0);
    struct semid_ds ds;
    CHECK_OK(semctl(id, 0, IPC_STAT, &ds));
    CHECK_EQ(ds.sem_nsems, 3);
    CHECK_EQ(ds.sem_perm.mode, 0600);
    CHECK_EQ(ds.sem_otime, 0);
    CHECK(ds.sem_ctime > 0);
    unsigned short all[3] = {1, 2, 3};
    CHECK_OK(semctl(id, 0, SETALL, all));
    CHECK_EQ(CHECK_OK(semctl(id, 1, GETPID)), getpid());
    /* All or nothing: the third operation would block. */
    struct sembuf m[3] = {{0, -1, 0}, {1, 5, 0}, {2, -4, IPC_NOWAIT}};
    CHECK_ERR(semop(id, m, 3), EAGAIN);
    CHECK_EQ(val(id, 0), 1);
    CHECK_EQ(val(id, 1), 2);
    m[2].sem_op = -3;
    CHECK_OK(semop(id, m, 3));
    unsigned short got[3];
    CHECK_OK(semctl(id, 0, GETALL, got));
    CHECK_EQ(got[0], 0);
    CHECK_EQ(got[1], 7);
    CHECK_EQ(got[2], 0);
    CHECK_OK(semctl(id, 0, IPC_STAT, &ds));
    CHECK(ds.sem_otime > 0);
    /* Operations on the same semaphore see each other's results. */
    struct sembuf same[2] = {{1, -7, 0}, {1, 0, 0}};
    CHECK_OK(semop(id, same, 2));
    CHECK_EQ(val(id, 1), 0);
    /* Wait-for-zero succeeds at once on 0, would block otherwise. */
    CHECK_OK(op(id, 0, 0, 0));
    CHECK_OK(semctl(id, 0, SETVAL, 2));
    CHECK_ERR(op(id, 0, 0, IPC_NOWAIT), EAGAIN);
    /* Timeouts: EAGAIN after the time. */
    struct sembuf w = {0, 0, 0};
    struct timespec to = {0, 50 * 1000000};
    long long t0 = check_mono_ns();
    CHECK_ERR(semtimedop(id, &w, 1, &to), EAGAIN);
    CHECK_GE(check_mono_ns() - t0, 45 * 1000000LL);
    /* IPC_SET */
    CHECK_OK(semctl(id, 0, IPC_STAT, &ds));
    ds.sem_perm.mode = 0640;
    ds.sem_perm.gid = 1234;
    CHECK_OK(semctl(id, 0, IPC_SET, &ds));
    CHECK_OK(semctl(id, 0, IPC_STAT, &ds));
    CHECK_EQ(ds.sem_perm.mode, 0640);
    CHECK_EQ(ds.sem_perm.gid, 1234);
    /* IPC_INFO, SEM_INFO, SEM_STAT */
    struct seminfo si;
    int maxidx = CHECK_OK(semctl(0, 0, IPC_INFO, (struct seminfo *)&si));
    CHECK_EQ(si.semvmx, 32767);
    CHECK(si.semopm >= 500);
    CHECK(si.semmsl >= 32000);
    int found = 0;
    for (int i = 0; i <= maxidx; i++) {
        struct semid_ds s2;
        if (semctl(i, 0, SEM_STAT_ANY, &s2) == id) {
            found = 1;
            CHECK_EQ(semctl(i, 0, SEM_STAT, &s2), id);
            CHECK_EQ(s2.sem_nsems, 3);
        }
    }
    CHECK(found);
    CHECK_OK(semctl(0, 0, SEM_INFO, (struct seminfo *)&si));
    CHECK_GE(si.semusz, 1);
    CHECK_GE(si.semaem, 3);
    rm(id);
}

static volatile sig_atomic_t g_sig;
static void on_sig(int s)
{
    g_sig = s;
}

static void blocking(void)
{
    int id = CHECK_OK(get(IPC_PRIVATE, 2, 0600));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        /* Blocks until the parent raises semaphore 0, then wakes it back. */
        if (op(id, 0, -2, 0) < 0)
            _exit(2);
        if (op(id, 1, 1, 0) < 0)
            _exit(3);
        _exit(0);
    }
    /* The child shows up in GETNCNT while it waits. */
    for (int i = 0; i < 2000 && semctl(id, 0, GETNCNT) != 1; i++)
        check_sleep_ms(1);
    CHECK_EQ(semctl(id, 0, GETNCNT), 1);
    CHECK_EQ(semctl(id, 0, GETZCNT), 0);
    CHECK_OK(op(id, 0, 1, 0));
    check_sleep_ms(20);
    CHECK_EQ(val(id, 0), 1); /* one is not enough */
    CHECK_OK(op(id, 0, 1, 0));
    CHECK_OK(op(id, 1, -1, 0)); /* waits for the child's reply */
    check_reap(c);
    CHECK_EQ(val(id, 0), 0);
    CHECK_EQ(semctl(id, 0, GETPID), c);

    /* Wait-for-zero, counted by GETZCNT. */
    CHECK_OK(semctl(id, 1, SETVAL, 1));
    c = CHECK_OK(fork());
    if (c == 0)
        _exit(op(id, 1, 0, 0) < 0 ? 2 : 0);
    for (int i = 0; i < 2000 && semctl(id, 1, GETZCNT) != 1; i++)
        check_sleep_ms(1);
    CHECK_EQ(semctl(id, 1, GETZCNT), 1);
    CHECK_OK(semctl(id, 1, SETVAL, 0));
    check_reap(c);

    /* EINTR, even with SA_RESTART: semop is not restarted. */
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    pid_t me = getpid();
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        kill(me, SIGUSR1);
        _exit(0);
    }
    g_sig = 0;
    CHECK_ERR(op(id, 0, -1, 0), EINTR);
    CHECK_EQ(g_sig, SIGUSR1);
    check_reap(c);
    signal(SIGUSR1, SIG_DFL);

    /* EIDRM: removed while a child waits. */
    c = CHECK_OK(fork());
    if (c == 0) {
        int r = op(id, 0, -1, 0);
        _exit(r == -1 && errno == EIDRM ? 0 : 2);
    }
    for (int i = 0; i < 2000 && semctl(id, 0, GETNCNT) != 1; i++)
        check_sleep_ms(1);
    rm(id);
    check_reap(c);
}

static void undo(void)
{
    int id = CHECK_OK(get(IPC_PRIVATE, 2, 0600));
    CHECK_OK(semctl(id, 0, SETVAL, 5));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        if (op(id, 0, -3, SEM_UNDO) < 0 || op(id, 1, 2, SEM_UNDO) < 0 || op(id, 1, 1, 0) < 0)
            _exit(2);
        _exit(0);
    }
    check_reap(c);
    CHECK_EQ(val(id, 0), 5); /* undone at exit */
    CHECK_EQ(val(id, 1), 1); /* only the SEM_UNDO part undone */
    CHECK_EQ(semctl(id, 0, GETPID), c);
    /* An undo that would go below zero stops at zero. */
    c = CHECK_OK(fork());
    if (c == 0) {
        if (op(id, 1, 3, SEM_UNDO) < 0 || semctl(id, 1, SETVAL, 1) < 0)
            _exit(2);
        /* SETVAL cleared the adjustment: nothing to undo. */
        if (op(id, 0, 2, SEM_UNDO) < 0)
            _exit(3);
        _exit(0);
    }
    check_reap(c);
    CHECK_EQ(val(id, 1), 1);
    CHECK_EQ(val(id, 0), 5);
    c = CHECK_OK(fork());
    if (c == 0) {
        if (op(id, 0, 3, SEM_UNDO) < 0)
            _exit(2);
        /* Someone else takes it down to 1: -3 at exit is clamped to 0. */
        if (op(id, 0, -7, 0) < 0)
            _exit(3);
        _exit(0);
    }
    check_reap(c);
    CHECK_EQ(val(id, 0), 0);
    /* The undo's range: adjustments beyond SEMAEM are ERANGE. */
    CHECK_OK(semctl(id, 0, SETVAL, 0));
    CHECK_OK(op(id, 0, 32767, SEM_UNDO));
    CHECK_OK(op(id, 0, -32767, 0));
    CHECK_OK(op(id, 0, 1, SEM_UNDO)); /* adjustment -32768: the lowest allowed */
    CHECK_ERR(op(id, 0, 1, SEM_UNDO), ERANGE);
    CHECK_EQ(val(id, 0), 1);
    rm(id);
}

static int unpriv(int id_none, int id_read)
{
    if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 ||
        setresuid(1000, 1000, 1000) < 0)
        return 3;
    if (op(id_none, 0, 1, 0) != -1 || errno != EACCES)
        return 10;
    if (semctl(id_none, 0, GETVAL) != -1 || errno != EACCES)
        return 11;
    if (semctl(id_none, 0, IPC_RMID) != -1 || errno != EPERM)
        return 12;
    if (semctl(id_none, 0, SETVAL, 1) != -1 || errno != EACCES)
        return 13;
    if (semget(IPC_PRIVATE, 1, 0600) < 0)
        return 14;
    /* 0604: read (GETVAL, wait-for-zero) but not alter. */
    if (semctl(id_read, 0, GETVAL) != 0)
        return 20;
    if (op(id_read, 0, 0, IPC_NOWAIT) != 0)
        return 21;
    if (op(id_read, 0, 1, 0) != -1 || errno != EACCES)
        return 22;
    return 0;
}

static void permissions(void)
{
    if (geteuid() != 0)
        SKIP("not root: no setresuid");
    int a = CHECK_OK(get(IPC_PRIVATE, 1, 0600));
    int b = CHECK_OK(get(IPC_PRIVATE, 1, 0604));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        int r = unpriv(a, b);
        /* The set the child made: found by uid 1000 and removed here. */
        _exit(r);
    }
    check_reap(c);
    /* Remove what the child created (owned by uid 1000). */
    struct semid_ds ds;
    struct seminfo si;
    int maxidx = CHECK_OK(semctl(0, 0, IPC_INFO, (struct seminfo *)&si));
    for (int i = 0; i <= maxidx; i++) {
        int id = semctl(i, 0, SEM_STAT_ANY, &ds);
        if (id >= 0 && ds.sem_perm.cuid == 1000 && ds.sem_perm.__key == IPC_PRIVATE &&
            ds.sem_nsems == 1 && ds.sem_perm.mode == 0600)
            semctl(id, 0, IPC_RMID);
    }
    rm(a);
    rm(b);
}

static void procfs(void)
{
    char buf[256];
    if (!check_read_text("/proc/sys/kernel/sem", buf, sizeof(buf)))
        SKIP("no /proc/sys/kernel/sem");
    int id = CHECK_OK(get(IPC_PRIVATE, 7, 0640));
    char want[64];
    snprintf(want, sizeof(want), " %10d   640          7 ", id);
    check_contains("/proc/sysvipc/sem", "semid perms", want, NULL);
    rm(id);
}

int main(void)
{
    g_owner = getpid();
    atexit(cleanup);
    RUN(errors);
    RUN(ops_and_ctl);
    RUN(blocking);
    RUN(undo);
    RUN(procfs);
    RUN(permissions);
    return 0;
}

/* futex: WAIT with a mismatched value (EAGAIN) and with a timeout
 * (ETIMEDOUT), WAKE counts, REQUEUE and CMP_REQUEUE counts (and EAGAIN),
 * WAKE_OP, WAIT_BITSET/WAKE_BITSET, a shared futex between a parent and a
 * fork child on MAP_SHARED memory, FUTEX_CLOCK_REALTIME absolute timeouts,
 * LOCK_PI/UNLOCK_PI/TRYLOCK_PI basics, robust mutexes whose owner (a thread,
 * or a process) dies (EOWNERDEAD), the same for robust PI mutexes (waiters
 * woken by the death), and argument errors. */
#include "check.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

static long futex(void *uaddr, int op, uint32_t val, const void *timeout_or_val2, void *uaddr2,
                  uint32_t val3)
{
    return syscall(SYS_futex, uaddr, op, val, timeout_or_val2, uaddr2, val3);
}

/* ---- waiters ------------------------------------------------------------- */

struct waiter_arg {
    uint32_t *addr;
    uint32_t val;
    int op;
    uint32_t bitset;
    long ret;
    int err;
};

static atomic_int g_started;

static void *waiter(void *p)
{
    struct waiter_arg *a = p;
    atomic_fetch_add(&g_started, 1);
    a->ret = futex(a->addr, a->op, a->val, NULL, NULL, a->bitset);
    a->err = a->ret < 0 ? errno : 0;
    return NULL;
}

/* Starts n waiters on addr and gives them time to block. */
static void start_waiters(pthread_t *th, struct waiter_arg *args, int n, uint32_t *addr, int op,
                          uint32_t bitset)
{
    atomic_store(&g_started, 0);
    for (int i = 0; i < n; i++) {
        args[i] = (struct waiter_arg){.addr = addr, .val = *addr, .op = op, .bitset = bitset};
        CHECK_EQ(pthread_create(&th[i], NULL, waiter, &args[i]), 0);
    }
    while (atomic_load(&g_started) < n)
        check_sleep_ms(1);
    check_sleep_ms(50); /* into the kernel */
}

static void join_all(pthread_t *th, struct waiter_arg *args, int n)
{
    for (int i = 0; i < n; i++) {
        CHECK_EQ(pthread_join(th[i], NULL), 0);
        CHECK_EQ(args[i].ret, 0);
    }
}

static void wait_basics(void)
{
    uint32_t f = 1;
    CHECK_ERR(futex(&f, FUTEX_WAIT, 2, NULL, NULL, 0), EAGAIN);
    CHECK_ERR(futex(&f, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0), EAGAIN);
    struct timespec ts = {0, 20000000};
    long long t0 = check_mono_ns();
    CHECK_ERR(futex(&f, FUTEX_WAIT_PRIVATE, 1, &ts, NULL, 0), ETIMEDOUT);
    CHECK_GE(check_mono_ns() - t0, 19000000LL);
    /* A zero timeout times out at once. */
    struct timespec zero = {0, 0};
    CHECK_ERR(futex(&f, FUTEX_WAIT, 1, &zero, NULL, 0), ETIMEDOUT);
    /* Nobody waits: WAKE wakes 0. */
    CHECK_EQ(CHECK_OK(futex(&f, FUTEX_WAKE, 10, NULL, NULL, 0)), 0);
}

static void wake_counts(void)
{
    static uint32_t f = 0;
    pthread_t th[3];
    struct waiter_arg a[3];
    start_waiters(th, a, 3, &f, FUTEX_WAIT_PRIVATE, 0);
    CHECK_EQ(CHECK_OK(futex(&f, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)), 1);
    CHECK_EQ(CHECK_OK(futex(&f, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)), 2);
    join_all(th, a, 3);
    CHECK_EQ(CHECK_OK(futex(&f, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)), 0);
}

static void requeue(void)
{
    static uint32_t f1 = 0, f2 = 0;
    pthread_t th[3];
    struct waiter_arg a[3];
    start_waiters(th, a, 3, &f1, FUTEX_WAIT_PRIVATE, 0);
    /* CMP_REQUEUE checks *f1 first. */
    CHECK_ERR(futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &f2, 5), EAGAIN);
    /* Wake 1, move 1: returns both. */
    CHECK_EQ(CHECK_OK(futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 1, (void *)1L, &f2, 0)), 2);
    /* One left on each. */
    CHECK_EQ(CHECK_OK(futex(&f2, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)), 1);
    /* FUTEX_REQUEUE (no compare): wake 0, move the rest; counts both. */
    CHECK_EQ(CHECK_OK(futex(&f1, FUTEX_REQUEUE_PRIVATE, 0, (void *)(long)INT32_MAX, &f2, 0)), 1);
    CHECK_EQ(CHECK_OK(futex(&f1, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)), 0);
    CHECK_EQ(CHECK_OK(futex(&f2, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)), 1);
    join_all(th, a, 3);
    /* Requeueing onto the same futex moves (counts) each waiter once. */
    start_waiters(th, a, 2, &f1, FUTEX_WAIT_PRIVATE, 0);
    CHECK_EQ(CHECK_OK(futex(&f1, FUTEX_CMP_REQUEUE_PRIVATE, 0, (void *)(long)INT32_MAX, &f1, 0)),
             2);
    CHECK_EQ(CHECK_OK(futex(&f1, FUTEX_WAKE_PRIVATE, INT32_MAX, NULL, NULL, 0)), 2);
    join_all(th, a, 2);
}

static void wake_op(void)
{
    static uint32_t f1 = 0, f2 = 0;
    pthread_t th[2];
    struct waiter_arg a[2];
    start_waiters(th, a, 1, &f1, FUTEX_WAIT_PRIVATE, 0);
    start_waiters(th + 1, a + 1, 1, &f2, FUTEX_WAIT_PRIVATE, 0);
    /* *f2 += 1; wake 1 on f1; and 1 on f2 if the old *f2 > 0 (it was 0:
     * no). */
    uint32_t op = FUTEX_OP(FUTEX_OP_ADD, 1, FUTEX_OP_CMP_GT, 0);
    CHECK_EQ(CHECK_OK(futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2, op)), 1);
    CHECK_EQ(f2, 1);
    /* Again: old value 1 > 0, so the f2 waiter is woken too. */
    CHECK_EQ(CHECK_OK(futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2, op)), 1);
    CHECK_EQ(f2, 2);
    join_all(th, a, 2);
    /* FUTEX_OP_SET with the shift flag: *f2 = 1 << 4. */
    op = FUTEX_OP(FUTEX_OP_SET, 4, FUTEX_OP_CMP_EQ, 0) | (FUTEX_OP_OPARG_SHIFT << 28);
    CHECK_EQ(CHECK_OK(futex(&f1, FUTEX_WAKE_OP_PRIVATE, 1, (void *)1L, &f2, op)), 0);
    CHECK_EQ(f2, 16);
}

static void bitsets(void)
{
    static uint32_t f = 0;
    pthread_t th[1];
    struct waiter_arg a[1];
    start_waiters(th, a, 1, &f, FUTEX_WAIT_BITSET_PRIVATE, 0x1);
    CHECK_EQ(CHECK_OK(futex(&f, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x2)), 0);
    CHECK_EQ(CHECK_OK(futex(&f, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0x3)), 1);
    join_all(th, a, 1);
    /* Plain WAKE matches any bitset. */
    start_waiters(th, a, 1, &f, FUTEX_WAIT_BITSET_PRIVATE, 0x80);
    CHECK_EQ(CHECK_OK(futex(&f, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0)), 1);
    join_all(th, a, 1);
    CHECK_ERR(futex(&f, FUTEX_WAIT_BITSET_PRIVATE, 0, NULL, NULL, 0), EINVAL);
    CHECK_ERR(futex(&f, FUTEX_WAKE_BITSET_PRIVATE, 1, NULL, NULL, 0), EINVAL);
}

static void realtime_abs(void)
{
    uint32_t f = 0;
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long end = now.tv_sec * 1000000000LL + now.tv_nsec + 20000000LL;
    struct timespec abs = {end / 1000000000LL, end % 1000000000LL};
    long long t0 = check_mono_ns();
    CHECK_ERR(futex(&f, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &abs, NULL,
                    FUTEX_BITSET_MATCH_ANY),
              ETIMEDOUT);
    CHECK_GE(check_mono_ns() - t0, 15000000LL);
    /* In the past: at once. */
    struct timespec past = {1, 0};
    t0 = check_mono_ns();
    CHECK_ERR(futex(&f, FUTEX_WAIT_BITSET_PRIVATE | FUTEX_CLOCK_REALTIME, 0, &past, NULL,
                    FUTEX_BITSET_MATCH_ANY),
              ETIMEDOUT);
    CHECK_LT(check_mono_ns() - t0, 500000000LL);
    /* Absolute CLOCK_MONOTONIC (WAIT_BITSET without the flag). */
    end = check_mono_ns() + 20000000LL;
    struct timespec mabs = {end / 1000000000LL, end % 1000000000LL};
    CHECK_ERR(futex(&f, FUTEX_WAIT_BITSET_PRIVATE, 0, &mabs, NULL, FUTEX_BITSET_MATCH_ANY),
              ETIMEDOUT);
    CHECK_GE(check_mono_ns(), end);
}

static void shared_across_fork(void)
{
    uint32_t *shm =
        CHECK_PTR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    shm[0] = 0;
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        /* Wake the parent once it waits. */
        check_sleep_ms(30);
        __atomic_store_n(&shm[0], 1, __ATOMIC_SEQ_CST);
        long n = futex(&shm[0], FUTEX_WAKE, 1, NULL, NULL, 0);
        /* Then wait for the parent's answer on the second word. */
        while (__atomic_load_n(&shm[1], __ATOMIC_SEQ_CST) == 0)
            futex(&shm[1], FUTEX_WAIT, 0, NULL, NULL, 0);
        _exit(n == 1 ? 0 : 1);
    }
    while (__atomic_load_n(&shm[0], __ATOMIC_SEQ_CST) == 0) {
        long r = futex(&shm[0], FUTEX_WAIT, 0, NULL, NULL, 0);
        CHECK(r == 0 || errno == EAGAIN);
    }
    check_sleep_ms(30);
    __atomic_store_n(&shm[1], 1, __ATOMIC_SEQ_CST);
    CHECK_EQ(CHECK_OK(futex(&shm[1], FUTEX_WAKE, 1, NULL, NULL, 0)), 1);
    check_reap(pid);
    CHECK_OK(munmap(shm, 4096));
}

/* ---- PI ------------------------------------------------------------------ */

static uint32_t g_pi;
static volatile long g_pi_ret;
static volatile int g_pi_err;
static volatile pid_t g_pi_tid;

static void *pi_locker(void *arg)
{
    g_pi_tid = gettid();
    g_pi_ret = futex(&g_pi, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    g_pi_err = errno;
    if (g_pi_ret == 0)
        futex(&g_pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    return NULL;
}

static void *pi_trylocker(void *arg)
{
    g_pi_ret = futex(&g_pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0);
    g_pi_err = errno;
    return NULL;
}

static void pi(void)
{
    pid_t me = gettid();
    g_pi = 0;
    CHECK_OK(futex(&g_pi, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    CHECK_EQ(g_pi & FUTEX_TID_MASK, (uint32_t)me);
    /* Relocking is a deadlock. */
    CHECK_ERR(futex(&g_pi, FUTEX_LOCK_PI_PRIVATE, 0, NULL, NULL, 0), EDEADLK);
    CHECK_ERR(futex(&g_pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EDEADLK);
    /* Another thread's trylock fails. */
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, pi_trylocker, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(g_pi_ret, -1);
    CHECK_EQ(g_pi_err, EAGAIN);
    /* Another thread's lock blocks until we unlock; it marks the waiters. */
    g_pi_tid = 0;
    CHECK_EQ(pthread_create(&th, NULL, pi_locker, NULL), 0);
    while (!g_pi_tid)
        check_sleep_ms(1);
    check_sleep_ms(50);
    CHECK(g_pi & FUTEX_WAITERS);
    CHECK_OK(futex(&g_pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(g_pi_ret, 0);
    CHECK_EQ(g_pi, 0); /* it unlocked without waiters */
    /* Unlocking a lock we do not own. */
    CHECK_ERR(futex(&g_pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EPERM);
    g_pi = 1; /* "owned" by tid 1, which is not us */
    if (me != 1)
        CHECK_ERR(futex(&g_pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0), EPERM);
    g_pi = 0;
    CHECK_OK(futex(&g_pi, FUTEX_TRYLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    CHECK_EQ(g_pi, (uint32_t)me);
    CHECK_OK(futex(&g_pi, FUTEX_UNLOCK_PI_PRIVATE, 0, NULL, NULL, 0));
    CHECK_EQ(g_pi, 0);
}

/* ---- robust mutexes ------------------------------------------------------- */

static pthread_mutex_t *g_robust;

static void *lock_and_die(void *arg)
{
    pthread_mutex_lock(g_robust);
    return NULL; /* exits holding it */
}

static void robust_init(pthread_mutex_t *m, bool shared)
{
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
    if (shared)
        pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
    CHECK_EQ(pthread_mutex_init(m, &at), 0);
    pthread_mutexattr_destroy(&at);
}

static void robust(void)
{
    static pthread_mutex_t m;
    robust_init(&m, false);
    g_robust = &m;
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, lock_and_die, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(pthread_mutex_lock(&m), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_consistent(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(pthread_mutex_lock(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);

    /* The same across processes, with a waiter blocked when the owner dies. */
    pthread_mutex_t *sm =
        CHECK_PTR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    robust_init(sm, true);
    int p[2];
    CHECK_OK(pipe(p));
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        pthread_mutex_lock(sm);
        char c = 1;
        if (write(p[1], &c, 1) != 1)
            _exit(2);
        check_sleep_ms(50);
        _exit(0); /* dies holding it */
    }
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    CHECK_EQ(pthread_mutex_lock(sm), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_consistent(sm), 0);
    CHECK_EQ(pthread_mutex_unlock(sm), 0);
    CHECK_OK(waitpid(pid, NULL, 0));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
    CHECK_OK(munmap(sm, 4096));
}

static void robust_pi_init(pthread_mutex_t *m, bool shared)
{
    pthread_mutexattr_t at;
    pthread_mutexattr_init(&at);
    pthread_mutexattr_setrobust(&at, PTHREAD_MUTEX_ROBUST);
    pthread_mutexattr_setprotocol(&at, PTHREAD_PRIO_INHERIT);
    if (shared)
        pthread_mutexattr_setpshared(&at, PTHREAD_PROCESS_SHARED);
    CHECK_EQ(pthread_mutex_init(m, &at), 0);
    pthread_mutexattr_destroy(&at);
}

/* Locks m with a deadline ms from now; on EOWNERDEAD makes it consistent
 * and unlocks it (-2 if that fails). */
struct timed_lock {
    pthread_mutex_t *m;
    int ms;
    int result;
};

static void *timed_lock_main(void *arg)
{
    struct timed_lock *tl = arg;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_nsec += tl->ms * 1000000L;
    ts.tv_sec += ts.tv_nsec / 1000000000L;
    ts.tv_nsec %= 1000000000L;
    tl->result = pthread_mutex_timedlock(tl->m, &ts);
    if (tl->result == EOWNERDEAD &&
        (pthread_mutex_consistent(tl->m) != 0 || pthread_mutex_unlock(tl->m) != 0))
        tl->result = -2;
    return NULL;
}

/* Robust PI mutexes (the robust list's entries with bit 0 set): the dead
 * owner's word gets FUTEX_OWNER_DIED, the next locker EOWNERDEAD; a waiter
 * blocked in FUTEX_LOCK_PI on a process-shared one is woken by the owner's
 * death itself (as a shared futex), not by a later timeout. */
static void robust_pi(void)
{
    static pthread_mutex_t m;
    robust_pi_init(&m, false);
    g_robust = &m;
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, lock_and_die, NULL), 0);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK(m.__data.__lock & FUTEX_OWNER_DIED);
    CHECK_EQ(m.__data.__lock & FUTEX_TID_MASK, 0);
    CHECK_EQ(pthread_mutex_lock(&m), EOWNERDEAD);
    CHECK_EQ(pthread_mutex_consistent(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);
    CHECK_EQ(pthread_mutex_lock(&m), 0);
    CHECK_EQ(pthread_mutex_unlock(&m), 0);

    /* Across processes: a waiter with a deadline well after the owner's
     * death takes the mutex when the owner dies. (Retried: the owner must
     * die before the deadline, which a slow machine might miss.) */
    pthread_mutex_t *sm =
        CHECK_PTR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0));
    int result = -1;
    for (int attempt = 0; attempt < 3 && result != EOWNERDEAD; attempt++) {
        robust_pi_init(sm, true);
        int locked[2], go[2];
        CHECK_OK(pipe(locked));
        CHECK_OK(pipe(go));
        pid_t pid = CHECK_OK(fork());
        if (pid == 0) {
            pthread_mutex_lock(sm);
            char c = 1;
            if (write(locked[1], &c, 1) != 1 || read(go[0], &c, 1) != 1)
                _exit(2);
            _exit(0); /* dies holding it */
        }
        char c = 0;
        CHECK_EQ(read(locked[0], &c, 1), 1);
        struct timed_lock tl = {sm, 45, -1};
        CHECK_EQ(pthread_create(&th, NULL, timed_lock_main, &tl), 0);
        check_sleep_ms(5); /* the waiter blocks */
        CHECK_EQ(write(go[1], &c, 1), 1);
        CHECK_EQ(pthread_join(th, NULL), 0);
        result = tl.result;
        if (result != EOWNERDEAD && result != ETIMEDOUT)
            FAIL("pthread_mutex_timedlock: %d", result);
        CHECK_OK(waitpid(pid, NULL, 0));
        CHECK_OK(close(locked[0]));
        CHECK_OK(close(locked[1]));
        CHECK_OK(close(go[0]));
        CHECK_OK(close(go[1]));
    }
    CHECK_EQ(result, EOWNERDEAD);
    CHECK_OK(munmap(sm, 4096));
}

static void errors(void)
{
    uint32_t f[2] = {0, 0};
    CHECK_ERR(futex(&f[0], 99, 0, NULL, NULL, 0), ENOSYS);
    CHECK_ERR(futex((char *)f + 1, FUTEX_WAIT, 0, NULL, NULL, 0), EINVAL);
    CHECK_ERR(futex(BAD_PTR, FUTEX_WAIT, 0, NULL, NULL, 0), EFAULT);
    struct timespec neg = {-1, 0};
    CHECK_ERR(futex(&f[0], FUTEX_WAIT, 0, &neg, NULL, 0), EINVAL);
    struct timespec badns = {0, 1000000000L};
    CHECK_ERR(futex(&f[0], FUTEX_WAIT, 0, &badns, NULL, 0), EINVAL);
    CHECK_ERR(futex(&f[0], FUTEX_WAIT, 0, BAD_PTR, NULL, 0), EFAULT);
    /* FUTEX_CLOCK_REALTIME with plain WAKE is ENOSYS. */
    CHECK_ERR(futex(&f[0], FUTEX_WAKE | FUTEX_CLOCK_REALTIME, 1, NULL, NULL, 0), ENOSYS);
    /* CMP_REQUEUE to the same futex... with a PI op mixed: EINVAL. */
    CHECK_ERR(futex(&f[0], FUTEX_CMP_REQUEUE, 1, (void *)-1L, &f[1], 0), EINVAL);
}

int main(void)
{
    RUN(wait_basics);
    RUN(wake_counts);
    RUN(requeue);
    RUN(wake_op);
    RUN(bitsets);
    RUN(realtime_abs);
    RUN(shared_across_fork);
    RUN(pi);
    RUN(robust);
    RUN(robust_pi);
    RUN(errors);
    return 0;
}

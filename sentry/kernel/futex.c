/* Futexes. Keys: private futexes by (mm, address); shared ones by the
 * MemoryFile offset of the word, so processes sharing the page meet.
 * Lock: one leaf mutex per bucket; the futex word is read under it
 * (copy_in takes mm.lock, which is fine: mm.lock never nests a bucket). */
#include "sentry/kernel/futex.h"

#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <stdlib.h>
#include <string.h>

#define NBUCKETS 256

struct fwaiter {
    struct task *t;
    uintptr_t key1; /* mm pointer (private) or 0 (shared) */
    uint64_t key2;  /* address (private) or MemoryFile offset (shared) */
    uint32_t bitset;
    bool woken;
    bool requeued_pi;
    struct fwaiter *next;
};

struct bucket {
    pthread_mutex_t lock;
    struct fwaiter *head;
};

static struct bucket g_buckets[NBUCKETS] = {[0 ... NBUCKETS - 1] = {PTHREAD_MUTEX_INITIALIZER}};

struct fkey {
    uintptr_t k1;
    uint64_t k2;
};

static struct bucket *bucket_of(const struct fkey *k)
{
    uint64_t h = (k->k1 ^ (k->k2 >> 2)) * 0x9e3779b97f4a7c15ull;
    return &g_buckets[h >> 56 & (NBUCKETS - 1)];
}

static int get_key(struct mm *mm, uint64_t addr, bool private, struct fkey *k)
{
    if (addr & 3)
        return -EINVAL;
    if (private || !mm_is_shared(mm, addr)) {
        /* A private mapping cannot be shared with another mm: the
         * address is the identity even without FUTEX_PRIVATE_FLAG. */
        k->k1 = (uintptr_t)mm;
        k->k2 = addr;
        return 0;
    }
    uint64_t off;
    int r = mm_translate(mm, addr, false, &off);
    if (r < 0)
        return r;
    k->k1 = 0;
    k->k2 = off;
    return 0;
}

static bool key_eq(const struct fwaiter *w, const struct fkey *k)
{
    return w->key1 == k->k1 && w->key2 == k->k2;
}

/* Unlinks the waiter at *pp and wakes it (bucket lock held). */
static void wake_at(struct fwaiter **pp)
{
    struct fwaiter *w = *pp;
    *pp = w->next;
    w->woken = true;
    task_wake(w->t);
}

/* Unlinks w if it is still queued on b; false if a wake took it first. */
static bool unqueue(struct bucket *b, struct fwaiter *w)
{
    bool queued = false;
    pthread_mutex_lock(&b->lock);
    for (struct fwaiter **pp = &b->head; *pp; pp = &(*pp)->next)
        if (*pp == w) {
            *pp = w->next;
            queued = true;
            break;
        }
    pthread_mutex_unlock(&b->lock);
    return queued;
}

static int wake_key(const struct fkey *k, int n, uint32_t bitset)
{
    struct bucket *b = bucket_of(k);
    int woken = 0;
    pthread_mutex_lock(&b->lock);
    for (struct fwaiter **pp = &b->head; *pp && woken < n;) {
        if (key_eq(*pp, k) && ((*pp)->bitset & bitset)) {
            wake_at(pp);
            woken++;
            continue;
        }
        pp = &(*pp)->next;
    }
    pthread_mutex_unlock(&b->lock);
    return woken;
}

int futex_wake_addr(struct mm *mm, uint64_t addr, bool shared, int n, uint32_t bitset)
{
    struct fkey k;
    if (get_key(mm, addr, !shared, &k) < 0)
        return 0;
    return wake_key(&k, n, bitset);
}

/* Absolute CLOCK_MONOTONIC deadline from a futex timeout argument. */
static int read_deadline(struct task *t, uint64_t uaddr_ts, bool absolute, bool realtime,
                         struct timespec *d, bool *has)
{
    *has = false;
    if (!uaddr_ts)
        return 0;
    struct timespec ts;
    int r = mm_copy_in(t->mm, uaddr_ts, &ts, sizeof(ts));
    if (r < 0)
        return r;
    if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000L)
        return -EINVAL;
    if (!absolute) {
        deadline_after(d, &ts);
    } else {
        /* Convert from the clock the caller used to CLOCK_MONOTONIC. */
        struct timespec now_c, now_m;
        clock_gettime(realtime ? CLOCK_REALTIME : CLOCK_MONOTONIC, &now_c);
        clock_gettime(CLOCK_MONOTONIC, &now_m);
        int64_t delta = (ts.tv_sec - now_c.tv_sec) * 1000000000LL + (ts.tv_nsec - now_c.tv_nsec);
        if (delta < 0)
            delta = 0;
        int64_t ns = now_m.tv_nsec + delta % 1000000000LL;
        d->tv_sec = now_m.tv_sec + delta / 1000000000LL + ns / 1000000000LL;
        d->tv_nsec = ns % 1000000000LL;
    }
    *has = true;
    return 0;
}

static long futex_wait(struct task *t, uint64_t uaddr, bool private, uint32_t val,
                       const struct timespec *deadline, uint32_t bitset)
{
    if (!bitset)
        return -EINVAL;
    struct fkey k;
    int r = get_key(t->mm, uaddr, private, &k);
    if (r < 0)
        return r;
    struct bucket *b = bucket_of(&k);
    struct fwaiter w = {.t = t, .key1 = k.k1, .key2 = k.k2, .bitset = bitset};
    pthread_mutex_lock(&b->lock);
    uint32_t cur;
    r = mm_copy_in(t->mm, uaddr, &cur, sizeof(cur));
    if (r < 0) {
        pthread_mutex_unlock(&b->lock);
        return r;
    }
    if (cur != val) {
        pthread_mutex_unlock(&b->lock);
        return -EAGAIN;
    }
    w.next = b->head;
    b->head = &w;
    pthread_mutex_unlock(&b->lock);
    long ret = 0;
    for (;;) {
        r = task_block(t, deadline);
        if (__atomic_load_n(&w.woken, __ATOMIC_ACQUIRE))
            break;
        if (r == -ETIMEDOUT || r == -EINTR) {
            /* Unqueue unless a wake raced with us (then it counts). */
            if (unqueue(b, &w))
                ret = r == -ETIMEDOUT ? -ETIMEDOUT : -ERESTARTSYS;
            break;
        }
    }
    return ret;
}

/* Moves up to n2 waiters of k1 to k2 after waking n1 (bucket locks in
 * address order). */
static long requeue(struct task *t, uint64_t uaddr, uint64_t uaddr2, bool private, int n1, int n2,
                    bool cmp, uint32_t val3)
{
    struct fkey k1, k2;
    int r = get_key(t->mm, uaddr, private, &k1);
    if (r == 0)
        r = get_key(t->mm, uaddr2, private, &k2);
    if (r < 0)
        return r;
    struct bucket *b1 = bucket_of(&k1), *b2 = bucket_of(&k2);
    struct bucket *lo = b1 < b2 ? b1 : b2, *hi = b1 < b2 ? b2 : b1;
    pthread_mutex_lock(&lo->lock);
    if (hi != lo)
        pthread_mutex_lock(&hi->lock);
    long ret = 0;
    if (cmp) {
        uint32_t cur;
        r = mm_copy_in(t->mm, uaddr, &cur, sizeof(cur));
        if (r < 0 || cur != val3) {
            ret = r < 0 ? r : -EAGAIN;
            goto out;
        }
    }
    int woken = 0, moved = 0;
    struct fwaiter *moved_head = NULL; /* put on b2 after the walk (b2 may be b1) */
    for (struct fwaiter **pp = &b1->head; *pp;) {
        struct fwaiter *w = *pp;
        if (!key_eq(w, &k1)) {
            pp = &w->next;
            continue;
        }
        if (woken < n1) {
            wake_at(pp);
            woken++;
            continue;
        }
        if (moved >= n2)
            break;
        *pp = w->next;
        w->key1 = k2.k1;
        w->key2 = k2.k2;
        w->next = moved_head;
        moved_head = w;
        moved++;
    }
    while (moved_head) {
        struct fwaiter *w = moved_head;
        moved_head = w->next;
        w->next = b2->head;
        b2->head = w;
    }
    ret = woken + moved; /* FUTEX_REQUEUE too (Linux) */
out:
    if (hi != lo)
        pthread_mutex_unlock(&hi->lock);
    pthread_mutex_unlock(&lo->lock);
    return ret;
}

static long wake_op(struct task *t, uint64_t uaddr, uint64_t uaddr2, bool private, int n1, int n2,
                    uint32_t op)
{
    int opcode = (op >> 28) & 7, cmp = (op >> 24) & 15;
    uint32_t oparg = (op >> 12) & 0xfff, cmparg = op & 0xfff;
    if ((op >> 28) & 8)
        oparg = 1u << (oparg & 31);
    struct fkey k2;
    int r = get_key(t->mm, uaddr2, private, &k2);
    if (r < 0)
        return r;
    /* Atomic with respect to other futex ops on this word: under its bucket. */
    struct bucket *b2 = bucket_of(&k2);
    pthread_mutex_lock(&b2->lock);
    uint32_t old;
    r = mm_copy_in(t->mm, uaddr2, &old, sizeof(old));
    if (r == 0) {
        uint32_t nv;
        switch (opcode) {
        case FUTEX_OP_SET:
            nv = oparg;
            break;
        case FUTEX_OP_ADD:
            nv = old + oparg;
            break;
        case FUTEX_OP_OR:
            nv = old | oparg;
            break;
        case FUTEX_OP_ANDN:
            nv = old & ~oparg;
            break;
        case FUTEX_OP_XOR:
            nv = old ^ oparg;
            break;
        default:
            r = -ENOSYS;
            nv = old;
        }
        if (r == 0)
            r = mm_copy_out(t->mm, uaddr2, &nv, sizeof(nv));
    }
    pthread_mutex_unlock(&b2->lock);
    if (r < 0)
        return r;
    bool c;
    int32_t so = (int32_t)old, sa = (int32_t)cmparg;
    switch (cmp) {
    case FUTEX_OP_CMP_EQ:
        c = so == sa;
        break;
    case FUTEX_OP_CMP_NE:
        c = so != sa;
        break;
    case FUTEX_OP_CMP_LT:
        c = so < sa;
        break;
    case FUTEX_OP_CMP_LE:
        c = so <= sa;
        break;
    case FUTEX_OP_CMP_GT:
        c = so > sa;
        break;
    case FUTEX_OP_CMP_GE:
        c = so >= sa;
        break;
    default:
        return -ENOSYS;
    }
    long n = futex_wake_addr(t->mm, uaddr, !private, n1, FUTEX_BITSET_MATCH_ANY);
    if (c)
        n += wake_key(&k2, n2, FUTEX_BITSET_MATCH_ANY);
    return n;
}

/* PI futexes, functionally: the word holds the owner's tid (| WAITERS). */
static long lock_pi(struct task *t, uint64_t uaddr, bool private, const struct timespec *deadline,
                    bool try)
{
    for (;;) {
        struct fkey k;
        int r = get_key(t->mm, uaddr, private, &k);
        if (r < 0)
            return r;
        struct bucket *b = bucket_of(&k);
        pthread_mutex_lock(&b->lock);
        uint32_t cur;
        r = mm_copy_in(t->mm, uaddr, &cur, sizeof(cur));
        if (r < 0) {
            pthread_mutex_unlock(&b->lock);
            return r;
        }
        uint32_t owner = cur & FUTEX_TID_MASK;
        if (owner == (uint32_t)t->tid) {
            pthread_mutex_unlock(&b->lock);
            return -EDEADLK;
        }
        bool owner_gone = false;
        if (owner) {
            pthread_mutex_lock(&g_kernel->lock);
            owner_gone = kernel_find_task_locked((int)owner) == NULL;
            pthread_mutex_unlock(&g_kernel->lock);
        }
        if (!owner || owner_gone) {
            /* An ownerless word keeps its OWNER_DIED bit (a robust owner
             * died): the new owner's pthread_mutex_lock reports EOWNERDEAD. */
            uint32_t nv = (uint32_t)t->tid | (cur & (FUTEX_WAITERS | FUTEX_OWNER_DIED)) |
                          (owner_gone ? FUTEX_OWNER_DIED : 0);
            r = mm_copy_out(t->mm, uaddr, &nv, sizeof(nv));
            pthread_mutex_unlock(&b->lock);
            return r < 0 ? r : 0;
        }
        if (try) {
            pthread_mutex_unlock(&b->lock);
            return -EAGAIN;
        }
        if (!(cur & FUTEX_WAITERS)) {
            uint32_t nv = cur | FUTEX_WAITERS;
            r = mm_copy_out(t->mm, uaddr, &nv, sizeof(nv));
            if (r < 0) {
                pthread_mutex_unlock(&b->lock);
                return r;
            }
        }
        struct fwaiter w = {.t = t, .key1 = k.k1, .key2 = k.k2, .bitset = FUTEX_BITSET_MATCH_ANY};
        w.next = b->head;
        b->head = &w;
        pthread_mutex_unlock(&b->lock);
        /* Poll for an owner that died without unlocking, too. */
        struct timespec step;
        deadline_after(&step, &(struct timespec){0, 50000000});
        const struct timespec *dl = deadline && deadline->tv_sec < step.tv_sec ? deadline : &step;
        r = task_block(t, dl);
        unqueue(b, &w);
        if (r == -EINTR)
            return -ERESTARTNOINTR;
        if (deadline && deadline_passed(deadline))
            return -ETIMEDOUT;
    }
}

static long unlock_pi(struct task *t, uint64_t uaddr, bool private)
{
    struct fkey k;
    int r = get_key(t->mm, uaddr, private, &k);
    if (r < 0)
        return r;
    struct bucket *b = bucket_of(&k);
    pthread_mutex_lock(&b->lock);
    uint32_t cur;
    r = mm_copy_in(t->mm, uaddr, &cur, sizeof(cur));
    if (r == 0 && (cur & FUTEX_TID_MASK) != (uint32_t)t->tid)
        r = -EPERM;
    if (r == 0) {
        /* Hand over: clear the word; the woken waiter takes it. */
        uint32_t nv = 0;
        r = mm_copy_out(t->mm, uaddr, &nv, sizeof(nv));
    }
    if (r == 0)
        for (struct fwaiter **pp = &b->head; *pp; pp = &(*pp)->next)
            if (key_eq(*pp, &k)) {
                wake_at(pp);
                break;
            }
    pthread_mutex_unlock(&b->lock);
    return r;
}

long futex_op(struct task *t, uint64_t uaddr, int op, uint32_t val, uint64_t arg4, uint64_t uaddr2,
              uint32_t val3)
{
    bool private = op & FUTEX_PRIVATE_FLAG;
    bool realtime = op & FUTEX_CLOCK_REALTIME;
    int cmd = op & FUTEX_CMD_MASK;
    if (realtime && cmd != FUTEX_WAIT && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT_REQUEUE_PI &&
        cmd != FUTEX_LOCK_PI2)
        return -ENOSYS;
    struct timespec dl;
    bool has_dl;
    int r;
    switch (cmd) {
    case FUTEX_WAIT:
        r = read_deadline(t, arg4, false, false, &dl, &has_dl);
        if (r < 0)
            return r;
        return futex_wait(t, uaddr, private, val, has_dl ? &dl : NULL, FUTEX_BITSET_MATCH_ANY);
    case FUTEX_WAIT_BITSET:
        r = read_deadline(t, arg4, true, realtime, &dl, &has_dl);
        if (r < 0)
            return r;
        return futex_wait(t, uaddr, private, val, has_dl ? &dl : NULL, val3);
    case FUTEX_WAKE:
    case FUTEX_WAKE_BITSET: {
        uint32_t bitset = cmd == FUTEX_WAKE ? FUTEX_BITSET_MATCH_ANY : val3;
        if (!bitset)
            return -EINVAL;
        struct fkey k;
        if ((r = get_key(t->mm, uaddr, private, &k)) < 0)
            return r;
        return wake_key(&k, (int)(val > INT_MAX ? INT_MAX : val), bitset);
    }
    case FUTEX_REQUEUE:
        return requeue(t, uaddr, uaddr2, private, (int)val, (int)(arg4 > INT_MAX ? INT_MAX : arg4),
                       false, 0);
    case FUTEX_CMP_REQUEUE:
        if ((int)val < 0 || (int64_t)arg4 < 0)
            return -EINVAL;
        return requeue(t, uaddr, uaddr2, private, (int)val, (int)(arg4 > INT_MAX ? INT_MAX : arg4),
                       true, val3);
    case FUTEX_WAKE_OP:
        return wake_op(t, uaddr, uaddr2, private, (int)val, (int)arg4, val3);
    case FUTEX_LOCK_PI:
    case FUTEX_LOCK_PI2:
        r = read_deadline(t, arg4, true, cmd == FUTEX_LOCK_PI || realtime, &dl, &has_dl);
        if (r < 0)
            return r;
        return lock_pi(t, uaddr, private, has_dl ? &dl : NULL, false);
    case FUTEX_TRYLOCK_PI:
        return lock_pi(t, uaddr, private, NULL, true);
    case FUTEX_UNLOCK_PI:
        return unlock_pi(t, uaddr, private);
    default:
        return -ENOSYS;
    }
}

/* What Linux's handle_futex_death does for the futex word at uaddr of the
 * dying task t: pi is the entry's PI bit (bit 0 of the pointer to it),
 * pending whether it is the list_op_pending entry. Returns false when the
 * walk must stop (a misaligned or unreadable word). */
static bool robust_death(struct task *t, uint64_t uaddr, bool pi, bool pending)
{
    if (uaddr & 3)
        return false;
    /* The robust list's words are woken as shared futexes: the waiters of
     * a process-shared mutex meet on the page, not on this mm's address. */
    struct fkey k;
    if (get_key(t->mm, uaddr, false, &k) < 0)
        return false;
    struct bucket *b = bucket_of(&k);
    pthread_mutex_lock(&b->lock);
    uint32_t v;
    if (mm_copy_in(t->mm, uaddr, &v, sizeof(v)) < 0) {
        pthread_mutex_unlock(&b->lock);
        return false;
    }
    uint32_t owner = v & FUTEX_TID_MASK;
    bool wake = false;
    if (pending && !pi && !owner) {
        /* Killed between the unlock and its wake, or a woken waiter killed
         * before it took the lock: wake the next one, word untouched. */
        wake = true;
    } else if (owner == (uint32_t)t->tid) {
        uint32_t nv = (v & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        if (mm_copy_out(t->mm, uaddr, &nv, sizeof(nv)) < 0) {
            pthread_mutex_unlock(&b->lock);
            return false;
        }
        /* Linux hands a PI futex to its top waiter (exit_pi_state_list);
         * here a LOCK_PI waiter takes the ownerless word when woken. */
        wake = (v & FUTEX_WAITERS) != 0;
    }
    pthread_mutex_unlock(&b->lock);
    if (!wake)
        return true;
    int n = wake_key(&k, 1, FUTEX_BITSET_MATCH_ANY);
    if (pi && n == 0 && k.k1 == 0) {
        /* A PI waiter that used FUTEX_PRIVATE_FLAG on a shared mapping
         * queued on this mm's address: Linux reaches it through the PI
         * state, whatever its key. */
        struct fkey pk = {(uintptr_t)t->mm, uaddr};
        wake_key(&pk, 1, FUTEX_BITSET_MATCH_ANY);
    }
    return true;
}

/* The robust list: struct robust_list_head { next; futex_offset; pending },
 * each pointer's bit 0 marking a PI futex. Linux's exit_robust_list. */
void futex_exit_robust_list(struct task *t)
{
    if (!t->robust_list || !t->mm)
        return;
    uint64_t head[3];
    if (mm_copy_in(t->mm, t->robust_list, head, sizeof(head)) < 0)
        return;
    int64_t off = (int64_t)head[1];
    uint64_t entry = head[0] & ~1ull, pending = head[2] & ~1ull;
    bool pi = head[0] & 1, pending_pi = head[2] & 1;
    int limit = 2048; /* ROBUST_LIST_LIMIT: long or circular lists */
    while (entry != t->robust_list) {
        uint64_t next;
        bool next_ok = mm_copy_in(t->mm, entry, &next, sizeof(next)) == 0;
        /* The pending entry may be on the list too: it is handled once,
         * after the walk. */
        if (entry != pending && !robust_death(t, entry + (uint64_t)off, pi, false))
            return;
        if (!next_ok)
            return;
        entry = next & ~1ull;
        pi = next & 1;
        if (--limit == 0)
            break;
    }
    if (pending)
        robust_death(t, pending + (uint64_t)off, pending_pi, true);
}

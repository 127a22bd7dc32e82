/* System V semaphores (Linux's ipc/sem.c).
 *
 * One lock (g_sem.lock) guards the registry, every set and every undo
 * list. semop applies its operations all or none; a caller that would
 * block waits on its set's queue and retries after every change of the set
 * (a wake is sent by any semop, SETVAL/SETALL, an exiting process's undo,
 * IPC_RMID), recording the operation it blocks on for GETNCNT/GETZCNT.
 * SEM_UNDO adjustments are kept per thread group and applied by
 * ipc_sem_exit (Linux's exit_sem) when its last thread exits. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <time.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/ipc/ipc.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"
#include "sentry/mm/mm.h"

#ifndef SEM_STAT_ANY
#define SEM_STAT_ANY 20
#endif

struct sem_pending {
    int semnum;
    bool zero; /* waits for zero (else for an increase) */
    struct sem_pending *next;
};

struct sem_set {
    struct ipc_perm_k perm;
    int nsems;
    uint16_t *vals;
    int *pids;
    int64_t otime, ctime;
    int slot;
    int refs; /* the registry's, and one per blocked semop */
    bool dead;
    struct waitq wq;
    struct sem_pending *pending; /* blocked semops' blocking operations */
};

/* One thread group's adjustments for one set. */
struct sem_undo {
    int tgid;
    int semid;
    int nsems;
    struct sem_undo *next;
    short adj[];
};

/* struct semid64_ds on x86-64. */
struct semid_ds_abi {
    struct ipc_perm_abi perm;
    int64_t otime;
    uint64_t unused1;
    int64_t ctime;
    uint64_t unused2;
    uint64_t nsems;
    uint64_t unused3, unused4;
};

struct seminfo_abi {
    int32_t semmap, semmni, semmns, semmnu, semmsl, semopm, semume, semusz, semvmx, semaem;
};

struct sembuf_abi {
    uint16_t num;
    int16_t op;
    int16_t flg;
};

static void *g_sem_slots[IPC_SEMMNI];
static uint16_t g_sem_seq[IPC_SEMMNI];
static struct {
    pthread_mutex_t lock;
    struct ipc_ids ids;
    long nsems_total;
    struct sem_undo *undos;
} g_sem = {.lock = PTHREAD_MUTEX_INITIALIZER,
           .ids = IPC_IDS_INIT(g_sem_slots, g_sem_seq, struct sem_set)};

static void set_put_locked(struct sem_set *s)
{
    if (--s->refs == 0) {
        free(s->vals);
        free(s->pids);
        free(s);
    }
}

static struct sem_set *find_id_locked(int id)
{
    return ipc_ids_find_id(&g_sem.ids, id);
}

static struct sem_undo *undo_find_locked(int tgid, int semid)
{
    for (struct sem_undo *u = g_sem.undos; u; u = u->next)
        if (u->tgid == tgid && u->semid == semid)
            return u;
    return NULL;
}

/* Removes (and frees) the undo entries matching semid, or tgid (-1: any). */
static void undo_drop_locked(int tgid, int semid)
{
    for (struct sem_undo **pp = &g_sem.undos; *pp;) {
        struct sem_undo *u = *pp;
        if ((semid < 0 || u->semid == semid) && (tgid < 0 || u->tgid == tgid)) {
            *pp = u->next;
            free(u);
        } else {
            pp = &u->next;
        }
    }
}

static void undo_clear_locked(int semid, int semnum)
{
    for (struct sem_undo *u = g_sem.undos; u; u = u->next)
        if (u->semid == semid) {
            if (semnum < 0)
                memset(u->adj, 0, sizeof(short) * (size_t)u->nsems);
            else
                u->adj[semnum] = 0;
        }
}

/* Takes s out of the registry and wakes its waiters (EIDRM). */
static void set_remove_locked(struct sem_set *s)
{
    s->dead = true;
    ipc_ids_remove(&g_sem.ids, s);
    g_sem.nsems_total -= s->nsems;
    undo_drop_locked(-1, s->perm.id);
    waitq_wake(&s->wq, 0, 0);
    set_put_locked(s);
}

/* ---- semget ---- */

static long sem_new(struct task *t, int32_t key, int nsems, int flags)
{
    if (nsems == 0)
        return -EINVAL;
    if (g_sem.nsems_total + nsems > IPC_SEMMNS)
        return -ENOSPC;
    struct sem_set *s = calloc(1, sizeof(*s));
    if (!s)
        return -ENOMEM;
    s->vals = calloc((size_t)nsems, sizeof(*s->vals));
    s->pids = calloc((size_t)nsems, sizeof(*s->pids));
    if (!s->vals || !s->pids) {
        free(s->vals);
        free(s->pids);
        free(s);
        return -ENOMEM;
    }
    int slot = ipc_ids_add(&g_sem.ids, s, key, &t->creds, flags);
    if (slot < 0) {
        free(s->vals);
        free(s->pids);
        free(s);
        return slot;
    }
    s->nsems = nsems;
    s->ctime = ipc_now();
    s->slot = slot;
    s->refs = 1;
    waitq_init(&s->wq);
    g_sem.nsems_total += nsems;
    return s->perm.id;
}

long ipc_semget(struct task *t, int32_t key, int nsems, int flags)
{
    if (nsems < 0 || nsems > IPC_SEMMSL)
        return -EINVAL;
    pthread_mutex_lock(&g_sem.lock);
    long r;
    struct sem_set *s = key == IPC_PRIVATE ? NULL : ipc_ids_find_key(&g_sem.ids, key, 0);
    if (key == IPC_PRIVATE)
        r = sem_new(t, key, nsems, flags);
    else if (!s)
        r = (flags & IPC_CREAT) ? sem_new(t, key, nsems, flags) : -ENOENT;
    else if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
        r = -EEXIST;
    else if (nsems > s->nsems)
        r = -EINVAL;
    else if (!ipc_perms_ok(&t->creds, &s->perm, flags & 0777))
        r = -EACCES;
    else
        r = s->perm.id;
    pthread_mutex_unlock(&g_sem.lock);
    return r;
}

/* ---- semop ---- */

/* Linux's perform_atomic_semop: 0 (done), 1 (would block: *blocking is
 * the operation), -EAGAIN (it has IPC_NOWAIT), -ERANGE, -ENOMEM. */
static int try_ops_locked(struct sem_set *s, const struct sembuf_abi *ops, int n, int tgid,
                          const struct sembuf_abi **blocking)
{
    int32_t vals[IPC_SEMOPM];
    int32_t adjs[IPC_SEMOPM];
    struct sem_undo *u = undo_find_locked(tgid, s->perm.id);
    for (int i = 0; i < n; i++) {
        const struct sembuf_abi *op = &ops[i];
        /* The value as earlier operations of this call left it. */
        int32_t cur = s->vals[op->num], adj = u ? u->adj[op->num] : 0;
        for (int j = i - 1; j >= 0; j--)
            if (ops[j].num == op->num) {
                cur = vals[j];
                adj = adjs[j];
                break;
            }
        if (op->op == 0 && cur != 0)
            goto block;
        int32_t res = cur + op->op;
        if (res < 0)
            goto block;
        if (res > IPC_SEMVMX)
            return -ERANGE;
        if (op->flg & SEM_UNDO) {
            int32_t nadj = adj - op->op;
            if (nadj < -IPC_SEMAEM - 1 || nadj > IPC_SEMAEM)
                return -ERANGE;
            adj = nadj;
        }
        vals[i] = res;
        adjs[i] = adj;
        continue;
    block:
        *blocking = op;
        return (op->flg & IPC_NOWAIT) ? -EAGAIN : 1;
    }
    /* Commit. */
    bool need_undo = false;
    for (int i = 0; i < n; i++)
        need_undo |= (ops[i].flg & SEM_UNDO) != 0;
    if (need_undo && !u) {
        u = calloc(1, sizeof(*u) + sizeof(short) * (size_t)s->nsems);
        if (!u)
            return -ENOMEM;
        u->tgid = tgid;
        u->semid = s->perm.id;
        u->nsems = s->nsems;
        u->next = g_sem.undos;
        g_sem.undos = u;
    }
    for (int i = 0; i < n; i++) {
        s->vals[ops[i].num] = (uint16_t)vals[i];
        s->pids[ops[i].num] = tgid;
        if (u)
            u->adj[ops[i].num] = (short)adjs[i];
    }
    s->otime = ipc_now();
    return 0;
}

long ipc_semtimedop(struct task *t, int semid, uint64_t usops, uint64_t nsops, uint64_t utimeout)
{
    if (nsops < 1 || semid < 0)
        return -EINVAL;
    if (nsops > IPC_SEMOPM)
        return -E2BIG;
    int n = (int)nsops;
    struct sembuf_abi ops[IPC_SEMOPM];
    int r = mm_copy_in(t->mm, usops, ops, sizeof(ops[0]) * (size_t)n);
    if (r < 0)
        return r;
    struct timespec deadline, *dl = NULL;
    if (utimeout) {
        struct timespec rel;
        if ((r = mm_copy_in(t->mm, utimeout, &rel, sizeof(rel))) < 0)
            return r;
        if (rel.tv_sec < 0 || rel.tv_nsec < 0 || rel.tv_nsec >= 1000000000)
            return -EINVAL;
        deadline_after(&deadline, &rel);
        dl = &deadline;
    }
    int max = 0;
    bool alter = false;
    for (int i = 0; i < n; i++) {
        if (ops[i].num > max)
            max = ops[i].num;
        if (ops[i].op != 0)
            alter = true;
    }
    int tgid = t->tg->tgid;
    pthread_mutex_lock(&g_sem.lock);
    struct sem_set *s = find_id_locked(semid);
    long ret;
    if (!s) {
        ret = -EINVAL;
    } else if (max >= s->nsems) {
        ret = -EFBIG;
    } else if (!ipc_perms_ok(&t->creds, &s->perm, alter ? IPC_W_UGO : IPC_R_UGO)) {
        ret = -EACCES;
    } else {
        s->refs++;
        const struct sembuf_abi *blocking = NULL;
        for (;;) {
            ret = try_ops_locked(s, ops, n, tgid, &blocking);
            if (ret == 0) {
                waitq_wake(&s->wq, 0, 0); /* others may proceed now */
                break;
            }
            if (ret < 0)
                break;
            /* Block until the set changes. */
            struct sem_pending p = {blocking->num, blocking->op == 0, s->pending};
            s->pending = &p;
            struct waiter w = {.t = t};
            waitq_add(&s->wq, &w);
            pthread_mutex_unlock(&g_sem.lock);
            int br = task_block(t, dl);
            waitq_remove(&s->wq, &w);
            pthread_mutex_lock(&g_sem.lock);
            for (struct sem_pending **pp = &s->pending; *pp; pp = &(*pp)->next)
                if (*pp == &p) {
                    *pp = p.next;
                    break;
                }
            if (s->dead) {
                ret = -EIDRM;
                break;
            }
            if (br == -EINTR) {
                ret = -EINTR; /* semop is never restarted (Linux) */
                break;
            }
            if (br == -ETIMEDOUT) {
                /* A last try: Linux reports success if it was woken to it. */
                ret = try_ops_locked(s, ops, n, tgid, &blocking);
                if (ret == 0)
                    waitq_wake(&s->wq, 0, 0);
                else if (ret == 1)
                    ret = -EAGAIN;
                break;
            }
        }
        set_put_locked(s);
    }
    pthread_mutex_unlock(&g_sem.lock);
    return ret;
}

void ipc_sem_exit(int tgid)
{
    pthread_mutex_lock(&g_sem.lock);
    for (struct sem_undo *u = g_sem.undos; u; u = u->next) {
        if (u->tgid != tgid)
            continue;
        struct sem_set *s = find_id_locked(u->semid);
        if (!s)
            continue;
        for (int i = 0; i < u->nsems && i < s->nsems; i++) {
            if (!u->adj[i])
                continue;
            int32_t v = s->vals[i] + u->adj[i];
            if (v < 0)
                v = 0;
            if (v > IPC_SEMVMX)
                v = IPC_SEMVMX;
            s->vals[i] = (uint16_t)v;
            s->pids[i] = tgid;
        }
        waitq_wake(&s->wq, 0, 0);
    }
    undo_drop_locked(tgid, -1);
    pthread_mutex_unlock(&g_sem.lock);
}

/* ---- semctl ---- */

static void fill_ds(const struct sem_set *s, struct semid_ds_abi *ds)
{
    memset(ds, 0, sizeof(*ds));
    ipc_perm_to_abi(&s->perm, &ds->perm);
    ds->otime = s->otime;
    ds->ctime = s->ctime;
    ds->nsems = (uint64_t)s->nsems;
}

static int count_pending(const struct sem_set *s, int semnum, bool zero)
{
    int n = 0;
    for (const struct sem_pending *p = s->pending; p; p = p->next)
        if (p->semnum == semnum && p->zero == zero)
            n++;
    return n;
}

long ipc_semctl(struct task *t, int semid, int semnum, int cmd, uint64_t arg)
{
    cmd &= ~IPC_CMD_64;
    if (semid < 0)
        return -EINVAL;
    const struct creds *c = &t->creds;
    long r = 0;
    switch (cmd) {
    case IPC_INFO:
    case SEM_INFO: {
        struct seminfo_abi i = {
            .semmap = IPC_SEMMNS,
            .semmni = IPC_SEMMNI,
            .semmns = IPC_SEMMNS,
            .semmnu = IPC_SEMMNS,
            .semmsl = IPC_SEMMSL,
            .semopm = IPC_SEMOPM,
            .semume = IPC_SEMOPM,
            .semusz = 20, /* sizeof(struct sem_undo) in old Linux */
            .semvmx = IPC_SEMVMX,
            .semaem = IPC_SEMAEM,
        };
        pthread_mutex_lock(&g_sem.lock);
        if (cmd == SEM_INFO) {
            i.semusz = g_sem.ids.count;
            i.semaem = (int32_t)g_sem.nsems_total;
        }
        r = ipc_ids_max_idx(&g_sem.ids);
        pthread_mutex_unlock(&g_sem.lock);
        int cr = mm_copy_out(t->mm, arg, &i, sizeof(i));
        return cr < 0 ? cr : r;
    }
    case IPC_STAT:
    case SEM_STAT:
    case SEM_STAT_ANY: {
        struct semid_ds_abi ds;
        pthread_mutex_lock(&g_sem.lock);
        struct sem_set *s = ipc_ids_stat(&g_sem.ids, c, cmd, semid, cmd == SEM_STAT_ANY, &r);
        if (s)
            fill_ds(s, &ds);
        pthread_mutex_unlock(&g_sem.lock);
        if (r < 0)
            return r;
        int cr = mm_copy_out(t->mm, arg, &ds, sizeof(ds));
        return cr < 0 ? cr : r;
    }
    case IPC_SET:
    case IPC_RMID: {
        struct semid_ds_abi ds;
        if (cmd == IPC_SET && (r = mm_copy_in(t->mm, arg, &ds, sizeof(ds))) < 0)
            return r;
        pthread_mutex_lock(&g_sem.lock);
        struct sem_set *s = ipc_ids_find_owned(&g_sem.ids, c, semid, &r);
        if (s && cmd == IPC_SET) {
            ipc_perm_set(&s->perm, &ds.perm);
            s->ctime = ipc_now();
        } else if (s) {
            set_remove_locked(s);
        }
        pthread_mutex_unlock(&g_sem.lock);
        return r;
    }
    case GETVAL:
    case GETPID:
    case GETNCNT:
    case GETZCNT: {
        pthread_mutex_lock(&g_sem.lock);
        struct sem_set *s = find_id_locked(semid);
        if (!s)
            r = -EINVAL;
        else if (!ipc_perms_ok(c, &s->perm, IPC_R_UGO))
            r = -EACCES;
        else if (semnum < 0 || semnum >= s->nsems)
            r = -EINVAL;
        else if (cmd == GETVAL)
            r = s->vals[semnum];
        else if (cmd == GETPID)
            r = s->pids[semnum];
        else
            r = count_pending(s, semnum, cmd == GETZCNT);
        pthread_mutex_unlock(&g_sem.lock);
        return r;
    }
    case SETVAL: {
        int val = (int)arg;
        if (val < 0 || val > IPC_SEMVMX)
            return -ERANGE;
        pthread_mutex_lock(&g_sem.lock);
        struct sem_set *s = find_id_locked(semid);
        if (!s)
            r = -EINVAL;
        else if (semnum < 0 || semnum >= s->nsems)
            r = -EINVAL;
        else if (!ipc_perms_ok(c, &s->perm, IPC_W_UGO))
            r = -EACCES;
        else {
            s->vals[semnum] = (uint16_t)val;
            s->pids[semnum] = t->tg->tgid;
            undo_clear_locked(semid, semnum);
            s->ctime = ipc_now();
            waitq_wake(&s->wq, 0, 0);
        }
        pthread_mutex_unlock(&g_sem.lock);
        return r;
    }
    case GETALL:
    case SETALL: {
        /* The array is copied without the lock: size it first. */
        pthread_mutex_lock(&g_sem.lock);
        struct sem_set *s = find_id_locked(semid);
        int n = 0;
        if (!s)
            r = -EINVAL;
        else if (!ipc_perms_ok(c, &s->perm, cmd == SETALL ? IPC_W_UGO : IPC_R_UGO))
            r = -EACCES;
        else
            n = s->nsems;
        uint16_t *buf = NULL;
        if (r == 0 && !(buf = calloc((size_t)n, sizeof(*buf))))
            r = -ENOMEM;
        if (r == 0 && cmd == GETALL)
            memcpy(buf, s->vals, sizeof(*buf) * (size_t)n);
        pthread_mutex_unlock(&g_sem.lock);
        if (r < 0)
            return r;
        if (cmd == GETALL) {
            r = mm_copy_out(t->mm, arg, buf, sizeof(*buf) * (size_t)n);
            free(buf);
            return r;
        }
        r = mm_copy_in(t->mm, arg, buf, sizeof(*buf) * (size_t)n);
        for (int i = 0; r == 0 && i < n; i++)
            if (buf[i] > IPC_SEMVMX)
                r = -ERANGE;
        if (r == 0) {
            pthread_mutex_lock(&g_sem.lock);
            s = find_id_locked(semid);
            if (!s || s->nsems != n) {
                r = -EIDRM;
            } else {
                memcpy(s->vals, buf, sizeof(*buf) * (size_t)n);
                for (int i = 0; i < n; i++)
                    s->pids[i] = t->tg->tgid;
                undo_clear_locked(semid, -1);
                s->ctime = ipc_now();
                waitq_wake(&s->wq, 0, 0);
            }
            pthread_mutex_unlock(&g_sem.lock);
        }
        free(buf);
        return r;
    }
    default:
        return -EINVAL;
    }
}

void ipc_sem_proc(FILE *out)
{
    fprintf(out, "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      "
                 "ctime\n");
    pthread_mutex_lock(&g_sem.lock);
    for (int i = 0; i < g_sem.ids.max_slot; i++) {
        struct sem_set *s = ipc_ids_at(&g_sem.ids, i);
        if (!s)
            continue;
        fprintf(out, "%10d %10d  %4o %10u %5u %5u %5u %5u %10lld %10lld\n", s->perm.key, s->perm.id,
                s->perm.mode, (unsigned)s->nsems, s->perm.uid, s->perm.gid, s->perm.cuid,
                s->perm.cgid, (long long)s->otime, (long long)s->ctime);
    }
    pthread_mutex_unlock(&g_sem.lock);
}

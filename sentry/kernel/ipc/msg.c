/* System V message queues (Linux's ipc/msg.c).
 *
 * One lock (g_msg.lock) guards the registry, every queue and its
 * messages. A sender that finds its queue full, or a receiver that finds
 * no matching message, waits on the queue's wait queue and retries after
 * every change (a send, a receive, IPC_SET, IPC_RMID: EIDRM). A blocked
 * receiver whose buffer is too small for the message that arrives gets
 * E2BIG and leaves it queued, as Linux's pipelined_send arranges. Signals:
 * -ERESTARTNOHAND (EINTR once a handler runs). Message text is copied
 * from and to the application without the lock. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>

#include "sentry/kernel/creds.h"
#include "sentry/kernel/ipc/ipc.h"
#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"
#include "sentry/mm/mm.h"

#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif
#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#define MSGPOOL (IPC_MSGMNI * IPC_MSGMNB / 1024)
#define MSGSSZ 16

struct msg {
    int64_t type;
    uint64_t size;
    struct msg *next;
    char text[];
};

struct msq {
    struct ipc_perm_k perm;
    struct msg *head, **tail;
    uint64_t cbytes, qnum, qbytes;
    int lspid, lrpid;
    int64_t stime, rtime, ctime;
    int slot;
    int refs; /* the registry's, and one per blocked call */
    bool dead;
    struct waitq wq;
};

/* struct msqid64_ds on x86-64. */
struct msqid_ds_abi {
    struct ipc_perm_abi perm;
    int64_t stime, rtime, ctime;
    uint64_t cbytes, qnum, qbytes;
    int32_t lspid, lrpid;
    uint64_t unused4, unused5;
};

struct msginfo_abi {
    int32_t msgpool, msgmap, msgmax, msgmnb, msgmni, msgssz, msgtql;
    uint16_t msgseg;
};

static void *g_msg_slots[IPC_MSGMNI];
static uint16_t g_msg_seq[IPC_MSGMNI];
static struct {
    pthread_mutex_t lock;
    struct ipc_ids ids;
    long total_msgs, total_bytes;
} g_msg = {.lock = PTHREAD_MUTEX_INITIALIZER,
           .ids = IPC_IDS_INIT(g_msg_slots, g_msg_seq, struct msq)};

static void msq_put_locked(struct msq *q)
{
    if (--q->refs)
        return;
    for (struct msg *m = q->head, *n; m; m = n) {
        n = m->next;
        free(m);
    }
    free(q);
}

static struct msq *find_id_locked(int id)
{
    return ipc_ids_find_id(&g_msg.ids, id);
}

/* ---- msgget ---- */

static long msq_new(struct task *t, int32_t key, int flags)
{
    struct msq *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    int slot = ipc_ids_add(&g_msg.ids, q, key, &t->creds, flags);
    if (slot < 0) {
        free(q);
        return slot;
    }
    q->tail = &q->head;
    q->qbytes = IPC_MSGMNB;
    q->ctime = ipc_now();
    q->slot = slot;
    q->refs = 1;
    waitq_init(&q->wq);
    return q->perm.id;
}

long ipc_msgget(struct task *t, int32_t key, int flags)
{
    pthread_mutex_lock(&g_msg.lock);
    long r;
    struct msq *q = NULL;
    if (key != IPC_PRIVATE)
        q = ipc_ids_find_key(&g_msg.ids, key, 0);
    if (key == IPC_PRIVATE)
        r = msq_new(t, key, flags);
    else if (!q)
        r = (flags & IPC_CREAT) ? msq_new(t, key, flags) : -ENOENT;
    else if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
        r = -EEXIST;
    else if (!ipc_perms_ok(&t->creds, &q->perm, flags & 0777))
        r = -EACCES;
    else
        r = q->perm.id;
    pthread_mutex_unlock(&g_msg.lock);
    return r;
}

/* Waits on q's queue (g_msg.lock held, dropped while blocked): 0 or
 * -EINTR; the caller re-checks q->dead. */
static int msq_wait_locked(struct msq *q, struct task *t)
{
    struct waiter w = {.t = t};
    waitq_add(&q->wq, &w);
    pthread_mutex_unlock(&g_msg.lock);
    int r = task_block(t, NULL);
    waitq_remove(&q->wq, &w);
    pthread_mutex_lock(&g_msg.lock);
    return r == -EINTR ? -EINTR : 0;
}

/* ---- msgsnd ---- */

long ipc_msgsnd(struct task *t, int msqid, uint64_t msgp, uint64_t msgsz, int flags)
{
    int64_t type;
    int r = mm_copy_in(t->mm, msgp, &type, sizeof(type));
    if (r < 0)
        return r;
    if (msgsz > IPC_MSGMAX || (int64_t)msgsz < 0 || msqid < 0)
        return -EINVAL;
    if (type < 1)
        return -EINVAL;
    struct msg *m = malloc(sizeof(*m) + msgsz);
    if (!m)
        return -ENOMEM;
    m->type = type;
    m->size = msgsz;
    m->next = NULL;
    if ((r = mm_copy_in(t->mm, msgp + sizeof(int64_t), m->text, msgsz)) < 0) {
        free(m);
        return r;
    }
    pthread_mutex_lock(&g_msg.lock);
    struct msq *q = find_id_locked(msqid);
    long ret = 0;
    if (!q) {
        pthread_mutex_unlock(&g_msg.lock);
        free(m);
        return -EINVAL;
    }
    q->refs++;
    for (;;) {
        if (!ipc_perms_ok(&t->creds, &q->perm, IPC_W_UGO)) {
            ret = -EACCES;
            break;
        }
        if (q->dead) {
            ret = -EIDRM;
            break;
        }
        if (msgsz + q->cbytes <= q->qbytes && 1 + q->qnum <= q->qbytes) {
            *q->tail = m;
            q->tail = &m->next;
            m = NULL;
            q->cbytes += msgsz;
            q->qnum++;
            q->lspid = t->tg->tgid;
            q->stime = ipc_now();
            g_msg.total_msgs++;
            g_msg.total_bytes += (long)msgsz;
            waitq_wake(&q->wq, 0, 0);
            break;
        }
        if (flags & IPC_NOWAIT) {
            ret = -EAGAIN;
            break;
        }
        if (msq_wait_locked(q, t) == -EINTR && !q->dead) {
            ret = -ERESTARTNOHAND;
            break;
        }
    }
    msq_put_locked(q);
    pthread_mutex_unlock(&g_msg.lock);
    free(m);
    return ret;
}

/* ---- msgrcv ---- */

enum { FIND_ANY, FIND_EQUAL, FIND_NOTEQUAL, FIND_LESSEQUAL, FIND_NUMBER };

/* Linux's find_msg: the message a receive takes (the lowest type for
 * LESSEQUAL, the index'th for NUMBER), with the link pointing at it. */
static struct msg **find_msg_locked(struct msq *q, int64_t typ, int mode)
{
    struct msg **found = NULL;
    int64_t count = 0;
    for (struct msg **pp = &q->head; *pp; pp = &(*pp)->next) {
        struct msg *m = *pp;
        switch (mode) {
        case FIND_ANY:
            return pp;
        case FIND_EQUAL:
            if (m->type == typ)
                return pp;
            break;
        case FIND_NOTEQUAL:
            if (m->type != typ)
                return pp;
            break;
        case FIND_LESSEQUAL:
            if (m->type <= typ) {
                found = pp;
                if (m->type == 1)
                    return pp;
                typ = m->type - 1;
            }
            break;
        case FIND_NUMBER:
            if (count++ == typ)
                return pp;
            break;
        }
    }
    return found;
}

long ipc_msgrcv(struct task *t, int msqid, uint64_t msgp, uint64_t msgsz, int64_t msgtyp, int flags)
{
    if (msqid < 0 || (int64_t)msgsz < 0)
        return -EINVAL;
    int mode;
    if (flags & MSG_COPY) {
        if ((flags & MSG_EXCEPT) || !(flags & IPC_NOWAIT))
            return -EINVAL;
        if (msgsz > IPC_MSGMAX)
            msgsz = IPC_MSGMAX;
        mode = FIND_NUMBER;
    } else if (msgtyp == 0) {
        mode = FIND_ANY;
    } else if (msgtyp < 0) {
        msgtyp = msgtyp == INT64_MIN ? INT64_MAX : -msgtyp;
        mode = FIND_LESSEQUAL;
    } else {
        mode = (flags & MSG_EXCEPT) ? FIND_NOTEQUAL : FIND_EQUAL;
    }
    pthread_mutex_lock(&g_msg.lock);
    struct msq *q = find_id_locked(msqid);
    if (!q) {
        pthread_mutex_unlock(&g_msg.lock);
        return -EINVAL;
    }
    q->refs++;
    long ret = 0;
    struct msg *m = NULL;
    for (;;) {
        if (!ipc_perms_ok(&t->creds, &q->perm, IPC_R_UGO)) {
            ret = -EACCES;
            break;
        }
        if (q->dead) {
            ret = -EIDRM;
            break;
        }
        struct msg **pp = find_msg_locked(q, msgtyp, mode);
        if (pp) {
            struct msg *f = *pp;
            if (msgsz < f->size && !(flags & MSG_NOERROR)) {
                ret = -E2BIG;
                break;
            }
            if (flags & MSG_COPY) {
                m = malloc(sizeof(*m) + f->size);
                if (!m) {
                    ret = -ENOMEM;
                    break;
                }
                memcpy(m, f, sizeof(*m) + f->size);
                break;
            }
            m = f;
            *pp = f->next;
            if (q->tail == &f->next)
                q->tail = pp;
            q->qnum--;
            q->cbytes -= f->size;
            q->rtime = ipc_now();
            q->lrpid = t->tg->tgid;
            g_msg.total_msgs--;
            g_msg.total_bytes -= (long)f->size;
            waitq_wake(&q->wq, 0, 0); /* room for senders */
            break;
        }
        if (flags & IPC_NOWAIT) {
            ret = -ENOMSG;
            break;
        }
        if (msq_wait_locked(q, t) == -EINTR && !q->dead) {
            ret = -ERESTARTNOHAND;
            break;
        }
    }
    msq_put_locked(q);
    pthread_mutex_unlock(&g_msg.lock);
    if (!m)
        return ret;
    uint64_t n = msgsz < m->size ? msgsz : m->size;
    int r = mm_copy_out(t->mm, msgp, &m->type, sizeof(m->type));
    if (r == 0)
        r = mm_copy_out(t->mm, msgp + sizeof(int64_t), m->text, n);
    free(m);
    return r < 0 ? r : (long)n;
}

/* ---- msgctl ---- */

static void fill_ds(const struct msq *q, struct msqid_ds_abi *ds)
{
    memset(ds, 0, sizeof(*ds));
    ipc_perm_to_abi(&q->perm, &ds->perm);
    ds->stime = q->stime;
    ds->rtime = q->rtime;
    ds->ctime = q->ctime;
    ds->cbytes = q->cbytes;
    ds->qnum = q->qnum;
    ds->qbytes = q->qbytes;
    ds->lspid = q->lspid;
    ds->lrpid = q->lrpid;
}

long ipc_msgctl(struct task *t, int msqid, int cmd, uint64_t buf)
{
    cmd &= ~IPC_CMD_64;
    if (msqid < 0 || cmd < 0)
        return -EINVAL;
    const struct creds *c = &t->creds;
    long r = 0;
    switch (cmd) {
    case IPC_INFO:
    case MSG_INFO: {
        struct msginfo_abi i = {
            .msgpool = MSGPOOL,
            .msgmap = IPC_MSGMNB,
            .msgmax = IPC_MSGMAX,
            .msgmnb = IPC_MSGMNB,
            .msgmni = IPC_MSGMNI,
            .msgssz = MSGSSZ,
            .msgtql = IPC_MSGMNB,
            .msgseg = 0xffff,
        };
        pthread_mutex_lock(&g_msg.lock);
        if (cmd == MSG_INFO) {
            i.msgpool = g_msg.ids.count;
            i.msgmap = (int32_t)g_msg.total_msgs;
            i.msgtql = (int32_t)g_msg.total_bytes;
        }
        r = ipc_ids_max_idx(&g_msg.ids);
        pthread_mutex_unlock(&g_msg.lock);
        int cr = mm_copy_out(t->mm, buf, &i, sizeof(i));
        return cr < 0 ? cr : r;
    }
    case IPC_STAT:
    case MSG_STAT:
    case MSG_STAT_ANY: {
        struct msqid_ds_abi ds;
        pthread_mutex_lock(&g_msg.lock);
        struct msq *q = ipc_ids_stat(&g_msg.ids, c, cmd, msqid, cmd == MSG_STAT_ANY, &r);
        if (q)
            fill_ds(q, &ds);
        pthread_mutex_unlock(&g_msg.lock);
        if (r < 0)
            return r;
        int cr = mm_copy_out(t->mm, buf, &ds, sizeof(ds));
        return cr < 0 ? cr : r;
    }
    case IPC_SET:
    case IPC_RMID: {
        struct msqid_ds_abi ds;
        if (cmd == IPC_SET && (r = mm_copy_in(t->mm, buf, &ds, sizeof(ds))) < 0)
            return r;
        pthread_mutex_lock(&g_msg.lock);
        struct msq *q = ipc_ids_find_owned(&g_msg.ids, c, msqid, &r);
        if (q && cmd == IPC_SET) {
            if (ds.qbytes > IPC_MSGMNB && !creds_capable(c, CREDS_CAP_SYS_RESOURCE)) {
                r = -EPERM;
            } else {
                q->qbytes = ds.qbytes;
                ipc_perm_set(&q->perm, &ds.perm);
                q->ctime = ipc_now();
                waitq_wake(&q->wq, 0, 0); /* room, or stricter permissions */
            }
        } else if (q) {
            q->dead = true;
            ipc_ids_remove(&g_msg.ids, q);
            g_msg.total_msgs -= (long)q->qnum;
            g_msg.total_bytes -= (long)q->cbytes;
            waitq_wake(&q->wq, 0, 0);
            msq_put_locked(q);
        }
        pthread_mutex_unlock(&g_msg.lock);
        return r;
    }
    default:
        return -EINVAL;
    }
}

void ipc_msg_proc(FILE *out)
{
    fprintf(out,
            "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  "
            "cgid      stime      rtime      ctime\n");
    pthread_mutex_lock(&g_msg.lock);
    for (int i = 0; i < g_msg.ids.max_slot; i++) {
        struct msq *q = ipc_ids_at(&g_msg.ids, i);
        if (!q)
            continue;
        fprintf(out, "%10d %10d  %4o  %10llu %10llu %5d %5d %5u %5u %5u %5u %10lld %10lld %10lld\n",
                q->perm.key, q->perm.id, q->perm.mode, (unsigned long long)q->cbytes,
                (unsigned long long)q->qnum, q->lspid, q->lrpid, q->perm.uid, q->perm.gid,
                q->perm.cuid, q->perm.cgid, (long long)q->stime, (long long)q->rtime,
                (long long)q->ctime);
    }
    pthread_mutex_unlock(&g_msg.lock);
}

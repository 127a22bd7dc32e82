/* What System V IPC's object kinds share: the id registry, Linux's ipcperms
 * and the owner check of the *ctl calls (ipc/util.c). */
#include "sentry/kernel/ipc/ipc.h"

#include <errno.h>
#include <sys/ipc.h>
#include <sys/stat.h>
#include <time.h>

#include "sentry/kernel/creds.h"

bool ipc_perms_ok(const struct creds *c, const struct ipc_perm_k *p, int flag)
{
    int requested = (flag >> 6) | (flag >> 3) | flag;
    int granted = (int)p->mode;
    if (c->euid == p->cuid || c->euid == p->uid)
        granted >>= 6;
    else if (creds_in_group(c, p->cgid) || creds_in_group(c, p->gid))
        granted >>= 3;
    if ((requested & ~granted & 0007) && !creds_capable(c, CREDS_CAP_IPC_OWNER))
        return false;
    return true;
}

bool ipc_is_owner(const struct creds *c, const struct ipc_perm_k *p)
{
    return c->euid == p->cuid || c->euid == p->uid || creds_capable(c, CREDS_CAP_SYS_ADMIN);
}

void ipc_perm_to_abi(const struct ipc_perm_k *p, struct ipc_perm_abi *out)
{
    *out = (struct ipc_perm_abi){
        .key = p->key,
        .uid = p->uid,
        .gid = p->gid,
        .cuid = p->cuid,
        .cgid = p->cgid,
        .mode = p->mode,
        .seq = p->seq,
    };
}

void ipc_perm_set(struct ipc_perm_k *p, const struct ipc_perm_abi *in)
{
    p->uid = in->uid;
    p->gid = in->gid;
    p->mode = (p->mode & ~(uint32_t)0777) | (in->mode & 0777);
}

int64_t ipc_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return ts.tv_sec;
}

/* ---- the id registry -------------------------------------------------------- */

static struct ipc_perm_k *perm_of(const struct ipc_ids *ids, void *obj)
{
    return (struct ipc_perm_k *)((char *)obj + ids->perm_off);
}

void *ipc_ids_at(struct ipc_ids *ids, int idx)
{
    return idx >= 0 && idx < ids->cap ? ids->slots[idx] : NULL;
}

void *ipc_ids_find_id(struct ipc_ids *ids, int id)
{
    if (id < 0)
        return NULL;
    void *o = ipc_ids_at(ids, id % IPC_SEQ_MULTIPLIER);
    return o && perm_of(ids, o)->id == id ? o : NULL;
}

void *ipc_ids_find_key(struct ipc_ids *ids, int32_t key, uint32_t skip)
{
    for (int i = 0; i < ids->max_slot; i++) {
        void *o = ids->slots[i];
        if (o && perm_of(ids, o)->key == key && !(perm_of(ids, o)->mode & skip))
            return o;
    }
    return NULL;
}

int ipc_ids_max_idx(struct ipc_ids *ids)
{
    for (int i = ids->max_slot - 1; i >= 0; i--)
        if (ids->slots[i])
            return i;
    return 0;
}

int ipc_ids_add(struct ipc_ids *ids, void *obj, int32_t key, const struct creds *c, int flags)
{
    int slot = 0;
    while (slot < ids->cap && ids->slots[slot])
        slot++;
    if (slot == ids->cap)
        return -ENOSPC;
    struct ipc_perm_k *p = perm_of(ids, obj);
    *p = (struct ipc_perm_k){
        .key = key,
        .uid = c->euid,
        .gid = c->egid,
        .cuid = c->euid,
        .cgid = c->egid,
        .mode = (uint32_t)flags & 0777,
        .seq = ids->seq[slot]++,
    };
    p->id = p->seq * IPC_SEQ_MULTIPLIER + slot;
    ids->slots[slot] = obj;
    ids->count++;
    if (slot >= ids->max_slot)
        ids->max_slot = slot + 1;
    return slot;
}

void ipc_ids_remove(struct ipc_ids *ids, void *obj)
{
    int slot = perm_of(ids, obj)->id % IPC_SEQ_MULTIPLIER;
    if (ipc_ids_at(ids, slot) == obj) {
        ids->slots[slot] = NULL;
        ids->count--;
    }
}

void *ipc_ids_stat(struct ipc_ids *ids, const struct creds *c, int cmd, int id, bool any, long *r)
{
    void *o = cmd == IPC_STAT ? ipc_ids_find_id(ids, id) : ipc_ids_at(ids, id);
    if (!o) {
        *r = -EINVAL;
        return NULL;
    }
    if (!any && !ipc_perms_ok(c, perm_of(ids, o), IPC_R_UGO)) {
        *r = -EACCES;
        return NULL;
    }
    *r = cmd == IPC_STAT ? 0 : perm_of(ids, o)->id;
    return o;
}

void *ipc_ids_find_owned(struct ipc_ids *ids, const struct creds *c, int id, long *r)
{
    void *o = ipc_ids_find_id(ids, id);
    if (!o) {
        *r = -EINVAL;
        return NULL;
    }
    if (!ipc_is_owner(c, perm_of(ids, o))) {
        *r = -EPERM;
        return NULL;
    }
    return o;
}

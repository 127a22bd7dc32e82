/* What System V IPC's object kinds share: Linux's ipcperms and the owner
 * check of the *ctl calls (ipc/util.c). */
#include "sentry/kernel/ipc/ipc.h"

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
    if ((requested & ~granted & 0007) && !creds_capable(c, IPC_CAP_IPC_OWNER))
        return false;
    return true;
}

bool ipc_is_owner(const struct creds *c, const struct ipc_perm_k *p)
{
    return c->euid == p->cuid || c->euid == p->uid || creds_capable(c, IPC_CAP_SYS_ADMIN);
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

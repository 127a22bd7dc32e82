/* Credentials: id changes, capability sets, securebits, execve transition
 * (see creds.h). */
#include "sentry/kernel/creds.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>

#define NO_ID UINT32_MAX

/* The capabilities the fsuid emulation moves (CAP_FS_MASK). */
#define FS_CAPS                                                                                    \
    (CREDS_CAP_BIT(CREDS_CAP_CHOWN) | CREDS_CAP_BIT(CREDS_CAP_DAC_OVERRIDE) |                      \
     CREDS_CAP_BIT(CREDS_CAP_DAC_READ_SEARCH) | CREDS_CAP_BIT(CREDS_CAP_FOWNER) |                  \
     CREDS_CAP_BIT(CREDS_CAP_FSETID) | CREDS_CAP_BIT(CREDS_CAP_LINUX_IMMUTABLE) |                  \
     CREDS_CAP_BIT(CREDS_CAP_MKNOD) | CREDS_CAP_BIT(CREDS_CAP_MAC_OVERRIDE))

int creds_copy(struct creds *dst, const struct creds *src)
{
    *dst = *src;
    dst->groups = NULL;
    if (src->ngroups > 0) {
        dst->groups = malloc((size_t)src->ngroups * sizeof(uint32_t));
        if (!dst->groups)
            return -ENOMEM;
        memcpy(dst->groups, src->groups, (size_t)src->ngroups * sizeof(uint32_t));
    }
    return 0;
}

void creds_release(struct creds *c)
{
    free(c->groups);
    c->groups = NULL;
    c->ngroups = 0;
}

bool creds_in_group(const struct creds *c, uint32_t gid)
{
    if (gid == c->fsgid)
        return true;
    for (int i = 0; i < c->ngroups; i++)
        if (c->groups[i] == gid)
            return true;
    return false;
}

void creds_commit(struct task *t, struct creds *c)
{
    pthread_mutex_lock(&g_kernel->lock);
    uint32_t *old_groups = t->creds.groups;
    t->creds = *c;
    pthread_mutex_unlock(&g_kernel->lock);
    if (old_groups != c->groups)
        free(old_groups);
}

/* ---- uid changes -------------------------------------------------------------- */

/* commoncap's emulation of the old root semantics after a change of
 * ruid/euid/suid (cap_emulate_setxuid). */
static void fix_setxuid(struct creds *n, const struct creds *o)
{
    if (n->securebits & CREDS_SECBIT_NO_SETUID_FIXUP)
        return;
    if ((o->ruid == 0 || o->euid == 0 || o->suid == 0) &&
        (n->ruid != 0 && n->euid != 0 && n->suid != 0)) {
        if (!(n->securebits & CREDS_SECBIT_KEEP_CAPS)) {
            n->cap_permitted = 0;
            n->cap_effective = 0;
        }
        n->cap_ambient = 0;
    }
    if (o->euid == 0 && n->euid != 0)
        n->cap_effective = 0;
    if (o->euid != 0 && n->euid == 0)
        n->cap_effective = n->cap_permitted;
}

/* ... and after a change of fsuid alone. */
static void fix_setfsuid(struct creds *n, const struct creds *o)
{
    if (n->securebits & CREDS_SECBIT_NO_SETUID_FIXUP)
        return;
    if (o->fsuid == 0 && n->fsuid != 0)
        n->cap_effective &= ~FS_CAPS;
    if (o->fsuid != 0 && n->fsuid == 0)
        n->cap_effective |= n->cap_permitted & FS_CAPS;
}

static bool is_one_of(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
    return id == a || id == b || id == c;
}

/* The new scalar creds share the old groups array: commit without freeing. */
static void commit_ids(struct task *t, struct creds *n)
{
    creds_commit(t, n);
}

int creds_setuid(struct task *t, uint32_t uid)
{
    const struct creds *o = &t->creds;
    if (uid == NO_ID)
        return -EINVAL;
    struct creds n = *o;
    if (creds_capable(o, CREDS_CAP_SETUID)) {
        n.ruid = n.suid = uid;
    } else if (uid != o->ruid && uid != o->suid) {
        return -EPERM;
    }
    n.euid = n.fsuid = uid;
    fix_setxuid(&n, o);
    commit_ids(t, &n);
    return 0;
}

int creds_setreuid(struct task *t, uint32_t ruid, uint32_t euid)
{
    const struct creds *o = &t->creds;
    bool cap = creds_capable(o, CREDS_CAP_SETUID);
    struct creds n = *o;
    if (ruid != NO_ID) {
        if (ruid != o->ruid && ruid != o->euid && !cap)
            return -EPERM;
        n.ruid = ruid;
    }
    if (euid != NO_ID) {
        if (!is_one_of(euid, o->ruid, o->euid, o->suid) && !cap)
            return -EPERM;
        n.euid = euid;
    }
    if (ruid != NO_ID || (euid != NO_ID && euid != o->ruid))
        n.suid = n.euid;
    n.fsuid = n.euid;
    fix_setxuid(&n, o);
    commit_ids(t, &n);
    return 0;
}

int creds_setresuid(struct task *t, uint32_t ruid, uint32_t euid, uint32_t suid)
{
    const struct creds *o = &t->creds;
    if (!creds_capable(o, CREDS_CAP_SETUID)) {
        if (ruid != NO_ID && !is_one_of(ruid, o->ruid, o->euid, o->suid))
            return -EPERM;
        if (euid != NO_ID && !is_one_of(euid, o->ruid, o->euid, o->suid))
            return -EPERM;
        if (suid != NO_ID && !is_one_of(suid, o->ruid, o->euid, o->suid))
            return -EPERM;
    }
    struct creds n = *o;
    if (ruid != NO_ID)
        n.ruid = ruid;
    if (euid != NO_ID)
        n.euid = euid;
    if (suid != NO_ID)
        n.suid = suid;
    n.fsuid = n.euid;
    fix_setxuid(&n, o);
    commit_ids(t, &n);
    return 0;
}

uint32_t creds_setfsuid(struct task *t, uint32_t fsuid)
{
    const struct creds *o = &t->creds;
    uint32_t old = o->fsuid;
    if (fsuid == NO_ID || fsuid == old)
        return old;
    if (!is_one_of(fsuid, o->ruid, o->euid, o->suid) && !creds_capable(o, CREDS_CAP_SETUID))
        return old;
    struct creds n = *o;
    n.fsuid = fsuid;
    fix_setfsuid(&n, o);
    commit_ids(t, &n);
    return old;
}

/* ---- gid changes (no capability fix-ups) ------------------------------------- */

int creds_setgid(struct task *t, uint32_t gid)
{
    const struct creds *o = &t->creds;
    if (gid == NO_ID)
        return -EINVAL;
    struct creds n = *o;
    if (creds_capable(o, CREDS_CAP_SETGID))
        n.rgid = n.sgid = gid;
    else if (gid != o->rgid && gid != o->sgid)
        return -EPERM;
    n.egid = n.fsgid = gid;
    commit_ids(t, &n);
    return 0;
}

int creds_setregid(struct task *t, uint32_t rgid, uint32_t egid)
{
    const struct creds *o = &t->creds;
    bool cap = creds_capable(o, CREDS_CAP_SETGID);
    struct creds n = *o;
    if (rgid != NO_ID) {
        if (rgid != o->rgid && rgid != o->egid && !cap)
            return -EPERM;
        n.rgid = rgid;
    }
    if (egid != NO_ID) {
        if (!is_one_of(egid, o->rgid, o->egid, o->sgid) && !cap)
            return -EPERM;
        n.egid = egid;
    }
    if (rgid != NO_ID || (egid != NO_ID && egid != o->rgid))
        n.sgid = n.egid;
    n.fsgid = n.egid;
    commit_ids(t, &n);
    return 0;
}

int creds_setresgid(struct task *t, uint32_t rgid, uint32_t egid, uint32_t sgid)
{
    const struct creds *o = &t->creds;
    if (!creds_capable(o, CREDS_CAP_SETGID)) {
        if (rgid != NO_ID && !is_one_of(rgid, o->rgid, o->egid, o->sgid))
            return -EPERM;
        if (egid != NO_ID && !is_one_of(egid, o->rgid, o->egid, o->sgid))
            return -EPERM;
        if (sgid != NO_ID && !is_one_of(sgid, o->rgid, o->egid, o->sgid))
            return -EPERM;
    }
    struct creds n = *o;
    if (rgid != NO_ID)
        n.rgid = rgid;
    if (egid != NO_ID)
        n.egid = egid;
    if (sgid != NO_ID)
        n.sgid = sgid;
    n.fsgid = n.egid;
    commit_ids(t, &n);
    return 0;
}

uint32_t creds_setfsgid(struct task *t, uint32_t fsgid)
{
    const struct creds *o = &t->creds;
    uint32_t old = o->fsgid;
    if (fsgid == NO_ID || fsgid == old)
        return old;
    if (!is_one_of(fsgid, o->rgid, o->egid, o->sgid) && !creds_capable(o, CREDS_CAP_SETGID))
        return old;
    struct creds n = *o;
    n.fsgid = fsgid;
    commit_ids(t, &n);
    return old;
}

static int cmp_gid(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

int creds_setgroups(struct task *t, const uint32_t *groups, int n)
{
    if (!creds_capable(&t->creds, CREDS_CAP_SETGID))
        return -EPERM;
    if (n < 0 || n > CREDS_NGROUPS_MAX)
        return -EINVAL;
    struct creds c = t->creds;
    c.groups = NULL;
    c.ngroups = n;
    if (n > 0) {
        c.groups = malloc((size_t)n * sizeof(uint32_t));
        if (!c.groups)
            return -ENOMEM;
        memcpy(c.groups, groups, (size_t)n * sizeof(uint32_t));
        qsort(c.groups, (size_t)n, sizeof(uint32_t), cmp_gid);
    }
    creds_commit(t, &c);
    return 0;
}

/* ---- capabilities ------------------------------------------------------------ */

static bool subset(uint64_t a, uint64_t b)
{
    return (a & ~b) == 0;
}

int creds_capset(struct task *t, uint64_t effective, uint64_t permitted, uint64_t inheritable)
{
    const struct creds *o = &t->creds;
    effective &= CREDS_CAP_VALID_MASK;
    permitted &= CREDS_CAP_VALID_MASK;
    inheritable &= CREDS_CAP_VALID_MASK;
    if (!creds_capable(o, CREDS_CAP_SETPCAP) &&
        !subset(inheritable, o->cap_inheritable | o->cap_permitted))
        return -EPERM;
    if (!subset(inheritable, o->cap_inheritable | o->cap_bounding))
        return -EPERM;
    if (!subset(permitted, o->cap_permitted))
        return -EPERM;
    if (!subset(effective, permitted))
        return -EPERM;
    struct creds n = *o;
    n.cap_effective = effective;
    n.cap_permitted = permitted;
    n.cap_inheritable = inheritable;
    n.cap_ambient &= permitted & inheritable;
    commit_ids(t, &n);
    return 0;
}

static bool cap_valid(uint64_t cap)
{
    return cap <= CREDS_CAP_LAST;
}

long creds_prctl(struct task *t, int op, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
    const struct creds *o = &t->creds;
    struct creds n = *o;
    switch (op) {
    case PR_CAPBSET_READ:
        if (!cap_valid(a2))
            return -EINVAL;
        return (o->cap_bounding >> a2) & 1;
    case PR_CAPBSET_DROP:
        if (!creds_capable(o, CREDS_CAP_SETPCAP))
            return -EPERM;
        if (!cap_valid(a2))
            return -EINVAL;
        n.cap_bounding &= ~CREDS_CAP_BIT(a2);
        break;
    case PR_GET_SECUREBITS:
        return o->securebits;
    case PR_SET_SECUREBITS: {
        uint32_t old = o->securebits;
        if ((((old & CREDS_SECBITS_LOCKS) >> 1) & (old ^ a2)) ||
            (old & CREDS_SECBITS_LOCKS & ~a2) ||
            (a2 & ~(uint64_t)(CREDS_SECBITS_ALL | CREDS_SECBITS_LOCKS)) ||
            !creds_capable(o, CREDS_CAP_SETPCAP))
            return -EPERM;
        n.securebits = (uint32_t)a2;
        break;
    }
    case PR_GET_KEEPCAPS:
        return (o->securebits & CREDS_SECBIT_KEEP_CAPS) != 0;
    case PR_SET_KEEPCAPS:
        if (a2 > 1)
            return -EINVAL;
        if (o->securebits & CREDS_SECBIT_KEEP_CAPS_LOCKED)
            return -EPERM;
        if (a2)
            n.securebits |= CREDS_SECBIT_KEEP_CAPS;
        else
            n.securebits &= ~CREDS_SECBIT_KEEP_CAPS;
        break;
    case PR_CAP_AMBIENT:
        if (a2 == PR_CAP_AMBIENT_CLEAR_ALL) {
            if (a3 || a4 || a5)
                return -EINVAL;
            n.cap_ambient = 0;
            break;
        }
        if (!cap_valid(a3) || a4 || a5)
            return -EINVAL;
        if (a2 == PR_CAP_AMBIENT_IS_SET)
            return (o->cap_ambient >> a3) & 1;
        if (a2 == PR_CAP_AMBIENT_RAISE) {
            if (!((o->cap_permitted >> a3) & 1) || !((o->cap_inheritable >> a3) & 1) ||
                (o->securebits & CREDS_SECBIT_NO_CAP_AMBIENT_RAISE))
                return -EPERM;
            n.cap_ambient |= CREDS_CAP_BIT(a3);
        } else if (a2 == PR_CAP_AMBIENT_LOWER) {
            n.cap_ambient &= ~CREDS_CAP_BIT(a3);
        } else {
            return -EINVAL;
        }
        break;
    default:
        return -EINVAL;
    }
    commit_ids(t, &n);
    return 0;
}

/* ---- execve ----------------------------------------------------------------- */

void creds_exec(const struct creds *old, const struct creds_exec_file *f, struct creds *new,
                bool *secure)
{
    *new = *old;
    /* bprm_fill_uid: set-user-ID and set-group-ID bits, unless the mount is
     * nosuid or the task has no_new_privs. */
    if (!f->nosuid && !old->no_new_privs) {
        if (f->mode & S_ISUID)
            new->euid = f->uid;
        if ((f->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
            new->egid = f->gid;
    }
    /* No file capabilities (no xattrs): pP' = pA', except that root gets
     * the bounding set and its inheritable set (the legacy root rule). */
    bool effective = false;
    new->cap_permitted = 0;
    if (!(old->securebits & CREDS_SECBIT_NOROOT)) {
        if (new->euid == 0 || new->ruid == 0)
            new->cap_permitted = old->cap_bounding | old->cap_inheritable;
        if (new->euid == 0)
            effective = true;
    }
    bool is_setid = new->euid != old->ruid || new->egid != old->rgid;
    bool id_changed = new->euid != old->euid || !creds_in_group(old, new->egid);
    /* no_new_privs: never more than the task had (the ids cannot have
     * changed: the set-ID bits were ignored above). */
    if (old->no_new_privs && !subset(new->cap_permitted, old->cap_permitted))
        new->cap_permitted &= old->cap_permitted;
    new->suid = new->fsuid = new->euid;
    new->sgid = new->fsgid = new->egid;
    if (is_setid)
        new->cap_ambient = 0;
    new->cap_permitted |= new->cap_ambient;
    new->cap_effective = effective ? new->cap_permitted : new->cap_ambient;
    new->securebits &= ~CREDS_SECBIT_KEEP_CAPS;
    *secure = id_changed || is_setid ||
              (new->ruid != 0 && (effective || !subset(new->cap_permitted, new->cap_ambient)));
}

/* Credentials: the Linux rules for user and group ids, supplementary
 * groups, capability sets and securebits (kernel/sys.c, kernel/capability.c,
 * security/commoncap.c), used by the setuid family, capget/capset, the
 * capability prctls and execve.
 *
 * A task's struct creds (kernel.h) is written only by the task itself, and
 * only through creds_commit, which swaps it under kernel.lock; other tasks
 * (procfs, kill permission, signal senders) read it under kernel.lock. The
 * task reads its own creds without a lock. The sandbox has one user
 * namespace, the identity map: every id but (uid_t)-1 is valid. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/kernel/kernel.h"

/* Capability numbers (linux/capability.h). */
enum {
    CREDS_CAP_CHOWN = 0,
    CREDS_CAP_DAC_OVERRIDE = 1,
    CREDS_CAP_DAC_READ_SEARCH = 2,
    CREDS_CAP_FOWNER = 3,
    CREDS_CAP_FSETID = 4,
    CREDS_CAP_KILL = 5,
    CREDS_CAP_SETGID = 6,
    CREDS_CAP_SETUID = 7,
    CREDS_CAP_SETPCAP = 8,
    CREDS_CAP_LINUX_IMMUTABLE = 9,
    CREDS_CAP_NET_ADMIN = 12,
    CREDS_CAP_NET_RAW = 13,
    CREDS_CAP_IPC_LOCK = 14,
    CREDS_CAP_IPC_OWNER = 15,
    CREDS_CAP_SYS_ADMIN = 21,
    CREDS_CAP_SYS_RESOURCE = 24,
    CREDS_CAP_MKNOD = 27,
    CREDS_CAP_MAC_OVERRIDE = 32,
    CREDS_CAP_WAKE_ALARM = 35,
    CREDS_CAP_BLOCK_SUSPEND = 36,
    CREDS_CAP_LAST = 40, /* CAP_CHECKPOINT_RESTORE */
};
#define CREDS_CAP_BIT(c) (1ull << (c))
#define CREDS_CAP_VALID_MASK ((1ull << (CREDS_CAP_LAST + 1)) - 1)

/* securebits (linux/securebits.h): each flag with its lock bit above it. */
#define CREDS_SECBIT_NOROOT (1u << 0)
#define CREDS_SECBIT_NO_SETUID_FIXUP (1u << 2)
#define CREDS_SECBIT_KEEP_CAPS (1u << 4)
#define CREDS_SECBIT_KEEP_CAPS_LOCKED (1u << 5)
#define CREDS_SECBIT_NO_CAP_AMBIENT_RAISE (1u << 6)
#define CREDS_SECBITS_ALL 0x55u
#define CREDS_SECBITS_LOCKS 0xaau

#define CREDS_NGROUPS_MAX 65536

static inline bool creds_capable(const struct creds *c, int cap)
{
    return (c->cap_effective >> cap) & 1;
}

/* dst = a deep copy of src (its own groups array). 0 or -ENOMEM. */
int creds_copy(struct creds *dst, const struct creds *src);
/* Frees what creds_copy allocated. */
void creds_release(struct creds *c);
/* Whether gid is c's fsgid or one of its supplementary groups. */
bool creds_in_group(const struct creds *c, uint32_t gid);

/* Installs *c as t's credentials (t is the calling task) under
 * kernel.lock. The old groups array is freed unless c shares it; *c's
 * groups array now belongs to t. */
void creds_commit(struct task *t, struct creds *c);

/* The uid and gid changes of setuid(2) and friends on the caller's creds:
 * (uint32_t)-1 means "unchanged" where the call allows it. 0, -EINVAL or
 * -EPERM; capability fix-ups (commoncap's setuid emulation) included. */
int creds_setuid(struct task *t, uint32_t uid);
int creds_setreuid(struct task *t, uint32_t ruid, uint32_t euid);
int creds_setresuid(struct task *t, uint32_t ruid, uint32_t euid, uint32_t suid);
int creds_setgid(struct task *t, uint32_t gid);
int creds_setregid(struct task *t, uint32_t rgid, uint32_t egid);
int creds_setresgid(struct task *t, uint32_t rgid, uint32_t egid, uint32_t sgid);
/* setfsuid/setfsgid: always the previous value. */
uint32_t creds_setfsuid(struct task *t, uint32_t fsuid);
uint32_t creds_setfsgid(struct task *t, uint32_t fsgid);
/* setgroups with an array the caller owns (sorted here, as Linux does). */
int creds_setgroups(struct task *t, const uint32_t *groups, int n);
/* capset's rules: 0 or -EPERM. */
int creds_capset(struct task *t, uint64_t effective, uint64_t permitted, uint64_t inheritable);

/* The capability prctls (PR_CAPBSET_READ/DROP, PR_GET/SET_KEEPCAPS,
 * PR_GET/SET_SECUREBITS, PR_CAP_AMBIENT): the prctl result. */
long creds_prctl(struct task *t, int op, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5);

/* What a file being executed contributes to the new credentials. */
struct creds_exec_file {
    uint32_t mode, uid, gid; /* the executable's (after #! resolution) */
    bool nosuid;             /* its mount is nosuid */
};

/* execve's credential transition (bprm_fill_uid and
 * cap_bprm_creds_from_file without file capabilities): *new is computed
 * from *old (sharing old's groups array). *secure is AT_SECURE. */
void creds_exec(const struct creds *old, const struct creds_exec_file *f, struct creds *new,
                bool *secure);

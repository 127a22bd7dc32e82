/* System V IPC: the sandbox's one IPC namespace (README.md).
 *
 * Objects are named by key (IPC_PRIVATE: always a new object) and by id
 * (seq * IPC_SEQ_MULTIPLIER + slot, as Linux), checked against the caller's
 * credentials with Linux's ipcperms. The syscalls (sentry/syscalls/sys_shm.c,
 * ...) are thin: every rule is here, in Linux terms (ipc/util.c, ipc/shm.c).
 *
 * Locking (docs/locking.md): g_shm.lock guards the shm registry and every
 * segment's fields; it is taken under mm.lock (a VMA of a segment is made or
 * dropped) and is never held while taking mm.lock or a VFS lock.
 * g_sem.lock guards the semaphore registry, every set and the undo lists;
 * wait queues are woken under it (g_sem.lock -> waitq.lock), it is taken
 * under kernel.lock (ipc_sem_exit) and never held while copying to or from
 * the application (mm.lock). g_msg.lock, the same for message queues.
 *
 * Errors: -errno. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct task;
struct creds;

#define IPC_SEQ_MULTIPLIER 32768 /* IPCMNI */

/* ipcperms' access bits (S_IRUGO... of linux/stat.h) and the *ctl
 * version flag. */
#define IPC_R_UGO 0444
#define IPC_W_UGO 0222
#define IPC_X_UGO 0111
#define IPC_CMD_64 0x0100 /* IPC_64 */

/* struct ipc64_perm on x86-64. */
struct ipc_perm_abi {
    int32_t key;
    uint32_t uid, gid, cuid, cgid;
    uint32_t mode; /* __kernel_mode_t is 32 bits on x86-64 */
    uint16_t seq, pad2;
    uint64_t unused1, unused2;
};

/* An object's identity and permissions. */
struct ipc_perm_k {
    int32_t key;
    int id;
    uint32_t uid, gid, cuid, cgid;
    uint32_t mode; /* permission bits plus the object's flag bits (SHM_DEST...) */
    uint16_t seq;
};

/* One IPC kind's objects (Linux's ipc_ids), under that kind's lock: slot i
 * holds the object whose id is seq * IPC_SEQ_MULTIPLIER + i; every object
 * embeds a struct ipc_perm_k at perm_off. */
struct ipc_ids {
    void **slots;
    uint16_t *seq;
    int cap;      /* slots */
    int count;    /* objects */
    int max_slot; /* highest slot ever used + 1 (scan bound) */
    size_t perm_off;
};
#define IPC_IDS_INIT(slots_, seq_, type_)                                                          \
    {                                                                                              \
        .slots = (slots_), .seq = (seq_), .cap = (int)(sizeof(slots_) / sizeof((slots_)[0])),      \
        .perm_off = offsetof(type_, perm)                                                          \
    }

/* The object with this id, or NULL. */
void *ipc_ids_find_id(struct ipc_ids *ids, int id);
/* The object with this key whose mode has none of the skip bits, or NULL. */
void *ipc_ids_find_key(struct ipc_ids *ids, int32_t key, uint32_t skip);
/* The object in slot idx (the *_STAT commands' index), or NULL. */
void *ipc_ids_at(struct ipc_ids *ids, int idx);
/* The highest slot in use (0 when none): what *_INFO returns. */
int ipc_ids_max_idx(struct ipc_ids *ids);
/* Puts obj in the first free slot with a new id and fills its perm: key,
 * owner and creator from c's effective ids, the 0777 bits of flags. The
 * slot, or -ENOSPC. */
int ipc_ids_add(struct ipc_ids *ids, void *obj, int32_t key, const struct creds *c, int flags);
/* Takes obj out of its slot. */
void ipc_ids_remove(struct ipc_ids *ids, void *obj);
/* The *_STAT commands' lookup: IPC_STAT finds id, the others (SHM_STAT,
 * SHM_STAT_ANY, ...) take it as a slot; read permission is checked unless
 * any (the *_STAT_ANY commands). The object, with *r what the command
 * returns (0 for IPC_STAT, the object's id otherwise), or NULL with *r
 * -EINVAL or -EACCES. */
void *ipc_ids_stat(struct ipc_ids *ids, const struct creds *c, int cmd, int id, bool any, long *r);
/* IPC_SET and IPC_RMID's lookup: the object with this id, or NULL with *r
 * -EINVAL, or -EPERM when c is not its owner (ipc_is_owner). */
void *ipc_ids_find_owned(struct ipc_ids *ids, const struct creds *c, int id, long *r);

/* ipcperms: whether c may access p for flag's rwx bits (S_IRUGO...):
 * owner or creator, then group (fsgid or supplementary), then other;
 * CAP_IPC_OWNER overrides. */
bool ipc_perms_ok(const struct creds *c, const struct ipc_perm_k *p, int flag);
/* ipcctl's owner check for IPC_SET / IPC_RMID: euid is uid or cuid, or
 * CAP_SYS_ADMIN. */
bool ipc_is_owner(const struct creds *c, const struct ipc_perm_k *p);
void ipc_perm_to_abi(const struct ipc_perm_k *p, struct ipc_perm_abi *out);
/* IPC_SET: uid, gid and the permission bits from *in; ctime is the caller's. */
void ipc_perm_set(struct ipc_perm_k *p, const struct ipc_perm_abi *in);
/* Seconds since the epoch (CLOCK_REALTIME), for the *_time fields. */
int64_t ipc_now(void);

/* ---- shared memory (shm.c) ---- */

#define IPC_SHMMIN 1ull
#define IPC_SHMMAX (UINT64_MAX - (1ull << 24)) /* Linux's default (pages: SHMALL) */
#define IPC_SHMALL (UINT64_MAX - (1ull << 24))
#define IPC_SHMMNI 4096
#define IPC_SHMSEG IPC_SHMMNI

long ipc_shmget(struct task *t, int32_t key, uint64_t size, int flags);
long ipc_shmat(struct task *t, int shmid, uint64_t addr, int flags);
long ipc_shmdt(struct task *t, uint64_t addr);
long ipc_shmctl(struct task *t, int shmid, int cmd, uint64_t buf);
/* /proc/sysvipc/shm. */
void ipc_shm_proc(FILE *out);

/* ---- semaphores (sem.c) ---- */

#define IPC_SEMMSL 32000 /* semaphores per set */
#define IPC_SEMMNI 32000 /* sets */
#define IPC_SEMMNS (IPC_SEMMSL * IPC_SEMMNI)
#define IPC_SEMOPM 500 /* operations per semop */
#define IPC_SEMVMX 32767
#define IPC_SEMAEM IPC_SEMVMX

long ipc_semget(struct task *t, int32_t key, int nsems, int flags);
/* semop/semtimedop: timeout is a user address (0: none, relative). */
long ipc_semtimedop(struct task *t, int semid, uint64_t sops, uint64_t nsops, uint64_t timeout);
long ipc_semctl(struct task *t, int semid, int semnum, int cmd, uint64_t arg);
/* The thread group tgid is gone (its last thread exits, before its parent
 * is told): applies and drops its SEM_UNDO adjustments. May be called
 * under kernel.lock (takes g_sem.lock, wakes wait queues). */
void ipc_sem_exit(int tgid);
/* /proc/sysvipc/sem. */
void ipc_sem_proc(FILE *out);

/* ---- message queues (msg.c) ---- */

#define IPC_MSGMAX 8192  /* bytes per message */
#define IPC_MSGMNB 16384 /* default bytes per queue (msg_qbytes) */
#define IPC_MSGMNI 32000 /* queues */

long ipc_msgget(struct task *t, int32_t key, int flags);
long ipc_msgsnd(struct task *t, int msqid, uint64_t msgp, uint64_t msgsz, int flags);
long ipc_msgrcv(struct task *t, int msqid, uint64_t msgp, uint64_t msgsz, int64_t msgtyp,
                int flags);
long ipc_msgctl(struct task *t, int msqid, int cmd, uint64_t buf);
/* /proc/sysvipc/msg. */
void ipc_msg_proc(FILE *out);

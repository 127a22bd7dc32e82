/* Sockets: the file descriptions socket(2), socketpair(2) and accept(2)
 * make, and what every address family shares (see README.md).
 *
 * A socket file's priv is a struct socket; its inode is its own, in the
 * internal "sockfs" (fstat: S_IFSOCK | 0777, owned by the creator;
 * /proc/<pid>/fd: "socket:[INO]"). The family's object hangs off
 * socket.priv and is driven through struct socket_ops; sentry/syscalls/
 * sys_socket.c copies addresses, vectors and control messages in and out
 * and calls these ops. The families are AF_UNIX (sentry/socket/unix.c)
 * and AF_INET / AF_INET6 (sentry/socket/inet.c: host sockets).
 *
 * Data moves through a struct sock_iter: an application iovec array or a
 * sentry buffer (read/write of the VFS), copied with no socket lock held
 * but the receiver's own I/O lock (unix.c).
 *
 * Blocking goes through struct sock_timeo: O_NONBLOCK / MSG_DONTWAIT, the
 * SO_RCVTIMEO / SO_SNDTIMEO time limit (EAGAIN when it passes) and signals
 * (ERESTARTSYS, or EINTR when a time limit is set, as Linux's
 * sock_intr_errno).
 *
 * Errors: -errno. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <time.h>

#include "sentry/vfs/vfs.h"

struct task;
struct waitq;
struct waiter;

/* ---- data --------------------------------------------------------------- */

struct sock_iter {
    struct mm *mm;           /* NULL: a sentry buffer (kbuf) */
    const struct iovec *iov; /* application addresses (mm != NULL) */
    unsigned long cnt;
    unsigned long idx; /* current element */
    size_t off;        /* bytes of iov[idx] done */
    char *kbuf;
    size_t len;  /* total */
    size_t done; /* moved so far */
};

void sock_iter_user(struct sock_iter *it, struct mm *mm, const struct iovec *iov, unsigned long cnt,
                    size_t total);
void sock_iter_kernel(struct sock_iter *it, void *buf, size_t len);
static inline size_t sock_iter_left(const struct sock_iter *it)
{
    return it->len - it->done;
}
/* Move n bytes (at most sock_iter_left) from the iterator into dst / from
 * src into the iterator, advancing it. -EFAULT when the application memory
 * is bad (the iterator then stands where the fault was). */
int sock_iter_copy_in(struct sock_iter *it, void *dst, size_t n);
int sock_iter_copy_out(struct sock_iter *it, const void *src, size_t n);

/* ---- messages ----------------------------------------------------------- */

/* SCM_CREDENTIALS / SO_PEERCRED (struct ucred's layout). */
struct sock_cred {
    int32_t pid;
    uint32_t uid, gid;
};

/* The longest address a family returns (AF_UNIX: a full sun_path plus the
 * NUL Linux appends to a 108-byte path). */
#define SOCK_ADDR_MAX 112

/* One sendmsg: what sys_socket.c gathered, flags with MSG_DONTWAIT when the
 * file is O_NONBLOCK. files are references: the family takes the ones it
 * queues (setting files to NULL); the caller puts what is left. */
struct sock_send {
    const void *addr; /* msg_name, NULL: none */
    uint32_t addrlen;
    int flags;
    struct file **files; /* SCM_RIGHTS */
    int nfiles;
    bool has_creds; /* SCM_CREDENTIALS, already checked */
    struct sock_cred creds;
};

/* One recvmsg: flags in, the rest out. files are new references (the
 * caller installs or puts them). */
struct sock_recv {
    int flags;      /* MSG_* (with MSG_DONTWAIT for O_NONBLOCK) */
    bool want_addr; /* msg_name given */
    char addr[SOCK_ADDR_MAX];
    uint32_t addrlen; /* 0: no address */
    bool has_creds;   /* SCM_CREDENTIALS to deliver (SO_PASSCRED) */
    struct sock_cred creds;
    struct file **files; /* SCM_RIGHTS (malloc'ed array) */
    int nfiles;
    int msg_flags; /* MSG_TRUNC, MSG_CTRUNC */
};

/* ---- sockets ------------------------------------------------------------ */

struct socket;

struct socket_ops {
    int (*bind)(struct socket *s, struct task *t, const void *addr, uint32_t len);
    int (*connect)(struct socket *s, struct task *t, const void *addr, uint32_t len, bool nonblock);
    int (*listen)(struct socket *s, struct task *t, int backlog);
    /* *out: a new socket (one reference) for the accepted connection. */
    int (*accept)(struct socket *s, struct task *t, bool nonblock, struct socket **out);
    /* The local (peer false) or remote address into buf (SOCK_ADDR_MAX
     * bytes); returns its length or -errno (ENOTCONN). */
    int (*getname)(struct socket *s, void *buf, bool peer);
    int (*shutdown)(struct socket *s, int how);
    ssize_t (*sendmsg)(struct socket *s, struct task *t, struct sock_iter *it, struct sock_send *m);
    ssize_t (*recvmsg)(struct socket *s, struct task *t, struct sock_iter *it, struct sock_recv *m);
    uint32_t (*poll)(struct socket *s, uint32_t events, struct vfs_poll_table *pt);
    long (*ioctl)(struct socket *s, struct mm *mm, unsigned cmd, uint64_t arg);
    /* Options: val is a sentry buffer; getsockopt gets *len bytes of room
     * and sets *len to the length to report (Linux: at most the room). */
    int (*getsockopt)(struct socket *s, struct task *t, int level, int name, void *val,
                      uint32_t *len);
    int (*setsockopt)(struct socket *s, struct task *t, int level, int name, const void *val,
                      uint32_t len);
    /* The last file reference is gone. */
    void (*release)(struct socket *s);
};

struct socket {
    int family, type;
    const struct socket_ops *ops;
    void *priv; /* the family's object */
};

/* A new socket file (O_RDWR plus O_NONBLOCK from flags) owned by
 * uid/gid; takes over s (freed with the file, after ops->release). *out
 * gets one reference. On failure s is released. */
int sock_file_new(struct socket *s, uint32_t uid, uint32_t gid, int flags, struct file **out);
/* The socket of a socket file, or NULL (ENOTSOCK). */
struct socket *sock_from_file(struct file *f);

/* ---- SOL_SOCKET options every family keeps ------------------------------ */

#define SOCK_WMEM_DEFAULT 212992 /* net.core.wmem_default / rmem_default */
#define SOCK_WMEM_MAX 212992     /* net.core.wmem_max / rmem_max */
#define SOCK_MIN_SNDBUF 4608     /* 2 * (2048 + an aligned sk_buff) */
#define SOCK_MIN_RCVBUF 2304
#define SOCK_TIMEO_FOREVER INT64_MAX

/* Linux's struct sock fields behind the generic options. Fields read by
 * other threads (sndbuf, timeouts, passcred) are read and written with
 * atomic builtins; the rest belong to calls on the socket itself. */
struct sock_common {
    int sndbuf, rcvbuf;
    int64_t rcvtimeo_ns, sndtimeo_ns; /* SOCK_TIMEO_FOREVER: none; 0: never wait */
    int rcvlowat;
    int priority;
    bool passcred, reuseaddr, keepalive, broadcast, dontroute, oobinline;
    bool linger;
    int linger_sec;
};

void sock_common_init(struct sock_common *c);
/* The generic SOL_SOCKET options (Linux's sk_getsockopt / sk_setsockopt
 * for what sock_common holds): -ENOPROTOOPT for the others, which the
 * family answers (or refuses). t is the caller (capability checks). */
int sock_common_getsockopt(struct sock_common *c, int name, void *val, uint32_t *len);
int sock_common_setsockopt(struct sock_common *c, struct task *t, int name, const void *val,
                           uint32_t len);
/* An option's answer: min(room, size) bytes of v (Linux's copy of a
 * struct); sock_put_int for an int. */
int sock_put_bytes(void *val, uint32_t *len, const void *v, uint32_t size);
int sock_put_int(void *val, uint32_t *len, int v);
/* SO_RCVTIMEO_NEW / SO_SNDTIMEO_NEW (asm-generic/socket.h): on x86-64 the
 * same struct as the old ones. */
#define SO_RCVTIMEO_NEW_ 66
#define SO_SNDTIMEO_NEW_ 67

/* EPIPE's SIGPIPE to the sender t, unless flags has MSG_NOSIGNAL. */
void sock_sigpipe(struct task *t, int flags);

/* ---- blocking ----------------------------------------------------------- */

struct sock_timeo {
    bool nonblock;     /* never wait (O_NONBLOCK, MSG_DONTWAIT, or the time ran out) */
    bool has_deadline; /* SO_*TIMEO set */
    struct timespec deadline;
};

/* For a call that may wait: timeo_ns is SO_RCVTIMEO or SO_SNDTIMEO. */
void sock_timeo_init(struct sock_timeo *to, bool nonblock, int64_t timeo_ns);
/* Blocks t (registered on a wait queue by the caller, its locks dropped)
 * until a wake, the deadline or a signal: 0 (woken or timed out: the
 * caller re-checks, then answers EAGAIN as to->nonblock is now set),
 * -ERESTARTSYS or -EINTR (a time limit is set). */
int sock_timeo_block(struct task *t, struct sock_timeo *to);

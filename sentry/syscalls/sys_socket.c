/* socket, socketpair, bind, listen, accept, accept4, connect, getsockname,
 * getpeername, shutdown, sendto, recvfrom, sendmsg, recvmsg, sendmmsg,
 * recvmmsg, getsockopt, setsockopt: Linux's net/socket.c layer (argument
 * checks and their order, addresses in and out, msghdr, control messages:
 * net/core/scm.c) over sentry/socket (the sockets themselves): AF_UNIX
 * (unix.c) and AF_INET / AF_INET6 (inet.c: host sockets); every other family
 * is EAFNOSUPPORT. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>

#include "sentry/socket/inet.h"
#include "sentry/socket/socket.h"
#include "sentry/socket/unix.h"
#include "sentry/syscalls/internal.h"

#define SOCK_TYPE_MASK 0xf
#define SOCK_MAX_TYPE 11 /* SOCK_PACKET + 1 */
#define NPROTO 46        /* AF_MAX */
#define ADDR_MAX 128     /* sizeof(struct sockaddr_storage) */
#define UIO_MAXIOV_ 1024
#define MAX_RW_COUNT 0x7ffff000ull
#define SCM_MAX_FD 253
#define OPTMEM_MAX 131072          /* net.core.optmem_max */
#define SOMAXCONN_ 4096            /* net.core.somaxconn */
#define OPT_MAX 256                /* the longest option value a family reports */
#define MSG_CMSG_COMPAT 0x80000000 /* the kernel's flag for 32-bit callers */

/* struct user_msghdr (x86-64): msg_namelen is an int. */
struct umsghdr {
    uint64_t name;
    int32_t namelen;
    uint32_t pad;
    uint64_t iov;
    uint64_t iovlen;
    uint64_t control;
    uint64_t controllen;
    uint32_t flags;
    uint32_t pad2;
};

struct ummsghdr {
    struct umsghdr hdr;
    uint32_t len;
    uint32_t pad;
};

_Static_assert(sizeof(struct umsghdr) == 56, "user_msghdr layout");
_Static_assert(sizeof(struct ummsghdr) == 64, "mmsghdr layout");

/* The socket at fd: its file (a reference) in *fp, or -EBADF / -ENOTSOCK. */
static struct socket *sock_fd(struct task *t, int fd, struct file **fp, long *err)
{
    struct file *f = sc_file(t, fd);
    if (!f) {
        *err = -EBADF;
        return NULL;
    }
    struct socket *s = sock_from_file(f);
    if (!s) {
        file_put(f);
        *err = -ENOTSOCK;
        return NULL;
    }
    *fp = f;
    return s;
}

/* The socket of sendmsg, sendmmsg and recvmsg: EINVAL for
 * MSG_CMSG_COMPAT, then sock_fd. */
static struct socket *msg_sock(struct task *t, int fd, int flags, struct file **fp, long *err)
{
    if (flags & MSG_CMSG_COMPAT) {
        *err = -EINVAL;
        return NULL;
    }
    return sock_fd(t, fd, fp, err);
}

/* Linux's move_addr_to_kernel. */
static int addr_in(struct task *t, uint64_t uaddr, int len, char *buf)
{
    if (len < 0 || len > ADDR_MAX)
        return -EINVAL;
    if (len == 0)
        return 0;
    return mm_copy_in(t->mm, uaddr, buf, (size_t)len) < 0 ? -EFAULT : 0;
}

/* Linux's move_addr_to_user: at most *ulen bytes of the klen-byte
 * address, then *ulen = klen. */
static int addr_out(struct task *t, const void *kaddr, uint32_t klen, uint64_t uaddr,
                    uint64_t ulen_addr)
{
    int len;
    if (mm_copy_in(t->mm, ulen_addr, &len, sizeof(len)) < 0)
        return -EFAULT;
    if (len > (int)klen)
        len = (int)klen;
    if (len < 0)
        return -EINVAL;
    if (len && mm_copy_out(t->mm, uaddr, kaddr, (size_t)len) < 0)
        return -EFAULT;
    int k = (int)klen;
    return mm_copy_out(t->mm, ulen_addr, &k, sizeof(k)) < 0 ? -EFAULT : 0;
}

/* ---- creation ----------------------------------------------------------- */

/* socket(2)'s checks of family and type (Linux's __sock_create), then the
 * family's. */
static int create(int family, int type, int protocol, struct socket **out)
{
    if (family < 0 || family >= NPROTO)
        return -EAFNOSUPPORT;
    if (type < 0 || type >= SOCK_MAX_TYPE)
        return -EINVAL;
    if (family == AF_INET || family == AF_INET6)
        return inet_socket_new(family, type, protocol, out);
    if (family != AF_UNIX)
        return -EAFNOSUPPORT;
    return unix_socket_new(type, protocol, out);
}

long sys_socket(struct task *t, const struct syscall_args *args)
{
    int family = ARG_INT(0), type = ARG_INT(1), protocol = ARG_INT(2);
    int flags = type & ~SOCK_TYPE_MASK;
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
        return -EINVAL;
    struct socket *s;
    int r = create(family, type & SOCK_TYPE_MASK, protocol, &s);
    if (r < 0)
        return r;
    struct file *f;
    if ((r = sock_file_new(s, t->creds.fsuid, t->creds.fsgid, flags & SOCK_NONBLOCK, &f)) < 0)
        return r;
    return sc_install_new(t, f, flags & SOCK_CLOEXEC);
}

long sys_socketpair(struct task *t, const struct syscall_args *args)
{
    int family = ARG_INT(0), type = ARG_INT(1), protocol = ARG_INT(2);
    int flags = type & ~SOCK_TYPE_MASK;
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
        return -EINVAL;
    type &= SOCK_TYPE_MASK;
    if (family != AF_UNIX) {
        /* Linux makes the socket (or refuses the family or type), then
         * its sock_no_socketpair refuses. */
        struct socket *s;
        int r = create(family, type, protocol, &s);
        if (r < 0)
            return r;
        s->ops->release(s);
        free(s);
        return -EOPNOTSUPP;
    }
    if (type >= SOCK_MAX_TYPE)
        return -EINVAL;
    struct socket *a, *b;
    int r = unix_socketpair(t, type, protocol, &a, &b);
    if (r < 0)
        return r;
    struct file *fa = NULL, *fb = NULL;
    r = sock_file_new(a, t->creds.fsuid, t->creds.fsgid, flags & SOCK_NONBLOCK, &fa);
    if (r < 0) {
        b->ops->release(b);
        free(b);
        return r;
    }
    if ((r = sock_file_new(b, t->creds.fsuid, t->creds.fsgid, flags & SOCK_NONBLOCK, &fb)) < 0) {
        file_put(fa);
        return r;
    }
    int fds[2];
    if ((fds[0] = sc_install_new(t, fa, flags & SOCK_CLOEXEC)) < 0) {
        file_put(fb);
        return fds[0];
    }
    if ((fds[1] = sc_install_new(t, fb, flags & SOCK_CLOEXEC)) < 0) {
        fdt_close(t->fdt, fds[0]);
        return fds[1];
    }
    if (mm_copy_out(t->mm, ARG_U64(3), fds, sizeof(fds)) < 0) {
        fdt_close(t->fdt, fds[0]);
        fdt_close(t->fdt, fds[1]);
        return -EFAULT;
    }
    return 0;
}

/* ---- names and connections ---------------------------------------------- */

long sys_bind(struct task *t, const struct syscall_args *args)
{
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    char addr[ADDR_MAX];
    int len = ARG_INT(2);
    if ((r = addr_in(t, ARG_U64(1), len, addr)) == 0)
        r = s->ops->bind(s, t, addr, (uint32_t)len);
    file_put(f);
    return r;
}

long sys_listen(struct task *t, const struct syscall_args *args)
{
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    int backlog = ARG_INT(1);
    if ((unsigned)backlog > SOMAXCONN_)
        backlog = SOMAXCONN_;
    r = s->ops->listen(s, t, backlog);
    file_put(f);
    return r;
}

long sys_connect(struct task *t, const struct syscall_args *args)
{
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    char addr[ADDR_MAX];
    int len = ARG_INT(2);
    if ((r = addr_in(t, ARG_U64(1), len, addr)) == 0)
        r = s->ops->connect(s, t, addr, (uint32_t)len, f->flags & O_NONBLOCK);
    file_put(f);
    return r;
}

static long do_accept(struct task *t, int fd, uint64_t uaddr, uint64_t ulen, int flags)
{
    if (flags & ~(SOCK_CLOEXEC | SOCK_NONBLOCK))
        return -EINVAL;
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, fd, &f, &r);
    if (!s)
        return r;
    struct socket *ns;
    r = s->ops->accept(s, t, f->flags & O_NONBLOCK, &ns);
    file_put(f);
    if (r < 0)
        return r;
    struct file *nf;
    if ((r = sock_file_new(ns, t->creds.fsuid, t->creds.fsgid, flags & SOCK_NONBLOCK, &nf)) < 0)
        return r;
    if (uaddr) {
        char addr[SOCK_ADDR_MAX];
        int len = ns->ops->getname(ns, addr, true);
        r = len < 0 ? -ECONNABORTED : addr_out(t, addr, (uint32_t)len, uaddr, ulen);
        if (r < 0) {
            file_put(nf);
            return r;
        }
    }
    return sc_install_new(t, nf, flags & SOCK_CLOEXEC);
}

long sys_accept(struct task *t, const struct syscall_args *args)
{
    return do_accept(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), 0);
}

long sys_accept4(struct task *t, const struct syscall_args *args)
{
    return do_accept(t, ARG_INT(0), ARG_U64(1), ARG_U64(2), ARG_INT(3));
}

static long getname(struct task *t, const struct syscall_args *args, bool peer)
{
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    char addr[SOCK_ADDR_MAX];
    int len = s->ops->getname(s, addr, peer);
    r = len < 0 ? len : addr_out(t, addr, (uint32_t)len, ARG_U64(1), ARG_U64(2));
    file_put(f);
    return r;
}

long sys_getsockname(struct task *t, const struct syscall_args *args)
{
    return getname(t, args, false);
}

long sys_getpeername(struct task *t, const struct syscall_args *args)
{
    return getname(t, args, true);
}

long sys_shutdown(struct task *t, const struct syscall_args *args)
{
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    r = s->ops->shutdown(s, ARG_INT(1));
    file_put(f);
    return r;
}

/* ---- control messages --------------------------------------------------- */

static bool has_id(uint32_t id, uint32_t a, uint32_t b, uint32_t c)
{
    return id == a || id == b || id == c;
}

/* Linux's scm_check_creds and the pid lookup of __scm_send. */
static int check_creds(struct task *t, const struct ucred *uc)
{
    const struct creds *c = &t->creds;
    if (uc->uid == (uint32_t)-1 || uc->gid == (uint32_t)-1)
        return -EINVAL;
    bool pid_ok = uc->pid == t->tg->tgid || creds_capable(c, CREDS_CAP_SYS_ADMIN);
    bool uid_ok = has_id(uc->uid, c->ruid, c->euid, c->suid) || creds_capable(c, CREDS_CAP_SETUID);
    bool gid_ok = has_id(uc->gid, c->rgid, c->egid, c->sgid) || creds_capable(c, CREDS_CAP_SETGID);
    if (!pid_ok || !uid_ok || !gid_ok)
        return -EPERM;
    pthread_mutex_lock(&g_kernel->lock);
    bool found = uc->pid > 0 && kernel_find_task_locked(uc->pid) != NULL;
    pthread_mutex_unlock(&g_kernel->lock);
    return found ? 0 : -ESRCH;
}

/* Linux's __scm_send: SOL_SOCKET SCM_RIGHTS (files gathered in m) and
 * SCM_CREDENTIALS; other levels are ignored, other types EINVAL. */
static int parse_cmsgs(struct task *t, const char *ctl, size_t len, struct sock_send *m)
{
    size_t off = 0;
    while (len >= sizeof(struct cmsghdr) && off + sizeof(struct cmsghdr) <= len) {
        struct cmsghdr h;
        memcpy(&h, ctl + off, sizeof(h));
        if (h.cmsg_len < sizeof(h) || h.cmsg_len > len - off)
            return -EINVAL;
        const char *data = ctl + off + CMSG_LEN(0);
        if (h.cmsg_level == SOL_SOCKET) {
            switch (h.cmsg_type) {
            case SCM_RIGHTS: {
                int num = (int)((h.cmsg_len - CMSG_LEN(0)) / sizeof(int));
                if (num <= 0)
                    break;
                if (num > SCM_MAX_FD || m->nfiles + num > SCM_MAX_FD)
                    return -EINVAL;
                if (!m->files && !(m->files = calloc(SCM_MAX_FD, sizeof(*m->files))))
                    return -ENOMEM;
                for (int i = 0; i < num; i++) {
                    int fd;
                    memcpy(&fd, data + i * sizeof(int), sizeof(fd));
                    struct file *f = fd < 0 ? NULL : sc_file(t, fd);
                    if (!f)
                        return -EBADF;
                    m->files[m->nfiles++] = f;
                }
                break;
            }
            case SCM_CREDENTIALS: {
                if (h.cmsg_len != CMSG_LEN(sizeof(struct ucred)))
                    return -EINVAL;
                struct ucred uc;
                memcpy(&uc, data, sizeof(uc));
                int r = check_creds(t, &uc);
                if (r < 0)
                    return r;
                m->has_creds = true;
                m->creds = (struct sock_cred){uc.pid, uc.uid, uc.gid};
                break;
            }
            default:
                return -EINVAL;
            }
        }
        off += CMSG_ALIGN(h.cmsg_len);
    }
    return 0;
}

static void send_done(struct sock_send *m)
{
    for (int i = 0; i < m->nfiles; i++)
        file_put(m->files[i]);
    free(m->files);
}

/* Where received control messages go (Linux's msg_control cursor). */
struct ctl_out {
    struct task *t;
    uint64_t ptr; /* 0: no buffer */
    uint64_t left;
    uint64_t used;
    int *flags;
};

/* Linux's put_cmsg: truncated (MSG_CTRUNC) when the room is short. */
static void put_cmsg(struct ctl_out *w, int level, int type, const void *data, size_t len)
{
    if (!w->ptr || w->left < sizeof(struct cmsghdr)) {
        *w->flags |= MSG_CTRUNC;
        return;
    }
    size_t cmlen = CMSG_LEN(len);
    if (w->left < cmlen) {
        *w->flags |= MSG_CTRUNC;
        cmlen = w->left;
    }
    struct cmsghdr h = {.cmsg_len = cmlen, .cmsg_level = level, .cmsg_type = type};
    if (mm_copy_out(w->t->mm, w->ptr, &h, sizeof(h)) < 0 ||
        mm_copy_out(w->t->mm, w->ptr + sizeof(h), data, cmlen - sizeof(h)) < 0)
        return;
    size_t adv = CMSG_SPACE(len) < w->left ? CMSG_SPACE(len) : w->left;
    w->ptr += adv;
    w->left -= adv;
    w->used += adv;
}

/* Linux's scm_detach_fds: as many descriptors as fit (and RLIMIT_NOFILE
 * allows) become new fds; the rest are closed, with MSG_CTRUNC. */
static void detach_fds(struct ctl_out *w, struct file **files, int n, bool cloexec)
{
    int fdmax = 0;
    if (w->ptr && w->left > sizeof(struct cmsghdr))
        fdmax = (int)((w->left - sizeof(struct cmsghdr)) / sizeof(int));
    if (fdmax > n)
        fdmax = n;
    struct task *t = w->t;
    int i;
    for (i = 0; i < fdmax; i++) {
        int fd = fdt_install(t->fdt, 0, files[i], cloexec ? FDT_CLOEXEC : 0, sc_nofile(t));
        if (fd < 0)
            break;
        if (mm_copy_out(t->mm, w->ptr + CMSG_LEN(0) + i * sizeof(int), &fd, sizeof(fd)) < 0) {
            fdt_close(t->fdt, fd);
            break;
        }
    }
    if (i > 0) {
        struct cmsghdr h = {.cmsg_len = CMSG_LEN(i * sizeof(int)),
                            .cmsg_level = SOL_SOCKET,
                            .cmsg_type = SCM_RIGHTS};
        if (mm_copy_out(t->mm, w->ptr, &h, sizeof(h)) == 0) {
            size_t adv = CMSG_SPACE(i * sizeof(int));
            if (adv > w->left)
                adv = w->left;
            w->ptr += adv;
            w->left -= adv;
            w->used += adv;
        }
    }
    if (i < n || (n && fdmax <= 0))
        *w->flags |= MSG_CTRUNC;
}

static void recv_done(struct sock_recv *m)
{
    for (int i = 0; i < m->nfiles; i++)
        file_put(m->files[i]);
    free(m->files);
    m->files = NULL;
    m->nfiles = 0;
}

/* Linux's scm_recv_unix: SCM_CREDENTIALS (SO_PASSCRED), then SCM_RIGHTS. */
static void put_scm(struct ctl_out *w, struct sock_recv *m, bool cloexec)
{
    if (!w->ptr) {
        if (m->has_creds || m->nfiles)
            *w->flags |= MSG_CTRUNC;
        return;
    }
    if (m->has_creds) {
        struct ucred uc = {m->creds.pid, m->creds.uid, m->creds.gid};
        put_cmsg(w, SOL_SOCKET, SCM_CREDENTIALS, &uc, sizeof(uc));
    }
    if (m->nfiles)
        detach_fds(w, m->files, m->nfiles, cloexec);
}

/* ---- vectors ------------------------------------------------------------ */

/* Linux's import_iovec for sendmsg/recvmsg: EMSGSIZE past UIO_MAXIOV,
 * EINVAL for a negative length, the total capped at MAX_RW_COUNT. */
static int import_iov(struct task *t, uint64_t uiov, uint64_t cnt, struct iovec **out,
                      size_t *total)
{
    *out = NULL;
    *total = 0;
    if (cnt > UIO_MAXIOV_)
        return -EMSGSIZE;
    if (cnt == 0)
        return 0;
    struct iovec *iov = malloc(cnt * sizeof(*iov));
    if (!iov)
        return -ENOMEM;
    if (mm_copy_in(t->mm, uiov, iov, cnt * sizeof(*iov)) < 0) {
        free(iov);
        return -EFAULT;
    }
    uint64_t sum = 0;
    for (uint64_t i = 0; i < cnt; i++) {
        if ((int64_t)iov[i].iov_len < 0) {
            free(iov);
            return -EINVAL;
        }
        if (iov[i].iov_len > MAX_RW_COUNT - sum)
            iov[i].iov_len = MAX_RW_COUNT - sum;
        sum += iov[i].iov_len;
    }
    *out = iov;
    *total = sum;
    return 0;
}

/* ---- send --------------------------------------------------------------- */

static bool is_inet(const struct socket *s)
{
    return s->family == AF_INET || s->family == AF_INET6;
}

/* Control messages on inet sockets: none reaches the host. SOL_SOCKET ones
 * are Linux's __sock_cmsg_send: SCM_RIGHTS and SCM_CREDENTIALS are ignored
 * (they mean nothing here), the others (SO_MARK, SO_PRIORITY, SCM_TXTIME,
 * SO_TIMESTAMPING) are not supported: EINVAL. A datagram socket's IP / IPv6
 * ones (IP_TTL, IP_PKTINFO, IPV6_HOPLIMIT, ...) are not supported either:
 * EINVAL; a stream socket ignores them, as Linux's tcp_sendmsg does, and
 * every socket ignores other levels. */
static int inet_cmsgs(const struct socket *s, const char *ctl, size_t len)
{
    size_t off = 0;
    while (len >= sizeof(struct cmsghdr) && off + sizeof(struct cmsghdr) <= len) {
        struct cmsghdr h;
        memcpy(&h, ctl + off, sizeof(h));
        if (h.cmsg_len < sizeof(h) || h.cmsg_len > len - off)
            return -EINVAL;
        if (h.cmsg_level == SOL_SOCKET && h.cmsg_type != SCM_RIGHTS &&
            h.cmsg_type != SCM_CREDENTIALS)
            return -EINVAL;
        if (s->type != SOCK_STREAM && (h.cmsg_level == IPPROTO_IP || h.cmsg_level == IPPROTO_IPV6))
            return -EINVAL;
        off += CMSG_ALIGN(h.cmsg_len);
    }
    return 0;
}

static long send_common(struct task *t, struct file *f, struct socket *s, struct sock_iter *it,
                        const void *addr, int alen, const char *ctl, size_t ctllen, int flags)
{
    struct sock_send m = {.addr = alen > 0 ? addr : NULL, .addrlen = alen > 0 ? (uint32_t)alen : 0};
    m.flags = flags | ((f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0);
    long r = !ctllen      ? 0
             : is_inet(s) ? inet_cmsgs(s, ctl, ctllen)
                          : parse_cmsgs(t, ctl, ctllen, &m);
    if (r == 0)
        r = s->ops->sendmsg(s, t, it, &m);
    send_done(&m);
    return r;
}

long sys_sendto(struct task *t, const struct syscall_args *args)
{
    uint64_t len = ARG_U64(2);
    if (len > MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    char addr[ADDR_MAX];
    int alen = 0;
    if (ARG_U64(4)) {
        alen = ARG_INT(5);
        if ((r = addr_in(t, ARG_U64(4), alen, addr)) < 0)
            goto out;
    }
    struct iovec v = {(void *)ARG_U64(1), len};
    struct sock_iter it;
    sock_iter_user(&it, t->mm, &v, 1, len);
    r = send_common(t, f, s, &it, addr, alen, NULL, 0, ARG_INT(3));
out:
    file_put(f);
    return r;
}

/* One sendmsg of the msghdr at umsg (Linux's ___sys_sendmsg); *left gets
 * the bytes not sent (sendmmsg stops there). */
static long sendmsg_one(struct task *t, struct file *f, struct socket *s, uint64_t umsg, int flags,
                        size_t *left)
{
    struct umsghdr h;
    if (mm_copy_in(t->mm, umsg, &h, sizeof(h)) < 0)
        return -EFAULT;
    char addr[ADDR_MAX];
    int alen = h.name ? h.namelen : 0;
    if (alen < 0)
        return -EINVAL;
    if (alen > ADDR_MAX)
        alen = ADDR_MAX;
    long r;
    if (h.name && alen && (r = addr_in(t, h.name, alen, addr)) < 0)
        return r;
    if (!h.name)
        alen = 0;
    struct iovec *iov;
    size_t total;
    if ((r = import_iov(t, h.iov, h.iovlen, &iov, &total)) < 0)
        return r;
    char *ctl = NULL;
    if (h.controllen > INT32_MAX || h.controllen > OPTMEM_MAX) {
        r = -ENOBUFS;
        goto out;
    }
    if (h.controllen) {
        if (!(ctl = malloc(h.controllen))) {
            r = -ENOBUFS;
            goto out;
        }
        if (mm_copy_in(t->mm, h.control, ctl, h.controllen) < 0) {
            r = -EFAULT;
            goto out;
        }
    }
    struct sock_iter it;
    sock_iter_user(&it, t->mm, iov, h.iovlen, total);
    r = send_common(t, f, s, &it, addr, alen, ctl, h.controllen, flags);
    if (left)
        *left = r >= 0 ? total - (size_t)r : 0;
out:
    free(ctl);
    free(iov);
    return r;
}

long sys_sendmsg(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(2);
    struct file *f;
    long r;
    struct socket *s = msg_sock(t, ARG_INT(0), flags, &f, &r);
    if (!s)
        return r;
    r = sendmsg_one(t, f, s, ARG_U64(1), flags, NULL);
    file_put(f);
    return r;
}

/* The msg_len of the mmsghdr at entry: 0 or -EFAULT. */
static long put_msg_len(struct task *t, uint64_t entry, long len)
{
    uint32_t n = (uint32_t)len;
    return mm_copy_out(t->mm, entry + offsetof(struct ummsghdr, len), &n, sizeof(n)) < 0 ? -EFAULT
                                                                                         : 0;
}

long sys_sendmmsg(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(3);
    struct file *f;
    long r;
    struct socket *s = msg_sock(t, ARG_INT(0), flags, &f, &r);
    if (!s)
        return r;
    unsigned vlen = (unsigned)ARG_U64(2);
    if (vlen > UIO_MAXIOV_)
        vlen = UIO_MAXIOV_;
    uint64_t entry = ARG_U64(1);
    unsigned done = 0;
    r = 0;
    while (done < vlen) {
        size_t left = 0;
        r = sendmsg_one(t, f, s, entry, flags, &left);
        if (r < 0)
            break;
        if ((r = put_msg_len(t, entry, r)) < 0)
            break;
        entry += sizeof(struct ummsghdr);
        done++;
        if (left)
            break;
    }
    file_put(f);
    return done ? (long)done : r;
}

/* ---- receive ------------------------------------------------------------ */

long sys_recvfrom(struct task *t, const struct syscall_args *args)
{
    uint64_t len = ARG_U64(2);
    if (len > MAX_RW_COUNT)
        len = MAX_RW_COUNT;
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    uint64_t uaddr = ARG_U64(4);
    struct iovec v = {(void *)ARG_U64(1), len};
    struct sock_iter it;
    sock_iter_user(&it, t->mm, &v, 1, len);
    struct sock_recv m = {.flags = ARG_INT(3) | ((f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0),
                          .want_addr = uaddr != 0};
    r = s->ops->recvmsg(s, t, &it, &m);
    recv_done(&m);
    if (r >= 0 && uaddr) {
        long r2 = addr_out(t, m.addr, m.addrlen, uaddr, ARG_U64(5));
        if (r2 < 0)
            r = r2;
    }
    file_put(f);
    return r;
}

/* One recvmsg into the msghdr at umsg (Linux's ___sys_recvmsg). */
static long recvmsg_one(struct task *t, struct file *f, struct socket *s, uint64_t umsg, int flags)
{
    struct umsghdr h;
    if (mm_copy_in(t->mm, umsg, &h, sizeof(h)) < 0)
        return -EFAULT;
    if (h.name && h.namelen < 0)
        return -EINVAL;
    struct iovec *iov;
    size_t total;
    long r = import_iov(t, h.iov, h.iovlen, &iov, &total);
    if (r < 0)
        return r;
    struct sock_iter it;
    sock_iter_user(&it, t->mm, iov, h.iovlen, total);
    struct sock_recv m = {.flags = flags | ((f->flags & O_NONBLOCK) ? MSG_DONTWAIT : 0),
                          .want_addr = h.name != 0};
    r = s->ops->recvmsg(s, t, &it, &m);
    free(iov);
    if (r < 0) {
        recv_done(&m);
        return r;
    }
    int mflags = m.msg_flags | (flags & MSG_CMSG_CLOEXEC);
    struct ctl_out w = {.t = t, .ptr = h.control, .left = h.controllen, .flags = &mflags};
    put_scm(&w, &m, flags & MSG_CMSG_CLOEXEC);
    recv_done(&m);
    long e = 0;
    if (h.name)
        e = addr_out(t, m.addr, m.addrlen, h.name, umsg + offsetof(struct umsghdr, namelen));
    uint32_t uf = (uint32_t)mflags;
    if (e == 0 && mm_copy_out(t->mm, umsg + offsetof(struct umsghdr, flags), &uf, sizeof(uf)) < 0)
        e = -EFAULT;
    if (e == 0 && mm_copy_out(t->mm, umsg + offsetof(struct umsghdr, controllen), &w.used,
                              sizeof(w.used)) < 0)
        e = -EFAULT;
    return e < 0 ? e : r;
}

long sys_recvmsg(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(2);
    struct file *f;
    long r;
    struct socket *s = msg_sock(t, ARG_INT(0), flags, &f, &r);
    if (!s)
        return r;
    r = recvmsg_one(t, f, s, ARG_U64(1), flags);
    file_put(f);
    return r;
}

#define NSEC_PER_SEC 1000000000L

long sys_recvmmsg(struct task *t, const struct syscall_args *args)
{
    int flags = ARG_INT(3);
    if (flags & MSG_CMSG_COMPAT)
        return -EINVAL;
    uint64_t utimeout = ARG_U64(4);
    struct timespec ts, end;
    if (utimeout) {
        if (mm_copy_in(t->mm, utimeout, &ts, sizeof(ts)) < 0)
            return -EFAULT;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NSEC_PER_SEC)
            return -EINVAL;
        deadline_after(&end, &ts);
    }
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    unsigned vlen = (unsigned)ARG_U64(2);
    uint64_t entry = ARG_U64(1);
    unsigned done = 0;
    r = 0;
    while (done < vlen) {
        r = recvmsg_one(t, f, s, entry, flags & ~MSG_WAITFORONE);
        if (r < 0)
            break;
        if ((r = put_msg_len(t, entry, r)) < 0)
            break;
        entry += sizeof(struct ummsghdr);
        done++;
        if (flags & MSG_WAITFORONE)
            flags |= MSG_DONTWAIT;
        if (utimeout) {
            struct timespec now;
            clock_gettime(CLOCK_MONOTONIC, &now);
            long long left =
                (long long)(end.tv_sec - now.tv_sec) * NSEC_PER_SEC + (end.tv_nsec - now.tv_nsec);
            if (left <= 0) {
                ts.tv_sec = ts.tv_nsec = 0;
                break;
            }
            ts.tv_sec = left / NSEC_PER_SEC;
            ts.tv_nsec = left % NSEC_PER_SEC;
        }
    }
    file_put(f);
    if (done == 0)
        return r;
    if (utimeout && mm_copy_out(t->mm, utimeout, &ts, sizeof(ts)) < 0)
        return -EFAULT;
    return done;
}

/* ---- options ------------------------------------------------------------ */

long sys_getsockopt(struct task *t, const struct syscall_args *args)
{
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    int level = ARG_INT(1), name = ARG_INT(2);
    uint64_t uval = ARG_U64(3), ulen = ARG_U64(4);
    char val[OPT_MAX];
    int len = 0;
    if (level == SOL_SOCKET || is_inet(s)) {
        if (mm_copy_in(t->mm, ulen, &len, sizeof(len)) < 0) {
            r = -EFAULT;
            goto out;
        }
        if (len < 0) {
            r = -EINVAL;
            goto out;
        }
    }
    uint32_t n = len < OPT_MAX ? (uint32_t)len : OPT_MAX;
    if ((r = s->ops->getsockopt(s, t, level, name, val, &n)) < 0)
        goto out;
    int out = (int)n;
    if (n && mm_copy_out(t->mm, uval, val, n) < 0)
        r = -EFAULT;
    else if (mm_copy_out(t->mm, ulen, &out, sizeof(out)) < 0)
        r = -EFAULT;
out:
    file_put(f);
    return r;
}

long sys_setsockopt(struct task *t, const struct syscall_args *args)
{
    struct file *f;
    long r;
    struct socket *s = sock_fd(t, ARG_INT(0), &f, &r);
    if (!s)
        return r;
    int level = ARG_INT(1), name = ARG_INT(2), len = ARG_INT(4);
    char val[OPT_MAX] = {0};
    if (len < 0) {
        r = -EINVAL;
        goto out;
    }
    /* Linux reads what the option needs (an int; struct linger; a timeval;
     * for inet sockets also group requests, up to OPT_MAX). */
    uint32_t n = len < 16 ? (uint32_t)len : 16;
    if (is_inet(s) && level != SOL_SOCKET)
        n = len < OPT_MAX ? (uint32_t)len : OPT_MAX;
    if ((level == SOL_SOCKET || is_inet(s)) && n >= (is_inet(s) ? 1u : sizeof(int)) &&
        mm_copy_in(t->mm, ARG_U64(3), val, n) < 0) {
        r = -EFAULT;
        goto out;
    }
    r = s->ops->setsockopt(s, t, level, name, val, (uint32_t)len);
out:
    file_put(f);
    return r;
}

/* AF_INET / AF_INET6 sockets backed by host sockets (see inet.h and
 * README.md).
 *
 * Each application socket wraps one non-blocking host socket (SOCK_NONBLOCK |
 * SOCK_CLOEXEC) made by the sentry in the sandbox's network namespace. The
 * host kernel does the networking; the sentry copies data through a bounce
 * buffer (the host never sees application addresses), checks addresses
 * (length) and options (a whitelist, INET_SOCKOPTS), and blocks tasks itself:
 * a call that would wait polls the host fd with task_block_host, so it is
 * interruptible (ERESTARTSYS, or EINTR under a time limit) and honours
 * O_NONBLOCK, MSG_DONTWAIT and SO_RCVTIMEO / SO_SNDTIMEO (kept by the sentry,
 * struct sock_common). Readiness (poll, select, epoll) is the host fd's
 * (vfs_poll_wait_host).
 *
 * No locks: the host kernel serialises the calls on its socket, and the only
 * sentry state (the time limits) is read and written atomically. The
 * interface queries (SIOCGIF*) of sockets of other families go to one shared
 * host UDP socket (inet_dev_ioctl), made at first use. */
#include "sentry/socket/inet.h"

#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sentry/kernel/kernel.h"
#include "sentry/kernel/waitq.h"
#include "sentry/socket/socket.h"

/* The most one host call moves for a stream socket (a short read or write
 * is allowed; a blocking send loops until everything is sent). */
#define INET_STREAM_CHUNK (256u << 10)
/* The longest datagram (an IPv4 / IPv6 UDP payload is at most 65535 - 8). */
#define INET_DGRAM_MAX 65536u
/* sys_socket.c's OPT_MAX: the option buffer it hands over. */
#define INET_OPT_MAX 256u

struct inet_sock {
    int fd; /* the host socket (non-blocking) */
    int family, type, protocol;
    struct sock_common opts; /* only the time limits are used */
};

static const struct socket_ops g_inet_ops;

static struct inet_sock *isk(struct socket *s)
{
    return s->priv;
}

static int inet_wrap(int fd, int family, int type, int protocol, const struct sock_common *opts,
                     struct socket **out)
{
    struct inet_sock *is = calloc(1, sizeof(*is));
    struct socket *s = calloc(1, sizeof(*s));
    if (!is || !s) {
        free(is);
        free(s);
        close(fd);
        return -ENOMEM;
    }
    *is = (struct inet_sock){.fd = fd, .family = family, .type = type, .protocol = protocol};
    if (opts) {
        is->opts = *opts;
    } else {
        sock_common_init(&is->opts);
    }
    *s = (struct socket){.family = family, .type = type, .ops = &g_inet_ops, .priv = is};
    *out = s;
    return 0;
}

/* Linux's inet_create / inet6_create protocol lookup: TCP for SOCK_STREAM,
 * UDP for SOCK_DGRAM. Not available: raw sockets (the sentry has no
 * CAP_NET_RAW on the host: EPERM, Linux's answer without it), ping sockets
 * (EACCES, Linux's answer with the default net.ipv4.ping_group_range),
 * MPTCP, UDP-Lite and SCTP (EPROTONOSUPPORT). */
int inet_socket_new(int family, int type, int protocol, struct socket **out)
{
    if (protocol < 0 || protocol >= IPPROTO_MAX)
        return -EINVAL;
    int ping = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
    switch (type) {
    case SOCK_STREAM:
        if (protocol != 0 && protocol != IPPROTO_TCP)
            return -EPROTONOSUPPORT;
        protocol = IPPROTO_TCP;
        break;
    case SOCK_DGRAM:
        if (protocol == ping)
            return -EACCES;
        if (protocol != 0 && protocol != IPPROTO_UDP)
            return -EPROTONOSUPPORT;
        protocol = IPPROTO_UDP;
        break;
    case SOCK_RAW:
        return -EPERM;
    default:
        return -ESOCKTNOSUPPORT;
    }
    int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -errno;
    return inet_wrap(fd, family, type, protocol, NULL, out);
}

/* ---- blocking ----------------------------------------------------------- */

/* Waits for events on the host fd: 0 (ready, or woken: the caller retries),
 * -EAGAIN (never waits, or the time limit passed), -ERESTARTSYS / -EINTR. */
static int inet_wait(struct task *t, int fd, short events, struct sock_timeo *to)
{
    if (to->nonblock || !t)
        return -EAGAIN;
    struct pollfd p = {.fd = fd, .events = events};
    int r = task_block_host(t, &p, 1, to->has_deadline ? &to->deadline : NULL);
    if (r == -ETIMEDOUT) {
        to->nonblock = true;
        return -EAGAIN;
    }
    if (r == -EINTR)
        return to->has_deadline ? -EINTR : -ERESTARTSYS;
    return r < 0 ? r : 0;
}

static int64_t timeo(int64_t *field)
{
    return __atomic_load_n(field, __ATOMIC_RELAXED);
}

static bool host_ready(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    return poll(&p, 1, 0) > 0;
}

/* ---- names and connections ---------------------------------------------- */

/* What the host is given: the address the sentry copied (sys_socket.c:
 * at most sizeof(struct sockaddr_storage) bytes), with its length checked
 * against the family's minimum as Linux does before looking at it. */
static int check_addr(struct inet_sock *is, uint32_t len, bool bind)
{
    if (len < sizeof(sa_family_t))
        return -EINVAL;
    if (bind && len < (is->family == AF_INET ? sizeof(struct sockaddr_in) : 24u))
        return -EINVAL; /* SIN6_LEN_RFC2133 */
    return 0;
}

static int inet_bind(struct socket *s, struct task *t, const void *addr, uint32_t len)
{
    struct inet_sock *is = isk(s);
    int r = check_addr(is, len, true);
    if (r < 0)
        return r;
    return bind(is->fd, addr, len) < 0 ? -errno : 0;
}

static int inet_connect(struct socket *s, struct task *t, const void *addr, uint32_t len,
                        bool nonblock)
{
    struct inet_sock *is = isk(s);
    int r = check_addr(is, len, false);
    if (r < 0)
        return r;
    while (connect(is->fd, addr, len) < 0) {
        int e = errno;
        if (e == EINTR)
            continue;
        if ((e != EINPROGRESS && e != EALREADY) || nonblock)
            return -e;
        /* A blocking connect (or a restarted one: EALREADY) waits for the
         * handshake, as long as SO_SNDTIMEO allows (then EINPROGRESS). */
        struct sock_timeo to;
        sock_timeo_init(&to, false, timeo(&is->opts.sndtimeo_ns));
        while (!host_ready(is->fd, POLLOUT)) {
            r = inet_wait(t, is->fd, POLLOUT, &to);
            if (r == -EAGAIN)
                return -EINPROGRESS;
            if (r < 0)
                return r;
        }
        int err = 0;
        socklen_t el = sizeof(err);
        if (getsockopt(is->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
            return -errno;
        if (err)
            return -err;
        /* Connected: one more connect moves the host socket from
         * "connecting" to "connected" (it answers 0), as Linux's blocking
         * connect leaves it: a later connect is EISCONN. */
        if (connect(is->fd, addr, len) < 0 && errno != EISCONN)
            return -errno;
        return 0;
    }
    return 0;
}

static int inet_listen(struct socket *s, struct task *t, int backlog)
{
    return listen(isk(s)->fd, backlog) < 0 ? -errno : 0;
}

static int inet_accept(struct socket *s, struct task *t, bool nonblock, struct socket **out)
{
    struct inet_sock *is = isk(s);
    struct sock_timeo to;
    sock_timeo_init(&to, nonblock, timeo(&is->opts.rcvtimeo_ns));
    for (;;) {
        int fd = accept4(is->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            /* The new socket inherits the listener's options (Linux's
             * sk_clone), the time limits included. */
            struct sock_common opts = is->opts;
            return inet_wrap(fd, is->family, is->type, is->protocol, &opts, out);
        }
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN)
            return -errno;
        int r = inet_wait(t, is->fd, POLLIN, &to);
        if (r < 0)
            return r;
    }
}

static int inet_getname(struct socket *s, void *buf, bool peer)
{
    struct inet_sock *is = isk(s);
    socklen_t len = SOCK_ADDR_MAX;
    int r = peer ? getpeername(is->fd, buf, &len) : getsockname(is->fd, buf, &len);
    if (r < 0)
        return -errno;
    return len > SOCK_ADDR_MAX ? SOCK_ADDR_MAX : (int)len;
}

static int inet_shutdown(struct socket *s, int how)
{
    return shutdown(isk(s)->fd, how) < 0 ? -errno : 0;
}

/* ---- data --------------------------------------------------------------- */

/* The flags passed on to the host (which never blocks nor signals). */
#define SEND_FLAGS (MSG_OOB | MSG_DONTROUTE | MSG_EOR | MSG_MORE | MSG_CONFIRM)
#define RECV_FLAGS (MSG_OOB | MSG_PEEK | MSG_TRUNC)

static ssize_t host_send(struct inet_sock *is, const void *buf, size_t len,
                         const struct sock_send *m)
{
    struct iovec v = {(void *)buf, len};
    struct msghdr h = {.msg_name = (void *)m->addr,
                       .msg_namelen = m->addr ? m->addrlen : 0,
                       .msg_iov = &v,
                       .msg_iovlen = 1};
    ssize_t n;
    do
        n = sendmsg(is->fd, &h, (m->flags & SEND_FLAGS) | MSG_DONTWAIT | MSG_NOSIGNAL);
    while (n < 0 && errno == EINTR);
    return n < 0 ? -errno : n;
}

static ssize_t inet_sendmsg(struct socket *s, struct task *t, struct sock_iter *it,
                            struct sock_send *m)
{
    struct inet_sock *is = isk(s);
    if (m->addr && m->addrlen < sizeof(sa_family_t))
        return -EINVAL;
    size_t total = sock_iter_left(it);
    bool stream = is->type == SOCK_STREAM;
    if (!stream && total > INET_DGRAM_MAX)
        return -EMSGSIZE;
    size_t cap = stream && total > INET_STREAM_CHUNK ? INET_STREAM_CHUNK : total;
    char *buf = malloc(cap ? cap : 1);
    if (!buf)
        return -ENOBUFS;
    struct sock_timeo to;
    sock_timeo_init(&to, m->flags & MSG_DONTWAIT, timeo(&is->opts.sndtimeo_ns));
    size_t sent = 0, have = 0, off = 0; /* buf[off, have) is not sent yet */
    ssize_t r = 0;
    for (;;) {
        if (off == have && (sent < total || total == 0)) {
            size_t n = total - sent < cap ? total - sent : cap;
            if (sock_iter_copy_in(it, buf, n) < 0) {
                r = -EFAULT;
                break;
            }
            off = 0;
            have = n;
        }
        ssize_t n = host_send(is, buf + off, have - off, m);
        if (n >= 0) {
            off += (size_t)n;
            sent += (size_t)n;
            if (!stream || sent == total)
                break;
            continue;
        }
        if (n != -EAGAIN) {
            r = n;
            if (n == -EPIPE && sent == 0)
                sock_sigpipe(t, m->flags);
            break;
        }
        r = inet_wait(t, is->fd, POLLOUT, &to);
        if (r < 0)
            break;
    }
    free(buf);
    if (stream && sent > 0)
        return (ssize_t)sent;
    if (!stream && r == 0)
        return (ssize_t)sent;
    return r;
}

static ssize_t host_recv(struct inet_sock *is, void *buf, size_t len, struct sock_recv *m)
{
    struct iovec v = {buf, len};
    struct msghdr h = {.msg_iov = &v, .msg_iovlen = 1};
    if (m->want_addr) {
        h.msg_name = m->addr;
        h.msg_namelen = sizeof(m->addr);
    }
    ssize_t n;
    do
        n = recvmsg(is->fd, &h, (m->flags & RECV_FLAGS) | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n < 0)
        return -errno;
    if (m->want_addr)
        m->addrlen = h.msg_namelen > sizeof(m->addr) ? sizeof(m->addr) : h.msg_namelen;
    m->msg_flags |= h.msg_flags & (MSG_TRUNC | MSG_OOB | MSG_EOR);
    return n;
}

static ssize_t inet_recvmsg(struct socket *s, struct task *t, struct sock_iter *it,
                            struct sock_recv *m)
{
    struct inet_sock *is = isk(s);
    if (m->flags & MSG_ERRQUEUE)
        return -EAGAIN; /* nothing ever queues errors (no IP_RECVERR) */
    size_t want = sock_iter_left(it);
    bool stream = is->type == SOCK_STREAM;
    size_t cap = want;
    if (stream && cap > INET_STREAM_CHUNK)
        cap = INET_STREAM_CHUNK;
    if (!stream && cap > INET_DGRAM_MAX)
        cap = INET_DGRAM_MAX;
    char *buf = malloc(cap ? cap : 1);
    if (!buf)
        return -ENOBUFS;
    bool waitall = stream && (m->flags & MSG_WAITALL) && !(m->flags & MSG_PEEK);
    struct sock_timeo to;
    sock_timeo_init(&to, m->flags & MSG_DONTWAIT, timeo(&is->opts.rcvtimeo_ns));
    size_t got = 0;
    ssize_t r;
    for (;;) {
        size_t len = stream && want - got < cap ? want - got : cap;
        ssize_t n = host_recv(is, buf, len, m);
        if (n >= 0) {
            size_t c = (size_t)n < len ? (size_t)n : len;
            /* A stream MSG_TRUNC discards the data (nothing was copied). */
            bool discard = stream && (m->flags & MSG_TRUNC);
            if (!discard && sock_iter_copy_out(it, buf, c) < 0) {
                r = got ? (ssize_t)got : -EFAULT;
                break;
            }
            if (!stream) {
                r = n; /* the datagram's length with MSG_TRUNC */
                break;
            }
            got += c;
            if (n == 0 || got == want || !waitall) {
                r = (ssize_t)got;
                break;
            }
            continue;
        }
        if (n != -EAGAIN) {
            r = got ? (ssize_t)got : n;
            break;
        }
        int w = inet_wait(t, is->fd, POLLIN, &to);
        if (w < 0) {
            r = got ? (ssize_t)got : w;
            break;
        }
    }
    free(buf);
    return r;
}

/* ---- poll, ioctl -------------------------------------------------------- */

static uint32_t inet_poll(struct socket *s, uint32_t events, struct vfs_poll_table *pt)
{
    int fd = isk(s)->fd;
    vfs_poll_wait_host(pt, fd);
    struct pollfd p = {.fd = fd, .events = (short)(events ? events : POLLIN | POLLOUT)};
    int r;
    do
        r = poll(&p, 1, 0);
    while (r < 0 && errno == EINTR);
    return r < 0 ? POLLERR : (uint16_t)p.revents;
}

/* SIOCGIFCONF: the host's answer for at most this many bytes of room. */
#define IFCONF_MAX (64u << 10)

static long ifconf(int fd, struct mm *mm, uint64_t arg)
{
    struct ifconf ic;
    if (mm_copy_in(mm, arg, &ic, sizeof(ic)) < 0)
        return -EFAULT;
    uint64_t ubuf = (uint64_t)ic.ifc_buf;
    struct ifconf hc = {.ifc_len = 0, .ifc_buf = NULL};
    char *buf = NULL;
    if (ubuf) {
        if (ic.ifc_len < 0)
            return -EINVAL;
        hc.ifc_len = (uint32_t)ic.ifc_len > IFCONF_MAX ? (int)IFCONF_MAX : ic.ifc_len;
        if (!(buf = malloc(hc.ifc_len ? (size_t)hc.ifc_len : 1)))
            return -ENOMEM;
        hc.ifc_buf = buf;
    }
    long r = 0;
    if (ioctl(fd, SIOCGIFCONF, &hc) < 0)
        r = -errno;
    else if (ubuf && hc.ifc_len > 0 && mm_copy_out(mm, ubuf, buf, (size_t)hc.ifc_len) < 0)
        r = -EFAULT;
    free(buf);
    if (r < 0)
        return r;
    ic.ifc_len = hc.ifc_len;
    return mm_copy_out(mm, arg, &ic, sizeof(ic)) < 0 ? -EFAULT : 0;
}

/* The interface queries on host socket fd (Linux's dev_ioctl). */
static long dev_ioctl(int fd, struct mm *mm, unsigned cmd, uint64_t arg)
{
    switch (cmd) {
    case SIOCGIFNAME:
    case SIOCGIFINDEX:
    case SIOCGIFFLAGS:
    case SIOCGIFADDR:
    case SIOCGIFDSTADDR:
    case SIOCGIFBRDADDR:
    case SIOCGIFNETMASK:
    case SIOCGIFMTU:
    case SIOCGIFHWADDR: {
        struct ifreq ifr;
        if (mm_copy_in(mm, arg, &ifr, sizeof(ifr)) < 0)
            return -EFAULT;
        ifr.ifr_name[IFNAMSIZ - 1] = '\0';
        if (ioctl(fd, cmd, &ifr) < 0)
            return -errno;
        return mm_copy_out(mm, arg, &ifr, sizeof(ifr)) < 0 ? -EFAULT : 0;
    }
    case SIOCGIFCONF:
        return ifconf(fd, mm, arg);
    }
    return -ENOTTY;
}

static int g_dev_fd = -1;
static pthread_once_t g_dev_once = PTHREAD_ONCE_INIT;

static void dev_fd_init(void)
{
    g_dev_fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
}

long inet_dev_ioctl(struct mm *mm, unsigned cmd, uint64_t arg)
{
    pthread_once(&g_dev_once, dev_fd_init);
    return g_dev_fd < 0 ? -ENOTTY : dev_ioctl(g_dev_fd, mm, cmd, arg);
}

static long inet_ioctl(struct socket *s, struct mm *mm, unsigned cmd, uint64_t arg)
{
    int fd = isk(s)->fd;
    switch (cmd) {
    case FIONREAD: /* SIOCINQ */
    case TIOCOUTQ: /* SIOCOUTQ */
    case SIOCATMARK: {
        int v = 0;
        if (ioctl(fd, cmd, &v) < 0)
            return -errno;
        return mm_copy_out(mm, arg, &v, sizeof(v)) < 0 ? -EFAULT : 0;
    }
    }
    return dev_ioctl(fd, mm, cmd, arg);
}

/* ---- options ------------------------------------------------------------ */

static bool opt_listed(int level, int name, bool get)
{
#define INET_OPT_CASE(l, n)                                                                        \
    if (level == (l) && name == (n))                                                               \
        return true;
    INET_SOCKOPTS_RW(INET_OPT_CASE)
    if (get) {
        INET_SOCKOPTS_GET(INET_OPT_CASE)
    } else {
        INET_SOCKOPTS_SET(INET_OPT_CASE)
    }
#undef INET_OPT_CASE
    return false;
}

static bool sentry_opt(int level, int name)
{
    return level == SOL_SOCKET && (name == SO_RCVTIMEO || name == SO_SNDTIMEO ||
                                   name == SO_RCVTIMEO_NEW_ || name == SO_SNDTIMEO_NEW_);
}

static int inet_getsockopt(struct socket *s, struct task *t, int level, int name, void *val,
                           uint32_t *len)
{
    struct inet_sock *is = isk(s);
    if (sentry_opt(level, name))
        return sock_common_getsockopt(&is->opts, name, val, len);
    if (!opt_listed(level, name, true))
        return -ENOPROTOOPT;
    socklen_t l = *len > INET_OPT_MAX ? INET_OPT_MAX : *len;
    if (getsockopt(is->fd, level, name, val, &l) < 0)
        return -errno;
    *len = l > *len ? *len : l;
    return 0;
}

static int inet_setsockopt(struct socket *s, struct task *t, int level, int name, const void *val,
                           uint32_t len)
{
    struct inet_sock *is = isk(s);
    if (sentry_opt(level, name))
        return sock_common_setsockopt(&is->opts, t, name, val, len);
    if (!opt_listed(level, name, false))
        return -ENOPROTOOPT;
    if (len > INET_OPT_MAX)
        len = INET_OPT_MAX;
    return setsockopt(is->fd, level, name, val, len) < 0 ? -errno : 0;
}

static void inet_release(struct socket *s)
{
    struct inet_sock *is = isk(s);
    close(is->fd);
    free(is);
}

static const struct socket_ops g_inet_ops = {
    .bind = inet_bind,
    .connect = inet_connect,
    .listen = inet_listen,
    .accept = inet_accept,
    .getname = inet_getname,
    .shutdown = inet_shutdown,
    .sendmsg = inet_sendmsg,
    .recvmsg = inet_recvmsg,
    .poll = inet_poll,
    .ioctl = inet_ioctl,
    .getsockopt = inet_getsockopt,
    .setsockopt = inet_setsockopt,
    .release = inet_release,
};

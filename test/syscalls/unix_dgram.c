/* AF_UNIX datagram and seqpacket sockets: message boundaries, truncation
 * (MSG_TRUNC in and out), empty datagrams, sendto/recvfrom with filesystem
 * and abstract names and the sender's address, connect/disconnect (EPERM,
 * ECONNREFUSED after the peer closes, AF_UNSPEC), EMSGSIZE, the receive
 * queue limit of a receiver not connected back (EAGAIN, a blocked sender
 * woken by the reader, POLLOUT), sendmmsg/recvmmsg, seqpacket connections
 * (boundaries, EOF, EPIPE without SIGPIPE, ECONNRESET, ENOTCONN), readiness
 * and FIONREAD. */
#include "unix.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

static char g_buf[1 << 16];
static volatile int g_sigpipe;

static void on_sigpipe(int s)
{
    g_sigpipe++;
}

static int bound(int type, const char *name, struct sockaddr_un *a, socklen_t *len)
{
    int s = CHECK_OK(socket(AF_UNIX, type, 0));
    *len = path_addr(a, name);
    CHECK_OK(bind(s, (struct sockaddr *)a, *len));
    return s;
}

static void boundaries(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    CHECK_EQ(CHECK_OK(send(sv[0], "one", 3, 0)), 3);
    CHECK_EQ(CHECK_OK(send(sv[0], "three", 5, 0)), 5);
    CHECK_EQ(CHECK_OK(send(sv[0], "", 0, 0)), 0);
    CHECK_EQ(CHECK_OK(send(sv[0], "truncated", 9, 0)), 9);
    CHECK_EQ(CHECK_OK(send(sv[0], "sizeof", 6, 0)), 6);
    int n = 0;
    CHECK_OK(ioctl(sv[1], FIONREAD, &n));
    CHECK_EQ(n, 3); /* the first datagram */
    char b[64];
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), 0)), 3);
    CHECK_MEM(b, "one", 3);
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 5);
    CHECK_MEM(b, "three", 5);
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), 0)), 0);
    /* A short buffer drops the rest; recvmsg says MSG_TRUNC. */
    struct iovec iov = {b, 4};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    CHECK_EQ(CHECK_OK(recvmsg(sv[1], &m, 0)), 4);
    CHECK_MEM(b, "trun", 4);
    CHECK_EQ(m.msg_flags, MSG_TRUNC);
    /* MSG_TRUNC in flags: the datagram's real length. */
    CHECK_EQ(CHECK_OK(recv(sv[1], b, 2, MSG_TRUNC)), 6);
    CHECK_MEM(b, "si", 2);
    CHECK_ERR(recv(sv[1], b, sizeof(b), MSG_DONTWAIT), EAGAIN);
    /* Gathered and scattered: one datagram each way. */
    struct iovec wv[2] = {{"ab", 2}, {"cd", 2}};
    CHECK_EQ(CHECK_OK(writev(sv[0], wv, 2)), 4);
    CHECK_EQ(CHECK_OK(send(sv[0], "next", 4, 0)), 4);
    char x[3], y[8];
    struct iovec rv[2] = {{x, 3}, {y, sizeof(y)}};
    CHECK_EQ(CHECK_OK(readv(sv[1], rv, 2)), 4);
    CHECK_MEM(x, "abc", 3);
    CHECK_EQ(y[0], 'd');
    /* MSG_PEEK keeps the datagram. */
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), MSG_PEEK)), 4);
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), 0)), 4);
    CHECK_MEM(b, "next", 4);
    /* A big datagram. */
    CHECK_EQ(CHECK_OK(send(sv[0], g_buf, 60000, 0)), 60000);
    CHECK_EQ(CHECK_OK(recv(sv[1], g_buf, sizeof(g_buf), 0)), 60000);
    /* EMSGSIZE: more than the send buffer (less some overhead). */
    int v = 4096;
    CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
    CHECK_ERR(send(sv[0], g_buf, 8192, 0), EMSGSIZE);
    /* A raw socket is a datagram socket. */
    int r = CHECK_OK(socket(AF_UNIX, SOCK_RAW, 0));
    socklen_t vl = sizeof(v);
    CHECK_OK(getsockopt(r, SOL_SOCKET, SO_TYPE, &v, &vl));
    CHECK_EQ(v, SOCK_DGRAM);
    CHECK_OK(close(r));
    /* Datagram sockets cannot listen or accept. */
    CHECK_ERR(listen(sv[0], 1), EOPNOTSUPP);
    CHECK_ERR(accept(sv[0], NULL, NULL), EOPNOTSUPP);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void addresses(void)
{
    struct sockaddr_un sa, ca, got;
    socklen_t salen, calen, glen;
    int srv = bound(SOCK_DGRAM, "srv", &sa, &salen);
    int cli = bound(SOCK_DGRAM, "cli", &ca, &calen);
    CHECK_EQ(CHECK_OK(sendto(cli, "hi", 2, 0, (struct sockaddr *)&sa, salen)), 2);
    char b[16];
    glen = sizeof(got);
    memset(&got, 0, sizeof(got));
    CHECK_EQ(CHECK_OK(recvfrom(srv, b, sizeof(b), 0, (struct sockaddr *)&got, &glen)), 2);
    CHECK_EQ(glen, calen);
    CHECK_STR(got.sun_path, ca.sun_path);
    /* Reply to the address received. */
    CHECK_EQ(CHECK_OK(sendto(srv, "yo", 2, 0, (struct sockaddr *)&got, glen)), 2);
    CHECK_EQ(CHECK_OK(recv(cli, b, sizeof(b), 0)), 2);
    /* An unbound sender has no address. */
    int anon = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
    CHECK_EQ(CHECK_OK(sendto(anon, "x", 1, 0, (struct sockaddr *)&sa, salen)), 1);
    glen = sizeof(got);
    CHECK_EQ(CHECK_OK(recvfrom(srv, b, sizeof(b), 0, (struct sockaddr *)&got, &glen)), 1);
    CHECK_EQ(glen, 0);
    /* recvmsg's msg_namelen, and a name buffer too short. */
    CHECK_EQ(CHECK_OK(sendto(cli, "z", 1, 0, (struct sockaddr *)&sa, salen)), 1);
    struct iovec iov = {b, sizeof(b)};
    char shortname[4];
    struct msghdr m = {
        .msg_name = shortname, .msg_namelen = sizeof(shortname), .msg_iov = &iov, .msg_iovlen = 1};
    CHECK_EQ(CHECK_OK(recvmsg(srv, &m, 0)), 1);
    CHECK_EQ(m.msg_namelen, calen);
    CHECK_MEM(shortname, &ca, sizeof(shortname));
    /* Abstract names, and autobind. */
    struct sockaddr_un aa;
    char name[32];
    snprintf(name, sizeof(name), "unix_dgram.%d", getpid());
    socklen_t aalen = abstract_addr(&aa, name);
    int as = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
    CHECK_OK(bind(as, (struct sockaddr *)&aa, aalen));
    /* Abstract names are per type: a stream socket may take the same. */
    int st = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(bind(st, (struct sockaddr *)&aa, aalen));
    CHECK_OK(close(st));
    int auto_ = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
    struct sockaddr_un fam = {.sun_family = AF_UNIX};
    CHECK_OK(bind(auto_, (struct sockaddr *)&fam, sizeof(sa_family_t)));
    struct sockaddr_un an;
    socklen_t anlen = sizeof(an);
    CHECK_OK(getsockname(auto_, (struct sockaddr *)&an, &anlen));
    CHECK_EQ(anlen, offsetof(struct sockaddr_un, sun_path) + 6);
    CHECK_EQ(CHECK_OK(sendto(auto_, "ab", 2, 0, (struct sockaddr *)&aa, aalen)), 2);
    glen = sizeof(got);
    CHECK_EQ(CHECK_OK(recvfrom(as, b, sizeof(b), 0, (struct sockaddr *)&got, &glen)), 2);
    CHECK_EQ(glen, anlen);
    CHECK_MEM(&got, &an, anlen);
    /* Errors: nobody there, a file that is no socket, a stream socket. */
    struct sockaddr_un none;
    socklen_t nlen = abstract_addr(&none, "unix_dgram.nobody");
    CHECK_ERR(sendto(anon, "x", 1, 0, (struct sockaddr *)&none, nlen), ECONNREFUSED);
    nlen = path_addr(&none, "missing");
    CHECK_ERR(sendto(anon, "x", 1, 0, (struct sockaddr *)&none, nlen), ENOENT);
    CHECK_ERR(send(anon, "x", 1, 0), ENOTCONN);
    CHECK_ERR(sendto(anon, "x", 1, 0, (struct sockaddr *)&sa, 1), EINVAL);
    CHECK_ERR(sendto(anon, "x", 1, 0, BAD_PTR, salen), EFAULT);
    CHECK_ERR(sendto(anon, BAD_PTR, 1, 0, (struct sockaddr *)&sa, salen), EFAULT);
    struct sockaddr_un sta;
    socklen_t stalen;
    int stream = bound(SOCK_STREAM, "stream", &sta, &stalen);
    CHECK_ERR(sendto(anon, "x", 1, 0, (struct sockaddr *)&sta, stalen), EPROTOTYPE);
    CHECK_OK(close(stream));
    /* EFAULT on receive loses the datagram (it was taken off the queue). */
    CHECK_EQ(CHECK_OK(sendto(anon, "lost", 4, 0, (struct sockaddr *)&sa, salen)), 4);
    CHECK_ERR(recv(srv, BAD_PTR, 4, 0), EFAULT);
    CHECK_ERR(recv(srv, b, sizeof(b), MSG_DONTWAIT), EAGAIN);
    CHECK_OK(close(auto_));
    CHECK_OK(close(as));
    CHECK_OK(close(anon));
    CHECK_OK(close(cli));
    CHECK_OK(close(srv));
}

static void connected(void)
{
    struct sockaddr_un sa, ca;
    socklen_t salen, calen;
    int srv = bound(SOCK_DGRAM, "csrv", &sa, &salen);
    int cli = bound(SOCK_DGRAM, "ccli", &ca, &calen);
    CHECK_OK(connect(cli, (struct sockaddr *)&sa, salen));
    struct sockaddr_un got;
    socklen_t glen = sizeof(got);
    CHECK_OK(getpeername(cli, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, salen);
    CHECK_EQ(CHECK_OK(send(cli, "c1", 2, 0)), 2);
    CHECK_EQ(CHECK_OK(write(cli, "c2", 2)), 2);
    char b[8];
    CHECK_EQ(CHECK_OK(recv(srv, b, sizeof(b), 0)), 2);
    CHECK_EQ(CHECK_OK(recv(srv, b, sizeof(b), 0)), 2);
    CHECK_MEM(b, "c2", 2);
    /* srv connects to cli: a third socket may no longer send to srv. */
    CHECK_OK(connect(srv, (struct sockaddr *)&ca, calen));
    int third = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
    CHECK_ERR(sendto(third, "x", 1, 0, (struct sockaddr *)&sa, salen), EPERM);
    CHECK_ERR(connect(third, (struct sockaddr *)&sa, salen), EPERM);
    /* AF_UNSPEC dissolves the association. */
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    CHECK_OK(connect(srv, &unspec, sizeof(unspec)));
    CHECK_ERR(getpeername(srv, (struct sockaddr *)&got, &glen), ENOTCONN);
    CHECK_EQ(CHECK_OK(sendto(third, "x", 1, 0, (struct sockaddr *)&sa, salen)), 1);
    CHECK_EQ(CHECK_OK(recv(srv, b, sizeof(b), 0)), 1);
    CHECK_ERR(connect(srv, (struct sockaddr *)&sa, 1), EINVAL);
    /* The peer goes away: ECONNREFUSED once, then not connected. */
    CHECK_OK(close(srv));
    CHECK_ERR(send(cli, "x", 1, 0), ECONNREFUSED);
    CHECK_ERR(send(cli, "x", 1, 0), ENOTCONN);
    CHECK_ERR(getpeername(cli, (struct sockaddr *)&got, &glen), ENOTCONN);
    /* Shutdown on a datagram socket: no more sending; the peer is untouched. */
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    CHECK_OK(shutdown(sv[0], SHUT_WR));
    signal(SIGPIPE, on_sigpipe);
    g_sigpipe = 0;
    CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
    CHECK_EQ(g_sigpipe, 0);
    CHECK_EQ(CHECK_OK(send(sv[1], "y", 1, 0)), 1);
    CHECK_EQ(CHECK_OK(recv(sv[0], b, sizeof(b), 0)), 1);
    CHECK_OK(shutdown(sv[0], SHUT_RD));
    CHECK_ERR(send(sv[1], "z", 1, 0), EPIPE);
    CHECK_EQ(g_sigpipe, 0);
    /* Blocking read of a shut-down socket: EOF; non-blocking: EAGAIN. */
    CHECK_EQ(CHECK_OK(recv(sv[0], b, sizeof(b), 0)), 0);
    CHECK_ERR(recv(sv[0], b, sizeof(b), MSG_DONTWAIT), EAGAIN);
    signal(SIGPIPE, SIG_DFL);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
    CHECK_OK(close(third));
    CHECK_OK(close(cli));
}

/* max_dgram_qlen, from /proc natively (10 when it is not there). */
static int dgram_qlen(void)
{
    FILE *f = fopen("/proc/sys/net/unix/max_dgram_qlen", "r");
    int n = 10;
    if (f) {
        if (fscanf(f, "%d", &n) != 1)
            n = 10;
        fclose(f);
    }
    return n;
}

static void queue_limit(void)
{
    struct sockaddr_un sa;
    socklen_t salen;
    int srv = bound(SOCK_DGRAM, "qsrv", &sa, &salen);
    int cli = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
    CHECK_OK(connect(cli, (struct sockaddr *)&sa, salen));
    int n = 0;
    while (send(cli, "m", 1, 0) == 1)
        CHECK_LT(++n, 100000);
    CHECK_EQ(errno, EAGAIN);
    /* srv is not connected back: its queue takes max_dgram_qlen + 1. */
    CHECK_EQ(n, dgram_qlen() + 1);
    CHECK_EQ(poll1(cli, POLLOUT), 0);
    char b[4];
    CHECK_EQ(CHECK_OK(recv(srv, b, sizeof(b), 0)), 1);
    CHECK_EQ(poll1(cli, POLLOUT), POLLOUT);
    CHECK_EQ(CHECK_OK(send(cli, "m", 1, 0)), 1);
    CHECK_ERR(send(cli, "m", 1, 0), EAGAIN);
    /* A blocking sender waits for the reader; poll wakes too. */
    int cli2 = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        _exit(recv(srv, b, sizeof(b), 0) == 1 ? 0 : 1);
    }
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(sendto(cli2, "w", 1, 0, (struct sockaddr *)&sa, salen)), 1);
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    check_reap(c);
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        _exit(recv(srv, b, sizeof(b), 0) == 1 ? 0 : 1);
    }
    struct pollfd p = {cli, POLLOUT, 0};
    CHECK_EQ(CHECK_OK(poll(&p, 1, 5000)), 1);
    CHECK_EQ(p.revents, POLLOUT);
    check_reap(c);
    CHECK_OK(close(cli2));
    CHECK_OK(close(cli));
    CHECK_OK(close(srv));
    /* A socket pair (connected both ways) is limited by its send buffer. */
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0, sv));
    n = 0;
    while (send(sv[0], "m", 1, 0) == 1)
        CHECK_LT(++n, 1000000);
    CHECK_EQ(errno, EAGAIN);
    CHECK_GT(n, dgram_qlen() + 1);
    CHECK_EQ(poll1(sv[0], POLLOUT), 0);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void mmsg(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    struct iovec siov[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
    struct mmsghdr sm[3];
    memset(sm, 0, sizeof(sm));
    for (int i = 0; i < 3; i++) {
        sm[i].msg_hdr.msg_iov = &siov[i];
        sm[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK_EQ(CHECK_OK(sendmmsg(sv[0], sm, 3, 0)), 3);
    CHECK_EQ(sm[0].msg_len, 1);
    CHECK_EQ(sm[2].msg_len, 3);
    char bufs[4][8];
    struct iovec riov[4];
    struct mmsghdr rm[4];
    memset(rm, 0, sizeof(rm));
    for (int i = 0; i < 4; i++) {
        riov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
        rm[i].msg_hdr.msg_iov = &riov[i];
        rm[i].msg_hdr.msg_iovlen = 1;
    }
    /* MSG_WAITFORONE: the three there, without waiting for a fourth. */
    CHECK_EQ(CHECK_OK(recvmmsg(sv[1], rm, 4, MSG_WAITFORONE, NULL)), 3);
    CHECK_EQ(rm[0].msg_len, 1);
    CHECK_EQ(rm[1].msg_len, 2);
    CHECK_EQ(rm[2].msg_len, 3);
    CHECK_MEM(bufs[2], "ccc", 3);
    CHECK_ERR(recvmmsg(sv[1], rm, 4, MSG_DONTWAIT, NULL), EAGAIN);
    CHECK_EQ(CHECK_OK(sendmmsg(sv[0], sm, 2, 0)), 2);
    struct timespec ts = {1, 0};
    CHECK_EQ(CHECK_OK(recvmmsg(sv[1], rm, 2, 0, &ts)), 2);
    CHECK_ERR(sendmmsg(999, sm, 1, 0), EBADF);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void seqpacket(void)
{
    struct sockaddr_un a;
    char name[32];
    snprintf(name, sizeof(name), "unix_seq.%d", getpid());
    socklen_t alen = abstract_addr(&a, name);
    int l = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
    CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
    int c = CHECK_OK(socket(AF_UNIX, SOCK_SEQPACKET, 0));
    char b[16];
    CHECK_ERR(send(c, "x", 1, 0), ENOTCONN);
    CHECK_ERR(recv(c, b, sizeof(b), 0), ENOTCONN);
    CHECK_EQ(poll1(c, POLLIN | POLLOUT), POLLOUT | POLLHUP);
    CHECK_ERR(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED);
    CHECK_OK(listen(l, 2));
    CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
    int s = CHECK_OK(accept(l, NULL, NULL));
    CHECK_EQ(CHECK_OK(send(c, "first", 5, 0)), 5);
    CHECK_EQ(CHECK_OK(send(c, "second", 6, 0)), 6);
    CHECK_EQ(CHECK_OK(send(c, "third", 5, 0)), 5);
    int v;
    socklen_t vl = sizeof(v);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl));
    CHECK_EQ(v, SOCK_SEQPACKET);
    CHECK_EQ(CHECK_OK(recv(s, b, sizeof(b), 0)), 5);
    CHECK_MEM(b, "first", 5);
    struct iovec iov = {b, 3};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    CHECK_EQ(CHECK_OK(recvmsg(s, &m, 0)), 3);
    CHECK_EQ(m.msg_flags & MSG_TRUNC, MSG_TRUNC);
    CHECK_EQ(CHECK_OK(read(s, b, sizeof(b))), 5);
    CHECK_MEM(b, "third", 5);
    /* A destination is ignored on a connected seqpacket socket. */
    struct sockaddr_un other;
    socklen_t olen = abstract_addr(&other, "unix_seq.ignored");
    CHECK_EQ(CHECK_OK(sendto(s, "r", 1, 0, (struct sockaddr *)&other, olen)), 1);
    CHECK_EQ(CHECK_OK(recv(c, b, sizeof(b), 0)), 1);
    /* EOF when the peer closes; writes are EPIPE without SIGPIPE. */
    signal(SIGPIPE, on_sigpipe);
    g_sigpipe = 0;
    CHECK_OK(close(s));
    CHECK_EQ(CHECK_OK(recv(c, b, sizeof(b), 0)), 0);
    CHECK_EQ(CHECK_OK(recv(c, b, sizeof(b), MSG_DONTWAIT)), 0);
    CHECK_ERR(send(c, "x", 1, 0), EPIPE);
    CHECK_EQ(g_sigpipe, 0);
    CHECK_EQ(poll1(c, POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
    CHECK_OK(close(c));
    /* Closed with unread data: ECONNRESET on the next send, then EPIPE. */
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
    CHECK_EQ(CHECK_OK(send(sv[0], "unread", 6, 0)), 6);
    CHECK_OK(close(sv[1]));
    CHECK_ERR(send(sv[0], "x", 1, 0), ECONNRESET);
    CHECK_ERR(send(sv[0], "x", 1, 0), EPIPE);
    CHECK_EQ(g_sigpipe, 0);
    CHECK_OK(close(sv[0]));
    signal(SIGPIPE, SIG_DFL);
    /* A blocked reader woken by a packet from another process. */
    CHECK_OK(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
    pid_t k = CHECK_OK(fork());
    if (k == 0) {
        check_sleep_ms(50);
        _exit(send(sv[1], "late", 4, 0) == 4 ? 0 : 1);
    }
    CHECK_EQ(CHECK_OK(recv(sv[0], b, sizeof(b), 0)), 4);
    check_reap(k);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
    CHECK_OK(close(l));
}

static void readiness(void)
{
    int s = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
    /* An unconnected datagram socket is writable, never hung up. */
    CHECK_EQ(poll1(s, POLLIN | POLLOUT | POLLRDHUP), POLLOUT);
    CHECK_OK(close(s));
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    CHECK_EQ(poll1(sv[1], POLLIN | POLLOUT), POLLOUT);
    CHECK_EQ(CHECK_OK(send(sv[0], "x", 1, 0)), 1);
    CHECK_EQ(poll1(sv[1], POLLIN | POLLOUT), POLLIN | POLLOUT);
    CHECK_EQ(poll1(sv[1], POLLIN), POLLIN);
    /* The peer's close does not hang a datagram socket up. */
    CHECK_OK(close(sv[0]));
    CHECK_EQ(poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT);
    CHECK_OK(shutdown(sv[1], SHUT_RDWR));
    CHECK_EQ(poll1(sv[1], POLLIN | POLLOUT | POLLRDHUP), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
    CHECK_OK(close(sv[1]));
}

int main(void)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/unix_dgram.XXXXXX");
    if (!mkdtemp(g_dir))
        SKIP("no writable /tmp: %s", strerror(errno));
    RUN(boundaries);
    RUN(addresses);
    RUN(connected);
    RUN(queue_limit);
    RUN(mmsg);
    RUN(seqpacket);
    RUN(readiness);
    remove_dir(g_dir);
    return 0;
}

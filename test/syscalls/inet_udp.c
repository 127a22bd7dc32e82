/* AF_INET / AF_INET6 datagram (UDP) sockets over loopback: sendto/recvfrom
 * with message boundaries and sender addresses, MSG_TRUNC, MSG_PEEK,
 * connected UDP (send/recv, getpeername, ECONNREFUSED from a closed port,
 * AF_UNSPEC disconnect), sendmmsg/recvmmsg, non-blocking and blocking
 * receive, SO_RCVTIMEO, FIONREAD, poll and epoll, control messages refused,
 * options. Only 127.0.0.1 / ::1 and ephemeral ports. */
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

/* A UDP socket bound to 127.0.0.1 with an ephemeral port (in *a). */
static int bound(struct sockaddr_in *a)
{
    int s = CHECK_OK(socket(AF_INET, SOCK_DGRAM, 0));
    *a = (struct sockaddr_in){.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    CHECK_OK(bind(s, (struct sockaddr *)a, sizeof(*a)));
    socklen_t len = sizeof(*a);
    CHECK_OK(getsockname(s, (struct sockaddr *)a, &len));
    CHECK_NE(a->sin_port, 0);
    return s;
}

static void wait_in(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 5000), 1);
}

static void t_create(void)
{
    int s = CHECK_OK(socket(AF_INET, SOCK_DGRAM, IPPROTO_UDP));
    int v;
    socklen_t len = sizeof(v);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
    CHECK_EQ(v, SOCK_DGRAM);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len));
    CHECK_EQ(v, IPPROTO_UDP);
    CHECK_ERR(socket(AF_INET, SOCK_DGRAM, IPPROTO_TCP), EPROTONOSUPPORT);
    struct sockaddr_in a;
    len = sizeof(a);
    CHECK_ERR(getpeername(s, (struct sockaddr *)&a, &len), ENOTCONN);
    /* Unbound: getsockname is 0.0.0.0:0. */
    CHECK_OK(getsockname(s, (struct sockaddr *)&a, &len));
    CHECK_EQ(a.sin_port, 0);
    int on = 1;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on)));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_BROADCAST, &v, &len));
    CHECK_EQ(v, 1);
    int ttl = 9;
    CHECK_OK(setsockopt(s, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)));
    CHECK_OK(getsockopt(s, IPPROTO_IP, IP_TTL, &v, &len));
    CHECK_EQ(v, 9);
    close(s);
}

static void t_boundaries(void)
{
    struct sockaddr_in ra, sa;
    int r = bound(&ra), s = bound(&sa);
    char buf[100], big[60];
    memset(big, 'q', sizeof(big));
    for (int n = 10; n <= 30; n += 10)
        CHECK_EQ(sendto(s, big, (size_t)n, 0, (struct sockaddr *)&ra, sizeof(ra)), n);
    CHECK_EQ(sendto(s, "", 0, 0, (struct sockaddr *)&ra, sizeof(ra)), 0);
    for (int n = 10; n <= 30; n += 10) {
        wait_in(r);
        struct sockaddr_in from;
        socklen_t len = sizeof(from);
        CHECK_EQ(recvfrom(r, buf, sizeof(buf), 0, (struct sockaddr *)&from, &len), n);
        CHECK_EQ(len, sizeof(from));
        CHECK_EQ(from.sin_port, sa.sin_port);
        CHECK_EQ(from.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    }
    wait_in(r);
    CHECK_EQ(recv(r, buf, sizeof(buf), 0), 0); /* an empty datagram */
    CHECK_ERR(recv(r, buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
    CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&ra, 4), EINVAL);
    close(r);
    close(s);
}

static void t_trunc_peek(void)
{
    struct sockaddr_in ra, sa;
    int r = bound(&ra), s = bound(&sa);
    char msg[50], buf[64];
    for (size_t i = 0; i < sizeof(msg); i++)
        msg[i] = (char)('a' + i % 26);
    CHECK_EQ(sendto(s, msg, sizeof(msg), 0, (struct sockaddr *)&ra, sizeof(ra)), 50);
    CHECK_EQ(sendto(s, msg, sizeof(msg), 0, (struct sockaddr *)&ra, sizeof(ra)), 50);
    CHECK_EQ(sendto(s, msg, 5, 0, (struct sockaddr *)&ra, sizeof(ra)), 5);
    wait_in(r);
    int n = -1;
    CHECK_OK(ioctl(r, FIONREAD, &n));
    CHECK_EQ(n, 50);
    CHECK_EQ(recv(r, buf, 10, MSG_PEEK), 10);
    CHECK_MEM(buf, msg, 10);
    struct iovec v = {buf, 10};
    struct msghdr h = {.msg_iov = &v, .msg_iovlen = 1};
    CHECK_EQ(recvmsg(r, &h, 0), 10);
    CHECK(h.msg_flags & MSG_TRUNC);
    CHECK_MEM(buf, msg, 10);
    /* MSG_TRUNC: the real length of the (truncated) datagram. */
    memset(buf, 0, sizeof(buf));
    CHECK_EQ(recv(r, buf, 10, MSG_TRUNC), 50);
    CHECK_MEM(buf, msg, 10);
    CHECK_EQ(buf[10], 0);
    h.msg_flags = 0;
    v.iov_len = sizeof(buf);
    CHECK_EQ(recvmsg(r, &h, 0), 5);
    CHECK_EQ(h.msg_flags & MSG_TRUNC, 0);
    close(r);
    close(s);
}

static void t_connected(void)
{
    struct sockaddr_in ra, sa;
    int r = bound(&ra), s = bound(&sa);
    CHECK_OK(connect(s, (struct sockaddr *)&ra, sizeof(ra)));
    struct sockaddr_in p;
    socklen_t len = sizeof(p);
    CHECK_OK(getpeername(s, (struct sockaddr *)&p, &len));
    CHECK_EQ(p.sin_port, ra.sin_port);
    CHECK_EQ(send(s, "one", 3, 0), 3);
    CHECK_EQ(write(s, "two", 3), 3);
    char b[8];
    wait_in(r);
    CHECK_EQ(recv(r, b, sizeof(b), 0), 3);
    CHECK_MEM(b, "one", 3);
    wait_in(r);
    CHECK_EQ(read(r, b, sizeof(b)), 3);
    CHECK_MEM(b, "two", 3);
    /* A connected socket only takes datagrams from its peer. */
    struct sockaddr_in oa;
    int other = bound(&oa);
    CHECK_EQ(sendto(other, "no", 2, 0, (struct sockaddr *)&sa, sizeof(sa)), 2);
    CHECK_EQ(sendto(r, "yes", 3, 0, (struct sockaddr *)&sa, sizeof(sa)), 3);
    wait_in(s);
    CHECK_EQ(recv(s, b, sizeof(b), 0), 3);
    CHECK_MEM(b, "yes", 3);
    close(other);
    /* Disconnect (AF_UNSPEC). */
    struct sockaddr un = {.sa_family = AF_UNSPEC};
    CHECK_OK(connect(s, &un, sizeof(un)));
    CHECK_ERR(getpeername(s, (struct sockaddr *)&p, &len), ENOTCONN);
    CHECK_ERR(send(s, "x", 1, 0), EDESTADDRREQ);
    /* A closed port: the ICMP error comes back as ECONNREFUSED. */
    close(r);
    CHECK_OK(connect(s, (struct sockaddr *)&ra, sizeof(ra)));
    CHECK_EQ(send(s, "x", 1, 0), 1);
    struct pollfd pf = {.fd = s, .events = POLLIN};
    CHECK_EQ(poll(&pf, 1, 5000), 1);
    CHECK(pf.revents & POLLERR);
    CHECK_ERR(recv(s, b, sizeof(b), 0), ECONNREFUSED);
    int err = -1;
    len = sizeof(err);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_ERROR, &err, &len));
    CHECK_EQ(err, 0);
    close(s);
}

static void t_mmsg(void)
{
    struct sockaddr_in ra, sa;
    int r = bound(&ra), s = bound(&sa);
    CHECK_OK(connect(s, (struct sockaddr *)&ra, sizeof(ra)));
    struct iovec sv[3] = {{"a", 1}, {"bb", 2}, {"ccc", 3}};
    struct mmsghdr sm[3];
    memset(sm, 0, sizeof(sm));
    for (int i = 0; i < 3; i++) {
        sm[i].msg_hdr.msg_iov = &sv[i];
        sm[i].msg_hdr.msg_iovlen = 1;
    }
    CHECK_EQ(sendmmsg(s, sm, 3, 0), 3);
    CHECK_EQ(sm[2].msg_len, 3);
    char bufs[3][8];
    struct iovec rv[3];
    struct mmsghdr rm[3];
    struct sockaddr_in from[3];
    memset(rm, 0, sizeof(rm));
    for (int i = 0; i < 3; i++) {
        rv[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
        rm[i].msg_hdr.msg_iov = &rv[i];
        rm[i].msg_hdr.msg_iovlen = 1;
        rm[i].msg_hdr.msg_name = &from[i];
        rm[i].msg_hdr.msg_namelen = sizeof(from[i]);
    }
    wait_in(r);
    usleep(20000);
    CHECK_EQ(recvmmsg(r, rm, 3, MSG_DONTWAIT, NULL), 3);
    CHECK_EQ(rm[1].msg_len, 2);
    CHECK_MEM(bufs[2], "ccc", 3);
    CHECK_EQ(from[0].sin_port, sa.sin_port);
    close(r);
    close(s);
}

static void t_blocking(void)
{
    struct sockaddr_in ra, sa;
    int r = bound(&ra), s = bound(&sa);
    struct timeval tv = {0, 50000};
    CHECK_OK(setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    char b[8];
    CHECK_ERR(recv(r, b, sizeof(b), 0), EAGAIN);
    tv.tv_usec = 0;
    CHECK_OK(setsockopt(r, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    int ep = CHECK_OK(epoll_create1(0));
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7}, out;
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, r, &ev));
    CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        usleep(50000);
        CHECK_EQ(sendto(s, "late", 4, 0, (struct sockaddr *)&ra, sizeof(ra)), 4);
        _exit(0);
    }
    CHECK_EQ(epoll_wait(ep, &out, 1, 5000), 1);
    CHECK_EQ(out.data.u32, 7);
    CHECK_EQ(recv(r, b, sizeof(b), 0), 4); /* blocking, data there */
    pid = CHECK_OK(fork());
    if (pid == 0) {
        usleep(50000);
        CHECK_EQ(sendto(s, "later", 5, 0, (struct sockaddr *)&ra, sizeof(ra)), 5);
        _exit(0);
    }
    CHECK_EQ(recv(r, b, sizeof(b), 0), 5); /* blocks until it comes */
    CHECK_MEM(b, "later", 5);
    int st;
    while (wait(&st) > 0)
        CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    close(ep);
    close(r);
    close(s);
}

static void t_cmsg(void)
{
    struct sockaddr_in ra, sa;
    int r = bound(&ra), s = bound(&sa);
    int fd = 0;
    char cbuf[CMSG_SPACE(sizeof(int))] = {0};
    struct iovec v = {"m", 1};
    struct msghdr h = {.msg_name = &ra,
                       .msg_namelen = sizeof(ra),
                       .msg_iov = &v,
                       .msg_iovlen = 1,
                       .msg_control = cbuf,
                       .msg_controllen = sizeof(cbuf)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&h);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(fd));
    /* SCM_RIGHTS means nothing to an inet socket: ignored (Linux's
     * __sock_cmsg_send), nothing is passed. */
    CHECK_EQ(sendmsg(s, &h, 0), 1);
    c->cmsg_len = CMSG_LEN(sizeof(int)) + 64; /* past the buffer */
    CHECK_ERR(sendmsg(s, &h, 0), EINVAL);
    h.msg_control = NULL;
    h.msg_controllen = 0;
    CHECK_EQ(sendmsg(s, &h, 0), 1);
    char b[4], rc[64];
    struct iovec rv = {b, sizeof(b)};
    struct msghdr rh = {
        .msg_iov = &rv, .msg_iovlen = 1, .msg_control = rc, .msg_controllen = sizeof(rc)};
    wait_in(r);
    CHECK_EQ(recvmsg(r, &rh, 0), 1);
    CHECK_EQ(rh.msg_controllen, 0);
    CHECK_EQ(rh.msg_flags, 0);
    close(r);
    close(s);
}

static void t_ipv6(void)
{
    int r = socket(AF_INET6, SOCK_DGRAM, 0);
    if (r < 0 && errno == EAFNOSUPPORT)
        return;
    CHECK_OK(r);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (bind(r, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EADDRNOTAVAIL) {
        close(r);
        return;
    }
    socklen_t len = sizeof(a);
    CHECK_OK(getsockname(r, (struct sockaddr *)&a, &len));
    int s = CHECK_OK(socket(AF_INET6, SOCK_DGRAM, 0));
    CHECK_EQ(sendto(s, "v6", 2, 0, (struct sockaddr *)&a, sizeof(a)), 2);
    wait_in(r);
    struct sockaddr_in6 from;
    len = sizeof(from);
    char b[4];
    CHECK_EQ(recvfrom(r, b, sizeof(b), 0, (struct sockaddr *)&from, &len), 2);
    CHECK_EQ(len, sizeof(from));
    CHECK_EQ(from.sin6_family, AF_INET6);
    CHECK(IN6_IS_ADDR_LOOPBACK(&from.sin6_addr));
    int hops = 5, v = 0;
    CHECK_OK(setsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &hops, sizeof(hops)));
    len = sizeof(v);
    CHECK_OK(getsockopt(s, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &len));
    CHECK_EQ(v, 5);
    close(r);
    close(s);
}

int main(void)
{
    RUN(t_create);
    RUN(t_boundaries);
    RUN(t_trunc_peek);
    RUN(t_connected);
    RUN(t_mmsg);
    RUN(t_blocking);
    RUN(t_cmsg);
    RUN(t_ipv6);
    return 0;
}

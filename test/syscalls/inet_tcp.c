/* AF_INET / AF_INET6 stream (TCP) sockets over loopback: creation and
 * protocol checks, bind/listen/connect/accept4 (flags, addresses),
 * EADDRINUSE and SO_REUSEADDR, ECONNREFUSED, non-blocking connect and poll,
 * echo with a child process (large transfers: blocking send and recv),
 * MSG_PEEK / MSG_WAITALL / MSG_DONTWAIT, shutdown and EOF, EPIPE with
 * SIGPIPE and MSG_NOSIGNAL, SO_RCVTIMEO and signals, TCP options (TCP_NODELAY,
 * TCP_INFO), FIONREAD, epoll, fstat and /proc/self/fd, families the sandbox
 * does not have. Only 127.0.0.1 / ::1 and ephemeral ports (bind port 0, then
 * getsockname). */
#include "check.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>

static char g_buf[1 << 20], g_in[1 << 20];
static volatile int g_sigpipe, g_sigusr1;

static void on_sigpipe(int s)
{
    g_sigpipe++;
}

static void on_sigusr1(int s)
{
    g_sigusr1++;
}

static struct sockaddr_in loopback(void)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    return a;
}

/* A listening socket on 127.0.0.1 with an ephemeral port (in *a). */
static int listener(struct sockaddr_in *a, int flags)
{
    int s = CHECK_OK(socket(AF_INET, SOCK_STREAM | flags, 0));
    *a = loopback();
    CHECK_OK(bind(s, (struct sockaddr *)a, sizeof(*a)));
    socklen_t len = sizeof(*a);
    CHECK_OK(getsockname(s, (struct sockaddr *)a, &len));
    CHECK_EQ(len, sizeof(*a));
    CHECK_NE(a->sin_port, 0);
    CHECK_OK(listen(s, 16));
    return s;
}

static int connected(const struct sockaddr_in *a)
{
    int c = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    CHECK_OK(connect(c, (const struct sockaddr *)a, sizeof(*a)));
    return c;
}

static void t_create(void)
{
    int s = CHECK_OK(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, IPPROTO_TCP));
    CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
    CHECK(fcntl(s, F_GETFL) & O_NONBLOCK);
    int v;
    socklen_t len = sizeof(v);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
    CHECK_EQ(v, SOCK_STREAM);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &len));
    CHECK_EQ(v, AF_INET);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &len));
    CHECK_EQ(v, IPPROTO_TCP);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &len));
    CHECK_EQ(v, 0);
    CHECK_ERR(getsockopt(s, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
    struct stat st;
    CHECK_OK(fstat(s, &st));
    CHECK(S_ISSOCK(st.st_mode));
    char path[64], link[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", s);
    ssize_t n = CHECK_OK(readlink(path, link, sizeof(link) - 1));
    link[n] = '\0';
    CHECK(strncmp(link, "socket:[", 8) == 0);
    close(s);
    CHECK_ERR(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP), EPROTONOSUPPORT);
    CHECK_ERR(socket(AF_INET, SOCK_SEQPACKET, 0), ESOCKTNOSUPPORT);
    CHECK_ERR(socket(AF_INET, SOCK_STREAM, -1), EINVAL);
    int sv[2];
    CHECK_ERR(socketpair(AF_INET, SOCK_STREAM, 0, sv), EOPNOTSUPP);
    /* Natively these families exist; the sandbox has neither (EAFNOSUPPORT). */
    int fams[] = {AF_PACKET, AF_NETLINK};
    for (size_t i = 0; i < 2; i++) {
        int f = socket(fams[i], SOCK_RAW, 0);
        if (f >= 0)
            close(f);
        else
            CHECK(errno == EAFNOSUPPORT || errno == EPERM);
    }
}

static void t_connect_accept(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int v;
    socklen_t len = sizeof(v);
    CHECK_OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &len));
    CHECK_EQ(v, 1);
    int c = connected(&a);
    struct sockaddr_in peer, local, cl;
    len = sizeof(peer);
    int s = CHECK_OK(accept4(l, (struct sockaddr *)&peer, &len, SOCK_CLOEXEC | SOCK_NONBLOCK));
    CHECK_EQ(len, sizeof(peer));
    CHECK_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
    CHECK(fcntl(s, F_GETFL) & O_NONBLOCK);
    len = sizeof(cl);
    CHECK_OK(getsockname(c, (struct sockaddr *)&cl, &len));
    CHECK_EQ(peer.sin_port, cl.sin_port);
    CHECK_EQ(peer.sin_addr.s_addr, htonl(INADDR_LOOPBACK));
    len = sizeof(local);
    CHECK_OK(getpeername(c, (struct sockaddr *)&local, &len));
    CHECK_EQ(local.sin_port, a.sin_port);
    /* A short address buffer: truncated, the full length reported. */
    char small[4];
    len = sizeof(small);
    CHECK_OK(getpeername(s, (struct sockaddr *)small, &len));
    CHECK_EQ(len, sizeof(struct sockaddr_in));
    CHECK_ERR(accept4(l, NULL, NULL, 0x1234), EINVAL);
    CHECK_ERR(getpeername(l, (struct sockaddr *)&peer, &len), ENOTCONN);
    CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof(a)), EISCONN);
    int fresh = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    CHECK_ERR(connect(fresh, (struct sockaddr *)&a, 4), EINVAL);
    CHECK_ERR(connect(fresh, (struct sockaddr *)&a, 1), EINVAL);
    close(fresh);
    /* Non-blocking accept with nothing pending. */
    CHECK_OK(fcntl(l, F_SETFL, O_NONBLOCK));
    CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
    CHECK_EQ(write(c, "hi", 2), 2);
    struct pollfd p = {.fd = s, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    char b[4];
    CHECK_EQ(read(s, b, sizeof(b)), 2);
    CHECK_MEM(b, "hi", 2);
    CHECK_ERR(read(s, b, sizeof(b)), EAGAIN);
    close(s);
    close(c);
    close(l);
}

static void t_addrinuse(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int s = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    CHECK_ERR(bind(s, (struct sockaddr *)&a, sizeof(a)), EADDRINUSE);
    CHECK_ERR(bind(s, (struct sockaddr *)&a, sizeof(a) - 1), EINVAL);
    close(s);
    close(l);
    /* SO_REUSEADDR: two sockets that both set it may share a port while
     * neither listens. */
    int on = 1, v = 0;
    socklen_t len = sizeof(v);
    int s1 = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    int s2 = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    CHECK_OK(getsockopt(s1, SOL_SOCKET, SO_REUSEADDR, &v, &len));
    CHECK_EQ(v, 0);
    CHECK_OK(setsockopt(s1, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)));
    CHECK_OK(setsockopt(s2, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)));
    CHECK_OK(getsockopt(s1, SOL_SOCKET, SO_REUSEADDR, &v, &len));
    CHECK_EQ(v, 1);
    a = loopback();
    CHECK_OK(bind(s1, (struct sockaddr *)&a, sizeof(a)));
    len = sizeof(a);
    CHECK_OK(getsockname(s1, (struct sockaddr *)&a, &len));
    CHECK_OK(bind(s2, (struct sockaddr *)&a, sizeof(a)));
    close(s1);
    close(s2);
}

static void t_refused(void)
{
    /* A port bound but not listening: nobody accepts there. */
    int b = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    struct sockaddr_in a = loopback();
    CHECK_OK(bind(b, (struct sockaddr *)&a, sizeof(a)));
    socklen_t len = sizeof(a);
    CHECK_OK(getsockname(b, (struct sockaddr *)&a, &len));
    int c = CHECK_OK(socket(AF_INET, SOCK_STREAM, 0));
    CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof(a)), ECONNREFUSED);
    close(c);
    c = CHECK_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    int r = connect(c, (struct sockaddr *)&a, sizeof(a));
    if (r < 0 && errno == EINPROGRESS) {
        struct pollfd p = {.fd = c, .events = POLLOUT};
        CHECK_EQ(poll(&p, 1, 5000), 1);
        int err = 0;
        len = sizeof(err);
        CHECK_OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
        CHECK_EQ(err, ECONNREFUSED);
    } else {
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, ECONNREFUSED);
    }
    close(c);
    close(b);
}

static void t_nonblock_connect(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int c = CHECK_OK(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
    int r = connect(c, (struct sockaddr *)&a, sizeof(a));
    CHECK(r == 0 || errno == EINPROGRESS);
    struct pollfd p = {.fd = c, .events = POLLOUT};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK(p.revents & POLLOUT);
    int err = -1;
    socklen_t len = sizeof(err);
    CHECK_OK(getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
    CHECK_EQ(err, 0);
    /* Linux: the first connect after completion reports success, then EISCONN. */
    CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof(a)));
    CHECK_ERR(connect(c, (struct sockaddr *)&a, sizeof(a)), EISCONN);
    int s = CHECK_OK(accept(l, NULL, NULL));
    close(s);
    close(c);
    close(l);
}

/* A child echoes everything back until EOF. */
static void t_echo(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        int s = CHECK_OK(accept(l, NULL, NULL));
        static char b[65536];
        for (;;) {
            ssize_t n = CHECK_OK(read(s, b, sizeof(b)));
            if (n == 0)
                break;
            size_t off = 0;
            while (off < (size_t)n)
                off += (size_t)CHECK_OK(write(s, b + off, (size_t)n - off));
        }
        close(s);
        _exit(0);
    }
    int c = connected(&a);
    for (size_t i = 0; i < sizeof(g_buf); i++)
        g_buf[i] = (char)(i * 7 + 3);
    /* Writer and reader at once: a child of ours writes while we read. */
    pid_t w = CHECK_OK(fork());
    if (w == 0) {
        struct iovec v[2] = {{g_buf, 1000}, {g_buf + 1000, sizeof(g_buf) - 1000}};
        CHECK_EQ(writev(c, v, 2), (ssize_t)sizeof(g_buf));
        CHECK_OK(shutdown(c, SHUT_WR));
        _exit(0);
    }
    check_read_all(c, g_in, sizeof(g_in));
    CHECK_MEM(g_in, g_buf, sizeof(g_buf));
    char b;
    CHECK_EQ(read(c, &b, 1), 0); /* the echo closed after our shutdown */
    check_reap(w);
    check_reap(pid);
    close(c);
    close(l);
}

static void t_flags(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int c = connected(&a);
    int s = CHECK_OK(accept(l, NULL, NULL));
    char b[16];
    CHECK_ERR(recv(s, b, sizeof(b), MSG_DONTWAIT), EAGAIN);
    CHECK_EQ(send(c, "abcdef", 6, 0), 6);
    struct pollfd p = {.fd = s, .events = POLLIN};
    CHECK_EQ(poll(&p, 1, 5000), 1);
    int n = -1;
    CHECK_OK(ioctl(s, FIONREAD, &n));
    CHECK_EQ(n, 6);
    CHECK_EQ(recv(s, b, 3, MSG_PEEK), 3);
    CHECK_MEM(b, "abc", 3);
    CHECK_EQ(recv(s, b, 2, 0), 2);
    CHECK_MEM(b, "ab", 2);
    /* MSG_WAITALL: the rest comes from a child, later. */
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        usleep(50000);
        CHECK_EQ(send(c, "ghij", 4, 0), 4);
        usleep(50000);
        CHECK_EQ(send(c, "klm", 3, 0), 3);
        _exit(0);
    }
    CHECK_EQ(recv(s, b, 11, MSG_WAITALL), 11);
    CHECK_MEM(b, "cdefghijklm", 11);
    check_reap(pid);
    /* MSG_TRUNC on a stream discards. */
    CHECK_EQ(send(c, "xyz", 3, 0), 3);
    CHECK_EQ(poll(&p, 1, 5000), 1);
    CHECK_EQ(recv(s, NULL, 2, MSG_TRUNC), 2);
    CHECK_EQ(recv(s, b, sizeof(b), 0), 1);
    CHECK_EQ(b[0], 'z');
    close(s);
    close(c);
    close(l);
}

static void t_shutdown_eof(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int c = connected(&a);
    int s = CHECK_OK(accept(l, NULL, NULL));
    CHECK_ERR(shutdown(c, 7), EINVAL);
    CHECK_OK(shutdown(c, SHUT_WR));
    char b[4];
    CHECK_EQ(read(s, b, sizeof(b)), 0);
    struct pollfd p = {.fd = s, .events = POLLIN | POLLRDHUP};
    CHECK_EQ(poll(&p, 1, 0), 1);
    CHECK(p.revents & POLLRDHUP);
    CHECK_EQ(write(s, "ok", 2), 2); /* the other direction still works */
    CHECK_EQ(read(c, b, sizeof(b)), 2);
    CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
    close(s);
    close(c);
    close(l);
}

static void t_epipe(void)
{
    struct sigaction sa = {.sa_handler = on_sigpipe};
    CHECK_OK(sigaction(SIGPIPE, &sa, NULL));
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int c = connected(&a);
    int s = CHECK_OK(accept(l, NULL, NULL));
    close(s);
    /* The first send after the peer's close draws a reset, a later one EPIPE
     * (or ECONNRESET first). */
    int err = 0;
    for (int i = 0; i < 200 && err != EPIPE; i++) {
        if (send(c, "x", 1, MSG_NOSIGNAL) < 0)
            err = errno;
        else
            usleep(5000);
    }
    CHECK_EQ(err, EPIPE);
    CHECK_EQ(g_sigpipe, 0);
    CHECK_ERR(write(c, "x", 1), EPIPE);
    CHECK_EQ(g_sigpipe, 1);
    CHECK_ERR(send(c, "x", 1, 0), EPIPE);
    CHECK_EQ(g_sigpipe, 2);
    CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_EQ(g_sigpipe, 2);
    signal(SIGPIPE, SIG_DFL);
    close(c);
    close(l);
}

static void t_timeout_signal(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int c = connected(&a);
    int s = CHECK_OK(accept(l, NULL, NULL));
    struct timeval tv = {0, 100000}, got;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    socklen_t len = sizeof(got);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
    CHECK_EQ(got.tv_usec, 100000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    char b[4];
    CHECK_ERR(read(s, b, sizeof(b)), EAGAIN);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK_GE(ms, 90);
    /* A signal (no SA_RESTART) interrupts a blocking read: EINTR. */
    struct sigaction sa = {.sa_handler = on_sigusr1};
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    pid_t parent = getpid();
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        usleep(100000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    CHECK_ERR(read(c, b, sizeof(b)), EINTR);
    CHECK_EQ(g_sigusr1, 1);
    check_reap(pid);
    /* With SA_RESTART the read goes on and gets the data sent later. */
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    pid = CHECK_OK(fork());
    if (pid == 0) {
        usleep(50000);
        kill(parent, SIGUSR1);
        usleep(50000);
        CHECK_EQ(write(s, "late", 4), 4);
        _exit(0);
    }
    CHECK_EQ(read(c, b, sizeof(b)), 4);
    CHECK_EQ(g_sigusr1, 2);
    check_reap(pid);
    signal(SIGUSR1, SIG_DFL);
    close(s);
    close(c);
    close(l);
}

static void t_options(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    int c = connected(&a);
    int v = -1, on = 1;
    socklen_t len = sizeof(v);
    CHECK_OK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len));
    CHECK_EQ(v, 0);
    CHECK_OK(setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)));
    CHECK_OK(getsockopt(c, IPPROTO_TCP, TCP_NODELAY, &v, &len));
    CHECK_EQ(v, 1);
    CHECK_EQ(len, sizeof(int));
    int idle = 77;
    CHECK_OK(setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)));
    CHECK_OK(getsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len));
    CHECK_EQ(v, 77);
    CHECK_ERR(setsockopt(c, IPPROTO_TCP, TCP_KEEPIDLE, &idle, 2), EINVAL);
    CHECK_OK(setsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)));
    CHECK_OK(getsockopt(c, SOL_SOCKET, SO_KEEPALIVE, &v, &len));
    CHECK_EQ(v, 1);
    struct tcp_info ti;
    len = sizeof(ti);
    CHECK_OK(getsockopt(c, IPPROTO_TCP, TCP_INFO, &ti, &len));
    CHECK_EQ(ti.tcpi_state, TCP_ESTABLISHED);
    int tos = 0x10;
    CHECK_OK(setsockopt(c, IPPROTO_IP, IP_TOS, &tos, sizeof(tos)));
    len = sizeof(v);
    CHECK_OK(getsockopt(c, IPPROTO_IP, IP_TOS, &v, &len));
    CHECK_EQ(v, 0x10);
    struct linger lg = {1, 5}, lg2;
    CHECK_OK(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
    len = sizeof(lg2);
    CHECK_OK(getsockopt(c, SOL_SOCKET, SO_LINGER, &lg2, &len));
    CHECK_EQ(lg2.l_onoff, 1);
    CHECK_EQ(lg2.l_linger, 5);
    lg.l_onoff = 0;
    CHECK_OK(setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
    CHECK_ERR(getsockopt(c, IPPROTO_TCP, 9999, &v, &len), ENOPROTOOPT);
    close(c);
    close(l);
}

static void t_epoll(void)
{
    struct sockaddr_in a;
    int l = listener(&a, SOCK_NONBLOCK);
    int ep = CHECK_OK(epoll_create1(0));
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1}, out[4];
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
    int c = connected(&a);
    CHECK_EQ(epoll_wait(ep, out, 4, 5000), 1);
    CHECK_EQ(out[0].data.u32, 1);
    int s = CHECK_OK(accept(l, NULL, NULL));
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLET, .data.u32 = 2};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0);
    /* A writer later: epoll_wait blocks until the data comes. */
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        usleep(50000);
        CHECK_EQ(write(c, "e", 1), 1);
        _exit(0);
    }
    CHECK_EQ(epoll_wait(ep, out, 4, 5000), 1);
    CHECK_EQ(out[0].data.u32, 2);
    CHECK(out[0].events & EPOLLIN);
    CHECK_EQ(epoll_wait(ep, out, 4, 0), 0); /* edge-triggered: reported once */
    check_reap(pid);
    close(ep);
    close(s);
    close(c);
    close(l);
}

static void t_ipv6(void)
{
    int l = socket(AF_INET6, SOCK_STREAM, 0);
    if (l < 0 && errno == EAFNOSUPPORT)
        return; /* no IPv6 on this host */
    CHECK_OK(l);
    struct sockaddr_in6 a = {.sin6_family = AF_INET6, .sin6_addr = IN6ADDR_LOOPBACK_INIT};
    if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 && errno == EADDRNOTAVAIL) {
        close(l);
        return; /* ::1 not configured */
    }
    socklen_t len = sizeof(a);
    CHECK_OK(getsockname(l, (struct sockaddr *)&a, &len));
    CHECK_EQ(len, sizeof(a));
    CHECK_OK(listen(l, 4));
    int v = -1;
    len = sizeof(v);
    CHECK_OK(getsockopt(l, IPPROTO_IPV6, IPV6_V6ONLY, &v, &len));
    CHECK(v == 0 || v == 1);
    int c = CHECK_OK(socket(AF_INET6, SOCK_STREAM, 0));
    CHECK_ERR(connect(c, (struct sockaddr *)&a, 8), EINVAL);
    CHECK_OK(connect(c, (struct sockaddr *)&a, sizeof(a)));
    int s = CHECK_OK(accept(l, NULL, NULL));
    CHECK_EQ(write(c, "six", 3), 3);
    char b[4];
    CHECK_EQ(read(s, b, sizeof(b)), 3);
    CHECK_MEM(b, "six", 3);
    close(s);
    close(c);
    close(l);
}

int main(void)
{
    RUN(t_create);
    RUN(t_connect_accept);
    RUN(t_addrinuse);
    RUN(t_refused);
    RUN(t_nonblock_connect);
    RUN(t_echo);
    RUN(t_flags);
    RUN(t_shutdown_eof);
    RUN(t_epipe);
    RUN(t_timeout_signal);
    RUN(t_options);
    RUN(t_epoll);
    RUN(t_ipv6);
    return 0;
}

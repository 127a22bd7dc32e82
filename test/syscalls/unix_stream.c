/* AF_UNIX stream sockets: socket/socketpair flags and errors, bind (a
 * filesystem name in a fresh directory under /tmp, abstract names,
 * autobind), listen/connect/accept(4), getsockname/getpeername, SO_PEERCRED,
 * blocking and non-blocking I/O (backlog full, send buffer full, MSG_WAITALL,
 * SO_RCVTIMEO, signals), EOF, EPIPE and SIGPIPE, ECONNRESET, shutdown,
 * MSG_PEEK, poll/select/epoll readiness, FIONREAD/SIOCOUTQ, socket options,
 * fstat and /proc/self/fd, EFAULT/ENOTSOCK/EBADF. */
#include "unix.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>

#define SIOCOUTQ_ 0x5411 /* TIOCOUTQ */

static char g_buf[1 << 18];
static volatile int g_sigpipe, g_sigusr1;

static void on_sigpipe(int s)
{
    g_sigpipe++;
}

static void on_sigusr1(int s)
{
    g_sigusr1++;
}

/* A listening stream socket on name (in the test directory). */
static int listener(const char *name, int backlog, struct sockaddr_un *a, socklen_t *len)
{
    int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    *len = path_addr(a, name);
    CHECK_OK(bind(s, (struct sockaddr *)a, *len));
    CHECK_OK(listen(s, backlog));
    return s;
}

static void pair_echo(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    char b[64];
    CHECK_EQ(CHECK_OK(write(sv[0], "hello", 5)), 5);
    CHECK_EQ(CHECK_OK(write(sv[0], "world", 5)), 5);
    /* A stream: the two writes read as one. */
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 10);
    CHECK_MEM(b, "helloworld", 10);
    CHECK_EQ(CHECK_OK(send(sv[1], "back", 4, 0)), 4);
    CHECK_EQ(CHECK_OK(recv(sv[0], b, sizeof(b), 0)), 4);
    CHECK_MEM(b, "back", 4);
    /* writev / readv: one vector, one message. */
    struct iovec wv[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
    CHECK_EQ(CHECK_OK(writev(sv[0], wv, 3)), 5);
    char x[2], y[8];
    struct iovec rv[2] = {{x, 2}, {y, sizeof(y)}};
    CHECK_EQ(CHECK_OK(readv(sv[1], rv, 2)), 5);
    CHECK_MEM(x, "ab", 2);
    CHECK_MEM(y, "cde", 3);
    /* readv of exactly what is there does not wait for more. */
    CHECK_EQ(CHECK_OK(write(sv[0], "12", 2)), 2);
    struct iovec rv2[2] = {{x, 2}, {y, sizeof(y)}};
    CHECK_EQ(CHECK_OK(readv(sv[1], rv2, 2)), 2);
    /* read and write of 0 bytes. */
    CHECK_EQ(CHECK_OK(read(sv[1], b, 0)), 0);
    CHECK_EQ(CHECK_OK(write(sv[0], b, 0)), 0);
    /* Large transfers across the send buffer, from another process. */
    for (size_t i = 0; i < sizeof(g_buf); i++)
        g_buf[i] = (char)(i * 7 + 3);
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        close(sv[1]);
        _exit(write(sv[0], g_buf, sizeof(g_buf)) == (ssize_t)sizeof(g_buf) ? 0 : 1);
    }
    static char in[sizeof(g_buf)];
    check_read_all(sv[1], in, sizeof(in));
    CHECK_MEM(in, g_buf, sizeof(in));
    check_reap(c);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void create_flags(void)
{
    int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    CHECK_EQ(CHECK_OK(fcntl(s, F_GETFL)) & (O_ACCMODE | O_NONBLOCK), O_RDWR | O_NONBLOCK);
    CHECK_EQ(CHECK_OK(fcntl(s, F_GETFD)), FD_CLOEXEC);
    CHECK_OK(close(s));
    s = CHECK_OK(socket(AF_LOCAL, SOCK_STREAM, PF_UNIX));
    CHECK_EQ(CHECK_OK(fcntl(s, F_GETFL)) & (O_ACCMODE | O_NONBLOCK), O_RDWR);
    CHECK_EQ(CHECK_OK(fcntl(s, F_GETFD)), 0);
    struct stat st;
    CHECK_OK(fstat(s, &st));
    CHECK(S_ISSOCK(st.st_mode));
    CHECK_EQ(st.st_mode & 07777, 0777);
    CHECK_EQ(st.st_nlink, 1);
    CHECK_EQ(st.st_size, 0);
    CHECK_EQ(st.st_uid, geteuid());
    /* /proc/self/fd names the socket by its inode. */
    char link[64], want[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", s);
    ssize_t n = CHECK_OK(readlink(link, g_buf, 64));
    g_buf[n] = 0;
    snprintf(want, sizeof(want), "socket:[%llu]", (unsigned long long)st.st_ino);
    CHECK_STR(g_buf, want);
    int s2 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    struct stat st2;
    CHECK_OK(fstat(s2, &st2));
    CHECK_NE(st2.st_ino, st.st_ino);
    CHECK_EQ(st2.st_dev, st.st_dev);
    CHECK_OK(close(s2));
    /* fcntl(O_NONBLOCK) is honoured. */
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv));
    CHECK_EQ(CHECK_OK(fcntl(sv[1], F_GETFD)), FD_CLOEXEC);
    CHECK_OK(fcntl(sv[0], F_SETFL, O_NONBLOCK));
    char b[4];
    CHECK_ERR(read(sv[0], b, sizeof(b)), EAGAIN);
    CHECK_ERR(recv(sv[1], b, sizeof(b), MSG_DONTWAIT), EAGAIN);
    int on = 1;
    CHECK_OK(ioctl(sv[1], FIONBIO, &on));
    CHECK_ERR(read(sv[1], b, sizeof(b)), EAGAIN);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
    CHECK_OK(close(s));
}

static void create_errors(void)
{
    CHECK_ERR(socket(AF_UNIX, SOCK_STREAM | 0x40000000, 0), EINVAL);
    CHECK_ERR(socket(12345, SOCK_STREAM, 0), EAFNOSUPPORT);
    CHECK_ERR(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
    CHECK_ERR(socket(AF_UNIX, 11, 0), EINVAL);
    CHECK_ERR(socket(AF_UNIX, SOCK_PACKET, 0), ESOCKTNOSUPPORT);
    CHECK_ERR(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
    CHECK_ERR(socket(AF_UNIX, SOCK_STREAM, 5), EPROTONOSUPPORT);
    int sv[2];
    CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM | 0x40000000, 0, sv), EINVAL);
    CHECK_ERR(socketpair(12345, SOCK_STREAM, 0, sv), EAFNOSUPPORT);
    CHECK_ERR(socketpair(AF_UNIX, SOCK_STREAM, 0, BAD_PTR), EFAULT);
    /* Not sockets. */
    int p[2];
    CHECK_OK(pipe(p));
    struct sockaddr_un a;
    socklen_t len = abstract_addr(&a, "x");
    CHECK_ERR(bind(p[0], (struct sockaddr *)&a, len), ENOTSOCK);
    CHECK_ERR(listen(p[0], 1), ENOTSOCK);
    CHECK_ERR(accept(p[0], NULL, NULL), ENOTSOCK);
    CHECK_ERR(send(p[1], "x", 1, 0), ENOTSOCK);
    int v;
    socklen_t vl = sizeof(v);
    CHECK_ERR(getsockopt(p[0], SOL_SOCKET, SO_TYPE, &v, &vl), ENOTSOCK);
    CHECK_ERR(shutdown(p[0], SHUT_RD), ENOTSOCK);
    CHECK_ERR(bind(999, (struct sockaddr *)&a, len), EBADF);
    CHECK_ERR(connect(999, (struct sockaddr *)&a, len), EBADF);
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void bind_listen_connect(void)
{
    mode_t old = umask(022);
    struct sockaddr_un a;
    socklen_t alen;
    int l = listener("srv", 5, &a, &alen);
    umask(old);
    /* The node: a socket, mode 0777 less the umask. */
    struct stat st;
    CHECK_OK(stat(a.sun_path, &st));
    CHECK(S_ISSOCK(st.st_mode));
    CHECK_EQ(st.st_mode & 0777, 0755);
    /* An open of the node is ENXIO. */
    CHECK_ERR(open(a.sun_path, O_RDWR), ENXIO);
    /* getsockname: the name with its NUL. */
    struct sockaddr_un got;
    socklen_t glen = sizeof(got);
    CHECK_OK(getsockname(l, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, alen);
    CHECK_STR(got.sun_path, a.sun_path);
    int v = 0;
    socklen_t vl = sizeof(v);
    CHECK_OK(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
    CHECK_EQ(v, 1);

    int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_ERR(getpeername(c, (struct sockaddr *)&got, &glen), ENOTCONN);
    /* Connect completes before accept. */
    CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
    CHECK_EQ(CHECK_OK(write(c, "early", 5)), 5);
    glen = sizeof(got);
    memset(&got, 0x55, sizeof(got));
    int s = CHECK_OK(accept(l, (struct sockaddr *)&got, &glen));
    /* The client is unbound: just the family. */
    CHECK_EQ(glen, sizeof(sa_family_t));
    CHECK_EQ(got.sun_family, AF_UNIX);
    char b[16];
    CHECK_EQ(CHECK_OK(read(s, b, sizeof(b))), 5);
    CHECK_MEM(b, "early", 5);
    /* The accepted socket has the listener's name; the client's peer too. */
    glen = sizeof(got);
    CHECK_OK(getsockname(s, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, alen);
    CHECK_STR(got.sun_path, a.sun_path);
    glen = sizeof(got);
    CHECK_OK(getpeername(c, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, alen);
    CHECK_STR(got.sun_path, a.sun_path);
    glen = sizeof(got);
    CHECK_OK(getsockname(c, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, sizeof(sa_family_t));
    /* A short buffer gets the start; the length is the full one. */
    glen = 4;
    memset(&got, 0, sizeof(got));
    CHECK_OK(getpeername(c, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, alen);
    CHECK_EQ(got.sun_path[2], 0);
    CHECK_EQ(got.sun_path[0], a.sun_path[0]);
    /* SO_PEERCRED: this process on both ends. */
    struct ucred uc;
    socklen_t ul = sizeof(uc);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    CHECK_EQ(ul, sizeof(uc));
    CHECK_EQ(uc.pid, getpid());
    CHECK_EQ(uc.uid, geteuid());
    CHECK_EQ(uc.gid, getegid());
    ul = sizeof(uc);
    CHECK_OK(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    CHECK_EQ(uc.pid, getpid());
    ul = sizeof(uc);
    CHECK_OK(getsockopt(l, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    CHECK_EQ(uc.pid, getpid());

    /* Errors. */
    CHECK_ERR(connect(c, (struct sockaddr *)&a, alen), EISCONN);
    CHECK_ERR(listen(c, 1), EINVAL);
    CHECK_ERR(accept(c, NULL, NULL), EINVAL);
    CHECK_ERR(bind(l, (struct sockaddr *)&a, alen), EADDRINUSE);
    int l2 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_ERR(bind(l2, (struct sockaddr *)&a, alen), EADDRINUSE);
    CHECK_ERR(listen(l2, 1), EINVAL); /* unbound */
    struct sockaddr_un a2;
    socklen_t a2len = path_addr(&a2, "second");
    /* A bound socket cannot bind again (and leaves no node behind). */
    CHECK_ERR(bind(l, (struct sockaddr *)&a2, a2len), EINVAL);
    CHECK_ERR(access(a2.sun_path, F_OK), ENOENT);
    /* Connect to nothing, a non-socket, a closed socket, a wrong type. */
    int x = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_ERR(connect(x, (struct sockaddr *)&a2, a2len), ENOENT);
    int fd = CHECK_OK(open(a2.sun_path, O_CREAT | O_WRONLY, 0600));
    CHECK_OK(close(fd));
    CHECK_ERR(connect(x, (struct sockaddr *)&a2, a2len), ECONNREFUSED);
    CHECK_OK(unlink(a2.sun_path));
    CHECK_OK(bind(l2, (struct sockaddr *)&a2, a2len));
    CHECK_ERR(connect(x, (struct sockaddr *)&a2, a2len), ECONNREFUSED); /* not listening */
    int d = CHECK_OK(socket(AF_UNIX, SOCK_DGRAM, 0));
    CHECK_ERR(connect(d, (struct sockaddr *)&a, alen), EPROTOTYPE);
    CHECK_OK(close(d));
    CHECK_OK(close(l2));
    CHECK_ERR(connect(x, (struct sockaddr *)&a2, a2len), ECONNREFUSED); /* closed */
    /* The node stays after close: bind again needs an unlink. */
    int l3 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_ERR(bind(l3, (struct sockaddr *)&a2, a2len), EADDRINUSE);
    CHECK_OK(unlink(a2.sun_path));
    CHECK_OK(bind(l3, (struct sockaddr *)&a2, a2len));
    CHECK_OK(listen(l3, 1));
    CHECK_OK(connect(x, (struct sockaddr *)&a2, a2len));
    CHECK_OK(close(l3));
    CHECK_OK(close(x));
    /* Bad addresses. */
    int y = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_ERR(connect(y, (struct sockaddr *)&a, 2), EINVAL);
    CHECK_ERR(connect(y, (struct sockaddr *)&a, 200), EINVAL);
    CHECK_ERR(connect(y, (struct sockaddr *)&a, -1), EINVAL);
    CHECK_ERR(connect(y, BAD_PTR, alen), EFAULT);
    CHECK_ERR(bind(y, BAD_PTR, alen), EFAULT);
    struct sockaddr_un bad = a;
    bad.sun_family = AF_INET;
    CHECK_ERR(bind(y, (struct sockaddr *)&bad, alen), EINVAL);
    CHECK_ERR(bind(y, (struct sockaddr *)&a, 0), EINVAL);
    glen = sizeof(got);
    CHECK_ERR(getsockname(y, (struct sockaddr *)&got, BAD_PTR), EFAULT);
    int neg = -1;
    socklen_t *negp = (socklen_t *)&neg;
    CHECK_ERR(getsockname(y, (struct sockaddr *)&got, negp), EINVAL);
    CHECK_ERR(accept4(l, NULL, NULL, 0x40000000), EINVAL);
    CHECK_OK(close(y));
    /* A relative name binds in the working directory. */
    char cwd[256];
    CHECK(getcwd(cwd, sizeof(cwd)) != NULL);
    CHECK_OK(chdir(g_dir));
    struct sockaddr_un rel = {.sun_family = AF_UNIX};
    strcpy(rel.sun_path, "rel");
    int r = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(bind(r, (struct sockaddr *)&rel, sizeof(rel)));
    glen = sizeof(got);
    CHECK_OK(getsockname(r, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, offsetof(struct sockaddr_un, sun_path) + 4);
    CHECK_STR(got.sun_path, "rel");
    CHECK_OK(chdir(cwd));
    char full[128];
    snprintf(full, sizeof(full), "%s/rel", g_dir);
    CHECK_OK(stat(full, &st));
    CHECK(S_ISSOCK(st.st_mode));
    CHECK_OK(close(r));

    CHECK_OK(close(s));
    CHECK_OK(close(c));
    CHECK_OK(close(l));
}

static void abstract_names(void)
{
    struct sockaddr_un a, got;
    char name[32];
    snprintf(name, sizeof(name), "unix_stream.%d", getpid());
    socklen_t alen = abstract_addr(&a, name);
    int l = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
    socklen_t glen = sizeof(got);
    CHECK_OK(getsockname(l, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, alen);
    CHECK_MEM(&got, &a, alen);
    CHECK_OK(listen(l, 1));
    int l2 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_ERR(bind(l2, (struct sockaddr *)&a, alen), EADDRINUSE);
    /* The name is every byte of the address: one more NUL is another name. */
    CHECK_OK(bind(l2, (struct sockaddr *)&a, alen + 1));
    CHECK_OK(close(l2));
    int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
    int s = CHECK_OK(accept(l, NULL, NULL));
    CHECK_EQ(CHECK_OK(write(s, "abs", 3)), 3);
    char b[8];
    CHECK_EQ(CHECK_OK(read(c, b, sizeof(b))), 3);
    glen = sizeof(got);
    CHECK_OK(getpeername(c, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, alen);
    CHECK_MEM(&got, &a, alen);
    CHECK_OK(close(s));
    CHECK_OK(close(c));
    CHECK_OK(close(l));
    /* Once closed the name is free again. */
    c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_ERR(connect(c, (struct sockaddr *)&a, alen), ECONNREFUSED);
    l = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
    CHECK_OK(close(l));
    CHECK_OK(close(c));

    /* Autobind: bind with just the family. */
    int x = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    struct sockaddr_un fam = {.sun_family = AF_UNIX};
    CHECK_OK(bind(x, (struct sockaddr *)&fam, sizeof(sa_family_t)));
    glen = sizeof(got);
    CHECK_OK(getsockname(x, (struct sockaddr *)&got, &glen));
    CHECK_EQ(glen, offsetof(struct sockaddr_un, sun_path) + 6);
    CHECK_EQ(got.sun_path[0], 0);
    for (int i = 1; i < 6; i++)
        CHECK(strchr("0123456789abcdef", got.sun_path[i]) && got.sun_path[i]);
    /* Again: nothing changes. */
    struct sockaddr_un got2;
    CHECK_OK(bind(x, (struct sockaddr *)&fam, sizeof(sa_family_t)));
    glen = sizeof(got2);
    CHECK_OK(getsockname(x, (struct sockaddr *)&got2, &glen));
    CHECK_MEM(&got2, &got, glen);
    /* The autobound name can be listened on and reached. */
    CHECK_OK(listen(x, 1));
    c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(connect(c, (struct sockaddr *)&got, glen));
    CHECK_OK(close(c));
    CHECK_OK(close(x));
}

static void eof_epipe(void)
{
    signal(SIGPIPE, on_sigpipe);
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_EQ(CHECK_OK(write(sv[0], "last", 4)), 4);
    CHECK_OK(close(sv[0]));
    char b[8];
    /* Data first, then EOF. */
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 4);
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 0);
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 0);
    g_sigpipe = 0;
    CHECK_ERR(write(sv[1], "x", 1), EPIPE);
    CHECK_EQ(g_sigpipe, 1);
    CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_EQ(g_sigpipe, 1);
    CHECK_OK(close(sv[1]));

    /* shutdown(SHUT_WR): the peer reads EOF, we cannot write. */
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_OK(shutdown(sv[0], SHUT_WR));
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 0);
    CHECK_ERR(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_EQ(CHECK_OK(write(sv[1], "ok", 2)), 2);
    CHECK_EQ(CHECK_OK(read(sv[0], b, sizeof(b))), 2);
    /* shutdown(SHUT_RD): the peer cannot write to us. */
    CHECK_OK(shutdown(sv[0], SHUT_RD));
    CHECK_ERR(send(sv[1], "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_EQ(CHECK_OK(read(sv[0], b, sizeof(b))), 0);
    CHECK_ERR(shutdown(sv[0], 3), EINVAL);
    CHECK_ERR(shutdown(sv[0], -1), EINVAL);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));

    /* Closing with unread data resets the peer: ECONNRESET once, then EOF. */
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_EQ(CHECK_OK(write(sv[1], "unread", 6)), 6);
    CHECK_EQ(CHECK_OK(write(sv[0], "pending", 7)), 7);
    CHECK_OK(close(sv[0]));
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 7);
    CHECK_ERR(read(sv[1], b, sizeof(b)), ECONNRESET);
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 0);
    CHECK_OK(close(sv[1]));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_EQ(CHECK_OK(write(sv[1], "unread", 6)), 6);
    CHECK_OK(close(sv[0]));
    int v = 0;
    socklen_t vl = sizeof(v);
    CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &v, &vl));
    CHECK_EQ(v, ECONNRESET);
    CHECK_OK(getsockopt(sv[1], SOL_SOCKET, SO_ERROR, &v, &vl));
    CHECK_EQ(v, 0);
    CHECK_OK(close(sv[1]));

    /* A listener closed with a pending connection resets it. */
    struct sockaddr_un a;
    socklen_t alen;
    int l = listener("reset", 1, &a, &alen);
    int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
    CHECK_OK(close(l));
    CHECK_ERR(read(c, b, sizeof(b)), ECONNRESET);
    CHECK_ERR(send(c, "x", 1, MSG_NOSIGNAL), EPIPE);
    CHECK_OK(close(c));
    signal(SIGPIPE, SIG_DFL);
}

static void sigpipe_default(void)
{
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        signal(SIGPIPE, SIG_DFL);
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
            _exit(2);
        close(sv[1]);
        write(sv[0], "x", 1);
        _exit(3);
    }
    int st;
    CHECK_OK(waitpid(c, &st, 0));
    CHECK(WIFSIGNALED(st));
    CHECK_EQ(WTERMSIG(st), SIGPIPE);
}

static void nonblocking(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv));
    char b[8];
    CHECK_ERR(read(sv[1], b, sizeof(b)), EAGAIN);
    /* Fill the send buffer. */
    size_t total = 0;
    for (;;) {
        ssize_t r = write(sv[0], g_buf, 1000);
        if (r < 0) {
            CHECK_EQ(errno, EAGAIN);
            break;
        }
        total += (size_t)r;
        CHECK_LT(total, 64u << 20);
    }
    CHECK_GT(total, 10000);
    struct pollfd p = {sv[0], POLLOUT, 0};
    CHECK_EQ(CHECK_OK(poll(&p, 1, 0)), 0);
    int inq = 0, outq = 0;
    CHECK_OK(ioctl(sv[1], FIONREAD, &inq));
    CHECK_EQ(inq, total);
    CHECK_OK(ioctl(sv[0], SIOCOUTQ_, &outq));
    CHECK_GE(outq, total);
    /* Draining makes room again. */
    size_t got = 0;
    while (got < total) {
        ssize_t r = CHECK_OK(read(sv[1], g_buf, sizeof(g_buf)));
        got += (size_t)r;
    }
    CHECK_ERR(read(sv[1], b, sizeof(b)), EAGAIN);
    CHECK_EQ(CHECK_OK(poll(&p, 1, 0)), 1);
    CHECK_EQ(p.revents, POLLOUT);
    CHECK_OK(ioctl(sv[0], SIOCOUTQ_, &outq));
    CHECK_EQ(outq, 0);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));

    /* A full backlog: a non-blocking connect is EAGAIN. */
    struct sockaddr_un a;
    socklen_t alen;
    int l = listener("backlog", 0, &a, &alen);
    int c1 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
    CHECK_OK(connect(c1, (struct sockaddr *)&a, alen));
    int c2 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
    CHECK_ERR(connect(c2, (struct sockaddr *)&a, alen), EAGAIN);
    CHECK_OK(fcntl(l, F_SETFL, O_NONBLOCK));
    int s = CHECK_OK(accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
    CHECK_EQ(CHECK_OK(fcntl(s, F_GETFL)) & O_NONBLOCK, O_NONBLOCK);
    CHECK_EQ(CHECK_OK(fcntl(s, F_GETFD)), FD_CLOEXEC);
    CHECK_ERR(accept(l, NULL, NULL), EAGAIN);
    CHECK_OK(connect(c2, (struct sockaddr *)&a, alen));
    int s2 = CHECK_OK(accept(l, NULL, NULL));
    CHECK_EQ(CHECK_OK(fcntl(s2, F_GETFL)) & O_NONBLOCK, 0);
    CHECK_OK(close(s2));
    CHECK_OK(close(s));
    CHECK_OK(close(c1));
    CHECK_OK(close(c2));
    CHECK_OK(close(l));
}

static void blocking(void)
{
    /* A blocked reader woken by another process. */
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        _exit(write(sv[1], "wake", 4) == 4 ? 0 : 1);
    }
    long long t0 = check_mono_ns();
    char b[16];
    CHECK_EQ(CHECK_OK(read(sv[0], b, sizeof(b))), 4);
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    check_reap(c);
    /* MSG_WAITALL waits for every byte. */
    c = CHECK_OK(fork());
    if (c == 0) {
        write(sv[1], "ab", 2);
        check_sleep_ms(30);
        _exit(write(sv[1], "cdef", 4) == 4 ? 0 : 1);
    }
    CHECK_EQ(CHECK_OK(recv(sv[0], b, 6, MSG_WAITALL)), 6);
    CHECK_MEM(b, "abcdef", 6);
    check_reap(c);
    /* A blocked writer woken when the reader drains. */
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        size_t got = 0;
        while (got < sizeof(g_buf)) {
            ssize_t r = read(sv[1], g_buf, sizeof(g_buf));
            if (r <= 0)
                _exit(1);
            got += (size_t)r;
        }
        _exit(0);
    }
    CHECK_EQ(CHECK_OK(write(sv[0], g_buf, sizeof(g_buf))), sizeof(g_buf));
    check_reap(c);
    /* A blocked accept woken by a connect. */
    struct sockaddr_un a;
    socklen_t alen;
    int l = listener("block", 1, &a, &alen);
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        int x = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(x, (struct sockaddr *)&a, alen) < 0)
            _exit(1);
        _exit(write(x, "hi", 2) == 2 ? 0 : 1);
    }
    int s = CHECK_OK(accept(l, NULL, NULL));
    /* SO_PEERCRED names the connecting process. */
    struct ucred uc;
    socklen_t ul = sizeof(uc);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    CHECK_EQ(uc.pid, c);
    CHECK_EQ(CHECK_OK(read(s, b, sizeof(b))), 2);
    check_reap(c);
    CHECK_OK(close(s));
    /* A blocked connect (backlog full) woken by accept. */
    int c1 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    int c2 = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(listen(l, 0));
    CHECK_OK(connect(c1, (struct sockaddr *)&a, alen));
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        int x = accept(l, NULL, NULL);
        _exit(x >= 0 ? 0 : 1);
    }
    t0 = check_mono_ns();
    CHECK_OK(connect(c2, (struct sockaddr *)&a, alen));
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    check_reap(c);
    CHECK_OK(close(c1));
    CHECK_OK(close(c2));
    CHECK_OK(close(l));
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void timeouts_signals(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    struct timeval tv = {0, 100000};
    CHECK_OK(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    struct timeval got;
    socklen_t gl = sizeof(got);
    CHECK_OK(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &got, &gl));
    CHECK_EQ(gl, sizeof(got));
    CHECK_EQ(got.tv_sec, 0);
    CHECK_EQ(got.tv_usec, 100000);
    char b[8];
    long long t0 = check_mono_ns();
    CHECK_ERR(read(sv[0], b, sizeof(b)), EAGAIN);
    long long dt = check_mono_ns() - t0;
    CHECK_GE(dt, 80000000LL);
    CHECK_LT(dt, 2000000000LL);
    /* A send timeout on a full buffer. */
    CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
    size_t total = 0;
    ssize_t r;
    while ((r = send(sv[1], g_buf, 4096, 0)) > 0)
        total += (size_t)r;
    CHECK_EQ(errno, EAGAIN);
    CHECK_GT(total, 0);
    /* A signal interrupts a blocked read: EINTR with a time limit set (even
     * with SA_RESTART, as sock_intr_errno), a restart without one. */
    struct sigaction sa = {.sa_handler = on_sigusr1, .sa_flags = SA_RESTART};
    sigemptyset(&sa.sa_mask);
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    int sp[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sp));
    tv = (struct timeval){5, 0};
    CHECK_OK(setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    pid_t parent = getpid();
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        kill(parent, SIGUSR1);
        check_sleep_ms(50);
        _exit(write(sp[1], "x", 1) == 1 ? 0 : 1);
    }
    g_sigusr1 = 0;
    CHECK_ERR(read(sp[0], b, sizeof(b)), EINTR);
    CHECK_EQ(g_sigusr1, 1);
    check_reap(c);
    CHECK_EQ(CHECK_OK(read(sp[0], b, sizeof(b))), 1);
    tv = (struct timeval){0, 0};
    CHECK_OK(setsockopt(sp[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        kill(parent, SIGUSR1);
        check_sleep_ms(50);
        _exit(write(sp[1], "y", 1) == 1 ? 0 : 1);
    }
    g_sigusr1 = 0;
    CHECK_EQ(CHECK_OK(read(sp[0], b, sizeof(b))), 1);
    CHECK_EQ(b[0], 'y');
    CHECK_EQ(g_sigusr1, 1);
    check_reap(c);
    signal(SIGUSR1, SIG_DFL);
    CHECK_OK(close(sp[0]));
    CHECK_OK(close(sp[1]));
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void peek(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_EQ(CHECK_OK(write(sv[0], "abc", 3)), 3);
    CHECK_EQ(CHECK_OK(write(sv[0], "def", 3)), 3);
    char b[16];
    CHECK_EQ(CHECK_OK(recv(sv[1], b, 2, MSG_PEEK)), 2);
    CHECK_MEM(b, "ab", 2);
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), MSG_PEEK)), 6);
    CHECK_MEM(b, "abcdef", 6);
    int n = 0;
    CHECK_OK(ioctl(sv[1], FIONREAD, &n));
    CHECK_EQ(n, 6);
    CHECK_EQ(CHECK_OK(recv(sv[1], b, 4, 0)), 4);
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), MSG_PEEK)), 2);
    CHECK_MEM(b, "ef", 2);
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 2);
    /* MSG_OOB: no out-of-band data. */
    CHECK_ERR(recv(sv[1], b, sizeof(b), MSG_OOB | MSG_DONTWAIT), EINVAL);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void readiness(void)
{
    const short all = POLLIN | POLLOUT | POLLRDHUP | POLLPRI;
    int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    /* Not connected: writable and hung up. */
    CHECK_EQ(poll1(s, all), POLLOUT | POLLHUP);
    CHECK_OK(close(s));
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_EQ(poll1(sv[0], all), POLLOUT);
    CHECK_EQ(CHECK_OK(write(sv[0], "x", 1)), 1);
    CHECK_EQ(poll1(sv[1], all), POLLIN | POLLOUT);
    CHECK_EQ(poll1(sv[1], POLLIN), POLLIN);
    fd_set r, w;
    FD_ZERO(&r);
    FD_ZERO(&w);
    FD_SET(sv[1], &r);
    FD_SET(sv[1], &w);
    struct timeval tv = {0, 0};
    CHECK_EQ(CHECK_OK(select(sv[1] + 1, &r, &w, NULL, &tv)), 2);
    /* Half-closed, then closed. */
    CHECK_OK(shutdown(sv[0], SHUT_WR));
    CHECK_EQ(poll1(sv[1], all), POLLIN | POLLOUT | POLLRDHUP);
    CHECK_OK(close(sv[0]));
    CHECK_EQ(poll1(sv[1], all), POLLIN | POLLOUT | POLLRDHUP | POLLHUP);
    CHECK_OK(close(sv[1]));
    /* A listener: readable with a pending connection, never writable. */
    struct sockaddr_un a;
    socklen_t alen;
    int l = listener("poll", 1, &a, &alen);
    CHECK_EQ(poll1(l, all), 0);
    int c = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(connect(c, (struct sockaddr *)&a, alen));
    CHECK_EQ(poll1(l, all), POLLIN);
    CHECK_EQ(poll1(c, all), POLLOUT);
    /* poll waits for the peer's write, from another process. */
    int x = CHECK_OK(accept(l, NULL, NULL));
    pid_t k = CHECK_OK(fork());
    if (k == 0) {
        check_sleep_ms(50);
        _exit(write(x, "z", 1) == 1 ? 0 : 1);
    }
    struct pollfd p = {c, POLLIN, 0};
    long long t0 = check_mono_ns();
    CHECK_EQ(CHECK_OK(poll(&p, 1, 5000)), 1);
    CHECK_GE(check_mono_ns() - t0, 30000000LL);
    CHECK_EQ(p.revents, POLLIN);
    check_reap(k);
    /* ... and for the peer's close. */
    char b[4];
    CHECK_EQ(CHECK_OK(read(c, b, sizeof(b))), 1);
    k = CHECK_OK(fork());
    if (k == 0) {
        check_sleep_ms(50);
        close(x);
        _exit(0);
    }
    CHECK_OK(close(x));
    p = (struct pollfd){c, POLLIN, 0};
    CHECK_EQ(CHECK_OK(poll(&p, 1, 5000)), 1);
    CHECK_EQ(p.revents, POLLIN | POLLHUP);
    check_reap(k);
    CHECK_OK(close(c));
    CHECK_OK(close(l));
    int inq;
    l = listener("poll2", 1, &a, &alen);
    CHECK_ERR(ioctl(l, FIONREAD, &inq), EINVAL);
    CHECK_ERR(ioctl(l, TCGETS, &g_buf), ENOTTY);
    CHECK_OK(close(l));
}

static void epoll_readiness(void)
{
    struct sockaddr_un a;
    socklen_t alen;
    int l = listener("epoll", 1, &a, &alen);
    int ep = CHECK_OK(epoll_create1(EPOLL_CLOEXEC));
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 1};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev));
    struct epoll_event out[2];
    CHECK_EQ(CHECK_OK(epoll_wait(ep, out, 2, 0)), 0);
    /* A connection from another process wakes the listener's waiter. */
    int go[2];
    CHECK_OK(pipe(go));
    pid_t k = CHECK_OK(fork());
    if (k == 0) {
        close(go[1]);
        check_sleep_ms(50);
        int x = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(x, (struct sockaddr *)&a, alen) < 0)
            _exit(1);
        check_sleep_ms(50);
        if (write(x, "e", 1) != 1)
            _exit(1);
        char c;
        _exit(read(go[0], &c, 1) == 1 ? 0 : 1); /* exit (closing x) when told */
    }
    CHECK_OK(close(go[0]));
    CHECK_EQ(CHECK_OK(epoll_wait(ep, out, 2, 5000)), 1);
    CHECK_EQ(out[0].events, EPOLLIN);
    CHECK_EQ(out[0].data.u32, 1);
    int s = CHECK_OK(accept(l, NULL, NULL));
    /* Edge-triggered data and hang-up on the accepted socket. */
    ev = (struct epoll_event){.events = EPOLLIN | EPOLLRDHUP | EPOLLET, .data.u32 = 2};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
    CHECK_EQ(CHECK_OK(epoll_wait(ep, out, 2, 5000)), 1);
    CHECK_EQ(out[0].data.u32, 2);
    CHECK_EQ(out[0].events & EPOLLIN, EPOLLIN);
    CHECK_EQ(CHECK_OK(epoll_wait(ep, out, 2, 0)), 0);
    CHECK_EQ(CHECK_OK(write(go[1], "x", 1)), 1);
    check_reap(k); /* the child's exit closes its end */
    CHECK_OK(close(go[1]));
    CHECK_EQ(CHECK_OK(epoll_wait(ep, out, 2, 5000)), 1);
    CHECK_EQ(out[0].events, EPOLLIN | EPOLLRDHUP | EPOLLHUP);
    CHECK_OK(close(s));
    CHECK_OK(close(ep));
    CHECK_OK(close(l));
}

static void options(void)
{
    int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    int v = -1;
    socklen_t vl = sizeof(v);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &vl));
    CHECK_EQ(v, SOCK_STREAM);
    CHECK_EQ(vl, sizeof(int));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_DOMAIN, &v, &vl));
    CHECK_EQ(v, AF_UNIX);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PROTOCOL, &v, &vl));
    CHECK_EQ(v, 0);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_ACCEPTCONN, &v, &vl));
    CHECK_EQ(v, 0);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_ERROR, &v, &vl));
    CHECK_EQ(v, 0);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, &vl));
    CHECK_EQ(v, 0);
    /* SO_PEERCRED of an unconnected socket. */
    struct ucred uc;
    socklen_t ul = sizeof(uc);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    CHECK_EQ(uc.pid, 0);
    CHECK_EQ(uc.uid, (uid_t)-1);
    CHECK_EQ(uc.gid, (gid_t)-1);
    /* Buffer sizes are doubled, with a minimum. */
    v = 4096;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &vl));
    CHECK_EQ(v, 8192);
    v = 1;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v)));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, &vl));
    CHECK_EQ(v, 4608);
    v = 1;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vl));
    CHECK_EQ(v, 2304);
    v = 5000;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v)));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_RCVBUF, &v, &vl));
    CHECK_EQ(v, 10000);
    /* Flags. */
    v = 1;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
    v = 0;
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, &vl));
    CHECK_EQ(v, 1);
    v = 7;
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, sizeof(v)));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PASSCRED, &v, &vl));
    CHECK_EQ(v, 1);
    struct linger lg = {1, 5};
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
    memset(&lg, 0, sizeof(lg));
    socklen_t ll = sizeof(lg);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_LINGER, &lg, &ll));
    CHECK_EQ(ll, sizeof(lg));
    CHECK_EQ(lg.l_onoff, 1);
    CHECK_EQ(lg.l_linger, 5);
    CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(int)), EINVAL);
    /* Timeouts. */
    struct timeval tv = {2, 500000};
    CHECK_OK(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
    socklen_t tl = sizeof(tv);
    memset(&tv, 0, sizeof(tv));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, &tl));
    CHECK_EQ(tv.tv_sec, 2);
    CHECK_EQ(tv.tv_usec, 500000);
    tv = (struct timeval){1, 1000000};
    CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), EDOM);
    CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(int)), EINVAL);
    /* Lengths: short ints, negative, unknown options and levels. */
    char c = 0x55;
    socklen_t cl = 1;
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_TYPE, &c, &cl));
    CHECK_EQ(cl, 1);
    CHECK_EQ(c, SOCK_STREAM);
    int neg = -1;
    CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, (socklen_t *)&neg), EINVAL);
    CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, BAD_PTR), EFAULT);
    vl = sizeof(v);
    CHECK_ERR(getsockopt(s, SOL_SOCKET, SO_TYPE, BAD_PTR, &vl), EFAULT);
    CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_SNDBUF, &v, 2), EINVAL);
    CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_SNDBUF, BAD_PTR, sizeof(int)), EFAULT);
    CHECK_ERR(setsockopt(s, SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
    CHECK_ERR(setsockopt(s, SOL_SOCKET, SO_TYPE, &v, sizeof(v)), ENOPROTOOPT);
    CHECK_ERR(getsockopt(s, SOL_SOCKET, 9999, &v, &vl), ENOPROTOOPT);
    CHECK_ERR(setsockopt(s, 6 /* IPPROTO_TCP */, 1, &v, sizeof(v)), EOPNOTSUPP);
    CHECK_ERR(getsockopt(s, 6, 1, &v, &vl), EOPNOTSUPP);
    CHECK_OK(close(s));
}

static void faults(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_ERR(send(sv[0], BAD_PTR, 10, 0), EFAULT);
    CHECK_ERR(write(sv[0], BAD_PTR, 10), EFAULT);
    CHECK_EQ(CHECK_OK(write(sv[0], "data", 4)), 4);
    CHECK_ERR(recv(sv[1], BAD_PTR, 10, 0), EFAULT);
    CHECK_ERR(read(sv[1], BAD_PTR, 10), EFAULT);
    /* Nothing was lost. */
    char b[8];
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 4);
    CHECK_MEM(b, "data", 4);
    struct msghdr m = {0};
    CHECK_ERR(sendmsg(sv[0], BAD_PTR, 0), EFAULT);
    struct iovec iov = {b, 1};
    m.msg_iov = &iov;
    m.msg_iovlen = 1025;
    CHECK_ERR(sendmsg(sv[0], &m, 0), EMSGSIZE);
    m.msg_iovlen = 1;
    m.msg_control = BAD_PTR;
    m.msg_controllen = 64;
    CHECK_ERR(sendmsg(sv[0], &m, 0), EFAULT);
    /* A stream socket takes no address. */
    struct sockaddr_un a;
    socklen_t alen = abstract_addr(&a, "nowhere");
    CHECK_ERR(sendto(sv[0], "x", 1, 0, (struct sockaddr *)&a, alen), EISCONN);
    int s = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_ERR(sendto(s, "x", 1, 0, (struct sockaddr *)&a, alen), EOPNOTSUPP);
    CHECK_ERR(send(s, "x", 1, 0), ENOTCONN);
    CHECK_ERR(write(s, "x", 1), ENOTCONN);
    CHECK_ERR(recv(s, b, 1, 0), EINVAL);
    CHECK_ERR(read(s, b, 1), EINVAL);
    CHECK_OK(close(s));
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

int main(void)
{
    snprintf(g_dir, sizeof(g_dir), "/tmp/unix_stream.XXXXXX");
    if (!mkdtemp(g_dir))
        SKIP("no writable /tmp: %s", strerror(errno));
    RUN(pair_echo);
    RUN(create_flags);
    RUN(create_errors);
    RUN(bind_listen_connect);
    RUN(abstract_names);
    RUN(eof_epipe);
    RUN(sigpipe_default);
    RUN(nonblocking);
    RUN(blocking);
    RUN(timeouts_signals);
    RUN(peek);
    RUN(readiness);
    RUN(epoll_readiness);
    RUN(options);
    RUN(faults);
    remove_dir(g_dir);
    return 0;
}

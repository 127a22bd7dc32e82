/* AF_UNIX control messages: SCM_RIGHTS between processes (pipes, sockets,
 * O_PATH files), MSG_CMSG_CLOEXEC, MSG_CTRUNC when the control buffer is
 * short or missing, passed files closed when never received, MSG_PEEK of
 * rights, stream reads stopping at a message with rights, send-side errors
 * (EBADF, EINVAL for bad lengths, types and counts); SCM_CREDENTIALS with
 * SO_PASSCRED (automatic and explicit credentials, what an unprivileged
 * sender may claim: EPERM, ESRCH), SO_PEERCRED across processes. */
#include "unix.h"

#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

/* Sends data with the given fds (SCM_RIGHTS); returns sendmsg's result. */
static ssize_t send_fds(int s, const char *data, size_t len, const int *fds, int n)
{
    char ctl[CMSG_SPACE(sizeof(int) * 300)];
    memset(ctl, 0, sizeof(ctl));
    struct iovec iov = {(void *)data, len};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (n > 0) {
        m.msg_control = ctl;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * n);
        struct cmsghdr *c = CMSG_FIRSTHDR(&m);
        c->cmsg_level = SOL_SOCKET;
        c->cmsg_type = SCM_RIGHTS;
        c->cmsg_len = CMSG_LEN(sizeof(int) * n);
        memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
    }
    return sendmsg(s, &m, 0);
}

/* Receives into buf with a control buffer of ctllen bytes; the fds in
 * fds (up to max), their count in *n, msg_flags in *flags. */
static ssize_t recv_fds(int s, char *buf, size_t len, size_t ctllen, int flags, int *fds, int max,
                        int *n, int *mflags)
{
    char ctl[CMSG_SPACE(sizeof(int) * 300)] __attribute__((aligned(8)));
    memset(ctl, 0, sizeof(ctl));
    struct iovec iov = {buf, len};
    struct msghdr m = {.msg_iov = &iov,
                       .msg_iovlen = 1,
                       .msg_control = ctllen ? ctl : NULL,
                       .msg_controllen = ctllen};
    ssize_t r = recvmsg(s, &m, flags);
    *n = 0;
    if (r < 0)
        return r;
    *mflags = m.msg_flags;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
            continue;
        int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
        for (int i = 0; i < k && *n < max; i++)
            memcpy(&fds[(*n)++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
    }
    return r;
}

static void rights_between_processes(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        /* The child makes a pipe, passes its read end and writes. */
        close(sv[0]);
        int p[2];
        if (pipe(p) < 0)
            _exit(2);
        if (send_fds(sv[1], "P", 1, &p[0], 1) != 1)
            _exit(3);
        close(p[0]);
        if (write(p[1], "through", 7) != 7)
            _exit(4);
        _exit(0);
    }
    CHECK_OK(close(sv[1]));
    char b[16];
    int fds[4], n, fl;
    CHECK_EQ(CHECK_OK(recv_fds(sv[0], b, sizeof(b), CMSG_SPACE(sizeof(int)), MSG_CMSG_CLOEXEC, fds,
                               4, &n, &fl)),
             1);
    CHECK_EQ(n, 1);
    CHECK_EQ(fl & MSG_CTRUNC, 0);
    CHECK_EQ(fl & MSG_CMSG_CLOEXEC, MSG_CMSG_CLOEXEC);
    CHECK_EQ(CHECK_OK(fcntl(fds[0], F_GETFD)), FD_CLOEXEC);
    struct stat st;
    CHECK_OK(fstat(fds[0], &st));
    CHECK(S_ISFIFO(st.st_mode));
    CHECK_EQ(CHECK_OK(read(fds[0], b, sizeof(b))), 7);
    CHECK_MEM(b, "through", 7);
    check_reap(c);
    CHECK_EQ(CHECK_OK(read(fds[0], b, sizeof(b))), 0); /* the writer is gone */
    CHECK_OK(close(fds[0]));
    CHECK_OK(close(sv[0]));

    /* A socket passed over a socket: the receiver talks through it. */
    int outer[2], inner[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, outer));
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, inner));
    CHECK_EQ(CHECK_OK(send_fds(outer[0], "S", 1, &inner[1], 1)), 1);
    CHECK_OK(close(inner[1]));
    CHECK_EQ(
        CHECK_OK(recv_fds(outer[1], b, sizeof(b), CMSG_SPACE(sizeof(int)), 0, fds, 4, &n, &fl)), 1);
    CHECK_EQ(n, 1);
    CHECK_EQ(CHECK_OK(fcntl(fds[0], F_GETFD)), 0);
    CHECK_EQ(CHECK_OK(write(fds[0], "sock", 4)), 4);
    CHECK_EQ(CHECK_OK(read(inner[0], b, sizeof(b))), 4);
    CHECK_OK(close(fds[0]));
    /* The same file twice, and an O_PATH descriptor. */
    int op = CHECK_OK(open("/etc/passwd", O_PATH));
    int two[3] = {inner[0], inner[0], op};
    CHECK_EQ(CHECK_OK(send_fds(outer[0], "T", 1, two, 3)), 1);
    CHECK_EQ(
        CHECK_OK(recv_fds(outer[1], b, sizeof(b), CMSG_SPACE(3 * sizeof(int)), 0, fds, 4, &n, &fl)),
        1);
    CHECK_EQ(n, 3);
    CHECK_NE(fds[0], fds[1]);
    CHECK_EQ(CHECK_OK(fcntl(fds[2], F_GETFL)) & O_PATH, O_PATH);
    for (int i = 0; i < 3; i++)
        CHECK_OK(close(fds[i]));
    CHECK_OK(close(op));
    CHECK_OK(close(inner[0]));
    CHECK_OK(close(outer[0]));
    CHECK_OK(close(outer[1]));
}

/* Whether the pipe whose read end is r has no writer left. */
static int writer_gone(int r)
{
    CHECK_OK(fcntl(r, F_SETFL, O_NONBLOCK));
    char b[4];
    ssize_t n = read(r, b, sizeof(b));
    return n == 0;
}

static void truncation(void)
{
    int sv[2], p[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    CHECK_OK(pipe(p));
    int three[3] = {p[1], p[1], p[1]};
    CHECK_EQ(CHECK_OK(send_fds(sv[0], "3", 1, three, 3)), 1);
    char b[8];
    int fds[4], n, fl;
    /* Room for one: one fd, MSG_CTRUNC, the others closed. */
    CHECK_EQ(CHECK_OK(recv_fds(sv[1], b, sizeof(b), CMSG_LEN(sizeof(int)), 0, fds, 4, &n, &fl)), 1);
    CHECK_EQ(n, 1);
    CHECK_EQ(fl & MSG_CTRUNC, MSG_CTRUNC);
    CHECK_OK(close(fds[0]));
    CHECK_OK(close(p[1]));
    CHECK(writer_gone(p[0]));
    CHECK_OK(close(p[0]));
    /* No control buffer at all. */
    CHECK_OK(pipe(p));
    CHECK_EQ(CHECK_OK(send_fds(sv[0], "1", 1, &p[1], 1)), 1);
    CHECK_EQ(CHECK_OK(recv_fds(sv[1], b, sizeof(b), 0, 0, fds, 4, &n, &fl)), 1);
    CHECK_EQ(n, 0);
    CHECK_EQ(fl, MSG_CTRUNC);
    CHECK_OK(close(p[1]));
    CHECK(writer_gone(p[0]));
    CHECK_OK(close(p[0]));
    /* Never received: closed with the socket. */
    CHECK_OK(pipe(p));
    CHECK_EQ(CHECK_OK(send_fds(sv[0], "1", 1, &p[1], 1)), 1);
    CHECK_OK(close(p[1]));
    CHECK(!writer_gone(p[0]));
    CHECK_OK(close(sv[1]));
    CHECK(writer_gone(p[0]));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(sv[0]));
    /* recvfrom and read have no room for control data either. */
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    CHECK_OK(pipe(p));
    CHECK_EQ(CHECK_OK(send_fds(sv[0], "1", 1, &p[1], 1)), 1);
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 1);
    CHECK_OK(close(p[1]));
    CHECK(writer_gone(p[0]));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void peek_and_stream(void)
{
    int sv[2], p[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
    CHECK_OK(pipe(p));
    CHECK_EQ(CHECK_OK(write(sv[0], "ab", 2)), 2);
    CHECK_EQ(CHECK_OK(send_fds(sv[0], "cd", 2, &p[0], 1)), 2);
    CHECK_EQ(CHECK_OK(write(sv[0], "ef", 2)), 2);
    char b[16];
    int fds[4], n, fl;
    /* A read takes the bytes up to and including the message with rights. */
    CHECK_EQ(
        CHECK_OK(recv_fds(sv[1], b, sizeof(b), CMSG_SPACE(sizeof(int)), MSG_PEEK, fds, 4, &n, &fl)),
        4);
    CHECK_EQ(n, 1);
    CHECK_OK(close(fds[0]));
    CHECK_EQ(CHECK_OK(recv_fds(sv[1], b, sizeof(b), CMSG_SPACE(sizeof(int)), 0, fds, 4, &n, &fl)),
             4);
    CHECK_MEM(b, "abcd", 4);
    CHECK_EQ(n, 1);
    CHECK_OK(close(fds[0]));
    CHECK_EQ(CHECK_OK(read(sv[1], b, sizeof(b))), 2);
    /* A zero-length stream send carries nothing, rights included. */
    CHECK_EQ(CHECK_OK(send_fds(sv[0], "", 0, &p[0], 1)), 0);
    CHECK_OK(fcntl(sv[1], F_SETFL, O_NONBLOCK));
    CHECK_ERR(recv_fds(sv[1], b, sizeof(b), CMSG_SPACE(sizeof(int)), 0, fds, 4, &n, &fl), EAGAIN);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
    /* A datagram peek duplicates the rights; the read gets them again. */
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    CHECK_EQ(CHECK_OK(send_fds(sv[0], "", 0, &p[0], 1)), 0);
    CHECK_EQ(
        CHECK_OK(recv_fds(sv[1], b, sizeof(b), CMSG_SPACE(sizeof(int)), MSG_PEEK, fds, 4, &n, &fl)),
        0);
    CHECK_EQ(n, 1);
    int first = fds[0];
    CHECK_EQ(CHECK_OK(recv_fds(sv[1], b, sizeof(b), CMSG_SPACE(sizeof(int)), 0, fds, 4, &n, &fl)),
             0);
    CHECK_EQ(n, 1);
    CHECK_NE(fds[0], first);
    CHECK_OK(close(first));
    CHECK_OK(close(fds[0]));
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
    CHECK_OK(close(p[0]));
    CHECK_OK(close(p[1]));
}

static void send_errors(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    int bad = 999;
    CHECK_ERR(send_fds(sv[0], "x", 1, &bad, 1), EBADF);
    bad = -1;
    CHECK_ERR(send_fds(sv[0], "x", 1, &bad, 1), EBADF);
    int many[254];
    for (int i = 0; i < 254; i++)
        many[i] = sv[0];
    CHECK_ERR(send_fds(sv[0], "x", 1, many, 254), EINVAL);
    CHECK_EQ(CHECK_OK(send_fds(sv[0], "x", 1, many, 253)), 1);
    char b[4];
    int fds[300], n, fl;
    CHECK_EQ(CHECK_OK(recv_fds(sv[1], b, sizeof(b), CMSG_SPACE(253 * sizeof(int)), 0, fds, 300, &n,
                               &fl)),
             1);
    CHECK_EQ(n, 253);
    for (int i = 0; i < n; i++)
        CHECK_OK(close(fds[i]));
    /* Malformed control data. */
    char ctl[CMSG_SPACE(sizeof(int))] __attribute__((aligned(8)));
    struct iovec iov = {"x", 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = sizeof(ctl) + 8;
    CHECK_ERR(sendmsg(sv[0], &m, 0), EINVAL);
    c->cmsg_len = 4;
    CHECK_ERR(sendmsg(sv[0], &m, 0), EINVAL);
    c->cmsg_len = CMSG_LEN(sizeof(int));
    c->cmsg_type = 77;
    CHECK_ERR(sendmsg(sv[0], &m, 0), EINVAL);
    /* Other levels are ignored. */
    c->cmsg_level = 6;
    CHECK_EQ(CHECK_OK(sendmsg(sv[0], &m, 0)), 1);
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), 0)), 1);
    /* No fds: nothing to pass, fine. */
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(0);
    m.msg_controllen = CMSG_SPACE(0);
    CHECK_EQ(CHECK_OK(sendmsg(sv[0], &m, 0)), 1);
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), 0)), 1);
    /* A control buffer too short for a header is ignored. */
    m.msg_controllen = 8;
    CHECK_EQ(CHECK_OK(sendmsg(sv[0], &m, 0)), 1);
    CHECK_EQ(CHECK_OK(recv(sv[1], b, sizeof(b), 0)), 1);
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

/* Sends "c" with SCM_CREDENTIALS {pid, uid, gid}. */
static ssize_t send_creds(int s, pid_t pid, uid_t uid, gid_t gid)
{
    char ctl[CMSG_SPACE(sizeof(struct ucred))] __attribute__((aligned(8)));
    memset(ctl, 0, sizeof(ctl));
    struct iovec iov = {"c", 1};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    struct cmsghdr *c = CMSG_FIRSTHDR(&m);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_CREDENTIALS;
    c->cmsg_len = CMSG_LEN(sizeof(struct ucred));
    struct ucred uc = {pid, uid, gid};
    memcpy(CMSG_DATA(c), &uc, sizeof(uc));
    return sendmsg(s, &m, 0);
}

/* Receives one byte; *uc gets SCM_CREDENTIALS (returns false if none). */
static bool recv_creds(int s, struct ucred *uc, int *mflags)
{
    char ctl[CMSG_SPACE(sizeof(struct ucred)) + 64] __attribute__((aligned(8)));
    char b[8];
    struct iovec iov = {b, sizeof(b)};
    struct msghdr m = {
        .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl, .msg_controllen = sizeof(ctl)};
    CHECK_OK(recvmsg(s, &m, 0));
    if (mflags)
        *mflags = m.msg_flags;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c))
        if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
            CHECK_EQ(c->cmsg_len, CMSG_LEN(sizeof(struct ucred)));
            memcpy(uc, CMSG_DATA(c), sizeof(*uc));
            return true;
        }
    return false;
}

static void credentials(void)
{
    int sv[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
    struct ucred uc;
    int fl;
    /* Without SO_PASSCRED: no credentials. */
    CHECK_EQ(CHECK_OK(send(sv[0], "x", 1, 0)), 1);
    CHECK(!recv_creds(sv[1], &uc, &fl));
    int on = 1;
    CHECK_OK(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
    /* With it: the sender's pid and real ids, from another process. */
    pid_t c = CHECK_OK(fork());
    if (c == 0)
        _exit(send(sv[0], "x", 1, 0) == 1 ? 0 : 1);
    check_reap(c);
    CHECK(recv_creds(sv[1], &uc, &fl));
    CHECK_EQ(uc.pid, c);
    CHECK_EQ(uc.uid, getuid());
    CHECK_EQ(uc.gid, getgid());
    /* Explicit credentials: our own are always allowed. */
    CHECK_EQ(CHECK_OK(send_creds(sv[0], getpid(), getuid(), getgid())), 1);
    CHECK(recv_creds(sv[1], &uc, &fl));
    CHECK_EQ(uc.pid, getpid());
    /* A missing control buffer is MSG_CTRUNC when credentials are due. */
    CHECK_EQ(CHECK_OK(send(sv[0], "x", 1, 0)), 1);
    char b[4];
    struct iovec iov = {b, sizeof(b)};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    CHECK_EQ(CHECK_OK(recvmsg(sv[1], &m, 0)), 1);
    CHECK_EQ(m.msg_flags, MSG_CTRUNC);
    /* Bad explicit credentials. */
    CHECK_ERR(send_creds(sv[0], getpid(), (uid_t)-1, getgid()), EINVAL);
    if (geteuid() == 0) {
        /* Root may claim any existing pid and any ids. */
        int hold[2];
        CHECK_OK(pipe(hold));
        pid_t other = CHECK_OK(fork());
        if (other == 0) {
            close(hold[1]);
            char x;
            _exit(read(hold[0], &x, 1) == 0 ? 0 : 1);
        }
        CHECK_OK(close(hold[0]));
        CHECK_EQ(CHECK_OK(send_creds(sv[0], other, 1234, 5678)), 1);
        CHECK(recv_creds(sv[1], &uc, &fl));
        CHECK_EQ(uc.pid, other);
        CHECK_EQ(uc.uid, 1234);
        CHECK_EQ(uc.gid, 5678);
        CHECK_OK(close(hold[1]));
        check_reap(other);
        CHECK_ERR(send_creds(sv[0], 0x3ffffff0, 0, 0), ESRCH);
        CHECK_ERR(send_creds(sv[0], 0, 0, 0), ESRCH);
        /* An unprivileged sender may claim only its own. */
        c = CHECK_OK(fork());
        if (c == 0) {
            if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
                _exit(2);
            if (send_creds(sv[0], getpid(), 0, 1000) != -1 || errno != EPERM)
                _exit(3);
            if (send_creds(sv[0], getpid() + 1, 1000, 1000) != -1 || errno != EPERM)
                _exit(4);
            if (send_creds(sv[0], getpid(), 1000, 0) != -1 || errno != EPERM)
                _exit(5);
            _exit(send_creds(sv[0], getpid(), 1000, 1000) == 1 ? 0 : 6);
        }
        check_reap(c);
        CHECK(recv_creds(sv[1], &uc, &fl));
        CHECK_EQ(uc.pid, c);
        CHECK_EQ(uc.uid, 1000);
        CHECK_EQ(uc.gid, 1000);
    }
    /* Stream sockets: credentials ride along too; writes of different
     * senders are not merged into one read. */
    int st[2];
    CHECK_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, st));
    CHECK_OK(setsockopt(st[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
    c = CHECK_OK(fork());
    if (c == 0)
        _exit(write(st[0], "a", 1) == 1 ? 0 : 1);
    check_reap(c);
    CHECK_EQ(CHECK_OK(write(st[0], "b", 1)), 1);
    CHECK(recv_creds(st[1], &uc, &fl));
    CHECK_EQ(uc.pid, c);
    CHECK(recv_creds(st[1], &uc, &fl));
    CHECK_EQ(uc.pid, getpid());
    CHECK_OK(close(st[0]));
    CHECK_OK(close(st[1]));
    CHECK_OK(close(sv[0]));
    CHECK_OK(close(sv[1]));
}

static void peercred_processes(void)
{
    char name[40];
    snprintf(name, sizeof(name), "unix_scm.%d", getpid());
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    memcpy(a.sun_path + 1, name, strlen(name));
    socklen_t alen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
    int l = CHECK_OK(socket(AF_UNIX, SOCK_STREAM, 0));
    CHECK_OK(bind(l, (struct sockaddr *)&a, alen));
    CHECK_OK(listen(l, 1));
    int sync[2];
    CHECK_OK(pipe(sync));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        int s = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(s, (struct sockaddr *)&a, alen) < 0)
            _exit(1);
        struct ucred uc;
        socklen_t ul = sizeof(uc);
        /* The client sees the listener's credentials (from listen). */
        if (getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul) < 0 || uc.pid != getppid())
            _exit(2);
        char b;
        _exit(read(sync[0], &b, 1) == 1 ? 0 : 3);
    }
    int s = CHECK_OK(accept(l, NULL, NULL));
    struct ucred uc;
    socklen_t ul = sizeof(uc);
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    CHECK_EQ(uc.pid, c);
    CHECK_EQ(uc.uid, geteuid());
    /* A short buffer gets a prefix. */
    ul = sizeof(int);
    memset(&uc, 0, sizeof(uc));
    CHECK_OK(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &uc, &ul));
    CHECK_EQ(ul, sizeof(int));
    CHECK_EQ(uc.pid, c);
    CHECK_EQ(uc.uid, 0);
    CHECK_EQ(CHECK_OK(write(sync[1], "g", 1)), 1);
    check_reap(c);
    CHECK_OK(close(s));
    CHECK_OK(close(l));
    CHECK_OK(close(sync[0]));
    CHECK_OK(close(sync[1]));
}

int main(void)
{
    RUN(rights_between_processes);
    RUN(truncation);
    RUN(peek_and_stream);
    RUN(send_errors);
    RUN(credentials);
    RUN(peercred_processes);
    return 0;
}

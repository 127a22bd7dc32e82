/* inotify: inotify_init1 flags, add/rm_watch (masks, IN_MASK_ADD,
 * IN_MASK_CREATE, IN_ONLYDIR, IN_DONT_FOLLOW, IN_ONESHOT), the events of file
 * operations in a watched directory and on watched files (names, IN_ISDIR,
 * move cookies, self events, IN_IGNORED), read (record layout, EINVAL for a
 * short buffer, EAGAIN, blocking), poll/epoll, FIONREAD, coalescing, queue
 * overflow, the /proc/sys/fs/inotify limits and errors. */
#include "check.h"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/time.h>

static char g_base[64];

struct ev {
    int wd;
    uint32_t mask, cookie;
    char name[256];
};

static char *path(const char *name)
{
    static char buf[4][128];
    static int next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof(buf[0]), "%s/%s", g_base, name);
    return b;
}

/* Reads every queued event of the nonblocking fd into evs; returns the count. */
static int drain(int fd, struct ev *evs, int max)
{
    static char buf[65536] __attribute__((aligned(8)));
    int n = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0) {
            CHECK_EQ(errno, EAGAIN);
            return n;
        }
        for (ssize_t off = 0; off < r;) {
            struct inotify_event *e = (struct inotify_event *)(buf + off);
            CHECK_EQ(e->len % sizeof(struct inotify_event), 0);
            if (n < max) {
                evs[n].wd = e->wd;
                evs[n].mask = e->mask;
                evs[n].cookie = e->cookie;
                snprintf(evs[n].name, sizeof(evs[n].name), "%s", e->len ? e->name : "");
            }
            n++;
            off += (ssize_t)sizeof(*e) + e->len;
        }
    }
}

#define EXPECT(e, w, m, nm)                                                                        \
    do {                                                                                           \
        CHECK_EQ((e).wd, (w));                                                                     \
        CHECK_EQ((e).mask, (m));                                                                   \
        CHECK_STR((e).name, (nm));                                                                 \
    } while (0)

/* The text of a small file (NUL-terminated, malloc'ed), or NULL if absent. */
static char *read_text(const char *p)
{
    int fd = open(p, O_RDONLY);
    if (fd < 0)
        return NULL;
    char *buf = calloc(1, 8192);
    CHECK(buf != NULL);
    CHECK_OK(read(fd, buf, 8191));
    CHECK_OK(close(fd));
    return buf;
}

static int new_fd(void)
{
    return (int)CHECK_OK(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
}

static void dir_events(void)
{
    int fd = new_fd();
    struct ev e[32];
    int wd = (int)CHECK_OK(inotify_add_watch(fd, g_base, IN_ALL_EVENTS));
    CHECK_GE(wd, 1);
    int f = (int)CHECK_OK(open(path("f"), O_CREAT | O_WRONLY, 0644));
    CHECK_OK(write(f, "abc", 3));
    CHECK_OK(close(f));
    CHECK_EQ(drain(fd, e, 32), 4);
    EXPECT(e[0], wd, IN_CREATE, "f");
    EXPECT(e[1], wd, IN_OPEN, "f");
    EXPECT(e[2], wd, IN_MODIFY, "f");
    EXPECT(e[3], wd, IN_CLOSE_WRITE, "f");
    char b[8];
    f = (int)CHECK_OK(open(path("f"), O_RDONLY));
    CHECK_EQ(CHECK_OK(read(f, b, sizeof(b))), 3);
    CHECK_OK(close(f));
    CHECK_EQ(drain(fd, e, 32), 3);
    EXPECT(e[0], wd, IN_OPEN, "f");
    EXPECT(e[1], wd, IN_ACCESS, "f");
    EXPECT(e[2], wd, IN_CLOSE_NOWRITE, "f");
    /* Coalescing: identical consecutive events are one. */
    f = (int)CHECK_OK(open(path("f"), O_WRONLY));
    CHECK_OK(write(f, "a", 1));
    CHECK_OK(write(f, "b", 1));
    CHECK_OK(close(f));
    CHECK_EQ(drain(fd, e, 32), 3);
    EXPECT(e[1], wd, IN_MODIFY, "f");
    EXPECT(e[2], wd, IN_CLOSE_WRITE, "f");
    CHECK_OK(unlink(path("f")));
    CHECK_EQ(drain(fd, e, 32), 1);
    EXPECT(e[0], wd, IN_DELETE, "f");
    CHECK_OK(mkdir(path("d"), 0755));
    CHECK_OK(mknod(path("n"), S_IFIFO | 0600, 0));
    CHECK_OK(symlink("x", path("s")));
    CHECK_OK(rmdir(path("d")));
    CHECK_OK(unlink(path("n")));
    CHECK_OK(unlink(path("s")));
    CHECK_EQ(drain(fd, e, 32), 6);
    EXPECT(e[0], wd, IN_CREATE | IN_ISDIR, "d");
    EXPECT(e[1], wd, IN_CREATE, "n");
    EXPECT(e[2], wd, IN_CREATE, "s");
    EXPECT(e[3], wd, IN_DELETE | IN_ISDIR, "d");
    EXPECT(e[4], wd, IN_DELETE, "n");
    EXPECT(e[5], wd, IN_DELETE, "s");
    CHECK_OK(close(fd));
}

/* A directory's own watch: open, getdents (IN_ACCESS), close, with IN_ISDIR. */
static void dir_self(void)
{
    int fd = new_fd();
    struct ev e[8];
    int wd = (int)CHECK_OK(inotify_add_watch(fd, g_base, IN_OPEN | IN_ACCESS | IN_CLOSE));
    int d = (int)CHECK_OK(open(g_base, O_RDONLY | O_DIRECTORY));
    char buf[4096];
    CHECK_GT(CHECK_OK(syscall(SYS_getdents64, d, buf, sizeof(buf))), 0);
    CHECK_OK(close(d));
    CHECK_EQ(drain(fd, e, 8), 3);
    EXPECT(e[0], wd, IN_OPEN | IN_ISDIR, "");
    EXPECT(e[1], wd, IN_ACCESS | IN_ISDIR, "");
    EXPECT(e[2], wd, IN_CLOSE_NOWRITE | IN_ISDIR, "");
    CHECK_OK(close(fd));
}

/* IN_EXCL_UNLINK: no events about children once unlinked. */
static void excl_unlink(void)
{
    int fd = new_fd();
    struct ev e[8];
    int w1 = (int)CHECK_OK(inotify_add_watch(fd, g_base, IN_MODIFY));
    int f = (int)CHECK_OK(open(path("x"), O_CREAT | O_RDWR, 0644));
    CHECK_OK(unlink(path("x")));
    CHECK_OK(write(f, "a", 1));
    CHECK_EQ(drain(fd, e, 8), 1);
    EXPECT(e[0], w1, IN_MODIFY, "x");
    CHECK_EQ(CHECK_OK(inotify_add_watch(fd, g_base, IN_MODIFY | IN_EXCL_UNLINK)), w1);
    CHECK_OK(write(f, "a", 1));
    CHECK_EQ(drain(fd, e, 8), 0);
    CHECK_OK(close(f));
    CHECK_OK(close(fd));
}

static void moves(void)
{
    CHECK_OK(mkdir(path("m1"), 0755));
    CHECK_OK(mkdir(path("m2"), 0755));
    CHECK_OK(close((int)CHECK_OK(open(path("m1/a"), O_CREAT | O_WRONLY, 0644))));
    int fd = new_fd();
    struct ev e[16];
    int w1 = (int)CHECK_OK(inotify_add_watch(fd, path("m1"), IN_MOVE));
    int w2 = (int)CHECK_OK(inotify_add_watch(fd, path("m2"), IN_MOVE));
    int wf = (int)CHECK_OK(inotify_add_watch(fd, path("m1/a"), IN_MOVE_SELF));
    CHECK_OK(rename(path("m1/a"), path("m2/b")));
    CHECK_EQ(drain(fd, e, 16), 3);
    EXPECT(e[0], w1, IN_MOVED_FROM, "a");
    EXPECT(e[1], w2, IN_MOVED_TO, "b");
    CHECK_NE(e[0].cookie, 0);
    CHECK_EQ(e[0].cookie, e[1].cookie);
    EXPECT(e[2], wf, IN_MOVE_SELF, "");
    uint32_t c1 = e[0].cookie;
    CHECK_OK(rename(path("m2/b"), path("m2/c")));
    CHECK_EQ(drain(fd, e, 16), 3);
    EXPECT(e[0], w2, IN_MOVED_FROM, "b");
    EXPECT(e[1], w2, IN_MOVED_TO, "c");
    CHECK_EQ(e[0].cookie, e[1].cookie);
    CHECK_NE(e[0].cookie, c1);
    /* A directory moved: IN_ISDIR. */
    CHECK_OK(mkdir(path("m1/sub"), 0755));
    CHECK_OK(rename(path("m1/sub"), path("m2/sub")));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[0], w1, IN_MOVED_FROM | IN_ISDIR, "sub");
    EXPECT(e[1], w2, IN_MOVED_TO | IN_ISDIR, "sub");
    CHECK_OK(rmdir(path("m2/sub")));
    CHECK_OK(unlink(path("m2/c")));
    CHECK_OK(close(fd));
    CHECK_OK(rmdir(path("m1")));
    CHECK_OK(rmdir(path("m2")));
}

static void attrib(void)
{
    int f = (int)CHECK_OK(open(path("t"), O_CREAT | O_WRONLY, 0644));
    CHECK_OK(close(f));
    int fd = new_fd();
    struct ev e[16];
    int wd = (int)CHECK_OK(inotify_add_watch(fd, g_base, IN_ATTRIB | IN_MODIFY | IN_CREATE));
    int wf = (int)CHECK_OK(inotify_add_watch(fd, path("t"), IN_ATTRIB | IN_MODIFY));
    CHECK_OK(chmod(path("t"), 0600));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[0], wd, IN_ATTRIB, "t");
    EXPECT(e[1], wf, IN_ATTRIB, "");
    CHECK_OK(utimensat(AT_FDCWD, path("t"), NULL, 0));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[0], wd, IN_ATTRIB, "t");
    CHECK_OK(truncate(path("t"), 10));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[0], wd, IN_MODIFY, "t");
    EXPECT(e[1], wf, IN_MODIFY, "");
    CHECK_OK(chown(path("t"), getuid(), getgid()));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[1], wf, IN_ATTRIB, "");
    /* A new link: the file's link count (IN_ATTRIB), the name (IN_CREATE). */
    CHECK_OK(link(path("t"), path("t2")));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[0], wf, IN_ATTRIB, "");
    EXPECT(e[1], wd, IN_CREATE, "t2");
    CHECK_OK(unlink(path("t2")));
    CHECK_EQ(drain(fd, e, 16), 1);
    EXPECT(e[0], wf, IN_ATTRIB, "");
    CHECK_OK(unlink(path("t")));
    CHECK_OK(close(fd));
}

static void self_events(void)
{
    CHECK_OK(close((int)CHECK_OK(open(path("s1"), O_CREAT | O_WRONLY, 0644))));
    CHECK_OK(mkdir(path("sd"), 0755));
    int fd = new_fd();
    struct ev e[16];
    int wf = (int)CHECK_OK(inotify_add_watch(fd, path("s1"), IN_ALL_EVENTS));
    CHECK_OK(unlink(path("s1")));
    CHECK_EQ(drain(fd, e, 16), 3);
    EXPECT(e[0], wf, IN_ATTRIB, "");
    EXPECT(e[1], wf, IN_DELETE_SELF, "");
    EXPECT(e[2], wf, IN_IGNORED, "");
    CHECK_ERR(inotify_rm_watch(fd, wf), EINVAL);
    int wdir = (int)CHECK_OK(inotify_add_watch(fd, path("sd"), IN_DELETE_SELF));
    CHECK_NE(wdir, wf);
    CHECK_OK(rmdir(path("sd")));
    CHECK_EQ(drain(fd, e, 16), 2);
    CHECK_EQ(e[0].wd, wdir);
    CHECK_EQ(e[0].mask & ~(uint32_t)IN_ISDIR, IN_DELETE_SELF);
    EXPECT(e[1], wdir, IN_IGNORED, "");
    /* An open file: IN_DELETE_SELF at the last close. */
    int f = (int)CHECK_OK(open(path("s2"), O_CREAT | O_RDWR, 0644));
    int w2 = (int)CHECK_OK(inotify_add_watch(fd, path("s2"), IN_ALL_EVENTS));
    CHECK_OK(unlink(path("s2")));
    CHECK_OK(write(f, "x", 1));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[0], w2, IN_ATTRIB, "");
    EXPECT(e[1], w2, IN_MODIFY, "");
    CHECK_OK(close(f));
    CHECK_EQ(drain(fd, e, 16), 3);
    EXPECT(e[0], w2, IN_CLOSE_WRITE, "");
    EXPECT(e[1], w2, IN_DELETE_SELF, "");
    EXPECT(e[2], w2, IN_IGNORED, "");
    /* Replaced by a rename. */
    CHECK_OK(close((int)CHECK_OK(open(path("s3"), O_CREAT | O_WRONLY, 0644))));
    CHECK_OK(close((int)CHECK_OK(open(path("s4"), O_CREAT | O_WRONLY, 0644))));
    int w3 = (int)CHECK_OK(inotify_add_watch(fd, path("s4"), IN_ALL_EVENTS));
    CHECK_OK(rename(path("s3"), path("s4")));
    CHECK_EQ(drain(fd, e, 16), 3);
    EXPECT(e[0], w3, IN_ATTRIB, "");
    EXPECT(e[1], w3, IN_DELETE_SELF, "");
    EXPECT(e[2], w3, IN_IGNORED, "");
    CHECK_OK(unlink(path("s4")));
    /* rm_watch: IN_IGNORED; the wd is gone. */
    int w = (int)CHECK_OK(inotify_add_watch(fd, g_base, IN_CREATE));
    CHECK_OK(inotify_rm_watch(fd, w));
    CHECK_EQ(drain(fd, e, 16), 1);
    EXPECT(e[0], w, IN_IGNORED, "");
    CHECK_ERR(inotify_rm_watch(fd, w), EINVAL);
    CHECK_OK(close(fd));
}

static void oneshot_and_masks(void)
{
    CHECK_OK(close((int)CHECK_OK(open(path("o"), O_CREAT | O_WRONLY, 0644))));
    int fd = new_fd();
    struct ev e[16];
    int w = (int)CHECK_OK(inotify_add_watch(fd, path("o"), IN_OPEN | IN_ONESHOT));
    CHECK_OK(close((int)CHECK_OK(open(path("o"), O_RDONLY))));
    CHECK_OK(close((int)CHECK_OK(open(path("o"), O_RDONLY))));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[0], w, IN_OPEN, "");
    EXPECT(e[1], w, IN_IGNORED, "");
    /* The same inode gives the same wd; IN_MASK_ADD adds, else replaces. */
    int w2 = (int)CHECK_OK(inotify_add_watch(fd, path("o"), IN_OPEN));
    CHECK_NE(w2, w);
    CHECK_EQ(CHECK_OK(inotify_add_watch(fd, path("o"), IN_CLOSE_NOWRITE | IN_MASK_ADD)), w2);
    CHECK_OK(close((int)CHECK_OK(open(path("o"), O_RDONLY))));
    CHECK_EQ(drain(fd, e, 16), 2);
    EXPECT(e[0], w2, IN_OPEN, "");
    EXPECT(e[1], w2, IN_CLOSE_NOWRITE, "");
    CHECK_EQ(CHECK_OK(inotify_add_watch(fd, path("o"), IN_CLOSE_NOWRITE)), w2);
    CHECK_OK(close((int)CHECK_OK(open(path("o"), O_RDONLY))));
    CHECK_EQ(drain(fd, e, 16), 1);
    EXPECT(e[0], w2, IN_CLOSE_NOWRITE, "");
    CHECK_ERR(inotify_add_watch(fd, path("o"), IN_OPEN | IN_MASK_CREATE), EEXIST);
    CHECK_ERR(inotify_add_watch(fd, path("o"), IN_OPEN | IN_MASK_CREATE | IN_MASK_ADD), EINVAL);
    CHECK_ERR(inotify_add_watch(fd, path("o"), IN_OPEN | IN_ONLYDIR), ENOTDIR);
    /* fdinfo lists the watch. */
    char p[64];
    snprintf(p, sizeof(p), "/proc/self/fdinfo/%d", fd);
    char *txt = read_text(p);
    if (txt) {
        char want[64];
        snprintf(want, sizeof(want), "inotify wd:%x ino:", w2);
        CHECK(strstr(txt, want) != NULL);
        CHECK(strstr(txt, "mask:10 ") != NULL); /* IN_CLOSE_NOWRITE */
        free(txt);
    }
    /* IN_DONT_FOLLOW watches a symlink itself (dangling here). */
    CHECK_OK(symlink("nowhere", path("ln")));
    CHECK_ERR(inotify_add_watch(fd, path("ln"), IN_OPEN), ENOENT);
    CHECK_OK(inotify_add_watch(fd, path("ln"), IN_OPEN | IN_DONT_FOLLOW));
    CHECK_OK(unlink(path("ln")));
    CHECK_OK(unlink(path("o")));
    CHECK_OK(close(fd));
}

static void reads(void)
{
    int fd = new_fd();
    int wd = (int)CHECK_OK(inotify_add_watch(fd, g_base, IN_CREATE | IN_DELETE));
    char buf[256] __attribute__((aligned(8)));
    CHECK_ERR(read(fd, buf, sizeof(buf)), EAGAIN);
    int n;
    CHECK_OK(ioctl(fd, FIONREAD, &n));
    CHECK_EQ(n, 0);
    CHECK_OK(close((int)CHECK_OK(open(path("r"), O_CREAT | O_WRONLY, 0644))));
    CHECK_OK(unlink(path("r")));
    CHECK_OK(ioctl(fd, FIONREAD, &n));
    CHECK_EQ(n, 2 * (int)(sizeof(struct inotify_event) + 16));
    /* Too small for the next event: EINVAL, nothing lost. */
    CHECK_ERR(read(fd, buf, sizeof(struct inotify_event)), EINVAL);
    CHECK_ERR(read(fd, buf, 0), EINVAL);
    /* Room for one: one. */
    CHECK_EQ(CHECK_OK(read(fd, buf, sizeof(struct inotify_event) + 20)),
             sizeof(struct inotify_event) + 16);
    struct inotify_event *e = (struct inotify_event *)buf;
    CHECK_EQ(e->wd, wd);
    CHECK_EQ(e->mask, IN_CREATE);
    CHECK_EQ(e->len, 16);
    CHECK_STR(e->name, "r");
    for (unsigned i = 1; i < e->len; i++)
        CHECK_EQ(e->name[i], 0);
    CHECK_EQ(CHECK_OK(read(fd, buf, sizeof(buf))), sizeof(struct inotify_event) + 16);
    CHECK_EQ(e->mask, IN_DELETE);
    CHECK_ERR(write(fd, buf, 8), EBADF);
    CHECK_OK(close(fd));
}

static void blocking(void)
{
    int fd = (int)CHECK_OK(inotify_init());
    int wd = (int)CHECK_OK(inotify_add_watch(fd, g_base, IN_CREATE));
    pid_t pid = (pid_t)CHECK_OK(fork());
    if (pid == 0) {
        usleep(100000);
        close(open(path("b"), O_CREAT | O_WRONLY, 0644));
        _exit(0);
    }
    char buf[256] __attribute__((aligned(8)));
    CHECK_EQ(CHECK_OK(read(fd, buf, sizeof(buf))), sizeof(struct inotify_event) + 16);
    struct inotify_event *e = (struct inotify_event *)buf;
    CHECK_EQ(e->wd, wd);
    CHECK_STR(e->name, "b");
    int st;
    CHECK_EQ(CHECK_OK(waitpid(pid, &st, 0)), pid);
    CHECK_OK(unlink(path("b")));
    CHECK_OK(close(fd));
}

static void readiness(void)
{
    int fd = new_fd();
    CHECK_OK(inotify_add_watch(fd, g_base, IN_CREATE));
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK_EQ(CHECK_OK(poll(&p, 1, 0)), 0);
    int ep = (int)CHECK_OK(epoll_create1(0));
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = 7};
    CHECK_OK(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 0)), 0);
    CHECK_OK(close((int)CHECK_OK(open(path("p"), O_CREAT | O_WRONLY, 0644))));
    CHECK_EQ(CHECK_OK(poll(&p, 1, 0)), 1);
    CHECK_EQ(p.revents, POLLIN);
    CHECK_EQ(CHECK_OK(epoll_wait(ep, &ev, 1, 1000)), 1);
    CHECK_EQ(ev.events, EPOLLIN);
    CHECK_EQ(ev.data.u32, 7);
    struct ev e[4];
    CHECK_EQ(drain(fd, e, 4), 1);
    CHECK_EQ(CHECK_OK(poll(&p, 1, 0)), 0);
    CHECK_OK(unlink(path("p")));
    CHECK_OK(close(ep));
    CHECK_OK(close(fd));
}

static long sysctl_value(const char *name)
{
    char p[128];
    snprintf(p, sizeof(p), "/proc/sys/fs/inotify/%s", name);
    char *txt = read_text(p);
    if (!txt)
        return -1;
    long v = strtol(txt, NULL, 10);
    free(txt);
    return v;
}

static void limits(void)
{
    long q = sysctl_value("max_queued_events"), inst = sysctl_value("max_user_instances");
    CHECK_GT(q, 0);
    CHECK_GT(inst, 0);
    CHECK_GT(sysctl_value("max_user_watches"), 0);
    if (q <= 20000) {
        /* Overflow: one IN_Q_OVERFLOW (wd -1) after max_queued_events. */
        CHECK_OK(close((int)CHECK_OK(open(path("q"), O_CREAT | O_WRONLY, 0644))));
        int fd = new_fd();
        CHECK_OK(inotify_add_watch(fd, path("q"), IN_OPEN | IN_CLOSE));
        for (long i = 0; i < q / 2 + 2; i++)
            CHECK_OK(close((int)CHECK_OK(open(path("q"), O_RDONLY))));
        static char buf[(sizeof(struct inotify_event)) * 20001];
        ssize_t r = CHECK_OK(read(fd, buf, sizeof(buf)));
        CHECK_EQ(r, (q + 1) * (long)sizeof(struct inotify_event));
        struct inotify_event *last = (struct inotify_event *)(buf + r - sizeof(*last));
        CHECK_EQ(last->wd, -1);
        CHECK_EQ(last->mask, IN_Q_OVERFLOW);
        CHECK_OK(close(fd));
        CHECK_OK(unlink(path("q")));
    }
    if (inst <= 1000) {
        /* max_user_instances: EMFILE (other processes of this user may
         * already hold some). */
        static int fds[1001];
        int n = 0, r;
        while ((r = inotify_init()) >= 0 && n < 1001)
            fds[n++] = r;
        CHECK_EQ(r, -1);
        CHECK_EQ(errno, EMFILE);
        CHECK_LE(n, inst);
        while (n > 0)
            CHECK_OK(close(fds[--n]));
    }
}

static void errors(void)
{
    CHECK_ERR(inotify_init1(0x1), EINVAL);
    int fd = new_fd();
    CHECK_ERR(inotify_add_watch(fd, g_base, 0), EINVAL);
    CHECK_ERR(inotify_add_watch(fd, path("missing"), IN_OPEN), ENOENT);
    CHECK_ERR(inotify_add_watch(-1, g_base, IN_OPEN), EBADF);
    CHECK_ERR(inotify_rm_watch(-1, 1), EBADF);
    CHECK_ERR(inotify_rm_watch(fd, 12345), EINVAL);
    CHECK_ERR(inotify_rm_watch(fd, -1), EINVAL);
    int efd = (int)CHECK_OK(eventfd(0, 0));
    CHECK_ERR(inotify_add_watch(efd, g_base, IN_OPEN), EINVAL);
    CHECK_ERR(inotify_rm_watch(efd, 1), EINVAL);
    CHECK_OK(close(efd));
    /* Read permission on the target (as an unprivileged user). */
    if (getuid() == 0) {
        CHECK_OK(close((int)CHECK_OK(open(path("np"), O_CREAT | O_WRONLY, 0200))));
        pid_t pid = (pid_t)CHECK_OK(fork());
        if (pid == 0) {
            if (setgid(65534) < 0 || setuid(65534) < 0)
                _exit(2);
            _exit(inotify_add_watch(fd, path("np"), IN_OPEN) < 0 && errno == EACCES ? 0 : 1);
        }
        check_reap(pid);
        CHECK_OK(unlink(path("np")));
    }
    CHECK_OK(close(fd));
}

int main(void)
{
    snprintf(g_base, sizeof(g_base), "/tmp/inotify.XXXXXX");
    if (!mkdtemp(g_base))
        SKIP("no writable /tmp: %s", strerror(errno));
    CHECK_OK(chmod(g_base, 0755));
    RUN(dir_events);
    RUN(dir_self);
    RUN(excl_unlink);
    RUN(moves);
    RUN(attrib);
    RUN(self_events);
    RUN(oneshot_and_masks);
    RUN(reads);
    RUN(blocking);
    RUN(readiness);
    RUN(limits);
    RUN(errors);
    CHECK_OK(rmdir(g_base));
    return 0;
}

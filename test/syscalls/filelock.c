/* Advisory locks: flock(2) (per open file description), fcntl record locks
 * (per process, byte ranges, released by any close of the file), open file
 * description locks (F_OFD_*), blocking with F_SETLKW / flock, EDEADLK.
 * Works on a file in a fresh directory below /tmp. */
#include "check.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <time.h>

static char g_path[64];

static int open_rw(void)
{
    return (int)CHECK_OK(open(g_path, O_RDWR));
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

static struct flock getlk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    CHECK_OK(fcntl(fd, cmd, &fl));
    return fl;
}

/* Runs fn in a child and returns its exit status (0: passed). */
static int in_child(int (*fn)(void *), void *arg)
{
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(fn(arg));
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100 + WTERMSIG(status);
}

/* ---- flock ------------------------------------------------------------------------ */

static void flock_basics(void)
{
    int a = open_rw(), b = open_rw();
    CHECK_OK(flock(a, LOCK_EX));
    CHECK_ERR(flock(b, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    /* A dup shares the description, and so the lock. */
    int d = CHECK_OK(dup(a));
    CHECK_OK(flock(d, LOCK_EX | LOCK_NB));
    CHECK_OK(close(a));
    CHECK_ERR(flock(b, LOCK_SH | LOCK_NB), EWOULDBLOCK);
    /* Converting to shared lets other shared locks in. */
    CHECK_OK(flock(d, LOCK_SH));
    CHECK_OK(flock(b, LOCK_SH | LOCK_NB));
    CHECK_ERR(flock(d, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK_OK(flock(b, LOCK_UN));
    CHECK_OK(close(d)); /* the last reference: the lock goes */
    CHECK_OK(flock(b, LOCK_EX | LOCK_NB));
    CHECK_ERR(flock(b, 0), EINVAL);
    CHECK_ERR(flock(b, LOCK_SH | LOCK_EX), EINVAL);
    CHECK_ERR(flock(-1, LOCK_SH), EBADF);
    CHECK_OK(close(b));
    /* flock and record locks do not see each other. */
    a = open_rw();
    b = open_rw();
    CHECK_OK(flock(a, LOCK_EX));
    CHECK_OK(setlk(b, F_SETLK, F_WRLCK, 0, 0));
    CHECK_OK(close(a));
    CHECK_OK(close(b));
}

static int hold_then_release(void *arg)
{
    int fd = open(g_path, O_RDWR);
    if (fd < 0 || flock(fd, LOCK_EX) < 0)
        return 2;
    int *pipe_w = arg;
    if (write(*pipe_w, "x", 1) != 1)
        return 3;
    check_sleep_ms(100);
    return 0; /* exit closes the fd: the lock goes */
}

static void flock_blocks(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        close(p[0]);
        _exit(hold_then_release(&p[1]));
    }
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    int fd = open_rw();
    CHECK_ERR(flock(fd, LOCK_EX | LOCK_NB), EWOULDBLOCK);
    CHECK_OK(flock(fd, LOCK_EX)); /* waits for the child's exit */
    check_reap(pid);
    close(fd);
    close(p[0]);
}

/* ---- POSIX record locks ------------------------------------------------------------- */

struct expect {
    short type;
    off_t start, len;
    pid_t pid;
};

/* In a child: F_GETLK for a write lock of [start, start+len) gives e. */
static int check_getlk(void *arg)
{
    const struct expect *e = arg;
    int fd = open(g_path, O_RDWR);
    struct flock fl = {
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = e[0].start, .l_len = e[0].len};
    if (fd < 0 || fcntl(fd, F_GETLK, &fl) < 0)
        return 2;
    if (fl.l_type != e[1].type)
        return 3;
    if (e[1].type != F_UNLCK &&
        (fl.l_start != e[1].start || fl.l_len != e[1].len || fl.l_pid != e[1].pid))
        return 4;
    /* And F_SETLK agrees. */
    fl = (struct flock){
        .l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = e[0].start, .l_len = e[0].len};
    int r = fcntl(fd, F_SETLK, &fl);
    if (e[1].type == F_UNLCK ? r != 0 : (r != -1 || (errno != EAGAIN && errno != EACCES)))
        return 5;
    return 0;
}

static void expect_lock(off_t start, off_t len, short type, off_t s, off_t l)
{
    struct expect e[2] = {{F_WRLCK, start, len, 0}, {type, s, l, getpid()}};
    CHECK_EQ(in_child(check_getlk, e), 0);
}

static void posix_ranges(void)
{
    int fd = open_rw();
    CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 100));
    expect_lock(5, 1, F_WRLCK, 0, 100);
    expect_lock(100, 10, F_UNLCK, 0, 0);
    /* The owner never conflicts with itself; an unlock splits. */
    CHECK_EQ(getlk(fd, F_GETLK, F_WRLCK, 0, 10).l_type, F_UNLCK);
    CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 40, 20));
    expect_lock(40, 20, F_UNLCK, 0, 0);
    expect_lock(30, 20, F_WRLCK, 0, 40);
    expect_lock(55, 20, F_WRLCK, 60, 40);
    /* Downgrading a part to a read lock. */
    CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, 60, 10));
    expect_lock(60, 5, F_RDLCK, 60, 10);
    /* Merging: the whole range again. */
    CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 100));
    expect_lock(50, 1, F_WRLCK, 0, 100);
    /* A negative length counts backwards; l_len 0 reaches the end. */
    CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 0, 0));
    CHECK_OK(setlk(fd, F_SETLK, F_RDLCK, 10, -3));
    expect_lock(0, 0, F_RDLCK, 7, 3);
    CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 0, 0));
    struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_END, .l_start = -10, .l_len = 0};
    CHECK_OK(fcntl(fd, F_SETLK, &fl));
    expect_lock(0, 0, F_WRLCK, 90, 0);
    CHECK_OK(close(fd));
    expect_lock(0, 0, F_UNLCK, 0, 0);
}

static void posix_errors(void)
{
    int fd = open_rw();
    CHECK_ERR(setlk(fd, F_SETLK, 99, 0, 0), EINVAL);
    CHECK_ERR(setlk(fd, F_SETLK, F_WRLCK, -1, 1), EINVAL);
    CHECK_ERR(setlk(fd, F_SETLK, F_WRLCK, 5, -6), EINVAL);
    struct flock fl = {.l_type = F_WRLCK, .l_whence = 7};
    CHECK_ERR(fcntl(fd, F_SETLK, &fl), EINVAL);
    CHECK_ERR(fcntl(fd, F_GETLK, BAD_PTR), EFAULT);
    CHECK_OK(close(fd));
    int ro = CHECK_OK(open(g_path, O_RDONLY));
    CHECK_ERR(setlk(ro, F_SETLK, F_WRLCK, 0, 1), EBADF);
    CHECK_OK(setlk(ro, F_SETLK, F_RDLCK, 0, 1));
    CHECK_OK(close(ro));
    int wo = CHECK_OK(open(g_path, O_WRONLY));
    CHECK_ERR(setlk(wo, F_SETLK, F_RDLCK, 0, 1), EBADF);
    CHECK_OK(close(wo));
}

static void posix_close_any_fd(void)
{
    int a = open_rw();
    CHECK_OK(setlk(a, F_SETLK, F_WRLCK, 0, 1));
    expect_lock(0, 1, F_WRLCK, 0, 1);
    int b = open_rw();
    CHECK_OK(close(b)); /* any close of the file by this process drops it */
    expect_lock(0, 1, F_UNLCK, 0, 0);
    CHECK_OK(close(a));
}

static int child_locks_then_waits(void *arg)
{
    int *p = arg; /* p[0]: tell the parent; p[1]: wait for it */
    int fd = open(g_path, O_RDWR);
    if (fd < 0 || setlk(fd, F_SETLK, F_WRLCK, 1, 1) < 0)
        return 2;
    if (write(p[0], "x", 1) != 1)
        return 3;
    /* Blocks on the parent's [0, 1) ... */
    if (setlk(fd, F_SETLKW, F_WRLCK, 0, 1) < 0)
        return 4;
    return 0;
}

static void posix_wait_and_deadlock(void)
{
    int fd = open_rw();
    CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 1));
    int p[2];
    CHECK_OK(pipe(p));
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        int w[2] = {p[1], -1};
        _exit(child_locks_then_waits(w));
    }
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    check_sleep_ms(100); /* the child is waiting for [0, 1) */
    /* ... so waiting for its [1, 2) would deadlock. */
    CHECK_ERR(setlk(fd, F_SETLKW, F_WRLCK, 1, 1), EDEADLK);
    CHECK_ERR(setlk(fd, F_SETLK, F_WRLCK, 1, 1), EAGAIN);
    CHECK_OK(setlk(fd, F_SETLK, F_UNLCK, 0, 1)); /* the child gets it */
    check_reap(pid);
    close(p[0]);
    CHECK_OK(setlk(fd, F_SETLKW, F_WRLCK, 0, 2)); /* the child's exit freed both */
    CHECK_OK(close(fd));
}

static void handler(int sig)
{
    (void)sig;
}

static int child_holds(void *arg)
{
    int *p = arg;
    int fd = open(g_path, O_RDWR);
    if (fd < 0 || setlk(fd, F_SETLK, F_WRLCK, 0, 0) < 0)
        return 2;
    if (write(*p, "x", 1) != 1)
        return 3;
    pause();
    return 0;
}

static void posix_wait_interrupted(void)
{
    int p[2];
    CHECK_OK(pipe(p));
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(child_holds(&p[1]));
    close(p[1]);
    char c;
    CHECK_EQ(read(p[0], &c, 1), 1);
    struct sigaction sa = {.sa_handler = handler}; /* no SA_RESTART */
    CHECK_OK(sigaction(SIGALRM, &sa, NULL));
    alarm(1);
    int fd = open_rw();
    CHECK_ERR(setlk(fd, F_SETLKW, F_WRLCK, 0, 1), EINTR);
    CHECK_OK(kill(pid, SIGKILL));
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    CHECK_OK(setlk(fd, F_SETLK, F_WRLCK, 0, 1));
    CHECK_OK(close(fd));
    close(p[0]);
}

/* ---- OFD locks --------------------------------------------------------------------- */

static void ofd_locks(void)
{
    int a = open_rw(), b = open_rw();
    CHECK_OK(setlk(a, F_OFD_SETLK, F_WRLCK, 0, 10));
    /* Another description of the same process conflicts. */
    struct flock fl = getlk(b, F_OFD_GETLK, F_RDLCK, 5, 1);
    CHECK_EQ(fl.l_type, F_WRLCK);
    CHECK_EQ(fl.l_pid, -1);
    CHECK_EQ(fl.l_start, 0);
    CHECK_EQ(fl.l_len, 10);
    CHECK_ERR(setlk(b, F_OFD_SETLK, F_RDLCK, 5, 1), EAGAIN);
    /* ... and so does a POSIX lock of this process. */
    CHECK_ERR(setlk(b, F_SETLK, F_RDLCK, 5, 1), EAGAIN);
    fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 1};
    CHECK_ERR(fcntl(b, F_OFD_SETLK, &fl), EINVAL);
    /* Closing another fd of the file does not drop it ... */
    CHECK_OK(close(b));
    b = open_rw();
    CHECK_ERR(setlk(b, F_OFD_SETLK, F_RDLCK, 5, 1), EAGAIN);
    /* ... closing its description does. */
    CHECK_OK(close(a));
    CHECK_OK(setlk(b, F_OFD_SETLK, F_RDLCK, 5, 1));
    CHECK_OK(close(b));
}

static void cleanup(void)
{
    unlink(g_path);
}

int main(void)
{
    snprintf(g_path, sizeof(g_path), "/tmp/filelock.%d", (int)getpid());
    int fd = open(g_path, O_CREAT | O_EXCL | O_RDWR, 0644);
    if (fd < 0) {
        if (errno == EROFS || errno == EACCES)
            SKIP("/tmp is not writable");
        FAIL("creating %s: %s", g_path, strerror(errno));
    }
    atexit(cleanup);
    char buf[100] = {0};
    CHECK_EQ(write(fd, buf, sizeof(buf)), sizeof(buf));
    CHECK_OK(close(fd));
    RUN(flock_basics);
    RUN(flock_blocks);
    RUN(posix_ranges);
    RUN(posix_errors);
    RUN(posix_close_any_fd);
    RUN(posix_wait_and_deadlock);
    RUN(posix_wait_interrupted);
    RUN(ofd_locks);
    return 0;
}

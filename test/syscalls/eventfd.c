/* eventfd and eventfd2: flags (EFD_CLOEXEC, EFD_NONBLOCK, EFD_SEMAPHORE,
 * EINVAL), the counter (reads take it all, or 1 in semaphore mode), the
 * 8-byte rules (EINVAL for reads below 8 bytes, writes of another size
 * and UINT64_MAX), the overflow
 * limit 0xfffffffffffffffe (EAGAIN, or a blocked write), poll readiness,
 * blocking reads and writes woken by another thread and by another
 * process, signals (EINTR, SA_RESTART), fstat, /proc/self/fd and fdinfo. */
#include "check.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>

#define MAX_COUNT 0xfffffffffffffffeull

static uint64_t read_u64(int fd)
{
    uint64_t v = 0;
    CHECK_EQ(CHECK_OK(read(fd, &v, sizeof(v))), 8);
    return v;
}

static void write_u64(int fd, uint64_t v)
{
    CHECK_EQ(CHECK_OK(write(fd, &v, sizeof(v))), 8);
}

/* revents of fd for events, without waiting. */
static short revents(int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    CHECK_OK(poll(&p, 1, 0));
    return p.revents;
}

static void flags(void)
{
    int fd = CHECK_OK(syscall(SYS_eventfd2, 0, 0));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)), O_RDWR);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), 0);
    CHECK_OK(close(fd));
    fd = CHECK_OK(syscall(SYS_eventfd2, 0, EFD_CLOEXEC | EFD_NONBLOCK));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)), O_RDWR | O_NONBLOCK);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    CHECK_OK(close(fd));
    /* The old call has no flags. */
    fd = CHECK_OK(syscall(SYS_eventfd, 7));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)), O_RDWR);
    CHECK_EQ(read_u64(fd), 7);
    CHECK_OK(close(fd));
    CHECK_ERR(syscall(SYS_eventfd2, 0, O_APPEND), EINVAL);
    CHECK_ERR(syscall(SYS_eventfd2, 0, -1), EINVAL);

    /* An anonymous inode: no file type, 0600, size 0. */
    fd = CHECK_OK(eventfd(0, 0));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_mode & S_IFMT, 0);
    CHECK_EQ(st.st_mode & 07777, 0600);
    CHECK_EQ(st.st_size, 0);
    CHECK_OK(close(fd));
}

static void counter(void)
{
    int fd = CHECK_OK(eventfd(5, EFD_NONBLOCK));
    CHECK_EQ(read_u64(fd), 5);
    uint64_t v;
    CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
    write_u64(fd, 3);
    write_u64(fd, 4);
    write_u64(fd, 0); /* adds nothing */
    /* A bigger buffer still reads 8 bytes. */
    uint64_t two[2] = {0, 0x5555};
    CHECK_EQ(CHECK_OK(read(fd, two, sizeof(two))), 8);
    CHECK_EQ(two[0], 7);
    CHECK_EQ(two[1], 0x5555);
    /* Short buffers, zero-length ones too: EINVAL, the counter untouched. */
    write_u64(fd, 9);
    CHECK_ERR(read(fd, &v, 0), EINVAL);
    CHECK_ERR(write(fd, &v, 0), EINVAL);
    CHECK_ERR(read(fd, &v, 7), EINVAL);
    CHECK_ERR(read(fd, &v, 1), EINVAL);
    CHECK_ERR(write(fd, &v, 4), EINVAL);
    CHECK_ERR(write(fd, &v, 7), EINVAL);
    /* UINT64_MAX is never a value. */
    v = UINT64_MAX;
    CHECK_ERR(write(fd, &v, sizeof(v)), EINVAL);
    CHECK_ERR(write(fd, BAD_PTR, 8), EFAULT);
    CHECK_EQ(read_u64(fd), 9);
    /* A write is exactly 8 bytes. */
    uint64_t more[2] = {11, 12};
    CHECK_ERR(write(fd, more, sizeof(more)), EINVAL);
    CHECK_EQ(revents(fd, POLLIN), 0);
    /* readv reads the same way. */
    write_u64(fd, 2);
    struct iovec iov = {.iov_base = &v, .iov_len = sizeof(v)};
    CHECK_EQ(CHECK_OK(readv(fd, &iov, 1)), 8);
    CHECK_EQ(v, 2);
    CHECK_OK(close(fd));
}

static void semaphore(void)
{
    int fd = CHECK_OK(eventfd(3, EFD_SEMAPHORE | EFD_NONBLOCK));
    for (int i = 0; i < 3; i++)
        CHECK_EQ(read_u64(fd), 1);
    uint64_t v;
    CHECK_ERR(read(fd, &v, sizeof(v)), EAGAIN);
    write_u64(fd, 2);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_EQ(revents(fd, POLLIN), POLLIN);
    CHECK_EQ(read_u64(fd), 1);
    CHECK_EQ(revents(fd, POLLIN), 0);
    CHECK_OK(close(fd));
}

static void overflow(void)
{
    int fd = CHECK_OK(eventfd(0, EFD_NONBLOCK));
    /* Empty: writable only. */
    CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT);
    /* Only POLLIN and POLLOUT, never their NORM twins. */
    CHECK_EQ(revents(fd, POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM), POLLOUT);
    write_u64(fd, MAX_COUNT - 1);
    CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
    /* The largest count is 0xfffffffffffffffe: readable, not writable. */
    write_u64(fd, 1);
    CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLIN);
    uint64_t v = 1;
    CHECK_ERR(write(fd, &v, sizeof(v)), EAGAIN);
    /* Adding 0 is always possible. */
    write_u64(fd, 0);
    CHECK(read_u64(fd) == MAX_COUNT);
    CHECK_EQ(revents(fd, POLLIN | POLLOUT), POLLOUT);
    /* One write of the largest value. */
    write_u64(fd, MAX_COUNT);
    CHECK_ERR(write(fd, &v, sizeof(v)), EAGAIN);
    CHECK(read_u64(fd) == MAX_COUNT);
    CHECK_OK(close(fd));
}

struct delayed {
    int fd;
    int ms;
    uint64_t value;
    bool do_read;
    uint64_t got;
};

static void *delayed_io(void *arg)
{
    struct delayed *d = arg;
    check_sleep_ms(d->ms);
    if (d->do_read) {
        if (read(d->fd, &d->got, 8) != 8)
            d->got = 0;
    } else if (write(d->fd, &d->value, 8) != 8) {
        d->got = 1;
    }
    return NULL;
}

static void blocking_threads(void)
{
    int fd = CHECK_OK(eventfd(0, 0));
    /* A blocked read, woken by a write from another thread. */
    struct delayed d = {.fd = fd, .ms = 50, .value = 42};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, delayed_io, &d), 0);
    CHECK_EQ(read_u64(fd), 42);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(d.got, 0);
    /* A blocked write (the counter would pass the limit), woken by a read
     * from another thread. */
    write_u64(fd, MAX_COUNT);
    d = (struct delayed){.fd = fd, .ms = 50, .do_read = true};
    CHECK_EQ(pthread_create(&th, NULL, delayed_io, &d), 0);
    write_u64(fd, 5);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK(d.got == MAX_COUNT);
    CHECK_EQ(read_u64(fd), 5);
    CHECK_OK(close(fd));
}

static void blocking_process(void)
{
    int fd = CHECK_OK(eventfd(0, 0));
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        uint64_t v = 1234;
        _exit(write(fd, &v, 8) == 8 ? 0 : 1);
    }
    struct pollfd p = {.fd = fd, .events = POLLIN};
    CHECK_EQ(CHECK_OK(poll(&p, 1, 10000)), 1);
    CHECK_EQ(p.revents, POLLIN);
    CHECK_EQ(read_u64(fd), 1234);
    int st;
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    /* Shared across fork: the child reads what the parent writes. */
    c = CHECK_OK(fork());
    if (c == 0) {
        uint64_t v = 0;
        _exit(read(fd, &v, 8) == 8 && v == 77 ? 0 : 1);
    }
    check_sleep_ms(30);
    write_u64(fd, 77);
    CHECK_EQ(CHECK_OK(waitpid(c, &st, 0)), c);
    CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    CHECK_OK(close(fd));
}

static volatile sig_atomic_t g_sigs;

static void on_sig(int sig)
{
    g_sigs++;
}

struct kicker {
    pthread_t target;
    int fd;
    int write_after_ms; /* 0: signal until done, no write */
    volatile bool done;
};

static void *kick(void *arg)
{
    struct kicker *k = arg;
    do {
        check_sleep_ms(50);
        if (!k->done)
            pthread_kill(k->target, SIGUSR1);
    } while (!k->write_after_ms && !k->done);
    if (k->write_after_ms) {
        check_sleep_ms(k->write_after_ms);
        uint64_t v = 3;
        if (write(k->fd, &v, 8) != 8)
            abort();
    }
    return NULL;
}

static void signals(void)
{
    int fd = CHECK_OK(eventfd(0, 0));
    struct sigaction sa = {.sa_handler = on_sig}, old;
    CHECK_OK(sigaction(SIGUSR1, &sa, &old));
    /* No SA_RESTART: EINTR. */
    struct kicker k = {.target = pthread_self(), .fd = fd};
    pthread_t th;
    CHECK_EQ(pthread_create(&th, NULL, kick, &k), 0);
    uint64_t v;
    CHECK_ERR(read(fd, &v, sizeof(v)), EINTR);
    k.done = true;
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_GE(g_sigs, 1);
    /* SA_RESTART: the read goes on and gets the later write. */
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    int before = g_sigs;
    k = (struct kicker){.target = pthread_self(), .fd = fd, .write_after_ms = 50};
    CHECK_EQ(pthread_create(&th, NULL, kick, &k), 0);
    CHECK_EQ(read_u64(fd), 3);
    CHECK_EQ(pthread_join(th, NULL), 0);
    CHECK_EQ(g_sigs, before + 1);
    CHECK_OK(sigaction(SIGUSR1, &old, NULL));
    CHECK_OK(close(fd));
}

static void proc_files(void)
{
    int fd = CHECK_OK(eventfd(0x1234, EFD_SEMAPHORE));
    char path[64], buf[4096];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(path, buf, sizeof(buf) - 1);
    if (n < 0) {
        CHECK_OK(close(fd));
        return; /* no /proc */
    }
    buf[n] = 0;
    CHECK_STR(buf, "anon_inode:[eventfd]");
    snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
    if (check_read_text(path, buf, sizeof(buf))) {
        CHECK(strstr(buf, "eventfd-count:             1234\n") != NULL);
        CHECK(strstr(buf, "eventfd-semaphore: 1\n") != NULL);
    }
    CHECK_OK(close(fd));
}

int main(void)
{
    RUN(flags);
    RUN(counter);
    RUN(semaphore);
    RUN(overflow);
    RUN(blocking_threads);
    RUN(blocking_process);
    RUN(signals);
    RUN(proc_files);
    return 0;
}

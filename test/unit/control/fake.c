/* The fake backend and helpers (fake.h). */
#include "test/unit/control/fake.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "test/unit/harness.h"
#include "urpc/conn.h"
#include "urpc/proto/urpc.pb-c.h"

struct fake g_fake = {.lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER};

void fake_reset(void)
{
    /* Each test runs in a process of its own: only the defaults are set. */
    pthread_mutex_lock(&g_fake.lock);
    g_fake.nprocs = 1; /* init, pid 0 */
    g_fake.exec_pid = 7;
    pthread_mutex_unlock(&g_fake.lock);
}

void fake_add_proc(int pid)
{
    pthread_mutex_lock(&g_fake.lock);
    CHECK(g_fake.nprocs < FAKE_MAX_PROCS);
    g_fake.procs[g_fake.nprocs++] = (struct fake_proc){.pid = pid};
    pthread_mutex_unlock(&g_fake.lock);
}

static struct fake_proc *find_locked(int pid)
{
    for (int i = 0; i < g_fake.nprocs; i++)
        if (g_fake.procs[i].pid == pid)
            return &g_fake.procs[i];
    return NULL;
}

void fake_exit(int pid, int status)
{
    pthread_mutex_lock(&g_fake.lock);
    struct fake_proc *p = find_locked(pid);
    CHECK(p != NULL);
    p->exited = true;
    p->status = status;
    pthread_cond_broadcast(&g_fake.cond);
    pthread_mutex_unlock(&g_fake.lock);
}

static void deadline_in(struct timespec *ts, int sec)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += sec;
}

void fake_await_waiting(int n)
{
    struct timespec ts;
    deadline_in(&ts, 5);
    pthread_mutex_lock(&g_fake.lock);
    while (g_fake.waiting != n) {
        if (pthread_cond_timedwait(&g_fake.cond, &g_fake.lock, &ts) == ETIMEDOUT) {
            int w = g_fake.waiting;
            pthread_mutex_unlock(&g_fake.lock);
            ut_fail(__FILE__, __LINE__, "%d waits under way, expected %d", w, n);
        }
    }
    pthread_mutex_unlock(&g_fake.lock);
}

/* ---- the ops ------------------------------------------------------------- */

static int f_start_root(void *arg)
{
    struct fake *f = arg;
    pthread_mutex_lock(&f->lock);
    f->start_calls++;
    int r = f->start_rc ? f->start_rc : 1;
    pthread_mutex_unlock(&f->lock);
    return r;
}

static int f_wait(void *arg, int pid, int *status)
{
    struct fake *f = arg;
    pthread_mutex_lock(&f->lock);
    f->waiting++;
    pthread_cond_broadcast(&f->cond);
    int r = 0;
    struct fake_proc *p = find_locked(pid);
    if (!p || p->reaped) {
        r = -ECHILD;
    } else {
        while (!p->exited)
            pthread_cond_wait(&f->cond, &f->lock);
        *status = p->status;
        if (pid != 0)
            p->reaped = true;
    }
    f->waiting--;
    f->wait_calls++;
    pthread_cond_broadcast(&f->cond);
    pthread_mutex_unlock(&f->lock);
    return r;
}

static int f_signal(void *arg, enum control_target target, int pid, int signo)
{
    struct fake *f = arg;
    pthread_mutex_lock(&f->lock);
    f->sig_calls++;
    f->sig_target = target;
    f->sig_pid = pid;
    f->sig_signo = signo;
    int r = f->sig_rc;
    pthread_mutex_unlock(&f->lock);
    return r;
}

static int f_processes(void *arg, struct control_ps_entry **out, size_t *count)
{
    struct fake *f = arg;
    if (f->processes_rc)
        return f->processes_rc;
    struct control_ps_entry *e = calloc(2, sizeof(*e));
    e[0] = (struct control_ps_entry){.pid = 1,
                                     .ppid = 0,
                                     .pgid = 1,
                                     .sid = 1,
                                     .uid = 0,
                                     .state = 'S',
                                     .start_time_ns = 5,
                                     .cpu_time_ns = 1000};
    strcpy(e[0].comm, "sh");
    e[0].cmd = strdup("/bin/sh -c sleep 100");
    e[1] = (struct control_ps_entry){.pid = 2,
                                     .ppid = 1,
                                     .pgid = 1,
                                     .sid = 1,
                                     .uid = 1000,
                                     .state = 'Z',
                                     .start_time_ns = 9,
                                     .cpu_time_ns = 2};
    strcpy(e[1].comm, "sleep");
    e[1].cmd = NULL; /* a zombie: no memory to read */
    *out = e;
    *count = 2;
    return 0;
}

static void join(char *dst, size_t size, char *const *v)
{
    dst[0] = '\0';
    for (size_t i = 0; v[i]; i++) {
        if (i)
            strncat(dst, "|", size - strlen(dst) - 1);
        strncat(dst, v[i], size - strlen(dst) - 1);
    }
}

static int f_execute(void *arg, const struct control_exec_args *e, int *pid, char *msg,
                     size_t msg_size)
{
    struct fake *f = arg;
    pthread_mutex_lock(&f->lock);
    f->exec_calls++;
    join(f->exec_argv, sizeof(f->exec_argv), e->argv);
    join(f->exec_envp, sizeof(f->exec_envp), e->envp);
    snprintf(f->exec_cwd, sizeof(f->exec_cwd), "%s", e->cwd);
    f->exec_uid = e->uid;
    f->exec_gid = e->gid;
    f->exec_ngroups = e->ngroups;
    for (size_t i = 0; i < e->ngroups && i < 4; i++)
        f->exec_groups[i] = e->groups[i];
    uint64_t caps[5] = {e->cap_effective, e->cap_permitted, e->cap_inheritable, e->cap_bounding,
                        e->cap_ambient};
    memcpy(f->exec_caps, caps, sizeof(caps));
    f->exec_nnp = e->no_new_privs;
    f->exec_terminal = e->terminal;
    for (int i = 0; i < 3; i++) {
        struct stat st;
        CHECK(fstat(e->stdio[i], &st) == 0);
        f->stdio_dev[i] = st.st_dev;
        f->stdio_ino[i] = st.st_ino;
    }
    int r = f->exec_rc;
    if (r < 0 && f->exec_msg[0])
        snprintf(msg, msg_size, "%s", f->exec_msg);
    if (r == 0) {
        *pid = f->exec_pid;
        if (f->nprocs < FAKE_MAX_PROCS)
            f->procs[f->nprocs++] = (struct fake_proc){.pid = f->exec_pid};
    }
    pthread_mutex_unlock(&f->lock);
    return r;
}

static int f_pause(void *arg)
{
    ((struct fake *)arg)->pause_calls++;
    return 0;
}

static int f_resume(void *arg)
{
    ((struct fake *)arg)->resume_calls++;
    return 0;
}

static int f_event(void *arg, struct control_usage *out)
{
    ((struct fake *)arg)->event_calls++;
    out->memory_usage = 123 * 4096;
    out->memory_limit = 1 << 30;
    out->pids = 3;
    out->cpu_time_ns = 42;
    return 0;
}

static int f_shutdown(void *arg)
{
    ((struct fake *)arg)->shutdown_calls++;
    return 0;
}

const struct control_backend fake_backend = {
    .start_root = f_start_root,
    .wait = f_wait,
    .signal = f_signal,
    .processes = f_processes,
    .execute = f_execute,
    .pause = f_pause,
    .resume = f_resume,
    .event = f_event,
    .shutdown = f_shutdown,
};

const struct control_backend empty_backend = {0};

/* ---- server and clients -------------------------------------------------- */

void server_start(struct server *s, const struct control_backend *be)
{
    server_start_arg(s, be, &g_fake);
}

void server_start_arg(struct server *s, const struct control_backend *be, void *arg)
{
    static int n;
    snprintf(s->path, sizeof(s->path), "%s/runsc-test-%d.sock", ut_tmpdir(), n++);
    int fd = -1;
    CHECK_INT(urpc_listen(s->path, &fd), ==, 0);
    CHECK_INT(control_server_start(fd, be, arg, &s->srv), ==, 0);
}

void server_stop(struct server *s)
{
    control_server_stop(s->srv);
    s->srv = NULL;
    unlink(s->path);
}

struct control_client *client(struct server *s)
{
    struct control_client *c = NULL;
    rs_error_t err = NULL;
    if (control_connect(s->path, &c, &err) < 0)
        ut_fail(__FILE__, __LINE__, "%s", err->msg);
    return c;
}

int raw_connect(struct server *s)
{
    int fd = -1;
    CHECK_INT(urpc_connect(s->path, &fd), ==, 0);
    struct timeval tv = {.tv_sec = 5};
    CHECK(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == 0);
    return fd;
}

void raw_send(int fd, uint32_t method, uint64_t id, const void *payload, size_t size,
              const int *fds, size_t nfds)
{
    struct urpc_hdr h = {.kind = URPC_KIND_CALL,
                         .fd_count = (uint8_t)nfds,
                         .payload_size = (uint32_t)size,
                         .method = method,
                         .id = id};
    uint8_t buf[URPC_HDR_SIZE + 256];
    CHECK(size <= 256);
    urpc_hdr_encode(&h, buf);
    if (size)
        memcpy(buf + URPC_HDR_SIZE, payload, size);
    struct iovec iov = {.iov_base = buf, .iov_len = URPC_HDR_SIZE + size};
    union {
        char b[CMSG_SPACE(sizeof(int) * URPC_MAX_FDS)];
        struct cmsghdr align;
    } cbuf;
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1};
    if (nfds) {
        m.msg_control = cbuf.b;
        m.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&m);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
        memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
    }
    CHECK_INT(sendmsg(fd, &m, MSG_NOSIGNAL), ==, (ssize_t)iov.iov_len);
}

struct urpc_frame *raw_recv(int fd)
{
    int d = dup(fd);
    CHECK(d >= 0);
    struct urpc_conn *c = NULL;
    CHECK_INT(urpc_conn_new(d, &c), ==, 0);
    struct urpc_frame *f = NULL;
    int r = urpc_conn_recv(c, &f);
    urpc_conn_free(c);
    if (r == 0 || r == -ECONNRESET)
        return NULL;
    if (r != 1)
        ut_fail(__FILE__, __LINE__, "receiving a reply: %s", strerror(-r));
    return f;
}

const char *raw_expect_error(int fd, uint64_t id, int errnum)
{
    static char msg[512];
    struct urpc_frame *f = raw_recv(fd);
    CHECK(f != NULL);
    CHECK_INT(f->hdr.kind, ==, URPC_KIND_REPLY);
    CHECK_INT(f->hdr.id, ==, id);
    CHECK(f->hdr.flags & URPC_FLAG_ERROR);
    Urpc__Error *e = urpc__error__unpack(NULL, f->hdr.payload_size, f->payload);
    CHECK(e != NULL);
    CHECK_INT(e->errnum, ==, errnum);
    snprintf(msg, sizeof(msg), "%s", e->message ? e->message : "");
    urpc__error__free_unpacked(e, NULL);
    urpc_frame_free(f);
    return msg;
}

bool eventually(bool (*pred)(void *), void *arg)
{
    for (int i = 0; i < 5000; i++) {
        if (pred(arg))
            return true;
        usleep(1000);
    }
    return pred(arg);
}

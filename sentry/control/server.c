/* The control server's loop: libuv on one host thread, the controller
 * socket, connections driven through urpc's connection-level API, and the
 * deferred replies of Control.Wait.
 *
 * Every connection is a uv_poll_t on the socket's fd wrapped in a
 * urpc_conn. libuv polls level-triggered; a connection is polled for
 * reading, or for writing while replies wait in its send queue. Frames are
 * dispatched to urpc_server_handle (methods that reply at once,
 * handlers.c), except Control.Wait: it is answered later, from a thread of
 * its own that blocks in backend->wait.
 *
 * Waits and the loop meet in a refcounted "hub": a finished wait puts its
 * result on hub->done and wakes the loop through a uv_async_t; the loop
 * sends the reply if the connection is still there. When the server stops,
 * it first lets the pending waits finish for a while (draining), then the
 * hub is marked dead and a wait that finishes later frees itself. The
 * loop owns everything else; a wait thread touches only its own op (pid,
 * status, err) and the hub.
 *
 * Lock order: hub->lock is a leaf (no sentry lock is held with it). */
#include "sentry/control/server.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "lib/log.h"
#include "sentry/control/internal.h"
#include "urpc/conn.h"
#include "urpc/methods.h"
#include "urpc/proto/control.pb-c.h"
#include "urpc/proto/urpc.pb-c.h"

#define FRAMES_PER_WAKEUP 16
#define ACCEPTS_PER_WAKEUP 16
#define ACCEPT_BACKOFF_MS 100
#define MAX_WAITS_PER_CONN 64
#define MAX_WAITS 1024
#define WAIT_THREAD_STACK_SIZE (128 << 10)
#define STOP_FLUSH_MS 1000
#define STOP_DRAIN_MS 1000

struct conn;

/* Where finished waits meet the loop. refs: the server's, one per thread. */
struct wait_hub {
    pthread_mutex_t lock;
    int refs;
    bool alive;           /* the server's loop still runs */
    uv_async_t *async;    /* wakes the loop; valid while alive */
    struct wait_op *done; /* finished waits, for the loop */
};

/* One pending Control.Wait. Owned by its thread until it is put on
 * hub->done (or freed by it when the hub is dead); then by the loop. */
struct wait_op {
    /* Written by the thread before it hands the op over. */
    int status, err;
    /* Read-only for the thread. */
    int pid;
    const struct control_backend *be;
    void *arg;
    struct wait_hub *hub;
    struct wait_op *next; /* hub->done (hub->lock) */
    /* Loop thread only. */
    struct conn *conn; /* NULL once the connection is gone */
    struct urpc_hdr call;
    struct wait_op *lprev, *lnext; /* server->waits */
};

struct conn {
    uv_poll_t poll; /* data: this conn */
    struct control_server *s;
    struct urpc_conn *uc;
    struct conn *prev, *next;
    unsigned waits; /* pending Control.Wait calls */
    int events;     /* what poll runs with */
    bool closing;
};

struct control_server {
    uv_loop_t loop;
    uv_poll_t listen_poll;
    uv_timer_t accept_timer;
    uv_async_t stop_async;
    uv_async_t wait_async;
    int listen_fd;
    struct urpc_server *urpc;
    const struct control_backend *be;
    void *arg;
    pthread_t thread;
    sem_t started;
    int start_rc;
    /* Loop thread only. */
    struct conn *conns;
    size_t conn_count;
    struct wait_op *waits;
    size_t wait_count;
    struct wait_hub *hub;
    bool root_started;
    int root_pid;
    bool stopping; /* draining the pending waits */
    bool stopped;  /* handles closed */
};

/* ---- for handlers.c ------------------------------------------------------ */

const struct control_backend *control_server_backend(struct control_server *s, void **arg)
{
    *arg = s->arg;
    return s->be;
}

bool control_server_root_started(struct control_server *s, int *pid)
{
    *pid = s->root_pid;
    return s->root_started;
}

void control_server_set_root_started(struct control_server *s, int pid)
{
    s->root_started = true;
    s->root_pid = pid;
}

/* ---- the wait hub -------------------------------------------------------- */

static void hub_put(struct wait_hub *hub)
{
    pthread_mutex_lock(&hub->lock);
    bool last = --hub->refs == 0;
    pthread_mutex_unlock(&hub->lock);
    if (last) {
        pthread_mutex_destroy(&hub->lock);
        free(hub);
    }
}

static void *wait_thread(void *p)
{
    struct wait_op *op = p;
    struct wait_hub *hub = op->hub;
    int status = 0;
    int r = op->be->wait(op->arg, op->pid, &status);
    op->err = r < 0 ? r : 0;
    op->status = status;
    pthread_mutex_lock(&hub->lock);
    if (hub->alive) {
        op->next = hub->done;
        hub->done = op;
        uv_async_send(hub->async);
        op = NULL;
    }
    pthread_mutex_unlock(&hub->lock);
    free(op); /* the server is gone: nobody to answer */
    hub_put(hub);
    return NULL;
}

/* ---- connections --------------------------------------------------------- */

static void on_conn(uv_poll_t *h, int status, int events);

static void on_conn_closed(uv_handle_t *h)
{
    struct conn *c = h->data;
    urpc_conn_free(c->uc);
    free(c);
}

static void conn_close(struct conn *c)
{
    if (c->closing)
        return;
    c->closing = true;
    struct control_server *s = c->s;
    if (c->prev)
        c->prev->next = c->next;
    else
        s->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    s->conn_count--;
    /* Waits of this connection go on; their replies are dropped. */
    for (struct wait_op *op = s->waits; op && c->waits; op = op->lnext)
        if (op->conn == c) {
            op->conn = NULL;
            c->waits--;
        }
    uv_poll_stop(&c->poll);
    uv_close((uv_handle_t *)&c->poll, on_conn_closed);
}

/* Polls for writing while replies are queued, else for reading. Returns
 * false (and closes c) when libuv refuses. */
static bool conn_update(struct conn *c)
{
    int want = urpc_conn_pending(c->uc) ? UV_WRITABLE : UV_READABLE;
    if (want == c->events)
        return true;
    int r = uv_poll_start(&c->poll, want, on_conn);
    if (r < 0) {
        log_warn("control: polling a connection: %s", uv_strerror(r));
        conn_close(c);
        return false;
    }
    c->events = want;
    return true;
}

/* An error reply built here (for the calls the urpc server does not see). */
static int send_error(struct conn *c, const struct urpc_hdr *call, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int send_error(struct conn *c, const struct urpc_hdr *call, int errnum, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    Urpc__Error e = URPC__ERROR__INIT;
    e.errnum = errnum;
    e.message = msg;
    struct urpc_hdr h = {
        .kind = URPC_KIND_REPLY, .flags = URPC_FLAG_ERROR, .method = call->method, .id = call->id};
    return urpc_conn_send(c->uc, &h, &e.base, NULL, 0);
}

static void wait_unlink(struct control_server *s, struct wait_op *op)
{
    if (op->lprev)
        op->lprev->lnext = op->lnext;
    else
        s->waits = op->lnext;
    if (op->lnext)
        op->lnext->lprev = op->lprev;
    s->wait_count--;
}

/* Control.Wait: unpacks the call and starts its thread. The frame is
 * consumed. Returns -errno when the connection must be closed. */
static int wait_start(struct conn *c, struct urpc_frame *f)
{
    struct control_server *s = c->s;
    struct urpc_hdr call = f->hdr;
    Control__WaitRequest *w = control__wait_request__unpack(NULL, f->hdr.payload_size, f->payload);
    urpc_frame_free(f); /* a Wait carries no fds: any that came are closed */
    if (!w)
        return send_error(c, &call, EINVAL, "malformed Control.Wait request (%u bytes)",
                          call.payload_size);
    int pid = w->pid;
    control__wait_request__free_unpacked(w, NULL);
    if (pid < 0)
        return send_error(c, &call, EINVAL, "Control.Wait: bad pid %d", pid);
    if (!s->be->wait)
        return send_error(c, &call, ENOSYS, "Control.Wait is not served by this sandbox");
    if (c->waits >= MAX_WAITS_PER_CONN || s->wait_count >= MAX_WAITS)
        return send_error(c, &call, EAGAIN, "Control.Wait: too many waits under way");

    struct wait_op *op = calloc(1, sizeof(*op));
    if (!op)
        return send_error(c, &call, ENOMEM, "Control.Wait: out of memory");
    op->pid = pid;
    op->be = s->be;
    op->arg = s->arg;
    op->hub = s->hub;
    op->conn = c;
    op->call = call;
    pthread_mutex_lock(&s->hub->lock);
    s->hub->refs++;
    pthread_mutex_unlock(&s->hub->lock);

    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, WAIT_THREAD_STACK_SIZE);
    pthread_t th;
    /* Linked first: the thread may finish before pthread_create returns,
     * but the loop (this thread) only looks at hub->done later. */
    op->lnext = s->waits;
    if (s->waits)
        s->waits->lprev = op;
    s->waits = op;
    s->wait_count++;
    c->waits++;
    int r = pthread_create(&th, &attr, wait_thread, op);
    pthread_attr_destroy(&attr);
    if (r != 0) {
        wait_unlink(s, op);
        c->waits--;
        free(op);
        hub_put(s->hub);
        return send_error(c, &call, EAGAIN, "Control.Wait: starting a thread: %s", strerror(r));
    }
    return 0;
}

static void finish_stop(struct control_server *s);

/* Waits finished: answer those whose connection is still open. */
static void on_waits_done(uv_async_t *h)
{
    struct control_server *s = h->data;
    if (s->stopped)
        return;
    pthread_mutex_lock(&s->hub->lock);
    struct wait_op *done = s->hub->done;
    s->hub->done = NULL;
    pthread_mutex_unlock(&s->hub->lock);
    while (done) {
        struct wait_op *op = done;
        done = op->next;
        wait_unlink(s, op);
        struct conn *c = op->conn;
        if (c) {
            c->waits--;
            int r;
            if (op->err == -ECHILD) {
                r = send_error(c, &op->call, ECHILD,
                               "Control.Wait: no process %d to wait for (not started by "
                               "Execute, or already waited for)",
                               op->pid);
            } else if (op->err < 0) {
                char buf[128];
                int e = -op->err > 4095 ? EIO : -op->err;
                r = send_error(c, &op->call, e, "Control.Wait: pid %d: %s", op->pid,
                               strerror_r(e, buf, sizeof(buf)));
            } else {
                Control__WaitReply out = CONTROL__WAIT_REPLY__INIT;
                out.status = op->status;
                struct urpc_hdr rh = {
                    .kind = URPC_KIND_REPLY, .method = op->call.method, .id = op->call.id};
                r = urpc_conn_send(c->uc, &rh, &out.base, NULL, 0);
            }
            if (r < 0)
                conn_close(c);
            else
                conn_update(c);
        }
        free(op);
    }
    if (s->stopping && s->wait_count == 0)
        finish_stop(s);
}

static int dispatch(struct conn *c, struct urpc_frame *f)
{
    if (f->hdr.kind == URPC_KIND_CALL && f->hdr.method == URPC_METHOD_CONTROL_WAIT)
        return wait_start(c, f);
    return urpc_server_handle(c->s->urpc, c->uc, f);
}

static void on_conn(uv_poll_t *h, int status, int events)
{
    struct conn *c = h->data;
    if (status < 0) {
        conn_close(c);
        return;
    }
    if (urpc_conn_pending(c->uc)) {
        int r = urpc_conn_flush(c->uc);
        if (r < 0 && r != -EAGAIN) {
            conn_close(c);
            return;
        }
    }
    /* At most FRAMES_PER_WAKEUP calls, and none while replies are queued:
     * the loop is level-triggered and comes back. */
    for (int i = 0; i < FRAMES_PER_WAKEUP && !urpc_conn_pending(c->uc); i++) {
        struct urpc_frame *f = NULL;
        int r = urpc_conn_recv(c->uc, &f);
        if (r == -EAGAIN)
            break;
        if (r <= 0) {
            if (r < 0)
                log_debug("control: closing a connection: %s", strerror(-r));
            conn_close(c); /* EOF, or a stream that cannot be trusted */
            return;
        }
        r = dispatch(c, f);
        if (r < 0) {
            conn_close(c);
            return;
        }
    }
    conn_update(c);
}

static void conn_add(struct control_server *s, int fd)
{
    if (s->conn_count >= URPC_SERVER_MAX_CONNS) {
        log_debug("control: too many connections, dropping one");
        close(fd);
        return;
    }
    struct conn *c = calloc(1, sizeof(*c));
    if (!c) {
        close(fd);
        return;
    }
    int r = urpc_conn_new(fd, &c->uc); /* owns fd from now on */
    if (r < 0) {
        free(c);
        return;
    }
    c->s = s;
    r = uv_poll_init(&s->loop, &c->poll, fd);
    if (r < 0) {
        log_warn("control: polling a connection: %s", uv_strerror(r));
        urpc_conn_free(c->uc);
        free(c);
        return;
    }
    c->poll.data = c;
    c->next = s->conns;
    if (s->conns)
        s->conns->prev = c;
    s->conns = c;
    s->conn_count++;
    r = uv_poll_start(&c->poll, UV_READABLE, on_conn);
    if (r < 0) {
        conn_close(c);
        return;
    }
    c->events = UV_READABLE;
}

static void on_listen(uv_poll_t *h, int status, int events);

static void on_accept_timer(uv_timer_t *t)
{
    struct control_server *s = t->data;
    int r = uv_poll_start(&s->listen_poll, UV_READABLE, on_listen);
    if (r < 0)
        log_warn("control: polling the controller socket: %s", uv_strerror(r));
}

static void on_listen(uv_poll_t *h, int status, int events)
{
    struct control_server *s = h->data;
    if (status < 0)
        log_debug("control: controller socket: %s", uv_strerror(status));
    for (int i = 0; i < ACCEPTS_PER_WAKEUP; i++) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) {
            conn_add(s, fd);
            continue;
        }
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
            continue;
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
            /* Level-triggered: back off instead of spinning. */
            log_warn("control: accept: %s", strerror(errno));
            uv_poll_stop(&s->listen_poll);
            uv_timer_start(&s->accept_timer, on_accept_timer, ACCEPT_BACKOFF_MS, 0);
        }
        return; /* EAGAIN, or nothing to do about it here */
    }
}

/* ---- start and stop ------------------------------------------------------ */

static long ms_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Best effort: the replies already queued (Shutdown's above all) go out. */
static void flush_all(struct control_server *s)
{
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (struct conn *c = s->conns; c; c = c->next) {
        while (urpc_conn_pending(c->uc)) {
            long left = STOP_FLUSH_MS - ms_since(&t0);
            if (left <= 0)
                return;
            struct pollfd pfd = {.fd = urpc_conn_fd(c->uc), .events = POLLOUT};
            if (poll(&pfd, 1, (int)left) <= 0 && errno != EINTR)
                break;
            int r = urpc_conn_flush(c->uc);
            if (r < 0 && r != -EAGAIN)
                break;
        }
    }
}

/* Closes everything; waits still under way are left to their threads. */
static void finish_stop(struct control_server *s)
{
    if (s->stopped)
        return;
    s->stopped = true;
    pthread_mutex_lock(&s->hub->lock);
    s->hub->alive = false;
    struct wait_op *done = s->hub->done;
    s->hub->done = NULL;
    pthread_mutex_unlock(&s->hub->lock);
    while (done) {
        struct wait_op *op = done;
        done = op->next;
        free(op);
    }
    /* The other waits belong to their threads now. */
    s->waits = NULL;
    s->wait_count = 0;
    hub_put(s->hub);
    s->hub = NULL;

    flush_all(s);
    while (s->conns)
        conn_close(s->conns);
    uv_close((uv_handle_t *)&s->listen_poll, NULL);
    uv_close((uv_handle_t *)&s->accept_timer, NULL);
    uv_close((uv_handle_t *)&s->wait_async, NULL);
    uv_close((uv_handle_t *)&s->stop_async, NULL);
}

static void on_drain_timeout(uv_timer_t *t)
{
    struct control_server *s = t->data;
    on_waits_done(&s->wait_async); /* those that finished just now */
    finish_stop(s);
}

/* Stop: no new connections; the waits under way get up to STOP_DRAIN_MS to
 * finish and be answered (a sandbox stops when its init exited: the waits
 * for it, and for the processes killed with it, finish at once), then
 * queued replies are flushed and everything is closed. */
static void on_stop(uv_async_t *h)
{
    struct control_server *s = h->data;
    if (s->stopping)
        return;
    s->stopping = true;
    uv_poll_stop(&s->listen_poll);
    uv_timer_stop(&s->accept_timer);
    on_waits_done(&s->wait_async);
    if (s->stopped)
        return; /* no wait was left */
    uv_timer_start(&s->accept_timer, on_drain_timeout, STOP_DRAIN_MS, 0);
}

/* Sets up the loop and its handles on the loop thread. On failure nothing
 * is left open (but the listen fd). */
static int loop_setup(struct control_server *s)
{
    int r = uv_loop_init(&s->loop);
    if (r < 0)
        return r;
    uv_handle_t *inited[4];
    int n = 0;
    r = uv_async_init(&s->loop, &s->stop_async, on_stop);
    if (r == 0) {
        inited[n++] = (uv_handle_t *)&s->stop_async;
        r = uv_async_init(&s->loop, &s->wait_async, on_waits_done);
    }
    if (r == 0) {
        inited[n++] = (uv_handle_t *)&s->wait_async;
        r = uv_timer_init(&s->loop, &s->accept_timer);
    }
    if (r == 0) {
        inited[n++] = (uv_handle_t *)&s->accept_timer;
        r = uv_poll_init(&s->loop, &s->listen_poll, s->listen_fd);
    }
    if (r == 0) {
        inited[n++] = (uv_handle_t *)&s->listen_poll;
        s->listen_poll.data = s->stop_async.data = s->wait_async.data = s->accept_timer.data = s;
        r = uv_poll_start(&s->listen_poll, UV_READABLE, on_listen);
    }
    if (r == 0)
        return 0;
    for (int i = 0; i < n; i++)
        uv_close(inited[i], NULL);
    uv_run(&s->loop, UV_RUN_DEFAULT);
    uv_loop_close(&s->loop);
    return r;
}

static void *loop_main(void *p)
{
    struct control_server *s = p;
    int r = loop_setup(s);
    s->start_rc = r;
    sem_post(&s->started);
    if (r < 0)
        return NULL;
    uv_run(&s->loop, UV_RUN_DEFAULT);
    r = uv_loop_close(&s->loop);
    if (r < 0)
        log_warn("control: closing the loop: %s", uv_strerror(r));
    return NULL;
}

static void server_free(struct control_server *s)
{
    urpc_server_free(s->urpc);
    if (s->hub)
        hub_put(s->hub);
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    sem_destroy(&s->started);
    free(s);
}

int control_server_start(int listen_fd, const struct control_backend *be, void *arg,
                         struct control_server **out)
{
    struct control_server *s = calloc(1, sizeof(*s));
    if (!s) {
        close(listen_fd);
        return -ENOMEM;
    }
    s->listen_fd = listen_fd;
    s->be = be;
    s->arg = arg;
    sem_init(&s->started, 0, 0);
    int fl = fcntl(listen_fd, F_GETFL);
    if (fl < 0 || fcntl(listen_fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        int r = -errno;
        server_free(s);
        return r;
    }
    s->hub = calloc(1, sizeof(*s->hub));
    if (!s->hub) {
        server_free(s);
        return -ENOMEM;
    }
    pthread_mutex_init(&s->hub->lock, NULL);
    s->hub->refs = 1;
    s->hub->alive = true;
    s->hub->async = &s->wait_async;
    int r = urpc_server_new(&s->urpc);
    if (r == 0)
        r = control_register_handlers(s->urpc, s);
    if (r < 0) {
        server_free(s);
        return r;
    }
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setstacksize(&attr, 256 << 10);
    r = -pthread_create(&s->thread, &attr, loop_main, s);
    pthread_attr_destroy(&attr);
    if (r < 0) {
        server_free(s);
        return r;
    }
    while (sem_wait(&s->started) < 0 && errno == EINTR) {
    }
    if (s->start_rc < 0) {
        r = s->start_rc;
        pthread_join(s->thread, NULL);
        server_free(s);
        return r;
    }
    *out = s;
    return 0;
}

void control_server_stop(struct control_server *s)
{
    if (!s)
        return;
    uv_async_send(&s->stop_async);
    pthread_join(s->thread, NULL);
    server_free(s);
}

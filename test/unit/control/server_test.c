/* The control server (sentry/control/server.c, handlers.c) driven by the
 * runsc client (runsc/sandbox/control_client.c) over a real unix socket,
 * with a fake backend. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "test/unit/control/fake.h"
#include "test/unit/harness.h"
#include "urpc/client.h"
#include "urpc/methods.h"
#include "urpc/proto/control.pb-c.h"
#include "urpc/proto/urpc.pb-c.h"

/* Runs call (which takes &err), expects -errnum, returns the message. */
#define CHECK_FAILS(errnum, call_with_err)                                                         \
    ({                                                                                             \
        rs_error_t err = NULL;                                                                     \
        int fr_ = (call_with_err);                                                                 \
        CHECK_INT(fr_, ==, -(errnum));                                                             \
        CHECK(err != NULL);                                                                        \
        CHECK_INT(err->status, ==, (errnum));                                                      \
        static char fmsg_[512];                                                                    \
        snprintf(fmsg_, sizeof(fmsg_), "%s", err->msg);                                            \
        rs_error_release(&err);                                                                    \
        fmsg_;                                                                                     \
    })

static void ok(int r, rs_error_t *err, int line)
{
    if (r < 0)
        ut_fail(__FILE__, line, "call failed: %s", *err ? (*err)->msg : "(no message)");
}
#define OK(expr)                                                                                   \
    do {                                                                                           \
        rs_error_t err = NULL;                                                                     \
        ok((expr), &err, __LINE__);                                                                \
    } while (0)

/* A server with the fake backend (reset) and a client connected to it. */
static struct control_client *fake_start(struct server *s)
{
    fake_reset();
    server_start(s, &fake_backend);
    return client(s);
}

static void fake_stop(struct control_client *c, struct server *s)
{
    control_close(c);
    server_stop(s);
}

TEST(start_root_once)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    OK(control_start_root(c, &err));
    CHECK_INT(g_fake.start_calls, ==, 1);
    const char *m = CHECK_FAILS(EALREADY, control_start_root(c, &err));
    CHECK_CONTAINS(m, "Control.StartRoot");
    CHECK_CONTAINS(m, "already started (pid 1)");
    CHECK_INT(g_fake.start_calls, ==, 1);
    fake_stop(c, &s);
}

TEST(start_root_failure_can_be_retried)
{
    fake_reset();
    g_fake.start_rc = -ENOEXEC;
    struct server s;
    server_start(&s, &fake_backend);
    struct control_client *c = client(&s);
    const char *m = CHECK_FAILS(ENOEXEC, control_start_root(c, &err));
    CHECK_CONTAINS(m, "Control.StartRoot: Exec format error");
    g_fake.start_rc = 0;
    OK(control_start_root(c, &err));
    CHECK_INT(g_fake.start_calls, ==, 2);
    fake_stop(c, &s);
}

TEST(signal_modes)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    OK(control_signal(c, CONTROL_SIGNAL_INIT, 0, SIGTERM, &err));
    CHECK_INT(g_fake.sig_target, ==, CONTROL_TARGET_INIT);
    CHECK_INT(g_fake.sig_signo, ==, SIGTERM);
    OK(control_signal(c, CONTROL_SIGNAL_ALL, 0, SIGKILL, &err));
    CHECK_INT(g_fake.sig_target, ==, CONTROL_TARGET_ALL);
    CHECK_INT(g_fake.sig_signo, ==, SIGKILL);
    OK(control_signal(c, CONTROL_SIGNAL_PID, 42, SIGUSR1, &err));
    CHECK_INT(g_fake.sig_target, ==, CONTROL_TARGET_PID);
    CHECK_INT(g_fake.sig_pid, ==, 42);
    CHECK_INT(g_fake.sig_signo, ==, SIGUSR1);
    OK(control_signal(c, CONTROL_SIGNAL_INIT, 0, 0, &err)); /* existence check */
    CHECK_INT(g_fake.sig_calls, ==, 4);

    g_fake.sig_rc = -ESRCH;
    const char *m = CHECK_FAILS(ESRCH, control_signal(c, CONTROL_SIGNAL_PID, 42, SIGTERM, &err));
    CHECK_STR(m, "Control.Signal: no process 42: No such process");
    m = CHECK_FAILS(ESRCH, control_signal(c, CONTROL_SIGNAL_INIT, 0, SIGTERM, &err));
    CHECK_CONTAINS(m, "init is not running");

    /* Checked by the server before the backend sees them. */
    g_fake.sig_rc = 0;
    int calls = g_fake.sig_calls;
    m = CHECK_FAILS(EINVAL, control_signal(c, CONTROL_SIGNAL_INIT, 0, 65, &err));
    CHECK_CONTAINS(m, "bad signal number 65");
    CHECK_FAILS(EINVAL, control_signal(c, CONTROL_SIGNAL_INIT, 0, -1, &err));
    m = CHECK_FAILS(EINVAL, control_signal(c, CONTROL_SIGNAL_PID, 0, SIGTERM, &err));
    CHECK_CONTAINS(m, "bad pid 0");
    m = CHECK_FAILS(EINVAL, control_signal(c, (enum control_signal_mode)7, 0, SIGTERM, &err));
    CHECK_CONTAINS(m, "unknown mode 7");
    CHECK_INT(g_fake.sig_calls, ==, calls);
    fake_stop(c, &s);
}

TEST(processes_round_trip)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    struct control_process *ps = NULL;
    size_t n = 0;
    OK(control_processes(c, &ps, &n, &err));
    CHECK_INT(n, ==, 2);
    CHECK_INT(ps[0].pid, ==, 1);
    CHECK_INT(ps[0].ppid, ==, 0);
    CHECK_STR(ps[0].state, "S");
    CHECK_STR(ps[0].comm, "sh");
    CHECK_STR(ps[0].cmd, "/bin/sh -c sleep 100");
    CHECK_INT(ps[0].start_time_ns, ==, 5);
    CHECK_INT(ps[0].cpu_time_ns, ==, 1000);
    CHECK_INT(ps[1].pid, ==, 2);
    CHECK_INT(ps[1].ppid, ==, 1);
    CHECK_INT(ps[1].uid, ==, 1000);
    CHECK_INT(ps[1].pgid, ==, 1);
    CHECK_INT(ps[1].sid, ==, 1);
    CHECK_STR(ps[1].state, "Z");
    CHECK_STR(ps[1].cmd, "sleep"); /* no cmdline: the comm */
    control_processes_free(ps, n);

    g_fake.processes_rc = -ENOMEM;
    const char *m = CHECK_FAILS(ENOMEM, control_processes(c, &ps, &n, &err));
    CHECK_CONTAINS(m, "Control.Processes");
    CHECK(ps == NULL);
    CHECK_INT(n, ==, 0);
    control_processes_free(ps, n);
    fake_stop(c, &s);
}

static int tmpfile_fd(const char *name)
{
    char path[512];
    snprintf(path, sizeof(path), "%s/%s", ut_tmpdir(), name);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    CHECK(fd >= 0);
    return fd;
}

static void check_same_file(int fd, dev_t dev, ino_t ino)
{
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    CHECK_INT(st.st_dev, ==, dev);
    CHECK_INT(st.st_ino, ==, ino);
}

TEST(execute_passes_stdio_fds)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    int fds[3] = {tmpfile_fd("in"), tmpfile_fd("out"), tmpfile_fd("err")};
    struct control_event ev;
    OK(control_event(c, &ev, &err)); /* the server has accepted the connection */
    int base = ut_count_fds();
    char *argv[] = {"/bin/echo", "hello", "world", NULL};
    char *env[] = {"PATH=/bin", "A=b", NULL};
    uint32_t groups[] = {10, 20};
    struct control_exec e = {
        .argv = argv,
        .env = env,
        .cwd = "/tmp",
        .uid = 1000,
        .gid = 100,
        .groups = groups,
        .ngroups = 2,
        .cap_effective = 1,
        .cap_permitted = 2,
        .cap_inheritable = 3,
        .cap_bounding = 4,
        .cap_ambient = 5,
        .no_new_privileges = true,
    };
    int pid = 0;
    OK(control_execute(c, &e, fds, 3, &pid, &err));
    CHECK_INT(pid, ==, 7);
    CHECK_STR(g_fake.exec_argv, "/bin/echo|hello|world");
    CHECK_STR(g_fake.exec_envp, "PATH=/bin|A=b");
    CHECK_STR(g_fake.exec_cwd, "/tmp");
    CHECK_INT(g_fake.exec_uid, ==, 1000);
    CHECK_INT(g_fake.exec_gid, ==, 100);
    CHECK_INT(g_fake.exec_ngroups, ==, 2);
    CHECK_INT(g_fake.exec_groups[1], ==, 20);
    for (int i = 0; i < 5; i++)
        CHECK_INT(g_fake.exec_caps[i], ==, i + 1);
    CHECK(g_fake.exec_nnp);
    CHECK(!g_fake.exec_terminal);
    for (int i = 0; i < 3; i++) {
        struct stat st;
        CHECK(fstat(fds[i], &st) == 0);
        CHECK_INT(g_fake.stdio_dev[i], ==, st.st_dev);
        CHECK_INT(g_fake.stdio_ino[i], ==, st.st_ino);
    }
    /* The server closed the fds it received (the backend dups what it keeps). */
    CHECK_INT(ut_count_fds(), ==, base);

    /* A terminal: one fd for all three. */
    e.terminal = true;
    e.env = NULL;
    e.cwd = NULL;
    OK(control_execute(c, &e, &fds[1], 1, &pid, &err));
    CHECK(g_fake.exec_terminal);
    CHECK_STR(g_fake.exec_envp, "");
    CHECK_STR(g_fake.exec_cwd, "/");
    struct stat st;
    CHECK(fstat(fds[1], &st) == 0);
    for (int i = 0; i < 3; i++)
        check_same_file(fds[1], g_fake.stdio_dev[i], g_fake.stdio_ino[i]);
    CHECK_INT(ut_count_fds(), ==, base);

    /* The client refuses a wrong count before sending. */
    const char *m = CHECK_FAILS(EINVAL, control_execute(c, &e, fds, 3, &pid, &err));
    CHECK_CONTAINS(m, "Control.Execute");
    CHECK_INT(g_fake.exec_calls, ==, 2);
    for (int i = 0; i < 3; i++)
        close(fds[i]);
    fake_stop(c, &s);
}

TEST(execute_errors)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    int fds[3] = {0, 1, 2};
    char *argv[] = {"/nosuch", NULL};
    struct control_exec e = {.argv = argv};
    int pid = -1;
    g_fake.exec_rc = -ENOENT;
    strcpy(g_fake.exec_msg, "exec /nosuch: no such file or directory");
    const char *m = CHECK_FAILS(ENOENT, control_execute(c, &e, fds, 3, &pid, &err));
    CHECK_CONTAINS(m, "Control.Execute: exec /nosuch: no such file or directory");
    CHECK_INT(pid, ==, -1);
    g_fake.exec_msg[0] = '\0';
    g_fake.exec_rc = -EACCES;
    m = CHECK_FAILS(EACCES, control_execute(c, &e, fds, 3, &pid, &err));
    CHECK_STR(m, "Control.Execute: Permission denied");

    /* Empty argv never reaches the backend. */
    char *none[] = {NULL};
    e.argv = none;
    int calls = g_fake.exec_calls;
    m = CHECK_FAILS(EINVAL, control_execute(c, &e, fds, 3, &pid, &err));
    CHECK_CONTAINS(m, "argv is empty");
    char *empty[] = {"", NULL};
    e.argv = empty;
    CHECK_FAILS(EINVAL, control_execute(c, &e, fds, 3, &pid, &err));
    CHECK_INT(g_fake.exec_calls, ==, calls);
    fake_stop(c, &s);
}

TEST(pause_resume_event_shutdown)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    OK(control_pause(c, &err));
    OK(control_resume(c, &err));
    CHECK_INT(g_fake.pause_calls, ==, 1);
    CHECK_INT(g_fake.resume_calls, ==, 1);
    struct control_event ev;
    OK(control_event(c, &ev, &err));
    CHECK_INT(ev.memory_usage, ==, 123 * 4096);
    CHECK_INT(ev.memory_limit, ==, 1 << 30);
    CHECK_INT(ev.pids, ==, 3);
    CHECK_INT(ev.cpu_time_ns, ==, 42);
    OK(control_shutdown(c, &err));
    CHECK_INT(g_fake.shutdown_calls, ==, 1);
    fake_stop(c, &s);
}

TEST(unserved_methods_answer_enosys)
{
    fake_reset();
    struct server s;
    server_start(&s, &empty_backend);
    struct control_client *c = client(&s);
    int st, pid;
    int fds[3] = {0, 1, 2};
    char *argv[] = {"/bin/true", NULL};
    struct control_exec e = {.argv = argv};
    struct control_process *ps;
    size_t n;
    struct control_event ev;
    CHECK_CONTAINS(CHECK_FAILS(ENOSYS, control_start_root(c, &err)), "Control.StartRoot");
    CHECK_CONTAINS(CHECK_FAILS(ENOSYS, control_wait(c, 0, &st, &err)), "Control.Wait");
    CHECK_FAILS(ENOSYS, control_signal(c, CONTROL_SIGNAL_INIT, 0, 1, &err));
    CHECK_FAILS(ENOSYS, control_processes(c, &ps, &n, &err));
    CHECK_FAILS(ENOSYS, control_execute(c, &e, fds, 3, &pid, &err));
    CHECK_FAILS(ENOSYS, control_pause(c, &err));
    CHECK_FAILS(ENOSYS, control_resume(c, &err));
    CHECK_FAILS(ENOSYS, control_event(c, &ev, &err));
    CHECK_CONTAINS(CHECK_FAILS(ENOSYS, control_shutdown(c, &err)), "Control.Shutdown");
    fake_stop(c, &s);
}

/* ---- Wait ---------------------------------------------------------------- */

struct waiter {
    struct server *s;
    int pid;
    int status;
    int rc;
    char msg[256];
    atomic_bool done;
};

static void *wait_main(void *p)
{
    struct waiter *w = p;
    struct control_client *c = client(w->s);
    rs_error_t err = NULL;
    w->rc = control_wait(c, w->pid, &w->status, &err);
    if (err)
        snprintf(w->msg, sizeof(w->msg), "%s", err->msg);
    rs_error_release(&err);
    control_close(c);
    atomic_store(&w->done, true);
    return NULL;
}

TEST(wait_blocks_while_other_calls_are_served)
{
    fake_reset();
    struct server s;
    server_start(&s, &fake_backend);
    struct waiter w = {.s = &s, .pid = 0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, wait_main, &w) == 0);
    fake_await_waiting(1);

    /* Meanwhile another connection is served. */
    struct control_client *c = client(&s);
    OK(control_signal(c, CONTROL_SIGNAL_INIT, 0, SIGTERM, &err));
    CHECK_INT(g_fake.sig_signo, ==, SIGTERM);
    struct control_event ev;
    OK(control_event(c, &ev, &err));
    usleep(20000);
    CHECK(!atomic_load(&w.done));

    fake_exit(0, 3 << 8);
    pthread_join(th, NULL);
    CHECK_INT(w.rc, ==, 0);
    CHECK(WIFEXITED(w.status));
    CHECK_INT(WEXITSTATUS(w.status), ==, 3);

    /* init's status can be asked again. */
    int st = 0;
    OK(control_wait(c, 0, &st, &err));
    CHECK_INT(st, ==, 3 << 8);
    fake_stop(c, &s);
}

TEST(wait_execute_then_reaped_once)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    int fds[3] = {0, 1, 2};
    char *argv[] = {"/bin/sh", NULL};
    struct control_exec e = {.argv = argv};
    int pid = 0;
    OK(control_execute(c, &e, fds, 3, &pid, &err));
    fake_exit(pid, SIGKILL); /* killed by SIGKILL */
    int st = 0;
    OK(control_wait(c, pid, &st, &err));
    CHECK(WIFSIGNALED(st));
    CHECK_INT(WTERMSIG(st), ==, SIGKILL);
    const char *m = CHECK_FAILS(ECHILD, control_wait(c, pid, &st, &err));
    CHECK_CONTAINS(m, "Control.Wait: no process 7 to wait for");
    m = CHECK_FAILS(ECHILD, control_wait(c, 99, &st, &err));
    CHECK_CONTAINS(m, "no process 99");
    m = CHECK_FAILS(EINVAL, control_wait(c, -5, &st, &err));
    CHECK_CONTAINS(m, "bad pid -5");
    fake_stop(c, &s);
}

TEST(many_concurrent_waits)
{
    fake_reset();
    struct server s;
    server_start(&s, &fake_backend);
    enum { N = 24 };
    struct waiter w[N];
    pthread_t th[N];
    for (int i = 0; i < N; i++) {
        w[i] = (struct waiter){.s = &s, .pid = 0};
        CHECK(pthread_create(&th[i], NULL, wait_main, &w[i]) == 0);
    }
    fake_await_waiting(N);
    fake_exit(0, 0);
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        CHECK_INT(w[i].rc, ==, 0);
        CHECK_INT(w[i].status, ==, 0);
    }
    server_stop(&s);
}

static bool fds_back_to(void *arg)
{
    return ut_count_fds() == *(int *)arg;
}

static bool waits_returned(void *arg)
{
    pthread_mutex_lock(&g_fake.lock);
    bool r = g_fake.wait_calls >= *(int *)arg && g_fake.waiting == 0;
    pthread_mutex_unlock(&g_fake.lock);
    return r;
}

TEST(client_disconnecting_mid_wait)
{
    fake_reset();
    fake_add_proc(5);
    struct server s;
    server_start(&s, &fake_backend);
    int base = ut_count_fds();
    int fd = raw_connect(&s);
    Control__WaitRequest req = CONTROL__WAIT_REQUEST__INIT;
    req.pid = 5;
    uint8_t buf[16];
    size_t len = control__wait_request__pack(&req, buf);
    raw_send(fd, URPC_METHOD_CONTROL_WAIT, 1, buf, len, NULL, 0);
    fake_await_waiting(1);
    close(fd);
    /* The server let the connection go although its wait is pending. */
    CHECK(eventually(fds_back_to, &base));

    fake_exit(5, 1 << 8);
    int one = 1;
    CHECK(eventually(waits_returned, &one));
    usleep(20000); /* the loop drops the reply */
    CHECK_INT(ut_count_fds(), ==, base);

    /* Still serving, and the wait did reap: a second one finds nothing. */
    struct control_client *c = client(&s);
    int st;
    CHECK_FAILS(ECHILD, control_wait(c, 5, &st, &err));
    fake_stop(c, &s);
}

struct stopper {
    struct server *s;
    atomic_bool done;
};

static void *stop_main(void *p)
{
    struct stopper *st = p;
    server_stop(st->s);
    atomic_store(&st->done, true);
    return NULL;
}

TEST(stop_answers_waits_that_finish_while_draining)
{
    fake_reset();
    struct server s;
    server_start(&s, &fake_backend);
    struct waiter w = {.s = &s, .pid = 0};
    pthread_t th, sth;
    CHECK(pthread_create(&th, NULL, wait_main, &w) == 0);
    fake_await_waiting(1);
    struct stopper st = {.s = &s};
    CHECK(pthread_create(&sth, NULL, stop_main, &st) == 0);
    usleep(50000);
    CHECK(!atomic_load(&st.done)); /* draining */
    fake_exit(0, 9);               /* SIGKILL */
    pthread_join(th, NULL);
    pthread_join(sth, NULL);
    CHECK_INT(w.rc, ==, 0);
    CHECK_INT(w.status, ==, 9);
}

TEST(stop_with_a_wait_pending)
{
    fake_reset();
    struct server s;
    server_start(&s, &fake_backend);
    struct waiter w = {.s = &s, .pid = 0};
    pthread_t th;
    CHECK(pthread_create(&th, NULL, wait_main, &w) == 0);
    fake_await_waiting(1);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    server_stop(&s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    CHECK(ms >= 900 && ms < 3000); /* the drain gave up after a second */
    pthread_join(th, NULL);
    CHECK_INT(w.rc, ==, -ECONNRESET);
    CHECK_CONTAINS(w.msg, "Control.Wait: the sandbox closed the control connection");
    /* The wait finishes after the server is gone and frees itself. */
    fake_exit(0, 0);
    int one = 1;
    CHECK(eventually(waits_returned, &one));
    usleep(20000);
}

TEST(stop_without_waits_is_quick)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    struct control_event ev;
    OK(control_event(c, &ev, &err));
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    server_stop(&s);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    CHECK(t1.tv_sec - t0.tv_sec < 1);
    rs_error_t err = NULL;
    int r = control_event(c, &ev, &err);
    CHECK(r == -ECONNRESET || r == -EPIPE);
    rs_error_release(&err);
    control_close(c);
}

/* ---- malformed input ----------------------------------------------------- */

TEST(malformed_requests_get_error_replies)
{
    fake_reset();
    struct server s;
    server_start(&s, &fake_backend);
    int base = ut_count_fds();
    int fd = raw_connect(&s);

    /* A truncated varint is no WaitRequest. */
    raw_send(fd, URPC_METHOD_CONTROL_WAIT, 1, "\x08", 1, NULL, 0);
    CHECK_CONTAINS(raw_expect_error(fd, 1, EINVAL), "malformed Control.Wait request (1 bytes)");
    /* Same for the methods urpc dispatches. */
    raw_send(fd, URPC_METHOD_CONTROL_SIGNAL, 2, "\x08\xff", 2, NULL, 0);
    CHECK_CONTAINS(raw_expect_error(fd, 2, EINVAL), "malformed Control.Signal request");
    raw_send(fd, URPC_METHOD_CONTROL_EXECUTE, 3, "\x0a\x05/bin", 6, NULL, 0);
    CHECK_CONTAINS(raw_expect_error(fd, 3, EINVAL), "malformed Control.Execute request");
    /* Execute without its stdio; with the wrong number of fds. */
    Control__ExecuteRequest ex = CONTROL__EXECUTE_REQUEST__INIT;
    char *argv[] = {"/bin/true"};
    ex.n_argv = 1;
    ex.argv = argv;
    uint8_t buf[64];
    size_t len = control__execute_request__pack(&ex, buf);
    raw_send(fd, URPC_METHOD_CONTROL_EXECUTE, 4, buf, len, NULL, 0);
    CHECK_CONTAINS(raw_expect_error(fd, 4, EINVAL), "needs 3 stdio fds, the call carried 0");
    int two[2] = {0, 1};
    raw_send(fd, URPC_METHOD_CONTROL_EXECUTE, 5, buf, len, two, 2);
    CHECK_CONTAINS(raw_expect_error(fd, 5, EINVAL), "the call carried 2");
    ex.terminal = true;
    len = control__execute_request__pack(&ex, buf);
    raw_send(fd, URPC_METHOD_CONTROL_EXECUTE, 6, buf, len, two, 2);
    CHECK_CONTAINS(raw_expect_error(fd, 6, EINVAL), "a terminal needs 1 stdio fds");
    CHECK_INT(g_fake.exec_calls, ==, 0);
    /* A Wait that carries fds: they are closed, the call is served. */
    raw_send(fd, URPC_METHOD_CONTROL_WAIT, 7, "\x08\x63", 2, two, 2); /* pid 99 */
    CHECK_CONTAINS(raw_expect_error(fd, 7, ECHILD), "no process 99");
    /* Payload for a method that takes none; unknown Control method. */
    raw_send(fd, URPC_METHOD_CONTROL_PAUSE, 8, "\xff", 1, NULL, 0);
    CHECK_CONTAINS(raw_expect_error(fd, 8, EINVAL), "malformed Control.Pause request");
    raw_send(fd, 0x01ff, 9, NULL, 0, NULL, 0);
    CHECK_CONTAINS(raw_expect_error(fd, 9, ENOSYS), "unknown method 0x1ff");
    CHECK_INT(g_fake.pause_calls, ==, 0);
    CHECK_INT(g_fake.sig_calls, ==, 0);

    /* The connection still works... */
    struct control_client *c = client(&s);
    raw_send(fd, URPC_METHOD_CONTROL_EVENT, 10, NULL, 0, NULL, 0);
    struct urpc_frame *f = raw_recv(fd);
    CHECK(f != NULL);
    CHECK_INT(f->hdr.id, ==, 10);
    CHECK_INT(f->hdr.flags, ==, 0);
    urpc_frame_free(f);

    /* ...until it breaks the framing: then only it is closed. */
    CHECK(write(fd, "GARBAGE-GARBAGE-GARBAGE-", 24) == 24);
    CHECK(raw_recv(fd) == NULL);
    close(fd);
    struct control_event ev;
    OK(control_event(c, &ev, &err));
    control_close(c);
    CHECK(eventually(fds_back_to, &base));
    server_stop(&s);
}

TEST(a_reply_frame_sent_to_the_server_closes_only_that_connection)
{
    struct server s;
    struct control_client *c = fake_start(&s);
    int fd = raw_connect(&s);
    struct urpc_hdr h = {.kind = URPC_KIND_REPLY, .method = URPC_METHOD_CONTROL_WAIT, .id = 1};
    uint8_t hb[URPC_HDR_SIZE];
    urpc_hdr_encode(&h, hb);
    CHECK(write(fd, hb, sizeof(hb)) == (ssize_t)sizeof(hb));
    CHECK(raw_recv(fd) == NULL);
    close(fd);
    OK(control_pause(c, &err));
    fake_stop(c, &s);
}

TEST(ping_is_served)
{
    fake_reset();
    struct server s;
    server_start(&s, &fake_backend);
    struct urpc_client *u = NULL;
    CHECK_INT(urpc_client_connect(s.path, &u), ==, 0);
    Urpc__Ping p = URPC__PING__INIT;
    p.data.data = (uint8_t *)"hi";
    p.data.len = 2;
    struct urpc_result res;
    CHECK_INT(
        urpc_client_call(u, URPC_METHOD_PING, &p.base, NULL, 0, &urpc__ping__descriptor, &res), ==,
        0);
    CHECK_INT(((Urpc__Ping *)res.msg)->data.len, ==, 2);
    urpc_result_release(&res);
    urpc_client_free(u);
    server_stop(&s);
}

TEST(connect_to_nothing_names_the_socket)
{
    struct control_client *c = NULL;
    rs_error_t err = NULL;
    char path[512];
    snprintf(path, sizeof(path), "%s/nosuch.sock", ut_tmpdir());
    CHECK_INT(control_connect(path, &c, &err), ==, -ENOENT);
    CHECK_CONTAINS(err->msg, "connecting to the sandbox's control socket");
    CHECK_CONTAINS(err->msg, "nosuch.sock: No such file or directory");
    rs_error_release(&err);
}

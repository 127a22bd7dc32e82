/* A fake control backend and helpers for the control server tests: the
 * server runs for real (libuv loop, unix socket), the kernel is faked. */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "runsc/sandbox/control_client.h"
#include "sentry/control/server.h"
#include "urpc/frame.h"

#define FAKE_MAX_PROCS 16

struct fake_proc {
    int pid;
    int status;
    bool exited;
    bool reaped;
};

struct fake {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int start_calls, start_rc;
    struct fake_proc procs[FAKE_MAX_PROCS]; /* procs[0] is init (pid 0) */
    int nprocs;
    int waiting;    /* threads inside fake wait */
    int wait_calls; /* waits that returned */
    /* Signal. */
    int sig_calls, sig_rc;
    enum control_target sig_target;
    int sig_pid, sig_signo;
    /* Execute. */
    int exec_calls, exec_rc, exec_pid;
    char exec_msg[128];
    char exec_argv[256]; /* joined with '|' */
    char exec_envp[256];
    char exec_cwd[64];
    uint32_t exec_uid, exec_gid, exec_groups[4];
    size_t exec_ngroups;
    uint64_t exec_caps[5];
    bool exec_nnp, exec_terminal;
    dev_t stdio_dev[3];
    ino_t stdio_ino[3];
    /* Others. */
    int pause_calls, resume_calls, event_calls, shutdown_calls;
    int processes_rc;
};

extern struct fake g_fake;
extern const struct control_backend fake_backend;
extern const struct control_backend empty_backend; /* every op NULL */

void fake_reset(void);
/* Adds a process the fake can wait for (not exited yet). */
void fake_add_proc(int pid);
/* Makes pid exit with status and wakes its waiters. */
void fake_exit(int pid, int status);
/* Blocks until g_fake.waiting == n (fails the test after 5 s). */
void fake_await_waiting(int n);

struct server {
    struct control_server *srv;
    char path[256];
};
/* A server on a new socket under ut_tmpdir() with be (arg: &g_fake). */
void server_start(struct server *s, const struct control_backend *be);
void server_start_arg(struct server *s, const struct control_backend *be, void *arg);
void server_stop(struct server *s);
struct control_client *client(struct server *s);

/* A raw connection (blocking, 5 s receive timeout) to send frames by hand. */
int raw_connect(struct server *s);
void raw_send(int fd, uint32_t method, uint64_t id, const void *payload, size_t size,
              const int *fds, size_t nfds);
/* Reads one frame; NULL when the server closed the connection. */
struct urpc_frame *raw_recv(int fd);
/* Reads one reply and checks it is an error reply for id with errnum;
 * returns its message (static buffer). */
const char *raw_expect_error(int fd, uint64_t id, int errnum);

/* Polls pred for up to 5 s. */
bool eventually(bool (*pred)(void *), void *arg);

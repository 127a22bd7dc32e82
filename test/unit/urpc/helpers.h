/* Helpers shared by the urpc unit tests: raw frames, fd sets, and a test
 * server running urpc_server_run in a thread. */
#pragma once

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "urpc/client.h"
#include "urpc/frame.h"
#include "urpc/methods.h"
#include "urpc/server.h"

/* Methods of the test server (all but EMPTY take a urpc.Ping). */
#define TM_FDS (URPC_METHOD_TEST_BASE + 1)      /* replies data=inode of fd 0, + fd of a new file */
#define TM_ERROR (URPC_METHOD_TEST_BASE + 2)    /* ENOENT "no such thing: <data>" */
#define TM_ERRNO (URPC_METHOD_TEST_BASE + 3)    /* -EACCES, no message */
#define TM_EMPTY (URPC_METHOD_TEST_BASE + 4)    /* registered without a descriptor */
#define TM_MANY_FDS (URPC_METHOD_TEST_BASE + 5) /* tries to reply with 17 fds */
#define TM_KEEP_FD (URPC_METHOD_TEST_BASE + 6)  /* steals fd 0 into g_kept_fd */
#define TM_UNKNOWN (URPC_METHOD_TEST_BASE + 99)

extern int g_kept_fd;

void th_hdr(uint8_t out[URPC_HDR_SIZE], uint8_t kind, uint8_t flags, uint8_t fd_count,
            uint32_t payload_size, uint32_t method, uint64_t id);
/* One sendmsg of buf with fds attached; fails the test on error. */
void th_send_raw(int fd, const void *buf, size_t len, const int *fds, size_t fd_count);
void th_open_fds(int *fds, size_t n);
void th_close_fds(int *fds, size_t n);
void th_nonblock(int fd);
ino_t th_ino(int fd);

struct th_server {
    struct urpc_server *srv;
    int listen_fd;
    pthread_t thread;
    char path[256];
    int run_rc;
};
/* Creates the server with the test methods, listens under ut_tmpdir(),
 * runs it in a thread. */
void th_server_start(struct th_server *t);
/* Stops and joins the thread, frees the server, closes the listen fd. */
void th_server_stop(struct th_server *t);
struct urpc_client *th_client(struct th_server *t);
/* A Ping with data. */
int th_ping(struct urpc_client *c, const void *data, size_t size, struct urpc_result *res);

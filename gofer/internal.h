/* Declarations private to gofer/. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "urpc/conn.h"
#include "urpc/server.h"

/* Protocol limits (gofer/README.md). */
#define GOFER_MAX_WALK 64             /* names per Gofer.Walk */
#define GOFER_MAX_GETDENTS (1u << 20) /* bytes of entries per Gofer.Getdents */
#define GOFER_DEFAULT_GETDENTS 65536  /* when a request asks for 0 */

/* A file the sentry holds a handle on. */
struct gofer_fid {
    uint64_t id;
    int fd;                 /* O_PATH fd of the file (never followed a symlink) */
    int dir_fd;             /* directories: an O_RDONLY fd for getdents, or -1 until needed */
    mode_t type;            /* S_IFMT bits of the file (an inode never changes type) */
    struct gofer_fid *next; /* hash chain */
};

/* The fids of one connection: ids are allocated from 1 upwards and never
 * reused on that connection, so a stale id is EBADF, not another file. */
struct gofer_fid_table {
    struct gofer_fid **buckets;
    size_t bucket_count; /* a power of two, or 0 before the first fid */
    size_t count;
    uint64_t next_id;
};

struct gofer_conn {
    struct urpc_conn *conn;
    struct gofer_fid_table fids;
    int root_fd;   /* O_PATH fd of what this connection serves (owned) */
    bool readonly; /* the connection refuses writes with EROFS */
};

struct gofer_server {
    struct urpc_server *urpc; /* method table and dispatch (its runner is not used) */
    int root_fd;              /* O_PATH directory fd of the served root */
    int proc_fd;              /* O_PATH fd of /proc, to reopen fds via self/fd/N */
    bool readonly;
    struct gofer_conn **conns;
    size_t conn_count; /* read with __atomic by gofer_server_conn_count */
    size_t conn_cap;
    int stop_pipe[2];
    size_t fid_count; /* all connections; updated and read with __atomic */
};

/* fids.c. gofer_fid_add takes ownership of fd and returns the new id (it
 * cannot fail: the gofer aborts when out of memory). */
uint64_t gofer_fid_add(struct gofer_server *s, struct gofer_fid_table *t, int fd, mode_t type);
struct gofer_fid *gofer_fid_get(struct gofer_fid_table *t, uint64_t id);
/* Closes the fid's fds and forgets it. -EBADF when unknown. */
int gofer_fid_remove(struct gofer_server *s, struct gofer_fid_table *t, uint64_t id);
/* Releases every fid of the table and its memory. */
void gofer_fids_release_all(struct gofer_server *s, struct gofer_fid_table *t);

/* server.c: the connection a request came on, or NULL. */
struct gofer_conn *gofer_conn_of(struct gofer_server *s, const struct urpc_conn *c);

/* ops.c: registers the Gofer.* handlers on s->urpc. -errno. */
int gofer_ops_register(struct gofer_server *s);

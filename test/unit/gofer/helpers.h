/* Helpers shared by the gofer unit tests: a temporary tree to serve, and a
 * gofer started either in a child process (gofer_main, the real entry) or
 * in a thread of the test (to read its debug counters). */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "gofer/server.h"
#include "sentry/fsimpl/gofer/client.h"
#include "sentry/vfs/vfs.h"

/* The tree under <tmp>/root:
 *     a/b/c/deep.txt   "deep"
 *     file.txt         "content"
 *     evil  -> /
 *     evil2 -> ../../..
 *     dangle -> <tmp>/outside   (missing: creating through it must fail)
 *     many/f000 .. many/f099
 *     dirs/d/d/.../d   (TG_DEPTH levels)
 * and <tmp>/secret (outside the root). */
#define TG_DEPTH 100
#define TG_MANY 100

/* gofer_setattr arguments that set one field. */
#define TG_SA_SIZE(s) (&(struct vfs_setattr){.mask = VFS_SA_SIZE, .size = (s)})
#define TG_SA_MODE(m) (&(struct vfs_setattr){.mask = VFS_SA_MODE, .mode = (m)})

struct tg {
    char tmp[256];
    char root[300];
    struct gofer_client *c;
    int sock;                 /* the client's socket (owned by c once connected) */
    int extra_sock;           /* a second raw connection when asked for, else -1 */
    pid_t pid;                /* forked gofer, or 0 */
    struct gofer_server *srv; /* threaded gofer, or NULL */
    pthread_t thread;
    int serve_rc;
};

void tg_make_tree(struct tg *t);
/* Forks `gofer --root <root> --io-fds A[,B] [--ro]` and connects t->c. With
 * extra, t->extra_sock is a second connection to it (raw, not a client). */
void tg_start_fork(struct tg *t, bool ro, bool extra);
/* Runs a gofer_server in a thread of this process and connects t->c. */
void tg_start_thread(struct tg *t, bool ro);
/* Frees the client (and closes the extra socket); checks that the gofer
 * then ends by itself: the child exits 0, the thread's serve returns 0. */
void tg_stop(struct tg *t);

/* Mounts and returns the root fid. */
uint64_t tg_mount(struct tg *t);
/* Walks a "/"-separated relative path; returns the last fid or fails. */
uint64_t tg_walk_path(struct tg *t, uint64_t dir, const char *path, struct gofer_attr *attr);
/* The content of a host fd read from offset 0 (NUL-terminated, static). */
const char *tg_read_fd(int fd);

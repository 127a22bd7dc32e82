/* Confinement of the gofer (DESIGN.md section 1: "pivot_root'ed into them, seccomp-filtered"):
 * once its server holds the root and /proc fds and its connections, the gofer
 *   1. pivot_roots into the directory it serves and detaches the old root (only in a mount
 *      namespace of its own, which runsc's launcher makes with unshare(CLONE_NEWNS)),
 *   2. keeps only CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID
 *      and CAP_SYS_CHROOT (bounding set too; nothing ambient or inheritable),
 *   3. sets no_new_privs and installs its seccomp filter (seccomp.h).
 *
 * Reopening files through /proc/self/fd keeps working after the pivot: the server opened
 * its /proc fd before (gofer_server_new), and a detached mount stays usable through an
 * open fd. The gofer is single-threaded: capabilities are dropped for the calling thread. */
#pragma once

#include "lib/error.h"

/* gofer_confine's result when the gofer shares its parent's mount namespace (a pivot_root
 * would move the root of every process in it), or serves "/" itself: everything but the
 * pivot was done. */
#define GOFER_CONFINE_NO_PIVOT 1

/* root: the served directory (--root). Returns 0, GOFER_CONFINE_NO_PIVOT (logged), or -1
 * with *err set: the gofer must not serve then. */
int gofer_confine(const char *root, rs_error_t *err);

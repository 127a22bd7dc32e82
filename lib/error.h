/* Error message chains for runsc and the gofer (not the sentry: the sentry
 * returns -errno).
 *
 * A failing function fills *err and returns a negative value:
 *     return rs_error(err, errno, "open %s", path);
 * A caller adds context on the way up:
 *     return rs_error_wrap(err, "loading bundle %s", dir);
 * and main prints the whole chain once: "runsc: loading bundle x: open y: No such file". */
#pragma once

#include <stdarg.h>
#include <stddef.h>

typedef struct rs_error_s {
    int status; /* errno of the innermost cause, 0 if none */
    char *msg;  /* full message, context first */
} * rs_error_t;

/* Creates *err (which must be NULL); when errnum != 0 appends ": strerror(errnum)".
 * Returns -1 (or -errnum when errnum != 0) so callers can "return rs_error(...)". */
int rs_error(rs_error_t *err, int errnum, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prepends "context: " to an existing error. Returns the same value as rs_error. */
int rs_error_wrap(rs_error_t *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rs_error_release(rs_error_t *err);
/* Logs the error (at error level, so --log json sees it), prints it on stderr
 * as "runsc: msg", releases it, and returns an exit status (1). */
int rs_error_report(rs_error_t *err);

/* Aborts with a message on allocation failure: runsc and the gofer do not
 * try to limp on without memory. */
void *xmalloc(size_t size);
void *xzalloc(size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

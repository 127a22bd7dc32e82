#include "lib/error.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/log.h"

static char *vformat(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0) {
        fputs("runsc: out of memory\n", stderr);
        abort();
    }
    return s;
}

int rs_error(rs_error_t *err, int errnum, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *m = vformat(fmt, ap);
    va_end(ap);
    if (*err) /* never lose an earlier error silently */
        rs_error_release(err);
    struct rs_error_s *e = xzalloc(sizeof(*e));
    e->status = errnum;
    if (errnum) {
        e->msg = xasprintf("%s: %s", m, strerror(errnum));
        free(m);
    } else {
        e->msg = m;
    }
    *err = e;
    return errnum ? -errnum : -1;
}

int rs_error_wrap(rs_error_t *err, const char *fmt, ...)
{
    if (!*err)
        return rs_error(err, 0, "unknown error");
    va_list ap;
    va_start(ap, fmt);
    char *ctx = vformat(fmt, ap);
    va_end(ap);
    char *m = xasprintf("%s: %s", ctx, (*err)->msg);
    free(ctx);
    free((*err)->msg);
    (*err)->msg = m;
    return (*err)->status ? -(*err)->status : -1;
}

void rs_error_release(rs_error_t *err)
{
    if (!*err)
        return;
    free((*err)->msg);
    free(*err);
    *err = NULL;
}

int rs_error_report(rs_error_t *err)
{
    if (!*err)
        return 0;
    log_error("%s", (*err)->msg);
    log_stderr("%s", (*err)->msg);
    rs_error_release(err);
    return 1;
}

static void oom(void)
{
    fputs("runsc: out of memory\n", stderr);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xzalloc(size_t size)
{
    void *p = calloc(1, size ? size : 1);
    if (!p)
        oom();
    return p;
}

void *xrealloc(void *p, size_t size)
{
    p = realloc(p, size ? size : 1);
    if (!p)
        oom();
    return p;
}

char *xstrdup(const char *s)
{
    char *p = strdup(s);
    if (!p)
        oom();
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vformat(fmt, ap);
    va_end(ap);
    return s;
}

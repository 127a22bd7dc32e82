/* Scope-bound cleanup helpers (GCC/Clang cleanup attribute).
 *
 * Declare and initialise together; do not mix goto and cleanup variables in
 * one function. Use steal_ptr()/steal_fd() to hand ownership out. */
#pragma once

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static inline void cleanup_freep(void *p)
{
    void **pp = (void **)p;
    free(*pp);
}

static inline void cleanup_closep(int *fd)
{
    if (*fd >= 0) {
        int saved = errno;
        close(*fd);
        errno = saved;
    }
}

static inline void cleanup_fclosep(FILE **f)
{
    if (*f)
        fclose(*f);
}

#define cleanup_free __attribute__((cleanup(cleanup_freep)))
#define cleanup_close __attribute__((cleanup(cleanup_closep)))
#define cleanup_fclose __attribute__((cleanup(cleanup_fclosep)))

#define steal_ptr(p)                                                                               \
    ({                                                                                             \
        __typeof__(p) steal_tmp_ = (p);                                                            \
        (p) = NULL;                                                                                \
        steal_tmp_;                                                                                \
    })

#define steal_fd(fd)                                                                               \
    ({                                                                                             \
        int steal_tmp_ = (fd);                                                                     \
        (fd) = -1;                                                                                 \
        steal_tmp_;                                                                                \
    })

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

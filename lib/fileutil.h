/* Small file helpers shared by runsc, the gofer and tests. */
#pragma once

#include <stddef.h>
#include <sys/types.h>

#include "lib/error.h"

/* Loop over short writes/reads and EINTR. Return 0 / bytes read, or -errno. */
int fu_write_all(int fd, const void *buf, size_t len);
ssize_t fu_read_all(int fd, void *buf, size_t len);

/* Reads a whole file (at most max_size bytes; larger is E2BIG) into a
 * NUL-terminated buffer. */
int fu_read_file(const char *path, size_t max_size, char **out, size_t *out_len, rs_error_t *err);
int fu_read_fd(int fd, size_t max_size, char **out, size_t *out_len, rs_error_t *err);

/* Writes path atomically: a temporary file in the same directory, fsync,
 * rename over path. Readers see the old or the new content, never a mix. */
int fu_write_file_atomic(const char *path, const void *data, size_t len, mode_t mode,
                         rs_error_t *err);

/* mkdir -p with mode for the created components. */
int fu_mkdir_p(const char *path, mode_t mode, rs_error_t *err);

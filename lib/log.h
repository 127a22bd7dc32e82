/* Logging for runsc, the gofer and the sentry's host side.
 *
 * Logs go to a file or a donated fd, never to the application's stdio.
 * Text format: "2026-11-22T13:05:00.123456Z level msg".
 * JSON format (runc-compatible, containerd's shim reads it):
 *     {"level":"error","msg":"...","time":"2026-11-22T13:05:00Z"} */
#pragma once

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* fd < 0 disables the log sink (errors still reach stderr through
 * log_stderr). The fd is not closed by the log. */
void log_init(int fd, enum log_format format, enum log_level level);
int log_parse_format(const char *s, enum log_format *out);
int log_fd(void);
enum log_level log_get_level(void);
enum log_format log_get_format(void);
void log_set_prefix(const char *prefix); /* "runsc", "gofer", "sentry" */

void log_msg(enum log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* One line "prefix: msg" on stderr. */
void log_stderr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#define log_error(...) log_msg(LOG_LEVEL_ERROR, __VA_ARGS__)
#define log_warn(...) log_msg(LOG_LEVEL_WARN, __VA_ARGS__)
#define log_info(...) log_msg(LOG_LEVEL_INFO, __VA_ARGS__)
#define log_debug(...) log_msg(LOG_LEVEL_DEBUG, __VA_ARGS__)

/* Appends s to buf as JSON string contents (no quotes); returns bytes
 * written, truncating safely at cap. Shared by the log and JSON writers. */
size_t log_json_escape(char *buf, size_t cap, const char *s);

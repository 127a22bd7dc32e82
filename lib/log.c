#include "lib/log.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int g_log_fd = -1;
static enum log_format g_log_format = LOG_FORMAT_TEXT;
static enum log_level g_log_level = LOG_LEVEL_WARN;
static const char *g_log_prefix = "runsc";

static const char *const level_names[] = {"error", "warning", "info", "debug"};

void log_init(int fd, enum log_format format, enum log_level level)
{
    g_log_fd = fd;
    g_log_format = format;
    g_log_level = level;
}

int log_parse_format(const char *s, enum log_format *out)
{
    if (strcmp(s, "text") == 0)
        *out = LOG_FORMAT_TEXT;
    else if (strcmp(s, "json") == 0)
        *out = LOG_FORMAT_JSON;
    else
        return -1;
    return 0;
}

int log_fd(void)
{
    return g_log_fd;
}

enum log_level log_get_level(void)
{
    return g_log_level;
}

enum log_format log_get_format(void)
{
    return g_log_format;
}

void log_set_prefix(const char *prefix)
{
    g_log_prefix = prefix;
}

size_t log_json_escape(char *buf, size_t cap, const char *s)
{
    size_t n = 0;
    if (cap == 0)
        return 0;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char tmp[8];
        const char *rep = NULL;
        size_t rl;
        switch (c) {
        case '"':
            rep = "\\\"";
            break;
        case '\\':
            rep = "\\\\";
            break;
        case '\n':
            rep = "\\n";
            break;
        case '\r':
            rep = "\\r";
            break;
        case '\t':
            rep = "\\t";
            break;
        default:
            if (c < 0x20) {
                snprintf(tmp, sizeof(tmp), "\\u%04x", c);
                rep = tmp;
            }
        }
        if (rep) {
            rl = strlen(rep);
            if (n + rl >= cap)
                break;
            memcpy(buf + n, rep, rl);
            n += rl;
        } else {
            if (n + 1 >= cap)
                break;
            buf[n++] = (char)c;
        }
    }
    buf[n] = '\0';
    return n;
}

static void write_all_quiet(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t w = write(fd, buf, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return;
        }
        buf += w;
        len -= (size_t)w;
    }
}

void log_msg(enum log_level level, const char *fmt, ...)
{
    if (g_log_fd < 0 || level > g_log_level)
        return;
    int saved = errno;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);

    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char ts[64];
    size_t tl = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(ts + tl, sizeof(ts) - tl, ".%06ldZ", (long)tv.tv_usec);

    char line[4608];
    int len;
    if (g_log_format == LOG_FORMAT_JSON) {
        char esc[4200];
        log_json_escape(esc, sizeof(esc), msg);
        len = snprintf(line, sizeof(line), "{\"level\":\"%s\",\"msg\":\"%s\",\"time\":\"%s\"}\n",
                       level_names[level], esc, ts);
    } else {
        len = snprintf(line, sizeof(line), "%s %s[%d] %s: %s\n", ts, g_log_prefix, (int)getpid(),
                       level_names[level], msg);
    }
    if (len > (int)sizeof(line) - 1)
        len = (int)sizeof(line) - 1;
    write_all_quiet(g_log_fd, line, (size_t)len);
    errno = saved;
}

void log_stderr(const char *fmt, ...)
{
    int saved = errno;
    char msg[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    char line[2200];
    int len = snprintf(line, sizeof(line), "%s: %s\n", g_log_prefix, msg);
    if (len > (int)sizeof(line) - 1)
        len = (int)sizeof(line) - 1;
    write_all_quiet(2, line, (size_t)len);
    errno = saved;
}

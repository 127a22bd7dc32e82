#include "test/unit/harness.h"

#include <dirent.h>
#include <errno.h>
#include <libgen.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static struct ut_test *g_tests, **g_tail = &g_tests;
static char g_tmpdir[256];

/* Keep registration order = source order. */
void ut_register(struct ut_test *t)
{
    *g_tail = t;
    g_tail = &t->next;
}

void ut_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "%s:%d: ", file, line);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(1);
}

void ut_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(stderr);
    _exit(77);
}

int ut_count_fds(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n - 1; /* the DIR's own fd */
}

const char *ut_tmpdir(void)
{
    if (!g_tmpdir[0]) {
        snprintf(g_tmpdir, sizeof(g_tmpdir), "/tmp/runsc-ut-XXXXXX");
        if (!mkdtemp(g_tmpdir))
            ut_fail(__FILE__, __LINE__, "mkdtemp: %s", strerror(errno));
    }
    return g_tmpdir;
}

static void rm_rf(const char *path)
{
    pid_t p = fork();
    if (p == 0) {
        execlp("rm", "rm", "-rf", path, (char *)NULL);
        _exit(127);
    }
    if (p > 0)
        waitpid(p, NULL, 0);
}

static bool selected(const char *name, int argc, char **argv)
{
    if (argc == 0)
        return true;
    for (int i = 0; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return true;
    return false;
}

int main(int argc, char **argv)
{
    const char *suite = basename(argv[0]);
    if (argc > 1 && strcmp(argv[1], "--list") == 0) {
        for (struct ut_test *t = g_tests; t; t = t->next)
            printf("%s\n", t->name);
        return 0;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    signal(SIGPIPE, SIG_IGN);
    int failed = 0;
    for (struct ut_test *t = g_tests; t; t = t->next) {
        if (!selected(t->name, argc - 1, argv + 1))
            continue;
        int errpipe[2];
        if (pipe(errpipe) < 0)
            return 2;
        fflush(NULL);
        pid_t pid = fork();
        if (pid < 0)
            return 2;
        if (pid == 0) {
            close(errpipe[0]);
            dup2(errpipe[1], 2);
            close(errpipe[1]);
            alarm(120);
            t->fn();
            fflush(NULL);
            int rc = 0;
            if (g_tmpdir[0])
                rm_rf(g_tmpdir);
            _exit(rc);
        }
        close(errpipe[1]);
        char msg[4096];
        size_t len = 0;
        for (;;) {
            ssize_t r = read(errpipe[0], msg + len, sizeof(msg) - 1 - len);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            len += (size_t)r;
            if (len == sizeof(msg) - 1) {
                char sink[512];
                while (read(errpipe[0], sink, sizeof(sink)) > 0) {
                }
                break;
            }
        }
        msg[len] = '\0';
        close(errpipe[0]);
        while (len > 0 && msg[len - 1] == '\n')
            msg[--len] = '\0';
        int st;
        while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {
        }
        /* Last line of stderr is the reason; earlier lines are context. */
        char *last = strrchr(msg, '\n');
        last = last ? last + 1 : msg;
        if (WIFEXITED(st) && WEXITSTATUS(st) == 0) {
            printf("PASS %s/%s\n", suite, t->name);
        } else if (WIFEXITED(st) && WEXITSTATUS(st) == 77) {
            printf("SKIP %s/%s: %s\n", suite, t->name, last[0] ? last : "(no reason)");
        } else {
            failed++;
            if (last != msg)
                printf("%s\n", msg);
            if (WIFSIGNALED(st))
                printf("FAIL %s/%s: killed by signal %d %s\n", suite, t->name, WTERMSIG(st), last);
            else
                printf("FAIL %s/%s: %s\n", suite, t->name, last[0] ? last : "exit status");
        }
    }
    return failed ? 1 : 0;
}

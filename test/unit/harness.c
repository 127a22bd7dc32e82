#include "test/unit/harness.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Per-test deadline (the test gets SIGALRM first, then SIGKILL). */
#define UT_TIMEOUT_S 120

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

int ut_count_entries(const char *path)
{
    DIR *d = opendir(path);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)))
        if (de->d_name[0] != '.')
            n++;
    closedir(d);
    return n;
}

int ut_count_fds(void)
{
    int n = ut_count_entries("/proc/self/fd");
    return n < 0 ? n : n - 1; /* the DIR's own fd */
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
    /* Every name asked for must be a test: a misspelt one would otherwise
     * run nothing and pass. */
    int unknown = 0;
    for (int i = 1; i < argc; i++) {
        struct ut_test *t = g_tests;
        while (t && strcmp(t->name, argv[i]) != 0)
            t = t->next;
        if (!t) {
            fprintf(stderr, "%s: no test named '%s' (--list lists them)\n", suite, argv[i]);
            unknown++;
        }
    }
    if (unknown)
        return 2;
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
            setpgid(0, 0);
            close(errpipe[0]);
            dup2(errpipe[1], 2);
            close(errpipe[1]);
            alarm(UT_TIMEOUT_S);
            t->fn();
            fflush(NULL);
            int rc = 0;
            if (g_tmpdir[0])
                rm_rf(g_tmpdir);
            _exit(rc);
        }
        close(errpipe[1]);
        /* Collect stderr until the test ends; a test that outlives its
         * deadline is killed with its whole process group, and a helper it
         * left behind holding the pipe cannot keep us waiting. */
        char msg[4096];
        size_t len = 0;
        int st = 0;
        bool done = false;
        time_t deadline = time(NULL) + UT_TIMEOUT_S + 10;
        fcntl(errpipe[0], F_SETFL, O_NONBLOCK);
        while (!done) {
            struct pollfd pfd = {errpipe[0], POLLIN, 0};
            poll(&pfd, 1, 100);
            for (;;) {
                char sink[512];
                char *dst = len < sizeof(msg) - 1 ? msg + len : sink;
                size_t room = len < sizeof(msg) - 1 ? sizeof(msg) - 1 - len : sizeof(sink);
                ssize_t r = read(errpipe[0], dst, room);
                if (r <= 0)
                    break;
                if (dst == msg + len)
                    len += (size_t)r;
            }
            pid_t w = waitpid(pid, &st, WNOHANG);
            if (w == pid) {
                done = true;
            } else if (time(NULL) > deadline) {
                kill(-pid, SIGKILL);
                kill(pid, SIGKILL);
                waitpid(pid, &st, 0);
                done = true;
            }
        }
        kill(-pid, SIGKILL); /* anything the test left running */
        msg[len] = '\0';
        close(errpipe[0]);
        while (len > 0 && msg[len - 1] == '\n')
            msg[--len] = '\0';
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

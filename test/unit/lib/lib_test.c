#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fileutil.h"
#include "lib/log.h"
#include "test/unit/harness.h"

TEST(error_chain)
{
    rs_error_t err = NULL;
    int r = rs_error(&err, ENOENT, "open %s", "/x");
    CHECK_INT(r, ==, -ENOENT);
    rs_error_wrap(&err, "loading %s", "bundle");
    CHECK_STR(err->msg, "loading bundle: open /x: No such file or directory");
    CHECK_INT(err->status, ==, ENOENT);
    rs_error_release(&err);
    CHECK(err == NULL);
}

TEST(error_without_errno)
{
    rs_error_t err = NULL;
    CHECK_INT(rs_error(&err, 0, "bad %d", 3), ==, -1);
    CHECK_STR(err->msg, "bad 3");
    rs_error_release(&err);
}

TEST(atomic_write_replaces)
{
    rs_error_t err = NULL;
    cleanup_free char *p = xasprintf("%s/f", ut_tmpdir());
    CHECK_INT(fu_write_file_atomic(p, "one", 3, 0600, &err), ==, 0);
    CHECK_INT(fu_write_file_atomic(p, "two!", 4, 0600, &err), ==, 0);
    char *data = NULL;
    size_t len = 0;
    CHECK_INT(fu_read_file(p, 1 << 20, &data, &len, &err), ==, 0);
    CHECK_STR(data, "two!");
    CHECK_INT(len, ==, 4);
    free(data);
    struct stat st;
    CHECK_INT(stat(p, &st), ==, 0);
    CHECK_INT(st.st_mode & 0777, ==, 0600);
}

TEST(read_file_cap)
{
    rs_error_t err = NULL;
    cleanup_free char *p = xasprintf("%s/big", ut_tmpdir());
    char buf[10000];
    memset(buf, 'x', sizeof(buf));
    CHECK_INT(fu_write_file_atomic(p, buf, sizeof(buf), 0600, &err), ==, 0);
    char *data = NULL;
    CHECK(fu_read_file(p, 5000, &data, NULL, &err) < 0);
    CHECK_INT(err->status, ==, E2BIG);
    rs_error_release(&err);
}

TEST(mkdir_p)
{
    rs_error_t err = NULL;
    cleanup_free char *p = xasprintf("%s/a/b/c", ut_tmpdir());
    CHECK_INT(fu_mkdir_p(p, 0700, &err), ==, 0);
    CHECK_INT(fu_mkdir_p(p, 0700, &err), ==, 0);
    struct stat st;
    CHECK_INT(stat(p, &st), ==, 0);
    CHECK(S_ISDIR(st.st_mode));
}

TEST(log_json_line)
{
    int fds[2];
    CHECK_INT(pipe(fds), ==, 0);
    log_init(fds[1], LOG_FORMAT_JSON, LOG_LEVEL_DEBUG);
    log_error("bad \"thing\"\n");
    close(fds[1]);
    char buf[512] = {0};
    CHECK(read(fds[0], buf, sizeof(buf) - 1) > 0);
    CHECK_CONTAINS(buf, "{\"level\":\"error\",\"msg\":\"bad \\\"thing\\\"\\n\",\"time\":\"");
    CHECK_CONTAINS(buf, "Z\"}\n");
}

TEST(log_level_filters)
{
    int fds[2];
    CHECK_INT(pipe(fds), ==, 0);
    log_init(fds[1], LOG_FORMAT_TEXT, LOG_LEVEL_WARN);
    log_debug("hidden");
    log_warn("shown");
    close(fds[1]);
    char buf[512] = {0};
    CHECK(read(fds[0], buf, sizeof(buf) - 1) > 0);
    CHECK(strstr(buf, "hidden") == NULL);
    CHECK_CONTAINS(buf, "warning: shown");
}

/* Runs this test binary (as suite "lib") with args; returns its wait status
 * and its stdout and stderr together in out. */
static int run_self(char *const args[], char *out, size_t size)
{
    int fds[2];
    CHECK_INT(pipe(fds), ==, 0);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        dup2(fds[1], 1);
        dup2(fds[1], 2);
        close(fds[0]);
        close(fds[1]);
        execv("/proc/self/exe", args);
        _exit(127);
    }
    close(fds[1]);
    size_t len = 0;
    ssize_t r;
    while (len < size - 1 && (r = read(fds[0], out + len, size - 1 - len)) > 0)
        len += (size_t)r;
    out[len] = '\0';
    close(fds[0]);
    int st;
    CHECK_INT(waitpid(pid, &st, 0), ==, pid);
    return st;
}

/* The harness refuses a test name it does not have (a typo must not pass
 * by running nothing), and runs the ones it has. */
TEST(harness_unknown_name)
{
    char out[4096];
    int st = run_self((char *[]){"lib", "no_such_test", NULL}, out, sizeof(out));
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), ==, 2);
    CHECK_CONTAINS(out, "no test named 'no_such_test'");
    CHECK(strstr(out, "PASS") == NULL);
    /* One unknown name among known ones: nothing runs. */
    st = run_self((char *[]){"lib", "error_chain", "no_such_test", NULL}, out, sizeof(out));
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), ==, 2);
    CHECK(strstr(out, "PASS") == NULL);
    st = run_self((char *[]){"lib", "error_chain", NULL}, out, sizeof(out));
    CHECK(WIFEXITED(st));
    CHECK_INT(WEXITSTATUS(st), ==, 0);
    CHECK_CONTAINS(out, "PASS lib/error_chain");
}

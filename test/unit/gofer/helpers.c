#include "test/unit/gofer/helpers.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "gofer/entry.h"
#include "test/unit/harness.h"
#include "urpc/conn.h"

static void write_file(const char *path, const char *content)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        ut_fail(__FILE__, __LINE__, "open %s: %s", path, strerror(errno));
    CHECK_INT(write(fd, content, strlen(content)), ==, (long long)strlen(content));
    close(fd);
}

static void mkdir_or_fail(const char *path)
{
    if (mkdir(path, 0755) < 0)
        ut_fail(__FILE__, __LINE__, "mkdir %s: %s", path, strerror(errno));
}

void tg_make_tree(struct tg *t)
{
    memset(t, 0, sizeof(*t));
    t->sock = t->extra_sock = -1;
    snprintf(t->tmp, sizeof(t->tmp), "%s", ut_tmpdir());
    snprintf(t->root, sizeof(t->root), "%s/root", t->tmp);
    char p[4096];
    mkdir_or_fail(t->root);
    snprintf(p, sizeof(p), "%s/a", t->root);
    mkdir_or_fail(p);
    snprintf(p, sizeof(p), "%s/a/b", t->root);
    mkdir_or_fail(p);
    snprintf(p, sizeof(p), "%s/a/b/c", t->root);
    mkdir_or_fail(p);
    snprintf(p, sizeof(p), "%s/a/b/c/deep.txt", t->root);
    write_file(p, "deep");
    snprintf(p, sizeof(p), "%s/file.txt", t->root);
    write_file(p, "content");
    snprintf(p, sizeof(p), "%s/evil", t->root);
    CHECK_INT(symlink("/", p), ==, 0);
    snprintf(p, sizeof(p), "%s/evil2", t->root);
    CHECK_INT(symlink("../../..", p), ==, 0);
    char target[512];
    snprintf(target, sizeof(target), "%s/outside", t->tmp);
    snprintf(p, sizeof(p), "%s/dangle", t->root);
    CHECK_INT(symlink(target, p), ==, 0);
    snprintf(p, sizeof(p), "%s/secret", t->tmp);
    write_file(p, "secret");
    snprintf(p, sizeof(p), "%s/many", t->root);
    mkdir_or_fail(p);
    for (int i = 0; i < TG_MANY; i++) {
        snprintf(p, sizeof(p), "%s/many/f%03d", t->root, i);
        write_file(p, "x");
    }
    int n = snprintf(p, sizeof(p), "%s/dirs", t->root);
    mkdir_or_fail(p);
    for (int i = 0; i < TG_DEPTH; i++) {
        n += snprintf(p + n, sizeof(p) - (size_t)n, "/d");
        mkdir_or_fail(p);
    }
}

void tg_start_fork(struct tg *t, bool ro, bool extra)
{
    int sv[2], sv2[2] = {-1, -1};
    CHECK_INT(urpc_socketpair(sv), ==, 0);
    if (extra)
        CHECK_INT(urpc_socketpair(sv2), ==, 0);
    fflush(NULL);
    pid_t pid = fork();
    CHECK(pid >= 0);
    if (pid == 0) {
        alarm(100); /* a gofer that hangs dies before the test's own alarm */
        close(sv[0]);
        if (extra)
            close(sv2[0]);
        char fds[64];
        if (extra)
            snprintf(fds, sizeof(fds), "%d,%d", sv[1], sv2[1]);
        else
            snprintf(fds, sizeof(fds), "%d", sv[1]);
        char *argv[] = {"gofer", "--root", t->root, "--io-fds", fds, ro ? "--ro" : NULL, NULL};
        int argc = ro ? 6 : 5;
        _exit(gofer_main(argc, argv));
    }
    close(sv[1]);
    if (extra) {
        close(sv2[1]);
        t->extra_sock = sv2[0];
    }
    t->pid = pid;
    t->sock = sv[0];
    CHECK_INT(gofer_client_new(sv[0], &t->c), ==, 0);
}

static void *serve_thread(void *arg)
{
    struct tg *t = arg;
    t->serve_rc = gofer_server_serve(t->srv);
    return NULL;
}

void tg_start_thread(struct tg *t, bool ro)
{
    int sv[2];
    CHECK_INT(urpc_socketpair(sv), ==, 0);
    int root = open(t->root, O_PATH | O_DIRECTORY | O_CLOEXEC);
    CHECK(root >= 0);
    CHECK_INT(gofer_server_new(root, ro, &t->srv), ==, 0);
    close(root);
    CHECK_INT(gofer_server_add_conn(t->srv, sv[1]), ==, 0);
    t->serve_rc = -1;
    CHECK_INT(pthread_create(&t->thread, NULL, serve_thread, t), ==, 0);
    t->sock = sv[0];
    CHECK_INT(gofer_client_new(sv[0], &t->c), ==, 0);
}

void tg_stop(struct tg *t)
{
    gofer_client_free(t->c);
    t->c = NULL;
    if (t->extra_sock >= 0)
        close(t->extra_sock);
    t->extra_sock = -1;
    if (t->pid > 0) {
        int st = 0;
        CHECK_INT(waitpid(t->pid, &st, 0), ==, t->pid);
        CHECK(WIFEXITED(st));
        CHECK_INT(WEXITSTATUS(st), ==, 0);
        t->pid = 0;
    }
    if (t->srv) {
        CHECK_INT(pthread_join(t->thread, NULL), ==, 0);
        CHECK_INT(t->serve_rc, ==, 0);
        CHECK_INT(gofer_server_fid_count(t->srv), ==, 0);
        CHECK_INT(gofer_server_conn_count(t->srv), ==, 0);
        gofer_server_free(t->srv);
        t->srv = NULL;
    }
}

uint64_t tg_mount(struct tg *t)
{
    uint64_t root = 0;
    struct gofer_attr attr;
    bool ro = true;
    CHECK_INT(gofer_mount(t->c, &root, &attr, &ro), ==, 0);
    CHECK(S_ISDIR(attr.mode));
    return root;
}

uint64_t tg_walk_path(struct tg *t, uint64_t dir, const char *path, struct gofer_attr *attr)
{
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s", path);
    const char *names[256];
    size_t n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(buf, "/", &save); tok && n < 256; tok = strtok_r(NULL, "/", &save))
        names[n++] = tok;
    CHECK(n > 0);
    uint64_t fids[256];
    struct gofer_attr attrs[256];
    size_t walked = 0;
    int r = gofer_walk(t->c, dir, names, n, fids, attrs, &walked);
    if (r < 0)
        ut_fail(__FILE__, __LINE__, "walk %s: %s", path, strerror(-r));
    CHECK_INT(walked, ==, n);
    if (n > 1)
        CHECK_INT(gofer_close(t->c, fids, n - 1), ==, 0);
    if (attr)
        *attr = attrs[n - 1];
    return fids[n - 1];
}

const char *tg_read_fd(int fd)
{
    static char buf[4096];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n < 0)
        ut_fail(__FILE__, __LINE__, "pread: %s", strerror(errno));
    buf[n] = '\0';
    return buf;
}

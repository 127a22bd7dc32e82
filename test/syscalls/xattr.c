/* Extended attributes on a file below /tmp (a tmpfs in the sandbox):
 * get/set/list/remove by path, without following, and by fd; the create and
 * replace flags, sizes, name rules, the namespaces (user. only on regular
 * files and directories, trusted. for CAP_SYS_ADMIN only), permission
 * checks for an unprivileged user. */
#include "check.h"

#include <fcntl.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <sys/xattr.h>

static char g_dir[64], g_file[80], g_link[80];

static bool listed(const char *path, const char *name)
{
    char buf[4096];
    ssize_t n = listxattr(path, buf, sizeof(buf));
    CHECK(n >= 0);
    for (ssize_t i = 0; i < n; i += (ssize_t)strlen(buf + i) + 1)
        if (strcmp(buf + i, name) == 0)
            return true;
    return false;
}

static void basics(void)
{
    char v[16];
    CHECK_ERR(getxattr(g_file, "user.a", v, sizeof(v)), ENODATA);
    CHECK_OK(setxattr(g_file, "user.a", "v1", 2, 0));
    CHECK_EQ(getxattr(g_file, "user.a", v, sizeof(v)), 2);
    CHECK_MEM(v, "v1", 2);
    CHECK_EQ(getxattr(g_file, "user.a", NULL, 0), 2);
    CHECK_ERR(getxattr(g_file, "user.a", v, 1), ERANGE);
    CHECK_ERR(setxattr(g_file, "user.a", "x", 1, XATTR_CREATE), EEXIST);
    CHECK_ERR(setxattr(g_file, "user.b", "x", 1, XATTR_REPLACE), ENODATA);
    CHECK_OK(setxattr(g_file, "user.a", "value2", 6, XATTR_REPLACE));
    CHECK_EQ(getxattr(g_file, "user.a", v, sizeof(v)), 6);
    CHECK_MEM(v, "value2", 6);
    CHECK_OK(setxattr(g_file, "user.empty", "", 0, XATTR_CREATE));
    CHECK_EQ(getxattr(g_file, "user.empty", v, sizeof(v)), 0);
    CHECK(listed(g_file, "user.a"));
    CHECK(listed(g_file, "user.empty"));
    ssize_t need = CHECK_OK(listxattr(g_file, NULL, 0));
    CHECK_GE(need, (ssize_t)(strlen("user.a") + strlen("user.empty") + 2));
    char small[4];
    CHECK_ERR(listxattr(g_file, small, sizeof(small)), ERANGE);
    CHECK_OK(removexattr(g_file, "user.a"));
    CHECK_ERR(removexattr(g_file, "user.a"), ENODATA);
    CHECK(!listed(g_file, "user.a"));
    CHECK_OK(removexattr(g_file, "user.empty"));
}

static void bad_input(void)
{
    CHECK_ERR(setxattr(g_file, "user.a", "x", 1, 4), EINVAL);
    CHECK_ERR(setxattr(g_file, "", "x", 1, 0), ERANGE);
    char longname[300];
    memset(longname, 'a', sizeof(longname));
    memcpy(longname, "user.", 5);
    longname[sizeof(longname) - 1] = 0;
    CHECK_ERR(setxattr(g_file, longname, "x", 1, 0), ERANGE);
    CHECK_ERR(getxattr(g_file, longname, NULL, 0), ERANGE);
    CHECK_ERR(setxattr(g_file, "nonsense.a", "x", 1, 0), EOPNOTSUPP);
    static char big[65537];
    CHECK_ERR(setxattr(g_file, "user.big", big, sizeof(big), 0), E2BIG);
    CHECK_ERR(setxattr(g_file, BAD_PTR, "x", 1, 0), EFAULT);
    CHECK_ERR(setxattr(g_file, "user.a", BAD_PTR, 1, 0), EFAULT);
    CHECK_ERR(getxattr("/nonexistent/x", "user.a", NULL, 0), ENOENT);
    CHECK_ERR(fgetxattr(-1, "user.a", NULL, 0), EBADF);
    int p = CHECK_OK(open(g_file, O_PATH));
    CHECK_ERR(fgetxattr(p, "user.a", NULL, 0), EBADF);
    close(p);
}

static void by_fd_and_nofollow(void)
{
    int fd = CHECK_OK(open(g_file, O_RDONLY));
    CHECK_OK(fsetxattr(fd, "user.fd", "1", 1, 0));
    char v[4];
    CHECK_EQ(getxattr(g_file, "user.fd", v, sizeof(v)), 1);
    CHECK_EQ(fgetxattr(fd, "user.fd", v, sizeof(v)), 1);
    char names[256];
    CHECK_GT(flistxattr(fd, names, sizeof(names)), 0);
    CHECK_OK(fremovexattr(fd, "user.fd"));
    CHECK_ERR(fgetxattr(fd, "user.fd", v, sizeof(v)), ENODATA);
    close(fd);
    /* Through the link: the file's; on the link itself: no user. there. */
    CHECK_OK(setxattr(g_link, "user.via", "1", 1, 0));
    CHECK_EQ(getxattr(g_file, "user.via", v, sizeof(v)), 1);
    CHECK_ERR(lsetxattr(g_link, "user.on", "1", 1, 0), EPERM);
    CHECK_ERR(lgetxattr(g_link, "user.via", v, sizeof(v)), ENODATA);
    /* The link's own list has none of the file's names. */
    ssize_t ln = CHECK_OK(llistxattr(g_link, names, sizeof(names)));
    for (ssize_t i = 0; i < ln; i += (ssize_t)strlen(names + i) + 1)
        CHECK(strncmp(names + i, "user.", 5) != 0);
    CHECK_ERR(lremovexattr(g_link, "user.via"), EPERM);
    CHECK_OK(removexattr(g_link, "user.via"));
}

static void trusted_and_users(void)
{
    CHECK_OK(setxattr(g_file, "trusted.t", "t", 1, 0));
    CHECK_OK(setxattr(g_file, "user.u", "u", 1, 0));
    CHECK(listed(g_file, "trusted.t"));
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        if (setresgid(1000, 1000, 1000) < 0 || setresuid(1000, 1000, 1000) < 0)
            _exit(2);
        char v[4];
        if (listed(g_file, "trusted.t") || !listed(g_file, "user.u"))
            _exit(3);
        if (getxattr(g_file, "trusted.t", v, sizeof(v)) != -1 || errno != ENODATA)
            _exit(4);
        if (setxattr(g_file, "trusted.x", "x", 1, 0) != -1 || errno != EPERM)
            _exit(5);
        if (getxattr(g_file, "user.u", v, sizeof(v)) != 1) /* the file is 0644 */
            _exit(6);
        if (setxattr(g_file, "user.u", "x", 1, 0) != -1 || errno != EACCES)
            _exit(7);
        if (removexattr(g_file, "user.u") != -1 || errno != EACCES)
            _exit(8);
        _exit(0);
    }
    check_reap(pid);
    CHECK_OK(removexattr(g_file, "trusted.t"));
    CHECK_OK(removexattr(g_file, "user.u"));
}

static void cleanup(void)
{
    unlink(g_link);
    unlink(g_file);
    rmdir(g_dir);
}

int main(void)
{
    if (geteuid() != 0)
        SKIP("needs root");
    snprintf(g_dir, sizeof(g_dir), "/tmp/xattr.XXXXXX");
    if (!mkdtemp(g_dir)) {
        if (errno == EROFS || errno == EACCES)
            SKIP("/tmp is not writable");
        FAIL("mkdtemp: %s", strerror(errno));
    }
    atexit(cleanup);
    CHECK_OK(chmod(g_dir, 0755));
    snprintf(g_file, sizeof(g_file), "%s/f", g_dir);
    snprintf(g_link, sizeof(g_link), "%s/l", g_dir);
    int fd = CHECK_OK(open(g_file, O_CREAT | O_EXCL | O_WRONLY, 0644));
    close(fd);
    CHECK_OK(symlink(g_file, g_link));
    if (setxattr(g_file, "user.probe", "", 0, 0) < 0 && errno == EOPNOTSUPP)
        SKIP("no user xattrs on /tmp");
    CHECK_OK(removexattr(g_file, "user.probe"));
    RUN(basics);
    RUN(bad_input);
    RUN(by_fd_and_nofollow);
    RUN(trusted_and_users);
    return 0;
}

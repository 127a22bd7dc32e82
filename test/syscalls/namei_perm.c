/* Permission rules of the namespace and attribute calls for unprivileged
 * callers: write/search permission on directories, the sticky bit, chmod /
 * chown / utimes ownership rules, set-group-ID handling, protected hard
 * links. Runs as root and drops to uids 1000 and 1001 in child processes
 * (skips when it cannot). Works in a fresh directory below $NAMEI_DIR
 * (default /tmp). */
#include "check.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>

static char g_base[PATH_MAX];

static const char *P(const char *name)
{
    static char buf[8][PATH_MAX];
    static int next;
    char *b = buf[next++ % 8];
    size_t lb = strlen(g_base), ln = strlen(name);
    if (lb + 1 + ln >= PATH_MAX)
        FAIL("path too long");
    memcpy(b, g_base, lb);
    b[lb] = '/';
    memcpy(b + lb + 1, name, ln + 1);
    return b;
}

static struct stat st_of(const char *path)
{
    struct stat st;
    CHECK_OK(lstat(path, &st));
    return st;
}

static void rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *d = opendir(path);
        if (d) {
            struct dirent *e;
            while ((e = readdir(d))) {
                if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                    continue;
                char sub[PATH_MAX];
                if (snprintf(sub, sizeof(sub), "%s/%.255s", path, e->d_name) < (int)sizeof(sub))
                    rm_rf(sub);
            }
            closedir(d);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

static void cleanup(void)
{
    if (getuid() == 0)
        rm_rf(g_base);
}

/* Runs fn in a child as uid:uid (no supplementary groups); fails if it fails. */
static void as_user(uid_t uid, void (*fn)(void))
{
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
            _exit(2);
        fn();
        _exit(0);
    }
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        FAIL("the child as uid %d failed (status %#x)", (int)uid, status);
}

static void alice_creates(void)
{
    CHECK_ERR(mkdir(P("rootdir/x"), 0755), EACCES);
    CHECK_ERR(open(P("rootdir/x"), O_CREAT | O_WRONLY, 0644), EACCES);
    CHECK_ERR(mknod(P("chr"), S_IFCHR | 0600, 0x103), EPERM);
    int fd = CHECK_OK(open(P("alice"), O_CREAT | O_EXCL | O_WRONLY, 0644));
    CHECK_OK(close(fd));
    CHECK_EQ(st_of(P("alice")).st_uid, 1000);
    CHECK_EQ(st_of(P("alice")).st_gid, 1000);
    CHECK_OK(mkdir(P("g/sub"), 0755));
    CHECK_OK(mknod(P("g/file"), S_IFREG | 02755, 0));
}

static void bob_is_refused(void)
{
    /* Sticky directory: not the owner of the file nor of the directory. */
    CHECK_ERR(unlink(P("alice")), EPERM);
    CHECK_ERR(rename(P("alice"), P("bob")), EPERM);
    CHECK_ERR(rename(P("rootdir"), P("bob")), EPERM);
    CHECK_ERR(chmod(P("alice"), 0666), EPERM);
    struct timespec ts[2] = {{5, 0}, {5, 0}};
    CHECK_ERR(utimensat(AT_FDCWD, P("alice"), ts, 0), EPERM);
    /* Times to now need write permission (the file is 0644). */
    CHECK_ERR(utimensat(AT_FDCWD, P("alice"), NULL, 0), EACCES);
    CHECK_ERR(chown(P("alice"), 1001, -1), EPERM);
    /* protected_hardlinks: no read+write access, not the owner. */
    CHECK_ERR(link(P("alice"), P("bob_link")), EPERM);
    CHECK_ERR(truncate(P("alice"), 0), EACCES);
}

static void bob_touches_now(void)
{
    /* 0666 now: times to now are allowed, explicit times still are not. */
    CHECK_OK(utimensat(AT_FDCWD, P("alice"), NULL, 0));
    struct timespec ts[2] = {{5, 0}, {5, 0}};
    CHECK_ERR(utimensat(AT_FDCWD, P("alice"), ts, 0), EPERM);
}

static void alice_owns(void)
{
    CHECK_OK(chmod(P("alice"), 0666));
    CHECK_ERR(chown(P("alice"), 1001, -1), EPERM);
    CHECK_ERR(chown(P("alice"), -1, 7), EPERM);
    CHECK_OK(chown(P("alice"), 1000, 1000)); /* no change: allowed */
    /* chmod g+s of a file whose group the caller is not in drops S_ISGID. */
    CHECK_OK(chmod(P("g/file"), 02755));
    CHECK_EQ(st_of(P("g/file")).st_mode & 07777, 0755);
    struct timespec ts[2] = {{5, 0}, {6, 0}};
    CHECK_OK(utimensat(AT_FDCWD, P("alice"), ts, 0));
    CHECK_EQ(st_of(P("alice")).st_mtim.tv_sec, 6);
}

static void alice_removes(void)
{
    CHECK_OK(unlink(P("alice")));
}

static void rules(void)
{
    CHECK_OK(mkdir(P("rootdir"), 0755));
    CHECK_OK(mkdir(P("g"), 0777));
    CHECK_OK(chown(P("g"), 0, 50));
    CHECK_OK(chmod(P("g"), 02777));
    as_user(1000, alice_creates);
    /* A set-group-ID directory gives its group, and S_ISGID to directories;
     * a file of a group its creator is not in loses S_ISGID. */
    CHECK_EQ(st_of(P("g/sub")).st_gid, 50);
    CHECK_EQ(st_of(P("g/sub")).st_mode & 07777, 02755);
    CHECK_EQ(st_of(P("g/file")).st_gid, 50);
    CHECK_EQ(st_of(P("g/file")).st_mode & 07777, 0755);
    as_user(1001, bob_is_refused);
    as_user(1000, alice_owns);
    as_user(1001, bob_touches_now);
    as_user(1000, alice_removes);
}

int main(void)
{
    if (getuid() != 0)
        SKIP("needs root (to switch to other uids)");
    const char *dir = getenv("NAMEI_DIR");
    if (!dir || !*dir)
        dir = "/tmp";
    snprintf(g_base, sizeof(g_base), "%s/namei_perm.XXXXXX", dir);
    if (!mkdtemp(g_base))
        SKIP("no writable directory: mkdtemp in %s: %s", dir, strerror(errno));
    atexit(cleanup);
    CHECK_OK(chmod(g_base, 01777));
    /* Switching users must work in a child (setresuid may be missing). */
    fflush(NULL);
    pid_t pid = CHECK_OK(fork());
    if (pid == 0)
        _exit(setresgid(1000, 1000, 1000) == 0 && setresuid(1000, 1000, 1000) == 0 ? 0 : errno);
    int status;
    CHECK_OK(waitpid(pid, &status, 0));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        SKIP("cannot switch to uid 1000: %s",
             WIFEXITED(status) ? strerror(WEXITSTATUS(status)) : "killed");
    RUN(rules);
    return 0;
}

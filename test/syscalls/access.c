/* access, faccessat and faccessat2 on the read-only root. Write access is not
 * checked: it differs between a writable host root and the sandbox's
 * read-only one (EROFS). */
#include "check.h"

#include <fcntl.h>

static void modes(void)
{
    CHECK_OK(access("/etc/passwd", F_OK));
    CHECK_OK(access("/etc/passwd", R_OK));
    CHECK_OK(access("/etc", R_OK | X_OK));
    CHECK_OK(access("/", F_OK));
    CHECK_OK(access("/dev/null", R_OK));
    /* Execute permission needs an x bit, even for root. */
    struct stat st;
    CHECK_OK(stat("/etc/passwd", &st));
    if ((st.st_mode & 0111) == 0)
        CHECK_ERR(access("/etc/passwd", X_OK), EACCES);
    CHECK_OK(stat("/usr/bin/env", &st));
    if (st.st_mode & S_IXOTH)
        CHECK_OK(access("/usr/bin/env", X_OK | R_OK));
    /* Symlinks are followed. */
    CHECK_OK(access("/bin/.", X_OK));
    /* Bad modes. */
    CHECK_ERR(access("/etc/passwd", 8), EINVAL);
    CHECK_ERR(access("/etc/passwd", -1), EINVAL);
}

static void errors(void)
{
    CHECK_ERR(access("/nonexistent-syscalls-test", F_OK), ENOENT);
    CHECK_ERR(access("", F_OK), ENOENT);
    CHECK_ERR(access("/etc/passwd/x", F_OK), ENOTDIR);
    CHECK_ERR(access("/etc/passwd/", F_OK), ENOTDIR);
    CHECK_ERR(syscall(SYS_access, BAD_PTR, F_OK), EFAULT);
}

static void at(void)
{
    int dir = CHECK_OK(open("/etc", O_RDONLY | O_DIRECTORY));
    /* The raw faccessat has no flags argument. */
    CHECK_OK(syscall(SYS_faccessat, dir, "passwd", R_OK));
    CHECK_ERR(syscall(SYS_faccessat, dir, "nonexistent-syscalls-test", F_OK), ENOENT);
    CHECK_OK(syscall(SYS_faccessat, 100000, "/etc/passwd", R_OK));
    CHECK_ERR(syscall(SYS_faccessat, 100000, "passwd", R_OK), EBADF);
    int file = CHECK_OK(open("/etc/passwd", O_RDONLY));
    CHECK_ERR(syscall(SYS_faccessat, file, "x", R_OK), ENOTDIR);
    CHECK_ERR(syscall(SYS_faccessat, dir, "passwd", 8), EINVAL);

    /* faccessat2 takes flags: AT_EACCESS, AT_SYMLINK_NOFOLLOW, AT_EMPTY_PATH. */
    CHECK_OK(syscall(SYS_faccessat2, dir, "passwd", R_OK, 0));
    CHECK_OK(syscall(SYS_faccessat2, dir, "passwd", R_OK, AT_EACCESS));
    CHECK_OK(syscall(SYS_faccessat2, file, "", R_OK, AT_EMPTY_PATH));
    CHECK_ERR(syscall(SYS_faccessat2, file, "", R_OK, 0), ENOENT);
    CHECK_OK(syscall(SYS_faccessat2, AT_FDCWD, "/bin", F_OK, AT_SYMLINK_NOFOLLOW));
    CHECK_ERR(syscall(SYS_faccessat2, dir, "passwd", R_OK, 0x1), EINVAL);
    CHECK_ERR(syscall(SYS_faccessat2, dir, "passwd", 8, 0), EINVAL);
    /* glibc's faccessat passes flags through to faccessat2. */
    CHECK_OK(faccessat(dir, "passwd", R_OK, AT_EACCESS));
    CHECK_OK(close(file));
    CHECK_OK(close(dir));
}

int main(void)
{
    RUN(modes);
    RUN(errors);
    RUN(at);
    return 0;
}

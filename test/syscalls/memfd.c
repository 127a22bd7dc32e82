/* memfd_create: flags and names, the file (regular, no name: "/memfd:NAME
 * (deleted)"), data through read/write and shared mappings, and seals
 * (F_ADD_SEALS / F_GET_SEALS: SHRINK, GROW, WRITE with EBUSY while
 * mapped, SEAL, EXEC with MFD_NOEXEC_SEAL); tmpfs files are sealed. */
#include "check.h"

#include <linux/magic.h>
#include <sys/mman.h>
#include <sys/vfs.h>

#ifndef MFD_NOEXEC_SEAL
#define MFD_NOEXEC_SEAL 0x0008U
#endif
#ifndef F_SEAL_EXEC
#define F_SEAL_EXEC 0x0020
#endif

static void basics(void)
{
    int fd = CHECK_OK(memfd_create("test", MFD_CLOEXEC | MFD_ALLOW_SEALING));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFD)), FD_CLOEXEC);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GETFL)) & O_ACCMODE, O_RDWR);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK(S_ISREG(st.st_mode));
    CHECK_EQ(st.st_size, 0);
    CHECK_EQ(st.st_nlink, 0);
    char link[64], want[64];
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = CHECK_OK(readlink(link, want, sizeof(want) - 1));
    want[n] = 0;
    CHECK_STR(want, "/memfd:test (deleted)");
    CHECK_EQ(CHECK_OK(write(fd, "hello", 5)), 5);
    char buf[8] = {0};
    CHECK_EQ(CHECK_OK(pread(fd, buf, sizeof(buf), 0)), 5);
    CHECK_MEM(buf, "hello", 5);
    CHECK_OK(ftruncate(fd, 4096));
    char *m = CHECK_PTR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    CHECK_MEM(m, "hello", 5);
    memcpy(m, "HE", 2);
    CHECK_EQ(CHECK_OK(pread(fd, buf, 5, 0)), 5);
    CHECK_MEM(buf, "HEllo", 5);
    CHECK_OK(munmap(m, 4096));
    CHECK_OK(close(fd));
}

static void bad_input(void)
{
    CHECK_ERR(memfd_create("x", 0x1000), EINVAL);
    char longname[251];
    memset(longname, 'a', sizeof(longname) - 1);
    longname[250] = 0;
    CHECK_ERR(memfd_create(longname, 0), EINVAL);
    longname[249] = 0; /* 249 bytes: the most */
    int fd = CHECK_OK(memfd_create(longname, 0));
    CHECK_OK(close(fd));
    CHECK_ERR(syscall(SYS_memfd_create, BAD_PTR, 0), EFAULT);
    int p[2];
    CHECK_OK(pipe(p));
    CHECK_ERR(fcntl(p[0], F_GET_SEALS), EINVAL);
    CHECK_ERR(fcntl(p[1], F_ADD_SEALS, F_SEAL_GROW), EINVAL);
    close(p[0]);
    close(p[1]);
}

static void seals(void)
{
    int fd = CHECK_OK(memfd_create("s", MFD_ALLOW_SEALING));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GET_SEALS)), 0);
    CHECK_OK(ftruncate(fd, 8192));
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, 0x1000), EINVAL);
    /* SHRINK: only growing. */
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
    CHECK_ERR(ftruncate(fd, 4096), EPERM);
    CHECK_OK(ftruncate(fd, 12288));
    /* GROW: writes inside the file only. */
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
    CHECK_ERR(ftruncate(fd, 16384), EPERM);
    CHECK_EQ(CHECK_OK(pwrite(fd, "x", 1, 12287)), 1);
    CHECK_ERR(pwrite(fd, "x", 1, 12288), EPERM);
    /* Page by page: the part in the file's last page goes in. */
    CHECK_EQ(CHECK_OK(pwrite(fd, "xy", 2, 12287)), 1);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GET_SEALS)), F_SEAL_SHRINK | F_SEAL_GROW);
    /* WRITE: refused while a shared writable mapping exists. */
    char *m = CHECK_PTR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY);
    CHECK_OK(munmap(m, 4096));
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE));
    CHECK_ERR(pwrite(fd, "z", 1, 0), EPERM);
    CHECK_ERR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0), EPERM);
    m = CHECK_PTR(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0));
    CHECK_ERR(mprotect(m, 4096, PROT_READ | PROT_WRITE), EACCES); /* no write way back */
    CHECK_OK(munmap(m, 4096));
    m = CHECK_PTR(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
    m[0] = 1; /* a private copy */
    CHECK_OK(munmap(m, 4096));
    /* SEAL: no more seals. */
    CHECK_OK(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK), EPERM);
    CHECK_OK(close(fd));

    /* Without MFD_ALLOW_SEALING the file is sealed against seals. */
    fd = CHECK_OK(memfd_create("n", 0));
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GET_SEALS)), F_SEAL_SEAL);
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
    CHECK_OK(close(fd));
}

static void noexec(void)
{
    int fd = memfd_create("e", MFD_NOEXEC_SEAL);
    if (fd < 0 && errno == EINVAL)
        SKIP("MFD_NOEXEC_SEAL needs Linux 6.3");
    CHECK_OK(fd);
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    CHECK_EQ(st.st_mode & 0777, 0666);
    CHECK(CHECK_OK(fcntl(fd, F_GET_SEALS)) & F_SEAL_EXEC);
    CHECK_ERR(fchmod(fd, 0755), EPERM);
    CHECK_OK(fchmod(fd, 0600)); /* the x bits do not change */
    CHECK_OK(close(fd));
}

static void tmpfs_files_are_sealed(void)
{
    struct statfs sf;
    if (statfs("/dev/shm", &sf) < 0 || sf.f_type != TMPFS_MAGIC)
        return; /* no tmpfs at /dev/shm here */
    char path[64];
    snprintf(path, sizeof(path), "/dev/shm/memfd-test.%d", (int)getpid());
    int fd = open(path, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd < 0)
        return; /* not writable */
    unlink(path);
    CHECK_EQ(CHECK_OK(fcntl(fd, F_GET_SEALS)), F_SEAL_SEAL);
    CHECK_ERR(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW), EPERM);
    CHECK_OK(close(fd));
}

int main(void)
{
    RUN(basics);
    RUN(bad_input);
    RUN(seals);
    RUN(tmpfs_files_are_sealed);
    RUN(noexec);
    return 0;
}

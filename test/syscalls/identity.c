/* Process identity and per-process settings: getpid/gettid, the user and
 * group ids, getgroups, uname, umask, and arch_prctl's FS base. */
#include "check.h"

#include <asm/prctl.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/utsname.h>

static void ids(void)
{
    long pid = CHECK_OK(syscall(SYS_getpid));
    CHECK_GT(pid, 0);
    /* One thread: its tid is the pid. */
    CHECK_EQ(CHECK_OK(syscall(SYS_gettid)), pid);
    CHECK_EQ(getpid(), pid);
    CHECK_GE(CHECK_OK(syscall(SYS_getppid)), 0);

    uid_t r, e, s;
    CHECK_OK(getresuid(&r, &e, &s));
    CHECK_EQ(getuid(), r);
    CHECK_EQ(geteuid(), e);
    gid_t gr, ge, gs;
    CHECK_OK(getresgid(&gr, &ge, &gs));
    CHECK_EQ(getgid(), gr);
    CHECK_EQ(getegid(), ge);
    CHECK_ERR(syscall(SYS_getresuid, BAD_PTR, &e, &s), EFAULT);

    /* getgroups(0) counts; a short list is EINVAL. */
    long n = CHECK_OK(syscall(SYS_getgroups, 0, NULL));
    CHECK_LE(n, 65536);
    gid_t groups[n + 1];
    CHECK_EQ(CHECK_OK(syscall(SYS_getgroups, n + 1, groups)), n);
    if (n > 0)
        CHECK_ERR(syscall(SYS_getgroups, n - 1, groups), EINVAL);
    CHECK_ERR(syscall(SYS_getgroups, -1, groups), EINVAL);
}

static void names(void)
{
    struct utsname u;
    CHECK_OK(uname(&u));
    CHECK_STR(u.sysname, "Linux");
    CHECK_STR(u.machine, "x86_64");
    CHECK(u.release[0] >= '0' && u.release[0] <= '9');
    CHECK(u.nodename[0] != 0);
    CHECK(u.version[0] != 0);
    CHECK_ERR(syscall(SYS_uname, BAD_PTR), EFAULT);
}

static void file_mask(void)
{
    mode_t old = umask(027);
    CHECK_EQ(umask(old), 027);
    CHECK_EQ(umask(old), old);
    /* Only the permission bits are kept. */
    umask(0177777);
    CHECK_EQ(umask(old), 0777);
}

/* glibc's thread pointer: on x86_64 the TCB starts with a pointer to
 * itself, at %fs:0. */
static unsigned long thread_pointer(void)
{
    unsigned long tp;
    __asm__("mov %%fs:0, %0" : "=r"(tp));
    return tp;
}

static void fs_base(void)
{
    unsigned long fs = 0;
    CHECK_OK(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs));
    CHECK_NE(fs, 0);
    CHECK_EQ(fs, thread_pointer());
    CHECK_EQ(fs, (unsigned long)__builtin_thread_pointer());
    /* Setting it to the same value changes nothing. */
    CHECK_OK(syscall(SYS_arch_prctl, ARCH_SET_FS, fs));
    CHECK_EQ(thread_pointer(), fs);
    CHECK_ERR(syscall(SYS_arch_prctl, 0x12345, &fs), EINVAL);
    CHECK_ERR(syscall(SYS_arch_prctl, ARCH_GET_FS, BAD_PTR), EFAULT);
}

int main(void)
{
    RUN(ids);
    RUN(names);
    RUN(file_mask);
    RUN(fs_base);
    return 0;
}

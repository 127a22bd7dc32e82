#include <sys/syscall.h>

#include "platform/platform.h"
#include "test/unit/harness.h"

TEST(lookup_ptrace)
{
    const struct platform_ops *ops = platform_lookup("ptrace");
    CHECK(ops != NULL);
    CHECK_STR(ops->name, "ptrace");
    CHECK(platform_lookup("nope") == NULL);
    CHECK(platform_lookup(NULL) == NULL);
    CHECK_CONTAINS(platform_names(), "ptrace");
}

TEST(host_syscalls_listed)
{
    const struct platform_ops *ops = platform_lookup("ptrace");
    CHECK(ops->host_syscalls != NULL);
    bool ptrace_seen = false, wait_seen = false;
    size_t n = 0;
    for (const int *s = ops->host_syscalls; *s != -1; s++, n++) {
        ptrace_seen |= *s == SYS_ptrace;
        wait_seen |= *s == SYS_wait4;
    }
    CHECK(ptrace_seen && wait_seen);
    CHECK(n < 100);
}

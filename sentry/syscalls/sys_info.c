/* uname, sysinfo, getrandom, sethostname. */
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysinfo.h>
#include <sys/utsname.h>

#include "sentry/syscalls/internal.h"

/* The kernel version the sandbox reports: a recent long-term release whose
 * features the sentry aims at. */
#define SENTRY_RELEASE "6.1.0"
#define SENTRY_VERSION "#1 SMP PREEMPT_DYNAMIC runsc"

long sys_uname(struct task *t, const struct syscall_args *args)
{
    struct utsname u;
    memset(&u, 0, sizeof(u));
    strcpy(u.sysname, "Linux");
    snprintf(u.nodename, sizeof(u.nodename), "%s", g_kernel->hostname);
    strcpy(u.release, SENTRY_RELEASE);
    strcpy(u.version, SENTRY_VERSION);
    strcpy(u.machine, "x86_64");
    snprintf(u.domainname, sizeof(u.domainname), "%s", g_kernel->domainname);
    return mm_copy_out(t->mm, ARG_U64(0), &u, sizeof(u));
}

long sys_sysinfo(struct task *t, const struct syscall_args *args)
{
    struct sysinfo host, si;
    sysinfo(&host);
    memset(&si, 0, sizeof(si));
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    si.uptime = now.tv_sec - g_kernel->boot_monotonic.tv_sec;
    si.totalram = host.totalram;
    si.freeram = host.freeram;
    si.sharedram = 0;
    si.bufferram = 0;
    si.totalswap = 0;
    si.freeswap = 0;
    si.procs = (unsigned short)g_kernel->live_tasks;
    si.mem_unit = host.mem_unit;
    return mm_copy_out(t->mm, ARG_U64(0), &si, sizeof(si));
}

long sys_getrandom(struct task *t, const struct syscall_args *args)
{
    unsigned flags = (unsigned)args->a[2];
    if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE))
        return -EINVAL;
    if ((flags & GRND_INSECURE) && (flags & GRND_RANDOM))
        return -EINVAL;
    uint64_t len = ARG_U64(1);
    if (len > 33554431)
        len = 33554431;
    char buf[4096];
    uint64_t done = 0;
    while (done < len) {
        size_t n = len - done < sizeof(buf) ? len - done : sizeof(buf);
        ssize_t r = getrandom(buf, n, 0);
        if (r < 0)
            return done ? (long)done : -errno;
        int c = mm_copy_out(t->mm, ARG_U64(0) + done, buf, (size_t)r);
        if (c < 0)
            return done ? (long)done : c;
        done += (uint64_t)r;
    }
    return (long)done;
}

long sys_sethostname(struct task *t, const struct syscall_args *args)
{
    uint64_t len = ARG_U64(1);
    if (!creds_capable(&t->creds, CREDS_CAP_SYS_ADMIN))
        return -EPERM;
    if (len > 64)
        return -EINVAL;
    char name[65] = {0};
    int r = mm_copy_in(t->mm, ARG_U64(0), name, len);
    if (r < 0)
        return r;
    memcpy(g_kernel->hostname, name, sizeof(name));
    return 0;
}

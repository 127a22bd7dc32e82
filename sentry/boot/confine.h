/* Confinement of the sandbox process (`runsc boot --setup-root`, DESIGN.md sections 1-2):
 * once the kernel is set up and before applications run, the sentry
 *   1. pivot_roots into an empty tmpfs and remounts it read-only, detaching the old root
 *      (only in a mount namespace of its own; see below),
 *   2. drops every capability of every thread: effective, permitted, inheritable, ambient
 *      and the bounding set,
 *   3. sets no_new_privs and installs its seccomp filter (seccomp.h) on every thread.
 *
 * After this the sentry can open nothing by path: files come from the gofer (host fds over
 * uRPC) and everything else must be open before. Things the sentry (or glibc for it) reads
 * by path must be read first: /proc/cpuinfo (procfs snapshots it when mounted), libgcc_s
 * (pthread_exit and backtrace load it: confine loads it first). */
#pragma once

/* sentry_confine's result when it confined everything but the root: the process shares
 * its mount namespace with its parent (e.g. `runsc do` today, which does not make one),
 * and a pivot_root would move the whole namespace's root. */
#define SENTRY_CONFINE_NO_PIVOT 1

/* platform_syscalls: the platform's host_syscalls (-1 terminated), for the seccomp filter.
 *
 * When: after the memory file exists (memfd_create is not allowed afterwards), before
 * applications run. Any thread that exists is made to drop its capabilities (through
 * SIGRTMAX, which it must not block for good: -EDEADLK), but processes forked before keep
 * theirs: created before confinement, the platform's stub processes (ptrace: the master
 * stub and every address space cloned from it) run with the capabilities the sandbox
 * started with. Confining before the platform is created avoids that: create() only makes
 * calls its host_syscalls lists, and its stubs get the sentry's filter on top of their
 * own; what the sentry reads by path must then be read before (procfs's /proc/cpuinfo
 * snapshot, proc_global_init).
 *
 * The signal is handled with SA_RESTART (SIGRTMAX, or the highest real-time signal at its
 * default action if something handles SIGRTMAX). Needs CAP_SYS_ADMIN (pivot) and
 * CAP_SETPCAP (bounding set) where it does them. Returns 0 (all done),
 * SENTRY_CONFINE_NO_PIVOT (all but the pivot, logged), or -errno (logged): the caller must
 * then not run applications. */
int sentry_confine(const int *platform_syscalls);

# confine/: what the confinement of the sentry (sentry/boot/) and of the gofer (gofer/)
# share: the host seccomp filter's rule tables and loader, the mount namespace check.
# Depends on lib/ and libc + libseccomp (+ libcap); only gofer/ and sentry/boot/ use it.
LIB_SRCS += confine/seccomp.c confine/mountns.c

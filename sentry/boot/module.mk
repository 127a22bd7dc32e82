# sentry/boot/: `runsc boot` (its sources come with sentry/module.mk's find). The confinement
# (confine.c, seccomp.c: pivot_root, capabilities, the host seccomp filters of the sentry and
# of the gofer) has its own unit tests, which need a process of their own per filter.
UNIT_TESTS += seccomp

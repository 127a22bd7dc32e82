# sentry/fsimpl/mqueue/: POSIX message queues. Its sources are collected by
# sentry/module.mk (every .c below sentry/); nothing to add here.

# sentry/fsimpl/sys/: sysfs. Its sources are collected by sentry/module.mk
# (every .c below sentry/); nothing to add here.

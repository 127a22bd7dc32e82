# sentry/control/: the sandbox's control server (libuv loop, Control.* over
# urpc). Its .c files are in the library through sentry/module.mk.
PROTOS += urpc/proto/control.proto
UNIT_TESTS += control

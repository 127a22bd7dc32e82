# sentry/: the userspace kernel. Every .c below sentry/ goes into the library.
LIB_SRCS += $(shell find sentry -name '*.c' | sort)
UNIT_TESTS += sentry
PROTOS += urpc/proto/boot.proto

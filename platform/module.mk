# platform/: the platform interface (platform.h), the registry, and the ptrace
# backend (stub processes traced with PTRACE_SYSEMU).
LIB_SRCS += platform/registry.c \
            platform/ptrace/ptrace.c \
            platform/ptrace/as.c \
            platform/ptrace/context.c \
            platform/ptrace/tracee.c \
            platform/ptrace/stub.c \
            platform/ptrace/decode_amd64.c
UNIT_TESTS += platform

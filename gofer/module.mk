# gofer/: `runsc gofer`, the file server of the sandbox (see gofer/README.md).
# Depends on lib/, urpc/ and libc (+ protobuf-c through the generated proto).
LIB_SRCS += gofer/entry.c gofer/server.c gofer/fids.c gofer/ops.c gofer/confine.c gofer/seccomp.c
PROTOS += urpc/proto/gofer.proto
UNIT_TESTS += gofer

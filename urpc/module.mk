# urpc/: framing + fd passing over unix stream sockets, protobuf-c payloads.
# Depends on lib/ and libc + protobuf-c only (see urpc/README.md).
LIB_SRCS += urpc/methods.c urpc/frame.c urpc/conn.c urpc/server.c urpc/client.c
PROTOS += urpc/proto/urpc.proto
UNIT_TESTS += urpc

/* Every uRPC method id and name of the project, in one place.
 *
 * The id travels in the frame header; the name is for logs, error messages
 * and lookups. Ids are never renumbered or reused: append new methods to
 * their service's range. Ranges:
 *     0x0001-0x00ff   urpc itself (served by every urpc_server)
 *     0x0100-0x01ff   Control.* (the sandbox's control server, runsc -> sentry)
 *     0x0200-0x02ff   Gofer.*   (the file protocol, sentry -> gofer)
 *     0xff000000-     reserved for tests and fuzzers, never used in production */
#pragma once

#include <stdint.h>

/* X(symbol, id, name) */
#define URPC_METHODS(X)                                                                            \
    X(URPC_METHOD_PING, 0x0001, "Urpc.Ping")                                                       \
    X(URPC_METHOD_CONTROL_START_ROOT, 0x0101, "Control.StartRoot")                                 \
    X(URPC_METHOD_CONTROL_WAIT, 0x0102, "Control.Wait")                                            \
    X(URPC_METHOD_CONTROL_SIGNAL, 0x0103, "Control.Signal")                                        \
    X(URPC_METHOD_CONTROL_PROCESSES, 0x0104, "Control.Processes")                                  \
    X(URPC_METHOD_CONTROL_EXECUTE, 0x0105, "Control.Execute")                                      \
    X(URPC_METHOD_CONTROL_PAUSE, 0x0106, "Control.Pause")                                          \
    X(URPC_METHOD_CONTROL_RESUME, 0x0107, "Control.Resume")                                        \
    X(URPC_METHOD_CONTROL_EVENT, 0x0108, "Control.Event")                                          \
    X(URPC_METHOD_CONTROL_SHUTDOWN, 0x0109, "Control.Shutdown")                                    \
    X(URPC_METHOD_CONTROL_UPDATE_RESOURCES, 0x010a, "Control.UpdateResources")                     \
    X(URPC_METHOD_GOFER_MOUNT, 0x0201, "Gofer.Mount")                                              \
    X(URPC_METHOD_GOFER_WALK, 0x0202, "Gofer.Walk")                                                \
    X(URPC_METHOD_GOFER_STAT, 0x0203, "Gofer.Stat")                                                \
    X(URPC_METHOD_GOFER_OPEN, 0x0204, "Gofer.Open")                                                \
    X(URPC_METHOD_GOFER_GETDENTS, 0x0205, "Gofer.Getdents")                                        \
    X(URPC_METHOD_GOFER_READLINK, 0x0206, "Gofer.Readlink")                                        \
    X(URPC_METHOD_GOFER_CLOSE, 0x0207, "Gofer.Close")                                              \
    X(URPC_METHOD_GOFER_CREATE, 0x0208, "Gofer.Create")                                            \
    X(URPC_METHOD_GOFER_MKDIR, 0x0209, "Gofer.Mkdir")                                              \
    X(URPC_METHOD_GOFER_UNLINK, 0x020a, "Gofer.Unlink")                                            \
    X(URPC_METHOD_GOFER_SET_ATTR, 0x020b, "Gofer.SetAttr")                                         \
    X(URPC_METHOD_GOFER_MKNOD, 0x020c, "Gofer.Mknod")                                              \
    X(URPC_METHOD_GOFER_SYMLINK, 0x020d, "Gofer.Symlink")                                          \
    X(URPC_METHOD_GOFER_LINK, 0x020e, "Gofer.Link")                                                \
    X(URPC_METHOD_GOFER_RENAME, 0x020f, "Gofer.Rename")                                            \
    X(URPC_METHOD_GOFER_STATFS, 0x0210, "Gofer.Statfs")

#define URPC_METHOD_ENUM_(sym, id, name) sym = id,
enum urpc_method { URPC_METHODS(URPC_METHOD_ENUM_) };
#undef URPC_METHOD_ENUM_

/* First id reserved for tests and fuzzers. */
#define URPC_METHOD_TEST_BASE 0xff000000u

/* The method's name ("Control.Wait"), or NULL when the id is not listed. */
const char *urpc_method_name(uint32_t method);
/* Finds the id of a name. Returns 0, or -ENOENT when the name is not listed. */
int urpc_method_lookup(const char *name, uint32_t *out);

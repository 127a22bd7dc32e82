/* AF_UNIX (AF_LOCAL) sockets: SOCK_STREAM, SOCK_DGRAM and SOCK_SEQPACKET
 * endpoints with Linux's semantics (net/unix/af_unix.c); see README.md.
 *
 * Names: a filesystem node (an S_IFSOCK inode made by bind through the VFS
 * on any filesystem; the bound endpoint is found by the inode's filesystem
 * and number, so the node's own filesystem needs no socket support), an
 * abstract name (leading NUL, one namespace per socket type, as Linux's
 * hash), or an autobind name ("\0" + 5 hex digits).
 *
 * Errors: -errno. */
#pragma once

#include "sentry/socket/socket.h"

/* socket(AF_UNIX, type, protocol): type without SOCK_NONBLOCK/SOCK_CLOEXEC.
 * -EPROTONOSUPPORT, -ESOCKTNOSUPPORT as Linux. *out: a new socket. */
int unix_socket_new(int type, int protocol, struct socket **out);
/* socketpair(AF_UNIX, ...): two sockets connected back to back, each with
 * t's credentials as SO_PEERCRED. */
int unix_socketpair(struct task *t, int type, int protocol, struct socket **a, struct socket **b);

/* AF_INET / AF_INET6: sockets backed by host sockets (gVisor's "hostinet").
 *
 * The sentry creates a non-blocking host socket in the sandbox's own network
 * namespace (the container's, a new one with only "lo", or the host's with
 * --network=host) for each application socket; addresses and options are
 * copied and checked by the sentry and forwarded to it. See README.md. */
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

struct socket;

/* socket(2) for family AF_INET or AF_INET6 after the generic checks:
 * SOCK_STREAM (TCP) and SOCK_DGRAM (UDP) only. */
int inet_socket_new(int family, int type, int protocol, struct socket **out);

struct mm;
/* The interface queries (SIOCGIFCONF, SIOCGIFNAME, SIOCGIFINDEX, SIOCGIFFLAGS,
 * ...: INET_IOCTLS but the first three) of a socket of any family, as
 * Linux's dev_ioctl answers them: forwarded to a host socket of the sandbox's
 * network namespace. -ENOTTY for other commands. */
long inet_dev_ioctl(struct mm *mm, unsigned cmd, uint64_t arg);

/* The socket options forwarded to the host socket, as X(level, name): read
 * and written, only read, only written. The socket code's whitelist and the
 * sentry's host seccomp filter (sentry/boot/seccomp.c) are both made from these
 * lists. SO_RCVTIMEO / SO_SNDTIMEO are the sentry's own (not listed). */
#define INET_SOCKOPTS_RW(X)                                                                        \
    X(SOL_SOCKET, SO_REUSEADDR)                                                                    \
    X(SOL_SOCKET, SO_REUSEPORT)                                                                    \
    X(SOL_SOCKET, SO_KEEPALIVE)                                                                    \
    X(SOL_SOCKET, SO_BROADCAST)                                                                    \
    X(SOL_SOCKET, SO_LINGER)                                                                       \
    X(SOL_SOCKET, SO_RCVBUF)                                                                       \
    X(SOL_SOCKET, SO_SNDBUF)                                                                       \
    X(SOL_SOCKET, SO_RCVLOWAT)                                                                     \
    X(SOL_SOCKET, SO_OOBINLINE)                                                                    \
    X(SOL_SOCKET, SO_DONTROUTE)                                                                    \
    X(SOL_SOCKET, SO_PRIORITY)                                                                     \
    X(IPPROTO_TCP, TCP_NODELAY)                                                                    \
    X(IPPROTO_TCP, TCP_MAXSEG)                                                                     \
    X(IPPROTO_TCP, TCP_CORK)                                                                       \
    X(IPPROTO_TCP, TCP_KEEPIDLE)                                                                   \
    X(IPPROTO_TCP, TCP_KEEPINTVL)                                                                  \
    X(IPPROTO_TCP, TCP_KEEPCNT)                                                                    \
    X(IPPROTO_TCP, TCP_SYNCNT)                                                                     \
    X(IPPROTO_TCP, TCP_LINGER2)                                                                    \
    X(IPPROTO_TCP, TCP_DEFER_ACCEPT)                                                               \
    X(IPPROTO_TCP, TCP_WINDOW_CLAMP)                                                               \
    X(IPPROTO_TCP, TCP_QUICKACK)                                                                   \
    X(IPPROTO_TCP, TCP_USER_TIMEOUT)                                                               \
    X(IPPROTO_TCP, TCP_NOTSENT_LOWAT)                                                              \
    X(IPPROTO_IP, IP_TOS)                                                                          \
    X(IPPROTO_IP, IP_TTL)                                                                          \
    X(IPPROTO_IP, IP_MTU_DISCOVER)                                                                 \
    X(IPPROTO_IP, IP_MULTICAST_IF)                                                                 \
    X(IPPROTO_IP, IP_MULTICAST_TTL)                                                                \
    X(IPPROTO_IP, IP_MULTICAST_LOOP)                                                               \
    X(IPPROTO_IPV6, IPV6_V6ONLY)                                                                   \
    X(IPPROTO_IPV6, IPV6_TCLASS)                                                                   \
    X(IPPROTO_IPV6, IPV6_UNICAST_HOPS)                                                             \
    X(IPPROTO_IPV6, IPV6_MTU_DISCOVER)                                                             \
    X(IPPROTO_IPV6, IPV6_MULTICAST_IF)                                                             \
    X(IPPROTO_IPV6, IPV6_MULTICAST_HOPS)                                                           \
    X(IPPROTO_IPV6, IPV6_MULTICAST_LOOP)
#define INET_SOCKOPTS_GET(X)                                                                       \
    X(SOL_SOCKET, SO_ERROR)                                                                        \
    X(SOL_SOCKET, SO_TYPE)                                                                         \
    X(SOL_SOCKET, SO_DOMAIN)                                                                       \
    X(SOL_SOCKET, SO_PROTOCOL)                                                                     \
    X(SOL_SOCKET, SO_ACCEPTCONN)                                                                   \
    X(SOL_SOCKET, SO_SNDLOWAT)                                                                     \
    X(IPPROTO_TCP, TCP_INFO)                                                                       \
    X(IPPROTO_IP, IP_MTU)                                                                          \
    X(IPPROTO_IPV6, IPV6_MTU)
#define INET_SOCKOPTS_SET(X)                                                                       \
    X(IPPROTO_IP, IP_ADD_MEMBERSHIP)                                                               \
    X(IPPROTO_IP, IP_DROP_MEMBERSHIP)                                                              \
    X(IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP)                                                           \
    X(IPPROTO_IPV6, IPV6_DROP_MEMBERSHIP)

/* The ioctls forwarded to the host socket (each an int out, or a struct
 * ifreq in and out), and SIOCGIFCONF (struct ifconf); the seccomp filter
 * allows exactly these. */
#define INET_IOCTLS(X)                                                                             \
    X(FIONREAD)                                                                                    \
    X(TIOCOUTQ)                                                                                    \
    X(SIOCATMARK)                                                                                  \
    X(SIOCGIFNAME)                                                                                 \
    X(SIOCGIFINDEX)                                                                                \
    X(SIOCGIFFLAGS)                                                                                \
    X(SIOCGIFADDR)                                                                                 \
    X(SIOCGIFDSTADDR)                                                                              \
    X(SIOCGIFBRDADDR)                                                                              \
    X(SIOCGIFNETMASK)                                                                              \
    X(SIOCGIFMTU)                                                                                  \
    X(SIOCGIFHWADDR)                                                                               \
    X(SIOCGIFCONF)

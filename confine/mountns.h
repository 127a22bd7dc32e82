/* Whether the calling process has a mount namespace of its own, which decides whether the
 * sentry's and the gofer's confinement may pivot_root (in a namespace shared with the
 * parent a pivot_root would move the root of every process in it). */
#pragma once

/* 1 yes, 0 no (it shares its parent's or pid 1's), -errno when /proc cannot tell. Parents
 * this process may not inspect (another user namespace, or its parent is outside its pid
 * namespace) count as "yes": a launcher that made our namespaces leaves them behind. */
int confine_own_mount_ns(void);

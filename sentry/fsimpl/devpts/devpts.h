/* devpts: pseudo-terminals inside the sandbox.
 *
 * One instance per sandbox (devpts_new hands out the same one each time):
 * its root lists "ptmx" (char 5:2, mode 0666; /dev/ptmx is a symlink to
 * pts/ptmx) and one entry N (char 136:N, mode 0620, owned by the opener of
 * the master) per pseudo-terminal whose master is open. Opening ptmx makes
 * a new pseudo-terminal and returns its master; TIOCGPTN gives N,
 * TIOCSPTLCK unlocks it, and opening N gives a replica. Data goes through a
 * line discipline (ldisc.h); see README.md for what is implemented. */
#pragma once

#include "sentry/vfs/vfs.h"

/* The devpts filesystem and its root (new references). */
int devpts_new(struct vfs_fs **fs, struct dentry **root);

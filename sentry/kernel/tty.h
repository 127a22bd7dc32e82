/* Job control shared by the terminals (devpts ptys, the host terminal in
 * sentry/fsimpl/host): each keeps the session it controls and its
 * foreground process group under its own lock; these helpers read the
 * caller's ids, find and signal process groups, and decide what a
 * background reader or writer gets. They take kernel.lock (and the task's
 * siglock): call them without the terminal's lock held. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/kernel/kernel.h"

struct tty_ids {
    int tgid, pgid, sid;
};

/* t's process, process group and session (zeros for no task). */
struct tty_ids tty_ids_of(struct task *t);
/* Sends each signal in sigs (a SIGBIT set) to every live process of group
 * pgid (none for pgid <= 0). */
void tty_signal_pgrp(int pgid, uint64_t sigs);
/* Whether a live process of session sid is in group pgid. */
bool tty_pgrp_in_session(int pgid, int sid);
/* A process of the terminal's session (sid, foreground group fg) outside
 * the foreground reading (SIGTTIN) or, with TOSTOP, writing (SIGTTOU) the
 * terminal: 0 to go on; else its group is sent sig and the call restarts
 * (-ERESTARTSYS), or is -EIO for a read whose SIGTTIN t ignores or blocks. */
long tty_job_check(struct task *t, int sid, int fg, int sig, bool tostop);

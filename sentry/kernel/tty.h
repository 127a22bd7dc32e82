/* Controlling terminals and terminal job control, shared by the terminals
 * (devpts ptys, the host terminal in sentry/fsimpl/host).
 *
 * A terminal embeds a struct tty. As in Linux, the association between a
 * session and its terminal is kept on both sides: the terminal records the
 * session it controls and its foreground process group (Linux's
 * tty->session and tty->pgrp), and every process of the session points at
 * the terminal (thread_group.ctty, Linux's signal->tty; inherited by fork
 * and clone, cleared by setsid). Both sides live in the kernel and change
 * together under kernel.lock, so they are always consistent; the terminal
 * drivers keep no job-control state of their own.
 *
 * Invariant: tg->ctty == tty implies tty->sid == tg->sid (the terminal's
 * session lost it, or a process left the session, only together with
 * clearing the pointers).
 *
 * Locking: every function here takes kernel.lock (and thread groups'
 * siglocks under it) unless its name ends in _locked (kernel.lock held by
 * the caller). Call them without a terminal's own lock held (a pty's lock,
 * the host terminal table's): kernel.lock is never taken under those.
 * tty_ops.put may run under kernel.lock: it must take no lock but leaves. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "sentry/kernel/kernel.h"

struct tty;

struct tty_ops {
    /* References: thread_group.ctty holds one. */
    void (*get)(struct tty *tty);
    void (*put)(struct tty *tty);
    /* Opening /dev/tty: a new open file on this terminal in f (sets f->ops
     * and f->priv; nothing on failure), as Linux's tty_reopen: -EIO when
     * the terminal cannot be opened again. flags are open(2)'s. */
    int (*open)(struct tty *tty, struct file *f, int flags);
};

struct tty {
    const struct tty_ops *ops;
    uint64_t rdev; /* the terminal's device number (/proc/<pid>/stat tty_nr) */
    /* kernel.lock: */
    int sid;     /* the session it controls, 0: none */
    int fg_pgid; /* its foreground process group, 0: none */
};

void tty_init(struct tty *tty, const struct tty_ops *ops, uint64_t rdev);

/* ---- acquiring and losing a controlling terminal ------------------------ */

/* open(2) of the terminal without O_NOCTTY (readable: opened for reading):
 * a session leader without a controlling terminal takes tty if no session
 * has it. No error either way. */
void tty_open_acquire(struct tty *tty, struct task *t, bool readable);
/* A process started from outside the sandbox (its first thread not yet
 * running) with tty on its stdio takes it if no session has it. */
void tty_spawn_acquire(struct tty *tty, struct thread_group *tg);
/* fork/clone of a new process: child gets parent's terminal. */
void tty_fork_locked(struct thread_group *child, struct thread_group *parent);
/* setsid: the new session has no terminal. */
void tty_setsid_locked(struct thread_group *tg);
/* The group's last thread is gone: a session leader's exit hangs its
 * session's terminal up (Linux's disassociate_ctty(1): SIGHUP to the
 * foreground group; the session loses the terminal); the group drops its
 * reference. */
void tty_exit_locked(struct thread_group *tg);
/* The terminal hangs up (a pty's master closed): its session's processes
 * lose it, the session leader gets SIGHUP and SIGCONT (Linux's
 * tty_signal_session_leader); the terminal has no session afterwards. */
void tty_hangup(struct tty *tty);

/* /dev/tty: opens t's controlling terminal into f; -ENXIO without one. */
int tty_open_ctty(struct task *t, struct file *f, int flags);

/* ---- job control --------------------------------------------------------- */

/* Sends each signal in sigs (a SIGBIT set) to the terminal's foreground
 * process group (ISIG characters, SIGWINCH). */
void tty_signal_fg(struct tty *tty, uint64_t sigs);
/* A process whose controlling terminal is tty, outside its foreground
 * group, reading it (SIGTTIN) or changing it (SIGTTOU; for a write only
 * with TOSTOP: pass tostop): 0 to go on; else its group is sent sig and the
 * call restarts (-ERESTARTSYS), or -EIO for SIGTTIN that t ignores or
 * blocks (Linux's __tty_check_change). */
long tty_job_check(struct task *t, struct tty *tty, int sig, bool tostop);
/* TIOCSCTTY, TIOCNOTTY, TIOCGPGRP, TIOCSPGRP, TIOCGSID on a file of tty
 * (master: a pty master's file, which answers for its replica but is never
 * a controlling terminal itself; readable: the file was opened for
 * reading). Returns the result, or -TTY_ENOIOCTLCMD for other requests. */
#define TTY_ENOIOCTLCMD 515 /* Linux's ENOIOCTLCMD (never returned to the application) */
long tty_jobctrl_ioctl(struct tty *tty, struct task *t, struct mm *mm, unsigned cmd, uint64_t arg,
                       bool master, bool readable);

/* /proc/<pid>/stat: tty_nr (Linux's new_encode_dev of the controlling
 * terminal, 0 for none) and tpgid (its foreground group, -1 without a
 * terminal). kernel.lock held. */
void tty_proc_locked(struct thread_group *tg, unsigned *tty_nr, int *tpgid);

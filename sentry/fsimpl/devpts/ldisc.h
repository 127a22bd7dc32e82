/* The line discipline of a pseudo-terminal (Linux's N_TTY): the termios
 * state, the input queue (master writes, replica reads) with canonical line
 * editing and echo, and the output queue (replica writes after output
 * processing, master reads).
 *
 * Pure byte processing: no locks, no blocking, no signals. The caller (the
 * pty in devpts.c) holds its lock around every call and acts on what the
 * calls report (signals to send, queues that changed). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The kernel's struct termios (TCGETS/TCSETS: 36 bytes; glibc's is larger). */
struct ldisc_termios {
    uint32_t c_iflag, c_oflag, c_cflag, c_lflag;
    uint8_t c_line;
    uint8_t c_cc[19];
};
_Static_assert(sizeof(struct ldisc_termios) == 36, "termios layout");

/* Capacity of the input queue (N_TTY_BUF_SIZE) and of the output queue. */
#define LDISC_IN_SIZE 4096u
#define LDISC_OUT_SIZE 8192u

struct ldisc {
    struct ldisc_termios t;
    /* Input: a ring of bytes, free-running indexes. In canonical mode
     * [in_tail, canon_head) holds complete lines, each ending with a byte
     * flagged as a delimiter; [canon_head, in_head) is the line being
     * edited. An EOF delimiter (VEOF) is stored but never read out. */
    uint8_t in[LDISC_IN_SIZE];
    uint8_t in_flag[LDISC_IN_SIZE]; /* LDISC_F_* */
    uint32_t in_head, in_tail, canon_head;
    /* Output towards the master. */
    uint8_t out[LDISC_OUT_SIZE];
    uint32_t out_head, out_tail;
    uint32_t column; /* of the output, for echoing erased tabs */
    bool lnext;      /* the next input byte is literal (VLNEXT) */
    /* Flow control (IXON): output stopped by VSTOP (Linux's stop_tty).
     * What the replica wrote before stays readable by the master, up to
     * out_stop; echoes queued later are held until VSTART (or, with IXANY,
     * any byte) starts it again. The pty blocks replica writers meanwhile. */
    bool stopped;
    uint32_t out_stop;
    /* Packet-mode (TIOCPKT) events not yet read by the master: the
     * TIOCPKT_* bits of flushes, stops and starts, flow-control mode
     * changes. Always recorded; the pty clears them when packet mode is
     * turned on and reports them only in packet mode. */
    uint8_t pktstatus;
};

#define LDISC_F_DELIM 1 /* ends a canonical line (read and returned) */
#define LDISC_F_EOF 2   /* ends a canonical line (not returned) */

/* A fresh discipline with Linux's default termios for a pty. */
void ldisc_init(struct ldisc *l);

/* Input from the master: processes up to n bytes (ISTRIP, IXON/IXANY flow
 * control, IGNCR, ICRNL, INLCR, ISIG, canonical editing, echo). Stops early
 * when the input queue has no room (the caller waits for the reader; VSTART
 * and VSTOP are still taken); returns the bytes taken.
 * *sigs gets the SIGBIT()s of the signals ISIG generated (for the
 * foreground process group). */
size_t ldisc_receive(struct ldisc *l, const uint8_t *buf, size_t n, uint64_t *sigs);

/* Bytes a read would return now (FIONREAD, readiness): complete lines in
 * canonical mode (an EOF line counts as readable even if empty, see
 * ldisc_readable), all queued bytes otherwise. */
size_t ldisc_in_avail(const struct ldisc *l);
/* Whether a read would return at once (data, or an EOF line). */
bool ldisc_readable(const struct ldisc *l);
/* Replica read: copies at most len bytes (one line at most in canonical
 * mode; the EOF delimiter is consumed and not copied). */
size_t ldisc_read(struct ldisc *l, uint8_t *buf, size_t len);
/* Free room in the input queue. */
size_t ldisc_in_room(const struct ldisc *l);

/* Output from the replica: applies OPOST (ONLCR, OCRNL, ONOCR, ONLRET)
 * and queues for the master; stops when the output queue is full; returns
 * the bytes of buf taken. */
size_t ldisc_write(struct ldisc *l, const uint8_t *buf, size_t n);
/* Bytes in the output queue (held ones included). */
size_t ldisc_out_avail(const struct ldisc *l);
size_t ldisc_out_room(const struct ldisc *l);
/* Bytes the master may read now (not those held by a stop). */
size_t ldisc_out_readable(const struct ldisc *l);
/* Master read (of the readable bytes). */
size_t ldisc_out_read(struct ldisc *l, uint8_t *buf, size_t len);

/* TCSETS*: installs t (switching ICANON moves queued input as Linux;
 * clearing IXON restarts stopped output; a change of flow-control mode is
 * a TIOCPKT_DOSTOP/NOSTOP event). */
void ldisc_set_termios(struct ldisc *l, const struct ldisc_termios *t);
/* Flushes (no packet-mode event: the caller records the one Linux makes). */
void ldisc_flush_in(struct ldisc *l);
void ldisc_flush_out(struct ldisc *l);
/* Output flow control (Linux's stop_tty/start_tty, TIOCPKT_STOP/START). */
void ldisc_stop(struct ldisc *l);
void ldisc_start(struct ldisc *l);

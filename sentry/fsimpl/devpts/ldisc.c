/* The pty line discipline (see ldisc.h). Behaviour follows Linux's n_tty
 * for the flags it implements; README.md lists the ones it does not. */
#include "sentry/fsimpl/devpts/ldisc.h"

#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "sentry/kernel/kernel.h"

#define IN_MASK (LDISC_IN_SIZE - 1)
#define OUT_MASK (LDISC_OUT_SIZE - 1)
_Static_assert((LDISC_IN_SIZE & IN_MASK) == 0, "power of two");
_Static_assert((LDISC_OUT_SIZE & OUT_MASK) == 0, "power of two");

void ldisc_init(struct ldisc *l)
{
    memset(l, 0, sizeof(*l));
    l->t.c_iflag = ICRNL | IXON;
    l->t.c_oflag = OPOST | ONLCR;
    l->t.c_cflag = B38400 | CS8 | CREAD;
    l->t.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN;
    static const uint8_t cc[19] = {
        [VINTR] = 3,     [VQUIT] = 28,    [VERASE] = 127, [VKILL] = 21,  [VEOF] = 4,   [VTIME] = 0,
        [VMIN] = 1,      [VSWTC] = 0,     [VSTART] = 17,  [VSTOP] = 19,  [VSUSP] = 26, [VEOL] = 0,
        [VREPRINT] = 18, [VDISCARD] = 15, [VWERASE] = 23, [VLNEXT] = 22, [VEOL2] = 0,
    };
    memcpy(l->t.c_cc, cc, sizeof(cc));
}

/* ---- output ------------------------------------------------------------- */

size_t ldisc_out_avail(const struct ldisc *l)
{
    return l->out_head - l->out_tail;
}

size_t ldisc_out_room(const struct ldisc *l)
{
    return LDISC_OUT_SIZE - ldisc_out_avail(l);
}

static void out_raw(struct ldisc *l, uint8_t c)
{
    l->out[l->out_head++ & OUT_MASK] = c;
    switch (c) {
    case '\r':
        l->column = 0;
        break;
    case '\b':
        if (l->column > 0)
            l->column--;
        break;
    case '\t':
        l->column = (l->column | 7) + 1;
        break;
    case '\n':
        break;
    default:
        if (c >= 32 && c != 127)
            l->column++;
    }
}

/* One byte through OPOST; false (nothing queued) when it does not fit. */
static bool out_char(struct ldisc *l, uint8_t c)
{
    const struct ldisc_termios *t = &l->t;
    size_t room = ldisc_out_room(l);
    if (!(t->c_oflag & OPOST)) {
        if (room < 1)
            return false;
        out_raw(l, c);
        return true;
    }
    switch (c) {
    case '\n':
        if (t->c_oflag & ONLCR) {
            if (room < 2)
                return false;
            out_raw(l, '\r');
            out_raw(l, '\n');
            return true;
        }
        if (room < 1)
            return false;
        out_raw(l, '\n');
        if (t->c_oflag & ONLRET)
            l->column = 0;
        return true;
    case '\r':
        if ((t->c_oflag & ONOCR) && l->column == 0)
            return true;
        if (room < 1)
            return false;
        if (t->c_oflag & OCRNL) {
            out_raw(l, '\n');
            if (t->c_oflag & ONLRET)
                l->column = 0;
        } else {
            out_raw(l, '\r');
        }
        return true;
    case '\t':
        if ((t->c_oflag & TABDLY) == XTABS) {
            uint32_t n = 8 - (l->column & 7);
            if (room < n)
                return false;
            while (n--)
                out_raw(l, ' ');
            return true;
        }
        break;
    default:
        break;
    }
    if (room < 1)
        return false;
    out_raw(l, c);
    return true;
}

size_t ldisc_write(struct ldisc *l, const uint8_t *buf, size_t n)
{
    size_t i = 0;
    while (i < n && out_char(l, buf[i]))
        i++;
    return i;
}

size_t ldisc_out_readable(const struct ldisc *l)
{
    return l->stopped ? l->out_stop - l->out_tail : ldisc_out_avail(l);
}

size_t ldisc_out_read(struct ldisc *l, uint8_t *buf, size_t len)
{
    size_t avail = ldisc_out_readable(l);
    size_t n = 0;
    while (n < len && n < avail)
        buf[n++] = l->out[l->out_tail++ & OUT_MASK];
    return n;
}

void ldisc_flush_out(struct ldisc *l)
{
    l->out_tail = l->out_head;
    l->out_stop = l->out_head;
}

void ldisc_stop(struct ldisc *l)
{
    if (l->stopped)
        return;
    l->stopped = true;
    l->out_stop = l->out_head;
    l->pktstatus = (uint8_t)((l->pktstatus & ~TIOCPKT_START) | TIOCPKT_STOP);
}

void ldisc_start(struct ldisc *l)
{
    if (!l->stopped)
        return;
    l->stopped = false;
    l->pktstatus = (uint8_t)((l->pktstatus & ~TIOCPKT_STOP) | TIOCPKT_START);
}

/* ---- echo --------------------------------------------------------------- */

static bool is_ctl(uint8_t c)
{
    return c < 32 || c == 127;
}

/* Echoes an input byte (ECHOCTL shows control bytes as ^X). Echo is lost
 * when the output queue is full, as in Linux. */
static void echo_char(struct ldisc *l, uint8_t c)
{
    const struct ldisc_termios *t = &l->t;
    if ((t->c_lflag & ECHOCTL) && is_ctl(c) && c != '\t' && c != '\n' && c != t->c_cc[VSTART] &&
        c != t->c_cc[VSTOP]) {
        if (ldisc_out_room(l) >= 2) {
            out_raw(l, '^');
            out_raw(l, c ^ 0100);
        }
        return;
    }
    out_char(l, c);
}

static void echo_str(struct ldisc *l, const char *s)
{
    while (*s)
        out_char(l, (uint8_t)*s++);
}

/* Erases the echo of byte c (its width on screen). */
static void echo_erase(struct ldisc *l, uint8_t c)
{
    if (c == '\t') {
        /* Back to the previous tab stop: approximate with one column. */
        echo_str(l, "\b");
        return;
    }
    echo_str(l, "\b \b");
    if ((l->t.c_lflag & ECHOCTL) && is_ctl(c))
        echo_str(l, "\b \b");
}

/* ---- input -------------------------------------------------------------- */

size_t ldisc_in_room(const struct ldisc *l)
{
    return LDISC_IN_SIZE - (l->in_head - l->in_tail);
}

static void in_put(struct ldisc *l, uint8_t c, uint8_t flag)
{
    l->in[l->in_head & IN_MASK] = c;
    l->in_flag[l->in_head & IN_MASK] = flag;
    l->in_head++;
}

void ldisc_flush_in(struct ldisc *l)
{
    l->in_tail = l->in_head;
    l->canon_head = l->in_head;
    l->lnext = false;
}

/* Removes the last byte of the line being edited; false if it is empty. */
static bool erase_one(struct ldisc *l, bool echo)
{
    if (l->in_head == l->canon_head)
        return false;
    uint8_t c = l->in[--l->in_head & IN_MASK];
    if (echo)
        echo_erase(l, c);
    return true;
}

static bool is_word(uint8_t c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

/* ERASE, WERASE, KILL in canonical mode. */
static void do_erase(struct ldisc *l, uint8_t c, int kind)
{
    const struct ldisc_termios *t = &l->t;
    bool echo = t->c_lflag & ECHO;
    if (kind == VERASE) {
        if (echo && !(t->c_lflag & ECHOE)) {
            if (l->in_head != l->canon_head)
                echo_char(l, c);
            erase_one(l, false);
            return;
        }
        erase_one(l, echo);
        return;
    }
    if (kind == VWERASE) {
        while (l->in_head != l->canon_head && !is_word(l->in[(l->in_head - 1) & IN_MASK]))
            erase_one(l, echo);
        while (l->in_head != l->canon_head && is_word(l->in[(l->in_head - 1) & IN_MASK]))
            erase_one(l, echo);
        return;
    }
    /* VKILL */
    if (l->in_head == l->canon_head)
        return;
    if (echo && (t->c_lflag & ECHOKE) && (t->c_lflag & ECHOE)) {
        while (erase_one(l, true))
            ;
        return;
    }
    l->in_head = l->canon_head;
    if (echo) {
        echo_char(l, c);
        if (t->c_lflag & ECHOK)
            echo_char(l, '\n');
    }
}

/* Ends the edited line (its last byte stored with flag). */
static void end_line(struct ldisc *l, uint8_t c, uint8_t flag)
{
    in_put(l, c, flag);
    l->canon_head = l->in_head;
}

static uint64_t isig_of(const struct ldisc_termios *t, uint8_t c)
{
    if (!(t->c_lflag & ISIG) || c == _POSIX_VDISABLE)
        return 0;
    if (c == t->c_cc[VINTR])
        return SIGBIT(SIGINT);
    if (c == t->c_cc[VQUIT])
        return SIGBIT(SIGQUIT);
    if (c == t->c_cc[VSUSP])
        return SIGBIT(SIGTSTP);
    return 0;
}

/* The special meaning of input byte *c, if it has one: CR/NL translation
 * (in *c), ISIG, canonical editing and line ends. True when the byte was
 * consumed; false to queue *c as an ordinary byte. */
static bool in_special(struct ldisc *l, uint8_t *cp, uint64_t *sigs)
{
    const struct ldisc_termios *t = &l->t;
    bool canon = t->c_lflag & ICANON;
    bool iexten = t->c_lflag & IEXTEN;
    uint8_t c = *cp;
    if (c == '\r') {
        if (t->c_iflag & IGNCR)
            return true;
        if (t->c_iflag & ICRNL)
            c = '\n';
    } else if (c == '\n' && (t->c_iflag & INLCR)) {
        c = '\r';
    }
    *cp = c;
    uint64_t sig = isig_of(t, c);
    if (sig) {
        *sigs |= sig;
        if (!(t->c_lflag & NOFLSH)) {
            ldisc_flush_in(l);
            ldisc_flush_out(l);
            l->pktstatus |= TIOCPKT_FLUSHREAD | TIOCPKT_FLUSHWRITE;
        }
        if (t->c_iflag & IXON)
            ldisc_start(l);
        if (t->c_lflag & ECHO)
            echo_char(l, c);
        return true;
    }
    if (!canon)
        return false;
    if (c != _POSIX_VDISABLE) {
        if (c == t->c_cc[VERASE]) {
            do_erase(l, c, VERASE);
            return true;
        }
        if (c == t->c_cc[VKILL]) {
            do_erase(l, c, VKILL);
            return true;
        }
        if (iexten && c == t->c_cc[VWERASE]) {
            do_erase(l, c, VWERASE);
            return true;
        }
        if (iexten && c == t->c_cc[VLNEXT]) {
            l->lnext = true;
            if ((t->c_lflag & ECHO) && (t->c_lflag & ECHOCTL) && ldisc_out_room(l) >= 2) {
                out_raw(l, '^');
                out_raw(l, '\b');
            }
            return true;
        }
        if (c == t->c_cc[VEOF]) {
            end_line(l, 0, LDISC_F_EOF);
            return true;
        }
        if (c == t->c_cc[VEOL] || (iexten && c == t->c_cc[VEOL2])) {
            if (t->c_lflag & ECHO)
                echo_char(l, c);
            end_line(l, c, LDISC_F_DELIM);
            return true;
        }
    }
    if (c == '\n') {
        if (t->c_lflag & (ECHO | ECHONL))
            echo_char(l, '\n');
        end_line(l, c, LDISC_F_DELIM);
        return true;
    }
    return false;
}

/* VSTART or VSTOP under IXON. */
static bool is_flow_char(const struct ldisc_termios *t, uint8_t c)
{
    return (t->c_iflag & IXON) && c != _POSIX_VDISABLE &&
           (c == t->c_cc[VSTART] || c == t->c_cc[VSTOP]);
}

size_t ldisc_receive(struct ldisc *l, const uint8_t *buf, size_t n, uint64_t *sigs)
{
    const struct ldisc_termios *t = &l->t;
    size_t i;
    for (i = 0; i < n; i++) {
        uint8_t c = buf[i];
        if (t->c_iflag & ISTRIP)
            c &= 0x7f;
        if (!l->lnext && is_flow_char(t, c)) {
            /* Taken even when the queue is full (Linux looks ahead for
             * them), never queued or echoed. */
            if (c == t->c_cc[VSTART])
                ldisc_start(l);
            else
                ldisc_stop(l);
            continue;
        }
        size_t room = ldisc_in_room(l);
        if (room == 0)
            break;
        if (l->stopped && (t->c_iflag & IXON) && (t->c_iflag & IXANY))
            ldisc_start(l); /* any other byte restarts the output */
        if (l->lnext)
            l->lnext = false; /* a literal byte: no special meaning */
        else if (in_special(l, &c, sigs))
            continue;
        if ((t->c_lflag & ICANON) && room == 1) {
            /* The last byte is kept for a line end: a full line drops
             * ordinary bytes, a queue of complete lines waits for the
             * reader. */
            if (l->canon_head != l->in_tail)
                break;
            continue;
        }
        if (t->c_lflag & ECHO)
            echo_char(l, c);
        in_put(l, c, 0);
    }
    return i;
}

size_t ldisc_in_avail(const struct ldisc *l)
{
    uint32_t end = (l->t.c_lflag & ICANON) ? l->canon_head : l->in_head;
    size_t n = 0;
    for (uint32_t i = l->in_tail; i != end; i++)
        if (!(l->in_flag[i & IN_MASK] & LDISC_F_EOF))
            n++;
    return n;
}

bool ldisc_readable(const struct ldisc *l)
{
    uint32_t end = (l->t.c_lflag & ICANON) ? l->canon_head : l->in_head;
    return end != l->in_tail;
}

size_t ldisc_read(struct ldisc *l, uint8_t *buf, size_t len)
{
    bool canon = l->t.c_lflag & ICANON;
    uint32_t end = canon ? l->canon_head : l->in_head;
    size_t n = 0;
    while (l->in_tail != end) {
        uint8_t c = l->in[l->in_tail & IN_MASK];
        uint8_t f = l->in_flag[l->in_tail & IN_MASK];
        if (f & LDISC_F_EOF) {
            l->in_tail++;
            if (canon)
                break;
            continue;
        }
        if (n == len)
            break;
        buf[n++] = c;
        l->in_tail++;
        if (canon && (f & LDISC_F_DELIM))
            break;
    }
    return n;
}

/* Linux's pty_set_termios: the master in packet mode learns whether ^S/^Q
 * are the flow-control characters now. */
static bool std_flow(const struct ldisc_termios *t)
{
    return (t->c_iflag & IXON) && t->c_cc[VSTOP] == 023 && t->c_cc[VSTART] == 021;
}

void ldisc_set_termios(struct ldisc *l, const struct ldisc_termios *t)
{
    bool was_canon = l->t.c_lflag & ICANON;
    bool old_flow = std_flow(&l->t), new_flow = std_flow(t);
    if (old_flow != new_flow)
        l->pktstatus = (uint8_t)((l->pktstatus & ~(TIOCPKT_DOSTOP | TIOCPKT_NOSTOP)) |
                                 (new_flow ? TIOCPKT_DOSTOP : TIOCPKT_NOSTOP));
    if ((l->t.c_lflag | t->c_lflag) & EXTPROC)
        l->pktstatus |= TIOCPKT_IOCTL;
    if ((l->t.c_iflag & IXON) && !(t->c_iflag & IXON))
        ldisc_start(l); /* no one could start it again */
    l->t = *t;
    bool canon = t->c_lflag & ICANON;
    if (was_canon == canon)
        return;
    /* As Linux: line boundaries are forgotten; entering canonical mode
     * makes the queued bytes one complete line. */
    for (uint32_t i = l->in_tail; i != l->in_head; i++)
        l->in_flag[i & IN_MASK] = 0;
    if (canon && l->in_head != l->in_tail) {
        l->in_flag[(l->in_head - 1) & IN_MASK] = LDISC_F_DELIM;
        l->canon_head = l->in_head;
    } else {
        l->canon_head = l->in_tail;
    }
    l->lnext = false;
}

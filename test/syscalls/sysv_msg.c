/* System V message queues: msgget (keys, IPC_CREAT/IPC_EXCL), msgsnd
 * (IPC_NOWAIT on a full queue, blocking until a receive makes room, EINVAL
 * for bad types and sizes), msgrcv (msgtyp 0, > 0, < 0, MSG_EXCEPT,
 * MSG_NOERROR, E2BIG, MSG_COPY with IPC_NOWAIT, ENOMSG, blocking until a
 * send, EINTR, EIDRM), msgctl (IPC_STAT/MSG_STAT, IPC_SET and msg_qbytes,
 * IPC_RMID, IPC_INFO/MSG_INFO), permissions as an unprivileged uid,
 * /proc/sysvipc/msg. Queues are IPC_PRIVATE or keyed by the pid and removed
 * at exit even on failure. */
#include "check.h"

#include <grp.h>
#include <linux/capability.h>
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MSG_COPY
#define MSG_COPY 040000
#endif
#ifndef MSG_STAT_ANY
#define MSG_STAT_ANY 13
#endif

struct m {
    long type;
    char text[64];
};

static pid_t g_owner;
static int g_ids[64];
static int g_nids;

static void cleanup(void)
{
    if (getpid() != g_owner)
        return;
    for (int i = 0; i < g_nids; i++)
        msgctl(g_ids[i], IPC_RMID, NULL);
}

static int get(key_t key, int flags)
{
    int id = msgget(key, flags);
    if (id >= 0 && g_nids < 64)
        g_ids[g_nids++] = id;
    return id;
}

static void rm(int id)
{
    CHECK_OK(msgctl(id, IPC_RMID, NULL));
}

static int snd(int id, long type, const char *s, int flags)
{
    struct m b = {type, ""};
    strncpy(b.text, s, sizeof(b.text) - 1);
    return msgsnd(id, &b, strlen(s), flags);
}

/* Receives into b; returns the size or -1. */
static long rcv(int id, struct m *b, size_t sz, long type, int flags)
{
    memset(b, 0, sizeof(*b));
    return msgrcv(id, b, sz, type, flags);
}

static void errors(void)
{
    key_t k = (key_t)(0x5d000000 | ((getpid() & 0xffff) << 8) | 1);
    CHECK_ERR(msgget(k, 0600), ENOENT);
    int id = CHECK_OK(get(k, IPC_CREAT | IPC_EXCL | 0600));
    CHECK_ERR(msgget(k, IPC_CREAT | IPC_EXCL | 0600), EEXIST);
    CHECK_EQ(CHECK_OK(msgget(k, 0)), id);
    struct m b = {1, "x"};
    CHECK_ERR(msgsnd(id, &b, 8193, 0), EINVAL);
    CHECK_ERR(msgsnd(-1, &b, 1, 0), EINVAL);
    b.type = 0;
    CHECK_ERR(msgsnd(id, &b, 1, 0), EINVAL);
    b.type = -5;
    CHECK_ERR(msgsnd(id, &b, 1, 0), EINVAL);
    CHECK_ERR(msgsnd(id, BAD_PTR, 1, 0), EFAULT);
    CHECK_ERR(rcv(id, &b, 64, 0, IPC_NOWAIT), ENOMSG);
    CHECK_ERR(msgrcv(-1, &b, 64, 0, 0), EINVAL);
    CHECK_ERR(msgrcv(id, &b, (size_t)-1, 0, IPC_NOWAIT), EINVAL);
    CHECK_ERR(msgrcv(id, &b, 64, 0, MSG_COPY), EINVAL); /* needs IPC_NOWAIT */
    CHECK_ERR(msgrcv(id, &b, 64, 0, MSG_COPY | MSG_EXCEPT | IPC_NOWAIT), EINVAL);
    CHECK_ERR(msgctl(id, 12345, NULL), EINVAL);
    rm(id);
    CHECK_ERR(snd(id, 1, "a", 0), EINVAL);
    CHECK_ERR(msgctl(id, IPC_RMID, NULL), EINVAL);
}

static void types(void)
{
    int id = CHECK_OK(get(IPC_PRIVATE, 0600));
    CHECK_OK(snd(id, 5, "five", 0));
    CHECK_OK(snd(id, 3, "three", 0));
    CHECK_OK(snd(id, 7, "seven", 0));
    CHECK_OK(snd(id, 3, "three2", 0));
    CHECK_OK(snd(id, 1, "", 0)); /* empty text */
    struct msqid_ds ds;
    CHECK_OK(msgctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.msg_qnum, 5);
    CHECK_EQ(ds.__msg_cbytes, 4 + 5 + 5 + 6);
    CHECK_EQ(ds.msg_qbytes, 16384);
    CHECK_EQ(ds.msg_lspid, getpid());
    CHECK_EQ(ds.msg_lrpid, 0);
    CHECK(ds.msg_stime > 0);
    struct m b;
    /* MSG_COPY: by index, nothing removed. */
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, 2, MSG_COPY | IPC_NOWAIT)), 5);
    CHECK_EQ(b.type, 7);
    CHECK_STR(b.text, "seven");
    CHECK_ERR(rcv(id, &b, 64, 5, MSG_COPY | IPC_NOWAIT), ENOMSG);
    /* msgtyp > 0: the first of that type. */
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, 3, 0)), 5);
    CHECK_STR(b.text, "three");
    /* MSG_EXCEPT: the first of any other type. */
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, 5, MSG_EXCEPT)), 5);
    CHECK_EQ(b.type, 7);
    CHECK_STR(b.text, "seven");
    /* msgtyp < 0: the lowest type <= |msgtyp|. */
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, -6, 0)), 0);
    CHECK_EQ(b.type, 1);
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, -6, 0)), 6);
    CHECK_EQ(b.type, 3);
    CHECK_STR(b.text, "three2");
    CHECK_ERR(rcv(id, &b, 64, -4, IPC_NOWAIT), ENOMSG);
    CHECK_ERR(rcv(id, &b, 64, 8, IPC_NOWAIT), ENOMSG);
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, -6, 0)), 4);
    CHECK_EQ(b.type, 5);
    CHECK_OK(snd(id, 7, "seven", 0));
    /* Too small: E2BIG, the message stays; MSG_NOERROR truncates. */
    CHECK_ERR(rcv(id, &b, 3, 0, 0), E2BIG);
    CHECK_EQ(CHECK_OK(rcv(id, &b, 3, 0, MSG_NOERROR)), 3);
    CHECK_EQ(b.type, 7);
    CHECK_MEM(b.text, "sev\0", 4);
    CHECK_OK(msgctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.msg_qnum, 0);
    CHECK_EQ(ds.__msg_cbytes, 0);
    CHECK_EQ(ds.msg_lrpid, getpid());
    rm(id);
}

static volatile sig_atomic_t g_sig;
static void on_sig(int s)
{
    g_sig = s;
}

static void blocking(void)
{
    int id = CHECK_OK(get(IPC_PRIVATE, 0600));
    /* A small queue: two 4-byte messages fill it. */
    struct msqid_ds ds;
    CHECK_OK(msgctl(id, IPC_STAT, &ds));
    ds.msg_qbytes = 8;
    CHECK_OK(msgctl(id, IPC_SET, &ds));
    CHECK_OK(snd(id, 1, "aaaa", 0));
    CHECK_OK(snd(id, 1, "bbbb", 0));
    CHECK_ERR(snd(id, 1, "cccc", IPC_NOWAIT), EAGAIN);
    pid_t c = CHECK_OK(fork());
    if (c == 0) {
        /* Blocks until the parent receives one. */
        _exit(snd(id, 2, "cccc", 0) < 0 ? 2 : 0);
    }
    check_sleep_ms(50);
    CHECK_OK(msgctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.msg_qnum, 2);
    struct m b;
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, 0, 0)), 4);
    check_reap(c);
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, 2, 0)), 4);
    CHECK_STR(b.text, "cccc");
    CHECK_OK(rcv(id, &b, 64, 0, 0));

    /* A receiver waiting for type 9 ignores type 8. */
    c = CHECK_OK(fork());
    if (c == 0) {
        struct m r;
        long n = rcv(id, &r, 64, 9, 0);
        _exit(n == 4 && strcmp(r.text, "nine") == 0 ? 0 : 2);
    }
    check_sleep_ms(30);
    CHECK_OK(snd(id, 8, "ate", 0));
    check_sleep_ms(30);
    CHECK_OK(snd(id, 9, "nine", 0));
    check_reap(c);
    CHECK_EQ(CHECK_OK(rcv(id, &b, 64, 0, IPC_NOWAIT)), 3);

    /* EINTR with a handler (even SA_RESTART). */
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    sa.sa_flags = SA_RESTART;
    CHECK_OK(sigaction(SIGUSR1, &sa, NULL));
    pid_t me = getpid();
    c = CHECK_OK(fork());
    if (c == 0) {
        check_sleep_ms(50);
        kill(me, SIGUSR1);
        _exit(0);
    }
    g_sig = 0;
    CHECK_ERR(rcv(id, &b, 64, 0, 0), EINTR);
    CHECK_EQ(g_sig, SIGUSR1);
    check_reap(c);
    signal(SIGUSR1, SIG_DFL);

    /* EIDRM for a waiting receiver. */
    c = CHECK_OK(fork());
    if (c == 0) {
        struct m r;
        long n = rcv(id, &r, 64, 0, 0);
        _exit(n == -1 && errno == EIDRM ? 0 : 2);
    }
    check_sleep_ms(50);
    rm(id);
    check_reap(c);
}

static void ctl(void)
{
    int id = CHECK_OK(get(IPC_PRIVATE, 0640));
    struct msqid_ds ds;
    CHECK_OK(msgctl(id, IPC_STAT, &ds));
    ds.msg_perm.mode = 0604;
    ds.msg_perm.uid = 1000;
    CHECK_OK(msgctl(id, IPC_SET, &ds));
    CHECK_OK(msgctl(id, IPC_STAT, &ds));
    CHECK_EQ(ds.msg_perm.mode, 0604);
    CHECK_EQ(ds.msg_perm.uid, 1000);
    CHECK_EQ(ds.msg_perm.cuid, geteuid());
    CHECK_ERR(msgctl(id, IPC_STAT, BAD_PTR), EFAULT);
    struct msginfo mi;
    int maxidx = CHECK_OK(msgctl(0, IPC_INFO, (struct msqid_ds *)&mi));
    CHECK_EQ(mi.msgmax, 8192);
    CHECK_EQ(mi.msgmnb, 16384);
    CHECK(mi.msgmni >= 32000);
    int found = 0;
    for (int i = 0; i <= maxidx; i++) {
        struct msqid_ds d2;
        if (msgctl(i, MSG_STAT_ANY, &d2) == id) {
            found = 1;
            CHECK_EQ(msgctl(i, MSG_STAT, &d2), id);
        }
    }
    CHECK(found);
    CHECK_OK(snd(id, 1, "hello", 0));
    CHECK_OK(msgctl(0, MSG_INFO, (struct msqid_ds *)&mi));
    CHECK_GE(mi.msgpool, 1);
    CHECK_GE(mi.msgmap, 1);
    CHECK_GE(mi.msgtql, 5);
    rm(id);
}

static int unpriv(int id_none, int id_read)
{
    if (setgroups(0, NULL) < 0 || setresgid(1000, 1000, 1000) < 0 ||
        setresuid(1000, 1000, 1000) < 0)
        return 3;
    struct m b;
    if (snd(id_none, 1, "x", IPC_NOWAIT) != -1 || errno != EACCES)
        return 10;
    if (rcv(id_none, &b, 64, 0, IPC_NOWAIT) != -1 || errno != EACCES)
        return 11;
    struct msqid_ds ds;
    if (msgctl(id_none, IPC_STAT, &ds) != -1 || errno != EACCES)
        return 12;
    if (msgctl(id_none, IPC_RMID, NULL) != -1 || errno != EPERM)
        return 13;
    if (rcv(id_read, &b, 64, 0, IPC_NOWAIT) != 1)
        return 20;
    if (snd(id_read, 1, "x", IPC_NOWAIT) != -1 || errno != EACCES)
        return 21;
    return 0;
}

static bool has_cap(int cap)
{
    struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
    struct __user_cap_data_struct d[2];
    CHECK_OK(syscall(SYS_capget, &h, d));
    return (d[cap / 32].effective >> (cap % 32)) & 1;
}

static void permissions(void)
{
    if (geteuid() != 0)
        SKIP("not root: no setresuid");
    int a = CHECK_OK(get(IPC_PRIVATE, 0600));
    int b = CHECK_OK(get(IPC_PRIVATE, 0604));
    CHECK_OK(snd(b, 1, "r", 0));
    /* Raising msg_qbytes above msgmnb needs CAP_SYS_RESOURCE. */
    struct msqid_ds ds;
    CHECK_OK(msgctl(a, IPC_STAT, &ds));
    ds.msg_qbytes = 32768;
    if (has_cap(CAP_SYS_RESOURCE))
        CHECK_OK(msgctl(a, IPC_SET, &ds));
    else
        CHECK_ERR(msgctl(a, IPC_SET, &ds), EPERM);
    pid_t c = CHECK_OK(fork());
    if (c == 0)
        _exit(unpriv(a, b));
    check_reap(c);
    rm(a);
    rm(b);
}

static void procfs(void)
{
    char buf[256];
    if (!check_read_text("/proc/sys/kernel/msgmnb", buf, sizeof(buf)))
        SKIP("no /proc/sys/kernel/msgmnb");
    int id = CHECK_OK(get(IPC_PRIVATE, 0640));
    CHECK_OK(snd(id, 1, "abc", 0));
    char want[64];
    snprintf(want, sizeof(want), " %10d   640           3          1 ", id);
    check_contains("/proc/sysvipc/msg", "msqid perms", want, NULL);
    rm(id);
}

int main(void)
{
    g_owner = getpid();
    atexit(cleanup);
    RUN(errors);
    RUN(types);
    RUN(blocking);
    RUN(ctl);
    RUN(procfs);
    RUN(permissions);
    return 0;
}

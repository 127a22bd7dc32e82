/* Launching the sandbox and the gofer (see launch.h). */
#include "runsc/sandbox/launch.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/log.h"
#include "runsc/container/cgroup.h"

#define NOBODY 65534

struct child_arg {
    int sync_fd;
    const int *stdio; /* the parent writes one byte when the id maps are set */
    char *const *argv;
    struct donation *d;
    const char *exe;
    bool userns;
    const char *join_netns;
    bool new_netns; /* made by the clone: its loopback is brought up */
    uid_t uid;
    gid_t gid;
};

/* Sets the ambient capabilities the sandbox needs to build its empty root
 * (all are dropped by the sandbox itself right after). */
static int set_ambient(void)
{
    static const cap_value_t keep[] = {CAP_SYS_ADMIN, CAP_SYS_CHROOT, CAP_SETPCAP};
    cap_t c = cap_get_proc();
    if (!c)
        return -1;
    if (cap_set_flag(c, CAP_INHERITABLE, 3, keep, CAP_SET) < 0 || cap_set_proc(c) < 0) {
        cap_free(c);
        return -1;
    }
    cap_free(c);
    for (size_t i = 0; i < 3; i++)
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, keep[i], 0, 0) < 0)
            return -1;
    return 0;
}

/* `ip link set lo up` in the current network namespace, by rtnetlink (an
 * RTM_NEWLINK that sets IFF_UP, acknowledged): a new namespace has only "lo",
 * down. Needs CAP_NET_ADMIN over the namespace, which the sandbox process has
 * in the user namespace that made it until it execs. Returns 0 or -errno. */
static int loopback_up(void)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
    if (fd < 0)
        return -errno;
    unsigned idx = if_nametoindex("lo");
    struct {
        struct nlmsghdr nh;
        struct ifinfomsg ifi;
    } req = {
        .nh = {.nlmsg_len = sizeof(req),
               .nlmsg_type = RTM_NEWLINK,
               .nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK,
               .nlmsg_seq = 1},
        .ifi = {.ifi_family = AF_UNSPEC,
                .ifi_index = idx ? (int)idx : 1,
                .ifi_flags = IFF_UP,
                .ifi_change = IFF_UP},
    };
    struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
    int r = 0;
    if (sendto(fd, &req, sizeof(req), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
        r = -errno;
    } else {
        union {
            struct nlmsghdr nh;
            char buf[1024];
        } ack;
        ssize_t n = recv(fd, &ack, sizeof(ack), 0);
        if (n < 0)
            r = -errno;
        else if ((size_t)n < NLMSG_LENGTH(sizeof(struct nlmsgerr)) ||
                 ack.nh.nlmsg_type != NLMSG_ERROR)
            r = -EPROTO;
        else
            r = ((struct nlmsgerr *)NLMSG_DATA(&ack.nh))->error;
    }
    close(fd);
    return r;
}

static int sandbox_child(void *p)
{
    struct child_arg *a = p;
    char b;
    if (read(a->sync_fd, &b, 1) != 1)
        _exit(125);
    close(a->sync_fd);
    setsid();
    if (a->join_netns) {
        int nfd = open(a->join_netns, O_RDONLY | O_CLOEXEC);
        if (nfd < 0 || setns(nfd, CLONE_NEWNET) < 0) {
            dprintf(2, "runsc: joining network namespace %s: %s\n", a->join_netns, strerror(errno));
            _exit(125);
        }
        close(nfd);
    }
    if (a->new_netns) {
        int r = loopback_up();
        if (r < 0)
            dprintf(2, "runsc: bringing up the sandbox's loopback interface: %s\n", strerror(-r));
    }
    if (a->userns) {
        /* Become nobody inside (mapped to nobody outside), keeping the
         * ambient capabilities across the uid change. */
        prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0);
        if (setresgid(a->gid, a->gid, a->gid) < 0 || setresuid(a->uid, a->uid, a->uid) < 0) {
            dprintf(2, "runsc: becoming uid %d in the sandbox: %s\n", (int)a->uid, strerror(errno));
            _exit(125);
        }
        if (set_ambient() < 0) {
            dprintf(2, "runsc: setting the sandbox's capabilities: %s\n", strerror(errno));
            _exit(125);
        }
    }
    signal(SIGPIPE, SIG_DFL);
    /* The container's stdio (e.g. a terminal) replaces runsc's own: an
     * engine waiting for EOF on runsc create's pipes must get it. */
    for (int i = 0; i < 3; i++)
        if (a->stdio[i] != i && dup2(a->stdio[i], i) < 0)
            _exit(125);
    /* A container terminal becomes the sandbox's controlling terminal, so
     * ^C and window changes reach it (and through the sentry the
     * application's foreground process group). */
    if (isatty(0))
        ioctl(0, TIOCSCTTY, 0);
    if (donation_apply(a->d) < 0)
        _exit(125);
    char *envp[] = {NULL};
    execve(a->exe, a->argv, envp);
    dprintf(2, "runsc: exec %s as the sandbox (uid %d): %s\n", a->exe, (int)getuid(),
            strerror(errno));
    _exit(127);
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int r = fu_write_all(fd, text, strlen(text));
    close(fd);
    return r;
}

int sandbox_exe_path(char *buf, size_t size, rs_error_t *err)
{
    ssize_t n = readlink("/proc/self/exe", buf, size - 1);
    if (n < 0)
        return rs_error(err, errno, "readlink /proc/self/exe");
    buf[n] = '\0';
    return 0;
}

int sandbox_check_exec_by_nobody(rs_error_t *err)
{
    char exe[4096];
    if (sandbox_exe_path(exe, sizeof(exe), err) < 0)
        return -1;
    struct stat st;
    if (stat(exe, &st) < 0)
        return rs_error(err, errno, "stat %s", exe);
    if (!(st.st_mode & S_IXOTH))
        return rs_error(err, 0,
                        "%s is not executable by uid %d (the sandbox runs as nobody): "
                        "chmod o+x it",
                        exe, NOBODY);
    char dir[4096];
    snprintf(dir, sizeof(dir), "%s", exe);
    for (char *s = strrchr(dir, '/'); s && s != dir; s = strrchr(dir, '/')) {
        *s = '\0';
        if (stat(dir, &st) == 0 && !(st.st_mode & S_IXOTH))
            return rs_error(err, 0,
                            "%s is not searchable by uid %d, so the sandbox cannot run %s: "
                            "chmod o+x %s",
                            dir, NOBODY, exe, dir);
    }
    return 0;
}

int sandbox_launch(struct runsc_globals *g, const struct launch_opts *o, struct donation *d,
                   pid_t *pid, rs_error_t *err)
{
    char exe[4096];
    if (sandbox_exe_path(exe, sizeof(exe), err) < 0)
        return -1;
    bool userns = true;
    uid_t outer_uid = o->rootless ? geteuid() : NOBODY;
    gid_t outer_gid = o->rootless ? getegid() : NOBODY;
    if (!o->rootless && sandbox_check_exec_by_nobody(err) < 0)
        return -1;

    char *argv[160];
    int argc = 0;
    argv[argc++] = "runsc-sandbox";
    if (g->debug)
        argv[argc++] = "--debug";
    if (strcmp(g->log_format, "json") == 0)
        argv[argc++] = "--log-format=json";
    argv[argc++] = "boot";
    for (size_t i = 0; o->boot_args && o->boot_args[i] && argc < 120; i++)
        argv[argc++] = (char *)o->boot_args[i];
    int first_donated = argc;
    argc = donation_argv(d, argv, argc);

    int sync[2];
    if (pipe2(sync, O_CLOEXEC) < 0)
        return rs_error(err, errno, "pipe");
    struct child_arg ca = {
        .sync_fd = sync[0],
        .stdio = o->stdio,
        .argv = argv,
        .d = d,
        .exe = exe,
        .userns = userns,
        .join_netns = o->join_netns,
        .new_netns = o->new_netns && !o->join_netns,
        .uid = NOBODY,
        .gid = NOBODY,
    };
    int flags = CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWPID | SIGCHLD;
    if (o->new_netns && !o->join_netns)
        flags |= CLONE_NEWNET;
    size_t stack_size = 256 << 10;
    void *stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (stack == MAP_FAILED) {
        close(sync[0]);
        close(sync[1]);
        return rs_error(err, errno, "mmap");
    }
    pid_t p = clone(sandbox_child, (char *)stack + stack_size, flags, &ca);
    int clone_errno = errno;
    close(sync[0]);
    donation_argv_free(argv, first_donated, argc);
    if (p < 0) {
        munmap(stack, stack_size);
        close(sync[1]);
        return rs_error(err, clone_errno, "creating the sandbox process in new namespaces");
    }
    /* The id maps: nobody inside is nobody outside (rootless: the caller). */
    char path[64], map[64];
    int r;
    snprintf(path, sizeof(path), "/proc/%d/setgroups", (int)p);
    write_file(path, "deny");
    snprintf(path, sizeof(path), "/proc/%d/uid_map", (int)p);
    snprintf(map, sizeof(map), "%d %d 1\n", NOBODY, (int)outer_uid);
    r = write_file(path, map);
    if (r == 0) {
        snprintf(path, sizeof(path), "/proc/%d/gid_map", (int)p);
        snprintf(map, sizeof(map), "%d %d 1\n", NOBODY, (int)outer_gid);
        r = write_file(path, map);
    }
    if (r < 0) {
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
        close(sync[1]);
        munmap(stack, stack_size);
        return rs_error(err, -r, "writing the sandbox's user namespace maps");
    }
    /* Into the container's cgroup before it runs (its stubs follow it). */
    if (o->cgroup && cgroup_add(o->cgroup, p, err) < 0) {
        kill(p, SIGKILL);
        waitpid(p, NULL, 0);
        close(sync[1]);
        munmap(stack, stack_size);
        return -1;
    }
    if (write(sync[1], "x", 1) != 1) {
        close(sync[1]);
        munmap(stack, stack_size);
        return rs_error(err, errno, "starting the sandbox");
    }
    close(sync[1]);
    /* The child has exec'ed or will; its stack is a copy (no CLONE_VM). */
    munmap(stack, stack_size);
    donation_close(d);
    *pid = p;
    log_debug("started the sandbox (pid %d)", (int)p);
    return 0;
}

int gofer_launch(struct runsc_globals *g, const char *root, bool readonly, char *const *binds,
                 const bool *binds_ro, size_t nbinds, struct donation *d, pid_t *pid,
                 rs_error_t *err)
{
    char exe[4096];
    if (sandbox_exe_path(exe, sizeof(exe), err) < 0)
        return -1;
    char **argv = xzalloc((32 + 2 * nbinds) * sizeof(*argv));
    int argc = 0;
    argv[argc++] = "runsc-gofer";
    if (g->debug)
        argv[argc++] = "--debug";
    argv[argc++] = "gofer";
    argv[argc++] = "--root";
    argv[argc++] = (char *)root;
    if (readonly)
        argv[argc++] = "--ro";
    for (size_t i = 0; i < nbinds; i++) {
        argv[argc++] = binds_ro[i] ? "--bind-ro" : "--bind";
        argv[argc++] = binds[i];
    }
    int first_donated = argc;
    argc = donation_argv(d, argv, argc);
    pid_t p = fork();
    if (p < 0) {
        int e = errno;
        donation_argv_free(argv, first_donated, argc);
        free(argv);
        return rs_error(err, e, "fork");
    }
    if (p == 0) {
        setsid();
        uid_t uid = geteuid();
        gid_t gid = getegid();
        /* Rootless: a user namespace of its own, where the caller is root,
         * gives the gofer the capabilities its confinement needs. */
        int flags = CLONE_NEWNS | (uid != 0 ? CLONE_NEWUSER : 0);
        if (unshare(flags) < 0) {
            dprintf(2, "runsc: gofer: new mount namespace: %s\n", strerror(errno));
            _exit(125);
        }
        if (uid != 0) {
            char map[64];
            snprintf(map, sizeof(map), "0 %d 1\n", (int)uid);
            int r1 = write_file("/proc/self/setgroups", "deny");
            int r2 = write_file("/proc/self/uid_map", map);
            snprintf(map, sizeof(map), "0 %d 1\n", (int)gid);
            int r3 = write_file("/proc/self/gid_map", map);
            if (r1 < 0 || r2 < 0 || r3 < 0) {
                dprintf(2, "runsc: gofer: user namespace maps: %s\n",
                        strerror(-(r2 < 0   ? r2
                                   : r3 < 0 ? r3
                                            : r1)));
                _exit(125);
            }
        }
        signal(SIGPIPE, SIG_DFL);
        /* Not the engine's pipes: the gofer reports to its log. */
        int null = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null >= 0)
            for (int i = 0; i < 3; i++)
                dup2(null, i);
        if (donation_apply(d) < 0)
            _exit(125);
        char *envp[] = {NULL};
        execve(exe, argv, envp);
        _exit(127);
    }
    donation_argv_free(argv, first_donated, argc);
    free(argv);
    donation_close(d);
    *pid = p;
    return 0;
}

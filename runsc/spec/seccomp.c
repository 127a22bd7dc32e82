/* linux.seccomp -> classic BPF with libseccomp (seccomp.h). */
#include "runsc/spec/seccomp.h"

#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/log.h"

/* libseccomp's action for a spec action. act_field and errno_field name the
 * fields for errors ("linux.seccomp.syscalls[2].action"). */
static int action_of(enum spec_seccomp_action a, bool errno_set, uint32_t errno_ret,
                     const char *act_field, const char *errno_field, uint32_t *out, rs_error_t *err)
{
    uint32_t ret = errno_set ? errno_ret : EPERM;
    if (errno_set && errno_ret > 0xffff)
        return rs_error(err, 0, "%s: %u is out of range (at most 65535)", errno_field, errno_ret);
    switch (a) {
    case SPEC_SECCOMP_KILL:
    case SPEC_SECCOMP_KILL_THREAD:
        *out = SCMP_ACT_KILL_THREAD;
        return 0;
    case SPEC_SECCOMP_KILL_PROCESS:
        *out = SCMP_ACT_KILL_PROCESS;
        return 0;
    case SPEC_SECCOMP_TRAP:
        *out = SCMP_ACT_TRAP;
        return 0;
    case SPEC_SECCOMP_ERRNO:
        *out = SCMP_ACT_ERRNO(ret);
        return 0;
    case SPEC_SECCOMP_TRACE:
        *out = SCMP_ACT_TRACE(ret);
        return 0;
    case SPEC_SECCOMP_ALLOW:
        *out = SCMP_ACT_ALLOW;
        return 0;
    case SPEC_SECCOMP_LOG:
        *out = SCMP_ACT_LOG;
        return 0;
    case SPEC_SECCOMP_NOTIFY:
    default:
        return rs_error(err, 0,
                        "%s: %s is not supported (the sandbox has no seccomp user notification)",
                        act_field, spec_seccomp_action_name(a));
    }
}

static enum scmp_compare op_of(enum spec_seccomp_op op)
{
    switch (op) {
    case SPEC_SECCOMP_CMP_NE:
        return SCMP_CMP_NE;
    case SPEC_SECCOMP_CMP_LT:
        return SCMP_CMP_LT;
    case SPEC_SECCOMP_CMP_LE:
        return SCMP_CMP_LE;
    case SPEC_SECCOMP_CMP_EQ:
        return SCMP_CMP_EQ;
    case SPEC_SECCOMP_CMP_GE:
        return SCMP_CMP_GE;
    case SPEC_SECCOMP_CMP_GT:
        return SCMP_CMP_GT;
    case SPEC_SECCOMP_CMP_MASKED_EQ:
    default:
        return SCMP_CMP_MASKED_EQ;
    }
}

/* MASKED_EQ: value is the mask, valueTwo the value (datum_a, datum_b). */
static struct scmp_arg_cmp cond_of(const struct spec_seccomp_arg *a)
{
    return (struct scmp_arg_cmp){
        .arg = a->index, .op = op_of(a->op), .datum_a = a->value, .datum_b = a->value_two};
}

/* Whether two conditions of the rule test the same argument (libseccomp
 * takes one condition per argument: runc then adds one rule per condition,
 * which matches when any of them holds). */
static bool same_arg_twice(const struct spec_seccomp_syscall *sc)
{
    for (size_t i = 0; i < sc->args_count; i++)
        for (size_t j = i + 1; j < sc->args_count; j++)
            if (sc->args[i].index == sc->args[j].index)
                return true;
    return false;
}

static int add_rules(scmp_filter_ctx ctx, size_t idx, const struct spec_seccomp_syscall *sc,
                     uint32_t action, rs_error_t *err)
{
    /* Without a repeated argument there are at most 6 conditions (index <= 5). */
    bool split = same_arg_twice(sc);
    struct scmp_arg_cmp conds[6];
    size_t n = split ? 0 : sc->args_count;
    for (size_t i = 0; i < n; i++)
        conds[i] = cond_of(&sc->args[i]);
    for (size_t k = 0; k < sc->names.count; k++) {
        const char *name = sc->names.items[k];
        int nr = seccomp_syscall_resolve_name(name);
        if (nr == __NR_SCMP_ERROR) {
            log_warn("linux.seccomp.syscalls[%zu]: unknown system call \"%s\" skipped", idx, name);
            continue;
        }
        int r = 0;
        if (!split) {
            r = seccomp_rule_add_array(ctx, action, nr, (unsigned)n, n ? conds : NULL);
        } else {
            for (size_t i = 0; i < sc->args_count && r == 0; i++) {
                struct scmp_arg_cmp c = cond_of(&sc->args[i]);
                r = seccomp_rule_add_array(ctx, action, nr, 1, &c);
            }
        }
        if (r < 0)
            return rs_error(err, -r, "linux.seccomp.syscalls[%zu]: adding the rule for %s", idx,
                            name);
    }
    return 0;
}

/* The BPF program of ctx, read back from a memfd. */
static int export_bpf(scmp_filter_ctx ctx, uint8_t **out, size_t *len, rs_error_t *err)
{
    int fd = memfd_create("runsc-seccomp", MFD_CLOEXEC);
    if (fd < 0)
        return rs_error(err, errno, "linux.seccomp: memfd_create");
    int r = seccomp_export_bpf(ctx, fd);
    if (r < 0) {
        close(fd);
        return rs_error(err, -r, "linux.seccomp: exporting the filter");
    }
    off_t size = lseek(fd, 0, SEEK_END);
    if (size <= 0 || size % 8 != 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return rs_error(err, size < 0 ? errno : 0,
                        "linux.seccomp: the exported filter has a bad size (%lld bytes)",
                        (long long)size);
    }
    uint8_t *buf = xmalloc((size_t)size);
    ssize_t got = pread(fd, buf, (size_t)size, 0);
    int e = errno;
    close(fd);
    if (got != size) {
        free(buf);
        return rs_error(err, got < 0 ? e : EIO, "linux.seccomp: reading the exported filter");
    }
    *out = buf;
    *len = (size_t)size;
    return 0;
}

int spec_seccomp_compile(const struct spec_seccomp *sc, uint8_t **out, size_t *len, rs_error_t *err)
{
    uint32_t def;
    if (action_of(sc->default_action, sc->default_errno_ret_set, sc->default_errno_ret,
                  "linux.seccomp.defaultAction", "linux.seccomp.defaultErrnoRet", &def, err) < 0)
        return -1;
    if (sc->listener_path && sc->listener_path[0])
        return rs_error(err, 0,
                        "linux.seccomp.listenerPath: not supported (the sandbox has no seccomp "
                        "user notification)");
    for (size_t i = 0; i < sc->architectures.count; i++)
        if (strcmp(sc->architectures.items[i], "SCMP_ARCH_X86_64") != 0)
            log_debug("linux.seccomp: architecture %s ignored: the sandbox runs x86-64 only",
                      sc->architectures.items[i]);
    for (size_t i = 0; i < sc->flags.count; i++)
        log_debug("linux.seccomp: flag %s ignored", sc->flags.items[i]);
    /* Every action and name first, so that a bad one fails before libseccomp runs. */
    uint32_t *actions = xzalloc((sc->syscalls_count ? sc->syscalls_count : 1) * sizeof(*actions));
    for (size_t i = 0; i < sc->syscalls_count; i++) {
        for (size_t k = 0; k < sc->syscalls[i].names.count; k++) {
            if (!sc->syscalls[i].names.items[k][0]) {
                free(actions);
                return rs_error(err, 0, "linux.seccomp.syscalls[%zu].names[%zu]: must not be empty",
                                i, k);
            }
        }
        char act_field[64], errno_field[64];
        snprintf(act_field, sizeof(act_field), "linux.seccomp.syscalls[%zu].action", i);
        snprintf(errno_field, sizeof(errno_field), "linux.seccomp.syscalls[%zu].errnoRet", i);
        if (action_of(sc->syscalls[i].action, sc->syscalls[i].errno_ret_set,
                      sc->syscalls[i].errno_ret, act_field, errno_field, &actions[i], err) < 0) {
            free(actions);
            return -1;
        }
    }
    scmp_filter_ctx ctx = seccomp_init(def);
    if (!ctx) {
        free(actions);
        return rs_error(err, 0, "linux.seccomp: libseccomp could not create a filter");
    }
    int r = 0;
    for (size_t i = 0; i < sc->syscalls_count && r == 0; i++) {
        if (actions[i] == def) {
            /* libseccomp refuses rules with the default action; they change nothing. */
            continue;
        }
        r = add_rules(ctx, i, &sc->syscalls[i], actions[i], err);
    }
    free(actions);
    if (r == 0)
        r = export_bpf(ctx, out, len, err);
    seccomp_release(ctx);
    return r < 0 ? -1 : 0;
}

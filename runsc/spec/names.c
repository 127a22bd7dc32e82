/* Name <-> number tables for the OCI spec's kernel constants. The tables are
 * indexed by number; the capability and rlimit numbers are the Linux ABI. */
#include "runsc/spec/names.h"

#include <sched.h>
#include <stddef.h>
#include <string.h>
#include <sys/resource.h>

#include "lib/cleanup.h"

/* Indexed by capability number (<linux/capability.h>). */
static const char *const g_caps[SPEC_CAP_LAST + 1] = {
    [0] = "CAP_CHOWN",
    [1] = "CAP_DAC_OVERRIDE",
    [2] = "CAP_DAC_READ_SEARCH",
    [3] = "CAP_FOWNER",
    [4] = "CAP_FSETID",
    [5] = "CAP_KILL",
    [6] = "CAP_SETGID",
    [7] = "CAP_SETUID",
    [8] = "CAP_SETPCAP",
    [9] = "CAP_LINUX_IMMUTABLE",
    [10] = "CAP_NET_BIND_SERVICE",
    [11] = "CAP_NET_BROADCAST",
    [12] = "CAP_NET_ADMIN",
    [13] = "CAP_NET_RAW",
    [14] = "CAP_IPC_LOCK",
    [15] = "CAP_IPC_OWNER",
    [16] = "CAP_SYS_MODULE",
    [17] = "CAP_SYS_RAWIO",
    [18] = "CAP_SYS_CHROOT",
    [19] = "CAP_SYS_PTRACE",
    [20] = "CAP_SYS_PACCT",
    [21] = "CAP_SYS_ADMIN",
    [22] = "CAP_SYS_BOOT",
    [23] = "CAP_SYS_NICE",
    [24] = "CAP_SYS_RESOURCE",
    [25] = "CAP_SYS_TIME",
    [26] = "CAP_SYS_TTY_CONFIG",
    [27] = "CAP_MKNOD",
    [28] = "CAP_LEASE",
    [29] = "CAP_AUDIT_WRITE",
    [30] = "CAP_AUDIT_CONTROL",
    [31] = "CAP_SETFCAP",
    [32] = "CAP_MAC_OVERRIDE",
    [33] = "CAP_MAC_ADMIN",
    [34] = "CAP_SYSLOG",
    [35] = "CAP_WAKE_ALARM",
    [36] = "CAP_BLOCK_SUSPEND",
    [37] = "CAP_AUDIT_READ",
    [38] = "CAP_PERFMON",
    [39] = "CAP_BPF",
    [40] = "CAP_CHECKPOINT_RESTORE",
};

static const char *const g_rlimits[] = {
    [RLIMIT_CPU] = "RLIMIT_CPU",           [RLIMIT_FSIZE] = "RLIMIT_FSIZE",
    [RLIMIT_DATA] = "RLIMIT_DATA",         [RLIMIT_STACK] = "RLIMIT_STACK",
    [RLIMIT_CORE] = "RLIMIT_CORE",         [RLIMIT_RSS] = "RLIMIT_RSS",
    [RLIMIT_NPROC] = "RLIMIT_NPROC",       [RLIMIT_NOFILE] = "RLIMIT_NOFILE",
    [RLIMIT_MEMLOCK] = "RLIMIT_MEMLOCK",   [RLIMIT_AS] = "RLIMIT_AS",
    [RLIMIT_LOCKS] = "RLIMIT_LOCKS",       [RLIMIT_SIGPENDING] = "RLIMIT_SIGPENDING",
    [RLIMIT_MSGQUEUE] = "RLIMIT_MSGQUEUE", [RLIMIT_NICE] = "RLIMIT_NICE",
    [RLIMIT_RTPRIO] = "RLIMIT_RTPRIO",     [RLIMIT_RTTIME] = "RLIMIT_RTTIME",
};

static const char *const g_ns_types[SPEC_NS_COUNT] = {
    [SPEC_NS_PID] = "pid",       [SPEC_NS_NETWORK] = "network", [SPEC_NS_MOUNT] = "mount",
    [SPEC_NS_IPC] = "ipc",       [SPEC_NS_UTS] = "uts",         [SPEC_NS_USER] = "user",
    [SPEC_NS_CGROUP] = "cgroup", [SPEC_NS_TIME] = "time",
};

static const int g_ns_flags[SPEC_NS_COUNT] = {
    [SPEC_NS_PID] = CLONE_NEWPID,       [SPEC_NS_NETWORK] = CLONE_NEWNET,
    [SPEC_NS_MOUNT] = CLONE_NEWNS,      [SPEC_NS_IPC] = CLONE_NEWIPC,
    [SPEC_NS_UTS] = CLONE_NEWUTS,       [SPEC_NS_USER] = CLONE_NEWUSER,
    [SPEC_NS_CGROUP] = CLONE_NEWCGROUP, [SPEC_NS_TIME] = 0x00000080 /* CLONE_NEWTIME */,
};

static const char *const g_hook_kinds[SPEC_HOOK_COUNT] = {
    [SPEC_HOOK_PRESTART] = "prestart",
    [SPEC_HOOK_CREATE_RUNTIME] = "createRuntime",
    [SPEC_HOOK_CREATE_CONTAINER] = "createContainer",
    [SPEC_HOOK_START_CONTAINER] = "startContainer",
    [SPEC_HOOK_POSTSTART] = "poststart",
    [SPEC_HOOK_POSTSTOP] = "poststop",
};

static const char *const g_seccomp_actions[SPEC_SECCOMP_ACTION_COUNT] = {
    [SPEC_SECCOMP_KILL] = "SCMP_ACT_KILL",
    [SPEC_SECCOMP_KILL_PROCESS] = "SCMP_ACT_KILL_PROCESS",
    [SPEC_SECCOMP_KILL_THREAD] = "SCMP_ACT_KILL_THREAD",
    [SPEC_SECCOMP_TRAP] = "SCMP_ACT_TRAP",
    [SPEC_SECCOMP_ERRNO] = "SCMP_ACT_ERRNO",
    [SPEC_SECCOMP_TRACE] = "SCMP_ACT_TRACE",
    [SPEC_SECCOMP_ALLOW] = "SCMP_ACT_ALLOW",
    [SPEC_SECCOMP_LOG] = "SCMP_ACT_LOG",
    [SPEC_SECCOMP_NOTIFY] = "SCMP_ACT_NOTIFY",
};

static const char *const g_seccomp_ops[SPEC_SECCOMP_OP_COUNT] = {
    [SPEC_SECCOMP_CMP_NE] = "SCMP_CMP_NE",
    [SPEC_SECCOMP_CMP_LT] = "SCMP_CMP_LT",
    [SPEC_SECCOMP_CMP_LE] = "SCMP_CMP_LE",
    [SPEC_SECCOMP_CMP_EQ] = "SCMP_CMP_EQ",
    [SPEC_SECCOMP_CMP_GE] = "SCMP_CMP_GE",
    [SPEC_SECCOMP_CMP_GT] = "SCMP_CMP_GT",
    [SPEC_SECCOMP_CMP_MASKED_EQ] = "SCMP_CMP_MASKED_EQ",
};

static const char *const g_seccomp_archs[] = {
    "SCMP_ARCH_X86",     "SCMP_ARCH_X86_64",   "SCMP_ARCH_X32",         "SCMP_ARCH_ARM",
    "SCMP_ARCH_AARCH64", "SCMP_ARCH_MIPS",     "SCMP_ARCH_MIPS64",      "SCMP_ARCH_MIPS64N32",
    "SCMP_ARCH_MIPSEL",  "SCMP_ARCH_MIPSEL64", "SCMP_ARCH_MIPSEL64N32", "SCMP_ARCH_PPC",
    "SCMP_ARCH_PPC64",   "SCMP_ARCH_PPC64LE",  "SCMP_ARCH_S390",        "SCMP_ARCH_S390X",
    "SCMP_ARCH_PARISC",  "SCMP_ARCH_PARISC64", "SCMP_ARCH_RISCV64",     "SCMP_ARCH_LOONGARCH64",
};

static const char *const g_seccomp_flags[] = {
    "SECCOMP_FILTER_FLAG_TSYNC",
    "SECCOMP_FILTER_FLAG_LOG",
    "SECCOMP_FILTER_FLAG_SPEC_ALLOW",
    "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV",
};

/* Index of name in a table (NULL holes allowed), or -1. */
static int lookup(const char *const *table, size_t count, const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < count; i++)
        if (table[i] && strcmp(table[i], name) == 0)
            return (int)i;
    return -1;
}

static const char *name_of(const char *const *table, size_t count, int i)
{
    return i >= 0 && (size_t)i < count ? table[i] : NULL;
}

int spec_cap_from_name(const char *name)
{
    return lookup(g_caps, ARRAY_SIZE(g_caps), name);
}

const char *spec_cap_name(int cap)
{
    return name_of(g_caps, ARRAY_SIZE(g_caps), cap);
}

int spec_rlimit_from_name(const char *name)
{
    return lookup(g_rlimits, ARRAY_SIZE(g_rlimits), name);
}

const char *spec_rlimit_name(int resource)
{
    return name_of(g_rlimits, ARRAY_SIZE(g_rlimits), resource);
}

int spec_ns_type_from_name(const char *name)
{
    return lookup(g_ns_types, ARRAY_SIZE(g_ns_types), name);
}

const char *spec_ns_type_name(int type)
{
    return name_of(g_ns_types, ARRAY_SIZE(g_ns_types), type);
}

int spec_ns_clone_flag(enum spec_ns_type type)
{
    return (unsigned)type < SPEC_NS_COUNT ? g_ns_flags[type] : 0;
}

const char *spec_hook_kind_name(int kind)
{
    return name_of(g_hook_kinds, ARRAY_SIZE(g_hook_kinds), kind);
}

int spec_seccomp_action_from_name(const char *name)
{
    return lookup(g_seccomp_actions, ARRAY_SIZE(g_seccomp_actions), name);
}

const char *spec_seccomp_action_name(int action)
{
    return name_of(g_seccomp_actions, ARRAY_SIZE(g_seccomp_actions), action);
}

int spec_seccomp_op_from_name(const char *name)
{
    return lookup(g_seccomp_ops, ARRAY_SIZE(g_seccomp_ops), name);
}

const char *spec_seccomp_op_name(int op)
{
    return name_of(g_seccomp_ops, ARRAY_SIZE(g_seccomp_ops), op);
}

bool spec_seccomp_arch_known(const char *name)
{
    return lookup(g_seccomp_archs, ARRAY_SIZE(g_seccomp_archs), name) >= 0;
}

bool spec_seccomp_flag_known(const char *name)
{
    return lookup(g_seccomp_flags, ARRAY_SIZE(g_seccomp_flags), name) >= 0;
}

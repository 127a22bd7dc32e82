/* Names the OCI runtime spec uses for kernel constants, and their numbers:
 * capabilities (CAP_*), resource limits (RLIMIT_*), namespace types, seccomp
 * actions, comparison operators, architectures and filter flags, hook kinds.
 *
 * Every *_from_name() returns -1 for an unknown name; every *_name() returns
 * NULL for an unknown number. Names are case-sensitive, as in runc. */
#pragma once

#include <stdbool.h>

/* Highest capability number this runtime knows: CAP_CHECKPOINT_RESTORE. */
#define SPEC_CAP_LAST 40

int spec_cap_from_name(const char *name); /* "CAP_KILL" -> 5 */
const char *spec_cap_name(int cap);       /* 5 -> "CAP_KILL" */

/* RLIMIT_CPU .. RLIMIT_RTTIME (the numbers of <sys/resource.h>). */
int spec_rlimit_from_name(const char *name);
const char *spec_rlimit_name(int resource);

enum spec_ns_type {
    SPEC_NS_PID,
    SPEC_NS_NETWORK,
    SPEC_NS_MOUNT,
    SPEC_NS_IPC,
    SPEC_NS_UTS,
    SPEC_NS_USER,
    SPEC_NS_CGROUP,
    SPEC_NS_TIME,
    SPEC_NS_COUNT
};
int spec_ns_type_from_name(const char *name); /* "network" -> SPEC_NS_NETWORK */
const char *spec_ns_type_name(int type);
/* The CLONE_NEW* flag of a namespace type. */
int spec_ns_clone_flag(enum spec_ns_type type);

enum spec_hook_kind {
    SPEC_HOOK_PRESTART,
    SPEC_HOOK_CREATE_RUNTIME,
    SPEC_HOOK_CREATE_CONTAINER,
    SPEC_HOOK_START_CONTAINER,
    SPEC_HOOK_POSTSTART,
    SPEC_HOOK_POSTSTOP,
    SPEC_HOOK_COUNT
};
const char *spec_hook_kind_name(int kind); /* SPEC_HOOK_CREATE_RUNTIME -> "createRuntime" */

enum spec_seccomp_action {
    SPEC_SECCOMP_KILL,
    SPEC_SECCOMP_KILL_PROCESS,
    SPEC_SECCOMP_KILL_THREAD,
    SPEC_SECCOMP_TRAP,
    SPEC_SECCOMP_ERRNO,
    SPEC_SECCOMP_TRACE,
    SPEC_SECCOMP_ALLOW,
    SPEC_SECCOMP_LOG,
    SPEC_SECCOMP_NOTIFY,
    SPEC_SECCOMP_ACTION_COUNT
};
int spec_seccomp_action_from_name(const char *name); /* "SCMP_ACT_ERRNO" */
const char *spec_seccomp_action_name(int action);

enum spec_seccomp_op {
    SPEC_SECCOMP_CMP_NE,
    SPEC_SECCOMP_CMP_LT,
    SPEC_SECCOMP_CMP_LE,
    SPEC_SECCOMP_CMP_EQ,
    SPEC_SECCOMP_CMP_GE,
    SPEC_SECCOMP_CMP_GT,
    SPEC_SECCOMP_CMP_MASKED_EQ,
    SPEC_SECCOMP_OP_COUNT
};
int spec_seccomp_op_from_name(const char *name); /* "SCMP_CMP_MASKED_EQ" */
const char *spec_seccomp_op_name(int op);

/* "SCMP_ARCH_X86_64", ... (libseccomp's names, as the spec lists them). */
bool spec_seccomp_arch_known(const char *name);
/* "SECCOMP_FILTER_FLAG_TSYNC", "..._LOG", "..._SPEC_ALLOW", "..._WAIT_KILLABLE_RECV". */
bool spec_seccomp_flag_known(const char *name);

/* OCI runtime spec (config.json): parsing and validation into C structs.
 *
 * Every field the runtime honours has a member here; unknown JSON fields are
 * ignored (the spec requires it), and a JSON null reads as an absent field,
 * as with Go's encoding/json in runc. Known fields of the wrong type, and
 * values the runtime cannot honour, are errors that name the field by its
 * path: "mounts[2].destination: must be an absolute path".
 *
 * Ownership: a struct spec and everything it points to is heap memory owned
 * by the struct; spec_free() releases it all, also for a partly filled spec.
 * Optional numbers carry a <name>_set flag. Arrays are (pointer, count)
 * pairs; string vectors are struct spec_strv.
 *
 * The default spec ("runsc spec") lives in default.c/default.h. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/error.h"
#include "runsc/spec/default.h"
#include "runsc/spec/names.h"

/* Largest config.json spec_load() reads. */
#define SPEC_MAX_FILE_SIZE (16u << 20)

/* A string vector. items is NULL-terminated (items[count] == NULL), so it can
 * go to execve() as it is; items is NULL when the field was absent. */
struct spec_strv {
    char **items;
    size_t count;
};

struct spec_kv {
    char *key;
    char *value;
};

struct spec_user {
    uint32_t uid;
    uint32_t gid;
    bool umask_set;
    uint32_t umask;
    uint32_t *additional_gids;
    size_t additional_gids_count;
};

/* Capability sets as bit masks: bit n = capability n (see names.h). */
struct spec_capabilities {
    uint64_t bounding;
    uint64_t effective;
    uint64_t inheritable;
    uint64_t permitted;
    uint64_t ambient;
};

struct spec_rlimit {
    int resource; /* RLIMIT_* number */
    uint64_t hard;
    uint64_t soft;
};

struct spec_process {
    bool terminal;
    bool console_size_set;
    uint32_t console_height;
    uint32_t console_width;
    struct spec_user user;
    struct spec_strv args; /* non-empty */
    struct spec_strv env;  /* every entry NAME=value */
    char *cwd;             /* absolute */
    /* capabilities_set false: the object was absent (runc then leaves the
     * capabilities alone); true: exactly the listed capabilities. */
    bool capabilities_set;
    struct spec_capabilities capabilities;
    struct spec_rlimit *rlimits; /* no two of the same resource; soft <= hard */
    size_t rlimits_count;
    bool no_new_privileges;
    bool oom_score_adj_set;
    int oom_score_adj; /* -1000..1000 */
    char *apparmor_profile;
    char *selinux_label;
};

struct spec_root {
    char *path; /* as written in config.json */
    bool readonly;
    /* path resolved against the bundle directory (lexically cleaned, symlinks
     * not followed); set by spec_load(), NULL after spec_parse(). */
    char *abs_path;
};

struct spec_mount {
    char *destination; /* absolute */
    char *type;        /* NULL when absent (bind mounts may omit it) */
    char *source;      /* NULL when absent; relative bind sources are relative to the bundle */
    struct spec_strv options;
};

struct spec_hook {
    char *path; /* absolute */
    struct spec_strv args;
    struct spec_strv env;
    bool timeout_set;
    int timeout; /* seconds, > 0 */
};

struct spec_hook_list {
    struct spec_hook *items;
    size_t count;
};

struct spec_namespace {
    enum spec_ns_type type;
    char *path; /* NULL: create a new one; else an absolute path to join */
};

struct spec_id_mapping {
    uint32_t container_id;
    uint32_t host_id;
    uint32_t size; /* > 0 */
};

struct spec_memory {
    bool limit_set, reservation_set, swap_set;
    int64_t limit;
    int64_t reservation;
    int64_t swap;
};

struct spec_cpu {
    bool shares_set, quota_set, period_set;
    uint64_t shares;
    int64_t quota;
    uint64_t period;
    char *cpus; /* cpuset list, NULL when absent */
    char *mems;
};

struct spec_pids {
    bool limit_set;
    int64_t limit;
};

/* A device cgroup rule (linux.resources.devices). */
struct spec_device_rule {
    bool allow;
    char type; /* 'a', 'c', 'b', or 0 when absent (= all) */
    bool major_set, minor_set;
    int64_t major; /* -1 = any */
    int64_t minor;
    char *access; /* letters of "rwm", NULL when absent (= all) */
};

struct spec_resources {
    struct spec_memory memory;
    struct spec_cpu cpu;
    struct spec_pids pids;
    struct spec_device_rule *devices;
    size_t devices_count;
};

struct spec_seccomp_arg {
    uint32_t index; /* 0..5 */
    uint64_t value;
    uint64_t value_two;
    enum spec_seccomp_op op;
};

struct spec_seccomp_syscall {
    struct spec_strv names; /* non-empty; not checked against a syscall table */
    enum spec_seccomp_action action;
    bool errno_ret_set;
    uint32_t errno_ret;
    struct spec_seccomp_arg *args;
    size_t args_count;
};

struct spec_seccomp {
    enum spec_seccomp_action default_action;
    bool default_errno_ret_set;
    uint32_t default_errno_ret;
    struct spec_strv architectures; /* SCMP_ARCH_* names, all known */
    struct spec_strv flags;         /* SECCOMP_FILTER_FLAG_* names, all known */
    char *listener_path;
    char *listener_metadata;
    struct spec_seccomp_syscall *syscalls;
    size_t syscalls_count;
};

struct spec_device {
    char *path;           /* absolute */
    char type;            /* 'c', 'b', 'u' or 'p' */
    int64_t major, minor; /* 0 for 'p' */
    bool file_mode_set, uid_set, gid_set;
    uint32_t file_mode;
    uint32_t uid;
    uint32_t gid;
};

struct spec_linux {
    bool present;                      /* the "linux" object was there */
    struct spec_namespace *namespaces; /* no type twice */
    size_t namespaces_count;
    struct spec_id_mapping *uid_mappings;
    size_t uid_mappings_count;
    struct spec_id_mapping *gid_mappings;
    size_t gid_mappings_count;
    struct spec_kv *sysctl; /* in file order */
    size_t sysctl_count;
    bool resources_set;
    struct spec_resources resources;
    char *cgroups_path;
    struct spec_seccomp *seccomp; /* NULL when absent */
    struct spec_strv masked_paths;
    struct spec_strv readonly_paths;
    struct spec_device *devices;
    size_t devices_count;
    char *rootfs_propagation; /* NULL or one of private, rprivate, shared, ... */
    char *mount_label;
};

struct spec {
    char *oci_version;
    struct spec_process *process; /* NULL when absent (allowed until create) */
    struct spec_root root;        /* required */
    char *hostname;
    char *domainname;
    struct spec_mount *mounts;
    size_t mounts_count;
    struct spec_hook_list hooks[SPEC_HOOK_COUNT]; /* indexed by enum spec_hook_kind */
    struct spec_kv *annotations;                  /* in file order, keys unique */
    size_t annotations_count;
    /* The "linux" object. (The member is not called "linux": GNU C
     * predefines that name as a macro.) */
    struct spec_linux lx;
    char *bundle; /* absolute bundle directory; set by spec_load(), NULL after spec_parse() */
};

/* Parses and validates config.json text (len bytes; need not be
 * NUL-terminated). Malformed JSON is reported as "line L, column C: what".
 * Integers up to 2^64-1 are accepted where the field is unsigned 64-bit. */
int spec_parse(const char *json, size_t len, struct spec **out, rs_error_t *err);

/* Reads <bundle>/config.json, parses it, and fills spec->bundle and
 * spec->root.abs_path. Errors are prefixed with the file's path. */
int spec_load(const char *bundle, struct spec **out, rs_error_t *err);

/* What create and run need beyond spec_parse(): a process. */
int spec_validate_for_create(const struct spec *spec, rs_error_t *err);

void spec_free(struct spec *spec);

/* A process object on its own ("runc exec --process process.json"): the
 * same rules as the spec's "process"; field paths start at its members. */
int spec_parse_process(const char *json, size_t len, struct spec_process **out, rs_error_t *err);
void spec_process_free(struct spec_process *process);

/* The namespace entry of a type, or NULL when the spec has none. */
const struct spec_namespace *spec_find_namespace(const struct spec *spec, enum spec_ns_type type);
/* The value of an annotation, or NULL. */
const char *spec_annotation(const struct spec *spec, const char *key);
/* A bind mount: type "bind", or an option "bind" / "rbind". */
bool spec_mount_is_bind(const struct spec_mount *mount);

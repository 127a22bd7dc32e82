/* Container state files under --root.
 *
 * Layout: <root>/<id>/state.json, written atomically (temp + rename) while
 * holding an exclusive flock on the directory <root>/<id>. Readers take a
 * shared flock. A container whose directory exists but whose state.json does
 * not is being created or deleted and reads as "does not exist". */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "lib/error.h"

struct container_state {
    char *id;
    char *bundle;
    char *status;  /* as recorded: creating, created, running, paused, stopped */
    pid_t pid;     /* the container's init as seen from the host (sandbox pid) */
    char *created; /* RFC 3339 with nanoseconds, UTC */
    char *owner;
    char *annotations_json; /* JSON object text, "{}" when none */
    /* Runtime-private. */
    pid_t sandbox_pid;
    pid_t gofer_pid;
    char *control_socket;
    char *cgroup_path; /* NULL/"" when the container has no cgroup */
    /* linux.resources as runsc update last applied them (JSON object text,
     * runc keeps them in its state too); NULL until the first update. */
    char *resources_json;
};

/* Container ids: [A-Za-z0-9_+.-]+, not "." or "..", at most 1024 bytes. */
int state_check_id(const char *id, rs_error_t *err);
/* Takes the container lock: LOCK_EX or LOCK_SH. With create, makes the
 * directory; without, a missing container is 'container "ID" does not exist'. */
int state_lock(const char *root, const char *id, int how, bool create, int *lock_fd,
               rs_error_t *err);
int state_save(const char *root, const struct container_state *st, rs_error_t *err);
/* Removes the state file and the container's directory (best effort). */
void state_remove(const char *root, const char *id);
/* Caller holds the lock. Refreshes status: a recorded live state whose
 * sandbox process is gone reads as "stopped". */
int state_load(const char *root, const char *id, struct container_state *st, rs_error_t *err);
/* Ids of every container with a state file, sorted. */
int state_list_ids(const char *root, char ***ids, size_t *count, rs_error_t *err);
void state_free_ids(char **ids, size_t count);
void state_release(struct container_state *st);
/* The OCI state JSON (ociVersion, id, status, pid, bundle, annotations);
 * malloc'ed, no trailing newline. */
char *state_to_oci_json(const struct container_state *st);
/* Now, as RFC 3339 UTC with nanoseconds. */
char *state_now_rfc3339(void);

#include "runsc/container/container.h"

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "runsc/container/state.h"
#include "runsc/spec/spec.h"

int container_state(struct runsc_globals *g, const char *id, rs_error_t *err)
{
    cleanup_close int lock = -1;
    if (state_lock(g->root, id, LOCK_SH, false, &lock, err) < 0)
        return -1;
    struct container_state st;
    if (state_load(g->root, id, &st, err) < 0)
        return -1;
    char *text = state_to_oci_json(&st);
    printf("%s\n", text);
    free(text);
    state_release(&st);
    return 0;
}

int container_list(struct runsc_globals *g, enum list_format format, bool quiet, rs_error_t *err)
{
    char **ids;
    size_t n;
    if (state_list_ids(g->root, &ids, &n, err) < 0)
        return -1;
    json_t *arr = json_array();
    if (format == LIST_FORMAT_TABLE && !quiet)
        printf("%-12s %-10s %-10s %-40s %-30s %s\n", "ID", "PID", "STATUS", "BUNDLE", "CREATED",
               "OWNER");
    for (size_t i = 0; i < n; i++) {
        int lock = -1;
        rs_error_t e = NULL;
        struct container_state st;
        if (state_lock(g->root, ids[i], LOCK_SH, false, &lock, &e) < 0 ||
            state_load(g->root, ids[i], &st, &e) < 0) {
            /* Raced with delete, or unreadable: skip it, as runc does. */
            rs_error_release(&e);
            if (lock >= 0)
                close(lock);
            continue;
        }
        close(lock);
        bool stopped = strcmp(st.status, "stopped") == 0;
        if (quiet) {
            printf("%s\n", st.id);
        } else if (format == LIST_FORMAT_TABLE) {
            printf("%-12s %-10d %-10s %-40s %-30s %s\n", st.id, stopped ? 0 : (int)st.pid,
                   st.status, st.bundle, st.created, st.owner);
        } else {
            json_t *o = json_object();
            json_object_set_new(o, "ociVersion", json_string(RUNSC_OCI_VERSION));
            json_object_set_new(o, "id", json_string(st.id));
            json_object_set_new(o, "pid", json_integer(stopped ? 0 : st.pid));
            json_object_set_new(o, "status", json_string(st.status));
            json_object_set_new(o, "bundle", json_string(st.bundle));
            json_object_set_new(o, "rootfs", json_string(""));
            json_object_set_new(o, "created", json_string(st.created));
            json_t *ann = json_loads(st.annotations_json, 0, NULL);
            json_object_set_new(o, "annotations", ann ? ann : json_object());
            json_object_set_new(o, "owner", json_string(st.owner));
            json_array_append_new(arr, o);
        }
        state_release(&st);
    }
    if (format == LIST_FORMAT_JSON && !quiet) {
        char *text = json_dumps(arr, JSON_COMPACT | JSON_PRESERVE_ORDER);
        printf("%s\n", text);
        free(text);
    }
    json_decref(arr);
    state_free_ids(ids, n);
    return 0;
}

int container_spec(struct runsc_globals *g, const char *bundle, bool rootless, rs_error_t *err)
{
    return spec_write_default(bundle, rootless, err);
}

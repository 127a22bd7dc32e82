/* runsc update: the resources JSON, the cgroup writes and the record of the
 * container's resources in its state (runc keeps them in its state.json). */
#include "runsc/container/update.h"

#include <errno.h>
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/log.h"
#include "runsc/container/state.h"
#include "runsc/sandbox/control_client.h"

/* ---- the resources JSON ------------------------------------------------- */

/* obj.key as an integer in [min, max]; absent or null leaves *out alone. */
static int get_int(json_t *obj, const char *section, const char *key, long long min, long long max,
                   long long *out, rs_error_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_integer(v))
        return rs_error(err, 0, "resources: %s.%s must be an integer", section, key);
    long long n = json_integer_value(v);
    if (n < min || n > max)
        return rs_error(err, 0, "resources: %s.%s is out of range (%lld to %lld): %lld", section,
                        key, min, max, n);
    *out = n;
    return 0;
}

static int get_str(json_t *obj, const char *section, const char *key, char **out, rs_error_t *err)
{
    json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return rs_error(err, 0, "resources: %s.%s must be a string", section, key);
    free(*out);
    *out = xstrdup(json_string_value(v));
    return 0;
}

static int get_section(json_t *o, const char *key, json_t **out, rs_error_t *err)
{
    json_t *v = json_object_get(o, key);
    *out = NULL;
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_object(v))
        return rs_error(err, 0, "resources: %s must be an object", key);
    *out = v;
    return 0;
}

/* Members runc update accepts but does not apply. */
static void warn_ignored(json_t *section, const char *name, const char *const *keys)
{
    for (size_t i = 0; section && keys[i]; i++) {
        json_t *v = json_object_get(section, keys[i]);
        if (v && !json_is_null(v) && !(json_is_integer(v) && json_integer_value(v) == 0) &&
            !(json_is_array(v) && json_array_size(v) == 0) &&
            !(json_is_object(v) && json_object_size(v) == 0))
            log_warn("runsc update: resources %s%s%s is not applied", name, *name ? "." : "",
                     keys[i]);
    }
}

static int parse_resources(json_t *o, struct update_request *req, rs_error_t *err)
{
    struct cgroup_resources *r = &req->r;
    json_t *mem, *cpu, *pids, *blkio;
    if (get_section(o, "memory", &mem, err) < 0 || get_section(o, "cpu", &cpu, err) < 0 ||
        get_section(o, "pids", &pids, err) < 0 || get_section(o, "blockIO", &blkio, err) < 0)
        return -1;
    long long v;
    if (mem) {
        const struct {
            const char *key;
            int64_t *dst;
        } m[] = {{"limit", &r->memory},
                 {"reservation", &r->memory_reservation},
                 {"swap", &r->memory_swap}};
        for (size_t i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
            v = *m[i].dst;
            if (get_int(mem, "memory", m[i].key, INT64_MIN, INT64_MAX, &v, err) < 0)
                return -1;
            *m[i].dst = v;
        }
        warn_ignored(mem, "memory",
                     (const char *const[]){"kernel", "kernelTCP", "swappiness", "disableOOMKiller",
                                           "useHierarchy", NULL});
    }
    if (cpu) {
        const struct {
            const char *key;
            uint64_t *dst;
        } u[] = {{"shares", &r->cpu_shares},
                 {"period", &r->cpu_period},
                 {"realtimePeriod", &r->cpu_rt_period}};
        for (size_t i = 0; i < sizeof(u) / sizeof(u[0]); i++) {
            v = (long long)*u[i].dst;
            if (get_int(cpu, "cpu", u[i].key, 0, INT64_MAX, &v, err) < 0)
                return -1;
            *u[i].dst = (uint64_t)v;
        }
        const struct {
            const char *key;
            int64_t *dst;
        } s[] = {{"quota", &r->cpu_quota}, {"realtimeRuntime", &r->cpu_rt_runtime}};
        for (size_t i = 0; i < sizeof(s) / sizeof(s[0]); i++) {
            v = *s[i].dst;
            if (get_int(cpu, "cpu", s[i].key, INT64_MIN, INT64_MAX, &v, err) < 0)
                return -1;
            *s[i].dst = v;
        }
        if (get_str(cpu, "cpu", "cpus", &req->cpus, err) < 0 ||
            get_str(cpu, "cpu", "mems", &req->mems, err) < 0)
            return -1;
        warn_ignored(cpu, "cpu", (const char *const[]){"burst", "idle", NULL});
    }
    if (pids) {
        v = r->pids_limit;
        if (get_int(pids, "pids", "limit", INT64_MIN, INT64_MAX, &v, err) < 0)
            return -1;
        r->pids_limit = v;
    }
    if (blkio) {
        v = r->blkio_weight;
        if (get_int(blkio, "blockIO", "weight", 0, UINT16_MAX, &v, err) < 0)
            return -1;
        r->blkio_weight = (uint16_t)v;
        warn_ignored(blkio, "blockIO",
                     (const char *const[]){"leafWeight", "weightDevice", "throttleReadBpsDevice",
                                           "throttleWriteBpsDevice", "throttleReadIOPSDevice",
                                           "throttleWriteIOPSDevice", NULL});
    }
    warn_ignored(o, "",
                 (const char *const[]){"hugepageLimits", "network", "rdma", "unified", NULL});
    r->cpuset_cpus = req->cpus;
    r->cpuset_mems = req->mems;
    return 0;
}

int update_parse_resources(const char *json, size_t len, struct update_request *req,
                           rs_error_t *err)
{
    memset(req, 0, sizeof(*req));
    json_error_t je;
    json_t *o = json_loadb(json, len, 0, &je);
    if (!o)
        return rs_error(err, 0, "resources: line %d, column %d: %s", je.line, je.column, je.text);
    int r = json_is_object(o) ? parse_resources(o, req, err)
                              : rs_error(err, 0, "resources: must be a JSON object");
    json_decref(o);
    if (r < 0)
        update_request_free(req);
    return r;
}

void update_request_free(struct update_request *req)
{
    free(req->cpus);
    free(req->mems);
    memset(req, 0, sizeof(*req));
}

/* ---- the record in the state ---------------------------------------------- */

static json_t *section(json_t *o, const char *key)
{
    json_t *s = json_object_get(o, key);
    if (!json_is_object(s)) {
        s = json_object();
        json_object_set_new(o, key, s);
    }
    return s;
}

static void put_int(json_t *o, const char *sec, const char *key, long long v)
{
    if (v != 0)
        json_object_set_new(section(o, sec), key, json_integer(v));
}

/* The container's resources before this update: those of the last update,
 * else the spec's linux.resources. */
static json_t *current_resources(const struct container_state *st)
{
    json_t *base = NULL;
    if (st->resources_json) {
        base = json_loads(st->resources_json, 0, NULL);
    } else if (st->bundle && st->bundle[0]) {
        cleanup_free char *cfg = xasprintf("%s/config.json", st->bundle);
        json_t *spec = json_load_file(cfg, 0, NULL);
        json_t *res = json_object_get(json_object_get(spec, "linux"), "resources");
        if (json_is_object(res))
            base = json_deep_copy(res);
        json_decref(spec);
    }
    if (!json_is_object(base)) {
        json_decref(base);
        base = json_object();
    }
    return base;
}

static char *merged_resources(const struct container_state *st, const struct cgroup_resources *r)
{
    json_t *o = current_resources(st);
    put_int(o, "memory", "limit", r->memory);
    put_int(o, "memory", "reservation", r->memory_reservation);
    /* An unlimited memory limit without a swap value lifts both (runc). */
    put_int(o, "memory", "swap", r->memory == -1 && !r->memory_swap ? -1 : r->memory_swap);
    put_int(o, "cpu", "shares", (long long)r->cpu_shares);
    put_int(o, "cpu", "quota", r->cpu_quota);
    put_int(o, "cpu", "period", (long long)r->cpu_period);
    put_int(o, "cpu", "realtimeRuntime", r->cpu_rt_runtime);
    put_int(o, "cpu", "realtimePeriod", (long long)r->cpu_rt_period);
    if (r->cpuset_cpus && r->cpuset_cpus[0])
        json_object_set_new(section(o, "cpu"), "cpus", json_string(r->cpuset_cpus));
    if (r->cpuset_mems && r->cpuset_mems[0])
        json_object_set_new(section(o, "cpu"), "mems", json_string(r->cpuset_mems));
    put_int(o, "pids", "limit", r->pids_limit);
    put_int(o, "blockIO", "weight", r->blkio_weight);
    char *text = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (!text) {
        log_stderr("out of memory");
        abort();
    }
    return text;
}

/* ---- the command ------------------------------------------------------------ */

/* The sandbox's cgroupfs shows the limits of its host cgroup: it gets the
 * new ones, read back from the cgroup. A sandbox that cannot be told keeps
 * showing the old ones (a warning: the update itself is done). */
static void tell_sandbox(const struct container_state *st)
{
    struct cgroup_limits l;
    cgroup_read_limits(st->cgroup_path, &l);
    struct control_client *c = NULL;
    rs_error_t e = NULL;
    if (!st->control_socket || !st->control_socket[0])
        rs_error(&e, 0, "no control socket");
    else if (control_connect(st->control_socket, &c, &e) == 0)
        control_update_resources(c, &l, &e);
    if (e)
        log_warn("container \"%s\": its /sys/fs/cgroup still shows the old limits: %s", st->id,
                 e->msg);
    control_close(c);
    rs_error_release(&e);
}

int container_update(struct runsc_globals *g, const char *id, const struct cgroup_resources *r,
                     rs_error_t *err)
{
    int lock = -1;
    if (state_lock(g->root, id, LOCK_EX, false, &lock, err) < 0)
        return -1;
    struct container_state st;
    if (state_load(g->root, id, &st, err) < 0) {
        close(lock);
        return -1;
    }
    int rc = -1;
    if (strcmp(st.status, "stopped") == 0 || strcmp(st.status, "creating") == 0) {
        rs_error(err, 0, "cannot update container \"%s\": it is %s", id, st.status);
    } else if (!st.cgroup_path || !st.cgroup_path[0]) {
        if (g->rootless)
            rs_error(err, 0,
                     "cannot update container \"%s\": it is rootless, and runsc gives "
                     "rootless containers no cgroup",
                     id);
        else
            rs_error(err, 0,
                     "cannot update container \"%s\": it has no cgroup (its spec has no "
                     "linux.cgroupsPath)",
                     id);
    } else if (cgroup_set(st.cgroup_path, r, err) < 0) {
        rs_error_wrap(err, "updating container \"%s\"", id);
    } else {
        char *merged = merged_resources(&st, r);
        free(st.resources_json);
        st.resources_json = merged;
        rc = state_save(g->root, &st, err);
        tell_sandbox(&st);
    }
    state_release(&st);
    close(lock);
    return rc;
}

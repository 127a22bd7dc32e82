/* OCI config.json parser and validator.
 *
 * The JSON text is decoded by jansson (which reports line and column of a
 * syntax error), then walked field by field into struct spec. While walking,
 * struct pctx holds the path of the current field ("process.rlimits[0]") so
 * that every message names what was wrong. Checks that involve several
 * fields (namespaces needed by hostname, sysctl, id mappings) run at the end,
 * in validate_spec().
 *
 * Semantics follow runc's Go decoder: unknown members are ignored, null is
 * the same as absent, a number must fit the field's type exactly (no
 * fractions, no negative values for unsigned fields). */
#include "runsc/spec/spec.h"

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"

/* ---------------------------------------------------------------------------
 * Field paths and errors
 */

struct pctx {
    rs_error_t *err;
    size_t len;
    char path[512]; /* truncated (never overflowed) for absurdly deep or long keys */
};

static void __attribute__((format(printf, 2, 3))) path_append(struct pctx *c, const char *fmt, ...)
{
    if (c->len >= sizeof(c->path) - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->path + c->len, sizeof(c->path) - c->len, fmt, ap);
    va_end(ap);
    if (n > 0)
        c->len += (size_t)n;
    if (c->len >= sizeof(c->path))
        c->len = sizeof(c->path) - 1;
}

/* Enter a member; returns the length to pop() back to. */
static size_t push_key(struct pctx *c, const char *key)
{
    size_t saved = c->len;
    if (c->len)
        path_append(c, ".%s", key);
    else
        path_append(c, "%s", key);
    return saved;
}

/* Enter a member whose name is data (annotations, sysctl): key["name"]. */
static size_t push_map_key(struct pctx *c, const char *key)
{
    size_t saved = c->len;
    path_append(c, "[\"%.100s\"]", key);
    return saved;
}

static size_t push_index(struct pctx *c, size_t i)
{
    size_t saved = c->len;
    path_append(c, "[%zu]", i);
    return saved;
}

static void pop(struct pctx *c, size_t saved)
{
    c->len = saved;
    c->path[saved] = '\0';
}

/* "<path>: <message>"; returns -1. */
static int __attribute__((format(printf, 2, 3))) fail(struct pctx *c, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (c->len)
        return rs_error(c->err, 0, "%s: %s", c->path, msg);
    return rs_error(c->err, 0, "%s", msg);
}

/* ---------------------------------------------------------------------------
 * Typed getters. want_*() check a value at the current path; field_*() look a
 * member up, enter it, and leave it again on success.
 */

/* The member, or NULL when absent or null. */
static json_t *member(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return json_is_null(v) ? NULL : v;
}

/* An integer above INT64_MAX, carried as "\u0000<digits>" (see decode()). */
static bool is_big_uint(json_t *v)
{
    return json_is_string(v) && json_string_length(v) > 1 && json_string_value(v)[0] == '\0';
}

/* Borrowed pointer to a string value without NUL bytes. */
static int want_cstr(struct pctx *c, json_t *v, const char **out)
{
    if (!json_is_string(v) || is_big_uint(v))
        return fail(c, "must be a string");
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v))
        return fail(c, "must not contain NUL bytes");
    *out = s;
    return 0;
}

static int want_string(struct pctx *c, json_t *v, char **out)
{
    const char *s;
    if (want_cstr(c, v, &s) < 0)
        return -1;
    free(*out);
    *out = xstrdup(s);
    return 0;
}

static int want_bool(struct pctx *c, json_t *v, bool *out)
{
    if (!json_is_boolean(v))
        return fail(c, "must be a boolean");
    *out = json_is_true(v);
    return 0;
}

static int want_uint(struct pctx *c, json_t *v, uint64_t max, uint64_t *out)
{
    uint64_t u;
    if (json_is_integer(v) && json_integer_value(v) >= 0)
        u = (uint64_t)json_integer_value(v);
    else if (is_big_uint(v))
        u = strtoull(json_string_value(v) + 1, NULL, 10);
    else
        return fail(c, "must be a non-negative integer");
    if (u > max)
        return fail(c, "must be at most %" PRIu64, max);
    *out = u;
    return 0;
}

static int want_int(struct pctx *c, json_t *v, int64_t min, int64_t max, int64_t *out)
{
    if (is_big_uint(v))
        return fail(c, "must be at most %" PRId64, max);
    if (!json_is_integer(v))
        return fail(c, "must be an integer");
    int64_t i = json_integer_value(v);
    if (i < min || i > max)
        return fail(c, "must be between %" PRId64 " and %" PRId64, min, max);
    *out = i;
    return 0;
}

static int want_strv(struct pctx *c, json_t *v, struct spec_strv *out)
{
    if (!json_is_array(v))
        return fail(c, "must be an array of strings");
    size_t n = json_array_size(v);
    out->items = xzalloc((n + 1) * sizeof(char *));
    out->count = 0;
    for (size_t i = 0; i < n; i++) {
        size_t saved = push_index(c, i);
        if (want_string(c, json_array_get(v, i), &out->items[i]) < 0)
            return -1;
        out->count++;
        pop(c, saved);
    }
    return 0;
}

static int field_string(struct pctx *c, json_t *obj, const char *key, bool required, char **out)
{
    json_t *v = member(obj, key);
    size_t saved = push_key(c, key);
    if (!v) {
        if (required)
            return fail(c, "required");
    } else if (want_string(c, v, out) < 0) {
        return -1;
    }
    pop(c, saved);
    return 0;
}

static int field_bool(struct pctx *c, json_t *obj, const char *key, bool *out)
{
    json_t *v = member(obj, key);
    size_t saved = push_key(c, key);
    if (v && want_bool(c, v, out) < 0)
        return -1;
    pop(c, saved);
    return 0;
}

/* set may be NULL for fields whose absence means 0. */
static int field_uint(struct pctx *c, json_t *obj, const char *key, uint64_t max, bool *set,
                      uint64_t *out)
{
    json_t *v = member(obj, key);
    size_t saved = push_key(c, key);
    if (v) {
        if (want_uint(c, v, max, out) < 0)
            return -1;
        if (set)
            *set = true;
    }
    pop(c, saved);
    return 0;
}

static int field_u32(struct pctx *c, json_t *obj, const char *key, bool *set, uint32_t *out)
{
    uint64_t u = *out;
    if (field_uint(c, obj, key, UINT32_MAX, set, &u) < 0)
        return -1;
    *out = (uint32_t)u;
    return 0;
}

static int field_int(struct pctx *c, json_t *obj, const char *key, int64_t min, int64_t max,
                     bool *set, int64_t *out)
{
    json_t *v = member(obj, key);
    size_t saved = push_key(c, key);
    if (v) {
        if (want_int(c, v, min, max, out) < 0)
            return -1;
        if (set)
            *set = true;
    }
    pop(c, saved);
    return 0;
}

static int field_strv(struct pctx *c, json_t *obj, const char *key, struct spec_strv *out)
{
    json_t *v = member(obj, key);
    size_t saved = push_key(c, key);
    if (v && want_strv(c, v, out) < 0)
        return -1;
    pop(c, saved);
    return 0;
}

/* A required, non-empty array of strings. */
static int field_nonempty_strv(struct pctx *c, json_t *obj, const char *key, struct spec_strv *out)
{
    json_t *v = member(obj, key);
    size_t saved = push_key(c, key);
    if (!json_is_array(v) || json_array_size(v) == 0)
        return fail(c, "must be a non-empty array");
    pop(c, saved);
    return field_strv(c, obj, key, out);
}

/* *out = the member (NULL when absent) after checking it is an object. */
static int field_object(struct pctx *c, json_t *obj, const char *key, json_t **out)
{
    json_t *v = member(obj, key);
    if (v && !json_is_object(v)) {
        push_key(c, key);
        return fail(c, "must be an object");
    }
    *out = v;
    return 0;
}

static int field_array(struct pctx *c, json_t *obj, const char *key, json_t **out)
{
    json_t *v = member(obj, key);
    if (v && !json_is_array(v)) {
        push_key(c, key);
        return fail(c, "must be an array");
    }
    *out = v;
    return 0;
}

/* A required member naming one entry of a table: *out = from_name(name),
 * which returns -1 for a name that is not there ("unknown <what>"). */
static int field_name(struct pctx *c, json_t *obj, const char *key, int (*from_name)(const char *),
                      const char *what, int *out)
{
    json_t *v = member(obj, key);
    size_t saved = push_key(c, key);
    const char *name;
    if (!v)
        return fail(c, "required");
    if (want_cstr(c, v, &name) < 0)
        return -1;
    int n = from_name(name);
    if (n < 0)
        return fail(c, "unknown %s \"%.100s\"", what, name);
    *out = n;
    pop(c, saved);
    return 0;
}

/* Parses one element of an array of objects into elem (zeroed memory). */
typedef int (*elem_parser)(struct pctx *c, json_t *obj, void *elem);

/* An array of objects: allocates *items (count set first, so that a failure
 * half way leaves something spec_free() can release) and parses each. */
static int field_objects(struct pctx *c, json_t *obj, const char *key, size_t elem_size,
                         elem_parser parse, void **items, size_t *count)
{
    json_t *arr = NULL;
    if (field_array(c, obj, key, &arr) < 0)
        return -1;
    if (!arr)
        return 0;
    size_t n = json_array_size(arr);
    char *base = xzalloc(n * elem_size);
    *items = base;
    *count = n;
    size_t saved = push_key(c, key);
    for (size_t i = 0; i < n; i++) {
        size_t saved_i = push_index(c, i);
        json_t *e = json_array_get(arr, i);
        if (!json_is_object(e))
            return fail(c, "must be an object");
        if (parse(c, e, base + i * elem_size) < 0)
            return -1;
        pop(c, saved_i);
    }
    pop(c, saved);
    return 0;
}

#define FIELD_OBJECTS(c, obj, key, items, count, parse)                                            \
    field_objects(c, obj, key, sizeof(*(items)), parse, (void **)&(items), &(count))

/* Checks (at the current path) that s is an absolute path. */
static int check_abs(struct pctx *c, const char *s)
{
    if (!s || s[0] != '/')
        return fail(c, "must be an absolute path");
    return 0;
}

static int field_abs_path(struct pctx *c, json_t *obj, const char *key, bool required, char **out)
{
    if (field_string(c, obj, key, required, out) < 0)
        return -1;
    if (!*out)
        return 0;
    size_t saved = push_key(c, key);
    if (check_abs(c, *out) < 0)
        return -1;
    pop(c, saved);
    return 0;
}

/* An object whose members are all strings, kept in file order. */
static int field_string_map(struct pctx *c, json_t *obj, const char *key, struct spec_kv **items,
                            size_t *count)
{
    json_t *map = NULL;
    if (field_object(c, obj, key, &map) < 0)
        return -1;
    if (!map)
        return 0;
    *items = xzalloc(json_object_size(map) * sizeof(**items));
    *count = 0;
    size_t saved = push_key(c, key);
    for (void *it = json_object_iter(map); it; it = json_object_iter_next(map, it)) {
        const char *k = json_object_iter_key(it);
        json_t *v = json_object_iter_value(it);
        size_t saved_k = push_map_key(c, k);
        struct spec_kv *kv = &(*items)[*count];
        kv->key = xstrdup(k);
        (*count)++;
        if (!k[0])
            return fail(c, "key must not be empty");
        if (want_string(c, v, &kv->value) < 0)
            return -1;
        pop(c, saved_k);
    }
    pop(c, saved);
    return 0;
}

/* ---------------------------------------------------------------------------
 * process
 */

static int parse_cap_set(struct pctx *c, json_t *obj, const char *key, uint64_t *mask)
{
    json_t *arr = NULL;
    if (field_array(c, obj, key, &arr) < 0)
        return -1;
    if (!arr)
        return 0;
    size_t saved = push_key(c, key);
    for (size_t i = 0; i < json_array_size(arr); i++) {
        size_t saved_i = push_index(c, i);
        const char *name;
        if (want_cstr(c, json_array_get(arr, i), &name) < 0)
            return -1;
        int cap = spec_cap_from_name(name);
        if (cap < 0)
            return fail(c, "unknown capability \"%.100s\"", name);
        *mask |= 1ull << cap;
        pop(c, saved_i);
    }
    pop(c, saved);
    return 0;
}

static int parse_rlimit(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_rlimit *r = elem;
    if (field_name(c, obj, "type", spec_rlimit_from_name, "rlimit", &r->resource) < 0 ||
        field_uint(c, obj, "hard", UINT64_MAX, NULL, &r->hard) < 0 ||
        field_uint(c, obj, "soft", UINT64_MAX, NULL, &r->soft) < 0)
        return -1;
    if (r->soft > r->hard)
        return fail(c, "soft limit %" PRIu64 " is above hard limit %" PRIu64, r->soft, r->hard);
    return 0;
}

static int parse_user(struct pctx *c, json_t *obj, struct spec_user *u)
{
    json_t *user = NULL;
    if (field_object(c, obj, "user", &user) < 0)
        return -1;
    if (!user)
        return 0;
    size_t saved = push_key(c, "user");
    if (field_u32(c, user, "uid", NULL, &u->uid) < 0 ||
        field_u32(c, user, "gid", NULL, &u->gid) < 0 ||
        field_u32(c, user, "umask", &u->umask_set, &u->umask) < 0)
        return -1;
    json_t *gids = NULL;
    if (field_array(c, user, "additionalGids", &gids) < 0)
        return -1;
    if (gids) {
        size_t saved_g = push_key(c, "additionalGids");
        u->additional_gids = xzalloc(json_array_size(gids) * sizeof(uint32_t));
        for (size_t i = 0; i < json_array_size(gids); i++) {
            size_t saved_i = push_index(c, i);
            uint64_t g;
            if (want_uint(c, json_array_get(gids, i), UINT32_MAX, &g) < 0)
                return -1;
            u->additional_gids[u->additional_gids_count++] = (uint32_t)g;
            pop(c, saved_i);
        }
        pop(c, saved_g);
    }
    pop(c, saved);
    return 0;
}

static int parse_process_fields(struct pctx *c, json_t *obj, struct spec_process *p)
{
    if (field_bool(c, obj, "terminal", &p->terminal) < 0)
        return -1;

    json_t *cs = NULL;
    if (field_object(c, obj, "consoleSize", &cs) < 0)
        return -1;
    if (cs) {
        size_t saved = push_key(c, "consoleSize");
        if (field_u32(c, cs, "height", NULL, &p->console_height) < 0 ||
            field_u32(c, cs, "width", NULL, &p->console_width) < 0)
            return -1;
        p->console_size_set = true;
        pop(c, saved);
    }

    if (parse_user(c, obj, &p->user) < 0)
        return -1;

    if (field_nonempty_strv(c, obj, "args", &p->args) < 0 || field_strv(c, obj, "env", &p->env) < 0)
        return -1;
    size_t saved = push_key(c, "env");
    for (size_t i = 0; i < p->env.count; i++) {
        size_t saved_i = push_index(c, i);
        const char *eq = strchr(p->env.items[i], '=');
        if (!eq)
            return fail(c, "must be NAME=value (no '=' in \"%.100s\")", p->env.items[i]);
        if (eq == p->env.items[i])
            return fail(c, "variable name must not be empty");
        pop(c, saved_i);
    }
    pop(c, saved);

    if (field_abs_path(c, obj, "cwd", true, &p->cwd) < 0)
        return -1;

    json_t *caps = NULL;
    if (field_object(c, obj, "capabilities", &caps) < 0)
        return -1;
    if (caps) {
        saved = push_key(c, "capabilities");
        struct spec_capabilities *k = &p->capabilities;
        if (parse_cap_set(c, caps, "bounding", &k->bounding) < 0 ||
            parse_cap_set(c, caps, "effective", &k->effective) < 0 ||
            parse_cap_set(c, caps, "inheritable", &k->inheritable) < 0 ||
            parse_cap_set(c, caps, "permitted", &k->permitted) < 0 ||
            parse_cap_set(c, caps, "ambient", &k->ambient) < 0)
            return -1;
        p->capabilities_set = true;
        pop(c, saved);
    }

    if (FIELD_OBJECTS(c, obj, "rlimits", p->rlimits, p->rlimits_count, parse_rlimit) < 0)
        return -1;
    for (size_t i = 0; i < p->rlimits_count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (p->rlimits[i].resource == p->rlimits[j].resource) {
                push_key(c, "rlimits");
                push_index(c, i);
                push_key(c, "type");
                return fail(c, "duplicate rlimit \"%s\"", spec_rlimit_name(p->rlimits[i].resource));
            }
        }
    }

    int64_t adj = 0;
    if (field_bool(c, obj, "noNewPrivileges", &p->no_new_privileges) < 0 ||
        field_int(c, obj, "oomScoreAdj", -1000, 1000, &p->oom_score_adj_set, &adj) < 0 ||
        field_string(c, obj, "apparmorProfile", false, &p->apparmor_profile) < 0 ||
        field_string(c, obj, "selinuxLabel", false, &p->selinux_label) < 0)
        return -1;
    p->oom_score_adj = (int)adj;
    return 0;
}

/* ---------------------------------------------------------------------------
 * mounts, hooks, root
 */

static int parse_mount(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_mount *m = elem;
    if (field_abs_path(c, obj, "destination", true, &m->destination) < 0 ||
        field_string(c, obj, "type", false, &m->type) < 0 ||
        field_string(c, obj, "source", false, &m->source) < 0 ||
        field_strv(c, obj, "options", &m->options) < 0)
        return -1;
    return 0;
}

static int parse_hook(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_hook *h = elem;
    int64_t timeout = 0;
    if (field_abs_path(c, obj, "path", true, &h->path) < 0 ||
        field_strv(c, obj, "args", &h->args) < 0 || field_strv(c, obj, "env", &h->env) < 0 ||
        field_int(c, obj, "timeout", INT_MIN, INT_MAX, &h->timeout_set, &timeout) < 0)
        return -1;
    if (h->timeout_set && timeout <= 0) {
        push_key(c, "timeout");
        return fail(c, "must be positive");
    }
    h->timeout = (int)timeout;
    return 0;
}

static int parse_hooks(struct pctx *c, json_t *top, struct spec *s)
{
    json_t *hooks = NULL;
    if (field_object(c, top, "hooks", &hooks) < 0)
        return -1;
    if (!hooks)
        return 0;
    size_t saved = push_key(c, "hooks");
    for (int k = 0; k < SPEC_HOOK_COUNT; k++) {
        struct spec_hook_list *l = &s->hooks[k];
        if (FIELD_OBJECTS(c, hooks, spec_hook_kind_name(k), l->items, l->count, parse_hook) < 0)
            return -1;
    }
    pop(c, saved);
    return 0;
}

static int parse_root(struct pctx *c, json_t *top, struct spec_root *r)
{
    json_t *root = NULL;
    if (field_object(c, top, "root", &root) < 0)
        return -1;
    size_t saved = push_key(c, "root");
    if (!root)
        return fail(c, "required");
    if (field_string(c, root, "path", true, &r->path) < 0 ||
        field_bool(c, root, "readonly", &r->readonly) < 0)
        return -1;
    if (!r->path[0]) {
        push_key(c, "path");
        return fail(c, "must not be empty");
    }
    pop(c, saved);
    return 0;
}

/* ---------------------------------------------------------------------------
 * linux
 */

static int parse_namespace(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_namespace *ns = elem;
    int type;
    if (field_name(c, obj, "type", spec_ns_type_from_name, "namespace type", &type) < 0)
        return -1;
    ns->type = (enum spec_ns_type)type;
    return field_abs_path(c, obj, "path", false, &ns->path);
}

static int parse_id_mapping(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_id_mapping *m = elem;
    if (field_u32(c, obj, "containerID", NULL, &m->container_id) < 0 ||
        field_u32(c, obj, "hostID", NULL, &m->host_id) < 0 ||
        field_u32(c, obj, "size", NULL, &m->size) < 0)
        return -1;
    if (m->size == 0) {
        push_key(c, "size");
        return fail(c, "must be positive");
    }
    return 0;
}

static int parse_device_rule(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_device_rule *d = elem;
    cleanup_free char *type = NULL;
    if (field_bool(c, obj, "allow", &d->allow) < 0 ||
        field_string(c, obj, "type", false, &type) < 0 ||
        field_int(c, obj, "major", INT64_MIN, INT64_MAX, &d->major_set, &d->major) < 0 ||
        field_int(c, obj, "minor", INT64_MIN, INT64_MAX, &d->minor_set, &d->minor) < 0 ||
        field_string(c, obj, "access", false, &d->access) < 0)
        return -1;
    if (type) {
        if (strcmp(type, "a") != 0 && strcmp(type, "b") != 0 && strcmp(type, "c") != 0) {
            push_key(c, "type");
            return fail(c, "must be one of a, b, c");
        }
        d->type = type[0];
    }
    if (d->access && strspn(d->access, "rwm") != strlen(d->access)) {
        push_key(c, "access");
        return fail(c, "must contain only the letters r, w, m");
    }
    return 0;
}

static int parse_resources(struct pctx *c, json_t *lx, struct spec_linux *l)
{
    json_t *res = NULL;
    if (field_object(c, lx, "resources", &res) < 0)
        return -1;
    if (!res)
        return 0;
    l->resources_set = true;
    struct spec_resources *r = &l->resources;
    size_t saved = push_key(c, "resources");
    json_t *o = NULL;

    if (field_object(c, res, "memory", &o) < 0)
        return -1;
    if (o) {
        size_t saved_o = push_key(c, "memory");
        struct spec_memory *m = &r->memory;
        if (field_int(c, o, "limit", INT64_MIN, INT64_MAX, &m->limit_set, &m->limit) < 0 ||
            field_int(c, o, "reservation", INT64_MIN, INT64_MAX, &m->reservation_set,
                      &m->reservation) < 0 ||
            field_int(c, o, "swap", INT64_MIN, INT64_MAX, &m->swap_set, &m->swap) < 0)
            return -1;
        pop(c, saved_o);
    }

    if (field_object(c, res, "cpu", &o) < 0)
        return -1;
    if (o) {
        size_t saved_o = push_key(c, "cpu");
        struct spec_cpu *p = &r->cpu;
        if (field_uint(c, o, "shares", UINT64_MAX, &p->shares_set, &p->shares) < 0 ||
            field_int(c, o, "quota", INT64_MIN, INT64_MAX, &p->quota_set, &p->quota) < 0 ||
            field_uint(c, o, "period", UINT64_MAX, &p->period_set, &p->period) < 0 ||
            field_string(c, o, "cpus", false, &p->cpus) < 0 ||
            field_string(c, o, "mems", false, &p->mems) < 0)
            return -1;
        pop(c, saved_o);
    }

    if (field_object(c, res, "pids", &o) < 0)
        return -1;
    if (o) {
        size_t saved_o = push_key(c, "pids");
        if (field_int(c, o, "limit", INT64_MIN, INT64_MAX, &r->pids.limit_set, &r->pids.limit) < 0)
            return -1;
        pop(c, saved_o);
    }

    if (FIELD_OBJECTS(c, res, "devices", r->devices, r->devices_count, parse_device_rule) < 0)
        return -1;
    pop(c, saved);
    return 0;
}

static int parse_seccomp_arg(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_seccomp_arg *a = elem;
    if (field_u32(c, obj, "index", NULL, &a->index) < 0 ||
        field_uint(c, obj, "value", UINT64_MAX, NULL, &a->value) < 0 ||
        field_uint(c, obj, "valueTwo", UINT64_MAX, NULL, &a->value_two) < 0)
        return -1;
    if (a->index > 5) {
        push_key(c, "index");
        return fail(c, "must be at most 5");
    }
    int op;
    if (field_name(c, obj, "op", spec_seccomp_op_from_name, "operator", &op) < 0)
        return -1;
    a->op = (enum spec_seccomp_op)op;
    return 0;
}

/* A required seccomp action member. */
static int field_seccomp_action(struct pctx *c, json_t *obj, const char *key,
                                enum spec_seccomp_action *out)
{
    int a;
    if (field_name(c, obj, key, spec_seccomp_action_from_name, "action", &a) < 0)
        return -1;
    *out = (enum spec_seccomp_action)a;
    return 0;
}

static int parse_seccomp_syscall(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_seccomp_syscall *sc = elem;
    if (field_nonempty_strv(c, obj, "names", &sc->names) < 0 ||
        field_seccomp_action(c, obj, "action", &sc->action) < 0 ||
        field_u32(c, obj, "errnoRet", &sc->errno_ret_set, &sc->errno_ret) < 0 ||
        FIELD_OBJECTS(c, obj, "args", sc->args, sc->args_count, parse_seccomp_arg) < 0)
        return -1;
    return 0;
}

/* Every entry of a string vector member passes known(). */
static int check_names(struct pctx *c, const char *key, const struct spec_strv *v,
                       bool (*known)(const char *), const char *what)
{
    size_t saved = push_key(c, key);
    for (size_t i = 0; i < v->count; i++) {
        if (!known(v->items[i])) {
            push_index(c, i);
            return fail(c, "unknown %s \"%.100s\"", what, v->items[i]);
        }
    }
    pop(c, saved);
    return 0;
}

static int parse_seccomp(struct pctx *c, json_t *lx, struct spec_linux *l)
{
    json_t *o = NULL;
    if (field_object(c, lx, "seccomp", &o) < 0)
        return -1;
    if (!o)
        return 0;
    struct spec_seccomp *sc = l->seccomp = xzalloc(sizeof(*sc));
    size_t saved = push_key(c, "seccomp");
    if (field_seccomp_action(c, o, "defaultAction", &sc->default_action) < 0 ||
        field_u32(c, o, "defaultErrnoRet", &sc->default_errno_ret_set, &sc->default_errno_ret) <
            0 ||
        field_strv(c, o, "architectures", &sc->architectures) < 0 ||
        check_names(c, "architectures", &sc->architectures, spec_seccomp_arch_known,
                    "architecture") < 0 ||
        field_strv(c, o, "flags", &sc->flags) < 0 ||
        check_names(c, "flags", &sc->flags, spec_seccomp_flag_known, "flag") < 0 ||
        field_string(c, o, "listenerPath", false, &sc->listener_path) < 0 ||
        field_string(c, o, "listenerMetadata", false, &sc->listener_metadata) < 0 ||
        FIELD_OBJECTS(c, o, "syscalls", sc->syscalls, sc->syscalls_count, parse_seccomp_syscall) <
            0)
        return -1;
    pop(c, saved);
    return 0;
}

static int parse_device(struct pctx *c, json_t *obj, void *elem)
{
    struct spec_device *d = elem;
    cleanup_free char *type = NULL;
    bool major_set = false, minor_set = false;
    if (field_abs_path(c, obj, "path", true, &d->path) < 0 ||
        field_string(c, obj, "type", true, &type) < 0)
        return -1;
    if (strlen(type) != 1 || !strchr("cbup", type[0])) {
        push_key(c, "type");
        return fail(c, "must be one of c, b, u, p");
    }
    d->type = type[0];
    if (field_int(c, obj, "major", INT64_MIN, INT64_MAX, &major_set, &d->major) < 0 ||
        field_int(c, obj, "minor", INT64_MIN, INT64_MAX, &minor_set, &d->minor) < 0 ||
        field_u32(c, obj, "fileMode", &d->file_mode_set, &d->file_mode) < 0 ||
        field_u32(c, obj, "uid", &d->uid_set, &d->uid) < 0 ||
        field_u32(c, obj, "gid", &d->gid_set, &d->gid) < 0)
        return -1;
    if (d->type != 'p' && (!major_set || !minor_set)) {
        push_key(c, major_set ? "minor" : "major");
        return fail(c, "required for a device of type %c", d->type);
    }
    return 0;
}

static int field_abs_paths(struct pctx *c, json_t *obj, const char *key, struct spec_strv *out)
{
    if (field_strv(c, obj, key, out) < 0)
        return -1;
    size_t saved = push_key(c, key);
    for (size_t i = 0; i < out->count; i++) {
        size_t saved_i = push_index(c, i);
        if (check_abs(c, out->items[i]) < 0)
            return -1;
        pop(c, saved_i);
    }
    pop(c, saved);
    return 0;
}

static const char *const g_propagations[] = {
    "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable", "runbindable",
};

static int parse_linux(struct pctx *c, json_t *top, struct spec_linux *l)
{
    json_t *lx = NULL;
    if (field_object(c, top, "linux", &lx) < 0)
        return -1;
    if (!lx)
        return 0;
    l->present = true;
    size_t saved = push_key(c, "linux");
    if (FIELD_OBJECTS(c, lx, "namespaces", l->namespaces, l->namespaces_count, parse_namespace) <
            0 ||
        FIELD_OBJECTS(c, lx, "uidMappings", l->uid_mappings, l->uid_mappings_count,
                      parse_id_mapping) < 0 ||
        FIELD_OBJECTS(c, lx, "gidMappings", l->gid_mappings, l->gid_mappings_count,
                      parse_id_mapping) < 0 ||
        field_string_map(c, lx, "sysctl", &l->sysctl, &l->sysctl_count) < 0 ||
        parse_resources(c, lx, l) < 0 ||
        field_string(c, lx, "cgroupsPath", false, &l->cgroups_path) < 0 ||
        parse_seccomp(c, lx, l) < 0 ||
        field_abs_paths(c, lx, "maskedPaths", &l->masked_paths) < 0 ||
        field_abs_paths(c, lx, "readonlyPaths", &l->readonly_paths) < 0 ||
        FIELD_OBJECTS(c, lx, "devices", l->devices, l->devices_count, parse_device) < 0 ||
        field_string(c, lx, "rootfsPropagation", false, &l->rootfs_propagation) < 0 ||
        field_string(c, lx, "mountLabel", false, &l->mount_label) < 0)
        return -1;
    if (l->rootfs_propagation && l->rootfs_propagation[0]) {
        bool ok = false;
        for (size_t i = 0; i < ARRAY_SIZE(g_propagations); i++)
            ok = ok || strcmp(l->rootfs_propagation, g_propagations[i]) == 0;
        if (!ok) {
            push_key(c, "rootfsPropagation");
            return fail(c, "unknown propagation \"%.100s\"", l->rootfs_propagation);
        }
    }
    pop(c, saved);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Checks across fields (runc's config validator)
 */

static bool has_ns(const struct spec_linux *l, enum spec_ns_type type)
{
    for (size_t i = 0; i < l->namespaces_count; i++)
        if (l->namespaces[i].type == type)
            return true;
    return false;
}

static const char *const g_ipc_sysctls[] = {
    "kernel.msgmax", "kernel.msgmnb", "kernel.msgmni", "kernel.sem",
    "kernel.shmall", "kernel.shmmax", "kernel.shmmni", "kernel.shm_rmid_forced",
};

/* A sysctl may only be set when it belongs to a namespace of the container. */
static int check_sysctl(struct pctx *c, const struct spec_linux *l, const char *key)
{
    for (size_t i = 0; i < ARRAY_SIZE(g_ipc_sysctls); i++)
        if (strcmp(key, g_ipc_sysctls[i]) == 0)
            return has_ns(l, SPEC_NS_IPC) ? 0 : fail(c, "requires an ipc namespace");
    if (strncmp(key, "fs.mqueue.", 10) == 0)
        return has_ns(l, SPEC_NS_IPC) ? 0 : fail(c, "requires an ipc namespace");
    if (strncmp(key, "net.", 4) == 0)
        return has_ns(l, SPEC_NS_NETWORK) ? 0 : fail(c, "requires a network namespace");
    if (strcmp(key, "kernel.hostname") == 0)
        return fail(c, "not allowed: set the \"hostname\" field instead");
    if (strcmp(key, "kernel.domainname") == 0)
        return has_ns(l, SPEC_NS_UTS) ? 0 : fail(c, "requires a uts namespace");
    return fail(c, "not in a separate kernel namespace");
}

static int validate_spec(struct pctx *c, const struct spec *s)
{
    const struct spec_linux *l = &s->lx;
    for (size_t i = 0; i < l->namespaces_count; i++) {
        for (size_t j = 0; j < i; j++) {
            if (l->namespaces[i].type == l->namespaces[j].type) {
                push_key(c, "linux.namespaces");
                push_index(c, i);
                push_key(c, "type");
                return fail(c, "duplicate namespace type \"%s\"",
                            spec_ns_type_name(l->namespaces[i].type));
            }
        }
    }
    if (s->hostname && s->hostname[0] && !has_ns(l, SPEC_NS_UTS)) {
        push_key(c, "hostname");
        return fail(c, "requires a uts namespace (linux.namespaces)");
    }
    if (s->domainname && s->domainname[0] && !has_ns(l, SPEC_NS_UTS)) {
        push_key(c, "domainname");
        return fail(c, "requires a uts namespace (linux.namespaces)");
    }

    const struct spec_namespace *userns = NULL;
    for (size_t i = 0; i < l->namespaces_count; i++)
        if (l->namespaces[i].type == SPEC_NS_USER)
            userns = &l->namespaces[i];
    /* Mappings without a user namespace are ignored, as runc ignores them. */
    if (userns && !userns->path) {
        if (!l->uid_mappings_count) {
            push_key(c, "linux.uidMappings");
            return fail(c, "required with a new user namespace");
        }
        if (!l->gid_mappings_count) {
            push_key(c, "linux.gidMappings");
            return fail(c, "required with a new user namespace");
        }
    }

    size_t saved = push_key(c, "linux.sysctl");
    for (size_t i = 0; i < l->sysctl_count; i++) {
        size_t saved_i = push_map_key(c, l->sysctl[i].key);
        if (check_sysctl(c, l, l->sysctl[i].key) < 0)
            return -1;
        pop(c, saved_i);
    }
    pop(c, saved);
    return 0;
}

/* ---------------------------------------------------------------------------
 * Decoding
 */

/* One integer token rewritten by rewrite_big_uints(). */
struct big_uint_edit {
    size_t new_start; /* offset in the rewritten text */
    size_t new_len;
    size_t old_len;
};

/* An integer token in (INT64_MAX, UINT64_MAX]: all digits, no sign. */
static bool is_big_uint_token(const char *p, size_t n)
{
    if (n < 19 || n > 20 || p[0] == '0')
        return false;
    for (size_t i = 0; i < n; i++)
        if (p[i] < '0' || p[i] > '9')
            return false;
    if (n == 19)
        return memcmp(p, "9223372036854775807", 19) > 0;
    return memcmp(p, "18446744073709551615", 20) <= 0;
}

/* jansson keeps integers as int64, but unsigned 64-bit fields may hold more:
 * Docker writes 18446744073709551615 for an unlimited ulimit. The text is
 * copied with each such integer turned into the string "\u0000<digits>",
 * which want_uint() reads back and every other getter rejects as the wrong
 * type. Returns the new text; *edits lists where it differs. */
static char *rewrite_big_uints(const char *json, size_t len, size_t *out_len,
                               struct big_uint_edit **edits, size_t *edits_count)
{
    static const char prefix[] = "\"\\u0000";
    size_t cap = len + 1, n = 0;
    char *out = xmalloc(cap);
    *edits = NULL;
    *edits_count = 0;
    bool in_string = false;
    for (size_t i = 0; i < len;) {
        size_t tok = 1;
        bool big = false;
        char ch = json[i];
        if (in_string) {
            if (ch == '\\' && i + 1 < len)
                tok = 2;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '-' || (ch >= '0' && ch <= '9')) {
            while (i + tok < len && json[i + tok] && strchr("0123456789+-.eE", json[i + tok]))
                tok++;
            big = is_big_uint_token(json + i, tok);
        }
        size_t need = big ? tok + sizeof(prefix) : tok;
        if (n + need + 1 > cap) {
            cap = (cap + need) * 2;
            out = xrealloc(out, cap);
        }
        if (big) {
            *edits = xrealloc(*edits, (*edits_count + 1) * sizeof(**edits));
            (*edits)[(*edits_count)++] = (struct big_uint_edit){n, need, tok};
            memcpy(out + n, prefix, sizeof(prefix) - 1);
            memcpy(out + n + sizeof(prefix) - 1, json + i, tok);
            out[n + need - 1] = '"';
        } else {
            memcpy(out + n, json + i, tok);
        }
        n += need;
        i += tok;
    }
    out[n] = '\0';
    *out_len = n;
    return out;
}

/* Line and column (in characters, as jansson counts) of a byte offset. */
static void line_column(const char *text, size_t len, size_t off, int *line, int *column)
{
    *line = 1;
    *column = 0;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *column = 0;
        } else if (((unsigned char)text[i] & 0xc0) != 0x80) {
            (*column)++;
        }
    }
}

static int decode(const char *text, size_t len, json_t **out, rs_error_t *err)
{
    json_error_t je;
    json_t *j = json_loadb(text, len, 0, &je);
    if (!j && json_error_code(&je) == json_error_numeric_overflow) {
        struct big_uint_edit *edits;
        size_t edits_count, new_len;
        cleanup_free char *copy = rewrite_big_uints(text, len, &new_len, &edits, &edits_count);
        j = json_loadb(copy, new_len, JSON_ALLOW_NUL, &je);
        if (!j) {
            /* Report the position in the text the user wrote. */
            size_t pos = (size_t)je.position, delta = 0, old = 0;
            bool found = false;
            for (size_t i = 0; i < edits_count && !found; i++) {
                if (pos >= edits[i].new_start + edits[i].new_len) {
                    delta += edits[i].new_len - edits[i].old_len;
                } else if (pos > edits[i].new_start) {
                    old = edits[i].new_start - delta;
                    found = true;
                } else {
                    break;
                }
            }
            if (!found)
                old = pos - delta;
            line_column(text, len, old, &je.line, &je.column);
        }
        free(edits);
    }
    if (!j)
        return rs_error(err, 0, "line %d, column %d: %s", je.line, je.column, je.text);
    if (!json_is_object(j)) {
        json_decref(j);
        return rs_error(err, 0, "must be a JSON object");
    }
    *out = j;
    return 0;
}

/* ---------------------------------------------------------------------------
 * Entry points
 */

int spec_parse(const char *json, size_t len, struct spec **out, rs_error_t *err)
{
    json_t *top = NULL;
    if (decode(json, len, &top, err) < 0)
        return -1;
    struct spec *s = xzalloc(sizeof(*s));
    struct pctx c = {.err = err};
    int r = -1;
    json_t *proc = NULL;
    if (field_string(&c, top, "ociVersion", false, &s->oci_version) < 0 ||
        field_object(&c, top, "process", &proc) < 0)
        goto out;
    if (proc) {
        s->process = xzalloc(sizeof(*s->process));
        size_t saved = push_key(&c, "process");
        if (parse_process_fields(&c, proc, s->process) < 0)
            goto out;
        pop(&c, saved);
    }
    if (parse_root(&c, top, &s->root) < 0 ||
        field_string(&c, top, "hostname", false, &s->hostname) < 0 ||
        field_string(&c, top, "domainname", false, &s->domainname) < 0 ||
        FIELD_OBJECTS(&c, top, "mounts", s->mounts, s->mounts_count, parse_mount) < 0 ||
        parse_hooks(&c, top, s) < 0 ||
        field_string_map(&c, top, "annotations", &s->annotations, &s->annotations_count) < 0 ||
        parse_linux(&c, top, &s->lx) < 0 || validate_spec(&c, s) < 0)
        goto out;
    *out = s;
    s = NULL;
    r = 0;
out:
    json_decref(top);
    spec_free(s);
    return r;
}

int spec_parse_process(const char *json, size_t len, struct spec_process **out, rs_error_t *err)
{
    json_t *top = NULL;
    if (decode(json, len, &top, err) < 0)
        return -1;
    struct spec_process *p = xzalloc(sizeof(*p));
    struct pctx c = {.err = err};
    int r = parse_process_fields(&c, top, p);
    json_decref(top);
    if (r < 0) {
        spec_process_free(p);
        return -1;
    }
    *out = p;
    return 0;
}

/* base + "/" + rel (or rel alone when absolute), with ".", ".." and repeated
 * slashes removed lexically, as Go's filepath.Join does. */
static char *join_clean(const char *base, const char *rel)
{
    cleanup_free char *joined = rel[0] == '/' ? xstrdup(rel) : xasprintf("%s/%s", base, rel);
    char *out = xmalloc(strlen(joined) + 2);
    size_t n = 0;
    for (char *p = joined; *p;) {
        while (*p == '/')
            p++;
        char *end = strchrnul(p, '/');
        size_t seg = (size_t)(end - p);
        if (seg == 0 || (seg == 1 && p[0] == '.')) {
            /* nothing */
        } else if (seg == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[n - 1] != '/')
                n--;
            if (n > 0)
                n--;
        } else {
            out[n++] = '/';
            memcpy(out + n, p, seg);
            n += seg;
        }
        p = end;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    return out;
}

int spec_load(const char *bundle, struct spec **out, rs_error_t *err)
{
    cleanup_free char *dir = realpath(bundle, NULL);
    if (!dir)
        return rs_error(err, errno, "bundle %s", bundle);
    cleanup_free char *path = xasprintf("%s/config.json", dir);
    cleanup_free char *text = NULL;
    size_t len = 0;
    if (fu_read_file(path, SPEC_MAX_FILE_SIZE, &text, &len, err) < 0)
        return -1;
    struct spec *s;
    if (spec_parse(text, len, &s, err) < 0)
        return rs_error_wrap(err, "%s", path);
    s->root.abs_path = join_clean(dir, s->root.path);
    s->bundle = steal_ptr(dir);
    *out = s;
    return 0;
}

int spec_validate_for_create(const struct spec *spec, rs_error_t *err)
{
    if (!spec->process)
        return rs_error(err, 0, "process: required");
    return 0;
}

const struct spec_namespace *spec_find_namespace(const struct spec *spec, enum spec_ns_type type)
{
    for (size_t i = 0; i < spec->lx.namespaces_count; i++)
        if (spec->lx.namespaces[i].type == type)
            return &spec->lx.namespaces[i];
    return NULL;
}

const char *spec_annotation(const struct spec *spec, const char *key)
{
    for (size_t i = 0; i < spec->annotations_count; i++)
        if (strcmp(spec->annotations[i].key, key) == 0)
            return spec->annotations[i].value;
    return NULL;
}

bool spec_mount_is_bind(const struct spec_mount *mount)
{
    if (mount->type && strcmp(mount->type, "bind") == 0)
        return true;
    for (size_t i = 0; i < mount->options.count; i++)
        if (strcmp(mount->options.items[i], "bind") == 0 ||
            strcmp(mount->options.items[i], "rbind") == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------------------
 * Freeing (also of partly parsed specs: every count is set before the items
 * are filled, and the items are zeroed)
 */

static void strv_free(struct spec_strv *v)
{
    if (v->items)
        for (size_t i = 0; i < v->count; i++)
            free(v->items[i]);
    free(v->items);
}

static void kv_free(struct spec_kv *kv, size_t count)
{
    for (size_t i = 0; kv && i < count; i++) {
        free(kv[i].key);
        free(kv[i].value);
    }
    free(kv);
}

void spec_process_free(struct spec_process *p)
{
    if (!p)
        return;
    free(p->user.additional_gids);
    strv_free(&p->args);
    strv_free(&p->env);
    free(p->cwd);
    free(p->rlimits);
    free(p->apparmor_profile);
    free(p->selinux_label);
    free(p);
}

static void seccomp_free(struct spec_seccomp *sc)
{
    if (!sc)
        return;
    strv_free(&sc->architectures);
    strv_free(&sc->flags);
    free(sc->listener_path);
    free(sc->listener_metadata);
    for (size_t i = 0; sc->syscalls && i < sc->syscalls_count; i++) {
        strv_free(&sc->syscalls[i].names);
        free(sc->syscalls[i].args);
    }
    free(sc->syscalls);
    free(sc);
}

static void linux_free(struct spec_linux *l)
{
    for (size_t i = 0; l->namespaces && i < l->namespaces_count; i++)
        free(l->namespaces[i].path);
    free(l->namespaces);
    free(l->uid_mappings);
    free(l->gid_mappings);
    kv_free(l->sysctl, l->sysctl_count);
    for (size_t i = 0; l->resources.devices && i < l->resources.devices_count; i++)
        free(l->resources.devices[i].access);
    free(l->resources.devices);
    free(l->resources.cpu.cpus);
    free(l->resources.cpu.mems);
    free(l->cgroups_path);
    seccomp_free(l->seccomp);
    strv_free(&l->masked_paths);
    strv_free(&l->readonly_paths);
    for (size_t i = 0; l->devices && i < l->devices_count; i++)
        free(l->devices[i].path);
    free(l->devices);
    free(l->rootfs_propagation);
    free(l->mount_label);
}

void spec_free(struct spec *s)
{
    if (!s)
        return;
    free(s->oci_version);
    spec_process_free(s->process);
    free(s->root.path);
    free(s->root.abs_path);
    free(s->hostname);
    free(s->domainname);
    for (size_t i = 0; s->mounts && i < s->mounts_count; i++) {
        free(s->mounts[i].destination);
        free(s->mounts[i].type);
        free(s->mounts[i].source);
        strv_free(&s->mounts[i].options);
    }
    free(s->mounts);
    for (int k = 0; k < SPEC_HOOK_COUNT; k++) {
        struct spec_hook_list *l = &s->hooks[k];
        for (size_t i = 0; l->items && i < l->count; i++) {
            free(l->items[i].path);
            strv_free(&l->items[i].args);
            strv_free(&l->items[i].env);
        }
        free(l->items);
    }
    kv_free(s->annotations, s->annotations_count);
    linux_free(&s->lx);
    free(s->bundle);
    free(s);
}

#include "runsc/container/state.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "runsc/globals.h"

#define STATE_FILE "state.json"
#define STATE_MAX_SIZE (1 << 20)

int state_check_id(const char *id, rs_error_t *err)
{
    size_t n = strlen(id);
    if (n == 0)
        return rs_error(err, 0, "container id must not be empty");
    if (n > 1024)
        return rs_error(err, 0, "container id is longer than 1024 bytes");
    if (strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return rs_error(err, 0, "invalid container id \"%s\"", id);
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '+' || c == '-' || c == '.'))
            return rs_error(
                err, 0, "invalid container id \"%s\": only letters, digits and _+-. allowed", id);
    }
    return 0;
}

int state_lock(const char *root, const char *id, int how, bool create, int *lock_fd,
               rs_error_t *err)
{
    if (state_check_id(id, err) < 0)
        return -1;
    cleanup_free char *dir = xasprintf("%s/%s", root, id);
    if (create) {
        if (fu_mkdir_p(root, 0711, err) < 0)
            return rs_error_wrap(err, "creating state root");
        if (mkdir(dir, 0711) < 0) {
            if (errno == EEXIST)
                return rs_error(err, 0, "container \"%s\" already exists", id);
            return rs_error(err, errno, "mkdir %s", dir);
        }
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return rs_error(err, 0, "container \"%s\" does not exist", id);
        return rs_error(err, errno, "open %s", dir);
    }
    while (flock(fd, how) < 0) {
        if (errno == EINTR)
            continue;
        int e = errno;
        close(fd);
        return rs_error(err, e, "lock %s", dir);
    }
    /* Deleted while we waited? */
    struct stat st;
    if (!create && fstatat(fd, STATE_FILE, &st, 0) < 0) {
        close(fd);
        return rs_error(err, 0, "container \"%s\" does not exist", id);
    }
    *lock_fd = fd;
    return 0;
}

static const char *str_or(json_t *o, const char *key, const char *def)
{
    json_t *v = json_object_get(o, key);
    return json_is_string(v) ? json_string_value(v) : def;
}

int state_save(const char *root, const struct container_state *st, rs_error_t *err)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(st->id));
    json_object_set_new(o, "bundle", json_string(st->bundle ? st->bundle : ""));
    json_object_set_new(o, "status", json_string(st->status ? st->status : "created"));
    json_object_set_new(o, "pid", json_integer(st->pid));
    json_object_set_new(o, "created", json_string(st->created ? st->created : ""));
    json_object_set_new(o, "owner", json_string(st->owner ? st->owner : ""));
    json_t *ann = NULL;
    if (st->annotations_json)
        ann = json_loads(st->annotations_json, 0, NULL);
    json_object_set_new(o, "annotations", json_is_object(ann) ? ann : json_object());
    if (ann && !json_is_object(ann))
        json_decref(ann);
    json_object_set_new(o, "sandboxPid", json_integer(st->sandbox_pid));
    json_object_set_new(o, "goferPid", json_integer(st->gofer_pid));
    json_object_set_new(o, "controlSocket",
                        json_string(st->control_socket ? st->control_socket : ""));
    json_object_set_new(o, "cgroupPath", json_string(st->cgroup_path ? st->cgroup_path : ""));
    json_t *res = st->resources_json ? json_loads(st->resources_json, 0, NULL) : NULL;
    if (json_is_object(res))
        json_object_set_new(o, "resources", res);
    else
        json_decref(res);
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_SORT_KEYS);
    json_decref(o);
    if (!text)
        return rs_error(err, ENOMEM, "encoding state");
    cleanup_free char *path = xasprintf("%s/%s/%s", root, st->id, STATE_FILE);
    int r = fu_write_file_atomic(path, text, strlen(text), 0600, err);
    free(text);
    return r;
}

static bool pid_alive(pid_t pid)
{
    if (pid <= 0)
        return false;
    if (kill(pid, 0) == 0 || errno == EPERM) {
        /* A zombie is not alive for our purposes. */
        char path[64], buf[512];
        snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            return true;
        ssize_t n = read(fd, buf, sizeof(buf) - 1);
        close(fd);
        if (n <= 0)
            return true;
        buf[n] = '\0';
        char *rp = strrchr(buf, ')');
        return !(rp && rp[1] == ' ' && (rp[2] == 'Z' || rp[2] == 'X'));
    }
    return false;
}

int state_load(const char *root, const char *id, struct container_state *st, rs_error_t *err)
{
    memset(st, 0, sizeof(*st));
    cleanup_free char *path = xasprintf("%s/%s/%s", root, id, STATE_FILE);
    cleanup_free char *text = NULL;
    if (fu_read_file(path, STATE_MAX_SIZE, &text, NULL, err) < 0) {
        if ((*err)->status == ENOENT) {
            rs_error_release(err);
            return rs_error(err, 0, "container \"%s\" does not exist", id);
        }
        return rs_error_wrap(err, "reading state of container \"%s\"", id);
    }
    json_error_t je;
    json_t *o = json_loads(text, 0, &je);
    if (!json_is_object(o)) {
        json_decref(o);
        return rs_error(err, 0, "state file %s is corrupt: %s (line %d, column %d)", path, je.text,
                        je.line, je.column);
    }
    st->id = xstrdup(str_or(o, "id", id));
    st->bundle = xstrdup(str_or(o, "bundle", ""));
    st->status = xstrdup(str_or(o, "status", "created"));
    st->created = xstrdup(str_or(o, "created", ""));
    st->owner = xstrdup(str_or(o, "owner", ""));
    st->control_socket = xstrdup(str_or(o, "controlSocket", ""));
    st->cgroup_path = xstrdup(str_or(o, "cgroupPath", ""));
    st->pid = (pid_t)json_integer_value(json_object_get(o, "pid"));
    st->sandbox_pid = (pid_t)json_integer_value(json_object_get(o, "sandboxPid"));
    st->gofer_pid = (pid_t)json_integer_value(json_object_get(o, "goferPid"));
    json_t *ann = json_object_get(o, "annotations");
    st->annotations_json =
        json_is_object(ann) ? json_dumps(ann, JSON_COMPACT | JSON_SORT_KEYS) : xstrdup("{}");
    json_t *res = json_object_get(o, "resources");
    if (json_is_object(res))
        st->resources_json = json_dumps(res, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    if (strcmp(st->status, "stopped") != 0 && strcmp(st->status, "creating") != 0 &&
        st->sandbox_pid > 0 && !pid_alive(st->sandbox_pid)) {
        free(st->status);
        st->status = xstrdup("stopped");
    }
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int state_list_ids(const char *root, char ***ids, size_t *count, rs_error_t *err)
{
    *ids = NULL;
    *count = 0;
    DIR *d = opendir(root);
    if (!d) {
        if (errno == ENOENT)
            return 0;
        return rs_error(err, errno, "open state root %s", root);
    }
    size_t n = 0, cap = 0;
    char **v = NULL;
    struct dirent *de;
    while ((de = readdir(d))) {
        if (de->d_name[0] == '.')
            continue;
        char path[4096];
        struct stat sb;
        snprintf(path, sizeof(path), "%s/%s/%s", root, de->d_name, STATE_FILE);
        if (stat(path, &sb) < 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 8;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    if (n)
        qsort(v, n, sizeof(*v), cmp_str);
    *ids = v;
    *count = n;
    return 0;
}

void state_free_ids(char **ids, size_t count)
{
    for (size_t i = 0; i < count; i++)
        free(ids[i]);
    free(ids);
}

void state_remove(const char *root, const char *id)
{
    cleanup_free char *dir = xasprintf("%s/%s", root, id);
    cleanup_free char *f = xasprintf("%s/%s", dir, STATE_FILE);
    unlink(f);
    rmdir(dir);
}

void state_release(struct container_state *st)
{
    free(st->id);
    free(st->bundle);
    free(st->status);
    free(st->created);
    free(st->owner);
    free(st->annotations_json);
    free(st->control_socket);
    free(st->cgroup_path);
    free(st->resources_json);
    memset(st, 0, sizeof(*st));
}

char *state_to_oci_json(const struct container_state *st)
{
    json_t *o = json_object();
    json_object_set_new(o, "ociVersion", json_string(RUNSC_OCI_VERSION));
    json_object_set_new(o, "id", json_string(st->id));
    json_object_set_new(o, "status", json_string(st->status));
    bool stopped = strcmp(st->status, "stopped") == 0;
    json_object_set_new(o, "pid", json_integer(stopped ? 0 : st->pid));
    json_object_set_new(o, "bundle", json_string(st->bundle));
    json_t *ann = json_loads(st->annotations_json ? st->annotations_json : "{}", 0, NULL);
    if (json_is_object(ann) && json_object_size(ann) > 0)
        json_object_set_new(o, "annotations", ann);
    else
        json_decref(ann);
    json_object_set_new(o, "created", json_string(st->created));
    json_object_set_new(o, "owner", json_string(st->owner));
    char *text = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    json_decref(o);
    if (!text) {
        fputs("runsc: out of memory\n", stderr);
        abort();
    }
    return text;
}

char *state_now_rfc3339(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char buf[64];
    size_t n = strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof(buf) - n, ".%09ldZ", ts.tv_nsec);
    return xstrdup(buf);
}

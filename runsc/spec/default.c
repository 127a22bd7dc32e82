/* The default config.json ("runsc spec"), modelled on "runc spec": the same
 * fields in the same order, hostname "runsc", and a cgroup namespace (as
 * runc 1.2 writes). The rootless variant applies runc's rootless conversion
 * (see default.h); the cgroup mount and namespace are kept, as runc does. */
#include "runsc/spec/default.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "runsc/globals.h"

static json_t *strv(const char *const *v)
{
    json_t *a = json_array();
    for (; *v; v++)
        json_array_append_new(a, json_string(*v));
    return a;
}

#define STRV(...) strv((const char *const[]){__VA_ARGS__, NULL})

static json_t *default_process(void)
{
    json_t *p = json_object();
    json_object_set_new(p, "terminal", json_true());
    json_object_set_new(p, "user", json_pack("{s:i, s:i}", "uid", 0, "gid", 0));
    json_object_set_new(p, "args", STRV("sh"));
    json_object_set_new(
        p, "env",
        STRV("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "TERM=xterm"));
    json_object_set_new(p, "cwd", json_string("/"));
    json_t *caps = json_object();
    static const char *const sets[] = {"bounding", "effective", "permitted"};
    for (size_t i = 0; i < ARRAY_SIZE(sets); i++)
        json_object_set_new(caps, sets[i],
                            STRV("CAP_AUDIT_WRITE", "CAP_KILL", "CAP_NET_BIND_SERVICE"));
    json_object_set_new(p, "capabilities", caps);
    json_t *rl = json_array();
    json_array_append_new(
        rl, json_pack("{s:s, s:i, s:i}", "type", "RLIMIT_NOFILE", "hard", 1024, "soft", 1024));
    json_object_set_new(p, "rlimits", rl);
    json_object_set_new(p, "noNewPrivileges", json_true());
    return p;
}

static json_t *mount_entry(const char *dest, const char *type, const char *source, json_t *options)
{
    json_t *m = json_pack("{s:s, s:s, s:s}", "destination", dest, "type", type, "source", source);
    if (options)
        json_object_set_new(m, "options", options);
    return m;
}

static json_t *default_mounts(bool rootless)
{
    json_t *m = json_array();
    json_array_append_new(m, mount_entry("/proc", "proc", "proc", NULL));
    json_array_append_new(m, mount_entry("/dev", "tmpfs", "tmpfs",
                                         STRV("nosuid", "strictatime", "mode=755", "size=65536k")));
    /* Rootless: no gid=5, the group does not exist in the user namespace. */
    json_t *pts = STRV("nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620");
    if (!rootless)
        json_array_append_new(pts, json_string("gid=5"));
    json_array_append_new(m, mount_entry("/dev/pts", "devpts", "devpts", pts));
    json_array_append_new(
        m, mount_entry("/dev/shm", "tmpfs", "shm",
                       STRV("nosuid", "noexec", "nodev", "mode=1777", "size=65536k")));
    json_array_append_new(
        m, mount_entry("/dev/mqueue", "mqueue", "mqueue", STRV("nosuid", "noexec", "nodev")));
    /* Rootless: sysfs cannot be mounted without owning the network namespace. */
    if (rootless)
        json_array_append_new(m, mount_entry("/sys", "none", "/sys",
                                             STRV("rbind", "nosuid", "noexec", "nodev", "ro")));
    else
        json_array_append_new(
            m, mount_entry("/sys", "sysfs", "sysfs", STRV("nosuid", "noexec", "nodev", "ro")));
    json_array_append_new(m, mount_entry("/sys/fs/cgroup", "cgroup", "cgroup",
                                         STRV("nosuid", "noexec", "nodev", "relatime", "ro")));
    return m;
}

static json_t *id_mapping(unsigned host_id)
{
    json_t *a = json_array();
    json_array_append_new(a, json_pack("{s:i, s:I, s:i}", "containerID", 0, "hostID",
                                       (json_int_t)host_id, "size", 1));
    return a;
}

static json_t *default_linux(bool rootless, uid_t uid, gid_t gid)
{
    json_t *l = json_object();
    if (rootless) {
        json_object_set_new(l, "uidMappings", id_mapping(uid));
        json_object_set_new(l, "gidMappings", id_mapping(gid));
    } else {
        json_t *devices = json_array();
        json_array_append_new(devices, json_pack("{s:b, s:s}", "allow", 0, "access", "rwm"));
        json_object_set_new(l, "resources", json_pack("{s:o}", "devices", devices));
    }
    json_t *ns = json_array();
    static const char *const types[] = {"pid", "network", "ipc", "uts", "mount", "cgroup"};
    for (size_t i = 0; i < ARRAY_SIZE(types); i++)
        if (!rootless || strcmp(types[i], "network") != 0)
            json_array_append_new(ns, json_pack("{s:s}", "type", types[i]));
    if (rootless)
        json_array_append_new(ns, json_pack("{s:s}", "type", "user"));
    json_object_set_new(l, "namespaces", ns);
    json_object_set_new(l, "maskedPaths",
                        STRV("/proc/acpi", "/proc/asound", "/proc/kcore", "/proc/keys",
                             "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                             "/proc/sched_debug", "/sys/firmware", "/proc/scsi",
                             "/sys/devices/virtual/powercap"));
    json_object_set_new(
        l, "readonlyPaths",
        STRV("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"));
    return l;
}

char *spec_default_json(bool rootless, uid_t uid, gid_t gid)
{
    json_t *s = json_object();
    json_object_set_new(s, "ociVersion", json_string(RUNSC_OCI_VERSION));
    json_object_set_new(s, "process", default_process());
    json_object_set_new(s, "root", json_pack("{s:s, s:b}", "path", "rootfs", "readonly", 1));
    json_object_set_new(s, "hostname", json_string("runsc"));
    json_object_set_new(s, "mounts", default_mounts(rootless));
    json_object_set_new(s, "linux", default_linux(rootless, uid, gid));
    char *text = json_dumps(s, JSON_INDENT(4) | JSON_PRESERVE_ORDER);
    json_decref(s);
    if (!text) {
        fputs("runsc: out of memory\n", stderr);
        abort();
    }
    char *out = xasprintf("%s\n", text);
    free(text);
    return out;
}

int spec_write_default(const char *bundle, bool rootless, rs_error_t *err)
{
    struct stat st;
    if (stat(bundle, &st) < 0)
        return rs_error(err, errno, "bundle directory %s", bundle);
    if (!S_ISDIR(st.st_mode))
        return rs_error(err, ENOTDIR, "bundle directory %s", bundle);
    cleanup_free char *path = xasprintf("%s/config.json", bundle);
    /* O_EXCL: never replace a config.json, even one that appears meanwhile. */
    cleanup_close int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
    if (fd < 0 && errno == EEXIST)
        return rs_error(err, 0, "File %s exists. Remove it first", path);
    if (fd < 0)
        return rs_error(err, errno, "create %s", path);
    cleanup_free char *text = spec_default_json(rootless, geteuid(), getegid());
    int r = fu_write_all(fd, text, strlen(text));
    if (r == 0 && fsync(fd) < 0)
        r = -errno;
    if (r < 0) {
        unlink(path);
        return rs_error(err, -r, "write %s", path);
    }
    return 0;
}

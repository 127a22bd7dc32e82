/* Tests of runsc/spec: parsing, validation messages, defaults. */
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <linux/capability.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lib/cleanup.h"
#include "lib/error.h"
#include "lib/fileutil.h"
#include "runsc/spec/spec.h"
#include "test/unit/harness.h"

/* A config that passes; the error tests patch one thing into it. */
static const char g_base[] =
    "{\"ociVersion\": \"1.0.2\","
    " \"process\": {\"args\": [\"sh\"], \"cwd\": \"/\","
    "              \"env\": [\"PATH=/bin\"]},"
    " \"root\": {\"path\": \"rootfs\"},"
    " \"hostname\": \"h\","
    " \"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"uts\"},"
    "                            {\"type\": \"mount\"}]}}";

/* The test data directory: test/data/oci from the repository root (the
 * current directory, or five levels above build/<O>/test/unit/spec). */
static char *data_path(const char *name)
{
    char *p = xasprintf("test/data/oci/%s", name);
    if (access(p, R_OK) == 0)
        return p;
    free(p);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    CHECK(n > 0);
    exe[n] = '\0';
    for (int i = 0; i < 5; i++) {
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
    }
    return xasprintf("%s/test/data/oci/%s", exe, name);
}

static struct spec *parse_ok(const char *json)
{
    rs_error_t err = NULL;
    struct spec *s = NULL;
    if (spec_parse(json, strlen(json), &s, &err) < 0)
        ut_fail(__FILE__, __LINE__, "spec_parse failed: %s", err->msg);
    CHECK(s != NULL);
    return s;
}

/* The error message of parsing json (which must fail); malloc'ed. */
static char *parse_err(const char *json)
{
    rs_error_t err = NULL;
    struct spec *s = NULL;
    if (spec_parse(json, strlen(json), &s, &err) == 0)
        ut_fail(__FILE__, __LINE__, "spec_parse accepted: %s", json);
    CHECK(s == NULL);
    CHECK(err != NULL);
    char *msg = xstrdup(err->msg);
    rs_error_release(&err);
    return msg;
}

/* s with every "from" replaced by "to"; frees s. */
static char *replace_all(char *s, const char *from, const char *to)
{
    char *at;
    while ((at = strstr(s, from))) {
        char *n = xasprintf("%.*s%s%s", (int)(at - s), s, to, at + strlen(from));
        free(s);
        s = n;
    }
    return s;
}

/* g_base with patch merged in (objects merge recursively; arrays and other
 * values replace; null makes a field absent). jansson's own parser stops at
 * INT64_MAX, so "@2^64-1@" and "@2^63@" (quoted) stand for those integers. */
static char *patched(const char *patch)
{
    json_error_t je;
    json_t *base = json_loads(g_base, 0, &je);
    json_t *p = json_loads(patch, 0, &je);
    if (!base || !p)
        ut_fail(__FILE__, __LINE__, "bad test JSON: %s: %s", patch, je.text);
    CHECK_INT(json_object_update_recursive(base, p), ==, 0);
    char *text = json_dumps(base, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(base);
    json_decref(p);
    text = replace_all(text, "\"@2^64-1@\"", "18446744073709551615");
    return replace_all(text, "\"@2^63@\"", "9223372036854775808");
}

static void load_file(const char *name, char **text, size_t *len)
{
    rs_error_t err = NULL;
    cleanup_free char *path = data_path(name);
    if (fu_read_file(path, 1 << 20, text, len, &err) < 0)
        ut_fail(__FILE__, __LINE__, "%s", err->msg);
}

static char *write_bundle(const char *sub, const char *config)
{
    rs_error_t err = NULL;
    char *dir = xasprintf("%s/%s", ut_tmpdir(), sub);
    CHECK_INT(fu_mkdir_p(dir, 0755, &err), ==, 0);
    cleanup_free char *path = xasprintf("%s/config.json", dir);
    CHECK_INT(fu_write_file_atomic(path, config, strlen(config), 0644, &err), ==, 0);
    return dir;
}

TEST(base_config_parses)
{
    struct spec *s = parse_ok(g_base);
    CHECK_INT(spec_validate_for_create(s, NULL), ==, 0);
    spec_free(s);
}

TEST(full_config)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    load_file("full.json", &text, &len);
    rs_error_t err = NULL;
    struct spec *s = NULL;
    if (spec_parse(text, len, &s, &err) < 0)
        ut_fail(__FILE__, __LINE__, "%s", err->msg);
    CHECK_STR(s->oci_version, "1.0.2");

    struct spec_process *p = s->process;
    CHECK(p != NULL);
    CHECK(p->terminal);
    CHECK(p->console_size_set);
    CHECK_INT(p->console_height, ==, 25);
    CHECK_INT(p->console_width, ==, 80);
    CHECK_INT(p->user.uid, ==, 1000);
    CHECK_INT(p->user.gid, ==, 100);
    CHECK(p->user.umask_set);
    CHECK_INT(p->user.umask, ==, 022);
    CHECK_INT(p->user.additional_gids_count, ==, 2);
    CHECK_INT(p->user.additional_gids[1], ==, 6);
    CHECK_INT(p->args.count, ==, 3);
    CHECK_STR(p->args.items[2], "echo hi");
    CHECK(p->args.items[3] == NULL);
    CHECK_INT(p->env.count, ==, 3);
    CHECK_STR(p->env.items[2], "EMPTY=");
    CHECK_STR(p->cwd, "/home/user");
    CHECK(p->capabilities_set);
    CHECK(p->capabilities.bounding ==
          ((1ull << CAP_AUDIT_WRITE) | (1ull << CAP_KILL) | (1ull << CAP_NET_BIND_SERVICE)));
    CHECK(p->capabilities.effective == 1ull << CAP_KILL);
    CHECK(p->capabilities.inheritable == 1ull << CAP_CHECKPOINT_RESTORE);
    CHECK(p->capabilities.permitted == ((1ull << CAP_KILL) | (1ull << CAP_CHOWN)));
    CHECK(p->capabilities.ambient == 1ull << CAP_NET_BIND_SERVICE);
    CHECK_INT(p->rlimits_count, ==, 2);
    CHECK_INT(p->rlimits[0].resource, ==, RLIMIT_NOFILE);
    CHECK_INT(p->rlimits[0].hard, ==, 1024);
    CHECK_INT(p->rlimits[0].soft, ==, 512);
    CHECK_INT(p->rlimits[1].resource, ==, RLIMIT_MEMLOCK);
    CHECK(p->rlimits[1].hard == UINT64_MAX);
    CHECK(p->rlimits[1].soft == UINT64_MAX);
    CHECK(p->no_new_privileges);
    CHECK(p->oom_score_adj_set);
    CHECK_INT(p->oom_score_adj, ==, -500);
    CHECK_STR(p->apparmor_profile, "docker-default");
    CHECK_STR(p->selinux_label, "system_u:system_r:container_t:s0:c1,c2");

    CHECK_STR(s->root.path, "rootfs");
    CHECK(s->root.readonly);
    CHECK(s->root.abs_path == NULL);
    CHECK(s->bundle == NULL);
    CHECK_STR(s->hostname, "full");
    CHECK_STR(s->domainname, "example.org");

    CHECK_INT(s->mounts_count, ==, 3);
    CHECK_STR(s->mounts[1].destination, "/dev");
    CHECK_STR(s->mounts[1].type, "tmpfs");
    CHECK_STR(s->mounts[1].options.items[3], "size=65536k");
    CHECK(s->mounts[2].type == NULL);
    CHECK_STR(s->mounts[2].source, "/srv/data");
    CHECK(spec_mount_is_bind(&s->mounts[2]));
    CHECK(!spec_mount_is_bind(&s->mounts[1]));

    for (int k = 0; k < SPEC_HOOK_COUNT; k++)
        CHECK_INT(s->hooks[k].count, ==, 1);
    struct spec_hook *h = &s->hooks[SPEC_HOOK_PRESTART].items[0];
    CHECK_STR(h->path, "/usr/bin/fix-mounts");
    CHECK_INT(h->args.count, ==, 2);
    CHECK_STR(h->env.items[0], "key1=value1");
    CHECK(!h->timeout_set);
    CHECK_STR(s->hooks[SPEC_HOOK_CREATE_RUNTIME].items[0].path, "/usr/bin/setup-network");
    CHECK(s->hooks[SPEC_HOOK_CREATE_CONTAINER].items[0].timeout_set);
    CHECK_INT(s->hooks[SPEC_HOOK_CREATE_CONTAINER].items[0].timeout, ==, 3);
    CHECK_STR(s->hooks[SPEC_HOOK_START_CONTAINER].items[0].path, "/usr/bin/refresh-ldcache");
    CHECK_INT(s->hooks[SPEC_HOOK_POSTSTART].items[0].timeout, ==, 5);
    CHECK_STR(s->hooks[SPEC_HOOK_POSTSTOP].items[0].args.items[1], "-f");

    /* Annotations keep the file's order. */
    CHECK_INT(s->annotations_count, ==, 3);
    CHECK_STR(s->annotations[0].key, "com.example.z");
    CHECK_STR(s->annotations[1].key, "com.example.a");
    CHECK_STR(spec_annotation(s, "io.kubernetes.cri.container-type"), "container");
    CHECK(spec_annotation(s, "nope") == NULL);

    struct spec_linux *l = &s->lx;
    CHECK(l->present);
    CHECK_INT(l->namespaces_count, ==, 8);
    CHECK_INT(l->namespaces[7].type, ==, SPEC_NS_TIME);
    const struct spec_namespace *net = spec_find_namespace(s, SPEC_NS_NETWORK);
    CHECK(net != NULL);
    CHECK_STR(net->path, "/var/run/netns/neta");
    CHECK(spec_find_namespace(s, SPEC_NS_PID)->path == NULL);
    CHECK_INT(l->uid_mappings_count, ==, 1);
    CHECK_INT(l->uid_mappings[0].host_id, ==, 100000);
    CHECK_INT(l->gid_mappings[0].host_id, ==, 200000);
    CHECK_INT(l->gid_mappings[0].size, ==, 65536);
    CHECK_INT(l->sysctl_count, ==, 3);
    CHECK_STR(l->sysctl[0].key, "net.ipv4.ip_forward");
    CHECK_STR(l->sysctl[0].value, "1");

    CHECK(l->resources_set);
    struct spec_resources *r = &l->resources;
    CHECK_INT(r->devices_count, ==, 2);
    CHECK(!r->devices[0].allow);
    CHECK_INT(r->devices[0].type, ==, 0);
    CHECK_STR(r->devices[0].access, "rwm");
    CHECK(r->devices[1].allow);
    CHECK_INT(r->devices[1].type, ==, 'c');
    CHECK(r->devices[1].major_set);
    CHECK_INT(r->devices[1].minor, ==, 229);
    CHECK(r->memory.limit_set);
    CHECK_INT(r->memory.limit, ==, 536870912);
    CHECK_INT(r->memory.reservation, ==, 268435456);
    CHECK_INT(r->memory.swap, ==, -1);
    CHECK_INT(r->cpu.shares, ==, 1024);
    CHECK_INT(r->cpu.quota, ==, 100000);
    CHECK(r->cpu.period_set);
    CHECK_STR(r->cpu.cpus, "0-1");
    CHECK_STR(r->cpu.mems, "0");
    CHECK(r->pids.limit_set);
    CHECK_INT(r->pids.limit, ==, 32771);
    CHECK_STR(l->cgroups_path, "/myRuntime/myContainer");

    struct spec_seccomp *sc = l->seccomp;
    CHECK(sc != NULL);
    CHECK_INT(sc->default_action, ==, SPEC_SECCOMP_ERRNO);
    CHECK(sc->default_errno_ret_set);
    CHECK_INT(sc->default_errno_ret, ==, 1);
    CHECK_INT(sc->architectures.count, ==, 3);
    CHECK_STR(sc->flags.items[0], "SECCOMP_FILTER_FLAG_LOG");
    CHECK_INT(sc->syscalls_count, ==, 3);
    CHECK_STR(sc->syscalls[0].names.items[1], "chmod");
    CHECK_INT(sc->syscalls[0].action, ==, SPEC_SECCOMP_ALLOW);
    CHECK(!sc->syscalls[0].errno_ret_set);
    CHECK_INT(sc->syscalls[1].args[0].value, ==, 4294967295u);
    CHECK_INT(sc->syscalls[1].args[0].op, ==, SPEC_SECCOMP_CMP_EQ);
    CHECK(sc->syscalls[2].errno_ret_set);
    CHECK_INT(sc->syscalls[2].errno_ret, ==, 38);
    CHECK_INT(sc->syscalls[2].args[0].op, ==, SPEC_SECCOMP_CMP_MASKED_EQ);

    CHECK_STR(l->masked_paths.items[1], "/sys/firmware");
    CHECK_STR(l->readonly_paths.items[0], "/proc/sys");
    CHECK_INT(l->devices_count, ==, 3);
    CHECK_STR(l->devices[0].path, "/dev/fuse");
    CHECK_INT(l->devices[0].type, ==, 'c');
    CHECK_INT(l->devices[0].major, ==, 10);
    CHECK(l->devices[0].file_mode_set);
    CHECK_INT(l->devices[0].file_mode, ==, 0666);
    CHECK(l->devices[0].uid_set);
    CHECK(!l->devices[1].uid_set);
    CHECK_INT(l->devices[2].type, ==, 'p');
    CHECK_STR(l->rootfs_propagation, "rslave");
    CHECK_STR(l->mount_label, "system_u:object_r:container_file_t:s0:c1,c2");
    spec_free(s);
}

TEST(minimal_config)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    load_file("minimal.json", &text, &len);
    rs_error_t err = NULL;
    struct spec *s = NULL;
    CHECK_INT(spec_parse(text, len, &s, &err), ==, 0);
    CHECK(s->process == NULL);
    CHECK(!s->lx.present);
    CHECK(s->lx.seccomp == NULL);
    CHECK_INT(s->mounts_count, ==, 0);
    CHECK(!s->root.readonly);
    /* Fine for state/delete, not for create. */
    CHECK(spec_validate_for_create(s, &err) < 0);
    CHECK_STR(err->msg, "process: required");
    rs_error_release(&err);
    spec_free(s);
}

TEST(unknown_fields_ignored)
{
    cleanup_free char *j =
        patched("{\"futureField\": {\"x\": [1, 2]}, \"process\": {\"ioPriority\":"
                " {\"class\": \"IOPRIO_CLASS_IDLE\"}, \"scheduler\": 7},"
                " \"linux\": {\"personality\": {\"domain\": \"LINUX\"}},"
                " \"root\": {\"extra\": true}}");
    struct spec *s = parse_ok(j);
    CHECK_STR(s->process->args.items[0], "sh");
    spec_free(s);
}

TEST(null_is_absent)
{
    cleanup_free char *j = patched("{\"hostname\": null, \"mounts\": null, \"process\":"
                                   " {\"env\": null, \"rlimits\": null, \"capabilities\": null},"
                                   " \"linux\": {\"seccomp\": null}}");
    struct spec *s = parse_ok(j);
    CHECK(s->hostname == NULL);
    CHECK(s->mounts == NULL);
    CHECK(s->process->env.items == NULL);
    CHECK(!s->process->capabilities_set);
    CHECK(s->lx.seccomp == NULL);
    spec_free(s);
}

/* One patch of g_base and the message it must produce (in full). */
struct bad_case {
    const char *patch;
    const char *msg;
};

static const struct bad_case g_bad[] = {
    {"{\"ociVersion\": 1}", "ociVersion: must be a string"},
    {"{\"root\": null}", "root: required"},
    {"{\"root\": {\"path\": null}}", "root.path: required"},
    {"{\"root\": {\"path\": \"\"}}", "root.path: must not be empty"},
    {"{\"root\": {\"readonly\": \"yes\"}}", "root.readonly: must be a boolean"},
    {"{\"root\": \"rootfs\"}", "root: must be an object"},
    {"{\"process\": \"sh\"}", "process: must be an object"},
    {"{\"process\": {\"terminal\": 1}}", "process.terminal: must be a boolean"},
    {"{\"process\": {\"args\": []}}", "process.args: must be a non-empty array"},
    {"{\"process\": {\"args\": null}}", "process.args: must be a non-empty array"},
    {"{\"process\": {\"args\": \"sh\"}}", "process.args: must be a non-empty array"},
    {"{\"process\": {\"args\": [\"sh\", 1]}}", "process.args[1]: must be a string"},
    {"{\"process\": {\"cwd\": null}}", "process.cwd: required"},
    {"{\"process\": {\"cwd\": \"tmp\"}}", "process.cwd: must be an absolute path"},
    {"{\"process\": {\"cwd\": \"\"}}", "process.cwd: must be an absolute path"},
    {"{\"process\": {\"env\": [\"PATH=/bin\", \"NOEQUALS\"]}}",
     "process.env[1]: must be NAME=value (no '=' in \"NOEQUALS\")"},
    {"{\"process\": {\"env\": [\"=x\"]}}", "process.env[0]: variable name must not be empty"},
    {"{\"process\": {\"env\": {\"A\": \"b\"}}}", "process.env: must be an array of strings"},
    {"{\"process\": {\"user\": {\"uid\": -1}}}",
     "process.user.uid: must be a non-negative integer"},
    {"{\"process\": {\"user\": {\"uid\": 1.5}}}",
     "process.user.uid: must be a non-negative integer"},
    {"{\"process\": {\"user\": {\"uid\": \"0\"}}}",
     "process.user.uid: must be a non-negative integer"},
    {"{\"process\": {\"user\": {\"gid\": 4294967296}}}",
     "process.user.gid: must be at most 4294967295"},
    {"{\"process\": {\"user\": {\"uid\": \"@2^64-1@\"}}}",
     "process.user.uid: must be at most 4294967295"},
    {"{\"process\": {\"user\": {\"additionalGids\": [1, -3]}}}",
     "process.user.additionalGids[1]: must be a non-negative integer"},
    {"{\"process\": {\"consoleSize\": {\"height\": true}}}",
     "process.consoleSize.height: must be a non-negative integer"},
    {"{\"process\": {\"capabilities\": {\"bounding\": [\"CAP_KILL\", \"CAP_CHOWN\","
     " \"CAP_SETUID\", \"CAP_FOO\"]}}}",
     "process.capabilities.bounding[3]: unknown capability \"CAP_FOO\""},
    {"{\"process\": {\"capabilities\": {\"ambient\": [\"cap_kill\"]}}}",
     "process.capabilities.ambient[0]: unknown capability \"cap_kill\""},
    {"{\"process\": {\"capabilities\": {\"effective\": \"CAP_KILL\"}}}",
     "process.capabilities.effective: must be an array"},
    {"{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_FOO\", \"hard\": 1, \"soft\": 1}]}}",
     "process.rlimits[0].type: unknown rlimit \"RLIMIT_FOO\""},
    {"{\"process\": {\"rlimits\": [{\"hard\": 1, \"soft\": 1}]}}",
     "process.rlimits[0].type: required"},
    {"{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 5, \"soft\": 10}]}}",
     "process.rlimits[0]: soft limit 10 is above hard limit 5"},
    {"{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 5, \"soft\": 1},"
     " {\"type\": \"RLIMIT_NOFILE\", \"hard\": 6, \"soft\": 1}]}}",
     "process.rlimits[1].type: duplicate rlimit \"RLIMIT_NOFILE\""},
    {"{\"process\": {\"rlimits\": [\"RLIMIT_NOFILE\"]}}", "process.rlimits[0]: must be an object"},
    {"{\"process\": {\"oomScoreAdj\": 1001}}",
     "process.oomScoreAdj: must be between -1000 and 1000"},
    {"{\"process\": {\"noNewPrivileges\": \"true\"}}",
     "process.noNewPrivileges: must be a boolean"},
    {"{\"hostname\": 5}", "hostname: must be a string"},
    {"{\"hostname\": \"@2^64-1@\"}", "hostname: must be a string"},
    {"{\"mounts\": {}}", "mounts: must be an array"},
    {"{\"mounts\": [{\"destination\": \"/a\"}, {\"destination\": \"/b\"},"
     " {\"destination\": \"rel\"}]}",
     "mounts[2].destination: must be an absolute path"},
    {"{\"mounts\": [{\"type\": \"tmpfs\"}]}", "mounts[0].destination: required"},
    {"{\"mounts\": [{\"destination\": \"/a\", \"options\": [\"ro\", false]}]}",
     "mounts[0].options[1]: must be a string"},
    {"{\"hooks\": {\"prestart\": [{\"path\": \"fix-mounts\"}]}}",
     "hooks.prestart[0].path: must be an absolute path"},
    {"{\"hooks\": {\"createRuntime\": [{\"args\": [\"x\"]}]}}",
     "hooks.createRuntime[0].path: required"},
    {"{\"hooks\": {\"poststop\": [{\"path\": \"/x\"}, {\"path\": \"/y\", \"timeout\": 0}]}}",
     "hooks.poststop[1].timeout: must be positive"},
    {"{\"hooks\": {\"poststart\": {\"path\": \"/x\"}}}", "hooks.poststart: must be an array"},
    {"{\"annotations\": {\"a\": \"b\", \"c\": 1}}", "annotations[\"c\"]: must be a string"},
    {"{\"annotations\": [\"a\"]}", "annotations: must be an object"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"foo\"}]}}",
     "linux.namespaces[1].type: unknown namespace type \"foo\""},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"uts\"}, {\"type\": "
     "\"pid\"}]}}",
     "linux.namespaces[2].type: duplicate namespace type \"pid\""},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"uts\", \"path\": \"proc/1/ns/uts\"}]}}",
     "linux.namespaces[0].path: must be an absolute path"},
    {"{\"linux\": {\"namespaces\": [{\"path\": \"/proc/1/ns/uts\"}]}}",
     "linux.namespaces[0].type: required"},
    {"{\"hostname\": \"h\", \"linux\": {\"namespaces\": [{\"type\": \"pid\"}]}}",
     "hostname: requires a uts namespace (linux.namespaces)"},
    {"{\"domainname\": \"d\", \"linux\": null}",
     "hostname: requires a uts namespace (linux.namespaces)"},
    {"{\"hostname\": null, \"domainname\": \"d\", \"linux\": null}",
     "domainname: requires a uts namespace (linux.namespaces)"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"user\"}],"
     " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 0}],"
     " \"gidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}}",
     "linux.uidMappings[0].size: must be positive"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"user\"}],"
     " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}],"
     " \"gidMappings\": [{\"containerID\": 0, \"hostID\": -1, \"size\": 1}]}}",
     "linux.gidMappings[0].hostID: must be a non-negative integer"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"user\"}]}}",
     "linux.uidMappings: required with a new user namespace"},
    {"{\"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"user\"}],"
     " \"uidMappings\": [{\"containerID\": 0, \"hostID\": 1000, \"size\": 1}]}}",
     "linux.gidMappings: required with a new user namespace"},
    {"{\"linux\": {\"sysctl\": {\"net.ipv4.ip_forward\": \"1\"}}}",
     "linux.sysctl[\"net.ipv4.ip_forward\"]: requires a network namespace"},
    {"{\"linux\": {\"sysctl\": {\"kernel.shmmax\": \"1\"}}}",
     "linux.sysctl[\"kernel.shmmax\"]: requires an ipc namespace"},
    {"{\"linux\": {\"sysctl\": {\"vm.swappiness\": \"1\"}}}",
     "linux.sysctl[\"vm.swappiness\"]: not in a separate kernel namespace"},
    {"{\"linux\": {\"sysctl\": {\"kernel.hostname\": \"x\"}}}",
     "linux.sysctl[\"kernel.hostname\"]: not allowed: set the \"hostname\" field instead"},
    {"{\"linux\": {\"sysctl\": {\"kernel.domainname\": 1}}}",
     "linux.sysctl[\"kernel.domainname\"]: must be a string"},
    {"{\"linux\": {\"resources\": {\"memory\": {\"limit\": \"1G\"}}}}",
     "linux.resources.memory.limit: must be an integer"},
    {"{\"linux\": {\"resources\": {\"cpu\": {\"shares\": -2}}}}",
     "linux.resources.cpu.shares: must be a non-negative integer"},
    {"{\"linux\": {\"resources\": {\"pids\": {\"limit\": 1.5}}}}",
     "linux.resources.pids.limit: must be an integer"},
    {"{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, \"access\": \"rwx\"}]}}}",
     "linux.resources.devices[0].access: must contain only the letters r, w, m"},
    {"{\"linux\": {\"resources\": {\"devices\": [{\"allow\": true, \"type\": \"u\"}]}}}",
     "linux.resources.devices[0].type: must be one of a, b, c"},
    {"{\"linux\": {\"seccomp\": {\"syscalls\": []}}}", "linux.seccomp.defaultAction: required"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_DENY\"}}}",
     "linux.seccomp.defaultAction: unknown action \"SCMP_ACT_DENY\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_FOO\"}]}}}",
     "linux.seccomp.syscalls[0].action: unknown action \"SCMP_ACT_FOO\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [], \"action\": \"SCMP_ACT_KILL\"}]}}}",
     "linux.seccomp.syscalls[0].names: must be a non-empty array"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\","
     " \"args\": [{\"index\": 6, \"value\": 1, \"op\": \"SCMP_CMP_EQ\"}]}]}}}",
     "linux.seccomp.syscalls[0].args[0].index: must be at most 5"},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"syscalls\": [{\"names\": [\"read\"], \"action\": \"SCMP_ACT_KILL\","
     " \"args\": [{\"index\": 0, \"value\": 1, \"op\": \"SCMP_CMP_XX\"}]}]}}}",
     "linux.seccomp.syscalls[0].args[0].op: unknown operator \"SCMP_CMP_XX\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_Z80\"]}}}",
     "linux.seccomp.architectures[1]: unknown architecture \"SCMP_ARCH_Z80\""},
    {"{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
     " \"flags\": [\"SECCOMP_FILTER_FLAG_BOGUS\"]}}}",
     "linux.seccomp.flags[0]: unknown flag \"SECCOMP_FILTER_FLAG_BOGUS\""},
    {"{\"linux\": {\"maskedPaths\": [\"proc/kcore\"]}}",
     "linux.maskedPaths[0]: must be an absolute path"},
    {"{\"linux\": {\"readonlyPaths\": [\"/proc/sys\", 3]}}",
     "linux.readonlyPaths[1]: must be a string"},
    {"{\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"x\"}]}}",
     "linux.devices[0].type: must be one of c, b, u, p"},
    {"{\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"c\", \"minor\": 1}]}}",
     "linux.devices[0].major: required for a device of type c"},
    {"{\"linux\": {\"devices\": [{\"path\": \"dev/x\", \"type\": \"p\"}]}}",
     "linux.devices[0].path: must be an absolute path"},
    {"{\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"p\", \"fileMode\": -1}]}}",
     "linux.devices[0].fileMode: must be a non-negative integer"},
    {"{\"linux\": {\"rootfsPropagation\": \"bogus\"}}",
     "linux.rootfsPropagation: unknown propagation \"bogus\""},
    {"{\"linux\": {\"cgroupsPath\": [\"a\"]}}", "linux.cgroupsPath: must be a string"},
    {"{\"linux\": 1}", "linux: must be an object"},
};

TEST(bad_configs_name_the_field)
{
    for (size_t i = 0; i < ARRAY_SIZE(g_bad); i++) {
        cleanup_free char *j = patched(g_bad[i].patch);
        cleanup_free char *msg = parse_err(j);
        if (strstr(g_bad[i].msg, "line 1, column"))
            CHECK_CONTAINS(msg, g_bad[i].msg);
        else if (strcmp(msg, g_bad[i].msg) != 0)
            ut_fail(__FILE__, __LINE__, "patch %s: got \"%s\", want \"%s\"", g_bad[i].patch, msg,
                    g_bad[i].msg);
    }
}

TEST(good_variants)
{
    static const char *const patches[] = {
        /* Joined user namespace: no mappings needed. */
        "{\"linux\": {\"namespaces\": [{\"type\": \"uts\"},"
        " {\"type\": \"user\", \"path\": \"/proc/1/ns/user\"}]}}",
        /* Mappings without a user namespace are ignored, as runc does. */
        "{\"linux\": {\"uidMappings\": [{\"containerID\": 0, \"hostID\": 1, \"size\": 1}]}}",
        "{\"linux\": {\"namespaces\": [{\"type\": \"uts\"}, {\"type\": \"ipc\"},"
        " {\"type\": \"network\"}], \"sysctl\": {\"fs.mqueue.queues_max\": \"3\","
        " \"net.core.somaxconn\": \"1024\", \"kernel.domainname\": \"x\"}}}",
        "{\"hostname\": \"\", \"linux\": null}",
        "{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_CORE\", \"hard\": 0, \"soft\": 0}]}}",
        "{\"process\": {\"oomScoreAdj\": -1000}}",
        "{\"linux\": {\"devices\": [{\"path\": \"/dev/x\", \"type\": \"u\", \"major\": 1,"
        " \"minor\": 2}]}}",
        "{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_KILL_PROCESS\","
        " \"syscalls\": [{\"names\": [\"x\"], \"action\": \"SCMP_ACT_NOTIFY\","
        " \"args\": [{\"index\": 5, \"value\": \"@2^64-1@\","
        " \"valueTwo\": \"@2^63@\", \"op\": \"SCMP_CMP_GT\"}]}]}}}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(patches); i++) {
        cleanup_free char *j = patched(patches[i]);
        rs_error_t err = NULL;
        struct spec *s = NULL;
        if (spec_parse(j, strlen(j), &s, &err) < 0)
            ut_fail(__FILE__, __LINE__, "patch %s: %s", patches[i], err->msg);
        spec_free(s);
    }
    cleanup_free char *j = patched(patches[7]);
    struct spec *s = parse_ok(j);
    CHECK(s->lx.seccomp->syscalls[0].args[0].value == UINT64_MAX);
    CHECK(s->lx.seccomp->syscalls[0].args[0].value_two == 9223372036854775808ull);
    spec_free(s);
}

TEST(top_level_not_object)
{
    cleanup_free char *m1 = parse_err("[1, 2]");
    CHECK_STR(m1, "must be a JSON object");
    cleanup_free char *m2 = parse_err("");
    CHECK_CONTAINS(m2, "line 1, column 0: ");
}

TEST(malformed_json_line_and_column)
{
    const char *text = "{\n  \"ociVersion\": \"1.0.2\",\n    x\n}";
    cleanup_free char *msg = parse_err(text);
    CHECK_STR(msg, "line 3, column 5: string or '}' expected near 'x'");

    cleanup_free char *m2 = parse_err("{\"root\": {\"path\": \"r\"},\n\"a\": [1, 2,, 3]}");
    CHECK_CONTAINS(m2, "line 2, column ");
    cleanup_free char *m3 = parse_err("{\"root\": {\"path\": \"r\"}");
    CHECK_CONTAINS(m3, "line 1, column 22: '}' expected near end of file");
}

TEST(malformed_json_after_big_integer)
{
    /* The rewrite of big integers must not shift the reported column. */
    const char *text = "{\"process\": {\"rlimits\": [{\"type\": \"RLIMIT_CORE\","
                       " \"hard\": 18446744073709551615, \"soft\": 1 x}]}}";
    cleanup_free char *msg = parse_err(text);
    cleanup_free char *want = xasprintf("line 1, column %d: ", (int)(strchr(text, 'x') - text) + 1);
    CHECK_CONTAINS(msg, want);
    /* Beyond 64 bits is a syntax error. */
    cleanup_free char *m2 = parse_err("{\"a\":\n 18446744073709551616}");
    CHECK_CONTAINS(m2, "line 2, column");
    CHECK_CONTAINS(m2, "too big integer");
    /* Without a big integer, \u0000 is a syntax error; with one, it is
     * decoded and then refused by the string getter. */
    cleanup_free char *m3 = parse_err("{\"hostname\": \"a\\u0000b\", \"root\": {\"path\": \"r\"}}");
    CHECK_CONTAINS(m3, "line 1, column");
    cleanup_free char *m4 = parse_err("{\"x\": 18446744073709551615, \"hostname\": \"a\\u0000b\","
                                      " \"root\": {\"path\": \"r\"}}");
    CHECK_STR(m4, "hostname: must not contain NUL bytes");
    /* A big integer inside a string is left alone. */
    cleanup_free char *j = patched("{\"hostname\": \"18446744073709551615\","
                                   " \"process\": {\"rlimits\": [{\"type\": \"RLIMIT_CORE\","
                                   " \"hard\": \"@2^64-1@\", \"soft\": 0}]}}");
    struct spec *s = parse_ok(j);
    CHECK_STR(s->hostname, "18446744073709551615");
    CHECK(s->process->rlimits[0].hard == UINT64_MAX);
    spec_free(s);
}

#define CAP_ROW(c)                                                                                 \
    {                                                                                              \
        c, #c                                                                                      \
    }
static const struct {
    int number;
    const char *name;
} g_cap_rows[] = {
    CAP_ROW(CAP_CHOWN),
    CAP_ROW(CAP_DAC_OVERRIDE),
    CAP_ROW(CAP_DAC_READ_SEARCH),
    CAP_ROW(CAP_FOWNER),
    CAP_ROW(CAP_FSETID),
    CAP_ROW(CAP_KILL),
    CAP_ROW(CAP_SETGID),
    CAP_ROW(CAP_SETUID),
    CAP_ROW(CAP_SETPCAP),
    CAP_ROW(CAP_LINUX_IMMUTABLE),
    CAP_ROW(CAP_NET_BIND_SERVICE),
    CAP_ROW(CAP_NET_BROADCAST),
    CAP_ROW(CAP_NET_ADMIN),
    CAP_ROW(CAP_NET_RAW),
    CAP_ROW(CAP_IPC_LOCK),
    CAP_ROW(CAP_IPC_OWNER),
    CAP_ROW(CAP_SYS_MODULE),
    CAP_ROW(CAP_SYS_RAWIO),
    CAP_ROW(CAP_SYS_CHROOT),
    CAP_ROW(CAP_SYS_PTRACE),
    CAP_ROW(CAP_SYS_PACCT),
    CAP_ROW(CAP_SYS_ADMIN),
    CAP_ROW(CAP_SYS_BOOT),
    CAP_ROW(CAP_SYS_NICE),
    CAP_ROW(CAP_SYS_RESOURCE),
    CAP_ROW(CAP_SYS_TIME),
    CAP_ROW(CAP_SYS_TTY_CONFIG),
    CAP_ROW(CAP_MKNOD),
    CAP_ROW(CAP_LEASE),
    CAP_ROW(CAP_AUDIT_WRITE),
    CAP_ROW(CAP_AUDIT_CONTROL),
    CAP_ROW(CAP_SETFCAP),
    CAP_ROW(CAP_MAC_OVERRIDE),
    CAP_ROW(CAP_MAC_ADMIN),
    CAP_ROW(CAP_SYSLOG),
    CAP_ROW(CAP_WAKE_ALARM),
    CAP_ROW(CAP_BLOCK_SUSPEND),
    CAP_ROW(CAP_AUDIT_READ),
    CAP_ROW(CAP_PERFMON),
    CAP_ROW(CAP_BPF),
    CAP_ROW(CAP_CHECKPOINT_RESTORE),
};

TEST(capability_names_match_kernel_headers)
{
    CHECK_INT(ARRAY_SIZE(g_cap_rows), ==, CAP_LAST_CAP + 1);
    for (size_t i = 0; i < ARRAY_SIZE(g_cap_rows); i++) {
        CHECK_INT(spec_cap_from_name(g_cap_rows[i].name), ==, g_cap_rows[i].number);
        CHECK_STR(spec_cap_name(g_cap_rows[i].number), g_cap_rows[i].name);
    }
}

TEST(capability_names)
{
    CHECK_INT(SPEC_CAP_LAST, ==, CAP_LAST_CAP);
    CHECK_INT(spec_cap_from_name("CAP_CHOWN"), ==, CAP_CHOWN);
    CHECK_INT(spec_cap_from_name("CAP_NET_BIND_SERVICE"), ==, CAP_NET_BIND_SERVICE);
    CHECK_INT(spec_cap_from_name("CAP_SYS_ADMIN"), ==, CAP_SYS_ADMIN);
    CHECK_INT(spec_cap_from_name("CAP_AUDIT_READ"), ==, CAP_AUDIT_READ);
    CHECK_INT(spec_cap_from_name("CAP_PERFMON"), ==, CAP_PERFMON);
    CHECK_INT(spec_cap_from_name("CAP_BPF"), ==, CAP_BPF);
    CHECK_INT(spec_cap_from_name("CAP_CHECKPOINT_RESTORE"), ==, CAP_CHECKPOINT_RESTORE);
    CHECK_INT(spec_cap_from_name("CAP_FOO"), ==, -1);
    CHECK_INT(spec_cap_from_name("KILL"), ==, -1);
    for (int i = 0; i <= SPEC_CAP_LAST; i++) {
        CHECK(spec_cap_name(i) != NULL);
        CHECK_INT(spec_cap_from_name(spec_cap_name(i)), ==, i);
    }
    CHECK(spec_cap_name(-1) == NULL);
    CHECK(spec_cap_name(SPEC_CAP_LAST + 1) == NULL);
}

TEST(rlimit_and_other_names)
{
    CHECK_INT(spec_rlimit_from_name("RLIMIT_CPU"), ==, RLIMIT_CPU);
    CHECK_INT(spec_rlimit_from_name("RLIMIT_NOFILE"), ==, RLIMIT_NOFILE);
    CHECK_INT(spec_rlimit_from_name("RLIMIT_AS"), ==, RLIMIT_AS);
    CHECK_INT(spec_rlimit_from_name("RLIMIT_RTTIME"), ==, RLIMIT_RTTIME);
    CHECK_INT(spec_rlimit_from_name("RLIMIT_FOO"), ==, -1);
    for (int i = 0; i < RLIMIT_NLIMITS; i++)
        CHECK_INT(spec_rlimit_from_name(spec_rlimit_name(i)), ==, i);
    CHECK(spec_rlimit_name(RLIMIT_NLIMITS) == NULL);
    CHECK_STR(spec_ns_type_name(SPEC_NS_NETWORK), "network");
    CHECK_INT(spec_ns_type_from_name("cgroup"), ==, SPEC_NS_CGROUP);
    CHECK_INT(spec_ns_clone_flag(SPEC_NS_USER), ==, 0x10000000);
    CHECK_STR(spec_hook_kind_name(SPEC_HOOK_START_CONTAINER), "startContainer");
    CHECK_INT(spec_seccomp_action_from_name("SCMP_ACT_KILL_THREAD"), ==, SPEC_SECCOMP_KILL_THREAD);
    CHECK_STR(spec_seccomp_op_name(SPEC_SECCOMP_CMP_MASKED_EQ), "SCMP_CMP_MASKED_EQ");
    CHECK(spec_seccomp_arch_known("SCMP_ARCH_AARCH64"));
    CHECK(!spec_seccomp_arch_known("x86_64"));
    CHECK(spec_seccomp_flag_known("SECCOMP_FILTER_FLAG_SPEC_ALLOW"));
}

TEST(default_spec_round_trip)
{
    cleanup_free char *text = spec_default_json(false, 0, 0);
    struct spec *s = parse_ok(text);
    CHECK_INT(spec_validate_for_create(s, NULL), ==, 0);
    CHECK_STR(s->oci_version, "1.0.2");
    struct spec_process *p = s->process;
    CHECK(p->terminal);
    CHECK_INT(p->user.uid, ==, 0);
    CHECK_INT(p->args.count, ==, 1);
    CHECK_STR(p->args.items[0], "sh");
    CHECK_STR(p->env.items[1], "TERM=xterm");
    CHECK_STR(p->cwd, "/");
    uint64_t caps = (1ull << CAP_AUDIT_WRITE) | (1ull << CAP_KILL) | (1ull << CAP_NET_BIND_SERVICE);
    CHECK(p->capabilities.bounding == caps);
    CHECK(p->capabilities.effective == caps);
    CHECK(p->capabilities.permitted == caps);
    CHECK(p->capabilities.inheritable == 0);
    CHECK(p->capabilities.ambient == 0);
    CHECK_INT(p->rlimits_count, ==, 1);
    CHECK_INT(p->rlimits[0].resource, ==, RLIMIT_NOFILE);
    CHECK_INT(p->rlimits[0].soft, ==, 1024);
    CHECK(p->no_new_privileges);
    CHECK_STR(s->root.path, "rootfs");
    CHECK(s->root.readonly);
    CHECK_STR(s->hostname, "runsc");
    static const char *const dests[] = {"/proc",       "/dev", "/dev/pts",      "/dev/shm",
                                        "/dev/mqueue", "/sys", "/sys/fs/cgroup"};
    CHECK_INT(s->mounts_count, ==, ARRAY_SIZE(dests));
    for (size_t i = 0; i < ARRAY_SIZE(dests); i++)
        CHECK_STR(s->mounts[i].destination, dests[i]);
    CHECK_STR(s->mounts[2].options.items[5], "gid=5");
    CHECK_STR(s->mounts[5].type, "sysfs");
    static const enum spec_ns_type ns[] = {SPEC_NS_PID, SPEC_NS_NETWORK, SPEC_NS_IPC,
                                           SPEC_NS_UTS, SPEC_NS_MOUNT,   SPEC_NS_CGROUP};
    CHECK_INT(s->lx.namespaces_count, ==, ARRAY_SIZE(ns));
    for (size_t i = 0; i < ARRAY_SIZE(ns); i++)
        CHECK_INT(s->lx.namespaces[i].type, ==, ns[i]);
    CHECK(spec_find_namespace(s, SPEC_NS_USER) == NULL);
    CHECK_INT(s->lx.uid_mappings_count, ==, 0);
    CHECK(s->lx.resources_set);
    CHECK_INT(s->lx.resources.devices_count, ==, 1);
    CHECK(!s->lx.resources.devices[0].allow);
    CHECK_INT(s->lx.masked_paths.count, ==, 11);
    CHECK_STR(s->lx.masked_paths.items[0], "/proc/acpi");
    CHECK_INT(s->lx.readonly_paths.count, ==, 5);
    CHECK_STR(s->lx.readonly_paths.items[4], "/proc/sysrq-trigger");
    spec_free(s);

    /* Keys come out in runc's order. */
    const char *order[] = {"\"ociVersion\"", "\"process\"", "\"root\"",
                           "\"hostname\"",   "\"mounts\"",  "\"linux\""};
    const char *prev = text;
    for (size_t i = 0; i < ARRAY_SIZE(order); i++) {
        const char *at = strstr(text, order[i]);
        CHECK(at != NULL && at >= prev);
        prev = at;
    }
}

TEST(rootless_default)
{
    cleanup_free char *text = spec_default_json(true, 1234, 5678);
    struct spec *s = parse_ok(text);
    CHECK(spec_find_namespace(s, SPEC_NS_USER) != NULL);
    CHECK(spec_find_namespace(s, SPEC_NS_NETWORK) == NULL);
    CHECK(spec_find_namespace(s, SPEC_NS_PID) != NULL);
    CHECK_INT(s->lx.namespaces[s->lx.namespaces_count - 1].type, ==, SPEC_NS_USER);
    CHECK_INT(s->lx.uid_mappings_count, ==, 1);
    CHECK_INT(s->lx.uid_mappings[0].container_id, ==, 0);
    CHECK_INT(s->lx.uid_mappings[0].host_id, ==, 1234);
    CHECK_INT(s->lx.uid_mappings[0].size, ==, 1);
    CHECK_INT(s->lx.gid_mappings_count, ==, 1);
    CHECK_INT(s->lx.gid_mappings[0].host_id, ==, 5678);
    CHECK(!s->lx.resources_set);
    for (size_t i = 0; i < s->mounts_count; i++) {
        struct spec_mount *m = &s->mounts[i];
        for (size_t k = 0; k < m->options.count; k++) {
            CHECK(strncmp(m->options.items[k], "gid=", 4) != 0);
            CHECK(strncmp(m->options.items[k], "uid=", 4) != 0);
        }
        if (strcmp(m->destination, "/sys") == 0) {
            CHECK_STR(m->type, "none");
            CHECK_STR(m->source, "/sys");
            CHECK_INT(m->options.count, ==, 5);
            CHECK_STR(m->options.items[0], "rbind");
            CHECK_STR(m->options.items[4], "ro");
            CHECK(spec_mount_is_bind(m));
        }
    }
    spec_free(s);
}

TEST(write_default)
{
    rs_error_t err = NULL;
    cleanup_free char *dir = xasprintf("%s/bundle", ut_tmpdir());
    CHECK_INT(mkdir(dir, 0755), ==, 0);
    CHECK_INT(spec_write_default(dir, false, &err), ==, 0);
    struct spec *s = NULL;
    if (spec_load(dir, &s, &err) < 0)
        ut_fail(__FILE__, __LINE__, "%s", err->msg);
    CHECK_STR(s->hostname, "runsc");
    CHECK(spec_find_namespace(s, SPEC_NS_USER) == NULL);
    spec_free(s);

    /* Never overwritten. */
    CHECK(spec_write_default(dir, false, &err) < 0);
    CHECK_CONTAINS(err->msg, "config.json exists. Remove it first");
    rs_error_release(&err);

    cleanup_free char *missing = xasprintf("%s/nope", ut_tmpdir());
    CHECK(spec_write_default(missing, false, &err) < 0);
    CHECK_CONTAINS(err->msg, "bundle directory");
    CHECK_INT(err->status, ==, ENOENT);
    rs_error_release(&err);

    cleanup_free char *file = xasprintf("%s/bundle/config.json", ut_tmpdir());
    CHECK(spec_write_default(file, false, &err) < 0);
    CHECK_INT(err->status, ==, ENOTDIR);
    rs_error_release(&err);

    cleanup_free char *dir2 = xasprintf("%s/rootless", ut_tmpdir());
    CHECK_INT(mkdir(dir2, 0755), ==, 0);
    CHECK_INT(spec_write_default(dir2, true, &err), ==, 0);
    CHECK_INT(spec_load(dir2, &s, &err), ==, 0);
    CHECK_INT(s->lx.uid_mappings[0].host_id, ==, geteuid());
    CHECK_INT(s->lx.gid_mappings[0].host_id, ==, getegid());
    spec_free(s);
}

TEST(load_resolves_root)
{
    rs_error_t err = NULL;
    cleanup_free char *dir = write_bundle("b1", g_base);
    cleanup_free char *real = realpath(dir, NULL);
    CHECK(real != NULL);
    struct spec *s = NULL;
    CHECK_INT(spec_load(dir, &s, &err), ==, 0);
    CHECK_STR(s->bundle, real);
    cleanup_free char *want = xasprintf("%s/rootfs", real);
    CHECK_STR(s->root.abs_path, want);
    CHECK_STR(s->root.path, "rootfs");
    spec_free(s);

    cleanup_free char *j2 = patched("{\"root\": {\"path\": \"./a//b/../c/\"}}");
    cleanup_free char *dir2 = write_bundle("b2", j2);
    cleanup_free char *real2 = realpath(dir2, NULL);
    CHECK_INT(spec_load(dir2, &s, &err), ==, 0);
    cleanup_free char *want2 = xasprintf("%s/a/c", real2);
    CHECK_STR(s->root.abs_path, want2);
    spec_free(s);

    cleanup_free char *j3 = patched("{\"root\": {\"path\": \"/srv/../rootfs/.\"}}");
    cleanup_free char *dir3 = write_bundle("b3", j3);
    CHECK_INT(spec_load(dir3, &s, &err), ==, 0);
    CHECK_STR(s->root.abs_path, "/rootfs");
    spec_free(s);

    /* A relative bundle path works too. */
    CHECK_INT(chdir(ut_tmpdir()), ==, 0);
    CHECK_INT(spec_load("b1", &s, &err), ==, 0);
    CHECK_STR(s->root.abs_path, want);
    spec_free(s);
}

TEST(load_errors)
{
    rs_error_t err = NULL;
    struct spec *s = NULL;
    cleanup_free char *nodir = xasprintf("%s/missing", ut_tmpdir());
    CHECK(spec_load(nodir, &s, &err) < 0);
    CHECK_CONTAINS(err->msg, "bundle ");
    CHECK_INT(err->status, ==, ENOENT);
    rs_error_release(&err);

    cleanup_free char *empty = xasprintf("%s/empty", ut_tmpdir());
    CHECK_INT(mkdir(empty, 0755), ==, 0);
    CHECK(spec_load(empty, &s, &err) < 0);
    CHECK_CONTAINS(err->msg, "config.json: No such file or directory");
    rs_error_release(&err);

    cleanup_free char *bad = write_bundle("bad", "{\n  \"ociVersion\": \"1.0.2\",\n    x\n}");
    CHECK(spec_load(bad, &s, &err) < 0);
    CHECK_CONTAINS(err->msg, "/bad/config.json: line 3, column 5: string or '}' expected near 'x'");
    rs_error_release(&err);

    cleanup_free char *j = patched("{\"process\": {\"args\": []}}");
    cleanup_free char *inv = write_bundle("invalid", j);
    CHECK(spec_load(inv, &s, &err) < 0);
    CHECK_CONTAINS(err->msg, "/invalid/config.json: process.args: must be a non-empty array");
    rs_error_release(&err);
    CHECK(s == NULL);
}

TEST(process_json)
{
    const char *good = "{\"args\": [\"/bin/ls\", \"-l\"], \"cwd\": \"/tmp\","
                       " \"env\": [\"A=1\"], \"user\": {\"uid\": 7}}";
    rs_error_t err = NULL;
    struct spec_process *p = NULL;
    CHECK_INT(spec_parse_process(good, strlen(good), &p, &err), ==, 0);
    CHECK_STR(p->args.items[1], "-l");
    CHECK_INT(p->user.uid, ==, 7);
    spec_process_free(p);

    const char *bad = "{\"args\": [\"/bin/ls\"], \"cwd\": \"tmp\"}";
    CHECK(spec_parse_process(bad, strlen(bad), &p, &err) < 0);
    CHECK_STR(err->msg, "cwd: must be an absolute path");
    rs_error_release(&err);
}

TEST(partial_specs_free_cleanly)
{
    /* Failures deep inside arrays leave half-filled structs for spec_free();
     * run under ASan or valgrind to see this matter. */
    static const char *const patches[] = {
        "{\"mounts\": [{\"destination\": \"/a\", \"options\": [\"x\", \"y\"]},"
        " {\"destination\": \"/b\", \"options\": [\"x\", 2]}]}",
        "{\"hooks\": {\"prestart\": [{\"path\": \"/a\", \"args\": [\"a\"]}],"
        " \"poststop\": [{\"path\": \"/a\", \"env\": [\"a=b\", null]}]}}",
        "{\"annotations\": {\"a\": \"b\", \"c\": [1]}}",
        "{\"linux\": {\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ALLOW\","
        " \"syscalls\": [{\"names\": [\"a\"], \"action\": \"SCMP_ACT_KILL\","
        " \"args\": [{\"index\": 0, \"op\": \"SCMP_CMP_EQ\"}, {\"index\": 9}]}]}}}",
        "{\"linux\": {\"devices\": [{\"path\": \"/dev/a\", \"type\": \"p\"},"
        " {\"path\": \"/dev/b\", \"type\": \"q\"}], \"maskedPaths\": [\"/a\"]}}",
    };
    for (size_t i = 0; i < ARRAY_SIZE(patches); i++) {
        cleanup_free char *j = patched(patches[i]);
        cleanup_free char *msg = parse_err(j);
        CHECK(msg[0] != '\0');
    }
}

/* update: runc's flags (or --resources FILE|-), every value checked before
 * anything is applied. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cleanup.h"
#include "lib/fileutil.h"
#include "lib/log.h"
#include "runsc/cmd/cmd.h"
#include "runsc/container/update.h"

#define RESOURCES_MAX_SIZE (1 << 20)

enum {
    OPT_BLKIO_WEIGHT = 1000,
    OPT_CPU_PERIOD,
    OPT_CPU_QUOTA,
    OPT_CPU_SHARES,
    OPT_CPU_RT_PERIOD,
    OPT_CPU_RT_RUNTIME,
    OPT_CPUSET_CPUS,
    OPT_CPUSET_MEMS,
    OPT_KERNEL_MEMORY,
    OPT_KERNEL_MEMORY_TCP,
    OPT_MEMORY,
    OPT_MEMORY_RESERVATION,
    OPT_MEMORY_SWAP,
    OPT_PIDS_LIMIT,
};

static int bad_value(const char *flag, const char *val, const char *want)
{
    return runsc_usage_error("update", "invalid value for --%s: \"%s\" (%s)", flag, val, want);
}

static int parse_i64(const char *flag, const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end == s || *end || errno == ERANGE)
        return bad_value(flag, s, "expected an integer");
    *out = v;
    return 0;
}

static int parse_u64(const char *flag, const char *s, uint64_t *out)
{
    static const char *const want = "expected a non-negative integer";
    if (s[0] < '0' || s[0] > '9') /* strtoull would take "-1" or " 1" */
        return bad_value(flag, s, want);
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (*end || errno == ERANGE || v > INT64_MAX)
        return bad_value(flag, s, want);
    *out = v;
    return 0;
}

/* A size as docker and runc take it: "-1" (unlimited), or a number with an
 * optional fraction and a binary unit: 512, 64M, 1.5g, 2GiB, 100kb. */
static int parse_size(const char *flag, const char *s, int64_t *out)
{
    static const char *const want = "expected a size such as 64M or 1.5g, or -1 for unlimited";
    if (strcmp(s, "-1") == 0) {
        *out = -1;
        return 0;
    }
    const char *p = s;
    size_t digits = strspn(p, "0123456789");
    if (!digits)
        return bad_value(flag, s, want);
    p += digits;
    if (*p == '.') {
        size_t frac = strspn(p + 1, "0123456789");
        if (!frac)
            return bad_value(flag, s, want);
        p += 1 + frac;
    }
    size_t num_len = (size_t)(p - s);
    if (*p == ' ')
        p++;
    static const char units[] = "kmgtp";
    double mult = 1;
    const char *u = *p ? strchr(units, *p | 0x20) : NULL;
    if (u) {
        for (const char *q = units; q <= u; q++)
            mult *= 1024;
        p++;
    }
    if (u && (*p == 'i' || *p == 'I'))
        p++;
    if (*p == 'b' || *p == 'B')
        p++;
    if (*p)
        return bad_value(flag, s, want);
    char num[64];
    if (num_len >= sizeof(num))
        return bad_value(flag, s, want);
    memcpy(num, s, num_len);
    num[num_len] = '\0';
    double v = strtod(num, NULL) * mult;
    if (!isfinite(v) || v >= 9223372036854775807.0)
        return bad_value(flag, s, "too large");
    *out = (int64_t)v;
    return 0;
}

static int read_resources(const char *path, struct update_request *req, rs_error_t *err)
{
    cleanup_free char *text = NULL;
    size_t len = 0;
    int r = strcmp(path, "-") == 0 ? fu_read_fd(0, RESOURCES_MAX_SIZE, &text, &len, err)
                                   : fu_read_file(path, RESOURCES_MAX_SIZE, &text, &len, err);
    if (r < 0)
        return rs_error_wrap(err, "reading --resources %s",
                             strcmp(path, "-") == 0 ? "from the standard input" : path);
    return update_parse_resources(text, len, req, err);
}

int cmd_update(struct runsc_globals *g, int argc, char **argv)
{
    static const struct option opts[] = {
        {"resources", required_argument, NULL, 'r'},
        {"blkio-weight", required_argument, NULL, OPT_BLKIO_WEIGHT},
        {"cpu-period", required_argument, NULL, OPT_CPU_PERIOD},
        {"cpu-quota", required_argument, NULL, OPT_CPU_QUOTA},
        {"cpu-share", required_argument, NULL, OPT_CPU_SHARES}, /* runc's name */
        {"cpu-shares", required_argument, NULL, OPT_CPU_SHARES},
        {"cpu-rt-period", required_argument, NULL, OPT_CPU_RT_PERIOD},
        {"cpu-rt-runtime", required_argument, NULL, OPT_CPU_RT_RUNTIME},
        {"cpuset-cpus", required_argument, NULL, OPT_CPUSET_CPUS},
        {"cpuset-mems", required_argument, NULL, OPT_CPUSET_MEMS},
        {"kernel-memory", required_argument, NULL, OPT_KERNEL_MEMORY},
        {"kernel-memory-tcp", required_argument, NULL, OPT_KERNEL_MEMORY_TCP},
        {"memory", required_argument, NULL, OPT_MEMORY},
        {"memory-reservation", required_argument, NULL, OPT_MEMORY_RESERVATION},
        {"memory-swap", required_argument, NULL, OPT_MEMORY_SWAP},
        {"pids-limit", required_argument, NULL, OPT_PIDS_LIMIT},
        {NULL, 0, NULL, 0},
    };
    const char *resources = NULL;
    struct cgroup_resources r = {0};
    bool flags = false;
    opterr = 0;
    int c;
    int idx = -1;
    while ((c = getopt_long_only(argc, argv, "+:r:", opts, &idx)) != -1) {
        const char *name = idx >= 0 ? opts[idx].name : "resources";
        idx = -1;
        int64_t i = 0;
        int bad = 0;
        if (c != 'r' && c != ':' && c != '?') {
            flags = true;
            if (!optarg[0]) /* runc: an empty value is no value */
                continue;
        }
        switch (c) {
        case 'r':
            resources = optarg;
            break;
        case OPT_BLKIO_WEIGHT:
            bad = parse_i64(name, optarg, &i);
            if (!bad && i != 0 && (i < 10 || i > 1000))
                bad = bad_value(name, optarg, "the range is 10 to 1000");
            r.blkio_weight = (uint16_t)i;
            break;
        case OPT_CPU_PERIOD:
            bad = parse_u64(name, optarg, &r.cpu_period);
            break;
        case OPT_CPU_QUOTA:
            bad = parse_i64(name, optarg, &r.cpu_quota);
            break;
        case OPT_CPU_SHARES:
            bad = parse_u64(name, optarg, &r.cpu_shares);
            break;
        case OPT_CPU_RT_PERIOD:
            bad = parse_u64(name, optarg, &r.cpu_rt_period);
            break;
        case OPT_CPU_RT_RUNTIME:
            bad = parse_i64(name, optarg, &r.cpu_rt_runtime);
            break;
        case OPT_CPUSET_CPUS:
            r.cpuset_cpus = optarg;
            break;
        case OPT_CPUSET_MEMS:
            r.cpuset_mems = optarg;
            break;
        case OPT_KERNEL_MEMORY:
        case OPT_KERNEL_MEMORY_TCP:
            log_stderr("warning: --%s is ignored (obsolete, as in runc)", name);
            break;
        case OPT_MEMORY:
            bad = parse_size(name, optarg, &r.memory);
            break;
        case OPT_MEMORY_RESERVATION:
            bad = parse_size(name, optarg, &r.memory_reservation);
            break;
        case OPT_MEMORY_SWAP:
            bad = parse_size(name, optarg, &r.memory_swap);
            break;
        case OPT_PIDS_LIMIT:
            bad = parse_i64(name, optarg, &r.pids_limit);
            break;
        case ':':
            return runsc_usage_error("update", "flag %s needs an argument", argv[optind - 1]);
        default:
            return runsc_usage_error("update", "unknown flag %s", argv[optind - 1]);
        }
        if (bad)
            return bad;
    }
    if (argc - optind != 1)
        return runsc_usage_error("update", "expected exactly one container id, got %d arguments",
                                 argc - optind);
    const char *id = argv[optind];
    rs_error_t err = NULL;
    struct update_request req = {0};
    if (resources) {
        /* runc: with --resources the other flags are ignored. */
        if (flags)
            log_stderr("warning: --resources is given: the other flags are ignored");
        if (read_resources(resources, &req, &err) < 0)
            return rs_error_report(&err);
        r = req.r;
    }
    int rc = container_update(g, id, &r, &err);
    update_request_free(&req);
    return rc < 0 ? rs_error_report(&err) : 0;
}

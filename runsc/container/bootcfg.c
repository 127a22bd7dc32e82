#include "runsc/container/bootcfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "lib/fileutil.h"

/* runc's default when process.capabilities is absent. */
#define DEFAULT_CAPS                                                                               \
    ((1ull << 0) | (1ull << 1) | (1ull << 3) | (1ull << 4) | (1ull << 5) | (1ull << 6) |           \
     (1ull << 7) | (1ull << 8) | (1ull << 10) | (1ull << 13) | (1ull << 18) | (1ull << 27) |       \
     (1ull << 29) | (1ull << 31))

int bootcfg_pack_fd(const Runsc__Boot__Config *cfg, rs_error_t *err)
{
    size_t len = runsc__boot__config__get_packed_size(cfg);
    uint8_t *buf = xmalloc(len ? len : 1);
    runsc__boot__config__pack(cfg, buf);
    int fd = memfd_create("runsc-boot-config", MFD_CLOEXEC);
    if (fd < 0) {
        free(buf);
        return rs_error(err, errno, "memfd_create");
    }
    int r = fu_write_all(fd, buf, len);
    free(buf);
    if (r < 0 || lseek(fd, 0, SEEK_SET) < 0) {
        close(fd);
        return rs_error(err, r < 0 ? -r : errno, "writing the boot configuration");
    }
    return fd;
}

int bootcfg_fd(struct runsc_globals *g, const struct spec *s, rs_error_t *err)
{
    const struct spec_process *p = s->process;
    Runsc__Boot__Config cfg = RUNSC__BOOT__CONFIG__INIT;
    cfg.n_argv = p->args.count;
    cfg.argv = p->args.items;
    cfg.n_env = p->env.count;
    cfg.env = p->env.items;
    cfg.cwd = p->cwd ? p->cwd : "/";
    cfg.uid = p->user.uid;
    cfg.gid = p->user.gid;
    cfg.n_groups = p->user.additional_gids_count;
    cfg.groups = p->user.additional_gids;
    cfg.hostname = s->hostname ? s->hostname : "";
    cfg.root_readonly = s->root.readonly;
    cfg.platform = (char *)g->platform;
    if (p->capabilities_set) {
        cfg.cap_effective = p->capabilities.effective;
        cfg.cap_permitted = p->capabilities.permitted;
        cfg.cap_inheritable = p->capabilities.inheritable;
        cfg.cap_bounding = p->capabilities.bounding;
        cfg.cap_ambient = p->capabilities.ambient;
    } else {
        cfg.cap_effective = cfg.cap_permitted = cfg.cap_bounding = DEFAULT_CAPS;
    }
    cfg.no_new_privileges = p->no_new_privileges;
    cfg.terminal = p->terminal;
    cfg.umask = p->user.umask_set ? p->user.umask : 022;
    cfg.debug = g->debug;
    Runsc__Boot__Rlimit *rl = calloc(p->rlimits_count ? p->rlimits_count : 1, sizeof(*rl));
    Runsc__Boot__Rlimit **rlp = calloc(p->rlimits_count ? p->rlimits_count : 1, sizeof(*rlp));
    if (!rl || !rlp) {
        free(rl);
        free(rlp);
        return rs_error(err, ENOMEM, "boot configuration");
    }
    for (size_t i = 0; i < p->rlimits_count; i++) {
        runsc__boot__rlimit__init(&rl[i]);
        rl[i].resource = p->rlimits[i].resource;
        rl[i].cur = p->rlimits[i].soft;
        rl[i].max = p->rlimits[i].hard;
        rlp[i] = &rl[i];
    }
    cfg.n_rlimits = p->rlimits_count;
    cfg.rlimits = rlp;
    int fd = bootcfg_pack_fd(&cfg, err);
    free(rl);
    free(rlp);
    return fd;
}

/* Confinement of the gofer (confine.h): pivot_root into the served tree, the six
 * capabilities it needs, no_new_privs, the seccomp filter. */
#include "gofer/confine.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <sys/capability.h>

#include "confine/mountns.h"
#include "gofer/seccomp.h"
#include "lib/cleanup.h"
#include "lib/log.h"

static const cap_value_t g_keep[] = {CAP_CHOWN,  CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH,
                                     CAP_FOWNER, CAP_FSETID,       CAP_SYS_CHROOT};

/* The served directory becomes "/": bind it onto itself (pivot_root wants a mount point),
 * pivot_root(".", "."), detach the old root stacked on it. */
static int pivot_into(const char *root, rs_error_t *err)
{
    if (mount(NULL, "/", NULL, MS_SLAVE | MS_REC, NULL) < 0)
        return rs_error(err, errno, "making the mounts slaves");
    if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0)
        return rs_error(err, errno, "bind-mounting %s onto itself", root);
    if (chdir(root) < 0)
        return rs_error(err, errno, "chdir %s", root);
    if (syscall(SYS_pivot_root, ".", ".") < 0)
        return rs_error(err, errno, "pivot_root into %s", root);
    if (umount2(".", MNT_DETACH) < 0)
        return rs_error(err, errno, "detaching the old root");
    if (chdir("/") < 0)
        return rs_error(err, errno, "chdir /");
    return 0;
}

static bool kept(cap_value_t c)
{
    for (size_t i = 0; i < ARRAY_SIZE(g_keep); i++)
        if (g_keep[i] == c)
            return true;
    return false;
}

/* Bounding set first (needs CAP_SETPCAP, which goes last), then ambient, then the
 * process sets: permitted = effective = what we keep of what we had. */
static int drop_caps(rs_error_t *err)
{
    cap_t cur = cap_get_proc();
    if (!cur)
        return rs_error(err, errno, "reading capabilities");
    cap_flag_value_t setpcap = CAP_CLEAR;
    cap_get_flag(cur, CAP_SETPCAP, CAP_EFFECTIVE, &setpcap);
    if (setpcap == CAP_SET) {
        for (cap_value_t c = 0; c <= CAP_LAST_CAP || cap_get_bound(c) >= 0; c++) {
            if (cap_get_bound(c) < 0)
                break;
            if (!kept(c) && cap_drop_bound(c) < 0) {
                int e = errno;
                cap_free(cur);
                return rs_error(err, e, "dropping capability %d from the bounding set", (int)c);
            }
        }
    } else {
        log_debug("gofer: no CAP_SETPCAP: the bounding set stays (execve is forbidden)");
    }
    if (cap_reset_ambient() < 0 && errno != EINVAL) {
        int e = errno;
        cap_free(cur);
        return rs_error(err, e, "clearing the ambient capabilities");
    }
    cap_t want = cap_init();
    if (!want) {
        cap_free(cur);
        return rs_error(err, errno, "cap_init");
    }
    for (size_t i = 0; i < ARRAY_SIZE(g_keep); i++) {
        cap_flag_value_t had = CAP_CLEAR;
        cap_get_flag(cur, g_keep[i], CAP_PERMITTED, &had);
        if (had == CAP_SET) {
            cap_set_flag(want, CAP_PERMITTED, 1, &g_keep[i], CAP_SET);
            cap_set_flag(want, CAP_EFFECTIVE, 1, &g_keep[i], CAP_SET);
        }
    }
    int r = cap_set_proc(want);
    int e = errno;
    cap_free(want);
    cap_free(cur);
    if (r < 0)
        return rs_error(err, e, "setting capabilities");
    return 0;
}

/* Whether root is this process's "/" already (pivot_root would refuse: EBUSY). */
static bool is_root(const char *root)
{
    struct stat a, b;
    return stat(root, &a) == 0 && stat("/", &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

int gofer_confine(const char *root, rs_error_t *err)
{
    int result = 0;
    int own = confine_own_mount_ns();
    if (own == 1 && is_root(root)) {
        log_info("gofer: serving / itself: nothing to pivot_root into");
        result = GOFER_CONFINE_NO_PIVOT;
    } else if (own == 1) {
        if (pivot_into(root, err) < 0)
            return rs_error_wrap(err, "confining the gofer");
        log_debug("gofer: pivot_root into %s", root);
    } else {
        log_info("gofer: not in a mount namespace of its own%s%s: no pivot_root into %s",
                 own < 0 ? ": " : "", own < 0 ? strerror(-own) : "", root);
        result = GOFER_CONFINE_NO_PIVOT;
    }
    if (drop_caps(err) < 0)
        return rs_error_wrap(err, "confining the gofer");
    int r = gofer_seccomp_install();
    if (r < 0)
        return rs_error(err, -r, "confining the gofer: installing the seccomp filter");
    return result;
}

/* cgroupfs internals shared by cgroupfs.c (the registry and the
 * filesystem) and files.c (the control files and what they read). */
#pragma once

#include <stddef.h>
#include <stdio.h>

#include "sentry/fsimpl/cgroupfs/cgroupfs.h"

/* Controllers, in Linux's order (/proc/cgroups lists them so). */
enum cg_ctrl { CG_CPUSET, CG_CPU, CG_CPUACCT, CG_MEMORY, CG_PIDS, CG_NCTRL };
#define CG_BIT(c) (1u << (c))
#define CG_ALL ((1u << CG_NCTRL) - 1)

extern const char *const cg_ctrl_names[CG_NCTRL];

/* A control file: in every hierarchy with its controller (ctrl 0: in
 * every hierarchy). gen writes its contents when it is opened for reading;
 * write handles one write (NULL: the file is read-only, 0444, and opening it
 * for writing is EACCES, as kernfs does). */
struct cg_file {
    const char *name;
    unsigned ctrl; /* CG_BIT(...) or 0 */
    int (*gen)(FILE *out);
    int (*write)(const char *buf, size_t len);
};

extern const struct cg_file cg_files[];
extern const size_t cg_nfiles;

/* Helpers for the platform tests: a MemoryFile, a platform with one address
 * space and one ctx, machine-code snippets copied into the MemoryFile. */
#pragma once

#include <stdint.h>

#include "platform/platform.h"

#define PAGE 4096ull
#define MEM_SIZE (64 * PAGE)
#define CODE_ADDR 0x400000ull /* OFF_CODE, mapped r-x */
#define DATA_ADDR 0x500000ull /* OFF_DATA, mapped rw- */
#define OFF_CODE 0ull
#define OFF_DATA PAGE
#define OFF_SPARE (2 * PAGE) /* for maps made by the tests */

/* A snippet of position-independent code: snip_<name>..snip_<name>_end. */
#define SNIPPET(name, text)                                                                        \
    __asm__(".pushsection .rodata\n"                                                               \
            ".globl snip_" #name "\n"                                                              \
            ".hidden snip_" #name "\n"                                                             \
            "snip_" #name ":\n" text "\n"                                                          \
            ".globl snip_" #name "_end\n"                                                          \
            ".hidden snip_" #name "_end\n"                                                         \
            "snip_" #name "_end:\n"                                                                \
            ".popsection\n");                                                                      \
    extern const char snip_##name[], snip_##name##_end[]

struct env {
    const struct platform_ops *ops;
    int memfd;
    uint8_t *mem; /* the whole MemoryFile, mapped shared here */
    struct platform *p;
    struct platform_as *as;
    struct platform_ctx *ctx;
};

/* MemoryFile + platform + as + ctx (on the calling thread). */
void env_init(struct env *e);
/* Copies the snippet to OFF_CODE and maps code (r-x) and data (rw-). */
void env_load(struct env *e, const char *start, const char *end);
/* Releases everything; checks that no child process is left. */
void env_fini(struct env *e);

/* Zeroed registers, initial FPU state, rip, a stack pointer in the data page. */
void regs_init(struct platform_regs *r, uint64_t rip);
/* env_init, env_load of the snippet, and registers to run it: regs_init at
 * CODE_ADDR with rbx = DATA_ADDR (where the snippets store their results). */
void env_start(struct env *e, const char *start, const char *end, struct platform_regs *r);

uint64_t data_u64(const struct env *e, uint64_t off_in_data);
void set_data_u64(struct env *e, uint64_t off_in_data, uint64_t v);

/* Reads /proc/<pid>/<what> into a static buffer. */
const char *proc_read(pid_t pid, const char *what);
/* Number of threads of process pid. */
int proc_threads(pid_t pid);

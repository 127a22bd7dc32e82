/* The platform registry and the FPU helpers every backend shares. */
#include <cpuid.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "platform/platform.h"
#include "platform/ptrace/ptrace.h"

static const struct platform_ops *const g_platforms[] = {
    &ptrace_platform_ops,
};

#define NPLATFORMS (sizeof(g_platforms) / sizeof(g_platforms[0]))

const struct platform_ops *platform_lookup(const char *name)
{
    if (!name)
        return NULL;
    for (size_t i = 0; i < NPLATFORMS; i++)
        if (strcmp(g_platforms[i]->name, name) == 0)
            return g_platforms[i];
    return NULL;
}

static char g_names[128];
static pthread_once_t g_names_once = PTHREAD_ONCE_INIT;

static void build_names(void)
{
    size_t off = 0;
    for (size_t i = 0; i < NPLATFORMS && off < sizeof(g_names); i++) {
        int n = snprintf(g_names + off, sizeof(g_names) - off, "%s%s", i ? "," : "",
                         g_platforms[i]->name);
        if (n < 0)
            break;
        off += (size_t)n;
    }
}

const char *platform_names(void)
{
    pthread_once(&g_names_once, build_names);
    return g_names;
}

/* Legacy FXSAVE area, the XSAVE header follows it. */
#define FXSAVE_SIZE 512
#define XSTATE_BV_OFF 512
#define XFEATURE_FP_SSE 3ull

uint32_t platform_fpu_size(void)
{
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !(c & bit_XSAVE) || __get_cpuid_max(0, NULL) < 0xd)
        return FXSAVE_SIZE;
    __cpuid_count(0xd, 0, a, b, c, d);
    return b; /* size for the features enabled in XCR0 */
}

void platform_fpu_init(struct platform_regs *regs)
{
    uint32_t size = platform_fpu_size();
    if (size > PLATFORM_FPU_MAX)
        size = PLATFORM_FPU_MAX;
    memset(regs->fpu, 0, sizeof(regs->fpu));
    uint16_t fcw = 0x37f;
    uint32_t mxcsr = 0x1f80;
    memcpy(regs->fpu + 0, &fcw, sizeof(fcw));
    memcpy(regs->fpu + 24, &mxcsr, sizeof(mxcsr));
    if (size > FXSAVE_SIZE) {
        uint64_t bv = XFEATURE_FP_SSE; /* x87 and SSE state are given, the rest is init */
        memcpy(regs->fpu + XSTATE_BV_OFF, &bv, sizeof(bv));
    }
    regs->fpu_size = size;
}

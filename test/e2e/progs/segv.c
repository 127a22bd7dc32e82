/* Faults on a known address; the handler checks si_addr/si_code and
 * siglongjmps out. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

static sigjmp_buf g_env;
static void *volatile g_addr;
static volatile int g_code;

static void handler(int sig, siginfo_t *si, void *uc)
{
    g_addr = si->si_addr;
    g_code = si->si_code;
    siglongjmp(g_env, sig);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = handler;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    volatile char *bad = (volatile char *)0x1000;
    int ok = 1;
    if (sigsetjmp(g_env, 1) == 0) {
        *bad = 1;
        ok = 0;
    }
    ok &= g_addr == (void *)bad && g_code == SEGV_MAPERR;
    if (sigsetjmp(g_env, 1) == 0) {
        page[100] = 1; /* read-only page */
        ok = 0;
    }
    ok &= g_addr == (void *)(page + 100) && g_code == SEGV_ACCERR;
    printf("si_addr %s, si_code %s\n", ok ? "ok" : "WRONG", ok ? "ok" : "WRONG");
    return ok ? 0 : 1;
}

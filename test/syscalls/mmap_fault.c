/* Faults on protected and unmapped memory: SIGSEGV with SEGV_ACCERR or
 * SEGV_MAPERR and the faulting address, SIGBUS past the end of a file
 * mapping. The handler jumps back with siglongjmp. */
#include "check.h"

#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/mman.h>

static sigjmp_buf g_jump;
static volatile sig_atomic_t g_signo, g_code;
static void *volatile g_addr;
static long pg;

static void on_fault(int sig, siginfo_t *si, void *ctx)
{
    (void)ctx;
    g_signo = sig;
    g_code = si->si_code;
    g_addr = si->si_addr;
    siglongjmp(g_jump, 1);
}

/* Writes (or reads) one byte at p; returns the signal it raised, or 0. */
static int touch(volatile char *p, int write)
{
    g_signo = 0;
    g_addr = NULL;
    if (sigsetjmp(g_jump, 1) == 0) {
        if (write)
            *p = 1;
        else
            (void)*p;
    }
    return g_signo;
}

static void protection(void)
{
    char *p =
        CHECK_PTR(mmap(NULL, 2 * pg, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
    CHECK_EQ(touch(p, 1), 0);
    CHECK_OK(mprotect(p, pg, PROT_READ));
    /* Reading a read-only page is fine; writing faults. */
    CHECK_EQ(touch(p + 10, 0), 0);
    CHECK_EQ(touch(p + 10, 1), SIGSEGV);
    CHECK_EQ(g_code, SEGV_ACCERR);
    CHECK_EQ(g_addr, p + 10);
    /* The page after is still writable. */
    CHECK_EQ(touch(p + pg, 1), 0);
    /* PROT_NONE faults on reads too. */
    CHECK_OK(mprotect(p, pg, PROT_NONE));
    CHECK_EQ(touch(p, 0), SIGSEGV);
    CHECK_EQ(g_code, SEGV_ACCERR);
    CHECK_OK(mprotect(p, pg, PROT_READ | PROT_WRITE));
    CHECK_EQ(touch(p, 1), 0);
    /* Unmapped memory. */
    CHECK_OK(munmap(p, 2 * pg));
    CHECK_EQ(touch(p + pg + 5, 0), SIGSEGV);
    CHECK_EQ(g_code, SEGV_MAPERR);
    CHECK_EQ(g_addr, p + pg + 5);
}

static void past_eof(void)
{
    /* Pages of a file mapping wholly past the end of the file: SIGBUS. */
    int fd = CHECK_OK(open("/etc/passwd", O_RDONLY));
    struct stat st;
    CHECK_OK(fstat(fd, &st));
    long file_pages = (st.st_size + pg - 1) / pg;
    char *p = CHECK_PTR(mmap(NULL, (file_pages + 1) * pg, PROT_READ, MAP_PRIVATE, fd, 0));
    CHECK_EQ(touch(p + st.st_size - 1, 0), 0);
    CHECK_EQ(touch(p + file_pages * pg, 0), SIGBUS);
    CHECK_EQ(g_code, BUS_ADRERR);
    CHECK_OK(munmap(p, (file_pages + 1) * pg));
    CHECK_OK(close(fd));
}

int main(void)
{
    pg = check_page_size();
    struct sigaction sa = {0};
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    CHECK_OK(sigaction(SIGSEGV, &sa, NULL));
    CHECK_OK(sigaction(SIGBUS, &sa, NULL));
    RUN(protection);
    RUN(past_eof);
    return 0;
}

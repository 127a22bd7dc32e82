/* Maps 1 GiB anonymous, touches one page; pauses (reading stdin) before
 * and after so the test can measure the sentry's MemoryFile. */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

static void pause_line(const char *msg)
{
    char c;
    printf("%s\n", msg);
    fflush(stdout);
    while (read(0, &c, 1) == 1 && c != '\n') {
    }
}

int main(void)
{
    pause_line("before");
    char *p = mmap(NULL, 1ul << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    p[512ul << 20] = 1;
    pause_line("after");
    return p[512ul << 20] == 1 ? 0 : 2;
}

/* Touches 512 MiB, forks; pauses (reading stdin) so the test can measure the
 * sentry's MemoryFile before and after the child writes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define SIZE (512ul << 20)

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
    char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    for (size_t i = 0; i < SIZE; i += 4096)
        p[i] = (char)(i >> 12);
    int go[2], done[2];
    if (pipe(go) < 0 || pipe(done) < 0)
        return 1;
    pid_t c = fork();
    if (c == 0) {
        char b;
        if (read(go[0], &b, 1) != 1)
            _exit(3);
        for (size_t i = 0; i < SIZE; i += 4096)
            p[i] = 1; /* now every page is copied */
        if (write(done[1], "d", 1) != 1)
            _exit(4);
        if (read(go[0], &b, 1) != 1)
            _exit(5);
        _exit(0);
    }
    pause_line("forked");
    if (write(go[1], "g", 1) != 1)
        return 1;
    char b;
    if (read(done[0], &b, 1) != 1)
        return 1;
    pause_line("written");
    if (write(go[1], "g", 1) != 1)
        return 1;
    int st;
    waitpid(c, &st, 0);
    /* The parent's pages are untouched by the child's writes. */
    for (size_t i = 0; i < SIZE; i += 4096)
        if (p[i] != (char)(i >> 12))
            return 2;
    return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : 3;
}

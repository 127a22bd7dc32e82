/* Calls a system call the sentry does not implement, twice. */
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void)
{
    for (int i = 0; i < 2; i++) {
        long r = syscall(SYS_io_setup, 0, NULL);
        printf("io_setup -> %ld errno %d\n", r, r < 0 ? errno : 0);
    }
    return 0;
}

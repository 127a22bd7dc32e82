/* abort(): a program that aborts as the container's pid 1 still dies (the
 * SIGABRT it raises is ignored for pid 1, but the fault glibc then forces
 * is not). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    printf("aborting\n");
    fflush(stdout);
    abort();
}

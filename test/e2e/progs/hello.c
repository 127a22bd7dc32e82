#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    printf("hello from %s\n", argc > 1 ? argv[1] : "the sandbox");
    if (argc > 2)
        return atoi(argv[2]);
    return 0;
}

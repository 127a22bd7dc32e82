/* idle [-m MARKER] SECONDS: the application of the memory benchmark. It
 * creates MARKER (so the harness knows it is running, even inside a VM), then
 * sleeps. */
#include <fcntl.h>

#include "bench.h"

int main(int argc, char **argv)
{
    const char *marker = NULL;
    int c;
    while ((c = getopt(argc, argv, "+m:")) != -1) {
        if (c != 'm')
            bench_usage(argv[0], "[-m MARKER] SECONDS");
        marker = optarg;
    }
    double secs = optind < argc ? strtod(argv[optind], NULL) : 2;
    if (marker) {
        int fd = open(marker, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (fd < 0)
            bench_die(marker);
        if (write(fd, "ready\n", 6) != 6)
            bench_die("write");
        close(fd);
    }
    struct timespec ts = {(time_t)secs, (long)((secs - (double)(time_t)secs) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
    return 0;
}

/* `runsc gofer`: the entry point of the gofer in runsc's multi-call binary. */
#pragma once

/* argv[0] is the command name ("gofer"). Flags:
 *     --root DIR        the directory to serve (required)
 *     --io-fds A[,B..]  connected unix stream sockets, one per mount; each
 *                       is served the root for now
 *     --ro              serve read-only (writes fail with EROFS)
 *     --log-fd N        log to fd N
 *     --debug           log debug messages
 * Serves until every connection has closed, then returns 0; 1 on a usage
 * or setup error (printed once on stderr and logged). */
int gofer_main(int argc, char **argv);

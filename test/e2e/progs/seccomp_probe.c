/* What a container's linux.seccomp does to its processes (test_app_seccomp.py).
 *   seccomp_probe calls     one line: the errno of each probe call ("ok" on success),
 *                           PR_GET_SECCOMP, and the Seccomp: line of /proc/self/status
 *   seccomp_probe install   tries to add an allow-all filter: "install=ok" or
 *                           "install=<errno name>" */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

static const char *result(long r)
{
    if (r != -1)
        return "ok";
    const char *n = strerrorname_np(errno);
    return n ? n : "?";
}

static void status_line(char *out, size_t n)
{
    snprintf(out, n, "none");
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f))
        if (strncmp(line, "Seccomp:", 8) == 0) {
            char *v = line + 8;
            v += strspn(v, " \t");
            v[strcspn(v, "\n")] = '\0';
            snprintf(out, n, "%s", v);
        }
    fclose(f);
}

int main(int argc, char **argv)
{
    if (argc == 2 && strcmp(argv[1], "install") == 0) {
        struct sock_filter f[] = {BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
        struct sock_fprog p = {.len = 1, .filter = f};
        printf("install=%s\n", result(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p)));
        return 0;
    }
    char st[32];
    status_line(st, sizeof(st));
    printf("dup12345=%s ", result(syscall(SYS_dup, 12345)));
    printf("dup12346=%s ", result(syscall(SYS_dup, 12346)));
    printf("dup0x1234=%s ", result(syscall(SYS_dup, 0x1234)));
    printf("dup500=%s dup600=%s dup700=%s ", result(syscall(SYS_dup, 500)),
           result(syscall(SYS_dup, 500 + 100)), result(syscall(SYS_dup, 700)));
    printf("getppid=%s ", result(syscall(SYS_getppid)));
    printf("mode=%d status=%s\n", prctl(PR_GET_SECCOMP, 0, 0, 0, 0), st);
    return 0;
}

/* execve and execveat: arguments and environment, the pid kept, close-on-exec
 * descriptors closed (others kept), the signal mask and pending signals kept,
 * caught handlers reset to SIG_DFL while ignored ones stay ignored, the
 * alternate signal stack dropped; #! scripts with an interpreter argument
 * and without; errors (ENOENT, ENOTDIR, EACCES, ENOEXEC, EFAULT, a missing
 * interpreter); execveat with AT_EMPTY_PATH and with a directory fd; exec
 * from a vfork child.
 *
 * The program re-executes itself (argv[0] is its absolute path): argv[1]
 * names what the new image checks, and its exit status tells the parent.
 *
 * The #! scripts and the ENOEXEC file must be files on disk. The sandbox's
 * root is read-only, so they are made next to this binary when that
 * directory is writable (the native run, which comes first), and reused as
 * they are otherwise; a part whose file is missing is skipped with a note. */
#include "check.h"

#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/wait.h>

extern char **environ;

static const char *g_self;
static char g_dir[4096];

/* ---- the re-executed side ------------------------------------------------ */

static int fail_child(const char *what)
{
    fprintf(stderr, "exec child: %s\n", what);
    return 1;
}

static int child_args(int argc, char **argv)
{
    /* argv: self child-args PID "a b" "" */
    if (argc != 5)
        return fail_child("argc");
    if (atoi(argv[2]) != getpid())
        return fail_child("the pid changed");
    if (strcmp(argv[3], "a b") != 0 || strcmp(argv[4], "") != 0)
        return fail_child("argv contents");
    const char *v = getenv("EXEC_TEST");
    if (!v || strcmp(v, "x=y") != 0)
        return fail_child("environment");
    if (getenv("HOME_NOT_PASSED"))
        return fail_child("environment not replaced");
    return 0;
}

static int child_fds(int argc, char **argv)
{
    /* argv: self child-fds KEPT CLOSED1 CLOSED2 */
    if (argc != 5)
        return fail_child("argc");
    int kept = atoi(argv[2]);
    if (fcntl(kept, F_GETFD) != 0)
        return fail_child("the fd without FD_CLOEXEC is gone or flagged");
    for (int i = 3; i < 5; i++)
        if (fcntl(atoi(argv[i]), F_GETFD) != -1 || errno != EBADF)
            return fail_child("a close-on-exec fd survived");
    /* The kept fd still refers to the same file: /dev/null reads EOF. */
    char c;
    if (read(kept, &c, 1) != 0)
        return fail_child("kept fd");
    return 0;
}

static int child_signals(int argc, char **argv)
{
    sigset_t mask, pend;
    sigprocmask(SIG_SETMASK, NULL, &mask);
    if (!sigismember(&mask, SIGUSR1) || !sigismember(&mask, SIGRTMIN + 3))
        return fail_child("the signal mask was not kept");
    if (sigismember(&mask, SIGUSR2))
        return fail_child("the mask grew");
    sigpending(&pend);
    if (!sigismember(&pend, SIGUSR1))
        return fail_child("a pending signal was lost");
    struct sigaction sa;
    sigaction(SIGUSR1, NULL, &sa);
    if (sa.sa_handler != SIG_DFL)
        return fail_child("a caught signal is not SIG_DFL");
    sigaction(SIGTERM, NULL, &sa);
    if (sa.sa_handler != SIG_DFL || (sa.sa_flags & SA_SIGINFO))
        return fail_child("a caught SA_SIGINFO signal is not SIG_DFL");
    sigaction(SIGUSR2, NULL, &sa);
    if (sa.sa_handler != SIG_IGN)
        return fail_child("an ignored signal is not SIG_IGN");
    stack_t ss;
    sigaltstack(NULL, &ss);
    if (!(ss.ss_flags & SS_DISABLE))
        return fail_child("the alternate signal stack survived");
    /* Take the pending SIGUSR1 so that unblocking does not kill us. */
    sigset_t one;
    sigemptyset(&one);
    sigaddset(&one, SIGUSR1);
    int sig;
    if (sigwait(&one, &sig) != 0 || sig != SIGUSR1)
        return fail_child("sigwait");
    return 0;
}

/* Run as the interpreter of a script: argv: interp [arg] script extra... */
static int child_interp(int argc, char **argv, bool with_arg)
{
    int i = 1;
    if (strcmp(argv[0], g_self) != 0)
        return fail_child("interpreter argv[0] is not its path");
    if (with_arg && strcmp(argv[i++], "shebang-arg") != 0)
        return fail_child("interpreter argument");
    if (argc != i + 2)
        return fail_child("interpreter argc");
    const char *script = argv[i];
    if (!strstr(script, with_arg ? "exec_script_arg.sh" : "exec_script_noarg.sh"))
        return fail_child("script path");
    if (strcmp(argv[i + 1], "extra") != 0)
        return fail_child("script argument");
    return 0;
}

static int child_main(int argc, char **argv)
{
    if (strcmp(argv[1], "child-args") == 0)
        return child_args(argc, argv);
    if (strcmp(argv[1], "child-fds") == 0)
        return child_fds(argc, argv);
    if (strcmp(argv[1], "child-signals") == 0)
        return child_signals(argc, argv);
    if (strcmp(argv[1], "child-ok") == 0)
        return 0;
    if (strcmp(argv[1], "shebang-arg") == 0)
        return child_interp(argc, argv, true);
    if (strstr(argv[1], "exec_script_noarg.sh"))
        return child_interp(argc, argv, false);
    return -1;
}

/* ---- the parent side ------------------------------------------------------ */

/* Forks; the child runs fn (which execs); returns the child's exit code. */
static int run_child(void (*fn)(void *), void *arg)
{
    pid_t pid = CHECK_OK(fork());
    if (pid == 0) {
        fn(arg);
        _exit(120);
    }
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    if (!WIFEXITED(status))
        FAIL("child killed by signal %d", WTERMSIG(status));
    return WEXITSTATUS(status);
}

static void exec_args_fn(void *arg)
{
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", getpid());
    char *argv[] = {(char *)g_self, "child-args", pid, "a b", "", NULL};
    char *envp[] = {"EXEC_TEST=x=y", NULL};
    execve(g_self, argv, envp);
}

static void args_env_pid(void)
{
    setenv("HOME_NOT_PASSED", "1", 1);
    CHECK_EQ(run_child(exec_args_fn, NULL), 0);
}

static void exec_fds_fn(void *arg)
{
    int kept = open("/dev/null", O_RDONLY);
    int c1 = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int c2 = dup(kept);
    fcntl(c2, F_SETFD, FD_CLOEXEC);
    char a[16], b[16], c[16];
    snprintf(a, sizeof(a), "%d", kept);
    snprintf(b, sizeof(b), "%d", c1);
    snprintf(c, sizeof(c), "%d", c2);
    char *argv[] = {(char *)g_self, "child-fds", a, b, c, NULL};
    execve(g_self, argv, environ);
}

static void cloexec(void)
{
    CHECK_EQ(run_child(exec_fds_fn, NULL), 0);
}

static void on_sig(int sig)
{
}

static void on_siginfo(int sig, siginfo_t *si, void *uc)
{
}

static void exec_signals_fn(void *arg)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_sig;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_sigaction = on_siginfo;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGUSR2, SIG_IGN);
    static char altstack[65536];
    stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
    sigaltstack(&ss, NULL);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGUSR1);
    sigaddset(&mask, SIGRTMIN + 3);
    sigprocmask(SIG_BLOCK, &mask, NULL);
    kill(getpid(), SIGUSR1); /* stays pending across execve */
    char *argv[] = {(char *)g_self, "child-signals", NULL};
    execve(g_self, argv, environ);
}

static void signals_across_exec(void)
{
    CHECK_EQ(run_child(exec_signals_fn, NULL), 0);
}

/* Makes (when the directory is writable) or finds the file name in g_dir
 * with content and mode; returns its path, or NULL (the caller skips). */
static char *data_file(const char *name, const char *content, mode_t mode)
{
    char *path = malloc(strlen(g_dir) + strlen(name) + 2);
    sprintf(path, "%s/%s", g_dir, name);
    char tmp[4200];
    snprintf(tmp, sizeof(tmp), "%s.%d.tmp", path, getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (fd >= 0) {
        size_t n = strlen(content);
        CHECK_EQ(write(fd, content, n), (long)n);
        CHECK_OK(fchmod(fd, mode));
        CHECK_OK(close(fd));
        CHECK_OK(rename(tmp, path));
        return path;
    }
    /* Read-only here (the sandbox): use what the native run left. */
    size_t len;
    struct stat st;
    if (stat(path, &st) == 0 && (st.st_mode & 07777) == mode) {
        char *have = check_read_file(path, &len);
        bool same = len == strlen(content) && memcmp(have, content, len) == 0;
        free(have);
        if (same)
            return path;
    }
    fprintf(stderr, "note: %s: no writable directory and no file made before: part skipped\n",
            path);
    free(path);
    return NULL;
}

static void exec_path_fn(void *arg)
{
    char *argv[] = {"script-argv0-is-replaced", "extra", NULL};
    execve((const char *)arg, argv, environ);
}

static void shebang(void)
{
    char content[4200];
    snprintf(content, sizeof(content), "#!%s shebang-arg\n", g_self);
    char *with_arg = data_file("exec_script_arg.sh", content, 0755);
    snprintf(content, sizeof(content), "#! %s\nignored\n", g_self);
    char *no_arg = data_file("exec_script_noarg.sh", content, 0755);
    char *missing = data_file("exec_script_missing.sh", "#!/nonexistent/interpreter -x\n", 0755);
    char *garbage = data_file("exec_garbage.bin", "\x01\x02\x03 not an executable\n", 0755);
    char *noexec = data_file("exec_noexec.sh", "#!/bin/sh\n", 0644);
    if (with_arg)
        CHECK_EQ(run_child(exec_path_fn, with_arg), 0);
    if (no_arg)
        CHECK_EQ(run_child(exec_path_fn, no_arg), 0);
    char *argv[] = {"x", NULL};
    if (missing)
        CHECK_ERR(execve(missing, argv, environ), ENOENT);
    if (garbage)
        CHECK_ERR(execve(garbage, argv, environ), ENOEXEC);
    if (noexec)
        CHECK_ERR(execve(noexec, argv, environ), EACCES);
    free(with_arg);
    free(no_arg);
    free(missing);
    free(garbage);
    free(noexec);
}

static void errors(void)
{
    char *argv[] = {"x", NULL};
    CHECK_ERR(execve("/nonexistent/program", argv, environ), ENOENT);
    CHECK_ERR(execve("", argv, environ), ENOENT);
    CHECK_ERR(execve("/etc/passwd/x", argv, environ), ENOTDIR);
    CHECK_ERR(execve("/etc/passwd", argv, environ), EACCES); /* not executable */
    CHECK_ERR(execve("/", argv, environ), EACCES);           /* a directory */
    CHECK_ERR(execve("/dev/null", argv, environ), EACCES);   /* not a regular file */
    CHECK_ERR(syscall(SYS_execve, BAD_PTR, argv, environ), EFAULT);
    CHECK_ERR(syscall(SYS_execve, g_self, BAD_PTR, environ), EFAULT);
    CHECK_ERR(syscall(SYS_execve, g_self, argv, BAD_PTR), EFAULT);
    char *bad_argv[] = {"x", (char *)BAD_PTR, NULL};
    CHECK_ERR(syscall(SYS_execve, g_self, bad_argv, environ), EFAULT);
    /* After all these failures we are still ourselves. */
    CHECK_EQ(getpid(), getpid());
}

static void execveat_empty_fn(void *arg)
{
    int fd = open(g_self, O_RDONLY);
    char *argv[] = {(char *)g_self, "child-ok", NULL};
    syscall(SYS_execveat, fd, "", argv, environ, AT_EMPTY_PATH);
}

static void execveat_dirfd_fn(void *arg)
{
    int dfd = open(g_dir, O_RDONLY | O_DIRECTORY);
    char *argv[] = {(char *)g_self, "child-ok", NULL};
    syscall(SYS_execveat, dfd, basename((char *)g_self), argv, environ, 0);
}

static void exec_at(void)
{
    CHECK_EQ(run_child(execveat_empty_fn, NULL), 0);
    CHECK_EQ(run_child(execveat_dirfd_fn, NULL), 0);
    int fd = CHECK_OK(open(g_self, O_RDONLY));
    char *argv[] = {(char *)g_self, "child-ok", NULL};
    CHECK_ERR(syscall(SYS_execveat, fd, "", argv, environ, 0), ENOENT);
    CHECK_ERR(syscall(SYS_execveat, AT_FDCWD, g_self, argv, environ, 0x80000), EINVAL);
    CHECK_ERR(syscall(SYS_execveat, fd, "x", argv, environ, 0), ENOTDIR);
    CHECK_ERR(syscall(SYS_execveat, 999, "", argv, environ, AT_EMPTY_PATH), EBADF);
    CHECK_OK(close(fd));
}

static void from_vfork(void)
{
    volatile int after = 0;
    char *argv[] = {(char *)g_self, "child-ok", NULL};
    pid_t pid = vfork();
    if (pid == 0) {
        execve(g_self, argv, environ);
        _exit(127);
    }
    CHECK_OK(pid);
    after = 1;
    int status;
    CHECK_EQ(CHECK_OK(waitpid(pid, &status, 0)), pid);
    CHECK(WIFEXITED(status));
    CHECK_EQ(WEXITSTATUS(status), 0);
    CHECK(after);
}

int main(int argc, char **argv)
{
    g_self = argv[0];
    if (argc >= 2) {
        int r = child_main(argc, argv);
        if (r >= 0)
            return r;
    }
    if (g_self[0] != '/')
        SKIP("run with an absolute path (the runner does)");
    snprintf(g_dir, sizeof(g_dir), "%s", g_self);
    dirname(g_dir);
    RUN(args_env_pid);
    RUN(cloexec);
    RUN(signals_across_exec);
    RUN(shebang);
    RUN(errors);
    RUN(exec_at);
    RUN(from_vfork);
    return 0;
}

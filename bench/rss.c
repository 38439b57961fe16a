/*
 * rss: run commands one after another and report each one's peak RSS (ru_maxrss from wait4).
 *
 *   rss [-q] [-o FILE] CMD [ARGS...] [:: CMD [ARGS...]]...
 *
 * For each command: fork, execvp-like PATH search, wait4; print "maxrss_kb=N status=S CMD ARGS..."
 * to FILE (appended) or stderr. Stops at the first command that fails and exits with its status
 * (128+signal if killed), like `a && b && c`. -q prints nothing (for syscall counting).
 *
 * Why no libc: the kernel folds the RSS the child had *before* exec (a copy of this launcher) into
 * ru_maxrss, so the launcher must be tiny. Built with -nostdlib -static, its forked child holds a
 * few pages, far below any runtime's figure. It also makes exactly 2 + 2 per command syscalls when
 * quiet (execve, fork + wait4 per command, exit_group), which bench/syscalls.sh subtracts.
 *
 * ru_maxrss covers the command and every descendant it waited for (RUSAGE_BOTH semantics), but not
 * processes it leaves running (a container init after `create`).
 */
#include <stddef.h>

#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_fork 57
#define SYS_execve 59
#define SYS_exit 60
#define SYS_wait4 61
#define SYS_exit_group 231
#define O_WRONLY 01
#define O_CREAT 0100
#define O_APPEND 02000
#define O_CLOEXEC 02000000

static long sys3(long n, long a, long b, long c) {
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c) : "rcx", "r11", "memory");
    return r;
}

static long sys4(long n, long a, long b, long c, long d) {
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
    return r;
}

struct rusage_raw {
    long utime[2], stime[2];
    long maxrss; /* KB */
    long rest[13];
};

static size_t slen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static int seq(const char *a, const char *b) {
    while (*a && *a == *b) a++, b++;
    return *a == *b;
}

/* Appends s to buf at *n (bounded). */
static void put(char *buf, size_t *n, size_t cap, const char *s) {
    while (*s && *n < cap) buf[(*n)++] = *s++;
}

static void put_num(char *buf, size_t *n, size_t cap, long v) {
    char t[24];
    int i = 0;
    if (v < 0) { put(buf, n, cap, "-"); v = -v; }
    do { t[i++] = (char)('0' + v % 10); v /= 10; } while (v);
    while (i && *n < cap) buf[(*n)++] = t[--i];
}

static void die(const char *msg) {
    sys3(SYS_write, 2, (long)msg, (long)slen(msg));
    sys3(SYS_exit_group, 127, 0, 0);
}

/* In the child: exec argv[0] directly if it has a '/', else each PATH entry. Never returns. */
static void exec_path(char **argv, char **envp) {
    const char *path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    char buf[4096];
    for (char **e = envp; *e; e++)
        if ((*e)[0] == 'P' && (*e)[1] == 'A' && (*e)[2] == 'T' && (*e)[3] == 'H' && (*e)[4] == '=') path = *e + 5;
    for (const char *c = argv[0]; *c; c++)
        if (*c == '/') { sys3(SYS_execve, (long)argv[0], (long)argv, (long)envp); goto fail; }
    while (*path) {
        size_t n = 0;
        while (*path && *path != ':' && n < sizeof buf - 2) buf[n++] = *path++;
        if (*path == ':') path++;
        if (n == 0) buf[n++] = '.';
        buf[n++] = '/';
        const char *a = argv[0];
        while (*a && n < sizeof buf - 1) buf[n++] = *a++;
        buf[n] = 0;
        sys3(SYS_execve, (long)buf, (long)argv, (long)envp);
    }
fail:
    die("rss: cannot execute the command\n");
}

static int run(int argc, char **argv, char **envp) {
    int quiet = 0, out = 2, i = 1;
    for (; i < argc; i++) {
        if (seq(argv[i], "-q")) quiet = 1;
        else if (seq(argv[i], "-o") && i + 1 < argc) {
            out = (int)sys4(SYS_open, (long)argv[++i], O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644, 0);
            if (out < 0) die("rss: cannot open the -o file\n");
        } else break;
    }
    if (i >= argc) die("usage: rss [-q] [-o FILE] CMD [ARGS...] [:: CMD [ARGS...]]...\n");
    while (i < argc) {
        int start = i;
        while (i < argc && !seq(argv[i], "::")) i++;
        argv[i < argc ? i : argc] = NULL; /* argv[argc] is already NULL */
        i++;
        long pid = sys3(SYS_fork, 0, 0, 0);
        if (pid < 0) die("rss: fork failed\n");
        if (pid == 0) exec_path(argv + start, envp);
        int status = 0;
        struct rusage_raw ru;
        long r;
        do r = sys4(SYS_wait4, pid, (long)&status, 0, (long)&ru); while (r == -4 /* EINTR */);
        if (r < 0) die("rss: wait4 failed\n");
        int code = (status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff;
        if (!quiet) {
            char buf[2048];
            size_t n = 0;
            put(buf, &n, sizeof buf - 1, "maxrss_kb=");
            put_num(buf, &n, sizeof buf - 1, ru.maxrss);
            put(buf, &n, sizeof buf - 1, " status=");
            put_num(buf, &n, sizeof buf - 1, code);
            for (int k = start; argv[k]; k++) {
                put(buf, &n, sizeof buf - 1, " ");
                put(buf, &n, sizeof buf - 1, argv[k]);
            }
            buf[n++] = '\n';
            sys3(SYS_write, out, (long)buf, (long)n);
        }
        if (code != 0) return code;
    }
    return 0;
}

/* Entry: the kernel leaves argc, argv..., NULL, envp..., NULL at the stack pointer. */
__attribute__((used)) static void start_c(long *sp) {
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    sys3(SYS_exit_group, run(argc, argv, envp), 0, 0);
}

__asm__(".text\n.global _start\n_start:\n xor %ebp,%ebp\n mov %rsp,%rdi\n and $-16,%rsp\n call start_c\n hlt\n");

/*
 * floor: what a container lifecycle costs the kernel alone, for comparison with a runtime's
 * create + start + delete (bench/floor.sh runs both in one hyperfine run).
 *
 *   floor [-x PROGRAM] [-w] ROOTFS [CGROUP2_DIR|-] [V1_DIR...]
 *
 * mkdir the cgroup directories (a cgroup2 one, used with CLONE_INTO_CGROUP, and any v1 ones), one
 * clone3 with the namespaces of the `crun spec` config (mount, pid, network, ipc, uts); the child
 * joins the v1 directories (writes 0 to their `tasks`, as rsrun's init does: a task moving itself
 * takes no global lock), makes / private,
 * binds ROOTFS onto itself, pivot_root()s into it, detaches the old root and exits; the parent waits
 * for it and removes the directories. No config parsing, no state, no /dev, no mounts inside the
 * container, no exec of a container process: the floor no runtime can go under on this kernel.
 * With `-x PROGRAM` the child execs PROGRAM (a path inside ROOTFS, no arguments, empty environment)
 * after pivot_root, as a container's process would: the floor of `run`, and of a lifecycle whose
 * container runs /bin/true. With `-w` (the floor of `create` alone) the child, once set up, tells
 * the parent through a pipe and waits (pause); the parent prints the child's pid and exits at once,
 * leaving the child and the directories for the caller to end (bench/floor.sh par).
 *
 * No libc (like bench/rss.c), so the figure is syscalls and kernel work only: built with
 * `gcc -static -O2 -nostdlib -ffreestanding` by bench/build.sh. Exit status 0, or 100 + the step that
 * failed (the errno is printed).
 */
#include <stddef.h>
#include <stdint.h>

#define SYS_read 0
#define SYS_write 1
#define SYS_open 2
#define SYS_close 3
#define SYS_wait4 61
#define SYS_pause 34
#define SYS_pipe2 293
#define SYS_chdir 80
#define SYS_mkdir 83
#define SYS_rmdir 84
#define SYS_execve 59
#define SYS_pivot_root 155
#define SYS_mount 165
#define SYS_umount2 166
#define SYS_exit_group 231
#define SYS_clone3 435

#define O_WRONLY 01
#define O_RDONLY 0
#define O_DIRECTORY 0200000
#define O_CLOEXEC 02000000
#define MS_BIND 4096
#define MS_REC 16384
#define MS_PRIVATE (1 << 18)
#define MNT_DETACH 2
#define SIGCHLD 17

#define CLONE_NEWNS 0x00020000ULL
#define CLONE_NEWUTS 0x04000000ULL
#define CLONE_NEWIPC 0x08000000ULL
#define CLONE_NEWPID 0x20000000ULL
#define CLONE_NEWNET 0x40000000ULL
#define CLONE_INTO_CGROUP 0x200000000ULL

struct clone_args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};

static long sys5(long n, long a, long b, long c, long d, long e) {
    long r;
    register long r10 __asm__("r10") = d;
    register long r8 __asm__("r8") = e;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8) : "rcx", "r11", "memory");
    return r;
}
#define sys(n, a, b, c) sys5(n, (long)(a), (long)(b), (long)(c), 0, 0)

static size_t slen(const char *s) {
    size_t n = 0;
    while (s[n]) n++;
    return n;
}

static void fail(int step, long err) {
    char msg[] = "floor: step NN failed: errno NNN\n";
    msg[12] = (char)('0' + step / 10);
    msg[13] = (char)('0' + step % 10);
    long e = -err;
    msg[29] = (char)('0' + e / 100 % 10);
    msg[30] = (char)('0' + e / 10 % 10);
    msg[31] = (char)('0' + e % 10);
    sys(SYS_write, 2, msg, slen(msg));
    sys(SYS_exit_group, 100 + step, 0, 0);
}

static long check(int step, long r) {
    if (r < 0 && r > -4096) fail(step, r);
    return r;
}

/* dir + "/tasks" into buf. */
static const char *procs_path(char *buf, size_t cap, const char *dir) {
    static const char tail[] = "/tasks";
    size_t n = slen(dir);
    if (n + sizeof tail > cap) fail(1, -36);
    for (size_t i = 0; i < n; i++) buf[i] = dir[i];
    for (size_t i = 0; i < sizeof tail; i++) buf[n + i] = tail[i];
    return buf;
}

/* a + b into buf. */
static const char *cat2(char *buf, size_t cap, const char *a, const char *b) {
    size_t n = slen(a), m = slen(b);
    if (n + m + 1 > cap) fail(1, -36);
    for (size_t i = 0; i < n; i++) buf[i] = a[i];
    for (size_t i = 0; i <= m; i++) buf[n + i] = b[i];
    return buf;
}

/* A new v1 cpuset cgroup starts with no CPUs and no memory nodes (nothing can join it): copy the
 * parent's, as every runtime does. A no-op for other hierarchies (no cpuset.cpus file). */
static void cpuset_from_parent(const char *dir) {
    static const char *files[] = {"/cpuset.cpus", "/cpuset.mems"};
    char path[4096], parent[4096], val[256];
    size_t n = slen(dir);
    while (n && dir[n - 1] != '/') n--;
    if (n < 2 || n >= sizeof parent) return;
    for (size_t i = 0; i < n - 1; i++) parent[i] = dir[i];
    parent[n - 1] = 0;
    for (int f = 0; f < 2; f++) {
        long w = sys(SYS_open, cat2(path, sizeof path, dir, files[f]), O_WRONLY | O_CLOEXEC, 0);
        if (w < 0) return;
        long r = check(8, sys(SYS_open, cat2(path, sizeof path, parent, files[f]), O_RDONLY | O_CLOEXEC, 0));
        long len = check(8, sys(SYS_read, r, val, sizeof val));
        check(9, sys(SYS_write, w, val, len));
        sys(SYS_close, r, 0, 0);
        sys(SYS_close, w, 0, 0);
    }
}

static int ready_w = -1;

static int child(const char *rootfs, char **v1, int nv1, const char *prog) {
    char path[4096];
    for (int i = 0; i < nv1; i++) {
        long fd = check(10, sys(SYS_open, procs_path(path, sizeof path, v1[i]), O_WRONLY | O_CLOEXEC, 0));
        check(11, sys(SYS_write, fd, "0", 1));
        sys(SYS_close, fd, 0, 0);
    }
    check(12, sys5(SYS_mount, 0, (long)"/", 0, MS_REC | MS_PRIVATE, 0));
    check(13, sys5(SYS_mount, (long)rootfs, (long)rootfs, 0, MS_BIND | MS_REC, 0));
    check(14, sys(SYS_chdir, rootfs, 0, 0));
    check(15, sys(SYS_pivot_root, ".", ".", 0));
    check(16, sys(SYS_umount2, ".", MNT_DETACH, 0));
    if (ready_w >= 0) {
        check(18, sys(SYS_write, ready_w, "r", 1));
        for (;;) sys(SYS_pause, 0, 0, 0);
    }
    if (prog) {
        const char *argv[] = {prog, 0};
        const char *envp[] = {0};
        check(17, sys(SYS_execve, prog, argv, envp));
    }
    return 0;
}

int floor_main(int argc, char **argv) {
    const char *prog = 0;
    int wait_mode = 0;
    for (;;) {
        if (argc > 2 && argv[1][0] == '-' && argv[1][1] == 'x' && argv[1][2] == 0) {
            prog = argv[2];
            argc -= 2;
            argv += 2;
        } else if (argc > 1 && argv[1][0] == '-' && argv[1][1] == 'w' && argv[1][2] == 0) {
            wait_mode = 1;
            argc -= 1;
            argv += 1;
        } else {
            break;
        }
    }
    if (argc < 2) {
        static const char usage[] = "usage: floor [-x PROGRAM] [-w] ROOTFS [CGROUP2_DIR|-] [V1_DIR...]\n";
        sys(SYS_write, 2, usage, sizeof usage - 1);
        return 2;
    }
    const char *rootfs = argv[1];
    const char *v2 = argc > 2 && !(argv[2][0] == '-' && argv[2][1] == 0) ? argv[2] : 0;
    char **v1 = argv + (argc > 2 ? 3 : 2);
    int nv1 = argc > 3 ? argc - 3 : 0;

    struct clone_args args = {0};
    args.flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS;
    args.exit_signal = SIGCHLD;
    if (v2) {
        check(1, sys(SYS_mkdir, v2, 0755, 0));
        args.cgroup = (uint64_t)check(2, sys(SYS_open, v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0));
        args.flags |= CLONE_INTO_CGROUP;
    }
    for (int i = 0; i < nv1; i++) {
        check(3, sys(SYS_mkdir, v1[i], 0755, 0));
        cpuset_from_parent(v1[i]);
    }

    int pfd[2] = {-1, -1};
    if (wait_mode) {
        check(19, sys(SYS_pipe2, pfd, O_CLOEXEC, 0));
        ready_w = pfd[1];
    }
    long pid = check(4, sys(SYS_clone3, &args, sizeof args, 0));
    if (pid == 0) sys(SYS_exit_group, child(rootfs, v1, nv1, prog), 0, 0);
    if (wait_mode) {
        char c;
        if (sys(SYS_read, pfd[0], &c, 1) != 1) fail(20, -5);
        char num[24];
        int n = 0;
        char rev[24];
        for (long v = pid; v > 0; v /= 10) rev[n++] = (char)('0' + v % 10);
        for (int i = 0; i < n; i++) num[i] = rev[n - 1 - i];
        num[n++] = '\n';
        sys(SYS_write, 1, num, n);
        return 0;
    }
    int status = 0;
    check(5, sys5(SYS_wait4, pid, (long)&status, 0, 0, 0));

    for (int i = 0; i < nv1; i++) check(6, sys(SYS_rmdir, v1[i], 0, 0));
    if (v2) check(7, sys(SYS_rmdir, v2, 0, 0));
    return status == 0 ? 0 : 99;
}

/* The entry: argc at (%rsp), argv after it. */
__asm__(".globl _start\n_start:\n"
        "  xor %rbp, %rbp\n"
        "  mov (%rsp), %rdi\n"
        "  lea 8(%rsp), %rsi\n"
        "  and $-16, %rsp\n"
        "  call floor_main\n"
        "  mov %eax, %edi\n"
        "  mov $231, %eax\n"
        "  syscall\n");

/*
 * probe: a tiny static program the security tests run inside containers (busybox has no applet for
 * raw syscalls). Built by the tests with `gcc -static -O2` (tests/cve.rs, tests/seccomp_container.rs).
 *
 *   probe sys NR [ARG...]   syscall(NR, ARG...) on x86_64; prints "ok RET" or "errno E"
 *   probe x86 NR [ARG...]   the same through `int $0x80`, the i386 entry (5 arguments at most):
 *                           seccomp sees AUDIT_ARCH_I386 and i386 numbers (no gcc-multilib needed)
 *   probe trap NR [ARG...]  like sys, with a SIGSYS handler: prints "sigsys NR data D" first when
 *                           the call was trapped (SECCOMP_RET_TRAP)
 *   probe fds               the open fds (without the one used to list them): "N TARGET" lines
 *   probe notify            prints NOTIFY_SOCKET=VALUE, then sends "READY=1" to that datagram
 *                           socket (sd_notify); prints "sent" or "errno E"
 *
 * An ARG is a number (strtoull base 0: 0x.., decimal; a leading '-' gives a negative value) or
 * "s:TEXT", a pointer to TEXT.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

static char strings[6][256]; /* low addresses in a static non-PIE binary: usable by the i386 entry */

static long arg(const char *s, int i)
{
	if (strncmp(s, "s:", 2) == 0) {
		strncpy(strings[i], s + 2, sizeof strings[i] - 1);
		return (long)strings[i];
	}
	if (s[0] == '-')
		return -(long)strtoull(s + 1, NULL, 0);
	return (long)strtoull(s, NULL, 0);
}

static long x86_syscall(long nr, long *a)
{
	long ret;
	/* Five arguments (the sixth would go in ebp); the i386 entry clobbers r8-r11. */
	__asm__ volatile("int $0x80"
			 : "=a"(ret)
			 : "a"(nr), "b"(a[0]), "c"(a[1]), "d"(a[2]), "S"(a[3]), "D"(a[4])
			 : "memory", "r8", "r9", "r10", "r11");
	return ret;
}

static volatile sig_atomic_t trapped_nr = -1, trapped_data;

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)ctx;
	trapped_nr = si->si_syscall;
	trapped_data = si->si_errno;
}

static int list_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	if (!d) {
		perror("probe: /proc/self/fd");
		return 2;
	}
	while ((e = readdir(d))) {
		char path[300], target[512];
		ssize_t n;
		if (e->d_name[0] == '.' || atoi(e->d_name) == dirfd(d))
			continue;
		snprintf(path, sizeof path, "/proc/self/fd/%s", e->d_name);
		n = readlink(path, target, sizeof target - 1);
		target[n < 0 ? 0 : n] = 0;
		printf("%s %s\n", e->d_name, target);
	}
	closedir(d);
	return 0;
}

static int notify(void)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;
	printf("NOTIFY_SOCKET=%s\n", path ? path : "");
	if (!path || strlen(path) >= sizeof addr.sun_path)
		return 1;
	strcpy(addr.sun_path, path);
	fd = socket(AF_UNIX, SOCK_DGRAM, 0);
	if (fd < 0 || sendto(fd, "READY=1", 7, 0, (struct sockaddr *)&addr, sizeof addr) < 0)
		printf("errno %d\n", errno);
	else
		printf("sent\n");
	return 0;
}

int main(int argc, char **argv)
{
	long a[6] = {0}, nr, ret;
	int i, x86 = 0;
	if (argc == 2 && strcmp(argv[1], "fds") == 0)
		return list_fds();
	if (argc == 2 && strcmp(argv[1], "notify") == 0)
		return notify();
	if (argc < 3 || argc > 9) {
		fprintf(stderr, "usage: probe sys|x86|trap NR [ARG...] | probe fds\n");
		return 2;
	}
	if (strcmp(argv[1], "x86") == 0) {
		x86 = 1;
	} else if (strcmp(argv[1], "trap") == 0) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO;
		sigaction(SIGSYS, &sa, NULL);
	} else if (strcmp(argv[1], "sys") != 0) {
		fprintf(stderr, "probe: unknown mode %s\n", argv[1]);
		return 2;
	}
	nr = arg(argv[2], 0);
	for (i = 3; i < argc; i++)
		a[i - 3] = arg(argv[i], i - 3);
	if (x86) {
		ret = x86_syscall(nr, a);
		if (ret < 0 && ret > -4096) {
			errno = (int)-ret;
			ret = -1;
		}
	} else {
		ret = syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
	if (trapped_nr >= 0)
		printf("sigsys %d data %d\n", (int)trapped_nr, (int)trapped_data);
	if (ret == -1)
		printf("errno %d\n", errno);
	else
		printf("ok %ld\n", ret);
	return 0;
}

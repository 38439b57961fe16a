/* The pod sandbox's process for tools/cri.sh: holds the pod's namespaces open until it is told to
 * stop. As pid 1 of the pod it must reap orphans (children re-parented to it) and must install
 * handlers itself, since the kernel ignores SIGTERM/SIGINT sent to a namespace's init that has none.
 * Built with `gcc -static -Os` into the offline sandbox image (nothing is pulled). */
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void leave(int sig) { (void)sig; _exit(0); }

static void reap(int sig) {
    (void)sig;
    while (waitpid(-1, NULL, WNOHANG) > 0) {
    }
}

int main(void) {
    struct sigaction stop = {.sa_handler = leave};
    struct sigaction child = {.sa_handler = reap, .sa_flags = SA_NOCLDSTOP | SA_RESTART};
    sigaction(SIGTERM, &stop, NULL);
    sigaction(SIGINT, &stop, NULL);
    sigaction(SIGCHLD, &child, NULL);
    for (;;)
        pause();
}

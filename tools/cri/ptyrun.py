#!/usr/bin/python3
"""Run a command on a new pseudo-terminal, type INPUT into it, and print what it wrote.

    ptyrun.py [--rows R --cols C] INPUT -- CMD [ARG...]

INPUT is typed (with `\\r` for Enter, `\\n` read as `\\r`) once the command has written something,
or after 1 s; the terminal's output goes to stdout; the exit status is the command's. The whole run
is bounded by PTYRUN_TIMEOUT seconds (default 30): then the command is killed and the status is 124.
Used by tests/cri.sh for `exec -it`, which insists on a terminal for its stdin.
"""
import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time


def main(argv):
    rows, cols = 24, 80
    while argv and argv[0] in ("--rows", "--cols"):
        if argv[0] == "--rows":
            rows = int(argv[1])
        else:
            cols = int(argv[1])
        argv = argv[2:]
    if len(argv) < 3 or argv[1] != "--":
        print(__doc__.strip(), file=sys.stderr)
        return 2
    typed = argv[0].replace("\n", "\r").encode()
    pid, fd = pty.fork()
    if pid == 0:
        try:
            os.execvp(argv[2], argv[2:])
        finally:
            os._exit(127)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    deadline = time.monotonic() + float(os.environ.get("PTYRUN_TIMEOUT", "30"))
    start = time.monotonic()
    out = b""
    sent = False
    while time.monotonic() < deadline:
        if not sent and (out or time.monotonic() - start > 1):
            time.sleep(0.3)  # let the far side set its terminal up before we type
            os.write(fd, typed)
            sent = True
        ready, _, _ = select.select([fd], [], [], 0.2)
        if fd in ready:
            try:
                data = os.read(fd, 65536)
            except OSError:  # EIO: every slave fd is closed
                break
            if not data:
                break
            out += data
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.stdout.buffer.write(out)
        return 124
    _, status = os.waitpid(pid, 0)
    sys.stdout.buffer.write(out)
    return os.waitstatus_to_exitcode(status) if os.WIFEXITED(status) else 128 + os.WTERMSIG(status)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

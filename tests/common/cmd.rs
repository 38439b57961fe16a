//! Running commands with a timeout and capturing what they did.
use super::SIGKILL;
use super::sys;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

/// What a command did. `stdout`/`stderr` are lossy UTF-8.
#[derive(Clone)]
pub struct Out {
    /// The command line, for messages.
    pub command: String,
    /// Exit code, None if killed by a signal.
    pub code: Option<i32>,
    /// Terminating signal, if any.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    /// The harness killed the command after `timeout()`.
    pub timed_out: bool,
}

impl Out {
    pub fn success(&self) -> bool {
        self.code == Some(0) && !self.timed_out
    }

    /// Panics (showing everything) unless the command exited 0.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        assert!(self.success(), "command failed:\n{self}");
        self
    }

    /// Panics unless the command exited non-zero (not by timeout or signal).
    #[track_caller]
    pub fn assert_fail(&self) -> &Self {
        assert!(
            !self.timed_out && matches!(self.code, Some(c) if c != 0),
            "command should have failed:\n{self}"
        );
        self
    }

    /// Panics unless the exit code is `code`.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert!(self.code == Some(code) && !self.timed_out, "expected exit code {code}:\n{self}");
        self
    }
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "$ {}", self.command)?;
        match (self.timed_out, self.code, self.signal) {
            (true, _, _) => writeln!(f, "TIMED OUT (killed by the harness)")?,
            (_, Some(c), _) => writeln!(f, "exit code {c}")?,
            (_, None, s) => writeln!(f, "killed by signal {s:?}")?,
        }
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

impl fmt::Debug for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

fn describe(cmd: &Command) -> String {
    let mut s = cmd.get_program().to_string_lossy().into_owned();
    for a in cmd.get_args() {
        s.push(' ');
        s.push_str(&a.to_string_lossy());
    }
    s
}

fn status_parts(st: Option<ExitStatus>) -> (Option<i32>, Option<i32>) {
    use std::os::unix::process::ExitStatusExt;
    match st {
        Some(s) => (s.code(), s.signal()),
        None => (None, None),
    }
}

/// Runs `cmd` with `stdin` (or /dev/null) and captured output; kills it after `limit`.
///
/// Output goes to pipes, so this suits commands that do not leave processes behind holding them
/// (jq, shell tools, `run` in the foreground). Runtime verbs go through `Runtime::exec`, which uses
/// files so a detached container cannot keep the harness waiting.
pub fn run_command(cmd: &mut Command, stdin: Option<&[u8]>, limit: Duration) -> Out {
    let command = describe(cmd);
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {command}: {e}"));
    feed_stdin(&mut child, stdin);
    let pid = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let (output, timed_out) = match rx.recv_timeout(limit) {
        Ok(r) => (r, false),
        Err(_) => {
            // SAFETY: the child is not reaped yet (its waiter thread still waits), so `pid` is ours.
            unsafe { sys::kill(pid, SIGKILL) };
            (rx.recv().unwrap_or_else(|e| panic!("waiting for {command}: {e}")), true)
        }
    };
    let output = output.unwrap_or_else(|e| panic!("wait {command}: {e}"));
    let (code, signal) = status_parts(Some(output.status));
    Out {
        command,
        code,
        signal,
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        timed_out,
    }
}

fn feed_stdin(child: &mut std::process::Child, stdin: Option<&[u8]>) {
    if let (Some(data), Some(mut pipe)) = (stdin, child.stdin.take()) {
        let data = data.to_vec();
        thread::spawn(move || {
            let _ = pipe.write_all(&data);
        });
    }
}

/// Runs `cmd` with stdout/stderr sent to `out_path`/`err_path`, stdin from `stdin` or /dev/null,
/// waits at most `limit` for the command itself (not for processes it leaves behind), then reads the
/// files.
pub fn run_to_files(
    cmd: &mut Command,
    stdin: Option<&[u8]>,
    out_path: &Path,
    err_path: &Path,
    limit: Duration,
) -> Out {
    let command = describe(cmd);
    let out_f = fs::File::create(out_path).unwrap_or_else(|e| panic!("create {}: {e}", out_path.display()));
    let err_f = fs::File::create(err_path).unwrap_or_else(|e| panic!("create {}: {e}", err_path.display()));
    cmd.stdin(if stdin.is_some() { Stdio::piped() } else { Stdio::null() })
        .stdout(Stdio::from(out_f))
        .stderr(Stdio::from(err_f));
    let mut child = cmd.spawn().unwrap_or_else(|e| panic!("spawn {command}: {e}"));
    feed_stdin(&mut child, stdin);
    let pid = child.id() as i32;
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(child.wait());
    });
    let (status, timed_out) = match rx.recv_timeout(limit) {
        Ok(r) => (r.ok(), false),
        Err(_) => {
            // SAFETY: the child is not reaped yet (its waiter thread still waits), so `pid` is ours.
            unsafe { sys::kill(pid, SIGKILL) };
            (rx.recv().ok().and_then(|r| r.ok()), true)
        }
    };
    let (code, signal) = status_parts(status);
    Out {
        command,
        code,
        signal,
        stdout: String::from_utf8_lossy(&fs::read(out_path).unwrap_or_default()).into_owned(),
        stderr: String::from_utf8_lossy(&fs::read(err_path).unwrap_or_default()).into_owned(),
        timed_out,
    }
}

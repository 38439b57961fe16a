//! The command line: `process.env` checked and merged, `process.args[0]` resolved on the container's
//! PATH, argv and envp packed once for execve.
use crate::bail;
use crate::error::{Error, Quoted, Result};
use crate::rt::cstrs::CStrs;
use crate::spec::Str;
use alloc::ffi::CString;
use alloc::vec::Vec;
use core::ffi::c_char;
use rustix::fs::{AtFlags, CWD, FileType};
use rustix::io::Errno;

/// The environment as "NAME=value" entries. Setting a name that exists replaces its value in place
/// (first position, last value): runc builds the environment with Go's os.Setenv, and the container
/// sees exactly that order (checked against runc and crun).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Env(Vec<Vec<u8>>);

impl Env {
    /// Checks and merges `process.env`: each entry needs a non-empty name before '=' and no NUL
    /// (runc: "invalid environment variable").
    pub fn parse(env: &[Str<'_>]) -> Result<Self> {
        let mut e = Self(Vec::with_capacity(env.len() + 2));
        for (i, kv) in env.iter().enumerate() {
            let Some((name, value)) = kv.split_once('=') else {
                bail!("process.env[{i}]: invalid environment variable {}: missing '='", Quoted::str(kv));
            };
            if name.is_empty() {
                bail!("process.env[{i}]: invalid environment variable {}: empty name", Quoted::str(kv));
            }
            if kv.contains('\0') {
                bail!("process.env[{i}]: invalid environment variable {}: contains a NUL byte", Quoted::str(kv));
            }
            e.set(name.as_bytes(), value.as_bytes());
        }
        Ok(e)
    }

    pub fn get(&self, name: &[u8]) -> Option<&[u8]> {
        self.0.iter().find_map(|kv| kv.strip_prefix(name).and_then(|r| r.strip_prefix(b"=")))
    }

    pub fn set(&mut self, name: &[u8], value: &[u8]) {
        let mut kv = Vec::with_capacity(name.len() + 1 + value.len());
        kv.extend_from_slice(name);
        kv.push(b'=');
        kv.extend_from_slice(value);
        match self.0.iter_mut().find(|e| e.strip_prefix(name).is_some_and(|r| r.first() == Some(&b'='))) {
            Some(slot) => *slot = kv,
            None => self.0.push(kv),
        }
    }

    pub fn entries(&self) -> impl Iterator<Item = &[u8]> {
        self.0.iter().map(Vec::as_slice)
    }
}

/// `dir/name`, with `dir` made absolute against `cwd` (the process's working directory, where a
/// relative path is looked up once the init has changed into it).
fn join(cwd: &str, dir: &[u8], name: &[u8]) -> Vec<u8> {
    let mut p = Vec::with_capacity(cwd.len() + dir.len() + name.len() + 2);
    if dir.first() != Some(&b'/') {
        p.extend_from_slice(cwd.as_bytes());
        if p.last() != Some(&b'/') {
            p.push(b'/');
        }
    }
    if dir != b"." || p.is_empty() {
        p.extend_from_slice(dir);
    }
    if p.last() != Some(&b'/') {
        p.push(b'/');
    }
    p.extend_from_slice(name);
    p
}

/// Whether `path` is something execve can run as root: a regular file with an execute bit (one stat,
/// following symlinks inside the container's root). Permission for the final user is checked once
/// more after the user switch (`check_access`).
fn executable(path: &[u8]) -> core::result::Result<(), Errno> {
    let st = rustix::fs::statat(CWD, crate::rt::CPath(path), AtFlags::empty())?;
    match FileType::from_raw_mode(st.st_mode) {
        FileType::RegularFile if st.st_mode & 0o111 != 0 => Ok(()),
        FileType::RegularFile => Err(Errno::ACCESS),
        FileType::Directory => Err(Errno::ISDIR),
        _ => Err(Errno::ACCESS),
    }
}

/// Resolves `arg0` like Go's exec.LookPath does for runc, with runc's messages:
/// - with a '/': used as is (relative to `cwd` if relative) and must be an executable file;
/// - otherwise each PATH entry in turn (an empty entry is the working directory); not found is
///   `exec: "foo": executable file not found in $PATH`. Without PATH in the environment nothing is
///   searched, as in runc and crun (checked: both fail for a bare name without PATH).
pub fn resolve(arg0: &str, env: &Env, cwd: &str) -> Result<CString> {
    let name = arg0.as_bytes();
    let found = if name.contains(&b'/') {
        let path = if name[0] == b'/' { name.to_vec() } else { join(cwd, b".", name) };
        if let Err(e) = executable(&path) {
            let shown = core::str::from_utf8(&path).unwrap_or(arg0);
            return Err(match e {
                Errno::NOENT | Errno::NOTDIR | Errno::LOOP | Errno::NAMETOOLONG => {
                    Error::sys(format_args!("exec: {}: stat {shown}", Quoted::str(arg0)), e)
                }
                _ => Error::sys(format_args!("exec: {}", Quoted::str(arg0)), e),
            });
        }
        path
    } else {
        let search = env.get(b"PATH").unwrap_or(b"");
        let mut hit = None;
        if !search.is_empty() {
            for dir in search.split(|b| *b == b':') {
                let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
                let path = join(cwd, dir, name);
                if executable(&path).is_ok() {
                    hit = Some(path);
                    break;
                }
            }
        }
        match hit {
            Some(p) => p,
            None => bail!("exec: {}: executable file not found in $PATH", Quoted::str(arg0)),
        }
    };
    CString::new(found).map_err(|_| Error::msg("process.args[0]: contains a NUL byte"))
}

/// After the user switch and the capability changes: can the process as it is now execute `exe`?
/// One faccessat2(AT_EACCESS), which checks the effective ids and capabilities (as execve will) and a
/// noexec mount. runc does the same lookup at this point, so a permission problem fails `create`
/// instead of the container's first instant after `start`.
pub fn check_access(exe: &CString, arg0: &str) -> Result<()> {
    let check = |flags| rustix::fs::accessat(CWD, exe.as_c_str(), rustix::fs::Access::EXEC_OK, flags);
    match check(AtFlags::EACCESS) {
        // faccessat2 refused by a seccomp profile older than it (EPERM; rustix itself falls back on
        // ENOSYS): plain faccessat checks the real ids, which equal the effective ones here (the
        // user switch set all three).
        Err(Errno::PERM) => check(AtFlags::empty()),
        r => r,
    }
    .map_err(|e| Error::sys(format_args!("exec: {}", Quoted::str(arg0)), e))
}

/// argv, envp and the resolved path, packed once so that the final execve allocates nothing.
pub struct Command {
    pub exe: CString,
    argv: CStrs,
    envp: CStrs,
    /// `argv.finish()` and `envp.finish()`, kept as raw parts: the arrays live in the CStrs' own heap
    /// buffers, which neither moving the CStrs nor anything else touches again.
    argv_ptrs: (*const *const c_char, usize),
    envp_ptrs: (*const *const c_char, usize),
}

impl Command {
    pub fn new(exe: CString, args: &[Str<'_>], env: &Env) -> Result<Self> {
        let mut argv = CStrs::new();
        for (i, a) in args.iter().enumerate() {
            argv.push(a.as_bytes()).map_err(|_| Error::msg(format_args!("process.args[{i}]: contains a NUL byte")))?;
        }
        let mut envp = CStrs::new();
        for kv in env.entries() {
            // Checked by Env::parse; values added later (HOME, LISTEN_*) hold no NUL either.
            envp.push(kv).map_err(|_| Error::msg("process.env: contains a NUL byte"))?;
        }
        let a = argv.finish();
        let argv_ptrs = (a.as_ptr(), a.len());
        let e = envp.finish();
        let envp_ptrs = (e.as_ptr(), e.len());
        Ok(Self { exe, argv, envp, argv_ptrs, envp_ptrs })
    }

    /// The argument strings (tests, messages).
    pub fn args(&self) -> impl Iterator<Item = &[u8]> {
        self.argv.iter()
    }

    pub fn env(&self) -> impl Iterator<Item = &[u8]> {
        self.envp.iter()
    }

    /// execve: returns only on failure ("exec /bin/foo: Permission denied"). No allocation before the
    /// syscall.
    pub fn execve(&self) -> Error {
        // SAFETY: the raw parts came from CStrs::finish, whose arrays (NULL-terminated, of C strings)
        // stay valid and untouched while `argv` and `envp` live: both are private, never pushed to
        // again, and dropped only with `self`.
        let (argv, envp) = unsafe {
            (
                core::slice::from_raw_parts(self.argv_ptrs.0, self.argv_ptrs.1),
                core::slice::from_raw_parts(self.envp_ptrs.0, self.envp_ptrs.1),
            )
        };
        // SAFETY: as above, every pointer before the final NULL is a C string.
        let e = unsafe { syscalls::process::execve(&self.exe, argv, envp) };
        Error::sys(format_args!("exec {}", crate::rt::lossy(self.exe.as_bytes())), e)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use alloc::string::ToString;
    use alloc::vec;

    #[test]
    fn env_merge_and_errors() {
        let e = Env::parse(&["A=1".into(), "B=2".into(), "A=3".into(), "C=x=y".into(), "D=".into()]).unwrap();
        assert_eq!(e.entries().collect::<Vec<_>>(), [&b"A=3"[..], b"B=2", b"C=x=y", b"D="]);
        assert_eq!(e.get(b"C"), Some(&b"x=y"[..]));
        assert_eq!(e.get(b"D"), Some(&b""[..]));
        assert_eq!(e.get(b"E"), None);
        let mut e2 = e.clone();
        e2.set(b"AB", b"1");
        assert_eq!(e2.get(b"A"), Some(&b"3"[..]), "AB must not shadow A");
        assert_eq!(
            Env::parse(&["A=1".into(), "B".into()]).unwrap_err().to_string(),
            "process.env[1]: invalid environment variable \"B\": missing '='"
        );
        assert_eq!(Env::parse(&["=x".into()]).unwrap_err().to_string(), "process.env[0]: invalid environment variable \"=x\": empty name");
        assert!(Env::parse(&["A=\0".into()]).is_err());
    }

    #[test]
    fn joins() {
        assert_eq!(join("/", b"/bin", b"sh"), b"/bin/sh");
        assert_eq!(join("/", b"/bin/", b"sh"), b"/bin/sh");
        assert_eq!(join("/srv", b".", b"run.sh"), b"/srv/run.sh");
        assert_eq!(join("/srv/", b"bin", b"x"), b"/srv/bin/x");
        assert_eq!(join("/", b".", b"x"), b"/x");
    }

    #[test]
    fn resolve_on_the_host() {
        let env = Env::parse(&["PATH=/nonexistent::/bin".into()]).unwrap();
        // "sh" is found in /bin (busybox-static, coreutils or dash: all are there on this VM).
        assert_eq!(resolve("sh", &env, "/").unwrap().as_bytes(), b"/bin/sh");
        assert_eq!(
            resolve("no-such-cmd-rsrun", &env, "/").unwrap_err().to_string(),
            "exec: \"no-such-cmd-rsrun\": executable file not found in $PATH"
        );
        let nopath = Env::default();
        assert!(resolve("sh", &nopath, "/").is_err(), "no PATH: nothing is searched");
        assert_eq!(resolve("/bin/sh", &nopath, "/").unwrap().as_bytes(), b"/bin/sh");
        assert_eq!(
            resolve("/bin/nosuch", &nopath, "/").unwrap_err().to_string(),
            "exec: \"/bin/nosuch\": stat /bin/nosuch: No such file or directory"
        );
        assert_eq!(resolve("/etc", &nopath, "/").unwrap_err().to_string(), "exec: \"/etc\": Is a directory");
        let plain = std::env::temp_dir().join(format!("rsrun-procsetup-noexec-{}", std::process::id()));
        std::fs::write(&plain, "x").unwrap();
        let plain_s = plain.to_str().unwrap();
        assert_eq!(resolve(plain_s, &nopath, "/").unwrap_err().to_string(), format!("exec: {plain_s:?}: Permission denied"));
        std::fs::remove_file(&plain).unwrap();
        assert_eq!(resolve("bin/sh", &nopath, "/").unwrap().as_bytes(), b"/bin/sh");
        let cmd = Command::new(resolve("/bin/sh", &nopath, "/").unwrap(), &["sh".into(), "-c".into()], &env).unwrap();
        assert_eq!(cmd.args().collect::<Vec<_>>(), vec![&b"sh"[..], b"-c"]);
        assert_eq!(cmd.env().collect::<Vec<_>>(), vec![&b"PATH=/nonexistent::/bin"[..]]);
    }
}

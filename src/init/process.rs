//! The container process: credentials, capabilities, limits, environment and the final execve.
//!
//! (Placeholder signatures until the process work lands.)
use super::Context;
use crate::error::{Error, Result};
use crate::spec::Spec;

pub fn validate(_spec: &Spec) -> Result<()> {
    Ok(())
}

pub fn make_undumpable() -> Result<()> {
    Ok(())
}

pub struct Prepared {
    argv: crate::rt::cstrs::CStrs,
    envp: crate::rt::cstrs::CStrs,
}

pub fn prepare(ctx: &Context) -> Result<Prepared> {
    let p = ctx.spec.process.as_ref().ok_or_else(|| Error::msg("process: missing"))?;
    let mut argv = crate::rt::cstrs::CStrs::new();
    let mut envp = crate::rt::cstrs::CStrs::new();
    for a in &p.args {
        argv.push(a.as_bytes()).map_err(|_| Error::msg("NUL in args"))?;
    }
    for e in &p.env {
        envp.push(e.as_bytes()).map_err(|_| Error::msg("NUL in env"))?;
    }
    Ok(Prepared { argv, envp })
}

pub fn apply(_ctx: &Context, _p: &Prepared) -> Result<()> {
    Ok(())
}

pub fn exec(_ctx: &Context, p: &Prepared) -> Error {
    let _ = syscalls::signal::rt_sigprocmask(syscalls::signal::How::SetMask, &syscalls::signal::SigSet::empty());
    let mut argv = crate::rt::cstrs::CStrs::new();
    let mut envp = crate::rt::cstrs::CStrs::new();
    for a in p.argv.iter() { let _ = argv.push(a); }
    for e in p.envp.iter() { let _ = envp.push(e); }
    let a = argv.finish();
    // SAFETY: a[0] is a NUL-terminated string in argv.
    let path = unsafe { core::ffi::CStr::from_ptr(a[0]) };
    let a: alloc::vec::Vec<_> = a.to_vec();
    // SAFETY: NULL-terminated arrays of C strings.
    let e = unsafe { syscalls::process::execve(path, &a, envp.finish()) };
    Error::sys("exec", e)
}

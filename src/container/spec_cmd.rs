//! `rsrun spec [--bundle DIR] [--rootless]`: writes a default config.json (tab-indented like runc's)
//! into DIR or the current directory, refusing to overwrite one (O_EXCL, so no race either).
use crate::cli::{Global, SpecOpts};
use crate::error::{Context, Error, Result};
use crate::rt::cs;
use rustix::fd::AsFd;
use rustix::fs::{CWD, Mode, OFlags};
use rustix::io::Errno;

pub fn run(_g: &Global, o: &SpecOpts) -> Result<i32> {
    let ids = o.rootless.then(|| (rustix::process::getuid().as_raw(), rustix::process::getgid().as_raw()));
    let json = super::pretty(&crate::spec::default_config(ids), b"\t");
    let dir = match o.bundle {
        Some(b) => rustix::fs::open(cs(b), OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .context(format_args!("open bundle {b}"))?,
        None => rustix::fs::openat(CWD, c".", OFlags::PATH | OFlags::DIRECTORY | OFlags::CLOEXEC, Mode::empty())
            .context("open current directory")?,
    };
    let flags = OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::CLOEXEC;
    let fd = match rustix::fs::openat(&dir, c"config.json", flags, Mode::from_raw_mode(0o666)) {
        Ok(fd) => fd,
        Err(Errno::EXIST) => return Err(Error::msg("File config.json exists. Remove it first")),
        Err(e) => return Err(Error::sys("create config.json", e)),
    };
    crate::rt::write_all(fd.as_fd(), &json).context("write config.json")?;
    Ok(0)
}

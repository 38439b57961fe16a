//! The container's filesystem view: mounts, /dev, pivot_root, masked and readonly paths.
//!
//! (Placeholder signatures until the rootfs work lands.)
use super::Context;
use crate::error::Result;
use crate::spec::Spec;

pub fn validate(_spec: &Spec) -> Result<()> {
    Ok(())
}

pub fn setup(ctx: &Context, before_pivot: &mut dyn FnMut() -> Result<()>) -> Result<()> {
    before_pivot()?;
    rustix::process::chdir(ctx.rootfs).map_err(|e| crate::error::Error::sys("chdir rootfs", e))?;
    rustix::process::chroot(".").map_err(|e| crate::error::Error::sys("chroot", e))
}

pub fn finish(_ctx: &Context) -> Result<()> {
    Ok(())
}

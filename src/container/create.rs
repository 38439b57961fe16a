//! `rsrun create`: not written yet; the lifecycle work replaces this stub.
use crate::cli::Global;
use crate::error::Result;

pub fn run(_g: &Global, _o: &crate::cli::CreateOpts) -> Result<i32> {
    Err(super::not_implemented("create"))
}

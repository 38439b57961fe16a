//! `rsrun restore`: rsrun has no CRIU support; the flags are accepted so the error is clear.
use crate::cli::Global;
use crate::error::{Error, Result};

pub fn run(_g: &Global, _id: crate::state::Id) -> Result<i32> {
    Err(Error::msg("restore: not implemented: rsrun does not support checkpoint/restore (CRIU)"))
}

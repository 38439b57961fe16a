//! `--help`, `help [verb]` and `--version` (stdout, exit 0), laid out like urfave/cli's.
use super::parse::Flag;
use super::verbs::{GLOBAL_FLAGS, VERBS, Verb};
use super::{COMMIT, SPEC_VERSION, VERSION};
use crate::error::{Context, Result};
use alloc::string::String;
use core::fmt::Write;

fn print(s: &str) -> Result<i32> {
    crate::rt::write_all(crate::rt::stdout(), s.as_bytes()).context("write to stdout")?;
    Ok(0)
}

fn version_text(out: &mut String) {
    let _ = write!(out, "rsrun version {VERSION}\ncommit: {COMMIT}\nspec: {SPEC_VERSION}\n");
}

pub fn version() -> Result<i32> {
    let mut out = String::new();
    version_text(&mut out);
    print(&out)
}

/// Flag lines: `   --bundle value, -b value  help`, left column padded to the widest.
fn flags(out: &mut String, flags: &[Flag], with_help: bool) {
    let left = |f: &Flag| {
        let v = if f.value() { " value" } else { "" };
        let mut s = String::new();
        let _ = write!(s, "--{}{v}", f.name());
        if !f.short().is_empty() {
            let _ = write!(s, ", -{}{v}", f.short());
        }
        s
    };
    let mut lines: alloc::vec::Vec<(String, &str)> = flags.iter().map(|f| (left(f), f.help())).collect();
    if with_help {
        lines.push(("--help, -h".into(), "show help"));
    }
    let width = lines.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
    for (l, h) in lines {
        let _ = writeln!(out, "   {l:width$}  {h}");
    }
}

pub fn app() -> Result<i32> {
    let mut out = String::from(
        "NAME:\n   rsrun - a small, fast OCI container runtime\n\n\
         USAGE:\n   rsrun [global options] command [command options] [arguments...]\n\nVERSION:\n   ",
    );
    version_text(&mut out);
    out.push_str("\nCOMMANDS:\n");
    for v in VERBS {
        let _ = writeln!(out, "   {:<10}  {}", v.name, v.summary);
    }
    out.push_str("   help, h     show a list of commands or help for one command\n\nGLOBAL OPTIONS:\n");
    flags(&mut out, GLOBAL_FLAGS, true);
    print(&out)
}

pub fn verb(v: &Verb) -> Result<i32> {
    let mut out = String::new();
    let opts = if v.flags.is_empty() { "" } else { " [command options]" };
    let _ = write!(out, "NAME:\n   rsrun {} - {}\n\nUSAGE:\n   rsrun {}{opts} {}\n", v.name, v.summary, v.name, v.args);
    if !v.flags.is_empty() {
        out.push_str("\nOPTIONS:\n");
        flags(&mut out, v.flags, false);
    }
    print(&out)
}

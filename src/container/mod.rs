//! The verbs, one file each, all of the shape `run(global, opts) -> Result<exit status>`.
//! `dispatch` maps a parsed command line to its verb.
pub mod checkpoint;
pub mod create;
pub mod delete;
pub mod events;
pub mod exec;
mod exec_process;
pub mod features;
pub mod kill;
pub mod list;
pub mod netdev;
pub mod notify;
pub mod pause;
pub mod process;
pub mod ps;
pub mod recover;
pub mod restore;
pub mod resume;
pub mod run;
pub mod selfexe;
pub mod spec_cmd;
pub mod start;
pub mod state;
pub mod update;
mod userns;
pub mod validate;

use crate::cli::{Command, Global};
use crate::error::{Context, Error, Result};
use alloc::string::String;
use alloc::vec::Vec;

pub fn dispatch(g: &Global, cmd: Command) -> Result<i32> {
    let long_running = match &cmd {
        Command::Run(o) => !o.detach,
        Command::Events(_) | Command::List(_) => true,
        _ => false,
    };
    crate::rt::set_exits_soon(!long_running);
    match cmd {
        Command::Create(o) => create::run(g, &o),
        Command::Start(id) => start::run(g, id),
        Command::Run(o) => run::run(g, &o),
        Command::State(id) => state::run(g, id),
        Command::Kill(o) => kill::run(g, &o),
        Command::Delete(o) => delete::run(g, &o),
        Command::List(o) => list::run(g, &o),
        Command::Exec(o) => exec::run(g, &o),
        Command::Pause(id) => pause::run(g, id),
        Command::Resume(id) => resume::run(g, id),
        Command::Update(o) => update::run(g, &o),
        Command::Ps(o) => ps::run(g, &o),
        Command::Events(o) => events::run(g, &o),
        Command::Features => features::run(g),
        Command::Spec(o) => spec_cmd::run(g, &o),
        Command::Checkpoint(id) => checkpoint::run(g, id),
        Command::Restore(id) => restore::run(g, id),
    }
}

/// The error of a verb that is not written yet.
pub fn not_implemented(verb: &str) -> Error {
    Error::msg(format_args!("{verb}: not implemented yet"))
}

/// Writes `out` to stdout.
pub fn print(out: &[u8]) -> Result<()> {
    crate::rt::write_all(crate::rt::stdout(), out).context("write to stdout")
}

/// `path` made absolute against the current directory and cleaned lexically ("." and ".."
/// components, repeated slashes), like Go's filepath.Abs. Symlinks are not resolved.
pub fn absolute(path: &str) -> Result<String> {
    let mut full = String::new();
    if !path.starts_with('/') {
        let cwd = rustix::process::getcwd(Vec::new()).context("getcwd")?;
        full.push_str(cwd.to_str().map_err(|_| Error::msg("the current directory is not valid UTF-8"))?);
        full.push('/');
    }
    full.push_str(path);
    let mut parts: Vec<&str> = Vec::new();
    for c in full.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    let mut out = String::with_capacity(full.len());
    for p in &parts {
        out.push('/');
        out.push_str(p);
    }
    if out.is_empty() {
        out.push('/');
    }
    Ok(out)
}

/// Re-indents compact JSON (as `json::Writer` makes it) the way Go's json.MarshalIndent does:
/// one member or element per line, `indent` per level, `": "` after keys, `{}`/`[]` when empty.
pub fn pretty(compact: &[u8], indent: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(compact.len() * 2);
    let mut depth = 0usize;
    let (mut in_str, mut esc) = (false, false);
    let newline = |out: &mut Vec<u8>, depth: usize| {
        out.push(b'\n');
        for _ in 0..depth {
            out.extend_from_slice(indent);
        }
    };
    let mut i = 0;
    while i < compact.len() {
        let c = compact[i];
        i += 1;
        if in_str {
            out.push(c);
            match (esc, c) {
                (true, _) => esc = false,
                (false, b'\\') => esc = true,
                (false, b'"') => in_str = false,
                _ => {}
            }
            continue;
        }
        match c {
            b'"' => {
                in_str = true;
                out.push(c);
            }
            b'{' | b'[' if matches!(compact.get(i), Some(b'}' | b']')) => {
                out.extend_from_slice(&[c, compact[i]]);
                i += 1;
            }
            b'{' | b'[' => {
                depth += 1;
                out.push(c);
                newline(&mut out, depth);
            }
            b'}' | b']' => {
                depth = depth.saturating_sub(1);
                newline(&mut out, depth);
                out.push(c);
            }
            b',' => {
                out.push(c);
                newline(&mut out, depth);
            }
            b':' => out.extend_from_slice(b": "),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pretty_like_go() {
        let got = pretty(br#"{"a":[1,{"b":"x,\"}{:"}],"e":{},"f":[],"g":{"h":null}}"#, b"  ");
        let want = "{\n  \"a\": [\n    1,\n    {\n      \"b\": \"x,\\\"}{:\"\n    }\n  ],\n  \"e\": {},\n  \"f\": [],\n  \"g\": {\n    \"h\": null\n  }\n}";
        assert_eq!(String::from_utf8(got).unwrap(), want);
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(absolute("/a//b/./c/../d/").unwrap(), "/a/b/d");
        assert_eq!(absolute("/..").unwrap(), "/");
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(absolute("x/y").unwrap(), format!("{}/x/y", cwd.display()));
    }
}

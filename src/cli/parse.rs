//! Flag parsing with the rules of Go's `flag` package, which runc gets through urfave/cli:
//! `-name` and `--name` are the same; values as `--name value` or `--name=value`; booleans as
//! `--name` or `--name=true|false|1|0|t|f...`; `--` ends the flags; a lone `-` is an argument.
//! Commands that take flags after their arguments too (urfave's argument reordering) parse with
//! `interleaved`; `exec` and `ps` stop at the first argument, since what follows belongs to the
//! process. Error texts are Go's, word for word ("flag provided but not defined: -x").
use crate::error::{Error, Result};
use alloc::vec::Vec;

/// One flag of a command: long name, optional one-letter alias, whether it takes a value ("true" or
/// "false"), help; NUL-separated in one string, which keeps a table entry at 16 bytes (four `&str`
/// fields were 56).
pub struct Flag(pub &'static str);

impl Flag {
    fn part(&self, i: usize) -> &'static str {
        self.0.split('\0').nth(i).unwrap_or("")
    }
    pub fn name(&self) -> &'static str {
        self.part(0)
    }
    pub fn short(&self) -> &'static str {
        self.part(1)
    }
    pub fn value(&self) -> bool {
        self.part(2) == "true"
    }
    pub fn help(&self) -> &'static str {
        self.part(3)
    }
}

/// Shorthand for the flag tables: `f!("bundle", "b", true, "help")`.
macro_rules! f {
    ($name:literal, $short:literal, $value:literal, $help:literal $(,)?) => {
        $crate::cli::parse::Flag(concat!($name, "\0", $short, "\0", $value, "\0", $help))
    };
}
pub(crate) use f;

/// Flags as given (canonical name, value; "true"/"false" for booleans) and the other arguments.
pub struct Parsed<'a> {
    set: Vec<(&'static str, &'a str)>,
    pub args: Vec<&'a str>,
    pub help: bool,
}

impl<'a> Parsed<'a> {
    /// The value of a flag given once or more (the last one wins, as in Go).
    pub fn get(&self, name: &str) -> Option<&'a str> {
        self.set.iter().rev().find(|(n, _)| *n == name).map(|(_, v)| *v)
    }

    /// Every value of a repeatable flag, in order.
    pub fn all(&self, name: &str) -> Vec<&'a str> {
        self.set.iter().filter(|(n, _)| *n == name).map(|(_, v)| *v).collect()
    }

    /// A boolean flag.
    pub fn on(&self, name: &str) -> bool {
        self.get(name) == Some("true")
    }
}

/// Parses `argv` against `flags`. `-h`/`--help` set `help` instead of failing.
pub fn parse<'a>(flags: &[Flag], argv: &[&'a str], interleaved: bool) -> Result<Parsed<'a>> {
    let mut p = Parsed { set: Vec::new(), args: Vec::new(), help: false };
    let mut i = 0;
    while i < argv.len() {
        let a = argv[i];
        i += 1;
        if a == "--" {
            p.args.extend_from_slice(&argv[i..]);
            break;
        }
        if a.len() < 2 || !a.starts_with('-') {
            p.args.push(a);
            if !interleaved {
                p.args.extend_from_slice(&argv[i..]);
                break;
            }
            continue;
        }
        let body = a.strip_prefix("--").or_else(|| a.strip_prefix('-')).unwrap_or(a);
        if body.is_empty() || body.starts_with('-') || body.starts_with('=') {
            return Err(Error::msg(format_args!("bad flag syntax: {a}")));
        }
        let (name, inline) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        if name == "help" || name == "h" {
            p.help = true;
            continue;
        }
        let Some(flag) = flags.iter().find(|f| f.name() == name || f.short() == name) else {
            return Err(Error::msg(format_args!("flag provided but not defined: -{name}")));
        };
        let value = if !flag.value() {
            match inline.map(parse_bool) {
                None | Some(Some(true)) => "true",
                Some(Some(false)) => "false",
                Some(None) => {
                    let v = inline.unwrap_or_default();
                    return Err(Error::msg(format_args!("invalid boolean value \"{v}\" for -{name}: parse error")));
                }
            }
        } else if let Some(v) = inline {
            v
        } else if let Some(&v) = argv.get(i) {
            i += 1;
            v
        } else {
            return Err(Error::msg(format_args!("flag needs an argument: -{name}")));
        };
        p.set.push((flag.name(), value));
    }
    Ok(p)
}

/// Go's strconv.ParseBool.
fn parse_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "true" | "TRUE" | "True" => Some(true),
        "0" | "f" | "F" | "false" | "FALSE" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FLAGS: &[Flag] = &[f!("bundle", "b", true, ""), f!("force", "f", false, ""), f!("env", "e", true, "")];

    fn ok<'a>(argv: &[&'a str], inter: bool) -> Parsed<'a> {
        parse(FLAGS, argv, inter).unwrap_or_else(|e| panic!("{argv:?}: {e}"))
    }

    fn err(argv: &[&str]) -> String {
        parse(FLAGS, argv, true).err().unwrap().to_string()
    }

    #[test]
    fn go_flag_forms() {
        for argv in [
            &["--bundle", "x", "id"][..],
            &["-bundle", "x", "id"],
            &["--bundle=x", "id"],
            &["-b=x", "id"],
            &["-b", "x", "id"],
            &["id", "--bundle", "x"],
            &["--bundle", "y", "-b", "x", "id"],
        ] {
            let p = ok(argv, true);
            assert_eq!((p.get("bundle"), &p.args[..]), (Some("x"), &["id"][..]), "{argv:?}");
        }
        let p = ok(&["-f", "--env=A=1", "-e", "B", "--", "-b", "x"], true);
        assert!(p.on("force"));
        assert_eq!(p.all("env"), ["A=1", "B"]);
        assert_eq!(p.args, ["-b", "x"]);
        assert!(!ok(&["--force=false"], true).on("force"));
        assert!(ok(&["--force=T"], true).on("force"));
        assert_eq!(ok(&["-", "--bundle="], true).get("bundle"), Some(""));
        assert!(ok(&["x", "--help"], true).help);
        assert!(ok(&["-h"], true).help);
    }

    #[test]
    fn stop_at_first_argument_when_not_interleaved() {
        let p = ok(&["-f", "id", "ls", "-la", "--bundle", "x"], false);
        assert!(p.on("force") && p.get("bundle").is_none());
        assert_eq!(p.args, ["id", "ls", "-la", "--bundle", "x"]);
    }

    #[test]
    fn go_error_texts() {
        assert_eq!(err(&["-x"]), "flag provided but not defined: -x");
        assert_eq!(err(&["--bogus=1"]), "flag provided but not defined: -bogus");
        assert_eq!(err(&["id", "-b"]), "flag needs an argument: -b");
        assert_eq!(err(&["--force=maybe"]), "invalid boolean value \"maybe\" for -force: parse error");
        assert_eq!(err(&["---b"]), "bad flag syntax: ---b");
        assert_eq!(err(&["-=x"]), "bad flag syntax: -=x");
    }
}

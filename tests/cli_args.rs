//! The real binary's command line: --version, --help everywhere, runc's flag forms and error texts,
//! container id rules (a bad id creates nothing).
use std::path::PathBuf;
use std::process::{Command, Output};

fn rsrun(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rsrun")).args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A fresh, not yet existing --root for one test.
fn root(name: &str) -> PathBuf {
    let p = std::env::temp_dir().join(format!("rsrun-test-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&p);
    p
}

/// Exit status 1 and exactly one stderr line equal to `rsrun: <msg>`.
fn fails_with(args: &[&str], msg: &str) {
    let o = rsrun(args);
    // runc's exec exits 255 for everything from its flags' values on (usage errors stay 1).
    let code = if args.contains(&"exec") { 255 } else { 1 };
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o.stderr));
    assert_eq!(text(&o.stderr), format!("rsrun: {msg}\n"), "{args:?}");
    assert!(o.stdout.is_empty(), "{args:?}");
}

#[test]
fn version() {
    for flag in ["--version", "-v", "-version"] {
        let o = rsrun(&[flag]);
        assert!(o.status.success());
        let out = text(&o.stdout);
        let lines: Vec<_> = out.lines().collect();
        assert_eq!(lines.len(), 3, "{out}");
        assert_eq!(lines[0], "rsrun version 0.1.0");
        let sha = lines[1].strip_prefix("commit: ").unwrap();
        assert!(sha == "unknown" || (sha.len() == 40 && sha.bytes().all(|b| b.is_ascii_hexdigit())), "{sha}");
        assert_eq!(lines[2], "spec: 1.2.0");
    }
}

const VERBS: &[&str] = &[
    "create",
    "start",
    "run",
    "state",
    "kill",
    "delete",
    "list",
    "exec",
    "pause",
    "resume",
    "update",
    "ps",
    "events",
    "features",
    "spec",
    "checkpoint",
    "restore",
];

#[test]
fn help_for_program_and_every_verb() {
    for args in [&["--help"][..], &["-h"], &[], &["help"], &["h"]] {
        let o = rsrun(args);
        assert!(o.status.success(), "{args:?}");
        let out = text(&o.stdout);
        assert!(out.contains("USAGE:") && out.contains("GLOBAL OPTIONS:") && out.contains("--root value"), "{out}");
        for v in VERBS {
            assert!(out.contains(&format!("\n   {v} ")), "{v} missing from the command list");
        }
    }
    for v in VERBS {
        let mut forms = vec![vec![*v, "--help"], vec![*v, "-h"], vec!["help", *v]];
        if !["exec", "ps"].contains(v) {
            forms.push(vec![*v, "x", "-help"]); // exec and ps pass what follows the id to the process
        }
        for args in forms {
            let o = rsrun(&args);
            assert!(o.status.success(), "{args:?}");
            let out = text(&o.stdout);
            assert!(out.starts_with(&format!("NAME:\n   rsrun {v} - ")), "{args:?}: {out}");
            assert!(out.contains(&format!("USAGE:\n   rsrun {v}")), "{out}");
        }
    }
    let o = rsrun(&["--root", "/tmp/rsrun-test-cli-nosuch", "exec", "c1", "ls", "--help"]);
    assert_eq!(text(&o.stderr), "rsrun: container \"c1\" does not exist\n", "--help after the id belongs to the command");
    let out = text(&rsrun(&["create", "--help"]).stdout);
    for flag in [
        "--bundle value, -b value",
        "--console-socket value",
        "--pid-file value",
        "--no-pivot",
        "--no-new-keyring",
        "--preserve-fds value",
    ] {
        assert!(out.contains(flag), "create --help lacks {flag}");
    }
    let out = text(&rsrun(&["exec", "--help"]).stdout);
    for flag in [
        "--env value, -e value",
        "--tty, -t",
        "--user value, -u value",
        "--process value, -p value",
        "--cap value, -c value",
        "--ignore-paused",
    ] {
        assert!(out.contains(flag), "exec --help lacks {flag}");
    }
}

#[test]
fn usage_errors_use_runc_wording() {
    let r = root("usage");
    let r = r.to_str().unwrap();
    fails_with(&["--root", r, "create", "-x", "a"], "create: flag provided but not defined: -x");
    fails_with(&["--root", r, "delete", "--bogus", "a"], "delete: flag provided but not defined: -bogus");
    fails_with(&["--bogus", "list"], "flag provided but not defined: -bogus");
    fails_with(&["--root", r, "create"], "\"create\" requires exactly 1 argument(s)");
    fails_with(&["--root", r, "state", "a", "b"], "\"state\" requires exactly 1 argument(s)");
    fails_with(&["--root", r, "kill"], "\"kill\" requires a minimum of 1 argument(s)");
    fails_with(&["--root", r, "kill", "a", "KILL", "x"], "\"kill\" requires a maximum of 2 argument(s)");
    fails_with(&["--root", r, "list", "x"], "\"list\" requires exactly 0 argument(s)");
    fails_with(&["--root", r, "list", "-f"], "list: flag needs an argument: -f");
    fails_with(&["--root", r, "list", "-f", "yaml"], "invalid format option \"yaml\": want table or json");
    fails_with(
        &["--root", r, "delete", "--force=maybe", "a"],
        "delete: invalid boolean value \"maybe\" for -force: parse error",
    );
    fails_with(&["--root", r, "kill", "a", "FOO"], "unknown signal \"FOO\"");
    fails_with(
        &["--root", r, "create", "--preserve-fds", "x", "a"],
        "invalid value \"x\" for flag -preserve-fds: parse error",
    );
    fails_with(
        &["--root", r, "exec", "-u", "root", "a", "ls"],
        "invalid --user \"root\": the format is <uid>[:<gid>] with numeric ids",
    );
    fails_with(&["--root", r, "events", "--interval", "5", "a"], "invalid value \"5\" for flag -interval: parse error");
    fails_with(&["--root", r, "update", "--memory", "1x", "a"], "invalid value \"1x\" for flag -memory: parse error");
    fails_with(&["--root", r, "foo"], "unknown command \"foo\"");
    fails_with(&["--log-format", "yaml", "list"], "invalid log-format: yaml");
    fails_with(&["--rootless", "maybe", "list"], "invalid --rootless value \"maybe\": want true, false or auto");
    assert!(!std::path::Path::new(r).exists(), "usage errors must not create the root");
}

#[test]
fn flag_forms() {
    let r = root("forms");
    let r = r.to_str().unwrap();
    // Every spelling of delete --force of a missing id exits 0; without --force it fails.
    for args in [
        &["delete", "--force", "nosuch"][..],
        &["delete", "-f", "nosuch"],
        &["delete", "-force", "nosuch"],
        &["delete", "--force=true", "nosuch"],
        &["delete", "nosuch", "--force"],
        &["delete", "-f=1", "nosuch"],
    ] {
        let o = rsrun(&[&["--root", r][..], args].concat());
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
    }
    for args in [&["delete", "--force=false", "nosuch"][..], &["delete", "nosuch", "--", "--force"]] {
        assert_eq!(rsrun(&[&["--root", r][..], args].concat()).status.code(), Some(1), "{args:?}");
    }
    // Global flags in both forms; a root given as `-root=X`.
    let root_flag = format!("-root={r}");
    let o = rsrun(&[root_flag.as_str(), "--log-format=json", "list", "--quiet"]);
    assert!(o.status.success() && o.stdout.is_empty(), "{}", text(&o.stderr));
    // Every flag form of exec parses (the container is missing: exec's error status, 255).
    let o = rsrun(&["--root", r, "exec", "-e", "A=1", "--env=B=2", "-t", "-u", "1:2", "-g", "3", "c1", "ls", "-la"]);
    assert_eq!(text(&o.stderr), "rsrun: container \"c1\" does not exist\n");
    assert_eq!(o.status.code(), Some(255));
    // Verbs not written yet answer "not implemented yet" after parsing everything.
    let o = rsrun(&["--root", r, "--criu", "x", "checkpoint", "--image-path", "/x", "--leave-running", "c1"]);
    assert!(text(&o.stderr).contains("not implemented"), "{}", text(&o.stderr));
}

#[test]
fn container_id_rules() {
    let r = root("ids");
    let rs = r.to_str().unwrap();
    let long = "x".repeat(1025);
    for bad in ["../x", "a/b", ".", "..", "", ".hidden", "a b", "x\u{e9}", &long] {
        for verb in [
            &["create"][..],
            &["run", "-d"],
            &["start"],
            &["state"],
            &["delete"],
            &["delete", "-f"],
            &["kill"],
            &["pause"],
            &["resume"],
            &["exec"],
            &["ps"],
            &["events"],
            &["update"],
        ] {
            let mut args = vec!["--root", rs];
            args.extend_from_slice(verb);
            args.push(bad);
            if verb == ["exec"] {
                args.push("ls");
            }
            let o = rsrun(&args);
            assert_eq!(o.status.code(), Some(if verb == ["exec"] { 255 } else { 1 }), "{args:?}");
            let err = text(&o.stderr);
            assert!(err.starts_with(&format!("rsrun: invalid container id \"{bad}\": ")), "{args:?}: {err}");
            assert_eq!(err.lines().count(), 1);
        }
    }
    assert!(!r.exists(), "a bad id created something under --root");
    // 1024 bytes is fine (the id is valid; create itself is not written yet).
    let ok = "y".repeat(1024);
    let err = text(&rsrun(&["--root", rs, "state", &ok]).stderr);
    assert!(err.contains("does not exist"), "{err}");
}

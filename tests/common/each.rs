//! One container per runtime with per-runtime bundle setup, and pairwise comparisons: the
//! building blocks of the view_* batteries (tests/view_*.rs), for cases `differential` cannot
//! express (files in the rootfs, host mounts, extra `run` flags, a runtime that lacks a feature).
use super::*;

/// Placeholders `run_each` puts in place of per-run names, so outputs of different runtimes compare.
pub const BUNDLE_PLACEHOLDER: &str = "$BUNDLE";
pub const ID_PLACEHOLDER: &str = "$ID";

/// The outputs of one container per runtime, in the order run.
pub struct Runs {
    pub runs: Vec<(Kind, Out)>,
}

impl Runs {
    /// The output of `kind` (bundle path and id already replaced by placeholders).
    #[track_caller]
    pub fn out(&self, kind: Kind) -> &Out {
        self.runs
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, o)| o)
            .unwrap_or_else(|| panic!("{} was not run", kind.name()))
    }

    /// stdout of `kind`.
    #[track_caller]
    pub fn stdout(&self, kind: Kind) -> &str {
        &self.out(kind).stdout
    }

    /// Panics (showing both raw outputs) unless `normalise` gives the same text for `a` and `b`.
    #[track_caller]
    pub fn assert_pair(&self, a: Kind, b: Kind, normalise: impl Fn(&Out) -> String) {
        let (oa, ob) = (self.out(a), self.out(b));
        let (na, nb) = (normalise(oa), normalise(ob));
        if na != nb {
            panic!(
                "{} and {} disagree\n{}",
                a.name(),
                b.name(),
                first_difference(&na, &nb, a.name(), b.name())
                    + &format!(
                        "\n===== {a} (normalised) =====\n{na}\n===== {b} (normalised) =====\n{nb}\n\
                         ===== {a} raw =====\n{oa}\n===== {b} raw =====\n{ob}",
                        a = a.name(),
                        b = b.name()
                    )
            );
        }
    }

    /// `assert_pair(Rsrun, k, ..)` for every other runtime that ran.
    #[track_caller]
    pub fn assert_rsrun_matches_all(&self, normalise: impl Fn(&Out) -> String) {
        for (k, _) in &self.runs {
            if *k != Kind::Rsrun {
                self.assert_pair(Kind::Rsrun, *k, &normalise);
            }
        }
    }
}

/// The first line where `a` and `b` differ, for a readable failure message.
pub fn first_difference(a: &str, b: &str, an: &str, bn: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    for i in 0..la.len().max(lb.len()) {
        let (x, y) = (la.get(i).copied(), lb.get(i).copied());
        if x != y {
            return format!("first difference at line {}:\n  {an}: {x:?}\n  {bn}: {y:?}", i + 1);
        }
    }
    String::from("(same lines; trailing newline differs)")
}

/// Runs one container under each runtime in `kinds`, each with a fresh bundle (`setup(bundle, kind)`
/// edits it: jq patches, files in the rootfs, host mounts under the bundle, which the bundle's drop
/// detaches), its own id and root, `run [extra...]` in the foreground. Leftovers must be clean after
/// each. In the outputs, the bundle path becomes `$BUNDLE` and the container id `$ID`.
pub fn run_each(kinds: &[Kind], extra: &[&str], setup: impl Fn(&Bundle, Kind)) -> Runs {
    run_cases(kinds, extra, &[()], |b, k, _| setup(b, k)).pop().unwrap()
}

/// `run_each` for several cases, one `Runs` per case, cheaper: each runtime gets one bundle (making
/// one costs ~0.5 s on a loaded 2-core machine, a container run ~0.05 s) whose config.json is reset
/// to the original before `setup(bundle, kind, case)`. What a case writes into the rootfs stays for
/// the following ones. Every run has its own id and is leak-checked.
pub fn run_cases<C>(kinds: &[Kind], extra: &[&str], cases: &[C], setup: impl Fn(&Bundle, Kind, &C)) -> Vec<Runs> {
    let mut per_case: Vec<Runs> = cases.iter().map(|_| Runs { runs: Vec::new() }).collect();
    for &kind in kinds {
        let bundle = Bundle::new();
        let original = bundle.config();
        let rt = Runtime::new(kind);
        for (case, runs) in cases.iter().zip(per_case.iter_mut()) {
            std::fs::write(bundle.config_path(), &original).unwrap();
            setup(&bundle, kind, case);
            let id = unique_id(&format!("each-{}", kind.name()));
            let leaks = LeakCheck::new(&rt, &bundle, &id);
            let out = rt.run_container_with(&bundle, &id, extra);
            assert!(!out.timed_out, "{} timed out:\n{out}", kind.name());
            leaks.assert_clean();
            runs.runs.push((kind, placeholders(out, &bundle, &id)));
        }
    }
    per_case
}

/// `run_cases` over rsrun, crun and runc where each case is a jq patch.
pub fn run_all_cases(patches: &[&str]) -> Vec<Runs> {
    run_cases(ALL, &[], patches, |b, _, p| {
        b.patch(p);
    })
}

/// `run_each` over rsrun, crun and runc with a jq patch only.
pub fn run_all(patch: &str) -> Runs {
    run_each(ALL, &[], |b, _| {
        b.patch(patch);
    })
}

/// rsrun, crun, runc.
pub const ALL: &[Kind] = &[Kind::Rsrun, Kind::Crun, Kind::Runc];

/// `out` with the bundle path and the id replaced by placeholders (stdout and stderr).
pub fn placeholders(mut out: Out, bundle: &Bundle, id: &str) -> Out {
    let b = bundle.path().to_string_lossy().into_owned();
    for s in [&mut out.stdout, &mut out.stderr] {
        *s = s.replace(&b, BUNDLE_PLACEHOLDER).replace(id, ID_PLACEHOLDER);
    }
    out
}

/// Replaces every run of ASCII digits that follows one of `prefixes` (e.g. "shared:", "master:")
/// by `N<k>`, k numbering the distinct values by first appearance (one numbering for all
/// prefixes), so ids that differ between runs (peer groups) compare by structure.
pub fn renumber_after(text: &str, prefixes: &[&str]) -> String {
    let mut seen: Vec<String> = Vec::new();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    loop {
        let next = prefixes.iter().filter_map(|p| rest.find(p).map(|i| i + p.len())).min();
        let Some(after) = next else { break };
        out.push_str(&rest[..after]);
        let digits: String = rest[after..].chars().take_while(|c| c.is_ascii_digit()).collect();
        rest = &rest[after + digits.len()..];
        if digits.is_empty() {
            continue;
        }
        let n = seen.iter().position(|d| *d == digits).unwrap_or_else(|| {
            seen.push(digits.clone());
            seen.len() - 1
        });
        out.push_str(&format!("N{n}"));
    }
    out.push_str(rest);
    out
}

/// The part of `text` between the line `=== name` and the next `=== ` line (or the end).
pub fn section<'a>(text: &'a str, name: &str) -> &'a str {
    let head = format!("=== {name}\n");
    let Some(start) = text.find(&head).map(|i| i + head.len()) else {
        return "";
    };
    let body = &text[start..];
    match body.find("\n=== ") {
        Some(end) => &body[..end + 1],
        None => body,
    }
}

/// A jq patch setting `.process.args` to `["sh", "-c", script + "\nexit $?"]`.
///
/// The trailing builtin matters: busybox ash execs the last command of `-c` in place of itself, so
/// `/proc/$$/...` read by that command would describe the command after a second execve (and a
/// `/proc/$$/environ` opened by a redirect before that exec reads as empty). With `exit $?` last,
/// every command is a child and `$$` stays the container process the runtime started.
pub fn sh_args(script: &str) -> String {
    format!(".process.args = {}", json_array(&["sh", "-c", &format!("{script}\nexit $?")]))
}

//! Differential runs: one bundle under several runtimes, outputs normalised for comparison.
use super::*;

/// Ready-made normalisers for `differential`.
pub mod norm {
    use super::Out;

    /// stdout as is.
    pub fn stdout(o: &Out) -> String {
        o.stdout.clone()
    }

    /// "exit N" then stdout.
    pub fn code_and_stdout(o: &Out) -> String {
        format!("exit {:?}\n{}", o.code, o.stdout)
    }

    /// stdout lines sorted (for output whose order does not matter).
    pub fn sorted_lines(o: &Out) -> String {
        let mut l: Vec<&str> = o.stdout.lines().collect();
        l.sort_unstable();
        l.join("\n")
    }
}

/// The normalised results of one bundle under several runtimes, in the order given.
pub struct Diff {
    pub results: Vec<(Kind, String)>,
    /// The raw outputs, same order.
    pub raw: Vec<Out>,
}

impl Diff {
    /// Normalised output of `kind`.
    pub fn get(&self, kind: Kind) -> &str {
        self.results
            .iter()
            .find(|(k, _)| *k == kind)
            .map(|(_, s)| s.as_str())
            .unwrap_or_else(|| panic!("{} was not part of this differential run", kind.name()))
    }

    /// Panics, showing every output, unless all normalised outputs are equal.
    #[track_caller]
    pub fn assert_same(&self) {
        let first = &self.results[0].1;
        if self.results.iter().all(|(_, s)| s == first) {
            return;
        }
        let mut msg = String::from("runtimes disagree:\n");
        for ((k, s), raw) in self.results.iter().zip(&self.raw) {
            msg.push_str(&format!("===== {} (normalised) =====\n{s}\n----- raw -----\n{raw}\n", k.name()));
        }
        panic!("{msg}");
    }
}

/// Runs one container under rsrun, crun and runc: each gets a fresh bundle with `patch` applied (jq
/// expression), its own id and root; `run` in the foreground; leftovers must be clean afterwards.
/// Returns `normalise(output)` per runtime.
pub fn differential(patch: &str, normalise: impl Fn(&Out) -> String) -> Diff {
    differential_on(&[Kind::Rsrun, Kind::Crun, Kind::Runc], patch, normalise)
}

/// `differential` over the runtimes in `kinds`.
pub fn differential_on(kinds: &[Kind], patch: &str, normalise: impl Fn(&Out) -> String) -> Diff {
    let mut results = Vec::new();
    let mut raw = Vec::new();
    for &kind in kinds {
        let bundle = Bundle::with(patch);
        let rt = Runtime::new(kind);
        let id = unique_id(&format!("diff-{}", kind.name()));
        let leaks = LeakCheck::new(&rt, &bundle, &id);
        let out = rt.run_container(&bundle, &id);
        assert!(!out.timed_out, "{} timed out:\n{out}", kind.name());
        leaks.assert_clean();
        results.push((kind, normalise(&out)));
        raw.push(out);
    }
    Diff { results, raw }
}

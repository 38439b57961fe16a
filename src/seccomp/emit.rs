//! Decision tables -> classic BPF.
//!
//! Shape of the program:
//! ```text
//!   ld arch; jeq X86_64 ? S64 : (jeq I386 ? S86 : KILL)      arches not in the filter: KILL_THREAD
//!   S64: ld nr; jset X32_BIT ? S32 : tree(x86_64)
//!   S32: tree(x32), or without x32: jeq -1 ? default : KILL
//!   S86: ld nr; tree(x86)
//!   argument blocks of conditional syscalls, then one `ret` per distinct action
//! ```
//! A tree dispatches on the syscall number over intervals of equal outcome (runs of consecutive
//! syscalls with one action collapse into one interval): a balanced `jge` tree, or a short `jeq`
//! chain where the subrange holds only a few isolated syscalls. Leaves are jumps straight to the
//! shared `ret`s or to the argument blocks; identical blocks are emitted once.
use super::asm::*;
use super::resolve::{Cond, CondRule, Entry, Resolved, Section};
use super::profile::Op;
use crate::error::Result;
use alloc::vec::Vec;
use syscalls::seccomp::*;

/// At most this many isolated syscalls are tested with a `jeq` chain instead of a `jge` tree.
const CHAIN_MAX: usize = 3;
const ENOSYS_RET: u32 = SECCOMP_RET_ERRNO | 38;

struct Emitter<'r> {
    asm: Asm,
    /// Argument blocks to emit after the trees: (label, rules, 64-bit arguments).
    blocks: Vec<(Label, &'r [CondRule], bool)>,
    default: Label,
}

pub(super) fn emit(r: &Resolved) -> Result<Vec<SockFilter>> {
    let mut asm = Asm::default();
    let bad = asm.ret(SECCOMP_RET_KILL_THREAD);
    let default = asm.ret(r.default);
    let mut e = Emitter { asm, blocks: Vec::new(), default };
    let a = &mut e.asm;

    a.stmt(LD_ABS, 4); // seccomp_data.arch
    let s64 = a.label();
    let s86 = a.label();
    if r.x86.is_some() {
        let next = a.label();
        a.jump(JEQ, AUDIT_ARCH_X86_64, s64, next);
        a.bind(next);
        a.jump(JEQ, AUDIT_ARCH_I386, s86, bad);
    } else {
        a.jump(JEQ, AUDIT_ARCH_X86_64, s64, bad);
    }

    // x86_64 (x32 ABI numbers have bit 30 set; libseccomp keeps them out of the x86_64 rules).
    a.bind(s64);
    a.stmt(LD_ABS, 0); // seccomp_data.nr
    let s32 = a.label();
    let t64 = a.label();
    a.jump(JSET, X32_SYSCALL_BIT, s32, t64);
    let s = &r.x86_64;
    let beyond = match (s.enosys_above, &r.x32) {
        (Some(_), _) => e.asm.ret(ENOSYS_RET),
        (None, Some(_)) => default,
        (None, None) => bad,
    };
    let gaps = e.gaps(s, 0, Some((X32_SYSCALL_BIT, beyond)));
    let ivs = e.intervals(s, &gaps, true);
    e.tree(&ivs, 1 << 32, t64);

    if let Some(s) = &r.x32 {
        // libseccomp compares x32 arguments as 32-bit values, like x86's.
        let gaps = e.gaps(s, X32_SYSCALL_BIT, None);
        let ivs = e.intervals(s, &gaps, false);
        e.tree(&ivs, 1 << 32, s32);
    } else {
        // Without x32, libseccomp lets only nr -1 (a syscall skipped by a tracer) through.
        e.asm.bind(s32);
        e.asm.jump(JEQ, u32::MAX, default, bad);
    }
    if let Some(s) = &r.x86 {
        let gaps = e.gaps(s, 0, None);
        let ivs = e.intervals(s, &gaps, false);
        if ivs.len() == 1 {
            e.asm.alias(s86, ivs[0].1);
        } else {
            e.asm.bind(s86);
            e.asm.stmt(LD_ABS, 0);
            let t = e.asm.label();
            e.tree(&ivs, 1 << 32, t);
        }
    }

    for (label, rules, wide) in core::mem::take(&mut e.blocks) {
        e.asm.bind(label);
        e.block(rules, wide);
    }
    e.asm.finish()
}

impl<'r> Emitter<'r> {
    /// Outcome breakpoints of numbers without an entry in `s`: the default from `start`, ENOSYS
    /// above runc's stub limit, then `last` from its breakpoint on.
    fn gaps(&mut self, s: &Section, start: u32, last: Option<(u32, Label)>) -> Vec<(u32, Label)> {
        let mut g = alloc::vec![(start, self.default)];
        if let Some(max) = s.enosys_above {
            g.push((max + 1, self.asm.ret(ENOSYS_RET)));
        }
        g.extend(last);
        g
    }

    /// The section as sorted, merged intervals `(first number, outcome)` from `gaps[0].0` upwards.
    /// `gaps` gives the outcome of numbers without an entry, from each breakpoint on (sorted;
    /// breakpoints past the end of the domain are ignored).
    fn intervals(&mut self, s: &'r Section, gaps: &[(u32, Label)], wide: bool) -> Vec<(u32, Label)> {
        let mut out: Vec<(u32, Label)> = Vec::new();
        let push = |out: &mut Vec<(u32, Label)>, lo: u32, l: Label| {
            if out.last().map(|x| x.1) != Some(l) {
                out.push((lo, l));
            }
        };
        let gap = |out: &mut Vec<(u32, Label)>, lo: u64, hi: u64| {
            for (i, &(from, l)) in gaps.iter().enumerate() {
                let to = gaps.get(i + 1).map_or(1 << 32, |g| g.0 as u64);
                let (a, b) = (lo.max(from as u64), hi.min(to));
                if a < b {
                    push(out, a as u32, l);
                }
            }
        };
        let mut cursor = gaps[0].0 as u64;
        for (nr, entry) in &s.entries {
            gap(&mut out, cursor, *nr as u64);
            let leaf = match entry {
                Entry::Ret(v) => self.asm.ret(*v),
                Entry::Cond(rules) => self.block_label(rules, wide),
            };
            push(&mut out, *nr, leaf);
            cursor = *nr as u64 + 1;
        }
        gap(&mut out, cursor, 1 << 32);
        out
    }

    fn block_label(&mut self, rules: &'r [CondRule], wide: bool) -> Label {
        if let Some(b) = self.blocks.iter().find(|b| b.1 == rules && b.2 == wide) {
            return b.0;
        }
        let l = self.asm.label();
        self.blocks.push((l, rules, wide));
        l
    }

    /// Dispatch on the number in A over `ivs` (the last one ends before `end`), starting at `entry`.
    fn tree(&mut self, ivs: &[(u32, Label)], end: u64, entry: Label) {
        if ivs.len() == 1 {
            self.asm.alias(entry, ivs[0].1);
            return;
        }
        let size = |i: usize| ivs.get(i + 1).map_or(end, |x| x.0 as u64) - ivs[i].0 as u64;
        // A jeq chain: every interval but a few single numbers has the same outcome.
        let common = (0..ivs.len()).find(|&i| size(i) > 1).map_or(ivs[0].1, |i| ivs[i].1);
        let odd: Vec<usize> = (0..ivs.len()).filter(|&i| ivs[i].1 != common).collect();
        if odd.len() <= CHAIN_MAX && odd.iter().all(|&i| size(i) == 1) {
            self.asm.bind(entry);
            for (k, &i) in odd.iter().enumerate() {
                let next = if k + 1 == odd.len() { common } else { self.asm.label() };
                self.asm.jump(JEQ, ivs[i].0, ivs[i].1, next);
                if k + 1 < odd.len() {
                    self.asm.bind(next);
                }
            }
            return;
        }
        let mid = ivs.len() / 2;
        let (left, right) = (self.asm.label(), self.asm.label());
        self.asm.bind(entry);
        self.asm.jump(JGE, ivs[mid].0, right, left);
        self.tree(&ivs[..mid], ivs[mid].0 as u64, left);
        self.tree(&ivs[mid..], end, right);
    }

    /// Conditional rules of one syscall: the first whose conditions all hold decides.
    fn block(&mut self, rules: &[CondRule], wide: bool) {
        let mut i = 0;
        while i < rules.len() {
            // A run of `arg == v` rules with one action on one argument (and one high word) is
            // one set test: the high word once, then a jeq per value (docker's personality).
            let run = rules[i..].iter().take_while(|r| same_eq_set(r, &rules[i], wide)).count();
            let n = if run >= 2 { run } else { 1 };
            let next = if i + n == rules.len() { self.default } else { self.asm.label() };
            let ret = self.asm.ret(rules[i].ret);
            if n >= 2 {
                let c = rules[i].conds[0];
                let lo = 16 + 8 * c.index;
                if wide {
                    let l = self.asm.label();
                    self.asm.stmt(LD_ABS, lo + 4);
                    self.asm.jump(JEQ, (c.value >> 32) as u32, l, next);
                    self.asm.bind(l);
                }
                self.asm.stmt(LD_ABS, lo);
                for (k, r) in rules[i..i + n].iter().enumerate() {
                    let f = if k + 1 == n { next } else { self.asm.label() };
                    self.asm.jump(JEQ, r.conds[0].value as u32, ret, f);
                    if k + 1 < n {
                        self.asm.bind(f);
                    }
                }
            } else {
                let rule = &rules[i];
                for (j, c) in rule.conds.iter().enumerate() {
                    let last = j + 1 == rule.conds.len();
                    let pass = if last { ret } else { self.asm.label() };
                    self.cond(c, wide, pass, next);
                    if !last {
                        self.asm.bind(pass);
                    }
                }
            }
            i += n;
            if i < rules.len() {
                self.asm.bind(next);
            }
        }
    }

    /// One comparison: jumps to `pass` or `fail`. 64-bit values are compared high word first.
    fn cond(&mut self, c: &Cond, wide: bool, pass: Label, fail: Label) {
        let a = &mut self.asm;
        let lo = 16 + 8 * c.index; // seccomp_data.args[i], little endian
        let hi = lo + 4;
        let (vh, vl) = ((c.value >> 32) as u32, c.value as u32);
        let (mh, ml) = ((c.mask >> 32) as u32, c.mask as u32);
        if !wide {
            // 32-bit arch: only the low word, the operand truncated, as libseccomp does.
            a.stmt(LD_ABS, lo);
            match c.op {
                Op::Eq => a.jump(JEQ, vl, pass, fail),
                Op::Ne => a.jump(JEQ, vl, fail, pass),
                Op::Gt => a.jump(JGT, vl, pass, fail),
                Op::Ge => a.jump(JGE, vl, pass, fail),
                Op::Lt => a.jump(JGE, vl, fail, pass),
                Op::Le => a.jump(JGT, vl, fail, pass),
                Op::MaskedEq => {
                    a.stmt(AND_K, ml);
                    a.jump(JEQ, vl, pass, fail);
                }
            }
            return;
        }
        match c.op {
            Op::Eq | Op::Ne => {
                let (t, f) = if c.op == Op::Eq { (pass, fail) } else { (fail, pass) };
                let n = a.label();
                a.stmt(LD_ABS, hi);
                a.jump(JEQ, vh, n, f);
                a.bind(n);
                a.stmt(LD_ABS, lo);
                a.jump(JEQ, vl, t, f);
            }
            Op::MaskedEq => {
                // The value is pre-masked, so a zero mask word means a word that always matches.
                if mh != 0 {
                    let n = a.label();
                    a.stmt(LD_ABS, hi);
                    a.stmt(AND_K, mh);
                    a.jump(JEQ, vh, n, fail);
                    a.bind(n);
                }
                if ml != 0 {
                    a.stmt(LD_ABS, lo);
                    a.stmt(AND_K, ml);
                    a.jump(JEQ, vl, pass, fail);
                } else {
                    a.ja(pass);
                }
            }
            Op::Gt | Op::Ge | Op::Lt | Op::Le => {
                // hi > vh decides `above`, hi < vh decides `below`, equal words compare lo.
                let (above, below) = if matches!(c.op, Op::Gt | Op::Ge) { (pass, fail) } else { (fail, pass) };
                let strict = matches!(c.op, Op::Gt | Op::Le); // low word test is jgt, else jge
                let n = a.label();
                a.stmt(LD_ABS, hi);
                if vh == u32::MAX {
                    a.jump(JEQ, vh, n, below);
                } else if vh == 0 {
                    a.jump(JGT, 0, above, n);
                } else {
                    let m = a.label();
                    a.jump(JGT, vh, above, m);
                    a.bind(m);
                    a.jump(JEQ, vh, n, below);
                }
                if !strict && vl == 0 {
                    a.alias(n, above); // lo >= 0 always holds
                } else if strict && vl == u32::MAX {
                    a.alias(n, below); // lo > MAX never holds
                } else {
                    a.bind(n);
                    a.stmt(LD_ABS, lo);
                    a.jump(if strict { JGT } else { JGE }, vl, above, below);
                }
            }
        }
    }
}

/// `r` is a single `arg == v` test that can join a set test started by `first`.
fn same_eq_set(r: &CondRule, first: &CondRule, wide: bool) -> bool {
    let (c, f) = match (&r.conds[..], &first.conds[..]) {
        ([c], [f]) => (c, f),
        _ => return false,
    };
    c.op == Op::Eq && f.op == Op::Eq && c.index == f.index && r.ret == first.ret && (!wide || c.value >> 32 == f.value >> 32)
}

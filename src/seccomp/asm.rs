//! A classic-BPF assembler with forward labels. Conditional jumps only reach 255 instructions
//! ahead (jt/jf are u8); `finish` places a trampoline (a `ja`, or a copy of the target `ret`) right
//! after every jump whose target is farther, repeating until all offsets fit.
use crate::bail;
use crate::error::Result;
use alloc::vec::Vec;
use syscalls::seccomp::{BPF_MAXINSNS, SockFilter};

pub(super) type Label = usize;

pub(super) const LD_ABS: u16 = 0x20; // BPF_LD | BPF_W | BPF_ABS
pub(super) const AND_K: u16 = 0x54; // BPF_ALU | BPF_AND | BPF_K
pub(super) const JA: u16 = 0x05; // BPF_JMP | BPF_JA
pub(super) const JEQ: u16 = 0x15; // BPF_JMP | BPF_JEQ | BPF_K
pub(super) const JGT: u16 = 0x25;
pub(super) const JGE: u16 = 0x35;
pub(super) const JSET: u16 = 0x45;
pub(super) const RET: u16 = 0x06; // BPF_RET | BPF_K

#[derive(Clone, Copy)]
enum Ins {
    Stmt(u16, u32),
    Jump(u16, u32, Label, Label),
    Ja(Label),
}

#[derive(Clone, Copy)]
enum Bound {
    No,
    At(usize),
    Alias(Label),
}

#[derive(Default)]
pub(super) struct Asm {
    ins: Vec<Ins>,
    labels: Vec<Bound>,
    /// Shared `ret` instructions, emitted at the end by `finish`.
    rets: Vec<(u32, Label)>,
}

impl Asm {
    pub fn label(&mut self) -> Label {
        self.labels.push(Bound::No);
        self.labels.len() - 1
    }

    /// `l` marks the next instruction.
    pub fn bind(&mut self, l: Label) {
        self.labels[l] = Bound::At(self.ins.len());
    }

    /// `l` means the same place as `to`.
    pub fn alias(&mut self, l: Label, to: Label) {
        self.labels[l] = Bound::Alias(to);
    }

    /// The label of a shared `ret value`.
    pub fn ret(&mut self, value: u32) -> Label {
        if let Some(&(_, l)) = self.rets.iter().find(|r| r.0 == value) {
            return l;
        }
        let l = self.label();
        self.rets.push((value, l));
        l
    }

    pub fn stmt(&mut self, code: u16, k: u32) {
        self.ins.push(Ins::Stmt(code, k));
    }

    pub fn jump(&mut self, code: u16, k: u32, t: Label, f: Label) {
        self.ins.push(Ins::Jump(code, k, t, f));
    }

    pub fn ja(&mut self, l: Label) {
        self.ins.push(Ins::Ja(l));
    }

    fn target(&self, mut l: Label) -> usize {
        loop {
            match self.labels[l] {
                Bound::At(i) => return i,
                Bound::Alias(to) => l = to,
                Bound::No => return usize::MAX,
            }
        }
    }

    /// Emits the shared returns, resolves labels and long jumps, checks the length.
    pub fn finish(mut self) -> Result<Vec<SockFilter>> {
        for (v, l) in core::mem::take(&mut self.rets) {
            self.bind(l);
            self.stmt(RET, v);
        }
        let n = self.ins.len();
        // Jump targets as instruction indexes; every jump must go forward.
        let mut targets: Vec<(usize, usize)> = Vec::with_capacity(n);
        for (i, ins) in self.ins.iter().enumerate() {
            let (t, f) = match *ins {
                Ins::Jump(_, _, t, f) => (self.target(t), self.target(f)),
                Ins::Ja(t) => (self.target(t), self.target(t)),
                Ins::Stmt(..) => {
                    targets.push((i, i)); // unused
                    continue;
                }
            };
            if t <= i || f <= i || t >= n || f >= n {
                bail!("seccomp: internal error: bad jump at instruction {i}");
            }
            targets.push((t, f));
        }
        // extra[i]: trampolines after instruction i. Only grows, so the loop ends.
        let mut extra = alloc::vec![0u8; n];
        let mut pos = alloc::vec![0usize; n + 1];
        loop {
            for i in 0..n {
                pos[i + 1] = pos[i] + 1 + extra[i] as usize;
            }
            let mut changed = false;
            for i in 0..n {
                if let Ins::Jump(..) = self.ins[i] {
                    let need = far_count(&pos, i, targets[i]);
                    if need > extra[i] {
                        extra[i] = need;
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        let len = pos[n];
        if len > BPF_MAXINSNS {
            bail!("seccomp: the filter needs {len} BPF instructions, the kernel takes at most {BPF_MAXINSNS}");
        }
        let mut out = Vec::with_capacity(len);
        for i in 0..n {
            let (t, f) = targets[i];
            let here = pos[i] + 1;
            match self.ins[i] {
                Ins::Stmt(code, k) => out.push(SockFilter { code, jt: 0, jf: 0, k }),
                Ins::Ja(_) => out.push(SockFilter { code: JA, jt: 0, jf: 0, k: (pos[t] - here) as u32 }),
                Ins::Jump(code, k, ..) => {
                    let far = |x: usize| pos[x] - here > 255;
                    let (tf, ff) = (far(t), far(f));
                    let mut tramps: Vec<usize> = Vec::new();
                    let jt = if tf { tramps.push(t); 0 } else { pos[t] - here };
                    let jf = if !ff {
                        pos[f] - here
                    } else if tf && f == t {
                        0
                    } else {
                        tramps.push(f);
                        tramps.len() - 1
                    };
                    out.push(SockFilter { code, jt: jt as u8, jf: jf as u8, k });
                    for (j, &x) in tramps.iter().enumerate() {
                        let at = here + j + 1;
                        out.push(match self.ins[x] {
                            Ins::Stmt(RET, v) => SockFilter { code: RET, jt: 0, jf: 0, k: v },
                            _ => SockFilter { code: JA, jt: 0, jf: 0, k: (pos[x] - at) as u32 },
                        });
                    }
                    // Pad if an earlier pass reserved more trampolines than needed now.
                    for _ in tramps.len()..extra[i] as usize {
                        out.push(SockFilter { code: JA, jt: 0, jf: 0, k: 0 });
                    }
                }
            }
        }
        Ok(out)
    }
}

/// How many trampolines jump `i` needs. Offsets count from the instruction after the jump, so
/// they include the trampolines already reserved behind it.
fn far_count(pos: &[usize], i: usize, (t, f): (usize, usize)) -> u8 {
    let here = pos[i] + 1;
    let far = |x: usize| pos[x] - here > 255;
    match (far(t), far(f)) {
        (true, true) if t != f => 2,
        (false, false) => 0,
        _ => 1,
    }
}

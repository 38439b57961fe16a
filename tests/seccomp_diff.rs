//! Differential tests: our compiled programs against libseccomp's (built by tests/seccomp_ref.py
//! the way runc 1.1 builds them, runc's -ENOSYS stub applied), decision by decision, on docker's
//! and podman's profiles, hand-written edge cases and seeded random profiles.
//!
//! Needs `/usr/bin/python3` with python3-seccomp (`apt-get install -y python3-seccomp`).
mod seccomp_common;

use rsrun::seccomp::{Arch, Profile, SockFilter, compile, syscall_number};
use seccomp_common::*;
use std::collections::BTreeSet;
use std::io::Write;
use std::process::{Command, Stdio};

const REF: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/seccomp_ref.py");
const ENOSYS: u32 = 0x0005_0000 | 38;

fn python(args: &[&str], input: &str) -> String {
    let mut child = Command::new("/usr/bin/python3")
        .arg(REF)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("run /usr/bin/python3");
    // Feed stdin from a thread: the answers may fill the stdout pipe before the input is all sent.
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()).unwrap());
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    assert!(
        out.status.success(),
        "tests/seccomp_ref.py failed: is python3-seccomp installed? (apt-get install -y python3-seccomp)"
    );
    String::from_utf8(out.stdout).unwrap()
}

/// libseccomp's programs and runc's stub for one profile.
#[derive(Default)]
struct Reference {
    stubs: Vec<(u32, String, u32)>,
    /// The multi-arch program runc loads.
    all: Vec<SockFilter>,
    /// The same filter built for x86_64 (+x32) alone and for x86 alone: libseccomp 2.5.4 sometimes
    /// drops the syscall-number load of the x86 section in `all` (see docs/seccomp.md).
    x86_64: Vec<SockFilter>,
    x86: Option<Vec<SockFilter>>,
}

impl Reference {
    fn stub(&self, d: &Data) -> Option<u32> {
        for (audit, mode, max) in &self.stubs {
            let x32 = d.nr & 0x4000_0000 != 0;
            let applies = match mode.as_str() {
                "x86_64" => !x32,
                "x32" => x32,
                _ => true,
            };
            if d.arch == *audit && applies && d.nr > *max {
                return Some(ENOSYS);
            }
        }
        None
    }

    /// runc's decision, arch by arch.
    fn decide(&self, d: &Data) -> u32 {
        self.stub(d).unwrap_or_else(|| match d.arch {
            AUDIT_ARCH_X86_64 => run(&self.x86_64, d).0,
            AUDIT_ARCH_I386 => self.x86.as_ref().map_or(0, |p| run(p, d).0),
            _ => 0,
        })
    }

    /// runc's decision with the program it really loads.
    fn decide_all(&self, d: &Data) -> u32 {
        self.stub(d).unwrap_or_else(|| run(&self.all, d).0)
    }
}

/// libseccomp's programs for many profiles with one python run.
fn references(profiles: &[Profile]) -> Vec<Reference> {
    let input: String = profiles.iter().map(|p| to_lines(p) + "---\n").collect();
    let out = python(&["bpf"], &input);
    let mut refs = Vec::new();
    let mut cur = Reference::default();
    let mut which = String::new();
    for line in out.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        match w[0] {
            "stub" => cur.stubs.push((w[1].parse().unwrap(), w[2].into(), w[3].parse().unwrap())),
            "prog" => which = w[1].to_string(),
            "insn" => {
                let ins = SockFilter {
                    code: w[1].parse().unwrap(),
                    jt: w[2].parse().unwrap(),
                    jf: w[3].parse().unwrap(),
                    k: w[4].parse().unwrap(),
                };
                match which.as_str() {
                    "all" => cur.all.push(ins),
                    "x86_64" => cur.x86_64.push(ins),
                    _ => cur.x86.get_or_insert_with(Vec::new).push(ins),
                }
            }
            "error" => panic!("libseccomp refused profile #{}: {line}\n{}", refs.len(), to_lines(&profiles[refs.len()])),
            "---" => refs.push(std::mem::take(&mut cur)),
            _ => panic!("unexpected line from seccomp_ref.py: {line}"),
        }
    }
    assert_eq!(refs.len(), profiles.len());
    refs
}

/// Operands worth testing for the conditions of `p`: each value, its neighbours, its other word.
fn arg_pool(p: &Profile) -> Vec<u64> {
    let mut pool = BTreeSet::from([0, 1, 0xFFFF_FFFF, 0x1_0000_0000, u64::MAX]);
    for r in &p.syscalls {
        for a in &r.args {
            for v in [a.value, a.value_two, a.value & a.value_two, a.value_two | !a.value] {
                for x in [v, v.wrapping_sub(1), v.wrapping_add(1), v ^ (1 << 32), v & 0xFFFF_FFFF, v | 0xFFFF_FFFF_0000_0000, v.rotate_left(32)] {
                    pool.insert(x);
                }
            }
        }
    }
    pool.into_iter().collect()
}

/// Syscall numbers (per audit arch) that have argument conditions somewhere in `p`.
fn conditional_numbers(p: &Profile) -> BTreeSet<(u32, u32)> {
    let mut out = BTreeSet::new();
    for r in p.syscalls.iter().filter(|r| !r.args.is_empty()) {
        for n in &r.names {
            for (arch, audit) in [(Arch::X86_64, AUDIT_ARCH_X86_64), (Arch::X32, AUDIT_ARCH_X86_64), (Arch::X86, AUDIT_ARCH_I386)] {
                if let Some(nr) = syscall_number(arch, n) {
                    out.insert((audit, nr));
                }
            }
        }
    }
    out.insert((AUDIT_ARCH_I386, 102)); // socketcall, ipc: x86 multiplexers
    out.insert((AUDIT_ARCH_I386, 117));
    out
}

/// Every (arch, nr, args) we compare on.
fn points(p: &Profile, rng: &mut Rng) -> Vec<Data> {
    let mut nrs64: Vec<u32> = (0..480).chain(0x4000_0000..0x4000_0000 + 560).collect();
    nrs64.extend([0x3FFF_FFFF, 0x7FFF_FFFF, 0x8000_0000, 0x8000_0001, 0xBFFF_FFFF, 0xC000_0000, 0xC000_0001, 0xFFFF_FFFF]);
    let mut nrs32: Vec<u32> = (0..480).collect();
    nrs32.extend([0x4000_0000, 0x4000_0001, 0x8000_0000, 0xFFFF_FFFF]);
    let mut out = Vec::new();
    let zero = [0u64; 6];
    for &nr in &nrs64 {
        out.push(Data { nr, arch: AUDIT_ARCH_X86_64, args: zero });
    }
    for &nr in &nrs32 {
        out.push(Data { nr, arch: AUDIT_ARCH_I386, args: zero });
    }
    for arch in [AUDIT_ARCH_AARCH64, 0, 0x4000_003E, 0xC000_0003] {
        for nr in [0, 1, 59, 231, 0x4000_0000] {
            out.push(Data { nr, arch, args: zero });
        }
    }
    let pool = arg_pool(p);
    for (arch, nr) in conditional_numbers(p) {
        for _ in 0..48 {
            let mut args = [0u64; 6];
            for a in &mut args {
                *a = if rng.chance(85) { rng.pick(&pool) } else { rng.next() };
            }
            // x86 multiplexers: arg0 is a small SYS_* code.
            if arch == AUDIT_ARCH_I386 && (nr == 102 || nr == 117) && rng.chance(70) {
                args[0] = rng.below(26) as u64;
            }
            out.push(Data { nr, arch, args });
        }
    }
    out
}

/// Compares our decisions with the model (always) and with runc+libseccomp. `strict`: also with
/// the multi-arch program runc loads, and libseccomp must agree everywhere. Otherwise libseccomp
/// may only disagree where it also disagrees with the model (its own bugs, see docs/seccomp.md).
/// Returns (points, points where libseccomp is wrong).
fn compare(name: &str, p: &Profile, r: &Reference, rng: &mut Rng, strict: bool) -> (usize, usize) {
    let ours = compile(p).unwrap_or_else(|e| panic!("{name}: compile: {e}\n{}", to_lines(p)));
    validate(&ours.program).unwrap_or_else(|e| panic!("{name}: invalid program: {e}"));
    let pts = points(p, rng);
    let (mut bad, mut lib_wrong) = (Vec::new(), 0);
    for d in &pts {
        let (a, m, l) = (run(&ours.program, d).0, model(p, d), r.decide(d));
        let l_all = if strict { r.decide_all(d) } else { l };
        if a != m || (a != l && l == m) || (strict && (a != l || a != l_all)) {
            bad.push(format!(
                "  arch {:#x} nr {:#x} args {:x?}: ours {a:#x}, model {m:#x}, libseccomp {l:#x}, runc's program {l_all:#x}",
                d.arch, d.nr, d.args
            ));
        } else if a != l {
            lib_wrong += 1;
        }
    }
    if !bad.is_empty() {
        let n = bad.len();
        bad.truncate(12);
        panic!("{name}: {n} decisions differ:\n{}\nprofile:\n{}", bad.join("\n"), to_lines(p));
    }
    (pts.len(), lib_wrong)
}

fn fixture(name: &str) -> String {
    python(&["convert", &format!("{}/tests/fixtures/configs/{name}.json", env!("CARGO_MANIFEST_DIR"))], "")
}

/// Names known to both our tables and libseccomp, with the same numbers on every arch.
fn common_names() -> Vec<String> {
    let src = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/seccomp/tables.rs")).unwrap();
    let body = &src[src.find("concat!(").unwrap()..src.find(");").unwrap()];
    let ours: Vec<&str> = body.split('"').skip(1).step_by(2).collect();
    let lib = python(&["resolve"], &ours.join("\n"));
    let mut common = Vec::new();
    for line in lib.lines() {
        let w: Vec<&str> = line.split_whitespace().collect();
        let num = |s: &str| s.parse::<u32>().ok();
        let (a, b, c) = (num(w[1]), num(w[2]), num(w[3]));
        let same = a == syscall_number(Arch::X86_64, w[0])
            && c == syscall_number(Arch::X32, w[0])
            // libseccomp names x86's socket and IPC calls by their multiplexer.
            && (b == syscall_number(Arch::X86, w[0]) || b == Some(102) || b == Some(117));
        if same {
            common.push(w[0].to_string());
        }
    }
    common
}

#[test]
fn tables_agree_with_libseccomp() {
    let common = common_names();
    // Everything but the syscalls newer than this libseccomp (Linux 6.6+) must agree.
    assert!(common.len() >= 440, "only {} names agree with libseccomp", common.len());
    for n in ["read", "socket", "socketcall", "clone3", "cachestat", "fchmodat2", "rt_sigaction"] {
        assert!(common.iter().any(|c| c == n), "{n} differs from libseccomp");
    }
}

#[test]
fn docker_and_podman_match_libseccomp() {
    let texts = [fixture("docker"), fixture("podman")];
    let profiles: Vec<Profile> = texts.iter().map(|t| from_lines(t)).collect();
    let refs = references(&profiles);
    let mut rng = Rng(0x5EED_D0C4);
    for ((name, p), r) in ["docker", "podman"].iter().zip(&profiles).zip(&refs) {
        let (n, _) = compare(name, p, r, &mut rng, true);
        assert!(n > 1500);
    }
}

/// Hand-written profiles around each semantic rule.
#[test]
fn edge_profiles_match_libseccomp() {
    let texts = [
        // Every op at word boundaries, on every arch.
        "default SCMP_ACT_ERRNO -\narch SCMP_ARCH_X86_64\narch SCMP_ARCH_X86\narch SCMP_ARCH_X32\n\
         rule SCMP_ACT_ALLOW - read\narg 0 SCMP_CMP_LT 4294967296 0\n\
         rule SCMP_ACT_ALLOW - write\narg 0 SCMP_CMP_LE 4294967295 0\n\
         rule SCMP_ACT_ALLOW - open\narg 1 SCMP_CMP_GT 8589934593 0\n\
         rule SCMP_ACT_ALLOW - close\narg 2 SCMP_CMP_GE 18446744073709551615 0\n\
         rule SCMP_ACT_ALLOW - stat\narg 3 SCMP_CMP_NE 4294967297 0\n\
         rule SCMP_ACT_ALLOW - fstat\narg 4 SCMP_CMP_EQ 18446744069414584320 0\n\
         rule SCMP_ACT_ALLOW - lstat\narg 5 SCMP_CMP_MASKED_EQ 18446744069414584575 511\n\
         rule SCMP_ACT_ALLOW - poll\narg 0 SCMP_CMP_LT 0 0\n\
         rule SCMP_ACT_ALLOW - lseek\narg 0 SCMP_CMP_GE 0 0\n\
         rule SCMP_ACT_ALLOW - mmap\narg 0 SCMP_CMP_GT 18446744073709551615 0\n\
         rule SCMP_ACT_ALLOW - mprotect\narg 0 SCMP_CMP_MASKED_EQ 0 0\n",
        // Same index twice (runc: OR), distinct indexes (AND), x86 multiplexers with conditions.
        "default SCMP_ACT_KILL_PROCESS -\narch SCMP_ARCH_X86\narch SCMP_ARCH_X86_64\n\
         rule SCMP_ACT_ERRNO 13 read\narg 0 SCMP_CMP_EQ 1 0\narg 0 SCMP_CMP_EQ 2 0\n\
         rule SCMP_ACT_ERRNO 14 write\narg 0 SCMP_CMP_EQ 1 0\narg 1 SCMP_CMP_EQ 2 0\n\
         rule SCMP_ACT_ALLOW - socket bind shmat\narg 0 SCMP_CMP_EQ 2 0\narg 1 SCMP_CMP_EQ 7 0\n\
         rule SCMP_ACT_LOG - accept semop\n",
        // Unconditional beats conditional, first unconditional wins, default-equal rules dropped.
        "default SCMP_ACT_ERRNO 1\narch SCMP_ARCH_X32\n\
         rule SCMP_ACT_ALLOW - read\nrule SCMP_ACT_TRAP - read\n\
         rule SCMP_ACT_TRACE 5 close\narg 0 SCMP_CMP_EQ 1 0\nrule SCMP_ACT_LOG - close\n\
         rule SCMP_ACT_ERRNO - dup\nrule SCMP_ACT_ERRNO 1 dup2\nrule SCMP_ACT_NOTIFY - getpid\n",
        // Permissive default: no stub; foreign arch listed; unknown names.
        "default SCMP_ACT_ALLOW -\narch SCMP_ARCH_AARCH64\narch SCMP_ARCH_X86\n\
         rule SCMP_ACT_KILL - no_such_syscall ptrace\nrule SCMP_ACT_ERRNO 1 mount umount2 socketcall\n",
        // Only x86_64 (native) and x32 without x86_64 listed.
        "default SCMP_ACT_ERRNO 38\n\nrule SCMP_ACT_ALLOW - read write\n",
        "default SCMP_ACT_TRAP -\narch SCMP_ARCH_X32\nrule SCMP_ACT_ALLOW - read write rt_sigaction\n",
        // No rules at all.
        "default SCMP_ACT_LOG -\narch SCMP_ARCH_X86_64\n",
    ];
    let profiles: Vec<Profile> = texts.iter().map(|t| from_lines(t)).collect();
    let refs = references(&profiles);
    let mut rng = Rng(7);
    for (i, (p, r)) in profiles.iter().zip(&refs).enumerate() {
        let (n, wrong) = compare(&format!("edge profile {i}"), p, r, &mut rng, false);
        eprintln!("edge profile {i}: {n} decisions, libseccomp wrong on {wrong}");
    }
}

#[test]
fn random_profiles_match_libseccomp() {
    let common = common_names();
    let mut names: Vec<&str> = common.iter().map(|s| s.as_str()).collect();
    names.push("no_such_syscall");
    let mut rng = Rng(0x0C1_5EED);
    let profiles: Vec<Profile> = (0..160).map(|_| random_profile(&mut rng, &names)).collect();
    let refs = references(&profiles);
    let (mut total, mut wrong, mut profiles_wrong) = (0, 0, 0);
    for (i, (p, r)) in profiles.iter().zip(&refs).enumerate() {
        let (n, w) = compare(&format!("random profile {i}"), p, r, &mut rng, false);
        total += n;
        wrong += w;
        profiles_wrong += (w > 0) as usize;
    }
    eprintln!(
        "{total} decisions over {} random profiles; libseccomp 2.5.4 wrong on {wrong} ({profiles_wrong} profiles)",
        profiles.len()
    );
    // libseccomp's bugs are rare: most of the time all three agree.
    assert!(wrong * 100 < total, "libseccomp disagrees too often: check the model");
}

/// Instruction counts and longest paths of ours and of runc's program (docs/seccomp.md).
#[test]
fn efficiency_against_libseccomp() {
    let texts = [fixture("docker"), fixture("podman")];
    let profiles: Vec<Profile> = texts.iter().map(|t| from_lines(t)).collect();
    let refs = references(&profiles);
    for ((name, p), r) in ["docker", "podman"].iter().zip(&profiles).zip(&refs) {
        let ours = compile(p).unwrap().program;
        // runc prepends its -ENOSYS stub to libseccomp's program: count it as runc loads it.
        // (About 14 instructions for three arches: ld arch, a jeq per arch, a section per arch, tail.)
        let stub = 4 + r.stubs.len() * 3;
        let (ol, ll) = (longest_path(&ours), longest_path(&r.all));
        // Average path over the syscalls a container really makes: x86_64 numbers 0..=460.
        let avg = |prog: &[SockFilter]| {
            let steps: usize = (0..=460).map(|nr| run(prog, &Data { nr, arch: AUDIT_ARCH_X86_64, args: [0; 6] }).1).sum();
            steps as f64 / 461.0
        };
        eprintln!(
            "{name}: ours {} instructions, longest path {ol}, mean x86_64 path {:.1}; libseccomp {} (+{stub} runc stub), longest {ll}, mean {:.1}",
            ours.len(),
            avg(&ours),
            r.all.len(),
            avg(&r.all)
        );
        assert!(ours.len() < r.all.len() && ol <= ll);
    }
}

//! The emitted device programs, run by a small eBPF interpreter on many random requests and compared
//! with a direct reading of the rule semantics; the cgroup-v1 lines, run through a model of the v1
//! controller, compared the same way. Rule lists: random ones, and those docker, podman and
//! containerd (ctr) send (tests/fixtures/configs/*.json).
use rsrun::bpf::{Access, DeviceKind, DeviceRule, V1Line, program, v1_lines, with_defaults};

mod devbpf_common;
use devbpf_common::*;

// ---- a model of the cgroup v1 devices controller (security/device_cgroup.c) ----

#[derive(Default)]
struct V1 {
    allow_default: bool,
    exceptions: Vec<(u32, Option<u32>, Option<u32>, u8)>, // (type, major, minor, access)
}

impl V1 {
    fn write(&mut self, l: &V1Line) {
        if l.line == "a" {
            self.allow_default = l.allow;
            self.exceptions.clear();
            return;
        }
        let f: Vec<&str> = l.line.split([' ', ':']).collect();
        let ty = if f[0] == "c" { CHAR } else { BLOCK };
        let num = |s: &str| if s == "*" { None } else { Some(s.parse::<u32>().unwrap()) };
        let (major, minor) = (num(f[1]), num(f[2]));
        let acc = Access::parse(f[3]).unwrap().bits();
        let same = |e: &&mut (u32, Option<u32>, Option<u32>, u8)| (e.0, e.1, e.2) == (ty, major, minor);
        if l.allow != self.allow_default {
            // An exception to the default: added, merged with one for the same devices.
            match self.exceptions.iter_mut().find(same) {
                Some(e) => e.3 |= acc,
                None => self.exceptions.push((ty, major, minor, acc)),
            }
        } else {
            // Same verdict as the default: removes bits from an exception for exactly these devices.
            if let Some(e) = self.exceptions.iter_mut().find(same) {
                e.3 &= !acc;
            }
            self.exceptions.retain(|e| e.3 != 0);
        }
    }

    fn decide(&self, ty: u32, major: u32, minor: u32, req: u8) -> bool {
        let dev = |e: &&(u32, Option<u32>, Option<u32>, u8)| {
            e.0 == ty && e.1.is_none_or(|m| m == major) && e.2.is_none_or(|m| m == minor)
        };
        if self.allow_default {
            // Denied when any exception matches any requested bit.
            !self.exceptions.iter().filter(dev).any(|e| e.3 & req != 0)
        } else {
            // Allowed when one exception holds every requested bit.
            self.exceptions.iter().filter(dev).any(|e| req & !e.3 == 0)
        }
    }
}

fn v1_model(lines: &[V1Line]) -> V1 {
    let mut m = V1::default();
    for l in lines {
        m.write(l);
    }
    m
}

// ---- inputs ----

/// splitmix64: a seeded PRNG, so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        v[self.below(v.len() as u64) as usize]
    }
}

const MAJORS: [u32; 6] = [1, 5, 10, 136, 7, 8];
const MINORS: [u32; 7] = [0, 1, 3, 5, 9, 200, 229];

fn random_rule(rng: &mut Rng) -> DeviceRule {
    let allow = rng.below(2) == 1;
    if rng.below(10) == 0 {
        return DeviceRule { allow, kind: DeviceKind::All, major: None, minor: None, access: Access::RWM };
    }
    let kind = rng.pick(&[DeviceKind::All, DeviceKind::Char, DeviceKind::Char, DeviceKind::Block]);
    let major = if rng.below(3) == 0 { None } else { Some(rng.pick(&MAJORS)) };
    let minor = if rng.below(3) == 0 { None } else { Some(rng.pick(&MINORS)) };
    let access = Access::from_bits_truncate(1 + rng.below(7) as u8);
    DeviceRule { allow, kind, major, minor, access }
}

/// A request: mostly devices the rules talk about, some anywhere in the kernel's 12:20-bit dev_t.
fn random_request(rng: &mut Rng) -> (u32, u32, u32, u8) {
    let ty = rng.pick(&[CHAR, BLOCK]);
    let major = if rng.below(4) == 0 { rng.below(4096) as u32 } else { rng.pick(&MAJORS) };
    let minor = if rng.below(4) == 0 { rng.below(1 << 20) as u32 } else { rng.pick(&MINORS) };
    (ty, major, minor, rng.below(8) as u8)
}

fn rule(allow: bool, kind: Option<&str>, major: Option<i64>, minor: Option<i64>) -> DeviceRule {
    DeviceRule::from_oci(allow, kind, major, minor, Some("rwm")).unwrap()
}

/// linux.resources.devices of tests/fixtures/configs/docker.json.
fn docker() -> Vec<DeviceRule> {
    let c = Some("c");
    vec![
        rule(false, None, None, None),
        rule(true, c, Some(1), Some(5)),
        rule(true, c, Some(1), Some(3)),
        rule(true, c, Some(1), Some(9)),
        rule(true, c, Some(1), Some(8)),
        rule(true, c, Some(5), Some(0)),
        rule(true, c, Some(5), Some(1)),
        rule(false, c, Some(10), Some(229)),
    ]
}

/// ... of podman.json.
fn podman() -> Vec<DeviceRule> {
    vec![rule(false, None, None, None)]
}

/// ... of containerd-ctr.json.
fn containerd_ctr() -> Vec<DeviceRule> {
    let c = Some("c");
    vec![
        rule(false, None, None, None),
        rule(true, c, Some(1), Some(3)),
        rule(true, c, Some(1), Some(8)),
        rule(true, c, Some(1), Some(7)),
        rule(true, c, Some(5), Some(0)),
        rule(true, c, Some(1), Some(5)),
        rule(true, c, Some(1), Some(9)),
        rule(true, c, Some(5), Some(1)),
        rule(true, c, Some(136), None),
        rule(true, c, Some(5), Some(2)),
    ]
}

/// Compares program and v1 lines with the reference on `n` random requests; returns whether the
/// rules had v1 lines.
fn check(rules: &[DeviceRule], rng: &mut Rng, n: usize) -> bool {
    let p = program(rules).unwrap();
    check_structure(&p);
    let v1 = v1_lines(rules).ok().map(|l| v1_model(&l));
    for _ in 0..n {
        let (ty, major, minor, req) = random_request(rng);
        let want = reference(rules, ty, major, minor, req);
        let got = decide(&p, ty, major, minor, req);
        assert_eq!(got, want, "bpf: rules {rules:?}\nrequest type {ty} {major}:{minor} access {req}\nprogram {p:?}");
        // v1 allows an empty request only for devices it has an exception for (see v1_lines).
        if let Some(m) = v1.as_ref().filter(|_| req != 0) {
            let got = m.decide(ty, major, minor, req);
            assert_eq!(got, want, "v1: rules {rules:?}\nrequest type {ty} {major}:{minor} access {req}\nlines {:?}", v1_lines(rules));
        }
    }
    v1.is_some()
}

#[test]
fn random_rule_lists_match_the_reference() {
    let mut rng = Rng(0x5eed_0001);
    let mut with_v1 = 0;
    let lists = 3000;
    for _ in 0..lists {
        let len = rng.below(10) as usize;
        let mut rules: Vec<DeviceRule> = (0..len).map(|_| random_rule(&mut rng)).collect();
        if rng.below(2) == 0 {
            rules = with_defaults(&rules);
        }
        with_v1 += check(&rules, &mut rng, 300) as usize;
    }
    // Most lists have no hole v1 cannot make; make sure the v1 comparison ran on plenty.
    assert!(with_v1 > lists / 3, "only {with_v1} of {lists} rule lists had v1 lines");
}

#[test]
fn engine_rule_lists_match_the_reference() {
    let mut rng = Rng(0x5eed_0002);
    for (name, config) in [("docker", docker()), ("podman", podman()), ("containerd-ctr", containerd_ctr())] {
        let rules = with_defaults(&config);
        assert!(check(&rules, &mut rng, 20_000), "{name}: no v1 lines");
        let p = program(&rules).unwrap();
        // Nothing before the leading "deny all" is emitted, and that rule itself is the default.
        assert!(p.len() < 80, "{name}: {} instructions", p.len());
        eprintln!("{name}: {} instructions, {} v1 lines", p.len(), v1_lines(&rules).unwrap().len());
    }
}

#[test]
fn engine_lists_decide_the_usual_devices() {
    let (r, w, m, rw) = (2u8, 4u8, 1u8, 6u8);
    let docker = program(&with_defaults(&docker())).unwrap();
    assert!(decide(&docker, CHAR, 1, 3, rw)); // /dev/null
    assert!(decide(&docker, CHAR, 136, 7, rw)); // /dev/pts/7, from the defaults
    assert!(!decide(&docker, CHAR, 10, 229, r)); // /dev/fuse denied by docker...
    assert!(decide(&docker, CHAR, 10, 229, m)); // ...but "c *:* m" comes after it
    assert!(!decide(&docker, BLOCK, 8, 0, r)); // /dev/sda
    assert!(decide(&docker, BLOCK, 8, 0, m));
    assert!(!decide(&docker, BLOCK, 8, 0, r | m));
    let podman = program(&with_defaults(&podman())).unwrap();
    assert!(decide(&podman, CHAR, 1, 5, w)); // /dev/zero only from the defaults
    assert!(decide(&podman, CHAR, 5, 1, rw)); // /dev/console
    assert!(!decide(&podman, CHAR, 4, 1, w)); // /dev/tty1
    let privileged = program(&with_defaults(&[rule(true, None, None, None)])).unwrap();
    assert_eq!(privileged.len(), 2);
    assert!(decide(&privileged, BLOCK, 8, 0, rw));
}

#[test]
fn later_rules_win_per_access_bit() {
    let c = Some("c");
    let deny_w = DeviceRule::from_oci(false, c, Some(1), Some(3), Some("w")).unwrap();
    // allow all, then deny write to 1:3: O_RDWR must fail too (runc's and crun's programs let it
    // through because no single rule covers both bits; the v1 kernel denies it, as we do).
    let p = program(&[rule(true, None, None, None), deny_w]).unwrap();
    assert!(decide(&p, CHAR, 1, 3, 2));
    assert!(!decide(&p, CHAR, 1, 3, 4));
    assert!(!decide(&p, CHAR, 1, 3, 6));
    // read and write granted by two rules: O_RDWR allowed (runc merges them, the v1 kernel too).
    let allow_r = DeviceRule::from_oci(true, c, Some(1), Some(3), Some("r")).unwrap();
    let allow_w = DeviceRule { access: Access::WRITE, ..allow_r };
    let p = program(&[allow_r, allow_w]).unwrap();
    assert!(decide(&p, CHAR, 1, 3, 6));
    assert!(!decide(&p, CHAR, 1, 3, 7));
}

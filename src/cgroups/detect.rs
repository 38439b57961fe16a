//! Which cgroup hierarchies the host has, and where the container's cgroup goes in each.
//!
//! Cheapest first: one statfs of /sys/fs/cgroup tells pure v2 (CGROUP2_SUPER_MAGIC) apart; anything
//! else reads /proc/self/mountinfo once, which also finds controllers mounted elsewhere or
//! co-mounted ("cpu,cpuacct"). /proc/self/cgroup is read only for relative paths, and then first
//! (`plan`): where it lists v1 hierarchies, mountinfo is needed anyway and says what the statfs
//! would, so the statfs is spared.
use super::{Cgroup, Hier, Mode, ctrl, fsio};
use crate::error::{Error, Quoted, Result};
use crate::rt::cs;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

const CGROUP_ROOT: &str = "/sys/fs/cgroup";
const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;

/// One cgroup hierarchy mount.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Mnt {
    pub ctrls: u16,
    pub point: String,
    /// The mount's root inside the hierarchy (mountinfo field 4), "/" normally.
    pub root: String,
}

#[derive(Debug)]
pub(crate) struct Layout {
    pub mode: Mode,
    pub mnts: Vec<Mnt>,
}

pub(crate) fn detect() -> Result<Layout> {
    if let Ok(st) = rustix::fs::statfs(cs(CGROUP_ROOT))
        && st.f_type as u64 == CGROUP2_SUPER_MAGIC
    {
        return Ok(v2_layout());
    }
    let proc = fsio::At { path: "/proc/self", fd: None };
    layout_from_mountinfo(&fsio::get_records(proc, "mountinfo")?)
}

/// `resolve(&detect()?, ..)`, one syscall cheaper on hosts with v1 hierarchies for a relative
/// cgroupsPath (the default, the container id): /proc/self/cgroup, which a relative path needs
/// anyway, is read first; if it lists a v1 hierarchy, mountinfo is read without the statfs, and
/// what mountinfo shows on /sys/fs/cgroup (the last mount there) decides pure v2 as the statfs
/// would. Otherwise (pure v2, or an absolute path) it is `detect` as before.
pub(crate) fn plan(cgroups_path: Option<&str>, id: &str) -> Result<Cgroup> {
    let relative = !cgroups_path.filter(|p| !p.is_empty()).is_some_and(|p| p.starts_with('/'));
    if !relative {
        return resolve(&detect()?, cgroups_path, id);
    }
    let proc = fsio::At { path: "/proc/self", fd: None };
    let own = fsio::get(proc, "cgroup")?;
    let layout = if parse_proc_cgroup(&own).iter().any(|(bits, _)| *bits != ctrl::UNIFIED) {
        let text = fsio::get_records(proc, "mountinfo")?;
        if top_is_cgroup2(&text) { v2_layout() } else { layout_from_mountinfo(&text)? }
    } else {
        detect()?
    };
    resolve_with(&layout, cgroups_path, id, || Ok(own))
}

fn v2_layout() -> Layout {
    let m = Mnt { ctrls: ctrl::UNIFIED, point: CGROUP_ROOT.to_string(), root: "/".to_string() };
    Layout { mode: Mode::V2, mnts: alloc::vec![m] }
}

/// Whether the last mount on /sys/fs/cgroup in a mountinfo text (the one a statfs of that path
/// sees: mountinfo lists a namespace's mounts in the order they were made) is a cgroup2.
fn top_is_cgroup2(text: &str) -> bool {
    let mut top = false;
    for line in text.lines() {
        let Some(i) = line.as_bytes().windows(3).position(|w| w == b" - ") else { continue };
        let (Some(pre), Some(post)) = (line.get(..i), line.get(i + 3..)) else { continue };
        if pre.split(' ').nth(4) == Some(CGROUP_ROOT) {
            top = post.split(' ').next() == Some("cgroup2");
        }
    }
    top
}

/// The cgroup mounts of a mountinfo text; the first mount of each hierarchy wins, except that one
/// under /sys/fs/cgroup is preferred over a bind mount elsewhere.
pub(crate) fn layout_from_mountinfo(text: &str) -> Result<Layout> {
    let mut mnts: Vec<Mnt> = Vec::new();
    for line in text.lines() {
        // Split at " - " by hand: a &str pattern would pull in core's two-way searcher (~1.5 KB).
        let Some(i) = line.as_bytes().windows(3).position(|w| w == b" - ") else { continue };
        let (Some(pre), Some(post)) = (line.get(..i), line.get(i + 3..)) else { continue };
        let mut pf = pre.split(' ').skip(3);
        let (Some(root), Some(point)) = (pf.next(), pf.next()) else { continue };
        let mut qf = post.split(' ');
        let (Some(fstype), _, Some(opts)) = (qf.next(), qf.next(), qf.next()) else { continue };
        let ctrls = match fstype {
            "cgroup" => ctrl::parse_list(opts),
            "cgroup2" => ctrl::UNIFIED,
            _ => 0,
        };
        if ctrls == 0 {
            continue;
        }
        let m = Mnt { ctrls, point: unescape(point), root: unescape(root) };
        match mnts.iter_mut().find(|o| o.ctrls == ctrls) {
            Some(o) => {
                if !under_root(&o.point) && under_root(&m.point) {
                    *o = m;
                }
            }
            None => mnts.push(m),
        }
    }
    let v1 = mnts.iter().any(|m| m.ctrls != ctrl::UNIFIED);
    let v2 = mnts.iter().any(|m| m.ctrls == ctrl::UNIFIED);
    let mode = match (v1, v2) {
        (true, true) => Mode::Hybrid,
        (true, false) => Mode::V1,
        (false, true) => Mode::V2,
        (false, false) => crate::bail!("cgroup: no cgroup filesystem is mounted (/proc/self/mountinfo)"),
    };
    Ok(Layout { mode, mnts })
}

fn under_root(p: &str) -> bool {
    p.strip_prefix(CGROUP_ROOT).is_some_and(|r| r.is_empty() || r.starts_with('/'))
}

/// An absolute path without empty, "." or ".." components: what a cgroup directory rsrun makes
/// (and later removes) must be.
pub(crate) fn is_clean_abs(p: &str) -> bool {
    p.starts_with('/') && p.split('/').skip(1).all(|c| !matches!(c, "" | "." | ".."))
}

/// A cgroup directory path that stays inside /sys/fs/cgroup: the only place `delete` removes
/// directories from (state.json is checked with this before anything is removed).
pub(crate) fn is_cgroup_dir(mount: &str, path: &str) -> bool {
    under_root(mount) && is_clean_abs(mount) && is_clean_abs(path)
}

/// mountinfo escapes space, tab, newline and backslash as \ooo (one decoder, shared with the init's).
fn unescape(s: &str) -> String {
    crate::init::mountinfo::unescape(s).into_owned()
}

/// runc's CleanPath: lexical cleaning where a relative path can never climb above its start
/// ("../../x" is "x"). Returns (absolute?, cleaned path without leading slash).
pub fn clean_path(p: &str) -> (bool, String) {
    let mut parts: Vec<&str> = Vec::new();
    for c in p.split('/') {
        match c {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            c => parts.push(c),
        }
    }
    (p.starts_with('/'), crate::rt::join(&parts, "/"))
}

/// The runtime's own cgroup per hierarchy, from /proc/self/cgroup ("4:memory:/a", "0::/b").
pub(crate) fn parse_proc_cgroup(text: &str) -> Vec<(u16, &str)> {
    text.lines()
        .filter_map(|l| {
            let mut f = l.splitn(3, ':');
            let (_, list, path) = (f.next()?, f.next()?, f.next()?);
            let bits = if list.is_empty() { ctrl::UNIFIED } else { ctrl::parse_list(list) };
            (bits != 0).then_some((bits, path))
        })
        .collect()
}

/// Where the container's cgroup goes in every hierarchy, exactly as runc's cgroupfs driver puts it:
/// - absolute `cgroupsPath`: the same path under every mount point;
/// - relative (and the default, the container id): below the runtime's own cgroup in each
///   hierarchy (v1 and hybrid), or below the *parent* of its own cgroup on pure v2 (which has
///   processes in it, so it cannot enable controllers for children).
pub(crate) fn resolve(layout: &Layout, cgroups_path: Option<&str>, id: &str) -> Result<Cgroup> {
    resolve_with(layout, cgroups_path, id, || fsio::get(fsio::At { path: "/proc/self", fd: None }, "cgroup"))
}

/// `detect` + `resolve` on given /proc/self/mountinfo and /proc/self/cgroup texts, without a
/// syscall: the whole text-to-paths path, for fuzz/fuzz_targets/mountinfo.rs.
#[doc(hidden)]
pub fn resolve_from_texts(mountinfo: &str, proc_cgroup: &str, cgroups_path: Option<&str>, id: &str) -> Result<Cgroup> {
    resolve_with(&layout_from_mountinfo(mountinfo)?, cgroups_path, id, || Ok(proc_cgroup.into()))
}

/// `resolve` with the reading of /proc/self/cgroup (only needed for relative paths) given.
fn resolve_with(
    layout: &Layout,
    cgroups_path: Option<&str>,
    id: &str,
    own_cgroups: impl FnOnce() -> Result<String>,
) -> Result<Cgroup> {
    let given = cgroups_path.filter(|p| !p.is_empty());
    let (abs, inner) = clean_path(given.unwrap_or(id));
    if inner.is_empty() {
        let what = if abs { "the root cgroup" } else { "the runtime's own cgroup" };
        crate::bail!("linux.cgroupsPath: {} names {what}", Quoted::str(given.unwrap_or(id)));
    }
    let own_text = match abs {
        true => String::new(),
        false => own_cgroups()?,
    };
    resolve_in(layout, abs, &inner, &parse_proc_cgroup(&own_text))
}

/// `resolve` with the runtime's own cgroups given (`own` is unused for absolute paths).
pub(crate) fn resolve_in(layout: &Layout, abs: bool, inner: &str, own: &[(u16, &str)]) -> Result<Cgroup> {
    let mut hier = Vec::with_capacity(layout.mnts.len());
    for m in &layout.mnts {
        let mut dir = m.point.clone();
        if !abs {
            let Some(&(_, mine)) = own.iter().find(|(b, _)| *b == m.ctrls) else {
                let mut n = String::new();
                ctrl::names(m.ctrls, &mut n);
                return Err(Error::msg(format_args!("cgroup: no {} entry in /proc/self/cgroup", Quoted::str(&n))));
            };
            let mut base = match m.root.as_str() {
                "/" => mine,
                r => mine.strip_prefix(r).unwrap_or(mine),
            };
            if layout.mode == Mode::V2 {
                base = fsio::parent(base);
            }
            dir.push_str(crate::rt::trim_end(base, b'/'));
        }
        dir.push('/');
        dir.push_str(inner);
        // state.json keeps (mount, path below it), and delete refuses anything else: outside
        // /sys/fs/cgroup, or "..", "." or empty components (a runtime whose own cgroup lies outside
        // its cgroup namespace sees "/../x" in /proc/self/cgroup).
        if !is_cgroup_dir(&m.point, crate::rt::tail(&dir, m.point.len())) {
            crate::bail!("cgroup: {} is not a directory below /sys/fs/cgroup rsrun can manage", Quoted::str(&dir));
        }
        hier.push(Hier { ctrls: m.ctrls, mnt: m.point.len(), dir, created: 0, fd: None });
    }
    if layout.mode != Mode::V2 && !hier.iter().any(|h| h.ctrls & ctrl::DEVICES != 0) {
        // As runc: without the devices controller the container would see every host device.
        crate::bail!("cgroup v1: the devices controller is not mounted");
    }
    Ok(Cgroup { mode: layout.mode, hier, systemd: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HYBRID: &str = "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:9 - cgroup cgroup rw,cpu,cpuacct
35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
36 31 0:33 / /sys/fs/cgroup/devices rw,relatime - cgroup cgroup rw,devices
40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
50 23 0:32 /docker /mnt/mem\\040x rw - cgroup cgroup rw,memory
";

    /// What `plan` uses instead of a statfs: the last mount on /sys/fs/cgroup decides pure v2.
    #[test]
    fn top_mount_of_sys_fs_cgroup() {
        assert!(!top_is_cgroup2(HYBRID));
        let v2_with_v1_elsewhere = "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n\
                                    40 23 0:38 / /run/systemd-v1 rw - cgroup cgroup rw,name=systemd\n";
        assert!(top_is_cgroup2(v2_with_v1_elsewhere));
        let tmpfs_over_v2 = "30 23 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n\
                             31 30 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n";
        assert!(!top_is_cgroup2(tmpfs_over_v2));
        let v2_over_tmpfs = "31 23 0:28 / /sys/fs/cgroup rw - tmpfs tmpfs rw\n\
                             32 31 0:27 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n";
        assert!(top_is_cgroup2(v2_over_tmpfs));
        assert!(!top_is_cgroup2(""));
    }

    #[test]
    fn mountinfo_hybrid_comounted_and_duplicates() {
        let l = layout_from_mountinfo(HYBRID).unwrap();
        assert_eq!(l.mode, Mode::Hybrid);
        let pts: Vec<_> = l.mnts.iter().map(|m| (m.ctrls, m.point.as_str())).collect();
        assert_eq!(
            pts,
            [
                (ctrl::CPU | ctrl::CPUACCT, "/sys/fs/cgroup/cpu,cpuacct"),
                (ctrl::MEMORY, "/sys/fs/cgroup/memory"),
                (ctrl::DEVICES, "/sys/fs/cgroup/devices"),
                (ctrl::bit("name=systemd"), "/sys/fs/cgroup/systemd"),
                (ctrl::UNIFIED, "/sys/fs/cgroup/unified"),
            ]
        );
    }

    #[test]
    fn mountinfo_elsewhere_and_escapes() {
        let t = "50 23 0:32 /docker /mnt/mem\\040x rw - cgroup cgroup rw,memory\n\
                 51 23 0:33 / /cg/dev rw - cgroup cgroup rw,devices\n";
        let l = layout_from_mountinfo(t).unwrap();
        assert_eq!(l.mode, Mode::V1);
        assert_eq!(l.mnts[0], Mnt { ctrls: ctrl::MEMORY, point: "/mnt/mem x".into(), root: "/docker".into() });
        assert!(layout_from_mountinfo("1 2 0:1 / / rw - ext4 /dev/sda rw\n").is_err());
        let v2 = layout_from_mountinfo("1 2 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n").unwrap();
        assert_eq!(v2.mode, Mode::V2);
    }

    #[test]
    fn clean_path_like_runc() {
        assert_eq!(clean_path("/a/b/../c/"), (true, "a/c".into()));
        assert_eq!(clean_path("../../x"), (false, "x".into()));
        assert_eq!(clean_path("a/../../.."), (false, "".into()));
        assert_eq!(clean_path("/.."), (true, "".into()));
        assert_eq!(clean_path("x//y/./z"), (false, "x/y/z".into()));
    }

    #[test]
    fn resolve_relative_absolute_and_default() {
        let l = layout_from_mountinfo(HYBRID).unwrap();
        let cg = resolve(&l, Some("/docker/c1"), "id").unwrap();
        let dirs: Vec<_> = cg.dirs().collect();
        assert_eq!(dirs[0], "/sys/fs/cgroup/cpu,cpuacct/docker/c1");
        assert_eq!(dirs[4], "/sys/fs/cgroup/unified/docker/c1");
        assert_eq!(cg.hier[0].mnt, "/sys/fs/cgroup/cpu,cpuacct".len());
        assert!(resolve(&l, Some("/"), "id").unwrap_err().to_string().contains("root cgroup"));
        assert!(resolve(&l, Some(".."), "id").unwrap_err().to_string().contains("own cgroup"));
        let own = parse_proc_cgroup("4:memory:/a/b\n3:devices:/\n2:cpu,cpuacct:/c\n1:name=systemd:/s\n0::/u/v\n");
        let cg = resolve_in(&l, false, "x/y", &own).unwrap();
        let dirs: Vec<_> = cg.dirs().collect();
        assert_eq!(
            dirs,
            [
                "/sys/fs/cgroup/cpu,cpuacct/c/x/y",
                "/sys/fs/cgroup/memory/a/b/x/y",
                "/sys/fs/cgroup/devices/x/y",
                "/sys/fs/cgroup/systemd/s/x/y",
                "/sys/fs/cgroup/unified/u/v/x/y",
            ]
        );
        // Pure v2: below the parent of the runtime's own cgroup, as runc's fs2 driver.
        let v2 = layout_from_mountinfo("1 2 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n").unwrap();
        let cg = resolve_in(&v2, false, "id", &parse_proc_cgroup("0::/user.slice/s.scope\n")).unwrap();
        assert_eq!(cg.dirs().collect::<Vec<_>>(), ["/sys/fs/cgroup/user.slice/id"]);
        let cg = resolve_in(&v2, false, "id", &parse_proc_cgroup("0::/\n")).unwrap();
        assert_eq!(cg.dirs().collect::<Vec<_>>(), ["/sys/fs/cgroup/id"]);
        // A mount whose root is a sub-cgroup (inside a cgroup namespace or bind mount).
        let sub = layout_from_mountinfo("50 23 0:32 /docker /sys/fs/cgroup/m rw - cgroup cgroup rw,memory,devices\n")
            .unwrap();
        let cg = resolve_in(&sub, false, "id", &parse_proc_cgroup("4:memory,devices:/docker/a\n")).unwrap();
        assert_eq!(cg.dirs().collect::<Vec<_>>(), ["/sys/fs/cgroup/m/a/id"]);
    }

    #[test]
    fn resolve_stays_below_sys_fs_cgroup() {
        // delete only removes directories below /sys/fs/cgroup (state.rs): create makes no others.
        let elsewhere = layout_from_mountinfo("50 23 0:32 / /cg/mem rw - cgroup cgroup rw,memory,devices\n").unwrap();
        let e = resolve_in(&elsewhere, true, "id", &[]).unwrap_err().to_string();
        assert!(e.contains("\"/cg/mem/id\" is not a directory below /sys/fs/cgroup"), "{e}");
        // Our own cgroup outside our cgroup namespace: /proc/self/cgroup shows it with "..".
        let v2 = layout_from_mountinfo("1 2 0:1 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n").unwrap();
        for own in ["0::/../../x/y\n", "0::/a//b/c\n", "0::/a/./b\n"] {
            assert!(resolve_in(&v2, false, "id", &parse_proc_cgroup(own)).is_err(), "{own}");
        }
        let e = resolve_from_texts("1 2 0:1 / /sys/fs/cgroup/../.. rw - cgroup2 cgroup2 rw\n", "", Some("/a"), "id");
        assert!(e.is_err());
        let cg = resolve_from_texts(HYBRID, "", Some("/a"), "id").unwrap();
        assert_eq!(cg.dirs().next(), Some("/sys/fs/cgroup/cpu,cpuacct/a"));
    }

    #[test]
    fn proc_cgroup_lines() {
        let own = parse_proc_cgroup("4:memory:/a/b\n1:cpu,cpuacct:/\n9:name=systemd:/s\n0::/u\n");
        assert_eq!(
            own,
            [
                (ctrl::MEMORY, "/a/b"),
                (ctrl::CPU | ctrl::CPUACCT, "/"),
                (ctrl::bit("name=systemd"), "/s"),
                (ctrl::UNIFIED, "/u")
            ]
        );
    }
}

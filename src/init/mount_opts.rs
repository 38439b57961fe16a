//! `mounts[].options` as runc reads them: mount(2) flags, propagation changes, recursive attributes
//! (mount_setattr with AT_RECURSIVE), the `tmpcopyup` extension, `idmap`/`ridmap`, and everything
//! else joined with "," as filesystem data ("mode=755", "size=65536k", "newinstance", ...).
//!
//! Later options override earlier ones ("ro" then "rw" is rw). Two deliberate differences from runc
//! 1.2, both where runc produces a mount(2)/mount_setattr error: "defaults" is a no-op (runc passes it
//! to the filesystem as data, which tmpfs rejects), and "ratime"/"rnostrictatime" select relatime
//! (runc clears a single atime bit, which mount_setattr refuses with EINVAL).
use alloc::string::String;
use alloc::vec::Vec;
use crate::rt::table::Table;
use linux_raw_sys::general as g;

/// MS_* flags that describe one mount point (not the superblock): what a bind remount can change.
pub const PER_MOUNT: u32 =
    g::MS_RDONLY | g::MS_NOSUID | g::MS_NODEV | g::MS_NOEXEC | g::MS_NOSYMFOLLOW | g::MS_NODIRATIME;
/// The three atime modes (an enum in the kernel, flags in mount(2)).
pub const ATIME: u32 = g::MS_NOATIME | g::MS_RELATIME | g::MS_STRICTATIME;

/// How `idmap`/`ridmap` (or uidMappings/gidMappings without either) asked for an id-mapped mount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Idmap {
    /// `idmap`, or mappings without an option: the top mount of the bind is id-mapped.
    Plain,
    /// `ridmap`: every mount of an `rbind` tree is id-mapped (mount_setattr with AT_RECURSIVE).
    Recursive,
}

/// One mount's options, parsed.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MountOpts {
    /// MS_* flags to set (including MS_BIND, MS_REC, MS_REMOUNT).
    pub flags: u32,
    /// MS_* flags the options explicitly clear ("rw", "suid", "dev", "exec", "atime", ...).
    pub cleared: u32,
    /// Propagation changes in the order given: MS_SHARED/MS_SLAVE/MS_PRIVATE/MS_UNBINDABLE [| MS_REC].
    pub propagation: Vec<u32>,
    /// MOUNT_ATTR_* to set on the whole tree (rro, rnosuid, ...).
    pub rec_set: u32,
    /// MOUNT_ATTR_* to clear on the whole tree (rrw, rsuid, ...; MOUNT_ATTR__ATIME for an atime change).
    pub rec_clr: u32,
    /// `tmpcopyup`: copy the existing contents of the destination into the new tmpfs.
    pub copyup: bool,
    pub idmap: Option<Idmap>,
    /// Unknown options, joined with ",": passed to the filesystem as mount(2) data.
    pub data: String,
}

impl MountOpts {
    pub fn is_bind(&self) -> bool {
        self.flags & g::MS_BIND != 0
    }
    pub fn is_recursive_bind(&self) -> bool {
        self.flags & (g::MS_BIND | g::MS_REC) == g::MS_BIND | g::MS_REC
    }
    /// runc remounts a bind mount only when some flag beyond bind/rec/remount is set or one is
    /// explicitly cleared; otherwise the bind keeps the source's flags.
    pub fn bind_needs_attrs(&self) -> bool {
        self.flags & !(g::MS_BIND | g::MS_REC | g::MS_REMOUNT) != 0 || self.cleared != 0
    }
    pub fn has_rec_attrs(&self) -> bool {
        self.rec_set != 0 || self.rec_clr != 0
    }
}

/// `(name, (clears?, MS_* flag))`: the mount(2) flag words runc knows.
const FLAGS: Table<(bool, u32)> = crate::table![
    ("async", (true, g::MS_SYNCHRONOUS)),
    ("atime", (true, g::MS_NOATIME)),
    ("bind", (false, g::MS_BIND)),
    ("defaults", (false, 0)),
    ("dev", (true, g::MS_NODEV)),
    ("diratime", (true, g::MS_NODIRATIME)),
    ("dirsync", (false, g::MS_DIRSYNC)),
    ("exec", (true, g::MS_NOEXEC)),
    ("iversion", (false, g::MS_I_VERSION)),
    ("lazytime", (false, g::MS_LAZYTIME)),
    ("loud", (true, g::MS_SILENT)),
    ("mand", (false, g::MS_MANDLOCK)),
    ("noatime", (false, g::MS_NOATIME)),
    ("nodev", (false, g::MS_NODEV)),
    ("nodiratime", (false, g::MS_NODIRATIME)),
    ("noexec", (false, g::MS_NOEXEC)),
    ("noiversion", (true, g::MS_I_VERSION)),
    ("nolazytime", (true, g::MS_LAZYTIME)),
    ("nomand", (true, g::MS_MANDLOCK)),
    ("norelatime", (true, g::MS_RELATIME)),
    ("nostrictatime", (true, g::MS_STRICTATIME)),
    ("nosuid", (false, g::MS_NOSUID)),
    ("nosymfollow", (false, g::MS_NOSYMFOLLOW)),
    ("rbind", (false, g::MS_BIND | g::MS_REC)),
    ("relatime", (false, g::MS_RELATIME)),
    ("remount", (false, g::MS_REMOUNT)),
    ("ro", (false, g::MS_RDONLY)),
    ("rw", (true, g::MS_RDONLY)),
    ("silent", (false, g::MS_SILENT)),
    ("strictatime", (false, g::MS_STRICTATIME)),
    ("suid", (true, g::MS_NOSUID)),
    ("symfollow", (true, g::MS_NOSYMFOLLOW)),
    ("sync", (false, g::MS_SYNCHRONOUS)),
];

/// Propagation words and the mount(2) flags they mean.
pub const PROPAGATION: Table<u32> = crate::table![
    ("private", g::MS_PRIVATE),
    ("rprivate", g::MS_PRIVATE | g::MS_REC),
    ("shared", g::MS_SHARED),
    ("rshared", g::MS_SHARED | g::MS_REC),
    ("slave", g::MS_SLAVE),
    ("rslave", g::MS_SLAVE | g::MS_REC),
    ("unbindable", g::MS_UNBINDABLE),
    ("runbindable", g::MS_UNBINDABLE | g::MS_REC),
];

/// Marks an atime mode change in `REC_ATTRS`: set this mode and clear MOUNT_ATTR__ATIME.
const ATIME_MODE: u32 = 1 << 31;

/// `(name, (clears?, MOUNT_ATTR_*))`: recursive attributes, applied with mount_setattr(AT_RECURSIVE).
const REC_ATTRS: Table<(bool, u32)> = crate::table![
    ("rro", (false, g::MOUNT_ATTR_RDONLY)),
    ("rrw", (true, g::MOUNT_ATTR_RDONLY)),
    ("rnosuid", (false, g::MOUNT_ATTR_NOSUID)),
    ("rsuid", (true, g::MOUNT_ATTR_NOSUID)),
    ("rnodev", (false, g::MOUNT_ATTR_NODEV)),
    ("rdev", (true, g::MOUNT_ATTR_NODEV)),
    ("rnoexec", (false, g::MOUNT_ATTR_NOEXEC)),
    ("rexec", (true, g::MOUNT_ATTR_NOEXEC)),
    ("rnodiratime", (false, g::MOUNT_ATTR_NODIRATIME)),
    ("rdiratime", (true, g::MOUNT_ATTR_NODIRATIME)),
    ("rrelatime", (false, ATIME_MODE | g::MOUNT_ATTR_RELATIME)),
    ("rnorelatime", (true, 0)),
    ("rnoatime", (false, ATIME_MODE | g::MOUNT_ATTR_NOATIME)),
    ("ratime", (false, ATIME_MODE | g::MOUNT_ATTR_RELATIME)),
    ("rstrictatime", (false, ATIME_MODE | g::MOUNT_ATTR_STRICTATIME)),
    ("rnostrictatime", (false, ATIME_MODE | g::MOUNT_ATTR_RELATIME)),
    ("rnosymfollow", (false, g::MOUNT_ATTR_NOSYMFOLLOW)),
    ("rsymfollow", (true, g::MOUNT_ATTR_NOSYMFOLLOW)),
];

/// Every option word rsrun interprets (the rest is filesystem data); `features` lists these.
pub fn known_options() -> impl Iterator<Item = &'static str> {
    FLAGS.names().chain(PROPAGATION.names()).chain(REC_ATTRS.names()).chain(["tmpcopyup", "idmap", "ridmap"])
}

/// Parses `mounts[].options`. Never fails: what is not a known word is filesystem data, as in runc.
pub fn parse<S: AsRef<str>>(options: &[S]) -> MountOpts {
    let mut m = MountOpts::default();
    for o in options {
        let o = o.as_ref();
        if let Some(&(clear, flag)) = FLAGS.get(o) {
            if clear {
                m.flags &= !flag;
                m.cleared |= flag;
            } else {
                m.flags |= flag;
                m.cleared &= !flag;
            }
        } else if let Some(&p) = PROPAGATION.get(o) {
            m.propagation.push(p);
        } else if let Some(&(clear, attr)) = REC_ATTRS.get(o) {
            if attr & ATIME_MODE != 0 {
                m.rec_clr |= g::MOUNT_ATTR__ATIME;
                m.rec_set = (m.rec_set & !g::MOUNT_ATTR__ATIME) | (attr & !ATIME_MODE);
            } else if clear {
                m.rec_clr |= attr;
                m.rec_set &= !attr;
            } else {
                m.rec_set |= attr;
                m.rec_clr &= !attr;
            }
        } else if o == "tmpcopyup" {
            m.copyup = true;
        } else if o == "idmap" {
            m.idmap = Some(Idmap::Plain);
        } else if o == "ridmap" {
            m.idmap = Some(Idmap::Recursive);
        } else {
            if !m.data.is_empty() {
                m.data.push(',');
            }
            m.data.push_str(o);
        }
    }
    m
}

/// The MOUNT_ATTR_* equivalent of the per-mount MS_* flags in `ms` (atime excluded).
pub fn attrs_of(ms: u32) -> u32 {
    let mut a = 0;
    for (f, attr) in [
        (g::MS_RDONLY, g::MOUNT_ATTR_RDONLY),
        (g::MS_NOSUID, g::MOUNT_ATTR_NOSUID),
        (g::MS_NODEV, g::MOUNT_ATTR_NODEV),
        (g::MS_NOEXEC, g::MOUNT_ATTR_NOEXEC),
        (g::MS_NOSYMFOLLOW, g::MOUNT_ATTR_NOSYMFOLLOW),
        (g::MS_NODIRATIME, g::MOUNT_ATTR_NODIRATIME),
    ] {
        if ms & f != 0 {
            a |= attr;
        }
    }
    a
}

/// `(attr_set, attr_clr)` for mount_setattr that gives a bind mount the flags of `opts`.
///
/// `replace` emulates runc's `MS_BIND|MS_REMOUNT|flags` (what `mount --bind -o` means): every
/// per-mount flag not asked for is cleared. Without `replace`, only what the options explicitly
/// clear is cleared (runc's retry when a locked flag made the first remount fail with EPERM).
/// The atime mode changes only when an atime option is given, as the kernel does for a remount.
pub fn bind_attrs(opts: &MountOpts, replace: bool) -> (u32, u32) {
    let set = attrs_of(opts.flags);
    let mut clr = if replace {
        attrs_of(PER_MOUNT & !g::MS_NODIRATIME) & !set
    } else {
        attrs_of(opts.cleared & PER_MOUNT)
    };
    let mut set = set & !g::MOUNT_ATTR_NODIRATIME;
    let atime_given = opts.flags & (ATIME | g::MS_NODIRATIME) != 0;
    if atime_given {
        clr |= g::MOUNT_ATTR__ATIME | g::MOUNT_ATTR_NODIRATIME;
        set |= if opts.flags & g::MS_STRICTATIME != 0 {
            g::MOUNT_ATTR_STRICTATIME
        } else if opts.flags & g::MS_NOATIME != 0 {
            g::MOUNT_ATTR_NOATIME
        } else {
            g::MOUNT_ATTR_RELATIME
        };
        if opts.flags & g::MS_NODIRATIME != 0 {
            set |= g::MOUNT_ATTR_NODIRATIME;
            clr &= !g::MOUNT_ATTR_NODIRATIME;
        }
    } else if opts.cleared & g::MS_NODIRATIME != 0 {
        clr |= g::MOUNT_ATTR_NODIRATIME;
    }
    (set, clr)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_data_and_overrides() {
        let m = parse(&["nosuid", "strictatime", "mode=755", "size=65536k", "ro", "rw"]);
        assert_eq!(m.flags, g::MS_NOSUID | g::MS_STRICTATIME);
        assert_eq!(m.cleared, g::MS_RDONLY);
        assert_eq!(m.data, "mode=755,size=65536k");
        let m = parse(&["newinstance", "ptmxmode=0666", "mode=0620", "gid=5", "defaults"]);
        assert_eq!(m.flags, 0);
        assert_eq!(m.data, "newinstance,ptmxmode=0666,mode=0620,gid=5");
        let m = parse(&["rw", "ro"]);
        assert_eq!((m.flags, m.cleared), (g::MS_RDONLY, 0));
        assert_eq!(parse(&["acl", "x-foo"]).data, "acl,x-foo");
    }

    #[test]
    fn bind_propagation_recursive() {
        let m = parse(&["rbind", "rprivate", "rro", "rnosuid", "rsuid", "shared"]);
        assert!(m.is_bind() && m.is_recursive_bind());
        assert_eq!(m.propagation, [g::MS_PRIVATE | g::MS_REC, g::MS_SHARED]);
        assert_eq!(m.rec_set, g::MOUNT_ATTR_RDONLY);
        assert_eq!(m.rec_clr, g::MOUNT_ATTR_NOSUID);
        assert!(!m.bind_needs_attrs());
        let m = parse(&["bind", "rnoatime"]);
        assert_eq!((m.rec_set, m.rec_clr), (g::MOUNT_ATTR_NOATIME, g::MOUNT_ATTR__ATIME));
        let m = parse(&["bind", "rnoatime", "rrelatime"]);
        assert_eq!((m.rec_set, m.rec_clr), (g::MOUNT_ATTR_RELATIME, g::MOUNT_ATTR__ATIME));
        let m = parse(&["tmpcopyup", "ridmap"]);
        assert!(m.copyup && m.idmap == Some(Idmap::Recursive));
        assert!(parse(&["bind", "rw"]).bind_needs_attrs());
        assert!(!parse(&["bind", "remount"]).bind_needs_attrs());
    }

    #[test]
    fn bind_attr_semantics() {
        // "ro" replaces: everything else per-mount is cleared, atime untouched.
        let (set, clr) = bind_attrs(&parse(&["bind", "ro"]), true);
        assert_eq!(set, g::MOUNT_ATTR_RDONLY);
        assert_eq!(clr, g::MOUNT_ATTR_NOSUID | g::MOUNT_ATTR_NODEV | g::MOUNT_ATTR_NOEXEC | g::MOUNT_ATTR_NOSYMFOLLOW);
        // Preserve mode clears only what was asked.
        let (set, clr) = bind_attrs(&parse(&["bind", "ro", "exec"]), false);
        assert_eq!((set, clr), (g::MOUNT_ATTR_RDONLY, g::MOUNT_ATTR_NOEXEC));
        // Atime: strictatime wins, nodiratime kept.
        let (set, clr) = bind_attrs(&parse(&["bind", "noatime", "strictatime", "nodiratime"]), true);
        assert_eq!(set & g::MOUNT_ATTR__ATIME, g::MOUNT_ATTR_STRICTATIME);
        assert!(set & g::MOUNT_ATTR_NODIRATIME != 0 && clr & g::MOUNT_ATTR__ATIME == g::MOUNT_ATTR__ATIME);
        let (set, _) = bind_attrs(&parse(&["bind", "noatime"]), true);
        assert_eq!(set, g::MOUNT_ATTR_NOATIME);
    }

    #[test]
    fn every_runc_word_is_known() {
        let runc = [
            "async", "atime", "bind", "defaults", "dev", "diratime", "dirsync", "exec", "iversion", "lazytime",
            "loud", "mand", "noatime", "nodev", "nodiratime", "noexec", "noiversion", "nolazytime", "nomand",
            "norelatime", "nostrictatime", "nosuid", "nosymfollow", "private", "ratime", "rbind", "rdev",
            "rdiratime", "relatime", "remount", "rexec", "rnoatime", "rnodev", "rnodiratime", "rnoexec",
            "rnorelatime", "rnostrictatime", "rnosuid", "rnosymfollow", "ro", "rprivate", "rrelatime", "rro",
            "rrw", "rshared", "rslave", "rstrictatime", "rsuid", "rsymfollow", "runbindable", "rw", "shared",
            "silent", "slave", "strictatime", "suid", "symfollow", "sync", "tmpcopyup", "unbindable", "idmap",
            "ridmap",
        ];
        for w in runc {
            assert!(known_options().any(|k| k == w), "{w}");
            assert_eq!(parse(&[w]).data, "", "{w}");
        }
    }
}

//! The container's cgroup: found (v1, v2 or hybrid), created before the container's first process,
//! limited by `linux.resources`, and later frozen, listed, measured, killed, updated and removed.
//!
//! One `Cgroup` value holds one directory per hierarchy: on cgroup v2 a single one; on v1 one per
//! mounted controller hierarchy (`cpu` and `cpuacct` are separate or co-mounted, `name=systemd`
//! too); on a hybrid host those plus the cgroup2 mount (usually /sys/fs/cgroup/unified), as runc
//! does. It records how many trailing path components rsrun created in each hierarchy, so `destroy`
//! removes exactly those (and whatever sub-cgroups the container made inside its own cgroup).
//!
//! Lifecycle, in the order the verbs call it:
//! - `create` (before clone3): detect, resolve `linux.cgroupsPath` as runc does, mkdir, apply limits;
//! - `apply_devices` (integration point for src/bpf), then `clone_into_fd` for CLONE_INTO_CGROUP,
//!   `join_v1(pid)` for the v1 hierarchies (or `join(pid)` for everything, e.g. `exec`);
//! - `to_json` into state.json; later verbs rebuild it with `from_json` (no detection syscalls);
//! - `freeze`/`thaw`/`is_frozen`, `pids`, `stats`, `oom_kill_count`, `kill_all`, `update`, `destroy`.
//!
//! Syscall economy: v1 files are opened by absolute path (one openat, no directory fds); v2 files
//! relative to the one directory fd that CLONE_INTO_CGROUP needs anyway. Only fields that are set
//! are written; nothing is read back unless a kernel rule needs it.
mod detect;
#[cfg(test)]
mod fake_tree_tests;
mod freezer;
mod fsio;
mod resources_v1;
mod resources_v2;
mod state;
mod stats;
pub mod systemd;
mod v1;
mod v2;

use crate::error::{Error, Result};
use crate::spec::Resources;
use alloc::string::String;
use alloc::vec::Vec;
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};

pub use detect::clean_path;
#[doc(hidden)]
pub use detect::resolve_from_texts;
pub use resources_v2::{blkio_weight_to_io_weight, shares_to_weight};

/// How the host mounts cgroups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Controllers in v1 hierarchies only.
    V1,
    /// v1 controller hierarchies plus a cgroup2 mount (normally without controllers).
    Hybrid,
    /// One cgroup2 hierarchy with every controller.
    V2,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::V1 => "v1",
            Mode::Hybrid => "hybrid",
            Mode::V2 => "v2",
        }
    }
}

/// Controller bits of a hierarchy. The names are the v1 subsystem names runc creates cgroups in.
pub(crate) mod ctrl {
    pub const CPUSET: u16 = 1 << 0;
    pub const DEVICES: u16 = 1 << 1;
    pub const MEMORY: u16 = 1 << 2;
    pub const CPU: u16 = 1 << 3;
    pub const CPUACCT: u16 = 1 << 4;
    pub const PIDS: u16 = 1 << 5;
    pub const BLKIO: u16 = 1 << 6;
    pub const HUGETLB: u16 = 1 << 7;
    pub const NET_CLS: u16 = 1 << 8;
    pub const NET_PRIO: u16 = 1 << 9;
    pub const FREEZER: u16 = 1 << 11;
    pub const RDMA: u16 = 1 << 12;
    /// The cgroup2 hierarchy (pure v2, or the unified mount of a hybrid host).
    pub const UNIFIED: u16 = 1 << 15;

    /// Bit i is `NAMES[i]` (perf_event and name=systemd have no constant: nothing writes to them).
    pub const NAMES: crate::rt::table::Names = crate::names![
        "cpuset",
        "devices",
        "memory",
        "cpu",
        "cpuacct",
        "pids",
        "blkio",
        "hugetlb",
        "net_cls",
        "net_prio",
        "perf_event",
        "freezer",
        "rdma",
        "name=systemd",
    ];

    pub fn bit(name: &str) -> u16 {
        NAMES.position(name).map_or(0, |i| 1 << i)
    }

    /// Bits of a comma-separated list ("cpu,cpuacct", "rw,relatime,memory"); unknown words ignored.
    pub fn parse_list(list: &str) -> u16 {
        list.split(',').fold(0, |acc, w| acc | bit(w))
    }

    /// "cpu,cpuacct" for a set of bits; "" for the cgroup2 hierarchy.
    pub fn names(bits: u16, out: &mut alloc::string::String) {
        for (i, n) in NAMES.iter().enumerate() {
            if bits & (1 << i) != 0 {
                if !out.is_empty() {
                    out.push(',');
                }
                out.push_str(n);
            }
        }
    }
}

/// The container's directory in one hierarchy.
#[derive(Debug)]
pub(crate) struct Hier {
    pub ctrls: u16,
    /// Absolute path of the container's cgroup directory.
    pub dir: String,
    /// `dir[..mnt]` is the hierarchy's mount point.
    pub mnt: usize,
    /// How many trailing components of `dir` rsrun created (0: the directory existed before).
    pub created: u16,
    /// Open directory (cgroup2 only): CLONE_INTO_CGROUP, the device filter, and openat for files.
    pub fd: Option<OwnedFd>,
}

impl Hier {
    pub fn at(&self) -> fsio::At<'_> {
        fsio::At { path: &self.dir, fd: self.fd.as_ref().map(|f| f.as_fd()) }
    }
}

/// The container's cgroup in every hierarchy it uses.
#[derive(Debug)]
pub struct Cgroup {
    pub(crate) mode: Mode,
    pub(crate) hier: Vec<Hier>,
    /// The systemd unit holding the cgroup (`--systemd-cgroup`); None with the cgroupfs driver.
    pub(crate) systemd: Option<alloc::boxed::Box<systemd::Scope>>,
}

/// Why resources are being written: a fresh cgroup, or `update` of a running container.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Apply {
    Create,
    Update,
}

impl Cgroup {
    /// Creates the container's cgroup and applies `res` (everything but `devices`, see
    /// `apply_devices`). `cgroups_path` is `linux.cgroupsPath` (absent or empty: `id` relative to the
    /// runtime's own cgroup, as runc does). On error, whatever was created is removed again.
    pub fn create(cgroups_path: Option<&str>, id: &str, res: Option<&Resources<'_>>) -> Result<Self> {
        let mut cg = Self::prepare(cgroups_path, id, false)?;
        if let Err(e) = cg.finish(res, 0) {
            let _ = cg.destroy();
            return Err(e);
        }
        Ok(cg)
    }

    /// The first half of `create`: finds the paths and makes the cgroup2 directory (the only one on
    /// a pure v2 host), which clone3 needs for CLONE_INTO_CGROUP. `finish` does the rest; `create`
    /// splits this way so the v1 directories and limits can be made while the container init
    /// already sets itself up. On error, whatever was created is removed again.
    ///
    /// `systemd`: the systemd driver (`--systemd-cgroup`): nothing is made yet, systemd is only
    /// reached; `finish` starts the unit with the init in it, so clone3 goes without
    /// CLONE_INTO_CGROUP.
    pub fn prepare(cgroups_path: Option<&str>, id: &str, systemd: bool) -> Result<Self> {
        let mut cg = Self::plan(cgroups_path, id, systemd)?;
        cg.make_unified()?;
        Ok(cg)
    }

    /// Where the container's cgroup goes in every hierarchy; nothing is made yet (`create` records
    /// the paths before it makes anything: see state/creating.rs).
    pub fn plan(cgroups_path: Option<&str>, id: &str, systemd: bool) -> Result<Self> {
        if systemd {
            return systemd::prepare(cgroups_path, id);
        }
        detect::plan(cgroups_path, id)
    }

    /// Makes the cgroup2 directory of a planned cgroup (see `prepare`; nothing with systemd); on
    /// error, whatever was created is removed again.
    pub fn make_unified(&mut self) -> Result<()> {
        if self.systemd.is_some() {
            return Ok(());
        }
        if let Err(e) = self.make(true, None) {
            let _ = self.destroy();
            return Err(e);
        }
        Ok(())
    }

    /// Whether the cgroup, once finished, is what the creation record of `to_json_as_made` said:
    /// every hierarchy's leaf made by rsrun alone, no systemd unit.
    pub fn made_as_planned(&self) -> bool {
        self.systemd.is_none() && self.hier.iter().all(|h| h.created == 1)
    }

    /// The second half of `create`: the v1 directories and every limit of `res`. The caller
    /// destroys the cgroup if this fails. With systemd: the unit is started with `pid` (the
    /// container init) in it, then the limits are written to its files as well (as runc).
    pub fn finish(&mut self, res: Option<&Resources<'_>>, pid: u32) -> Result<()> {
        if let Some(s) = &self.systemd {
            s.start(pid, res)?;
            let h = self.hier.first_mut().ok_or_else(|| Error::msg("cgroup: no hierarchy"))?;
            h.created = 1;
            v2::enable_controllers(h)?;
            h.fd = Some(fsio::open_dir(&h.dir)?);
        } else {
            self.make(false, res)?;
        }
        match res {
            Some(r) => self.apply(r, Apply::Create),
            None => Ok(()),
        }
    }

    /// Makes the directories of the cgroup2 hierarchy (`unified`) or of the v1 ones.
    fn make(&mut self, unified: bool, res: Option<&Resources<'_>>) -> Result<()> {
        let cpu = res.and_then(|r| r.cpu.as_ref());
        let cpus = cpu.and_then(|c| c.cpus.as_deref()).filter(|s| !s.is_empty());
        let mems = cpu.and_then(|c| c.mems.as_deref()).filter(|s| !s.is_empty());
        let mode = self.mode;
        for h in self.hier.iter_mut().filter(|h| (h.ctrls & ctrl::UNIFIED != 0) == unified) {
            h.created = fsio::mkdir_chain(&h.dir, h.mnt)?;
            if h.created == 0 {
                fsio::check_unused(h.at())?;
            }
            if h.ctrls & ctrl::UNIFIED != 0 {
                if mode == Mode::V2 {
                    v2::enable_controllers(h)?;
                }
                h.fd = Some(fsio::open_dir(&h.dir)?);
            } else if h.ctrls & ctrl::CPUSET != 0 && h.created > 0 {
                v1::init_cpuset(h, cpus, mems)?;
            }
        }
        Ok(())
    }

    /// `update`: writes the resources again (only the fields that are set), honouring
    /// `memory.checkBeforeUpdate`.
    pub fn update(&self, res: &Resources<'_>) -> Result<()> {
        if let Some(s) = &self.systemd {
            s.update(res)?;
        }
        self.apply(res, Apply::Update)
    }

    fn apply(&self, res: &Resources<'_>, why: Apply) -> Result<()> {
        match self.mode {
            Mode::V2 => resources_v2::apply(self, res, why),
            Mode::V1 | Mode::Hybrid => resources_v1::apply(self, res, why),
        }
    }

    /// Applies linux.resources.devices (plus the devices every container gets, see docs/devices.md):
    /// with a cgroup2 hierarchy (pure v2, and the unified one of a hybrid host) as an eBPF program
    /// attached to the container's cgroup2 directory, on a pure v1 host as devices.allow/deny lines.
    /// On hybrid hosts the program is enforced as on v2, and costs 2 syscalls instead of one write
    /// per rule.
    ///
    /// `fresh`: the cgroup was created by this very process (create), so no earlier program can be
    /// attached and the query for one is skipped; `update` passes false and replaces the program.
    pub fn apply_devices(&self, rules: &[crate::spec::DeviceCgroup<'_>], fresh: bool) -> Result<()> {
        let mut parsed = Vec::with_capacity(rules.len());
        for (i, r) in rules.iter().enumerate() {
            let rule =
                crate::bpf::DeviceRule::from_oci(r.allow, r.kind.as_deref(), r.major, r.minor, r.access.as_deref())
                    .map_err(|e| e.context(format_args!("linux.resources.devices[{i}]")))?;
            parsed.push(rule);
        }
        let all = crate::bpf::with_defaults(&parsed);
        let unified = self.hier.iter().find(|h| h.ctrls & ctrl::UNIFIED != 0);
        match self.clone_into_fd() {
            // A cgroup rsrun just made has no program to replace.
            Some(dir) if fresh && unified.is_some_and(|h| h.created > 0) => {
                crate::bpf::attach_new(dir, &all).map_err(|e| e.context("linux.resources.devices"))
            }
            Some(dir) => crate::bpf::apply(dir, &all).map_err(|e| e.context("linux.resources.devices")),
            None => {
                let lines = crate::bpf::v1_lines(&all).map_err(|e| e.context("linux.resources.devices"))?;
                self.write_devices_v1(lines.into_iter().map(|l| (l.allow, l.line)))
            }
        }
    }

    /// Writes v1 device rules in order: `(true, "c 1:3 rwm")` to devices.allow, `(false, "a *:* rwm")`
    /// to devices.deny. Each file is opened once. The lines come from src/bpf's `v1_lines`.
    pub fn write_devices_v1<S: AsRef<str>>(&self, lines: impl IntoIterator<Item = (bool, S)>) -> Result<()> {
        let h = self.v1(ctrl::DEVICES, "linux.resources.devices")?;
        let (mut allow, mut deny) = (None, None);
        for (is_allow, line) in lines {
            let (slot, name) = if is_allow { (&mut allow, "devices.allow") } else { (&mut deny, "devices.deny") };
            let fd = match slot {
                Some(fd) => fd,
                None => slot.insert(fsio::open_write(h.at(), name).map_err(|e| fsio::err(h.at(), name, "", e))?),
            };
            let v = line.as_ref();
            rustix::io::write(&*fd, v.as_bytes()).map_err(|e| fsio::err(h.at(), name, v, e))?;
        }
        Ok(())
    }

    /// The cgroup2 directory for clone3's CLONE_INTO_CGROUP (pure v2, or the unified hierarchy of
    /// a hybrid host). None on pure v1, or after `from_json` (only `create` opens it).
    pub fn clone_into_fd(&self) -> Option<BorrowedFd<'_>> {
        self.hier.iter().find(|h| h.ctrls & ctrl::UNIFIED != 0)?.fd.as_ref().map(|f| f.as_fd())
    }

    /// Opens the cgroup2 directory of a cgroup rebuilt by `from_json`, so that `apply_devices`
    /// replaces the eBPF device program (`update`) instead of falling back to v1 lines. One openat;
    /// nothing to do on pure v1 or when it is open already.
    pub fn open_unified(&mut self) -> Result<()> {
        if let Some(h) = self.hier.iter_mut().find(|h| h.ctrls & ctrl::UNIFIED != 0 && h.fd.is_none()) {
            h.fd = Some(fsio::open_dir(&h.dir)?);
        }
        Ok(())
    }

    /// The cgroup2 directory `pid` is in (from /proc/PID/cgroup), for `exec` when the container's
    /// own cgroup refuses new processes (EBUSY: the container enabled controllers for sub-cgroups
    /// it made, e.g. systemd in the container): the process joins its init's cgroup instead, as
    /// runc does. None without a cgroup2 hierarchy.
    pub fn unified_dir_of(&self, pid: i32) -> Result<Option<OwnedFd>> {
        let Some(h) = self.hier.iter().find(|h| h.ctrls & ctrl::UNIFIED != 0) else { return Ok(None) };
        let file = alloc::format!("/proc/{pid}/cgroup");
        let flags = rustix::fs::OFlags::RDONLY | rustix::fs::OFlags::CLOEXEC;
        let fd = rustix::fs::open(crate::rt::cs(&file), flags, rustix::fs::Mode::empty())
            .map_err(|e| Error::sys(format_args!("open {file}"), e))?;
        let text = crate::rt::io::read_fd(fd.as_fd()).map_err(|e| Error::sys(format_args!("read {file}"), e))?;
        let text = crate::rt::lossy(&text);
        let Some(path) = text.lines().find_map(|l| l.strip_prefix("0::")) else { return Ok(None) };
        let dir = alloc::format!("{}{}", crate::rt::head(&h.dir, h.mnt), path.trim_end_matches('/'));
        fsio::open_dir(&dir).map(Some)
    }

    /// Moves `pid` (0: the calling process) into every hierarchy: for `exec`, or when clone3 did
    /// not use CLONE_INTO_CGROUP.
    pub fn join(&self, pid: u32) -> Result<()> {
        self.hier.iter().try_for_each(|h| fsio::join(h, pid))
    }

    /// Moves `pid` into the v1 hierarchies only: after clone3 with CLONE_INTO_CGROUP put it in the
    /// cgroup2 one.
    pub fn join_v1(&self, pid: u32) -> Result<()> {
        self.hier.iter().filter(|h| h.ctrls & ctrl::UNIFIED == 0).try_for_each(|h| fsio::join(h, pid))
    }

    /// `exec --cgroup`: the process joins a sub-cgroup of the container's instead, in every
    /// hierarchy (`PATH`) or in the v1 hierarchies of the controllers named (`ctrl[,ctrl]:PATH`),
    /// as runc. PATH is relative to the container's cgroup and must already exist (the join names
    /// it when it does not); ".." and absolute paths are refused.
    pub fn use_sub(&mut self, args: &[&str]) -> Result<()> {
        for arg in args {
            let (ctrls, path) = match arg.split_once(':') {
                Some((c, p)) => (Some(c), p),
                None => (None, *arg),
            };
            if path.is_empty() || path.starts_with('/') || path.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
                crate::bail!("--cgroup {arg}: the path must be relative to the container's cgroup, without \".\" or \"..\"");
            }
            let bits = match ctrls {
                None => !0,
                Some(list) => {
                    let mut bits = 0;
                    for name in list.split(',') {
                        let b = ctrl::bit(name);
                        if b == 0 || !self.hier.iter().any(|h| h.ctrls & b != 0 && h.ctrls & ctrl::UNIFIED == 0) {
                            crate::bail!("--cgroup {arg}: no cgroup v1 controller {} here", crate::error::Quoted::str(name));
                        }
                        bits |= b;
                    }
                    bits
                }
            };
            for h in self.hier.iter_mut().filter(|h| h.ctrls & bits != 0) {
                h.dir.push('/');
                h.dir.push_str(path);
                rustix::fs::access(crate::rt::cs(&h.dir), rustix::fs::Access::EXISTS)
                    .map_err(|e| Error::sys(format_args!("--cgroup {arg}: {}", h.dir), e))?;
            }
        }
        Ok(())
    }

    /// Moves the calling process itself into its v1 hierarchies by writing "0" to each `tasks`
    /// file. Unlike a pid written to cgroup.procs by another process, a task moving itself does not
    /// take the kernel's global threadgroup lock (cgroup_procs_write_start skips it for pid 0 in
    /// single-thread mode), whose first writer waits for an RCU grace period: 5-20 ms per create on
    /// a v1 host. The container init is single-threaded, so its one thread is the whole process.
    pub fn join_self_v1(&self) -> Result<()> {
        self.hier
            .iter()
            .filter(|h| h.ctrls & ctrl::UNIFIED == 0)
            .try_for_each(|h| fsio::write(h.at(), "tasks", "0").map_err(|e| fsio::err(h.at(), "tasks", "0", e)))
    }

    /// Removes the directories rsrun created, deepest first, including sub-cgroups the container
    /// made inside its own cgroup. Waits briefly while killed processes leave (EBUSY).
    pub fn destroy(&self) -> Result<()> {
        let mut stop_err = None;
        if let Some(s) = &self.systemd {
            if !s.started.get() {
                return Ok(()); // nothing was made
            }
            // Stopped through systemd first; what is left (sub-cgroups of a delegated scope) is
            // removed below. A failed stop only matters if the directory stays.
            stop_err = s.stop().err();
        }
        let mut first = None;
        for h in self.hier.iter().rev() {
            if let Err(e) = fsio::remove_created(h) {
                first.get_or_insert(stop_err.take().unwrap_or(e));
            }
        }
        first.map_or(Ok(()), Err)
    }

    /// `destroy` when nothing lives in the cgroup any more (the usual `delete` of a stopped
    /// container): one rmdir per directory, no waiting. Ok(false) at the first busy directory
    /// (processes or sub-cgroups left), before any further one: the caller kills and `destroy`s.
    /// Also Ok(false), before any rmdir, when a directory existed before create (`created` 0): it
    /// is never removed, so no rmdir would tell whether processes live in it, and the caller must
    /// kill them. With the systemd driver it is `destroy` (the unit is stopped first), false on any
    /// error.
    pub fn remove_if_idle(&self) -> Result<bool> {
        if self.systemd.is_some() {
            return Ok(self.destroy().is_ok());
        }
        if self.hier.iter().any(|h| h.created == 0) {
            return Ok(false);
        }
        for h in self.hier.iter().rev() {
            if !fsio::remove_created_if_idle(h)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The v1 hierarchies the container is in, for its "cgroup" mount: (the hierarchy's mount point,
    /// the container's directory in it, the controllers as mount data: "cpu,cpuacct",
    /// "name=systemd").
    pub fn v1_hierarchies(&self) -> impl Iterator<Item = (&str, &str, String)> {
        self.hier.iter().filter(|h| h.ctrls & ctrl::UNIFIED == 0).map(|h| {
            let mut names = String::new();
            ctrl::names(h.ctrls, &mut names);
            (crate::rt::head(&h.dir, h.mnt), h.dir.as_str(), names)
        })
    }

    /// The `org.systemd.property.*` annotations as properties of the unit (systemd driver; nothing
    /// to do otherwise). Checked here, before the unit is started.
    pub fn add_unit_properties(&mut self, annotations: &crate::spec::Map<'_, crate::spec::Str<'_>>) -> Result<()> {
        if let Some(s) = &mut self.systemd {
            s.extra = systemd::annotations::properties(annotations)?.buf;
        }
        Ok(())
    }

    /// In the container init right after clone3: closes what it must not keep (the D-Bus
    /// connection of the systemd driver). Nothing to do with the cgroupfs driver.
    pub fn close_in_child(&self) {
        if let Some(s) = &self.systemd {
            s.close_in_child();
        }
    }

    /// Whether the cgroup is the container's to act on: a systemd unit only once it is started
    /// (a unit of the same name may belong to someone else).
    pub(crate) fn owned(&self) -> bool {
        self.systemd.as_ref().is_none_or(|s| s.started.get())
    }

    /// The systemd unit of the container (`--systemd-cgroup`).
    pub fn systemd_unit(&self) -> Option<&str> {
        self.systemd.as_ref().map(|s| s.unit.as_str())
    }

    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// The container's directory in the hierarchy holding `controller` ("memory", "name=systemd";
    /// "" for the cgroup2 hierarchy).
    pub fn dir(&self, controller: &str) -> Option<&str> {
        let bit = if controller.is_empty() { ctrl::UNIFIED } else { ctrl::bit(controller) };
        let bit = if self.mode == Mode::V2 && bit != 0 { ctrl::UNIFIED } else { bit };
        self.hier.iter().find(|h| h.ctrls & bit != 0).map(|h| h.dir.as_str())
    }

    /// Every directory of the container's cgroup (one per hierarchy).
    pub fn dirs(&self) -> impl Iterator<Item = &str> {
        self.hier.iter().map(|h| h.dir.as_str())
    }

    /// The v1 hierarchy carrying `bit`, or an error naming `field`.
    pub(crate) fn v1(&self, bit: u16, field: &str) -> Result<&Hier> {
        if let Some(h) = self.hier.iter().find(|h| h.ctrls & bit != 0) {
            return Ok(h);
        }
        let name = ctrl::NAMES.get(bit.trailing_zeros() as usize).unwrap_or("?");
        Err(Error::msg(format_args!("{field}: the {name} cgroup controller is not mounted on this host")))
    }

    /// The cgroup2 hierarchy, if any.
    pub(crate) fn unified(&self) -> Option<&Hier> {
        self.hier.iter().find(|h| h.ctrls & ctrl::UNIFIED != 0)
    }

    /// The hierarchy used to list processes: cgroup2 if present (every process is in it), else
    /// the devices hierarchy as runc does, else the first.
    pub(crate) fn procs_hier(&self) -> Result<&Hier> {
        self.unified()
            .or_else(|| self.hier.iter().find(|h| h.ctrls & ctrl::DEVICES != 0))
            .or_else(|| self.hier.first())
            .ok_or_else(|| Error::msg("cgroup: no hierarchy"))
    }
}

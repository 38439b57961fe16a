//! `rsrun update [--resources FILE|-] [flags] <id>`: changes the limits of a created, running or
//! paused container in place.
//!
//! - `--resources` is a `linux.resources` object, as docker, podman and containerd send it (on
//!   stdin with `-`), parsed by the config parser (`spec::parse_resources`). Engines send zeros for
//!   "unset" (cpu quota/period/shares, pids limit, blockIO weight...); the cgroup layer skips them.
//! - runc's flags (`--memory 512m`, `--cpu-quota`, `--pids-limit`...) set the same fields. With
//!   `--resources` as well, the flags override the file's fields (runc ignores them then).
//! - `devices`, when the update lists any, replace the container's device rules: on cgroup v2 and
//!   hybrid hosts the eBPF program is swapped atomically, on pure v1 the devices.allow/deny lines
//!   are rewritten. runc never changes devices on update; an empty list (what docker sends) leaves
//!   them alone.
//! - Intel RDT (`--l3-cache-schema`, `--mem-bw-schema`) is refused: rsrun does not manage resctrl.
//!
//! Nothing is stored: runc merges the update into the config it keeps in state.json because some
//! values depend on others it would otherwise not know. rsrun asks the kernel instead, where that
//! matters (cgroup v2 memory.swap.max holds swap alone, the OCI value is memory+swap; see
//! `pair_swap_v2`). Everything else is written field by field, so the kernel files are the state.
use crate::cgroups::{Cgroup, Mode};
use crate::cli::{Global, UpdateOpts};
use crate::error::{Context, Error, Result};
use crate::spec::{BlockIo, Memory, Pids, Resources};
use crate::state::{Status, Store};
use alloc::borrow::Cow;
use alloc::vec::Vec;
use rustix::fd::{AsFd, BorrowedFd};
use rustix::fs::{Mode as FileMode, OFlags};
use rustix::io::Errno;

pub fn run(g: &Global, o: &UpdateOpts) -> Result<i32> {
    if o.l3_cache_schema.is_some() {
        crate::bail!("Intel RDT/CAT: l3 cache schema is not supported by rsrun");
    }
    if o.mem_bw_schema.is_some() {
        crate::bail!("Intel RDT/MBA: memory bandwidth schema is not supported by rsrun");
    }
    let c = Store::new(&g.root).get(o.id)?;
    let input = match o.resources {
        Some(src) => read_input(src)?,
        None => Vec::new(),
    };
    let doc;
    let mut res = if o.resources.is_some() {
        doc = crate::json::parse(&input).map_err(|e| Error::msg(e).context("--resources"))?;
        crate::spec::parse_resources(doc.root()).context("--resources")?
    } else {
        Resources::default()
    };
    apply_flags(&mut res, o);

    c.lock()?;
    let st = c.load()?;
    if c.status(&st)? == Status::Stopped {
        crate::bail!("container not running");
    }
    let mut cg = super::pause::recorded_cgroup(&st)?;
    if cg.mode() == Mode::V2
        && let Some(m) = res.memory.as_mut()
    {
        pair_swap_v2(&cg, m);
    }
    cg.update(&res)?;
    if !res.devices.is_empty() {
        cg.open_unified()?;
        cg.apply_devices(&res.devices, false)?;
    }
    Ok(0)
}

/// The `--resources` argument's content: stdin for "-", else the named file. Read to EOF (a pipe
/// may deliver the JSON in pieces).
fn read_input(src: &str) -> Result<Vec<u8>> {
    if src == "-" {
        // SAFETY: fd 0 is never closed by rsrun; if it is not open, read fails with EBADF.
        let stdin = unsafe { BorrowedFd::borrow_raw(0) };
        return read_to_end(stdin).context("read resources from stdin");
    }
    let fd = rustix::fs::open(src, OFlags::RDONLY | OFlags::CLOEXEC, FileMode::empty())
        .with_context(|| alloc::format!("open {src}"))?;
    read_to_end(fd.as_fd()).with_context(|| alloc::format!("read {src}"))
}

fn read_to_end(fd: BorrowedFd<'_>) -> core::result::Result<Vec<u8>, Errno> {
    let mut buf = Vec::with_capacity(4096);
    loop {
        if buf.len() == buf.capacity() {
            buf.reserve(buf.len());
        }
        match rustix::io::read(fd, rustix::buffer::spare_capacity(&mut buf)) {
            Ok(0) => return Ok(buf),
            Ok(_) => {}
            Err(Errno::INTR) => {}
            Err(e) => return Err(e),
        }
    }
}

/// runc's update flags, on top of whatever `--resources` gave. Empty strings and absent flags
/// change nothing; zeros are passed on and mean "unset" as in the file.
fn apply_flags<'a>(r: &mut Resources<'a>, o: &UpdateOpts<'a>) {
    if o.kernel_memory.is_some() || o.kernel_memory_tcp.is_some() {
        crate::log::log(
            crate::log::Level::Warning,
            format_args!("Kernel memory settings are ignored and will be removed"),
        );
    }
    if o.memory.is_some() || o.memory_swap.is_some() || o.memory_reservation.is_some() {
        let m = r.memory.get_or_insert_with(Memory::default);
        m.limit = o.memory.or(m.limit);
        m.swap = o.memory_swap.or(m.swap);
        m.reservation = o.memory_reservation.or(m.reservation);
    }
    let cpus = o.cpuset_cpus.filter(|s| !s.is_empty());
    let mems = o.cpuset_mems.filter(|s| !s.is_empty());
    let cpu_flags = [o.cpu_shares.is_some(), o.cpu_quota.is_some(), o.cpu_period.is_some()];
    let rt_flags = [o.cpu_rt_period.is_some(), o.cpu_rt_runtime.is_some(), cpus.is_some(), mems.is_some()];
    if cpu_flags.iter().chain(&rt_flags).any(|&b| b) {
        let c = r.cpu.get_or_insert_with(Default::default);
        c.shares = o.cpu_shares.or(c.shares);
        c.quota = o.cpu_quota.or(c.quota);
        c.period = o.cpu_period.or(c.period);
        c.realtime_period = o.cpu_rt_period.or(c.realtime_period);
        c.realtime_runtime = o.cpu_rt_runtime.or(c.realtime_runtime);
        if let Some(s) = cpus {
            c.cpus = Some(Cow::Borrowed(s));
        }
        if let Some(s) = mems {
            c.mems = Some(Cow::Borrowed(s));
        }
    }
    if let Some(limit) = o.pids_limit {
        r.pids = Some(Pids { limit });
    }
    if let Some(w) = o.blkio_weight {
        r.block_io.get_or_insert_with(BlockIo::default).weight = Some(w);
    }
}

/// cgroup v2 keeps swap alone in memory.swap.max, the OCI field is memory+swap. When an update
/// gives only one of the pair, runc completes it from the config it stored at create; rsrun reads
/// the current values from the kernel, which is the same thing:
/// - swap without a limit: the limit is memory.max (when "max", left unset: the cgroup layer then
///   refuses a swap limit without a memory limit, as runc does);
/// - a limit without swap: swap becomes the current memory.max + memory.swap.max, so the
///   memory+swap total stays what it was (unless either is "max": then swap is left alone).
fn pair_swap_v2(cg: &Cgroup, m: &mut Memory) {
    let (limit, swap) = (m.limit.unwrap_or(0), m.swap.unwrap_or(0));
    let Some(dir) = cg.dir("") else { return };
    let read = |file: &str| -> Option<i64> {
        let data = crate::rt::io::read_at(rustix::fs::CWD, &alloc::format!("{dir}/{file}")).ok()?;
        crate::rt::parse_int(core::str::from_utf8(&data).ok()?.trim())
    };
    if swap > 0 && limit == 0 {
        m.limit = read("memory.max").or(m.limit);
    } else if limit > 0
        && swap == 0
        && let (Some(old_limit), Some(old_swap)) = (read("memory.max"), read("memory.swap.max"))
    {
        m.swap = Some(old_limit.saturating_add(old_swap));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Id;

    fn opts() -> UpdateOpts<'static> {
        UpdateOpts {
            id: Id::new("x").unwrap(),
            resources: None,
            memory: None,
            memory_swap: None,
            memory_reservation: None,
            kernel_memory: None,
            kernel_memory_tcp: None,
            cpu_shares: None,
            cpu_quota: None,
            cpu_period: None,
            cpu_rt_period: None,
            cpu_rt_runtime: None,
            cpuset_cpus: None,
            cpuset_mems: None,
            pids_limit: None,
            blkio_weight: None,
            l3_cache_schema: None,
            mem_bw_schema: None,
        }
    }

    #[test]
    fn flags_override_the_file_and_leave_the_rest() {
        let json = br#"{"memory":{"limit":268435456,"swap":536870912},"cpu":{"shares":0,"quota":0,"period":0,"cpus":"0"},"pids":{"limit":0},"devices":[{"allow":false,"access":"rwm"}]}"#;
        let doc = crate::json::parse(json).unwrap();
        let mut r = crate::spec::parse_resources(doc.root()).unwrap();
        let o = UpdateOpts {
            memory: Some(1 << 20),
            cpu_quota: Some(5000),
            pids_limit: Some(9),
            cpuset_mems: Some(""),
            ..opts()
        };
        apply_flags(&mut r, &o);
        let m = r.memory.as_ref().unwrap();
        assert_eq!((m.limit, m.swap, m.reservation), (Some(1 << 20), Some(536870912), None));
        let c = r.cpu.as_ref().unwrap();
        assert_eq!((c.shares, c.quota, c.period), (Some(0), Some(5000), Some(0)));
        assert_eq!((c.cpus.as_deref(), c.mems.as_deref()), (Some("0"), None));
        assert_eq!(r.pids.as_ref().unwrap().limit, 9);
        assert_eq!(r.devices.len(), 1);
        assert!(r.block_io.is_none());
    }

    #[test]
    fn flags_alone_make_only_their_sections() {
        let mut r = Resources::default();
        apply_flags(&mut r, &UpdateOpts { blkio_weight: Some(300), cpuset_cpus: Some("0-1"), ..opts() });
        assert!(r.memory.is_none() && r.pids.is_none());
        assert_eq!(r.block_io.as_ref().unwrap().weight, Some(300));
        assert_eq!(r.cpu.as_ref().unwrap().cpus.as_deref(), Some("0-1"));
        let mut r = Resources::default();
        apply_flags(&mut r, &opts());
        assert!(r.memory.is_none() && r.cpu.is_none() && r.pids.is_none() && r.block_io.is_none());
    }
}

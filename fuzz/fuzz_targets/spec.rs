//! `config.json` as `create` reads it, before it touches anything: any byte string goes through
//! `spec::parse_config`, the side-effect-free checks (`container::validate::check`), the seccomp
//! profile (`seccomp::config::from_spec` + `compile`) and the device rules (`DeviceRule::from_oci` +
//! `bpf::program`); each either fails with an error or yields a well-formed program. Never a panic.
//! Run with fuzz/spec.dict (runtime-spec field names and values) for structure-aware mutation.
#![no_main]
use libfuzzer_sys::fuzz_target;
use rsrun::bpf::{DeviceRule, program, with_defaults};
use rsrun::seccomp::{compile, config};

#[path = "../../tests/seccomp_common/mod.rs"]
mod seccomp_common;
#[path = "../../tests/devbpf_common/mod.rs"]
mod devbpf_common;

fuzz_target!(|data: &[u8]| {
    let Ok(spec) = rsrun::spec::parse_config(data) else { return };
    use rsrun::container::validate::{Invocation, check};
    // Root and rootless, pivot_root and --no-pivot, cgroupfs and systemd cgroupsPath forms.
    let _ = check(&spec, &Invocation { no_pivot: false, euid: 0, systemd_cgroup: false });
    let _ = check(&spec, &Invocation { no_pivot: true, euid: 1000, systemd_cgroup: true });
    let Some(linux) = spec.linux.as_ref() else { return };
    if let Some(s) = linux.seccomp.as_ref()
        && let Ok(profile) = config::from_spec(s)
        && let Ok(filter) = compile(&profile)
    {
        if let Err(e) = seccomp_common::validate(&filter.program) {
            panic!("invalid seccomp program: {e}");
        }
    }
    if let Some(r) = linux.resources.as_ref() {
        let rules: Result<Vec<DeviceRule>, _> = r
            .devices
            .iter()
            .map(|d| DeviceRule::from_oci(d.allow, d.kind.as_deref(), d.major, d.minor, d.access.as_deref()))
            .collect();
        if let Ok(rules) = rules
            && let Ok(p) = program(&with_defaults(&rules))
        {
            devbpf_common::check_structure(&p);
        }
    }
});

//! The process `exec` runs, as runc composes it:
//! - `--process FILE` (what containerd, docker and podman pass): that runtime-spec process object;
//!   what it leaves out falls back to the container's own process (capabilities, rlimits, AppArmor
//!   profile, SELinux label), its `noNewPrivileges` is used as given;
//! - `ID CMD...`: the container's process with CMD as args and the flags on top: --cwd, -e (added
//!   to the container's env; a name given again overrides), --user uid[:gid] (the gid stays the
//!   container's when omitted), --additional-gids (added), --apparmor, --process-label,
//!   --no-new-privs, --cap (added to the bounding, effective and permitted sets, never to the
//!   inheritable or ambient ones: CVE-2022-29162), --tty.
//!
//! Pure: nothing here touches the system; the result is checked by `process::validate`.
use crate::cli::ExecOpts;
use crate::error::{Error, Result};
use crate::spec::{Capabilities, Process};
use alloc::borrow::Cow;

/// The exec process from the container's process (`base`, from config.json) and the command line;
/// `file` is the parsed `--process` object.
pub fn compose<'a>(o: &ExecOpts<'a>, base: Option<Process<'a>>, file: Option<Process<'a>>) -> Result<Process<'a>> {
    let mut base = base.unwrap_or_default();
    if let Some(mut p) = file {
        if !o.args.is_empty() {
            crate::bail!("exec: give either --process or a command, not both");
        }
        if p.capabilities.is_none() {
            p.capabilities = base.capabilities.take();
        }
        if p.rlimits.is_empty() {
            p.rlimits = core::mem::take(&mut base.rlimits);
        }
        if p.apparmor_profile.as_deref().is_none_or(str::is_empty) {
            p.apparmor_profile = base.apparmor_profile.take();
        }
        if p.selinux_label.as_deref().is_none_or(str::is_empty) {
            p.selinux_label = base.selinux_label.take();
        }
        // podman passes --tty beside a process object that says the same.
        p.terminal |= o.tty;
        return Ok(p);
    }
    if o.args.is_empty() {
        return Err(Error::msg("exec: no command given (exec ID COMMAND [ARG...], or --process FILE)"));
    }
    let mut p = base;
    p.args = o.args.iter().map(|a| Cow::Borrowed(*a)).collect();
    p.command_line = None;
    if let Some(cwd) = o.cwd {
        p.cwd = Cow::Borrowed(cwd);
    }
    p.env.extend(o.env.iter().map(|e| Cow::Borrowed(*e)));
    p.terminal = o.tty;
    if let Some((uid, gid)) = o.user {
        p.user.uid = uid;
        p.user.username = None;
        if let Some(gid) = gid {
            p.user.gid = gid;
        }
    }
    p.user.additional_gids.extend_from_slice(&o.additional_gids);
    if let Some(a) = o.apparmor {
        p.apparmor_profile = Some(Cow::Borrowed(a));
    }
    if let Some(l) = o.process_label {
        p.selinux_label = Some(Cow::Borrowed(l));
    }
    if o.no_new_privs {
        p.no_new_privileges = true;
    }
    if !o.caps.is_empty() {
        let c = p.capabilities.get_or_insert_with(Capabilities::default);
        for cap in &o.caps {
            for set in [&mut c.bounding, &mut c.effective, &mut c.permitted] {
                if !set.iter().any(|s| s == cap) {
                    set.push(Cow::Borrowed(*cap));
                }
            }
        }
    }
    Ok(p)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::Id;
    use alloc::string::ToString;
    use alloc::vec;
    use alloc::vec::Vec;

    fn opts<'a>(args: Vec<&'a str>) -> ExecOpts<'a> {
        ExecOpts {
            id: Id::new("c").unwrap(),
            args,
            console_socket: None,
            cwd: None,
            env: vec![],
            tty: false,
            user: None,
            additional_gids: vec![],
            process: None,
            detach: false,
            pid_file: None,
            process_label: None,
            apparmor: None,
            no_new_privs: false,
            caps: vec![],
            preserve_fds: 0,
            cgroup: vec![],
            ignore_paused: false,
        }
    }

    fn base() -> Process<'static> {
        Process {
            args: vec!["sh".into()],
            cwd: "/".into(),
            env: vec!["PATH=/bin".into(), "A=1".into()],
            terminal: true,
            user: crate::spec::User { uid: 5, gid: 6, ..Default::default() },
            capabilities: Some(Capabilities {
                bounding: vec!["CAP_CHOWN".into()],
                inheritable: vec!["CAP_CHOWN".into()],
                ..Default::default()
            }),
            ..Default::default()
        }
    }

    #[test]
    fn flags_override_the_containers_process() {
        let mut o = opts(vec!["ls", "-l"]);
        o.cwd = Some("/tmp");
        o.env = vec!["A=2", "B=3"];
        o.user = Some((1, None));
        o.additional_gids = vec![10];
        o.caps = vec!["CAP_NET_ADMIN", "CAP_CHOWN"];
        o.no_new_privs = true;
        let p = compose(&o, Some(base()), None).unwrap();
        assert_eq!(p.args, ["ls", "-l"]);
        assert_eq!(p.cwd, "/tmp");
        assert_eq!(p.env, ["PATH=/bin", "A=1", "A=2", "B=3"], "appended: the later A wins in Env::parse");
        assert_eq!((p.user.uid, p.user.gid), (1, 6), "--user 1 keeps the container's gid");
        assert_eq!(p.user.additional_gids, [10]);
        assert!(!p.terminal, "no --tty: no terminal, whatever the container has");
        assert!(p.no_new_privileges);
        let c = p.capabilities.unwrap();
        assert_eq!(c.bounding, ["CAP_CHOWN", "CAP_NET_ADMIN"]);
        assert_eq!(c.effective, ["CAP_NET_ADMIN", "CAP_CHOWN"]);
        assert_eq!(c.permitted, ["CAP_NET_ADMIN", "CAP_CHOWN"]);
        assert_eq!(c.inheritable, ["CAP_CHOWN"], "--cap never reaches the inheritable set");
        assert!(c.ambient.is_empty());
    }

    #[test]
    fn a_process_file_is_used_as_given_with_fallbacks() {
        let file = Process {
            args: vec!["true".into()],
            cwd: "/".into(),
            rlimits: vec![],
            ..Default::default()
        };
        let mut b = base();
        b.rlimits = vec![crate::spec::Rlimit { kind: "RLIMIT_NOFILE".into(), soft: 1, hard: 1 }];
        b.apparmor_profile = Some("x".into());
        let p = compose(&opts(vec![]), Some(b), Some(file)).unwrap();
        assert_eq!(p.args, ["true"]);
        assert_eq!(p.user.uid, 0, "the file's user, not the container's");
        assert!(!p.terminal);
        assert_eq!(p.capabilities.unwrap().bounding, ["CAP_CHOWN"], "the container's capabilities");
        assert_eq!(p.rlimits.len(), 1);
        assert_eq!(p.apparmor_profile.as_deref(), Some("x"));
        let mut o = opts(vec![]);
        o.tty = true;
        assert!(compose(&o, None, Some(Process::default())).unwrap().terminal, "--tty with --process");
    }

    #[test]
    fn misuse() {
        assert_eq!(
            compose(&opts(vec![]), Some(base()), None).unwrap_err().to_string(),
            "exec: no command given (exec ID COMMAND [ARG...], or --process FILE)"
        );
        assert!(compose(&opts(vec!["ls"]), None, Some(Process::default())).is_err());
    }
}

//! Concurrent verbs on real containers: one id fought over by many creates, create/start/kill/
//! delete/state interleaved on one id, and many ids at once. The store's rules (src/state/mod.rs:
//! one atomic mkdir per container, flock on its directory, state.json replaced by rename) must give
//! exactly one winner, no corrupt state, and nothing left behind; every losing verb fails with one
//! clear line (exit status 1), never a panic (2), a signal or a hang.
mod common;
use common::*;
use std::sync::Barrier;
use std::thread;

/// Panics unless `out` is a success or a clean failure: exit status 1 and one line "rsrun: ...".
#[track_caller]
fn clean_outcome(what: &str, out: &Out) {
    if out.success() {
        return;
    }
    let line = out.stderr.trim_end();
    assert!(
        out.code == Some(1) && line.lines().count() == 1 && line.starts_with("rsrun: "),
        "{what}: neither success nor a one-line error:\n{out}"
    );
}

/// Runs each closure on its own thread, all released together; returns their results in order.
fn all_at_once<T: Send>(jobs: Vec<Box<dyn FnOnce() -> T + Send + '_>>) -> Vec<T> {
    let barrier = Barrier::new(jobs.len());
    thread::scope(|s| {
        let handles: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let b = &barrier;
                s.spawn(move || {
                    b.wait();
                    job()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().expect("race job panicked")).collect()
    })
}

/// 32 `create`s of one id at the same moment: exactly one succeeds, the others say "already
/// exists" and touch nothing of the winner's, which then starts, runs and is deleted cleanly.
#[test]
fn thirty_two_creates_of_one_id() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("race-create");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    for round in 0..3 {
        let outs = all_at_once((0..32).map(|_| Box::new(|| rt.create(&bundle, &id)) as Box<dyn FnOnce() -> Out + Send>).collect());
        let winners = outs.iter().filter(|o| o.success()).count();
        assert_eq!(winners, 1, "round {round}: {winners} creates succeeded:\n{}", summary(&outs));
        for o in outs.iter().filter(|o| !o.success()) {
            clean_outcome("losing create", o);
            assert!(o.stderr.contains("already exists"), "round {round}: a losing create says:\n{o}");
        }
        assert_eq!(rt.status(&id).as_deref(), Some("created"), "round {round}: {}", rt.state(&id));
        rt.start(&id).assert_ok();
        assert_eq!(rt.status(&id).as_deref(), Some("running"));
        rt.delete_force(&id).assert_ok();
        leaks.assert_clean();
    }
}

fn summary(outs: &[Out]) -> String {
    outs.iter().map(|o| format!("  exit {:?}: {}", o.code, o.stderr.trim_end())).collect::<Vec<_>>().join("\n")
}

/// create, start, kill, delete, delete --force and state on one id, all at once, many rounds: every
/// verb succeeds or fails cleanly, whatever is left is a container whose state reads back whole,
/// and `delete --force` then leaves nothing.
#[test]
fn create_start_kill_delete_interleaved_on_one_id() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("race-mixed");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let b = bundle.path().to_str().unwrap();
    rt.track(&id);
    let verbs: &[&[&str]] = &[
        &["create", "--bundle", b],
        &["create", "--bundle", b],
        &["create", "--bundle", b],
        &["start"],
        &["kill"],
        &["kill", "KILL"],
        &["delete"],
        &["delete", "--force"],
        &["delete", "--force"],
        &["state"],
        &["start"],
        &["delete"],
    ];
    for round in 0..40 {
        // Vary the order the threads are released in, so every verb gets to go first sometimes.
        let mut order: Vec<usize> = (0..verbs.len()).collect();
        order.rotate_left(round % verbs.len());
        let jobs = order
            .iter()
            .map(|&i| {
                let (rt, id) = (&rt, &id);
                Box::new(move || {
                    let v = verbs[i];
                    let (verb, rest) = (v[0], &v[1..]);
                    let mut args = vec![verb];
                    args.extend_from_slice(rest);
                    args.push(id);
                    // kill takes the signal after the id.
                    if verb == "kill" && rest.len() == 1 {
                        args = vec!["kill", id, rest[0]];
                    }
                    (args.join(" "), rt.run(&args))
                }) as Box<dyn FnOnce() -> (String, Out) + Send>
            })
            .collect();
        for (what, out) in all_at_once(jobs) {
            clean_outcome(&format!("round {round}: {what}"), &out);
        }
        if rt.state_dir(&id).exists() {
            let st = rt.state(&id);
            // A state directory left after every verb has returned holds a whole state.json.
            st.assert_ok();
            let status = jq_raw(&st.stdout, ".status").unwrap_or_default();
            assert!(["created", "running", "stopped"].contains(&status.as_str()), "round {round}: status {status}");
        }
        rt.delete_force(&id).assert_ok();
        leaks.assert_clean();
    }
}

/// 64 different ids created at once (each succeeds), started, then deleted at once: nothing left.
#[test]
fn sixty_four_ids_at_once() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    // One leak check for all: the ids share this unique prefix, and the checks match substrings.
    let base = unique_id("race-many");
    let leaks = LeakCheck::new(&rt, &bundle, &base);
    let ids: Vec<String> = (0..64).map(|i| format!("{base}-{i:02}")).collect();
    let creates = all_at_once(ids.iter().map(|id| Box::new(|| rt.create(&bundle, id)) as Box<dyn FnOnce() -> Out + Send>).collect());
    for (id, out) in ids.iter().zip(&creates) {
        assert!(out.success(), "create {id}:\n{out}");
    }
    let starts = all_at_once(ids.iter().map(|id| Box::new(|| rt.start(id)) as Box<dyn FnOnce() -> Out + Send>).collect());
    for (id, out) in ids.iter().zip(&starts) {
        assert!(out.success(), "start {id}:\n{out}");
        assert_eq!(rt.status(id).as_deref(), Some("running"), "{id}");
    }
    let list = rt.run(&["list", "--format", "json"]);
    list.assert_ok();
    assert_eq!(jq(&list.stdout, "length"), "64", "{list}");
    let deletes = all_at_once(ids.iter().map(|id| Box::new(|| rt.delete_force(id)) as Box<dyn FnOnce() -> Out + Send>).collect());
    for (id, out) in ids.iter().zip(&deletes) {
        assert!(out.success(), "delete {id}:\n{out}");
    }
    leaks.assert_clean();
}

/// Containers whose cgroupsPath share a parent that rsrun makes (and removes with the container
/// that made it, when it is empty then): a create next to the delete of the parent's maker must
/// succeed even when the delete removes the parent between the create's mkdir of it (EEXIST) and
/// of its own cgroup.
#[test]
fn create_next_to_the_delete_of_its_cgroup_parents_maker() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let base = unique_id("race-parent");
    let rt = Runtime::rsrun();
    let leaks = LeakCheck::new(&rt, &bundle, &base);
    // Each container has its own leaf under the shared parent /<base>, so its own config: a
    // bundle directory per id whose root.path is the shared rootfs.
    let cfg = bundle.config();
    let rootfs = bundle.rootfs();
    let create = |id: &str| {
        let b = bundle.path().join(id);
        std::fs::create_dir_all(&b).unwrap();
        let patch = format!(
            ".linux.cgroupsPath = {} | .root.path = {}",
            json_str(&format!("/{base}/{id}")),
            json_str(rootfs.to_str().unwrap())
        );
        std::fs::write(b.join("config.json"), jq(&cfg, &patch)).unwrap();
        rt.track(id);
        rt.run(&["create", "--bundle", b.to_str().unwrap(), id])
    };
    for round in 0..20 {
        let (maker, next) = (format!("{base}-{round}-a"), format!("{base}-{round}-b"));
        create(&maker).assert_ok(); // makes /<base> in every hierarchy, alone in it
        let jobs: Vec<Box<dyn FnOnce() -> (String, Out) + Send + '_>> = vec![
            Box::new(|| (format!("delete {maker}"), rt.delete_force(&maker))),
            Box::new(|| (format!("create {next}"), create(&next))),
        ];
        for (what, out) in all_at_once(jobs) {
            assert!(out.success(), "round {round}: {what}:\n{out}");
        }
        rt.delete_force(&next).assert_ok();
        // Like runc, rsrun leaves a parent it did not make for this container (`next` found it
        // there): it is the config owner's to remove.
        for dir in cgroups_named(&base) {
            if dir.file_name().is_some_and(|n| n == base.as_str()) {
                let _ = std::fs::remove_dir(&dir);
            }
        }
        leaks.assert_clean();
    }
}

/// `run` deletes its own container when it ends, never a successor: a `delete --force` of the
/// running container followed at once by a `create` of the same id leaves the new container intact.
#[test]
fn run_leaves_a_successor_of_its_id_alone() {
    require_root();
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("race-run");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let b = bundle.path().to_str().unwrap();
    for round in 0..8 {
        thread::scope(|s| {
            let run = s.spawn(|| rt.run(&["run", "--bundle", b, &id]));
            assert_eq!(rt.wait_status(&id, "running", std::time::Duration::from_secs(10)).as_deref(), Some("running"));
            rt.delete_force(&id).assert_ok();
            rt.create(&bundle, &id).assert_ok();
            let out = run.join().unwrap();
            assert_eq!(out.code, Some(137), "round {round}: run ends with the SIGKILLed init's status:\n{out}");
        });
        // run has returned: its cleanup must not have touched the successor.
        assert_eq!(rt.status(&id).as_deref(), Some("created"), "round {round}: {}", rt.state(&id));
        rt.start(&id).assert_ok();
        rt.delete_force(&id).assert_ok();
        leaks.assert_clean();
    }
}

/// exec (foreground and detached) against kill and delete --force on one running container, all
/// at once, many rounds: every exec succeeds, reports its process killed (137: the container went
/// away under it) or fails with one line and exit 255; kill and delete succeed or fail cleanly;
/// nothing of the container or of an exec is left after the final delete --force.
#[test]
fn exec_kill_delete_on_one_id() {
    require_root();
    if !exec_or_skip() {
        return;
    }
    let bundle = Bundle::new();
    bundle.args(&["sleep", "1000"]);
    let rt = Runtime::rsrun();
    let id = unique_id("race-exec");
    let leaks = LeakCheck::new(&rt, &bundle, &id);
    let verbs: &[&[&str]] = &[
        &["exec", "ID", "sh", "-c", "sleep 0.05"],
        &["exec", "ID", "true"],
        &["exec", "-d", "ID", "sleep", "1000"],
        &["exec", "ID", "sh", "-c", "sleep 0.05"],
        &["kill", "ID", "KILL"],
        &["delete", "--force", "ID"],
        &["exec", "ID", "true"],
        &["state", "ID"],
    ];
    for round in 0..20 {
        rt.create(&bundle, &id).assert_ok();
        rt.start(&id).assert_ok();
        let mut order: Vec<usize> = (0..verbs.len()).collect();
        order.rotate_left(round % verbs.len());
        let jobs = order
            .iter()
            .map(|&i| {
                let (rt, id) = (&rt, &id);
                Box::new(move || {
                    let args: Vec<&str> = verbs[i].iter().map(|a| if *a == "ID" { id.as_str() } else { a }).collect();
                    (args.join(" "), rt.run(&args))
                }) as Box<dyn FnOnce() -> (String, Out) + Send>
            })
            .collect();
        for (what, out) in all_at_once(jobs) {
            let what = format!("round {round}: {what}");
            if what.contains(": exec ") && !out.success() {
                let line = out.stderr.trim_end();
                let clean_error = out.code == Some(255) && line.lines().count() == 1 && line.starts_with("rsrun: ");
                assert!(clean_error || out.code == Some(137), "{what}: neither success, 137 nor a one-line error:\n{out}");
            } else {
                clean_outcome(&what, &out);
            }
        }
        rt.delete_force(&id).assert_ok();
        leaks.assert_clean();
    }
}

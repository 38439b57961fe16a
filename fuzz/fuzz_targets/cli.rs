//! The runc-compatible command line: the input split at NUL bytes is argv (after the program
//! name), arbitrary bytes included; `cli::parse_only` runs everything `rsrun` does with its
//! arguments before it acts (UTF-8 check, global flags, verb lookup, verb flags, argument counts,
//! value parsing, container id validation) and must return a command or an error, never panic.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut args: Vec<&[u8]> = vec![b"rsrun"];
    args.extend(data.split(|b| *b == 0).take(64));
    if let Ok(Some((global, cmd))) = rsrun::cli::parse_only(&args) {
        assert!(global.root.starts_with('/'), "--root must be made absolute: {global:?}");
        // Debug output walks every parsed field.
        let _ = format!("{global:?} {cmd:?}");
    }
});

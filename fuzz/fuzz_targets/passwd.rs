//! /etc/passwd as rsrun reads it: the container's (`init::user::home_in`, the HOME of
//! process.user.uid) and the host's (`container::list::passwd_names`, the OWNER column of `list`).
//! Input: 4 bytes of uid, then the file. No panic; a home found is one whole field of a line.
//! (/etc/group is never parsed: additionalGids are numbers.)
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (uid, text) = match data.split_first_chunk::<4>() {
        Some((u, rest)) => (u32::from_le_bytes(*u), rest),
        None => (0, data),
    };
    if let Some(home) = rsrun::init::user::home_in(text, uid) {
        assert!(!home.contains(&b':') && !home.contains(&b'\n'));
    }
    for (name, _uid) in rsrun::container::list::passwd_names(text) {
        assert!(!name.contains(':') && !name.contains('\n'));
    }
});

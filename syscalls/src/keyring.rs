//! Kernel keyrings: join a new session keyring, so the container does not share the caller's.
use crate::{Result, raw};
use core::ffi::CStr;
use linux_raw_sys::general::__NR_keyctl;

/// `KEYCTL_JOIN_SESSION_KEYRING` from `<linux/keyctl.h>` (not in linux-raw-sys).
const KEYCTL_JOIN_SESSION_KEYRING: usize = 1;

/// `syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name)`: makes the caller join the session
/// keyring called `name`, creating it if needed; `None` creates a new anonymous one. Returns the
/// keyring's serial number. rsrun calls it in the container init unless `--no-new-keyring`.
///
/// # References
/// - [KEYCTL_JOIN_SESSION_KEYRING(2const)](https://man7.org/linux/man-pages/man2/KEYCTL_JOIN_SESSION_KEYRING.2const.html)
pub fn keyctl_join_session_keyring(name: Option<&CStr>) -> Result<i32> {
    let name = name.map_or(0, |n| n.as_ptr() as usize);
    // SAFETY: `name` is NULL or a C string that lives for the call.
    let serial = unsafe { raw::syscall2(__NR_keyctl, KEYCTL_JOIN_SESSION_KEYRING, name) }?;
    Ok(serial as i32)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::process::CloneFlags;
    use crate::testutil::exit_code_in_child;

    /// `keyctl(KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING, 0)`: the current session keyring.
    fn session_keyring() -> Result<i32> {
        const KEYCTL_GET_KEYRING_ID: usize = 0;
        const KEY_SPEC_SESSION_KEYRING: isize = -3;
        // SAFETY: integers only.
        unsafe { raw::syscall3(__NR_keyctl, KEYCTL_GET_KEYRING_ID, KEY_SPEC_SESSION_KEYRING as usize, 0) }
            .map(|s| s as i32)
    }

    #[test]
    fn keyctl_join_gives_new_session_keyring() {
        let code = exit_code_in_child(CloneFlags::empty(), || {
            let before = session_keyring();
            let Ok(named) = keyctl_join_session_keyring(Some(c"rsrun-test-syscalls")) else { return 1 };
            if before == Ok(named) || session_keyring() != Ok(named) {
                return 2;
            }
            let Ok(anon) = keyctl_join_session_keyring(None) else { return 3 };
            if anon == named || session_keyring() != Ok(anon) {
                return 4;
            }
            0
        });
        assert_eq!(code, 0);
    }
}

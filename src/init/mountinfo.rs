//! `/proc/self/mountinfo` lines, for the cgroup v1 layout and --no-pivot.
use alloc::borrow::Cow;
use alloc::vec::Vec;

/// The fields of one mountinfo line this crate uses.
#[derive(Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Path of the mount's root within its filesystem.
    pub root: Cow<'a, str>,
    pub mount_point: Cow<'a, str>,
    pub fstype: &'a str,
    pub super_opts: &'a str,
}

/// Parses mountinfo text; malformed lines are skipped.
pub fn parse(text: &str) -> impl Iterator<Item = Entry<'_>> {
    text.lines().filter_map(parse_line)
}

fn parse_line(line: &str) -> Option<Entry<'_>> {
    // id parent maj:min root mount_point options [optional...] - fstype source super_options
    let mut it = line.split(' ');
    let root = it.nth(3)?;
    let mount_point = it.next()?;
    let _opts = it.next()?;
    for f in it.by_ref() {
        if f == "-" {
            break;
        }
    }
    let fstype = it.next()?;
    let _source = it.next()?;
    let super_opts = it.next().unwrap_or("");
    Some(Entry { root: unescape(root), mount_point: unescape(mount_point), fstype, super_opts })
}

/// Undoes the kernel's octal escapes (`\040` for a space, `\011`, `\012`, `\134`).
pub fn unescape(s: &str) -> Cow<'_, str> {
    if !s.contains('\\') {
        return Cow::Borrowed(s);
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && i + 3 < b.len() && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c)) {
            let v = u32::from(b[i + 1] - b'0') * 64 + u32::from(b[i + 2] - b'0') * 8 + u32::from(b[i + 3] - b'0');
            out.push(v as u8);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    Cow::Owned(crate::rt::lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines() {
        let t = "32 31 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:5 - cgroup cgroup rw,cpu,cpuacct\n\
                 40 31 0:37 /a\\040b /mnt/x\\040y rw - ext4 /dev/vda rw\n\
                 garbage\n";
        let v: Vec<_> = parse(t).collect();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].mount_point, "/sys/fs/cgroup/cpu,cpuacct");
        assert_eq!((v[0].fstype, v[0].super_opts), ("cgroup", "rw,cpu,cpuacct"));
        assert_eq!((v[1].root.as_ref(), v[1].mount_point.as_ref()), ("/a b", "/mnt/x y"));
    }
}

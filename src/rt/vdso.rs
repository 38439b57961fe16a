//! The kernel's vDSO: `clock_gettime` without a syscall.
//!
//! Without libc nobody has looked the vDSO up for us. The kernel maps it into every process as a
//! small ELF shared object and gives its address in the auxiliary vector (AT_SYSINFO_EHDR); its
//! functions are found through its dynamic symbol table, once per process (a forked child inherits
//! the result). rustix can do this too, but its lookup first reads the auxiliary vector with a
//! syscall (prctl, or /proc/self/auxv), and rsrun has the vector already (`rt::auxv`).
//!
//! A vDSO without the symbol (or none: AT_SYSINFO_EHDR absent) gives `None`, and callers make the
//! syscall instead.
use core::sync::atomic::{AtomicUsize, Ordering};

/// A function's address; `NOT_LOOKED_UP` before the first use, `ABSENT` when the vDSO lacks it.
struct Slot(AtomicUsize);

const NOT_LOOKED_UP: usize = 0;
const ABSENT: usize = 1;

static CLOCK_GETTIME: Slot = Slot(AtomicUsize::new(NOT_LOOKED_UP));

impl Slot {
    fn get(&self, name: &[u8]) -> Option<usize> {
        let mut addr = self.0.load(Ordering::Relaxed);
        if addr == NOT_LOOKED_UP {
            addr = super::auxv()
                .find(|&(key, value)| key == AT_SYSINFO_EHDR && value != 0)
                // SAFETY: the kernel maps a whole, valid ELF image at AT_SYSINFO_EHDR for the
                // process's lifetime.
                .and_then(|(_, base)| unsafe { lookup(base, name) })
                .unwrap_or(ABSENT);
            self.0.store(addr, Ordering::Relaxed);
        }
        (addr != ABSENT).then_some(addr)
    }
}

/// <linux/auxvec.h>: the vDSO's ELF header.
const AT_SYSINFO_EHDR: usize = 33;

/// `clock_gettime(clock, &ts)` through the vDSO: (seconds, nanoseconds), or None when there is no
/// vDSO function or it fails (the caller then makes the syscall).
pub fn clock_gettime(clock: i32) -> Option<(i64, i64)> {
    let f = CLOCK_GETTIME.get(b"__vdso_clock_gettime")?;
    let mut ts = [0i64; 2];
    // SAFETY: the vDSO's __vdso_clock_gettime has the C signature
    // `int (clockid_t, struct __kernel_timespec *)`; `ts` is a writable timespec (two i64).
    let f: extern "C" fn(i32, *mut i64) -> i32 = unsafe { core::mem::transmute(f) };
    (f(clock, ts.as_mut_ptr()) == 0).then_some((ts[0], ts[1]))
}

/// The address of the function `name` in the ELF image at `base`: through PT_DYNAMIC's DT_SYMTAB,
/// DT_STRTAB and DT_HASH (whose chain count is the number of symbols; the x86_64 vDSO has one).
///
/// # Safety
/// `base` must be the start of a mapped, valid ELF64 image.
unsafe fn lookup(base: usize, name: &[u8]) -> Option<usize> {
    // SAFETY (every read below): offsets within the headers and tables the image itself declares.
    let rd64 = |a: usize| unsafe { core::ptr::read_unaligned(a as *const u64) } as usize;
    let rd32 = |a: usize| unsafe { core::ptr::read_unaligned(a as *const u32) } as usize;
    let rd16 = |a: usize| unsafe { core::ptr::read_unaligned(a as *const u16) } as usize;
    // SAFETY: the first 64 bytes (the ELF header) are mapped.
    let ident = unsafe { core::slice::from_raw_parts(base as *const u8, 5) };
    if ident != b"\x7fELF\x02" {
        return None;
    }
    let (phoff, phentsize, phnum) = (rd64(base + 32), rd16(base + 54), rd16(base + 56));
    let (mut bias, mut dynamic) = (None, None);
    for i in 0..phnum {
        let ph = base + phoff + i * phentsize;
        match rd32(ph) {
            // PT_LOAD mapping offset 0: the image was linked to load at its p_vaddr.
            1 if rd64(ph + 8) == 0 => bias = Some(base.wrapping_sub(rd64(ph + 16))),
            2 => dynamic = Some(rd64(ph + 16)),
            _ => {}
        }
    }
    let bias = bias?;
    let mut d = bias.wrapping_add(dynamic?);
    let (mut hash, mut strtab, mut symtab) = (None, None, None);
    loop {
        let (tag, val) = (rd64(d), rd64(d + 8));
        match tag {
            0 => break,
            4 => hash = Some(bias.wrapping_add(val)),
            5 => strtab = Some(bias.wrapping_add(val)),
            6 => symtab = Some(bias.wrapping_add(val)),
            _ => {}
        }
        d += 16;
    }
    let (hash, strtab, symtab) = (hash?, strtab?, symtab?);
    let count = rd32(hash + 4);
    for i in 0..count {
        // Elf64_Sym: st_name u32, st_info u8, st_other u8, st_shndx u16, st_value u64, st_size u64.
        let sym = symtab + i * 24;
        // SAFETY: as above.
        let (info, shndx) = (unsafe { *((sym + 4) as *const u8) }, rd16(sym + 6));
        if info & 0xf != 2 || shndx == 0 {
            continue; // not a defined function
        }
        // SAFETY: st_name is an offset into the NUL-terminated string table.
        let sname = unsafe { core::ffi::CStr::from_ptr((strtab + rd32(sym)) as *const core::ffi::c_char) };
        if sname.to_bytes() == name {
            return Some(bias.wrapping_add(rd64(sym + 8)));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    /// The test binary links libc, whose getauxval finds the same vDSO: the lookup must agree
    /// with the kernel's clock.
    #[test]
    fn finds_clock_gettime() {
        unsafe extern "C" {
            fn getauxval(t: u64) -> u64;
        }
        // SAFETY: plain libc call.
        let base = unsafe { getauxval(super::AT_SYSINFO_EHDR as u64) } as usize;
        assert_ne!(base, 0, "no vDSO");
        // SAFETY: the kernel's vDSO image.
        let f = unsafe { super::lookup(base, b"__vdso_clock_gettime") }.expect("__vdso_clock_gettime");
        assert!(unsafe { super::lookup(base, b"__vdso_no_such_function") }.is_none());
        let f: extern "C" fn(i32, *mut i64) -> i32 = unsafe { core::mem::transmute(f) };
        let mut ts = [0i64; 2];
        assert_eq!(f(0, ts.as_mut_ptr()), 0);
        let sys = syscalls::time::clock_gettime(syscalls::time::ClockId::Realtime).unwrap();
        assert!((sys.tv_sec - ts[0]).abs() <= 1, "vDSO {} vs syscall {}", ts[0], sys.tv_sec);
    }
}

//! The global allocator of the `rsrun` binary.
//!
//! rsrun is single-threaded (it forks, never spawns threads), short-lived for most verbs, and counted in
//! pages of RSS and in syscalls. Blocks come in power-of-two size classes from 16 B to 64 KiB, carved
//! from 1 MiB mmap'd chunks and recycled through one free list per class, so a long-lived loop (`run`
//! supervising, `events --interval`) that frees what it allocates stays at constant memory. A chunk
//! is only address space until touched: a 64 KiB read buffer that receives 300 bytes costs one page
//! of RSS and no mmap/munmap pair. Larger blocks are their own anonymous mappings, grown by mremap.
//! The binary's allocator takes its first chunk from an arena in .bss (`Allocator<ARENA>`): the kernel
//! maps it with the executable, so a verb that stays within it makes no mmap at all (one syscall less
//! per exec: four per lifecycle), at the same cost in pages, and none in file size.
use core::alloc::{GlobalAlloc, Layout};
use core::cell::UnsafeCell;
use core::ptr::{self, NonNull};
use rustix::mm::{MapFlags, MremapFlags, ProtFlags, mmap_anonymous, mremap, munmap};

const PAGE: usize = 4096;
const CHUNK: usize = 1024 * 1024;
const MIN_CLASS_SHIFT: u32 = 4; // 16 bytes
const MAX_CLASS_SHIFT: u32 = 16; // 64 KiB
const CLASSES: usize = (MAX_CLASS_SHIFT - MIN_CLASS_SHIFT + 1) as usize;

struct State {
    free: [*mut FreeBlock; CLASSES],
    bump: usize,
    end: usize,
    /// The arena has been handed out as a chunk.
    arena_used: bool,
}

struct FreeBlock {
    next: *mut FreeBlock,
}

/// `ARENA` bytes (0 or a multiple of the page size, at most a chunk) served before the first mmap.
/// A static allocator whose value is all zeroes lives in .bss: the arena costs no file size.
pub struct Allocator<const ARENA: usize = 0> {
    state: UnsafeCell<State>,
    arena: UnsafeCell<Arena<ARENA>>,
}

#[repr(C, align(4096))]
struct Arena<const N: usize>([u8; N]);

// SAFETY: rsrun never creates threads (clone3 without CLONE_VM gives each process its own copy), so
// the allocator state is only ever touched by one thread.
unsafe impl<const ARENA: usize> Sync for Allocator<ARENA> {}

impl<const ARENA: usize> Default for Allocator<ARENA> {
    fn default() -> Self {
        Self::new()
    }
}

/// The size class of a layout, or None when it is served by its own mapping.
fn class_of(layout: Layout) -> Option<usize> {
    let size = layout.size().max(layout.align()).max(1 << MIN_CLASS_SHIFT);
    if size > 1 << MAX_CLASS_SHIFT {
        return None;
    }
    let shift = usize::BITS - (size - 1).leading_zeros();
    Some((shift - MIN_CLASS_SHIFT) as usize)
}

fn map(len: usize) -> *mut u8 {
    // SAFETY: a fresh private anonymous mapping aliases nothing.
    match unsafe { mmap_anonymous(ptr::null_mut(), len, ProtFlags::READ | ProtFlags::WRITE, MapFlags::PRIVATE) } {
        Ok(p) => p.cast(),
        Err(_) => ptr::null_mut(),
    }
}

fn round_to_page(n: usize) -> usize {
    (n + PAGE - 1) & !(PAGE - 1)
}

impl<const ARENA: usize> Allocator<ARENA> {
    pub const fn new() -> Self {
        Self {
            state: UnsafeCell::new(State { free: [ptr::null_mut(); CLASSES], bump: 0, end: 0, arena_used: false }),
            arena: UnsafeCell::new(Arena([0; ARENA])),
        }
    }

    /// A fresh chunk: the arena the first time (if any), then anonymous mappings.
    fn chunk(&self) -> (*mut u8, usize) {
        let st = self.state();
        if ARENA >= PAGE && !st.arena_used {
            st.arena_used = true;
            return (self.arena.get().cast(), ARENA);
        }
        (map(CHUNK), CHUNK)
    }

    #[allow(clippy::mut_from_ref)]
    fn state(&self) -> &mut State {
        // SAFETY: single-threaded (see the Sync impl) and no method holds this borrow across a call
        // that takes it again.
        unsafe { &mut *self.state.get() }
    }

    fn alloc_small(&self, class: usize) -> *mut u8 {
        let st = self.state();
        let head = st.free[class];
        if !head.is_null() {
            // SAFETY: every pointer on a free list is a block of this class that was handed out and freed.
            st.free[class] = unsafe { (*head).next };
            return head.cast();
        }
        let size = 1usize << (class as u32 + MIN_CLASS_SHIFT);
        // Aligned to the class size up to a page: enough for any layout of this class (align <=
        // size, and align > PAGE is refused), so a recycled block fits every later request too.
        let align = size.min(PAGE);
        let mut start = (st.bump + align - 1) & !(align - 1);
        if st.bump == 0 || start + size > st.end {
            let (chunk, len) = self.chunk();
            if chunk.is_null() {
                return ptr::null_mut();
            }
            let st = self.state();
            st.bump = chunk as usize;
            st.end = st.bump + len;
            start = st.bump; // chunks are page aligned
        }
        let st = self.state();
        st.bump = start + size;
        start as *mut u8
    }
}

unsafe impl<const ARENA: usize> GlobalAlloc for Allocator<ARENA> {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if layout.align() > PAGE {
            return ptr::null_mut();
        }
        match class_of(layout) {
            Some(c) => self.alloc_small(c),
            None => map(round_to_page(layout.size())),
        }
    }

    unsafe fn dealloc(&self, p: *mut u8, layout: Layout) {
        match class_of(layout) {
            Some(c) => {
                let st = self.state();
                let block = p.cast::<FreeBlock>();
                // SAFETY: p was returned by alloc for this class, is at least 16 bytes and aligned.
                unsafe { (*block).next = st.free[c] };
                st.free[c] = block;
            }
            None => {
                // SAFETY: p is a mapping of exactly this rounded length made by alloc or realloc.
                let _ = unsafe { munmap(p.cast(), round_to_page(layout.size())) };
            }
        }
    }

    unsafe fn realloc(&self, p: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: GlobalAlloc guarantees new_size with layout.align() forms a valid layout.
        let new_layout = unsafe { Layout::from_size_align_unchecked(new_size, layout.align()) };
        match (class_of(layout), class_of(new_layout)) {
            (Some(a), Some(b)) if a == b => p,
            (None, None) => {
                let (old, new) = (round_to_page(layout.size()), round_to_page(new_size));
                if old == new {
                    return p;
                }
                // SAFETY: p is our mapping of `old` bytes; MAYMOVE lets the kernel move it.
                match unsafe { mremap(p.cast(), old, new, MremapFlags::MAYMOVE) } {
                    Ok(q) => q.cast(),
                    Err(_) => ptr::null_mut(),
                }
            }
            _ => {
                // SAFETY: new_layout is valid (see above).
                let q = unsafe { self.alloc(new_layout) };
                if let Some(q) = NonNull::new(q) {
                    // SAFETY: both blocks are valid for the smaller size and distinct.
                    unsafe {
                        ptr::copy_nonoverlapping(p, q.as_ptr(), layout.size().min(new_size));
                        self.dealloc(p, layout);
                    }
                }
                q
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        let l = |s, a| Layout::from_size_align(s, a).unwrap();
        assert_eq!(class_of(l(1, 1)), Some(0));
        assert_eq!(class_of(l(16, 8)), Some(0));
        assert_eq!(class_of(l(17, 8)), Some(1));
        assert_eq!(class_of(l(8, 64)), Some(2));
        assert_eq!(class_of(l(4096, 8)), Some(8));
        assert_eq!(class_of(l(4097, 8)), Some(9));
        assert_eq!(class_of(l(65536, 8)), Some(12));
        assert_eq!(class_of(l(65537, 8)), None);
    }

    #[test]
    fn arena_first_then_mappings() {
        let a = Box::new(Allocator::<{ 4 * PAGE }>::new());
        let base = a.arena.get() as usize;
        let l = Layout::from_size_align(PAGE, 8).unwrap();
        let ps: Vec<usize> = (0..5).map(|_| unsafe { a.alloc(l) } as usize).collect();
        for (i, p) in ps[..4].iter().enumerate() {
            assert_eq!(*p, base + i * PAGE, "block {i} from the arena");
        }
        assert!(ps[4] < base || ps[4] >= base + 4 * PAGE, "the fifth block from a mapping");
        unsafe { (ps[4] as *mut u8).write_bytes(1, PAGE) };
    }

    #[test]
    fn recycles_and_aligns() {
        let a = Allocator::<0>::new();
        unsafe {
            let l = Layout::from_size_align(24, 8).unwrap();
            let p = a.alloc(l);
            assert_eq!(p as usize % 32, 0);
            p.write_bytes(0xaa, 24);
            a.dealloc(p, l);
            assert_eq!(a.alloc(l), p, "a freed block is reused");
            p.write_bytes(0xaa, 24);
            let big = Layout::from_size_align(100_000, 8).unwrap();
            let q = a.alloc(big);
            q.write_bytes(1, 100_000);
            let q2 = a.realloc(q, big, 300_000);
            assert_eq!(*q2.add(99_999), 1);
            a.dealloc(q2, Layout::from_size_align(300_000, 8).unwrap());
            let s = a.realloc(p, l, 5000);
            assert_eq!(*s, 0xaa);
        }
    }

    #[test]
    fn constant_memory_in_a_loop() {
        let a = Allocator::<0>::new();
        let l = Layout::from_size_align(200, 8).unwrap();
        let first = unsafe { a.alloc(l) };
        unsafe { a.dealloc(first, l) };
        for _ in 0..10_000 {
            let p = unsafe { a.alloc(l) };
            assert_eq!(p, first);
            unsafe { a.dealloc(p, l) };
        }
    }
}

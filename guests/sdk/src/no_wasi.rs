//! What a guest built without WASI (`--target wasm32-unknown-unknown`, the
//! built-in destinations) needs from the SDK. Such a component imports only
//! the contract: a fresh instance links two host functions (`http.send`,
//! `log`) instead of ~40, which makes a fresh Toplyne perform 12% cheaper
//! (BENCHMARKS.md).
//!
//! - An allocator: dlmalloc, as Rust's std uses on this target, but handed
//!   the memory the instance starts with (`[__heap_base, memory.size)`)
//!   before it grows any. std's own grows the memory for its first byte, and
//!   on a pooled host each grow of a fresh instance costs two `mprotect`s
//!   (one to grow, one to take it back when the slot is reused). The guest's
//!   link sets the initial memory (`--initial-memory`, .cargo/config.toml) so
//!   that a call fits in it.
//! - Panics: there is no stderr, so the message goes to the host through the
//!   contract's `log`, at error level and in std's words ("panicked at
//!   <file:line:col>:\n<message>"); the host puts it in the `guest` error.

use core::alloc::{GlobalAlloc, Layout};
use core::arch::wasm32;
use core::cell::{Cell, UnsafeCell};
use core::ptr;

const PAGE: usize = 64 * 1024;

/// Called at the start of every export: sets the panic hook once per
/// instance. It costs a fresh instance one more dirty page to reset (3.7k of
/// valgrind's instructions, most of them the 4 KiB copy counted per byte).
pub fn install_panic_hook() {
    static HOOK: std::sync::Once = std::sync::Once::new();
    HOOK.call_once(|| {
        std::panic::set_hook(Box::new(|info| crate::log(crate::LogLevel::Error, &info.to_string())));
    });
}

/// Where dlmalloc gets memory: the slack after the image once, then grows.
struct Memory {
    slack_taken: Cell<bool>,
}

// A component instance runs one thread.
unsafe impl Send for Memory {}

unsafe impl dlmalloc::Allocator for Memory {
    fn alloc(&self, size: usize) -> (*mut u8, usize, u32) {
        unsafe extern "C" {
            static __heap_base: u8;
        }
        if !self.slack_taken.replace(true) {
            // The slack, grown by what the first request needs beyond it.
            let base = ptr::addr_of!(__heap_base) as usize;
            let slack = (wasm32::memory_size(0) * PAGE).saturating_sub(base);
            let more = size.saturating_sub(slack).div_ceil(PAGE);
            if more > 0 && wasm32::memory_grow(0, more) == usize::MAX {
                return (ptr::null_mut(), 0, 0);
            }
            return (base as *mut u8, slack + more * PAGE, 0);
        }
        let pages = size.div_ceil(PAGE);
        match wasm32::memory_grow(0, pages) {
            usize::MAX => (ptr::null_mut(), 0, 0),
            prev => ((prev * PAGE) as *mut u8, pages * PAGE, 0),
        }
    }

    // Wasm memory never shrinks or moves: nothing is given back.
    fn remap(&self, _ptr: *mut u8, _old: usize, _new: usize, _can_move: bool) -> *mut u8 {
        ptr::null_mut()
    }

    fn free_part(&self, _ptr: *mut u8, _old: usize, _new: usize) -> bool {
        false
    }

    fn free(&self, _ptr: *mut u8, _size: usize) -> bool {
        false
    }

    fn can_release_part(&self, _flags: u32) -> bool {
        false
    }

    // Fresh pages past the image, and the slack, are zero.
    fn allocates_zeros(&self) -> bool {
        true
    }

    fn page_size(&self) -> usize {
        PAGE
    }
}

struct Allocator(UnsafeCell<dlmalloc::Dlmalloc<Memory>>);

// A component instance runs one thread, and an allocation never reenters.
unsafe impl Sync for Allocator {}

unsafe impl GlobalAlloc for Allocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).malloc(layout.size(), layout.align()) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        unsafe { (*self.0.get()).calloc(layout.size(), layout.align()) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { (*self.0.get()).free(ptr, layout.size(), layout.align()) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        unsafe { (*self.0.get()).realloc(ptr, layout.size(), layout.align(), new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Allocator =
    Allocator(UnsafeCell::new(dlmalloc::Dlmalloc::new_with_allocator(Memory { slack_taken: Cell::new(false) })));

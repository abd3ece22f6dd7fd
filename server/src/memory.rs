//! Keeps the server's memory bounded after bursts of password hashing.
//!
//! Each argon2 hash works in a 19 MiB block. glibc serves blocks that large with `mmap` and
//! returns them on `free` — until the first such free, after which it raises its threshold
//! to that size, serves later blocks from its heaps and keeps them when freed. A burst of
//! sign-ins then left the server hundreds of MiB larger, although at most four hashes ran at
//! once (`bench sign-ins`: 439 MiB growth after 500 at once, 97 MiB with the threshold
//! fixed). Fixing the threshold at 1 MiB keeps the dynamic rule from raising it: large blocks
//! go back to the system when freed. Smaller allocations are unaffected.

/// Call once, early in `main`.
pub fn return_large_blocks() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only sets an allocator parameter; M_MMAP_THRESHOLD with a positive
    // value is valid on every glibc, and a refusal (0) leaves the default behaviour.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 1 << 20);
    }
}

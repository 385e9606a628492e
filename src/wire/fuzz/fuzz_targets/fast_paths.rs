//! canonical.rs and short.rs against the general decoder, on mutations of the canonical frames.
//! The checks live in ../checks.rs, shared with the corpus replay of `make test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::REPORT.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = checks::fast_paths(data);
});

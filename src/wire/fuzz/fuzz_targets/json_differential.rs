//! The JSON reader against serde_json (and floats against the standard library's parser).
//! The checks live in ../checks.rs, shared with the corpus replay of `make test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::REPORT.store(true, std::sync::atomic::Ordering::Relaxed);
    checks::json_differential(data);
});

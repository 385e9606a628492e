//! ServerMessage::decode on any bytes: no panic, deterministic, the same as the general scan and as the reference decoder.
//! The checks live in ../checks.rs, shared with the corpus replay of `make test`.
#![no_main]

#[path = "../checks.rs"]
mod checks;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    checks::REPORT.store(true, std::sync::atomic::Ordering::Relaxed);
    checks::decode(data);
});

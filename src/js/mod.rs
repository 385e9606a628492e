//! The JavaScript face of the crate (wasm32 only): `LpClient` and its TypeScript types.
//!
//! - [`client`]: `LpClient`, which drives the core with the platform's socket and timers.
//! - [`frames`] (with `host.js`, the client's JS half: listeners, WebSocket, timer, fetch): the
//!   frame path, one boundary crossing per frame.
//! - [`flows`]: runs the core's REST flows (claim with reconciliation, fiat-sent, lookups).
//! - [`platform`]: the globals.
//! - [`convert`]: Rust values to the JS shapes of the API; [`types`]: the TypeScript declarations.

#[cfg(feature = "bot")]
pub mod bot;
pub mod client;
mod convert;
mod flows;
mod frames;
mod platform;
mod types;

#[cfg(feature = "console-panic")]
use wasm_bindgen::prelude::*;

/// The heap allocator: talc, a few KB smaller and faster than the default dlmalloc.
// SAFETY: wasm32-unknown-unknown without threads is single-threaded, which
// `TalckWasm` requires.
#[global_allocator]
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };

/// Runs once when the module is instantiated: routes panics to `console.error` (only
/// with the `console-panic` feature; without it there is no start function at all).
#[cfg(feature = "console-panic")]
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

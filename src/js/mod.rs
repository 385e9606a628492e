//! The JavaScript face of the crate (wasm32 only): `LpClient` and its TypeScript types.
//!
//! - [`client`]: `LpClient`, which drives the core with the platform's socket and timers.
//! - [`frames`] (with `host.js`, the client's JS half: listeners, WebSocket, timer): the
//!   frame path, one boundary crossing per frame.
//! - [`claims`]: claim / fiat-sent / lookups over HTTP, with reconciliation.
//! - [`http`] (with `http.js`), [`platform`]: fetch, and the globals.
//! - [`convert`]: Rust values to the JS shapes of the API; [`types`]: the TypeScript declarations.

mod claims;
pub mod client;
mod convert;
mod frames;
mod http;
mod platform;
mod types;

use wasm_bindgen::prelude::*;

/// The heap allocator: talc, a few KB smaller and faster than the default dlmalloc.
// SAFETY: wasm32-unknown-unknown without threads is single-threaded, which
// `TalckWasm` requires.
#[global_allocator]
static ALLOCATOR: talc::TalckWasm = unsafe { talc::TalckWasm::new_global() };

/// Runs once when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    #[cfg(feature = "console-panic")]
    console_error_panic_hook::set_once();
}

//! rampwire-lp: a liquidity-provider client for the Rampwire fiat–crypto ramp.
//!
//! - [`core`]: the platform-free protocol core (wire types, state machine, order book).
//! - `js` (wasm32 only): `LpClient`, the JavaScript API for browsers, Workers and Node.

#![deny(missing_docs)]

pub use rampwire_lp_core as core;

#[cfg(target_arch = "wasm32")]
pub mod js;

#[cfg(target_arch = "wasm32")]
pub use js::client::LpClient;

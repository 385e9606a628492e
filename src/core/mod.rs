//! The platform-free protocol core: no I/O, no clock, no randomness inside.
//!
//! Time and transport events come in, [`Action`]s come out (open, send, close, emit),
//! in the manner of quinn-proto. Everything here runs natively under `cargo test`.
//!
//! - [`wire`]: every JSON message, both directions, decoded tolerantly.
//! - [`json`]: the zero-copy JSON reader under the wire decoder.
//! - [`connection`]: the state machine (deferred auth, heartbeat, backoff, fatal vs transient).
//! - [`book`]: the bounded order book and its resync after reconnects.
//! - [`filter`]: the client-side order policy.
//! - [`rest`]: REST requests and what their answers mean (claims and reconciliation).
//! - [`flow`]: the REST flows (claim with reconciliation, fiat-sent, lookups) as state machines.
//! - [`options`]: `LpClientOptions` from JSON, strictly.
//! - [`config`], [`secret`], [`error`], [`backoff`]: the supporting pieces.

#![deny(missing_docs)]

pub mod backoff;
pub mod book;
pub mod config;
pub mod connection;
pub mod error;
pub mod filter;
pub mod flow;
pub mod id_map;
pub mod options;
pub mod rest;
pub mod rng;
pub mod secret;
mod text;

pub use rampwire_lp_wire as wire;
pub use wire::json;

pub use book::{Inserted, OrderBook, RemovalReason, Resync};
pub use config::{AuthMode, Config, ConfigBuilder};
pub use connection::{Action, Connection, Event, Millis, SocketId, State, StateChange};
pub use error::{ErrorKind, LpError};
pub use filter::OrderFilter;
pub use secret::LpKey;
pub use wire::{ClientMessage, DecodeError, Order, OrderId, OrderView, ServerMessage, ShortFrame};

#[cfg(test)]
mod tests;

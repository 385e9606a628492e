//! The platform-free LP bot engine of rampwire-lp: policy, journal and reconciliation,
//! one implementation for every driver (the edge bot, a Node CLI bot, the dashboard's
//! auto-claim), sans I/O in the manner of quinn-proto and str0m.
//!
//! The driver owns the client (`LpClient`), the storage and the timer; the engine owns
//! every decision. Inputs and the wall-clock time go in ([`Engine::handle`]), actions come
//! out ([`Engine::poll_action`]): persist this entry (always before the claim it guards),
//! claim, look up, mark fiat sent, connect or disconnect, notify, log. Everything crosses
//! as JSON for a JS driver ([`Input::from_json`], [`Action::to_json`], [`Entry::to_json`],
//! [`Status::to_json`], [`SettingsError::to_json`]).
//!
//! - [`settings`]: the one strict parser of the bot's settings.
//! - [`policy`]: verdicts (claim, or skip by a named rule).
//! - [`entry`], [`mode`], [`journal`]: what is journaled, and the usage derived from it.
//! - [`engine`]: the state machine, and the contract with drivers.
//! - [`input`], [`action`], [`order`], [`failure`]: what crosses the boundary.
//! - [`summary`]: status and the dry-run report.
//! - [`recording`], [`replay`], [`report`]: the recording format, the engine run over a
//!   recording on simulated time, and what it would have claimed.
//! - [`clock`], [`budget`], [`track`], [`stats`]: the supporting pieces.

#![deny(missing_docs)]

pub mod action;
pub mod budget;
pub mod clock;
pub mod engine;
pub mod entry;
pub mod failure;
pub mod input;
pub mod journal;
pub mod mode;
pub mod order;
pub mod policy;
pub mod recording;
pub mod replay;
pub mod report;
pub mod settings;
pub mod stats;
pub mod summary;
pub mod track;

pub use action::{Action, Fields, Level, Notice, Value};
pub use engine::{Engine, StopKind};
pub use entry::{DryOutcome, Entry, EntryError, EntryState, GoneReason};
pub use failure::FailureKind;
pub use input::{ClaimOutcome, Command, FiatSentOutcome, GetAnswer, Input, InputError};
pub use journal::Journal;
pub use mode::{Mode, ModeRecord, ModeSource};
pub use order::OrderInfo;
pub use policy::{Policy, SkipRule, Usage, Verdict};
pub use recording::RecordingError;
pub use replay::{Replay, ReplayError, ReplayOptions};
pub use report::Report;
pub use settings::{CryptoRule, Settings, SettingsError};
pub use summary::{DryRunSummary, Status};

#[cfg(test)]
mod tests;

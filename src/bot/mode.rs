//! The bot's operating mode (live or dry run, paused or not) and the journal records of
//! its changes, so that a restart keeps the mode it had and the history shows who
//! switched and when.
//!
//! Which mode a (re)started bot runs in: the latest record's, unless the `DRY_RUN`
//! setting differs from the value that record saw, in which case the operator changed
//! the setting since, and the setting wins (a new record, source `setting`). An unchanged
//! setting never overrides a command: a bot switched to dry run by a command stays in dry
//! run across restarts until a command or a changed setting says otherwise. A new journal
//! starts in the setting's mode.

use serde::{Deserialize, Serialize};

/// Live claims, or a dry run that never sends a claim or a fiat-sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Claims for real.
    Live,
    /// Watches and journals what it would claim; sends no claim and no fiat-sent.
    DryRun,
}

impl Mode {
    /// The name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Live => "live",
            Mode::DryRun => "dry_run",
        }
    }

    /// The mode a `DRY_RUN` value stands for.
    pub fn from_dry_run(dry_run: bool) -> Mode {
        if dry_run {
            Mode::DryRun
        } else {
            Mode::Live
        }
    }
}

/// Who changed the mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ModeSource {
    /// The `DRY_RUN` setting (a new journal, or the setting changed).
    Setting,
    /// An operator command (go live, go dry run, pause, resume).
    Command,
    /// The socket reported our LP id (no change of mode: the id is recorded so that a
    /// restarted bot that stays paused can still tell its own claims from others').
    Connection,
}

impl ModeSource {
    /// The name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            ModeSource::Setting => "setting",
            ModeSource::Command => "command",
            ModeSource::Connection => "connection",
        }
    }
}

/// One change of the operating mode: the whole state after it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModeRecord {
    /// Order of the records (the highest is the current one).
    pub seq: u64,
    /// When (wall ms).
    pub at: u64,
    /// The mode from then on.
    pub mode: Mode,
    /// Whether the bot is paused from then on.
    pub paused: bool,
    /// Who changed it.
    pub source: ModeSource,
    /// The `DRY_RUN` setting at the time (to tell later whether the setting changed).
    pub dry_run_setting: bool,
    /// Our LP id as the socket last reported it (from `init` only).
    #[serde(default)]
    pub lp_id: Option<u64>,
}

impl ModeRecord {
    /// The record as JSON (what a driver stores).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A record from its JSON.
    pub fn from_json(text: &str) -> Result<ModeRecord, serde_json::Error> {
        serde_json::from_str(text)
    }
}

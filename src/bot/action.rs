//! What the engine asks the driver to do, drained with
//! [`Engine::poll_action`](crate::Engine::poll_action) in order.
//!
//! The persistence contract: a [`Action::Persist`] (and [`Action::PersistMode`],
//! [`Action::Forget`], [`Action::ForgetMode`]) must be durable before the driver carries
//! out any later action. The engine always emits the `pending` entry before the
//! [`Action::Claim`] it guards, so a crash at any point leaves either no claim, or a
//! claim whose entry is on disk.

use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use crate::entry::{Entry, GoneReason};
use crate::mode::{Mode, ModeRecord, ModeSource};

/// How much a log line matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// Detail (duplicates, routine lookups).
    Debug,
    /// Something that happened.
    Info,
    /// Something to look at.
    Warn,
    /// Something that stopped the bot or lost track.
    Error,
}

/// A log value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// A whole number.
    U64(u64),
    /// A number (non-finite ones are written `null`).
    F64(f64),
    /// A text.
    Str(String),
    /// A flag.
    Bool(bool),
    /// Nothing.
    Null,
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::U64(n) => s.serialize_u64(*n),
            Value::F64(f) if f.is_finite() => s.serialize_f64(*f),
            Value::F64(_) | Value::Null => s.serialize_none(),
            Value::Str(t) => s.serialize_str(t),
            Value::Bool(b) => s.serialize_bool(*b),
        }
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::U64(n)
    }
}
impl From<u32> for Value {
    fn from(n: u32) -> Self {
        Value::U64(u64::from(n))
    }
}
impl From<f64> for Value {
    fn from(f: f64) -> Self {
        Value::F64(f)
    }
}
impl From<&str> for Value {
    fn from(t: &str) -> Self {
        Value::Str(t.to_owned())
    }
}
impl From<String> for Value {
    fn from(t: String) -> Self {
        Value::Str(t)
    }
}
impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}
impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(o: Option<T>) -> Self {
        o.map_or(Value::Null, Into::into)
    }
}

/// A log line's fields, in the order written (serialized as a JSON object).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Fields(pub Vec<(&'static str, Value)>);

impl Fields {
    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, v)| v)
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// Something the operator must hear about.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Notice {
    /// A claim is ours: send the fiat, then give the `fiat_sent` command.
    ClaimWon {
        /// The order.
        id: u64,
        /// Its currency.
        currency: String,
        /// Its fiat amount.
        amount_fiat: Option<f64>,
        /// Its USD value.
        amount_usd: Option<f64>,
    },
    /// A claim we held is no longer ours: do not send fiat for it.
    ClaimGone {
        /// The order.
        id: u64,
        /// Why.
        reason: GoneReason,
    },
    /// A claim completed: its collateral is free.
    Completed {
        /// The order.
        id: u64,
    },
    /// The bot stopped: nothing is claimed until the operator resumes or fixes the setting.
    Stopped {
        /// Why.
        reason: String,
    },
    /// The mode changed.
    ModeChanged {
        /// The new mode.
        mode: Mode,
        /// Whether the bot is paused.
        paused: bool,
        /// Who changed it.
        source: ModeSource,
    },
    /// A command could not be carried out.
    Refused {
        /// The command (`fiat_sent`, `release`, ...).
        command: &'static str,
        /// Why.
        reason: String,
    },
}

/// One thing for the driver to do.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Action {
    /// Store this entry durably (replacing the one of its id) before any later action.
    Persist {
        /// The entry.
        entry: Box<Entry>,
    },
    /// Store this mode record durably (by `seq`) before any later action.
    PersistMode {
        /// The record.
        record: ModeRecord,
    },
    /// Delete the stored entry of order `id` (compaction: a final entry past retention).
    Forget {
        /// The order.
        id: u64,
    },
    /// Delete the stored mode record `seq` (only the newest records are kept).
    ForgetMode {
        /// The record.
        seq: u64,
    },
    /// Start the socket (`client.connect()`), and keep it reconnecting.
    Connect,
    /// Close the socket (`client.close()`). Keep the client itself: REST calls under way
    /// must still report their outcomes.
    Disconnect,
    /// Claim over HTTP (`client.claim(id)`), then report [`ClaimOutcome`](crate::ClaimOutcome)
    /// with this token.
    Claim {
        /// The order.
        id: u64,
        /// Echo it in the outcome.
        token: u64,
    },
    /// Look the order up (`client.getOrder(id)`), then report
    /// [`GetAnswer`](crate::GetAnswer) with this token.
    GetOrder {
        /// The order.
        id: u64,
        /// Echo it in the answer.
        token: u64,
    },
    /// Mark fiat sent over HTTP (`client.fiatSent(id)`), then report
    /// [`FiatSentOutcome`](crate::FiatSentOutcome) with this token.
    FiatSent {
        /// The order.
        id: u64,
        /// Echo it in the outcome.
        token: u64,
    },
    /// Tell the operator.
    Notify {
        /// What.
        notice: Notice,
    },
    /// Write a log line (JSON lines: `{"type":"log","level":..,"event":..,"mode":..,"fields":{..}}`).
    /// Never holds the key: the engine never sees it.
    Log {
        /// How much it matters.
        level: Level,
        /// What happened (`order_seen`, `claim_sent`, `claim_outcome`, `reconciled`, ...).
        event: &'static str,
        /// The bot's mode when it happened (`dry_run` lines are never claims).
        mode: Mode,
        /// Details.
        fields: Fields,
    },
}

impl Action {
    /// The action as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

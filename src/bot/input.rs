//! What the driver tells the engine. Each input comes with the wall-clock time (ms since
//! the epoch); see [`Engine::handle`](crate::Engine::handle).
//!
//! JSON form (for a JS driver): the input's fields plus `"type"` and `"now"`, e.g.
//! `{"type":"order","now":1746275096123,"order":{"id":7,"currency":"KES",...,"received_at":1746275096120}}`
//! or `{"type":"command","now":...,"command":"fiat_sent","id":7}`.

use serde::{Deserialize, Deserializer, Serialize};

use crate::entry::Entry;
use crate::failure::FailureKind;
use crate::mode::ModeRecord;
use crate::order::OrderInfo;

/// An operator command.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "command", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    /// Stop claiming (the socket closes; reconciliation goes on).
    Pause,
    /// Claim again; also the way out of a stop caused by a rejected key (one new attempt).
    Resume,
    /// The operator sent the fiat for claim `id`: mark it on the server.
    FiatSent {
        /// The order.
        id: u64,
    },
    /// Settle entry `id` now: look it up at once (it is released only if the lookup
    /// proves our claim never landed; a dry-run entry's fate becomes `unknown`).
    Release {
        /// The order.
        id: u64,
    },
    /// Claim for real from now on.
    GoLive,
    /// Stop claiming for real; journal what would be claimed.
    GoDryRun,
}

/// What the client's HTTP claim finally said (the client reconciles internally first).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", deny_unknown_fields)]
pub enum ClaimOutcome {
    /// `{ status: "claimed" }`: ours.
    Claimed {
        /// The owner the answer named, if the driver read it (informative only).
        #[serde(default)]
        lp_id: Option<u64>,
        /// The order as the client returned it (`result.order`: text, or the object in
        /// JSON input), if any. Its status counts: a claim that landed on an order since
        /// cancelled or expired is not one to send fiat for.
        #[serde(default, deserialize_with = "optional_body_text")]
        order: Option<String>,
    },
    /// `{ status: "taken" }`: 409, or another owner.
    Taken,
    /// The claim's promise rejected with an `LpError`.
    Failed {
        /// Its kind.
        kind: FailureKind,
        /// Its HTTP status, if any.
        #[serde(default)]
        status: Option<u16>,
        /// Its message.
        #[serde(default)]
        message: String,
    },
}

/// The answer to a [`GetOrder`](crate::Action::GetOrder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", deny_unknown_fields)]
pub enum GetAnswer {
    /// The order's JSON (text, or the object itself in JSON input); read with the core's
    /// tolerant parser (`rampwire_lp_core::rest::OrderState::parse`: ids and owners may be
    /// numeric strings).
    Order {
        /// The body.
        #[serde(deserialize_with = "body_text")]
        body: String,
    },
    /// 404.
    NotFound,
    /// The lookup failed.
    Failed {
        /// The error kind.
        kind: FailureKind,
        /// HTTP status, if any.
        #[serde(default)]
        status: Option<u16>,
        /// The message.
        #[serde(default)]
        message: String,
    },
}

/// The answer to a [`FiatSent`](crate::Action::FiatSent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "result", rename_all = "snake_case", deny_unknown_fields)]
pub enum FiatSentOutcome {
    /// The order's JSON as the server returned it.
    Order {
        /// The body.
        #[serde(deserialize_with = "body_text")]
        body: String,
    },
    /// The request failed (or its outcome is unknown).
    Failed {
        /// The error kind.
        kind: FailureKind,
        /// HTTP status, if any.
        #[serde(default)]
        status: Option<u16>,
        /// The message.
        #[serde(default)]
        message: String,
    },
}

/// Something that happened, for the engine to act on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Input {
    /// At start: the journal as stored (memory lost, journal kept). Before it, no order is
    /// claimed. Entries that are still pending are of unknown outcome.
    Load {
        /// Every stored entry.
        #[serde(default)]
        entries: Vec<Entry>,
        /// Every stored mode record.
        #[serde(default)]
        modes: Vec<ModeRecord>,
    },
    /// The socket is live (`init`); `lp_id` is ours (from `init` only).
    Connected {
        /// Our LP id.
        #[serde(default)]
        lp_id: Option<u64>,
    },
    /// The socket is down (the client reconnects by itself).
    Disconnected {
        /// Why, for the log.
        #[serde(default)]
        reason: Option<String>,
    },
    /// An open order (from `init` or `new_order`; duplicates are fine).
    Order {
        /// The order.
        order: OrderInfo,
    },
    /// `order_taken`: another LP claimed the order over the socket.
    OrderTaken {
        /// The order.
        id: u64,
    },
    /// What a [`Claim`](crate::Action::Claim) came to.
    ClaimOutcome {
        /// The order.
        id: u64,
        /// The action's token.
        token: u64,
        /// The outcome.
        outcome: ClaimOutcome,
    },
    /// What a [`GetOrder`](crate::Action::GetOrder) came to.
    OrderState {
        /// The order.
        id: u64,
        /// The action's token.
        token: u64,
        /// The answer.
        answer: GetAnswer,
    },
    /// What a [`FiatSent`](crate::Action::FiatSent) came to.
    FiatSentOutcome {
        /// The order.
        id: u64,
        /// The action's token.
        token: u64,
        /// The outcome.
        outcome: FiatSentOutcome,
    },
    /// The client stopped for good (a refused key: `Invalid lp_key`, 401).
    Fatal {
        /// The error kind.
        kind: FailureKind,
        /// Its message.
        #[serde(default)]
        message: String,
    },
    /// An operator command.
    Command(Command),
    /// A measured claim round trip (a REST answer's or a ping's), in ms.
    RttSample {
        /// The round trip.
        ms: u64,
    },
    /// Time passed (the same as [`Engine::handle_timeout`](crate::Engine::handle_timeout)).
    Timeout,
}

/// Why a JSON input was refused (a driver bug: the message says what is wrong).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("bad engine input: {0}")]
pub struct InputError(pub String);

impl Input {
    /// Reads `{"type": ..., "now": ..., ...}`; returns the time and the input.
    pub fn from_json(text: &str) -> Result<(u64, Input), InputError> {
        let mut v: serde_json::Value =
            serde_json::from_str(text).map_err(|e| InputError(e.to_string()))?;
        let now = v
            .as_object_mut()
            .and_then(|o| o.remove("now"))
            .ok_or_else(|| InputError("\"now\" (wall-clock ms) is missing".to_owned()))?;
        let now = now.as_u64().ok_or_else(|| {
            InputError("\"now\" must be whole milliseconds since the epoch".to_owned())
        })?;
        let input = serde_json::from_value(v).map_err(|e| InputError(e.to_string()))?;
        Ok((now, input))
    }

    /// The input as JSON, with `now` (what [`Input::from_json`] reads).
    pub fn to_json(&self, now: u64) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(serde_json::Value::Null);
        if let Some(o) = v.as_object_mut() {
            o.insert("now".to_owned(), now.into());
        }
        v.to_string()
    }
}

/// An optional body, as text or as the JSON value itself; `null` is none.
fn optional_body_text<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Null => None,
        serde_json::Value::String(s) => Some(s),
        other => Some(other.to_string()),
    })
}

/// A body given as text, or as the JSON value itself (written back as text).
fn body_text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::String(s) => s,
        other => other.to_string(),
    })
}

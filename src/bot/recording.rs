//! The recording format: what a driver saw of the order stream, as JSON lines, for
//! [`crate::replay`]. Never the key or anything derived from it: only order frames (the
//! order fields, `lp_id`, the currency filter), order states, disconnections and round
//! trips, each with its receive time.
//!
//! ```text
//! {"rampwire_recording":1,"source":"cli","started_at":1767225600000}
//! {"t":1767225600120,"frame":{"type":"init","orders":[...],"lp_id":12,"currencies":["KES"]}}
//! {"t":1767225600500,"frame":{"type":"new_order","order":{"id":7,"currency":"KES",...}}}
//! {"t":1767225601200,"frame":{"type":"order_taken","order_id":7}}
//! {"t":1767225601300,"state":{"id":8,"status":"claimed","lp_id":91}}
//! {"t":1767225602000,"event":"disconnected"}
//! {"t":1767225602100,"rtt_ms":180}
//! ```
//!
//! - The first line is the header: `rampwire_recording` is the format version
//!   ([`VERSION`]); `complete_states: true` says every change of every order's state is
//!   in the recording (the simulator's), so an order no line closed was still open.
//! - `frame` is a server frame as the driver received it, read with the client's own
//!   decoder (`init`, `new_order` and `order_taken` count; other types are ignored).
//! - `state` is what a lookup (or the simulator) showed of an order at `t`.
//! - `t` is wall ms since the epoch and never goes backwards.
//!
//! Reading is strict and total: a line that is not one of these (truncated, garbage,
//! unknown fields, time going backwards) is a [`RecordingError`] naming its line.

use serde::Deserialize;
use serde_json::value::RawValue;

use rampwire_lp_core::wire::ServerMessage;

use crate::order::OrderInfo;

/// The format version this crate writes and reads.
pub const VERSION: u64 = 1;
/// Longest line read (a 20-order `init` is ~4 KB): longer is refused, not read.
pub const MAX_LINE: usize = 256 * 1024;

/// The header line.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Header {
    /// The format version.
    pub rampwire_recording: u64,
    /// Who wrote it (`cli`, `sim`, `edge`, ...), informative.
    #[serde(default)]
    pub source: Option<String>,
    /// When recording started (wall ms).
    #[serde(default)]
    pub started_at: Option<u64>,
    /// Every state change of every order is recorded (an order no line closed was open).
    #[serde(default)]
    pub complete_states: bool,
}

/// What a lookup (or the simulator) showed of an order.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrderStateLine {
    /// The order.
    pub id: u64,
    /// Its status (`open`, `claimed`, `fiat_sent`, `completed`, `expired`, `cancelled`).
    pub status: String,
    /// Its owner, if it has one and the recorder knew it.
    #[serde(default)]
    pub lp_id: Option<u64>,
}

/// One line of a recording, read.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// The socket's snapshot (after each (re)connection).
    Init {
        /// When it arrived.
        t: u64,
        /// Our LP id, as the server said.
        lp_id: Option<u64>,
        /// The open orders.
        orders: Vec<OrderInfo>,
    },
    /// A new order.
    NewOrder {
        /// When it arrived.
        t: u64,
        /// The order.
        order: OrderInfo,
    },
    /// `order_taken`.
    OrderTaken {
        /// When it arrived.
        t: u64,
        /// The order.
        id: u64,
    },
    /// A frame of another type (`pong`, `error`, ...): read, not replayed.
    OtherFrame {
        /// When it arrived.
        t: u64,
    },
    /// An order's state as a lookup showed it.
    State {
        /// When.
        t: u64,
        /// The state.
        state: OrderStateLine,
    },
    /// The socket went down.
    Disconnected {
        /// When.
        t: u64,
    },
    /// A measured claim round trip.
    Rtt {
        /// When.
        t: u64,
        /// The round trip (ms).
        ms: u64,
    },
}

impl Record {
    /// The line's time.
    pub fn t(&self) -> u64 {
        match self {
            Record::Init { t, .. }
            | Record::NewOrder { t, .. }
            | Record::OrderTaken { t, .. }
            | Record::OtherFrame { t }
            | Record::State { t, .. }
            | Record::Disconnected { t }
            | Record::Rtt { t, .. } => *t,
        }
    }
}

/// What is wrong with a line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The line ends before its JSON does (a recording cut off mid-write).
    Truncated,
    /// Not JSON.
    NotJson(String),
    /// JSON, but not a recording line (the reason says what).
    BadShape(String),
    /// The frame does not decode (the decoder's reason).
    BadFrame(String),
    /// `t` is before the previous line's.
    OutOfOrder {
        /// This line's time.
        t: u64,
        /// The previous line's.
        previous: u64,
    },
    /// Longer than [`MAX_LINE`].
    TooLong,
    /// The first line is not a header.
    NoHeader,
    /// A header of a version this crate does not read.
    Version(u64),
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Problem::Truncated => f.write_str("truncated line (the JSON ends early)"),
            Problem::NotJson(why) => write!(f, "not JSON ({why})"),
            Problem::BadShape(why) => write!(f, "not a recording line ({why})"),
            Problem::BadFrame(why) => write!(f, "the frame does not decode ({why})"),
            Problem::OutOfOrder { t, previous } => {
                write!(f, "out of order: t={t} is before the previous line's t={previous}")
            }
            Problem::TooLong => write!(f, "line longer than {MAX_LINE} bytes"),
            Problem::NoHeader => f.write_str(
                "not a rampwire recording: the first line is not a {\"rampwire_recording\":1,...} header",
            ),
            Problem::Version(v) => write!(
                f,
                "recording format version {v}; this version reads {VERSION}"
            ),
        }
    }
}

/// A bad line: which file, which line, what is wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}line {line}: {problem}", file.as_deref().map(|f| format!("{f}: ")).unwrap_or_default())]
pub struct RecordingError {
    /// The recording's name, if the caller gave one.
    pub file: Option<String>,
    /// 1-based line number.
    pub line: u64,
    /// What is wrong.
    pub problem: Problem,
}

impl RecordingError {
    /// A short name of the problem (`truncated`, `not_json`, `bad_shape`, `bad_frame`,
    /// `out_of_order`, `too_long`, `no_header`, `version`).
    pub fn kind(&self) -> &'static str {
        match self.problem {
            Problem::Truncated => "truncated",
            Problem::NotJson(_) => "not_json",
            Problem::BadShape(_) => "bad_shape",
            Problem::BadFrame(_) => "bad_frame",
            Problem::OutOfOrder { .. } => "out_of_order",
            Problem::TooLong => "too_long",
            Problem::NoHeader => "no_header",
            Problem::Version(_) => "version",
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLine<'a> {
    t: u64,
    #[serde(default, borrow)]
    frame: Option<&'a RawValue>,
    #[serde(default)]
    state: Option<OrderStateLine>,
    #[serde(default)]
    event: Option<String>,
    #[serde(default)]
    rtt_ms: Option<u64>,
}

fn json_problem(e: &serde_json::Error) -> Problem {
    if e.is_eof() {
        Problem::Truncated
    } else if e.is_data() {
        Problem::BadShape(e.to_string())
    } else {
        Problem::NotJson(e.to_string())
    }
}

/// Reads the header line.
pub fn parse_header(text: &str) -> Result<Header, Problem> {
    if text.len() > MAX_LINE {
        return Err(Problem::TooLong);
    }
    let h: Header = match serde_json::from_str(text) {
        Ok(h) => h,
        Err(e) if e.is_eof() => return Err(Problem::Truncated),
        Err(_) => return Err(Problem::NoHeader),
    };
    if h.rampwire_recording != VERSION {
        return Err(Problem::Version(h.rampwire_recording));
    }
    Ok(h)
}

/// Reads one line after the header (time order is the reader's to check).
pub fn parse_line(text: &str) -> Result<Record, Problem> {
    if text.len() > MAX_LINE {
        return Err(Problem::TooLong);
    }
    let raw: RawLine<'_> = serde_json::from_str(text).map_err(|e| json_problem(&e))?;
    let t = raw.t;
    let given = usize::from(raw.frame.is_some())
        + usize::from(raw.state.is_some())
        + usize::from(raw.event.is_some())
        + usize::from(raw.rtt_ms.is_some());
    if given != 1 {
        return Err(Problem::BadShape(
            "a line has \"t\" and exactly one of \"frame\", \"state\", \"event\", \"rtt_ms\""
                .to_owned(),
        ));
    }
    if let Some(frame) = raw.frame {
        return frame_record(t, frame.get());
    }
    if let Some(state) = raw.state {
        if state.id > crate::entry::MAX_ID {
            return Err(Problem::BadShape(
                "the order id is above 2^53 - 1".to_owned(),
            ));
        }
        return Ok(Record::State { t, state });
    }
    if let Some(ms) = raw.rtt_ms {
        return Ok(Record::Rtt { t, ms });
    }
    match raw.event.as_deref() {
        Some("disconnected") => Ok(Record::Disconnected { t }),
        _ => Err(Problem::BadShape(
            "the only event is \"disconnected\"".to_owned(),
        )),
    }
}

fn frame_record(t: u64, text: &str) -> Result<Record, Problem> {
    let message = ServerMessage::decode(text).map_err(|e| Problem::BadFrame(e.message()))?;
    Ok(match message {
        ServerMessage::Init { orders, lp_id, .. } => Record::Init {
            t,
            lp_id,
            orders: orders.iter().map(|o| OrderInfo::from_order(o, t)).collect(),
        },
        ServerMessage::NewOrder { order } => Record::NewOrder {
            t,
            order: OrderInfo::from_view(&order, t),
        },
        ServerMessage::OrderTaken { order_id } => Record::OrderTaken { t, id: order_id },
        _ => Record::OtherFrame { t },
    })
}

//! Wire types of rampwire-lp: every JSON message of the order WebSocket, both
//! directions, and the zero-copy JSON reader under them.
//!
//! A crate of its own so that it can be built for speed (every frame passes through
//! it) while the rest of the package is built for size.
//!
//! Decoding ([`decode`]) is tolerant and total: unknown `type`s become
//! [`ServerMessage::Unknown`], unknown fields are ignored, numbers may arrive as integers,
//! floats or numeric strings, optional fields may be missing. Anything that is not a JSON
//! object with a string `type` is a [`DecodeError`]; no input panics. Encoding
//! ([`encode`]) writes the four fixed client shapes by hand.

#![deny(missing_docs)]

use std::borrow::Cow;

mod canonical;
mod decode;
mod encode;
pub mod json;
mod short;

pub use decode::{object_fields, Scalar};
pub use encode::push_u64;
pub use encode::ClientMessage;
pub use short::{ShortFrame, MAX_DIGITS};

/// Not API: the two readings the fuzz targets and their corpus replay compare
/// (`fuzz/checks.rs`: the shortcuts against the general decoder). Native builds only: in
/// the wasm, a second caller of `decode_scanned` changed what is inlined (+73 B gzip).
#[cfg(not(target_arch = "wasm32"))]
#[doc(hidden)]
pub mod fuzzing {
    use super::{DecodeError, ServerMessage};

    /// `ServerMessage::decode` without the canonical `new_order` shortcut.
    pub fn decode_scanned(text: &str) -> Result<ServerMessage<'_>, DecodeError> {
        ServerMessage::decode_scanned(text)
    }

    /// The canonical `new_order` shortcut alone (`None`: left to the general decoder).
    pub fn canonical_new_order(text: &str) -> Option<ServerMessage<'_>> {
        super::canonical::new_order(text)
    }
}

/// An order id (the provider's primary key, `order_id` elsewhere).
pub type OrderId = u64;

/// The largest id the decoder accepts (2^53 - 1): every id must be exact as a JS number,
/// or two orders could look like one to a JS caller.
pub const MAX_ID: u64 = 9_007_199_254_740_991;

/// The order preview object sent in `init` and `new_order` (field names as on the wire),
/// owned. Its five texts share one allocation: the book holds many orders, and each
/// arrives at frame rate. Built with [`OrderView::to_order`].
#[derive(Clone, PartialEq)]
pub struct Order {
    /// Primary key.
    pub id: OrderId,
    /// Local fiat amount; `None` when the server sent something that is not a finite
    /// number (an unreadable amount never passes a limit).
    pub amount_fiat: Option<f64>,
    /// USD notional; `None` when unreadable.
    pub amount_usd: Option<f64>,
    /// currency, crypto_symbol, crypto_chain, status and created_at, one after another.
    text: Box<str>,
    /// Where each of the five ends in `text`.
    ends: [usize; 5],
}

impl Order {
    fn part(&self, i: usize) -> &str {
        let end = |i: usize| self.ends.get(i).copied().unwrap_or(0);
        let start = i.checked_sub(1).map_or(0, end);
        // Every end lies between two whole `&str`s: always a char boundary.
        self.text.get(start..end(i)).unwrap_or_default()
    }

    /// ISO currency code, e.g. `KES`.
    pub fn currency(&self) -> &str {
        self.part(0)
    }

    /// e.g. `usdt`.
    pub fn crypto_symbol(&self) -> &str {
        self.part(1)
    }

    /// e.g. `trx`.
    pub fn crypto_chain(&self) -> &str {
        self.part(2)
    }

    /// `open`, `claimed`, `fiat_sent`, `completed`, or another word the server adds.
    pub fn status(&self) -> &str {
        self.part(3)
    }

    /// ISO-8601 timestamp, kept as sent.
    pub fn created_at(&self) -> &str {
        self.part(4)
    }

    /// The order as a view (borrowing this one).
    pub fn view(&self) -> OrderView<'_> {
        OrderView {
            id: self.id,
            amount_fiat: self.amount_fiat,
            currency: Cow::Borrowed(self.currency()),
            amount_usd: self.amount_usd,
            crypto_symbol: Cow::Borrowed(self.crypto_symbol()),
            crypto_chain: Cow::Borrowed(self.crypto_chain()),
            status: Cow::Borrowed(self.status()),
            created_at: Cow::Borrowed(self.created_at()),
        }
    }
}

impl std::fmt::Debug for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.view().fmt(f)
    }
}

/// An order as decoded from a frame: its text fields borrow the frame where they hold no
/// escapes, so an order that a filter drops costs no allocation, and a driver can hand
/// the fields to its platform as ranges of the frame.
#[derive(Debug, Clone, PartialEq)]
pub struct OrderView<'a> {
    /// Primary key.
    pub id: OrderId,
    /// Local fiat amount; `None` when unreadable (see [`Order::amount_fiat`]).
    pub amount_fiat: Option<f64>,
    /// ISO currency code.
    pub currency: Cow<'a, str>,
    /// USD notional; `None` when unreadable.
    pub amount_usd: Option<f64>,
    /// e.g. `usdt`.
    pub crypto_symbol: Cow<'a, str>,
    /// e.g. `trx`.
    pub crypto_chain: Cow<'a, str>,
    /// Lifecycle word.
    pub status: Cow<'a, str>,
    /// ISO-8601 timestamp, kept as sent.
    pub created_at: Cow<'a, str>,
}

impl OrderView<'_> {
    /// The owned order (one allocation for its texts).
    pub fn to_order(&self) -> Order {
        let parts = [
            &*self.currency,
            &*self.crypto_symbol,
            &*self.crypto_chain,
            &*self.status,
            &*self.created_at,
        ];
        let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut ends = [0; 5];
        for (end, part) in ends.iter_mut().zip(parts) {
            text.push_str(part);
            *end = text.len();
        }
        Order {
            id: self.id,
            amount_fiat: self.amount_fiat,
            amount_usd: self.amount_usd,
            text: text.into_boxed_str(),
            ends,
        }
    }
}

/// A message from the server. Text borrows the frame where it can.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage<'a> {
    /// Snapshot after auth: up to 20 newest open orders, newest first.
    Init {
        /// The open orders.
        orders: Vec<Order>,
        /// Our LP id, when sent.
        lp_id: Option<u64>,
        /// The currency filter the server applied.
        currencies: Vec<String>,
    },
    /// A matching sell order was created.
    NewOrder {
        /// The order.
        order: OrderView<'a>,
    },
    /// Another LP claimed an order over the WebSocket.
    OrderTaken {
        /// The order.
        order_id: OrderId,
    },
    /// Acknowledgement of our own WebSocket claim.
    Claimed {
        /// The order.
        order_id: OrderId,
    },
    /// Heartbeat answer.
    Pong {
        /// Server time in ms since the epoch, when sent.
        ts: Option<f64>,
    },
    /// Deferred auth: the server waits for `auth`.
    AuthRequired {
        /// Human-readable hint.
        message: Cow<'a, str>,
    },
    /// An error; `order_id` is set when it answers a claim.
    Error {
        /// What the server said.
        message: Cow<'a, str>,
        /// The order it is about, if any.
        order_id: Option<OrderId>,
    },
    /// A `type` this client does not know. Reported, never fatal.
    Unknown {
        /// The `type` string as received, whole: a reporter redacts secrets from it
        /// before truncating (a key cut in half by a truncation would escape redaction).
        kind: Cow<'a, str>,
    },
}

/// Why a frame could not be decoded. Messages never echo values from the frame.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DecodeError {
    /// The frame is not JSON.
    NotJson(String),
    /// The frame is JSON but not an object with a string `type`.
    NoType,
    /// A known message type with fields of the wrong shape.
    BadShape {
        /// The message type.
        kind: &'static str,
        /// Which field is missing or wrong.
        detail: &'static str,
    },
    /// A frame too large to be a protocol message; not read.
    TooLarge,
    /// A binary frame; the protocol is text-only.
    Binary,
}

impl DecodeError {
    /// The message, written without the formatting machinery (which would add
    /// kilobytes to the wasm; `Display` shows the same text).
    pub fn message(&self) -> String {
        let parts: [&str; 5] = match self {
            DecodeError::NotJson(why) => ["frame is not valid JSON (", why, ")", "", ""],
            DecodeError::NoType => [
                "frame is not a JSON object with a string \"type\"",
                "",
                "",
                "",
                "",
            ],
            DecodeError::BadShape { kind, detail } => {
                ["\"", kind, "\" frame has a bad shape (", detail, ")"]
            }
            DecodeError::TooLarge => ["frame larger than 1 MiB ignored", "", "", "", ""],
            DecodeError::Binary => [
                "binary frame received; the protocol sends text",
                "",
                "",
                "",
                "",
            ],
        };
        // Not `concat()`: its generic copy loop is ~1.2 KB of wasm; `push_str` is there anyway.
        let mut out = String::new();
        for part in parts {
            out.push_str(part);
        }
        out
    }
}

impl std::fmt::Display for DecodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message())
    }
}

impl std::error::Error for DecodeError {}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.get(..end).unwrap_or_default()
}

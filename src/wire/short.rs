//! Short frames: the two fixed-shape frames that make up a third of an order feed
//! (`order_taken` and `pong`), which a driver may recognise and hand over as a number
//! instead of copying the text in for the JSON reader.
//!
//! The contract: a frame that is exactly a [`ShortFrame::prefix`], then a JSON integer of
//! 1 to [`MAX_DIGITS`] digits (no sign, no leading zero unless it is `0`), then `}`, means
//! what [`ShortFrame::message`] builds from that integer. It is the message the decoder
//! reads from the same text (tested); any other text, such as other key orders, spaces,
//! more digits or escapes, takes the decoder's way. [`ShortFrame::recognise`] is the
//! reference recogniser; host.js has its own copy for the frame path.

use super::{OrderId, ServerMessage};

/// The most digits a short frame's integer may have: every such integer is exact as a
/// JS number (below 2^53), so it crosses into wasm as an `f64` unchanged.
pub const MAX_DIGITS: usize = 15;

/// The shapes (their numbers are what the driver passes; keep in step with host.js).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShortFrame {
    /// `{"type":"order_taken","order_id":N}`
    OrderTaken = 1,
    /// `{"type":"pong","ts":N}`
    Pong = 2,
}

impl ShortFrame {
    /// Both shapes.
    pub const ALL: [ShortFrame; 2] = [ShortFrame::OrderTaken, ShortFrame::Pong];

    /// The shape numbered `n` by the driver.
    pub fn from_number(n: u32) -> Option<ShortFrame> {
        ShortFrame::ALL.into_iter().find(|s| *s as u32 == n)
    }

    /// The text before the integer.
    pub fn prefix(self) -> &'static str {
        match self {
            ShortFrame::OrderTaken => "{\"type\":\"order_taken\",\"order_id\":",
            ShortFrame::Pong => "{\"type\":\"pong\",\"ts\":",
        }
    }

    /// The message such a frame holds, for the integer `value` as the driver read it; `None`
    /// if `value` is not an integer a short frame can hold (the driver broke the contract).
    pub fn message(self, value: f64) -> Option<ServerMessage<'static>> {
        if !((0.0..1e15).contains(&value) && value.fract() == 0.0) {
            return None;
        }
        Some(match self {
            ShortFrame::OrderTaken => ServerMessage::OrderTaken {
                order_id: value as OrderId,
            },
            ShortFrame::Pong => ServerMessage::Pong { ts: Some(value) },
        })
    }

    /// The shape and integer of `text` if it is a short frame.
    pub fn recognise(text: &str) -> Option<(ShortFrame, f64)> {
        ShortFrame::ALL.into_iter().find_map(|shape| {
            let digits = text.strip_prefix(shape.prefix())?.strip_suffix('}')?;
            let well_formed = (1..=MAX_DIGITS).contains(&digits.len())
                && digits.bytes().all(|b| b.is_ascii_digit())
                && (digits == "0" || !digits.starts_with('0'));
            well_formed.then(|| {
                (
                    shape,
                    digits
                        .bytes()
                        .fold(0.0, |v, b| v * 10.0 + f64::from(b - b'0')),
                )
            })
        })
    }
}

//! The provider's own spelling of a `new_order` frame, read by fixed steps instead of the
//! general scan: most of a feed is such frames, and the decoder's key-by-key work is most
//! of the cost of a frame in wasm.
//!
//! The contract: a frame that is exactly
//! `{"type":"new_order","order":{"id":N,"amount_fiat":N,"currency":S,"amount_usd":N,`
//! `"crypto_symbol":S,"crypto_chain":S,"status":S,"created_at":S}}` (N a JSON number, S a
//! JSON string without escapes, blanks allowed only before a value and at the end) decodes
//! to what the general decoder reads from it. Each key stands once, so no question of
//! which duplicate wins arises. Any other text (more fields, other key orders, escapes, an
//! id that is not one) is left to the general decoder: this is a shortcut, never a second
//! reading of the protocol. Tested against the general decoder on both sides of the line.

use std::borrow::Cow;

use super::{OrderView, Scalar, ServerMessage};
use crate::json::{Reader, Value};

/// What stands before each value of the canonical shape, in order.
const KEYS: [&[u8]; 8] = [
    br#"{"type":"new_order","order":{"id":"#,
    br#","amount_fiat":"#,
    br#","currency":"#,
    br#","amount_usd":"#,
    br#","crypto_symbol":"#,
    br#","crypto_chain":"#,
    br#","status":"#,
    br#","created_at":"#,
];
/// Bit `i` set: the value after `KEYS[i]` is a number (id, amount_fiat, amount_usd); the
/// others are strings.
const NUMBERS: u8 = 0b0000_1011;

/// The frame as a `new_order` of the canonical shape, or `None` for the general decoder.
pub fn new_order(text: &str) -> Option<ServerMessage<'_>> {
    let mut r = Reader::new(text);
    // Number tokens and string bodies (no escapes) as they stand in the frame.
    let mut raw = [""; 8];
    for (i, key) in KEYS.iter().enumerate() {
        if !r.expect(key) {
            return None;
        }
        raw[i] = match (r.value().ok()?, NUMBERS >> i & 1 == 1) {
            (Value::Number(t), true) => t,
            (Value::Str(s), false) => s.plain()?,
            _ => return None,
        };
    }
    if !r.expect(b"}}") || r.finish().is_err() {
        return None;
    }
    let [id, amount_fiat, currency, amount_usd, crypto_symbol, crypto_chain, status, created_at] =
        raw;
    // Read as the general decoder reads them (`decode::order`).
    let amount = |t| Scalar::Number(t).f64();
    Some(ServerMessage::NewOrder {
        order: OrderView {
            id: Scalar::Number(id).id()?,
            amount_fiat: amount(amount_fiat),
            currency: Cow::Borrowed(currency),
            amount_usd: amount(amount_usd),
            crypto_symbol: Cow::Borrowed(crypto_symbol),
            crypto_chain: Cow::Borrowed(crypto_chain),
            status: Cow::Borrowed(status),
            created_at: Cow::Borrowed(created_at),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const CANONICAL: &str = r#"{"type":"new_order","order":{"id":100001,"amount_fiat":12900,"currency":"KES","amount_usd":100.5,"crypto_symbol":"usdt","crypto_chain":"trx","status":"open","created_at":"2026-05-03T12:00:00.000Z"}}"#;

    /// Frames of the canonical shape: the shortcut reads each as the general decoder does.
    #[test]
    fn reads_what_the_general_decoder_reads() {
        let variants = [
            CANONICAL.to_owned(),
            CANONICAL.replace("100001", "0"),
            CANONICAL.replace("100001", "7.0"),
            CANONICAL.replace("12900", "1.29e4"),
            CANONICAL.replace("12900", "-0"),
            CANONICAL.replace("100.5", "1E-2"),
            CANONICAL.replace("100.5", "123456789012345678"),
            // Beyond f64: valid JSON, an unreadable amount (None) either way.
            CANONICAL.replace("12900", "1e999"),
            CANONICAL.replace("\"KES\"", "\"\""),
            CANONICAL.replace("usdt", "ÜSDT ✓"),
            CANONICAL.replace(":100001", ": 100001"),
            CANONICAL.replace(":\"open\"", ": \t\"open\""),
            format!("{CANONICAL} \n"),
        ];
        for frame in &variants {
            let fast = new_order(frame);
            assert!(fast.is_some(), "canonical: {frame}");
            assert_eq!(
                fast.map(Ok),
                Some(ServerMessage::decode_scanned(frame)),
                "{frame}"
            );
        }
    }

    /// Anything else is left to the general decoder (which may accept or refuse it).
    #[test]
    fn leaves_every_other_spelling_to_the_general_decoder() {
        let others = [
            CANONICAL.replace("\"KES\"", r#""K\u0045S""#),
            CANONICAL.replace("}}", r#","fee_bps":30}}"#),
            CANONICAL.replace("}}", r#","currency":"NGN"}}"#),
            CANONICAL.replace(
                r#""currency":"KES","amount_usd":100.5"#,
                r#""amount_usd":100.5,"currency":"KES""#,
            ),
            CANONICAL.replace("{\"type\"", "{ \"type\""),
            CANONICAL.replace("100001", "-5"),
            CANONICAL.replace("100001", "1.5"),
            CANONICAL.replace("100001", "\"100001\""),
            CANONICAL.replace("12900", "\"12900\""),
            CANONICAL.replace("12900", "012900"),
            CANONICAL.replace("\"trx\"", "null"),
            CANONICAL.replace("\"open\"", "\"op\nen\""),
            format!("{CANONICAL},"),
            format!("{CANONICAL}}}"),
            CANONICAL.replace("}}", "}, \"type\":\"pong\"}"),
            CANONICAL[..CANONICAL.len() - 1].to_owned(),
            CANONICAL[..40].to_owned(),
        ];
        for frame in &others {
            assert_eq!(new_order(frame), None, "not canonical: {frame}");
        }
    }

    /// `decode` itself gives the same answer with or without the shortcut.
    #[test]
    fn decode_is_unchanged_by_the_shortcut() {
        for frame in [
            CANONICAL.to_owned(),
            CANONICAL.replace("}}", r#","tags":["x"]}}"#),
        ] {
            assert_eq!(
                ServerMessage::decode(&frame),
                ServerMessage::decode_scanned(&frame)
            );
        }
    }
}

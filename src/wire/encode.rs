//! The client's four frames, written by hand: fixed shapes, no failure path, one
//! allocation each.

use std::fmt;

use super::OrderId;

/// A message to the server.
pub enum ClientMessage<'a> {
    /// Keepalive.
    Ping,
    /// WebSocket claim.
    Claim {
        /// The order.
        order_id: OrderId,
    },
    /// WebSocket fiat-sent.
    FiatSent {
        /// The order.
        order_id: OrderId,
    },
    /// Deferred auth.
    Auth {
        /// The secret key (the core passes its validated `LpKey`; `Debug` never shows it).
        lp_key: &'a str,
    },
}

impl fmt::Debug for ClientMessage<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientMessage::Ping => f.write_str("Ping"),
            ClientMessage::Claim { order_id } => write!(f, "Claim({order_id})"),
            ClientMessage::FiatSent { order_id } => write!(f, "FiatSent({order_id})"),
            ClientMessage::Auth { .. } => f.write_str("Auth(<redacted>)"),
        }
    }
}

impl ClientMessage<'_> {
    /// The JSON text frame.
    #[inline]
    pub fn encode(&self) -> String {
        match self {
            ClientMessage::Ping => r#"{"type":"ping"}"#.to_owned(),
            ClientMessage::Claim { order_id } => {
                with_id(r#"{"type":"claim","order_id":"#, *order_id)
            }
            ClientMessage::FiatSent { order_id } => {
                with_id(r#"{"type":"fiat_sent","order_id":"#, *order_id)
            }
            ClientMessage::Auth { lp_key } => {
                let mut s = String::from(r#"{"type":"auth","lp_key":""#);
                push_json_text(&mut s, lp_key);
                s.push_str("\"}");
                s
            }
        }
    }
}

fn with_id(head: &str, id: OrderId) -> String {
    let mut s = String::from(head);
    push_u64(&mut s, id);
    s.push('}');
    s
}

/// Appends `text` escaped for a JSON string (a valid key needs no escapes; any other
/// text still makes valid JSON).
fn push_json_text(s: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest
        .bytes()
        .position(|b| b == b'"' || b == b'\\' || b < 0x20)
    {
        // Bytes below 0x80 are whole chars: both sides of `i` are char boundaries.
        s.push_str(rest.get(..i).unwrap_or_default());
        let b = rest.as_bytes().get(i).copied().unwrap_or(b' ');
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                s.push_str("\\u00");
                s.push(char::from(HEX[usize::from(b >> 4)]));
                s.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
        rest = rest.get(i + 1..).unwrap_or_default();
    }
    s.push_str(rest);
}

/// Appends the decimal digits of `n` without the formatting machinery.
pub fn push_u64(s: &mut String, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    for &b in buf.get(i..).unwrap_or_default() {
        s.push(b as char);
    }
}

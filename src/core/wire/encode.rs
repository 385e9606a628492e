//! The client's four frames, written by hand: fixed shapes, no failure path, one
//! allocation each.

use std::fmt;

use super::OrderId;
use crate::core::secret::LpKey;

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
        /// The secret key.
        lp_key: &'a LpKey,
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
                // The key is validated to `[A-Za-z0-9_-]` (see `LpKey::new`): no escaping needed.
                let mut s = String::from(r#"{"type":"auth","lp_key":""#);
                s.push_str(lp_key.expose());
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

/// Appends the decimal digits of `n` without the formatting machinery.
pub(crate) fn push_u64(s: &mut String, mut n: u64) {
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

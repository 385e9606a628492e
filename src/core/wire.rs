//! Wire types: every JSON message of the order WebSocket, both directions.
//!
//! Decoding is tolerant and total. Unknown `type`s become [`ServerMessage::Unknown`],
//! unknown fields are ignored, numbers may arrive as integers, floats or numeric
//! strings, optional fields may be missing. Anything that is not a JSON object with a
//! string `type` is a [`DecodeError`]; no input panics.

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use std::fmt;

use super::secret::LpKey;

/// An order id (the provider's primary key, `order_id` elsewhere).
pub type OrderId = u64;

/// The order preview object sent in `init` and `new_order` (field names as on the wire).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Order {
    /// Primary key.
    #[serde(deserialize_with = "de_id")]
    pub id: OrderId,
    /// Local fiat amount.
    #[serde(default, deserialize_with = "de_f64")]
    pub amount_fiat: f64,
    /// ISO currency code, e.g. `KES`.
    #[serde(default, deserialize_with = "de_string")]
    pub currency: String,
    /// USD notional.
    #[serde(default, deserialize_with = "de_f64")]
    pub amount_usd: f64,
    /// e.g. `usdt`.
    #[serde(default, deserialize_with = "de_string")]
    pub crypto_symbol: String,
    /// e.g. `trx`.
    #[serde(default, deserialize_with = "de_string")]
    pub crypto_chain: String,
    /// `open`, `claimed`, `fiat_sent`, `completed`, or another word the server adds.
    #[serde(default, deserialize_with = "de_string")]
    pub status: String,
    /// ISO-8601 timestamp, kept as sent.
    #[serde(default, deserialize_with = "de_string")]
    pub created_at: String,
}

/// A message from the server.
#[derive(Debug, Clone, PartialEq)]
pub enum ServerMessage {
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
        order: Order,
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
        message: String,
    },
    /// An error; `order_id` is set when it answers a claim.
    Error {
        /// What the server said.
        message: String,
        /// The order it is about, if any.
        order_id: Option<OrderId>,
    },
    /// A `type` this client does not know. Reported, never fatal.
    Unknown {
        /// The `type` string as received (truncated to 64 bytes).
        kind: String,
    },
}

/// Why a frame could not be decoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The frame is not JSON.
    #[error("frame is not valid JSON ({0})")]
    NotJson(String),
    /// The frame is JSON but not an object with a string `type`.
    #[error("frame is not a JSON object with a string \"type\"")]
    NoType,
    /// A known message type with fields of the wrong shape.
    #[error("\"{kind}\" frame has a bad shape ({detail})")]
    BadShape {
        /// The message type.
        kind: &'static str,
        /// What serde said (values are not echoed).
        detail: String,
    },
    /// A binary frame; the protocol is text-only.
    #[error("binary frame received; the protocol sends text")]
    Binary,
}

/// Only the tag, borrowed where possible, so dispatch costs one pass over `type`.
#[derive(Deserialize)]
struct Tag<'a> {
    #[serde(rename = "type", borrow)]
    kind: Option<std::borrow::Cow<'a, str>>,
}

#[derive(Deserialize)]
struct InitBody {
    #[serde(default)]
    orders: Vec<Order>,
    #[serde(default, deserialize_with = "de_opt_id")]
    lp_id: Option<u64>,
    #[serde(default, deserialize_with = "de_strings")]
    currencies: Vec<String>,
}
#[derive(Deserialize)]
struct NewOrderBody {
    order: Order,
}
#[derive(Deserialize)]
struct OrderIdBody {
    #[serde(deserialize_with = "de_id")]
    order_id: OrderId,
}
#[derive(Deserialize)]
struct PongBody {
    #[serde(default, deserialize_with = "de_opt_f64")]
    ts: Option<f64>,
}
#[derive(Deserialize)]
struct MessageBody {
    #[serde(default, deserialize_with = "de_string")]
    message: String,
    #[serde(default, deserialize_with = "de_opt_id")]
    order_id: Option<OrderId>,
}

impl ServerMessage {
    /// Decodes one text frame.
    pub fn decode(text: &str) -> Result<Self, DecodeError> {
        let tag: Tag = match serde_json::from_str(text) {
            Ok(t) => t,
            Err(e) if e.is_data() => return Err(DecodeError::NoType),
            Err(e) => return Err(DecodeError::NotJson(describe(&e))),
        };
        let kind = tag.kind.ok_or(DecodeError::NoType)?;
        fn body<'a, T: Deserialize<'a>>(
            text: &'a str,
            kind: &'static str,
        ) -> Result<T, DecodeError> {
            serde_json::from_str(text).map_err(|e| DecodeError::BadShape {
                kind,
                detail: describe(&e),
            })
        }
        Ok(match kind.as_ref() {
            "init" => {
                let b: InitBody = body(text, "init")?;
                ServerMessage::Init {
                    orders: b.orders,
                    lp_id: b.lp_id,
                    currencies: b.currencies,
                }
            }
            "new_order" => ServerMessage::NewOrder {
                order: body::<NewOrderBody>(text, "new_order")?.order,
            },
            "order_taken" => ServerMessage::OrderTaken {
                order_id: body::<OrderIdBody>(text, "order_taken")?.order_id,
            },
            "claimed" => ServerMessage::Claimed {
                order_id: body::<OrderIdBody>(text, "claimed")?.order_id,
            },
            "pong" => ServerMessage::Pong {
                ts: body::<PongBody>(text, "pong")?.ts,
            },
            "auth_required" => ServerMessage::AuthRequired {
                message: body::<MessageBody>(text, "auth_required")?.message,
            },
            "error" => {
                let b: MessageBody = body(text, "error")?;
                ServerMessage::Error {
                    message: b.message,
                    order_id: b.order_id,
                }
            }
            other => ServerMessage::Unknown {
                kind: truncate(other, 64).to_owned(),
            },
        })
    }
}

/// What went wrong, by serde's category and column: never the offending value (which could
/// echo anything), and without serde's message formatting (it pulls float printing into wasm).
fn describe(e: &serde_json::Error) -> String {
    use serde_json::error::Category;
    let mut s = String::from(match e.classify() {
        Category::Syntax => "syntax error",
        Category::Data => "missing field, or a field of the wrong type",
        Category::Eof => "unexpected end of input",
        Category::Io => "read error",
    });
    s.push_str(" at column ");
    push_u64(&mut s, e.column() as u64);
    s
}

/// Cuts `s` to at most `max` bytes on a char boundary.
pub(crate) fn truncate(s: &str, max: usize) -> &str {
    if s.len() <= max {
        return s;
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

/// A message to the server.
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
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
        // Hand-rolled for the fixed shapes: no failure path, no allocation beyond the string.
        match self {
            ClientMessage::Ping => r#"{"type":"ping"}"#.to_owned(),
            ClientMessage::Claim { order_id } => {
                let mut s = String::from(r#"{"type":"claim","order_id":"#);
                push_u64(&mut s, *order_id);
                s.push('}');
                s
            }
            ClientMessage::FiatSent { order_id } => {
                let mut s = String::from(r#"{"type":"fiat_sent","order_id":"#);
                push_u64(&mut s, *order_id);
                s.push('}');
                s
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
    for &b in &buf[i..] {
        s.push(b as char);
    }
}

// ---- tolerant field decoders -------------------------------------------------------

struct IdVisitor;
impl Visitor<'_> for IdVisitor {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a non-negative integer id")
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<u64, E> {
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<u64, E> {
        u64::try_from(v).map_err(|_| E::custom("negative id"))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<u64, E> {
        if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v < 18_446_744_073_709_551_616.0 {
            Ok(v as u64)
        } else {
            Err(E::custom("id is not a whole non-negative number"))
        }
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<u64, E> {
        v.trim()
            .parse::<u64>()
            .map_err(|_| E::custom("id string is not a number"))
    }
}

fn de_id<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    d.deserialize_any(IdVisitor)
}

/// Any JSON value, reduced to what the tolerant decoders need; containers are skipped.
enum Scalar {
    Absent,
    U64(u64),
    I64(i64),
    F64(f64),
    Str(String),
}

struct ScalarVisitor;
impl<'de> Visitor<'de> for ScalarVisitor {
    type Value = Scalar;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar, E> {
        Ok(Scalar::U64(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar, E> {
        Ok(Scalar::I64(v))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar, E> {
        Ok(Scalar::F64(v))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar, E> {
        Ok(Scalar::Str(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Scalar, E> {
        Ok(Scalar::Str(v))
    }
    fn visit_none<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_unit<E: de::Error>(self) -> Result<Scalar, E> {
        Ok(Scalar::Absent)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
        while a.next_element::<de::IgnoredAny>()?.is_some() {}
        Ok(Scalar::Absent)
    }
    fn visit_map<A: de::MapAccess<'de>>(self, mut a: A) -> Result<Scalar, A::Error> {
        while a.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
        Ok(Scalar::Absent)
    }
}

fn scalar<'de, D: Deserializer<'de>>(d: D) -> Result<Scalar, D::Error> {
    d.deserialize_any(ScalarVisitor)
}

fn de_opt_id<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    // null, or a value that is not an id, counts as absent: an optional field never kills a frame.
    Ok(match scalar(d)? {
        Scalar::U64(v) => Some(v),
        Scalar::I64(v) => u64::try_from(v).ok(),
        Scalar::F64(v) => IdVisitor.visit_f64::<de::value::Error>(v).ok(),
        Scalar::Str(s) => s.trim().parse().ok(),
        Scalar::Absent => None,
    })
}

fn de_opt_f64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    Ok(match scalar(d)? {
        Scalar::U64(v) => Some(v as f64),
        Scalar::I64(v) => Some(v as f64),
        Scalar::F64(v) => Some(v),
        Scalar::Str(s) => s.trim().parse().ok().filter(|f: &f64| f.is_finite()),
        Scalar::Absent => None,
    })
}

fn de_f64<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
    Ok(de_opt_f64(d)?.unwrap_or(0.0))
}

fn de_string<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    let mut out = String::new();
    match scalar(d)? {
        Scalar::Str(s) => out = s,
        Scalar::U64(v) => push_u64(&mut out, v),
        Scalar::I64(v) => {
            if v < 0 {
                out.push('-');
            }
            push_u64(&mut out, v.unsigned_abs());
        }
        // A string field holding a fractional number: rare enough to leave empty.
        Scalar::F64(_) | Scalar::Absent => {}
    }
    Ok(out)
}

struct StringsVisitor;
impl<'de> Visitor<'de> for StringsVisitor {
    type Value = Vec<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of strings")
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Vec<String>, A::Error> {
        let mut v = Vec::new();
        while let Some(item) = a.next_element_seed(ScalarSeed)? {
            if let Scalar::Str(s) = item {
                v.push(s);
            }
        }
        Ok(v)
    }
    // The spec's query form, "KES,NGN", tolerated in a JSON string too.
    fn visit_str<E: de::Error>(self, s: &str) -> Result<Vec<String>, E> {
        Ok(s.split(',')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect())
    }
    fn visit_map<A: de::MapAccess<'de>>(self, a: A) -> Result<Vec<String>, A::Error> {
        ScalarVisitor.visit_map(a).map(|_| Vec::new())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Vec<String>, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_none<E: de::Error>(self) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Vec<String>, E> {
        Ok(Vec::new())
    }
}

struct ScalarSeed;
impl<'de> de::DeserializeSeed<'de> for ScalarSeed {
    type Value = Scalar;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Scalar, D::Error> {
        scalar(d)
    }
}

fn de_strings<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    d.deserialize_any(StringsVisitor)
}

/// Tolerant id decoder, for sibling modules' serde attributes.
pub(crate) fn de_id_pub<'de, D: Deserializer<'de>>(d: D) -> Result<u64, D::Error> {
    de_id(d)
}

/// Tolerant optional id decoder, for sibling modules' serde attributes.
pub(crate) fn de_opt_id_pub<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    de_opt_id(d)
}

/// Tolerant string decoder, for sibling modules' serde attributes.
pub(crate) fn de_string_pub<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    de_string(d)
}

//! Tolerant decoding of server frames, in one pass over the frame.
//!
//! The rules: a number may be an integer, a float or a numeric string; an optional field
//! that is missing, null or of another type counts as absent; unknown fields and types
//! are ignored. Only what a message cannot do without (`order` with a whole, non-negative
//! `id`, a claim's `order_id`) makes it a [`DecodeError::BadShape`], and only a document
//! that is not JSON makes it [`DecodeError::NotJson`] (checked first, as serde_json would).
//!
//! Duplicate keys: a frame that gives `type`, a top-level field its type reads, or a
//! field of an order twice is a [`DecodeError::BadShape`] ("a field is given twice"), and
//! [`object_fields`] reads no object that gives one of the asked-for names twice. JSON
//! leaves duplicates to the reader (RFC 8259: "unpredictable") and readers differ:
//! serde_json's `Value` and JavaScript keep the last, others the first, and this decoder
//! used to take the last but concatenate two `orders` lists. No server's serializer
//! writes a key twice: such a frame was written by hand or altered on the way, and a
//! payment client should not guess which amount, id or owner is meant, nor act on a
//! value that another reader of the same text would see differently. So it is refused
//! and reported, and nothing in it is acted upon. Fields the decoder does not read may
//! repeat (ignored, like any unknown field).

use std::borrow::Cow;

use super::{DecodeError, Order, OrderId, OrderView, ServerMessage};
use crate::json::{self, JsonError, Reader, Value};

type Res<T> = Result<T, JsonError>;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Init,
    NewOrder,
    OrderTaken,
    Claimed,
    Pong,
    AuthRequired,
    Error,
    Unknown,
}

impl Kind {
    fn of(name: &str) -> Kind {
        match name {
            "init" => Kind::Init,
            "new_order" => Kind::NewOrder,
            "order_taken" => Kind::OrderTaken,
            "claimed" => Kind::Claimed,
            "pong" => Kind::Pong,
            "auth_required" => Kind::AuthRequired,
            "error" => Kind::Error,
            _ => Kind::Unknown,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::Init => "init",
            Kind::NewOrder => "new_order",
            Kind::OrderTaken => "order_taken",
            Kind::Claimed => "claimed",
            Kind::Pong => "pong",
            Kind::AuthRequired => "auth_required",
            Kind::Error => "error",
            Kind::Unknown => "unknown",
        }
    }

    fn wants(self, f: Field) -> bool {
        use Field::*;
        matches!(
            (self, f),
            (Kind::Init, Orders | LpId | Currencies)
                | (Kind::NewOrder, Order)
                | (Kind::OrderTaken | Kind::Claimed, OrderId)
                | (Kind::Pong, Ts)
                | (Kind::AuthRequired, Message)
                | (Kind::Error, Message | OrderId)
        )
    }
}

/// The detail of a frame in which a field the decoder reads is given twice.
const TWICE: &str = "a field is given twice";

/// The top-level fields any message reads.
#[derive(Clone, Copy)]
enum Field {
    Orders,
    LpId,
    Currencies,
    Order,
    OrderId,
    Ts,
    Message,
}
const FIELDS: usize = 7;

impl Field {
    fn of(key: &str) -> Option<Field> {
        Some(match key {
            "orders" => Field::Orders,
            "lp_id" => Field::LpId,
            "currencies" => Field::Currencies,
            "order" => Field::Order,
            "order_id" => Field::OrderId,
            "ts" => Field::Ts,
            "message" => Field::Message,
            _ => return None,
        })
    }
}

/// What the fields said so far; `bad` keeps the first shape problem.
#[derive(Default)]
struct Parts<'a> {
    orders: Vec<Order>,
    lp_id: Option<u64>,
    currencies: Vec<String>,
    order: Option<OrderView<'a>>,
    order_id: Option<OrderId>,
    ts: Option<f64>,
    message: Cow<'a, str>,
    bad: Option<&'static str>,
}

impl<'a> Parts<'a> {
    fn flag(&mut self, detail: &'static str) {
        self.bad.get_or_insert(detail);
    }

    /// `init`'s orders: once per connection, so kept out of the frame path's code.
    fn read_orders(&mut self, r: &mut Reader<'a>) -> Res<()> {
        match r.value()? {
            Value::Array => {
                while r.next_item()? {
                    match order(r)? {
                        Ok(o) => self.orders.push(o.to_order()),
                        Err(true) => self.flag(TWICE),
                        Err(false) => {
                            self.flag("\"orders\" holds an entry that is not an order with an id")
                        }
                    }
                }
            }
            Value::Null => {}
            v => {
                r.skip(v)?;
                self.flag("\"orders\" is not a list");
            }
        }
        Ok(())
    }

    /// Reads the value of field `f` of a `kind` message from `r`.
    fn read(&mut self, kind: Kind, f: Field, r: &mut Reader<'a>) -> Res<()> {
        match f {
            Field::Orders => self.read_orders(r)?,
            Field::LpId => self.lp_id = scalar(r)?.id(),
            Field::Currencies => self.currencies = strings(r)?,
            Field::Order => {
                let o = order(r)?;
                if let Err(twice) = o {
                    self.flag(if twice {
                        TWICE
                    } else {
                        "\"order\" is not an order with an id"
                    });
                }
                self.order = o.ok();
            }
            Field::OrderId => {
                self.order_id = scalar(r)?.id();
                // A claim answer is about nothing without it; an error may omit it.
                if self.order_id.is_none() && kind != Kind::Error {
                    self.flag("\"order_id\" is not an id");
                }
            }
            Field::Ts => self.ts = scalar(r)?.f64(),
            Field::Message => self.message = scalar(r)?.text(),
        }
        Ok(())
    }
}

impl<'a> ServerMessage<'a> {
    /// Decodes one text frame.
    pub fn decode(text: &'a str) -> Result<Self, DecodeError> {
        match super::canonical::new_order(text) {
            Some(m) => Ok(m),
            None => Self::decode_scanned(text),
        }
    }

    /// Decodes one text frame by the general scan (what `decode` does for every frame
    /// that is not a canonical `new_order`).
    pub(crate) fn decode_scanned(text: &'a str) -> Result<Self, DecodeError> {
        let (kind, name, mut parts) = match scan(text) {
            Ok(Some(found)) => found,
            Ok(None) => return Err(DecodeError::NoType),
            Err(e) => return Err(not_json(e)),
        };
        let required = match kind {
            Kind::NewOrder if parts.order.is_none() => Some("missing \"order\""),
            Kind::OrderTaken | Kind::Claimed if parts.order_id.is_none() => {
                Some("missing \"order_id\"")
            }
            _ => None,
        };
        if let Some(detail) = parts.bad.or(required) {
            return Err(DecodeError::BadShape {
                kind: kind.name(),
                detail,
            });
        }
        Ok(match kind {
            Kind::Init => ServerMessage::Init {
                orders: parts.orders,
                lp_id: parts.lp_id,
                currencies: parts.currencies,
            },
            Kind::NewOrder => match parts.order.take() {
                Some(order) => ServerMessage::NewOrder { order },
                None => return Err(DecodeError::NoType),
            },
            Kind::OrderTaken => ServerMessage::OrderTaken {
                order_id: parts.order_id.unwrap_or_default(),
            },
            Kind::Claimed => ServerMessage::Claimed {
                order_id: parts.order_id.unwrap_or_default(),
            },
            Kind::Pong => ServerMessage::Pong { ts: parts.ts },
            Kind::AuthRequired => ServerMessage::AuthRequired {
                message: parts.message,
            },
            Kind::Error => ServerMessage::Error {
                message: parts.message,
                order_id: parts.order_id,
            },
            // Whole: whoever reports it redacts secrets first, then truncates.
            Kind::Unknown => ServerMessage::Unknown { kind: name },
        })
    }
}

/// One pass over the frame: validates all of it, reads the fields its `type` needs.
/// `None`: JSON, but not an object with a string `type`.
fn scan(text: &str) -> Res<Option<(Kind, Cow<'_, str>, Parts<'_>)>> {
    let mut r = Reader::new(text);
    let top = r.value()?;
    if top != Value::Object {
        r.skip(top)?;
        r.finish()?;
        return Ok(None);
    }
    let mut kind: Option<(Kind, Cow<str>)> = None;
    let mut parts = Parts::default();
    // Fields that came before `type` are read once it is known, from where they start.
    let mut early = [usize::MAX; FIELDS];
    // Bit `f`: field `f` was seen (bit 7: `type`); `twice`: seen again.
    let (mut seen, mut twice) = (0u8, 0u8);
    while let Some(key) = r.next_key()? {
        let key = match key.plain() {
            Some(k) => Cow::Borrowed(k),
            None => key.value(),
        };
        let field = Field::of(&key);
        let bit = match field {
            Some(f) => 1 << f as u8,
            None if key == "type" => 0x80,
            None => 0,
        };
        twice |= seen & bit;
        seen |= bit;
        if bit == 0x80 {
            kind = match r.value()? {
                Value::Str(s) => {
                    let name = s.value();
                    Some((Kind::of(&name), name))
                }
                v => {
                    r.skip(v)?;
                    None
                }
            };
            continue;
        }
        match (field, &kind) {
            (Some(f), Some((k, _))) if k.wants(f) => {
                early[f as usize] = usize::MAX;
                parts.read(*k, f, &mut r)?;
            }
            (Some(f), None) => {
                early[f as usize] = r.offset();
                skip_value(&mut r)?;
            }
            _ => skip_value(&mut r)?,
        }
    }
    r.finish()?;
    let Some((k, name)) = kind else {
        return Ok(None);
    };
    if twice & 0x80 != 0 {
        parts.flag(TWICE);
    }
    for (i, f) in [
        Field::Orders,
        Field::LpId,
        Field::Currencies,
        Field::Order,
        Field::OrderId,
        Field::Ts,
        Field::Message,
    ]
    .into_iter()
    .enumerate()
    {
        if twice & 1 << i != 0 && k.wants(f) {
            parts.flag(TWICE);
        }
        if early[i] != usize::MAX && k.wants(f) {
            let rest = text.get(early[i]..).unwrap_or_default();
            parts.read(k, f, &mut Reader::new(rest))?;
        }
    }
    Ok(Some((k, name, parts)))
}

fn skip_value(r: &mut Reader<'_>) -> Res<()> {
    let v = r.value()?;
    r.skip(v)
}

fn not_json(e: JsonError) -> DecodeError {
    let mut s = String::from(if e.eof {
        "unexpected end of input at byte "
    } else {
        "syntax error at byte "
    });
    super::push_u64(&mut s, e.at as u64);
    DecodeError::NotJson(s)
}

/// The fields of an order object.
#[derive(Clone, Copy)]
enum OrderField {
    Id,
    AmountFiat,
    Currency,
    AmountUsd,
    CryptoSymbol,
    CryptoChain,
    Status,
    CreatedAt,
    Other,
}

impl OrderField {
    /// By length first, so most keys are told apart without comparing strings.
    #[inline(always)]
    fn of(k: &[u8]) -> OrderField {
        let is = |lit: &[u8]| k.iter().zip(lit).all(|(a, b)| a == b);
        match k.len() {
            2 if is(b"id") => OrderField::Id,
            6 if is(b"status") => OrderField::Status,
            8 if is(b"currency") => OrderField::Currency,
            10 if is(b"amount_usd") => OrderField::AmountUsd,
            10 if is(b"created_at") => OrderField::CreatedAt,
            11 if is(b"amount_fiat") => OrderField::AmountFiat,
            12 if is(b"crypto_chain") => OrderField::CryptoChain,
            13 if is(b"crypto_symbol") => OrderField::CryptoSymbol,
            _ => OrderField::Other,
        }
    }
}

/// An order object; `Err` (the value read to its end) if it is not one: not an object or
/// no valid id (`false`), or a field of the order given twice (`true`).
fn order<'a>(r: &mut Reader<'a>) -> Res<Result<OrderView<'a>, bool>> {
    let v = r.value()?;
    if v != Value::Object {
        r.skip(v)?;
        return Ok(Err(false));
    }
    let mut id = None;
    let mut o = OrderView {
        id: 0,
        amount_fiat: None,
        currency: Cow::Borrowed(""),
        amount_usd: None,
        crypto_symbol: Cow::Borrowed(""),
        crypto_chain: Cow::Borrowed(""),
        status: Cow::Borrowed(""),
        created_at: Cow::Borrowed(""),
    };
    // Bit `f`: field `f` was seen (`Other` is bit 8, never counted).
    let (mut seen, mut twice) = (0u16, false);
    while let Some(key) = r.next_key()? {
        let field = match key.plain() {
            Some(k) => OrderField::of(k.as_bytes()),
            None => OrderField::of(key.value().as_bytes()),
        };
        let bit = 1 << field as u16;
        twice |= seen & bit & 0xFF != 0;
        seen |= bit;
        match field {
            OrderField::Id => id = scalar(r)?.id(),
            OrderField::AmountFiat => o.amount_fiat = scalar(r)?.f64(),
            OrderField::Currency => o.currency = scalar(r)?.text(),
            OrderField::AmountUsd => o.amount_usd = scalar(r)?.f64(),
            OrderField::CryptoSymbol => o.crypto_symbol = scalar(r)?.text(),
            OrderField::CryptoChain => o.crypto_chain = scalar(r)?.text(),
            OrderField::Status => o.status = scalar(r)?.text(),
            OrderField::CreatedAt => o.created_at = scalar(r)?.text(),
            OrderField::Other => skip_value(r)?,
        }
    }
    Ok(match id {
        Some(id) if !twice => Ok(OrderView { id, ..o }),
        _ => Err(twice),
    })
}

/// A list of strings; also the spec's query form `"KES,NGN"` in one string. Anything
/// else is an empty list.
fn strings(r: &mut Reader<'_>) -> Res<Vec<String>> {
    let mut out = Vec::new();
    match r.value()? {
        Value::Array => {
            while r.next_item()? {
                match r.value()? {
                    Value::Str(s) => out.push(s.value().into_owned()),
                    v => r.skip(v)?,
                }
            }
        }
        Value::Str(s) => out.extend(
            s.value()
                .split(',')
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_owned),
        ),
        v => r.skip(v)?,
    }
    Ok(out)
}

/// The top-level fields `names` of a JSON object, as scalars (absent where missing or
/// not scalars); `None` if `text` is not a JSON object or gives one of `names` twice
/// (which of the two counts would be a guess; see the module doc). For REST bodies.
pub fn object_fields<'a, const N: usize>(
    text: &'a str,
    names: [&str; N],
) -> Option<[Scalar<'a>; N]> {
    let mut out = [(); N].map(|_| Scalar::Absent);
    read_fields(text, &names, &mut out)?;
    Some(out)
}

/// `object_fields` without the array size in its type: one copy of the code for all sizes.
fn read_fields<'a>(text: &'a str, names: &[&str], out: &mut [Scalar<'a>]) -> Option<()> {
    let mut r = Reader::new(text);
    if r.value().ok()? != Value::Object {
        return None;
    }
    while let Some(key) = r.next_key().ok()? {
        let key = key.value();
        match names.iter().position(|n| *n == key) {
            Some(i) => {
                let slot = out.get_mut(i)?;
                // A field asked for, given twice: which one counts would be a guess.
                if !matches!(slot, Scalar::Absent) {
                    return None;
                }
                *slot = scalar(&mut r).ok()?;
            }
            None => skip_value(&mut r).ok()?,
        }
    }
    r.finish().ok()
}

/// Any value, reduced to what the tolerant conversions need; containers are skipped.
pub enum Scalar<'a> {
    /// Missing.
    Absent,
    /// Present, but null, a boolean or a container: no number or text in it.
    Other,
    /// A number token.
    Number(&'a str),
    /// A string.
    Text(Cow<'a, str>),
}

#[inline(never)]
fn scalar<'a>(r: &mut Reader<'a>) -> Res<Scalar<'a>> {
    Ok(match r.value()? {
        Value::Number(t) => Scalar::Number(t),
        Value::Str(s) => Scalar::Text(s.value()),
        v => {
            r.skip(v)?;
            Scalar::Other
        }
    })
}

impl<'a> Scalar<'a> {
    /// A whole, non-negative id up to [`MAX_ID`](crate::MAX_ID): `7`, `7.0`, `1e3` or
    /// `"7"`; a float spelling only where it is read exactly (`json::to_f64_exact`).
    pub fn id(&self) -> Option<u64> {
        self.any_id().filter(|&id| id <= crate::MAX_ID)
    }

    fn any_id(&self) -> Option<u64> {
        match self {
            Scalar::Number(t) => json::to_u64(t).or_else(|| {
                json::to_f64_exact(t)
                    .filter(|v| *v >= 0.0 && v.fract() == 0.0 && *v < 18_446_744_073_709_551_616.0)
                    .map(|v| v as u64)
            }),
            Scalar::Text(s) => {
                let s = s.trim();
                json::to_u64(s.strip_prefix('+').unwrap_or(s))
            }
            Scalar::Absent | Scalar::Other => None,
        }
    }

    /// A finite number: `5000`, `5000.5` or `"5000.5"` (a numeric string, as the protocol
    /// notes ask us to tolerate); `None` for anything else (`"5,000"`, `""`, an object).
    pub fn f64(&self) -> Option<f64> {
        match self {
            Scalar::Number(t) => json::to_f64(t),
            Scalar::Text(s) => json::to_f64(s.trim()),
            Scalar::Absent | Scalar::Other => None,
        }
    }

    /// A string; an integer is kept as its digits, anything else is empty.
    pub fn text(self) -> Cow<'a, str> {
        match self {
            Scalar::Text(s) => s,
            Scalar::Number(t) if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') => {
                Cow::Borrowed(t)
            }
            _ => Cow::Borrowed(""),
        }
    }
}

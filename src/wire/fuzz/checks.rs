//! The checks of the wire crate's fuzz targets, one function per target, shared with the
//! corpus replay of the main test run: `fuzz_targets/*.rs` call them on what libFuzzer
//! generates, and `src/core/tests/wire_tests.rs` includes this file and calls them on
//! every committed file of `corpus/<target>/` (stable toolchain, milliseconds). A
//! finding is a panic.
//!
//! - [`decode`]: `ServerMessage::decode` on any bytes never panics, is deterministic,
//!   equals the general scan (shortcuts change nothing), refuses as not JSON exactly what
//!   [`serde_reference`] refuses, and equals [`reference`], the tolerant rules written
//!   again over a plain tree of the document.
//! - [`json_differential`]: the JSON reader against serde_json: the same documents
//!   accepted (whole-document reading and `skip` alike), strings decoded to the same text,
//!   numbers to the same values: integers exactly; floats as the standard library's
//!   correctly rounded parser reads them (serde_json's default float parsing is itself
//!   best-effort), bit for bit inside `json::to_f64`'s exact class ([`in_exact_class`])
//!   and within [`FLOAT_ULPS`] outside it; ids as the exact parser reads them, and only
//!   inside that class; numeric strings read by the decoder's tolerant rules agree with
//!   `str::parse`.
//! - [`fast_paths`]: `canonical.rs` and `short.rs` against the general decoder, on the
//!   input as a frame and on frames generated from the input's bytes as mutations of the
//!   canonical shapes (most of them canonical, so the shortcuts are taken, not only
//!   refused); a frame of the documented shape must be taken by its shortcut.
//!
//! Where the reader and serde_json legitimately differ, the difference is encoded here:
//! a number beyond f64's range (`1e400`) is JSON with an unreadable value for the reader
//! (json.rs), where serde_json refuses the document ([`serde_reference`] reads such a
//! number as null); and within ~1e-14 of f64::MAX one parser may round to infinity and
//! the other not. Everything else is an exact agreement; in particular nesting (127
//! containers deep is JSON, 128 is not, for both) and duplicate keys (serde_json's
//! `Value` keeps the last; the reader reports every occurrence, and the decoder refuses a
//! frame in which a field it reads appears twice: see decode.rs).

#![allow(dead_code)]

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use rampwire_lp_wire::json::{self, Reader, Value};
use rampwire_lp_wire::{
    fuzzing, DecodeError, Order, OrderView, Scalar, ServerMessage, ShortFrame, MAX_ID,
};
use serde_json::Value as J;

/// The largest error, in ulps, of `json::to_f64` against the correctly rounded value,
/// outside its exact class ([`in_exact_class`]: very large or very small magnitudes, or
/// more than 19 significant digits): the bound json.rs states (at most 16 roundings of
/// half an ulp).
/// The worst the fuzzer has found is 6 (printed by the targets when it grows).
pub const FLOAT_ULPS: u64 = 16;

/// The worst error seen so far, printed when it grows if [`REPORT`] is set (the fuzz
/// targets set it; the replay does not).
pub static WORST_ULPS: AtomicU64 = AtomicU64::new(0);
pub static REPORT: AtomicBool = AtomicBool::new(false);

// ---------------------------------------------------------------------------------------
// The document as the reader sees it.

/// A JSON value read with `json::Reader`: objects keep every key in order, duplicates too.
#[derive(Debug)]
pub enum Tree<'a> {
    Null,
    Bool(bool),
    /// The number token as it stands in the text.
    Num(&'a str),
    Str(Cow<'a, str>),
    Arr(Vec<Tree<'a>>),
    Obj(Vec<(Cow<'a, str>, Tree<'a>)>),
}

/// The whole document as a tree, or `None` where the reader refuses it.
pub fn tree(text: &str) -> Option<Tree<'_>> {
    fn string<'a>(s: json::JsonStr<'a>) -> Cow<'a, str> {
        let v = s.value();
        match s.plain() {
            Some(p) => {
                assert!(
                    matches!(v, Cow::Borrowed(b) if b == p),
                    "plain string not borrowed"
                );
            }
            None => assert!(matches!(v, Cow::Owned(_)), "escaped string borrowed"),
        }
        v
    }
    fn value<'a>(r: &mut Reader<'a>) -> Option<Tree<'a>> {
        Some(match r.value().ok()? {
            Value::Null => Tree::Null,
            Value::Bool(b) => Tree::Bool(b),
            Value::Number(t) => Tree::Num(t),
            Value::Str(s) => Tree::Str(string(s)),
            Value::Array => {
                let mut items = Vec::new();
                while r.next_item().ok()? {
                    items.push(value(r)?);
                }
                Tree::Arr(items)
            }
            Value::Object => {
                let mut pairs = Vec::new();
                while let Some(k) = r.next_key().ok()? {
                    let k = string(k);
                    pairs.push((k, value(r)?));
                }
                Tree::Obj(pairs)
            }
        })
    }
    let mut r = Reader::new(text);
    let v = value(&mut r);
    let end = r.finish();
    if let Err(e) = end {
        assert!(e.at <= text.len() && e.eof == (e.at >= text.len()), "{e:?}");
    }
    v.filter(|_| end.is_ok())
}

/// Validates a whole document with `skip` only (the path unknown fields take).
pub fn skims(text: &str) -> bool {
    let mut r = Reader::new(text);
    r.value()
        .and_then(|v| r.skip(v))
        .and_then(|_| r.finish())
        .is_ok()
}

/// The last value of `key` in an object's pairs (what serde_json's `Value` keeps).
fn get<'t, 'a>(pairs: &'t [(Cow<'a, str>, Tree<'a>)], key: &str) -> Option<&'t Tree<'a>> {
    pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v)
}

fn count(pairs: &[(Cow<'_, str>, Tree<'_>)], key: &str) -> usize {
    pairs.iter().filter(|(k, _)| k == key).count()
}

// ---------------------------------------------------------------------------------------
// Numbers.

/// Distance in ulps (0 for equal values, `u64::MAX` for opposite signs).
pub fn ulps(a: f64, b: f64) -> u64 {
    if a == b {
        return 0;
    }
    if a.is_sign_negative() != b.is_sign_negative() || a.is_nan() || b.is_nan() {
        return u64::MAX;
    }
    a.abs().to_bits().abs_diff(b.abs().to_bits())
}

/// Within ~1e-14 of f64::MAX: where one parser may round to infinity and another not.
fn at_range_edge(exact: f64) -> bool {
    exact.is_infinite() || exact.abs() > 1.797_693_134_862_2e308
}

/// Whether `json::to_f64` promises the correctly rounded value for this text (json.rs):
/// it is `m·10^e`, `m` its digits as written (leading zeros skipped, at most 19
/// significant ones kept, any further digit a zero), with `-22 <= e <= 0`, or with
/// `0 <= e <= 22` and `m < 2^53`.
pub fn in_exact_class(t: &str) -> bool {
    let t = t.strip_prefix(['-', '+']).unwrap_or(t);
    let (mantissa, exp) = match t.find(['e', 'E']) {
        Some(i) => {
            let x = &t[i + 1..];
            let digits = x.strip_prefix(['-', '+']).unwrap_or(x);
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return false;
            }
            // Saturated: beyond any double either way.
            let v = digits
                .parse::<i64>()
                .unwrap_or(i64::MAX / 4)
                .min(i64::MAX / 4);
            (&t[..i], if x.starts_with('-') { -v } else { v })
        }
        None => (t, 0),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all: Vec<u8> = int.bytes().chain(frac.bytes()).collect();
    if all.is_empty() || !all.iter().all(u8::is_ascii_digit) {
        return false;
    }
    let lead = all.iter().take_while(|&&d| d == b'0').count();
    let significant = &all[lead..];
    let kept = &significant[..significant.len().min(19)];
    if significant[kept.len()..].iter().any(|&d| d != b'0') {
        return false;
    }
    // The exponent of the last kept digit.
    let e = exp + int.len() as i64 - (lead + kept.len()) as i64;
    let m = kept.iter().fold(0u64, |m, &d| m * 10 + u64::from(d - b'0'));
    (-22..=0).contains(&e) || ((0..=22).contains(&e) && m < 1 << 53)
}

/// `json::to_f64(text)` (`ours`) against the standard library's `parse` of the same text
/// (`exact`, infinite where the number overflows).
fn check_float(text: &str, ours: Option<f64>, exact: Option<f64>) {
    match (ours, exact) {
        (Some(o), Some(x)) if x.is_finite() => {
            let d = ulps(o, x);
            if in_exact_class(text) {
                assert_eq!(d, 0, "{text:?}: {o:e} is not the correctly rounded {x:e}");
            }
            if d > WORST_ULPS.fetch_max(d, Ordering::Relaxed) && REPORT.load(Ordering::Relaxed) {
                eprintln!("worst float so far: {d} ulp for {text:?} ({o:e} vs {x:e})");
            }
            assert!(d <= FLOAT_ULPS, "{text:?}: {o:e} is {d} ulp from {x:e}");
        }
        (None, None) => {}
        // Out of range for both, or at the edge of the range for one of them.
        (None, Some(x)) if at_range_edge(x) => {}
        (Some(o), Some(x)) if x.is_infinite() && at_range_edge(o) => {}
        _ => panic!("{text:?}: ours {ours:?}, standard library {exact:?}"),
    }
}

/// A number token of an accepted document: its value through every reading the decoder
/// makes of it, against serde_json (integers) and the standard library (floats).
fn check_number(t: &str, n: &serde_json::Number) {
    let integer = t.bytes().all(|b| b.is_ascii_digit());
    // Integers: exact, and what serde_json says.
    let u = integer.then(|| t.parse::<u64>().ok()).flatten();
    assert_eq!(json::to_u64(t), u, "{t:?}");
    if let Some(u) = u {
        assert_eq!(n.as_u64(), Some(u), "{t:?}");
    }
    if let Some(i) = n.as_i64() {
        assert_eq!(t.parse::<i64>().ok(), Some(i), "{t:?}");
    }
    // Floats: as the correctly rounded parser reads the token.
    let exact: f64 = t.parse().expect("a JSON number parses");
    check_float(t, json::to_f64(t), Some(exact));
    // Ids: exactly what the correctly rounded value says.
    assert_eq!(Scalar::Number(t).id(), ref_id_of_number(t), "id of {t:?}");
    assert_eq!(Scalar::Number(t).f64(), json::to_f64(t));
}

/// The tolerant reading of a string field as a number, against `str::parse`.
fn check_numeric_string(s: &str) {
    let exact = s.trim().parse::<f64>().ok();
    let ours = Scalar::Text(Cow::Borrowed(s)).f64();
    check_float(s.trim(), ours, exact.filter(|x| !x.is_nan()));
    assert_eq!(
        Scalar::Text(Cow::Borrowed(s)).id(),
        s.trim().parse::<u64>().ok().filter(|&id| id <= MAX_ID),
        "id of {s:?}"
    );
}

fn whole(f: f64) -> Option<u64> {
    (f >= 0.0 && f.fract() == 0.0 && f < 18_446_744_073_709_551_616.0).then_some(f as u64)
}

/// An id from a number token: the integer, or the float if it is whole, read by the exact
/// parser; at most MAX_ID. Decided (decode.rs, `Scalar::id`): a float spelling outside
/// `to_f64`'s exact class is no id (`1e-400` would be 0 exactly, `2.4703282292862327e-324`
/// is not 0; no id is ever read approximately).
fn ref_id_of_number(t: &str) -> Option<u64> {
    let id = if t.bytes().all(|b| b.is_ascii_digit()) {
        t.parse::<u64>().ok()
    } else if in_exact_class(t) {
        whole(t.parse().ok()?)
    } else {
        None
    };
    id.filter(|&id| id <= MAX_ID)
}

// ---------------------------------------------------------------------------------------
// The reader against serde_json.

/// `ours` (the reader's tree) says what `theirs` (serde_json's value) says.
fn same_tree(ours: &Tree<'_>, theirs: &J) -> Result<(), String> {
    match (ours, theirs) {
        (Tree::Null, J::Null) => Ok(()),
        (Tree::Bool(a), J::Bool(b)) if a == b => Ok(()),
        (Tree::Num(t), J::Number(n)) => {
            check_number(t, n);
            Ok(())
        }
        // Beyond f64's range (see `serde_reference`): unreadable for both.
        (Tree::Num(t), J::Null) => {
            let exact: f64 = t.parse().expect("a JSON number parses");
            check_float(t, json::to_f64(t), Some(exact));
            if at_range_edge(exact) {
                Ok(())
            } else {
                Err(format!("{t:?} is not beyond f64's range"))
            }
        }
        (Tree::Str(a), J::String(b)) if a == b => {
            check_numeric_string(a);
            Ok(())
        }
        (Tree::Arr(a), J::Array(b)) if a.len() == b.len() => {
            a.iter().zip(b).try_for_each(|(x, y)| same_tree(x, y))
        }
        (Tree::Obj(pairs), J::Object(map)) => {
            let mut keys: Vec<&str> = pairs.iter().map(|(k, _)| &**k).collect();
            keys.sort_unstable();
            keys.dedup();
            if keys.len() != map.len() {
                return Err(format!("keys {keys:?} vs {:?}", map.keys()));
            }
            for (k, v) in map {
                let ours = get(pairs, k).ok_or_else(|| format!("no key {k:?}"))?;
                same_tree(ours, v).map_err(|e| format!("{k}: {e}"))?;
            }
            Ok(())
        }
        _ => Err(format!("{ours:?} vs {theirs}")),
    }
}

/// serde_json's value of `text`, with the reader's decision applied (json.rs): a number
/// beyond f64's range (`1e400`) is valid JSON, as the grammar says, whose value is
/// unreadable; serde_json refuses the whole document, so each such number is read as
/// null here (and the document is still refused for anything else that is wrong).
pub fn serde_reference(text: &str) -> Result<J, serde_json::Error> {
    let mut t = Cow::Borrowed(text);
    loop {
        let e = match serde_json::from_str::<J>(&t) {
            Ok(v) => return Ok(v),
            Err(e) if e.to_string().starts_with("number out of range") => e,
            Err(e) => return Err(e),
        };
        // serde_json's column counts bytes from the start of the line, 1-based.
        let line_start: usize = t
            .split_inclusive('\n')
            .take(e.line() - 1)
            .map(str::len)
            .sum();
        let b = t.as_bytes();
        let number = |c: u8| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E');
        let mut start = (line_start + e.column()).min(b.len());
        while start > 0 && number(b[start - 1]) {
            start -= 1;
        }
        let end = start + json_number_len(&b[start..]);
        if end == start {
            return Err(e);
        }
        t.to_mut().replace_range(start..end, "null");
    }
}

/// The length of the JSON number at the start of `b` (RFC 8259's grammar), 0 if none.
fn json_number_len(b: &[u8]) -> usize {
    let digits = |i: usize| i + b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    let mut i = usize::from(b.first() == Some(&b'-'));
    match b.get(i) {
        Some(b'0') => i += 1,
        Some(b'1'..=b'9') => i = digits(i),
        _ => return 0,
    }
    if b.get(i) == Some(&b'.') && b.get(i + 1).is_some_and(u8::is_ascii_digit) {
        i = digits(i + 1);
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let j = i + 1 + usize::from(matches!(b.get(i + 1), Some(b'+' | b'-')));
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            i = digits(j);
        }
    }
    i
}

/// The reader and serde_json on one text: the same verdict, the same values. Returns the
/// tree when the text is JSON.
pub fn check_json(text: &str) -> Option<Tree<'_>> {
    let theirs = serde_reference(text);
    let ours = tree(text);
    assert_eq!(
        ours.is_some(),
        theirs.is_ok(),
        "{text:?}: reader {}, serde_json {:?}",
        if ours.is_some() { "accepts" } else { "refuses" },
        theirs.as_ref().err().map(ToString::to_string),
    );
    assert_eq!(skims(text), theirs.is_ok(), "skip: {text:?}");
    if let (Some(t), Ok(j)) = (&ours, &theirs) {
        if let Err(why) = same_tree(t, j) {
            panic!("{text:?}: {why}");
        }
    }
    ours
}

/// Target `json_differential`: any bytes (the reader reads UTF-8 text only).
pub fn json_differential(data: &[u8]) {
    if let Ok(text) = std::str::from_utf8(data) {
        check_json(text);
        // The tolerant numeric readings of any text, whether or not it is JSON.
        check_numeric_string(text);
    }
}

// ---------------------------------------------------------------------------------------
// The decoder against the reference decoder.

const KNOWN: [&str; 7] = [
    "init",
    "new_order",
    "order_taken",
    "claimed",
    "pong",
    "auth_required",
    "error",
];

/// The top-level fields each message type reads.
fn wanted(kind: &str) -> &'static [&'static str] {
    match kind {
        "init" => &["orders", "lp_id", "currencies"],
        "new_order" => &["order"],
        "order_taken" | "claimed" => &["order_id"],
        "pong" => &["ts"],
        "auth_required" => &["message"],
        "error" => &["message", "order_id"],
        _ => &[],
    }
}

const ORDER_FIELDS: [&str; 8] = [
    "id",
    "amount_fiat",
    "currency",
    "amount_usd",
    "crypto_symbol",
    "crypto_chain",
    "status",
    "created_at",
];

/// What the reference expects; floats as the correctly rounded parser reads them.
#[derive(Debug)]
pub enum Expected {
    Message(ServerMessage<'static>),
    NoType,
    BadShape(&'static str),
}

fn ref_id(v: Option<&Tree<'_>>) -> Option<u64> {
    match v? {
        Tree::Num(t) => ref_id_of_number(t),
        Tree::Str(s) => s.trim().parse::<u64>().ok().filter(|&id| id <= MAX_ID),
        _ => None,
    }
}

/// A number as the exact parser reads it (infinite where it overflows).
fn ref_num(v: Option<&Tree<'_>>) -> Option<f64> {
    match v? {
        Tree::Num(t) => t.parse().ok(),
        Tree::Str(s) => s.trim().parse().ok().filter(|f: &f64| !f.is_nan()),
        _ => None,
    }
}

fn ref_text(v: Option<&Tree<'_>>) -> String {
    match v {
        Some(Tree::Str(s)) => s.to_string(),
        Some(Tree::Num(t)) if t.bytes().all(|b| b.is_ascii_digit() || b == b'-') => t.to_string(),
        _ => String::new(),
    }
}

/// An order object; `Err` when it is not one (not an object, no valid id, a field twice).
fn ref_order(v: &Tree<'_>) -> Result<(Order, [Option<f64>; 2]), ()> {
    let Tree::Obj(o) = v else { return Err(()) };
    if ORDER_FIELDS.iter().any(|f| count(o, f) > 1) {
        return Err(());
    }
    let amounts = [
        ref_num(get(o, "amount_fiat")),
        ref_num(get(o, "amount_usd")),
    ];
    let finite = |a: Option<f64>| a.filter(|f| f.is_finite());
    let order = OrderView {
        id: ref_id(get(o, "id")).ok_or(())?,
        amount_fiat: finite(amounts[0]),
        currency: ref_text(get(o, "currency")).into(),
        amount_usd: finite(amounts[1]),
        crypto_symbol: ref_text(get(o, "crypto_symbol")).into(),
        crypto_chain: ref_text(get(o, "crypto_chain")).into(),
        status: ref_text(get(o, "status")).into(),
        created_at: ref_text(get(o, "created_at")).into(),
    }
    .to_order();
    Ok((order, amounts))
}

/// The tolerant rules (decode.rs's module doc) written again over the reader's tree.
/// Amounts and `ts` come back twice: as decoded (finite or absent) and as the exact
/// parser reads them (for the tolerance at the edge of the range).
pub fn reference(doc: &Tree<'_>) -> (Expected, Vec<Option<f64>>) {
    use Expected::{BadShape, Message, NoType};
    let mut raw = Vec::new();
    let Tree::Obj(top) = doc else {
        return (NoType, raw);
    };
    let Some(Tree::Str(ty)) = get(top, "type") else {
        return (NoType, raw);
    };
    let kind = KNOWN
        .iter()
        .find(|k| **k == ty)
        .copied()
        .unwrap_or("unknown");
    if count(top, "type") > 1 || wanted(kind).iter().any(|f| count(top, f) > 1) {
        return (BadShape(kind), raw);
    }
    let finite = |a: Option<f64>| a.filter(|f| f.is_finite());
    let m = match kind {
        "init" => {
            let mut orders = Vec::new();
            match get(top, "orders") {
                None | Some(Tree::Null) => {}
                Some(Tree::Arr(items)) => {
                    for item in items {
                        let Ok((o, amounts)) = ref_order(item) else {
                            return (BadShape(kind), raw);
                        };
                        orders.push(o);
                        raw.extend(amounts);
                    }
                }
                Some(_) => return (BadShape(kind), raw),
            }
            let currencies = match get(top, "currencies") {
                Some(Tree::Arr(items)) => items
                    .iter()
                    .filter_map(|c| match c {
                        Tree::Str(s) => Some(s.to_string()),
                        _ => None,
                    })
                    .collect(),
                Some(Tree::Str(s)) => s
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                _ => vec![],
            };
            ServerMessage::Init {
                orders,
                lp_id: ref_id(get(top, "lp_id")),
                currencies,
            }
        }
        "new_order" => {
            let Some(Ok((o, amounts))) = get(top, "order").map(ref_order) else {
                return (BadShape(kind), raw);
            };
            raw.extend(amounts);
            ServerMessage::NewOrder {
                order: owned_view(&o),
            }
        }
        "order_taken" | "claimed" => {
            let Some(order_id) = ref_id(get(top, "order_id")) else {
                return (BadShape(kind), raw);
            };
            if kind == "claimed" {
                ServerMessage::Claimed { order_id }
            } else {
                ServerMessage::OrderTaken { order_id }
            }
        }
        "pong" => {
            let ts = ref_num(get(top, "ts"));
            raw.push(ts);
            ServerMessage::Pong { ts: finite(ts) }
        }
        "auth_required" => ServerMessage::AuthRequired {
            message: ref_text(get(top, "message")).into(),
        },
        "error" => ServerMessage::Error {
            message: ref_text(get(top, "message")).into(),
            order_id: ref_id(get(top, "order_id")),
        },
        _ => ServerMessage::Unknown {
            kind: ty.to_string().into(),
        },
    };
    (Message(m), raw)
}

fn owned_view(o: &Order) -> OrderView<'static> {
    let v = o.view();
    OrderView {
        id: v.id,
        amount_fiat: v.amount_fiat,
        currency: v.currency.into_owned().into(),
        amount_usd: v.amount_usd,
        crypto_symbol: v.crypto_symbol.into_owned().into(),
        crypto_chain: v.crypto_chain.into_owned().into(),
        status: v.status.into_owned().into(),
        created_at: v.created_at.into_owned().into(),
    }
}

/// The floats of a message (amounts of every order, or `ts`), in reference order.
fn floats(m: &ServerMessage<'_>) -> Vec<Option<f64>> {
    match m {
        ServerMessage::Init { orders, .. } => orders
            .iter()
            .flat_map(|o| [o.amount_fiat, o.amount_usd])
            .collect(),
        ServerMessage::NewOrder { order } => vec![order.amount_fiat, order.amount_usd],
        ServerMessage::Pong { ts } => vec![*ts],
        _ => vec![],
    }
}

/// `m` without its floats (compared separately: presence too, at the edge of the range).
fn without_floats(m: &ServerMessage<'_>) -> ServerMessage<'static> {
    let z = |_: Option<f64>| None;
    match m {
        ServerMessage::Init {
            orders,
            lp_id,
            currencies,
        } => ServerMessage::Init {
            orders: orders
                .iter()
                .map(|o| {
                    OrderView {
                        amount_fiat: z(o.amount_fiat),
                        amount_usd: z(o.amount_usd),
                        ..o.view()
                    }
                    .to_order()
                })
                .collect(),
            lp_id: *lp_id,
            currencies: currencies.clone(),
        },
        ServerMessage::NewOrder { order } => ServerMessage::NewOrder {
            order: owned_view(
                &OrderView {
                    amount_fiat: z(order.amount_fiat),
                    amount_usd: z(order.amount_usd),
                    ..order.clone()
                }
                .to_order(),
            ),
        },
        ServerMessage::Pong { ts } => ServerMessage::Pong { ts: z(*ts) },
        ServerMessage::AuthRequired { message } => ServerMessage::AuthRequired {
            message: message.to_string().into(),
        },
        ServerMessage::Error { message, order_id } => ServerMessage::Error {
            message: message.to_string().into(),
            order_id: *order_id,
        },
        ServerMessage::Unknown { kind } => ServerMessage::Unknown {
            kind: kind.to_string().into(),
        },
        ServerMessage::OrderTaken { order_id } => ServerMessage::OrderTaken {
            order_id: *order_id,
        },
        ServerMessage::Claimed { order_id } => ServerMessage::Claimed {
            order_id: *order_id,
        },
    }
}

/// Decodes `text` every way there is and checks the ways agree. Returns `decode`'s answer.
pub fn check_frame(text: &str) -> Result<ServerMessage<'_>, DecodeError> {
    let decoded = ServerMessage::decode(text);
    assert_eq!(decoded, ServerMessage::decode(text), "not deterministic");
    let general = fuzzing::decode_scanned(text);
    assert_eq!(decoded, general, "decode vs the general scan: {text:?}");
    check_shortcuts(text, &general);
    if let Err(e) = &decoded {
        assert!(!e.message().is_empty());
    }
    let doc = check_json(text);
    match (&decoded, doc) {
        (Err(DecodeError::NotJson(_)), None) => {}
        (_, None) => panic!("{text:?}: not JSON, decoded as {decoded:?}"),
        (Err(DecodeError::NotJson(why)), Some(_)) => panic!("{text:?}: JSON, refused: {why}"),
        (ours, Some(doc)) => {
            let (want, raw) = reference(&doc);
            match (ours, want) {
                (Err(DecodeError::NoType), Expected::NoType) => {}
                (Err(DecodeError::BadShape { kind, .. }), Expected::BadShape(k)) => {
                    assert_eq!(*kind, k, "{text:?}")
                }
                (Ok(got), Expected::Message(want)) => {
                    assert_eq!(without_floats(got), without_floats(&want), "{text:?}");
                    let got = floats(got);
                    assert_eq!(got.len(), raw.len());
                    for (g, x) in got.into_iter().zip(raw) {
                        match (g, x) {
                            (Some(g), Some(x)) if x.is_finite() => {
                                assert!(ulps(g, x) <= FLOAT_ULPS, "{text:?}: {g:e} vs {x:e}")
                            }
                            (None, None) => {}
                            (None, Some(x)) if at_range_edge(x) => {}
                            (Some(g), Some(x)) if x.is_infinite() && at_range_edge(g) => {}
                            (g, x) => panic!("{text:?}: float {g:?}, reference {x:?}"),
                        }
                    }
                    if let Ok(ServerMessage::Unknown { kind }) = &decoded {
                        assert!(!KNOWN.contains(&&**kind), "{kind}");
                    }
                }
                (ours, want) => panic!("{text:?}: ours {ours:?}, reference {want:?}"),
            }
        }
    }
    if let Ok(m) = &decoded {
        match m {
            ServerMessage::Init { orders, lp_id, .. } => {
                assert!(orders.iter().all(|o| o.id <= MAX_ID));
                assert!(lp_id.is_none_or(|id| id <= MAX_ID));
            }
            ServerMessage::NewOrder { order } => assert!(order.id <= MAX_ID),
            ServerMessage::OrderTaken { order_id } | ServerMessage::Claimed { order_id } => {
                assert!(*order_id <= MAX_ID)
            }
            _ => {}
        }
        for f in floats(m).into_iter().flatten() {
            assert!(f.is_finite());
        }
    }
    decoded
}

/// Target `decode`: any bytes, as UTF-8 where valid (else with replacement characters).
pub fn decode(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = check_frame(&text);
}

// ---------------------------------------------------------------------------------------
// The shortcuts against the general decoder.

/// How often the shortcuts were taken (the replay checks the corpus exercises both sides).
#[derive(Debug, Default, Clone, Copy)]
pub struct Taken {
    pub canonical: usize,
    pub canonical_refused: usize,
    pub short: usize,
    pub short_refused: usize,
}

/// Both shortcuts on `text`: whatever they take must read what the general decoder reads.
fn check_shortcuts(text: &str, general: &Result<ServerMessage<'_>, DecodeError>) -> (bool, bool) {
    let fast = fuzzing::canonical_new_order(text);
    if let Some(m) = &fast {
        assert_eq!(Ok(m), general.as_ref(), "canonical shortcut: {text:?}");
    }
    let short = ShortFrame::recognise(text);
    if let Some((shape, value)) = short {
        let m = shape.message(value);
        assert!(
            m.is_some(),
            "{text:?}: recognised {value} that message() refuses"
        );
        assert_eq!(
            m.as_ref().ok_or(()),
            general.as_ref().map_err(|_| ()),
            "short: {text:?}"
        );
    }
    (fast.is_some(), short.is_some())
}

/// Reads the fuzzer's bytes as choices (zeros once they run out: the canonical frames).
struct Choices<'a>(&'a [u8]);

impl Choices<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn below(&mut self, n: usize) -> usize {
        usize::from(self.byte()) % n
    }
    fn pick<'t>(&mut self, list: &[&'t str]) -> &'t str {
        list[self.below(list.len())]
    }
}

const SPEC_ORDER: [&str; 8] = [
    "10042",
    "5000",
    "\"KES\"",
    "38.79",
    "\"usdt\"",
    "\"trx\"",
    "\"open\"",
    "\"2026-05-03T12:34:56.000Z\"",
];
const NUMBER_SLOTS: [usize; 3] = [0, 1, 3];

/// Number tokens (valid or not) worth trying in any number slot.
const NUMBERS: [&str; 40] = [
    "0",
    "-0",
    "7",
    "7.0",
    "1.5",
    "-5",
    "1e3",
    "1E+2",
    "1e-2",
    "0.1",
    "100.5",
    "38.790000000000006",
    "0.30000000000000004",
    "12345678901234567",
    "9007199254740991",
    "9007199254740992",
    "9007199254740993",
    "9007199254740991.0",
    "18446744073709551615",
    "18446744073709551616",
    "123456789012345678901234567890",
    "1.7976931348623157e308",
    "1e308",
    "1e400",
    "-1e400",
    "1e-400",
    "4.9e-324",
    "00",
    "01",
    ".5",
    "5.",
    "+5",
    "1e",
    "-",
    "\"5\"",
    "\"12.5e1\"",
    "null",
    "true",
    "[]",
    "{}",
];

/// Bodies of strings (between the quotes), valid or not.
const STRINGS: [&str; 16] = [
    "",
    "KES",
    "ÜSDT ✓",
    "😀",
    "open",
    "claimed",
    "K\\u0045S",
    "a\\\"b",
    "\\\\",
    "\\n",
    "\\ud83d\\ude00",
    "\\ud800",
    "\\x",
    "a\tb",
    "a\u{1}b",
    "lp_a1b2c3d4",
];

impl Choices<'_> {
    /// A number token built from the bytes, and whether it is a valid JSON number.
    fn number(&mut self) -> String {
        if self.byte() < 128 {
            return self.pick(&NUMBERS).to_owned();
        }
        let mut s = String::new();
        if self.below(4) == 0 {
            s.push('-');
        }
        let int = self.below(21);
        for _ in 0..int {
            s.push(char::from(b'0' + self.byte() % 10));
        }
        if self.below(2) == 0 {
            s.push('.');
            for _ in 0..self.below(21) {
                s.push(char::from(b'0' + self.byte() % 10));
            }
        }
        if self.below(3) == 0 {
            s.push_str(self.pick(&["e", "E", "e+", "e-", "E-"]));
            for _ in 0..self.below(4) {
                s.push(char::from(b'0' + self.byte() % 10));
            }
        }
        s
    }

    /// A string token (or something else where a string stands).
    fn string(&mut self) -> String {
        match self.below(8) {
            0 => self
                .pick(&["5", "null", "[]", "{\"a\":1}", "\"\"", "\"a\"\"b\""])
                .to_owned(),
            1..=3 => format!("\"{}\"", self.pick(&STRINGS)),
            _ => {
                let mut s = String::from('"');
                for _ in 0..self.below(12) {
                    match self.below(16) {
                        0 => s.push_str(self.pick(&STRINGS)),
                        1 => s.push('é'),
                        2 => s.push('₿'),
                        3 => s.push(' '),
                        _ => s.push(char::from(b'a' + self.byte() % 26)),
                    }
                }
                s.push('"');
                s
            }
        }
    }
}

fn is_json_number(t: &str) -> bool {
    let mut r = Reader::new(t);
    matches!(r.value(), Ok(Value::Number(_))) && r.finish().is_ok()
}

fn is_plain_json_string(t: &str) -> bool {
    let mut r = Reader::new(t);
    matches!(r.value(), Ok(Value::Str(s)) if s.plain().is_some()) && r.finish().is_ok()
}

const KEYS: [&str; 8] = [
    "\"id\"",
    "\"amount_fiat\"",
    "\"currency\"",
    "\"amount_usd\"",
    "\"crypto_symbol\"",
    "\"crypto_chain\"",
    "\"status\"",
    "\"created_at\"",
];

/// A `new_order` frame near the canonical shape, and whether it has that shape exactly
/// (canonical.rs's contract: then the shortcut must take it if the general decoder does).
fn near_canonical_new_order(c: &mut Choices<'_>) -> (String, bool) {
    let mut values: Vec<String> = SPEC_ORDER.iter().map(|s| s.to_string()).collect();
    let mut canonical = true;
    for (i, v) in values.iter_mut().enumerate() {
        if c.byte() >= 96 {
            *v = if NUMBER_SLOTS.contains(&i) {
                c.number()
            } else {
                c.string()
            };
        }
        canonical &= if NUMBER_SLOTS.contains(&i) {
            is_json_number(v)
        } else {
            is_plain_json_string(v)
        };
    }
    let blanks = [" ", "\t", "\n", "\r", "  \n\t"];
    let mut keys: Vec<String> = KEYS.iter().map(|k| k.to_string()).collect();
    let mut head = String::from("{\"type\":\"new_order\",\"order\":{");
    let mut tail = String::from("}}");
    let layout = c.below(28);
    match layout {
        // Blanks before a value, or at the very end: still canonical.
        12 => {
            let i = c.below(8);
            values[i].insert_str(0, c.pick(&blanks));
        }
        13 => tail.push_str(c.pick(&blanks)),
        14 => {
            let at = c.below(head.len() + 1);
            if head.is_char_boundary(at) {
                head.insert_str(at, c.pick(&blanks));
            }
        }
        15 => {
            let (i, j) = (c.below(8), c.below(8));
            keys.swap(i, j);
            values.swap(i, j);
        }
        16 => {
            let i = c.below(8);
            keys.push(keys[i].clone());
            values.push(c.number());
        }
        17 => {
            keys.push(
                c.pick(&["\"fee_bps\"", "\"lp_id\"", "\"\"", "\"i\\u0064\""])
                    .to_owned(),
            );
            values.push(c.number());
        }
        18 => {
            let extra = c.pick(&[
                ",\"order\":{\"id\":1}",
                ",\"type\":\"pong\"",
                ",\"x\":[1,{\"y\":null}]",
                ",\"order_id\":7",
            ]);
            tail.insert_str(1, extra);
        }
        19 => {
            let ty = c.pick(&["new_orde", "New_order", "new\\u005forder", "order", ""]);
            head = format!("{{\"type\":\"{ty}\",\"order\":{{");
        }
        20 => {
            let i = c.below(8);
            keys[i] = c
                .pick(&["\"i\\u0064\"", "\"ID\"", "\"id \"", "\"currency\""])
                .to_owned();
        }
        21 => tail.push_str(c.pick(&[",", "}", "x", "]", "\u{0}", " {}"])),
        22 => {
            head = c
                .pick(&["{\"order\":{", "[{\"type\":\"new_order\",\"order\":{"])
                .to_owned()
        }
        23 => {
            keys.truncate(c.below(8));
            values.truncate(keys.len());
        }
        _ => {}
    }
    canonical &= layout <= 13 || layout >= 24;
    let mut frame = head;
    for (i, (k, v)) in keys.iter().zip(&values).enumerate() {
        if i > 0 {
            frame.push(',');
        }
        frame.push_str(k);
        frame.push(':');
        frame.push_str(v);
    }
    frame.push_str(&tail);
    if c.below(16) == 15 {
        // A cut anywhere (on a char boundary).
        let mut at = c.below(frame.len() + 1);
        while !frame.is_char_boundary(at) {
            at -= 1;
        }
        if at < frame.len() {
            frame.truncate(at);
            canonical = false;
        }
    }
    (frame, canonical)
}

/// A short frame near its fixed shape, and its digits if it is of that shape exactly.
fn near_short_frame(c: &mut Choices<'_>) -> (String, Option<String>) {
    let shape = ShortFrame::ALL[c.below(2)];
    let mut digits = String::new();
    let n = if c.byte() < 160 {
        1 + c.below(15)
    } else {
        c.below(20)
    };
    for i in 0..n {
        let d = c.byte() % 10;
        // Leading zeros only now and then.
        let d = if i == 0 && d == 0 && c.below(4) != 0 {
            1
        } else {
            d
        };
        digits.push(char::from(b'0' + d));
    }
    let (mut head, mut tail) = (shape.prefix().to_owned(), String::from("}"));
    match c.below(20) {
        10 => digits.insert(0, '-'),
        11 => digits.push_str(c.pick(&[".0", ".5", "e3", "E-1", "0"])),
        12 => head.push(' '),
        13 => tail.push_str(c.pick(&[" ", "\n", ",", "}"])),
        14 => {
            head = match shape {
                ShortFrame::OrderTaken => "{\"order_id\":".into(),
                ShortFrame::Pong => "{\"ts\":".into(),
            };
            tail = match shape {
                ShortFrame::OrderTaken => ",\"type\":\"order_taken\"}".into(),
                ShortFrame::Pong => ",\"type\":\"pong\"}".into(),
            };
        }
        15 => digits = format!("\"{digits}\""),
        16 => head = head.replacen("\"type\"", "\"t\\u0079pe\"", 1),
        17 => tail = format!(",{}{digits}}}", &shape.prefix()[1..]),
        _ => {}
    }
    let frame = format!("{head}{digits}{tail}");
    let canonical = (1..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && (digits == "0" || !digits.starts_with('0'))
        && frame == format!("{}{digits}}}", shape.prefix());
    (frame, canonical.then_some(digits))
}

/// Target `fast_paths`: the input as a frame, then frames generated from its bytes.
pub fn fast_paths(data: &[u8]) -> Taken {
    let mut taken = Taken::default();
    let mut count = |(fast, short): (bool, bool)| {
        taken.canonical += usize::from(fast);
        taken.short += usize::from(short);
    };
    if let Ok(text) = std::str::from_utf8(data) {
        count(check_shortcuts(text, &fuzzing::decode_scanned(text)));
    }
    let mut c = Choices(data);
    for _ in 0..3 {
        let (frame, canonical) = near_canonical_new_order(&mut c);
        let general = fuzzing::decode_scanned(&frame);
        let (fast, short) = check_shortcuts(&frame, &general);
        assert!(!short);
        if canonical && general.is_ok() {
            assert!(fast, "canonical frame not taken by the shortcut: {frame:?}");
        }
        count((fast, false));
        taken.canonical_refused += usize::from(!fast);

        let (frame, canonical) = near_short_frame(&mut c);
        let general = fuzzing::decode_scanned(&frame);
        let (fast, short) = check_shortcuts(&frame, &general);
        assert!(!fast);
        assert_eq!(short, canonical.is_some(), "short shape: {frame:?}");
        if let (Some((_, value)), Some(digits)) = (ShortFrame::recognise(&frame), canonical) {
            assert_eq!(Ok(value), digits.parse::<f64>(), "{frame:?}");
        }
        count((false, short));
        taken.short_refused += usize::from(!short);
    }
    taken
}

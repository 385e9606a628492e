//! The core's JSON reader and tolerant decoder, checked against serde_json as the
//! reference: same verdict on what is JSON, same values out.

use serde_json::Value as J;

use crate::json::{self, Reader, Value};
use crate::rng::SplitMix64;
use crate::*;

/// Reads a whole document with the core's reader, building a serde_json value from it.
fn read_all(text: &str) -> Option<J> {
    fn value(r: &mut Reader<'_>) -> Option<J> {
        Some(match r.value().ok()? {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(b),
            // A number beyond f64's range is valid JSON with an unreadable value (see
            // `serde_ref`): null in the comparison.
            Value::Number(t) => serde_json::from_str(t).unwrap_or(J::Null),
            Value::Str(s) => J::String(s.value().into_owned()),
            Value::Array => {
                let mut v = Vec::new();
                while r.next_item().ok()? {
                    v.push(value(r)?);
                }
                J::Array(v)
            }
            Value::Object => {
                let mut m = serde_json::Map::new();
                while let Some(k) = r.next_key().ok()? {
                    let k = k.value().into_owned();
                    let v = value(r)?;
                    m.insert(k, v);
                }
                J::Object(m)
            }
        })
    }
    let mut r = Reader::new(text);
    let v = value(&mut r)?;
    r.finish().ok()?;
    Some(v)
}

/// serde_json's reading of `text`, with one decision of ours applied: a number beyond
/// f64's range (`1e400`), which serde_json refuses, is valid JSON (the grammar allows it)
/// whose value is unreadable, so it reads as null and the rest of the document stands
/// (an order with such an amount is kept, its amount null, failing every limit).
fn serde_ref(text: &str) -> Option<J> {
    let mut t = text.to_owned();
    for _ in 0..64 {
        match serde_json::from_str::<J>(&t) {
            Ok(v) => return Some(v),
            Err(e) if e.to_string().starts_with("number out of range") => {
                // The byte offset of the error's line and column.
                let mut at = 0;
                for (i, line) in t.split_inclusive('\n').enumerate() {
                    if i + 1 == e.line() {
                        at += line
                            .char_indices()
                            .nth(e.column().saturating_sub(1))
                            .map_or(line.len(), |(b, _)| b);
                        break;
                    }
                    at += line.len();
                }
                let num =
                    |c: u8| c.is_ascii_digit() || matches!(c, b'+' | b'-' | b'.' | b'e' | b'E');
                let b = t.as_bytes();
                let mut start = at.min(b.len());
                while start > 0 && num(b[start - 1]) {
                    start -= 1;
                }
                let mut end = start;
                while end < b.len() && num(b[end]) {
                    end += 1;
                }
                if end == start {
                    return None;
                }
                t.replace_range(start..end, "null");
            }
            Err(_) => return None,
        }
    }
    None
}

#[test]
fn numbers_beyond_f64_are_valid_json_with_unreadable_values() {
    assert_eq!(
        serde_ref("[1e400,-1e400,1]"),
        serde_json::from_str("[null,null,1]").ok()
    );
    assert_eq!(read_all("[1e400,-1e400,1]"), serde_ref("[1e400,-1e400,1]"));
    assert_eq!(
        serde_ref("[1e400,}"),
        None,
        "still refused for what else is wrong"
    );
    assert_eq!(read_all("[1e400,}"), None);
}

/// Validates a whole document with `skip` only (the path unknown fields take).
fn skims(text: &str) -> bool {
    let mut r = Reader::new(text);
    r.value()
        .and_then(|v| r.skip(v))
        .and_then(|_| r.finish())
        .is_ok()
}

fn corpus() -> Vec<String> {
    let mut seeds: Vec<String> = vec![
        super::harness::init_json(&[1, 2, 3]),
        r#"{"type":"new_order","order":{"id":10042,"amount_fiat":5000,"currency":"KES","amount_usd":38.79,"crypto_symbol":"usdt","crypto_chain":"trx","status":"open","created_at":"2026-05-03T12:34:56.000Z"}}"#.into(),
        r#"{"order":{"id":"7","amount_fiat":"12.5e1","currency":"N\u0047N","extra":[true,false,null,{"a":[]}]},"type":"new_order"}"#.into(),
        r#"{"type":"error","message":"Order \"x\" \\ not \/ available \ud83d\ude00 \u00e9","order_id":7}"#.into(),
        r#" { "type" : "pong" , "ts" : -1.5E+3 } "#.into(),
        r#"{"type":"init","orders":[],"lp_id":"12","currencies":"KES, NGN"}"#.into(),
        r#"{"type":"claimed","order_id":1e3}"#.into(),
        r#"[0,-0,0.0,1e-7,123456789012345678901234567890,"\t",{}]"#.into(),
    ];
    seeds.push(format!("{}1{}", "[".repeat(127), "]".repeat(127)));
    seeds.push(format!("{}1{}", "[".repeat(129), "]".repeat(129)));
    let mut all = seeds.clone();
    let bytes = [
        b'"', b'{', b'}', b'[', b']', b':', b',', b'0', b'-', b'e', b'\\', b'u', b' ', b'.', b'+',
        b'E', b'n', b'\n', 1,
    ];
    for s in &seeds {
        for cut in 0..=s.len() {
            if let Some(p) = s.get(..cut) {
                all.push(p.to_owned());
            }
        }
        for i in 0..s.len().min(400) {
            for &b in &bytes {
                let mut v = s.clone().into_bytes();
                v[i] = b;
                if let Ok(t) = String::from_utf8(v) {
                    all.push(t);
                }
            }
        }
    }
    all
}

#[test]
fn reader_agrees_with_serde_json_on_what_is_json_and_what_it_says() {
    let mut checked = 0;
    for text in corpus() {
        let reference: Option<J> = serde_ref(&text);
        assert_eq!(read_all(&text), reference, "{text:?}");
        assert_eq!(skims(&text), reference.is_some(), "{text:?}");
        checked += 1;
    }
    assert!(checked > 10_000, "{checked}");
}

/// The tolerant rules, written again over serde_json's values: the reference decoder.
fn reference(frame: &str) -> Result<ServerMessage<'static>, &'static str> {
    let Some(v) = serde_ref(frame) else {
        return Err("not json");
    };
    let Some(ty) = v.get("type").and_then(J::as_str) else {
        return Err("no type");
    };
    fn id(v: Option<&J>) -> Option<u64> {
        match v? {
            J::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|f| *f >= 0.0 && f.fract() == 0.0 && *f < 1.8446744073709552e19)
                    .map(|f| f as u64)
            }),
            J::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|&id| id <= crate::wire::MAX_ID)
    }
    fn num(v: Option<&J>) -> Option<f64> {
        match v? {
            J::Number(n) => n.as_f64(),
            J::String(s) => s.trim().parse().ok(),
            _ => None,
        }
        .filter(|f: &f64| f.is_finite())
    }
    fn string(v: Option<&J>) -> String {
        match v {
            Some(J::String(s)) => s.clone(),
            Some(J::Number(n)) if n.is_i64() || n.is_u64() => n.to_string(),
            _ => String::new(),
        }
    }
    fn order(v: &J) -> Option<Order> {
        let o = v.as_object()?;
        Some(
            OrderView {
                id: id(o.get("id"))?,
                amount_fiat: num(o.get("amount_fiat")),
                currency: string(o.get("currency")).into(),
                amount_usd: num(o.get("amount_usd")),
                crypto_symbol: string(o.get("crypto_symbol")).into(),
                crypto_chain: string(o.get("crypto_chain")).into(),
                status: string(o.get("status")).into(),
                created_at: string(o.get("created_at")).into(),
            }
            .to_order(),
        )
    }
    Ok(match ty {
        "init" => ServerMessage::Init {
            orders: match v.get("orders") {
                None | Some(J::Null) => vec![],
                Some(J::Array(a)) => a.iter().map(order).collect::<Option<_>>().ok_or("bad")?,
                Some(_) => return Err("bad"),
            },
            lp_id: id(v.get("lp_id")),
            currencies: match v.get("currencies") {
                Some(J::Array(a)) => a
                    .iter()
                    .filter_map(|c| c.as_str().map(str::to_owned))
                    .collect(),
                Some(J::String(s)) => s
                    .split(',')
                    .map(str::trim)
                    .filter(|c| !c.is_empty())
                    .map(str::to_owned)
                    .collect(),
                _ => vec![],
            },
        },
        "new_order" => {
            let o = order(v.get("order").ok_or("bad")?).ok_or("bad")?;
            // Compared through `to_order`, so hand back an owned view.
            ServerMessage::NewOrder {
                order: OrderView {
                    id: o.id,
                    amount_fiat: o.amount_fiat,
                    currency: o.currency().to_owned().into(),
                    amount_usd: o.amount_usd,
                    crypto_symbol: o.crypto_symbol().to_owned().into(),
                    crypto_chain: o.crypto_chain().to_owned().into(),
                    status: o.status().to_owned().into(),
                    created_at: o.created_at().to_owned().into(),
                },
            }
        }
        "order_taken" => ServerMessage::OrderTaken {
            order_id: id(v.get("order_id")).ok_or("bad")?,
        },
        "claimed" => ServerMessage::Claimed {
            order_id: id(v.get("order_id")).ok_or("bad")?,
        },
        "pong" => ServerMessage::Pong {
            ts: num(v.get("ts")),
        },
        "auth_required" => ServerMessage::AuthRequired {
            message: string(v.get("message")).into(),
        },
        "error" => ServerMessage::Error {
            message: string(v.get("message")).into(),
            order_id: id(v.get("order_id")),
        },
        other => ServerMessage::Unknown {
            kind: other.to_owned().into(),
        },
    })
}

/// Equal, except that floats may differ in the last bits (see `json::to_f64`).
fn same(a: &ServerMessage<'_>, b: &ServerMessage<'_>) -> bool {
    fn close(a: Option<f64>, b: Option<f64>) -> bool {
        match (a, b) {
            (Some(a), Some(b)) => a == b || (a - b).abs() <= a.abs().max(b.abs()) * 1e-15,
            (a, b) => a == b,
        }
    }
    fn order(a: &Order, b: &Order) -> bool {
        close(a.amount_fiat, b.amount_fiat)
            && close(a.amount_usd, b.amount_usd)
            && a.view()
                == OrderView {
                    amount_fiat: a.amount_fiat,
                    amount_usd: a.amount_usd,
                    ..b.view()
                }
    }
    use ServerMessage as M;
    match (a, b) {
        (M::Init { orders: x, .. }, M::Init { orders: y, .. }) => {
            x.len() == y.len()
                && x.iter().zip(y).all(|(p, q)| order(p, q))
                && a == &{
                    let mut c = b.clone();
                    if let M::Init { orders, .. } = &mut c {
                        *orders = x.clone();
                    }
                    c
                }
        }
        (M::NewOrder { order: x }, M::NewOrder { order: y }) => order(&x.to_order(), &y.to_order()),
        (M::Pong { ts: Some(x) }, M::Pong { ts: Some(y) }) => close(Some(*x), Some(*y)),
        _ => a == b,
    }
}

#[test]
fn decoder_agrees_with_the_reference_decoder_on_every_frame() {
    let mut decoded = 0;
    for text in corpus() {
        let ours = ServerMessage::decode(&text);
        match (reference(&text), &ours) {
            (Err("not json"), Err(DecodeError::NotJson(_))) => {}
            (Err("no type"), Err(DecodeError::NoType)) => {}
            (Err("bad"), Err(DecodeError::BadShape { .. })) => {}
            (Ok(ServerMessage::Unknown { kind: want }), Ok(ServerMessage::Unknown { kind })) => {
                assert_eq!(**kind, *want, "{text:?}")
            }
            (Ok(want), Ok(got)) => {
                assert!(
                    same(got, &want),
                    "{text:?}: ours {got:?}, reference {want:?}"
                );
                decoded += 1;
            }
            (want, got) => panic!("{text:?}: reference {want:?}, ours {got:?}"),
        }
    }
    assert!(decoded > 1_000, "{decoded}");
}

#[test]
fn the_fast_float_path_rounds_like_the_standard_parser() {
    let mut rng = SplitMix64::new(42);
    let mut next = |n: u64| (rng.next_unit() * n as f64) as u64;
    for _ in 0..200_000 {
        let digits = 1 + next(15);
        let mut s = String::new();
        if next(4) == 0 {
            s.push('-');
        }
        let dot = next(digits + 1);
        for i in 0..digits {
            if i == dot && i > 0 {
                s.push('.');
            }
            s.push((b'0' + next(10) as u8) as char);
        }
        let want: f64 = s.parse().unwrap();
        assert_eq!(
            json::to_f64(&s).map(f64::to_bits),
            Some(want.to_bits()),
            "{s}"
        );
    }
    // Longer numbers and exponents: within a few ulps of the exact parser.
    for _ in 0..100_000 {
        let digits = 1 + next(25);
        let mut s: String = (0..digits)
            .map(|_| (b'0' + next(10) as u8) as char)
            .collect();
        if next(2) == 0 {
            s.insert(
                1 + next(digits) as usize - (next(digits) == digits) as usize,
                '.',
            );
            if s.ends_with('.') {
                s.push('5');
            }
        }
        if next(2) == 0 {
            s.push_str(&format!("e{}", next(600) as i64 - 300));
        }
        let want: f64 = s.parse().unwrap();
        let got = json::to_f64(&s);
        if want.is_finite() {
            let got = got.unwrap_or_else(|| panic!("{s}"));
            assert!(
                (got - want).abs() <= want.abs() * 1e-15,
                "{s}: {got} vs {want}"
            );
        }
    }
    assert_eq!(json::to_f64("+1.5"), Some(1.5));
    assert_eq!(json::to_f64(".5"), Some(0.5));
    assert_eq!(json::to_f64("5."), Some(5.0));
    assert_eq!(json::to_f64("1e-400"), Some(0.0));
    for bad in ["", "-", ".", "e5", "1e", "1e+", "1x", "inf", "NaN", "1.2.3"] {
        assert_eq!(json::to_f64(bad), None, "{bad}");
    }
    assert_eq!(json::to_f64("1e400"), None);
    assert_eq!(json::to_f64(" 1"), None);
    assert_eq!(json::to_u64("18446744073709551616"), None);
    assert_eq!(json::to_u64("18446744073709551615"), Some(u64::MAX));
}

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

/// Decision (json.rs's `MAX_DEPTH`): 127 nested containers are JSON and a 128th is not,
/// for the reader exactly as for serde_json (whose recursion limit of 128 refuses the
/// container that reaches it); arrays and objects count alike, the frame's own object
/// included.
#[test]
fn nesting_is_json_up_to_127_containers_as_for_serde_json() {
    assert_eq!(json::MAX_DEPTH, 127);
    for n in [2, 126, 127, 128, 129, 130] {
        let arrays = format!("{}{}", "[".repeat(n), "]".repeat(n));
        let objects = format!("{}1{}", "{\"a\":".repeat(n), "}".repeat(n));
        let mixed = format!("{}1{}", "[{\"a\":".repeat(n / 2), "}]".repeat(n / 2));
        for text in [arrays, objects, mixed] {
            let depth = if text.starts_with("[{") { n / 2 * 2 } else { n };
            let want = depth <= 127;
            assert_eq!(
                serde_json::from_str::<J>(&text).is_ok(),
                want,
                "serde_json, {depth}"
            );
            assert_eq!(read_all(&text).is_some(), want, "reader, {depth}");
            assert_eq!(skims(&text), want, "skip, {depth}");
        }
    }
    let frame = |n: usize| {
        format!(
            r#"{{"type":"pong","x":{}{}}}"#,
            "[".repeat(n),
            "]".repeat(n)
        )
    };
    assert!(ServerMessage::decode(&frame(126)).is_ok());
    assert!(matches!(
        ServerMessage::decode(&frame(127)),
        Err(DecodeError::NotJson(_))
    ));
}

/// Decision (json.rs's `to_f64`): correctly rounded (what the standard library and
/// JavaScript's JSON.parse read) for every number `m·10^e` with `m` its digits as written
/// (at most 19 significant) and `-22 <= e <= 0` (or `0 <= e <= 22`, `m < 2^53`), so every
/// amount a server's JSON.stringify writes (up to 17 significant digits) reads back as
/// the double the server had; within 16 ulps beyond that class.
/// The short path this replaced was off by up to 6 ulps (measured by the fuzz target
/// `json_differential`: 3.1 million runs in 150 s), 1 ulp on 16- and 17-digit amounts.
#[test]
fn floats_are_correctly_rounded_for_every_amount_and_within_16_ulps_beyond() {
    let mut rng = SplitMix64::new(2026);
    let mut unit = || rng.next_unit();
    // Amounts as a JS server computes and prints them (shortest round trip: what Rust's
    // `{}` and `{:e}` print too), e.g. 38.790000000000006.
    for _ in 0..100_000 {
        let v = (unit() * 1e9).floor() / 100.0 / (1.0 + unit() * 300.0);
        for s in [format!("{v}"), format!("{v:e}"), format!("-{v}")] {
            let want: f64 = s.parse().unwrap();
            assert_eq!(
                json::to_f64(&s).map(f64::to_bits),
                Some(want.to_bits()),
                "{s}"
            );
        }
    }
    // 16 to 19 significant digits, the point anywhere, exponents that keep -22 <= e <= 0
    // (e: the exponent of the last digit).
    for _ in 0..100_000 {
        let n = 16 + (unit() * 4.0) as usize;
        let mut s: String = (0..n)
            .map(|i| match i {
                0 => char::from(b'1' + (unit() * 9.0) as u8),
                _ => char::from(b'0' + (unit() * 10.0) as u8),
            })
            .collect();
        let point = 1 + (unit() * (n - 1) as f64) as usize;
        s.insert(point, '.');
        let x = ((unit() * 8.0) as i64 - 4).min((n - point) as i64);
        let s = format!("{s}e{x}");
        let want: f64 = s.parse().unwrap();
        assert_eq!(
            json::to_f64(&s).map(f64::to_bits),
            Some(want.to_bits()),
            "{s}"
        );
    }
    for (s, want) in [
        ("38.790000000000006", 38.790000000000006_f64),
        ("0.30000000000000004", 0.30000000000000004),
        ("12345.678901234567", 12345.678901234567),
        ("9007199254740993", 9007199254740992.0), // a tie: to even
        ("4503599627370496.5", 4503599627370496.0),
        ("1.0000000000000002", 1.0000000000000002),
        ("0.001234567890123456789", 0.001_234_567_890_123_456_7),
        ("1e22", 1e22),
        ("123456789012345e7", 1.23456789012345e21),
        ("5000.000000000000000000000", 5000.0),
    ] {
        assert_eq!(
            json::to_f64(s).map(f64::to_bits),
            Some(want.to_bits()),
            "{s}"
        );
        assert_eq!(s.parse::<f64>(), Ok(want), "{s}");
    }
    // Beyond the class: within 16 ulps (the fuzzer's worst cases, 6 ulps, among them).
    for s in [
        "1.000000000000000000000000000001",
        "123456789012345678e-30",
        "12e30",
        "1.7976931348311579e308",
        "1.7936862697246314e308",
        "2.227547312e307",
        "1.79769313486231559e308",
        "1706690e-96",
        "0150859053555996940707e-317",
        "8.446744073709551615e-280",
        "2.2250738585072014e-308",
        "4.9e-324",
    ] {
        let want: f64 = s.parse().unwrap();
        let got = json::to_f64(s).unwrap_or_else(|| panic!("{s}"));
        let ulps = got.to_bits().abs_diff(want.to_bits());
        assert!(ulps <= 16, "{s}: {got:e} is {ulps} ulps from {want:e}");
    }
}

/// Regression (found by the fuzz target `json_differential`): ids are read exactly as the
/// exact parser reads the number. An id spelled with 16 or more significant digits took
/// the short float path and could come out 1 off (`4503599627370496.5` read as id
/// 4503599627370497, where JavaScript reads 4503599627370496); a numeric-string id with
/// more than 20 characters (leading zeros) was unreadable.
#[test]
fn ids_are_read_as_the_exact_parser_reads_them() {
    use crate::wire::Scalar;
    assert_eq!(
        Scalar::Number("4503599627370496.5").id(),
        Some(4503599627370496)
    );
    assert_eq!(Scalar::Number("9007199254740991.5").id(), None); // 2^53: beyond MAX_ID
    assert_eq!(Scalar::Number("1.0e3").id(), Some(1000));
    assert_eq!(
        Scalar::Number("100000000000000000000000e-20").id(),
        Some(1000)
    );
    // Never approximately: beyond to_f64's exact class (more than 19 significant digits,
    // or an exponent out of its range) a float spelling is no id. Found by the fuzzer: the first, just above
    // half the least subnormal, was read as id 0 (it rounds to 5e-324).
    for no_id in [
        "2.4703282292862327e-324",
        "1e-400",
        "4503599627370496.50000000000000000001",
        "9007199254740990.9999999999999999",
    ] {
        assert_eq!(Scalar::Number(no_id).id(), None, "{no_id}");
    }
    assert_eq!(
        Scalar::Text("00000000000012105673954".into()).id(),
        Some(12105673954)
    );
    assert_eq!(
        json::to_u64("000000000000000000000018446744073709551615"),
        Some(u64::MAX)
    );
    assert_eq!(
        ServerMessage::decode(r#"{"type":"claimed","order_id":"000000000000000000000007"}"#),
        Ok(ServerMessage::Claimed { order_id: 7 })
    );
}

/// Regression (found reading json.rs against the fuzz target's reference): an exponent
/// was capped at 100,000 before the digits' own offset applied, so a 100 KB number
/// `0.000…0001e100001` (which is 1) read as 0.1; frames may be 1 MiB.
#[test]
fn long_numbers_with_large_exponents_keep_their_value() {
    let s = format!("0.{}1e100001", "0".repeat(100_000));
    assert_eq!(s.parse::<f64>(), Ok(1.0));
    assert_eq!(json::to_f64(&s), Some(1.0));
    let frame = format!(r#"{{"type":"pong","ts":{s}}}"#);
    assert_eq!(
        ServerMessage::decode(&frame),
        Ok(ServerMessage::Pong { ts: Some(1.0) })
    );
}

/// Decision (decode.rs's module doc): a frame that gives `type`, a field its type reads,
/// or a field of an order twice is refused, never guessed (serde_json's `Value` keeps the
/// last; this decoder used to concatenate two `orders` lists). Fields not read may
/// repeat. REST bodies likewise: `object_fields` reads no object that gives an
/// asked-for name twice, so such a claim answer proves nothing.
#[test]
fn duplicate_keys_of_fields_read_are_refused_not_guessed() {
    let order = super::harness::order_json;
    let refused: Vec<String> = vec![
        format!(
            r#"{{"type":"init","orders":[{}],"orders":[{}]}}"#,
            order(1),
            order(2)
        ),
        format!(r#"{{"orders":[{}],"type":"init","orders":[]}}"#, order(1)),
        r#"{"type":"init","orders":[],"lp_id":12,"lp_id":13}"#.into(),
        r#"{"type":"init","orders":[{"id":1,"currency":"KES","currency":"NGN"}]}"#.into(),
        r#"{"type":"new_order","order":{"id":1,"amount_fiat":100,"amount_fiat":100000}}"#.into(),
        r#"{"type":"new_order","order":{"id":1,"id":2}}"#.into(),
        r#"{"type":"new_order","order":{"id":1},"order":{"id":2}}"#.into(),
        r#"{"type":"claimed","order_id":5,"order_id":6}"#.into(),
        r#"{"order_id":5,"type":"claimed","order_id":6}"#.into(),
        r#"{"type":"claimed","order_id":5,"order_\u0069d":6}"#.into(),
        r#"{"type":"claimed","order_id":5,"type":"order_taken"}"#.into(),
        r#"{"type":"error","message":"a","message":"b"}"#.into(),
        r#"{"type":"pong","ts":1,"ts":2}"#.into(),
        r#"{"type":"maintenance","type":"maintenance"}"#.into(),
    ];
    for frame in &refused {
        assert!(serde_json::from_str::<J>(frame).is_ok(), "{frame}");
        let e = ServerMessage::decode(frame).expect_err(frame);
        assert!(
            matches!(
                e,
                DecodeError::BadShape {
                    detail: "a field is given twice",
                    ..
                }
            ),
            "{frame}: {e:?}"
        );
    }
    // `type` given twice, the last not a string: no type, as for serde_json's last value.
    assert_eq!(
        ServerMessage::decode(r#"{"type":"pong","type":5}"#),
        Err(DecodeError::NoType)
    );
    for (frame, want) in [
        (
            r#"{"type":"pong","ts":1,"x":1,"x":{"a":1,"a":2}}"#,
            ServerMessage::Pong { ts: Some(1.0) },
        ),
        (
            r#"{"type":"pong","ts":1,"order_id":1,"order_id":2}"#,
            ServerMessage::Pong { ts: Some(1.0) },
        ),
        (
            r#"{"type":"claimed","order_id":5,"message":"a","message":"b"}"#,
            ServerMessage::Claimed { order_id: 5 },
        ),
    ] {
        assert_eq!(ServerMessage::decode(frame), Ok(want), "{frame}");
    }
    let Ok(ServerMessage::NewOrder { order }) =
        ServerMessage::decode(r#"{"type":"new_order","order":{"id":3,"fee":1,"fee":2}}"#)
    else {
        panic!("an unknown order field may repeat")
    };
    assert_eq!(order.id, 3);
    // REST bodies.
    let names = ["id", "status", "lp_id"];
    assert!(crate::wire::object_fields(r#"{"id":5,"lp_id":12,"lp_id":99}"#, names).is_none());
    assert!(crate::wire::object_fields(r#"{"id":5,"note":1,"note":2}"#, names).is_some());
    assert!(
        crate::rest::OrderState::parse(r#"{"id":5,"status":"claimed","lp_id":12,"lp_id":99}"#)
            .is_err()
    );
}

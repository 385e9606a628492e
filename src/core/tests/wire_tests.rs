//! Tolerant, total decoding of every message of the spec.

use crate::*;

#[test]
fn decodes_every_server_message_of_the_spec() {
    // Frames as printed on the provider's page.
    let init = r#"{"type":"init","orders":[],"lp_id":12,"currencies":["KES","NGN"]}"#;
    assert_eq!(
        ServerMessage::decode(init).unwrap(),
        ServerMessage::Init {
            orders: vec![],
            lp_id: Some(12),
            currencies: vec!["KES".into(), "NGN".into()]
        }
    );
    let new_order = r#"{"type":"new_order","order":{"id":10042,"amount_fiat":5000,"currency":"KES","amount_usd":38.79,"crypto_symbol":"usdt","crypto_chain":"trx","status":"open","created_at":"2026-05-03T12:34:56.000Z"}}"#;
    let ServerMessage::NewOrder { order } = ServerMessage::decode(new_order).unwrap() else {
        panic!("not a new_order")
    };
    assert_eq!(order.to_order(), super::harness::order(10042));
    // Plain strings borrow the frame.
    assert!(matches!(order.created_at, std::borrow::Cow::Borrowed(_)));
    assert_eq!(
        ServerMessage::decode(r#"{ "type": "order_taken", "order_id": 10042 }"#).unwrap(),
        ServerMessage::OrderTaken { order_id: 10042 }
    );
    assert_eq!(
        ServerMessage::decode(r#"{ "type": "claimed", "order_id": 10042 }"#).unwrap(),
        ServerMessage::Claimed { order_id: 10042 }
    );
    assert_eq!(
        ServerMessage::decode(r#"{ "type": "pong", "ts": 1746275096123 }"#).unwrap(),
        ServerMessage::Pong {
            ts: Some(1746275096123.0)
        }
    );
    assert_eq!(
        ServerMessage::decode(
            r#"{"type":"auth_required","message":"Send {\"type\":\"auth\",\"lp_key\":\"lp_...\"} to continue"}"#
        )
        .unwrap(),
        ServerMessage::AuthRequired {
            message: r#"Send {"type":"auth","lp_key":"lp_..."} to continue"#.into()
        }
    );
    assert_eq!(
        ServerMessage::decode(r#"{ "type": "error", "message": "Invalid lp_key" }"#).unwrap(),
        ServerMessage::Error {
            message: "Invalid lp_key".into(),
            order_id: None
        }
    );
    assert_eq!(
        ServerMessage::decode(r#"{"type":"error","message":"Order not available","order_id":7}"#)
            .unwrap(),
        ServerMessage::Error {
            message: "Order not available".into(),
            order_id: Some(7)
        }
    );
}

#[test]
fn encodes_every_client_message_of_the_spec() {
    const KEY: &str = "lp_a1b2c3d4";
    let key = LpKey::new(KEY).unwrap();
    assert_eq!(ClientMessage::Ping.encode(), r#"{"type":"ping"}"#);
    assert_eq!(
        ClientMessage::Claim { order_id: 10042 }.encode(),
        r#"{"type":"claim","order_id":10042}"#
    );
    assert_eq!(
        ClientMessage::FiatSent { order_id: 0 }.encode(),
        r#"{"type":"fiat_sent","order_id":0}"#
    );
    assert_eq!(
        ClientMessage::Auth {
            lp_key: key.expose()
        }
        .encode(),
        r#"{"type":"auth","lp_key":"lp_a1b2c3d4"}"#
    );
    // The hand-written encoder writes JSON that serde_json reads back as the spec's shapes.
    use serde_json::json;
    for (m, want) in [
        (ClientMessage::Ping, json!({"type": "ping"})),
        (
            ClientMessage::Claim { order_id: u64::MAX },
            json!({"type": "claim", "order_id": u64::MAX}),
        ),
        (
            ClientMessage::FiatSent { order_id: 5 },
            json!({"type": "fiat_sent", "order_id": 5}),
        ),
        (
            ClientMessage::Auth {
                lp_key: key.expose(),
            },
            json!({"type": "auth", "lp_key": KEY}),
        ),
    ] {
        let got: serde_json::Value = serde_json::from_str(&m.encode()).unwrap();
        assert_eq!(got, want);
    }
    assert!(!format!(
        "{:?}",
        ClientMessage::Auth {
            lp_key: key.expose()
        }
    )
    .contains("a1b2"));
}

#[test]
fn numbers_may_be_integers_floats_or_numeric_strings() {
    let m = ServerMessage::decode(
        r#"{"type":"new_order","order":{"id":10042.0,"amount_fiat":"5000.5","currency":"KES","amount_usd":38,"status":"open"}}"#,
    )
    .unwrap();
    let ServerMessage::NewOrder { order } = m else {
        panic!("not a new_order: {m:?}")
    };
    assert_eq!(order.id, 10042);
    assert_eq!(order.amount_fiat, Some(5000.5));
    assert_eq!(order.amount_usd, Some(38.0));
    assert_eq!(
        ServerMessage::decode(r#"{"type":"claimed","order_id":"77"}"#).unwrap(),
        ServerMessage::Claimed { order_id: 77 }
    );
    assert_eq!(
        ServerMessage::decode(r#"{"type":"pong","ts":1.5e12}"#).unwrap(),
        ServerMessage::Pong { ts: Some(1.5e12) }
    );
}

#[test]
fn unknown_fields_are_ignored_and_missing_optional_fields_are_fine() {
    let m = ServerMessage::decode(
        r#"{"type":"new_order","extra":{"deep":[1,2]},"order":{"id":1,"currency":"NGN","fee_bps":30}}"#,
    )
    .unwrap();
    let ServerMessage::NewOrder { order } = m else {
        panic!("not a new_order")
    };
    assert_eq!(
        (order.id, &*order.currency, order.amount_fiat),
        (1, "NGN", None)
    );
    assert_eq!(order.created_at, "");
    // init without lp_id or currencies, or with nulls.
    assert_eq!(
        ServerMessage::decode(r#"{"type":"init","orders":[],"lp_id":null}"#).unwrap(),
        ServerMessage::Init {
            orders: vec![],
            lp_id: None,
            currencies: vec![]
        }
    );
    assert_eq!(
        ServerMessage::decode(r#"{"type":"pong"}"#).unwrap(),
        ServerMessage::Pong { ts: None }
    );
    assert_eq!(
        ServerMessage::decode(r#"{"type":"error"}"#).unwrap(),
        ServerMessage::Error {
            message: "".into(),
            order_id: None
        }
    );
}

#[test]
fn unknown_type_is_a_value_not_an_error() {
    assert_eq!(
        ServerMessage::decode(r#"{"type":"maintenance","at":"soon"}"#).unwrap(),
        ServerMessage::Unknown {
            kind: "maintenance".into()
        }
    );
    let long = format!(r#"{{"type":"{}"}}"#, "é".repeat(100));
    let ServerMessage::Unknown { kind } = ServerMessage::decode(&long).unwrap() else {
        panic!()
    };
    // Whole: the reporter redacts, then truncates (connection_tests).
    assert_eq!(kind.len(), 200);
}

#[test]
fn malformed_frames_are_typed_errors() {
    type Check = fn(&DecodeError) -> bool;
    let cases: &[(&str, Check)] = &[
        ("", |e| matches!(e, DecodeError::NotJson(_))),
        ("{", |e| matches!(e, DecodeError::NotJson(_))),
        ("not json", |e| matches!(e, DecodeError::NotJson(_))),
        ("[1,2]", |e| matches!(e, DecodeError::NoType)),
        ("42", |e| matches!(e, DecodeError::NoType)),
        ("null", |e| matches!(e, DecodeError::NoType)),
        (r#""init""#, |e| matches!(e, DecodeError::NoType)),
        (r#"{"orders":[]}"#, |e| matches!(e, DecodeError::NoType)),
        (r#"{"type":5}"#, |e| matches!(e, DecodeError::NoType)),
        (r#"{"type":"new_order"}"#, |e| {
            matches!(
                e,
                DecodeError::BadShape {
                    kind: "new_order",
                    ..
                }
            )
        }),
        (r#"{"type":"new_order","order":{"id":-1}}"#, |e| {
            matches!(e, DecodeError::BadShape { .. })
        }),
        (r#"{"type":"new_order","order":{"id":1.5}}"#, |e| {
            matches!(e, DecodeError::BadShape { .. })
        }),
        (r#"{"type":"order_taken","order_id":"x"}"#, |e| {
            matches!(e, DecodeError::BadShape { .. })
        }),
        (r#"{"type":"init","orders":"none"}"#, |e| {
            matches!(e, DecodeError::BadShape { kind: "init", .. })
        }),
        (r#"{"type":"claimed","order_id":1e400}"#, |e| {
            matches!(e, DecodeError::NotJson(_) | DecodeError::BadShape { .. })
        }),
    ];
    for (frame, check) in cases {
        let e = ServerMessage::decode(frame).expect_err(frame);
        assert!(check(&e), "{frame:?} gave {e:?}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn decode_errors_do_not_echo_frame_values() {
    let e = ServerMessage::decode(r#"{"type":"claimed","order_id":"lp_secretvalue"}"#).unwrap_err();
    assert!(!e.to_string().contains("lp_secretvalue"), "{e}");
}

#[test]
fn no_input_panics() {
    // A deterministic sweep of mutations of real frames: truncations and byte flips.
    let seeds = [
        super::harness::init_json(&[1, 2, 3]),
        r#"{"type":"new_order","order":{"id":10042,"amount_fiat":5000}}"#.to_string(),
        r#"{"type":"error","message":"Order not available","order_id":7}"#.to_string(),
    ];
    let bytes = [
        b'"', b'{', b'}', b'[', b']', b':', b',', b'0', b'-', b'e', 0xff, b'\\',
    ];
    for s in &seeds {
        for cut in 0..=s.len() {
            if let Some(prefix) = s.get(..cut) {
                let _ = ServerMessage::decode(prefix);
            }
        }
        for i in 0..s.len() {
            for &b in &bytes {
                let mut v = s.clone().into_bytes();
                v[i] = b;
                if let Ok(t) = String::from_utf8(v) {
                    let _ = ServerMessage::decode(&t);
                }
            }
        }
    }
    let deep = "[".repeat(10_000);
    assert!(ServerMessage::decode(&deep).is_err());
}

#[test]
fn short_frames_mean_what_the_decoder_reads() {
    for shape in ShortFrame::ALL {
        for digits in ["0", "7", "10042", "1746275096123", "999999999999999"] {
            let text = format!("{}{digits}}}", shape.prefix());
            let (found, value) = ShortFrame::recognise(&text).expect("a short frame");
            assert_eq!(found, shape);
            assert_eq!(value, digits.parse::<f64>().unwrap());
            assert_eq!(ShortFrame::from_number(shape as u32), Some(shape));
            assert_eq!(
                shape.message(value),
                Some(ServerMessage::decode(&text).unwrap()),
                "{text}"
            );
        }
    }
}

#[test]
fn anything_else_is_left_to_the_decoder() {
    let taken = ShortFrame::OrderTaken.prefix();
    let others = [
        format!("{taken}007}}"),              // leading zero: not JSON
        format!("{taken}1234567890123456}}"), // 16 digits: may not be exact in JS
        format!("{taken}-1}}"),
        format!("{taken}1.0}}"),
        format!("{taken}1e3}}"),
        format!("{taken} 5}}"),
        format!("{taken}5 }}"),
        format!("{taken}5}} "),
        format!("{taken}5"),
        format!("{taken}}}"),
        format!("{taken}5,\"x\":1}}"),
        "{\"order_id\":5,\"type\":\"order_taken\"}".to_owned(),
        "{\"type\":\"pong\",\"ts\":\"5\"}".to_owned(),
        "{\"type\":\"claimed\",\"order_id\":5}".to_owned(),
    ];
    for text in &others {
        assert_eq!(ShortFrame::recognise(text), None, "{text}");
    }
    // The decoder still reads the well-formed ones.
    assert_eq!(
        ServerMessage::decode(&others[11]).unwrap(),
        ServerMessage::OrderTaken { order_id: 5 }
    );
}

#[test]
fn short_frame_values_outside_the_contract_are_refused() {
    for v in [-1.0, 0.5, 1e15, f64::NAN, f64::INFINITY] {
        assert_eq!(ShortFrame::OrderTaken.message(v), None, "{v}");
        assert_eq!(ShortFrame::Pong.message(v), None, "{v}");
    }
    assert_eq!(ShortFrame::from_number(0), None);
    assert_eq!(ShortFrame::from_number(3), None);
}

/// The fuzz targets' checks (src/wire/fuzz/checks.rs), replayed over their committed
/// corpora (src/wire/fuzz/corpus/<target>/) without fuzzing: the stable toolchain, a
/// fraction of a second, in every `cargo test`.
#[path = "../../wire/fuzz/checks.rs"]
mod fuzz_checks;

fn fuzz_corpus(target: &str) -> Vec<(String, Vec<u8>)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../wire/fuzz/corpus")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("a corpus entry").path())
        .collect();
    files.sort();
    assert!(
        files.len() >= 10,
        "{}: {} files",
        dir.display(),
        files.len()
    );
    files
        .into_iter()
        .map(|p| {
            let name = p
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read(&p).expect("a corpus file"))
        })
        .collect()
}

#[test]
fn fuzz_corpus_decode() {
    for (name, data) in fuzz_corpus("decode") {
        eprintln!("decode: {name}");
        fuzz_checks::decode(&data);
    }
}

#[test]
fn fuzz_corpus_json_differential() {
    for (name, data) in fuzz_corpus("json_differential") {
        eprintln!("json_differential: {name}");
        fuzz_checks::json_differential(&data);
    }
}

#[test]
fn fuzz_corpus_fast_paths() {
    let mut total = fuzz_checks::Taken::default();
    for (name, data) in fuzz_corpus("fast_paths") {
        eprintln!("fast_paths: {name}");
        let taken = fuzz_checks::fast_paths(&data);
        total.canonical += taken.canonical;
        total.canonical_refused += taken.canonical_refused;
        total.short += taken.short;
        total.short_refused += taken.short_refused;
    }
    // The corpus exercises both sides of both shortcuts.
    assert!(
        total.canonical >= 20 && total.canonical_refused >= 10,
        "{total:?}"
    );
    assert!(total.short >= 10 && total.short_refused >= 5, "{total:?}");
}

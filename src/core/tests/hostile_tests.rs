//! Hostile and odd input the core must meet with a typed error or the truth (issue 14):
//! unsolicited claim acks, unreadable amounts, ids JS cannot hold, floods of orders in
//! one `init`, and keys echoed by the server at any offset around every cut.

use std::time::Instant;

use super::harness::{config, init_json, order_json, Harness, KEY};
use crate::rest::{error_for, Operation};
use crate::*;

fn order_ids(events: &[Event]) -> Vec<u64> {
    events
        .iter()
        .filter_map(|e| match e {
            Event::Order(id) => Some(*id),
            _ => None,
        })
        .collect()
}

/// A `claimed` frame proves a claim only when it answers one of ours.
#[test]
fn an_unsolicited_claimed_frame_is_a_protocol_error_not_a_claim() {
    let mut h = Harness::new(config());
    h.go_live(&[5]);
    h.take_events();
    h.frame(r#"{"type":"claimed","order_id":5}"#);
    let events = h.take_events();
    assert!(
        !events.iter().any(|e| matches!(e, Event::Claimed(_))),
        "{events:?}"
    );
    let errors: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Event::Error(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(
        (errors[0].kind, errors[0].order_id),
        (ErrorKind::Protocol, Some(5))
    );
    assert!(
        h.conn.book().get(5).is_some(),
        "the order stays open in the book"
    );
    // Our own claim's answer still counts, as a number or a numeric string.
    h.conn.send_claim(h.now, 5).unwrap();
    h.pump();
    h.frame(r#"{"type":"claimed","order_id":"5"}"#);
    assert!(h.take_events().contains(&Event::Claimed(5)));
}

/// Amounts that are not finite numbers are `None`, fail every amount limit, and are
/// reported once per order.
#[test]
fn unreadable_amounts_fail_closed_and_are_reported() {
    let frame = |id: u64, fiat: &str, usd: &str| {
        format!(
            r#"{{"type":"new_order","order":{{"id":{id},"currency":"KES","amount_fiat":{fiat},"amount_usd":{usd}}}}}"#
        )
    };
    let unreadable = [
        r#""50,000""#,
        r#""KES 50000""#,
        r#""""#,
        r#"{"value":50000}"#,
        "[50000]",
        "null",
        "true",
        r#""1e400""#,
        "1e400",
        "-1e400",
        r#""Infinity""#,
        r#""NaN""#,
    ];
    for bad in unreadable {
        let text = frame(1, bad, "38.5");
        let decoded = ServerMessage::decode(&text).unwrap();
        let ServerMessage::NewOrder { order } = decoded else {
            panic!()
        };
        assert_eq!(order.amount_fiat, None, "{bad}");
        assert_eq!(order.amount_usd, Some(38.5));
    }
    // Missing altogether.
    let ServerMessage::NewOrder { order } =
        ServerMessage::decode(r#"{"type":"new_order","order":{"id":1,"currency":"KES"}}"#).unwrap()
    else {
        panic!()
    };
    assert_eq!((order.amount_fiat, order.amount_usd), (None, None));
    // Tolerated as the protocol notes ask: plain numeric strings.
    let text = frame(1, r#""5000.5""#, r#"" 38 ""#);
    let ServerMessage::NewOrder { order } = ServerMessage::decode(&text).unwrap() else {
        panic!()
    };
    assert_eq!(
        (order.amount_fiat, order.amount_usd),
        (Some(5000.5), Some(38.0))
    );

    let mut b = config();
    b.order_filter = OrderFilter {
        max_amount_fiat: vec![("KES".into(), 20_000.0)],
        ..OrderFilter::default()
    };
    let mut h = Harness::new(b);
    h.go_live(&[]);
    h.take_events();
    h.frame(&frame(2, r#""50,000""#, "380"));
    h.frame(&frame(3, "5000", "38"));
    let events = h.take_events();
    assert_eq!(
        order_ids(&events),
        [3],
        "the unreadable one never passes the limit"
    );
    let errors: Vec<&LpError> = events
        .iter()
        .filter_map(|e| match e {
            Event::Error(e) => Some(e),
            _ => None,
        })
        .collect();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].order_id, Some(2));
    assert!(
        errors[0].message.contains("amount_fiat"),
        "{}",
        errors[0].message
    );

    // No amount limit: the order reaches the app with its amount unknown, and is reported.
    let mut h = Harness::new(config());
    h.go_live(&[]);
    h.take_events();
    h.frame(&frame(4, "5000", r#"{"usd":38}"#));
    assert_eq!(order_ids(&h.events), [4]);
    assert_eq!(h.conn.book().get(4).map(|o| o.amount_usd), Some(None));
    assert!(h.errors()[0].message.contains("amount_usd"));
    // A limit on USD fails closed on an unreadable USD amount too.
    let mut b = config();
    b.order_filter.max_amount_usd = Some(1e9);
    let mut h = Harness::new(b);
    h.go_live(&[]);
    h.take_events();
    h.frame(&frame(5, "5000", "null"));
    assert!(order_ids(&h.events).is_empty());
}

/// An id JS cannot represent exactly is refused at decode.
#[test]
fn ids_beyond_2_pow_53_are_refused() {
    for id in [
        "9007199254740992",
        "18446744073709551615",
        "\"9007199254740993\"",
    ] {
        let f = format!(r#"{{"type":"new_order","order":{{"id":{id},"currency":"KES"}}}}"#);
        assert!(
            matches!(ServerMessage::decode(&f), Err(DecodeError::BadShape { .. })),
            "{id}"
        );
        let f = format!(r#"{{"type":"order_taken","order_id":{id}}}"#);
        assert!(ServerMessage::decode(&f).is_err(), "{id}");
    }
    let f = r#"{"type":"order_taken","order_id":9007199254740991}"#;
    assert_eq!(
        ServerMessage::decode(f),
        Ok(ServerMessage::OrderTaken {
            order_id: 9_007_199_254_740_991
        })
    );
}

/// An `init` larger than the book keeps the newest `bookCapacity` and says so once; its
/// cost grows linearly (a hostile 1 MiB `init` holds ~70,000 orders).
#[test]
fn a_huge_init_is_bounded_and_linear() {
    let time = |n: u64, resync: bool| {
        let mut b = config();
        b.book_capacity = 1_000;
        let mut h = Harness::new(b);
        if resync {
            // A book full of other orders first: the resync path.
            let held: Vec<u64> = (1..=1_000).map(|i| i * 3 + 1).collect();
            h.go_live(&held);
            h.close_socket();
            h.advance(60_000);
            h.open();
            h.frame(r#"{"type":"auth_required"}"#);
        } else {
            h.connect();
            h.open();
            h.frame(r#"{"type":"auth_required"}"#);
        }
        h.take_events();
        // Ids in a scrambled order, as a hostile server may send them.
        let ids: Vec<u64> = (0..n).map(|i| (i * 7_919) % n + 1).collect();
        let frame = init_json(&ids);
        let t = Instant::now();
        h.frame(&frame);
        let took = t.elapsed();
        assert_eq!(h.conn.state(), State::Live);
        assert_eq!(h.conn.book().len(), 1_000.min(n as usize));
        assert_eq!(
            h.conn.book().iter().next().map(|o| o.id),
            Some(n),
            "the newest kept"
        );
        let big = h
            .errors()
            .iter()
            .filter(|e| e.message.contains("kept the newest 1000"))
            .count();
        assert_eq!(big, usize::from(n > 1_000));
        took
    };
    for resync in [false, true] {
        let small = time(7_000, resync);
        let large = time(70_000, resync);
        // Linear with slack for noise: 10x the orders may not cost 40x the time.
        assert!(
            large < small * 40 + std::time::Duration::from_millis(50),
            "resync {resync}: 7k {small:?}, 70k {large:?}"
        );
    }
}

/// A key the server echoes is redacted wherever it stands, before any cut.
#[test]
fn a_key_echoed_at_any_offset_never_survives_in_part() {
    let c = config().build().unwrap();
    // REST error details are cut at 200 bytes.
    for at in 150..=260 {
        let detail = format!("{}{KEY} tail", "x".repeat(at));
        let body = format!(r#"{{"error":"{detail}"}}"#);
        let e = error_for(Operation::Claim(1), 400, &body, &c);
        assert_no_part_of_key(&e.message, at);
    }
    let mut h = Harness::new(config());
    h.go_live(&[]);
    // `error` frames (cut at 200) and unknown types (cut at 64).
    for at in 0..=260 {
        h.take_events();
        h.frame(&format!(
            r#"{{"type":"error","message":"{}{KEY}"}}"#,
            "y".repeat(at)
        ));
        h.frame(&format!(r#"{{"type":"{}{KEY}"}}"#, "z".repeat(at)));
        for e in h.errors() {
            assert_no_part_of_key(&e.message, at);
        }
    }
}

fn assert_no_part_of_key(message: &str, at: usize) {
    // Any 4 consecutive characters of the key would be a leak "in part".
    for w in KEY.as_bytes().windows(4) {
        let part = std::str::from_utf8(w).unwrap();
        assert!(
            !message.contains(part),
            "offset {at}: part {part:?} of the key in {message:?}"
        );
    }
}

/// `Debug` of the connection and its actions never shows the key, in either auth mode.
#[test]
fn debug_output_is_redacted() {
    let mut h = Harness::new(config());
    h.connect();
    h.open();
    let s = h.socket();
    h.conn
        .handle_frame(s, h.now, r#"{"type":"auth_required","message":"auth"}"#);
    // The auth frame is queued, not yet drained.
    let text = format!("{:?}", h.conn);
    assert!(text.contains("redacted"), "{text}");
    assert!(!text.contains(KEY), "{text}");
    let mut actions = vec![];
    while let Some(a) = h.conn.poll_action() {
        actions.push(a);
    }
    let text = format!("{actions:?}");
    assert!(!text.contains(KEY) && text.contains("Send"), "{text}");

    let mut b = config();
    b.auth = AuthMode::Query;
    b.currencies = vec!["KES".into()];
    let mut h = Harness::new(b);
    h.conn.connect(h.now);
    let a = h.conn.poll_action().unwrap();
    let text = format!("{a:?} {:?}", h.conn);
    assert!(!text.contains(KEY), "{text}");
    assert!(text.contains("lp_key=<redacted>&currencies=KES"), "{text}");
    let Action::Open { url, .. } = a else {
        panic!()
    };
    assert!(url.contains(KEY), "the driver still gets the real URL");
    let _ = order_json(1);
}

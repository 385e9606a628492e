//! The core's share of a claiming frame, natively: a `new_order` frame decoded, filtered and
//! booked, and the claim's flow and request made (what the wasm layer does before it calls
//! `fetch`). For `valgrind --tool=callgrind` (instructions per function) and a quick
//! ns-per-frame figure; not a test. `cargo run --release -p rampwire-lp-core --example frame_path`
use rampwire_lp_core::flow::{Flow, FlowKind};
use rampwire_lp_core::*;
use std::time::Instant;

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(200_000);
    let mut b = ConfigBuilder::new("https://api.rampwire.app", "lp_a1b2c3d4");
    b.currencies = vec!["KES".into()];
    b.auto_claim = true;
    b.order_filter.currencies = vec!["KES".into()];
    let mut conn = Connection::new(b.build().expect("config"), 7);
    let now = 1_000;
    conn.connect(now);
    let mut socket = None;
    while let Some(a) = conn.poll_action() {
        if let Action::Open { socket: s, .. } = a {
            socket = Some(s);
        }
    }
    let s = socket.expect("a socket");
    conn.handle_open(s, now);
    while conn.poll_action().is_some() {}
    conn.handle_frame(
        s,
        now,
        r#"{"type":"init","orders":[],"lp_id":12,"currencies":["KES"]}"#,
    );
    while conn.poll_action().is_some() {}
    let frames: Vec<String> = (1..=1000u64)
        .map(|i| format!(r#"{{"type":"new_order","order":{{"id":{},"amount_fiat":{},"currency":"KES","amount_usd":38.79,"crypto_symbol":"usdt","crypto_chain":"trx","status":"open","created_at":"2026-05-03T12:34:56.000Z"}}}}"#, 7_000_000 + i, 1000 + i % 500))
        .collect();
    let t0 = Instant::now();
    // The claims' URL lengths, summed and printed: the work cannot be optimised away.
    let mut url_bytes = 0u64;
    for i in 0..n {
        let f = &frames[(i % 1000) as usize];
        conn.handle_frame(s, now, f);
        while let Some(a) = conn.poll_action() {
            if let Action::Emit(Event::Order(id)) = a {
                let (_flow, req) = Flow::start(FlowKind::Claim, id, now, conn.config());
                url_bytes += req.url.len() as u64;
            }
        }
        // Keep the book from filling up: the orders are taken as soon as they are claimed.
        conn.handle_frame(
            s,
            now,
            &format!(
                r#"{{"type":"order_taken","order_id":{}}}"#,
                7_000_001 + i % 1000
            ),
        );
        while conn.poll_action().is_some() {}
    }
    let ns = t0.elapsed().as_nanos() as f64 / n as f64;
    println!("{n} new_order frames (+ order_taken): {ns:.0} ns per pair ({url_bytes} url bytes)");
}

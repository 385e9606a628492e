//! The connection state machine, driven by the injected clock.

use super::harness::*;
use crate::*;

#[test]
fn deferred_auth_sequence_puts_no_key_in_the_url() {
    let mut h = Harness::new(config());
    h.connect();
    assert_eq!(h.conn.state(), State::Connecting);
    assert_eq!(h.opened.len(), 1);
    assert_eq!(h.opened[0].1, "wss://api.rampwire.app/ws/orders");
    assert!(!h.opened[0].1.contains(KEY));
    h.open();
    assert_eq!(h.conn.state(), State::Authenticating);
    assert!(h.sent.is_empty(), "nothing is sent before auth_required");
    h.frame(r#"{"type":"auth_required","message":"Send auth"}"#);
    assert_eq!(
        h.sent_texts(),
        [r#"{"type":"auth","lp_key":"lp_a1b2c3d4"}"#]
    );
    // A repeated auth_required does not make us send the key again.
    h.frame(r#"{"type":"auth_required","message":"Send auth"}"#);
    assert_eq!(h.sent.len(), 1);
    h.frame(&init_json(&[2, 1]));
    assert_eq!(h.conn.state(), State::Live);
    assert_eq!(h.conn.lp_id(), Some(12));
    assert_eq!(
        h.states(),
        [State::Connecting, State::Authenticating, State::Live]
    );
    let init = h.events.iter().find_map(|e| match e {
        Event::Init {
            orders,
            lp_id,
            resync,
            ..
        } => Some((orders.len(), *lp_id, resync.clone())),
        _ => None,
    });
    assert_eq!(init, Some((2, Some(12), None)));
    assert_eq!(
        h.conn.book().iter().map(|o| o.id).collect::<Vec<_>>(),
        [2, 1]
    );
}

#[test]
fn query_auth_is_an_explicit_opt_in() {
    let mut b = config();
    b.auth = AuthMode::Query;
    b.currencies = vec!["KES".into()];
    let mut h = Harness::new(b);
    h.connect();
    assert_eq!(
        h.opened[0].1,
        "wss://api.rampwire.app/ws/orders?lp_key=lp_a1b2c3d4&currencies=KES"
    );
    h.open();
    h.frame(&init_json(&[]));
    assert_eq!(h.conn.state(), State::Live);
    assert!(h.sent.is_empty(), "query mode sends no auth frame");
}

#[test]
fn heartbeat_pings_every_interval_and_traffic_keeps_it_alive() {
    let mut h = Harness::new(config());
    h.go_live(&[]);
    h.sent.clear();
    let t0 = h.now;
    h.advance_to(t0 + 29_999);
    assert!(h.sent.is_empty());
    h.advance_to(t0 + 30_000);
    assert_eq!(h.sent_texts(), [r#"{"type":"ping"}"#]);
    h.advance(5_000);
    h.frame(r#"{"type":"pong","ts":1746275096123}"#);
    h.advance_to(t0 + 60_000);
    assert_eq!(h.sent.len(), 2);
    // Any frame counts as life, not only pong.
    h.advance(9_000);
    h.frame(&format!(
        r#"{{"type":"new_order","order":{}}}"#,
        order_json(9)
    ));
    h.advance_to(t0 + 89_000);
    assert_eq!(h.conn.state(), State::Live);
}

#[test]
fn frames_dropped_unread_count_as_traffic_on_their_socket_only() {
    let mut h = Harness::new(config());
    h.go_live(&[]);
    let t0 = h.now;
    let sock = h.socket();
    h.advance_to(t0 + 30_000); // ping
    h.advance(9_000);
    h.conn.handle_unread_frames(SocketId(sock.0 + 1)); // not the current socket
    h.conn.handle_unread_frames(sock);
    h.advance_to(t0 + 45_000);
    assert_eq!(h.conn.state(), State::Live, "unread frames kept it alive");
    h.advance_to(t0 + 70_000); // the next ping, then silence
    assert_eq!(h.conn.state(), State::Reconnecting);
}

#[test]
fn silence_after_a_ping_is_a_dead_connection() {
    let mut h = Harness::new(config());
    h.go_live(&[]);
    let t0 = h.now;
    let sock = h.socket();
    h.advance_to(t0 + 30_000); // ping
    h.advance_to(t0 + 39_999);
    assert_eq!(h.conn.state(), State::Live);
    h.advance_to(t0 + 40_000);
    assert_eq!(h.conn.state(), State::Reconnecting);
    assert_eq!(h.closed, [sock], "the half-open socket is closed");
    let s = h.last_state();
    assert_eq!(s.reason.unwrap().kind, ErrorKind::Timeout);
    // And it reconnects after the backoff.
    h.advance(1_000);
    assert_eq!(h.opened.len(), 2);
    assert_eq!(h.conn.state(), State::Connecting);
}

#[test]
fn backoff_sequence_grows_to_the_cap_and_resets_only_after_stable_live() {
    let mut h = Harness::new(config());
    h.connect();
    let mut delays = vec![];
    for _ in 0..7 {
        h.close_socket(); // refused before opening
        let s = h.last_state();
        assert_eq!(s.state, State::Reconnecting);
        assert_eq!(s.reason.as_ref().unwrap().kind, ErrorKind::Network);
        let d = s.retry_in_ms.unwrap();
        delays.push(d);
        h.advance(d - 1);
        assert_eq!(
            h.conn.state(),
            State::Reconnecting,
            "no retry before the delay"
        );
        h.advance(1);
        assert_eq!(h.conn.state(), State::Connecting);
    }
    let bases = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000];
    for (d, b) in delays.iter().zip(bases) {
        assert!(*d <= b && *d >= b * 8 / 10, "delay {d} for base {b}");
    }
    assert_eq!(h.last_state().attempt, 8);

    // A flapping server: live for 1 s, then closed. Backoff keeps growing.
    h.open();
    h.frame(&init_json(&[]));
    h.advance(1_000);
    h.close_socket();
    assert!(
        h.last_state().retry_in_ms.unwrap() >= 24_000,
        "no reset on a brief live period"
    );

    // Live for longer than stable_after (= heartbeat, 30 s): the next failure starts at 1 s.
    let d = h.last_state().retry_in_ms.unwrap();
    h.advance(d);
    h.open();
    h.frame(&init_json(&[]));
    h.advance(29_000);
    h.frame(r#"{"type":"pong","ts":1}"#);
    h.advance(2_000);
    h.close_socket();
    let s = h.last_state();
    assert!(s.retry_in_ms.unwrap() <= 1_000, "{s:?}");
    assert_eq!(s.attempt, 1);
}

#[test]
fn invalid_key_is_fatal_with_no_retry() {
    let mut h = Harness::new(config());
    h.connect();
    h.open();
    h.frame(r#"{"type":"auth_required","message":"x"}"#);
    h.frame(r#"{"type":"error","message":"Invalid lp_key"}"#);
    assert_eq!(h.conn.state(), State::Failed);
    let s = h.last_state();
    let reason = s.reason.unwrap();
    assert_eq!(reason.kind, ErrorKind::Unauthorized);
    assert!(reason.is_fatal());
    assert!(reason.message.contains("Invalid lp_key"));
    assert_eq!(h.closed.len(), 1);
    assert_eq!(h.conn.poll_timeout(), None, "no timer: nothing will retry");
    h.advance(3_600_000);
    assert_eq!(h.opened.len(), 1, "exactly one attempt");
    // The server closing afterwards changes nothing.
    h.close_socket();
    assert_eq!(h.conn.state(), State::Failed);
}

#[test]
fn upgrade_refusals_map_to_fatal_rate_limited_or_transient() {
    let mut h = Harness::new(config());
    h.connect();
    h.conn.handle_rejected(h.socket(), h.now, 401);
    h.pump();
    assert_eq!(h.conn.state(), State::Failed);

    let mut h = Harness::new(config());
    h.connect();
    h.conn.handle_rejected(h.socket(), h.now, 429);
    h.pump();
    let s = h.last_state();
    assert_eq!(s.state, State::Reconnecting);
    assert_eq!(s.reason.unwrap().kind, ErrorKind::RateLimited);
    assert!(s.retry_in_ms.unwrap() >= 24_000, "backs off at the cap");

    let mut h = Harness::new(config());
    h.connect();
    h.conn.handle_rejected(h.socket(), h.now, 502);
    h.pump();
    assert!(h.last_state().retry_in_ms.unwrap() <= 1_000);
}

#[test]
fn too_many_connections_backs_off_at_the_cap_as_its_own_kind() {
    let mut h = Harness::new(config());
    h.connect();
    h.open();
    h.frame(r#"{"type":"auth_required","message":"x"}"#);
    h.frame(r#"{"type":"error","message":"Too many connections"}"#);
    let s = h.last_state();
    assert_eq!(s.state, State::Reconnecting);
    assert_eq!(s.reason.as_ref().unwrap().kind, ErrorKind::RateLimited);
    assert!(s.retry_in_ms.unwrap() >= 24_000);
    assert!(h.errors().iter().any(|e| e.kind == ErrorKind::RateLimited));
    // Each further refusal also waits the cap: never a hot loop.
    for _ in 0..5 {
        let d = h.last_state().retry_in_ms.unwrap();
        h.advance(d);
        h.open();
        h.frame(r#"{"type":"auth_required","message":"x"}"#);
        h.frame(r#"{"type":"error","message":"Too many connections"}"#);
        assert!(h.last_state().retry_in_ms.unwrap() >= 24_000);
    }
    assert_eq!(h.opened.len(), 6);
}

#[test]
fn setup_timeouts_reconnect() {
    let mut h = Harness::new(config());
    h.connect();
    h.advance(15_000);
    assert_eq!(h.conn.state(), State::Reconnecting);
    assert_eq!(h.last_state().reason.unwrap().kind, ErrorKind::Timeout);
    let d = h.last_state().retry_in_ms.unwrap();
    h.advance(d);
    h.open();
    h.advance(15_000); // no auth_required/init
    assert_eq!(h.conn.state(), State::Reconnecting);
}

#[test]
fn book_follows_new_order_taken_and_claimed() {
    let mut h = Harness::new(config());
    h.go_live(&[1]);
    h.take_events();
    h.frame(&format!(
        r#"{{"type":"new_order","order":{}}}"#,
        order_json(2)
    ));
    h.frame(&format!(
        r#"{{"type":"new_order","order":{}}}"#,
        order_json(2)
    ));
    h.frame(r#"{"type":"order_taken","order_id":1}"#);
    h.frame(r#"{"type":"order_taken","order_id":999}"#);
    let ev = h.take_events();
    assert_eq!(
        ev,
        [
            Event::Order(2),
            Event::OrderTaken(1),
            Event::OrderRemoved {
                order_id: 1,
                reason: RemovalReason::Taken
            },
            Event::OrderTaken(999),
        ]
    );
    h.conn.note_claimed(2);
    h.pump();
    assert_eq!(
        h.take_events(),
        [Event::OrderRemoved {
            order_id: 2,
            reason: RemovalReason::ClaimedByUs
        }]
    );
    assert!(h.conn.book().is_empty());
}

#[test]
fn reconnect_resyncs_and_reports_what_changed_offline() {
    let mut h = Harness::new(config());
    h.go_live(&[3, 2, 1]);
    h.close_socket();
    let d = h.last_state_retry();
    h.take_events();
    h.advance(d);
    h.open();
    h.frame(r#"{"type":"auth_required","message":"x"}"#);
    h.frame(&init_json(&[4, 3, 1]));
    let ev = h.take_events();
    let resync = ev.iter().find_map(|e| match e {
        Event::Init { resync, .. } => resync.clone(),
        _ => None,
    });
    let r = resync.expect("a resync report");
    assert_eq!(r.vanished, [2]);
    assert_eq!(r.appeared.iter().map(|o| o.id).collect::<Vec<_>>(), [4]);
    assert!(ev.contains(&Event::Order(4)));
    assert!(ev.contains(&Event::OrderRemoved {
        order_id: 2,
        reason: RemovalReason::Vanished
    }));
    assert_eq!(
        h.conn.book().iter().map(|o| o.id).collect::<Vec<_>>(),
        [4, 3, 1]
    );
    // Exactly one auth frame per connection.
    assert_eq!(
        h.sent_texts().iter().filter(|t| t.contains("auth")).count(),
        2
    );
}

#[test]
fn commands_while_not_live_fail_and_are_never_replayed() {
    let mut h = Harness::new(config());
    let e = h.conn.send_claim(h.now, 5).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Closed);
    assert!(e.message.contains("idle"));
    h.connect();
    assert!(h.conn.send_claim(h.now, 5).is_err());
    assert!(h.conn.send_fiat_sent(h.now, 5).is_err());
    h.open();
    h.frame(r#"{"type":"auth_required","message":"x"}"#);
    h.frame(&init_json(&[]));
    assert!(
        h.sent_texts()
            .iter()
            .all(|t| !t.contains("claim") && !t.contains("fiat")),
        "nothing issued before live is sent after"
    );
    h.conn.send_fiat_sent(h.now, 5).unwrap();
    h.pump();
    assert_eq!(
        h.sent_texts().last().copied(),
        Some(r#"{"type":"fiat_sent","order_id":5}"#)
    );
}

#[test]
fn ws_claim_answers_rejections_and_unknown_outcomes() {
    let mut h = Harness::new(config());
    h.go_live(&[1, 2, 3, 4]);
    h.take_events();
    h.conn.send_claim(h.now, 1).unwrap();
    h.conn.send_claim(h.now, 2).unwrap();
    h.conn.send_claim(h.now, 3).unwrap();
    h.conn.send_claim(h.now, 4).unwrap();
    assert_eq!(
        h.conn.send_claim(h.now, 4).unwrap_err().kind,
        ErrorKind::InvalidArgument
    );
    h.pump();
    assert!(h.sent_texts().contains(&r#"{"type":"claim","order_id":1}"#));
    h.frame(r#"{"type":"claimed","order_id":1}"#);
    h.frame(r#"{"type":"error","message":"Order not available","order_id":2}"#);
    h.frame(r#"{"type":"order_taken","order_id":3}"#);
    let ev = h.take_events();
    assert!(ev.contains(&Event::Claimed(1)));
    assert!(ev.contains(&Event::OrderRemoved {
        order_id: 1,
        reason: RemovalReason::ClaimedByUs
    }));
    assert!(ev.iter().any(|e| matches!(e, Event::ClaimRejected { order_id: 2, message } if message == "Order not available")));
    assert!(ev
        .iter()
        .any(|e| matches!(e, Event::ClaimRejected { order_id: 3, .. })));
    // Order 4 gets no answer: unknown after the request timeout.
    h.advance(10_000);
    assert!(h.take_events().contains(&Event::ClaimUnknown(4)));
    // A claim in flight when the socket dies is unknown too.
    h.conn.send_claim(h.now, 9).unwrap();
    h.pump();
    h.close_socket();
    assert!(h.take_events().contains(&Event::ClaimUnknown(9)));
}

#[test]
fn ws_claims_in_flight_are_bounded() {
    let mut h = Harness::new(config());
    h.go_live(&[]);
    for id in 0..MAX {
        h.conn.send_claim(h.now, id).unwrap();
    }
    assert_eq!(
        h.conn.send_claim(h.now, 1_000).unwrap_err().kind,
        ErrorKind::RateLimited
    );
}
const MAX: u64 = crate::connection::MAX_PENDING_WS_CLAIMS as u64;

#[test]
fn malformed_and_unknown_frames_are_reported_and_survived() {
    let mut h = Harness::new(config());
    h.go_live(&[1]);
    h.take_events();
    for f in [
        "nonsense",
        "[1]",
        r#"{"type":"new_order"}"#,
        r#"{"type":"surprise"}"#,
    ] {
        h.frame(f);
    }
    let errors = h.errors();
    assert_eq!(errors.len(), 4);
    assert!(errors.iter().all(|e| e.kind == ErrorKind::Protocol));
    assert!(errors[3].message.contains("surprise"));
    h.conn.handle_binary(h.socket(), h.now);
    h.pump();
    assert_eq!(h.conn.state(), State::Live);
    assert_eq!(h.conn.book().len(), 1);
}

#[test]
fn server_error_while_live_is_reported_not_fatal_and_never_echoes_the_key() {
    let mut h = Harness::new(config());
    h.go_live(&[]);
    h.take_events();
    h.frame(r#"{"type":"error","message":"bad key lp_a1b2c3d4 seen"}"#);
    let errors = h.errors();
    assert_eq!(errors.len(), 1);
    assert_eq!(errors[0].kind, ErrorKind::Server);
    assert!(!errors[0].message.contains(KEY));
    assert_eq!(h.conn.state(), State::Live);
}

#[test]
fn events_from_an_abandoned_socket_are_ignored() {
    let mut h = Harness::new(config());
    h.go_live(&[1]);
    let old = h.socket();
    h.close_socket();
    h.advance(h.last_state_retry());
    assert_ne!(h.socket(), old);
    h.conn
        .handle_frame(old, h.now, r#"{"type":"order_taken","order_id":1}"#);
    h.conn.handle_close(old, h.now, 1000);
    h.pump();
    assert_eq!(h.conn.state(), State::Connecting);
    assert_eq!(h.conn.book().len(), 1);
}

#[test]
fn close_is_idempotent_and_stops_every_timer() {
    let mut h = Harness::new(config());
    h.go_live(&[]);
    let s = h.socket();
    h.conn.close(h.now);
    h.conn.close(h.now);
    h.pump();
    assert_eq!(h.closed, [s]);
    assert_eq!(h.conn.state(), State::Closed);
    assert_eq!(h.conn.poll_timeout(), None);
    assert_eq!(
        h.states().iter().filter(|s| **s == State::Closed).count(),
        1
    );
    // Reconnect after close works from scratch.
    h.connect();
    assert_eq!(h.conn.state(), State::Connecting);
    assert_eq!(h.last_state().attempt, 1);
}

#[test]
fn reconnect_timer_is_cancelled_by_close() {
    let mut h = Harness::new(config());
    h.connect();
    h.close_socket();
    h.conn.close(h.now);
    h.pump();
    h.advance(120_000);
    assert_eq!(h.opened.len(), 1);
}

impl Harness {
    fn last_state_retry(&self) -> u64 {
        self.last_state().retry_in_ms.expect("reconnecting")
    }
}

#[test]
fn a_platform_without_sockets_fails_once_without_retrying() {
    let mut h = Harness::new(config());
    h.connect();
    let s = h.socket();
    h.conn
        .handle_unsupported(s, LpError::new(ErrorKind::Network, "no WebSocket here"));
    h.pump();
    assert_eq!(h.conn.state(), State::Failed);
    assert!(h.closed.is_empty(), "nothing to close");
    h.advance(600_000);
    assert_eq!(h.opened.len(), 1);
}

#[test]
fn the_order_filter_keeps_rejected_orders_out_of_the_book_and_the_app() {
    let mut b = config();
    b.order_filter = OrderFilter {
        currencies: vec!["kes".into(), "NGN".into()],
        max_amount_fiat: vec![("KES".into(), 20_000.0)],
        min_amount_usd: Some(1.0),
        max_amount_usd: None,
    };
    let mut h = Harness::new(b);
    h.go_live(&[1]);
    h.take_events();
    let frame = |id: u64, cur: &str, fiat: f64, usd: f64| {
        format!(
            r#"{{"type":"new_order","order":{{"id":{id},"currency":"{cur}","amount_fiat":{fiat},"amount_usd":{usd}}}}}"#
        )
    };
    h.frame(&frame(2, "KES", 5_000.0, 38.0));
    h.frame(&frame(3, "KES", 25_000.0, 190.0));
    h.frame(&frame(4, "GHS", 100.0, 6.0));
    h.frame(&frame(5, "NGN", 900_000.0, 580.0));
    h.frame(&frame(6, "NGN", 500.0, 0.3));
    let seen: Vec<u64> = h
        .take_events()
        .iter()
        .filter_map(|e| match e {
            Event::Order(id) => Some(*id),
            _ => None,
        })
        .collect();
    assert_eq!(seen, [2, 5]);
    assert_eq!(
        h.conn.book().iter().map(|o| o.id).collect::<Vec<_>>(),
        [5, 2, 1]
    );
    let mut bad = config();
    bad.order_filter.max_amount_fiat = vec![("KES".into(), f64::NAN)];
    assert!(bad.build().is_err());
}

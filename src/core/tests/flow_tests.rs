//! REST flows: every "nothing lost" rule, step by step, without a network.

use super::harness::config;
use crate::flow::*;
use crate::rest::Method;
use crate::*;

const ME: u64 = 12;

fn ans(status: u16, body: &str) -> Input {
    Input::Answer {
        status,
        body: body.to_owned(),
    }
}

fn order(status: &str, lp: Option<u64>) -> String {
    let lp = lp.map_or("null".to_owned(), |l| l.to_string());
    format!(r#"{{"id":7,"status":"{status}","lp_id":{lp}}}"#)
}

fn no_answer() -> Input {
    Input::NoAnswer(LpError::new(ErrorKind::Timeout, "no answer within 10 ms"))
}

fn fetch(step: &Step) -> (Method, &str) {
    match step {
        Step::Fetch(r) => (r.method(), r.url.as_str()),
        other => panic!("expected a request, got {other:?}"),
    }
}

struct Run {
    flow: Flow,
    c: Config,
    now: u64,
}

impl Run {
    fn new(kind: FlowKind) -> (Run, Step) {
        let c = config().build().unwrap();
        let (flow, first) = Flow::start(kind, 7, 0, &c);
        (Run { flow, c, now: 0 }, Step::Fetch(first))
    }
    fn feed(&mut self, input: Input) -> Step {
        self.flow.step(input, self.now, &self.c, Some(ME))
    }
}

const CLAIM: (Method, &str) = (Method::Post, "https://api.rampwire.app/api/orders/7/claim");
const GET: (Method, &str) = (Method::Get, "https://api.rampwire.app/api/orders/7");

#[test]
fn claim_won_taken_or_refused_at_once() {
    let (mut r, first) = Run::new(FlowKind::Claim);
    assert_eq!(fetch(&first), CLAIM);
    assert_eq!(
        r.feed(ans(200, &order("claimed", Some(ME)))),
        Step::Done(Ok(Outcome::Claimed(order("claimed", Some(ME)))))
    );
    let (mut r, _) = Run::new(FlowKind::Claim);
    assert_eq!(r.feed(ans(409, "{}")), Step::Done(Ok(Outcome::Taken)));
    let (mut r, _) = Run::new(FlowKind::Claim);
    let Step::Done(Err(e)) = r.feed(ans(401, r#"{"error":"bad key"}"#)) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::Unauthorized);
}

#[test]
fn lost_claim_answer_is_checked_and_found_ours_without_a_second_claim() {
    let (mut r, _) = Run::new(FlowKind::Claim);
    // 502 after the server committed: unknown, so a GET decides.
    assert_eq!(fetch(&r.feed(ans(502, ""))), GET);
    assert_eq!(
        r.feed(ans(200, &order("claimed", Some(ME)))),
        Step::Done(Ok(Outcome::Claimed(order("claimed", Some(ME)))))
    );
    // Another owner: taken.
    let (mut r, _) = Run::new(FlowKind::Claim);
    r.feed(no_answer());
    assert_eq!(
        r.feed(ans(200, &order("claimed", Some(99)))),
        Step::Done(Ok(Outcome::Taken))
    );
}

impl Run {
    /// An `open` answer to the check of an unanswered claim: the flow first waits out the
    /// landing window (the claim may still be on its way), checks again, then re-claims.
    fn open_after_no_answer(&mut self) -> Step {
        let Step::Sleep(ms) = self.feed(ans(200, &order("open", None))) else {
            panic!("an unanswered claim must be given time to land")
        };
        self.now += ms;
        assert_eq!(fetch(&self.feed(Input::Wake)), GET);
        self.feed(ans(200, &order("open", None)))
    }
}

#[test]
fn still_open_means_our_claim_never_landed_so_a_bounded_reclaim_follows() {
    let (mut r, _) = Run::new(FlowKind::Claim);
    for _ in 0..MAX_RECLAIMS {
        assert_eq!(fetch(&r.feed(no_answer())), GET);
        assert_eq!(fetch(&r.open_after_no_answer()), CLAIM);
    }
    r.feed(no_answer());
    let Step::Done(Err(e)) = r.open_after_no_answer() else {
        panic!("must stop re-claiming")
    };
    assert_eq!(e.kind, ErrorKind::Timeout);
    assert!(e.message.contains("not retried"), "{}", e.message);
}

#[test]
fn checks_pause_with_backoff_then_give_up_with_the_last_reason() {
    let (mut r, _) = Run::new(FlowKind::Claim);
    r.feed(no_answer());
    let mut pauses = vec![];
    loop {
        match r.feed(ans(503, "")) {
            Step::Sleep(ms) => {
                pauses.push(ms);
                assert_eq!(fetch(&r.feed(Input::Wake)), GET);
            }
            Step::Done(Err(e)) => {
                // Ownership could not be checked: unknown, never a refusal.
                assert_eq!(e.kind, ErrorKind::Unknown);
                assert!(
                    e.message.contains("outcome unknown")
                        && e.message.contains("could not be checked in 6 tries")
                        && e.message.contains("GET /api/orders/7"),
                    "{}",
                    e.message
                );
                assert!(e.message.contains("HTTP 503"), "{}", e.message);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(pauses, [250, 500, 1000, 2000, 4000]);
    // A 404 or 401 during checks ends at once.
    let (mut r, _) = Run::new(FlowKind::Claim);
    r.feed(no_answer());
    let Step::Done(Err(e)) = r.feed(ans(404, "")) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::NotFound);
}

#[test]
fn an_unanswered_websocket_claim_is_checked_then_claimed_once_over_http() {
    let (mut r, first) = Run::new(FlowKind::Reconcile);
    assert_eq!(fetch(&first), GET);
    assert_eq!(fetch(&r.open_after_no_answer()), CLAIM);
    assert_eq!(fetch(&r.feed(no_answer())), GET);
    let Step::Done(Err(e)) = r.open_after_no_answer() else {
        panic!()
    };
    assert!(e.message.contains("never landed"), "{}", e.message);
    let (mut r, _) = Run::new(FlowKind::Reconcile);
    assert_eq!(
        r.feed(ans(200, &order("claimed", Some(ME)))),
        Step::Done(Ok(Outcome::Claimed(order("claimed", Some(ME)))))
    );
}

#[test]
fn fiat_sent_without_an_answer_is_confirmed_by_a_lookup() {
    let (mut r, first) = Run::new(FlowKind::FiatSent);
    assert_eq!(
        fetch(&first),
        (
            Method::Post,
            "https://api.rampwire.app/api/orders/7/fiat-sent"
        )
    );
    assert_eq!(fetch(&r.feed(no_answer())), GET);
    let body = order("fiat_sent", Some(ME));
    assert_eq!(
        r.feed(ans(200, &body)),
        Step::Done(Ok(Outcome::Order(body)))
    );
    // Not confirmed: the original reason is reported.
    let (mut r, _) = Run::new(FlowKind::FiatSent);
    r.feed(ans(500, ""));
    let Step::Done(Err(e)) = r.feed(ans(200, &order("claimed", Some(ME)))) else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::Server, Some(500)));
    // A definite refusal is not checked.
    let (mut r, _) = Run::new(FlowKind::FiatSent);
    let Step::Done(Err(e)) = r.feed(ans(403, "")) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::NotOwner);
}

#[test]
fn wait_for_status_polls_until_reached_ended_or_timed_out() {
    let kind = |timeout_ms| FlowKind::WaitForStatus {
        status: "completed".into(),
        interval_ms: 100,
        timeout_ms,
    };
    let (mut r, _) = Run::new(kind(1_000));
    assert_eq!(
        r.feed(ans(200, &order("fiat_sent", Some(ME)))),
        Step::Sleep(100)
    );
    r.now = 100;
    assert_eq!(fetch(&r.feed(Input::Wake)), GET);
    assert_eq!(r.feed(no_answer()), Step::Sleep(100));
    r.feed(Input::Wake);
    let body = order("completed", Some(ME));
    assert_eq!(
        r.feed(ans(200, &body)),
        Step::Done(Ok(Outcome::Order(body)))
    );
    let (mut r, _) = Run::new(kind(1_000));
    let Step::Done(Err(e)) = r.feed(ans(200, &order("expired", None))) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::Conflict);
    let (mut r, _) = Run::new(kind(150));
    r.now = 100;
    let Step::Done(Err(e)) = r.feed(ans(200, &order("open", None))) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::Timeout);
}

#[test]
fn an_input_out_of_order_ends_the_flow() {
    let (mut r, _) = Run::new(FlowKind::GetOrder);
    assert!(matches!(r.feed(Input::Wake), Step::Done(Err(_))));
}

/// A 409 to a re-claim may be our earlier claim landing late: the owner decides.
#[test]
fn a_409_after_an_unknown_attempt_is_checked_not_reported_taken() {
    let (mut r, _) = Run::new(FlowKind::Claim);
    assert_eq!(fetch(&r.feed(no_answer())), GET);
    assert_eq!(fetch(&r.open_after_no_answer()), CLAIM);
    assert_eq!(fetch(&r.feed(ans(409, "{}"))), GET, "ambiguous: checked");
    let body = order("claimed", Some(ME));
    assert_eq!(
        r.feed(ans(200, &body)),
        Step::Done(Ok(Outcome::Claimed(body)))
    );
    // The same for the HTTP claim that follows an unanswered WebSocket claim.
    let (mut r, _) = Run::new(FlowKind::Reconcile);
    assert_eq!(fetch(&r.open_after_no_answer()), CLAIM);
    assert_eq!(fetch(&r.feed(ans(409, "{}"))), GET);
    assert_eq!(
        r.feed(ans(200, &order("claimed", Some(99)))),
        Step::Done(Ok(Outcome::Taken))
    );
}

/// Giving up on a claim the server kept failing reports the real cause, not `timeout`.
#[test]
fn giving_up_on_a_failing_server_reports_the_last_real_cause() {
    let (mut r, _) = Run::new(FlowKind::Claim);
    for _ in 0..MAX_RECLAIMS {
        assert_eq!(fetch(&r.feed(ans(503, r#"{"error":"busy"}"#))), GET);
        assert_eq!(fetch(&r.feed(ans(200, &order("open", None)))), CLAIM);
    }
    r.feed(ans(503, r#"{"error":"busy"}"#));
    let Step::Done(Err(e)) = r.feed(ans(200, &order("open", None))) else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::Server, Some(503)));
    assert!(
        e.message.contains("still open") && e.message.contains("busy"),
        "{}",
        e.message
    );
}

/// A redirect is not followed and proves nothing: the order is checked on the API origin.
#[test]
fn a_redirected_claim_is_reconciled_never_reported_won() {
    for status in [0, 301, 302, 303, 307, 308] {
        let (mut r, _) = Run::new(FlowKind::Claim);
        assert_eq!(
            fetch(&r.feed(ans(status, &order("claimed", Some(ME))))),
            GET,
            "{status}"
        );
        assert_eq!(
            r.feed(ans(200, &order("claimed", Some(99)))),
            Step::Done(Ok(Outcome::Taken)),
            "{status}"
        );
    }
    // Fiat-sent too: a redirect is not a refusal, so it is confirmed by a lookup.
    let (mut r, _) = Run::new(FlowKind::FiatSent);
    assert_eq!(fetch(&r.feed(ans(307, ""))), GET);
}

/// Fiat-sent whose check fails: unknown, never a refusal.
#[test]
fn fiat_sent_that_cannot_be_confirmed_is_unknown() {
    let (mut r, _) = Run::new(FlowKind::FiatSent);
    r.feed(no_answer());
    let Step::Done(Err(e)) = r.feed(no_answer()) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::Unknown);
    assert!(e.message.contains("GET /api/orders/7"), "{}", e.message);
}

/// A client freed mid-flow: what may have changed the order is `unknown`, lookups `closed`.
#[test]
fn abandoned_flows_say_unknown_when_the_server_may_have_acted() {
    for (kind, want) in [
        (FlowKind::Claim, ErrorKind::Unknown),
        (FlowKind::Reconcile, ErrorKind::Unknown),
        (FlowKind::FiatSent, ErrorKind::Unknown),
        (FlowKind::GetOrder, ErrorKind::Closed),
    ] {
        let (r, _) = Run::new(kind.clone());
        let e = r.flow.abandoned();
        assert_eq!((e.kind, e.order_id), (want, Some(7)), "{kind:?}");
        if want == ErrorKind::Unknown {
            assert!(
                e.message.contains("check GET /api/orders/7"),
                "{}",
                e.message
            );
        }
    }
}

/// An answer about another order proves nothing about this one: never a claim, an order
/// marked, or a status reached on its word.
#[test]
fn answers_about_another_order_prove_nothing() {
    let other = r#"{"id":999,"status":"claimed","lp_id":12}"#;
    let (mut r, _) = Run::new(FlowKind::Claim);
    assert_eq!(fetch(&r.feed(ans(503, ""))), GET);
    assert!(
        matches!(r.feed(ans(200, other)), Step::Sleep(_)),
        "checked again"
    );
    assert_eq!(fetch(&r.feed(Input::Wake)), GET);
    assert_eq!(
        r.feed(ans(200, &order("claimed", Some(99)))),
        Step::Done(Ok(Outcome::Taken))
    );
    // Fiat-sent: the confirmation must be about this order.
    let (mut r, _) = Run::new(FlowKind::FiatSent);
    r.feed(ans(503, ""));
    let Step::Done(Err(e)) = r.feed(ans(200, r#"{"id":9452,"status":"fiat_sent","lp_id":12}"#))
    else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::Unknown);
    // A lookup answered with another order is an error, not that order.
    let (mut r, _) = Run::new(FlowKind::GetOrder);
    let Step::Done(Err(e)) = r.feed(ans(200, other)) else {
        panic!()
    };
    assert_eq!(e.kind, ErrorKind::Protocol);
    // And a status is reached only by this order.
    let (mut r, _) = Run::new(FlowKind::WaitForStatus {
        status: "completed".into(),
        interval_ms: 100,
        timeout_ms: 10_000,
    });
    assert_eq!(
        r.feed(ans(200, r#"{"id":9453,"status":"completed"}"#)),
        Step::Sleep(100)
    );
}

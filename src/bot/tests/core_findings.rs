//! Defects the simulation found in the client core's claim flow (`src/core/flow.rs`,
//! `src/core/rest.rs`), reproduced step by step against `Flow` with the behaviour the
//! bot needs; fixed in the core, kept here as regression tests. (The engine was immune
//! to each: it settles every failure by its own lookup and reads a won claim's order.)

use rampwire_lp_core::flow::{Flow, FlowKind, Input, Outcome, Step};
use rampwire_lp_core::rest::Method;
use rampwire_lp_core::{Config, ConfigBuilder, ErrorKind, LpError};

const ME: u64 = 12;

fn config() -> Config {
    let mut b = ConfigBuilder::new("https://api.rampwire.app", "lp_a1b2c3d4");
    b.request_timeout_ms = 1_000;
    b.build().expect("valid config")
}

fn answer(status: u16, body: &str) -> Input {
    Input::Answer {
        status,
        body: body.to_owned(),
    }
}

fn is(step: &Step, method: Method, suffix: &str) -> bool {
    matches!(step, Step::Fetch(r) if r.method() == method && r.url.ends_with(suffix))
}

/// Seeds 4, 21, 31 of the fixed set (6,924 of 100,000 soak seeds): a claim whose
/// connection is reset (`NoAnswer(Network)` 20 ms after it was sent) is checked at once;
/// `open` is taken as proof that it never landed and the flow claims again 42 ms after
/// the first, while the first may still land for up to the request timeout. No order was
/// ever owned twice (the server's claim is atomic and a 409 after a re-claim is checked),
/// but it is a second claim request without proof.
#[test]

fn core_finding_reclaim_right_after_a_reset() {
    let c = config();
    let (mut f, _first) = Flow::start(FlowKind::Claim, 7, 0, &c);
    let cut = LpError::new(ErrorKind::Network, "network error: connection reset");
    let check = f.step(Input::NoAnswer(cut), 20, &c, Some(ME));
    assert!(is(&check, Method::Get, "/api/orders/7"), "{check:?}");
    let next = f.step(
        answer(200, r#"{"id":7,"status":"open","lp_id":null}"#),
        35,
        &c,
        Some(ME),
    );
    // Expected: no second claim before the first can no longer land (sent at 0, lands by
    // 1000): wait, or check again after the timeout, then claim.
    assert!(
        !is(&next, Method::Post, "/claim"),
        "re-claimed at 35 ms while the claim sent at 0 ms may still land: {next:?}"
    );
}

/// Seed 317 (with an engine that took refusal kinds as definite): the claim landed (its
/// answer was lost), the key was revoked, the check answered 401, and the flow ended with
/// kind `unauthorized`: a driver reading that as "refused" journals a won claim as
/// failed. The claim's own outcome is unknown.
#[test]

fn core_finding_check_401_reported_as_refusal() {
    let c = config();
    let (mut f, _first) = Flow::start(FlowKind::Claim, 7, 0, &c);
    let lost = LpError::new(ErrorKind::Timeout, "no answer within 1000 ms");
    let check = f.step(Input::NoAnswer(lost), 1_000, &c, Some(ME));
    assert!(is(&check, Method::Get, "/api/orders/7"), "{check:?}");
    let done = f.step(
        answer(401, r#"{"error":"Invalid lp_key"}"#),
        1_010,
        &c,
        Some(ME),
    );
    match done {
        Step::Done(Err(e)) => assert_eq!(
            e.kind,
            ErrorKind::Unknown,
            "the claim may have landed; got {:?}: {}",
            e.kind,
            e.message
        ),
        other => panic!("{other:?}"),
    }
}

/// Seed 1016504 (order 1086): the claim landed, the order was cancelled half a second
/// later, the claim's answer was lost, and the check answered `cancelled` with our
/// `lp_id`: `rest::reconcile` looks only at the owner, so the flow says `claimed` and a
/// driver tells the operator to send fiat for a cancelled order.
#[test]

fn core_finding_cancelled_order_reconciles_as_claimed() {
    let c = config();
    let (mut f, _first) = Flow::start(FlowKind::Claim, 7, 0, &c);
    let lost = LpError::new(ErrorKind::Timeout, "no answer within 1000 ms");
    let _check = f.step(Input::NoAnswer(lost), 1_000, &c, Some(ME));
    let done = f.step(
        answer(200, r#"{"id":7,"status":"cancelled","lp_id":12}"#),
        1_010,
        &c,
        Some(ME),
    );
    assert!(
        !matches!(done, Step::Done(Ok(Outcome::Claimed(_)))),
        "a cancelled order is not a won claim: {done:?}"
    );
}

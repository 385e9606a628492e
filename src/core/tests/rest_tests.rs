//! REST requests and the meaning of their answers.

use super::harness::{config, KEY};
use crate::rest::*;
use crate::*;

#[test]
fn requests_follow_the_spec_and_hold_no_key() {
    let c = config().build().unwrap();
    let r = Operation::Claim(10042).request(&c);
    assert_eq!(
        (r.method, r.url.as_str()),
        (
            Method::Post,
            "https://api.rampwire.app/api/orders/10042/claim"
        )
    );
    let r = Operation::FiatSent(1).request(&c);
    assert_eq!(r.url, "https://api.rampwire.app/api/orders/1/fiat-sent");
    let r = Operation::GetOrder(7).request(&c);
    assert_eq!(
        (r.method.as_str(), r.url.as_str()),
        ("GET", "https://api.rampwire.app/api/orders/7")
    );
}

#[test]
fn claim_verdicts() {
    let c = config().build().unwrap();
    assert_eq!(claim_verdict(200, "{}", 1, &c), ClaimVerdict::Won);
    assert_eq!(
        claim_verdict(409, r#"{"error":"taken"}"#, 1, &c),
        ClaimVerdict::Taken
    );
    for s in [500, 502, 503, 504, 408] {
        assert!(
            matches!(claim_verdict(s, "", 1, &c), ClaimVerdict::Unknown(_)),
            "{s}"
        );
    }
    let ClaimVerdict::Refused(e) = claim_verdict(401, r#"{"error":"bad key lp_a1b2c3d4"}"#, 1, &c)
    else {
        panic!()
    };
    assert_eq!((e.kind, e.status), (ErrorKind::Unauthorized, Some(401)));
    assert!(!e.message.contains(KEY), "{}", e.message);
    assert!(e.message.contains("bad key"));
    for (s, k) in [
        (403, ErrorKind::NotOwner),
        (404, ErrorKind::NotFound),
        (429, ErrorKind::RateLimited),
        (418, ErrorKind::Protocol),
    ] {
        let ClaimVerdict::Refused(e) = claim_verdict(s, "<html>", 1, &c) else {
            panic!()
        };
        assert_eq!(e.kind, k);
    }
}

#[test]
fn errors_for_other_operations() {
    let c = config().build().unwrap();
    let e = error_for(
        Operation::FiatSent(5),
        409,
        r#"{"error":"wrong state"}"#,
        &c,
    );
    assert_eq!((e.kind, e.order_id), (ErrorKind::Conflict, Some(5)));
    assert_eq!(e.message, "fiat-sent of order 5 failed: the order is not in a state that allows this (HTTP 409): wrong state");
}

#[test]
fn reconciliation_never_reports_an_owned_order_as_lost() {
    let st = |status: &str, lp: Option<u64>| OrderState {
        id: 1,
        status: status.into(),
        lp_id: lp,
    };
    assert_eq!(
        reconcile(&st("claimed", Some(12)), Some(12)),
        Reconciled::Ours
    );
    assert_eq!(
        reconcile(&st("completed", Some(12)), Some(12)),
        Reconciled::Ours
    );
    assert_eq!(
        reconcile(&st("claimed", Some(13)), Some(12)),
        Reconciled::Taken
    );
    assert_eq!(
        reconcile(&st("open", None), Some(12)),
        Reconciled::StillOpen
    );
    assert_eq!(
        reconcile(&st("claimed", None), Some(12)),
        Reconciled::Undetermined
    );
    assert_eq!(
        reconcile(&st("claimed", Some(12)), None),
        Reconciled::Undetermined
    );
    assert_eq!(reconcile(&st("expired", None), Some(12)), Reconciled::Taken);
}

#[test]
fn order_state_parses_tolerantly() {
    let o = OrderState::parse(r#"{"id":"5","status":"claimed","lp_id":12.0,"payee":{"name":"A"}}"#)
        .unwrap();
    assert_eq!(
        o,
        OrderState {
            id: 5,
            status: "claimed".into(),
            lp_id: Some(12)
        }
    );
    assert_eq!(
        OrderState::parse("oops").unwrap_err().kind,
        ErrorKind::Protocol
    );
}

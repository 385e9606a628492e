//! REST requests and the meaning of their answers.

use super::harness::{config, KEY};
use crate::rest::*;
use crate::*;

#[test]
fn requests_follow_the_spec_and_hold_no_key() {
    let c = config().build().unwrap();
    let r = Operation::Claim(10042).request(&c);
    assert_eq!(
        (r.method(), r.url.as_str()),
        (
            Method::Post,
            "https://api.rampwire.app/api/orders/10042/claim"
        )
    );
    let r = Operation::FiatSent(1).request(&c);
    assert_eq!(r.url, "https://api.rampwire.app/api/orders/1/fiat-sent");
    let r = Operation::GetOrder(7).request(&c);
    assert_eq!(
        (r.method().as_str(), r.url.as_str()),
        ("GET", "https://api.rampwire.app/api/orders/7")
    );
}

/// host.js builds a flow's first URL itself from the operation's index (one string fewer
/// across the boundary on a claim's path): `OPERATIONS[index]` after the API base,
/// `/api/orders/` and the id must be this URL.
#[test]
fn the_operation_index_names_the_url_host_js_builds() {
    let c = config().build().unwrap();
    const OPERATIONS: [&str; 3] = ["/claim", "/fiat-sent", ""]; // host.js
    for op in [
        Operation::Claim(9_007_199_254_740_991),
        Operation::FiatSent(1),
        Operation::GetOrder(70),
    ] {
        let r = op.request(&c);
        let id = op.order_id();
        let i = r.operation.index() as usize;
        assert_eq!(r.operation, op);
        assert_eq!(
            r.url,
            format!("{}/api/orders/{id}{}", c.api_url, OPERATIONS[i])
        );
    }
}

/// A 2xx proves the claim ours only if its body is this order, no longer open, and names
/// no other owner; anything else is checked with GET.
#[test]
fn a_2xx_claim_answer_counts_only_as_proof() {
    let c = config().build().unwrap();
    let unknown = |body: &str, me: Option<u64>| {
        matches!(
            claim_verdict(200, body, 7, me, &c),
            ClaimVerdict::Unknown(ref e) if e.kind == ErrorKind::Protocol && e.order_id == Some(7)
        )
    };
    assert!(
        unknown(r#"{"id":7,"status":"claimed","lp_id":13}"#, Some(12)),
        "another owner"
    );
    assert!(
        unknown(r#"{"id":7,"status":"claimed","lp_id":"13"}"#, Some(12)),
        "as a string"
    );
    assert!(
        unknown(r#"{"id":8,"status":"claimed","lp_id":12}"#, Some(12)),
        "another order"
    );
    assert!(
        unknown(r#"{"id":7,"status":"open","lp_id":null}"#, Some(12)),
        "still open"
    );
    assert!(
        unknown("<html>captive portal</html>", Some(12)),
        "not an order"
    );
    assert!(unknown("", Some(12)), "empty");
    // An owner named, but unreadable: nobody can tell it is us.
    for lp in ["12.5", r#""12abc""#, "true", "{}", "[12]", "null", "-12"] {
        let body = format!(r#"{{"id":7,"status":"claimed","lp_id":{lp}}}"#);
        assert!(unknown(&body, Some(12)), "lp_id {lp}");
        assert!(unknown(&body, None), "lp_id {lp}, ours unknown");
    }
    let won = |body: &str, me| claim_verdict(200, body, 7, me, &c) == ClaimVerdict::Won;
    assert!(
        won(r#"{"id":7,"status":"claimed","lp_id":"12"}"#, Some(12)),
        "numeric string"
    );
    assert!(won(
        r#"{"id":"7","status":"claimed","lp_id":12.0}"#,
        Some(12)
    ));
    assert!(
        won(r#"{"id":7,"status":"claimed"}"#, Some(12)),
        "no owner named"
    );
    assert!(
        won(r#"{"id":7,"status":"claimed","lp_id":13}"#, None),
        "ours unknown"
    );
}

#[test]
fn claim_verdicts() {
    let c = config().build().unwrap();
    let won = r#"{"id":1,"status":"claimed","lp_id":12}"#;
    assert_eq!(claim_verdict(200, won, 1, Some(12), &c), ClaimVerdict::Won);
    assert_eq!(
        claim_verdict(409, r#"{"error":"taken"}"#, 1, Some(12), &c),
        ClaimVerdict::Taken
    );
    // 5xx, timeouts, redirects (never followed; fetch's manual mode shows status 0) and
    // anything unexpected prove nothing either way.
    for s in [
        500, 502, 503, 504, 408, 0, 101, 301, 302, 303, 307, 308, 600,
    ] {
        assert!(
            matches!(
                claim_verdict(s, won, 1, Some(12), &c),
                ClaimVerdict::Unknown(_)
            ),
            "{s}"
        );
    }
    let ClaimVerdict::Refused(e) =
        claim_verdict(401, r#"{"error":"bad key lp_a1b2c3d4"}"#, 1, Some(12), &c)
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
        let ClaimVerdict::Refused(e) = claim_verdict(s, "<html>", 1, Some(12), &c) else {
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
        lp_id_unreadable: false,
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
            lp_id: Some(12),
            lp_id_unreadable: false,
        }
    );
    assert_eq!(
        OrderState::parse("oops").unwrap_err().kind,
        ErrorKind::Protocol
    );
}

//! `LpClientOptions` from JSON: strict, typed errors that name the option, never its value.

use crate::options::{config_from_json, wait_options_from_json};
use crate::*;

fn err(json: &str) -> LpError {
    config_from_json(json).expect_err(json)
}

#[test]
fn reads_every_option() {
    let c = config_from_json(
        r#"{"apiUrl":"https://api.rampwire.app/","lpKey":"lp_a1b2c3d4","currencies":["kes","NGN"],
            "auth":"query","heartbeatMs":5000,"pongTimeoutMs":2000,"backoffInitialMs":100,
            "backoffMaxMs":900,"stableAfterMs":0,"connectTimeoutMs":3000,"requestTimeoutMs":4000,
            "bookCapacity":50,"allowInsecure":false,"wsUrl":null,
            "orderFilter":{"currencies":["kes"],"maxAmountFiat":{"KES":20000},"minAmountUsd":1,"maxAmountUsd":null}}"#,
    )
    .unwrap();
    assert_eq!(c.api_url, "https://api.rampwire.app");
    assert_eq!(c.ws_url, "wss://api.rampwire.app/ws/orders");
    assert_eq!(c.auth, AuthMode::Query);
    assert_eq!(c.currencies, ["KES", "NGN"]);
    assert_eq!(
        (
            c.heartbeat_ms,
            c.pong_timeout_ms,
            c.backoff_initial_ms,
            c.backoff_max_ms
        ),
        (5000, 2000, 100, 900)
    );
    assert_eq!(
        (
            c.stable_after_ms,
            c.connect_timeout_ms,
            c.request_timeout_ms,
            c.book_capacity
        ),
        (0, 3000, 4000, 50)
    );
    assert_eq!(c.order_filter.currencies, ["KES"]);
    assert_eq!(
        c.order_filter.max_amount_fiat,
        [("KES".to_owned(), 20000.0)]
    );
    assert_eq!(
        (c.order_filter.min_amount_usd, c.order_filter.max_amount_usd),
        (Some(1.0), None)
    );
    // Defaults, and null as absent.
    let d = config_from_json(r#"{"apiUrl":"https://a.example","lpKey":"k","heartbeatMs":null}"#)
        .unwrap();
    assert_eq!(
        (d.auth, d.heartbeat_ms, d.stable_after_ms),
        (AuthMode::Deferred, 30_000, 30_000)
    );
}

#[test]
fn refuses_what_is_wrong_by_name() {
    let base = r#""apiUrl":"https://a.example","lpKey":"lp_secret""#;
    let cases = [
        (r#"[]"#.to_owned(), "options must be an object"),
        (r#"{"lpKey":"k"}"#.to_owned(), "apiUrl is required"),
        (
            r#"{"apiUrl":"https://a.example"}"#.to_owned(),
            "lpKey is required",
        ),
        (
            format!(r#"{{{base},"heartbeatMS":1}}"#),
            "unknown LpClient option \"heartbeatMS\" (known: apiUrl, lpKey,",
        ),
        (
            format!(r#"{{{base},"heartbeatMs":"5"}}"#),
            "heartbeatMs must be a number",
        ),
        (
            // A class never reaches the core (JSON drops functions); anything else does.
            format!(r#"{{{base},"WebSocket":"ws"}}"#),
            "WebSocket must be a WebSocket class",
        ),
        (
            format!(r#"{{{base},"heartbeatMs":"NaN"}}"#),
            "heartbeatMs must be a number",
        ),
        (
            format!(r#"{{{base},"heartbeatMs":1.5}}"#),
            "heartbeatMs must be a whole, non-negative number",
        ),
        (
            format!(r#"{{{base},"bookCapacity":-1}}"#),
            "bookCapacity must be a whole",
        ),
        (
            format!(r#"{{{base},"auth":"url"}}"#),
            "auth must be \"deferred\" or \"query\"",
        ),
        (
            format!(r#"{{{base},"currencies":"KES"}}"#),
            "currencies must be an array of strings",
        ),
        (
            format!(r#"{{{base},"currencies":["KES",1]}}"#),
            "currencies must be an array of strings",
        ),
        (
            format!(r#"{{{base},"allowInsecure":1}}"#),
            "allowInsecure must be true or false",
        ),
        (format!(r#"{{{base},"wsUrl":5}}"#), "wsUrl must be a string"),
        (
            format!(r#"{{{base},"orderFilter":[]}}"#),
            "orderFilter must be an object",
        ),
        (
            format!(r#"{{{base},"orderFilter":{{"max":1}}}}"#),
            "orderFilter takes currencies, maxAmountFiat",
        ),
        (
            format!(r#"{{{base},"orderFilter":{{"maxAmountFiat":5}}}}"#),
            "orderFilter.maxAmountFiat must be an object",
        ),
        (
            format!(r#"{{{base},"orderFilter":{{"maxAmountFiat":{{"KES":"1"}}}}}}"#),
            "orderFilter.maxAmountFiat values must be numbers",
        ),
        (
            format!(r#"{{{base},"orderFilter":{{"minAmountUsd":-1}}}}"#),
            "orderFilter amounts must be non-negative",
        ),
        (
            r#"{"apiUrl":"http://rampwire.example","lpKey":"k"}"#.to_owned(),
            "apiUrl uses http:// to a non-loopback host",
        ),
    ];
    for (json, want) in cases {
        let e = err(&json);
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{json}");
        assert!(e.message.contains(want), "{json}: {}", e.message);
        assert!(!e.message.contains("lp_secret"), "{}", e.message);
    }
}

#[test]
fn wait_options() {
    assert_eq!(wait_options_from_json("{}").unwrap(), (1_000, 120_000));
    assert_eq!(
        wait_options_from_json(r#"{"intervalMs":1,"timeoutMs":50}"#).unwrap(),
        (10, 50)
    );
    for bad in [
        r#"{"intervalMs":"5"}"#,
        r#"{"timeoutMs":-1}"#,
        r#"{"every":5}"#,
        "5",
    ] {
        assert_eq!(
            wait_options_from_json(bad).unwrap_err().kind,
            ErrorKind::InvalidArgument,
            "{bad}"
        );
    }
}

#[test]
fn auto_claim_needs_a_filter_and_a_boolean() {
    let base = r#""apiUrl":"https://api.rampwire.app","lpKey":"lp_a1b2c3d4""#;
    let c = config_from_json(&format!(
        r#"{{{base},"autoClaim":true,"orderFilter":{{"currencies":["KES"]}}}}"#
    ))
    .unwrap();
    assert!(c.auto_claim);
    assert!(!config_from_json(&format!("{{{base}}}")).unwrap().auto_claim);
    // Fail closed: no policy, no automatic claims.
    let e = err(&format!(r#"{{{base},"autoClaim":true}}"#));
    assert_eq!(e.kind, ErrorKind::InvalidArgument);
    assert!(
        e.message.contains("autoClaim needs an orderFilter"),
        "{}",
        e.message
    );
    let e = err(&format!(
        r#"{{{base},"autoClaim":true,"orderFilter":{{}}}}"#
    ));
    assert!(e.message.contains("autoClaim"), "{}", e.message);
    let e = err(&format!(r#"{{{base},"autoClaim":"yes"}}"#));
    assert!(e.message.contains("autoClaim"), "{}", e.message);
    assert!(!e.message.contains("a1b2c3d4"));
}

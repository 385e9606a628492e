//! Configuration: URL derivation, key validation, insecure transport policy.

use crate::*;

#[test]
fn derives_wss_url_and_keeps_the_key_out_of_it() {
    let c = ConfigBuilder::new("https://api.rampwire.app/", "lp_a1b2c3d4")
        .build()
        .unwrap();
    assert_eq!(c.ws_url, "wss://api.rampwire.app/ws/orders");
    assert_eq!(c.socket_url(), "wss://api.rampwire.app/ws/orders");
    assert_eq!(
        c.rest_url("/api/orders/1/claim"),
        "https://api.rampwire.app/api/orders/1/claim"
    );
}

#[test]
fn currencies_go_in_the_query_and_the_key_only_when_opted_in() {
    let mut b = ConfigBuilder::new("http://127.0.0.1:8080", "lp_a1b2c3d4");
    b.currencies = vec!["kes".into(), "NGN".into(), "KES".into()];
    let c = b.clone().build().unwrap();
    assert_eq!(
        c.socket_url(),
        "ws://127.0.0.1:8080/ws/orders?currencies=KES,NGN"
    );
    b.auth = AuthMode::Query;
    let c = b.build().unwrap();
    assert_eq!(
        c.socket_url(),
        "ws://127.0.0.1:8080/ws/orders?lp_key=lp_a1b2c3d4&currencies=KES,NGN"
    );
}

#[test]
fn insecure_only_for_loopback_or_opt_in() {
    for ok in [
        "http://127.0.0.1:1",
        "http://localhost:9",
        "http://[::1]:5",
        "https://x.example",
    ] {
        assert!(ConfigBuilder::new(ok, "lp_x").build().is_ok(), "{ok}");
    }
    for bad in [
        "http://api.rampwire.app",
        "http://10.0.0.1",
        "http://127.0.0.1.evil.example",
    ] {
        let e = ConfigBuilder::new(bad, "lp_x").build().unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument, "{bad}");
        assert!(e.message.contains("allowInsecure"), "{}", e.message);
    }
    let mut b = ConfigBuilder::new("http://api.internal", "lp_x");
    b.allow_insecure = true;
    assert!(b.build().is_ok());
    let e = ConfigBuilder::new("https://a.example", "lp_x")
        .ws_url("ws://a.example/ws/orders")
        .build()
        .unwrap_err();
    assert!(e.message.contains("wsUrl"));
}

#[test]
fn rejects_bad_urls_keys_and_values_without_echoing_the_key() {
    for bad in [
        "",
        "api.rampwire.app",
        "ftp://x",
        "https://",
        "https://user:pw@x.example",
        "https://a b",
    ] {
        assert!(ConfigBuilder::new(bad, "lp_x").build().is_err(), "{bad:?}");
    }
    for key in ["", "   ", "lp_\"x", "lp x y", "lp_a1b2\nc3"] {
        let e = ConfigBuilder::new("https://a.example", key)
            .build()
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::InvalidArgument);
        assert!(key.trim().is_empty() || !e.to_string().contains(key.trim()));
    }
    let long = "k".repeat(300);
    let e = ConfigBuilder::new("https://a.example", &long)
        .build()
        .unwrap_err();
    assert!(!e.message.contains(&long));
    let mut b = ConfigBuilder::new("https://a.example", "lp_x");
    b.backoff_initial_ms = 5_000;
    b.backoff_max_ms = 1_000;
    assert!(b.build().is_err());
    let mut b = ConfigBuilder::new("https://a.example", "lp_x");
    b.currencies = vec!["K,ES".into()];
    assert!(b.build().is_err());
}

#[test]
fn key_never_appears_in_debug() {
    let c = ConfigBuilder::new("https://a.example", "lp_a1b2c3d4")
        .build()
        .unwrap();
    let dbg = format!("{c:?} {:?}", Connection::new(c.clone(), 0));
    assert!(!dbg.contains("a1b2c3d4"), "{dbg}");
    assert_eq!(c.lp_key.redact("echo lp_a1b2c3d4!"), "echo <redacted>!");
}

#[test]
fn quick_reject_needles_are_the_quoted_currencies() {
    let f = |codes: &[&str]| OrderFilter {
        currencies: codes.iter().map(|c| c.to_string()).collect(),
        ..OrderFilter::default()
    };
    assert_eq!(
        f(&["KES", "NGN"]).quick_reject_needles(),
        Some(vec!["\"KES\"".to_owned(), "\"NGN\"".to_owned()])
    );
    assert_eq!(f(&[]).quick_reject_needles(), None, "all currencies pass");
    assert_eq!(
        f(&["KES", "404"]).quick_reject_needles(),
        None,
        "a numeric code may arrive unquoted"
    );
    // The contract behind them: a new_order without the text is one the filter rejects.
    let frame =
        r#"{"type":"new_order","order":{"id":1,"currency":"UGX","amount_fiat":1,"amount_usd":1}}"#;
    assert!(!frame.contains("\"KES\""));
    assert!(!f(&["KES"]).accepts("UGX", Some(1.0), Some(1.0)));
}

//! The settings parser: strict numbers, ranges, duplicates, unknown keys, line numbers,
//! and the old JS bot's silent readings (`KES:0x10` as 16, `1e3` as 1000, crashes on
//! `REQUEST_TIMEOUT_MS=1e12`, `HEARTBEAT_MS=5`, an `ftp://` API_URL).

use crate::settings::*;

fn base() -> Vec<(&'static str, String)> {
    vec![
        ("ALLOWED_CURRENCIES", "KES,NGN".into()),
        ("MAX_AMOUNT", "KES:20000,NGN:150000".into()),
        ("MAX_OPEN_CLAIMS", "3".into()),
    ]
}

fn with(key: &'static str, value: &str) -> Result<Settings, SettingsError> {
    let mut pairs = base();
    pairs.retain(|(k, _)| *k != key);
    pairs.push((key, value.to_owned()));
    Settings::from_pairs(pairs)
}

fn err(key: &'static str, value: &str) -> String {
    match with(key, value) {
        Ok(s) => panic!("{key}={value} was accepted: {s:?}"),
        Err(e) => {
            assert_eq!(e.setting(), Some(key), "{e}");
            e.to_string()
        }
    }
}

#[test]
fn defaults_and_normalisation() {
    let s = Settings::from_pairs([
        ("ALLOWED_CURRENCIES", " kes , ngn "),
        ("MAX_AMOUNT", "kes:20000, NGN:150000.50"),
        ("MAX_OPEN_CLAIMS", "3"),
    ])
    .unwrap();
    assert_eq!(s.allowed_currencies, ["KES", "NGN"]);
    assert_eq!(s.max_amount.get("NGN"), Some(&150000.5));
    assert!(s.dry_run, "a bot starts in dry run unless told otherwise");
    assert_eq!(s.api_url, DEFAULT_API_URL);
    assert_eq!(s.request_timeout_ms, 10_000);
    assert_eq!(s.journal_retention_days, 90);
    assert_eq!(s.daily_usd_cap, None);
    assert!(s.crypto.is_empty());
}

#[test]
fn old_js_silent_readings_are_refused() {
    // KES:0x10 was read as 16, 1e3 as 1000.
    assert!(err("MAX_AMOUNT", "KES:0x10,NGN:1").contains("\"0x10\" is not a decimal number"));
    assert!(err("MAX_OPEN_CLAIMS", "1e3").contains("\"1e3\" is not a whole number"));
    // These crashed the old bot (HTTP 500 on /status) instead of saying why.
    let m = err("REQUEST_TIMEOUT_MS", "1e12");
    assert!(m.starts_with("REQUEST_TIMEOUT_MS: "), "{m}");
    let m = err("REQUEST_TIMEOUT_MS", "1000000000000");
    assert!(m.contains("from 10 to 120000"), "{m}");
    let m = err("HEARTBEAT_MS", "5");
    assert!(
        m.contains("HEARTBEAT_MS: must be a whole number from 100 to 600000 (got 5)"),
        "{m}"
    );
    let m = err("API_URL", "ftp://api.rampwire.app");
    assert!(m.contains("API_URL: must use https://"), "{m}");
}

#[test]
fn numbers_are_plain_decimals() {
    for bad in [
        "", " ", "0x10", "1e3", "Infinity", "NaN", "+5", "-5", "5abc", "5 000", "5,000", ".5",
        "5.", "010", "1_000", "١٢",
    ] {
        let m = err("MAX_AMOUNT", &format!("KES:{bad},NGN:1"));
        assert!(m.starts_with("MAX_AMOUNT: "), "{bad:?}: {m}");
    }
    for bad in ["", "0x10", "1e3", "+5", "3.0", "03", "3 ", "three", "-1"] {
        if bad == "3 " {
            // Surrounding spaces are trimmed, not junk.
            assert!(with("MAX_OPEN_CLAIMS", bad).is_ok());
            continue;
        }
        let m = err("MAX_OPEN_CLAIMS", bad);
        assert!(m.starts_with("MAX_OPEN_CLAIMS: "), "{bad:?}: {m}");
    }
    assert_eq!(decimal("20000.50"), Ok(20000.5));
    assert_eq!(decimal("0.5"), Ok(0.5));
    assert!(decimal("1234567890123456").is_err(), "16 digits");
    assert_eq!(whole("1000"), Ok(1000));
}

#[test]
fn ranges_are_checked() {
    assert!(err("MAX_OPEN_CLAIMS", "0").contains("from 1 to 1000 (got 0)"));
    assert!(err("MAX_OPEN_CLAIMS", "1001").contains("from 1 to 1000"));
    assert!(with("MAX_OPEN_CLAIMS", "1000").is_ok());
    assert!(err("MAX_AMOUNT", "KES:0,NGN:1").contains("KES: must be above 0"));
    assert!(with("MIN_AMOUNT", "KES:0").is_ok());
    assert!(err("MIN_AMOUNT", "KES:30000").contains("above MAX_AMOUNT KES:20000"));
    assert!(err("DAILY_USD_CAP", "0").contains("above 0"));
    assert_eq!(
        with("DAILY_USD_CAP", "250.5").unwrap().daily_usd_cap,
        Some(250.5)
    );
    assert!(err("JOURNAL_RETENTION_DAYS", "0").contains("from 1 to 3650"));
    assert!(err("RECONCILE_INTERVAL_MS", "10").contains("from 1000 to 3600000"));
    assert!(err("MAX_GETS_PER_MINUTE", "100000").contains("from 1 to 600"));
}

#[test]
fn currencies_and_amounts() {
    assert!(err("ALLOWED_CURRENCIES", "KES,,NGN").contains("empty item"));
    assert!(err("ALLOWED_CURRENCIES", "KE").contains("not a currency code"));
    assert!(err("ALLOWED_CURRENCIES", "KES,kes").contains("KES is listed twice"));
    let m = err("MAX_AMOUNT", "KES:20000");
    assert!(
        m.contains("has no limit for NGN (every allowed currency needs one)"),
        "{m}"
    );
    assert!(err("MAX_AMOUNT", "KES:1,NGN:1,GHS:5").contains("GHS is not in ALLOWED_CURRENCIES"));
    assert!(err("MAX_AMOUNT", "KES:1,KES:2,NGN:1").contains("KES is given twice"));
    assert!(err("MAX_AMOUNT", "KES=1").contains("not CURRENCY:AMOUNT"));
    assert!(err("MIN_AMOUNT", "GHS:1").contains("GHS is not in ALLOWED_CURRENCIES"));
    let missing = Settings::from_pairs([("ALLOWED_CURRENCIES", "KES"), ("MAX_OPEN_CLAIMS", "1")]);
    let e = missing.unwrap_err();
    assert_eq!(e.setting(), Some("MAX_AMOUNT"));
    assert!(e.to_string().contains("e.g. KES:20000"), "{e}");
}

#[test]
fn crypto_allow_list() {
    let s = with("CRYPTO", "USDT/trx, xrp").unwrap();
    assert_eq!(s.crypto.len(), 2);
    assert!(s.crypto[0].matches("usdt", "TRX"));
    assert!(!s.crypto[0].matches("usdt", "eth"));
    assert!(s.crypto[1].matches("XRP", "anything"));
    assert!(err("CRYPTO", "usdt/").contains("not SYMBOL or SYMBOL/CHAIN"));
    assert!(err("CRYPTO", "usdt,usdt").contains("listed twice"));
}

#[test]
fn flags_and_urls() {
    for (v, dry) in [("1", true), ("0", false), ("true", true), ("FALSE", false)] {
        assert_eq!(with("DRY_RUN", v).unwrap().dry_run, dry);
    }
    assert!(err("DRY_RUN", "yes").contains("must be 1, 0, true or false"));
    assert_eq!(
        with("API_URL", "https://api.example.com/").unwrap().api_url,
        "https://api.example.com"
    );
    assert!(with("API_URL", "http://127.0.0.1:8080").is_ok());
    assert!(with("API_URL", "http://localhost:1").is_ok());
    assert!(err("API_URL", "http://api.rampwire.app").contains("only for a loopback host"));
    assert!(err("API_URL", "https://user:pw@api.rampwire.app").contains("credentials"));
    assert!(err("API_URL", "https://api.rampwire.app?lp_key=x").contains("query"));
    assert!(err("API_URL", "api.rampwire.app").contains("not an absolute URL"));
    assert!(err("API_URL", "https://:443").contains("no host"));
    assert!(with("WS_URL", "wss://api.rampwire.app/ws/orders").is_ok());
    assert!(err("WS_URL", "https://api.rampwire.app/ws").contains("must use wss://"));
}

#[test]
fn unknown_duplicate_and_secret_keys() {
    let mut pairs = base();
    pairs.push(("MAX_OPEN_CLAIM", "3".into()));
    let e = Settings::from_pairs(pairs).unwrap_err();
    let m = e.to_string();
    assert!(
        m.starts_with("unknown setting MAX_OPEN_CLAIM (known: API_URL, WS_URL, ALLOWED_CURRENCIES"),
        "{m}"
    );
    let mut pairs = base();
    pairs.push(("max_open_claims", "3".into()));
    let m = Settings::from_pairs(pairs).unwrap_err().to_string();
    assert!(m.contains("did you mean MAX_OPEN_CLAIMS?"), "{m}");
    let mut pairs = base();
    pairs.push(("MAX_OPEN_CLAIMS", "4".into()));
    let e = Settings::from_pairs(pairs).unwrap_err();
    assert_eq!(e.kind(), "duplicate");
    assert!(e.to_string().contains("MAX_OPEN_CLAIMS is set twice"));
    let mut pairs = base();
    pairs.push(("LP_KEY", "lp_secret_value".into()));
    let e = Settings::from_pairs(pairs).unwrap_err();
    assert_eq!(e.kind(), "secret");
    assert!(
        !e.to_string().contains("lp_secret_value"),
        "a secret is never echoed"
    );
    assert!(!e.to_json().contains("lp_secret_value"));
}

#[test]
fn policy_file_with_line_numbers() {
    let text = "# my policy\n\nALLOWED_CURRENCIES = KES # only Kenya\nMAX_AMOUNT=\"KES:20000\"\nMAX_OPEN_CLAIMS=3\nDRY_RUN=0\n";
    let s = Settings::from_text(text).unwrap();
    assert_eq!(s.allowed_currencies, ["KES"]);
    assert!(!s.dry_run);
    let e = Settings::from_text("ALLOWED_CURRENCIES=KES\nMAX_AMOUNT=KES:0x10\nMAX_OPEN_CLAIMS=1")
        .unwrap_err();
    assert_eq!(e.line(), Some(2));
    assert!(
        e.to_string()
            .starts_with("line 2: MAX_AMOUNT: KES: \"0x10\""),
        "{e}"
    );
    let e = Settings::from_text("ALLOWED_CURRENCIES=KES\nnonsense\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: expected KEY=VALUE (or a # comment), got \"nonsense\""
    );
    let e = Settings::from_text("ALLOWED_CURRENCIES=KES\nALLOWED_CURRENCIES=NGN\n").unwrap_err();
    assert_eq!(
        e.to_string(),
        "line 2: ALLOWED_CURRENCIES is set twice (first on line 1)"
    );
    let e = Settings::from_text("ALLOWED_CURRENCIES=KES\nTYPO=1\n").unwrap_err();
    assert_eq!(e.line(), Some(2));
    let json: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
    assert_eq!(json["kind"], "unknown");
    assert_eq!(json["setting"], "TYPO");
    assert_eq!(json["line"], 2);
}

#[test]
fn client_options_hold_no_key() {
    let s = with("API_URL", "https://api.example.com").unwrap();
    let o: serde_json::Value = serde_json::from_str(&s.client_options_json()).unwrap();
    assert_eq!(o["apiUrl"], "https://api.example.com");
    assert_eq!(o["currencies"], serde_json::json!(["KES", "NGN"]));
    assert_eq!(o["requestTimeoutMs"], 10_000);
    assert!(o.get("lpKey").is_none());
}

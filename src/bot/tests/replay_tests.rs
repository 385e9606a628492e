//! Replay over recordings: the report's figures, determinism, two policies side by side,
//! bad lines, bad policies, random input, and (ignored) the speed.

use crate::recording::Problem;
use crate::replay::{Replay, ReplayError, ReplayOptions};
use crate::tests::support::START;

const A: &str = "ALLOWED_CURRENCIES=KES\nMAX_AMOUNT=KES:20000\nMAX_OPEN_CLAIMS=3\n";
const B: &str = "ALLOWED_CURRENCIES=KES,NGN\nMAX_AMOUNT=KES:50000,NGN:150000\nMAX_OPEN_CLAIMS=10\n";

fn header(complete: bool) -> String {
    format!(
        r#"{{"rampwire_recording":1,"source":"test","started_at":{START},"complete_states":{complete}}}"#
    )
}

fn new_order(t: u64, id: u64, currency: &str, fiat: f64, usd: f64) -> String {
    format!(
        r#"{{"t":{t},"frame":{{"type":"new_order","order":{{"id":{id},"amount_fiat":{fiat},"currency":"{currency}","amount_usd":{usd},"crypto_symbol":"usdt","crypto_chain":"trx","status":"open","created_at":"2026-01-01T00:00:00Z"}}}}}}"#
    )
}

fn taken(t: u64, id: u64) -> String {
    format!(r#"{{"t":{t},"frame":{{"type":"order_taken","order_id":{id}}}}}"#)
}

fn state(t: u64, id: u64, status: &str, lp: Option<u64>) -> String {
    match lp {
        Some(lp) => {
            format!(r#"{{"t":{t},"state":{{"id":{id},"status":"{status}","lp_id":{lp}}}}}"#)
        }
        None => format!(r#"{{"t":{t},"state":{{"id":{id},"status":"{status}"}}}}"#),
    }
}

/// A deterministic recording of `n` orders, 500 ms apart: KES and NGN, some taken over the
/// socket, some by HTTP claimers (state lines), some expiring, a few left open.
pub fn generated(n: u64) -> String {
    let mut out = header(true);
    out.push('\n');
    let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    // Closing lines due later, by time: kept sorted as they are written.
    let mut due: std::collections::BTreeMap<(u64, u64), String> = Default::default();
    for i in 0..n {
        let t = START + i * 500;
        while let Some(entry) = due.first_entry() {
            if entry.key().0 > t {
                break;
            }
            out.push_str(&entry.remove());
            out.push('\n');
        }
        let id = 10_000 + i;
        let r = next();
        let (currency, rate) = if r % 3 == 0 {
            ("NGN", 1500.0)
        } else {
            ("KES", 130.0)
        };
        let usd = ((r >> 8) % 20_000) as f64 / 100.0 + 1.0;
        let fiat = (usd * rate * 100.0).round() / 100.0;
        out.push_str(&new_order(t, id, currency, fiat, usd));
        out.push('\n');
        let delay = 100 + (r >> 24) % 4_000;
        let (when, line) = match (r >> 40) % 10 {
            0..=3 => (t + delay, taken(t + delay, id)),
            4..=6 => (
                t + delay,
                state(t + delay, id, "claimed", Some(90 + (r >> 50) % 3)),
            ),
            7 => (t + 60_000, state(t + 60_000, id, "expired", None)),
            _ => continue,
        };
        due.insert((when, id), line);
    }
    for (_, line) in due {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

fn run(
    policies: &[(&str, &str)],
    text: &str,
    options: ReplayOptions,
) -> Result<crate::Report, ReplayError> {
    let p: Vec<(String, String)> = policies
        .iter()
        .map(|(n, s)| ((*n).to_owned(), (*s).to_owned()))
        .collect();
    let mut r = Replay::new(&p, options)?;
    r.push(text)?;
    r.finish()
}

fn opts() -> ReplayOptions {
    ReplayOptions {
        file: Some("rec.jsonl".into()),
        ..ReplayOptions::default()
    }
}

#[test]
fn replay_reports_would_claims_fates_and_the_race_estimate() {
    let lines = [
        header(false),
        new_order(START, 1, "KES", 1000.0, 7.7),
        new_order(START + 10, 2, "KES", 2000.0, 15.4),
        new_order(START + 20, 3, "NGN", 50000.0, 33.3),
        new_order(START + 30, 4, "KES", 90000.0, 692.3),
        new_order(START + 40, 5, "KES", 3000.0, 23.1),
        taken(START + 110, 2),
        taken(START + 1_000, 1),
    ];
    let text = lines.join("\n") + "\n";
    let report = run(
        &[("a", A)],
        &text,
        ReplayOptions {
            rtt_ms: Some(250),
            ..opts()
        },
    )
    .expect("replay");
    let p = &report.policies[0];
    assert_eq!(p.orders_seen, 5);
    assert_eq!(p.would_claim, 3, "orders 1, 2 and 5 (KES within the max)");
    assert_eq!(p.skipped.get("currency"), Some(&1));
    assert_eq!(p.skipped.get("above_max"), Some(&1));
    assert_eq!(p.by_currency["KES"].count, 3);
    assert_eq!(p.by_currency["KES"].fiat, 6000.0);
    assert!((p.usd_volume - 46.2).abs() < 1e-9);
    assert_eq!(p.outcomes.get("taken"), Some(&2));
    // Order 5: no line tells, and the recording is not complete: unknown, never guessed.
    assert_eq!(p.outcomes.get("unknown"), Some(&1), "{:?}", p.outcomes);
    assert_eq!((p.likely_won, p.likely_lost, p.undetermined), (1, 1, 1));
    assert_eq!(p.requests_sent, 0);
    assert_eq!(p.peak_open_claims, 3);
    assert_eq!(report.recording.rtt_source, "assumed");
}

#[test]
fn an_http_claimer_seen_in_a_state_line_is_claimed_by_other() {
    let text = [
        header(false),
        new_order(START, 5, "KES", 3000.0, 23.1),
        state(START + 100, 5, "claimed", Some(91)),
        new_order(START + 60_000, 6, "KES", 3000.0, 23.1),
    ]
    .join("\n");
    let report = run(&[("a", A)], &text, opts()).expect("replay");
    let p = &report.policies[0];
    assert_eq!(
        p.outcomes.get("claimed_by_other"),
        Some(&1),
        "{:?}",
        p.outcomes
    );
}

#[test]
fn replay_is_deterministic_byte_for_byte_and_streaming_changes_nothing() {
    let text = generated(2_000);
    let one = run(&[("a", A), ("b", B)], &text, opts()).expect("replay");
    let two = run(&[("a", A), ("b", B)], &text, opts()).expect("replay");
    assert_eq!(one.to_json(), two.to_json());
    assert_eq!(one.to_text(), two.to_text());
    // Fed in odd-sized pieces (lines straddling them): the same bytes.
    let p: Vec<(String, String)> = vec![("a".into(), A.into()), ("b".into(), B.into())];
    let mut r = Replay::new(&p, opts()).expect("policies");
    let bytes = text.as_bytes();
    let mut at = 0;
    let mut step = 1;
    while at < bytes.len() {
        let mut end = (at + step).min(bytes.len());
        while !text.is_char_boundary(end) {
            end += 1;
        }
        r.push(&text[at..end]).expect("push");
        at = end;
        step = step * 7 % 997 + 1;
    }
    assert_eq!(r.finish().expect("finish").to_json(), one.to_json());
}

#[test]
fn two_policies_side_by_side_differ_where_their_rules_do() {
    let text = generated(3_000);
    let report = run(&[("a", A), ("b", B)], &text, opts()).expect("replay");
    let (a, b) = (&report.policies[0], &report.policies[1]);
    assert_eq!(a.orders_seen, 3_000);
    assert_eq!(b.orders_seen, 3_000);
    assert!(
        a.skipped.get("currency").copied().unwrap_or(0) > 500,
        "{:?}",
        a.skipped
    );
    assert_eq!(b.skipped.get("currency"), None);
    assert!(
        b.would_claim > a.would_claim,
        "{} vs {}",
        b.would_claim,
        a.would_claim
    );
    assert!(b.by_currency.contains_key("NGN") && !a.by_currency.contains_key("NGN"));
    for p in [a, b] {
        assert_eq!(p.requests_sent, 0);
        assert!(p.peak_open_claims <= p.max_open_claims);
        let fates: u64 = p.outcomes.values().sum();
        assert_eq!(
            fates, p.would_claim,
            "every would-claim has a fate (or awaiting)"
        );
        assert_eq!(p.likely_won + p.likely_lost + p.undetermined, p.would_claim);
        assert!(p.likely_won > 0 && p.likely_lost > 0);
        assert!(p.open_claims.max.len() <= crate::report::MAX_BUCKETS);
    }
    // Complete states: an order no line closed was open, so some are still open.
    assert!(
        b.outcomes.get("still_open").copied().unwrap_or(0) > 0,
        "{:?}",
        b.outcomes
    );
    let text_report = report.to_text();
    assert!(text_report.starts_with("REPLAY (DRY RUN)"));
    assert!(text_report.contains("  NGN count / fiat"));
}

#[test]
fn a_live_policy_is_replayed_as_a_dry_run() {
    let live = format!("{A}DRY_RUN=0\n");
    let report = run(&[("live", &live)], &generated(200), opts()).expect("replay");
    let p = &report.policies[0];
    assert!(p.live_setting_ignored);
    assert!(p.would_claim > 0);
    assert_eq!(p.requests_sent, 0);
}

fn recording_error(text: &str, skip_bad: bool) -> crate::RecordingError {
    match run(&[("a", A)], text, ReplayOptions { skip_bad, ..opts() }) {
        Err(ReplayError::Recording(e)) => e,
        other => panic!("expected a recording error, got {other:?}"),
    }
}

#[test]
fn bad_lines_stop_with_the_file_and_line_or_are_skipped_and_counted() {
    let good = [
        header(false),
        new_order(START, 1, "KES", 1000.0, 7.7),
        new_order(START + 10, 2, "KES", 1000.0, 7.7),
    ];
    // Truncated last line (a recording cut mid-write).
    let cut = new_order(START + 20, 3, "KES", 1000.0, 7.7);
    let text = format!("{}\n{}", good.join("\n"), &cut[..cut.len() / 2]);
    let e = recording_error(&text, false);
    assert_eq!((e.line, e.kind()), (4, "truncated"));
    assert!(
        e.to_string().starts_with("rec.jsonl: line 4: truncated"),
        "{e}"
    );
    // Garbage in the middle.
    let text = format!("{}\n{}\nthis is not json\n{}\n", good[0], good[1], good[2]);
    let e = recording_error(&text, false);
    assert_eq!((e.line, e.kind()), (3, "not_json"));
    // Out of order.
    let text = format!("{}\n{}\n{}\n", good[0], good[2], good[1]);
    let e = recording_error(&text, false);
    assert_eq!((e.line, e.kind()), (3, "out_of_order"));
    assert!(e.to_string().contains("before the previous line's"), "{e}");
    // JSON, not a line: an unknown field, two kinds in one line, a frame that does not decode.
    for (bad, kind) in [
        (
            format!(
                r#"{{"t":{START},"frame":{{"type":"order_taken","order_id":1}},"lp_key":"x"}}"#
            ),
            "bad_shape",
        ),
        (
            format!(r#"{{"t":{START},"rtt_ms":5,"event":"disconnected"}}"#),
            "bad_shape",
        ),
        (
            format!(r#"{{"t":{START},"frame":{{"type":"new_order"}}}}"#),
            "bad_frame",
        ),
        (r#"{"t":-1,"rtt_ms":5}"#.to_owned(), "bad_shape"),
    ] {
        let e = recording_error(&format!("{}\n{bad}\n", good[0]), false);
        assert_eq!((e.line, e.kind()), (2, kind), "{bad}: {e}");
    }
    // No header: line 1, even when skipping.
    let e = recording_error(&format!("{}\n", good[1]), true);
    assert_eq!((e.line, e.kind()), (1, "no_header"));
    let e = recording_error(r#"{"rampwire_recording":2}"#, true);
    assert_eq!(e.problem, Problem::Version(2));
    // Skipped: counted, listed, and the rest replayed.
    let text = format!(
        "{}\n{}\ngarbage\n{}\n{}\n{}",
        good[0],
        good[2],
        good[1],
        new_order(START + 30, 4, "KES", 1000.0, 7.7),
        &cut[..10]
    );
    let report = run(
        &[("a", A)],
        &text,
        ReplayOptions {
            skip_bad: true,
            ..opts()
        },
    )
    .expect("skipped");
    assert_eq!(report.recording.bad_lines_skipped, 3);
    assert_eq!(report.recording.bad_lines.len(), 3);
    assert!(
        report.recording.bad_lines[0].starts_with("line 3: not JSON"),
        "{:?}",
        report.recording.bad_lines
    );
    assert!(report.recording.bad_lines[1].starts_with("line 4: out of order"));
    assert_eq!(report.policies[0].orders_seen, 2);
}

#[test]
fn a_policy_with_an_unknown_or_duplicate_key_says_which() {
    let e = run(&[("p.env", "ALLOWED_CURENCIES=KES\n")], "", opts()).expect_err("unknown key");
    assert!(matches!(&e, ReplayError::Policy { name, .. } if name == "p.env"));
    assert!(
        e.to_string().contains("unknown setting ALLOWED_CURENCIES"),
        "{e}"
    );
    let dup = format!("{A}MAX_OPEN_CLAIMS=4\n");
    let e = run(&[("d.env", &dup)], "", opts()).expect_err("duplicate key");
    assert!(
        e.to_string()
            .contains("line 4: MAX_OPEN_CLAIMS is set twice (first on line 3)"),
        "{e}"
    );
    let e = run(&[("a", A), ("a", B)], "", opts()).expect_err("two names");
    assert_eq!(e.kind(), "duplicate_name");
    assert_eq!(
        run(&[], "", opts()).expect_err("none").kind(),
        "policy_count"
    );
}

#[test]
fn random_bytes_and_mutated_recordings_never_panic() {
    let base = generated(40);
    let mut x: u64 = 42;
    let mut next = || {
        x = x
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        x >> 33
    };
    for round in 0..300 {
        let mut bytes: Vec<u8> = if round % 3 == 0 {
            (0..(next() % 400)).map(|_| next() as u8).collect()
        } else {
            base.as_bytes().to_vec()
        };
        for _ in 0..(next() % 20) {
            if bytes.is_empty() {
                break;
            }
            let i = (next() as usize) % bytes.len();
            match next() % 4 {
                0 => bytes[i] = next() as u8,
                1 => {
                    bytes.remove(i);
                }
                2 => bytes.insert(i, b"{}[]\",:\n0-e"[(next() % 11) as usize]),
                _ => bytes.truncate(i),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        for skip_bad in [false, true] {
            // Either outcome is fine; a panic fails the test.
            let _ = run(
                &[("a", A), ("b", B)],
                &text,
                ReplayOptions { skip_bad, ..opts() },
            );
        }
    }
}

/// `cargo test -p rampwire-lp-bot --release -- --ignored --nocapture replay_speed`
/// (tests/bench/replay.mjs reads its table): best of 3 per size, to show it linear.
#[test]
#[ignore = "a benchmark: prints orders per second"]
fn replay_speed() {
    println!("| orders | bytes | replay ms | orders/s |");
    println!("|---:|---:|---:|---:|");
    for n in [25_000u64, 50_000, 100_000, 200_000] {
        let text = generated(n);
        let mut best = f64::INFINITY;
        for _ in 0..3 {
            let t0 = std::time::Instant::now();
            let report = run(&[("a", A)], &text, opts()).expect("replay");
            best = best.min(t0.elapsed().as_secs_f64() * 1000.0);
            assert_eq!(report.policies[0].orders_seen, n);
        }
        println!(
            "| {n} | {} | {best:.0} | {:.0} |",
            text.len(),
            n as f64 / (best / 1000.0)
        );
    }
}

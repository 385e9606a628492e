//! The simulator is a server too: what a hostile web page or peer can do to it.
//! Every test here talks to 127.0.0.1 on an ephemeral port only.

mod common;

use std::time::{Duration, Instant};

use common::*;
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const EVIL: &str = "https://evil.example";

fn cors_headers(h: &reqwest::header::HeaderMap) -> Vec<String> {
    h.keys()
        .map(|k| k.as_str().to_owned())
        .filter(|k| k.starts_with("access-control-"))
        .collect()
}

async fn preflight(sim: &Sim, path: &str, origin: &str) -> reqwest::Response {
    sim.http
        .request(reqwest::Method::OPTIONS, format!("{}{path}", sim.base))
        .header("origin", origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .unwrap()
}

// 1. `/_sim/*` is not readable cross-origin; the API keeps its CORS.

#[tokio::test]
async fn control_api_answers_no_cors_and_refuses_foreign_origins_while_the_api_keeps_cors() {
    let sim = Sim::start(&[]);
    let (mut ws, _) = auth(&sim, KEY, "").await;
    sim.rest("GET", "/api/orders/1", KEY).await;

    // The API routes: CORS as before, preflight granted.
    let r = sim
        .http
        .get(format!("{}/api/orders/1", sim.base))
        .header("origin", EVIL)
        .header("authorization", format!("Bearer {KEY}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let r = preflight(&sim, "/api/orders/1/claim", EVIL).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    let r = sim
        .http
        .get(format!("{}/ws/orders", sim.base))
        .header("origin", EVIL)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 426);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");

    // The control API: no CORS header on any answer, preflights refused, foreign origins refused.
    for path in [
        "/_sim/requests",
        "/_sim/orders",
        "/_sim/orders/1",
        "/_sim/connections",
        "/_sim/faults",
        "/_sim/nope",
    ] {
        let r = sim
            .http
            .get(format!("{}{path}", sim.base))
            .header("origin", EVIL)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "GET {path} from another origin");
        assert_eq!(
            cors_headers(r.headers()),
            Vec::<String>::new(),
            "GET {path}"
        );
        let r = preflight(&sim, path, EVIL).await;
        assert!(!r.status().is_success(), "preflight {path}: {}", r.status());
        assert_eq!(
            cors_headers(r.headers()),
            Vec::<String>::new(),
            "OPTIONS {path}"
        );
        // Same-origin-less callers (Node, curl, the tests): answered, still without CORS.
        let r = sim
            .http
            .get(format!("{}{path}", sim.base))
            .send()
            .await
            .unwrap();
        assert_ne!(r.status(), 403, "GET {path} without Origin");
        assert_eq!(
            cors_headers(r.headers()),
            Vec::<String>::new(),
            "GET {path}"
        );
    }
    // A no-cors fetch (`<script src>`, `<img>`) carries no Origin, but Sec-Fetch-Site.
    for site in ["cross-site", "same-site"] {
        let r = sim
            .http
            .get(format!("{}/_sim/requests", sim.base))
            .header("sec-fetch-site", site)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{site}");
    }
    // A "simple" cross-origin POST (text/plain, no preflight) changes nothing.
    let r = sim
        .http
        .post(format!("{}/_sim/drop", sim.base))
        .header("origin", EVIL)
        .header("content-type", "text/plain")
        .body("{\"mode\":\"abort\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(cors_headers(r.headers()), Vec::<String>::new());
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(
        recv(&mut ws).await["type"],
        "pong",
        "the socket was not dropped"
    );
    assert_eq!(sim.connections().await["total"], 1);
}

#[tokio::test]
async fn a_browser_harness_origin_can_be_allowed_on_the_control_api_explicitly() {
    let harness = "http://127.0.0.1:5555";
    let sim = Sim::start(&["--control-cors-origin", harness]);
    let r = sim
        .http
        .get(format!("{}/_sim/connections", sim.base))
        .header("origin", harness)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], harness);
    let r = preflight(&sim, "/_sim/orders", harness).await;
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], harness);
    // Any other origin is still refused, with no CORS headers.
    let r = sim
        .http
        .get(format!("{}/_sim/connections", sim.base))
        .header("origin", "http://127.0.0.1:5556")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(cors_headers(r.headers()), Vec::<String>::new());
    let r = preflight(&sim, "/_sim/orders", EVIL).await;
    assert!(!r.status().is_success());
    assert_eq!(cors_headers(r.headers()), Vec::<String>::new());
    assert_eq!(
        exit_code(&["--control-cors-origin", "*"], 3000),
        Some(2),
        "a wildcard is not an origin"
    );
}

// 2. The request log is bounded in bytes.

/// Sends `n` GETs of `path_of(i)` over `lanes` keep-alive connections at once.
async fn hammer(sim: &Sim, n: usize, lanes: usize, path_of: impl Fn(usize) -> String) {
    let paths: Vec<String> = (0..n).map(path_of).collect();
    let mut tasks = Vec::new();
    for lane in 0..lanes {
        let mine: Vec<String> = paths.iter().skip(lane).step_by(lanes).cloned().collect();
        let (http, base) = (sim.http.clone(), sim.base.clone());
        tasks.push(tokio::spawn(async move {
            for p in mine {
                let r = http.get(format!("{base}{p}")).send().await.unwrap();
                assert_eq!(r.status(), 404);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
}

async fn log_lines(sim: &Sim) -> (Vec<String>, usize) {
    let r = sim
        .http
        .get(format!("{}/_sim/requests", sim.base))
        .send()
        .await
        .unwrap();
    let body = r.bytes().await.unwrap();
    let v: Value = serde_json::from_slice(&body).unwrap();
    let lines = v
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap().to_owned())
        .collect();
    (lines, body.len())
}

#[tokio::test]
async fn request_log_lines_are_truncated_and_the_log_is_capped_in_bytes_oldest_first() {
    const LINE: usize = 2 * 1024;
    const TOTAL: usize = 8 * 1024 * 1024;
    let sim = Sim::start(&[]);
    sim.http
        .get(format!("{}/first-request", sim.base))
        .send()
        .await
        .unwrap();
    // 300 URIs of 57 KB (as in the report: 3,000 of them made 172 MB).
    let rss_before = sim.rss_kib();
    let pad = "a".repeat(57_000);
    hammer(&sim, 300, 4, |i| format!("/long/{i}?{pad}")).await;
    if let (Some(a), Some(b)) = (rss_before, sim.rss_kib()) {
        // 300 × 57 KB would be 17 MB if the cut lines kept their allocations.
        assert!(b.saturating_sub(a) < 8 * 1024, "RSS grew {a} -> {b} KiB");
    }
    let (lines, _) = log_lines(&sim).await;
    assert_eq!(lines.len(), 301);
    assert_eq!(lines[0], "GET /first-request");
    for l in &lines[1..] {
        assert!(l.len() <= LINE, "a line of {} bytes", l.len());
        assert!(l.starts_with("GET /long/"), "{}", &l[..40]);
        let whole = l[..l.find('?').unwrap() + 1].len() + 57_000;
        assert!(
            l.ends_with(&format!("…[{whole} bytes]")),
            "the cut is marked with the true length: {}",
            &l[l.len() - 40..]
        );
    }
    // 6,000 more of 3 KB: ~12 MB even when truncated, over the 8 MiB cap.
    let pad = "b".repeat(3_000);
    hammer(&sim, 6_000, 8, |i| format!("/more/{i}?{pad}")).await;
    sim.http
        .get(format!("{}/last-request", sim.base))
        .send()
        .await
        .unwrap();
    let (lines, body_len) = log_lines(&sim).await;
    let bytes: usize = lines.iter().map(String::len).sum();
    assert!(bytes <= TOTAL, "{bytes} bytes kept");
    assert!(
        bytes > TOTAL - 2 * LINE,
        "the cap is used, not far undershot: {bytes}"
    );
    assert!(
        body_len < TOTAL + TOTAL / 8,
        "the answer is {body_len} bytes"
    );
    assert_eq!(
        lines.last().unwrap(),
        "GET /last-request",
        "the newest is kept"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l == "GET /first-request" || l.starts_with("GET /long/")),
        "the oldest went first"
    );
    assert!(
        lines.len() < 6_002 && lines.len() > 3_000,
        "{}",
        lines.len()
    );
}

// 3. Extreme ids: refused or not found, never a panic.

#[tokio::test]
async fn extreme_ids_are_refused_or_not_found_and_never_panic() {
    let sim = Sim::start(&[]);
    let max_safe: u64 = (1 << 53) - 1;
    for id in [json!(u64::MAX), json!(1u64 << 53), json!(u64::MAX - 1)] {
        let (s, v) = sim.post("/_sim/orders", json!({ "id": id })).await;
        assert_eq!(s, 400, "id {id}: {v}");
        assert!(v["error"].as_str().unwrap().contains("2^53"), "{v}");
    }
    for id in [
        json!(-1),
        json!(1e300),
        json!("5"),
        json!(18446744073709551616.0),
    ] {
        let (s, _) = sim.post("/_sim/orders", json!({ "id": id })).await;
        assert!((400..500).contains(&s), "id {id}: {s}");
    }
    // The largest safe id is fine; after it the id space is used up, clearly.
    let o = sim.order(json!({ "id": max_safe })).await;
    assert_eq!(o["id"].as_u64(), Some(max_safe));
    let (s, v) = sim.post("/_sim/orders", json!({})).await;
    assert_eq!(s, 400, "{v}");
    let (s, _) = sim.post("/_sim/flood", json!({"count": 10})).await;
    assert_eq!(s, 400, "flood ids would pass 2^53");
    // A lower explicit id still works.
    sim.order(json!({"id": 7})).await;

    // Paths with huge numbers: 404 (could exist) or 400 (not a u64), never a dropped connection.
    for (path, want) in [
        ("/_sim/orders/18446744073709551615", 404),
        ("/_sim/orders/18446744073709551616", 400),
        ("/_sim/orders/9007199254740993", 404),
    ] {
        assert_eq!(sim.get(path).await.0, want, "{path}");
    }
    for (method, path, want) in [
        ("GET", "/api/orders/18446744073709551615", 404),
        ("POST", "/api/orders/18446744073709551615/claim", 404),
        ("POST", "/api/orders/18446744073709551615/fiat-sent", 404),
        ("GET", "/api/orders/18446744073709551616", 400),
        (
            "POST",
            "/api/orders/99999999999999999999999999999/claim",
            400,
        ),
    ] {
        assert_eq!(sim.rest(method, path, KEY).await.0, want, "{method} {path}");
    }
    // The largest safe id can be claimed and marked fiat sent.
    let p = format!("/api/orders/{max_safe}");
    assert_eq!(sim.rest("POST", &format!("{p}/claim"), KEY).await.0, 200);
    assert_eq!(
        sim.rest("POST", &format!("{p}/fiat-sent"), KEY).await.0,
        200
    );

    // Over the socket.
    let (mut ws, _) = auth(&sim, KEY2, "").await;
    for (order_id, expect) in [
        (json!(u64::MAX), "Order not available"),
        (json!("18446744073709551615"), "Order not available"),
        (
            json!("18446744073709551616"),
            "claim needs a numeric order_id",
        ),
        (json!(1e300), "claim needs a numeric order_id"),
        (json!(-1), "claim needs a numeric order_id"),
    ] {
        send(&mut ws, json!({"type": "claim", "order_id": order_id})).await;
        assert_eq!(recv(&mut ws).await["message"], expect, "{order_id}");
    }
    send(&mut ws, json!({"type": "fiat_sent", "order_id": u64::MAX})).await;
    assert_eq!(recv(&mut ws).await["message"], "Order not found");
    assert_eq!(sim.connections().await["total"], 1, "still serving");
}

#[tokio::test]
async fn extreme_command_line_values_are_refused_or_harmless() {
    // LP ids a JS client cannot tell apart are refused.
    let big = format!("lp_x:{}", 1u64 << 53);
    assert_eq!(exit_code(&["--lp-key", &big], 3000), Some(2));
    let max = format!("lp_x:{}", u64::MAX);
    assert_eq!(exit_code(&["--lp-key", &max], 3000), Some(2));
    // A rate so small its interval overflows a Duration is refused, not a panic later.
    assert_eq!(exit_code(&["--rate", "1e-300"], 3000), Some(2));
    assert_eq!(exit_code(&["--rate", "NaN"], 3000), Some(2));
    assert_eq!(
        exit_code(&["--initial-orders", "4000000000"], 3000),
        Some(2)
    );
    // A huge auth timeout: sockets are served (no Instant overflow).
    let sim = Sim::start(&["--auth-timeout-ms", &u64::MAX.to_string()]);
    let mut ws = open(&sim.ws_url("")).await;
    assert_eq!(recv(&mut ws).await["type"], "auth_required");
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
    // Huge fault delays are accepted and do not break other callers.
    let (s, _) = sim
        .post(
            "/_sim/faults",
            json!({"rest_delay_ms": u64::MAX, "rest_delay_count": 1}),
        )
        .await;
    assert_eq!(s, 200);
    let slow = {
        let (http, base) = (sim.http.clone(), sim.base.clone());
        tokio::spawn(async move {
            let _ = http
                .get(format!("{base}/api/orders/1"))
                .header("authorization", format!("Bearer {KEY}"))
                .send()
                .await;
        })
    };
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(sim.rest("GET", "/api/orders/1", KEY).await.0, 404);
    slow.abort();
}

// 4. Slow clients: headers and control bodies have a deadline; control bodies a size.

/// Writes `bytes` one per `every`, while reading; returns when the peer closes (or all was
/// sent and `linger` passed): (time to close, bytes written, what was read).
async fn trickle(addr: &str, bytes: &[u8], every: Duration) -> (Option<Duration>, usize, Vec<u8>) {
    let s = TcpStream::connect(addr).await.unwrap();
    let (mut rd, mut wr) = s.into_split();
    let start = Instant::now();
    let reader = tokio::spawn(async move {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => return (start.elapsed(), got),
                Ok(n) => got.extend_from_slice(&buf[..n]),
            }
        }
    });
    let mut written = 0;
    for b in bytes {
        if reader.is_finished() || wr.write_all(&[*b]).await.is_err() {
            break;
        }
        written += 1;
        tokio::time::sleep(every).await;
    }
    match tokio::time::timeout(Duration::from_secs(3), reader).await {
        Ok(Ok((t, got))) => (Some(t), written, got),
        _ => (None, written, Vec::new()),
    }
}

#[tokio::test]
async fn connections_that_trickle_headers_are_closed_after_the_header_timeout() {
    let sim = Sim::start(&["--header-timeout-ms", "1000"]);
    let head = format!(
        "GET /api/orders/1 HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {KEY}\r\nX-Slow: {}\r\n\r\n",
        sim.addr(),
        "z".repeat(60)
    );
    // One byte per 100 ms: the head would take ~13 s; the server closes after ~1 s.
    let (closed_after, written, got) =
        trickle(sim.addr(), head.as_bytes(), Duration::from_millis(100)).await;
    let t = closed_after.expect("the server closed the connection");
    assert!(
        t >= Duration::from_millis(900) && t < Duration::from_millis(2500),
        "closed after {t:?}"
    );
    assert!(
        written < head.len() / 2,
        "{written} of {} bytes sent",
        head.len()
    );
    assert!(
        !String::from_utf8_lossy(&got).contains("HTTP/1.1 404"),
        "the trickled request was never served"
    );
    // A connection that sends nothing at all is closed too.
    let (closed_after, _, _) = trickle(sim.addr(), &[], Duration::ZERO).await;
    assert!(closed_after.expect("closed") < Duration::from_millis(2500));
    // Well-behaved callers and sockets are not affected; an open socket outlives the timeout.
    let (mut ws, _) = auth(&sim, KEY, "").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
    assert_eq!(sim.rest("GET", "/api/orders/1", KEY).await.0, 404);
}

#[tokio::test]
async fn header_timeout_defaults_to_ten_seconds_and_is_validated() {
    let help = help_text();
    assert!(help.contains("--header-timeout-ms"), "{help}");
    assert!(help.contains("[default: 10000]"), "{help}");
    assert_eq!(exit_code(&["--header-timeout-ms", "0"], 3000), Some(2));
}

/// POSTs `body` and asserts it was refused as too large: a 413, or the connection closed
/// while the body was still uploading (the server answers without reading it, so the
/// upload may see the close before the answer).
async fn refused_as_too_large(sim: &Sim, path: &str, body: &Value) {
    match sim
        .http
        .post(format!("{}{path}", sim.base))
        .json(body)
        .send()
        .await
    {
        Ok(r) => assert_eq!(r.status(), 413, "{path}"),
        Err(e) => assert!(e.is_request(), "{path}: {e}"),
    }
}

#[tokio::test]
async fn control_bodies_are_bounded_in_size_and_time() {
    let sim = Sim::start(&["--header-timeout-ms", "1000"]);
    // Size: 64 KiB for control calls, 4 MiB for a broadcast frame.
    let big = json!({"currency": "KES", "status": "open", "created_at": "x".repeat(100_000)});
    refused_as_too_large(&sim, "/_sim/orders", &big).await;
    refused_as_too_large(&sim, "/_sim/faults", &json!({"pad": "x".repeat(100_000)})).await;
    let (mut ws, _) = auth(&sim, KEY, "").await;
    let frame = format!("{{\"type\":\"x\",\"pad\":\"{}\"}}", "é".repeat(1_200_000));
    let (s, v) = sim.post("/_sim/broadcast", json!({ "text": frame })).await;
    assert_eq!(
        (s, v["sent"].as_u64()),
        (200, Some(1)),
        "a 2.4 MB frame is fine"
    );
    assert_eq!(recv(&mut ws).await["type"], "x");
    // Over 4 MiB: 413 at once, without reading the body.
    let frame = "x".repeat(5 * 1024 * 1024);
    refused_as_too_large(&sim, "/_sim/broadcast", &json!({ "text": frame })).await;
    assert!(quiet(&mut ws, 300).await, "nothing was broadcast");
    // Time: a body trickled one byte per 100 ms is cut after the timeout (408).
    let body = "{\"currency\":\"KES\"}";
    let head = format!(
        "POST /_sim/orders HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        sim.addr(),
        body.len()
    );
    let mut s = TcpStream::connect(sim.addr()).await.unwrap();
    s.write_all(head.as_bytes()).await.unwrap();
    let start = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    for b in body.as_bytes() {
        if s.write_all(&[*b]).await.is_err() {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(100), s.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => break,
            Ok(Ok(n)) => {
                got.extend_from_slice(&buf[..n]);
                break;
            }
            Err(_) => {}
        }
    }
    let answer = String::from_utf8_lossy(&got);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    let t = start.elapsed();
    assert!(
        t >= Duration::from_millis(900) && t < Duration::from_millis(1800),
        "{t:?}"
    );
    assert_eq!(
        sim.get("/_sim/orders").await.1,
        json!([]),
        "no order was created"
    );
}

// 5. The default port is not wrangler's.

#[test]
fn default_listen_address_does_not_collide_with_wrangler() {
    let help = help_text();
    assert!(help.contains("[default: 127.0.0.1:8790]"), "{help}");
    assert!(!help.contains("8787"), "{help}");
}

// 7. scripts/build-pkg.sh shows real errors and warnings only.

#[test]
fn build_pkg_grep_matches_errors_and_warnings_not_crate_names() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let script = std::fs::read_to_string(root.join("scripts/build-pkg.sh")).unwrap();
    let line = script
        .lines()
        .find(|l| l.starts_with("grep ") && l.contains("\"$log\""))
        .expect("the grep line of build-pkg.sh");
    let dir = std::env::temp_dir().join(format!("rampwire-sim-grep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("log");
    std::fs::write(
        &log,
        "[INFO]: Checking for the Wasm target...\n\
         \x20  Compiling thiserror v2.0.12\n\
         \x20  Compiling thiserror-impl v2.0.12\n\
         \x20  Compiling rampwire-lp-error v0.1.0\n\
         warning: unused variable: `x`\n\
         error[E0425]: cannot find value `y` in this scope\n\
         error: could not compile `rampwire-lp`\n\
         warning[unused_imports]: unused import\n\
         \x20   Finished `release` profile [optimized] target(s) in 9.1s\n\
         [INFO]: Optional fields missing from Cargo.toml: 'repository'. No warnings: none\n",
    )
    .unwrap();
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(line.replace("\"$log\"", &format!("'{}'", log.display())))
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "warning: unused variable: `x`\n\
         error[E0425]: cannot find value `y` in this scope\n\
         error: could not compile `rampwire-lp`\n\
         warning[unused_imports]: unused import\n"
    );
}

//! Every rule of PROTOCOL.md, against the running binary.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn deferred_auth_then_init_with_lp_id_and_no_key_in_url() {
    let sim = Sim::start(&[]);
    let mut ws = open(&sim.ws_url("?currencies=KES,NGN")).await;
    let first = recv(&mut ws).await;
    assert_eq!(first["type"], "auth_required");
    assert!(first["message"].as_str().unwrap().contains("auth"));
    assert_eq!(sim.connections().await["unauthenticated"], 1);
    send(&mut ws, json!({"type": "auth", "lp_key": KEY})).await;
    let init = recv(&mut ws).await;
    assert_eq!(
        init,
        json!({"type": "init", "orders": [], "lp_id": 12, "currencies": ["KES", "NGN"]})
    );
    let (_, c) = sim.get("/_sim/connections").await;
    assert_eq!(c["by_lp"]["12"], 1);
    let (_, reqs) = sim.get("/_sim/requests").await;
    assert_eq!(reqs, json!(["GET /ws/orders?currencies=KES,NGN"]));
}

#[tokio::test]
async fn url_key_mode_and_invalid_keys() {
    let sim = Sim::start(&["--lp-key", "lp_zz:99"]);
    let mut ws = open(&sim.ws_url("?lp_key=lp_zz")).await;
    let init = recv(&mut ws).await;
    assert_eq!(
        (init["type"].as_str(), init["lp_id"].as_u64()),
        (Some("init"), Some(99))
    );
    // URL mode, bad key: HTTP 401 with a JSON body, before the upgrade.
    match tokio_tungstenite::connect_async(sim.ws_url("?lp_key=lp_a1b2c3d4")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status().as_u16(), 401);
            let body: serde_json::Value =
                serde_json::from_slice(r.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["error"], "Invalid lp_key");
        }
        other => panic!("expected 401, got {other:?}"),
    }
    // Deferred, bad key: the spec's error message, then close.
    let mut ws = open(&sim.ws_url("")).await;
    recv(&mut ws).await;
    send(&mut ws, json!({"type": "auth", "lp_key": "lp_nope"})).await;
    assert_eq!(
        recv(&mut ws).await,
        json!({"type": "error", "message": "Invalid lp_key"})
    );
    assert!(closed(&mut ws).await.is_some());
}

#[tokio::test]
async fn sixth_url_connection_gets_429_json_before_upgrade() {
    let sim = Sim::start(&[]);
    let mut five = vec![];
    for _ in 0..5 {
        let mut ws = open(&sim.ws_url(&format!("?lp_key={KEY}"))).await;
        recv(&mut ws).await;
        five.push(ws);
    }
    match tokio_tungstenite::connect_async(sim.ws_url(&format!("?lp_key={KEY}"))).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => {
            assert_eq!(r.status().as_u16(), 429);
            let body: serde_json::Value =
                serde_json::from_slice(r.body().as_deref().unwrap()).unwrap();
            assert_eq!(body["error"], "Too many connections");
        }
        other => panic!("expected 429, got {other:?}"),
    }
    // Another key is not affected; a freed slot is reusable.
    let _other = auth(&sim, KEY2, "").await;
    drop(five.pop());
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let mut ws = open(&sim.ws_url(&format!("?lp_key={KEY}"))).await;
    assert_eq!(recv(&mut ws).await["type"], "init");
}

#[tokio::test]
async fn deferred_mode_cap_is_enforced_at_auth() {
    let sim = Sim::start(&[]);
    let mut five = vec![];
    for _ in 0..5 {
        five.push(auth(&sim, KEY, "").await.0);
    }
    let mut ws = open(&sim.ws_url("")).await;
    recv(&mut ws).await;
    send(&mut ws, json!({"type": "auth", "lp_key": KEY})).await;
    assert_eq!(
        recv(&mut ws).await,
        json!({"type": "error", "message": "Too many connections"})
    );
    assert!(closed(&mut ws).await.is_some());
    assert_eq!(sim.connections().await["by_lp"]["12"], 5);
}

#[tokio::test]
async fn init_holds_the_20_newest_open_orders_filtered_by_currency() {
    let sim = Sim::start(&[]);
    for i in 0..30 {
        let c = if i % 2 == 0 { "KES" } else { "NGN" };
        sim.order(json!({"currency": c, "amount_fiat": 1000 + i}))
            .await;
    }
    // One open order claimed: not in init any more.
    let (s, _) = sim.rest("POST", "/api/orders/10030/claim", KEY).await;
    assert_eq!(s, 200);
    let (_, init) = auth(&sim, KEY, "").await;
    let ids: Vec<u64> = init["orders"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids.len(), 20);
    assert_eq!(
        ids,
        (10010..=10029).rev().collect::<Vec<_>>(),
        "newest first, open only"
    );
    let o = &init["orders"][0];
    for f in [
        "id",
        "amount_fiat",
        "currency",
        "amount_usd",
        "crypto_symbol",
        "crypto_chain",
        "status",
        "created_at",
    ] {
        assert!(!o[f].is_null(), "field {f} in {o}");
    }
    assert!(o.get("payee").is_none(), "payee stays out of the preview");
    let (_, init) = auth(&sim, KEY2, "?currencies=kes").await;
    let orders = init["orders"].as_array().unwrap();
    assert_eq!(orders.len(), 15);
    assert!(orders.iter().all(|o| o["currency"] == "KES"));
    assert_eq!(init["currencies"], json!(["KES"]));
}

#[tokio::test]
async fn new_order_broadcast_honours_the_currency_filter() {
    let sim = Sim::start(&[]);
    let (mut all, _) = auth(&sim, KEY, "").await;
    let (mut kes, _) = auth(&sim, KEY, "?currencies=KES").await;
    let (mut ngn, _) = auth(&sim, KEY2, "?currencies=NGN,GHS").await;
    let mut unauth = open(&sim.ws_url("")).await;
    recv(&mut unauth).await;
    let o = sim
        .order(json!({"currency": "KES", "amount_fiat": 5000}))
        .await;
    let frame = recv(&mut all).await;
    assert_eq!(frame["type"], "new_order");
    assert_eq!(frame["order"]["id"], o["id"]);
    assert_eq!(frame["order"]["amount_fiat"].as_f64(), Some(5000.0));
    assert_eq!(recv(&mut kes).await["order"]["currency"], "KES");
    assert!(quiet(&mut ngn, 300).await);
    assert!(quiet(&mut unauth, 100).await, "no orders before auth");
    sim.order(json!({"currency": "GHS"})).await;
    assert_eq!(recv(&mut ngn).await["order"]["currency"], "GHS");
    assert_eq!(recv(&mut all).await["order"]["currency"], "GHS");
    assert!(quiet(&mut kes, 300).await);
}

#[tokio::test]
async fn ws_claim_acks_the_claimer_and_tells_the_others() {
    let sim = Sim::start(&[]);
    let (mut a, _) = auth(&sim, KEY, "").await;
    let (mut b, _) = auth(&sim, KEY2, "").await;
    let o = sim.order(json!({"currency": "KES"})).await;
    let id = o["id"].as_u64().unwrap();
    recv(&mut a).await;
    recv(&mut b).await;
    send(&mut a, json!({"type": "claim", "order_id": id})).await;
    assert_eq!(
        recv(&mut a).await,
        json!({"type": "claimed", "order_id": id})
    );
    assert_eq!(
        recv(&mut b).await,
        json!({"type": "order_taken", "order_id": id})
    );
    send(&mut b, json!({"type": "claim", "order_id": id})).await;
    assert_eq!(
        recv(&mut b).await,
        json!({"type": "error", "message": "Order not available", "order_id": id})
    );
    // WS fiat_sent by the owner moves the order on; by someone else, an error.
    send(&mut b, json!({"type": "fiat_sent", "order_id": id})).await;
    assert_eq!(recv(&mut b).await["message"], "Not your order");
    send(&mut a, json!({"type": "fiat_sent", "order_id": id})).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let (_, v) = sim.rest("GET", &format!("/api/orders/{id}"), KEY).await;
    assert_eq!(v["status"], "fiat_sent");
    let (_, t) = sim.get(&format!("/_sim/orders/{id}")).await;
    assert_eq!(t["claims"][0]["via"], "ws");
    assert_eq!(t["claims"][0]["won"], true);
    assert_eq!(t["claims"][1]["won"], false);
}

#[tokio::test]
async fn fifty_way_http_claim_race_has_exactly_one_winner_and_no_broadcast() {
    let sim = Sim::start(&[]);
    let (mut watcher, _) = auth(&sim, KEY2, "").await;
    let o = sim.order(json!({"currency": "NGN"})).await;
    recv(&mut watcher).await;
    let id = o["id"].as_u64().unwrap();
    let mut tasks = vec![];
    for i in 0..50 {
        let http = sim.http.clone();
        let url = format!("{}/api/orders/{id}/claim", sim.base);
        let key = if i % 2 == 0 { KEY } else { KEY2 };
        tasks.push(tokio::spawn(async move {
            http.post(url)
                .header("authorization", format!("Bearer {key}"))
                .body("{}")
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }));
    }
    let mut codes = vec![];
    for t in tasks {
        codes.push(t.await.unwrap());
    }
    assert_eq!(codes.iter().filter(|&&c| c == 200).count(), 1, "{codes:?}");
    assert_eq!(codes.iter().filter(|&&c| c == 409).count(), 49);
    let (_, t) = sim.get(&format!("/_sim/orders/{id}")).await;
    assert_eq!(t["claims"].as_array().unwrap().len(), 50);
    assert!(
        quiet(&mut watcher, 300).await,
        "HTTP claims do not broadcast order_taken"
    );
}

#[tokio::test]
async fn rest_lifecycle_open_claimed_fiat_sent_completed() {
    let sim = Sim::start(&["--complete-after-ms", "300"]);
    let o = sim
        .order(json!({"currency": "KES", "amount_fiat": 5000}))
        .await;
    let id = o["id"].as_u64().unwrap();
    let p = |s: &str| format!("/api/orders/{id}{s}");
    assert_eq!(sim.rest("POST", &p("/claim"), "lp_bad").await.0, 401);
    assert_eq!(
        sim.rest("POST", &p("/fiat-sent"), KEY).await.0,
        403,
        "not yours while open"
    );
    let (s, v) = sim.rest("GET", &p(""), KEY).await;
    assert_eq!(
        (s, v["status"].as_str(), v["lp_id"].is_null()),
        (200, Some("open"), true)
    );
    let (s, claimed) = sim.rest("POST", &p("/claim"), KEY).await;
    assert_eq!(s, 200);
    assert_eq!(claimed["status"], "claimed");
    assert_eq!(claimed["lp_id"], 12);
    assert!(claimed["lp_receive_address"].as_str().unwrap().len() > 10);
    assert_eq!(sim.rest("POST", &p("/claim"), KEY2).await.0, 409);
    let (_, mine) = sim.rest("GET", &p(""), KEY).await;
    assert_eq!(mine["payee"]["rail"], "mpesa");
    assert!(mine["payee"]["account"]
        .as_str()
        .unwrap()
        .starts_with("2547"));
    let (_, theirs) = sim.rest("GET", &p(""), KEY2).await;
    assert_eq!(
        (theirs["lp_id"].as_u64(), theirs["payee"].is_null()),
        (Some(12), true)
    );
    assert_eq!(sim.rest("POST", &p("/fiat-sent"), KEY2).await.0, 403);
    let (s, v) = sim.rest("POST", &p("/fiat-sent"), KEY).await;
    assert_eq!((s, v["status"].as_str()), (200, Some("fiat_sent")));
    assert_eq!(
        sim.rest("POST", &p("/fiat-sent"), KEY).await.0,
        409,
        "wrong state"
    );
    tokio::time::sleep(std::time::Duration::from_millis(600)).await;
    assert_eq!(sim.rest("GET", &p(""), KEY).await.1["status"], "completed");
    assert_eq!(sim.rest("GET", "/api/orders/999999", KEY).await.0, 404);
    let (s, v) = sim.rest("GET", "/api/orders/999999", "").await;
    assert_eq!((s, v["error"].is_string()), (401, true));
}

#[tokio::test]
async fn ping_pong_with_ms_timestamp() {
    let sim = Sim::start(&[]);
    let (mut ws, _) = auth(&sim, KEY, "").await;
    send(&mut ws, json!({"type": "ping"})).await;
    let pong = recv(&mut ws).await;
    assert_eq!(pong["type"], "pong");
    let ts = pong["ts"].as_u64().unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    assert!(now.abs_diff(ts) < 5_000, "ts is ms since the epoch");
}

#[tokio::test]
async fn unauthenticated_socket_is_closed_after_the_auth_timeout() {
    let sim = Sim::start(&["--auth-timeout-ms", "300"]);
    let mut ws = open(&sim.ws_url("")).await;
    recv(&mut ws).await;
    send(&mut ws, json!({"type": "claim", "order_id": 1})).await;
    assert!(recv(&mut ws).await["message"]
        .as_str()
        .unwrap()
        .contains("Not authenticated"));
    assert_eq!(recv(&mut ws).await["message"], "Authentication timeout");
    assert_eq!(closed(&mut ws).await, Some(1008));
}

#[tokio::test]
async fn cors_lets_a_dashboard_on_another_origin_call_the_api() {
    let sim = Sim::start(&[]);
    let r = sim
        .http
        .request(
            reqwest::Method::OPTIONS,
            format!("{}/api/orders/1/claim", sim.base),
        )
        .header("origin", "http://127.0.0.1:5555")
        .header("access-control-request-method", "POST")
        .header(
            "access-control-request-headers",
            "authorization,content-type",
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_success());
    let h = r.headers();
    assert_eq!(h["access-control-allow-origin"], "*");
    let allowed = h["access-control-allow-headers"]
        .to_str()
        .unwrap()
        .to_ascii_lowercase();
    assert!(allowed.contains("authorization"));
}

//! The `/_sim/*` control API and fault injection.

mod common;

use common::*;
use serde_json::json;

#[tokio::test]
async fn create_order_with_any_subset_of_fields() {
    let sim = Sim::start(&[]);
    let o = sim.order(json!({})).await;
    assert_eq!(o["status"], "open");
    assert!(o["id"].as_u64().unwrap() > 0);
    let o = sim
        .order(json!({"id": 5, "amount_fiat": 12345.5, "currency": "ngn", "crypto_symbol": "usdc", "crypto_chain": "base", "created_at": "2026-05-03T12:34:56.000Z"}))
        .await;
    assert_eq!(o["id"], 5);
    assert_eq!(o["currency"], "NGN");
    assert_eq!(o["amount_fiat"], 12345.5);
    assert!(
        (o["amount_usd"].as_f64().unwrap() - 8.02).abs() < 0.05,
        "{o}"
    );
    assert_eq!(o["created_at"], "2026-05-03T12:34:56.000Z");
    assert_eq!(o["payee"]["rail"], "bank_transfer");
    assert!(o["broadcast_us"].as_u64().is_some());
    assert_eq!(
        sim.post("/_sim/orders", json!({"id": 5})).await.0,
        400,
        "duplicate id"
    );
    assert_eq!(
        sim.post("/_sim/orders", json!({"amount_fiat": -1})).await.0,
        400
    );
    let (_, all) = sim.get("/_sim/orders").await;
    assert_eq!(all.as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn synthetic_flow_is_realistic_and_deterministic_for_a_seed() {
    let a = Sim::start(&["--initial-orders", "40", "--seed", "9"]);
    let b = Sim::start(&["--initial-orders", "40", "--seed", "9"]);
    let strip = |v: serde_json::Value| -> Vec<serde_json::Value> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|o| {
                json!([
                    o["id"],
                    o["amount_fiat"],
                    o["currency"],
                    o["crypto_chain"],
                    o["payee"]
                ])
            })
            .collect()
    };
    let (oa, ob) = (a.get("/_sim/orders").await.1, b.get("/_sim/orders").await.1);
    assert_eq!(strip(oa.clone()), strip(ob));
    let currencies: std::collections::BTreeSet<String> = oa
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["currency"].as_str().unwrap().to_owned())
        .collect();
    assert!(currencies.len() >= 4, "{currencies:?}");
    for o in oa.as_array().unwrap() {
        assert!(
            ["KES", "NGN", "GHS", "UGX", "TZS", "ZAR"].contains(&o["currency"].as_str().unwrap())
        );
        let usd = o["amount_usd"].as_f64().unwrap();
        assert!((4.0..=510.0).contains(&usd), "{o}");
    }
    // --rate produces broadcasts.
    let live = Sim::start(&["--rate", "20"]);
    let (mut ws, _) = auth(&live, KEY, "").await;
    assert_eq!(recv(&mut ws).await["type"], "new_order");
    assert_eq!(recv(&mut ws).await["type"], "new_order");
}

#[tokio::test]
async fn requests_log_shows_every_request_line_with_its_query() {
    let sim = Sim::start(&[]);
    let _ = open(&sim.ws_url(&format!("?lp_key={KEY}&currencies=KES"))).await;
    sim.rest("GET", "/api/orders/1", KEY).await;
    let (_, reqs) = sim.get("/_sim/requests").await;
    assert_eq!(
        reqs,
        json!([
            format!("GET /ws/orders?lp_key={KEY}&currencies=KES"),
            "GET /api/orders/1"
        ])
    );
}

#[tokio::test]
async fn connections_and_drop_close_and_abort() {
    let sim = Sim::start(&[]);
    let (mut a, _) = auth(&sim, KEY, "").await;
    let (mut b, _) = auth(&sim, KEY2, "").await;
    let mut c = open(&sim.ws_url("")).await;
    recv(&mut c).await;
    let conns = sim.connections().await;
    assert_eq!(
        conns,
        json!({"total": 3, "authenticated": 2, "unauthenticated": 1, "by_lp": {"12": 1, "13": 1}, "peak_by_lp": {"12": 1, "13": 1}})
    );
    let (s, v) = sim.post("/_sim/drop", json!({"mode": "close"})).await;
    assert_eq!((s, v["dropped"].as_u64()), (200, Some(3)));
    assert_eq!(closed(&mut a).await, Some(1001));
    assert_eq!(closed(&mut b).await, Some(1001));
    let (mut d, _) = auth(&sim, KEY, "").await;
    sim.post("/_sim/drop", json!({"mode": "abort"})).await;
    assert_eq!(closed(&mut d).await, None, "abort sends no close frame");
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert_eq!(sim.connections().await["total"], 0);
    assert_eq!(
        sim.post("/_sim/drop", json!({"mode": "explode"})).await.0,
        400
    );
}

#[tokio::test]
async fn faults_mute_pongs_fail_and_delay_rest_reject_upgrades() {
    let sim = Sim::start(&[]);
    let (mut ws, _) = auth(&sim, KEY, "").await;
    sim.post("/_sim/faults", json!({"mute_pongs": true})).await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert!(quiet(&mut ws, 400).await, "half-open: no pong");
    sim.post(
        "/_sim/faults",
        json!({"rest_fail_count": 2, "rest_fail_status": 503}),
    )
    .await;
    assert_eq!(sim.rest("GET", "/api/orders/1", KEY).await.0, 503);
    assert_eq!(sim.rest("GET", "/api/orders/1", KEY).await.0, 503);
    assert_eq!(
        sim.rest("GET", "/api/orders/1", KEY).await.0,
        404,
        "only the next N fail"
    );
    sim.post("/_sim/faults", json!({"rest_delay_ms": 400}))
        .await;
    let t = std::time::Instant::now();
    sim.rest("GET", "/api/orders/1", KEY).await;
    assert!(t.elapsed().as_millis() >= 400);
    let (_, f) = sim
        .post(
            "/_sim/faults",
            json!({"upgrade_reject_count": 1, "upgrade_reject_status": 429}),
        )
        .await;
    assert_eq!(f["rest_delay_ms"], 0, "each POST replaces the switches");
    match tokio_tungstenite::connect_async(sim.ws_url("")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(r)) => assert_eq!(r.status().as_u16(), 429),
        other => panic!("expected a rejected upgrade, got {:?}", other.map(|_| ())),
    }
    let mut ok = open(&sim.ws_url("")).await;
    assert_eq!(recv(&mut ok).await["type"], "auth_required");
    // Pongs come back when the fault is cleared.
    sim.post("/_sim/faults", json!({})).await;
    send(&mut ws, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut ws).await["type"], "pong");
}

#[tokio::test]
async fn broadcast_sends_raw_text_to_every_socket() {
    let sim = Sim::start(&[]);
    let (mut a, _) = auth(&sim, KEY, "").await;
    let (s, v) = sim
        .post(
            "/_sim/broadcast",
            json!({"text": "{\"type\":\"surprise\"}"}),
        )
        .await;
    assert_eq!((s, v["sent"].as_u64()), (200, Some(1)));
    assert_eq!(recv(&mut a).await, json!({"type": "surprise"}));
}

#[tokio::test]
async fn flood_delivers_every_frame_with_backpressure_and_peaks_are_tracked() {
    let sim = Sim::start(&[]);
    let (mut a, _) = auth(&sim, KEY, "").await;
    let (_b, _) = auth(&sim, KEY, "").await;
    let (s, v) = sim.post("/_sim/flood", json!({"count": 6000})).await;
    assert_eq!(
        (s, v["sent"].as_u64()),
        (200, Some(12_000)),
        "beyond the 4096-frame queue, nobody is cut"
    );
    for _ in 0..6000 {
        let f = recv(&mut a).await;
        assert!(["new_order", "order_taken", "pong"].contains(&f["type"].as_str().unwrap()));
    }
    assert_eq!(sim.connections().await["peak_by_lp"]["12"], 2);
    assert_eq!(
        sim.post("/_sim/flood", json!({"count": 9_000_000})).await.0,
        400
    );
}

#[tokio::test]
async fn timestamps_give_discovery_to_claim_latency_on_one_clock() {
    let sim = Sim::start(&[]);
    let o = sim.order(json!({})).await;
    let id = o["id"].as_u64().unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    sim.rest("POST", &format!("/api/orders/{id}/claim"), KEY)
        .await;
    sim.rest("POST", &format!("/api/orders/{id}/claim"), KEY2)
        .await;
    let (_, t) = sim.get(&format!("/_sim/orders/{id}")).await;
    let b = t["broadcast_us"].as_u64().unwrap();
    let c0 = t["claims"][0]["at_us"].as_u64().unwrap();
    let c1 = t["claims"][1]["at_us"].as_u64().unwrap();
    assert!(c0 >= b + 50_000 && c1 >= c0, "{t}");
    assert_eq!(t["claims"][0]["lp_id"], 12);
    assert_eq!(t["claims"][0]["via"], "http");
}

/// Orders end on the server's side (expired, cancelled) without a broadcast; REST answers
/// can write ids as numeric strings.
#[tokio::test]
async fn orders_can_expire_and_ids_can_be_strings() {
    let sim = Sim::start(&[]);
    let o = sim.order(json!({"currency": "KES"})).await;
    let id = o["id"].as_u64().unwrap();
    let (status, v) = sim
        .post(
            &format!("/_sim/orders/{id}/status"),
            json!({"status": "expired"}),
        )
        .await;
    assert_eq!((status, v["status"].as_str()), (200, Some("expired")));
    let (_, v) = sim
        .rest("GET", &format!("/api/orders/{id}"), "lp_a1b2c3d4")
        .await;
    assert_eq!(v["status"], "expired");
    assert_eq!(
        sim.post(&format!("/_sim/orders/{id}/status"), json!({}))
            .await
            .0,
        400
    );
    assert_eq!(
        sim.post("/_sim/orders/999999/status", json!({"status": "expired"}))
            .await
            .0,
        404
    );
    let o = sim.order(json!({"currency": "KES"})).await;
    let id = o["id"].as_u64().unwrap();
    sim.post("/_sim/faults", json!({"string_ids": true})).await;
    let (status, v) = sim
        .rest("POST", &format!("/api/orders/{id}/claim"), "lp_a1b2c3d4")
        .await;
    assert_eq!(status, 200);
    assert_eq!(
        (v["id"].clone(), v["lp_id"].clone()),
        (json!(id.to_string()), json!("12"))
    );
}

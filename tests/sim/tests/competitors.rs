//! Simulated competitor LPs (`--competitors`): races, losses and stale rows for the demo.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::*;
use serde_json::{json, Value};

/// Order id → (winning LP, how its winning claim came) for every order, once no competitor
/// claim is pending any more.
async fn outcomes(sim: &Sim) -> BTreeMap<u64, (Option<u64>, Option<String>)> {
    let (_, all) = sim.get("/_sim/orders").await;
    all.as_array()
        .unwrap()
        .iter()
        .map(|o| {
            let won = o["claims"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["won"] == true);
            (
                o["id"].as_u64().unwrap(),
                (
                    o["lp_id"].as_u64(),
                    won.map(|c| c["via"].as_str().unwrap().to_owned()),
                ),
            )
        })
        .collect()
}

#[tokio::test]
async fn websocket_competitors_claim_and_every_socket_hears_order_taken() {
    let sim = Sim::start(&[
        "--competitors",
        "3",
        "--competitor-share",
        "1",
        "--competitor-ws-share",
        "1",
        "--competitor-delay-ms",
        "20..60",
    ]);
    let (mut ws, _) = auth(&sim, KEY, "").await;
    for _ in 0..5 {
        let o = sim.order(json!({})).await;
        let id = o["id"].as_u64().unwrap();
        assert_eq!(recv(&mut ws).await["type"], "new_order");
        assert_eq!(
            recv(&mut ws).await,
            json!({"type": "order_taken", "order_id": id})
        );
        let (s, v) = sim.rest("GET", &format!("/api/orders/{id}"), KEY).await;
        assert_eq!((s, v["status"].as_str()), (200, Some("claimed")));
        let lp = v["lp_id"].as_u64().unwrap();
        assert!((90..93).contains(&lp), "a competitor's own LP id: {lp}");
        assert_eq!(v["payee"], Value::Null, "not ours: no payee");
        let (s, _) = sim
            .rest("POST", &format!("/api/orders/{id}/claim"), KEY)
            .await;
        assert_eq!(s, 409, "lost to a competitor");
        let (_, t) = sim.get(&format!("/_sim/orders/{id}")).await;
        assert_eq!(t["claims"][0]["via"], "ws");
        assert_eq!(t["claims"][0]["won"], true);
    }
}

#[tokio::test]
async fn http_competitors_claim_without_any_broadcast_leaving_stale_rows() {
    let sim = Sim::start(&[
        "--competitors",
        "1",
        "--competitor-share",
        "1",
        "--competitor-ws-share",
        "0",
        "--competitor-delay-ms",
        "30",
    ]);
    let (mut ws, _) = auth(&sim, KEY, "").await;
    let o = sim.order(json!({})).await;
    let id = o["id"].as_u64().unwrap();
    assert_eq!(recv(&mut ws).await["type"], "new_order");
    assert!(
        quiet(&mut ws, 400).await,
        "no order_taken for an HTTP claim"
    );
    let (_, t) = sim.get(&format!("/_sim/orders/{id}")).await;
    assert_eq!(t["lp_id"], 90);
    assert_eq!(t["claims"][0]["via"], "http");
    // A fresh init no longer lists it: only the stale row on an old screen does.
    let (_, init) = auth(&sim, KEY2, "").await;
    assert_eq!(init["orders"], json!([]));
}

#[tokio::test]
async fn competitors_take_their_share_deterministically_under_a_seed() {
    let args = [
        "--competitors",
        "4",
        "--competitor-share",
        "0.6",
        "--competitor-ws-share",
        "0.5",
        "--competitor-delay-ms",
        "0..40",
        "--seed",
        "7",
    ];
    let a = Sim::start(&args);
    let b = Sim::start(&args);
    let mut other = args;
    other[9] = "8";
    let c = Sim::start(&other);
    for sim in [&a, &b, &c] {
        for _ in 0..200 {
            sim.order(json!({})).await;
        }
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let (oa, ob, oc) = (outcomes(&a).await, outcomes(&b).await, outcomes(&c).await);
    assert_eq!(oa, ob, "same seed, same races");
    assert_ne!(oa, oc, "another seed, other races");
    let taken: Vec<_> = oa.values().filter(|(lp, _)| lp.is_some()).collect();
    assert!(
        (90..150).contains(&taken.len()),
        "{} of 200 taken at share 0.6",
        taken.len()
    );
    let ws = taken
        .iter()
        .filter(|(_, via)| via.as_deref() == Some("ws"))
        .count();
    assert!(
        ws * 4 > taken.len() && ws * 4 < taken.len() * 3,
        "{ws} of {} over the socket",
        taken.len()
    );
    let lps: std::collections::BTreeSet<u64> = taken.iter().filter_map(|(lp, _)| *lp).collect();
    assert_eq!(lps, (90..94).collect(), "all four competitors win some");
    // The order flow itself does not depend on the competitors.
    let plain = Sim::start(&["--seed", "7"]);
    let x = plain.order(json!({})).await;
    let (_, y) = a.get("/_sim/orders/10001").await;
    assert_eq!(
        (&x["amount_fiat"], &x["currency"], &x["payee"]),
        (&y["amount_fiat"], &y["currency"], &y["payee"])
    );
}

#[tokio::test]
async fn a_fast_lp_beats_a_slow_competitor_and_winners_complete_their_orders() {
    let sim = Sim::start(&[
        "--competitors",
        "2",
        "--competitor-share",
        "1",
        "--competitor-delay-ms",
        "300..300",
        "--complete-after-ms",
        "50",
    ]);
    let mine = sim.order(json!({})).await["id"].as_u64().unwrap();
    let theirs = sim.order(json!({})).await["id"].as_u64().unwrap();
    let (s, v) = sim
        .rest("POST", &format!("/api/orders/{mine}/claim"), KEY)
        .await;
    assert_eq!((s, v["lp_id"].as_u64()), (200, Some(12)));
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (_, t) = sim.get(&format!("/_sim/orders/{mine}")).await;
    assert_eq!(t["lp_id"], 12, "{t}");
    let claims = t["claims"].as_array().unwrap();
    assert_eq!(claims.len(), 2, "{t}");
    assert_eq!(
        (
            claims[1]["won"].as_bool(),
            claims[1]["lp_id"].as_u64().unwrap() >= 90
        ),
        (Some(false), true)
    );
    // The competitor that won the other order pays it: claimed → fiat_sent → completed.
    let mut status = String::new();
    for _ in 0..50 {
        status = sim.get(&format!("/_sim/orders/{theirs}")).await.1["status"]
            .as_str()
            .unwrap()
            .to_owned();
        if status == "completed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "completed");
}

#[tokio::test]
async fn no_competitors_by_default_and_bad_options_are_refused() {
    let sim = Sim::start(&["--competitor-share", "1"]);
    let id = sim.order(json!({})).await["id"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        sim.get(&format!("/_sim/orders/{id}")).await.1["status"],
        "open"
    );
    for bad in [
        &["--competitors", "3", "--competitor-share", "1.5"][..],
        &["--competitors", "3", "--competitor-share", "NaN"],
        &["--competitors", "3", "--competitor-ws-share", "-0.1"],
        &["--competitors", "3", "--competitor-delay-ms", "50..10"],
        &["--competitors", "3", "--competitor-delay-ms", "abc"],
        &[
            "--competitors",
            "3",
            "--competitor-delay-ms",
            "1..99999999999999999999",
        ],
        &["--competitors", "1000"],
    ] {
        assert_eq!(exit_code(bad, 3000), Some(2), "{bad:?}");
    }
    // Competitor ids skip the LP ids of configured keys.
    let sim = Sim::start(&[
        "--lp-key",
        "lp_a:90",
        "--competitors",
        "1",
        "--competitor-share",
        "1",
        "--competitor-delay-ms",
        "10",
    ]);
    let id = sim.order(json!({})).await["id"].as_u64().unwrap();
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(sim.get(&format!("/_sim/orders/{id}")).await.1["lp_id"], 91);
}

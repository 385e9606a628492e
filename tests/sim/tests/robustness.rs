//! Bad input never takes the simulator down.

mod common;

use common::*;
use futures_util::SinkExt;
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn malformed_unknown_and_huge_frames_get_errors_and_others_keep_being_served() {
    let sim = Sim::start(&[]);
    let (mut bystander, _) = auth(&sim, KEY2, "").await;
    let (mut ws, _) = auth(&sim, KEY, "").await;
    for (frame, expect) in [
        ("not json", "Invalid JSON"),
        ("[1,2,3]", "Message needs a string \"type\""),
        ("{\"type\":42}", "Message needs a string \"type\""),
        ("{\"type\":\"teleport\"}", "Unknown message type: teleport"),
        ("{\"type\":\"claim\"}", "claim needs a numeric order_id"),
        (
            "{\"type\":\"claim\",\"order_id\":\"x\"}",
            "claim needs a numeric order_id",
        ),
        (
            "{\"type\":\"claim\",\"order_id\":424242}",
            "Order not available",
        ),
    ] {
        ws.send(Message::Text(frame.into())).await.unwrap();
        assert_eq!(recv(&mut ws).await["message"], expect, "for {frame}");
    }
    ws.send(Message::Binary(vec![0u8, 1, 2].into()))
        .await
        .unwrap();
    assert_eq!(
        recv(&mut ws).await["message"],
        "Binary frames are not supported"
    );
    // A huge frame: an error and a close for that socket only.
    let huge = format!("{{\"type\":\"ping\",\"pad\":\"{}\"}}", "x".repeat(200_000));
    let _ = ws.send(Message::Text(huge.into())).await;
    let _ = closed(&mut ws).await;
    send(&mut bystander, json!({"type": "ping"})).await;
    assert_eq!(recv(&mut bystander).await["type"], "pong");
}

#[tokio::test]
async fn garbage_paths_ids_and_bodies_get_4xx_json() {
    let sim = Sim::start(&[]);
    for path in [
        "/api/orders/abc",
        "/api/orders/-1",
        "/api/orders/99999999999999999999999",
        "/api/orders/%00",
    ] {
        let (s, v) = sim.rest("GET", path, KEY).await;
        assert_eq!(s, 400, "{path}");
        assert!(v["error"].is_string());
    }
    let (s, v) = sim.rest("GET", "/nope/../../etc/passwd", KEY).await;
    assert_eq!((s, v["error"].is_string()), (404, true));
    let (s, _) = sim.rest("POST", "/api/orders/abc/claim", KEY).await;
    assert_eq!(s, 400);
    let r = sim
        .http
        .post(format!("{}/_sim/orders", sim.base))
        .header("content-type", "application/json")
        .body("{oops")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let r = sim
        .http
        .get(format!("{}/ws/orders", sim.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 426, "a plain GET on the socket path");
    // Still serving.
    let (_, init) = auth(&sim, KEY, "").await;
    assert_eq!(init["lp_id"], 12);
}

//! `/_sim/*`: the control API for tests and demos. Loopback peers only, and not readable
//! from web pages: no CORS (unless an origin is allowed with `--control-cors-origin`), and
//! requests a browser marks as cross-origin are refused. Bodies are bounded in size and
//! in time.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::rest::json_error;
use crate::state::{self, Control, Faults, OrderFields, Sim, MAX_ID};

/// Largest body of a control call...
pub const BODY_LIMIT: usize = 64 * 1024;
/// ...but a broadcast, whose frame may have to be larger than a client's 1 MiB frame limit
/// in UTF-8 bytes.
pub const BROADCAST_BODY_LIMIT: usize = 4 * 1024 * 1024;

/// Refuses peers that are not on the loopback interface, and requests from web pages of
/// other origins: an `Origin` header not allowed with `--control-cors-origin`, or no
/// `Origin` but `Sec-Fetch-Site` other than `same-origin`/`none` (an `<img>` or `<script>`
/// pointing here). Node, curl and the tests send neither header.
pub async fn guard(
    State(allowed): State<Arc<[HeaderValue]>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    req: Request,
    next: Next,
) -> Response {
    if !peer.ip().is_loopback() {
        return json_error(
            StatusCode::FORBIDDEN,
            "The control API answers loopback peers only",
        );
    }
    let h = req.headers();
    let foreign = match h.get(header::ORIGIN) {
        Some(origin) => !allowed.iter().any(|a| a == origin),
        None => h
            .get("sec-fetch-site")
            .is_some_and(|v| v != "same-origin" && v != "none"),
    };
    if foreign {
        return json_error(
            StatusCode::FORBIDDEN,
            "The control API does not answer web pages of other origins (see --control-cors-origin)",
        );
    }
    next.run(req).await
}

/// Reads the whole body first, at most `limit` bytes (413 beyond) within `timeout` (408
/// after: a body trickled byte by byte holds nothing for long).
pub async fn bounded_body(
    State((limit, timeout)): State<(usize, Duration)>,
    req: Request,
    next: Next,
) -> Response {
    let too_large = || {
        json_error(
            StatusCode::PAYLOAD_TOO_LARGE,
            &format!("Request body too large or malformed (at most {limit} bytes)"),
        )
    };
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return too_large();
    }
    let (parts, body) = req.into_parts();
    match tokio::time::timeout(timeout, axum::body::to_bytes(body, limit)).await {
        Err(_) => json_error(
            StatusCode::REQUEST_TIMEOUT,
            &format!(
                "Request body not received within {} ms",
                timeout.as_millis()
            ),
        ),
        Ok(Err(_)) => too_large(),
        Ok(Ok(bytes)) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
    }
}

/// Any other `/_sim/...` path.
pub async fn not_found() -> Response {
    json_error(StatusCode::NOT_FOUND, "No such endpoint")
}

/// `POST /_sim/orders`: create an order (any subset of fields), broadcast it.
pub async fn create_order(
    State(sim): State<Arc<Sim>>,
    body: Option<Json<OrderFields>>,
) -> Response {
    let fields = body.map(|Json(f)| f).unwrap_or_default();
    match sim.create_order(fields) {
        Ok((view, outbox)) => {
            state::deliver(outbox);
            (StatusCode::CREATED, Json(view)).into_response()
        }
        Err(e) => json_error(StatusCode::BAD_REQUEST, &e),
    }
}

/// `GET /_sim/orders`: every order with server timestamps.
pub async fn list_orders(State(sim): State<Arc<Sim>>) -> Json<Value> {
    let g = sim.lock();
    Json(Value::Array(
        g.orders.values().map(|o| o.control_view()).collect(),
    ))
}

/// `GET /_sim/orders/{id}`
pub async fn get_order(State(sim): State<Arc<Sim>>, Path(id): Path<String>) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "Order id must be a positive integer",
        );
    };
    match sim.lock().orders.get(&id) {
        Some(o) => Json(o.control_view()).into_response(),
        None => json_error(StatusCode::NOT_FOUND, "Order not found"),
    }
}

/// `POST /_sim/orders/{id}/status` `{"status": "expired" | "cancelled" | ...}`: the order
/// ends (or changes) on the server's side, without any broadcast, as orders expire.
pub async fn set_status(
    State(sim): State<Arc<Sim>>,
    Path(id): Path<String>,
    body: Option<Json<Value>>,
) -> Response {
    let Ok(id) = id.parse::<u64>() else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "Order id must be a positive integer",
        );
    };
    let status = body
        .as_ref()
        .and_then(|Json(v)| v.get("status"))
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 32)
        .map(str::to_owned);
    let Some(status) = status else {
        return json_error(
            StatusCode::BAD_REQUEST,
            "Body must be {\"status\": \"expired\"} or similar",
        );
    };
    let mut g = sim.lock();
    match g.orders.get_mut(&id) {
        Some(o) => {
            if let Some(r) = &sim.settings.recorder {
                r.state(id, &status, o.lp_id);
            }
            o.status = status;
            Json(o.control_view()).into_response()
        }
        None => json_error(StatusCode::NOT_FOUND, "Order not found"),
    }
}

/// `GET /_sim/requests`: request lines (method and full URI) received so far.
pub async fn requests(State(sim): State<Arc<Sim>>) -> Json<Value> {
    Json(json!(sim.lock().requests.iter().collect::<Vec<_>>()))
}

/// `GET /_sim/connections`: open sockets per LP and per auth state.
pub async fn connections(State(sim): State<Arc<Sim>>) -> Json<Value> {
    let g = sim.lock();
    let mut by_lp: BTreeMap<String, usize> = BTreeMap::new();
    let mut unauthenticated = 0;
    for s in g.sockets.values() {
        match s.lp_id {
            Some(lp) => *by_lp.entry(lp.to_string()).or_default() += 1,
            None => unauthenticated += 1,
        }
    }
    let peak: BTreeMap<String, usize> = g
        .peak_by_lp
        .iter()
        .map(|(k, v)| (k.to_string(), *v))
        .collect();
    Json(json!({
        "total": g.sockets.len(),
        "authenticated": g.sockets.len() - unauthenticated,
        "unauthenticated": unauthenticated,
        "by_lp": by_lp,
        "peak_by_lp": peak,
    }))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DropReq {
    mode: Option<String>,
}

/// `POST /_sim/drop`: `{"mode":"close"}` (close frames) or `{"mode":"abort"}` (cut TCP).
pub async fn drop_sockets(State(sim): State<Arc<Sim>>, body: Option<Json<DropReq>>) -> Response {
    let mode = body
        .and_then(|Json(b)| b.mode)
        .unwrap_or_else(|| "close".into());
    let control = match mode.as_str() {
        "close" => Control::Close,
        "abort" => Control::Abort,
        _ => {
            return json_error(
                StatusCode::BAD_REQUEST,
                "mode must be \"close\" or \"abort\"",
            )
        }
    };
    let g = sim.lock();
    for s in g.sockets.values() {
        let _ = s.control.send(control);
    }
    Json(json!({"dropped": g.sockets.len(), "mode": mode})).into_response()
}

/// `POST /_sim/faults`: replace the fault switches (fields left out are off). Returns them.
pub async fn set_faults(State(sim): State<Arc<Sim>>, body: Option<Json<Faults>>) -> Json<Faults> {
    let mut f = body.map(|Json(f)| f).unwrap_or_default();
    if f.rest_fail_status == 0 {
        f.rest_fail_status = 500;
    }
    if f.upgrade_reject_status == 0 {
        f.upgrade_reject_status = 503;
    }
    sim.lock().faults = f.clone();
    Json(f)
}

/// `GET /_sim/faults`
pub async fn get_faults(State(sim): State<Arc<Sim>>) -> Json<Faults> {
    Json(sim.lock().faults.clone())
}

#[derive(Deserialize)]
pub struct BroadcastReq {
    text: String,
}

/// `POST /_sim/broadcast`: a raw text frame to every socket.
pub async fn broadcast(State(sim): State<Arc<Sim>>, Json(b): Json<BroadcastReq>) -> Response {
    let frame: Arc<str> = b.text.into();
    let outbox: state::Outbox = sim
        .lock()
        .sockets
        .values()
        .map(|s| (s.tx.clone(), s.control.clone(), frame.clone()))
        .collect();
    let n = outbox.len();
    state::deliver(outbox);
    Json(json!({"sent": n})).into_response()
}

#[derive(Deserialize)]
pub struct FloodReq {
    count: u32,
}

/// `POST /_sim/flood {"count": N}`: N synthetic frames (new_order, order_taken, pong) to
/// every authenticated socket, with backpressure (awaits queue space, never cuts the
/// socket). Orders in them are not stored. For soak and throughput runs.
pub async fn flood(State(sim): State<Arc<Sim>>, Json(b): Json<FloodReq>) -> Response {
    if b.count > 5_000_000 {
        return json_error(StatusCode::BAD_REQUEST, "count must be at most 5000000");
    }
    let (targets, mut rng, first_id): (Vec<_>, _, u64) = {
        let mut g = sim.lock();
        let targets = g
            .sockets
            .values()
            .filter(|s| s.lp_id.is_some())
            .map(|s| s.tx.clone())
            .collect();
        // Ids from the normal sequence: orders created after the flood are newer.
        let first = g.next_order_id;
        match first.checked_add(u64::from(b.count)) {
            Some(next) if next <= MAX_ID + 1 => g.next_order_id = next,
            _ => {
                return json_error(
                    StatusCode::BAD_REQUEST,
                    "not enough order ids left below 2^53 for this flood",
                )
            }
        }
        let seed = g.rng.next_u64();
        (targets, crate::flow::Rng::new(seed), first)
    };
    let mut sent = 0u64;
    for i in 0..u64::from(b.count) {
        let x = rng.unit();
        let frame: Arc<str> = if x < 0.7 {
            let d = crate::flow::draft(&mut rng);
            json!({"type": "new_order", "order": {"id": first_id + i, "amount_fiat": d.amount_fiat, "currency": d.currency,
                "amount_usd": d.amount_usd, "crypto_symbol": d.crypto_symbol, "crypto_chain": d.crypto_chain,
                "status": "open", "created_at": crate::model::iso8601(state::unix_ms())}})
        } else if x < 0.9 {
            json!({"type": "order_taken", "order_id": first_id + i.saturating_sub(rng.next_u64() % 50)})
        } else {
            json!({"type": "pong", "ts": state::unix_ms()})
        }
        .to_string()
        .into();
        for tx in &targets {
            if tx.send(frame.clone()).await.is_ok() {
                sent += 1;
            }
        }
    }
    Json(json!({"sent": sent})).into_response()
}

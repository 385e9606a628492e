//! `GET /ws/orders`: the order WebSocket, both auth modes, the 5-socket cap.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures_util::{SinkExt, StreamExt};
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use crate::rest::json_error;
use crate::state::{self, Control, Outbox, Sim, SocketEntry, MAX_SOCKETS_PER_KEY, SOCKET_QUEUE};

/// Largest frame accepted from a client.
const MAX_FRAME: usize = 64 * 1024;

pub async fn upgrade(
    State(sim): State<Arc<Sim>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<HashMap<String, String>>, axum::extract::rejection::QueryRejection>,
    ws: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    {
        let mut g = sim.lock();
        if g.faults.upgrade_reject_count > 0 {
            g.faults.upgrade_reject_count -= 1;
            let status = StatusCode::from_u16(g.faults.upgrade_reject_status)
                .unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
            return json_error(status, "Upgrade rejected (fault injection)");
        }
    }
    let Ok(ws) = ws else {
        return json_error(StatusCode::UPGRADE_REQUIRED, "Expected a WebSocket upgrade");
    };
    let Ok(Query(q)) = query else {
        return json_error(StatusCode::BAD_REQUEST, "Malformed query string");
    };
    let currencies = state::parse_currencies(q.get("currencies").map(String::as_str));
    let (tx, rx) = mpsc::channel::<Arc<str>>(SOCKET_QUEUE);
    let (control, control_rx) = watch::channel(Control::Run);

    // URL mode: key checked and the slot reserved before the upgrade, atomically.
    let lp_id = match q.get("lp_key") {
        Some(key) => {
            let Some(lp) = sim.lp_for_key(key) else {
                return json_error(StatusCode::UNAUTHORIZED, "Invalid lp_key");
            };
            Some(lp)
        }
        None => None,
    };
    let id = {
        let mut g = sim.lock();
        if let Some(lp) = lp_id {
            if Sim::sockets_of(&g, lp) >= MAX_SOCKETS_PER_KEY {
                return json_error(StatusCode::TOO_MANY_REQUESTS, "Too many connections");
            }
        }
        let id = g.next_socket_id;
        g.next_socket_id += 1;
        g.sockets.insert(
            id,
            SocketEntry {
                lp_id,
                currencies: currencies.clone(),
                tx,
                control,
            },
        );
        id
    };
    tracing::info!(socket = id, %peer, lp_id, mode = if lp_id.is_some() { "url" } else { "deferred" }, "socket upgrade");
    let sim_failed = sim.clone();
    ws.max_message_size(MAX_FRAME)
        .max_frame_size(MAX_FRAME)
        .on_failed_upgrade(move |_| {
            sim_failed.lock().sockets.remove(&id);
        })
        .on_upgrade(move |socket| run(sim, socket, id, lp_id, currencies, rx, control_rx))
        .into_response()
}

enum After {
    Continue,
    Close(u16, &'static str),
}

async fn run(
    sim: Arc<Sim>,
    socket: WebSocket,
    id: u64,
    mut lp_id: Option<u64>,
    currencies: Vec<String>,
    mut rx: mpsc::Receiver<Arc<str>>,
    mut control: watch::Receiver<Control>,
) {
    let (mut sink, mut stream) = socket.split();
    let first = match lp_id {
        Some(lp) => Sim::init_frame(&sim.lock(), lp, &currencies),
        None => json!({"type": "auth_required", "message": "Send {\"type\":\"auth\",\"lp_key\":\"lp_...\"} to continue"}).to_string(),
    };
    let mut ok = sink.send(Message::Text(first.into())).await.is_ok();
    // A huge --auth-timeout-ms would overflow the Instant: then there is no deadline in effect.
    let now = tokio::time::Instant::now();
    let auth_deadline = now
        .checked_add(sim.settings.auth_timeout)
        .unwrap_or_else(|| now + Duration::from_secs(100 * 365 * 86_400));
    let mut abort = false;
    while ok {
        let mut replies: Vec<String> = Vec::new();
        let mut after = After::Continue;
        tokio::select! {
            inbound = stream.next() => match inbound {
                Some(Ok(Message::Text(t))) => {
                    let (r, o, a) = handle(&sim, id, &mut lp_id, &currencies, t.as_str());
                    replies = r;
                    after = a;
                    state::deliver(o);
                }
                Some(Ok(Message::Binary(_))) => replies.push(error("Binary frames are not supported", None)),
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                Some(Ok(Message::Close(_))) | None => break,
                Some(Err(e)) => {
                    tracing::info!(socket = id, "socket read error: {e}");
                    let _ = sink.send(Message::Text(error("Frame too large or malformed", None).into())).await;
                    after = After::Close(1009, "frame too large or malformed");
                }
            },
            out = rx.recv() => match out {
                Some(frame) => {
                    if !sim.lock().faults.silence {
                        ok = sink.send(Message::Text(frame.as_ref().into())).await.is_ok();
                    }
                }
                None => break,
            },
            changed = control.changed() => {
                match (changed, *control.borrow()) {
                    (Err(_), _) | (_, Control::Abort) => { abort = true; break; }
                    (_, Control::Close) => after = After::Close(1001, "server closing"),
                    (_, Control::Run) => {}
                }
            },
            _ = tokio::time::sleep_until(auth_deadline), if lp_id.is_none() => {
                replies.push(error("Authentication timeout", None));
                after = After::Close(1008, "authentication timeout");
            }
        }
        let silent = sim.lock().faults.silence;
        for r in replies {
            if !silent && sink.send(Message::Text(r.into())).await.is_err() {
                ok = false;
            }
        }
        if let After::Close(code, reason) = after {
            let _ = sink
                .send(Message::Close(Some(CloseFrame {
                    code,
                    reason: reason.into(),
                })))
                .await;
            break;
        }
    }
    sim.lock().sockets.remove(&id);
    if abort {
        // Dropping both halves without a close frame cuts the TCP connection.
        drop(sink);
        drop(stream);
    }
    tracing::info!(socket = id, "socket closed");
}

fn error(message: &str, order_id: Option<u64>) -> String {
    match order_id {
        Some(o) => json!({"type": "error", "message": message, "order_id": o}),
        None => json!({"type": "error", "message": message}),
    }
    .to_string()
}

/// Handles one inbound text frame: replies to this socket, frames for others, and what next.
fn handle(
    sim: &Arc<Sim>,
    id: u64,
    lp_id: &mut Option<u64>,
    currencies: &[String],
    text: &str,
) -> (Vec<String>, Outbox, After) {
    let arrival = sim.now_us();
    let mut out = Outbox::new();
    let v: Value = match serde_json::from_str(text) {
        Ok(v) => v,
        Err(_) => return (vec![error("Invalid JSON", None)], out, After::Continue),
    };
    let Some(kind) = v.get("type").and_then(Value::as_str) else {
        return (
            vec![error("Message needs a string \"type\"", None)],
            out,
            After::Continue,
        );
    };
    let order_id = v
        .get("order_id")
        .and_then(|o| o.as_u64().or_else(|| o.as_str()?.trim().parse().ok()));
    match (kind, *lp_id) {
        ("ping", _) => {
            if sim.lock().faults.mute_pongs {
                return (vec![], out, After::Continue);
            }
            (
                vec![json!({"type": "pong", "ts": state::unix_ms()}).to_string()],
                out,
                After::Continue,
            )
        }
        ("auth", Some(_)) => (
            vec![error("Already authenticated", None)],
            out,
            After::Continue,
        ),
        ("auth", None) => {
            let key = v.get("lp_key").and_then(Value::as_str).unwrap_or("");
            let Some(lp) = sim.lp_for_key(key) else {
                tracing::info!(socket = id, "deferred auth refused");
                return (
                    vec![error("Invalid lp_key", None)],
                    out,
                    After::Close(1008, "invalid lp_key"),
                );
            };
            let mut g = sim.lock();
            if Sim::sockets_of(&g, lp) >= MAX_SOCKETS_PER_KEY {
                tracing::info!(socket = id, lp_id = lp, "deferred auth over the socket cap");
                return (
                    vec![error("Too many connections", None)],
                    out,
                    After::Close(1008, "too many connections"),
                );
            }
            if let Some(s) = g.sockets.get_mut(&id) {
                s.lp_id = Some(lp);
            }
            Sim::note_peak(&mut g, lp);
            *lp_id = Some(lp);
            tracing::info!(socket = id, lp_id = lp, "deferred auth accepted");
            (
                vec![Sim::init_frame(&g, lp, currencies)],
                out,
                After::Continue,
            )
        }
        (_, None) => (
            vec![error(
                "Not authenticated: send {\"type\":\"auth\",\"lp_key\":\"...\"} first",
                None,
            )],
            out,
            After::Continue,
        ),
        ("claim", Some(lp)) => {
            let Some(oid) = order_id else {
                return (
                    vec![error("claim needs a numeric order_id", None)],
                    out,
                    After::Continue,
                );
            };
            match sim.claim(oid, lp, "ws", arrival) {
                Ok(_) => {
                    out = sim.order_taken_outbox(oid, Some(id));
                    (
                        vec![json!({"type": "claimed", "order_id": oid}).to_string()],
                        out,
                        After::Continue,
                    )
                }
                Err(_) => (
                    vec![error("Order not available", Some(oid))],
                    out,
                    After::Continue,
                ),
            }
        }
        ("fiat_sent", Some(lp)) => {
            let Some(oid) = order_id else {
                return (
                    vec![error("fiat_sent needs a numeric order_id", None)],
                    out,
                    After::Continue,
                );
            };
            match sim.fiat_sent(oid, lp) {
                Ok(_) => {
                    crate::rest::schedule_completion(sim.clone(), oid);
                    (vec![], out, After::Continue)
                }
                Err(404) => (
                    vec![error("Order not found", Some(oid))],
                    out,
                    After::Continue,
                ),
                Err(403) => (
                    vec![error("Not your order", Some(oid))],
                    out,
                    After::Continue,
                ),
                Err(_) => (
                    vec![error("Order is not in claimed state", Some(oid))],
                    out,
                    After::Continue,
                ),
            }
        }
        (other, Some(_)) => {
            let shown: String = other.chars().take(40).collect();
            (
                vec![error(&format!("Unknown message type: {shown}"), None)],
                out,
                After::Continue,
            )
        }
    }
}

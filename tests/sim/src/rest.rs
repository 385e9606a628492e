//! The REST API: claim, fiat-sent, order lookup, with Bearer auth and fault injection.

use std::sync::Arc;

use axum::extract::{Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

use crate::state::Sim;

/// `{"error": message}` with `status`.
pub fn json_error(status: StatusCode, message: &str) -> Response {
    (status, Json(json!({ "error": message }))).into_response()
}

/// Applies REST faults (delay, forced failures) before the handler runs.
pub async fn faults(State(sim): State<Arc<Sim>>, req: Request, next: Next) -> Response {
    let (delay, fail, lose) = {
        let mut g = sim.lock();
        let f = &mut g.faults;
        let fail = if f.rest_fail_count > 0 {
            f.rest_fail_count -= 1;
            Some(f.rest_fail_status)
        } else {
            None
        };
        let delay = match f.rest_delay_count {
            _ if f.rest_delay_ms == 0 => 0,
            0 => f.rest_delay_ms,
            1 => {
                f.rest_delay_count = 0;
                std::mem::take(&mut f.rest_delay_ms)
            }
            _ => {
                f.rest_delay_count -= 1;
                f.rest_delay_ms
            }
        };
        let lose = f.rest_lose_answer_count > 0;
        if lose {
            f.rest_lose_answer_count -= 1;
        }
        (delay, fail, lose)
    };
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    if let Some(status) = fail {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return json_error(status, "Injected failure");
    }
    let answer = next.run(req).await;
    if lose {
        return json_error(
            StatusCode::BAD_GATEWAY,
            "Upstream answer lost (fault injection)",
        );
    }
    answer
}

fn lp_from(sim: &Sim, headers: &HeaderMap) -> Result<u64, Response> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|k| sim.lp_for_key(k.trim()))
        .ok_or_else(|| json_error(StatusCode::UNAUTHORIZED, "Invalid or missing API key"))
}

fn order_id(raw: &str) -> Result<u64, Response> {
    raw.parse::<u64>().map_err(|_| {
        json_error(
            StatusCode::BAD_REQUEST,
            "Order id must be a positive integer",
        )
    })
}

fn status_error(status: u16) -> Response {
    match status {
        404 => json_error(StatusCode::NOT_FOUND, "Order not found"),
        403 => json_error(StatusCode::FORBIDDEN, "Not your order"),
        _ => json_error(StatusCode::CONFLICT, "Order not available"),
    }
}

/// `POST /api/orders/{id}/claim`
pub async fn claim(
    State(sim): State<Arc<Sim>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let arrival = sim.now_us();
    let lp = match lp_from(&sim, &headers) {
        Ok(lp) => lp,
        Err(r) => return r,
    };
    let id = match order_id(&raw) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match sim.claim(id, lp, "http", arrival) {
        Ok(view) => {
            tracing::info!(order = id, lp_id = lp, "claimed over HTTP");
            Json(view).into_response()
        }
        Err(s) => status_error(s),
    }
}

/// `POST /api/orders/{id}/fiat-sent`
pub async fn fiat_sent(
    State(sim): State<Arc<Sim>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lp = match lp_from(&sim, &headers) {
        Ok(lp) => lp,
        Err(r) => return r,
    };
    let id = match order_id(&raw) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match sim.fiat_sent(id, lp) {
        Ok(view) => {
            schedule_completion(sim.clone(), id);
            Json(view).into_response()
        }
        Err(s) => status_error(s),
    }
}

/// `GET /api/orders/{id}`
pub async fn get_order(
    State(sim): State<Arc<Sim>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Response {
    let lp = match lp_from(&sim, &headers) {
        Ok(lp) => lp,
        Err(r) => return r,
    };
    let id = match order_id(&raw) {
        Ok(id) => id,
        Err(r) => return r,
    };
    match sim.lock().orders.get(&id) {
        Some(o) => Json(o.rest_view(lp)).into_response(),
        None => status_error(404),
    }
}

/// fiat_sent → completed after the configured delay.
pub fn schedule_completion(sim: Arc<Sim>, id: u64) {
    let delay = sim.settings.complete_after;
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        sim.complete(id);
    });
}

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
    let (delay, fail, lose, hold) = {
        let mut g = sim.lock();
        let f = &mut g.faults;
        let hold = take_counted(&mut f.rest_hold_ms, &mut f.rest_hold_count);
        let fail = if f.rest_fail_count > 0 {
            f.rest_fail_count -= 1;
            Some(f.rest_fail_status)
        } else {
            None
        };
        let delay = take_counted(&mut f.rest_delay_ms, &mut f.rest_delay_count);
        let lose = f.rest_lose_answer_count > 0;
        if lose {
            f.rest_lose_answer_count -= 1;
        }
        (delay, fail, lose, hold)
    };
    if delay > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    if let Some(status) = fail {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        return json_error(status, "Injected failure");
    }
    let answer = next.run(req).await;
    if hold > 0 {
        tokio::time::sleep(std::time::Duration::from_millis(hold)).await;
    }
    if lose {
        return json_error(
            StatusCode::BAD_GATEWAY,
            "Upstream answer lost (fault injection)",
        );
    }
    answer
}

/// A refusal: status and message, answered as `{"error": message}`.
pub struct ApiError(StatusCode, &'static str);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        json_error(self.0, self.1)
    }
}

impl From<u16> for ApiError {
    /// The refusals `Sim::claim` and `Sim::fiat_sent` report.
    fn from(status: u16) -> Self {
        match status {
            404 => ApiError(StatusCode::NOT_FOUND, "Order not found"),
            403 => ApiError(StatusCode::FORBIDDEN, "Not your order"),
            _ => ApiError(StatusCode::CONFLICT, "Order not available"),
        }
    }
}

/// A delay that applies to the next `count` calls (0 = every call): returns this call's.
fn take_counted(ms: &mut u64, count: &mut u32) -> u64 {
    match *count {
        _ if *ms == 0 => 0,
        0 => *ms,
        1 => {
            *count = 0;
            std::mem::take(ms)
        }
        _ => {
            *count -= 1;
            *ms
        }
    }
}

fn lp_from(sim: &Sim, headers: &HeaderMap) -> Result<u64, ApiError> {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .and_then(|k| sim.lp_for_key(k.trim()))
        .ok_or(ApiError(
            StatusCode::UNAUTHORIZED,
            "Invalid or missing API key",
        ))
}

fn order_id(raw: &str) -> Result<u64, ApiError> {
    raw.parse::<u64>().map_err(|_| {
        ApiError(
            StatusCode::BAD_REQUEST,
            "Order id must be a positive integer",
        )
    })
}

/// The caller's LP id (from the Bearer key) and the order id of the path.
fn caller_and_order(sim: &Sim, headers: &HeaderMap, raw: &str) -> Result<(u64, u64), ApiError> {
    Ok((lp_from(sim, headers)?, order_id(raw)?))
}

/// `POST /api/orders/{id}/claim`
pub async fn claim(
    State(sim): State<Arc<Sim>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let arrival = sim.now_us();
    let (lp, id) = caller_and_order(&sim, &headers, &raw)?;
    let view = sim.claim(id, lp, "http", arrival)?;
    tracing::info!(order = id, lp_id = lp, "claimed over HTTP");
    Ok(Json(presented(&sim, view)).into_response())
}

/// `POST /api/orders/{id}/fiat-sent`
pub async fn fiat_sent(
    State(sim): State<Arc<Sim>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (lp, id) = caller_and_order(&sim, &headers, &raw)?;
    let view = sim.fiat_sent(id, lp)?;
    schedule_completion(sim.clone(), id);
    Ok(Json(presented(&sim, view)).into_response())
}

/// `GET /api/orders/{id}`
pub async fn get_order(
    State(sim): State<Arc<Sim>>,
    Path(raw): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (lp, id) = caller_and_order(&sim, &headers, &raw)?;
    let view = sim.lock().orders.get(&id).map(|o| o.rest_view(lp));
    view.map(|v| Json(presented(&sim, v)).into_response())
        .ok_or(ApiError::from(404))
}

/// A REST answer as the faults want it written (`string_ids`: ids as numeric strings).
fn presented(sim: &Sim, mut v: serde_json::Value) -> serde_json::Value {
    if sim.lock().faults.string_ids {
        for key in ["id", "lp_id"] {
            if let Some(n) = v.get(key).and_then(serde_json::Value::as_u64) {
                v[key] = json!(n.to_string());
            }
        }
    }
    v
}

/// fiat_sent → completed after the configured delay.
pub fn schedule_completion(sim: Arc<Sim>, id: u64) {
    let delay = sim.settings.complete_after;
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        sim.complete(id);
    });
}

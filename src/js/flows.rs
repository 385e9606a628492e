//! Runs the core's REST flows (`core::flow`): host.js performs each step (one `fetch`, or
//! a pause) and reports back through one closure; the outcome settles the caller's
//! promise. No Rust futures: the waiting happens in JS, every decision in the core.

use js_sys::{Array, Promise};
use wasm_bindgen::prelude::*;

use super::client::{drive, emit, lock, read, Inner, Shared};
use super::convert;
use super::platform::now_ms;
use crate::core::flow::{Flow, FlowKind, Input, Outcome, Step};
use crate::core::rest::{Method, Request};
use crate::core::{ErrorKind, LpError, OrderId};

/// Flows under way at once, per client.
const MAX_FLOWS: usize = 1_024;
/// Claiming flows (claims and their reconciliation) under way at once.
const MAX_CLAIMS: usize = 256;

/// Step kinds host.js understands (keep in step with host.js).
const FETCH: f64 = 0.0;
const SLEEP: f64 = 1.0;
const RESOLVE: f64 = 2.0;
const REJECT: f64 = 3.0;
/// What host.js reports (keep in step with host.js).
pub const ANSWER: u32 = 0;
pub const TIMED_OUT: u32 = 1;
pub const FAILED: u32 = 2;
pub const WAKE: u32 = 3;
/// The answer body passed `maxBodyBytes`: cut off, unread.
pub const TOO_LARGE: u32 = 4;

/// Starts a flow on the borrowed client; returns the promise of its outcome. The first
/// request is sent before this returns (a claim is on the race's critical path: one call
/// into host.js, which never calls back into wasm while it runs). A claiming flow's
/// promise is recorded there as the order's claim (see `Host::note_claim`), in that call.
pub fn start_promise(inner: &mut Inner, kind: FlowKind, id: OrderId) -> Result<Promise, LpError> {
    let claims = kind.claims();
    let (flow_id, req) = admit(inner, kind, id)?;
    Ok(inner.host.request(
        flow_id,
        id as f64,
        req.operation.index(),
        req.method() == Method::Post,
        claims,
    ))
}

/// Starts a flow; `resolve`/`reject` (functions, or undefined) hear its outcome.
pub fn start(
    rc: &Shared,
    kind: FlowKind,
    id: OrderId,
    resolve: &JsValue,
    reject: &JsValue,
) -> Result<(), LpError> {
    let (flow_id, req) = admit(&mut lock(rc), kind, id)?;
    let host = read(rc).host.clone();
    let first = step_for_js(rc, flow_id, Step::Fetch(req));
    host.run(flow_id, &first, resolve, reject);
    Ok(())
}

/// Admits a new flow (within the limits, one claim per order) and returns its id and
/// first request.
fn admit(inner: &mut Inner, kind: FlowKind, id: OrderId) -> Result<(u32, Request), LpError> {
    if inner.flows.len() >= MAX_FLOWS {
        return Err(LpError::new(
            ErrorKind::RateLimited,
            "too many requests under way at once (limit 1024)",
        ));
    }
    let (flow, req) = Flow::start(kind, id, now_ms(), inner.core.config());
    if flow.claims() {
        if inner
            .flows
            .iter()
            .any(|(_, f)| f.claims() && f.order_id() == id)
        {
            return Err(LpError::new(
                ErrorKind::InvalidArgument,
                "a claim for this order is already in progress",
            )
            .with_order(id));
        }
        if inner.flows.iter().filter(|(_, f)| f.claims()).count() >= MAX_CLAIMS {
            return Err(LpError::new(
                ErrorKind::RateLimited,
                "too many HTTP claims under way at once (limit 256)",
            )
            .with_order(id));
        }
    }
    let flow_id = inner.next_flow;
    inner.next_flow = inner.next_flow.wrapping_add(1);
    inner.flows.push((flow_id, flow));
    Ok((flow_id, req))
}

/// host.js reports on flow `flow_id`; returns the next step for it.
pub fn on_step(rc: &Shared, flow_id: u32, input: u32, status: u32, body: String) -> JsValue {
    let step = {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return reject(&LpError::new(ErrorKind::Protocol, "internal: client busy"));
        };
        let input = match input {
            ANSWER => Input::Answer {
                status: status.min(999) as u16,
                body,
            },
            TIMED_OUT => {
                let mut m = String::from("no answer within ");
                crate::core::wire::push_u64(&mut m, inner.core.config().request_timeout_ms);
                m.push_str(" ms");
                Input::NoAnswer(LpError::new(ErrorKind::Timeout, m))
            }
            FAILED => {
                // The platform's message for a failed fetch ("Failed to fetch", "fetch failed").
                let mut m = String::from("network error: ");
                let text = inner.core.config().lp_key.redact(&body);
                m.push_str(crate::core::wire::truncate(&text, 200));
                Input::NoAnswer(LpError::new(ErrorKind::Network, m))
            }
            WAKE => Input::Wake,
            TOO_LARGE => {
                let mut m = String::from("the answer body is larger than maxBodyBytes (");
                crate::core::wire::push_u64(&mut m, inner.core.config().max_body_bytes);
                m.push_str(" bytes): cut off unread, it proves nothing");
                Input::NoAnswer(LpError::new(ErrorKind::Protocol, m))
            }
            _ => {
                return reject(&LpError::new(
                    ErrorKind::Protocol,
                    "internal: unknown step report",
                ))
            }
        };
        let me = inner.core.lp_id();
        let inner = &mut *inner;
        let Some((_, flow)) = inner.flows.iter_mut().find(|(i, _)| *i == flow_id) else {
            return reject(&LpError::new(ErrorKind::Closed, "the client was closed"));
        };
        flow.step(input, now_ms(), inner.core.config(), me)
    };
    step_for_js(rc, flow_id, step)
}

/// `[FETCH, url, post]` (host.js adds the key and the timeout), `[SLEEP, ms]`,
/// `[RESOLVE, value]` or `[REJECT, error]`; a finished flow is forgotten and its outcome
/// applied.
fn step_for_js(rc: &Shared, flow_id: u32, step: Step) -> JsValue {
    let array = |items: &[JsValue]| items.iter().collect::<Array>().into();
    match step {
        Step::Fetch(req) => {
            let post = req.method() == Method::Post;
            array(&[FETCH.into(), req.url.into(), post.into()])
        }
        Step::Sleep(ms) => array(&[SLEEP.into(), (ms as f64).into()]),
        Step::Done(outcome) => {
            let flow = {
                let mut inner = lock(rc);
                let at = inner.flows.iter().position(|(i, _)| *i == flow_id);
                at.map(|i| inner.flows.swap_remove(i).1)
            };
            let id = flow.map_or(0, |f| f.order_id());
            match outcome.and_then(|o| settle(rc, id, o)) {
                Ok(v) => array(&[RESOLVE.into(), v]),
                Err(e) => reject(&e),
            }
        }
    }
}

fn reject(e: &LpError) -> JsValue {
    [JsValue::from(REJECT), convert::error(e)]
        .iter()
        .collect::<Array>()
        .into()
}

/// Applies an outcome to the client (book, events, our LP id) and builds its JS value.
fn settle(rc: &Shared, id: OrderId, outcome: Outcome) -> Result<JsValue, LpError> {
    match outcome {
        Outcome::Claimed(body) => {
            // (Our LP id comes from `init` only: a REST body proves nothing about who we are.)
            lock(rc).core.note_claimed(id);
            drive(rc);
            emit(
                rc,
                "claimed",
                &convert::object(&[("orderId", convert::id(id))]),
            );
            let order = convert::json_body(&body).unwrap_or(JsValue::NULL);
            Ok(convert::object(&[
                ("status", "claimed".into()),
                ("order", order),
            ]))
        }
        Outcome::Taken => {
            lock(rc).core.note_taken(id);
            drive(rc);
            Ok(convert::object(&[
                ("status", "taken".into()),
                ("orderId", convert::id(id)),
            ]))
        }
        Outcome::Order(body) => convert::json_body(&body),
    }
}

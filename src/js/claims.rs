//! The economic handshake over HTTP: claim (with reconciliation), fiat-sent, order
//! lookups. Rules live in `core::rest`; this file only performs the requests.
//!
//! Nothing lost: a claim whose answer never came (timeout, network cut, 5xx) is checked
//! with `GET /api/orders/{id}`. Ours → reported claimed; another owner → taken; still
//! open → our request never landed, so one more claim is safe (not a blind retry).

use wasm_bindgen::JsValue;

use super::client::{emit, Shared};
use super::convert;
use super::http::{pause, perform, Answer};
use crate::core::rest::{self, ClaimVerdict, Operation, OrderState, Reconciled};
use crate::core::{ErrorKind, LpError, OrderId};

/// GET checks before an unknown claim is reported as unresolved.
const RECONCILE_CHECKS: u32 = 6;
/// Claims re-sent after a check proved the previous one never landed.
const MAX_RECLAIMS: u32 = 2;

async fn request(rc: &Shared, op: Operation) -> Result<Answer, LpError> {
    let (req, key, timeout) = {
        let inner = rc.borrow();
        let c = inner.core.config();
        (op.request(c), c.lp_key.clone(), c.request_timeout_ms)
    };
    perform(&req, &key, timeout).await
}

fn error_for(rc: &Shared, op: Operation, a: &Answer) -> LpError {
    rest::error_for(op, a.status, &a.body, rc.borrow().core.config())
}

/// `GET /api/orders/{id}`: the parsed state and the whole JSON body.
pub async fn get_order(rc: &Shared, id: OrderId) -> Result<(OrderState, JsValue), LpError> {
    let op = Operation::GetOrder(id);
    let a = request(rc, op).await?;
    if !(200..300).contains(&a.status) {
        return Err(error_for(rc, op, &a));
    }
    Ok((OrderState::parse(&a.body)?, convert::json_body(&a.body)?))
}

fn claimed(rc: &Shared, id: OrderId, order: JsValue) -> JsValue {
    rc.borrow_mut().core.note_claimed(id);
    super::client::drive(rc);
    emit(
        rc,
        "claimed",
        &convert::object(&[("orderId", convert::id(id))]),
    );
    convert::object(&[("status", "claimed".into()), ("order", order)])
}

fn taken(rc: &Shared, id: OrderId) -> JsValue {
    rc.borrow_mut().core.note_taken(id);
    super::client::drive(rc);
    convert::object(&[("status", "taken".into()), ("orderId", convert::id(id))])
}

/// HTTP claims (with their reconciliation) under way at once.
const MAX_HTTP_CLAIMS: usize = 256;

/// Marks `id` as being claimed by this client; the mark goes however the claim ends.
struct InFlight(Shared, OrderId);

impl InFlight {
    fn begin(rc: &Shared, id: OrderId) -> Result<InFlight, LpError> {
        let mut inner = rc.borrow_mut();
        if inner.http_claims.contains(&id) {
            return Err(LpError::new(
                ErrorKind::InvalidArgument,
                "a claim for this order is already in progress",
            )
            .with_order(id));
        }
        if inner.http_claims.len() >= MAX_HTTP_CLAIMS {
            return Err(LpError::new(
                ErrorKind::RateLimited,
                "too many HTTP claims under way at once (limit 256)",
            )
            .with_order(id));
        }
        inner.http_claims.push(id);
        Ok(InFlight(rc.clone(), id))
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Ok(mut inner) = self.0.try_borrow_mut() {
            inner.http_claims.retain(|c| *c != self.1);
        }
    }
}

/// `POST /api/orders/{id}/claim`, reconciled when the outcome is unknown.
pub async fn claim_http(rc: Shared, id: OrderId) -> Result<JsValue, LpError> {
    let _guard = InFlight::begin(&rc, id)?;
    let mut reclaims = 0;
    loop {
        match attempt(&rc, id).await {
            Attempt::Done(r) => return r,
            Attempt::Unknown(e) => match reconcile_inner(&rc, id, Some(e)).await? {
                Settled::Result(v) => return Ok(v),
                Settled::StillOpen if reclaims < MAX_RECLAIMS => reclaims += 1,
                Settled::StillOpen => {
                    return Err(LpError::new(
                        ErrorKind::Timeout,
                        "the claim never reached the server (the order is still open); not retried further",
                    )
                    .with_order(id))
                }
            },
        }
    }
}

enum Attempt {
    Done(Result<JsValue, LpError>),
    Unknown(LpError),
}

async fn attempt(rc: &Shared, id: OrderId) -> Attempt {
    let op = Operation::Claim(id);
    let a = match request(rc, op).await {
        Ok(a) => a,
        Err(e) => return Attempt::Unknown(e),
    };
    let verdict = rest::claim_verdict(a.status, &a.body, id, rc.borrow().core.config());
    match verdict {
        ClaimVerdict::Won => {
            if let Ok(state) = OrderState::parse(&a.body) {
                if let Some(lp) = state.lp_id {
                    if rc.borrow().core.lp_id().is_none() {
                        rc.borrow_mut().core.set_lp_id(lp);
                    }
                }
            }
            let order = convert::json_body(&a.body).unwrap_or(JsValue::NULL);
            Attempt::Done(Ok(claimed(rc, id, order)))
        }
        ClaimVerdict::Taken => Attempt::Done(Ok(taken(rc, id))),
        ClaimVerdict::Refused(e) => Attempt::Done(Err(e)),
        ClaimVerdict::Unknown(e) => Attempt::Unknown(e),
    }
}

enum Settled {
    Result(JsValue),
    StillOpen,
}

/// Asks the server who owns `id`, with growing pauses, until it can tell.
async fn reconcile_inner(
    rc: &Shared,
    id: OrderId,
    cause: Option<LpError>,
) -> Result<Settled, LpError> {
    let mut wait = 250;
    let mut last: Option<LpError> = cause;
    for _ in 0..RECONCILE_CHECKS {
        match get_order(rc, id).await {
            Ok((state, body)) => {
                let me = rc.borrow().core.lp_id();
                match rest::reconcile(&state, me) {
                    Reconciled::Ours => return Ok(Settled::Result(claimed(rc, id, body))),
                    Reconciled::Taken => return Ok(Settled::Result(taken(rc, id))),
                    Reconciled::StillOpen => return Ok(Settled::StillOpen),
                    Reconciled::Undetermined => {
                        last = Some(LpError::new(
                            ErrorKind::Protocol,
                            "the order's owner cannot be told from the server's answer",
                        ))
                    }
                }
            }
            Err(e) if e.kind == ErrorKind::NotFound || e.kind == ErrorKind::Unauthorized => {
                return Err(e)
            }
            Err(e) => last = Some(e),
        }
        pause(wait).await;
        wait = (wait * 2).min(4_000);
    }
    let mut m = String::from("claim outcome still unknown after ");
    crate::core::wire::push_u64(&mut m, u64::from(RECONCILE_CHECKS));
    m.push_str(" checks; check GET /api/orders/{id} before claiming again");
    if let Some(e) = last {
        m.push_str(" (last: ");
        m.push_str(&e.message);
        m.push(')');
    }
    Err(LpError::new(ErrorKind::Timeout, m).with_order(id))
}

/// Settles a WebSocket claim that got no answer (used for `claimWs`).
pub async fn reconcile(rc: Shared, id: OrderId) -> Result<JsValue, LpError> {
    let _guard = InFlight::begin(&rc, id)?;
    match reconcile_inner(&rc, id, None).await? {
        Settled::Result(v) => Ok(v),
        // The socket claim never landed: claim over HTTP (checked, not blind).
        Settled::StillOpen => match attempt(&rc, id).await {
            Attempt::Done(r) => r,
            Attempt::Unknown(e) => match reconcile_inner(&rc, id, Some(e)).await? {
                Settled::Result(v) => Ok(v),
                Settled::StillOpen => Err(LpError::new(
                    ErrorKind::Timeout,
                    "the claim did not reach the server; the order is still open",
                )
                .with_order(id)),
            },
        },
    }
}

/// `POST /api/orders/{id}/fiat-sent`. If no answer came, a GET tells whether it landed.
pub async fn fiat_sent(rc: Shared, id: OrderId) -> Result<JsValue, LpError> {
    let op = Operation::FiatSent(id);
    let err = match request(&rc, op).await {
        Ok(a) if (200..300).contains(&a.status) => return convert::json_body(&a.body),
        Ok(a) if a.status < 500 && a.status != 408 => return Err(error_for(&rc, op, &a)),
        Ok(a) => error_for(&rc, op, &a),
        Err(e) => e,
    };
    match get_order(&rc, id).await {
        Ok((state, body)) if matches!(state.status.as_str(), "fiat_sent" | "completed") => Ok(body),
        _ => Err(err),
    }
}

/// Polls until the order reaches `status`.
pub async fn wait_for_status(
    rc: &Shared,
    id: OrderId,
    status: &str,
    interval_ms: u64,
    timeout_ms: u64,
) -> Result<JsValue, LpError> {
    let start = super::platform::now_ms();
    loop {
        match get_order(rc, id).await {
            Ok((state, body)) if state.status == status => return Ok(body),
            Ok((state, _))
                if matches!(state.status.as_str(), "cancelled" | "canceled" | "expired") =>
            {
                let mut m = String::from("the order ended as ");
                m.push_str(&state.status);
                return Err(LpError::new(ErrorKind::Conflict, m).with_order(id));
            }
            Ok(_) => {}
            Err(e)
                if matches!(
                    e.kind,
                    ErrorKind::NotFound | ErrorKind::Unauthorized | ErrorKind::NotOwner
                ) =>
            {
                return Err(e)
            }
            Err(_) => {}
        }
        if super::platform::now_ms().saturating_sub(start) + interval_ms > timeout_ms {
            let mut m = String::from("order did not reach status ");
            m.push_str(crate::core::wire::truncate(status, 40));
            m.push_str(" in time");
            return Err(LpError::new(ErrorKind::Timeout, m).with_order(id));
        }
        pause(interval_ms).await;
    }
}

//! The REST half of the protocol, sans I/O: which request to make, and what an answer
//! means. The driver performs the request (with `Authorization: Bearer <key>`); this
//! module decides, so the rules are tested natively.
//!
//! Claims are the economic handshake, so their outcome must never be guessed:
//! a claim is *won* on 2xx, *taken* on 409, *failed* on a definite refusal, and
//! *unknown* when the request may have reached the server without an answer reaching
//! us (timeout, network cut, 5xx). Unknown claims are reconciled with
//! `GET /api/orders/{id}` ([`reconcile`]), never blindly retried.

use super::config::Config;
use super::error::{ErrorKind, LpError};
use super::wire::{object_fields, push_u64, truncate, OrderId, Scalar};

/// An HTTP method this client uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// GET
    Get,
    /// POST with body `{}`
    Post,
}

impl Method {
    /// The method name.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
        }
    }
}

/// A REST operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `POST /api/orders/{id}/claim`
    Claim(OrderId),
    /// `POST /api/orders/{id}/fiat-sent`
    FiatSent(OrderId),
    /// `GET /api/orders/{id}`
    GetOrder(OrderId),
}

/// A request to perform. The driver adds `Authorization: Bearer <key>`, and for POST
/// `Content-Type: application/json` with body `{}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    /// Absolute URL (never holds the key).
    pub url: String,
    /// What it does (`url` is the API base, `/api/orders/`, the id and the operation's end).
    pub operation: Operation,
}

impl Request {
    /// Method.
    pub fn method(&self) -> Method {
        self.operation.method()
    }
}

impl Operation {
    /// The request for this operation.
    pub fn request(self, config: &Config) -> Request {
        let (id, suffix) = match self {
            Operation::Claim(id) => (id, "/claim"),
            Operation::FiatSent(id) => (id, "/fiat-sent"),
            Operation::GetOrder(id) => (id, ""),
        };
        let mut path = String::from("/api/orders/");
        push_u64(&mut path, id);
        path.push_str(suffix);
        Request {
            url: config.rest_url(&path),
            operation: self,
        }
    }

    /// Its method: GET reads, POST changes the order.
    pub fn method(self) -> Method {
        match self {
            Operation::GetOrder(_) => Method::Get,
            Operation::Claim(_) | Operation::FiatSent(_) => Method::Post,
        }
    }

    /// Its number for host.js, which builds a flow's first URL itself (one string fewer
    /// across the boundary on a claim's path): keep in step with its `OPERATIONS`.
    pub fn index(self) -> u32 {
        match self {
            Operation::Claim(_) => 0,
            Operation::FiatSent(_) => 1,
            Operation::GetOrder(_) => 2,
        }
    }

    /// The order it is about.
    pub fn order_id(self) -> OrderId {
        match self {
            Operation::Claim(id) | Operation::FiatSent(id) | Operation::GetOrder(id) => id,
        }
    }

    fn verb(self) -> &'static str {
        match self {
            Operation::Claim(_) => "claim",
            Operation::FiatSent(_) => "fiat-sent",
            Operation::GetOrder(_) => "order lookup",
        }
    }
}

/// The fields of a REST order this client reasons about (the JS caller gets the whole body).
#[derive(Debug, Clone, PartialEq)]
pub struct OrderState {
    /// The order id.
    pub id: OrderId,
    /// Lifecycle word.
    pub status: String,
    /// The LP that claimed it; null while open.
    pub lp_id: Option<u64>,
    /// `lp_id` is there but is not an id (`12.5`, `"12abc"`, `null`, `{}`): the answer
    /// names an owner nobody can read.
    pub lp_id_unreadable: bool,
}

impl OrderState {
    /// Parses a REST order body (tolerant like the wire: ids may be numeric strings).
    pub fn parse(body: &str) -> Result<Self, LpError> {
        let bad = || {
            LpError::new(
                ErrorKind::Protocol,
                "the server's order JSON has no usable id/status",
            )
        };
        let [id, status, lp_id] = object_fields(body, ["id", "status", "lp_id"]).ok_or_else(bad)?;
        let owner = lp_id.id();
        Ok(OrderState {
            id: id.id().ok_or_else(bad)?,
            status: status.text().into_owned(),
            lp_id: owner,
            lp_id_unreadable: owner.is_none() && !matches!(lp_id, Scalar::Absent),
        })
    }

    /// Parses the answer about order `id`; an answer about another order proves nothing
    /// about this one and is an error.
    pub fn parse_for(body: &str, id: OrderId) -> Result<Self, LpError> {
        let s = Self::parse(body)?;
        if s.id == id {
            return Ok(s);
        }
        let mut m = String::from("the server answered about order ");
        push_u64(&mut m, s.id);
        m.push_str(", not ");
        push_u64(&mut m, id);
        Err(LpError::new(ErrorKind::Protocol, m).with_order(id))
    }
}

/// The error a non-2xx answer stands for.
pub fn error_for(op: Operation, status: u16, body: &str, config: &Config) -> LpError {
    let (kind, what) = match status {
        401 => (ErrorKind::Unauthorized, "the LP key was refused"),
        403 => (ErrorKind::NotOwner, "the order is not yours"),
        404 => (ErrorKind::NotFound, "no such order"),
        409 => (
            ErrorKind::Conflict,
            "the order is not in a state that allows this",
        ),
        408 | 504 => (ErrorKind::Timeout, "the server timed out"),
        429 => (ErrorKind::RateLimited, "too many requests"),
        500..=599 => (ErrorKind::Server, "server error"),
        // A redirect is never followed (it could carry a claim to another origin); a
        // platform that hides it (fetch's "manual" mode) reports status 0.
        0 => (
            ErrorKind::Protocol,
            "the platform hid the answer (a redirect, not followed)",
        ),
        300..=399 => (ErrorKind::Protocol, "a redirect, not followed"),
        _ => (ErrorKind::Protocol, "unexpected HTTP status"),
    };
    let mut m = String::from(op.verb());
    m.push_str(" of order ");
    push_u64(&mut m, op.order_id());
    m.push_str(" failed: ");
    m.push_str(what);
    m.push_str(" (HTTP ");
    push_u64(&mut m, u64::from(status));
    m.push(')');
    if let Some(detail) = server_message(body) {
        m.push_str(": ");
        // Redact first: a key straddling the cut would survive truncation in part.
        m.push_str(truncate(&config.lp_key.redact(&detail), 200));
    }
    LpError::new(kind, m)
        .with_status(status)
        .with_order(op.order_id())
}

/// `{"error": "..."}` or `{"message": "..."}`, if the body has one.
fn server_message(body: &str) -> Option<String> {
    let [error, message] = object_fields(body, ["error", "message"])?;
    [error.text(), message.text()]
        .into_iter()
        .find(|m| !m.is_empty())
        .map(|m| m.into_owned())
}

/// What an HTTP claim attempt established.
#[derive(Debug, Clone, PartialEq)]
pub enum ClaimVerdict {
    /// 2xx with an answer that names no other owner: the order is ours.
    Won,
    /// 409: another LP has it, or it is no longer open (or, after an earlier attempt of
    /// ours whose outcome was unknown, possibly ours: the caller checks).
    Taken,
    /// A definite refusal (401, 403, 404, 429, other 4xx): nothing was claimed.
    Refused(LpError),
    /// The claim may or may not have happened, or the answer proves nothing (5xx, 408, a
    /// redirect, a 2xx that names another owner or is not an order): reconcile first.
    Unknown(LpError),
}

/// Classifies an HTTP claim answer. `my_lp_id` (from `init`) tells our ownership apart.
pub fn claim_verdict(
    status: u16,
    body: &str,
    order_id: OrderId,
    my_lp_id: Option<u64>,
    config: &Config,
) -> ClaimVerdict {
    let op = Operation::Claim(order_id);
    match status {
        200..=299 => match won_proof(body, order_id, my_lp_id) {
            None => ClaimVerdict::Won,
            Some(why) => {
                let mut m = String::from("claim of order ");
                push_u64(&mut m, order_id);
                m.push_str(" answered 2xx, but ");
                m.push_str(why);
                m.push_str(": proves nothing, so the order is checked");
                ClaimVerdict::Unknown(
                    LpError::new(ErrorKind::Protocol, m)
                        .with_status(status)
                        .with_order(order_id),
                )
            }
        },
        409 => ClaimVerdict::Taken,
        // The server refused before doing anything.
        400..=499 if status != 408 => ClaimVerdict::Refused(error_for(op, status, body, config)),
        // 5xx and gateway timeouts (the server may have committed before failing),
        // redirects and anything else: nothing is proven either way.
        _ => ClaimVerdict::Unknown(error_for(op, status, body, config)),
    }
}

/// Why a 2xx claim answer does not prove the claim ours, if it does not.
fn won_proof(body: &str, order_id: OrderId, my_lp_id: Option<u64>) -> Option<&'static str> {
    let Ok(order) = OrderState::parse(body) else {
        return Some("its body is not an order");
    };
    if order.id != order_id {
        return Some("its body is another order");
    }
    if order.status == "open" {
        return Some("its body says the order is still open");
    }
    if order.lp_id_unreadable {
        return Some("its body's lp_id is not an id");
    }
    match (order.lp_id, my_lp_id) {
        (Some(owner), Some(me)) if owner != me => Some("its body names another LP as the owner"),
        _ => None,
    }
}

/// What `GET /api/orders/{id}` says about a claim whose outcome was unknown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reconciled {
    /// We own it: report the claim as won.
    Ours,
    /// Another LP owns it, or it closed: report as taken.
    Taken,
    /// Still open: our claim did not land; claiming again is safe (not a blind retry).
    StillOpen,
    /// The answer cannot tell (no `lp_id`, or ours unknown): ask again later.
    Undetermined,
}

/// Decides a reconciliation from the order's current state and our LP id.
pub fn reconcile(order: &OrderState, my_lp_id: Option<u64>) -> Reconciled {
    if order.status == "open" {
        return Reconciled::StillOpen;
    }
    // Closed (expired, cancelled), whoever held it: not a claim anyone should send fiat for.
    if matches!(order.status.as_str(), "expired" | "cancelled" | "canceled") {
        return Reconciled::Taken;
    }
    match (order.lp_id, my_lp_id) {
        (Some(owner), Some(me)) if owner == me => Reconciled::Ours,
        (Some(_), Some(_)) => Reconciled::Taken,
        // Closed without an owner (expired, cancelled): nobody has it, and not us.
        (None, _) if matches!(order.status.as_str(), "expired" | "cancelled" | "canceled") => {
            Reconciled::Taken
        }
        _ => Reconciled::Undetermined,
    }
}

//! REST flows, sans I/O: claim (with reconciliation), fiat-sent, order lookups and status
//! polling, each a small state machine. The driver performs each [`Step`] (one HTTP
//! request, or a pause) and feeds back what happened; the flow decides what comes next.
//! So every "nothing lost" rule is tested natively, and the wasm layer needs no futures.
//!
//! Claims: won on 2xx, taken on 409, failed on a definite refusal; when the answer never
//! came (timeout, network cut, 5xx), `GET /api/orders/{id}` decides: ours → claimed,
//! another owner → taken, still open → our request never landed, so one more claim is
//! safe (checked, not blind: at most [`MAX_RECLAIMS`]).

use super::config::Config;
use super::connection::Millis;
use super::error::{ErrorKind, LpError};
use super::rest::{self, ClaimVerdict, Operation, OrderState, Reconciled, Request};
use super::wire::{push_u64, truncate, OrderId};

/// GET checks before an unknown claim is reported as unresolved.
pub const RECONCILE_CHECKS: u32 = 6;
/// Claims re-sent after a check proved the previous one never landed.
pub const MAX_RECLAIMS: u32 = 2;
/// First pause between checks; doubles up to [`MAX_PAUSE_MS`].
const FIRST_PAUSE_MS: u64 = 250;
const MAX_PAUSE_MS: u64 = 4_000;

/// What a flow does.
#[derive(Debug, Clone, PartialEq)]
pub enum FlowKind {
    /// `claim()`: claim over HTTP, reconciled when the outcome is unknown.
    Claim,
    /// A WebSocket claim that got no answer: check, and claim over HTTP if still open.
    Reconcile,
    /// `fiatSent()`: if no answer came, a GET tells whether it landed.
    FiatSent,
    /// `getOrder()`.
    GetOrder,
    /// `waitForStatus()`: poll until the order has `status`.
    WaitForStatus {
        /// The status waited for.
        status: String,
        /// Pause between polls.
        interval_ms: u64,
        /// Give up after this long.
        timeout_ms: u64,
    },
}

impl FlowKind {
    /// Whether a flow of this kind claims (at most one claiming flow per order at a time).
    pub fn claims(&self) -> bool {
        matches!(self, FlowKind::Claim | FlowKind::Reconcile)
    }
}

/// What happened to the last step.
#[derive(Debug, Clone, PartialEq)]
pub enum Input {
    /// The request got an answer.
    Answer {
        /// HTTP status.
        status: u16,
        /// Body text.
        body: String,
    },
    /// The request got no answer (timeout or network failure).
    NoAnswer(LpError),
    /// The pause is over.
    Wake,
}

/// What the driver must do next.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Perform this request (with the key in `Authorization`) and report with `Answer` or
    /// `NoAnswer`.
    Fetch(Request),
    /// Wait this long, then report `Wake`.
    Sleep(u64),
    /// Finished.
    Done(Result<Outcome, LpError>),
}

/// How a flow ended well.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The claim is ours; the order's JSON when the server sent it.
    Claimed(String),
    /// Another LP has the order, or it is no longer open.
    Taken,
    /// The order's JSON (fiat-sent, lookups, status reached).
    Order(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Claiming,
    Checking,
    CheckPause,
    Sending,
    Confirming,
    Looking,
    Polling,
    PollPause,
}

/// One flow for one order.
#[derive(Debug, Clone)]
pub struct Flow {
    id: OrderId,
    kind: FlowKind,
    phase: Phase,
    reclaims: u32,
    checks: u32,
    pause_ms: u64,
    /// The last failure of any request (checks included).
    last: Option<LpError>,
    /// Why the last claim request got no definite answer (what a give-up reports).
    claim_error: Option<LpError>,
    /// When the last claim request went out, and whether it got no answer at all (then
    /// it may still be on its way: see [`Flow::landing_window_ms`]).
    claim_sent_at: Millis,
    claim_unanswered: bool,
    started: Millis,
}

impl Flow {
    /// A flow for order `id`, and its first step: every flow starts with a request.
    pub fn start(kind: FlowKind, id: OrderId, now: Millis, config: &Config) -> (Flow, Request) {
        let reconcile = matches!(kind, FlowKind::Reconcile);
        let (phase, op) = match kind {
            FlowKind::Claim => (Phase::Claiming, Operation::Claim(id)),
            FlowKind::Reconcile => (Phase::Checking, Operation::GetOrder(id)),
            FlowKind::FiatSent => (Phase::Sending, Operation::FiatSent(id)),
            FlowKind::GetOrder => (Phase::Looking, Operation::GetOrder(id)),
            FlowKind::WaitForStatus { .. } => (Phase::Polling, Operation::GetOrder(id)),
        };
        let flow = Flow {
            id,
            kind,
            phase,
            reclaims: 0,
            checks: 0,
            pause_ms: FIRST_PAUSE_MS,
            last: None,
            claim_error: None,
            claim_sent_at: now,
            // A WebSocket claim that got no answer may still land, like an HTTP one.
            claim_unanswered: reconcile,
            started: now,
        };
        (flow, op.request(config))
    }

    /// The order this flow is about.
    pub fn order_id(&self) -> OrderId {
        self.id
    }

    /// Whether this flow claims (at most one claiming flow per order at a time).
    pub fn claims(&self) -> bool {
        self.kind.claims()
    }

    /// Feeds what happened; returns the next step. `my_lp_id` tells our claims apart.
    pub fn step(
        &mut self,
        input: Input,
        now: Millis,
        config: &Config,
        my_lp_id: Option<u64>,
    ) -> Step {
        let id = self.id;
        let fail =
            |op: Operation, status: u16, body: &str| rest::error_for(op, status, body, config);
        match (self.phase, input) {
            (Phase::Claiming, Input::Answer { status, body }) => {
                // Answered, whatever the status: the request can no longer land.
                self.claim_unanswered = false;
                match rest::claim_verdict(status, &body, id, my_lp_id, config) {
                    ClaimVerdict::Won => done(Outcome::Claimed(body)),
                    // After an earlier attempt of ours whose outcome was unknown, a 409 may
                    // be that attempt landing late: only the order's owner tells.
                    ClaimVerdict::Taken if self.reclaims > 0 => {
                        let e = fail(Operation::Claim(id), status, &body);
                        self.check(Some(e), config)
                    }
                    ClaimVerdict::Taken => done(Outcome::Taken),
                    ClaimVerdict::Refused(e) => Step::Done(Err(e)),
                    ClaimVerdict::Unknown(e) => self.check(Some(e), config),
                }
            }
            (Phase::Claiming, Input::NoAnswer(e)) => {
                self.claim_unanswered = true;
                self.check(Some(e), config)
            }
            (Phase::Checking, Input::Answer { status, body }) => {
                self.checks += 1;
                if !(200..300).contains(&status) {
                    let e = fail(Operation::GetOrder(id), status, &body);
                    match e.kind {
                        // No such order: nothing was claimed.
                        ErrorKind::NotFound => return Step::Done(Err(e)),
                        // The check is refused (a key revoked since): the claim may still
                        // have landed, so its outcome is unknown, never a refusal.
                        ErrorKind::Unauthorized | ErrorKind::NotOwner => {
                            self.last = Some(e);
                            return Step::Done(Err(
                                self.unknown("claim", "the server refused the check")
                            ));
                        }
                        _ => return self.check_again(e),
                    }
                }
                let verdict =
                    OrderState::parse_for(&body, id).map(|s| rest::reconcile(&s, my_lp_id));
                match verdict {
                    Ok(Reconciled::Ours) => done(Outcome::Claimed(body)),
                    Ok(Reconciled::Taken) => done(Outcome::Taken),
                    Ok(Reconciled::StillOpen) => match self.landing_wait(now, config) {
                        Some(wait) => {
                            self.phase = Phase::CheckPause;
                            Step::Sleep(wait)
                        }
                        None => self.still_open(now, config),
                    },
                    Ok(Reconciled::Undetermined) => self.check_again(LpError::new(
                        ErrorKind::Protocol,
                        "the order's owner cannot be told from the server's answer",
                    )),
                    Err(e) => self.check_again(e),
                }
            }
            (Phase::Checking, Input::NoAnswer(e)) => {
                self.checks += 1;
                self.check_again(e)
            }
            (Phase::CheckPause, Input::Wake) => {
                self.phase = Phase::Checking;
                Step::Fetch(Operation::GetOrder(id).request(config))
            }
            (Phase::Sending, Input::Answer { status, body }) => match status {
                200..=299 => done(Outcome::Order(body)),
                // A definite refusal; 408, 5xx, redirects and the rest may have landed:
                // check.
                400..=499 if status != 408 => {
                    Step::Done(Err(fail(Operation::FiatSent(id), status, &body)))
                }
                _ => self.confirm(fail(Operation::FiatSent(id), status, &body), config),
            },
            (Phase::Sending, Input::NoAnswer(e)) => self.confirm(e, config),
            (
                Phase::Confirming,
                Input::Answer {
                    status: 200..=299,
                    body,
                },
            ) if OrderState::parse_for(&body, id)
                .is_ok_and(|s| matches!(s.status.as_str(), "fiat_sent" | "completed")) =>
            {
                done(Outcome::Order(body))
            }
            // The order is readable and not marked: the fiat-sent did not land.
            (
                Phase::Confirming,
                Input::Answer {
                    status: 200..=299,
                    body,
                },
            ) if OrderState::parse_for(&body, id).is_ok() => {
                let mut e = self.last.take().unwrap_or_else(|| {
                    LpError::new(ErrorKind::Network, "fiat-sent failed").with_order(id)
                });
                e.message
                    .push_str(" (not marked fiat sent: it did not land)");
                Step::Done(Err(e))
            }
            // The check itself failed: nobody knows whether the fiat-sent landed.
            (Phase::Confirming, _) => Step::Done(Err(
                self.unknown("fiat-sent", "the check that would tell failed")
            )),
            (Phase::Looking, Input::Answer { status, body }) => {
                if !(200..300).contains(&status) {
                    return Step::Done(Err(fail(Operation::GetOrder(id), status, &body)));
                }
                match OrderState::parse_for(&body, id) {
                    Ok(_) => done(Outcome::Order(body)),
                    Err(e) => Step::Done(Err(e)),
                }
            }
            (Phase::Looking, Input::NoAnswer(e)) => Step::Done(Err(e)),
            (Phase::Polling, input) => self.poll(input, now, config),
            (Phase::PollPause, Input::Wake) => {
                self.phase = Phase::Polling;
                Step::Fetch(Operation::GetOrder(id).request(config))
            }
            // A driver bug (an input the step did not ask for): end, never loop.
            _ => Step::Done(Err(LpError::new(
                ErrorKind::Protocol,
                "internal: a REST flow got an input out of order",
            )
            .with_order(id))),
        }
    }

    /// The outcome is unknown: ask the server, starting a fresh round of checks.
    fn check(&mut self, cause: Option<LpError>, config: &Config) -> Step {
        self.claim_error = cause.clone();
        self.last = cause;
        self.checks = 0;
        self.pause_ms = FIRST_PAUSE_MS;
        self.phase = Phase::Checking;
        Step::Fetch(Operation::GetOrder(self.id).request(config))
    }

    /// A check could not tell: pause and ask again, or give up with the last reason.
    fn check_again(&mut self, reason: LpError) -> Step {
        self.last = Some(reason);
        if self.checks >= RECONCILE_CHECKS {
            let mut why = String::from("the order's owner could not be checked in ");
            push_u64(&mut why, u64::from(RECONCILE_CHECKS));
            why.push_str(" tries");
            return Step::Done(Err(self.unknown("claim", &why)));
        }
        self.phase = Phase::CheckPause;
        let pause = self.pause_ms;
        self.pause_ms = (self.pause_ms * 2).min(MAX_PAUSE_MS);
        Step::Sleep(pause)
    }

    /// How long a claim request that got no answer may still land at the server: until
    /// twice the request timeout after it was sent (our timeout, then as long again for
    /// a request held on the way). An answered request (any status) can no longer land.
    pub fn landing_window_ms(config: &Config) -> u64 {
        config.request_timeout_ms.saturating_mul(2)
    }

    /// `Some(ms)` to wait before an `open` order proves our unanswered claim never landed.
    fn landing_wait(&self, now: Millis, config: &Config) -> Option<u64> {
        let until = self
            .claim_sent_at
            .saturating_add(Flow::landing_window_ms(config));
        (self.claim_unanswered && now < until).then(|| until - now)
    }

    /// Still open: our claim never landed, so claiming again is safe (a bounded number of
    /// times). Giving up reports the last real cause (a 503 stays `server`).
    fn still_open(&mut self, now: Millis, config: &Config) -> Step {
        let max = match self.kind {
            FlowKind::Claim => MAX_RECLAIMS,
            _ => 1,
        };
        if self.reclaims >= max {
            let mut e = self
                .claim_error
                .take()
                .unwrap_or_else(|| LpError::new(ErrorKind::Network, "the claim got no answer"));
            e.message
                .push_str("; the order is still open: the claim never landed (not retried)");
            return Step::Done(Err(e.with_order(self.id)));
        }
        self.reclaims += 1;
        self.phase = Phase::Claiming;
        self.claim_sent_at = now;
        self.claim_unanswered = false;
        Step::Fetch(Operation::Claim(self.id).request(config))
    }

    /// The `unknown` error for a `what` whose outcome could not be established.
    fn unknown(&self, what: &str, why: &str) -> LpError {
        unknown_error(what, self.id, why, self.last.as_ref())
    }

    /// Whether this flow may have changed the order on the server (a claim or fiat-sent).
    pub fn may_act(&self) -> bool {
        !matches!(
            self.kind,
            FlowKind::GetOrder | FlowKind::WaitForStatus { .. }
        )
    }

    /// The error a caller gets when the client is freed while this flow runs: `unknown`
    /// for a flow that may have changed the order on the server (a claim or fiat-sent
    /// that was sent), `closed` for lookups.
    pub fn abandoned(&self) -> LpError {
        match self.kind {
            FlowKind::Claim | FlowKind::Reconcile => {
                unknown_error("claim", self.id, "the client was freed while it ran", None)
            }
            FlowKind::FiatSent => unknown_error(
                "fiat-sent",
                self.id,
                "the client was freed while it ran",
                None,
            ),
            FlowKind::GetOrder | FlowKind::WaitForStatus { .. } => {
                LpError::new(ErrorKind::Closed, "the client was freed").with_order(self.id)
            }
        }
    }

    /// Fiat-sent got no definite answer: see whether it landed.
    fn confirm(&mut self, cause: LpError, config: &Config) -> Step {
        self.last = Some(cause);
        self.phase = Phase::Confirming;
        Step::Fetch(Operation::GetOrder(self.id).request(config))
    }

    fn poll(&mut self, input: Input, now: Millis, config: &Config) -> Step {
        let FlowKind::WaitForStatus {
            status: want,
            interval_ms,
            timeout_ms,
        } = &self.kind
        else {
            return Step::Done(Err(LpError::new(
                ErrorKind::Protocol,
                "internal: not a poll",
            )));
        };
        match input {
            Input::Answer {
                status: 200..=299,
                body,
            } => match OrderState::parse_for(&body, self.id) {
                Ok(s) if s.status == *want => return done(Outcome::Order(body)),
                Ok(s) if matches!(s.status.as_str(), "cancelled" | "canceled" | "expired") => {
                    let mut m = String::from("the order ended as ");
                    m.push_str(truncate(&s.status, 40));
                    return Step::Done(Err(
                        LpError::new(ErrorKind::Conflict, m).with_order(self.id)
                    ));
                }
                _ => {}
            },
            Input::Answer { status, body } => {
                let e = rest::error_for(Operation::GetOrder(self.id), status, &body, config);
                if matches!(
                    e.kind,
                    ErrorKind::NotFound | ErrorKind::Unauthorized | ErrorKind::NotOwner
                ) {
                    return Step::Done(Err(e));
                }
            }
            _ => {}
        }
        if now.saturating_sub(self.started) + interval_ms > *timeout_ms {
            let mut m = String::from("order did not reach status ");
            m.push_str(truncate(want, 40));
            m.push_str(" in time");
            return Step::Done(Err(LpError::new(ErrorKind::Timeout, m).with_order(self.id)));
        }
        self.phase = Phase::PollPause;
        Step::Sleep(*interval_ms)
    }
}

/// The `unknown` error for a `what` (e.g. "claim") of order `id` whose outcome could not
/// be established, and why ("outcome unknown … check GET /api/orders/{id}"), with the
/// last cause, if any.
fn unknown_error(what: &str, id: OrderId, why: &str, last: Option<&LpError>) -> LpError {
    let mut m = String::from(what);
    m.push_str(" of order ");
    push_u64(&mut m, id);
    m.push_str(": outcome unknown (");
    m.push_str(why);
    m.push_str("): check GET /api/orders/");
    push_u64(&mut m, id);
    m.push_str(" before acting again");
    if let Some(e) = last {
        m.push_str("; last: ");
        m.push_str(&e.message);
    }
    LpError::new(ErrorKind::Unknown, m).with_order(id)
}

fn done(outcome: Outcome) -> Step {
    Step::Done(Ok(outcome))
}

//! Reconciliation: sending the bounded lookups (`GET /api/orders/{id}`) and applying
//! their answers to live and dry-run entries. The answer is read with the core's parser
//! (`rampwire_lp_core::rest::OrderState::parse`: ids and owners may be numeric strings);
//! owners compare as numbers.

use rampwire_lp_core::rest::OrderState;

use super::{Engine, StatusExt};
use crate::action::{Action, Level};
use crate::entry::{DryOutcome, Entry, EntryState, GoneReason};
use crate::failure::FailureKind;
use crate::input::GetAnswer;
use crate::mode::Mode;
use crate::track::InFlight;

/// What a lookup answer says, before it is applied to an entry.
#[derive(Debug, Clone, PartialEq)]
enum View {
    /// `status: open`.
    Open,
    /// Expired or cancelled.
    Closed(GoneReason),
    /// 404.
    NotFound,
    /// Claimed by someone (`owner` when named), in `status`.
    Owned { owner: Option<u64>, status: String },
    /// The answer proves nothing (an error, an unreadable body).
    Unclear(String),
}

impl Engine {
    pub(super) fn on_order_state(&mut self, id: u64, token: u64, answer: GetAnswer) {
        let flight = self.tracks.get(&id).and_then(|t| t.get);
        let Some(get) = flight.filter(|g| g.token == token) else {
            self.log(
                Level::Debug,
                "stale_lookup",
                vec![("id", id.into()), ("token", token.into())],
            );
            return;
        };
        self.gets.note_done();
        if let Some(t) = self.tracks.get_mut(&id) {
            t.get = None;
            t.checks = t.checks.saturating_add(1);
        }
        let Some(mut e) = self.journal.get(id).cloned().filter(|e| !e.is_final()) else {
            self.tracks.remove(&id);
            return;
        };
        e.reconcile_count = e.reconcile_count.saturating_add(1);
        // Counted in memory; written with the entry's next change.
        self.journal.put(e.clone());
        if !matches!(
            answer,
            GetAnswer::Failed {
                kind: FailureKind::RateLimited,
                ..
            }
        ) {
            self.gets.note_answered();
        }
        let view = match answer {
            GetAnswer::NotFound => View::NotFound,
            GetAnswer::Failed { kind, status, .. }
                if kind == FailureKind::NotFound && status.absent_or_404() =>
            {
                View::NotFound
            }
            GetAnswer::Failed {
                kind: FailureKind::Unauthorized,
                message,
                ..
            } => {
                self.stop_client(format!("the LP key was refused on a lookup: {message}"));
                if let Some(t) = self.tracks.get_mut(&id) {
                    t.next_check = Some(self.clock.mono());
                }
                return;
            }
            GetAnswer::Failed { kind, message, .. } => {
                if kind == FailureKind::RateLimited {
                    self.gets.hold(self.clock.mono());
                }
                let mut m = String::from(kind.as_str());
                m.push_str(": ");
                m.push_str(&message);
                View::Unclear(m)
            }
            GetAnswer::Order { body } => match OrderState::parse(&body) {
                Ok(s) if s.id != id => {
                    View::Unclear("the answer is about another order".to_owned())
                }
                Ok(s) => match s.status.as_str() {
                    "open" => View::Open,
                    "expired" => View::Closed(GoneReason::Expired),
                    "cancelled" | "canceled" => View::Closed(GoneReason::Cancelled),
                    _ => View::Owned {
                        owner: s.lp_id,
                        status: s.status,
                    },
                },
                Err(err) => View::Unclear(err.message),
            },
        };
        match e.mode {
            Mode::DryRun => self.apply_dry(e, view),
            Mode::Live => self.apply_live(e, view, get),
        }
    }

    fn apply_live(&mut self, mut e: Entry, view: View, get: InFlight) {
        let id = e.id;
        let pending = e.state == EntryState::Pending;
        let me = self.lp_id;
        match view {
            View::Owned {
                owner: Some(owner),
                status,
            } if me.is_some() => {
                if Some(owner) == me {
                    self.become_ours(e, &status);
                } else if pending {
                    e.state = EntryState::Lost;
                    e.owner = Some(owner);
                    self.settle(e);
                } else {
                    e.owner = Some(owner);
                    self.become_gone(e, GoneReason::OtherOwner { lp_id: owner });
                }
            }
            View::Owned { owner, .. } => {
                let why = if owner.is_some() {
                    "our LP id is not known yet (no init since the start)"
                } else {
                    "the answer names no owner"
                };
                self.unclear(id, why, owner.is_some());
            }
            View::Closed(reason) => self.become_gone(e, reason),
            View::NotFound => self.become_gone(e, GoneReason::NotFound),
            View::Open if pending => {
                let quiet = self.tracks.get(&id).and_then(|t| t.quiet_at);
                if quiet.is_some_and(|q| get.sent_guard >= q) {
                    // Proof: no request of ours could land after this lookup went out,
                    // and the order was still open. A claim the server refused stays
                    // refused; one that never landed may be tried again.
                    let refused = e
                        .error
                        .as_ref()
                        .is_some_and(|err| FailureKind::from_name(&err.kind).refuses_claim());
                    if refused {
                        e.state = EntryState::Failed;
                        self.settle(e);
                    } else {
                        e.state = EntryState::Released;
                        self.settle(e.clone());
                        self.reconsider(&e);
                    }
                } else if quiet.is_none() {
                    // No landing deadline known (cannot happen): start one, prove nothing.
                    self.await_lookup(id, None);
                    if let Some(t) = self.tracks.get_mut(&id) {
                        t.checks = 1;
                    }
                } else if let Some(t) = self.tracks.get_mut(&id) {
                    // Not yet proof: look again once no request can land any more.
                    t.next_check = Some(self.clock.mono());
                }
            }
            View::Open => self.become_gone(e, GoneReason::Reopened),
            View::Unclear(why) => self.unclear(id, &why, false),
        }
    }

    /// The lookup could not tell: try again later (with a backoff on errors).
    pub(super) fn unclear(&mut self, id: u64, why: &str, needs_lp_id: bool) {
        let now = self.clock.mono();
        let interval = self.settings.reconcile_interval_ms;
        if let Some(t) = self.tracks.get_mut(&id) {
            t.errors = t.errors.saturating_add(1);
            t.needs_lp_id = needs_lp_id;
            let backoff = 1_000u64.saturating_mul(1 << t.errors.min(10)).min(interval);
            t.next_check = Some(now.saturating_add(backoff));
        }
        self.log(
            Level::Warn,
            "lookup_unclear",
            vec![("id", id.into()), ("reason", why.into())],
        );
    }

    fn apply_dry(&mut self, mut e: Entry, view: View) {
        let at = self.clock.wall();
        let me = self.lp_id;
        let outcome = match view {
            View::Open => {
                // Persisted: the window's lower bound must survive a restart.
                e.open_seen_at = Some(at);
                e.updated_at = at;
                self.persist(e.clone());
                None
            }
            View::Closed(GoneReason::Expired) => Some(DryOutcome::Expired { at }),
            View::Closed(_) => Some(DryOutcome::Cancelled { at }),
            View::NotFound => Some(DryOutcome::NotFound { at }),
            View::Owned { owner: Some(o), .. } if me == Some(o) => {
                Some(DryOutcome::ClaimedByThisLp { at })
            }
            View::Owned { owner: Some(o), .. } if me.is_some() => {
                Some(DryOutcome::ClaimedByOther { lp_id: Some(o), at })
            }
            // Claimed by someone; whether by this LP's key cannot be told yet.
            View::Owned { owner: Some(_), .. } => None,
            View::Owned { owner: None, .. } => Some(DryOutcome::ClaimedByOther { lp_id: None, at }),
            View::Unclear(_) => None,
        };
        if let Some(o) = outcome {
            self.finish_dry(e, o);
            return;
        }
        let max = self.settings.dry_run_max_checks;
        let interval = self.settings.reconcile_interval_ms;
        let mono = self.clock.mono();
        let Some(t) = self.tracks.get_mut(&e.id) else {
            return;
        };
        if t.checks >= max {
            let outcome = if e.open_seen_at.is_some() {
                DryOutcome::StillOpen {
                    at: e.open_seen_at.unwrap_or(at),
                }
            } else {
                DryOutcome::Unknown {
                    reason: "no lookup could tell the order's fate".to_owned(),
                    at,
                }
            };
            self.finish_dry(e, outcome);
            return;
        }
        t.dry_pause = t.dry_pause.saturating_mul(2).clamp(1, interval);
        t.next_check = Some(mono.saturating_add(t.dry_pause));
    }

    pub(super) fn finish_dry(&mut self, mut e: Entry, outcome: DryOutcome) {
        let window = outcome.at().saturating_sub(e.received_at);
        self.log(
            Level::Info,
            "dry_outcome",
            vec![
                ("id", e.id.into()),
                ("outcome", outcome.as_str().into()),
                ("window_ms", window.into()),
                (
                    "open_at_least_ms",
                    e.open_seen_at
                        .map(|t| t.saturating_sub(e.received_at))
                        .into(),
                ),
            ],
        );
        e.outcome = Some(outcome);
        self.settle(e);
    }

    pub(super) fn send_lookups(&mut self) {
        if !self.loaded || self.stop.is_some() {
            return;
        }
        let mono = self.clock.mono();
        let guard = self.clock.guard();
        let mut due: Vec<(bool, u8, u64, u64)> = Vec::new();
        for (id, t) in &self.tracks {
            let Some(at) = t.next_check else { continue };
            if t.busy() || at > mono || self.quiet_wait(t, guard).is_some() {
                continue;
            }
            let rank = match self.journal.get(*id) {
                Some(e) if e.mode == Mode::Live && e.state == EntryState::Pending => 0,
                Some(e) if e.mode == Mode::Live => 1,
                Some(_) => 2,
                None => continue,
            };
            due.push((!t.forced, rank, at, *id));
        }
        due.sort_unstable();
        for (unforced, _, _, id) in due {
            if !self.gets.can_send(mono, !unforced) {
                if unforced {
                    break;
                }
                continue;
            }
            self.gets.note_sent(mono);
            let token = self.token();
            let flight = self.in_flight(token, self.get_bound());
            if let Some(t) = self.tracks.get_mut(&id) {
                t.get = Some(flight);
                t.next_check = None;
                t.forced = false;
            }
            self.push(Action::GetOrder { id, token });
        }
    }
}

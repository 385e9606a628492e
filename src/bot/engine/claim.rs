//! What a claim came to: the client's outcome for a pending entry. Only a definite one
//! (won, a first attempt's 409, a 404) settles it; every failure, refusals included, is
//! left to a lookup (the client may have re-claimed before it was refused, or been
//! refused the lookup that would have told).

use rampwire_lp_core::rest::OrderState;

use super::{Engine, StatusExt};
use crate::action::Level;
use crate::entry::{EntryError, EntryState, GoneReason};
use crate::failure::FailureKind;
use crate::input::ClaimOutcome;

impl Engine {
    pub(super) fn on_claim_outcome(&mut self, id: u64, token: u64, outcome: ClaimOutcome) {
        let matches = self
            .tracks
            .get(&id)
            .and_then(|t| t.claim)
            .is_some_and(|c| c.token == token);
        let entry = self.journal.get(id).cloned();
        let Some(mut e) = entry.filter(|e| matches && e.state == EntryState::Pending) else {
            self.log(
                Level::Warn,
                "stale_claim_outcome",
                vec![("id", id.into()), ("token", token.into())],
            );
            return;
        };
        if let Some(t) = self.tracks.get_mut(&id) {
            t.claim = None;
        }
        let now = self.clock.wall();
        let latency = e.claim_started_at.map(|s| now.saturating_sub(s));
        let what = match &outcome {
            ClaimOutcome::Claimed { .. } => "claimed",
            ClaimOutcome::Taken => "taken",
            ClaimOutcome::Failed { kind, .. } => kind.as_str(),
        };
        self.log(
            Level::Info,
            "claim_outcome",
            vec![
                ("id", id.into()),
                ("outcome", what.into()),
                ("latency_ms", latency.into()),
            ],
        );
        match outcome {
            ClaimOutcome::Claimed { order, .. } => {
                // The client's verdict stands; the order it returned tells where it is
                // now (a claim may land on an order that was cancelled since).
                let status = order
                    .as_deref()
                    .and_then(|b| OrderState::parse(b).ok())
                    .filter(|s| s.id == id)
                    .map(|s| s.status);
                match status.as_deref() {
                    Some("expired") => self.become_gone(e, GoneReason::Expired),
                    Some("cancelled" | "canceled") => self.become_gone(e, GoneReason::Cancelled),
                    Some(s @ ("fiat_sent" | "completed")) => self.become_ours(e, s),
                    _ => self.become_ours(e, "claimed"),
                }
            }
            // A 409 after an earlier attempt of ours may be that attempt landing late:
            // only the order's owner tells.
            ClaimOutcome::Taken if e.attempts > 1 => self.await_lookup(id, None),
            ClaimOutcome::Taken => {
                e.state = EntryState::Lost;
                self.settle(e);
            }
            ClaimOutcome::Failed {
                kind,
                status,
                message,
            } => {
                e.error = Some(EntryError {
                    kind: kind.as_str().to_owned(),
                    message: message.clone(),
                    at: now,
                });
                if kind == FailureKind::NotFound && status.absent_or_404() {
                    // No such order: no claim of ours can land on it.
                    e.state = EntryState::Gone;
                    e.gone = Some(GoneReason::NotFound);
                    self.settle(e);
                } else {
                    // Even a refusal proves nothing about the client's earlier requests
                    // for this claim (it may have re-claimed after a cut connection):
                    // the entry stays pending and a lookup decides. A refusal proven by
                    // the lookup ends `failed`, not released (no new attempt).
                    e.updated_at = now;
                    self.persist(e);
                    self.await_lookup(id, None);
                    if kind == FailureKind::Unauthorized {
                        self.stop_client(format!("the LP key was refused on a claim: {message}"));
                    }
                }
            }
        }
    }

    /// A pending entry whose claim outcome is unknown: look it up now; `open` proves
    /// nothing until no request of ours can land any more.
    pub(super) fn await_lookup(&mut self, id: u64, quiet_from: Option<u64>) {
        let quiet = self
            .clock
            .guard()
            .max(quiet_from.unwrap_or(0))
            .saturating_add(self.quiet_span());
        let now = self.clock.mono();
        let t = self.tracks.entry(id).or_default();
        t.quiet_at = Some(t.quiet_at.map_or(quiet, |q| q.max(quiet)));
        t.next_check = Some(now);
        t.checks = 0;
        t.errors = 0;
    }
}

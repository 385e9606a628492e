//! State changes of entries (ours, gone, final) and of the bot (stopped, socket wanted),
//! each with its journal write, notice and log line.

use super::{Engine, Stop, StopKind};
use crate::action::{Action, Level, Notice, Value};
use crate::entry::{Entry, EntryState, GoneReason};
use crate::mode::Mode;
use crate::order::OrderInfo;

impl Engine {
    /// The server says the order is ours, in `status`.
    pub(super) fn become_ours(&mut self, e: Entry, status: &str) {
        let was = e.state;
        let state = match status {
            "completed" => EntryState::Completed,
            "fiat_sent" => EntryState::FiatSent,
            // Never back from fiat sent to claimed.
            _ if was == EntryState::FiatSent => EntryState::FiatSent,
            _ => EntryState::Claimed,
        };
        let (id, currency, fiat, usd) = (e.id, e.currency.clone(), e.amount_fiat, e.amount_usd);
        if state == was {
            self.reschedule(id);
            return;
        }
        self.set_state(e, state);
        if was == EntryState::Pending && state != EntryState::Completed {
            self.push(Action::Notify {
                notice: Notice::ClaimWon {
                    id,
                    currency,
                    amount_fiat: fiat,
                    amount_usd: usd,
                },
            });
        }
        if state == EntryState::Completed {
            self.push(Action::Notify {
                notice: Notice::Completed { id },
            });
        }
    }

    pub(super) fn become_gone(&mut self, mut e: Entry, reason: GoneReason) {
        let held = e.state.is_ours();
        let id = e.id;
        e.state = EntryState::Gone;
        e.gone = Some(reason.clone());
        self.settle(e);
        if held {
            self.push(Action::Notify {
                notice: Notice::ClaimGone { id, reason },
            });
        }
    }

    /// A non-final state change; the entry is looked up again at the interval.
    pub(super) fn set_state(&mut self, mut e: Entry, state: EntryState) {
        let from = e.state;
        let id = e.id;
        e.state = state;
        if e.is_final() {
            self.settle(e);
            return;
        }
        e.updated_at = self.clock.wall();
        self.log(
            Level::Info,
            "reconciled",
            vec![
                ("id", id.into()),
                ("from", from.as_str().into()),
                ("to", state.as_str().into()),
            ],
        );
        self.persist(e);
        if let Some(t) = self.tracks.get_mut(&id) {
            t.checks = 0;
            t.errors = 0;
            t.quiet_at = None;
            t.forced = false;
        }
        self.reschedule(id);
    }

    pub(super) fn reschedule(&mut self, id: u64) {
        let at = self
            .clock
            .mono()
            .saturating_add(self.settings.reconcile_interval_ms);
        let t = self.tracks.entry(id).or_default();
        t.forced = false;
        if !t.busy() {
            t.next_check = Some(at);
        }
    }

    /// The entry became final: persist it and forget its track.
    pub(super) fn settle(&mut self, mut e: Entry) {
        let now = self.clock.wall();
        let from = self.journal.get(e.id).map(|old| old.state);
        e.updated_at = now;
        e.final_at = Some(now);
        let (id, state) = (e.id, e.state);
        let mut fields = vec![
            ("id", Value::from(id)),
            ("from", from.map(EntryState::as_str).into()),
            ("to", state.as_str().into()),
        ];
        if let Some(g) = &e.gone {
            fields.push(("reason", g.as_str().into()));
        }
        if let Some(o) = e.owner {
            fields.push(("owner", o.into()));
        }
        self.persist(e);
        if let Some(t) = self.tracks.remove(&id) {
            if t.get.is_some() {
                self.gets.note_done();
            }
        }
        let level = if state == EntryState::Gone {
            Level::Warn
        } else {
            Level::Info
        };
        let event = match state {
            EntryState::Completed => "completed",
            EntryState::Released => "released",
            EntryState::Gone => "gone",
            _ => "settled",
        };
        self.log(level, event, fields);
    }

    /// After a release: the order was open a moment ago, so the policy may want it again.
    pub(super) fn reconsider(&mut self, e: &Entry) {
        if self.mode != Mode::Live {
            return;
        }
        let order = OrderInfo {
            id: e.id,
            currency: e.currency.clone(),
            amount_fiat: e.amount_fiat,
            amount_usd: e.amount_usd,
            crypto_symbol: e.crypto_symbol.clone(),
            crypto_chain: e.crypto_chain.clone(),
            status: "open".to_owned(),
            received_at: e.received_at,
        };
        self.on_order(order);
    }

    pub(super) fn stop_client(&mut self, reason: String) {
        if self.stop.is_some() {
            return;
        }
        let at = self.clock.wall();
        self.stop = Some(Stop {
            kind: StopKind::Client,
            reason: reason.clone(),
            at,
        });
        self.last_error = Some((at, reason.clone()));
        self.log(
            Level::Error,
            "stopped",
            vec![("reason", reason.clone().into())],
        );
        self.push(Action::Notify {
            notice: Notice::Stopped { reason },
        });
        // The client has failed: close it for good (nothing reconnects until resume).
        self.socket_wanted = false;
        self.push(Action::Disconnect);
    }

    pub(super) fn update_socket(&mut self) {
        let want = self.loaded && self.stop.is_none() && !self.paused;
        if want != self.socket_wanted {
            self.socket_wanted = want;
            self.push(if want {
                Action::Connect
            } else {
                Action::Disconnect
            });
            if !want {
                self.connected = false;
            }
        }
    }
}

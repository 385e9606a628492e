//! What time does: requests the driver never reported give up at their deadline (on the
//! guard clock), due lookups go out, and the journal is compacted.

use super::{Engine, COMPACT_EVERY_MS};
use crate::action::{Action, Level};
use crate::entry::EntryError;
use crate::failure::FailureKind;
use crate::journal::DAY_MS;

impl Engine {
    /// Everything due: deadlines of requests that never reported, lookups, compaction.
    pub(super) fn tick(&mut self) {
        self.expire();
        self.send_lookups();
        let over_cap = self.journal.len() > self.settings.journal_max_entries as usize;
        if self.loaded && (over_cap || self.clock.mono() >= self.next_compact) {
            self.compact();
        }
    }

    /// Requests the driver never reported, past their deadline (on the guard clock, so a
    /// forward jump of the wall clock cannot give up on a request still under way).
    pub(super) fn expire(&mut self) {
        let mono = self.clock.mono();
        let guard = self.clock.guard();
        let overdue: Vec<u64> = self
            .tracks
            .iter()
            .filter(|(_, t)| {
                [t.claim, t.get, t.fiat]
                    .iter()
                    .flatten()
                    .any(|f| guard >= f.deadline)
            })
            .map(|(id, _)| *id)
            .collect();
        for id in overdue {
            let Some(t) = self.tracks.get_mut(&id) else {
                continue;
            };
            if t.get.is_some_and(|g| guard >= g.deadline) {
                t.get = None;
                self.gets.note_done();
                self.unclear(id, "the lookup got no answer from the driver", false);
            }
            let Some(t) = self.tracks.get_mut(&id) else {
                continue;
            };
            if t.fiat.is_some_and(|f| guard >= f.deadline) {
                t.fiat = None;
                t.next_check = Some(mono);
                self.log(Level::Warn, "fiat_sent_unanswered", vec![("id", id.into())]);
            }
            let Some(t) = self.tracks.get_mut(&id) else {
                continue;
            };
            if t.claim.is_some_and(|c| guard >= c.deadline) {
                t.claim = None;
                self.log(
                    Level::Error,
                    "claim_unanswered",
                    vec![
                        ("id", id.into()),
                        (
                            "reason",
                            "the driver never reported the claim's outcome".into(),
                        ),
                    ],
                );
                if let Some(mut e) = self.journal.get(id).cloned() {
                    let now = self.clock.wall();
                    e.error = Some(EntryError {
                        kind: FailureKind::Unknown.as_str().to_owned(),
                        message: "the driver never reported the claim's outcome".to_owned(),
                        at: now,
                    });
                    e.updated_at = now;
                    self.persist(e);
                }
                self.await_lookup(id, None);
            }
        }
    }

    pub(super) fn compact(&mut self) {
        let retention = u64::from(self.settings.journal_retention_days).saturating_mul(DAY_MS);
        let max = self.settings.journal_max_entries as usize;
        let dropped = self.journal.compact(self.clock.wall(), retention, max);
        if !dropped.is_empty() {
            self.log(
                Level::Info,
                "compacted",
                vec![("dropped", (dropped.len() as u64).into())],
            );
        }
        for id in dropped {
            self.tracks.remove(&id);
            self.push(Action::Forget { id });
        }
        self.next_compact = self.clock.mono().saturating_add(COMPACT_EVERY_MS);
    }
}

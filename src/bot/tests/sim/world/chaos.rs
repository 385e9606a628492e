//! What goes wrong, at random: restarts (memory lost, journal kept), socket drops,
//! wall-clock jumps, unsolicited frames, a refused key, and the operator's commands.

use super::*;

impl World {
    pub(super) fn chaos(&mut self) {
        let r = self.rng.range(0, 999);
        match r {
            0..=19 => self.restart(),
            20..=39 => {
                let keys: Vec<(u32, u32)> = self
                    .sockets
                    .keys()
                    .copied()
                    .filter(|k| k.0 == self.bot.inst)
                    .collect();
                for k in keys {
                    self.note("chaos: socket dropped".into());
                    self.server_close(k, 1);
                }
            }
            40..=49 => {
                let jump = self.rng.range(1_000, 3 * 3_600_000) as i64;
                let back = self.rng.chance(0.5);
                self.skew += if back { -jump } else { jump };
                self.skew = self.skew.max(-(START as i64) + DAY_MS as i64);
                self.last_jump = self.t;
                self.note(format!(
                    "chaos: wall clock jumps {}{} ms",
                    if back { "-" } else { "+" },
                    jump
                ));
            }
            50..=69 => {
                let ids: Vec<u64> = self.model.orders.keys().copied().collect();
                let Some(&id) = self.rng.pick(&ids) else {
                    return;
                };
                let frame = match self.rng.range(0, 2) {
                    0 => format!(r#"{{"type":"claimed","order_id":{id}}}"#),
                    1 => format!(r#"{{"type":"order_taken","order_id":{id}}}"#),
                    _ => r#"{"type":"surprise","x":1}"#.to_owned(),
                };
                self.note(format!("chaos: unsolicited {}", short(&frame)));
                self.broadcast(&frame, None);
            }
            70..=169 => {
                // The operator sent the fiat for one of our claims.
                let claimed: Vec<u64> = self
                    .store
                    .values()
                    .filter(|e| e.mode == Mode::Live && e.state == EntryState::Claimed)
                    .map(|e| e.id)
                    .collect();
                if let Some(&id) = self.rng.pick(&claimed) {
                    self.note(format!("operator: fiat sent {id}"));
                    self.inbox
                        .push_back(Input::Command(Command::FiatSent { id }));
                    self.pump();
                }
            }
            170..=174 => {
                self.note("operator: pause".into());
                self.inbox.push_back(Input::Command(Command::Pause));
                self.pump();
            }
            175..=199 => {
                let st = self.bot.engine.status(self.wall());
                if st.paused || (st.stopped.is_some() && !self.model.key_rejected) {
                    self.note("operator: resume".into());
                    self.inbox.push_back(Input::Command(Command::Resume));
                    self.pump();
                }
            }
            200..=214 if self.scenario == Scenario::Mixed => {
                let c = if self.bot.engine.mode() == Mode::Live {
                    Command::GoDryRun
                } else {
                    Command::GoLive
                };
                self.note(format!("operator: {c:?}"));
                self.inbox.push_back(Input::Command(c));
                self.pump();
            }
            215..=224 => {
                let ids: Vec<u64> = self
                    .store
                    .values()
                    .filter(|e| !e.is_final())
                    .map(|e| e.id)
                    .collect();
                if let Some(&id) = self.rng.pick(&ids) {
                    self.note(format!("operator: release {id}"));
                    self.inbox
                        .push_back(Input::Command(Command::Release { id }));
                    self.pump();
                }
            }
            225..=227 => {
                self.model.key_rejected = true;
                self.note("chaos: the key is now refused".into());
                let keys: Vec<(u32, u32)> = self.sockets.keys().copied().collect();
                for k in keys {
                    self.server_close(k, 1);
                }
            }
            228..=260 => {
                if self.model.key_rejected {
                    self.model.key_rejected = false;
                    self.note("chaos: the key is accepted again".into());
                }
            }
            261..=290 => {
                let ms = self.rng.range(20, 400);
                self.inbox.push_back(Input::RttSample { ms });
                self.pump();
            }
            291..=295 if self.scenario == Scenario::Mixed => {
                // The operator flips DRY_RUN in the settings; it applies on the next start.
                self.settings.dry_run = !self.settings.dry_run;
                self.note(format!(
                    "operator: DRY_RUN setting now {}",
                    self.settings.dry_run
                ));
            }
            _ => self.next_event(),
        }
    }

    /// The bot process dies: memory, flows, sockets and in-flight answers are lost; the
    /// store is kept; requests already sent may still land.
    pub(super) fn restart(&mut self) {
        self.crash = false;
        self.report.restarts += 1;
        let keys: Vec<(u32, u32)> = self.sockets.keys().copied().collect();
        for k in keys {
            self.sockets.remove(&k);
        }
        let inst = self.bot.inst + 1;
        self.bot = new_bot(
            inst,
            &self.settings,
            self.seed.wrapping_add(u64::from(inst)),
        );
        self.inbox.clear();
        self.note(format!(
            "RESTART as instance {inst} ({} entries stored)",
            self.store.len()
        ));
        self.inbox.push_back(Input::Load {
            entries: self.store.values().cloned().collect(),
            modes: self.modes.values().cloned().collect(),
        });
        self.pump();
    }
}

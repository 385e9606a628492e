//! Operator commands (pause, resume, fiat sent, release, go live, go dry run), the
//! fiat-sent request they start, and the mode records they write.

use rampwire_lp_core::rest::OrderState;

use super::{Engine, Stop, StopKind};
use crate::action::{Action, Level, Notice};
use crate::entry::{DryOutcome, EntryError, EntryState};
use crate::failure::FailureKind;
use crate::input::{Command, FiatSentOutcome};
use crate::mode::{Mode, ModeRecord, ModeSource};
use crate::track::Track;

impl Engine {
    pub(super) fn on_fiat_sent_outcome(&mut self, id: u64, token: u64, outcome: FiatSentOutcome) {
        let matches = self
            .tracks
            .get(&id)
            .and_then(|t| t.fiat)
            .is_some_and(|f| f.token == token);
        let entry = self.journal.get(id).cloned().filter(|e| !e.is_final());
        let Some(mut e) = entry.filter(|_| matches) else {
            self.log(
                Level::Warn,
                "stale_fiat_sent_outcome",
                vec![("id", id.into()), ("token", token.into())],
            );
            return;
        };
        let mono = self.clock.mono();
        if let Some(t) = self.tracks.get_mut(&id) {
            t.fiat = None;
            // Whatever it said, a lookup soon confirms where the order is.
            t.next_check = Some(mono);
        }
        match outcome {
            FiatSentOutcome::Order { body } => {
                let status = OrderState::parse(&body).ok().map(|s| s.status);
                self.log(
                    Level::Info,
                    "fiat_sent",
                    vec![("id", id.into()), ("status", status.clone().into())],
                );
                match status.as_deref() {
                    Some("fiat_sent") => self.set_state(e, EntryState::FiatSent),
                    Some("completed") => self.become_ours(e, "completed"),
                    _ => {}
                }
            }
            FiatSentOutcome::Failed { kind, message, .. } => {
                e.error = Some(EntryError {
                    kind: kind.as_str().to_owned(),
                    message: message.clone(),
                    at: self.clock.wall(),
                });
                e.updated_at = self.clock.wall();
                self.persist(e);
                self.log(
                    Level::Warn,
                    "fiat_sent_failed",
                    vec![
                        ("id", id.into()),
                        ("kind", kind.as_str().into()),
                        ("message", message.clone().into()),
                    ],
                );
                if kind == FailureKind::Unauthorized {
                    self.stop_client(format!("the LP key was refused on fiat-sent: {message}"));
                }
            }
        }
    }

    pub(super) fn on_command(&mut self, c: Command) {
        let name = command_name(&c);
        if let Some(Stop {
            kind: StopKind::Settings,
            reason,
            ..
        }) = &self.stop
        {
            let reason = format!("a setting is invalid: {reason}");
            self.refuse(name, reason);
            return;
        }
        if !self.loaded {
            self.refuse(name, "the journal is not loaded yet".to_owned());
            return;
        }
        match c {
            Command::Pause => {
                if self.paused {
                    self.refuse(name, "already paused".to_owned());
                } else {
                    self.write_mode(self.mode, true, ModeSource::Command);
                }
            }
            Command::Resume => {
                let was_stopped = self.stop.take().is_some();
                if was_stopped {
                    self.log(Level::Info, "resumed_after_stop", vec![]);
                    let now = self.clock.mono();
                    for t in self.tracks.values_mut() {
                        if !t.busy() {
                            t.next_check = Some(t.next_check.map_or(now, |n| n.min(now)));
                        }
                    }
                }
                if self.paused {
                    self.write_mode(self.mode, false, ModeSource::Command);
                } else if !was_stopped {
                    self.refuse(name, "not paused".to_owned());
                }
            }
            Command::GoLive | Command::GoDryRun => {
                let mode = if matches!(c, Command::GoLive) {
                    Mode::Live
                } else {
                    Mode::DryRun
                };
                if self.mode == mode {
                    self.refuse(name, format!("already {}", mode.as_str()));
                } else {
                    self.write_mode(mode, self.paused, ModeSource::Command);
                }
            }
            Command::FiatSent { id } => self.command_fiat_sent(id),
            Command::Release { id } => self.command_release(id),
        }
        self.update_socket();
    }

    pub(super) fn command_fiat_sent(&mut self, id: u64) {
        let refuse = |why: &str| why.to_owned();
        let why = match self.journal.get(id) {
            None => Some(refuse("no such entry in the journal")),
            Some(e) if e.mode != Mode::Live => Some(refuse("a dry-run entry was never claimed")),
            Some(_) if self.mode == Mode::DryRun => Some(refuse(
                "the bot is in dry run, which sends no fiat-sent: go live first",
            )),
            Some(_) if self.stop.is_some() => Some(refuse("the bot is stopped")),
            Some(e) if e.state == EntryState::FiatSent => Some(refuse("already marked fiat sent")),
            Some(e) if e.state != EntryState::Claimed => {
                Some(format!("the entry is {}, not claimed", e.state.as_str()))
            }
            Some(_) if self.tracks.get(&id).is_some_and(Track::busy) => {
                Some(refuse("a request for this order is under way; try again"))
            }
            Some(_) => None,
        };
        if let Some(why) = why {
            self.refuse("fiat_sent", why);
            return;
        }
        let Some(mut e) = self.journal.get(id).cloned() else {
            return;
        };
        let now = self.clock.wall();
        e.fiat_sent_requested_at = Some(now);
        e.updated_at = now;
        self.persist(e);
        let token = self.token();
        let flight = self.in_flight(token, self.fiat_bound());
        let t = self.tracks.entry(id).or_default();
        t.fiat = Some(flight);
        t.next_check = None;
        self.push(Action::FiatSent { id, token });
        self.log(Level::Info, "fiat_sent_requested", vec![("id", id.into())]);
    }

    pub(super) fn command_release(&mut self, id: u64) {
        let Some(e) = self.journal.get(id).cloned() else {
            self.refuse("release", "no such entry in the journal".to_owned());
            return;
        };
        if e.is_final() {
            self.refuse(
                "release",
                format!("the entry is already final ({})", e.state.as_str()),
            );
            return;
        }
        if e.mode == Mode::DryRun {
            let at = self.clock.wall();
            let reason = "released by the operator".to_owned();
            self.finish_dry(e, DryOutcome::Unknown { reason, at });
            return;
        }
        let busy = self.tracks.get(&id).is_some_and(|t| t.claim.is_some());
        if busy {
            self.refuse(
                "release",
                "its claim is under way: the claim's outcome settles it".to_owned(),
            );
            return;
        }
        // Never released without proof: look it up now, past the rate limit.
        let now = self.clock.mono();
        let t = self.tracks.entry(id).or_default();
        t.forced = true;
        t.next_check = Some(now);
        self.log(Level::Info, "release_requested", vec![("id", id.into())]);
    }

    pub(super) fn write_mode(&mut self, mode: Mode, paused: bool, source: ModeSource) {
        let was = (self.mode, self.paused);
        let record = ModeRecord {
            seq: self.next_mode_seq,
            at: self.clock.wall(),
            mode,
            paused,
            source,
            dry_run_setting: self.settings.dry_run,
            lp_id: self.lp_id,
        };
        self.next_mode_seq = self.next_mode_seq.saturating_add(1);
        self.mode = mode;
        self.paused = paused;
        for seq in self.journal.put_mode(record.clone()) {
            self.push(Action::ForgetMode { seq });
        }
        self.push(Action::PersistMode { record });
        if source == ModeSource::Connection {
            self.log(
                Level::Info,
                "lp_id_recorded",
                vec![("lp_id", self.lp_id.into())],
            );
            return;
        }
        self.push(Action::Notify {
            notice: Notice::ModeChanged {
                mode,
                paused,
                source,
            },
        });
        self.log(
            Level::Info,
            "mode_changed",
            vec![
                ("from", was.0.as_str().into()),
                ("to", mode.as_str().into()),
                ("paused", paused.into()),
                ("was_paused", was.1.into()),
                ("source", source.as_str().into()),
            ],
        );
    }

    pub(super) fn refuse(&mut self, command: &'static str, reason: String) {
        self.log(
            Level::Warn,
            "command_refused",
            vec![
                ("command", command.into()),
                ("reason", reason.clone().into()),
            ],
        );
        self.push(Action::Notify {
            notice: Notice::Refused { command, reason },
        });
    }
}

fn command_name(c: &Command) -> &'static str {
    match c {
        Command::Pause => "pause",
        Command::Resume => "resume",
        Command::FiatSent { .. } => "fiat_sent",
        Command::Release { .. } => "release",
        Command::GoLive => "go_live",
        Command::GoDryRun => "go_dry_run",
    }
}

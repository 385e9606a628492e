//! The bot engine, sans I/O (after quinn-proto and str0m): inputs and the wall-clock time
//! go in ([`Engine::handle`], [`Engine::handle_timeout`]), actions come out
//! ([`Engine::poll_action`], drained until `None` after every input), and
//! [`Engine::poll_delay`] says how long after that input to call `handle_timeout`
//! ([`Engine::poll_timeout`]: the same as a wall-clock deadline). No I/O, no clock, no
//! randomness inside.
//!
//! # The driver's contract
//! 1. Build the engine from the settings ([`Engine::from_settings`]; a bad setting gives a
//!    stopped engine whose status says why), then hand it the stored journal with
//!    [`Input::Load`] before anything else.
//! 2. After every input, drain [`Engine::poll_action`] and carry the actions out in
//!    order. A `Persist*`/`Forget*` must be durable before any later action is carried
//!    out (the `pending` entry is on disk before the claim it guards).
//! 3. Report every `Claim`, `GetOrder` and `FiatSent` with its token, whatever happens
//!    (the client's own error is an answer too; pass a won claim's returned order along).
//!    After a restart, nothing of the old run is reported: the engine assumes its
//!    requests may still land. `Disconnect` closes the socket only: keep the client, so
//!    that requests under way still report.
//! 4. Feed socket events (`Connected`, `Disconnected`, `Order`, `OrderTaken`, `Fatal`),
//!    operator commands, and round-trip samples; after each input, arm one monotonic
//!    timer (`setTimeout`) for `poll_delay`. `status` and `summary` are pure queries.
//!
//! # Rules it enforces
//! - No claim before the journal is loaded, while paused or stopped, in a dry run, or
//!   outside the policy (limits derived from the journal at the moment of the claim).
//! - Never a second claim request for an order unless a lookup proved the first never
//!   landed: a `pending` entry is settled by the claim's own answer only when it is
//!   definite (won, 409 on a first attempt, 404); every failure, refusals included (the
//!   client may have re-claimed before it was refused, or been refused a lookup), is
//!   settled by a lookup;
//!   `open` proves nothing until no request of ours can land any more (2 × the request
//!   timeout after the last moment one could have been sent, on the guard clock, see
//!   [`crate::clock`]); then the entry is `released` and the order may be claimed again.
//! - Claimed and fiat-sent entries are looked up every `RECONCILE_INTERVAL_MS`: completed,
//!   expired, cancelled, foreign or unknown orders free their collateral slot.
//! - A rejected key or a bad setting stops the bot (disconnect, notice) until the
//!   operator resumes or fixes the setting; nothing reconnects on its own.
//! - Lookups are bounded: `MAX_GETS_IN_FLIGHT` at once, `MAX_GETS_PER_MINUTE`.

use std::collections::{BTreeMap, VecDeque};

use rampwire_lp_core::rest::OrderState;

use crate::action::{Action, Fields, Level, Notice, Value};
use crate::budget::GetBudget;
use crate::clock::{Clock, MAX_STEP_MS};
use crate::entry::{DryOutcome, Entry, EntryError, EntryState, GoneReason, MAX_ID};
use crate::failure::FailureKind;
use crate::input::{ClaimOutcome, Command, FiatSentOutcome, GetAnswer, Input};
use crate::journal::{Journal, DAY_MS};
use crate::mode::{Mode, ModeRecord, ModeSource};
use crate::order::OrderInfo;
use crate::policy::{Policy, SkipRule, Verdict};
use crate::settings::{Settings, SettingsError};
use crate::stats::Stats;
use crate::summary::{DryRunSummary, Status, StopInfo};
use crate::track::{InFlight, Track};

/// Dry-run entries waiting for a lookup at once; beyond, new would-claims are skipped.
pub const MAX_DRY_AWAITING: usize = 1_000;
/// How often the journal is compacted (`mono` ms).
const COMPACT_EVERY_MS: u64 = 3_600_000;
/// First pause before a dry-run entry's lookup when no round trip was measured.
const DRY_FIRST_PAUSE_MS: u64 = 500;

/// Why the bot is stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum StopKind {
    /// A setting is invalid: fix it (resume cannot help).
    Settings,
    /// The client stopped for good (a rejected key): resume tries once more.
    Client,
}

#[derive(Debug, Clone)]
struct Stop {
    kind: StopKind,
    reason: String,
    at: u64,
}

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

/// The bot engine. See the module docs for the contract.
#[derive(Debug)]
pub struct Engine {
    settings: Settings,
    journal: Journal,
    tracks: BTreeMap<u64, Track>,
    clock: Clock,
    gets: GetBudget,
    mode: Mode,
    paused: bool,
    stop: Option<Stop>,
    loaded: bool,
    lp_id: Option<u64>,
    connected: bool,
    socket_wanted: bool,
    actions: VecDeque<Action>,
    next_token: u64,
    next_mode_seq: u64,
    next_compact: u64,
    stats: Stats,
    last_error: Option<(u64, String)>,
}

impl Engine {
    /// An engine for valid settings (in the `DRY_RUN` mode until the journal says more).
    pub fn new(settings: Settings) -> Engine {
        let t = settings.request_timeout_ms;
        Engine {
            clock: Clock::new((t / 2).max(1)),
            gets: GetBudget::new(settings.max_gets_in_flight, settings.max_gets_per_minute),
            mode: Mode::from_dry_run(settings.dry_run),
            settings,
            journal: Journal::new(),
            tracks: BTreeMap::new(),
            paused: false,
            stop: None,
            loaded: false,
            lp_id: None,
            connected: false,
            socket_wanted: false,
            actions: VecDeque::new(),
            next_token: 1,
            next_mode_seq: 1,
            next_compact: 0,
            stats: Stats::default(),
            last_error: None,
        }
    }

    /// An engine stopped by a bad setting: it claims nothing, looks nothing up and never
    /// connects; its status says which setting is wrong and why.
    pub fn invalid(error: &SettingsError) -> Engine {
        let mut e = Engine::new(Settings::refuse_all());
        e.stop = Some(Stop {
            kind: StopKind::Settings,
            reason: error.to_string(),
            at: 0,
        });
        e
    }

    /// [`Engine::new`] or [`Engine::invalid`], and a notice of the bad setting.
    pub fn from_settings(settings: Result<Settings, SettingsError>) -> Engine {
        match settings {
            Ok(s) => Engine::new(s),
            Err(err) => {
                let mut e = Engine::invalid(&err);
                e.push(Action::Notify {
                    notice: Notice::Stopped {
                        reason: err.to_string(),
                    },
                });
                e.log(
                    Level::Error,
                    "fatal_setting",
                    vec![
                        ("setting", err.setting().map(str::to_owned).into()),
                        ("message", err.to_string().into()),
                    ],
                );
                e
            }
        }
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The journal as the engine holds it (what has been persisted, plus in-memory
    /// lookup counts).
    pub fn journal(&self) -> &Journal {
        &self.journal
    }

    /// The current mode.
    pub fn mode(&self) -> Mode {
        self.mode
    }

    /// Our LP id, once the socket told us.
    pub fn lp_id(&self) -> Option<u64> {
        self.lp_id
    }

    /// The next action, if any. Drain after every input.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// Time passed: fires whatever is due.
    pub fn handle_timeout(&mut self, now: u64) {
        self.handle(now, Input::Timeout);
    }

    /// Feeds one input at wall time `now` (ms since the epoch).
    pub fn handle(&mut self, now: u64, input: Input) {
        self.clock.advance(now);
        match input {
            Input::Load { entries, modes } => self.on_load(entries, modes),
            Input::Connected { lp_id } => self.on_connected(lp_id),
            Input::Disconnected { reason } => {
                self.connected = false;
                self.log(Level::Info, "disconnected", vec![("reason", reason.into())]);
            }
            Input::Order { order } => self.on_order(order),
            Input::OrderTaken { id } => self.on_order_taken(id),
            Input::ClaimOutcome { id, token, outcome } => self.on_claim_outcome(id, token, outcome),
            Input::OrderState { id, token, answer } => self.on_order_state(id, token, answer),
            Input::FiatSentOutcome { id, token, outcome } => {
                self.on_fiat_sent_outcome(id, token, outcome)
            }
            Input::Fatal { kind, message } => {
                let mut reason = String::from("the client stopped: ");
                reason.push_str(&message);
                if kind == FailureKind::Unauthorized {
                    reason.push_str(" (the LP key was refused: fix it, then resume)");
                }
                self.stop_client(reason);
            }
            Input::Command(c) => self.on_command(c),
            Input::RttSample { ms } => self.stats.rtt_sample(ms),
            Input::Timeout => {}
        }
        self.tick();
    }

    /// When to call [`Engine::handle_timeout`] next (wall ms), if anything is scheduled:
    /// the `now` of the last input plus [`Engine::poll_delay`]. Never more than a minute
    /// ahead. To arm a timer, prefer `poll_delay`: a deadline minus a clock read later is
    /// wrong by however far the wall clock jumped in between.
    pub fn poll_timeout(&self) -> Option<u64> {
        self.poll_delay()
            .map(|d| self.clock.wall().saturating_add(d))
    }

    /// How long after the last input to call [`Engine::handle_timeout`] (ms), if anything
    /// is scheduled; at most a minute. Arm the timer with this (a monotonic timer such as
    /// `setTimeout` is immune to wall-clock jumps).
    pub fn poll_delay(&self) -> Option<u64> {
        let mono = self.clock.mono();
        let guard = self.clock.guard();
        let mut best: Option<u64> = None;
        let mut consider = |t: u64| best = Some(best.map_or(t, |b: u64| b.min(t)));
        let budget_at = self.gets.next_free_at(mono);
        let may_look = self.loaded && self.stop.is_none();
        for track in self.tracks.values() {
            for f in [track.claim, track.get, track.fiat].into_iter().flatten() {
                // Deadlines run on the guard clock: wake at its pace.
                let left = f.deadline.saturating_sub(guard);
                consider(mono.saturating_add(left.min(self.clock.guard_step())));
            }
            if track.busy() || !may_look {
                continue;
            }
            if let Some(at) = track.next_check {
                match self.quiet_wait(track, guard) {
                    // Waiting on the guard clock: wake at its pace.
                    Some(left) => consider(mono.saturating_add(left.min(self.clock.guard_step()))),
                    // A forced lookup waits only for a free slot (an answer wakes us).
                    None if track.forced => {
                        if self.gets.has_slot() {
                            consider(at);
                        }
                    }
                    None => {
                        if let Some(free) = budget_at {
                            consider(at.max(free));
                        }
                    }
                }
            }
        }
        if self.loaded {
            consider(self.next_compact);
        }
        best.map(|t| t.min(mono.saturating_add(MAX_STEP_MS)).saturating_sub(mono))
    }

    /// How much longer (guard ms) a pending entry must wait before a lookup can prove
    /// anything, if it must.
    fn quiet_wait(&self, track: &Track, guard: u64) -> Option<u64> {
        // The first lookup after an unknown outcome goes at once: it may show the order
        // ours, another's or closed. Only `open` must wait.
        if track.checks == 0 {
            return None;
        }
        track.quiet_at.filter(|q| *q > guard).map(|q| q - guard)
    }

    // ---- inputs ------------------------------------------------------------------------

    fn on_load(&mut self, entries: Vec<Entry>, modes: Vec<ModeRecord>) {
        if self.loaded {
            self.log(
                Level::Error,
                "load_ignored",
                vec![("reason", "the journal was already loaded".into())],
            );
            return;
        }
        self.loaded = true;
        for r in modes {
            self.next_mode_seq = self.next_mode_seq.max(r.seq.saturating_add(1));
            for seq in self.journal.put_mode(r) {
                self.push(Action::ForgetMode { seq });
            }
        }
        let (mut duplicates, mut refused) = (0u64, 0u64);
        for e in entries {
            if e.id > MAX_ID {
                refused += 1;
                continue;
            }
            if let Some(old) = self.journal.get(e.id) {
                duplicates += 1;
                if old.updated_at > e.updated_at {
                    continue;
                }
            }
            self.journal.put(e);
        }
        if self.stop.is_none() {
            self.resolve_mode();
        }
        // Provisional until the socket says (a paused bot never connects).
        self.lp_id = self.journal.latest_mode().and_then(|r| r.lp_id);
        let (mono, guard) = (self.clock.mono(), self.clock.guard());
        let quiet = self.quiet_span();
        let ids: Vec<u64> = self.journal.non_final().collect();
        let mut pending = 0u64;
        for id in ids {
            let Some(e) = self.journal.get(id) else {
                continue;
            };
            let mut track = Track {
                next_check: Some(mono),
                ..Track::default()
            };
            if e.mode == Mode::Live && e.state == EntryState::Pending {
                // A claim of the previous run may still be travelling: it can land until
                // 2 × the timeout after now (it was sent before now).
                track.quiet_at = Some(guard.saturating_add(quiet));
                pending += 1;
            }
            if e.mode == Mode::DryRun {
                track.dry_pause = self.dry_first_pause();
            }
            self.tracks.insert(id, track);
        }
        self.compact();
        self.log(
            Level::Info,
            "loaded",
            vec![
                ("entries", (self.journal.len() as u64).into()),
                ("non_final", (self.journal.non_final_len() as u64).into()),
                ("pending", pending.into()),
                ("duplicates", duplicates.into()),
                ("refused_ids", refused.into()),
                ("paused", self.paused.into()),
            ],
        );
        self.update_socket();
    }

    /// The mode after a (re)start; see [`crate::mode`].
    fn resolve_mode(&mut self) {
        let setting = self.settings.dry_run;
        match self.journal.latest_mode().cloned() {
            None => {
                self.write_mode(Mode::from_dry_run(setting), false, ModeSource::Setting);
            }
            Some(r) if r.dry_run_setting != setting => {
                self.mode = r.mode;
                self.paused = r.paused;
                self.write_mode(Mode::from_dry_run(setting), r.paused, ModeSource::Setting);
            }
            Some(r) => {
                self.mode = r.mode;
                self.paused = r.paused;
            }
        }
    }

    fn on_connected(&mut self, lp_id: Option<u64>) {
        self.connected = true;
        if let (Some(old), Some(new)) = (self.lp_id, lp_id) {
            if old != new {
                self.log(
                    Level::Error,
                    "lp_id_changed",
                    vec![("was", old.into()), ("now", new.into())],
                );
            }
        }
        if lp_id.is_some() {
            self.lp_id = lp_id;
            let recorded = self.journal.latest_mode().and_then(|r| r.lp_id);
            if recorded != lp_id && self.stop.is_none() {
                self.write_mode(self.mode, self.paused, ModeSource::Connection);
            }
            let now = self.clock.mono();
            for t in self.tracks.values_mut().filter(|t| t.needs_lp_id) {
                t.needs_lp_id = false;
                t.next_check = Some(now);
            }
        }
        self.log(Level::Info, "connected", vec![("lp_id", lp_id.into())]);
        if !self.socket_wanted {
            // A socket the engine no longer wants (paused or stopped meanwhile).
            self.push(Action::Disconnect);
        }
    }

    fn on_order(&mut self, order: OrderInfo) {
        let first = self.stats.first_sight(order.id);
        let verdict = self.decide(&order);
        match verdict {
            Verdict::Claim => match self.mode {
                Mode::Live => self.start_claim(&order),
                Mode::DryRun => self.start_would_claim(&order),
            },
            Verdict::Skip(rule) => {
                if first {
                    self.stats.skip(rule);
                }
                let level = match rule {
                    SkipRule::AlreadyJournaled | SkipRule::NotLoaded => Level::Debug,
                    SkipRule::AmountUnreadable | SkipRule::BadId => Level::Warn,
                    _ if !first => Level::Debug,
                    _ => Level::Info,
                };
                self.log(
                    level,
                    "order_seen",
                    vec![
                        ("id", order.id.into()),
                        ("verdict", "skip".into()),
                        ("rule", rule.as_str().into()),
                        ("currency", order.currency.clone().into()),
                        ("amount_fiat", order.amount_fiat.into()),
                        ("amount_usd", order.amount_usd.into()),
                    ],
                );
            }
        }
    }

    /// The verdict for `order` now: the engine's own rules, then the policy with the
    /// usage derived from the journal.
    fn decide(&self, order: &OrderInfo) -> Verdict {
        if !self.loaded {
            return Verdict::Skip(SkipRule::NotLoaded);
        }
        if self.stop.is_some() {
            return Verdict::Skip(SkipRule::Stopped);
        }
        if self.paused {
            return Verdict::Skip(SkipRule::Paused);
        }
        if order.id > MAX_ID {
            return Verdict::Skip(SkipRule::BadId);
        }
        if let Some(e) = self.journal.get(order.id) {
            // Only a released entry of the current mode may start another attempt.
            if e.state != EntryState::Released || e.mode != self.mode {
                return Verdict::Skip(SkipRule::AlreadyJournaled);
            }
            if e.attempts >= self.settings.max_claim_attempts {
                return Verdict::Skip(SkipRule::AttemptsExhausted);
            }
        }
        if self.mode == Mode::DryRun && self.dry_awaiting() >= MAX_DRY_AWAITING {
            if let Verdict::Skip(rule) = Policy::new(&self.settings).check_order(order) {
                return Verdict::Skip(rule);
            }
            return Verdict::Skip(SkipRule::DryRunBacklog);
        }
        let usage = self.journal.usage(self.mode, self.clock.wall());
        Policy::new(&self.settings).evaluate(order, usage)
    }

    fn dry_awaiting(&self) -> usize {
        self.journal.usage(Mode::DryRun, 0).open_claims as usize
    }

    fn start_claim(&mut self, order: &OrderInfo) {
        let now = self.clock.wall();
        let previous = self.journal.get(order.id).cloned();
        let entry = new_entry(
            order,
            Mode::Live,
            EntryState::Pending,
            now,
            previous.as_ref(),
        );
        let attempt = entry.attempts;
        self.persist(entry);
        let token = self.token();
        let flight = self.in_flight(token, self.claim_bound());
        self.tracks.insert(
            order.id,
            Track {
                claim: Some(flight),
                ..Track::default()
            },
        );
        self.stats.claims_sent += 1;
        self.push(Action::Claim {
            id: order.id,
            token,
        });
        let usage = self.journal.usage(Mode::Live, now);
        self.log(
            Level::Info,
            "claim_sent",
            vec![
                ("id", order.id.into()),
                ("attempt", attempt.into()),
                ("currency", order.currency.clone().into()),
                ("amount_fiat", order.amount_fiat.into()),
                ("amount_usd", order.amount_usd.into()),
                ("open_claims", usage.open_claims.into()),
                ("daily_usd", usage.daily_usd.into()),
            ],
        );
    }

    fn start_would_claim(&mut self, order: &OrderInfo) {
        let now = self.clock.wall();
        let previous = self.journal.get(order.id).cloned();
        let entry = new_entry(
            order,
            Mode::DryRun,
            EntryState::WouldClaim,
            now,
            previous.as_ref(),
        );
        self.persist(entry);
        let pause = self.dry_first_pause();
        // The first lookup at about one round trip after the order arrived: still open
        // then means a claim sent at once would have reached it in time.
        let due = self
            .clock
            .mono()
            .saturating_add(pause.saturating_sub(now.saturating_sub(order.received_at)));
        self.tracks.insert(
            order.id,
            Track {
                next_check: Some(due),
                dry_pause: pause,
                ..Track::default()
            },
        );
        self.stats.would_claims += 1;
        let usage = self.journal.usage(Mode::DryRun, now);
        self.log(
            Level::Info,
            "order_seen",
            vec![
                ("id", order.id.into()),
                ("verdict", "would_claim".into()),
                ("currency", order.currency.clone().into()),
                ("amount_fiat", order.amount_fiat.into()),
                ("amount_usd", order.amount_usd.into()),
                ("open_claims", usage.open_claims.into()),
                ("daily_usd", usage.daily_usd.into()),
            ],
        );
    }

    fn on_order_taken(&mut self, id: u64) {
        let Some(e) = self.journal.get(id).cloned() else {
            return;
        };
        if e.is_final() {
            return;
        }
        match (e.mode, e.state) {
            (Mode::DryRun, _) => {
                let at = self.clock.wall();
                self.finish_dry(e, DryOutcome::Taken { at });
            }
            (Mode::Live, EntryState::Pending) => {
                // Our claim races another LP's: its own answer decides.
                self.log(Level::Debug, "order_taken", vec![("id", id.into())]);
            }
            (Mode::Live, _) => {
                // A frame proves nothing about a claim of ours; a lookup soon tells.
                let now = self.clock.mono();
                if let Some(t) = self.tracks.get_mut(&id) {
                    t.next_check = Some(now);
                }
            }
        }
    }

    fn on_claim_outcome(&mut self, id: u64, token: u64, outcome: ClaimOutcome) {
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
    fn await_lookup(&mut self, id: u64, quiet_from: Option<u64>) {
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

    fn on_order_state(&mut self, id: u64, token: u64, answer: GetAnswer) {
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
    fn unclear(&mut self, id: u64, why: &str, needs_lp_id: bool) {
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

    fn finish_dry(&mut self, mut e: Entry, outcome: DryOutcome) {
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

    fn on_fiat_sent_outcome(&mut self, id: u64, token: u64, outcome: FiatSentOutcome) {
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

    fn on_command(&mut self, c: Command) {
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

    fn command_fiat_sent(&mut self, id: u64) {
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

    fn command_release(&mut self, id: u64) {
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

    // ---- state changes -------------------------------------------------------------------

    /// The server says the order is ours, in `status`.
    fn become_ours(&mut self, e: Entry, status: &str) {
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

    fn become_gone(&mut self, mut e: Entry, reason: GoneReason) {
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
    fn set_state(&mut self, mut e: Entry, state: EntryState) {
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

    fn reschedule(&mut self, id: u64) {
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
    fn settle(&mut self, mut e: Entry) {
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
    fn reconsider(&mut self, e: &Entry) {
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

    fn stop_client(&mut self, reason: String) {
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

    fn write_mode(&mut self, mode: Mode, paused: bool, source: ModeSource) {
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

    fn refuse(&mut self, command: &'static str, reason: String) {
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

    fn update_socket(&mut self) {
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

    // ---- time ------------------------------------------------------------------------------

    /// Everything due: deadlines of requests that never reported, lookups, compaction.
    fn tick(&mut self) {
        self.expire();
        self.send_lookups();
        let over_cap = self.journal.len() > self.settings.journal_max_entries as usize;
        if self.loaded && (over_cap || self.clock.mono() >= self.next_compact) {
            self.compact();
        }
    }

    /// Requests the driver never reported, past their deadline (on the guard clock, so a
    /// forward jump of the wall clock cannot give up on a request still under way).
    fn expire(&mut self) {
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

    fn send_lookups(&mut self) {
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

    fn compact(&mut self) {
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

    // ---- helpers ---------------------------------------------------------------------------

    fn persist(&mut self, entry: Entry) {
        self.journal.put(entry.clone());
        self.push(Action::Persist {
            entry: Box::new(entry),
        });
    }

    fn push(&mut self, a: Action) {
        self.actions.push_back(a);
    }

    fn log(&mut self, level: Level, event: &'static str, fields: Vec<(&'static str, Value)>) {
        self.actions.push_back(Action::Log {
            level,
            event,
            mode: self.mode,
            fields: Fields(fields),
        });
    }

    fn token(&mut self) -> u64 {
        let t = self.next_token;
        self.next_token = self.next_token.wrapping_add(1).max(1);
        t
    }

    fn in_flight(&self, token: u64, bound: u64) -> InFlight {
        InFlight {
            token,
            sent_mono: self.clock.mono(),
            sent_guard: self.clock.guard(),
            deadline: self.clock.guard().saturating_add(bound),
        }
    }

    /// 2 × the request timeout: how long after it was sent a request may still land.
    fn quiet_span(&self) -> u64 {
        self.settings.request_timeout_ms.saturating_mul(2)
    }

    /// Longest a client claim (with its own lookups and checked re-claims) can take:
    /// beyond it the driver has lost the outcome.
    fn claim_bound(&self) -> u64 {
        self.settings
            .request_timeout_ms
            .saturating_mul(24)
            .saturating_add(30_000)
    }

    fn get_bound(&self) -> u64 {
        self.settings
            .request_timeout_ms
            .saturating_mul(2)
            .saturating_add(5_000)
    }

    fn fiat_bound(&self) -> u64 {
        self.settings
            .request_timeout_ms
            .saturating_mul(3)
            .saturating_add(5_000)
    }

    fn dry_first_pause(&self) -> u64 {
        self.stats
            .rtt_median()
            .unwrap_or(DRY_FIRST_PAUSE_MS)
            .clamp(100, self.settings.reconcile_interval_ms)
    }

    // ---- queries ---------------------------------------------------------------------------

    /// What `/status` and the CLI's summary line show, as of wall time `now`. Pure: asking
    /// never connects, retries or sends anything.
    pub fn status(&self, now: u64) -> Status {
        let live = self.journal.usage(Mode::Live, now);
        let dry = self.journal.usage(Mode::DryRun, now);
        let state = if self.stop.is_some() {
            "stopped"
        } else if !self.loaded {
            "starting"
        } else if self.paused {
            "paused"
        } else if self.mode == Mode::DryRun {
            "dry_run"
        } else {
            "live"
        };
        Status {
            state,
            banner: (self.mode == Mode::DryRun)
                .then_some("DRY RUN: no claim and no fiat-sent is ever sent"),
            mode: self.mode,
            paused: self.paused,
            stopped: self.stop.as_ref().map(|s| StopInfo {
                kind: s.kind,
                reason: s.reason.clone(),
                at: s.at,
            }),
            connected: self.connected,
            lp_id: self.lp_id,
            day: crate::summary::utc_date(now),
            open_claims: live.open_claims,
            max_open_claims: self.settings.max_open_claims,
            daily_usd: live.daily_usd,
            daily_usd_cap: self.settings.daily_usd_cap,
            dry_run_usage: dry,
            journal_entries: self.journal.len() as u64,
            non_final: self.journal.non_final_len() as u64,
            by_state: self.journal.counts(),
            gets_in_flight: self.gets.in_flight() as u64,
            gets_last_minute: self.gets.last_minute(self.clock.mono()) as u64,
            last_error: self
                .last_error
                .clone()
                .map(|(at, message)| crate::summary::LastError { at, message }),
            mode_history: self.journal.modes().rev().take(10).cloned().collect(),
        }
    }

    /// The dry-run report as of `now`: orders seen, would-claims, volumes, fates and the
    /// race estimate (see [`DryRunSummary`]).
    pub fn summary(&self, now: u64) -> DryRunSummary {
        DryRunSummary::build(
            &self.journal,
            &self.stats,
            self.journal.usage(Mode::DryRun, now),
            self.mode,
        )
    }
}

/// A new entry for `order` (a new attempt of `previous`, when it was released).
fn new_entry(
    order: &OrderInfo,
    mode: Mode,
    state: EntryState,
    now: u64,
    previous: Option<&Entry>,
) -> Entry {
    Entry {
        id: order.id,
        mode,
        state,
        currency: order.currency.trim().to_ascii_uppercase(),
        amount_fiat: order.fiat(),
        amount_usd: order.usd(),
        crypto_symbol: order.crypto_symbol.clone(),
        crypto_chain: order.crypto_chain.clone(),
        received_at: order.received_at,
        seen_at: previous.map_or(now, |p| p.seen_at),
        claim_started_at: Some(now),
        updated_at: now,
        final_at: None,
        verdict: Verdict::Claim,
        attempts: previous.map_or(0, |p| p.attempts).saturating_add(1),
        error: None,
        gone: None,
        owner: None,
        reconcile_count: previous.map_or(0, |p| p.reconcile_count),
        fiat_sent_requested_at: None,
        open_seen_at: None,
        outcome: None,
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

/// An HTTP status that is absent or 404 (a `not_found` kind with another status is not a
/// 404 from the server).
trait StatusExt {
    fn absent_or_404(&self) -> bool;
}

impl StatusExt for Option<u16> {
    fn absent_or_404(&self) -> bool {
        matches!(self, None | Some(404))
    }
}

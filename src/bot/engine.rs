//! The bot engine, sans I/O (after quinn-proto and str0m): inputs and the wall-clock time
//! go in ([`Engine::handle`], [`Engine::handle_timeout`]), actions come out
//! ([`Engine::poll_action`], drained until `None` after every input), and
//! [`Engine::poll_delay`] says how long after that input to call `handle_timeout`
//! ([`Engine::poll_timeout`]: the same as a wall-clock deadline). No I/O, no clock, no
//! randomness inside.
//!
//! Its parts: this file (construction, inputs, orders and claims started, queries),
//! `claim` (what a claim came to), `lookup` (reconciliation), `command` (operator
//! commands and mode records), `transition` (state changes), `timer` (deadlines, due
//! lookups, compaction).
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

use crate::action::{Action, Fields, Level, Notice, Value};
use crate::budget::GetBudget;
use crate::clock::{Clock, MAX_STEP_MS};
use crate::entry::{DryOutcome, Entry, EntryState, MAX_ID};
use crate::failure::FailureKind;
use crate::input::Input;
use crate::journal::Journal;
use crate::mode::{Mode, ModeRecord, ModeSource};
use crate::order::OrderInfo;
use crate::policy::{Policy, SkipRule, Verdict};
use crate::settings::{Settings, SettingsError};
use crate::stats::Stats;
use crate::summary::{DryRunSummary, Status, StopInfo};
use crate::track::{InFlight, Track};

mod claim;
mod command;
mod lookup;
mod timer;
mod transition;

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
        self.journal.open_count(Mode::DryRun)
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

//! Replay: the engine run over a recording ([`crate::recording`]) on simulated time, as
//! fast as the machine allows, for one or more policies side by side. Sans I/O like the
//! engine: text goes in ([`Replay::push`], in chunks of any size), a [`Report`] comes out
//! ([`Replay::finish`]). The same recording and policies give the same report, byte for
//! byte: nothing here reads a clock or draws a random number.
//!
//! Each policy runs its own [`Engine`], always in dry run (a replay never claims; a
//! policy's `DRY_RUN` is ignored). The recording's frames become the engine's inputs at
//! their receive times; the engine's lookups are answered one round trip later from what
//! the recording showed of the order by then: its latest `state` line, an `order_taken`
//! (claimed by someone), or — only when the header says the recording holds every state
//! change (`complete_states`) — `open`. Otherwise the lookup proves nothing, and an
//! order's fate that the recording cannot tell is reported unknown, never guessed.

use std::collections::BTreeMap;

use crate::action::Action;
use crate::engine::Engine;
use crate::entry::MAX_ID;
use crate::failure::FailureKind;
use crate::input::{GetAnswer, Input};
use crate::recording::{self, Header, OrderStateLine, Problem, Record, RecordingError};
use crate::report::{PolicyTally, RecordingInfo, Report};
use crate::settings::{Settings, SettingsError};

/// Policies compared in one replay at most.
pub const MAX_POLICIES: usize = 8;
/// Orders whose state the replay remembers (the lowest ids are forgotten beyond).
pub const MAX_STATES: usize = 200_000;
/// Bad lines listed in the report when they are skipped (all are counted).
pub const MAX_LISTED_BAD: usize = 10;
/// The claim round trip assumed when none is given or recorded (ms).
pub const DEFAULT_RTT_MS: u64 = 250;
/// Simulated time run after the last line, for the lookups still due (ms).
const TAIL_MS: u64 = 10 * 60_000;
/// Timer firings in a row that do not move time on, before the replay moves on anyway.
const STALL_LIMIT: u32 = 64;
/// Timer firings between two lines at most: the engine wakes at least once a minute, so
/// a gap of days in a recording would cost thousands; beyond, time jumps to the next
/// line (the engine's clocks credit a jump with a minute at most, as a live wall-clock
/// jump).
const MAX_FIRINGS: u32 = 1_000;

/// How to replay.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayOptions {
    /// The recording's name for errors and the report (a file name).
    pub file: Option<String>,
    /// Skip bad lines (counted and listed) instead of stopping at the first.
    pub skip_bad: bool,
    /// The claim round trip to assume (ms); `None`: the recording's `rtt_ms` lines, else
    /// [`DEFAULT_RTT_MS`].
    pub rtt_ms: Option<u64>,
}

/// Why a replay cannot go on.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReplayError {
    /// A bad line (and bad lines are not skipped), or no header.
    #[error(transparent)]
    Recording(#[from] RecordingError),
    /// A policy's settings are refused.
    #[error("policy {name}: {error}")]
    Policy {
        /// The policy's name (its file name).
        name: String,
        /// What is wrong.
        error: SettingsError,
    },
    /// No policy, or more than [`MAX_POLICIES`].
    #[error("a replay needs 1 to {MAX_POLICIES} policies, got {0}")]
    PolicyCount(usize),
    /// Two policies of one name (the report could not tell them apart).
    #[error("two policies are named {0}")]
    DuplicateName(String),
    /// The JSON arguments of [`Replay::from_json`] are not readable.
    #[error("replay arguments: {0}")]
    Arguments(String),
}

impl ReplayError {
    /// A short name of the error (`recording`, `policy`, `policy_count`, `duplicate_name`).
    pub fn kind(&self) -> &'static str {
        match self {
            ReplayError::Recording(_) => "recording",
            ReplayError::Policy { .. } => "policy",
            ReplayError::PolicyCount(_) => "policy_count",
            ReplayError::DuplicateName(_) => "duplicate_name",
            ReplayError::Arguments(_) => "arguments",
        }
    }
}

/// One policy's engine and what is answered to it.
struct Run {
    engine: Engine,
    /// Lookup answers due, by (time, order of asking): (order id, token).
    answers: BTreeMap<(u64, u64), (u64, u64)>,
    seq: u64,
    /// The round trip after which a lookup is answered (ms).
    rtt: u64,
    tally: PolicyTally,
}

/// A replay under way. See the module docs.
pub struct Replay {
    runs: Vec<Run>,
    options: ReplayOptions,
    header: Option<Header>,
    info: RecordingInfo,
    /// What the recording showed of each order by now: status and owner.
    states: BTreeMap<u64, (String, Option<u64>)>,
    /// Text after the last newline pushed.
    partial: String,
    line: u64,
    last_t: Option<u64>,
    started: bool,
}

impl Replay {
    /// A replay of `policies` (name, `KEY=VALUE` settings text), compared side by side.
    pub fn new(
        policies: &[(String, String)],
        options: ReplayOptions,
    ) -> Result<Replay, ReplayError> {
        if policies.is_empty() || policies.len() > MAX_POLICIES {
            return Err(ReplayError::PolicyCount(policies.len()));
        }
        let mut runs = Vec::with_capacity(policies.len());
        for (i, (name, text)) in policies.iter().enumerate() {
            if policies[..i].iter().any(|(n, _)| n == name) {
                return Err(ReplayError::DuplicateName(name.clone()));
            }
            let mut settings = Settings::from_text(text).map_err(|error| ReplayError::Policy {
                name: name.clone(),
                error,
            })?;
            let ignored_live = !settings.dry_run;
            // A replay never claims, whatever the policy says.
            settings.dry_run = true;
            runs.push(Run {
                tally: PolicyTally::new(name.clone(), &settings, ignored_live),
                engine: Engine::new(settings),
                answers: BTreeMap::new(),
                seq: 0,
                rtt: options.rtt_ms.unwrap_or(DEFAULT_RTT_MS),
            });
        }
        Ok(Replay {
            runs,
            info: RecordingInfo::new(options.file.clone(), options.rtt_ms),
            options,
            header: None,
            states: BTreeMap::new(),
            partial: String::new(),
            line: 0,
            last_t: None,
            started: false,
        })
    }

    /// [`Replay::new`] from JSON (for a JS driver): `policies` is an array of
    /// `{"name", "settings"}` (settings as `KEY=VALUE` text); `options` is
    /// `{"file"?, "skipBad"?, "rttMs"?}` (or empty).
    pub fn from_json(policies: &str, options: &str) -> Result<Replay, ReplayError> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct PolicyArg {
            name: String,
            settings: String,
        }
        #[derive(serde::Deserialize, Default)]
        #[serde(deny_unknown_fields, rename_all = "camelCase")]
        struct OptionsArg {
            #[serde(default)]
            file: Option<String>,
            #[serde(default)]
            skip_bad: bool,
            #[serde(default)]
            rtt_ms: Option<u64>,
        }
        let bad = |what: &str, e: serde_json::Error| ReplayError::Arguments(format!("{what}: {e}"));
        let policies: Vec<PolicyArg> =
            serde_json::from_str(policies).map_err(|e| bad("policies", e))?;
        let options: OptionsArg = if options.trim().is_empty() {
            OptionsArg::default()
        } else {
            serde_json::from_str(options).map_err(|e| bad("options", e))?
        };
        let policies: Vec<(String, String)> =
            policies.into_iter().map(|p| (p.name, p.settings)).collect();
        Replay::new(
            &policies,
            ReplayOptions {
                file: options.file,
                skip_bad: options.skip_bad,
                rtt_ms: options.rtt_ms,
            },
        )
    }

    /// Feeds the next piece of the recording (any size; lines may straddle pieces).
    pub fn push(&mut self, text: &str) -> Result<(), ReplayError> {
        let mut rest = text;
        while let Some(nl) = rest.find('\n') {
            let (head, tail) = rest.split_at(nl);
            rest = tail.get(1..).unwrap_or_default();
            if self.partial.is_empty() {
                self.line(head)?;
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.push_str(head);
                self.line(&whole)?;
            }
        }
        if self.partial.len().saturating_add(rest.len()) > recording::MAX_LINE {
            // Bounded: a line this long is refused without keeping it.
            self.partial.clear();
            self.line = self.line.saturating_add(1);
            return self.bad(Problem::TooLong);
        }
        self.partial.push_str(rest);
        Ok(())
    }

    /// The end of the recording: the last line (if it has no newline), the lookups still
    /// due, and the report.
    pub fn finish(mut self) -> Result<Report, ReplayError> {
        if !self.partial.is_empty() {
            let last = std::mem::take(&mut self.partial);
            self.line(&last)?;
        }
        if self.header.is_none() {
            return Err(self.error(Problem::NoHeader).into());
        }
        let end = self.last_t.unwrap_or(0);
        let tail = end.saturating_add(TAIL_MS);
        for run in &mut self.runs {
            run.advance(tail, &self.states, self.header.as_ref());
        }
        let runs = self
            .runs
            .into_iter()
            .map(|r| r.tally.finish(&r.engine, end))
            .collect();
        Ok(Report::new(self.info, runs))
    }

    fn error(&self, problem: Problem) -> RecordingError {
        RecordingError {
            file: self.options.file.clone(),
            line: self.line,
            problem,
        }
    }

    /// A bad line: skipped and counted, or the end of the replay.
    fn bad(&mut self, problem: Problem) -> Result<(), ReplayError> {
        let fatal = matches!(problem, Problem::NoHeader | Problem::Version(_));
        let err = self.error(problem);
        if !self.options.skip_bad || fatal {
            return Err(err.into());
        }
        self.info.note_bad(err, MAX_LISTED_BAD);
        Ok(())
    }

    fn line(&mut self, text: &str) -> Result<(), ReplayError> {
        self.line = self.line.saturating_add(1);
        let text = text.strip_suffix('\r').unwrap_or(text);
        if text.trim().is_empty() {
            return Ok(());
        }
        if self.header.is_none() {
            let header = recording::parse_header(text).map_err(|p| self.error(p))?;
            self.info.note_header(&header);
            self.header = Some(header);
            return Ok(());
        }
        let record = match recording::parse_line(text) {
            Ok(r) => r,
            Err(p) => return self.bad(p),
        };
        let t = record.t();
        if let Some(previous) = self.last_t.filter(|p| t < *p) {
            return self.bad(Problem::OutOfOrder { t, previous });
        }
        self.last_t = Some(t);
        self.info.note_record(&record);
        self.apply(record);
        Ok(())
    }

    fn apply(&mut self, record: Record) {
        let t = record.t();
        if !self.started {
            self.started = true;
            for run in &mut self.runs {
                run.feed(
                    t,
                    Input::Load {
                        entries: Vec::new(),
                        modes: Vec::new(),
                    },
                );
                if let Some(ms) = self.options.rtt_ms {
                    run.feed(t, Input::RttSample { ms });
                }
            }
        }
        for run in &mut self.runs {
            run.advance(t, &self.states, self.header.as_ref());
        }
        match record {
            Record::Init { lp_id, orders, .. } => {
                for run in &mut self.runs {
                    run.feed(t, Input::Connected { lp_id });
                    for o in &orders {
                        run.feed(t, Input::Order { order: o.clone() });
                    }
                }
            }
            Record::NewOrder { order, .. } => {
                let mut order = Some(order);
                let n = self.runs.len();
                for (i, run) in self.runs.iter_mut().enumerate() {
                    // The last run takes the order itself: no copy for a single policy.
                    let o = if i + 1 == n {
                        order.take()
                    } else {
                        order.clone()
                    };
                    if let Some(order) = o {
                        run.feed(t, Input::Order { order });
                    }
                }
            }
            Record::OrderTaken { id, .. } => {
                // Claimed over the socket by someone (not us: our own claims are acked).
                self.remember(id, "claimed".to_owned(), None);
                for run in &mut self.runs {
                    run.feed(t, Input::OrderTaken { id });
                }
            }
            Record::State { state, .. } => {
                let OrderStateLine { id, status, lp_id } = state;
                self.remember(id, status, lp_id);
            }
            Record::Disconnected { .. } => {
                for run in &mut self.runs {
                    run.feed(
                        t,
                        Input::Disconnected {
                            reason: Some("recorded".to_owned()),
                        },
                    );
                }
            }
            Record::Rtt { ms, .. } => {
                if self.options.rtt_ms.is_none() {
                    self.info.note_rtt(ms);
                    for run in &mut self.runs {
                        run.rtt = ms;
                        run.feed(t, Input::RttSample { ms });
                    }
                }
            }
            Record::OtherFrame { .. } => {}
        }
    }

    fn remember(&mut self, id: u64, status: String, lp_id: Option<u64>) {
        if id > MAX_ID {
            return;
        }
        self.states.insert(id, (status, lp_id));
        while self.states.len() > MAX_STATES {
            self.states.pop_first();
        }
    }
}

impl Run {
    fn feed(&mut self, t: u64, input: Input) {
        self.engine.handle(t, input);
        self.drain(t);
    }

    /// Fires the engine's timers and the lookup answers due up to `t`, in time order.
    fn advance(
        &mut self,
        t: u64,
        states: &BTreeMap<u64, (String, Option<u64>)>,
        header: Option<&Header>,
    ) {
        let mut stalls = 0u32;
        let mut firings = 0u32;
        let mut last = 0u64;
        loop {
            let timer = self.engine.poll_timeout().filter(|d| *d <= t);
            let answer = self.answers.keys().next().map(|k| k.0).filter(|a| *a <= t);
            let (at, is_answer) = match (timer, answer) {
                (None, None) => break,
                (Some(d), Some(a)) if a <= d => (a, true),
                (Some(d), _) => (d, false),
                (None, Some(a)) => (a, true),
            };
            if is_answer {
                if let Some(((at, _), (id, token))) = self.answers.pop_first() {
                    let answer = lookup_answer(id, states, header, self.engine.lp_id());
                    self.engine
                        .handle(at, Input::OrderState { id, token, answer });
                    self.drain(at);
                }
                continue;
            }
            // A timer that fires without moving time on, again and again, would spin.
            if at <= last {
                stalls += 1;
                if stalls > STALL_LIMIT {
                    break;
                }
            } else {
                stalls = 0;
            }
            firings += 1;
            if firings > MAX_FIRINGS {
                break;
            }
            last = at;
            self.engine.handle_timeout(at);
            self.drain(at);
        }
    }

    fn drain(&mut self, now: u64) {
        let rtt = self.rtt;
        while let Some(action) = self.engine.poll_action() {
            match action {
                Action::Persist { entry } => self.tally.persisted(&entry, now),
                Action::GetOrder { id, token } => {
                    self.seq += 1;
                    // Answered one round trip later, with what the recording showed by then.
                    self.answers
                        .insert((now.saturating_add(rtt), self.seq), (id, token));
                }
                Action::Claim { .. } | Action::FiatSent { .. } => self.tally.sent_request(),
                _ => {}
            }
        }
    }
}

/// What a lookup of order `id` shows, from the recording so far.
fn lookup_answer(
    id: u64,
    states: &BTreeMap<u64, (String, Option<u64>)>,
    header: Option<&Header>,
    me: Option<u64>,
) -> GetAnswer {
    let body = |status: &str, owner: Option<u64>| {
        // The owner is named only when the recording says whose it is and our id is
        // known: otherwise "someone else", as an HTTP claimer's order would show.
        let owner = owner.filter(|_| me.is_some());
        let mut b = format!(
            "{{\"id\":{id},\"status\":{}",
            serde_json::Value::from(status)
        );
        if let Some(o) = owner {
            b.push_str(&format!(",\"lp_id\":{o}"));
        }
        b.push('}');
        GetAnswer::Order { body: b }
    };
    match states.get(&id) {
        Some((status, owner)) => body(status, *owner),
        None if header.is_some_and(|h| h.complete_states) => body("open", None),
        None => GetAnswer::Failed {
            kind: FailureKind::Unknown,
            status: None,
            message: "the recording does not tell this order's state".to_owned(),
        },
    }
}

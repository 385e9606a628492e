//! The replay report: for each policy, what it would have claimed over a recording —
//! counts and volume per currency and in USD, open-claim usage over time, orders skipped
//! by each rule, each would-claim's fate and the race estimate — side by side, as text or
//! JSON. Deterministic: ordered maps only, and figures summed in the recording's order.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;

use serde::Serialize;

use crate::engine::Engine;
use crate::entry::{Entry, EntryState};
use crate::mode::Mode;
use crate::recording::{Header, Record, RecordingError};
use crate::replay::DEFAULT_RTT_MS;
use crate::settings::Settings;
use crate::summary::{estimate, race_window, utc_date};

/// Buckets of the open-claims series at most (pairs merge, width doubles, beyond).
pub const MAX_BUCKETS: usize = 48;
/// The series' first bucket width (ms).
const FIRST_WIDTH_MS: u64 = 60_000;
/// Race windows kept for the estimate (the rest count as undetermined).
const MAX_WINDOWS: usize = 1_000_000;

/// What the recording held.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RecordingInfo {
    /// Its name, if given.
    pub file: Option<String>,
    /// Who wrote it (from the header).
    pub source: Option<String>,
    /// Every state change is recorded (an order no line closed was open).
    pub complete_states: bool,
    /// Lines read (the header and blank lines included).
    pub lines: u64,
    /// Frames by type (`init`, `new_order`, `order_taken`, `other`).
    pub frames: BTreeMap<&'static str, u64>,
    /// Orders in `init` and `new_order` frames (repeats included).
    pub orders: u64,
    /// `state` lines.
    pub states: u64,
    /// Disconnections.
    pub disconnections: u64,
    /// `rtt_ms` lines.
    pub rtt_samples: u64,
    /// The first line's time (wall ms).
    pub first_t: Option<u64>,
    /// The last line's time (wall ms).
    pub last_t: Option<u64>,
    /// Bad lines skipped (`skip_bad`).
    pub bad_lines_skipped: u64,
    /// The first of them, with their line numbers.
    pub bad_lines: Vec<String>,
    /// The round trip the estimate is made against: `assumed` (given), `recorded`
    /// (median of the recording's, per policy) or `default`.
    pub rtt_source: &'static str,
}

impl RecordingInfo {
    /// Nothing read yet.
    pub fn new(file: Option<String>, assumed_rtt: Option<u64>) -> Self {
        RecordingInfo {
            file,
            source: None,
            complete_states: false,
            lines: 0,
            frames: BTreeMap::new(),
            orders: 0,
            states: 0,
            disconnections: 0,
            rtt_samples: 0,
            first_t: None,
            last_t: None,
            bad_lines_skipped: 0,
            bad_lines: Vec::new(),
            rtt_source: if assumed_rtt.is_some() {
                "assumed"
            } else {
                "default"
            },
        }
    }

    /// The header.
    pub fn note_header(&mut self, h: &Header) {
        self.lines += 1;
        self.source = h.source.clone();
        self.complete_states = h.complete_states;
    }

    /// A good line.
    pub fn note_record(&mut self, r: &Record) {
        self.lines += 1;
        let t = r.t();
        self.first_t.get_or_insert(t);
        self.last_t = Some(t);
        let frame = match r {
            Record::Init { orders, .. } => {
                self.orders += orders.len() as u64;
                Some("init")
            }
            Record::NewOrder { .. } => {
                self.orders += 1;
                Some("new_order")
            }
            Record::OrderTaken { .. } => Some("order_taken"),
            Record::OtherFrame { .. } => Some("other"),
            Record::State { .. } => {
                self.states += 1;
                None
            }
            Record::Disconnected { .. } => {
                self.disconnections += 1;
                None
            }
            Record::Rtt { .. } => None,
        };
        if let Some(f) = frame {
            *self.frames.entry(f).or_insert(0) += 1;
        }
    }

    /// A recorded round trip.
    pub fn note_rtt(&mut self, _ms: u64) {
        self.rtt_samples += 1;
        if self.rtt_source == "default" {
            self.rtt_source = "recorded";
        }
    }

    /// A bad line skipped; the first `listed` are kept.
    pub fn note_bad(&mut self, e: RecordingError, listed: usize) {
        self.lines += 1;
        self.bad_lines_skipped += 1;
        if self.bad_lines.len() < listed {
            self.bad_lines
                .push(format!("line {}: {}", e.line, e.problem));
        }
    }
}

/// Per currency: would-claims and their fiat volume.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct CurrencyTally {
    /// Would-claims.
    pub count: u64,
    /// Their fiat volume.
    pub fiat: f64,
}

/// The open would-claims (simulated collateral slots) over time: the maximum in each
/// bucket of `width_ms` from `start`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Series {
    /// The first bucket's start (wall ms).
    pub start: Option<u64>,
    /// Bucket width (ms).
    pub width_ms: u64,
    /// The maximum in each bucket.
    pub max: Vec<u32>,
    #[serde(skip)]
    current: u32,
}

impl Series {
    fn new() -> Self {
        Series {
            start: None,
            width_ms: FIRST_WIDTH_MS,
            max: Vec::new(),
            current: 0,
        }
    }

    /// The count is `open` from `t` on.
    fn set(&mut self, t: u64, open: u32) {
        let start = *self.start.get_or_insert(t);
        let mut i = (t.saturating_sub(start) / self.width_ms) as usize;
        while i >= MAX_BUCKETS {
            self.max = self
                .max
                .chunks(2)
                .map(|p| p.iter().copied().max().unwrap_or(0))
                .collect();
            self.width_ms = self.width_ms.saturating_mul(2);
            i = (t.saturating_sub(start) / self.width_ms) as usize;
        }
        while self.max.len() <= i {
            // A bucket no change fell in holds the count of before.
            self.max.push(self.current);
        }
        if let Some(m) = self.max.get_mut(i) {
            *m = (*m).max(open);
        }
        self.current = open;
    }
}

/// One policy's figures.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PolicyReport {
    /// The policy's name.
    pub name: String,
    /// `ALLOWED_CURRENCIES`.
    pub currencies: Vec<String>,
    /// `MAX_OPEN_CLAIMS` (dry-run slots: a would-claim holds one until its fate is known).
    pub max_open_claims: u32,
    /// `DAILY_USD_CAP`.
    pub daily_usd_cap: Option<f64>,
    /// The policy said `DRY_RUN=0`, ignored: a replay never claims.
    pub live_setting_ignored: bool,
    /// Distinct orders the engine saw.
    pub orders_seen: u64,
    /// Would-claims.
    pub would_claim: u64,
    /// Per currency.
    pub by_currency: BTreeMap<String, CurrencyTally>,
    /// USD volume of the would-claims.
    pub usd_volume: f64,
    /// Orders skipped, by rule (each counted once).
    pub skipped: BTreeMap<String, u64>,
    /// Would-claims by fate (`awaiting`: still unknown when the recording ended).
    pub outcomes: BTreeMap<String, u64>,
    /// The round trip the estimate is made against (ms).
    pub rtt_ms: u64,
    /// Would-claims open longer than the round trip (a claim sent at once would have won).
    pub likely_won: u64,
    /// Would-claims taken within the round trip.
    pub likely_lost: u64,
    /// Neither could be told.
    pub undetermined: u64,
    /// `likely_won` / `would_claim`.
    pub share_won: Option<f64>,
    /// The median time to `order_taken`/another owner of the would-claims someone took.
    pub median_taken_ms: Option<u64>,
    /// The most would-claims open at once.
    pub peak_open_claims: u32,
    /// Open would-claims over time.
    pub open_claims: Series,
    /// Claim or fiat-sent requests the engine asked for (always 0: a replay is a dry run).
    pub requests_sent: u64,
}

/// A policy's figures as the replay goes (fed by the engine's persisted entries, so that
/// compaction of the engine's journal loses nothing).
#[derive(Debug)]
pub struct PolicyTally {
    report: PolicyReport,
    open: BTreeSet<u64>,
    windows: Vec<(Option<u64>, Option<u64>)>,
    windows_dropped: u64,
}

impl PolicyTally {
    /// Nothing yet, for `settings`.
    pub fn new(name: String, settings: &Settings, live_setting_ignored: bool) -> Self {
        PolicyTally {
            report: PolicyReport {
                name,
                currencies: settings.allowed_currencies.clone(),
                max_open_claims: settings.max_open_claims,
                daily_usd_cap: settings.daily_usd_cap,
                live_setting_ignored,
                orders_seen: 0,
                would_claim: 0,
                by_currency: BTreeMap::new(),
                usd_volume: 0.0,
                skipped: BTreeMap::new(),
                outcomes: BTreeMap::new(),
                rtt_ms: DEFAULT_RTT_MS,
                likely_won: 0,
                likely_lost: 0,
                undetermined: 0,
                share_won: None,
                median_taken_ms: None,
                peak_open_claims: 0,
                open_claims: Series::new(),
                requests_sent: 0,
            },
            open: BTreeSet::new(),
            windows: Vec::new(),
            windows_dropped: 0,
        }
    }

    /// The engine asked for a claim or fiat-sent (never answered: counted).
    pub fn sent_request(&mut self) {
        self.report.requests_sent += 1;
    }

    /// The engine persisted `e` at `now`.
    pub fn persisted(&mut self, e: &Entry, now: u64) {
        if e.mode != Mode::DryRun || e.state != EntryState::WouldClaim {
            return;
        }
        let known = self.open.contains(&e.id);
        if !known {
            self.count(e);
        }
        match &e.outcome {
            None if !known => {
                self.open.insert(e.id);
            }
            None => return,
            Some(o) => {
                self.open.remove(&e.id);
                *self
                    .report
                    .outcomes
                    .entry(o.as_str().to_owned())
                    .or_insert(0) += 1;
                self.window(race_window(e));
            }
        }
        let open = u32::try_from(self.open.len()).unwrap_or(u32::MAX);
        self.report.peak_open_claims = self.report.peak_open_claims.max(open);
        self.report.open_claims.set(now, open);
    }

    fn count(&mut self, e: &Entry) {
        self.report.would_claim += 1;
        let c = self
            .report
            .by_currency
            .entry(e.currency.clone())
            .or_default();
        c.count += 1;
        c.fiat += e.amount_fiat.unwrap_or(0.0);
        self.report.usd_volume += e.amount_usd.unwrap_or(0.0);
    }

    fn window(&mut self, w: (Option<u64>, Option<u64>)) {
        if self.windows.len() < MAX_WINDOWS {
            self.windows.push(w);
        } else {
            self.windows_dropped += 1;
        }
    }

    /// The figures once the recording ended at `end`.
    pub fn finish(mut self, engine: &Engine, end: u64) -> PolicyReport {
        let summary = engine.summary(end);
        for id in std::mem::take(&mut self.open) {
            *self
                .report
                .outcomes
                .entry("awaiting".to_owned())
                .or_insert(0) += 1;
            let w = engine.journal().get(id).map_or((None, None), race_window);
            self.window(w);
        }
        let r = &mut self.report;
        r.orders_seen = summary.orders_seen;
        r.skipped = summary.skipped;
        r.rtt_ms = summary.rtt_ms.unwrap_or(DEFAULT_RTT_MS);
        let rtt = Some(r.rtt_ms);
        let mut taken: Vec<u64> = Vec::new();
        for (open, within) in &self.windows {
            match estimate(*open, *within, rtt) {
                "won" => r.likely_won += 1,
                "lost" => r.likely_lost += 1,
                _ => r.undetermined += 1,
            }
            taken.extend(within);
        }
        r.undetermined += self.windows_dropped;
        if r.would_claim > 0 {
            r.share_won = Some(r.likely_won as f64 / r.would_claim as f64);
        }
        taken.sort_unstable();
        r.median_taken_ms = taken.get(taken.len() / 2).copied();
        self.report
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Always: these are not claims.
    pub banner: &'static str,
    /// The recording.
    pub recording: RecordingInfo,
    /// One per policy, in the order given.
    pub policies: Vec<PolicyReport>,
}

impl Report {
    /// The report of `policies` over the recording `info` describes.
    pub fn new(info: RecordingInfo, policies: Vec<PolicyReport>) -> Self {
        let mut recording = info;
        if recording.rtt_source == "default" && recording.rtt_samples > 0 {
            recording.rtt_source = "recorded";
        }
        Report {
            banner: "REPLAY (DRY RUN): what each policy would have claimed; nothing was claimed",
            recording,
            policies,
        }
    }

    /// The report as JSON (pretty-printed, keys in a fixed order).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// The report as text, policies side by side.
    pub fn to_text(&self) -> String {
        let r = &self.recording;
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.banner);
        let span = match (r.first_t, r.last_t) {
            (Some(a), Some(b)) => format!("{} .. {} ({})", iso(a), iso(b), duration(b - a)),
            _ => "no lines".to_owned(),
        };
        let _ = writeln!(
            out,
            "recording   {} (source {}{}), {} lines, {span}",
            r.file.as_deref().unwrap_or("-"),
            r.source.as_deref().unwrap_or("?"),
            if r.complete_states {
                ", every state change"
            } else {
                ""
            },
            r.lines
        );
        let frames: Vec<String> = r.frames.iter().map(|(k, v)| format!("{k} {v}")).collect();
        let _ = writeln!(
            out,
            "frames      {}; orders {}, states {}, disconnections {}, round trips {}",
            if frames.is_empty() {
                "none".to_owned()
            } else {
                frames.join(", ")
            },
            r.orders,
            r.states,
            r.disconnections,
            r.rtt_samples
        );
        let _ = writeln!(out, "bad lines   {} skipped", r.bad_lines_skipped);
        for b in &r.bad_lines {
            let _ = writeln!(out, "            {b}");
        }
        let _ = writeln!(out);
        let mut rows: Vec<(String, Vec<String>)> = Vec::new();
        let p = &self.policies;
        let each = |f: &dyn Fn(&PolicyReport) -> String| p.iter().map(f).collect::<Vec<_>>();
        rows.push(("policy".into(), each(&|x| x.name.clone())));
        rows.push(("currencies".into(), each(&|x| x.currencies.join(","))));
        rows.push(("orders seen".into(), each(&|x| x.orders_seen.to_string())));
        rows.push(("would claim".into(), each(&|x| x.would_claim.to_string())));
        let currencies: BTreeSet<&String> = p.iter().flat_map(|x| x.by_currency.keys()).collect();
        for c in currencies {
            rows.push((
                format!("  {c} count / fiat"),
                each(&|x| {
                    x.by_currency
                        .get(c)
                        .map_or("-".to_owned(), |t| format!("{} / {:.2}", t.count, t.fiat))
                }),
            ));
        }
        rows.push((
            "  USD volume".into(),
            each(&|x| format!("{:.2}", x.usd_volume)),
        ));
        rows.push((
            "skipped".into(),
            each(&|x| x.skipped.values().sum::<u64>().to_string()),
        ));
        let rules: BTreeSet<&String> = p.iter().flat_map(|x| x.skipped.keys()).collect();
        for rule in rules {
            rows.push((
                format!("  {rule}"),
                each(&|x| x.skipped.get(rule).copied().unwrap_or(0).to_string()),
            ));
        }
        rows.push(("fates".into(), each(&|_| String::new())));
        let fates: BTreeSet<&String> = p.iter().flat_map(|x| x.outcomes.keys()).collect();
        for f in fates {
            rows.push((
                format!("  {f}"),
                each(&|x| x.outcomes.get(f).copied().unwrap_or(0).to_string()),
            ));
        }
        rows.push((
            format!("race vs round trip ({})", r.rtt_source),
            each(&|x| format!("{} ms", x.rtt_ms)),
        ));
        rows.push(("  likely won".into(), each(&|x| x.likely_won.to_string())));
        rows.push(("  likely lost".into(), each(&|x| x.likely_lost.to_string())));
        rows.push((
            "  undetermined".into(),
            each(&|x| x.undetermined.to_string()),
        ));
        rows.push((
            "  share won".into(),
            each(&|x| {
                x.share_won
                    .map_or("-".to_owned(), |s| format!("{:.1}%", s * 100.0))
            }),
        ));
        rows.push((
            "  median time to taken".into(),
            each(&|x| {
                x.median_taken_ms
                    .map_or("-".to_owned(), |m| format!("{m} ms"))
            }),
        ));
        rows.push((
            "open claims peak / max".into(),
            each(&|x| format!("{} / {}", x.peak_open_claims, x.max_open_claims)),
        ));
        rows.push((
            "requests sent".into(),
            each(&|x| x.requests_sent.to_string()),
        ));
        let label = rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0) + 2;
        let width = rows
            .iter()
            .flat_map(|(_, v)| v.iter().map(String::len))
            .max()
            .unwrap_or(0)
            + 2;
        for (l, values) in &rows {
            let _ = write!(out, "{l:<label$}");
            for v in values {
                let _ = write!(out, "{v:>width$}");
            }
            let _ = writeln!(out);
        }
        let _ = writeln!(out);
        for x in p {
            let s = &x.open_claims;
            let series: Vec<String> = s.max.iter().map(u32::to_string).collect();
            let _ = writeln!(
                out,
                "open claims of {} (max per {}): {}",
                x.name,
                duration(s.width_ms),
                if series.is_empty() {
                    "none".to_owned()
                } else {
                    series.join(" ")
                }
            );
        }
        out
    }
}

/// `2026-01-01T00:00:00Z` of wall ms `t`.
fn iso(t: u64) -> String {
    let s = (t / 1000) % 86_400;
    format!(
        "{}T{:02}:{:02}:{:02}Z",
        utc_date(t),
        s / 3600,
        (s / 60) % 60,
        s % 60
    )
}

/// `1h02m03s`, `2m00s` or `5s`.
fn duration(ms: u64) -> String {
    let s = ms / 1000;
    match (s / 3600, (s / 60) % 60, s % 60) {
        (0, 0, sec) => format!("{sec}s"),
        (0, m, sec) => format!("{m}m{sec:02}s"),
        (h, m, sec) => format!("{h}h{m:02}m{sec:02}s"),
    }
}

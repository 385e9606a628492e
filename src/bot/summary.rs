//! What the engine reports: the status (`/status`, the CLI's summary line) and the
//! dry-run report with its race estimate. Both are read from the journal and the
//! counters; building them changes nothing.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::engine::StopKind;
use crate::entry::{DryOutcome, Entry, EntryState};
use crate::journal::{Journal, DAY_MS};
use crate::mode::{Mode, ModeRecord};
use crate::policy::Usage;
use crate::stats::Stats;

/// Would-claims listed one by one in the report (the newest).
pub const MAX_WINDOWS: usize = 100;

/// Why the bot is stopped.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StopInfo {
    /// A bad setting, or the client (a rejected key).
    pub kind: StopKind,
    /// What to fix.
    pub reason: String,
    /// When (wall ms; 0 for a setting refused at start).
    pub at: u64,
}

/// The last error that stopped something.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LastError {
    /// When (wall ms).
    pub at: u64,
    /// What.
    pub message: String,
}

/// The bot's status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Status {
    /// `starting` (journal not loaded), `live`, `dry_run`, `paused` or `stopped`.
    pub state: &'static str,
    /// `DRY RUN: ...` whenever the mode is dry run (even paused or stopped).
    pub banner: Option<&'static str>,
    /// Live or dry run.
    pub mode: Mode,
    /// Paused by the operator.
    pub paused: bool,
    /// Why the bot is stopped, if it is.
    pub stopped: Option<StopInfo>,
    /// The socket is live.
    pub connected: bool,
    /// Our LP id, once known.
    pub lp_id: Option<u64>,
    /// The UTC day the daily figure is for (`YYYY-MM-DD`).
    pub day: String,
    /// Live claims holding collateral (from the journal).
    pub open_claims: u32,
    /// `MAX_OPEN_CLAIMS`.
    pub max_open_claims: u32,
    /// USD of the day's live claims (from the journal; `null` if an entry's is unreadable).
    pub daily_usd: f64,
    /// `DAILY_USD_CAP`.
    pub daily_usd_cap: Option<f64>,
    /// The same figures for the dry run's would-claims (never counted for live limits).
    pub dry_run_usage: Usage,
    /// Entries in the journal.
    pub journal_entries: u64,
    /// Entries not yet final.
    pub non_final: u64,
    /// Entries per state.
    pub by_state: BTreeMap<String, u64>,
    /// Lookups under way.
    pub gets_in_flight: u64,
    /// Lookups in the last minute.
    pub gets_last_minute: u64,
    /// The last error that stopped the bot.
    pub last_error: Option<LastError>,
    /// The newest mode records, newest first (who switched, when).
    pub mode_history: Vec<ModeRecord>,
}

impl Status {
    /// The status as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// One would-claim in the race estimate.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Window {
    /// The order.
    pub id: u64,
    /// Its currency.
    pub currency: String,
    /// Its fiat amount.
    pub amount_fiat: Option<f64>,
    /// Its USD value.
    pub amount_usd: Option<f64>,
    /// Its fate, once known (`taken`, `claimed_by_other`, `still_open`, ...).
    pub outcome: Option<&'static str>,
    /// The order was still open at least this long after it arrived (the `order_taken`
    /// frame's time, or the last lookup that saw it open, minus the receive time).
    pub open_at_least_ms: Option<u64>,
    /// It was taken within this long (the `order_taken` frame's or the lookup's time
    /// minus the receive time); `None` if nobody took it.
    pub taken_within_ms: Option<u64>,
    /// `won` (open longer than a round trip), `lost` (taken within one) or `undetermined`.
    pub estimate: &'static str,
}

/// The dry-run report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DryRunSummary {
    /// Always `DRY RUN: ...`: these are not claims.
    pub banner: &'static str,
    /// The mode right now.
    pub mode: Mode,
    /// Distinct orders seen since the engine started.
    pub orders_seen: u64,
    /// Skips since the start, by rule (each order counted once).
    pub skipped: BTreeMap<String, u64>,
    /// Would-claims since the start.
    pub would_claims_since_start: u64,
    /// Dry-run entries in the journal.
    pub would_claim: u64,
    /// Of which still waiting for their fate.
    pub awaiting: u64,
    /// Fiat volume of the journal's would-claims, per currency.
    pub fiat_volume: BTreeMap<String, f64>,
    /// Their USD volume.
    pub usd_volume: f64,
    /// Would-claims by fate.
    pub outcomes: BTreeMap<String, u64>,
    /// The dry run's own usage today (open would-claims, USD).
    pub usage_today: Usage,
    /// The median measured claim round trip (ms), if any was fed.
    pub rtt_ms: Option<u64>,
    /// Round-trip samples behind it.
    pub rtt_samples: u64,
    /// Would-claims estimated won / lost / undetermined against the round trip.
    pub likely_won: u64,
    /// See `likely_won`.
    pub likely_lost: u64,
    /// See `likely_won`.
    pub undetermined: u64,
    /// The share of would-claims whose window was longer than the round trip.
    pub share_window_longer_than_rtt: Option<f64>,
    /// The newest would-claims, newest first.
    pub windows: Vec<Window>,
}

impl DryRunSummary {
    /// The report from the journal's dry-run entries and the counters.
    pub fn build(journal: &Journal, stats: &Stats, usage_today: Usage, mode: Mode) -> Self {
        let rtt = stats.rtt_median();
        let mut s = DryRunSummary {
            banner: "DRY RUN: what the policy would have claimed; nothing was claimed",
            mode,
            orders_seen: stats.orders_seen,
            skipped: stats
                .skipped
                .iter()
                .map(|(r, n)| (r.as_str().to_owned(), *n))
                .collect(),
            would_claims_since_start: stats.would_claims,
            would_claim: 0,
            awaiting: 0,
            fiat_volume: BTreeMap::new(),
            usd_volume: 0.0,
            outcomes: BTreeMap::new(),
            usage_today,
            rtt_ms: rtt,
            rtt_samples: stats.rtt_samples() as u64,
            likely_won: 0,
            likely_lost: 0,
            undetermined: 0,
            share_window_longer_than_rtt: None,
            windows: Vec::new(),
        };
        let mut all: Vec<Window> = Vec::new();
        for e in journal
            .iter()
            .filter(|e| e.mode == Mode::DryRun && e.state == EntryState::WouldClaim)
        {
            s.would_claim += 1;
            if e.outcome.is_none() {
                s.awaiting += 1;
            }
            if let Some(f) = e.amount_fiat {
                *s.fiat_volume.entry(e.currency.clone()).or_insert(0.0) += f;
            }
            s.usd_volume += e.amount_usd.unwrap_or(0.0);
            let name = e.outcome.as_ref().map_or("awaiting", DryOutcome::as_str);
            *s.outcomes.entry(name.to_owned()).or_insert(0) += 1;
            let (open_at_least, taken_within) = race_window(e);
            let estimate = estimate(open_at_least, taken_within, rtt);
            match estimate {
                "won" => s.likely_won += 1,
                "lost" => s.likely_lost += 1,
                _ => s.undetermined += 1,
            }
            all.push(Window {
                id: e.id,
                currency: e.currency.clone(),
                amount_fiat: e.amount_fiat,
                amount_usd: e.amount_usd,
                outcome: e.outcome.as_ref().map(DryOutcome::as_str),
                open_at_least_ms: open_at_least,
                taken_within_ms: taken_within,
                estimate,
            });
        }
        if rtt.is_some() && s.would_claim > 0 {
            s.share_window_longer_than_rtt = Some(s.likely_won as f64 / s.would_claim as f64);
        }
        all.sort_by_key(|w| std::cmp::Reverse(w.id));
        all.truncate(MAX_WINDOWS);
        s.windows = all;
        // Sums of amounts in cents, as shown: a float sum's last bits (499.6499999999999)
        // are noise.
        s.usd_volume = cents(s.usd_volume);
        for v in s.fiat_volume.values_mut() {
            *v = cents(*v);
        }
        s
    }

    /// The report as JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// `x` rounded to hundredths.
fn cents(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

/// A would-claim's race window, in ms after the order arrived: how long it was still
/// open at least (the `order_taken` frame's time, or the last lookup that saw it open),
/// and within how long someone took it (`None` if nobody did, as far as is known).
pub fn race_window(e: &Entry) -> (Option<u64>, Option<u64>) {
    let since = |t: u64| t.saturating_sub(e.received_at);
    match &e.outcome {
        Some(DryOutcome::Taken { at }) => (Some(since(*at)), Some(since(*at))),
        Some(o) if o.is_taken() => (e.open_seen_at.map(since), Some(since(o.at()))),
        Some(DryOutcome::StillOpen { at }) => (Some(since(*at)), None),
        _ => (e.open_seen_at.map(since), None),
    }
}

/// `won` (open longer than the round trip), `lost` (taken within one) or `undetermined`.
pub fn estimate(
    open_at_least: Option<u64>,
    taken_within: Option<u64>,
    rtt: Option<u64>,
) -> &'static str {
    match rtt {
        Some(r) if open_at_least.is_some_and(|w| w > r) => "won",
        Some(r) if taken_within.is_some_and(|w| w <= r) => "lost",
        _ => "undetermined",
    }
}

/// `YYYY-MM-DD` of the UTC day holding wall time `ms`.
pub fn utc_date(ms: u64) -> String {
    // Howard Hinnant's civil_from_days.
    let days = (ms / DAY_MS) as i64;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}-{d:02}")
}

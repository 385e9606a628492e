//! The journal in memory: every entry by order id, the mode records, and the usage
//! (open claims, daily USD) derived from the entries.
//!
//! Usage is never counted beside the journal: it is read from two indexes that only
//! [`Journal::put`] changes, in the same step as the entry they describe (so they equal
//! a full scan, [`Journal::recount`], which the tests compare after every step).
//!
//! Growth is bounded: [`Journal::compact`] drops final entries older than the retention,
//! then the oldest final ones beyond the hard cap. A non-final entry is never dropped.

use std::cell::Cell;
use std::collections::{BTreeMap, BTreeSet};

use crate::entry::{Entry, EntryState};
use crate::mode::{Mode, ModeRecord};
use crate::policy::Usage;

/// Milliseconds in a (UTC) day.
pub const DAY_MS: u64 = 86_400_000;
/// Mode records kept (the newest; the current one is always among them).
pub const MAX_MODE_RECORDS: usize = 64;

fn slot(mode: Mode) -> usize {
    match mode {
        Mode::Live => 0,
        Mode::DryRun => 1,
    }
}

/// Start of the UTC day holding `t` (wall ms).
pub fn day_start(t: u64) -> u64 {
    t - t % DAY_MS
}

/// The time an entry's USD counts on: its claim's start (or when it was seen).
fn spent_time(e: &Entry) -> u64 {
    e.claim_started_at.unwrap_or(e.seen_at)
}

/// Entries and mode records, with the indexes usage is read from.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    entries: BTreeMap<u64, Entry>,
    /// Per mode: ids of entries holding collateral.
    open: [BTreeSet<u64>; 2],
    /// Per mode: `(spent time, id)` of entries counting toward the daily USD figure.
    spent: [BTreeSet<(u64, u64)>; 2],
    /// Ids of non-final entries.
    non_final: BTreeSet<u64>,
    /// `(age time, id)` of final entries, oldest first (compaction order).
    finals: BTreeSet<(u64, u64)>,
    modes: BTreeMap<u64, ModeRecord>,
    /// Per mode: the USD sum of one UTC day, as [`Journal::usage`] last summed it, kept
    /// while entries are only added after the day's last one (a replay or a busy day
    /// would otherwise sum the whole day for every order).
    day_sum: [Cell<Option<DaySum>>; 2],
}

/// A cached daily sum: the day's start and the sum in index order.
#[derive(Debug, Clone, Copy, PartialEq)]
struct DaySum {
    day: u64,
    sum: f64,
}

/// What an entry adds to the daily figure: its mode, spent time and USD bits, if spent.
fn spend_key(e: &Entry) -> Option<(Mode, u64, u64)> {
    e.is_spent()
        .then(|| (e.mode, spent_time(e), usd_value(e).to_bits()))
}

/// An entry's USD value for the daily figure; unreadable counts as infinite (fails
/// closed: nothing more is claimed that day).
fn usd_value(e: &Entry) -> f64 {
    crate::order::usable(e.amount_usd).unwrap_or(f64::INFINITY)
}

impl Journal {
    /// An empty journal.
    pub fn new() -> Self {
        Self::default()
    }

    /// The entry for order `id`.
    pub fn get(&self, id: u64) -> Option<&Entry> {
        self.entries.get(&id)
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there is no entry.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every entry, by id.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.entries.values()
    }

    /// Ids of the entries that are not final, ascending.
    pub fn non_final(&self) -> impl Iterator<Item = u64> + '_ {
        self.non_final.iter().copied()
    }

    /// Number of non-final entries.
    pub fn non_final_len(&self) -> usize {
        self.non_final.len()
    }

    /// Stores `entry` (replacing the one of its id) and updates the indexes with it.
    pub fn put(&mut self, entry: Entry) {
        let id = entry.id;
        // An update that leaves the daily figure as it was keeps its cached sum.
        let same_spend = self
            .entries
            .get(&id)
            .is_some_and(|old| spend_key(old) == spend_key(&entry));
        if let Some(old) = self.entries.remove(&id) {
            self.unindex(&old, !same_spend);
        }
        self.index(&entry, !same_spend);
        self.entries.insert(id, entry);
    }

    fn index(&mut self, e: &Entry, spend: bool) {
        let m = slot(e.mode);
        if e.is_open() {
            if let Some(set) = self.open.get_mut(m) {
                set.insert(e.id);
            }
        }
        if e.is_spent() && spend {
            let key = (spent_time(e), e.id);
            if let (Some(set), Some(cache)) = (self.spent.get_mut(m), self.day_sum.get(m)) {
                if let Some(c) = cache.get().filter(|c| c.day == day_start(key.0)) {
                    // Added after the day's last entry: the sum in index order goes on.
                    let end = c.day.saturating_add(DAY_MS);
                    let last = set.range((c.day, 0)..(end, 0)).next_back();
                    cache.set(last.map_or(true, |l| *l < key).then(|| DaySum {
                        day: c.day,
                        sum: c.sum + usd_value(e),
                    }));
                }
                set.insert(key);
            }
        }
        if e.is_final() {
            self.finals.insert((e.age_time(), e.id));
        } else {
            self.non_final.insert(e.id);
        }
    }

    fn unindex(&mut self, e: &Entry, spend: bool) {
        let m = slot(e.mode);
        if let Some(set) = self.open.get_mut(m) {
            set.remove(&e.id);
        }
        if let Some(set) = self.spent.get_mut(m).filter(|_| spend) {
            if set.remove(&(spent_time(e), e.id)) {
                if let Some(cache) = self.day_sum.get(m) {
                    if cache
                        .get()
                        .is_some_and(|c| c.day == day_start(spent_time(e)))
                    {
                        cache.set(None);
                    }
                }
            }
        }
        self.finals.remove(&(e.age_time(), e.id));
        self.non_final.remove(&e.id);
    }

    fn remove(&mut self, id: u64) {
        if let Some(old) = self.entries.remove(&id) {
            self.unindex(&old, true);
        }
    }

    /// Entries of `mode` holding collateral (or, in a dry run, a simulated slot).
    pub fn open_count(&self, mode: Mode) -> usize {
        self.open.get(slot(mode)).map_or(0, BTreeSet::len)
    }

    /// Open claims and the USD of the UTC day of `now`, for entries of `mode`, from the
    /// indexes.
    pub fn usage(&self, mode: Mode, now: u64) -> Usage {
        let m = slot(mode);
        let open_claims = self.open.get(m).map_or(0, |s| s.len());
        let start = day_start(now);
        let end = start.saturating_add(DAY_MS);
        let cache = self.day_sum.get(m);
        let cached = cache
            .and_then(Cell::get)
            .filter(|c| c.day == start)
            .map(|c| c.sum);
        let daily_usd = cached.unwrap_or_else(|| {
            let sum = self.spent.get(m).map_or(0.0, |s| {
                s.range((start, 0)..(end, 0))
                    .map(|(_, id)| self.usd_of(*id))
                    .sum()
            });
            if let Some(c) = cache {
                c.set(Some(DaySum { day: start, sum }));
            }
            sum
        });
        Usage {
            open_claims: u32::try_from(open_claims).unwrap_or(u32::MAX),
            daily_usd,
        }
    }

    /// The same figures from a scan of every entry (what the indexes must equal).
    pub fn recount(&self, mode: Mode, now: u64) -> Usage {
        let start = day_start(now);
        let end = start.saturating_add(DAY_MS);
        let mut open = 0u32;
        let mut spent: Vec<(u64, u64)> = Vec::new();
        for e in self.entries.values().filter(|e| e.mode == mode) {
            if e.is_open() {
                open += 1;
            }
            let t = spent_time(e);
            if e.is_spent() && t >= start && t < end {
                spent.push((t, e.id));
            }
        }
        // Summed in the index's order, so the float sums are equal bit for bit.
        spent.sort_unstable();
        Usage {
            open_claims: open,
            daily_usd: spent.iter().map(|(_, id)| self.usd_of(*id)).sum(),
        }
    }

    /// An entry's USD value for the daily figure; unreadable counts as infinite (fails
    /// closed: nothing more is claimed that day).
    fn usd_of(&self, id: u64) -> f64 {
        self.entries.get(&id).map_or(f64::INFINITY, usd_value)
    }

    /// Entries per state (`would_claim` split by whether the outcome is known).
    pub fn counts(&self) -> BTreeMap<String, u64> {
        let mut out = BTreeMap::new();
        for e in self.entries.values() {
            let name = match (e.state, &e.outcome) {
                (EntryState::WouldClaim, Some(o)) => format!("would_claim:{}", o.as_str()),
                (s, _) => s.as_str().to_owned(),
            };
            *out.entry(name).or_insert(0) += 1;
        }
        out
    }

    /// Drops final entries that became final before `now - retention_ms`, then the
    /// oldest final ones while more than `max_entries` remain. Returns the dropped ids.
    /// Non-final entries are never dropped, whatever their age or number.
    pub fn compact(&mut self, now: u64, retention_ms: u64, max_entries: usize) -> Vec<u64> {
        let cutoff = now.saturating_sub(retention_ms);
        let mut dropped = Vec::new();
        while let Some(&(t, id)) = self.finals.first() {
            let over_cap = self.entries.len() > max_entries;
            if t >= cutoff && !over_cap {
                break;
            }
            self.remove(id);
            dropped.push(id);
        }
        dropped
    }

    /// Stores a mode record; returns the sequence numbers of records dropped to keep at
    /// most [`MAX_MODE_RECORDS`] (the oldest go).
    pub fn put_mode(&mut self, record: ModeRecord) -> Vec<u64> {
        self.modes.insert(record.seq, record);
        let mut dropped = Vec::new();
        while self.modes.len() > MAX_MODE_RECORDS {
            match self.modes.pop_first() {
                Some((seq, _)) => dropped.push(seq),
                None => break,
            }
        }
        dropped
    }

    /// The current mode record (the highest sequence number).
    pub fn latest_mode(&self) -> Option<&ModeRecord> {
        self.modes.values().next_back()
    }

    /// Every mode record, oldest first.
    pub fn modes(&self) -> impl DoubleEndedIterator<Item = &ModeRecord> {
        self.modes.values()
    }
}

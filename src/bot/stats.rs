//! Counters since the engine started (not journaled): orders seen, verdicts by rule, and
//! the measured claim round trips.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::policy::SkipRule;

/// Order ids remembered to count each order once.
const RECENT_IDS: usize = 4_096;
/// Round-trip samples kept.
const RTT_SAMPLES: usize = 64;

/// The counters.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    recent: VecDeque<u64>,
    recent_set: BTreeSet<u64>,
    /// Distinct orders seen (as far as the last 4096 ids tell).
    pub orders_seen: u64,
    /// First verdicts by rule.
    pub skipped: BTreeMap<SkipRule, u64>,
    /// Claims sent.
    pub claims_sent: u64,
    /// Dry-run would-claims journaled.
    pub would_claims: u64,
    rtt: VecDeque<u64>,
}

impl Stats {
    /// Notes order `id`; true the first time (within the last 4096 distinct ids).
    pub fn first_sight(&mut self, id: u64) -> bool {
        if self.recent_set.contains(&id) {
            return false;
        }
        self.recent_set.insert(id);
        self.recent.push_back(id);
        if self.recent.len() > RECENT_IDS {
            if let Some(old) = self.recent.pop_front() {
                self.recent_set.remove(&old);
            }
        }
        self.orders_seen += 1;
        true
    }

    /// Counts a skip.
    pub fn skip(&mut self, rule: SkipRule) {
        *self.skipped.entry(rule).or_insert(0) += 1;
    }

    /// A measured round trip.
    pub fn rtt_sample(&mut self, ms: u64) {
        self.rtt.push_back(ms);
        if self.rtt.len() > RTT_SAMPLES {
            self.rtt.pop_front();
        }
    }

    /// The median of the kept round trips.
    pub fn rtt_median(&self) -> Option<u64> {
        let mut v: Vec<u64> = self.rtt.iter().copied().collect();
        v.sort_unstable();
        v.get(v.len() / 2).copied()
    }

    /// Number of kept round-trip samples.
    pub fn rtt_samples(&self) -> usize {
        self.rtt.len()
    }
}

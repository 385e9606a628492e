//! The lookup budget: at most so many `GET /api/orders/{id}` in flight and per minute, so
//! reconciliation can never hammer the provider (a restart with a large journal, a dry
//! run on a busy feed).

use std::collections::VecDeque;

/// The window of the per-minute limit.
pub const WINDOW_MS: u64 = 60_000;

/// In-flight count and the send times of the last minute (on the engine's `mono` clock).
#[derive(Debug, Clone)]
pub struct GetBudget {
    max_in_flight: usize,
    per_minute: usize,
    in_flight: usize,
    sent: VecDeque<u64>,
    /// After a 429: no lookup before then.
    hold_until: u64,
    /// 429s in a row (the hold doubles with each, from 5 s up to a minute).
    holds: u32,
}

/// The first hold after a 429; doubled for each one in a row, up to [`WINDOW_MS`].
pub const FIRST_HOLD_MS: u64 = 5_000;

impl GetBudget {
    /// A budget of `max_in_flight` at once and `per_minute` a minute.
    pub fn new(max_in_flight: u32, per_minute: u32) -> Self {
        GetBudget {
            max_in_flight: (max_in_flight as usize).max(1),
            per_minute: (per_minute as usize).max(1),
            in_flight: 0,
            sent: VecDeque::new(),
            hold_until: 0,
            holds: 0,
        }
    }

    fn prune(&mut self, now: u64) {
        while self
            .sent
            .front()
            .is_some_and(|t| now.saturating_sub(*t) >= WINDOW_MS)
        {
            self.sent.pop_front();
        }
    }

    /// Whether a lookup may go out now; `forced` (an operator's command) ignores the
    /// per-minute limit and a 429 hold, not the in-flight limit.
    pub fn can_send(&mut self, now: u64, forced: bool) -> bool {
        self.prune(now);
        if self.in_flight >= self.max_in_flight {
            return false;
        }
        forced || (now >= self.hold_until && self.sent.len() < self.per_minute)
    }

    /// A lookup went out.
    pub fn note_sent(&mut self, now: u64) {
        self.in_flight += 1;
        self.sent.push_back(now);
        // Forced lookups may exceed the window; keep it bounded anyway.
        while self.sent.len() > self.per_minute.saturating_mul(2) {
            self.sent.pop_front();
        }
    }

    /// A lookup ended (answered, or given up).
    pub fn note_done(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// The server said 429 at `now`: hold every unforced lookup for a while (5 s,
    /// doubling with each 429 in a row, at most a minute).
    pub fn hold(&mut self, now: u64) {
        let ms = FIRST_HOLD_MS
            .saturating_mul(1 << self.holds.min(8))
            .min(WINDOW_MS);
        self.holds = self.holds.saturating_add(1);
        self.hold_until = self.hold_until.max(now.saturating_add(ms));
    }

    /// A lookup got an answer that was not a 429: the next hold starts short again.
    pub fn note_answered(&mut self) {
        self.holds = 0;
    }

    /// When an unforced lookup may go out next, if only time is missing (`None` while
    /// the in-flight limit is reached: an answer frees a slot).
    pub fn next_free_at(&self, now: u64) -> Option<u64> {
        if self.in_flight >= self.max_in_flight {
            return None;
        }
        let mut t = now.max(self.hold_until);
        let live: Vec<u64> = self
            .sent
            .iter()
            .copied()
            .filter(|s| now.saturating_sub(*s) < WINDOW_MS)
            .collect();
        if live.len() >= self.per_minute {
            // The slot frees when the oldest of the last `per_minute` leaves the window.
            let idx = live.len() - self.per_minute;
            if let Some(oldest) = live.get(idx) {
                t = t.max(oldest.saturating_add(WINDOW_MS));
            }
        }
        Some(t)
    }

    /// Whether the in-flight limit leaves room for one more.
    pub fn has_slot(&self) -> bool {
        self.in_flight < self.max_in_flight
    }

    /// Lookups under way.
    pub fn in_flight(&self) -> usize {
        self.in_flight
    }

    /// Lookups sent in the last minute (as of `now`).
    pub fn last_minute(&self, now: u64) -> usize {
        self.sent
            .iter()
            .filter(|s| now.saturating_sub(**s) < WINDOW_MS)
            .count()
    }
}

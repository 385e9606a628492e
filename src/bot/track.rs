//! What the engine keeps in memory about a non-final entry: the requests under way for
//! it and when to look it up next. Lost on restart by design: a restarted engine treats
//! every request of the previous run as possibly still travelling.

/// A request under way (on the engine's clocks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InFlight {
    /// The token the driver echoes.
    pub token: u64,
    /// When it went out (`mono`).
    pub sent_mono: u64,
    /// When it went out (`guard`).
    pub sent_guard: u64,
    /// When the engine stops waiting for it (`guard`).
    pub deadline: u64,
}

/// The in-memory state of one non-final entry.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Track {
    /// The claim under way, if any (at most one per order).
    pub claim: Option<InFlight>,
    /// The lookup under way, if any.
    pub get: Option<InFlight>,
    /// The fiat-sent under way, if any.
    pub fiat: Option<InFlight>,
    /// When to look the order up next (`mono`); `None`: not scheduled.
    pub next_check: Option<u64>,
    /// `guard` time after which no claim request of ours for it can still land. Set when a
    /// claim's outcome is unknown and at load; a lookup answering `open` proves the claim
    /// never landed only if it went out after this.
    pub quiet_at: Option<u64>,
    /// Lookups answered since the entry last changed state.
    pub checks: u32,
    /// Failed lookups in a row (for the backoff).
    pub errors: u32,
    /// The operator asked to settle it now.
    pub forced: bool,
    /// The answer could not be judged without our LP id: look again once it is known.
    pub needs_lp_id: bool,
    /// Dry run: the pause before the next lookup (doubles).
    pub dry_pause: u64,
}

impl Track {
    /// True while a request for the entry is under way.
    pub fn busy(&self) -> bool {
        self.claim.is_some() || self.get.is_some() || self.fiat.is_some()
    }
}

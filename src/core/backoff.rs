//! Reconnect delays: exponential from `initial`, capped at `max`, with jitter, and
//! reset only after a connection has stayed live for `stable_after` (a server that
//! accepts and then drops at once must not be hammered at the initial delay).

use super::rng::SplitMix64;

/// Fraction of a delay that jitter may take away (delays fall in `[0.8·d, d]`).
const JITTER: f64 = 0.2;

/// Exponential backoff state.
#[derive(Debug, Clone)]
pub struct Backoff {
    initial_ms: u64,
    max_ms: u64,
    failures: u32,
    rng: SplitMix64,
}

impl Backoff {
    /// A fresh backoff. `initial_ms` ≥ 1 and `max_ms` ≥ `initial_ms` are enforced.
    pub fn new(initial_ms: u64, max_ms: u64, seed: u64) -> Self {
        let initial_ms = initial_ms.max(1);
        Backoff {
            initial_ms,
            max_ms: max_ms.max(initial_ms),
            failures: 0,
            rng: SplitMix64::new(seed),
        }
    }

    /// The un-jittered delay for the next attempt: initial · 2^failures, capped.
    pub fn base_delay_ms(&self) -> u64 {
        let shift = self.failures.min(32);
        self.initial_ms
            .saturating_mul(1u64 << shift)
            .min(self.max_ms)
    }

    /// Records a failed attempt and returns the jittered delay before the next one.
    pub fn next_delay_ms(&mut self) -> u64 {
        let base = self.base_delay_ms();
        self.failures = self.failures.saturating_add(1);
        self.jitter(base)
    }

    /// The cap, jittered: for "too many connections", where a quick retry only adds load.
    pub fn cap_delay_ms(&mut self) -> u64 {
        self.failures = self.failures.saturating_add(1);
        self.jitter(self.max_ms)
    }

    /// Back to the initial delay (after a connection stayed live long enough).
    pub fn reset(&mut self) {
        self.failures = 0;
    }

    /// Attempts failed since the last reset.
    pub fn failures(&self) -> u32 {
        self.failures
    }

    fn jitter(&mut self, base: u64) -> u64 {
        let cut = (base as f64 * JITTER * self.rng.next_unit()) as u64;
        (base - cut.min(base)).max(1)
    }
}

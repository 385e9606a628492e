//! The engine's clocks, all derived from the wall-clock times the driver passes in.
//!
//! The wall clock can jump. So timers do not run on it directly:
//! - `mono` advances by the time between two inputs, never backwards (a jump back costs
//!   no time: timers keep their pace) and at most [`MAX_STEP_MS`] per input (the engine
//!   never asks to be woken further ahead, so an on-time driver is credited in full).
//!   GET schedules and rate limits run on it.
//! - `guard` advances the same way but at most `guard_step` (half the request timeout)
//!   per input. It times the rules where running fast would lose money: "no claim
//!   request of ours can still land" (2 × the request timeout after the last one could
//!   have been sent), and "the driver will not report this request any more" (a
//!   request's deadline). A forward jump then counts for at most half a timeout, however
//!   large, so a request still travelling cannot be taken for one that never landed
//!   (that holds for one jump per 2 × the timeout; no clock read can tell more). While
//!   such a wait runs the engine asks to be woken every `guard_step`.
//!
//! Both are in-memory only; times written to the journal are wall-clock.

/// Most time one input adds to `mono`.
pub const MAX_STEP_MS: u64 = 60_000;

/// The wall clock as last seen, and the two derived clocks.
#[derive(Debug, Clone)]
pub struct Clock {
    wall: u64,
    mono: u64,
    guard: u64,
    guard_step: u64,
    started: bool,
}

impl Clock {
    /// A clock whose guard advances at most `guard_step` ms per input.
    pub fn new(guard_step: u64) -> Self {
        Clock {
            wall: 0,
            mono: 0,
            guard: 0,
            guard_step: guard_step.max(1),
            started: false,
        }
    }

    /// An input arrived at wall time `now`.
    pub fn advance(&mut self, now: u64) {
        if !self.started {
            self.started = true;
            self.wall = now;
            return;
        }
        let d = now.saturating_sub(self.wall);
        self.wall = now;
        self.mono = self.mono.saturating_add(d.min(MAX_STEP_MS));
        self.guard = self.guard.saturating_add(d.min(self.guard_step));
    }

    /// The latest wall-clock time passed in.
    pub fn wall(&self) -> u64 {
        self.wall
    }

    /// Monotonic ms (schedules, rate limits).
    pub fn mono(&self) -> u64 {
        self.mono
    }

    /// Guarded ms (the landing rule).
    pub fn guard(&self) -> u64 {
        self.guard
    }

    /// Most the guard clock advances per input.
    pub fn guard_step(&self) -> u64 {
        self.guard_step
    }
}

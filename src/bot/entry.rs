//! A journal entry: what the bot knows about one order it decided to claim (live) or
//! would have claimed (dry run), and how that ended.
//!
//! Live states:
//!
//! ```text
//! pending ─▶ claimed ─▶ fiat_sent ─▶ completed
//!    │          └──────────┴─▶ gone (expired, cancelled, 404, another owner, open again)
//!    └─▶ lost | failed | released | gone
//! ```
//!
//! `pending` is written before the claim request it guards; only a definite answer (the
//! claim's own, or a lookup's) moves an entry on. Dry-run entries are `would_claim`, final
//! once their observed outcome ([`DryOutcome`]) is known.

use serde::{Deserialize, Serialize};

use crate::mode::Mode;
use crate::policy::Verdict;

/// The largest order id (2^53 - 1): ids must be exact as JS numbers.
pub const MAX_ID: u64 = rampwire_lp_core::wire::MAX_ID;

/// Where an entry is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EntryState {
    /// Journaled before the claim request; outcome not yet known.
    Pending,
    /// Ours: fiat must be sent.
    Claimed,
    /// Ours, fiat marked sent; waiting for `completed`.
    FiatSent,
    /// Ours and done (final).
    Completed,
    /// Another LP won it (final).
    Lost,
    /// The claim was refused before anything happened (final).
    Failed,
    /// A lookup proved our claim never landed and can no longer land (final, but the
    /// order may be claimed again if the policy still wants it).
    Released,
    /// The server says the order is expired, cancelled, unknown, or not ours although we
    /// thought it was (final; the reason is kept).
    Gone,
    /// Dry run: the policy would have claimed it (final once `outcome` is set).
    WouldClaim,
}

impl EntryState {
    /// The name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            EntryState::Pending => "pending",
            EntryState::Claimed => "claimed",
            EntryState::FiatSent => "fiat_sent",
            EntryState::Completed => "completed",
            EntryState::Lost => "lost",
            EntryState::Failed => "failed",
            EntryState::Released => "released",
            EntryState::Gone => "gone",
            EntryState::WouldClaim => "would_claim",
        }
    }

    /// Holds collateral: pending, claimed, fiat sent.
    pub fn is_open(self) -> bool {
        matches!(
            self,
            EntryState::Pending | EntryState::Claimed | EntryState::FiatSent
        )
    }

    /// Counts toward the daily USD cap: open states and completed.
    pub fn is_spent(self) -> bool {
        self.is_open() || self == EntryState::Completed
    }

    /// The order is ours on the server (as far as this entry knows).
    pub fn is_ours(self) -> bool {
        matches!(
            self,
            EntryState::Claimed | EntryState::FiatSent | EntryState::Completed
        )
    }
}

/// Why an entry became `gone`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum GoneReason {
    /// The server says `expired`.
    Expired,
    /// The server says `cancelled`.
    Cancelled,
    /// 404: the server does not know the order.
    NotFound,
    /// Another LP owns it although we thought it ours.
    OtherOwner {
        /// The owner the server named.
        lp_id: u64,
    },
    /// The server shows the order `open` again although we held it.
    Reopened,
}

impl GoneReason {
    /// A short code for logs.
    pub fn as_str(&self) -> &'static str {
        match self {
            GoneReason::Expired => "expired",
            GoneReason::Cancelled => "cancelled",
            GoneReason::NotFound => "not_found",
            GoneReason::OtherOwner { .. } => "other_owner",
            GoneReason::Reopened => "reopened",
        }
    }
}

/// What became of an order the dry run would have claimed. Observed, never guessed:
/// `unknown` when nothing could tell.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum DryOutcome {
    /// An `order_taken` frame: another LP claimed it over the socket at `at`.
    Taken {
        /// When the frame arrived (wall ms).
        at: u64,
    },
    /// A lookup showed another owner (an HTTP claimer: no frame is broadcast).
    ClaimedByOther {
        /// The owner, when the server named one.
        lp_id: Option<u64>,
        /// When the lookup answered (wall ms).
        at: u64,
    },
    /// A lookup showed this LP as the owner: claimed with this key by something else
    /// (never by this dry run).
    ClaimedByThisLp {
        /// When the lookup answered.
        at: u64,
    },
    /// The server says `expired`.
    Expired {
        /// When the lookup answered.
        at: u64,
    },
    /// The server says `cancelled`.
    Cancelled {
        /// When the lookup answered.
        at: u64,
    },
    /// 404.
    NotFound {
        /// When the lookup answered.
        at: u64,
    },
    /// Still open at the last lookup the budget allowed: nobody took it (a claim would
    /// have won).
    StillOpen {
        /// When the last lookup answered.
        at: u64,
    },
    /// Nothing could tell.
    Unknown {
        /// Why.
        reason: String,
        /// When the bot gave up.
        at: u64,
    },
}

impl DryOutcome {
    /// A short code for logs and the summary.
    pub fn as_str(&self) -> &'static str {
        match self {
            DryOutcome::Taken { .. } => "taken",
            DryOutcome::ClaimedByOther { .. } => "claimed_by_other",
            DryOutcome::ClaimedByThisLp { .. } => "claimed_by_this_lp",
            DryOutcome::Expired { .. } => "expired",
            DryOutcome::Cancelled { .. } => "cancelled",
            DryOutcome::NotFound { .. } => "not_found",
            DryOutcome::StillOpen { .. } => "still_open",
            DryOutcome::Unknown { .. } => "unknown",
        }
    }

    /// When it was observed (wall ms).
    pub fn at(&self) -> u64 {
        match self {
            DryOutcome::Taken { at }
            | DryOutcome::ClaimedByOther { at, .. }
            | DryOutcome::ClaimedByThisLp { at }
            | DryOutcome::Expired { at }
            | DryOutcome::Cancelled { at }
            | DryOutcome::NotFound { at }
            | DryOutcome::StillOpen { at }
            | DryOutcome::Unknown { at, .. } => *at,
        }
    }

    /// Someone else took the order (the race a claim would have run).
    pub fn is_taken(&self) -> bool {
        matches!(
            self,
            DryOutcome::Taken { .. }
                | DryOutcome::ClaimedByOther { .. }
                | DryOutcome::ClaimedByThisLp { .. }
        )
    }
}

/// The last failure seen for an entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EntryError {
    /// The client's error kind (`timeout`, `server`, `unknown`, ...).
    pub kind: String,
    /// Its message (the client never puts the key in one).
    pub message: String,
    /// When (wall ms).
    pub at: u64,
}

/// One order the bot decided to claim, or would have in a dry run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    /// The order id (< 2^53).
    pub id: u64,
    /// Live or dry run, as decided; never changes.
    pub mode: Mode,
    /// Where it is.
    pub state: EntryState,
    /// The order's currency.
    pub currency: String,
    /// Its fiat amount as seen (always readable for a claim: unreadable orders are skipped).
    pub amount_fiat: Option<f64>,
    /// Its USD value as seen.
    pub amount_usd: Option<f64>,
    /// Crypto symbol.
    #[serde(default)]
    pub crypto_symbol: String,
    /// Crypto chain.
    #[serde(default)]
    pub crypto_chain: String,
    /// When the driver received the order (wall ms): the start of a dry run's window.
    pub received_at: u64,
    /// When the engine first decided about it (wall ms).
    pub seen_at: u64,
    /// When the current claim attempt started (wall ms); its UTC day is the daily cap's.
    pub claim_started_at: Option<u64>,
    /// Last change (wall ms).
    pub updated_at: u64,
    /// When it became final (wall ms).
    #[serde(default)]
    pub final_at: Option<u64>,
    /// The policy's verdict that made the entry.
    pub verdict: Verdict,
    /// Claim attempts (a second only after a lookup proved the first never landed).
    #[serde(default)]
    pub attempts: u32,
    /// The last failure.
    #[serde(default)]
    pub error: Option<EntryError>,
    /// Why it is gone.
    #[serde(default)]
    pub gone: Option<GoneReason>,
    /// The owner a lookup named (the winner of a lost race).
    #[serde(default)]
    pub owner: Option<u64>,
    /// Lookups answered for it (counted in memory; written with the next change).
    #[serde(default)]
    pub reconcile_count: u32,
    /// When the operator asked to mark fiat sent (wall ms).
    #[serde(default)]
    pub fiat_sent_requested_at: Option<u64>,
    /// Dry run: the latest lookup that saw the order still open (wall ms).
    #[serde(default)]
    pub open_seen_at: Option<u64>,
    /// Dry run: what became of the order.
    #[serde(default)]
    pub outcome: Option<DryOutcome>,
}

impl Entry {
    /// Final entries never change again (a `released` one may start a new attempt).
    pub fn is_final(&self) -> bool {
        match self.state {
            EntryState::Pending | EntryState::Claimed | EntryState::FiatSent => false,
            EntryState::WouldClaim => self.outcome.is_some(),
            _ => true,
        }
    }

    /// Holds collateral (live, pending/claimed/fiat sent), or in a dry run the simulated
    /// slot of a would-claim whose fate is not yet known.
    pub fn is_open(&self) -> bool {
        match self.mode {
            Mode::Live => self.state.is_open(),
            Mode::DryRun => self.state == EntryState::WouldClaim && self.outcome.is_none(),
        }
    }

    /// Counts toward its mode's daily USD figure.
    pub fn is_spent(&self) -> bool {
        match self.mode {
            Mode::Live => self.state.is_spent(),
            Mode::DryRun => self.state == EntryState::WouldClaim,
        }
    }

    /// The entry as JSON (what a driver stores).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// An entry from its JSON, as written by [`Entry::to_json`].
    pub fn from_json(text: &str) -> Result<Entry, serde_json::Error> {
        serde_json::from_str(text)
    }

    /// The time compaction ages it by: when it became final (or last changed).
    pub fn age_time(&self) -> u64 {
        self.final_at.unwrap_or(self.updated_at)
    }
}

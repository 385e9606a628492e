//! The claim policy: which orders to claim, given the settings and the usage derived from
//! the journal. Fails closed: an order whose amounts cannot be read is never claimed.

use serde::{Deserialize, Serialize};

use crate::order::OrderInfo;
use crate::settings::Settings;

/// Why an order is not claimed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipRule {
    /// The journal is not loaded yet (a claim could double one of a previous run).
    NotLoaded,
    /// The bot is stopped (a rejected key or a bad setting).
    Stopped,
    /// The operator paused the bot.
    Paused,
    /// The order already has an entry (seen before, claimed, or decided).
    AlreadyJournaled,
    /// The order was claimed as often as `MAX_CLAIM_ATTEMPTS` allows.
    AttemptsExhausted,
    /// The id is not a usable order id (above 2^53 - 1).
    BadId,
    /// The order's status is not `open`.
    NotOpen,
    /// The currency is not in `ALLOWED_CURRENCIES`.
    Currency,
    /// `amount_fiat` or `amount_usd` is unreadable (fails closed).
    AmountUnreadable,
    /// `amount_fiat` is below `MIN_AMOUNT`.
    BelowMin,
    /// `amount_fiat` is above `MAX_AMOUNT`.
    AboveMax,
    /// The crypto symbol/chain is not in `CRYPTO`.
    Crypto,
    /// `MAX_OPEN_CLAIMS` claims already hold collateral.
    MaxOpen,
    /// The order would take the day's claims past `DAILY_USD_CAP`.
    DailyCap,
    /// Too many dry-run entries wait for a lookup already.
    DryRunBacklog,
}

impl SkipRule {
    /// The name used in JSON and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipRule::NotLoaded => "not_loaded",
            SkipRule::Stopped => "stopped",
            SkipRule::Paused => "paused",
            SkipRule::AlreadyJournaled => "already_journaled",
            SkipRule::AttemptsExhausted => "attempts_exhausted",
            SkipRule::BadId => "bad_id",
            SkipRule::NotOpen => "not_open",
            SkipRule::Currency => "currency",
            SkipRule::AmountUnreadable => "amount_unreadable",
            SkipRule::BelowMin => "below_min",
            SkipRule::AboveMax => "above_max",
            SkipRule::Crypto => "crypto",
            SkipRule::MaxOpen => "max_open",
            SkipRule::DailyCap => "daily_cap",
            SkipRule::DryRunBacklog => "dry_run_backlog",
        }
    }
}

/// The policy's decision about one order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Claim it (or, in a dry run, journal that we would).
    Claim,
    /// Do not, by this rule.
    Skip(SkipRule),
}

/// What the journal says is in use, for the mode a decision is made in.
#[derive(Debug, Clone, Copy, PartialEq, Default, Serialize)]
pub struct Usage {
    /// Entries holding collateral.
    pub open_claims: u32,
    /// USD of the day's claims (non-finite when an entry's USD value is unreadable:
    /// then nothing more is claimed that day).
    pub daily_usd: f64,
}

/// The order rules of the settings.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy<'a> {
    settings: &'a Settings,
}

impl<'a> Policy<'a> {
    /// The policy of `settings`.
    pub fn new(settings: &'a Settings) -> Self {
        Policy { settings }
    }

    /// The rules about the order itself (currency, amounts, crypto), before usage.
    pub fn check_order(&self, order: &OrderInfo) -> Verdict {
        let s = self.settings;
        if !order.status.is_empty() && order.status != "open" {
            return Verdict::Skip(SkipRule::NotOpen);
        }
        let currency = order.currency.trim().to_ascii_uppercase();
        if !s.allowed_currencies.contains(&currency) {
            return Verdict::Skip(SkipRule::Currency);
        }
        let (Some(fiat), Some(_usd)) = (order.fiat(), order.usd()) else {
            return Verdict::Skip(SkipRule::AmountUnreadable);
        };
        if s.min_amount.get(&currency).is_some_and(|min| fiat < *min) {
            return Verdict::Skip(SkipRule::BelowMin);
        }
        // Every allowed currency has a maximum; a missing one fails closed.
        if !s.max_amount.get(&currency).is_some_and(|max| fiat <= *max) {
            return Verdict::Skip(SkipRule::AboveMax);
        }
        if !s.crypto.is_empty()
            && !s
                .crypto
                .iter()
                .any(|r| r.matches(&order.crypto_symbol, &order.crypto_chain))
        {
            return Verdict::Skip(SkipRule::Crypto);
        }
        Verdict::Claim
    }

    /// The whole policy: the order rules, then the limits against `usage`.
    pub fn evaluate(&self, order: &OrderInfo, usage: Usage) -> Verdict {
        if let Verdict::Skip(rule) = self.check_order(order) {
            return Verdict::Skip(rule);
        }
        if usage.open_claims >= self.settings.max_open_claims {
            return Verdict::Skip(SkipRule::MaxOpen);
        }
        if let Some(cap) = self.settings.daily_usd_cap {
            let usd = order.usd().unwrap_or(f64::INFINITY);
            // A NaN or infinite usage compares as nothing: fails closed.
            let within = matches!(
                (usage.daily_usd + usd).partial_cmp(&cap),
                Some(std::cmp::Ordering::Less | std::cmp::Ordering::Equal)
            );
            if !within {
                return Verdict::Skip(SkipRule::DailyCap);
            }
        }
        Verdict::Claim
    }
}

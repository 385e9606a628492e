//! Simulated competitor LPs (`--competitors N`): they take a share of new orders after a
//! delay, over HTTP (no broadcast, as the provider does) or over the WebSocket
//! (`order_taken` to every socket), then pay them (fiat_sent → completed). Each order's
//! fate is drawn when it is created, from a generator of its own seeded by `--seed`: the
//! same seed and the same orders give the same races.

use std::sync::Arc;
use std::time::Duration;

use crate::flow::Rng;
use crate::state::{self, Sim};

/// First LP id of the competitors (ids of configured keys are skipped).
pub const FIRST_LP_ID: u64 = 90;
/// Most competitors.
pub const MAX_COMPETITORS: u32 = 100;
/// Longest delay, ms.
pub const MAX_DELAY_MS: u64 = 3_600_000;

/// The competitors as configured.
#[derive(Debug, Clone)]
pub struct Competitors {
    pub lp_ids: Vec<u64>,
    /// Share of new orders they go for, 0..=1.
    pub share: f64,
    /// Delay from broadcast to their claim (and from their claim to fiat_sent), ms.
    pub delay_ms: (u64, u64),
    /// Share of their claims made over the WebSocket, 0..=1.
    pub ws_share: f64,
}

/// One competitor's go at one order.
#[derive(Debug, Clone, Copy)]
pub struct Plan {
    pub lp_id: u64,
    pub claim_after: Duration,
    pub ws: bool,
    pub pay_after: Duration,
}

impl Competitors {
    /// `count` competitors with LP ids from `FIRST_LP_ID` up, skipping `taken` ids.
    pub fn new(
        count: u32,
        taken: &[u64],
        share: f64,
        delay_ms: (u64, u64),
        ws_share: f64,
    ) -> Result<Option<Self>, String> {
        if count > MAX_COMPETITORS {
            return Err(format!("--competitors must be at most {MAX_COMPETITORS}"));
        }
        for (name, v) in [
            ("--competitor-share", share),
            ("--competitor-ws-share", ws_share),
        ] {
            if !(v.is_finite() && (0.0..=1.0).contains(&v)) {
                return Err(format!("{name} must be between 0 and 1"));
            }
        }
        if count == 0 {
            return Ok(None);
        }
        let lp_ids = (FIRST_LP_ID..)
            .filter(|id| !taken.contains(id))
            .take(count as usize)
            .collect();
        Ok(Some(Competitors {
            lp_ids,
            share,
            delay_ms,
            ws_share,
        }))
    }

    /// Draws an order's fate: always five draws, taken or not, so each order's fate depends
    /// only on the seed and its place in the sequence.
    pub fn plan(&self, rng: &mut Rng) -> Option<Plan> {
        let take = rng.unit() < self.share;
        let lp_id = *rng.pick(&self.lp_ids);
        let claim_after = self.delay(rng);
        let ws = rng.unit() < self.ws_share;
        let pay_after = self.delay(rng);
        take.then_some(Plan {
            lp_id,
            claim_after,
            ws,
            pay_after,
        })
    }

    fn delay(&self, rng: &mut Rng) -> Duration {
        let (lo, hi) = self.delay_ms;
        // hi <= MAX_DELAY_MS: no overflow.
        Duration::from_millis(lo + rng.next_u64() % (hi - lo + 1))
    }
}

/// Parses `MIN..MAX` or `N` (ms), `MIN <= MAX <= MAX_DELAY_MS`.
pub fn parse_delay(raw: &str) -> Result<(u64, u64), String> {
    let bad = || {
        format!(
            "--competitor-delay-ms takes MIN..MAX in ms (at most {MAX_DELAY_MS}), e.g. 500..5000"
        )
    };
    let num = |s: &str| s.trim().parse::<u64>().map_err(|_| bad());
    let (lo, hi) = match raw.split_once("..") {
        Some((a, b)) => (num(a)?, num(b)?),
        None => {
            let n = num(raw)?;
            (n, n)
        }
    };
    if lo > hi || hi > MAX_DELAY_MS {
        return Err(bad());
    }
    Ok((lo, hi))
}

/// Runs one competitor's plan for order `id`: claim after the delay (lost if someone was
/// faster: the attempt is recorded all the same), then fiat_sent, then completion.
pub async fn race(sim: Arc<Sim>, id: u64, plan: Plan) {
    tokio::time::sleep(plan.claim_after).await;
    let via = if plan.ws { "ws" } else { "http" };
    if sim.claim(id, plan.lp_id, via, sim.now_us()).is_err() {
        tracing::debug!(order = id, lp_id = plan.lp_id, via, "a competitor lost");
        return;
    }
    tracing::info!(
        order = id,
        lp_id = plan.lp_id,
        via,
        "claimed by a competitor"
    );
    if plan.ws {
        state::deliver(sim.order_taken_outbox(id, None));
    }
    tokio::time::sleep(plan.pay_after).await;
    if sim.fiat_sent(id, plan.lp_id).is_ok() {
        crate::rest::schedule_completion(sim, id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_parse_and_are_bounded() {
        assert_eq!(parse_delay("500..5000"), Ok((500, 5000)));
        assert_eq!(parse_delay("30"), Ok((30, 30)));
        assert_eq!(parse_delay(" 0 .. 0 "), Ok((0, 0)));
        for bad in [
            "",
            "..",
            "5..1",
            "a..b",
            "1..3600001",
            "-1..5",
            "18446744073709551615",
        ] {
            assert!(parse_delay(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn lp_ids_skip_configured_keys_and_plans_are_deterministic() {
        let c = Competitors::new(3, &[91], 0.5, (0, 10), 0.5)
            .unwrap()
            .unwrap();
        assert_eq!(c.lp_ids, [90, 92, 93]);
        let draw = |seed| {
            let mut rng = Rng::new(seed);
            (0..100)
                .map(|_| c.plan(&mut rng).map(|p| (p.lp_id, p.claim_after, p.ws)))
                .collect::<Vec<_>>()
        };
        assert_eq!(draw(4), draw(4));
        assert_ne!(draw(4), draw(5));
        assert!(Competitors::new(0, &[], 0.5, (0, 0), 0.5)
            .unwrap()
            .is_none());
        assert!(Competitors::new(1, &[], 1.01, (0, 0), 0.5).is_err());
        assert!(Competitors::new(1, &[], 0.5, (0, 0), f64::NAN).is_err());
    }
}

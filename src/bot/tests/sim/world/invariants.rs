//! The invariants, checked after every step, and the settle checkpoints where the
//! journal must agree with the provider exactly.

use super::*;

impl World {
    /// Invariant 1, at the moment a claim request goes out: a second claim request for an
    /// order only if a lookup of ours, processed after every earlier claim request could
    /// no longer land, answered `open` and that answer reached the bot.
    pub(super) fn check_claim_request(&mut self, id: u64, core_reclaim: bool) {
        let Some(o) = self.model.orders.get(&id) else {
            return;
        };
        let Some(done) = o.our_claims.iter().map(|c| c.done_at()).max() else {
            return;
        };
        let last = o.our_claims.last().map_or(0, |c| c.sent);
        // Proof: an `open` answer that reached the bot, from a lookup the provider
        // processed after every earlier claim request was processed or could no longer
        // land.
        let proven = o.open_seen.iter().any(|g| *g > done && *g <= self.t);
        if proven {
            return;
        }
        let msg = format!(
            "invariant 1: a second claim request for order {id} at {} (previous sent at {}, {} ms earlier, done by {}) with no lookup proving the previous one never landed",
            self.t - START,
            last - START,
            self.t - last,
            done.saturating_sub(START)
        );
        if core_reclaim {
            if self.report.core_findings.len() < 5 {
                let tail: Vec<String> = self.trace.iter().rev().take(12).rev().cloned().collect();
                self.report.core_findings.push(format!(
                    "seed {}: {msg} (the client core's own re-claim)\n{}",
                    self.seed,
                    tail.join("\n")
                ));
            }
            self.note(format!("CORE FINDING: {msg}"));
        } else {
            self.fail(msg);
        }
    }

    /// Invariant 4, at every claim the engine asks for: live, running, within the policy,
    /// and within the collateral and daily limits as the provider sees them.
    pub(super) fn check_claim_action(&mut self, id: u64) {
        let st = self.bot.engine.status(self.wall());
        if self.scenario == Scenario::Dry || st.mode != Mode::Live {
            self.fail(format!("invariant 4: a claim of {id} in dry run"));
        }
        if st.paused || st.stopped.is_some() {
            self.fail(format!("invariant 4: a claim of {id} while {}", st.state));
        }
        let s = self.settings.clone();
        let Some(o) = self.model.orders.get(&id).cloned() else {
            self.fail(format!("invariant 4: a claim of unknown order {id}"));
            return;
        };
        let mut why = None;
        if o.unreadable {
            why = Some("its amounts were unreadable");
        } else if !s.allowed_currencies.iter().any(|c| c == o.currency) {
            why = Some("currency");
        } else if s.max_amount.get(o.currency).map_or(true, |m| o.fiat > *m) {
            why = Some("above MAX_AMOUNT");
        } else if s.min_amount.get(o.currency).is_some_and(|m| o.fiat < *m) {
            why = Some("below MIN_AMOUNT");
        } else if !s.crypto.is_empty() && !s.crypto.iter().any(|r| r.matches(o.symbol, o.chain)) {
            why = Some("crypto");
        }
        if let Some(why) = why {
            self.fail(format!(
                "invariant 4: claim of {id} outside the policy ({why}): {o:?}"
            ));
        }
        let exposure = self.exposure(Some(id));
        if exposure.len() as u32 >= s.max_open_claims {
            self.fail(format!(
                "invariant 4: claim of {id} with {} orders already holding collateral at the provider: {exposure:?}",
                exposure.len()
            ));
        }
        let wall = self.wall();
        if let Some(o) = self.model.orders.get_mut(&id) {
            o.claim_wall = Some(wall);
        }
        self.check_daily(wall_day(wall));
    }

    /// Orders holding (or possibly about to hold) our collateral at the provider.
    pub(super) fn exposure(&self, except: Option<u64>) -> BTreeSet<u64> {
        let mut out: BTreeSet<u64> = self
            .model
            .orders
            .values()
            .filter(|o| o.ours_open())
            .map(|o| o.id)
            .collect();
        for id in &self.in_flight_claims {
            if self
                .model
                .orders
                .get(id)
                .is_some_and(|o| o.status == Status::Open)
            {
                out.insert(*id);
            }
        }
        for f in self.bot.flows.values() {
            if let Purpose::Claim { id, .. } = f.purpose {
                if self
                    .model
                    .orders
                    .get(&id)
                    .is_some_and(|o| o.status == Status::Open || o.ours_open())
                {
                    out.insert(id);
                }
            }
        }
        if let Some(e) = except {
            out.remove(&e);
        }
        out
    }

    pub(super) fn check_daily(&mut self, day: u64) {
        let Some(cap) = self.settings.daily_usd_cap else {
            return;
        };
        let sum: f64 = self
            .model
            .orders
            .values()
            .filter(|o| o.claim_wall.is_some_and(|w| wall_day(w) == day))
            .filter(|o| {
                o.ours() || (o.status == Status::Open && self.in_flight_claims.contains(&o.id))
            })
            .map(|o| o.usd)
            .sum();
        if sum > cap + 1e-6 {
            self.fail(format!(
                "invariant 4: USD {sum} claimed on day {day}, above DAILY_USD_CAP {cap}"
            ));
        }
    }

    /// After every step.
    pub(super) fn check_step(&mut self) {
        // Requests past their window can no longer land.
        let t = self.t;
        let mut done = Vec::new();
        for (rid, r) in self.requests.iter_mut() {
            if !r.landed_or_dropped && t > r.land_by {
                r.landed_or_dropped = true;
            }
            if r.landed_or_dropped && t > r.land_by + 2 * self.t_ms {
                done.push(*rid);
            }
        }
        for rid in done {
            self.requests.remove(&rid);
        }
        self.in_flight_claims = self
            .requests
            .values()
            .filter(|r| !r.landed_or_dropped)
            .filter_map(|r| match r.op {
                Op::Claim(id) => Some(id),
                _ => None,
            })
            .collect();
        if self.crash {
            return;
        }
        let wall = self.wall();
        let j = self.bot.engine.journal();
        for mode in [Mode::Live, Mode::DryRun] {
            let (a, b) = (j.usage(mode, wall), j.recount(mode, wall));
            if a.open_claims != b.open_claims || a.daily_usd.to_bits() != b.daily_usd.to_bits() {
                self.fail(format!("usage cache {a:?} differs from a recount {b:?}"));
                return;
            }
        }
        // The persistence contract: what the engine holds is what it persisted.
        if j.len() != self.store.len() {
            self.fail(format!(
                "journal has {} entries, store {}",
                j.len(),
                self.store.len()
            ));
            return;
        }
        let mut differs = None;
        for e in j.iter() {
            let mut mem = e.clone();
            match self.store.get(&e.id) {
                Some(s) => {
                    mem.reconcile_count = s.reconcile_count;
                    if &mem != s {
                        differs = Some(format!(
                            "entry {} in memory differs from the store:\n{mem:?}\n{s:?}",
                            e.id
                        ));
                        break;
                    }
                }
                None => {
                    differs = Some(format!("entry {} was never persisted", e.id));
                    break;
                }
            }
        }
        if let Some(m) = differs {
            self.fail(m);
            return;
        }
        // Nothing not ours is ever journaled as ours.
        let bad: Vec<u64> = self
            .store
            .values()
            .filter(|e| e.mode == Mode::Live && e.state.is_ours())
            .filter(|e| !self.model.orders.get(&e.id).is_some_and(|o| o.ever_ours))
            .map(|e| e.id)
            .collect();
        if let Some(id) = bad.first() {
            self.fail(format!(
                "invariant 2: entry {id} says ours, the provider never gave it to us"
            ));
        }
        if self.scenario == Scenario::Dry && self.report.claims_sent > 0 {
            self.fail("invariant 4: a claim request in a dry run".into());
        }
        let exposure = self.exposure(None);
        if exposure.len() as u32 > self.settings.max_open_claims {
            self.fail(format!(
                "invariant 4: {} orders hold collateral (max {}): {exposure:?}",
                exposure.len(),
                self.settings.max_open_claims
            ));
        }
        let days: BTreeSet<u64> = self
            .model
            .orders
            .values()
            .filter_map(|o| o.claim_wall.map(wall_day))
            .collect();
        for d in days {
            self.check_daily(d);
        }
    }

    /// Invariants 2 and 3: heal the network, freeze the provider, let the bot reconcile
    /// for a bounded time, then the journal must agree with the provider exactly.
    pub(super) fn settle_and_check(&mut self) {
        if self.failure.is_some() {
            return;
        }
        self.faults = false;
        self.model.frozen = true;
        self.model.key_rejected = false;
        self.note("SETTLE: faults off, provider frozen".into());
        // The operator brings the bot back if it is paused or stopped.
        let st = self.bot.engine.status(self.wall());
        if st.paused || st.stopped.is_some() {
            self.inbox.push_back(Input::Command(Command::Resume));
            self.pump();
        }
        // Bounded: two landing windows, two reconcile rounds, backoffs and the socket.
        let s = &self.settings;
        let bound = 4 * self.t_ms + 3 * s.reconcile_interval_ms + 70_000;
        let end = self.t + bound;
        let mut guard = 0u64;
        self.looked_up.clear();
        self.settle_start = self.t;
        while self.t < end && self.failure.is_none() {
            if self.converged() {
                break;
            }
            // The operator resumes a bot stopped by a refusal that was still on its way.
            let st = self.bot.engine.status(self.wall());
            if st.stopped.is_some() && self.bot.flows.is_empty() {
                self.note("operator: resume (settling)".into());
                self.inbox.push_back(Input::Command(Command::Resume));
                self.pump();
            }
            guard += 1;
            if guard > 200_000 {
                self.fail("settle: too many events".into());
                break;
            }
            let q = self.queue.peek().map(|Reverse((t, _))| *t);
            let next = [q, self.bot.conn.poll_timeout(), self.bot.engine_timer]
                .into_iter()
                .flatten()
                .min();
            if next.map_or(true, |n| n > end) {
                self.t = end;
                break;
            }
            self.next_event();
            self.check_step();
            if self.crash {
                self.restart();
            }
        }
        self.compare();
        self.faults = true;
        self.model.frozen = false;
        for ev in std::mem::take(&mut self.parked) {
            let d = self.model_delay(ev);
            self.at(d, Ev::Model(ev));
        }
        for id in std::mem::take(&mut self.parked_completions) {
            let d = self.rng.range(1, 2_000);
            self.at(d, Ev::Complete { id });
        }
    }

    /// Settled enough to compare: nothing pending or under way, the bot running, and
    /// every claim of ours looked up since the provider froze.
    pub(super) fn converged(&self) -> bool {
        let st = self.bot.engine.status(self.wall());
        if st.paused || st.stopped.is_some() || !self.bot.flows.is_empty() {
            return false;
        }
        if self.requests.values().any(|r| !r.landed_or_dropped) {
            return false;
        }
        let after = self.settle_start.max(self.mutations_done_by);
        self.store
            .values()
            .filter(|e| e.mode == Mode::Live && !e.is_final())
            .all(|e| {
                e.state != EntryState::Pending
                    && self.looked_up.get(&e.id).is_some_and(|t| *t > after)
            })
    }

    pub(super) fn compare(&mut self) {
        let wall = self.wall();
        let status = self.bot.engine.status(wall);
        if status.stopped.is_some() || status.paused {
            self.fail(format!("settle: the bot is {} after resume", status.state));
            return;
        }
        let mut problems = Vec::new();
        for e in self.store.values().filter(|e| e.mode == Mode::Live) {
            if e.state == EntryState::Pending {
                problems.push(format!("entry {} still pending after settling", e.id));
            }
        }
        for o in self.model.orders.values() {
            let entry = self.store.get(&o.id).filter(|e| e.mode == Mode::Live);
            let want = match (o.owner, o.status) {
                (Some(ME), Status::Claimed) => Some(EntryState::Claimed),
                (Some(ME), Status::FiatSent) => Some(EntryState::FiatSent),
                (Some(ME), Status::Completed) => Some(EntryState::Completed),
                _ => None,
            };
            match (want, entry) {
                (Some(w), Some(e)) if e.state == w => {}
                (Some(w), e) => problems.push(format!(
                    "invariant 2: order {} is ours at the provider ({}), journal says {:?}",
                    o.id,
                    w.as_str(),
                    e.map(|e| e.state)
                )),
                (None, Some(e)) if e.state.is_ours() => problems.push(format!(
                    "invariant 2: journal says {} for order {}, the provider says {} owner {:?}",
                    e.state.as_str(),
                    o.id,
                    o.status.as_str(),
                    o.owner
                )),
                _ => {}
            }
        }
        let open = self.model.orders.values().filter(|o| o.ours_open()).count() as u32;
        if status.open_claims != open {
            problems.push(format!(
                "invariant 3: journal open claims {} != provider's {open}",
                status.open_claims
            ));
        }
        let today = wall_day(wall);
        let usd: f64 = self
            .model
            .ours()
            .filter(|o| o.claim_wall.is_some_and(|w| wall_day(w) == today))
            .map(|o| o.usd)
            .sum();
        if (status.daily_usd - usd).abs() > 1e-6 {
            problems.push(format!(
                "invariant 3: journal daily USD {} != provider's {usd}",
                status.daily_usd
            ));
        }
        if self.scenario == Scenario::Dry
            && (self.model.ours().count() > 0 || self.report.claims_sent > 0)
        {
            problems.push("invariant 4: the provider gave a dry run an order".into());
        }
        if self.scenario == Scenario::Dry && self.store.values().any(|e| e.mode == Mode::Live) {
            problems.push("a dry run journaled a live entry".into());
        }
        // Dry-run fates read from lookups are what the provider says (never guessed).
        for e in self.store.values().filter(|e| e.mode == Mode::DryRun) {
            let o = self.model.orders.get(&e.id);
            let ok = match &e.outcome {
                Some(DryOutcome::ClaimedByOther { lp_id: Some(l), .. }) => {
                    o.is_some_and(|o| o.owner == Some(*l) && *l != ME)
                }
                Some(DryOutcome::ClaimedByOther { lp_id: None, .. }) => {
                    o.is_some_and(|o| o.owner.is_some())
                }
                Some(DryOutcome::ClaimedByThisLp { .. }) => o.is_some_and(|o| o.owner == Some(ME)),
                Some(DryOutcome::Expired { .. }) => o.is_some_and(|o| o.status == Status::Expired),
                Some(DryOutcome::Cancelled { .. }) => {
                    o.is_some_and(|o| o.status == Status::Cancelled)
                }
                Some(DryOutcome::NotFound { .. }) => o.is_none(),
                _ => true,
            };
            if !ok {
                problems.push(format!(
                    "dry-run entry {} says {:?}, the provider says {:?}",
                    e.id,
                    e.outcome,
                    o.map(|o| (o.status, o.owner))
                ));
            }
        }
        let summary = self.bot.engine.summary(wall);
        let dry = self
            .store
            .values()
            .filter(|e| e.mode == Mode::DryRun)
            .count() as u64;
        if summary.would_claim != dry {
            problems.push(format!(
                "the dry-run summary counts {} would-claims, the journal {dry}",
                summary.would_claim
            ));
        }
        if let Some(p) = problems.first().cloned() {
            let all = problems.join("; ");
            self.note(all);
            self.fail(p);
        } else {
            self.note(format!(
                "SETTLED: {} ours, {open} open, {usd} USD today",
                self.model.ours().count()
            ));
        }
    }
}

//! A scripted driver for unit tests: feeds the engine, keeps a durable store of what it
//! persisted, and collects every other action.

use std::collections::BTreeMap;

use crate::*;

pub const START: u64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
pub const ME: u64 = 12;

pub fn settings(extra: &[(&str, &str)]) -> Settings {
    let mut pairs: Vec<(String, String)> = vec![
        ("ALLOWED_CURRENCIES".into(), "KES,NGN".into()),
        ("MAX_AMOUNT".into(), "KES:20000,NGN:150000".into()),
        ("MAX_OPEN_CLAIMS".into(), "3".into()),
        ("DRY_RUN".into(), "0".into()),
        ("REQUEST_TIMEOUT_MS".into(), "1000".into()),
        ("RECONCILE_INTERVAL_MS".into(), "5000".into()),
    ];
    for (k, v) in extra {
        pairs.retain(|(pk, _)| pk != k);
        pairs.push(((*k).into(), (*v).into()));
    }
    Settings::from_pairs(pairs).expect("valid test settings")
}

pub fn order(id: u64, currency: &str, fiat: Option<f64>, usd: Option<f64>, at: u64) -> OrderInfo {
    OrderInfo {
        id,
        currency: currency.into(),
        amount_fiat: fiat,
        amount_usd: usd,
        crypto_symbol: "usdt".into(),
        crypto_chain: "trx".into(),
        status: "open".into(),
        received_at: at,
    }
}

pub fn body(id: u64, status: &str, lp: &str) -> GetAnswer {
    GetAnswer::Order {
        body: format!(r#"{{"id":{id},"status":"{status}","lp_id":{lp}}}"#),
    }
}

pub struct Bot {
    pub settings: Settings,
    pub engine: Engine,
    pub now: u64,
    pub store: BTreeMap<u64, Entry>,
    pub modes: BTreeMap<u64, ModeRecord>,
    pub actions: Vec<Action>,
    /// Lookups asked and not yet answered: id -> token.
    pub asked: BTreeMap<u64, u64>,
}

impl Bot {
    /// A loaded, connected bot.
    pub fn new(extra: &[(&str, &str)]) -> Bot {
        let s = settings(extra);
        let mut b = Bot {
            engine: Engine::new(s.clone()),
            settings: s,
            now: START,
            store: BTreeMap::new(),
            modes: BTreeMap::new(),
            actions: vec![],
            asked: BTreeMap::new(),
        };
        b.load();
        b.feed(Input::Connected { lp_id: Some(ME) });
        b
    }

    pub fn load(&mut self) {
        let entries = self.store.values().cloned().collect();
        let modes = self.modes.values().cloned().collect();
        self.feed(Input::Load { entries, modes });
    }

    /// Memory lost, store kept.
    pub fn restart(&mut self) {
        self.engine = Engine::new(self.settings.clone());
        self.actions.clear();
        self.asked.clear();
        self.load();
    }

    pub fn feed(&mut self, input: Input) {
        self.engine.handle(self.now, input);
        self.drain();
    }

    pub fn drain(&mut self) {
        while let Some(a) = self.engine.poll_action() {
            match &a {
                Action::Persist { entry } => {
                    self.store.insert(entry.id, (**entry).clone());
                }
                Action::PersistMode { record } => {
                    self.modes.insert(record.seq, record.clone());
                }
                Action::Forget { id } => {
                    self.store.remove(id);
                }
                Action::ForgetMode { seq } => {
                    self.modes.remove(seq);
                }
                Action::GetOrder { id, token } => {
                    self.asked.insert(*id, *token);
                }
                _ => {}
            }
            self.actions.push(a);
        }
    }

    /// Advances the clock by `ms` and fires the timeout.
    pub fn advance(&mut self, ms: u64) {
        self.now += ms;
        self.engine.handle_timeout(self.now);
        self.drain();
    }

    /// Advances in steps of the engine's own timeout until `ms` have passed.
    pub fn run_for(&mut self, ms: u64) {
        let end = self.now + ms;
        while self.now < end {
            let next = self
                .engine
                .poll_delay()
                .map_or(end, |d| self.now + d)
                .clamp(self.now + 1, end);
            self.now = next;
            self.engine.handle_timeout(self.now);
            self.drain();
        }
    }

    pub fn take(&mut self) -> Vec<Action> {
        std::mem::take(&mut self.actions)
    }

    pub fn claims(&self) -> Vec<(u64, u64)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Claim { id, token } => Some((*id, *token)),
                _ => None,
            })
            .collect()
    }

    pub fn gets(&self) -> Vec<(u64, u64)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::GetOrder { id, token } => Some((*id, *token)),
                _ => None,
            })
            .collect()
    }

    pub fn fiat_sents(&self) -> Vec<(u64, u64)> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::FiatSent { id, token } => Some((*id, *token)),
                _ => None,
            })
            .collect()
    }

    pub fn notices(&self) -> Vec<&Notice> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Notify { notice } => Some(notice),
                _ => None,
            })
            .collect()
    }

    pub fn logs(&self, event: &str) -> Vec<&Fields> {
        self.actions
            .iter()
            .filter_map(|a| match a {
                Action::Log {
                    event: e, fields, ..
                } if *e == event => Some(fields),
                _ => None,
            })
            .collect()
    }

    pub fn count(&self, pred: impl Fn(&Action) -> bool) -> usize {
        self.actions.iter().filter(|a| pred(a)).count()
    }

    pub fn state(&self, id: u64) -> Option<EntryState> {
        self.store.get(&id).map(|e| e.state)
    }

    /// Sees `order(id, KES, 5000, 40)` and returns the claim's token.
    pub fn claim_kes(&mut self, id: u64) -> u64 {
        self.take();
        self.feed(Input::Order {
            order: order(id, "KES", Some(5000.0), Some(40.0), self.now),
        });
        let c = self.claims();
        assert_eq!(c.len(), 1, "one claim for {id}: {:?}", self.actions);
        c[0].1
    }

    pub fn answer_get(&mut self, id: u64, answer: GetAnswer) {
        let token = self
            .asked
            .remove(&id)
            .unwrap_or_else(|| panic!("no lookup of {id} was asked: {:?}", self.actions));
        self.take();
        self.feed(Input::OrderState { id, token, answer });
    }

    pub fn open_claims(&self) -> u32 {
        self.engine.status(self.now).open_claims
    }
}

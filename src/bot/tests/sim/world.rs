//! The simulated world: real time, an event queue, the provider model, the network with
//! its faults, and one bot instance (the engine plus the real client core: a
//! `Connection` fed frames and `Flow`s for the REST calls, glued as `src/js/client.rs`
//! and `src/js/flows.rs` glue them), restarted at random with only what it persisted.
//!
//! Its parts: `glue` (the bot's driver), `server` (the provider's socket side and life),
//! `chaos` (faults and the operator), `invariants` (the checks and settle points).

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, VecDeque};

use rampwire_lp_core::flow::{Flow, FlowKind, Input as FlowInput, Outcome, Step};
use rampwire_lp_core::rest::Method;
use rampwire_lp_core::{
    Action as ConnAction, Config, ConfigBuilder, Connection, ErrorKind, Event, LpError, SocketId,
    State,
};

use super::model::{ClaimReq, Model, Op, Status, Treatment, HTTP_RIVAL, ME, WS_RIVAL};
use super::rng::Rng;
use crate::journal::DAY_MS;
use crate::*;

mod chaos;
mod glue;
mod invariants;
mod server;

pub const START: u64 = 1_767_225_600_000 - 3_600_000; // 2025-12-31T23:00Z: a UTC midnight ahead
pub const KEY: &str = "lp_a1b2c3d4";
const TRACE: usize = 120;

/// What a seed exercises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    /// DRY_RUN=0, never switched.
    Live,
    /// DRY_RUN=1, never switched: not one claim may reach the server.
    Dry,
    /// Switched by commands (and a changed setting on restart).
    Mixed,
}

/// The outcome of one run.
#[derive(Debug, Default, Clone)]
pub struct Report {
    pub steps: u64,
    pub claims_sent: u64,
    pub ours: u64,
    pub restarts: u64,
    pub sim_ms: u64,
    /// Violations of the strict invariant 1 by the client core's own re-claims.
    pub core_findings: Vec<String>,
}

/// A broken invariant, with the trace that led to it.
#[derive(Debug)]
pub struct Failure {
    pub seed: u64,
    pub step: u64,
    pub message: String,
    pub trace: Vec<String>,
}

#[derive(Debug, Clone)]
enum Ev {
    Land {
        req: u64,
    },
    Answer {
        req: u64,
    },
    ClientTimeout {
        req: u64,
    },
    Reset {
        req: u64,
    },
    Wake {
        inst: u32,
        flow: u32,
    },
    SockOpen {
        inst: u32,
        sock: SocketId,
    },
    SockFrame {
        inst: u32,
        sock: SocketId,
        text: String,
    },
    SockClosed {
        inst: u32,
        sock: SocketId,
    },
    ServerRecv {
        inst: u32,
        sock: SocketId,
        text: String,
    },
    Complete {
        id: u64,
    },
    Race {
        id: u64,
        ws: bool,
    },
    Model(ModelEv),
}

#[derive(Debug, Clone, Copy)]
enum ModelEv {
    NewOrder,
    WsRival,
    HttpRival,
    Expire,
    CancelClaimed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Purpose {
    Claim { id: u64, token: u64 },
    Get { id: u64, token: u64 },
    FiatSent { id: u64, token: u64 },
}

struct FlowRun {
    flow: Flow,
    purpose: Purpose,
    /// The request it waits for.
    waiting: Option<u64>,
    /// A claim flow has sent its first claim (later ones are the core's re-claims).
    claims_sent: u32,
}

struct Request {
    inst: u32,
    flow: u32,
    op: Op,
    /// What the server does with it.
    treat: Treatment,
    /// When its answer reaches the client after processing, if ever (a delay).
    answer_delay: Option<u64>,
    answer: Option<(u16, String)>,
    processed_at: Option<u64>,
    /// Latest time it can still land (sent + T - 1); it never lands after.
    land_by: u64,
    landed_or_dropped: bool,
}

struct Bot {
    inst: u32,
    engine: Engine,
    conn: Connection,
    cfg: Config,
    flows: BTreeMap<u32, FlowRun>,
    next_flow: u32,
    /// Real time the engine's timer is armed for.
    engine_timer: Option<u64>,
}

struct ServerSock {
    authed: bool,
    currencies: Vec<String>,
    last: u64,
}

pub struct World {
    pub seed: u64,
    rng: Rng,
    pub scenario: Scenario,
    settings: Settings,
    t_ms: u64,
    t: u64,
    skew: i64,
    last_jump: u64,
    queue: BinaryHeap<Reverse<(u64, u64)>>,
    events: BTreeMap<u64, Ev>,
    seq: u64,
    pub model: Model,
    bot: Bot,
    inbox: VecDeque<Input>,
    crash: bool,
    store: BTreeMap<u64, Entry>,
    modes: BTreeMap<u64, ModeRecord>,
    requests: BTreeMap<u64, Request>,
    next_req: u64,
    sockets: BTreeMap<(u32, u32), ServerSock>,
    faults: bool,
    trace: VecDeque<String>,
    verbose: bool,
    failure: Option<String>,
    pub report: Report,
    step: u64,
    /// Orders with a claim request in the network that may still land.
    in_flight_claims: BTreeSet<u64>,
    /// Provider events held while it is frozen.
    parked: Vec<ModelEv>,
    parked_completions: Vec<u64>,
    /// Orders looked up (answer delivered, our LP id known): when the provider
    /// processed the latest such lookup.
    looked_up: BTreeMap<u64, u64>,
    /// No claim or fiat-sent of ours can change anything at the provider after this.
    mutations_done_by: u64,
    settle_start: u64,
    /// The engine's timer firings at one instant (a spin is a driver-visible bug).
    timer_at: u64,
    timer_spins: u32,
}

fn wall_day(w: u64) -> u64 {
    w / DAY_MS
}

impl World {
    pub fn new(seed: u64, verbose: bool) -> World {
        let mut rng = Rng::new(seed);
        let scenario = match rng.range(0, 9) {
            0..=5 => Scenario::Live,
            6..=7 => Scenario::Dry,
            _ => Scenario::Mixed,
        };
        let settings = random_settings(&mut rng, scenario);
        let t = START;
        let bot = new_bot(1, &settings, seed);
        let mut w = World {
            seed,
            rng,
            scenario,
            settings,
            t_ms: settings_timeout(),
            t,
            skew: 0,
            last_jump: 0,
            queue: BinaryHeap::new(),
            events: BTreeMap::new(),
            seq: 0,
            model: Model::new(),
            bot,
            inbox: VecDeque::new(),
            crash: false,
            store: BTreeMap::new(),
            modes: BTreeMap::new(),
            requests: BTreeMap::new(),
            next_req: 1,
            sockets: BTreeMap::new(),
            faults: true,
            trace: VecDeque::new(),
            verbose,
            failure: None,
            report: Report::default(),
            step: 0,
            in_flight_claims: BTreeSet::new(),
            parked: Vec::new(),
            parked_completions: Vec::new(),
            looked_up: BTreeMap::new(),
            mutations_done_by: 0,
            settle_start: 0,
            timer_at: 0,
            timer_spins: 0,
        };
        w.note(format!(
            "seed {seed}: {:?}, MAX_OPEN_CLAIMS={} DAILY_USD_CAP={:?} DRY_RUN={} GETS={}/{}",
            scenario,
            w.settings.max_open_claims,
            w.settings.daily_usd_cap,
            w.settings.dry_run,
            w.settings.max_gets_in_flight,
            w.settings.max_gets_per_minute
        ));
        for _ in 0..w.rng.range(0, 6) {
            w.model.create(&mut Rng::new(seed.wrapping_add(7)));
        }
        for ev in [
            ModelEv::NewOrder,
            ModelEv::WsRival,
            ModelEv::HttpRival,
            ModelEv::Expire,
            ModelEv::CancelClaimed,
        ] {
            let d = w.model_delay(ev);
            w.at(d, Ev::Model(ev));
        }
        w.inbox.push_back(Input::Load {
            entries: vec![],
            modes: vec![],
        });
        w.pump();
        w
    }

    fn wall(&self) -> u64 {
        (self.t as i64 + self.skew).max(0) as u64
    }

    fn note(&mut self, line: String) {
        let line = format!("{:>8} {line}", self.t - START);
        if self.verbose {
            eprintln!("{line}");
        }
        self.trace.push_back(line);
        if self.trace.len() > TRACE {
            self.trace.pop_front();
        }
    }

    fn fail(&mut self, message: String) {
        if self.failure.is_none() {
            self.note(format!("FAILED: {message}"));
            self.failure = Some(message);
        }
    }

    fn at(&mut self, delay: u64, ev: Ev) {
        self.seq += 1;
        self.events.insert(self.seq, ev);
        self.queue.push(Reverse((self.t + delay, self.seq)));
    }

    fn model_delay(&mut self, ev: ModelEv) -> u64 {
        let mean = match ev {
            ModelEv::NewOrder => 700,
            ModelEv::WsRival => 2_500,
            ModelEv::HttpRival => 2_000,
            ModelEv::Expire => 4_000,
            ModelEv::CancelClaimed => 12_000,
        };
        self.rng.delay(mean)
    }

    fn lat(&mut self) -> u64 {
        self.rng.range(1, 15)
    }

    // ---- the run ---------------------------------------------------------------------

    pub fn run(mut self, steps: u64) -> Result<Report, Failure> {
        let checkpoint = 120;
        for s in 0..steps {
            self.step = s;
            self.one_step();
            self.check_step();
            if s % checkpoint == checkpoint - 1 {
                self.settle_and_check();
            }
            if let Some(message) = self.failure.take() {
                return Err(Failure {
                    seed: self.seed,
                    step: s,
                    message,
                    trace: self.trace.iter().cloned().collect(),
                });
            }
        }
        self.settle_and_check();
        if let Some(message) = self.failure.take() {
            return Err(Failure {
                seed: self.seed,
                step: steps,
                message,
                trace: self.trace.iter().cloned().collect(),
            });
        }
        self.report.steps = steps;
        self.report.sim_ms = self.t - START;
        self.report.ours = self.model.ours().count() as u64;
        Ok(self.report)
    }

    fn one_step(&mut self) {
        if self.faults && self.rng.chance(0.12) {
            self.chaos();
        } else {
            self.next_event();
        }
        if self.crash {
            self.restart();
        }
    }

    /// Advances to the next event (a queued one, or a timer of the bot) and runs it.
    fn next_event(&mut self) {
        let q = self.queue.peek().map(|Reverse((t, _))| *t);
        let conn_t = self.bot.conn.poll_timeout();
        let eng_t = self.bot.engine_timer;
        let next = [q, conn_t, eng_t].into_iter().flatten().min();
        let Some(next) = next else {
            return;
        };
        self.t = self.t.max(next);
        if conn_t.is_some_and(|c| c <= self.t) {
            self.bot.conn.handle_timeout(self.t);
            self.pump();
            return;
        }
        if eng_t.is_some_and(|e| e <= self.t) {
            if self.timer_at == self.t {
                self.timer_spins += 1;
                if self.timer_spins > 200 {
                    self.fail("the engine's timer fires again and again at the same time".into());
                }
            } else {
                self.timer_at = self.t;
                self.timer_spins = 0;
            }
            self.bot.engine_timer = None;
            self.inbox.push_back(Input::Timeout);
            self.pump();
            return;
        }
        let Some(Reverse((_, seq))) = self.queue.pop() else {
            return;
        };
        if let Some(ev) = self.events.remove(&seq) {
            self.run_event(ev);
        }
    }

    fn run_event(&mut self, ev: Ev) {
        match ev {
            Ev::Land { req } => self.land(req),
            Ev::Answer { req } => {
                let Some(r) = self.requests.get(&req) else {
                    return;
                };
                let (inst, flow) = (r.inst, r.flow);
                let Some((status, body)) = r.answer.clone() else {
                    return;
                };
                let engine_lookup = self
                    .bot
                    .flows
                    .get(&flow)
                    .is_some_and(|f| matches!(f.purpose, Purpose::Get { .. }));
                let waits = self.live_flow_waits(inst, flow, req);
                let count =
                    |w: &World, id: u64| w.bot.engine.journal().get(id).map(|e| e.reconcile_count);
                let lookup = match (r.op, r.processed_at) {
                    (Op::Get(id), Some(at)) if waits => Some((id, at, count(self, id))),
                    _ => None,
                };
                let open = status == 200 && body.contains("\"status\":\"open\"");
                let told = status == 200 || status == 404;
                let knew_me = self.bot.engine.lp_id().is_some();
                // An `open` answer that reaches the bot: what may prove a claim never
                // landed. Recorded before the bot acts on it (it may re-claim at once),
                // and withdrawn if its consumer gave up on it.
                if let (Some((id, at, _)), true) = (lookup, open) {
                    if let Some(o) = self.model.orders.get_mut(&id) {
                        o.open_seen.push(at);
                    }
                }
                self.deliver(inst, flow, req, FlowInput::Answer { status, body });
                if let Some((id, at, before)) = lookup {
                    // Taken by its consumer: a claim flow's check always is; an engine
                    // lookup only if the engine did not give up on it (its count moved).
                    let taken = !engine_lookup || count(self, id) > before;
                    if !taken && open {
                        if let Some(o) = self.model.orders.get_mut(&id) {
                            if let Some(i) = o.open_seen.iter().rposition(|g| *g == at) {
                                o.open_seen.remove(i);
                            }
                        }
                    }
                    if taken && engine_lookup && told && knew_me {
                        self.looked_up.insert(id, at);
                    }
                }
            }
            Ev::ClientTimeout { req } => {
                let Some(r) = self.requests.get(&req) else {
                    return;
                };
                let (inst, flow) = (r.inst, r.flow);
                let e = LpError::new(ErrorKind::Timeout, "no answer within the request timeout");
                self.deliver(inst, flow, req, FlowInput::NoAnswer(e));
            }
            Ev::Reset { req } => {
                let Some(r) = self.requests.get(&req) else {
                    return;
                };
                let (inst, flow) = (r.inst, r.flow);
                let e = LpError::new(ErrorKind::Network, "network error: connection reset");
                self.deliver(inst, flow, req, FlowInput::NoAnswer(e));
            }
            Ev::Wake { inst, flow } => {
                if inst == self.bot.inst
                    && self
                        .bot
                        .flows
                        .get(&flow)
                        .is_some_and(|f| f.waiting.is_none())
                {
                    self.flow_step(flow, FlowInput::Wake);
                    self.pump();
                }
            }
            Ev::SockOpen { inst, sock } => {
                if inst != self.bot.inst {
                    return;
                }
                let url = self.bot.cfg.socket_url();
                let currencies = url
                    .split("currencies=")
                    .nth(1)
                    .map(|c| c.split(',').map(str::to_owned).collect())
                    .unwrap_or_default();
                self.sockets.insert(
                    (inst, sock.0),
                    ServerSock {
                        authed: false,
                        currencies,
                        last: self.t,
                    },
                );
                self.bot.conn.handle_open(sock, self.t);
                self.pump();
                self.server_send(
                    (inst, sock.0),
                    r#"{"type":"auth_required","message":"Send {\"type\":\"auth\",\"lp_key\":\"lp_...\"} to continue"}"#.to_owned(),
                );
            }
            Ev::SockFrame { inst, sock, text } => {
                if inst == self.bot.inst && self.sockets.contains_key(&(inst, sock.0)) {
                    self.bot.conn.handle_frame(sock, self.t, &text);
                    self.pump();
                }
            }
            Ev::SockClosed { inst, sock } => {
                if inst == self.bot.inst {
                    self.bot.conn.handle_close(sock, self.t, 1006);
                    self.pump();
                }
            }
            Ev::ServerRecv { inst, sock, text } => self.server_recv(inst, sock, &text),
            Ev::Complete { id } => {
                if self.model.frozen {
                    self.parked_completions.push(id);
                    return;
                }
                if let Some(o) = self.model.orders.get_mut(&id) {
                    if o.status == Status::FiatSent {
                        o.status = Status::Completed;
                        self.note(format!("model: {id} completed"));
                    }
                }
            }
            Ev::Race { id, ws } => {
                let open = self
                    .model
                    .orders
                    .get(&id)
                    .is_some_and(|o| o.status == Status::Open);
                if self.model.frozen || !open {
                    return;
                }
                if let Some(o) = self.model.orders.get_mut(&id) {
                    o.status = Status::Claimed;
                    o.owner = Some(if ws { WS_RIVAL } else { HTTP_RIVAL });
                }
                self.note(format!(
                    "model: {id} won by a racing rival over {}",
                    if ws { "ws" } else { "http" }
                ));
                if ws {
                    self.broadcast(
                        &format!(r#"{{"type":"order_taken","order_id":{id}}}"#),
                        None,
                    );
                }
            }
            Ev::Model(ev) => {
                if self.model.frozen {
                    // Parked until the provider thaws (no busy events while frozen).
                    self.parked.push(ev);
                    return;
                }
                let d = self.model_delay(ev);
                self.at(d, Ev::Model(ev));
                self.model_event(ev);
            }
        }
    }

    fn live_flow_waits(&self, inst: u32, flow: u32, req: u64) -> bool {
        inst == self.bot.inst
            && self
                .bot
                .flows
                .get(&flow)
                .is_some_and(|f| f.waiting == Some(req))
    }

    /// A request's answer (or its absence) reaches the client, if the client still waits.
    fn deliver(&mut self, inst: u32, flow: u32, req: u64, input: FlowInput) {
        if !self.live_flow_waits(inst, flow, req) {
            return;
        }
        if let Some(f) = self.bot.flows.get_mut(&flow) {
            f.waiting = None;
        }
        self.flow_step(flow, input);
        self.pump();
    }

    fn land(&mut self, req: u64) {
        let Some(r) = self.requests.get(&req) else {
            return;
        };
        let (op, treat, delay) = (r.op, r.treat, r.answer_delay);
        let answer = self.model.handle(op, self.t, treat, &mut self.rng);
        for (due, id) in std::mem::take(&mut self.model.completions) {
            let d = due.saturating_sub(self.t);
            self.at(d, Ev::Complete { id });
        }
        self.note(format!(
            "model: {op:?} landed ({treat:?}) -> {} {}",
            answer.status,
            short(&answer.body)
        ));
        if let Op::Claim(id) = op {
            let t = self.t;
            if let Some(c) = self
                .model
                .orders
                .get_mut(&id)
                .and_then(|o| o.our_claims.iter_mut().find(|c| c.req == req))
            {
                c.processed = Some(t);
            }
        }
        if let Some(r) = self.requests.get_mut(&req) {
            r.processed_at = Some(self.t);
            r.landed_or_dropped = true;
            r.answer = Some((answer.status, answer.body));
        }
        if let Some(d) = delay {
            self.at(d, Ev::Answer { req });
        }
    }
}

fn settings_timeout() -> u64 {
    1_000
}

fn random_settings(rng: &mut Rng, scenario: Scenario) -> Settings {
    let mut pairs: Vec<(String, String)> = vec![
        ("ALLOWED_CURRENCIES".into(), "KES,NGN".into()),
        ("MAX_AMOUNT".into(), "KES:20000,NGN:150000".into()),
        ("MAX_OPEN_CLAIMS".into(), rng.range(1, 5).to_string()),
        ("REQUEST_TIMEOUT_MS".into(), settings_timeout().to_string()),
        (
            "RECONCILE_INTERVAL_MS".into(),
            rng.range(2_000, 8_000).to_string(),
        ),
        ("MAX_GETS_IN_FLIGHT".into(), rng.range(1, 4).to_string()),
        ("MAX_GETS_PER_MINUTE".into(), rng.range(30, 120).to_string()),
        (
            "DRY_RUN".into(),
            if scenario == Scenario::Dry { "1" } else { "0" }.into(),
        ),
        ("API_URL".into(), "http://127.0.0.1:8790".into()),
    ];
    if rng.chance(0.5) {
        pairs.push(("DAILY_USD_CAP".into(), rng.range(100, 1_500).to_string()));
    }
    if rng.chance(0.3) {
        pairs.push(("MIN_AMOUNT".into(), "KES:500".into()));
    }
    if rng.chance(0.3) {
        pairs.push(("CRYPTO".into(), "usdt/trx,xrp".into()));
    }
    if scenario == Scenario::Mixed && rng.chance(0.5) {
        pairs.retain(|(k, _)| k != "DRY_RUN");
        pairs.push(("DRY_RUN".into(), "1".into()));
    }
    Settings::from_pairs(pairs).expect("the simulation's settings are valid")
}

fn new_bot(inst: u32, settings: &Settings, seed: u64) -> Bot {
    let mut b = ConfigBuilder::new(&settings.api_url, KEY);
    b.currencies = settings.allowed_currencies.clone();
    b.heartbeat_ms = 5_000;
    b.pong_timeout_ms = 2_000;
    b.backoff_initial_ms = 200;
    b.backoff_max_ms = 3_000;
    b.request_timeout_ms = settings.request_timeout_ms;
    let cfg = b.build().expect("the simulation's client config is valid");
    Bot {
        inst,
        engine: Engine::new(settings.clone()),
        conn: Connection::new(cfg.clone(), seed),
        cfg,
        flows: BTreeMap::new(),
        next_flow: 1,
        engine_timer: None,
    }
}

fn short(s: &str) -> String {
    rampwire_lp_core::wire::truncate(s, 160).to_owned()
}

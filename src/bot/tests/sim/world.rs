//! The simulated world: real time, an event queue, the provider model, the network with
//! its faults, and one bot instance (the engine plus the real client core: a
//! `Connection` fed frames and `Flow`s for the REST calls, glued as `src/js/client.rs`
//! and `src/js/flows.rs` glue them), restarted at random with only what it persisted.

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

    // ---- the bot's glue (what src/js does) ---------------------------------------------

    /// Runs the bot until nothing is left to do: connection actions, engine inputs and
    /// engine actions, in order.
    fn pump(&mut self) {
        if self.crash {
            return;
        }
        let mut fed = false;
        loop {
            let mut progressed = false;
            while let Some(a) = self.bot.conn.poll_action() {
                progressed = true;
                self.conn_action(a);
            }
            if let Some(input) = self.inbox.pop_front() {
                progressed = true;
                fed = true;
                let wall = self.wall();
                self.bot.engine.handle(wall, input);
            }
            while let Some(a) = self.bot.engine.poll_action() {
                progressed = true;
                if self.faults && self.rng.chance(0.004) {
                    // A crash between two actions: this one and the rest are lost.
                    self.note(format!("CRASH before carrying out {}", short(&a.to_json())));
                    self.crash = true;
                    return;
                }
                self.engine_action(a);
                if self.failure.is_some() {
                    return;
                }
            }
            if !progressed {
                break;
            }
        }
        // Re-armed after each input (the delay counts from the last input's time), on a
        // monotonic timer as `setTimeout`: immune to the wall clock's jumps.
        if fed {
            self.bot.engine_timer = self.bot.engine.poll_delay().map(|d| self.t + d);
        }
    }

    fn conn_action(&mut self, a: ConnAction) {
        let inst = self.bot.inst;
        match a {
            ConnAction::Open { socket, .. } => {
                let d = self.lat();
                self.at(d, Ev::SockOpen { inst, sock: socket });
            }
            ConnAction::Send { socket, text } => {
                let d = self.lat();
                self.at(
                    d,
                    Ev::ServerRecv {
                        inst,
                        sock: socket,
                        text,
                    },
                );
            }
            ConnAction::Close { socket, .. } => {
                self.sockets.remove(&(inst, socket.0));
            }
            ConnAction::Emit(e) => self.conn_event(e),
        }
    }

    fn conn_event(&mut self, e: Event) {
        let wall = self.wall();
        match e {
            Event::Init { orders, lp_id, .. } => {
                self.inbox.push_back(Input::Connected { lp_id });
                for o in &orders {
                    self.inbox.push_back(Input::Order {
                        order: OrderInfo::from_order(o, wall),
                    });
                }
            }
            Event::Order(id) => {
                if let Some(o) = self.bot.conn.book().get(id) {
                    let order = OrderInfo::from_order(o, wall);
                    self.inbox.push_back(Input::Order { order });
                }
            }
            Event::OrderTaken(id) => self.inbox.push_back(Input::OrderTaken { id }),
            Event::State(s) => match s.state {
                State::Failed => {
                    let (kind, message) = s
                        .reason
                        .map(|r| (FailureKind::from(r.kind), r.message))
                        .unwrap_or((FailureKind::Other, "failed".into()));
                    self.note(format!("conn failed: {message}"));
                    self.inbox.push_back(Input::Fatal { kind, message });
                }
                State::Reconnecting => self.inbox.push_back(Input::Disconnected {
                    reason: s.reason.map(|r| r.message),
                }),
                _ => {}
            },
            _ => {}
        }
    }

    fn engine_action(&mut self, a: Action) {
        // The engine never sees the key; nothing it says may hold it.
        if a.to_json().contains(KEY) {
            self.fail(format!(
                "an action holds the LP key: {}",
                short(&a.to_json())
            ));
        }
        match a {
            Action::Persist { entry } => {
                if let Some(old) = self.store.get(&entry.id) {
                    if old.mode != entry.mode {
                        self.fail(format!("entry {} changed mode", entry.id));
                    }
                }
                self.store.insert(entry.id, *entry);
            }
            Action::PersistMode { record } => {
                self.note(format!(
                    "mode record {:?} paused={} ({:?})",
                    record.mode, record.paused, record.source
                ));
                self.modes.insert(record.seq, record);
            }
            Action::Forget { id } => {
                if self.store.get(&id).is_some_and(|e| !e.is_final()) {
                    self.fail(format!("compaction dropped non-final entry {id}"));
                }
                self.store.remove(&id);
            }
            Action::ForgetMode { seq } => {
                self.modes.remove(&seq);
            }
            Action::Connect => {
                self.note("engine: connect".into());
                self.bot.conn.connect(self.t);
            }
            Action::Disconnect => {
                self.note("engine: disconnect".into());
                self.bot.conn.close(self.t);
            }
            Action::Claim { id, token } => {
                self.note(format!("engine: CLAIM {id} (token {token})"));
                self.check_claim_action(id);
                if self
                    .bot
                    .flows
                    .values()
                    .any(|f| matches!(f.purpose, Purpose::Claim { id: i, .. } if i == id))
                {
                    self.fail(format!(
                        "the engine asked a second claim of {id} while one runs"
                    ));
                    return;
                }
                self.start_flow(FlowKind::Claim, Purpose::Claim { id, token });
            }
            Action::GetOrder { id, token } => {
                self.start_flow(FlowKind::GetOrder, Purpose::Get { id, token });
            }
            Action::FiatSent { id, token } => {
                self.note(format!("engine: fiat-sent {id}"));
                if self.bot.engine.mode() != Mode::Live || self.scenario == Scenario::Dry {
                    self.fail(format!("a fiat-sent for {id} in dry run"));
                }
                self.start_flow(FlowKind::FiatSent, Purpose::FiatSent { id, token });
            }
            Action::Notify { notice } => {
                self.note(format!(
                    "notice: {}",
                    short(&serde_json::to_string(&notice).unwrap_or_default())
                ));
            }
            Action::Log {
                level,
                event,
                fields,
                ..
            } => {
                if level >= Level::Info && event != "order_seen" {
                    self.note(format!(
                        "log {event} {}",
                        short(&serde_json::to_string(&fields).unwrap_or_default())
                    ));
                }
            }
        }
    }

    fn start_flow(&mut self, kind: FlowKind, purpose: Purpose) {
        let id = match purpose {
            Purpose::Claim { id, .. } | Purpose::Get { id, .. } | Purpose::FiatSent { id, .. } => {
                id
            }
        };
        let (flow, req) = Flow::start(kind, id, self.t, &self.bot.cfg);
        let fid = self.bot.next_flow;
        self.bot.next_flow += 1;
        self.bot.flows.insert(
            fid,
            FlowRun {
                flow,
                purpose,
                waiting: None,
                claims_sent: 0,
            },
        );
        self.carry_step(fid, Step::Fetch(req));
    }

    fn flow_step(&mut self, fid: u32, input: FlowInput) {
        let me = self.bot.conn.lp_id();
        let t = self.t;
        let Some(run) = self.bot.flows.get_mut(&fid) else {
            return;
        };
        let step = run.flow.step(input, t, &self.bot.cfg, me);
        self.carry_step(fid, step);
    }

    fn carry_step(&mut self, fid: u32, step: Step) {
        match step {
            Step::Fetch(req) => {
                let Some(op) = Op::parse(req.method == Method::Post, &req.url) else {
                    self.fail(format!("the core asked an unknown request {}", req.url));
                    return;
                };
                self.send_request(fid, op);
            }
            Step::Sleep(ms) => {
                let inst = self.bot.inst;
                self.at(ms, Ev::Wake { inst, flow: fid });
            }
            Step::Done(result) => {
                let Some(run) = self.bot.flows.remove(&fid) else {
                    return;
                };
                self.flow_done(run.purpose, result);
            }
        }
    }

    fn flow_done(&mut self, purpose: Purpose, result: Result<Outcome, LpError>) {
        let failed = |e: &LpError| (FailureKind::from(e.kind), e.status, e.message.clone());
        let input = match purpose {
            Purpose::Claim { id, token } => {
                let outcome = match &result {
                    Ok(Outcome::Claimed(body)) => {
                        self.bot.conn.note_claimed(id);
                        ClaimOutcome::Claimed {
                            lp_id: None,
                            order: Some(body.clone()),
                        }
                    }
                    Ok(Outcome::Taken) => {
                        self.bot.conn.note_taken(id);
                        ClaimOutcome::Taken
                    }
                    Ok(Outcome::Order(_)) => ClaimOutcome::Failed {
                        kind: FailureKind::Protocol,
                        status: None,
                        message: "unexpected".into(),
                    },
                    Err(e) => {
                        let (kind, status, message) = failed(e);
                        ClaimOutcome::Failed {
                            kind,
                            status,
                            message,
                        }
                    }
                };
                self.note(format!(
                    "client: claim {id} -> {}",
                    short(&serde_json::to_string(&outcome).unwrap_or_default())
                ));
                Input::ClaimOutcome { id, token, outcome }
            }
            Purpose::Get { id, token } => {
                let answer = match result {
                    Ok(Outcome::Order(body)) | Ok(Outcome::Claimed(body)) => {
                        GetAnswer::Order { body }
                    }
                    Ok(Outcome::Taken) => GetAnswer::Failed {
                        kind: FailureKind::Protocol,
                        status: None,
                        message: "unexpected".into(),
                    },
                    Err(e) if e.kind == ErrorKind::NotFound => GetAnswer::NotFound,
                    Err(e) => {
                        let (kind, status, message) = failed(&e);
                        GetAnswer::Failed {
                            kind,
                            status,
                            message,
                        }
                    }
                };
                Input::OrderState { id, token, answer }
            }
            Purpose::FiatSent { id, token } => {
                let outcome = match result {
                    Ok(Outcome::Order(body)) | Ok(Outcome::Claimed(body)) => {
                        FiatSentOutcome::Order { body }
                    }
                    Ok(Outcome::Taken) => FiatSentOutcome::Failed {
                        kind: FailureKind::Protocol,
                        status: None,
                        message: "unexpected".into(),
                    },
                    Err(e) => {
                        let (kind, status, message) = failed(&e);
                        FiatSentOutcome::Failed {
                            kind,
                            status,
                            message,
                        }
                    }
                };
                Input::FiatSentOutcome { id, token, outcome }
            }
        };
        self.inbox.push_back(input);
    }

    /// Puts a request on the network with its fate drawn now.
    fn send_request(&mut self, fid: u32, op: Op) {
        let t_ms = self.t_ms;
        let req = self.next_req;
        self.next_req += 1;
        if let Some(run) = self.bot.flows.get_mut(&fid) {
            run.waiting = Some(req);
        }
        if let Op::Claim(id) = op {
            let reclaim = self.bot.flows.get(&fid).is_some_and(|f| f.claims_sent > 0);
            if let Some(f) = self.bot.flows.get_mut(&fid) {
                f.claims_sent += 1;
            }
            self.check_claim_request(id, reclaim);
            self.report.claims_sent += 1;
            let c = ClaimReq {
                req,
                sent: self.t,
                land_by: self.t + t_ms - 1,
                processed: None,
            };
            if let Some(o) = self.model.orders.get_mut(&id) {
                o.our_claims.push(c);
            }
            self.in_flight_claims.insert(id);
        }
        let f = self.faults;
        let is_claim = matches!(op, Op::Claim(_) | Op::FiatSent(_));
        let treat = if !f {
            Treatment::Normal
        } else if is_claim {
            match self.rng.range(0, 99) {
                0..=2 => Treatment::FailBefore,
                3..=5 => Treatment::FailAfter,
                6..=7 => Treatment::Redirect {
                    commit: self.rng.chance(0.5),
                },
                8 => Treatment::RateLimit,
                9..=10 => Treatment::Conflict,
                _ => Treatment::Normal,
            }
        } else {
            match self.rng.range(0, 99) {
                0..=2 => Treatment::FailBefore,
                3 => Treatment::RateLimit,
                _ => Treatment::Normal,
            }
        };
        let answer_delay = if f && self.rng.chance(0.04) {
            None // committed, answer lost
        } else if f && self.rng.chance(0.03) {
            Some(t_ms + self.rng.range(1, 500)) // too late: after the client gave up
        } else {
            Some(self.lat())
        };
        let land_by = self.t + t_ms - 1;
        if !matches!(op, Op::Get(_)) {
            self.mutations_done_by = self.mutations_done_by.max(land_by);
        }
        self.requests.insert(
            req,
            Request {
                inst: self.bot.inst,
                flow: fid,
                op,
                treat,
                answer_delay,
                answer: None,
                processed_at: None,
                land_by,
                landed_or_dropped: false,
            },
        );
        let fate = if f { self.rng.range(0, 99) } else { 99 };
        match fate {
            // Lost on the way: never lands.
            0..=2 => {
                if let Some(r) = self.requests.get_mut(&req) {
                    r.answer_delay = None;
                }
            }
            // Connection reset: the client hears of it at once; the request may still land.
            3..=4 => {
                let d = self.rng.range(1, 20);
                self.at(d, Ev::Reset { req });
                if self.rng.chance(0.5) {
                    let d = self.rng.range(1, t_ms - 1);
                    self.at(d, Ev::Land { req });
                }
            }
            // Held: lands late, but within the window.
            5..=8 => {
                let d = self.rng.range(t_ms / 2, t_ms - 1);
                self.at(d, Ev::Land { req });
            }
            _ => {
                let d = self.lat();
                self.at(d, Ev::Land { req });
            }
        }
        self.at(t_ms, Ev::ClientTimeout { req });
        let fate = match fate {
            0..=2 => "lost on the way",
            3..=4 => "connection reset, may still land",
            5..=8 => "held, lands late",
            _ => "normal",
        };
        self.note(format!("net: #{req} {op:?} sent ({treat:?}, {fate})"));
    }

    // ---- the server's socket side ----------------------------------------------------------

    fn server_send(&mut self, key: (u32, u32), text: String) {
        let lat = self.lat();
        let Some(s) = self.sockets.get_mut(&key) else {
            return;
        };
        let at = (self.t + lat).max(s.last + 1);
        s.last = at;
        let d = at - self.t;
        self.at(
            d,
            Ev::SockFrame {
                inst: key.0,
                sock: SocketId(key.1),
                text,
            },
        );
    }

    fn server_recv(&mut self, inst: u32, sock: SocketId, text: &str) {
        let key = (inst, sock.0);
        if !self.sockets.contains_key(&key) {
            return;
        }
        if text.contains("\"type\":\"auth\"") {
            if self.model.key_rejected {
                self.server_send(
                    key,
                    r#"{"type":"error","message":"Invalid lp_key"}"#.to_owned(),
                );
                self.server_close(key, 5);
                return;
            }
            let filter = self
                .sockets
                .get(&key)
                .map(|s| s.currencies.clone())
                .unwrap_or_default();
            let mut open: Vec<u64> = self
                .model
                .orders
                .values()
                .filter(|o| o.status == Status::Open)
                .filter(|o| filter.is_empty() || filter.iter().any(|c| c == o.currency))
                .map(|o| o.id)
                .collect();
            open.sort_unstable_by(|a, b| b.cmp(a));
            open.truncate(20);
            let mut parts = Vec::new();
            for id in open {
                if let Some(o) = self.model.orders.get(&id).cloned() {
                    parts.push(self.model.frame_order(&o, &mut self.rng));
                }
            }
            let lp = if self.rng.chance(0.3) {
                format!("\"{ME}\"")
            } else {
                ME.to_string()
            };
            let init = format!(
                r#"{{"type":"init","orders":[{}],"lp_id":{lp},"currencies":["KES","NGN"]}}"#,
                parts.join(",")
            );
            if let Some(s) = self.sockets.get_mut(&key) {
                s.authed = true;
            }
            self.server_send(key, init);
        } else if text.contains("\"type\":\"ping\"") {
            self.server_send(key, format!(r#"{{"type":"pong","ts":{}}}"#, self.t));
        }
    }

    fn server_close(&mut self, key: (u32, u32), delay: u64) {
        if self.sockets.remove(&key).is_some() {
            self.at(
                delay,
                Ev::SockClosed {
                    inst: key.0,
                    sock: SocketId(key.1),
                },
            );
        }
    }

    fn broadcast(&mut self, text: &str, currency: Option<&str>) {
        let keys: Vec<(u32, u32)> = self
            .sockets
            .iter()
            .filter(|(_, s)| s.authed)
            .filter(|(_, s)| {
                currency.map_or(true, |c| {
                    s.currencies.is_empty() || s.currencies.iter().any(|x| x == c)
                })
            })
            .map(|(k, _)| *k)
            .collect();
        for k in keys {
            self.server_send(k, text.to_owned());
            if self.faults && self.rng.chance(0.05) {
                self.server_send(k, text.to_owned());
            }
        }
    }

    fn model_event(&mut self, ev: ModelEv) {
        let open: Vec<u64> = self
            .model
            .orders
            .values()
            .filter(|o| o.status == Status::Open)
            .map(|o| o.id)
            .collect();
        match ev {
            ModelEv::NewOrder => {
                let id = self.model.create(&mut self.rng);
                if let Some(o) = self.model.orders.get(&id).cloned() {
                    let frame = format!(
                        r#"{{"type":"new_order","order":{}}}"#,
                        self.model.frame_order(&o, &mut self.rng)
                    );
                    self.note(format!(
                        "model: new order {id} {} {} usd {}{}",
                        o.currency,
                        o.fiat,
                        o.usd,
                        if o.unreadable { " (unreadable)" } else { "" }
                    ));
                    self.broadcast(&frame, Some(o.currency));
                    // A rival races for it: our claim may land second (409), or its
                    // order_taken may arrive while our claim is under way.
                    if self.rng.chance(0.3) {
                        let d = self.rng.range(1, 30);
                        let ws = self.rng.chance(0.5);
                        self.at(d, Ev::Race { id, ws });
                    }
                }
            }
            ModelEv::WsRival | ModelEv::HttpRival => {
                let Some(&id) = self.rng.pick(&open) else {
                    return;
                };
                let ws = matches!(ev, ModelEv::WsRival);
                if let Some(o) = self.model.orders.get_mut(&id) {
                    o.status = Status::Claimed;
                    o.owner = Some(if ws { WS_RIVAL } else { HTTP_RIVAL });
                }
                self.note(format!(
                    "model: {id} claimed by a rival over {}",
                    if ws { "ws" } else { "http" }
                ));
                if ws {
                    let frame = if self.rng.chance(0.1) {
                        format!(r#"{{"type":"order_taken","order_id":"{id}"}}"#)
                    } else {
                        format!(r#"{{"type":"order_taken","order_id":{id}}}"#)
                    };
                    self.broadcast(&frame, None);
                }
            }
            ModelEv::Expire => {
                let Some(&id) = self.rng.pick(&open) else {
                    return;
                };
                let status = if self.rng.chance(0.5) {
                    Status::Expired
                } else {
                    Status::Cancelled
                };
                if let Some(o) = self.model.orders.get_mut(&id) {
                    o.status = status;
                }
                self.note(format!("model: {id} {}", status.as_str()));
            }
            ModelEv::CancelClaimed => {
                let held: Vec<u64> = self
                    .model
                    .orders
                    .values()
                    .filter(|o| matches!(o.status, Status::Claimed | Status::FiatSent))
                    .map(|o| o.id)
                    .collect();
                let Some(&id) = self.rng.pick(&held) else {
                    return;
                };
                let mut owner = None;
                if let Some(o) = self.model.orders.get_mut(&id) {
                    o.status = Status::Cancelled;
                    owner = o.owner;
                }
                self.note(format!(
                    "model: claimed order {id} (owner {owner:?}) cancelled"
                ));
            }
        }
    }

    // ---- chaos ---------------------------------------------------------------------------

    fn chaos(&mut self) {
        let r = self.rng.range(0, 999);
        match r {
            0..=19 => self.restart(),
            20..=39 => {
                let keys: Vec<(u32, u32)> = self
                    .sockets
                    .keys()
                    .copied()
                    .filter(|k| k.0 == self.bot.inst)
                    .collect();
                for k in keys {
                    self.note("chaos: socket dropped".into());
                    self.server_close(k, 1);
                }
            }
            40..=49 => {
                let jump = self.rng.range(1_000, 3 * 3_600_000) as i64;
                let back = self.rng.chance(0.5);
                self.skew += if back { -jump } else { jump };
                self.skew = self.skew.max(-(START as i64) + DAY_MS as i64);
                self.last_jump = self.t;
                self.note(format!(
                    "chaos: wall clock jumps {}{} ms",
                    if back { "-" } else { "+" },
                    jump
                ));
            }
            50..=69 => {
                let ids: Vec<u64> = self.model.orders.keys().copied().collect();
                let Some(&id) = self.rng.pick(&ids) else {
                    return;
                };
                let frame = match self.rng.range(0, 2) {
                    0 => format!(r#"{{"type":"claimed","order_id":{id}}}"#),
                    1 => format!(r#"{{"type":"order_taken","order_id":{id}}}"#),
                    _ => r#"{"type":"surprise","x":1}"#.to_owned(),
                };
                self.note(format!("chaos: unsolicited {}", short(&frame)));
                self.broadcast(&frame, None);
            }
            70..=169 => {
                // The operator sent the fiat for one of our claims.
                let claimed: Vec<u64> = self
                    .store
                    .values()
                    .filter(|e| e.mode == Mode::Live && e.state == EntryState::Claimed)
                    .map(|e| e.id)
                    .collect();
                if let Some(&id) = self.rng.pick(&claimed) {
                    self.note(format!("operator: fiat sent {id}"));
                    self.inbox
                        .push_back(Input::Command(Command::FiatSent { id }));
                    self.pump();
                }
            }
            170..=174 => {
                self.note("operator: pause".into());
                self.inbox.push_back(Input::Command(Command::Pause));
                self.pump();
            }
            175..=199 => {
                let st = self.bot.engine.status(self.wall());
                if st.paused || (st.stopped.is_some() && !self.model.key_rejected) {
                    self.note("operator: resume".into());
                    self.inbox.push_back(Input::Command(Command::Resume));
                    self.pump();
                }
            }
            200..=214 if self.scenario == Scenario::Mixed => {
                let c = if self.bot.engine.mode() == Mode::Live {
                    Command::GoDryRun
                } else {
                    Command::GoLive
                };
                self.note(format!("operator: {c:?}"));
                self.inbox.push_back(Input::Command(c));
                self.pump();
            }
            215..=224 => {
                let ids: Vec<u64> = self
                    .store
                    .values()
                    .filter(|e| !e.is_final())
                    .map(|e| e.id)
                    .collect();
                if let Some(&id) = self.rng.pick(&ids) {
                    self.note(format!("operator: release {id}"));
                    self.inbox
                        .push_back(Input::Command(Command::Release { id }));
                    self.pump();
                }
            }
            225..=227 => {
                self.model.key_rejected = true;
                self.note("chaos: the key is now refused".into());
                let keys: Vec<(u32, u32)> = self.sockets.keys().copied().collect();
                for k in keys {
                    self.server_close(k, 1);
                }
            }
            228..=260 => {
                if self.model.key_rejected {
                    self.model.key_rejected = false;
                    self.note("chaos: the key is accepted again".into());
                }
            }
            261..=290 => {
                let ms = self.rng.range(20, 400);
                self.inbox.push_back(Input::RttSample { ms });
                self.pump();
            }
            291..=295 if self.scenario == Scenario::Mixed => {
                // The operator flips DRY_RUN in the settings; it applies on the next start.
                self.settings.dry_run = !self.settings.dry_run;
                self.note(format!(
                    "operator: DRY_RUN setting now {}",
                    self.settings.dry_run
                ));
            }
            _ => self.next_event(),
        }
    }

    /// The bot process dies: memory, flows, sockets and in-flight answers are lost; the
    /// store is kept; requests already sent may still land.
    fn restart(&mut self) {
        self.crash = false;
        self.report.restarts += 1;
        let keys: Vec<(u32, u32)> = self.sockets.keys().copied().collect();
        for k in keys {
            self.sockets.remove(&k);
        }
        let inst = self.bot.inst + 1;
        self.bot = new_bot(
            inst,
            &self.settings,
            self.seed.wrapping_add(u64::from(inst)),
        );
        self.inbox.clear();
        self.note(format!(
            "RESTART as instance {inst} ({} entries stored)",
            self.store.len()
        ));
        self.inbox.push_back(Input::Load {
            entries: self.store.values().cloned().collect(),
            modes: self.modes.values().cloned().collect(),
        });
        self.pump();
    }

    // ---- invariants -------------------------------------------------------------------------

    /// Invariant 1, at the moment a claim request goes out: a second claim request for an
    /// order only if a lookup of ours, processed after every earlier claim request could
    /// no longer land, answered `open` and that answer reached the bot.
    fn check_claim_request(&mut self, id: u64, core_reclaim: bool) {
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
    fn check_claim_action(&mut self, id: u64) {
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
    fn exposure(&self, except: Option<u64>) -> BTreeSet<u64> {
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

    fn check_daily(&mut self, day: u64) {
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
    fn check_step(&mut self) {
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
    fn settle_and_check(&mut self) {
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
    fn converged(&self) -> bool {
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

    fn compare(&mut self) {
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

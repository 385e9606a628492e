//! The bot's glue, as `src/js/client.rs` and `src/js/flows.rs` do it: the connection's
//! actions and events, the engine's actions carried out in order (persist first), the
//! REST flows stepped, and each request put on the network with its fate.

use super::*;

impl World {
    /// Runs the bot until nothing is left to do: connection actions, engine inputs and
    /// engine actions, in order.
    pub(super) fn pump(&mut self) {
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

    pub(super) fn conn_action(&mut self, a: ConnAction) {
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

    pub(super) fn conn_event(&mut self, e: Event) {
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

    pub(super) fn engine_action(&mut self, a: Action) {
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

    pub(super) fn start_flow(&mut self, kind: FlowKind, purpose: Purpose) {
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

    pub(super) fn flow_step(&mut self, fid: u32, input: FlowInput) {
        let me = self.bot.conn.lp_id();
        let t = self.t;
        let Some(run) = self.bot.flows.get_mut(&fid) else {
            return;
        };
        let step = run.flow.step(input, t, &self.bot.cfg, me);
        self.carry_step(fid, step);
    }

    pub(super) fn carry_step(&mut self, fid: u32, step: Step) {
        match step {
            Step::Fetch(req) => {
                let Some(op) = Op::parse(req.method() == Method::Post, &req.url) else {
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

    pub(super) fn flow_done(&mut self, purpose: Purpose, result: Result<Outcome, LpError>) {
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
    pub(super) fn send_request(&mut self, fid: u32, op: Op) {
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
}

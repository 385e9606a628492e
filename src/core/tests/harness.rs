//! A scripted driver: feeds the connection and collects what it asks for.

use crate::*;

pub const KEY: &str = "lp_a1b2c3d4";

pub fn config() -> ConfigBuilder {
    let mut b = ConfigBuilder::new("https://api.rampwire.app", KEY);
    b.heartbeat_ms = 30_000;
    b.pong_timeout_ms = 10_000;
    b
}

pub fn order(id: u64) -> Order {
    OrderView {
        id,
        amount_fiat: Some(5000.0),
        currency: "KES".into(),
        amount_usd: Some(38.79),
        crypto_symbol: "usdt".into(),
        crypto_chain: "trx".into(),
        status: "open".into(),
        created_at: "2026-05-03T12:34:56.000Z".into(),
    }
    .to_order()
}

pub fn order_json(id: u64) -> String {
    format!(
        r#"{{"id":{id},"amount_fiat":5000,"currency":"KES","amount_usd":38.79,"crypto_symbol":"usdt","crypto_chain":"trx","status":"open","created_at":"2026-05-03T12:34:56.000Z"}}"#
    )
}

pub fn init_json(ids: &[u64]) -> String {
    let orders: Vec<String> = ids.iter().map(|&i| order_json(i)).collect();
    format!(
        r#"{{"type":"init","orders":[{}],"lp_id":12,"currencies":["KES"]}}"#,
        orders.join(",")
    )
}

/// A connection plus everything it has asked for.
pub struct Harness {
    pub conn: Connection,
    pub now: Millis,
    pub opened: Vec<(SocketId, String)>,
    pub sent: Vec<(SocketId, String)>,
    pub closed: Vec<SocketId>,
    pub events: Vec<Event>,
}

impl Harness {
    pub fn new(b: ConfigBuilder) -> Self {
        Harness {
            conn: Connection::new(b.build().expect("valid test config"), 7),
            now: 1_000,
            opened: vec![],
            sent: vec![],
            closed: vec![],
            events: vec![],
        }
    }

    pub fn pump(&mut self) {
        while let Some(a) = self.conn.poll_action() {
            match a {
                Action::Open { socket, url } => self.opened.push((socket, url)),
                Action::Send { socket, text } => self.sent.push((socket, text)),
                Action::Close { socket, .. } => self.closed.push(socket),
                Action::Emit(e) => self.events.push(e),
            }
        }
    }

    pub fn socket(&self) -> SocketId {
        self.opened.last().expect("a socket was opened").0
    }

    pub fn connect(&mut self) {
        self.conn.connect(self.now);
        self.pump();
    }

    pub fn open(&mut self) {
        let s = self.socket();
        self.conn.handle_open(s, self.now);
        self.pump();
    }

    pub fn frame(&mut self, text: &str) {
        let s = self.socket();
        self.conn.handle_frame(s, self.now, text);
        self.pump();
    }

    pub fn close_socket(&mut self) {
        let s = self.socket();
        self.conn.handle_close(s, self.now, 1006);
        self.pump();
    }

    /// Advances the clock to `t`, firing every deadline on the way, like a real timer.
    pub fn advance_to(&mut self, t: Millis) {
        while let Some(d) = self.conn.poll_timeout() {
            if d > t {
                break;
            }
            self.now = self.now.max(d);
            self.conn.handle_timeout(self.now);
            self.pump();
        }
        self.now = self.now.max(t);
    }

    pub fn advance(&mut self, ms: u64) {
        let t = self.now + ms;
        self.advance_to(t);
    }

    /// Connect, open, deferred auth, init with `ids`: ends live.
    pub fn go_live(&mut self, ids: &[u64]) {
        self.connect();
        self.open();
        self.frame(r#"{"type":"auth_required","message":"send auth"}"#);
        self.frame(&init_json(ids));
        assert_eq!(self.conn.state(), State::Live);
    }

    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.events)
    }

    pub fn states(&self) -> Vec<State> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::State(s) => Some(s.state),
                _ => None,
            })
            .collect()
    }

    pub fn last_state(&self) -> StateChange {
        self.events
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::State(s) => Some(s.clone()),
                _ => None,
            })
            .expect("a state event")
    }

    pub fn errors(&self) -> Vec<LpError> {
        self.events
            .iter()
            .filter_map(|e| match e {
                Event::Error(e) => Some(e.clone()),
                _ => None,
            })
            .collect()
    }

    pub fn sent_texts(&self) -> Vec<&str> {
        self.sent.iter().map(|(_, t)| t.as_str()).collect()
    }
}

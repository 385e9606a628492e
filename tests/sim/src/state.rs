//! The simulator's shared state: orders, keys, open sockets, faults, request log.
//!
//! One mutex guards orders and sockets, so a claim is atomic: of 50 simultaneous
//! claims on one order exactly one finds it `open`. No `.await` happens under the lock.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::Serialize;
use serde_json::{json, Value};
use tokio::sync::{mpsc, watch};

use crate::flow::{self, Rng};
use crate::model::{self, ClaimArrival, Order};

/// The spec's per-key socket cap.
pub const MAX_SOCKETS_PER_KEY: usize = 5;
/// `init` carries at most this many orders.
pub const INIT_LIMIT: usize = 20;
/// Request lines kept for `/_sim/requests` at most...
const REQUEST_LOG_LIMIT: usize = 50_000;
/// ...and their bytes at most, the oldest dropped first (a URI can be ~400 KB: 3,000 of
/// them made 171 MB before this cap).
pub const REQUEST_LOG_BYTES: usize = 8 * 1024 * 1024;
/// A logged request line is cut to this many bytes, marked `…[N bytes]` (N: its length).
pub const REQUEST_LINE_MAX: usize = 2 * 1024;
/// Orders kept; the lowest ids are forgotten beyond this.
pub const ORDER_LIMIT: usize = 200_000;
/// The largest order or LP id the simulator hands out or accepts: 2^53 - 1. JavaScript
/// numbers cannot tell larger integers apart (2^53 + 1 reads as 2^53).
pub const MAX_ID: u64 = (1 << 53) - 1;
/// Frames queued per socket before a slow consumer is cut.
pub const SOCKET_QUEUE: usize = 4_096;

/// Settings from the command line.
#[derive(Debug, Clone)]
pub struct Settings {
    pub keys: Vec<(String, u64)>,
    pub complete_after: Duration,
    pub auth_timeout: Duration,
    pub seed: u64,
    /// Simulated competitor LPs (`--competitors`), if any.
    pub competitors: Option<crate::competitors::Competitors>,
    /// `--record FILE`, if given.
    pub recorder: Option<Arc<crate::record::Recorder>>,
}

/// What a socket task is told to do besides sending frames.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Control {
    Run,
    /// Close with a close frame.
    Close,
    /// Cut the TCP connection without a close frame.
    Abort,
}

/// A socket as the registry sees it.
#[derive(Debug)]
pub struct SocketEntry {
    pub lp_id: Option<u64>,
    pub currencies: Vec<String>,
    pub tx: mpsc::Sender<Arc<str>>,
    pub control: watch::Sender<Control>,
}

/// Fault injection switches (`POST /_sim/faults`).
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Faults {
    /// Do not answer pings (the socket stays open: half-open for a heartbeat).
    pub mute_pongs: bool,
    /// Send nothing at all on sockets (a silently dead path).
    pub silence: bool,
    /// Fail this many upcoming REST calls with `rest_fail_status`.
    pub rest_fail_count: u32,
    pub rest_fail_status: u16,
    /// Delay REST calls by this many ms...
    pub rest_delay_ms: u64,
    /// ...only the next N of them (0 = every call).
    pub rest_delay_count: u32,
    /// Run the next N REST calls, then answer 502 anyway (the outcome is lost in transit).
    pub rest_lose_answer_count: u32,
    /// Run the next N REST calls (`rest_hold_count`, 0 = every call), then hold the answer
    /// this many ms: the server has committed, the caller does not know yet.
    pub rest_hold_ms: u64,
    pub rest_hold_count: u32,
    /// Reject this many upcoming WebSocket upgrades with `upgrade_reject_status`.
    pub upgrade_reject_count: u32,
    pub upgrade_reject_status: u16,
    /// Write `id` and `lp_id` of REST answers as numeric strings (`"12"`), as some servers
    /// do: a client must compare them as numbers.
    pub string_ids: bool,
}

/// Everything behind the lock.
pub struct Inner {
    pub orders: BTreeMap<u64, Order>,
    pub next_order_id: u64,
    pub sockets: HashMap<u64, SocketEntry>,
    pub next_socket_id: u64,
    pub faults: Faults,
    pub requests: VecDeque<String>,
    /// Bytes of the lines in `requests`.
    pub requests_bytes: usize,
    pub rng: Rng,
    /// Draws the competitors' plans: a stream of its own, so the order flow of a seed is
    /// the same with or without competitors.
    pub competitor_rng: Rng,
    /// Most authenticated sockets each LP ever had open at once.
    pub peak_by_lp: std::collections::BTreeMap<u64, usize>,
}

/// The simulator, shared by every handler.
pub struct Sim {
    pub settings: Settings,
    pub started: Instant,
    inner: Mutex<Inner>,
}

/// Frames to deliver after the lock is released.
pub type Outbox = Vec<(mpsc::Sender<Arc<str>>, watch::Sender<Control>, Arc<str>)>;

/// Fields a caller may set on a new order (the rest is generated).
#[derive(Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct OrderFields {
    pub id: Option<u64>,
    pub amount_fiat: Option<f64>,
    pub currency: Option<String>,
    pub amount_usd: Option<f64>,
    pub crypto_symbol: Option<String>,
    pub crypto_chain: Option<String>,
    pub status: Option<String>,
    pub created_at: Option<String>,
}

impl Sim {
    pub fn new(settings: Settings) -> Arc<Self> {
        Arc::new(Sim {
            started: Instant::now(),
            inner: Mutex::new(Inner {
                orders: BTreeMap::new(),
                next_order_id: 10_001,
                sockets: HashMap::new(),
                next_socket_id: 1,
                faults: Faults::default(),
                requests: VecDeque::new(),
                requests_bytes: 0,
                rng: Rng::new(settings.seed),
                competitor_rng: Rng::new(settings.seed ^ 0xC0AB_5EED_0000_0000),
                peak_by_lp: std::collections::BTreeMap::new(),
            }),
            settings,
        })
    }

    /// The lock. A panic elsewhere never poisons the simulator for others.
    pub fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// µs since start on the monotonic clock.
    pub fn now_us(&self) -> u64 {
        self.started.elapsed().as_micros() as u64
    }

    /// The LP id for a key, compared in constant time.
    pub fn lp_for_key(&self, key: &str) -> Option<u64> {
        use subtle::ConstantTimeEq;
        let mut found = None;
        for (k, id) in &self.settings.keys {
            if k.len() == key.len() && bool::from(k.as_bytes().ct_eq(key.as_bytes())) {
                found = Some(*id);
            }
        }
        found
    }

    /// Logs a request line, cut to `REQUEST_LINE_MAX` bytes; the log keeps at most
    /// `REQUEST_LOG_LIMIT` lines and `REQUEST_LOG_BYTES` bytes, dropping the oldest first.
    pub fn log_request(&self, line: String) {
        let line = bounded_line(line);
        let mut g = self.lock();
        while g.requests.len() >= REQUEST_LOG_LIMIT
            || g.requests_bytes + line.len() > REQUEST_LOG_BYTES
        {
            match g.requests.pop_front() {
                Some(old) => g.requests_bytes -= old.len(),
                None => break,
            }
        }
        g.requests_bytes += line.len();
        g.requests.push_back(line);
    }

    /// Creates an order (random where `f` is silent) and returns it with the frames to send.
    /// A competitor's claim on it, if one is drawn, is scheduled (needs a tokio runtime).
    pub fn create_order(self: &Arc<Self>, f: OrderFields) -> Result<(Value, Outbox), String> {
        let mut g = self.lock();
        let id = match f.id {
            Some(id) if id > MAX_ID => {
                return Err(format!(
                    "order id {id} is not below 2^53 ({}): JavaScript cannot tell such ids apart",
                    MAX_ID + 1
                ))
            }
            Some(id) if g.orders.contains_key(&id) => return Err(format!("order {id} exists")),
            Some(id) => id,
            None if g.next_order_id > MAX_ID => {
                return Err(format!(
                    "no order ids left below 2^53 ({}): the next would be {}",
                    MAX_ID + 1,
                    g.next_order_id
                ))
            }
            None => g.next_order_id,
        };
        let mut d = flow::draft(&mut g.rng);
        if let Some(c) = f.currency {
            let c = c.trim().to_ascii_uppercase();
            if c.is_empty() || c.len() > 10 {
                return Err("currency must be a short code".into());
            }
            let fiat = f.amount_fiat.unwrap_or(d.amount_usd * 100.0);
            let (sym, chain) = (d.crypto_symbol.clone(), d.crypto_chain.clone());
            d = flow::draft_for(&mut g.rng, &c, fiat, &sym, &chain);
        }
        if let Some(a) = f.amount_fiat {
            if !a.is_finite() || a < 0.0 {
                return Err("amount_fiat must be a non-negative number".into());
            }
            d.amount_fiat = a;
            d.amount_usd = flow::usd_value(&d.currency, a);
        }
        // id <= MAX_ID: no overflow.
        g.next_order_id = g.next_order_id.max(id + 1);
        let order = Order {
            id,
            amount_fiat: d.amount_fiat,
            currency: d.currency,
            amount_usd: f.amount_usd.unwrap_or(d.amount_usd),
            crypto_symbol: f.crypto_symbol.unwrap_or(d.crypto_symbol),
            crypto_chain: f.crypto_chain.unwrap_or(d.crypto_chain),
            status: f.status.unwrap_or_else(|| "open".into()),
            created_at: f.created_at.unwrap_or_else(|| model::iso8601(unix_ms())),
            lp_id: None,
            lp_receive_address: None,
            payee: d.payee,
            broadcast_us: None,
            claims: Vec::new(),
        };
        let mut outbox = Outbox::new();
        if order.status == "open" {
            let frame: Arc<str> = json!({"type": "new_order", "order": order.preview()})
                .to_string()
                .into();
            if let Some(r) = &self.settings.recorder {
                r.frame(&frame);
            }
            for s in g.sockets.values() {
                if s.lp_id.is_some() && overlaps(&s.currencies, &order.currency) {
                    outbox.push((s.tx.clone(), s.control.clone(), frame.clone()));
                }
            }
        }
        let mut order = order;
        let mut race = None;
        if order.status == "open" {
            // Stamped as the frames are handed to the sockets (delivery follows the unlock).
            order.broadcast_us = Some(self.now_us());
            if let Some(c) = &self.settings.competitors {
                race = c.plan(&mut g.competitor_rng);
            }
        }
        let view = order.control_view();
        g.orders.insert(id, order);
        while g.orders.len() > ORDER_LIMIT {
            g.orders.pop_first();
        }
        drop(g);
        if let Some(plan) = race {
            if let Ok(rt) = tokio::runtime::Handle::try_current() {
                rt.spawn(crate::competitors::race(self.clone(), id, plan));
            }
        }
        Ok((view, outbox))
    }

    /// `order_taken` for every authenticated socket but `except` (the claimer's own).
    pub fn order_taken_outbox(&self, order_id: u64, except: Option<u64>) -> Outbox {
        let taken: Arc<str> = json!({"type": "order_taken", "order_id": order_id})
            .to_string()
            .into();
        if let Some(r) = &self.settings.recorder {
            r.frame(&taken);
        }
        self.lock()
            .sockets
            .iter()
            .filter(|(sid, s)| Some(**sid) != except && s.lp_id.is_some())
            .map(|(_, s)| (s.tx.clone(), s.control.clone(), taken.clone()))
            .collect()
    }

    /// Claims `id` for `lp_id` atomically. `Ok(view)` when won; `Err(status)` otherwise.
    pub fn claim(&self, id: u64, lp_id: u64, via: &'static str, at_us: u64) -> Result<Value, u16> {
        let mut g = self.lock();
        let order = g.orders.get_mut(&id).ok_or(404u16)?;
        let won = order.status == "open";
        order.claims.push(ClaimArrival {
            lp_id,
            at_us,
            via,
            won,
        });
        if !won {
            return Err(409);
        }
        order.status = "claimed".into();
        order.lp_id = Some(lp_id);
        if let Some(r) = &self.settings.recorder {
            r.state(id, "claimed", Some(lp_id));
        }
        order.lp_receive_address = Some(model::receive_address(lp_id, &order.crypto_chain));
        Ok(order.rest_view(lp_id))
    }

    /// Moves an order we own from claimed to fiat_sent. `Err(status)`: 404/403/409.
    pub fn fiat_sent(&self, id: u64, lp_id: u64) -> Result<Value, u16> {
        let mut g = self.lock();
        let order = g.orders.get_mut(&id).ok_or(404u16)?;
        if order.lp_id != Some(lp_id) {
            return Err(403);
        }
        if order.status != "claimed" {
            return Err(409);
        }
        order.status = "fiat_sent".into();
        if let Some(r) = &self.settings.recorder {
            r.state(id, "fiat_sent", Some(lp_id));
        }
        Ok(order.rest_view(lp_id))
    }

    /// Completes an order after fiat was sent (the "crypto released" step).
    pub fn complete(&self, id: u64) {
        if let Some(o) = self.lock().orders.get_mut(&id) {
            if o.status == "fiat_sent" {
                o.status = "completed".into();
                if let Some(r) = &self.settings.recorder {
                    r.state(id, "completed", o.lp_id);
                }
            }
        }
    }

    /// The `init` frame for a socket's filter: ≤ 20 newest open orders, newest first.
    pub fn init_frame(g: &Inner, lp_id: u64, currencies: &[String]) -> String {
        let orders: Vec<Value> = g
            .orders
            .values()
            .rev()
            .filter(|o| o.status == "open" && overlaps(currencies, &o.currency))
            .take(INIT_LIMIT)
            .map(Order::preview)
            .collect();
        json!({"type": "init", "orders": orders, "lp_id": lp_id, "currencies": currencies})
            .to_string()
    }

    /// Authenticated sockets of one LP.
    pub fn sockets_of(g: &Inner, lp_id: u64) -> usize {
        g.sockets
            .values()
            .filter(|s| s.lp_id == Some(lp_id))
            .count()
    }

    /// Records the socket count of `lp_id` after a socket of it authenticated.
    pub fn note_peak(g: &mut Inner, lp_id: u64) {
        let n = Sim::sockets_of(g, lp_id);
        let peak = g.peak_by_lp.entry(lp_id).or_default();
        *peak = (*peak).max(n);
    }
}

/// `line` if short enough; otherwise its first bytes and `…[N bytes]`, within
/// `REQUEST_LINE_MAX` bytes in all.
pub fn bounded_line(line: String) -> String {
    if line.len() <= REQUEST_LINE_MAX {
        return line;
    }
    let mark = format!("…[{} bytes]", line.len());
    let mut cut = REQUEST_LINE_MAX - mark.len();
    while !line.is_char_boundary(cut) {
        cut -= 1;
    }
    // A new string: truncating in place would keep the whole line's allocation.
    let mut short = String::with_capacity(cut + mark.len());
    short.push_str(&line[..cut]);
    short.push_str(&mark);
    short
}

/// Delivers frames; a socket whose queue is full is cut (it will resync on reconnect).
pub fn deliver(outbox: Outbox) {
    for (tx, control, frame) in outbox {
        if tx.try_send(frame).is_err() {
            let _ = control.send(Control::Abort);
        }
    }
}

/// Empty filter = everything; otherwise the currency must be in it.
pub fn overlaps(filter: &[String], currency: &str) -> bool {
    filter.is_empty() || filter.iter().any(|c| c.eq_ignore_ascii_case(currency))
}

/// Parses `currencies=KES,NGN`.
pub fn parse_currencies(raw: Option<&str>) -> Vec<String> {
    raw.unwrap_or("")
        .split(',')
        .map(|c| c.trim().to_ascii_uppercase())
        .filter(|c| !c.is_empty() && c.len() <= 10)
        .take(50)
        .collect()
}

pub fn unix_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0)
}

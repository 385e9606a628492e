//! The model of the provider: orders and their owners, what each request does to them and
//! what it answers. It follows the spec (PROTOCOL.md): atomic claims, `open → claimed →
//! fiat_sent → completed`, `expired`/`cancelled`, 404 for unknown ids, 401 for a refused
//! key; plus the odd but legal spellings a client must tolerate (ids and owners as
//! numeric strings, `null` owners while open).

use std::collections::BTreeMap;

use super::rng::Rng;

/// Our LP id, and two competitors: 13 claims over the socket (broadcast), 14 over HTTP
/// (no broadcast).
pub const ME: u64 = 12;
pub const WS_RIVAL: u64 = 13;
pub const HTTP_RIVAL: u64 = 14;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Open,
    Claimed,
    FiatSent,
    Completed,
    Expired,
    Cancelled,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Claimed => "claimed",
            Status::FiatSent => "fiat_sent",
            Status::Completed => "completed",
            Status::Expired => "expired",
            Status::Cancelled => "cancelled",
        }
    }
}

/// One claim request of ours, as the provider saw it (or will).
#[derive(Debug, Clone, Copy)]
pub struct ClaimReq {
    pub req: u64,
    pub sent: u64,
    /// It lands by then, or never.
    pub land_by: u64,
    /// When the provider processed it, once it did.
    pub processed: Option<u64>,
}

impl ClaimReq {
    /// From when on it can no longer change anything.
    pub fn done_at(&self) -> u64 {
        self.processed.unwrap_or(self.land_by)
    }
}

#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub currency: &'static str,
    pub fiat: f64,
    pub usd: f64,
    pub symbol: &'static str,
    pub chain: &'static str,
    pub status: Status,
    pub owner: Option<u64>,
    /// Its frames carry amounts no client can read (`"50,000"`).
    pub unreadable: bool,
    /// Owned by us at some point.
    pub ever_ours: bool,
    /// The bot's wall clock at its latest claim of the order (the daily cap's day).
    pub claim_wall: Option<u64>,
    /// Our claim requests, oldest first.
    pub our_claims: Vec<ClaimReq>,
    /// Lookups of ours the model answered `open` *and* whose answer reached the bot:
    /// the processing times (what can prove a claim never landed).
    pub open_seen: Vec<u64>,
}

impl Order {
    pub fn ours(&self) -> bool {
        self.owner == Some(ME)
            && matches!(
                self.status,
                Status::Claimed | Status::FiatSent | Status::Completed
            )
    }

    /// Holds our collateral (ours, not completed).
    pub fn ours_open(&self) -> bool {
        self.owner == Some(ME) && matches!(self.status, Status::Claimed | Status::FiatSent)
    }
}

/// A REST operation the bot sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Claim(u64),
    Get(u64),
    FiatSent(u64),
}

impl Op {
    pub fn id(self) -> u64 {
        match self {
            Op::Claim(i) | Op::Get(i) | Op::FiatSent(i) => i,
        }
    }

    /// From a request URL made by the core.
    pub fn parse(method_post: bool, url: &str) -> Option<Op> {
        let path = url.split("/api/orders/").nth(1)?;
        let (id, rest) = match path.split_once('/') {
            Some((i, r)) => (i, Some(r)),
            None => (path, None),
        };
        let id = id.parse().ok()?;
        match (method_post, rest) {
            (true, Some("claim")) => Some(Op::Claim(id)),
            (true, Some("fiat-sent")) => Some(Op::FiatSent(id)),
            (false, None) => Some(Op::Get(id)),
            _ => None,
        }
    }
}

/// How the server treats one request (chosen by the world's fault schedule).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Treatment {
    /// Do it, answer truthfully.
    Normal,
    /// Refuse with 503 before doing anything.
    FailBefore,
    /// Do it, then answer 502 (the commit happened, the answer says error).
    FailAfter,
    /// Answer 307 with a body that looks like success; `commit` says whether it was done.
    Redirect { commit: bool },
    /// 429 before doing anything.
    RateLimit,
    /// 409 before doing anything (a stale replica: legal, if odd, for an open order).
    Conflict,
}

/// The server's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    pub status: u16,
    pub body: String,
}

pub struct Model {
    pub orders: BTreeMap<u64, Order>,
    pub next_id: u64,
    pub key_rejected: bool,
    /// While frozen (a settle checkpoint), nothing changes by itself.
    pub frozen: bool,
    /// Completions due: (real time, order).
    pub completions: Vec<(u64, u64)>,
}

impl Model {
    pub fn new() -> Self {
        Model {
            orders: BTreeMap::new(),
            next_id: 1_000,
            key_rejected: false,
            frozen: false,
            completions: Vec::new(),
        }
    }

    pub fn create(&mut self, rng: &mut Rng) -> u64 {
        let id = self.next_id;
        self.next_id += rng.range(1, 3);
        let currency = *rng.pick(&["KES", "KES", "NGN", "GHS"]).unwrap_or(&"KES");
        let (fiat, usd) = match currency {
            "KES" => {
                let f = rng.range(50, 30_000) as f64;
                (f, (f / 129.0 * 100.0).round() / 100.0)
            }
            "NGN" => {
                let f = rng.range(1_000, 200_000) as f64;
                (f, (f / 1_550.0 * 100.0).round() / 100.0)
            }
            _ => {
                let f = rng.range(10, 5_000) as f64;
                (f, (f / 15.0 * 100.0).round() / 100.0)
            }
        };
        let (symbol, chain) = *rng
            .pick(&[
                ("usdt", "trx"),
                ("usdt", "trx"),
                ("xrp", "xrpl"),
                ("usdt", "eth"),
                ("btc", "btc"),
            ])
            .unwrap_or(&("usdt", "trx"));
        self.orders.insert(
            id,
            Order {
                id,
                currency,
                fiat,
                usd,
                symbol,
                chain,
                status: Status::Open,
                owner: None,
                unreadable: rng.chance(0.05),
                ever_ours: false,
                claim_wall: None,
                our_claims: Vec::new(),
                open_seen: Vec::new(),
            },
        );
        id
    }

    /// The order's JSON as REST returns it; ids and owners sometimes as numeric strings.
    pub fn rest_body(&self, o: &Order, rng: &mut Rng) -> String {
        let id = if rng.chance(0.2) {
            format!("\"{}\"", o.id)
        } else {
            o.id.to_string()
        };
        let lp = match o.owner {
            None => "null".to_owned(),
            Some(l) if rng.chance(0.3) => format!("\"{l}\""),
            Some(l) => l.to_string(),
        };
        format!(
            r#"{{"id":{id},"amount_fiat":{},"currency":"{}","amount_usd":{},"crypto_symbol":"{}","crypto_chain":"{}","status":"{}","lp_id":{lp},"payee":{{"name":"Wanjiru","account":"0712345678","rail":"mpesa"}}}}"#,
            o.fiat,
            o.currency,
            o.usd,
            o.symbol,
            o.chain,
            o.status.as_str()
        )
    }

    /// The order as a `new_order`/`init` order object.
    pub fn frame_order(&self, o: &Order, rng: &mut Rng) -> String {
        let id = if rng.chance(0.1) {
            format!("\"{}\"", o.id)
        } else {
            o.id.to_string()
        };
        let (fiat, usd) = if o.unreadable {
            match rng.range(0, 2) {
                0 => (
                    format!("\"{} {}\"", group(o.fiat), o.currency),
                    o.usd.to_string(),
                ),
                1 => (o.fiat.to_string(), "\"n/a\"".to_owned()),
                _ => ("null".to_owned(), "null".to_owned()),
            }
        } else {
            (o.fiat.to_string(), o.usd.to_string())
        };
        format!(
            r#"{{"id":{id},"amount_fiat":{fiat},"currency":"{}","amount_usd":{usd},"crypto_symbol":"{}","crypto_chain":"{}","status":"open","created_at":"2026-05-03T12:34:56.000Z"}}"#,
            o.currency, o.symbol, o.chain
        )
    }

    /// Processes one request of ours at real time `t`. Returns the answer and whether
    /// the order changed.
    pub fn handle(&mut self, op: Op, t: u64, treat: Treatment, rng: &mut Rng) -> Answer {
        let err = |status: u16, msg: &str| Answer {
            status,
            body: format!(r#"{{"error":"{msg}"}}"#),
        };
        if self.key_rejected {
            return err(401, "Invalid lp_key");
        }
        match treat {
            Treatment::FailBefore => return err(503, "upstream unavailable"),
            Treatment::RateLimit => return err(429, "slow down"),
            Treatment::Conflict => return err(409, "Order not available"),
            _ => {}
        }
        let Some(o) = self.orders.get(&op.id()) else {
            return err(404, "order not found");
        };
        let before = o.clone();
        let mut answer = match op {
            Op::Get(_) => Answer {
                status: 200,
                body: self.rest_body(o, rng),
            },
            Op::Claim(id) => {
                if before.status == Status::Open {
                    if let Some(o) = self.orders.get_mut(&id) {
                        o.status = Status::Claimed;
                        o.owner = Some(ME);
                        o.ever_ours = true;
                    }
                    let o = self.orders.get(&id).cloned().unwrap_or(before.clone());
                    Answer {
                        status: 200,
                        body: self.rest_body(&o, rng),
                    }
                } else {
                    err(409, "Order not available")
                }
            }
            Op::FiatSent(id) => {
                if before.owner != Some(ME) {
                    err(403, "not your order")
                } else if before.status != Status::Claimed {
                    err(409, "order is not claimed")
                } else {
                    if let Some(o) = self.orders.get_mut(&id) {
                        o.status = Status::FiatSent;
                    }
                    self.completions.push((t + rng.range(500, 8_000), id));
                    let o = self.orders.get(&id).cloned().unwrap_or(before.clone());
                    Answer {
                        status: 200,
                        body: self.rest_body(&o, rng),
                    }
                }
            }
        };
        match treat {
            Treatment::FailAfter => answer = err(502, "bad gateway"),
            Treatment::Redirect { commit } => {
                if !commit {
                    // Undo: the redirect did nothing.
                    if let Some(o) = self.orders.get_mut(&op.id()) {
                        *o = before.clone();
                    }
                    self.completions
                        .retain(|(_, id)| *id != op.id() || before.status == Status::FiatSent);
                }
                answer = Answer {
                    status: 307,
                    body: format!(r#"{{"id":{},"status":"claimed","lp_id":{ME}}}"#, op.id()),
                };
            }
            _ => {}
        }
        answer
    }

    /// Orders we own (claimed, fiat sent, completed).
    pub fn ours(&self) -> impl Iterator<Item = &Order> {
        self.orders.values().filter(|o| o.ours())
    }
}

fn group(v: f64) -> String {
    let n = v as u64;
    if n >= 1000 {
        format!("{},{:03}", n / 1000, n % 1000)
    } else {
        n.to_string()
    }
}

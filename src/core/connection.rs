//! The connection state machine, sans I/O (after quinn-proto).
//!
//! The driver feeds it the current time and what happened (`connect`, `handle_open`,
//! `handle_frame`, `handle_close`, `handle_timeout`, ...), then drains
//! [`Connection::poll_action`] and arms one timer for [`Connection::poll_timeout`].
//!
//! ```text
//! idle ─connect─▶ connecting ─open─▶ authenticating ─init─▶ live
//!                     │                   │                  │
//!                     └──── transient failure (close, timeout, dead heartbeat) ───▶ reconnecting ─delay─▶ connecting
//!                                         └─ auth rejected ─▶ failed        close() from anywhere ─▶ closed
//! ```
//!
//! Sockets are numbered ([`SocketId`]); input about a socket that is no longer the
//! current one is ignored, so a late `close` from an abandoned socket cannot disturb
//! its successor.
//!
//! Socket commands (`claim`, `fiat_sent`) are sent only while live. Issued in any other
//! state they fail at once with an error of kind `closed`; they are never queued and
//! never replayed after a reconnect, because a replayed claim could claim an order the
//! operator no longer wants. A WebSocket claim whose answer does not arrive (timeout,
//! socket lost) is reported as [`Event::ClaimUnknown`] so the driver reconciles it
//! over HTTP.

use std::collections::VecDeque;

use super::backoff::Backoff;
use super::book::{Inserted, OrderBook, RemovalReason, Resync};
use super::config::Config;
use super::error::{ErrorKind, LpError};
use super::wire::{ClientMessage, Order, OrderId, ServerMessage};

/// Milliseconds on the driver's monotonic clock (e.g. `performance.now()`).
pub type Millis = u64;

/// Identifies one socket the core asked the driver to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SocketId(pub u32);

/// Most WebSocket claims awaiting an answer at once.
pub const MAX_PENDING_WS_CLAIMS: usize = 64;
/// Longest server text (an `error` frame's message) kept in an error, in bytes.
const MAX_SERVER_TEXT: usize = 200;
/// Unreadable-amount errors reported for one `init`, beyond which they are counted.
const MAX_INIT_REPORTS: usize = 20;

/// Connection states, as exposed to JS (`client.state`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Not started.
    Idle,
    /// Socket opening.
    Connecting,
    /// Socket open, waiting for `init`.
    Authenticating,
    /// `init` received; orders flow.
    Live,
    /// Waiting for the backoff delay before the next attempt.
    Reconnecting,
    /// Closed by the user.
    Closed,
    /// Stopped by a fatal error (e.g. the key was refused).
    Failed,
}

impl State {
    /// The JS-facing name.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Idle => "idle",
            State::Connecting => "connecting",
            State::Authenticating => "authenticating",
            State::Live => "live",
            State::Reconnecting => "reconnecting",
            State::Closed => "closed",
            State::Failed => "failed",
        }
    }
}

/// A state transition, with why and when the next attempt happens.
#[derive(Debug, Clone, PartialEq)]
pub struct StateChange {
    /// The new state.
    pub state: State,
    /// Connection attempt since the last stable live period (1 = first try); while
    /// reconnecting, the number of the attempt that comes next.
    pub attempt: u32,
    /// In `reconnecting`: the delay before the next attempt.
    pub retry_in_ms: Option<u64>,
    /// Why the previous connection ended, for `reconnecting` and `failed`.
    pub reason: Option<LpError>,
}

/// Something the application should hear about.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The state changed.
    State(StateChange),
    /// A snapshot arrived. After a reconnect `resync` tells what changed while offline
    /// (and [`Event::Order`] / [`Event::OrderRemoved`] follow for each change).
    Init {
        /// The orders of the snapshot, newest first.
        orders: Vec<Order>,
        /// Our LP id.
        lp_id: Option<u64>,
        /// The server's currency filter.
        currencies: Vec<String>,
        /// The difference against the book, when this is not the first snapshot.
        resync: Option<Resync>,
    },
    /// A new open order (live, or appeared while offline). It is in the book when the
    /// event is emitted: read it with `book().get(id)` (no copy per event on the hot path).
    Order(OrderId),
    /// The server said another LP took this order.
    OrderTaken(OrderId),
    /// An order left the book.
    OrderRemoved {
        /// The order.
        order_id: OrderId,
        /// Why.
        reason: RemovalReason,
    },
    /// Our WebSocket claim succeeded.
    Claimed(OrderId),
    /// Our WebSocket claim was refused (someone else was first, or it was not open).
    ClaimRejected {
        /// The order.
        order_id: OrderId,
        /// What the server said.
        message: String,
    },
    /// A WebSocket claim got no answer (timeout or socket lost): reconcile over HTTP.
    ClaimUnknown(OrderId),
    /// A problem that did not stop the connection (bad frame, server error message), or
    /// the fatal error that did.
    Error(LpError),
}

/// What the driver must do. `Debug` never shows the key: the `auth` frame and a
/// query-mode URL are printed redacted.
#[derive(Clone, PartialEq)]
pub enum Action {
    /// Open a WebSocket to `url` and report on it as `socket`.
    Open {
        /// Its id.
        socket: SocketId,
        /// Where (holds the key only in the opted-in query mode; never log it).
        url: String,
    },
    /// Send a text frame on `socket`.
    Send {
        /// Which socket.
        socket: SocketId,
        /// The frame.
        text: String,
    },
    /// Close `socket` and forget it (drop its listeners).
    Close {
        /// Which socket.
        socket: SocketId,
        /// Close code.
        code: u16,
        /// Close reason.
        reason: &'static str,
    },
    /// Deliver an event to the application.
    Emit(Event),
}

impl std::fmt::Debug for Action {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Action::Open { socket, url } => {
                // Everything from `lp_key=` to the next parameter is the key.
                let shown = match super::text::find(url, "lp_key=") {
                    Some(at) => {
                        let rest = url.get(at..).unwrap_or_default();
                        let end = rest.find('&').map_or(url.len(), |e| at + e);
                        let mut s = url.get(..at).unwrap_or_default().to_owned();
                        s.push_str("lp_key=<redacted>");
                        s.push_str(url.get(end..).unwrap_or_default());
                        s
                    }
                    None => url.clone(),
                };
                f.debug_struct("Open")
                    .field("socket", socket)
                    .field("url", &shown)
                    .finish()
            }
            Action::Send { socket, text } => {
                let shown = if super::text::find(text, "lp_key").is_some() {
                    "<a frame with the key, redacted>"
                } else {
                    text.as_str()
                };
                f.debug_struct("Send")
                    .field("socket", socket)
                    .field("text", &shown)
                    .finish()
            }
            Action::Close {
                socket,
                code,
                reason,
            } => f
                .debug_struct("Close")
                .field("socket", socket)
                .field("code", code)
                .field("reason", reason)
                .finish(),
            Action::Emit(e) => f.debug_tuple("Emit").field(e).finish(),
        }
    }
}

/// The whole client connection: socket lifecycle, heartbeat, backoff and order book.
#[derive(Debug)]
pub struct Connection {
    config: Config,
    state: State,
    socket: Option<SocketId>,
    next_socket: u32,
    socket_open: bool,
    auth_sent: bool,
    book: OrderBook,
    backoff: Backoff,
    lp_id: Option<u64>,
    has_snapshot: bool,
    attempt: u32,
    actions: VecDeque<Action>,
    /// Connecting/authenticating must finish by then.
    setup_deadline: Option<Millis>,
    retry_at: Option<Millis>,
    next_ping_at: Option<Millis>,
    /// Set when a ping went out and nothing has arrived since.
    pong_deadline: Option<Millis>,
    live_since: Option<Millis>,
    /// WebSocket claims awaiting an answer, with their deadlines (at most 64).
    pending_ws_claims: Vec<(OrderId, Millis)>,
}

impl Connection {
    /// A connection in `idle`. `seed` feeds the backoff jitter (pass random bits).
    pub fn new(config: Config, seed: u64) -> Self {
        Connection {
            backoff: Backoff::new(config.backoff_initial_ms, config.backoff_max_ms, seed),
            book: OrderBook::new(config.book_capacity),
            config,
            state: State::Idle,
            socket: None,
            next_socket: 0,
            socket_open: false,
            auth_sent: false,
            lp_id: None,
            has_snapshot: false,
            attempt: 0,
            actions: VecDeque::new(),
            setup_deadline: None,
            retry_at: None,
            next_ping_at: None,
            pong_deadline: None,
            live_since: None,
            pending_ws_claims: Vec::new(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The current state.
    pub fn state(&self) -> State {
        self.state
    }

    /// Our LP id, once an `init` told us. Learnt from `init` only: a REST body naming an
    /// owner proves nothing about who we are.
    pub fn lp_id(&self) -> Option<u64> {
        self.lp_id
    }

    /// The order book.
    pub fn book(&self) -> &OrderBook {
        &self.book
    }

    /// The next thing to do, if any.
    pub fn poll_action(&mut self) -> Option<Action> {
        self.actions.pop_front()
    }

    /// When [`Connection::handle_timeout`] must be called next, if ever.
    pub fn poll_timeout(&self) -> Option<Millis> {
        let mut t: Option<Millis> = None;
        let mut consider = |d: Option<Millis>| {
            if let Some(d) = d {
                t = Some(t.map_or(d, |cur| cur.min(d)));
            }
        };
        match self.state {
            State::Connecting | State::Authenticating => consider(self.setup_deadline),
            State::Reconnecting => consider(self.retry_at),
            State::Live => {
                consider(self.next_ping_at);
                consider(self.pong_deadline);
                consider(self.pending_ws_claims.iter().map(|(_, d)| *d).min());
            }
            State::Idle | State::Closed | State::Failed => {}
        }
        t
    }

    // ---- user commands -------------------------------------------------------------

    /// Starts connecting (from idle, closed or failed). A no-op while already running.
    pub fn connect(&mut self, now: Millis) {
        match self.state {
            State::Idle | State::Closed | State::Failed => {
                self.backoff.reset();
                self.attempt = 0;
                self.open_socket(now);
            }
            _ => {}
        }
    }

    /// Closes for good (until the next `connect`). Idempotent.
    pub fn close(&mut self, _now: Millis) {
        if matches!(self.state, State::Closed) {
            return;
        }
        self.drop_socket(1000, "client closed");
        self.clear_timers();
        self.set_state(State::Closed, None, None);
    }

    /// Sends a WebSocket claim. Only while live; see the module docs.
    pub fn send_claim(&mut self, now: Millis, order_id: OrderId) -> Result<(), LpError> {
        let socket = self.live_socket("claim")?;
        if self.pending_ws_claims.iter().any(|(id, _)| *id == order_id) {
            return Err(LpError::new(
                ErrorKind::InvalidArgument,
                "a WebSocket claim for this order is already waiting for its answer",
            )
            .with_order(order_id));
        }
        if self.pending_ws_claims.len() >= MAX_PENDING_WS_CLAIMS {
            return Err(LpError::new(
                ErrorKind::RateLimited,
                "too many WebSocket claims waiting for an answer (limit 64)",
            )
            .with_order(order_id));
        }
        self.pending_ws_claims
            .push((order_id, now.saturating_add(self.config.request_timeout_ms)));
        self.send(socket, ClientMessage::Claim { order_id }.encode());
        Ok(())
    }

    /// Sends a WebSocket `fiat_sent`. Only while live; the protocol has no answer for it.
    pub fn send_fiat_sent(&mut self, _now: Millis, order_id: OrderId) -> Result<(), LpError> {
        let socket = self.live_socket("fiat_sent")?;
        self.send(socket, ClientMessage::FiatSent { order_id }.encode());
        Ok(())
    }

    /// Our HTTP claim succeeded: the order leaves the book as ours.
    pub fn note_claimed(&mut self, order_id: OrderId) {
        self.remove_order(order_id, RemovalReason::ClaimedByUs);
    }

    /// Our HTTP claim got 409 (or reconciliation showed another owner).
    pub fn note_taken(&mut self, order_id: OrderId) {
        self.remove_order(order_id, RemovalReason::Taken);
    }

    // ---- transport input -----------------------------------------------------------

    /// The socket opened.
    pub fn handle_open(&mut self, socket: SocketId, now: Millis) {
        if !self.is_current(socket) || self.state != State::Connecting {
            return;
        }
        self.socket_open = true;
        self.setup_deadline = Some(now.saturating_add(self.config.connect_timeout_ms));
        self.set_state(State::Authenticating, None, None);
    }

    /// The upgrade was refused with an HTTP status (only some platforms can see it).
    pub fn handle_rejected(&mut self, socket: SocketId, now: Millis, status: u16) {
        if !self.is_current(socket) {
            return;
        }
        match status {
            401 | 403 => self.fail(
                LpError::new(ErrorKind::Unauthorized, "the server refused the LP key")
                    .with_status(status),
            ),
            429 => self.reconnect_at_cap(
                now,
                LpError::new(
                    ErrorKind::RateLimited,
                    "too many connections for this LP key (the provider allows 5)",
                )
                .with_status(status),
            ),
            _ => self.reconnect(
                now,
                LpError::new(
                    ErrorKind::Network,
                    "the server refused the WebSocket upgrade",
                )
                .with_status(status),
            ),
        }
    }

    /// The driver cannot open sockets at all (e.g. the runtime has no `WebSocket`): no retry
    /// can help, so the connection fails with `error`.
    pub fn handle_unsupported(&mut self, socket: SocketId, error: LpError) {
        if self.is_current(socket) {
            self.socket = None;
            self.fail(error);
        }
    }

    /// The socket closed or failed (`close` or `error` event).
    pub fn handle_close(&mut self, socket: SocketId, now: Millis, code: u16) {
        if !self.is_current(socket) {
            return;
        }
        // The driver already dropped the socket; do not ask it to close again.
        self.socket = None;
        self.socket_open = false;
        let message = match self.state {
            State::Connecting => "the WebSocket could not be opened",
            State::Authenticating => "the WebSocket closed before authentication finished",
            _ => "the WebSocket closed",
        };
        let mut err = LpError::new(ErrorKind::Network, message);
        if code != 0 {
            err.message.push_str(" (code ");
            super::wire::push_u64(&mut err.message, u64::from(code));
            err.message.push(')');
        }
        self.reconnect(now, err);
    }

    /// A binary frame arrived (the protocol is text-only): reported, then ignored.
    pub fn handle_binary(&mut self, socket: SocketId, _now: Millis) {
        if !self.is_current(socket) {
            return;
        }
        self.saw_traffic();
        self.report(
            ErrorKind::Protocol,
            &super::wire::DecodeError::Binary.message(),
        );
    }

    /// A text frame arrived.
    pub fn handle_frame(&mut self, socket: SocketId, now: Millis, text: &str) {
        self.handle_decoded(socket, || now, ServerMessage::decode(text));
    }

    /// A text frame arrived, already decoded by the driver (which keeps the borrowed
    /// message, e.g. to hand an order's fields to its platform as ranges of the frame).
    /// The clock is read only for the rare frames whose handling needs the time (most
    /// frames are orders, and a clock read costs a platform call per frame).
    pub fn handle_decoded(
        &mut self,
        socket: SocketId,
        clock: impl FnOnce() -> Millis,
        decoded: Result<ServerMessage<'_>, super::wire::DecodeError>,
    ) {
        if !self.is_current(socket) || !self.socket_open {
            return;
        }
        self.saw_traffic();
        match decoded {
            Ok(msg) => self.handle_message(socket, clock, msg),
            Err(e) => self.report(ErrorKind::Protocol, &e.message()),
        }
    }

    /// Frames arrived on `socket` that the driver dropped unread (see
    /// [`OrderFilter::quick_reject_needles`](super::OrderFilter::quick_reject_needles)):
    /// they count as traffic, as read frames do.
    pub fn handle_unread_frames(&mut self, socket: SocketId) {
        if self.is_current(socket) && self.socket_open {
            self.saw_traffic();
        }
    }

    /// Time passed: fires whatever deadline is due.
    pub fn handle_timeout(&mut self, now: Millis) {
        match self.state {
            State::Connecting | State::Authenticating => {
                if self.setup_deadline.is_some_and(|d| now >= d) {
                    let what = if self.state == State::Connecting {
                        "the WebSocket did not open in time"
                    } else {
                        "the server did not finish authentication in time"
                    };
                    self.reconnect(now, LpError::new(ErrorKind::Timeout, what));
                }
            }
            State::Reconnecting => {
                if self.retry_at.is_some_and(|d| now >= d) {
                    self.open_socket(now);
                }
            }
            State::Live => {
                if self.pong_deadline.is_some_and(|d| now >= d) {
                    self.reconnect(
                        now,
                        LpError::new(
                            ErrorKind::Timeout,
                            "no answer to ping: the connection is dead (half-open)",
                        ),
                    );
                    return;
                }
                let expired: Vec<OrderId> = self
                    .pending_ws_claims
                    .iter()
                    .filter(|(_, d)| now >= *d)
                    .map(|(id, _)| *id)
                    .collect();
                for id in expired {
                    self.take_pending(id);
                    self.emit(Event::ClaimUnknown(id));
                }
                if self.next_ping_at.is_some_and(|d| now >= d) {
                    if let Some(socket) = self.socket {
                        self.send(socket, ClientMessage::Ping.encode());
                    }
                    if self.pong_deadline.is_none() {
                        self.pong_deadline = Some(now.saturating_add(self.config.pong_timeout_ms));
                    }
                    self.next_ping_at = Some(now.saturating_add(self.config.heartbeat_ms));
                }
            }
            State::Idle | State::Closed | State::Failed => {}
        }
    }

    // ---- internals -----------------------------------------------------------------

    fn handle_message(
        &mut self,
        socket: SocketId,
        clock: impl FnOnce() -> Millis,
        msg: ServerMessage<'_>,
    ) {
        match msg {
            ServerMessage::AuthRequired { .. } => {
                if !self.auth_sent {
                    self.auth_sent = true;
                    let frame = ClientMessage::Auth {
                        lp_key: self.config.lp_key.expose(),
                    }
                    .encode();
                    self.send(socket, frame);
                }
            }
            ServerMessage::Init {
                orders,
                lp_id,
                currencies,
            } => self.handle_init(clock(), orders, lp_id, currencies),
            ServerMessage::NewOrder { order } => {
                if order.amount_fiat.is_none() || order.amount_usd.is_none() {
                    self.report_unreadable(order.id, order.amount_fiat, order.amount_usd);
                }
                if !self.config.order_filter.accepts(
                    &order.currency,
                    order.amount_fiat,
                    order.amount_usd,
                ) {
                    return;
                }
                let id = order.id;
                if let Inserted::Added { evicted } = self.book.insert(order.to_order()) {
                    if evicted != Some(id) {
                        self.emit(Event::Order(id));
                    }
                    if let Some(e) = evicted.filter(|&e| e != id) {
                        self.emit_removed(e, RemovalReason::Evicted);
                    }
                }
            }
            ServerMessage::OrderTaken { order_id } => {
                self.emit(Event::OrderTaken(order_id));
                if self.take_pending(order_id) {
                    self.emit(Event::ClaimRejected {
                        order_id,
                        message: "another LP claimed the order first".to_owned(),
                    });
                }
                self.remove_order(order_id, RemovalReason::Taken);
            }
            ServerMessage::Claimed { order_id } => {
                // Only the answer to a claim of ours proves anything: an unsolicited
                // `claimed` would report a claim we never made.
                if !self.take_pending(order_id) {
                    self.report_unsolicited(order_id);
                    return;
                }
                self.emit(Event::Claimed(order_id));
                self.remove_order(order_id, RemovalReason::ClaimedByUs);
            }
            ServerMessage::Pong { .. } => {}
            ServerMessage::Error { message, order_id } => {
                let message = self.server_text(&message, MAX_SERVER_TEXT);
                self.handle_server_error(clock(), message, order_id);
            }
            ServerMessage::Unknown { kind } => {
                let mut m = String::from("ignored a frame of unknown type \"");
                m.push_str(&self.server_text(&kind, 64));
                m.push('"');
                self.emit(Event::Error(LpError::new(ErrorKind::Protocol, m)));
            }
        }
    }

    fn handle_init(
        &mut self,
        now: Millis,
        mut orders: Vec<Order>,
        lp_id: Option<u64>,
        currencies: Vec<String>,
    ) {
        if lp_id.is_some() {
            self.lp_id = lp_id;
        }
        let mut unreadable = 0usize;
        for o in &orders {
            if o.amount_fiat.is_none() || o.amount_usd.is_none() {
                unreadable += 1;
                if unreadable <= MAX_INIT_REPORTS {
                    self.report_unreadable(o.id, o.amount_fiat, o.amount_usd);
                }
            }
        }
        if unreadable > MAX_INIT_REPORTS {
            let mut m = String::from("init: ");
            super::wire::push_u64(&mut m, (unreadable - MAX_INIT_REPORTS) as u64);
            m.push_str(" more orders with unreadable amounts");
            self.emit(Event::Error(LpError::new(ErrorKind::Protocol, m)));
        }
        if !self.config.order_filter.is_empty() {
            orders.retain(|o| {
                self.config
                    .order_filter
                    .accepts(o.currency(), o.amount_fiat, o.amount_usd)
            });
        }
        let capacity = self.config.book_capacity;
        if orders.len() > capacity {
            // The spec's init holds 20; a larger one keeps what the book can hold, newest first.
            let held = orders.len();
            super::id_map::sort_newest_first(&mut orders, |o| o.id);
            orders.truncate(capacity);
            let mut m = String::from("init held ");
            super::wire::push_u64(&mut m, held as u64);
            m.push_str(" orders; kept the newest ");
            super::wire::push_u64(&mut m, capacity as u64);
            m.push_str(" (bookCapacity)");
            self.emit(Event::Error(LpError::new(ErrorKind::Protocol, m)));
        }
        let resync = if self.has_snapshot {
            Some(self.book.resync(orders.clone()))
        } else {
            self.has_snapshot = true;
            self.book.clear();
            let r = self.book.resync(orders.clone());
            for id in r.evicted {
                self.emit_removed(id, RemovalReason::Evicted);
            }
            None
        };
        if self.state != State::Live {
            self.setup_deadline = None;
            self.live_since = Some(now);
            self.next_ping_at = Some(now.saturating_add(self.config.heartbeat_ms));
            self.set_state(State::Live, None, None);
        }
        self.emit(Event::Init {
            orders,
            lp_id: self.lp_id,
            currencies,
            resync: resync.clone(),
        });
        if let Some(r) = resync {
            for o in r.appeared {
                self.emit(Event::Order(o.id));
            }
            for id in r.vanished {
                self.emit_removed(id, RemovalReason::Vanished);
            }
            for id in r.evicted {
                self.emit_removed(id, RemovalReason::Evicted);
            }
        }
    }

    fn handle_server_error(&mut self, now: Millis, message: String, order_id: Option<OrderId>) {
        if let Some(id) = order_id {
            if self.take_pending(id) {
                self.emit(Event::ClaimRejected {
                    order_id: id,
                    message,
                });
                return;
            }
        }
        let too_many = super::text::find(&message.to_ascii_lowercase(), "too many").is_some();
        if too_many {
            let mut m = String::from("too many connections for this LP key: ");
            m.push_str(&message);
            self.reconnect_at_cap(now, LpError::new(ErrorKind::RateLimited, m));
        } else if self.state == State::Authenticating {
            // Any refusal during authentication is about the key: retrying cannot help.
            let mut m = String::from("the server refused the LP key: ");
            m.push_str(&message);
            self.fail(LpError::new(ErrorKind::Unauthorized, m));
        } else {
            let mut err = LpError::new(ErrorKind::Server, message);
            err.order_id = order_id;
            self.emit(Event::Error(err));
        }
    }

    fn open_socket(&mut self, now: Millis) {
        self.drop_socket(1000, "reconnecting");
        self.next_socket = self.next_socket.wrapping_add(1);
        let socket = SocketId(self.next_socket);
        self.socket = Some(socket);
        self.socket_open = false;
        self.auth_sent = false;
        self.attempt = self.attempt.saturating_add(1);
        self.clear_timers();
        self.setup_deadline = Some(now.saturating_add(self.config.connect_timeout_ms));
        self.actions.push_back(Action::Open {
            socket,
            url: self.config.socket_url(),
        });
        self.set_state(State::Connecting, None, None);
    }

    fn reconnect(&mut self, now: Millis, reason: LpError) {
        self.schedule_retry(now, reason, false);
    }

    fn reconnect_at_cap(&mut self, now: Millis, reason: LpError) {
        self.emit(Event::Error(reason.clone()));
        self.schedule_retry(now, reason, true);
    }

    fn schedule_retry(&mut self, now: Millis, reason: LpError, at_cap: bool) {
        if matches!(self.state, State::Closed | State::Failed | State::Idle) {
            return;
        }
        let was_stable = self
            .live_since
            .is_some_and(|t| now.saturating_sub(t) >= self.config.stable_after_ms);
        if was_stable {
            self.backoff.reset();
            self.attempt = 0;
        }
        self.drop_socket(4000, "reconnecting");
        self.clear_timers();
        let delay = if at_cap {
            self.backoff.cap_delay_ms()
        } else {
            self.backoff.next_delay_ms()
        };
        self.retry_at = Some(now.saturating_add(delay));
        self.set_state(State::Reconnecting, Some(delay), Some(reason));
    }

    fn fail(&mut self, reason: LpError) {
        self.drop_socket(1000, "authentication failed");
        self.clear_timers();
        self.emit(Event::Error(reason.clone()));
        self.set_state(State::Failed, None, Some(reason));
    }

    /// Asks the driver to close the current socket; unanswered WS claims become unknown.
    fn drop_socket(&mut self, code: u16, reason: &'static str) {
        if let Some(socket) = self.socket.take() {
            self.actions.push_back(Action::Close {
                socket,
                code,
                reason,
            });
        }
        self.socket_open = false;
        let pending: Vec<OrderId> = self.pending_ws_claims.drain(..).map(|(id, _)| id).collect();
        for id in pending {
            self.emit(Event::ClaimUnknown(id));
        }
    }

    fn clear_timers(&mut self) {
        self.setup_deadline = None;
        self.retry_at = None;
        self.next_ping_at = None;
        self.pong_deadline = None;
        self.live_since = None;
    }

    fn set_state(&mut self, state: State, retry_in_ms: Option<u64>, reason: Option<LpError>) {
        self.state = state;
        // While waiting, `attempt` names the attempt that comes next.
        let attempt = if state == State::Reconnecting {
            self.attempt.saturating_add(1)
        } else {
            self.attempt
        };
        self.emit(Event::State(StateChange {
            state,
            attempt,
            retry_in_ms,
            reason,
        }));
    }

    fn live_socket(&self, what: &str) -> Result<SocketId, LpError> {
        match (self.state, self.socket) {
            (State::Live, Some(s)) => Ok(s),
            _ => {
                let mut m = String::from("cannot send ");
                m.push_str(what);
                m.push_str(" while the connection is ");
                m.push_str(self.state.as_str());
                m.push_str("; socket commands are never queued (use HTTP, or retry when live)");
                Err(LpError::new(ErrorKind::Closed, m))
            }
        }
    }

    fn is_current(&self, socket: SocketId) -> bool {
        self.socket == Some(socket)
    }

    fn saw_traffic(&mut self) {
        self.pong_deadline = None;
    }

    /// Forgets a pending WebSocket claim; true if there was one.
    fn take_pending(&mut self, id: OrderId) -> bool {
        let before = self.pending_ws_claims.len();
        self.pending_ws_claims.retain(|(p, _)| *p != id);
        self.pending_ws_claims.len() != before
    }

    fn send(&mut self, socket: SocketId, text: String) {
        self.actions.push_back(Action::Send { socket, text });
    }

    fn remove_order(&mut self, order_id: OrderId, reason: RemovalReason) {
        if self.book.remove(order_id) {
            self.emit_removed(order_id, reason);
        }
    }

    fn emit_removed(&mut self, order_id: OrderId, reason: RemovalReason) {
        self.emit(Event::OrderRemoved { order_id, reason });
    }

    fn report(&mut self, kind: ErrorKind, message: &str) {
        let message = self.server_text(message, MAX_SERVER_TEXT);
        self.emit(Event::Error(LpError::new(kind, message)));
    }

    /// A text that came from the server, fit for a message: the key redacted first, then
    /// cut to `max` bytes (cut first, a key straddling the cut would survive in part).
    #[inline(never)]
    fn server_text(&self, text: &str, max: usize) -> String {
        super::wire::truncate(&self.config.lp_key.redact(text), max).to_owned()
    }

    /// A `claimed` frame that answers no claim of ours: a protocol error, never a claim.
    #[inline(never)]
    fn report_unsolicited(&mut self, order_id: OrderId) {
        let mut m = String::from("ignored a \"claimed\" frame for order ");
        super::wire::push_u64(&mut m, order_id);
        m.push_str(": no WebSocket claim of ours awaits an answer");
        self.emit(Event::Error(
            LpError::new(ErrorKind::Protocol, m).with_order(order_id),
        ));
    }

    /// One protocol error for an order whose amounts cannot be read (it passes no limit).
    #[inline(never)]
    fn report_unreadable(&mut self, id: OrderId, fiat: Option<f64>, usd: Option<f64>) {
        let mut m = String::from("order ");
        super::wire::push_u64(&mut m, id);
        m.push_str(match (fiat, usd) {
            (None, None) => ": amount_fiat and amount_usd are not numbers",
            (None, _) => ": amount_fiat is not a number",
            _ => ": amount_usd is not a number",
        });
        m.push_str(" (read as null; it passes no amount limit)");
        self.emit(Event::Error(
            LpError::new(ErrorKind::Protocol, m).with_order(id),
        ));
    }

    fn emit(&mut self, event: Event) {
        self.actions.push_back(Action::Emit(event));
    }
}

//! `LpClient`: drives the sans-IO core with the platform's WebSocket and timers, and
//! turns its events into JS callbacks and promises.
//!
//! Re-entrancy rule: user callbacks run with no `RefCell` borrow held, so a listener
//! may call any client method. Sockets and timers are dropped after the current task
//! (`platform::retire`), never inside their own callback.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::{Rc, Weak};

use gloo_timers::callback::Timeout;
use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::future_to_promise;

use super::convert;
use super::platform::{self, now_ms};
use super::socket::{Socket, SocketEvent};
use crate::core::{
    Action, AuthMode, ConfigBuilder, Connection, ErrorKind, Event, LpError, Millis, OrderId,
    SocketId, State,
};

/// Event names `on()` accepts.
const EVENTS: [&str; 7] = [
    "init",
    "order",
    "order_taken",
    "order_removed",
    "claimed",
    "state",
    "error",
];
/// Listeners per client; more is a leak in the caller.
const MAX_LISTENERS: usize = 1_000;
/// `connect()` promises waiting at once.
const MAX_CONNECT_WAITERS: usize = 100;

type Waiter = (Function, Function);

pub(super) struct Inner {
    pub core: Connection,
    socket: Option<(SocketId, Socket)>,
    timer: Option<(Millis, Timeout)>,
    listeners: Vec<(u32, &'static str, Function)>,
    next_listener: u32,
    connect_waiters: Vec<Waiter>,
    ws_claims: BTreeMap<OrderId, Waiter>,
    /// Orders with an HTTP claim (or its reconciliation) under way: never claimed twice at once.
    pub http_claims: BTreeSet<OrderId>,
}

pub(super) type Shared = Rc<RefCell<Inner>>;

/// A Rampwire LP client: order discovery over the WebSocket, claims over HTTP.
#[wasm_bindgen]
pub struct LpClient {
    inner: Shared,
    /// `off(id)` behind every unsubscribe function; lives as long as the client.
    off: Closure<dyn FnMut(u32)>,
}

/// Every key of `LpClientOptions` (serde-wasm-bindgen reads only known keys, so typos
/// such as `heartbeatMS` are caught here).
const OPTION_KEYS: [&str; 15] = [
    "apiUrl",
    "lpKey",
    "currencies",
    "wsUrl",
    "auth",
    "heartbeatMs",
    "pongTimeoutMs",
    "backoffInitialMs",
    "backoffMaxMs",
    "stableAfterMs",
    "connectTimeoutMs",
    "requestTimeoutMs",
    "bookCapacity",
    "allowInsecure",
    "orderFilter",
];

fn invalid(message: &str) -> LpError {
    LpError::new(ErrorKind::InvalidArgument, message)
}

fn whole(v: Option<f64>, name: &str, default: u64) -> Result<u64, LpError> {
    match v {
        None => Ok(default),
        Some(f) if f.is_finite() && f >= 0.0 && f.fract() == 0.0 && f <= 9.0e15 => Ok(f as u64),
        Some(_) => {
            let mut m = String::from(name);
            m.push_str(" must be a whole, non-negative number of milliseconds");
            Err(invalid(&m))
        }
    }
}

/// A JS number that must be an order id.
pub(super) fn order_id(v: f64) -> Result<OrderId, LpError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0 {
        Ok(v as OrderId)
    } else {
        Err(invalid("order id must be a whole, non-negative number"))
    }
}

/// Reads one option: `undefined`/`null` is absent; a value of the wrong type is an error
/// that names the option (never its value).
struct Reader<'a>(&'a JsValue);

impl Reader<'_> {
    fn get(&self, key: &str) -> Option<JsValue> {
        js_sys::Reflect::get(self.0, &JsValue::from_str(key))
            .ok()
            .filter(|v| !v.is_undefined() && !v.is_null())
    }
    fn wrong(key: &str, what: &str) -> LpError {
        let mut m = String::from(key);
        m.push_str(" must be ");
        m.push_str(what);
        invalid(&m)
    }
    /// The option converted by `conv`, or an error saying it must be `what`.
    fn typed<T>(
        &self,
        key: &str,
        what: &str,
        conv: impl Fn(&JsValue) -> Option<T>,
    ) -> Result<Option<T>, LpError> {
        self.get(key)
            .map(|v| conv(&v).ok_or_else(|| Self::wrong(key, what)))
            .transpose()
    }
    fn string(&self, key: &str) -> Result<Option<String>, LpError> {
        self.typed(key, "a string", JsValue::as_string)
    }
    fn number(&self, key: &str) -> Result<Option<f64>, LpError> {
        self.typed(key, "a number", JsValue::as_f64)
    }
    /// A whole-number option (milliseconds, or a count), or `default` when absent.
    fn whole(&self, key: &str, default: u64) -> Result<u64, LpError> {
        whole(self.number(key)?, key, default)
    }
    fn boolean(&self, key: &str) -> Result<Option<bool>, LpError> {
        self.typed(key, "true or false", JsValue::as_bool)
    }
    fn strings(&self, key: &str) -> Result<Vec<String>, LpError> {
        let Some(v) = self.get(key) else {
            return Ok(Vec::new());
        };
        if !js_sys::Array::is_array(&v) {
            return Err(Self::wrong(key, "an array of strings"));
        }
        js_sys::Array::from(&v)
            .iter()
            .map(|i| {
                i.as_string()
                    .ok_or_else(|| Self::wrong(key, "an array of strings"))
            })
            .collect()
    }
}

/// `orderFilter: { currencies?, maxAmountFiat?: { KES: 20000 }, minAmountUsd?, maxAmountUsd? }`
fn order_filter(v: &JsValue) -> Result<crate::core::OrderFilter, LpError> {
    if !v.is_object() {
        return Err(invalid("orderFilter must be an object"));
    }
    let known = [
        "currencies",
        "maxAmountFiat",
        "minAmountUsd",
        "maxAmountUsd",
    ];
    for key in js_sys::Object::keys(v.unchecked_ref::<js_sys::Object>()).iter() {
        if !known.contains(&key.as_string().unwrap_or_default().as_str()) {
            return Err(invalid(
                "orderFilter takes currencies, maxAmountFiat, minAmountUsd and maxAmountUsd",
            ));
        }
    }
    let r = Reader(v);
    let mut max_amount_fiat = Vec::new();
    if let Some(m) = r.get("maxAmountFiat") {
        if !m.is_object() {
            return Err(invalid(
                "orderFilter.maxAmountFiat must be an object like { KES: 20000 }",
            ));
        }
        for entry in js_sys::Object::entries(m.unchecked_ref::<js_sys::Object>()).iter() {
            let pair = js_sys::Array::from(&entry);
            let (k, amount) = (pair.get(0).as_string(), pair.get(1).as_f64());
            match (k, amount) {
                (Some(k), Some(a)) => max_amount_fiat.push((k, a)),
                _ => return Err(invalid("orderFilter.maxAmountFiat values must be numbers")),
            }
        }
    }
    Ok(crate::core::OrderFilter {
        currencies: r.strings("currencies")?,
        max_amount_fiat,
        min_amount_usd: r.number("minAmountUsd")?,
        max_amount_usd: r.number("maxAmountUsd")?,
    })
}

fn build_config(options: JsValue) -> Result<crate::core::Config, LpError> {
    if !options.is_object() {
        return Err(invalid(
            "new LpClient(options): options must be an object with apiUrl and lpKey",
        ));
    }
    for key in js_sys::Object::keys(options.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !OPTION_KEYS.contains(&key.as_str()) {
            let mut m = String::from("unknown LpClient option \"");
            m.push_str(crate::core::wire::truncate(&key, 40));
            m.push_str("\" (known: ");
            m.push_str(&OPTION_KEYS.join(", "));
            m.push(')');
            return Err(invalid(&m));
        }
    }
    let o = Reader(&options);
    let api_url = o
        .string("apiUrl")?
        .ok_or_else(|| invalid("apiUrl is required"))?;
    let lp_key = o
        .string("lpKey")?
        .ok_or_else(|| invalid("lpKey is required"))?;
    let mut b = ConfigBuilder::new(&api_url, &lp_key);
    if let Some(u) = o.string("wsUrl")? {
        b = b.ws_url(&u);
    }
    b.auth = match o.string("auth")?.as_deref() {
        None | Some("deferred") => AuthMode::Deferred,
        Some("query") => AuthMode::Query,
        Some(_) => return Err(invalid("auth must be \"deferred\" or \"query\"")),
    };
    b.currencies = o.strings("currencies")?;
    b.heartbeat_ms = o.whole("heartbeatMs", b.heartbeat_ms)?;
    b.pong_timeout_ms = o.whole("pongTimeoutMs", b.pong_timeout_ms)?;
    b.backoff_initial_ms = o.whole("backoffInitialMs", b.backoff_initial_ms)?;
    b.backoff_max_ms = o.whole("backoffMaxMs", b.backoff_max_ms)?;
    if o.get("stableAfterMs").is_some() {
        b.stable_after_ms = Some(o.whole("stableAfterMs", 0)?);
    }
    b.connect_timeout_ms = o.whole("connectTimeoutMs", b.connect_timeout_ms)?;
    b.request_timeout_ms = o.whole("requestTimeoutMs", b.request_timeout_ms)?;
    b.book_capacity = o.whole("bookCapacity", b.book_capacity as u64)? as usize;
    b.allow_insecure = o.boolean("allowInsecure")?.unwrap_or(false);
    if let Some(f) = o.get("orderFilter") {
        b.order_filter = order_filter(&f)?;
    }
    b.build()
}

#[wasm_bindgen]
impl LpClient {
    /// Validates the options; throws an `LpError` of kind `invalid_argument` if they are wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "LpClientOptions")] options: JsValue,
    ) -> Result<LpClient, JsValue> {
        let config = build_config(options).map_err(|e| convert::error(&e))?;
        let inner = Rc::new(RefCell::new(Inner {
            core: Connection::new(config, platform::random_seed()),
            socket: None,
            timer: None,
            listeners: Vec::new(),
            next_listener: 1,
            connect_waiters: Vec::new(),
            ws_claims: BTreeMap::new(),
            http_claims: BTreeSet::new(),
        }));
        let weak = Rc::downgrade(&inner);
        let off = Closure::<dyn FnMut(u32)>::new(move |id: u32| {
            if let Some(rc) = weak.upgrade() {
                rc.borrow_mut().listeners.retain(|(i, _, _)| *i != id);
            }
        });
        Ok(LpClient { inner, off })
    }

    /// Subscribes to an event; returns a function that unsubscribes.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, listener: Function) -> Result<Function, JsValue> {
        let name = EVENTS
            .iter()
            .find(|e| **e == event)
            .ok_or_else(|| convert::error(&invalid("unknown event name; use one of init, order, order_taken, order_removed, claimed, state, error")))?;
        let mut inner = self.inner.borrow_mut();
        if inner.listeners.len() >= MAX_LISTENERS {
            return Err(convert::error(&invalid(
                "too many listeners (1000): unsubscribe the ones you no longer need",
            )));
        }
        let id = inner.next_listener;
        inner.next_listener = inner.next_listener.wrapping_add(1);
        inner.listeners.push((id, name, listener));
        Ok(convert::unsubscriber(self.off.as_ref(), id))
    }

    /// Connects; resolves with the first `init` payload, rejects with an `LpError` on a
    /// fatal error (e.g. `unauthorized`) or when `close()` is called first.
    #[wasm_bindgen(unchecked_return_type = "Promise<InitEvent>")]
    pub fn connect(&self) -> Promise {
        let rc = self.inner.clone();
        let promise = Promise::new(&mut |resolve, reject| {
            let mut inner = rc.borrow_mut();
            if inner.connect_waiters.len() >= MAX_CONNECT_WAITERS {
                let _ = reject.call1(
                    &JsValue::NULL,
                    &convert::error(&invalid("too many pending connect() calls")),
                );
                return;
            }
            if inner.core.state() == State::Live {
                // Already live: answer with the current book.
                let payload = init_payload(&inner, None);
                let _ = resolve.call1(&JsValue::NULL, &payload);
                return;
            }
            inner.connect_waiters.push((resolve, reject));
            inner.core.connect(now_ms());
        });
        drive(&rc);
        promise
    }

    /// `"idle" | "connecting" | "authenticating" | "live" | "reconnecting" | "closed" | "failed"`
    #[wasm_bindgen(getter, unchecked_return_type = "ConnectionState")]
    pub fn state(&self) -> String {
        self.inner.borrow().core.state().as_str().to_owned()
    }

    /// Our LP id, once known (from `init` or a claim answer).
    #[wasm_bindgen(getter, js_name = lpId)]
    pub fn lp_id(&self) -> Option<f64> {
        self.inner.borrow().core.lp_id().map(|i| i as f64)
    }

    /// The open orders we know of, newest first.
    #[wasm_bindgen(js_name = openOrders, unchecked_return_type = "Order[]")]
    pub fn open_orders(&self) -> js_sys::Array {
        convert::orders(self.inner.borrow().core.book().iter())
    }

    /// Claims over HTTP: `{ status: "claimed", order }` or `{ status: "taken" }`. A claim
    /// whose outcome is unknown is reconciled with `GET /api/orders/{id}` before it settles.
    #[wasm_bindgen(unchecked_return_type = "Promise<ClaimResult>")]
    pub fn claim(&self, id: f64) -> Promise {
        let rc = self.inner.clone();
        future_to_promise(async move {
            let id = order_id(id).map_err(|e| convert::error(&e))?;
            super::claims::claim_http(rc, id)
                .await
                .map_err(|e| convert::error(&e))
        })
    }

    /// Claims over the WebSocket: resolves on `claimed`, or `{ status: "taken" }` when the
    /// server refuses. Rejects (kind `closed`) if the connection is not live: never queued.
    #[wasm_bindgen(js_name = claimWs, unchecked_return_type = "Promise<ClaimResult>")]
    pub fn claim_ws(&self, id: f64) -> Promise {
        let id = match order_id(id) {
            Ok(id) => id,
            Err(e) => return Promise::reject(&convert::error(&e)),
        };
        let rc = self.inner.clone();
        let promise = Promise::new(&mut |resolve, reject| {
            let mut inner = rc.borrow_mut();
            match inner.core.send_claim(now_ms(), id) {
                Ok(()) => {
                    inner.ws_claims.insert(id, (resolve, reject));
                }
                Err(e) => {
                    let _ = reject.call1(&JsValue::NULL, &convert::error(&e));
                }
            }
        });
        drive(&rc);
        promise
    }

    /// Marks fiat as sent over HTTP; resolves with the order.
    #[wasm_bindgen(js_name = fiatSent, unchecked_return_type = "Promise<RestOrder>")]
    pub fn fiat_sent(&self, id: f64) -> Promise {
        let rc = self.inner.clone();
        future_to_promise(async move {
            let id = order_id(id).map_err(|e| convert::error(&e))?;
            super::claims::fiat_sent(rc, id)
                .await
                .map_err(|e| convert::error(&e))
        })
    }

    /// Marks fiat as sent over the WebSocket (no answer exists in the protocol).
    /// Throws (kind `closed`) if the connection is not live.
    #[wasm_bindgen(js_name = fiatSentWs)]
    pub fn fiat_sent_ws(&self, id: f64) -> Result<(), JsValue> {
        let id = order_id(id).map_err(|e| convert::error(&e))?;
        let r = self.inner.borrow_mut().core.send_fiat_sent(now_ms(), id);
        drive(&self.inner);
        r.map_err(|e| convert::error(&e))
    }

    /// `GET /api/orders/{id}`: the order with payee details (for the LP that owns it).
    #[wasm_bindgen(js_name = getOrder, unchecked_return_type = "Promise<RestOrder>")]
    pub fn get_order(&self, id: f64) -> Promise {
        let rc = self.inner.clone();
        future_to_promise(async move {
            let id = order_id(id).map_err(|e| convert::error(&e))?;
            super::claims::get_order(&rc, id)
                .await
                .map(|(_, v)| v)
                .map_err(|e| convert::error(&e))
        })
    }

    /// Polls `GET /api/orders/{id}` until its status is `status`; resolves with the order.
    /// Options: `intervalMs` (default 1000), `timeoutMs` (default 120000).
    #[wasm_bindgen(js_name = waitForStatus, unchecked_return_type = "Promise<RestOrder>")]
    pub fn wait_for_status(
        &self,
        id: f64,
        status: String,
        #[wasm_bindgen(unchecked_param_type = "WaitOptions | undefined")] options: JsValue,
    ) -> Promise {
        let rc = self.inner.clone();
        future_to_promise(async move {
            let id = order_id(id).map_err(|e| convert::error(&e))?;
            let get = |k: &str| {
                js_sys::Reflect::get(&options, &k.into())
                    .ok()
                    .and_then(|v| v.as_f64())
            };
            let (interval, timeout) = if options.is_object() {
                (get("intervalMs"), get("timeoutMs"))
            } else {
                (None, None)
            };
            let interval = whole(interval, "intervalMs", 1_000)
                .map_err(|e| convert::error(&e))?
                .max(10);
            let timeout = whole(timeout, "timeoutMs", 120_000).map_err(|e| convert::error(&e))?;
            super::claims::wait_for_status(&rc, id, &status, interval, timeout)
                .await
                .map_err(|e| convert::error(&e))
        })
    }

    /// Closes the socket and stops every timer. Idempotent. Pending `connect()` calls reject
    /// with kind `closed`; WebSocket claims awaiting an answer are reconciled over HTTP.
    pub fn close(&self) {
        let waiters = {
            let mut inner = self.inner.borrow_mut();
            inner.core.close(now_ms());
            std::mem::take(&mut inner.connect_waiters)
        };
        drive(&self.inner);
        let err = convert::error(&LpError::new(ErrorKind::Closed, "the client was closed"));
        for (_, reject) in waiters {
            let _ = reject.call1(&JsValue::NULL, &err);
        }
        let mut inner = self.inner.borrow_mut();
        if let Some(s) = inner.socket.take() {
            platform::retire(s);
        }
        if let Some(t) = inner.timer.take() {
            platform::retire(t);
        }
    }
}

fn init_payload(
    inner: &Inner,
    event: Option<(
        &[crate::core::Order],
        &[String],
        Option<&crate::core::Resync>,
    )>,
) -> JsValue {
    let lp = inner
        .core
        .lp_id()
        .map_or(JsValue::NULL, |i| JsValue::from_f64(i as f64));
    match event {
        Some((orders, currencies, resync)) => convert::object(&[
            ("orders", convert::orders(orders.iter()).into()),
            ("lpId", lp),
            ("currencies", convert::strings(currencies).into()),
            ("resync", resync.map_or(JsValue::NULL, convert::resync)),
        ]),
        None => convert::object(&[
            ("orders", convert::orders(inner.core.book().iter()).into()),
            ("lpId", lp),
            (
                "currencies",
                convert::strings(&inner.core.config().currencies).into(),
            ),
            ("resync", JsValue::NULL),
        ]),
    }
}

/// Carries out the core's actions, re-arms the timer, then delivers events with no borrow held.
pub(super) fn drive(rc: &Shared) {
    loop {
        let mut events = Vec::new();
        {
            let mut inner = rc.borrow_mut();
            while let Some(action) = inner.core.poll_action() {
                match action {
                    Action::Open { socket, url } => {
                        let weak = Rc::downgrade(rc);
                        let handler: Rc<dyn Fn(SocketEvent)> =
                            Rc::new(move |ev| on_socket(&weak, socket, ev));
                        match Socket::open(&url, handler) {
                            Ok(s) => inner.socket = Some((socket, s)),
                            Err(e) => {
                                let mut m = String::from("cannot create a WebSocket: ");
                                m.push_str(&js_error_text(&e));
                                let msg = inner.core.config().lp_key.redact(&m);
                                let err = LpError::new(ErrorKind::Network, msg);
                                let has_ws =
                                    js_sys::Reflect::has(&js_sys::global(), &"WebSocket".into());
                                if has_ws == Ok(true) {
                                    // A URL the platform refuses: an ordinary failed attempt.
                                    events.push(Event::Error(err));
                                    inner.core.handle_close(socket, now_ms(), 0);
                                } else {
                                    // No WebSocket in this runtime: retrying cannot help.
                                    let mut err = err;
                                    err.message.push_str(" (this runtime has no global WebSocket; on Node 20 run node --experimental-websocket, or use Node 22+)");
                                    inner.core.handle_unsupported(socket, err);
                                }
                            }
                        }
                    }
                    Action::Send { socket, text } => {
                        if let Some((id, s)) = &inner.socket {
                            if *id == socket {
                                s.send(&text);
                            }
                        }
                    }
                    Action::Close {
                        socket,
                        code,
                        reason,
                    } => {
                        if inner.socket.as_ref().is_some_and(|(id, _)| *id == socket) {
                            if let Some((_, s)) = inner.socket.take() {
                                s.set_close(code, reason);
                                platform::retire(s);
                            }
                        }
                    }
                    Action::Emit(e) => events.push(e),
                }
            }
            rearm(&mut inner, rc);
        }
        if events.is_empty() {
            return;
        }
        for e in events {
            dispatch(rc, e);
        }
    }
}

fn js_error_text(e: &JsValue) -> String {
    js_sys::Reflect::get(e, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "unknown error".to_owned())
}

fn rearm(inner: &mut Inner, rc: &Shared) {
    let want = inner.core.poll_timeout();
    if inner.timer.as_ref().map(|(d, _)| *d) == want {
        return;
    }
    if let Some(t) = inner.timer.take() {
        platform::retire(t);
    }
    if let Some(deadline) = want {
        let delay = deadline.saturating_sub(now_ms()).min(i32::MAX as u64) as u32;
        let weak = Rc::downgrade(rc);
        let t = Timeout::new(delay, move || {
            if let Some(rc) = weak.upgrade() {
                if rc.try_borrow_mut().is_err() {
                    // Cannot happen from a timer task; never panic if it somehow does.
                    return;
                }
                {
                    let mut inner = rc.borrow_mut();
                    if let Some(t) = inner.timer.take() {
                        platform::retire(t);
                    }
                    // Timers may fire a little early on some platforms: never before the deadline.
                    let now = now_ms().max(deadline);
                    inner.core.handle_timeout(now);
                }
                drive(&rc);
            }
        });
        inner.timer = Some((deadline, t));
    }
}

fn on_socket(weak: &Weak<RefCell<Inner>>, socket: SocketId, ev: SocketEvent) {
    let Some(rc) = weak.upgrade() else { return };
    if rc.try_borrow_mut().is_err() {
        // Fired synchronously from inside a client call: handle it right after instead.
        let weak = weak.clone();
        wasm_bindgen_futures::spawn_local(async move { on_socket(&weak, socket, ev) });
        return;
    }
    {
        let mut inner = rc.borrow_mut();
        let now = now_ms();
        match ev {
            SocketEvent::Open => inner.core.handle_open(socket, now),
            SocketEvent::Text(t) => inner.core.handle_frame(socket, now, &t),
            SocketEvent::Binary => inner.core.handle_binary(socket, now),
            SocketEvent::Closed(code) => {
                if inner.socket.as_ref().is_some_and(|(id, _)| *id == socket) {
                    if let Some(s) = inner.socket.take() {
                        platform::retire(s);
                    }
                }
                inner.core.handle_close(socket, now, code);
            }
        }
    }
    drive(&rc);
}

fn has_listener(rc: &Shared, name: &str) -> bool {
    rc.borrow().listeners.iter().any(|(_, n, _)| *n == name)
}

/// Settles promises and calls listeners for one core event.
fn dispatch(rc: &Shared, event: Event) {
    // Payloads are built only for events someone listens to (the hot path at high rates).
    let wanted = |name| has_listener(rc, name);
    let (name, payload): (&str, JsValue) = match event {
        Event::State(s) => {
            if s.state == State::Failed {
                let waiters = std::mem::take(&mut rc.borrow_mut().connect_waiters);
                let err = s
                    .reason
                    .as_ref()
                    .map(convert::error)
                    .unwrap_or(JsValue::NULL);
                for (_, reject) in waiters {
                    let _ = reject.call1(&JsValue::NULL, &err);
                }
            }
            ("state", convert::state_change(&s))
        }
        Event::Init {
            orders,
            currencies,
            resync,
            ..
        } => {
            let (payload, waiters) = {
                let mut inner = rc.borrow_mut();
                let p = init_payload(&inner, Some((&orders, &currencies, resync.as_ref())));
                (p, std::mem::take(&mut inner.connect_waiters))
            };
            for (resolve, _) in waiters {
                let _ = resolve.call1(&JsValue::NULL, &payload);
            }
            ("init", payload)
        }
        Event::Order(_) if !wanted("order") => return,
        Event::OrderTaken(_) if !wanted("order_taken") => return,
        Event::OrderRemoved { .. } if !wanted("order_removed") => return,
        Event::Error(_) if !wanted("error") => return,
        Event::Order(o) => ("order", convert::order(&o)),
        Event::OrderTaken(id) => (
            "order_taken",
            convert::object(&[("orderId", convert::id(id))]),
        ),
        Event::OrderRemoved { order_id, reason } => (
            "order_removed",
            convert::object(&[
                ("orderId", convert::id(order_id)),
                ("reason", reason.as_str().into()),
            ]),
        ),
        Event::Claimed(id) => {
            let waiter = rc.borrow_mut().ws_claims.remove(&id);
            if let Some((resolve, _)) = waiter {
                let r =
                    convert::object(&[("status", "claimed".into()), ("orderId", convert::id(id))]);
                let _ = resolve.call1(&JsValue::NULL, &r);
            }
            ("claimed", convert::object(&[("orderId", convert::id(id))]))
        }
        Event::ClaimRejected { order_id, .. } => {
            let waiter = rc.borrow_mut().ws_claims.remove(&order_id);
            if let Some((resolve, _)) = waiter {
                let r = convert::object(&[
                    ("status", "taken".into()),
                    ("orderId", convert::id(order_id)),
                ]);
                let _ = resolve.call1(&JsValue::NULL, &r);
            }
            return;
        }
        Event::ClaimUnknown(order_id) => {
            let waiter = rc.borrow_mut().ws_claims.remove(&order_id);
            let rc = rc.clone();
            wasm_bindgen_futures::spawn_local(async move {
                let outcome = super::claims::reconcile(rc, order_id).await;
                if let Some((resolve, reject)) = waiter {
                    let _ = match outcome {
                        Ok(v) => resolve.call1(&JsValue::NULL, &v),
                        Err(e) => reject.call1(&JsValue::NULL, &convert::error(&e)),
                    };
                }
            });
            return;
        }
        Event::Error(e) => ("error", convert::error(&e)),
    };
    emit(rc, name, &payload);
}

/// Calls every listener of `name` (a snapshot: listeners may unsubscribe while called).
pub(super) fn emit(rc: &Shared, name: &str, payload: &JsValue) {
    let targets: Vec<Function> = rc
        .borrow()
        .listeners
        .iter()
        .filter(|(_, n, _)| *n == name)
        .map(|(_, _, f)| f.clone())
        .collect();
    for f in targets {
        if let Err(e) = f.call1(&JsValue::NULL, payload) {
            platform::report_listener_error(name, &e);
        }
    }
}

impl Drop for LpClient {
    fn drop(&mut self) {
        // `free()` from JS: release the socket and the timer now.
        if let Ok(mut inner) = self.inner.try_borrow_mut() {
            inner.core.close(now_ms());
            while inner.core.poll_action().is_some() {}
            inner.socket = None;
            inner.timer = None;
        }
    }
}

//! `LpClient`: drives the sans-IO core with the platform's WebSocket and timers, and
//! turns its events into JS callbacks and promises.
//!
//! The platform side (socket, timer, fetch, listeners, frame delivery) is `host.js`, which
//! calls back through five closures made once per client.
//!
//! Re-entrancy rule: user callbacks run with no `RefCell` borrow held, so a listener
//! may call any client method.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use super::convert;
use super::flows;
use super::frames::{self, Frames, Host};
use super::platform::{self, now_ms};
use crate::core::flow::{Flow, FlowKind};
use crate::core::options::{config_from_json, order_id, wait_options_from_json};
use crate::core::{
    Action, Connection, DecodeError, ErrorKind, Event, LpError, Millis, OrderId, ShortFrame,
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
const MAX_LISTENERS: u32 = 1_000;
/// `connect()` promises waiting at once.
const MAX_CONNECT_WAITERS: usize = 100;

type Waiter = (Function, Function);

pub(super) struct Inner {
    pub core: Connection,
    /// The socket host.js has open for the core, if any.
    socket: Option<SocketId>,
    /// The deadline host.js's timer is armed for, if any.
    timer: Option<Millis>,
    /// The JS half: listeners, socket, timer, frame delivery.
    pub host: Host,
    frames: Frames,
    /// What host.js calls back (they hold only a `Weak`; dropped with the client).
    _callbacks: Callbacks,
    connect_waiters: Vec<Waiter>,
    /// WebSocket claims awaiting `claimed` (at most 64, as in the core).
    ws_claims: Vec<(OrderId, Waiter)>,
    /// REST flows under way (see `flows`), by id.
    pub flows: Vec<(u32, Flow)>,
    pub next_flow: u32,
    /// Claims `autoClaim` started for the frame being handled (at most [`MAX_AUTO_CLAIMS`]).
    auto_count: usize,
}

pub(super) type Shared = Rc<RefCell<Inner>>;

/// The client's state, mutably. Every borrow goes through here (and [`read`]) so that the
/// panic path of a borrow, which the re-entrancy rule above makes unreachable, exists
/// once in the module rather than once per call site.
#[inline(never)]
pub(super) fn lock(rc: &Shared) -> std::cell::RefMut<'_, Inner> {
    rc.borrow_mut()
}

/// The client's state, to read (see [`lock`]).
#[inline(never)]
pub(super) fn read(rc: &Shared) -> std::cell::Ref<'_, Inner> {
    rc.borrow()
}
type FrameHandler = Closure<dyn FnMut(u32, u32) -> u32>;
type ReserveHandler = Closure<dyn FnMut(u32) -> u32>;
type SocketHandler = Closure<dyn FnMut(u32, u32, u32) -> u32>;
type TimerHandler = Closure<dyn FnMut(u32)>;
type StepHandler = Closure<dyn FnMut(u32, u32, u32, String) -> JsValue>;
type Callbacks = (
    FrameHandler,
    ReserveHandler,
    SocketHandler,
    TimerHandler,
    StepHandler,
);

/// Socket events from host.js (kinds as in host.js).
enum SocketEvent {
    Open,
    /// `close` with its code, or `error` (code 0).
    Closed(u16),
}

/// A Rampwire LP client: order discovery over the WebSocket, claims over HTTP.
#[wasm_bindgen]
pub struct LpClient {
    inner: Shared,
}

#[wasm_bindgen]
impl LpClient {
    /// Validates the options; throws an `LpError` of kind `invalid_argument` if they are wrong.
    #[wasm_bindgen(constructor)]
    pub fn new(
        #[wasm_bindgen(unchecked_param_type = "LpClientOptions")] options: JsValue,
    ) -> Result<LpClient, JsValue> {
        let config = convert::options_json(&options)
            .ok_or_else(|| {
                LpError::invalid(
                    "new LpClient(options): options must be an object with apiUrl and lpKey",
                )
            })
            .and_then(|text| config_from_json(&text))
            .map_err(|e| convert::error(&e))?;
        // `options.WebSocket` (checked by the core: anything but a class reaches it as JSON).
        let web_socket =
            js_sys::Reflect::get(&options, &"WebSocket".into()).unwrap_or(JsValue::UNDEFINED);
        // What lets host.js drop frames the policy rejects without reading them.
        let needles: JsValue = match config.order_filter.quick_reject_needles() {
            Some(n) => convert::strings(&n).into(),
            None => JsValue::NULL,
        };
        let frames = Frames::new();
        let header = frames.header_address();
        // host.js keeps the Authorization header for REST requests (made once: claims race).
        let mut authorization = String::from("Bearer ");
        authorization.push_str(config.lp_key.expose());
        let timeout_ms = config.request_timeout_ms as f64;
        let max_body_bytes = config.max_body_bytes as f64;
        let inner = Rc::new_cyclic(|weak: &Weak<RefCell<Inner>>| {
            let w = weak.clone();
            let handle = FrameHandler::new(move |socket, len| on_frame(&w, SocketId(socket), len));
            let w = weak.clone();
            let reserve = ReserveHandler::new(move |bytes: u32| {
                w.upgrade()
                    .and_then(|rc| {
                        rc.try_borrow_mut()
                            .ok()
                            .map(|mut i| i.frames.reserve(bytes as usize))
                    })
                    .unwrap_or(0)
            });
            let w = weak.clone();
            let socket = SocketHandler::new(move |id, kind, code| {
                let ev = if kind == 0 {
                    SocketEvent::Open
                } else {
                    SocketEvent::Closed(code as u16)
                };
                on_socket(&w, SocketId(id), ev)
            });
            let w = weak.clone();
            let timer = TimerHandler::new(move |unread_on: u32| on_timer(&w, unread_on));
            let w = weak.clone();
            let step =
                StepHandler::new(move |flow, input, status, body: String| match w.upgrade() {
                    Some(rc) => flows::on_step(&rc, flow, input, status, body),
                    None => JsValue::UNDEFINED,
                });
            let host = Host::new(
                &wasm_bindgen::memory(),
                handle.as_ref(),
                reserve.as_ref(),
                socket.as_ref(),
                timer.as_ref(),
                step.as_ref(),
                header,
                &web_socket,
                &needles,
                &authorization,
                timeout_ms,
                max_body_bytes,
                &config.api_url,
            );
            RefCell::new(Inner {
                core: Connection::new(config, platform::random_seed()),
                socket: None,
                timer: None,
                host,
                frames,
                connect_waiters: Vec::new(),
                ws_claims: Vec::new(),
                flows: Vec::new(),
                next_flow: 1,
                auto_count: 0,
                _callbacks: (handle, reserve, socket, timer, step),
            })
        });
        Ok(LpClient { inner })
    }

    /// Subscribes to an event; returns a function that unsubscribes.
    #[wasm_bindgen(skip_typescript)]
    pub fn on(&self, event: &str, listener: Function) -> Result<Function, JsValue> {
        let name = EVENTS
            .iter()
            .find(|e| **e == event)
            .ok_or_else(|| convert::error(&LpError::invalid("unknown event name; use one of init, order, order_taken, order_removed, claimed, state, error")))?;
        let inner = read(&self.inner);
        if inner.host.size() >= MAX_LISTENERS {
            return Err(convert::error(&LpError::invalid(
                "too many listeners (1000): unsubscribe the ones you no longer need",
            )));
        }
        Ok(inner.host.on(name, &listener))
    }

    /// Connects; resolves with the first `init` payload, rejects with an `LpError` on a
    /// fatal error (e.g. `unauthorized`) or when `close()` is called first.
    #[wasm_bindgen(unchecked_return_type = "Promise<InitEvent>")]
    pub fn connect(&self) -> Promise {
        let rc = self.inner.clone();
        let promise = Promise::new(&mut |resolve, reject| {
            let mut inner = lock(&rc);
            if inner.connect_waiters.len() >= MAX_CONNECT_WAITERS {
                let _ = reject.call1(
                    &JsValue::NULL,
                    &convert::error(&LpError::invalid("too many pending connect() calls")),
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
        read(&self.inner).core.state().as_str().to_owned()
    }

    /// Our LP id, once known (from `init` or a claim answer).
    #[wasm_bindgen(getter, js_name = lpId)]
    pub fn lp_id(&self) -> Option<f64> {
        read(&self.inner).core.lp_id().map(|i| i as f64)
    }

    /// The open orders we know of, newest first.
    #[wasm_bindgen(js_name = openOrders, unchecked_return_type = "Order[]")]
    pub fn open_orders(&self) -> js_sys::Array {
        convert::orders(read(&self.inner).core.book().iter())
    }

    /// Claims over HTTP: `{ status: "claimed", order }` or `{ status: "taken" }`. A claim
    /// whose outcome is unknown is reconciled with `GET /api/orders/{id}` before it settles.
    /// One claim per order per client: while a claim of this order runs (or once it is
    /// won), `claim` and `claimWs` return its promise and send nothing; after a claim
    /// whose outcome stayed unknown, either starts by asking the server (and claims over
    /// HTTP only if the order is still open).
    #[wasm_bindgen(unchecked_return_type = "Promise<ClaimResult>")]
    pub fn claim(&self, id: f64) -> Promise {
        claim_promise(&self.inner, id, false)
    }

    /// Claims over the WebSocket: resolves on `claimed`, or `{ status: "taken" }` when the
    /// server refuses. Rejects (kind `closed`) if the connection is not live: never queued.
    /// Shares `claim`'s one-claim-per-order rule.
    #[wasm_bindgen(js_name = claimWs, unchecked_return_type = "Promise<ClaimResult>")]
    pub fn claim_ws(&self, id: f64) -> Promise {
        claim_promise(&self.inner, id, true)
    }

    /// Marks fiat as sent over HTTP; resolves with the order.
    #[wasm_bindgen(js_name = fiatSent, unchecked_return_type = "Promise<RestOrder>")]
    pub fn fiat_sent(&self, id: f64) -> Promise {
        flow_promise(&self.inner, FlowKind::FiatSent, id)
    }

    /// Marks fiat as sent over the WebSocket (no answer exists in the protocol).
    /// Throws (kind `closed`) if the connection is not live.
    #[wasm_bindgen(js_name = fiatSentWs)]
    pub fn fiat_sent_ws(&self, id: f64) -> Result<(), JsValue> {
        let id = order_id(id).map_err(|e| convert::error(&e))?;
        let r = lock(&self.inner).core.send_fiat_sent(now_ms(), id);
        drive(&self.inner);
        r.map_err(|e| convert::error(&e))
    }

    /// `GET /api/orders/{id}`: the order with payee details (for the LP that owns it).
    #[wasm_bindgen(js_name = getOrder, unchecked_return_type = "Promise<RestOrder>")]
    pub fn get_order(&self, id: f64) -> Promise {
        flow_promise(&self.inner, FlowKind::GetOrder, id)
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
        // Same strictness as the constructor: a wrong type is an error, not a default.
        let timing = if options.is_undefined() || options.is_null() {
            Ok((1_000, 120_000))
        } else {
            convert::options_json(&options)
                .ok_or_else(|| LpError::invalid("waitForStatus options must be an object"))
                .and_then(|text| wait_options_from_json(&text))
        };
        match timing {
            Ok((interval_ms, timeout_ms)) => flow_promise(
                &self.inner,
                FlowKind::WaitForStatus {
                    status,
                    interval_ms,
                    timeout_ms,
                },
                id,
            ),
            Err(e) => Promise::reject(&convert::error(&e)),
        }
    }

    /// Closes the socket and stops every timer. Idempotent. Pending `connect()` calls reject
    /// with kind `closed`; WebSocket claims awaiting an answer are reconciled over HTTP.
    pub fn close(&self) {
        let waiters = {
            let mut inner = lock(&self.inner);
            inner.core.close(now_ms());
            std::mem::take(&mut inner.connect_waiters)
        };
        drive(&self.inner);
        // (drive carried out the core's Close action and disarmed the timer.)
        let err = convert::error(&LpError::new(ErrorKind::Closed, "the client was closed"));
        for (_, reject) in waiters {
            let _ = reject.call1(&JsValue::NULL, &err);
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
            let mut inner = lock(rc);
            while let Some(action) = inner.core.poll_action() {
                match action {
                    Action::Open { socket, url } => {
                        match inner.host.open(socket.0, &url) {
                            Ok(()) => inner.socket = Some(socket),
                            Err(e) => {
                                let mut m = String::from("cannot create a WebSocket: ");
                                m.push_str(&js_error_text(&e));
                                let msg = inner.core.config().lp_key.redact(&m);
                                let err = LpError::new(ErrorKind::Network, msg);
                                if inner.host.has_web_socket() {
                                    // A URL the platform refuses: an ordinary failed attempt.
                                    events.push(Event::Error(err));
                                    inner.core.handle_close(socket, now_ms(), 0);
                                } else {
                                    // No WebSocket in this runtime: retrying cannot help.
                                    let mut err = err;
                                    err.message.push_str(" (no global WebSocket here: pass options.WebSocket, e.g. the ws package's; on Node 20, node --experimental-websocket)");
                                    inner.core.handle_unsupported(socket, err);
                                }
                            }
                        }
                    }
                    Action::Send { socket, text } => {
                        if inner.socket == Some(socket) {
                            inner.host.send(socket.0, &text);
                        }
                    }
                    Action::Close {
                        socket,
                        code,
                        reason,
                    } => {
                        if inner.socket == Some(socket) {
                            inner.socket = None;
                            inner.host.close_socket(socket.0, code, reason);
                        }
                    }
                    // While a frame is handled, the frequent events go straight to the
                    // record (no allocation per frame) unless others wait before them.
                    Action::Emit(e) => {
                        // autoClaim: the claim leaves as the core announces the order
                        // (after decode, filter and book; before the frame's other work,
                        // its events and the listeners: a claim races other LPs).
                        if let Event::Order(id) = e {
                            if inner.frames.collecting()
                                && inner.core.config().auto_claim
                                && inner.auto_count < MAX_AUTO_CLAIMS
                            {
                                inner.auto_count += 1;
                                let _ = claim_in(&mut inner, id as f64);
                            }
                        }
                        let direct = events.is_empty() && inner.frames.collecting();
                        if !(direct && record(&mut inner.frames, &e)) {
                            events.push(e)
                        }
                    }
                }
            }
            rearm(&mut inner);
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

fn rearm(inner: &mut Inner) {
    let want = inner.core.poll_timeout();
    if inner.timer == want {
        return;
    }
    inner.timer = want;
    let delay = want.map_or(-1.0, |d| {
        d.saturating_sub(now_ms()).min(i32::MAX as u64) as f64
    });
    inner.host.arm(delay);
}

/// The timer fired; `unread_on`: the socket of frames host.js dropped unread since the
/// last tick (0: none), which count as traffic.
fn on_timer(weak: &Weak<RefCell<Inner>>, unread_on: u32) {
    let Some(rc) = weak.upgrade() else { return };
    {
        // A timer task never runs inside a client call; never panic if it somehow does.
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return;
        };
        if unread_on != 0 {
            inner.core.handle_unread_frames(SocketId(unread_on));
        }
        let Some(deadline) = inner.timer.take() else {
            return;
        };
        // Timers may fire a little early on some platforms: never before the deadline.
        let now = now_ms().max(deadline);
        inner.core.handle_timeout(now);
    }
    drive(&rc);
}

/// A socket event from host.js; returns [`frames::BUSY`] when it fired synchronously from
/// inside a client call (host.js then delivers it again right after).
fn on_socket(weak: &Weak<RefCell<Inner>>, socket: SocketId, ev: SocketEvent) -> u32 {
    let Some(rc) = weak.upgrade() else { return 0 };
    {
        let Ok(mut inner) = rc.try_borrow_mut() else {
            return frames::BUSY;
        };
        let now = now_ms();
        match ev {
            SocketEvent::Open => inner.core.handle_open(socket, now),
            SocketEvent::Closed(code) => {
                if inner.socket == Some(socket) {
                    inner.socket = None;
                    inner.host.close_socket(socket.0, 1000, "");
                }
                inner.core.handle_close(socket, now, code);
            }
        }
    }
    drive(&rc);
    0
}

/// A text frame host.js wrote into the scratch, a short frame it read (`wire::ShortFrame`),
/// or a non-text one (see `frames`); returns how many record entries it left for JS to
/// deliver, or [`frames::BUSY`] when it fired from inside a client call (host.js then
/// delivers it again right after).
fn on_frame(weak: &Weak<RefCell<Inner>>, socket: SocketId, len: u32) -> u32 {
    let Some(rc) = weak.upgrade() else { return 0 };
    let Ok(mut guard) = rc.try_borrow_mut() else {
        return frames::BUSY;
    };
    {
        guard.auto_count = 0;
        let Inner { core, frames, .. } = &mut *guard;
        frames.begin();
        match len {
            frames::BINARY => core.handle_binary(socket, now_ms()),
            frames::TOO_LARGE => core.handle_decoded(socket, now_ms, Err(DecodeError::TooLarge)),
            n if n > frames::SHORT => {
                let value = frames.short_value();
                match ShortFrame::from_number(n - frames::SHORT).and_then(|s| s.message(value)) {
                    Some(msg) => core.handle_decoded(socket, now_ms, Ok(msg)),
                    // host.js broke the contract (a bug): a frame the client cannot read.
                    None => core.handle_decoded(socket, now_ms, Err(DecodeError::NoType)),
                }
            }
            _ => frames.decode(len as usize, |decoded| {
                core.handle_decoded(socket, now_ms, decoded)
            }),
        }
    }
    drop(guard);
    drive(&rc);
    let count = lock(&rc).frames.finish();
    count
}

/// [`Host::claim_state`]: the order's last claim stayed unknown.
const CLAIM_UNKNOWN: u32 = 1;
/// [`Host::claim_state`]: a claim of the order is under way or won.
const CLAIM_KNOWN: u32 = 2;

/// Most claims one frame starts under `autoClaim` (a resync's init can announce many).
const MAX_AUTO_CLAIMS: usize = 32;

/// The promise of a claim of order `id` (see `LpClient::claim`); `ws`: over the socket.
fn claim_promise(rc: &Shared, id: f64, ws: bool) -> Promise {
    if !ws {
        return claim_in(&mut lock(rc), id);
    }
    let host = read(rc).host.clone();
    let known = host.claim_state(id);
    if known == CLAIM_KNOWN {
        return host.claim_of(id);
    }
    if known == CLAIM_UNKNOWN {
        // The last claim's outcome stayed unknown: ask first, never claim blindly (the
        // flow's promise is recorded as the claim as it starts).
        return flow_promise(rc, FlowKind::Reconcile, id);
    }
    let promise = ws_claim(rc, id);
    host.note_claim(id, &promise);
    promise
}

/// The promise of an HTTP claim of order `id`, on the borrowed client: joins the claim of
/// the order under way or won; asks the server first when the last claim's outcome stayed
/// unknown (never claims blindly). The request is on its way when this returns. (Also
/// `autoClaim`'s, while the frame is handled: host.js never calls back into wasm here.)
fn claim_in(inner: &mut Inner, id: f64) -> Promise {
    let known = inner.host.claim_state(id);
    if known == CLAIM_KNOWN {
        return inner.host.claim_of(id);
    }
    let kind = if known == CLAIM_UNKNOWN {
        FlowKind::Reconcile
    } else {
        FlowKind::Claim
    };
    // (Recorded as the order's claim by host.js as the flow starts; a refusal to start,
    // such as a claim already under way in the core, is not recorded over the claim.)
    flow_in(inner, kind, id)
}

/// A WebSocket claim's promise; rejects at once (kind `closed`) unless live.
fn ws_claim(rc: &Shared, id: f64) -> Promise {
    let id = match order_id(id) {
        Ok(id) => id,
        Err(e) => return Promise::reject(&convert::error(&e)),
    };
    let promise = Promise::new(&mut |resolve, reject| {
        let mut inner = lock(rc);
        match inner.core.send_claim(now_ms(), id) {
            Ok(()) => inner.ws_claims.push((id, (resolve, reject))),
            Err(e) => {
                let _ = reject.call1(&JsValue::NULL, &convert::error(&e));
            }
        }
    });
    drive(rc);
    promise
}

/// A promise for a REST flow on order `id` (a JS number, checked here).
fn flow_promise(rc: &Shared, kind: FlowKind, id: f64) -> Promise {
    flow_in(&mut lock(rc), kind, id)
}

/// [`flow_promise`] on the borrowed client.
fn flow_in(inner: &mut Inner, kind: FlowKind, id: f64) -> Promise {
    order_id(id)
        .and_then(|id| flows::start_promise(inner, kind, id))
        .unwrap_or_else(|e| Promise::reject(&convert::error(&e)))
}

fn take_waiter(rc: &Shared, id: OrderId) -> Option<Waiter> {
    let mut inner = lock(rc);
    let i = inner.ws_claims.iter().position(|(w, _)| *w == id)?;
    Some(inner.ws_claims.swap_remove(i).1)
}

fn has_listener(rc: &Shared, name: &str) -> bool {
    read(rc).host.has(name)
}

/// Writes `event` to the frame's record if it is one of the frequent ones; false if not.
fn record(frames: &mut Frames, event: &Event) -> bool {
    match event {
        Event::Order(id) => frames.order(*id),
        Event::OrderTaken(id) => {
            frames.taken(*id);
            true
        }
        Event::OrderRemoved { order_id, reason } => {
            frames.removed(*order_id, *reason);
            true
        }
        _ => false,
    }
}

/// Settles promises and calls listeners for one core event.
fn dispatch(rc: &Shared, event: Event) {
    {
        // While a frame is handled, the frequent events go to the record as numbers.
        let mut inner = lock(rc);
        if inner.frames.collecting() && record(&mut inner.frames, &event) {
            return;
        }
    }
    // Payloads are built only for events someone listens to (the hot path at high rates).
    let wanted = |name| has_listener(rc, name);
    let (name, payload): (&str, JsValue) = match event {
        Event::State(s) => {
            if s.state == State::Failed {
                let waiters = std::mem::take(&mut lock(rc).connect_waiters);
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
                let mut inner = lock(rc);
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
        Event::Order(id) => match read(rc).core.book().get(id) {
            Some(o) => ("order", convert::order(o)),
            None => return,
        },
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
            let waiter = take_waiter(rc, id);
            if let Some((resolve, _)) = waiter {
                let r =
                    convert::object(&[("status", "claimed".into()), ("orderId", convert::id(id))]);
                let _ = resolve.call1(&JsValue::NULL, &r);
            }
            ("claimed", convert::object(&[("orderId", convert::id(id))]))
        }
        Event::ClaimRejected { order_id, .. } => {
            let waiter = take_waiter(rc, order_id);
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
            // Reconciled over HTTP; the claimWs() promise (if any) settles with the outcome.
            let (resolve, reject) = match take_waiter(rc, order_id) {
                Some((res, rej)) => (JsValue::from(res), JsValue::from(rej)),
                None => (JsValue::UNDEFINED, JsValue::UNDEFINED),
            };
            if let Err(e) = flows::start(rc, FlowKind::Reconcile, order_id, &resolve, &reject) {
                if let Some(f) = reject.dyn_ref::<Function>() {
                    let _ = f.call1(&JsValue::NULL, &convert::error(&e));
                }
            }
            return;
        }
        Event::Error(e) => ("error", convert::error(&e)),
    };
    emit(rc, name, &payload);
}

/// Calls every listener of `name` (host.js iterates a snapshot, so listeners may
/// unsubscribe while called); while a frame is handled, queues it for its turn instead.
pub(super) fn emit(rc: &Shared, name: &str, payload: &JsValue) {
    let host = {
        let mut inner = lock(rc);
        if inner.frames.collecting() {
            inner.host.queue(name, payload);
            inner.frames.queued();
            return;
        }
        inner.host.clone()
    };
    host.emit(name, payload);
}

impl Drop for LpClient {
    fn drop(&mut self) {
        // `free()` from JS, or the garbage collector: release the socket and the timer
        // now. What is under way cannot wait, so its callers hear `unknown` where the
        // server may have acted (a claim or fiat-sent sent), never a refusal.
        let waiters = match self.inner.try_borrow_mut() {
            Ok(mut inner) => {
                inner.core.close(now_ms());
                while inner.core.poll_action().is_some() {}
                inner.socket = None;
                inner.timer = None;
                // (host.js words the errors, as `Flow::abandoned` does natively.)
                for (flow_id, flow) in &inner.flows {
                    let id = flow.order_id() as f64;
                    inner.host.abandon(*flow_id, id, flow.may_act());
                }
                inner.host.close();
                let connects = std::mem::take(&mut inner.connect_waiters);
                let claims = std::mem::take(&mut inner.ws_claims);
                (claims, connects, inner.host.clone())
            }
            Err(_) => return,
        };
        let (claims, connects, host) = waiters;
        for (id, (_, reject)) in claims {
            let _ = reject.call1(&JsValue::NULL, &host.freed(id as f64, true));
        }
        for (_, reject) in connects {
            let _ = reject.call1(&JsValue::NULL, &host.freed(-1.0, false));
        }
    }
}

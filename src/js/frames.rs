//! The frame path: each WebSocket text frame crosses into wasm once, and the frequent
//! events it causes cross back as numbers in a shared record, not as JS objects.
//!
//! `host.js` writes the frame's UTF-8 bytes into [`Frames::scratch`] and calls the
//! client's handler with the length. The core decodes the frame in place (its strings
//! borrow the scratch) and runs; `order`, `order_taken` and `order_removed` events are
//! then written as record entries, and any other event is built in Rust and queued on
//! the JS side in its turn. JS reads the entries after the call returns and builds the
//! objects, taking an order's strings as slices of the frame text.
//!
//! Record entry (f64 slots, [`WIDTH`] each): `[kind, id, a, b, 5 × (address, length)]`:
//! - `ORDER`: `a` = amount_fiat, `b` = amount_usd (NaN: unreadable, `null` in JS), then currency, crypto_symbol,
//!   crypto_chain, status, created_at as (address, length) of UTF-8 in wasm memory;
//! - `TAKEN`: the order id; `REMOVED`: the order id and `a` = reason index;
//! - `QUEUED`: deliver the next event queued by [`super::client::emit`].

use std::borrow::Cow;

use js_sys::{Function, Promise};
use wasm_bindgen::prelude::*;

use crate::core::{DecodeError, OrderId, OrderView, RemovalReason, ServerMessage};

#[wasm_bindgen(module = "/src/js/host.js")]
extern "C" {
    /// The client's JS half: listeners, the WebSocket, the timer, and delivery of what a
    /// frame left in the record.
    #[derive(Clone)]
    pub type Host;
    #[wasm_bindgen(constructor)]
    pub fn new(
        memory: &JsValue,
        handle: &JsValue,
        reserve: &JsValue,
        on_socket: &JsValue,
        on_timer: &JsValue,
        on_step: &JsValue,
        header: u32,
        web_socket: &JsValue,
        quick_reject: &JsValue,
        authorization: &str,
        timeout_ms: f64,
        max_body_bytes: f64,
        api_url: &str,
    ) -> Host;
    /// What this client knows of order `id`'s claim (one claim per order per client,
    /// whichever method is called): 0 nothing, 1 its last claim's outcome stayed unknown,
    /// 2 one under way or won ([`Host::claim_of`] gives it).
    #[wasm_bindgen(method, js_name = claimState)]
    pub fn claim_state(this: &Host, id: f64) -> u32;
    /// The promise of the claim of order `id` under way or won (claim state 2).
    #[wasm_bindgen(method, js_name = claimOf)]
    pub fn claim_of(this: &Host, id: f64) -> Promise;
    /// Records `promise` as the claim of order `id` (kept while it runs, and once won).
    #[wasm_bindgen(method, js_name = noteClaim)]
    pub fn note_claim(this: &Host, id: f64, promise: &Promise);
    /// Flow `flow` on order `id` is cut short by `free()`; `may_act`: it may have changed
    /// the order on the server (its caller hears `unknown`, else `closed`).
    #[wasm_bindgen(method)]
    pub fn abandon(this: &Host, flow: u32, id: f64, may_act: bool);
    /// The error for something on order `id` (-1: none) cut short by `free()`.
    #[wasm_bindgen(method)]
    pub fn freed(this: &Host, id: f64, may_act: bool) -> JsValue;
    /// Whether there is a WebSocket class to open sockets with.
    #[wasm_bindgen(method, js_name = hasWebSocket)]
    pub fn has_web_socket(this: &Host) -> bool;
    /// Runs REST flow `flow` from `step`; settles through `resolve`/`reject` if functions.
    #[wasm_bindgen(method)]
    pub fn run(this: &Host, flow: u32, step: &JsValue, resolve: &JsValue, reject: &JsValue);
    /// Starts REST flow `flow` with operation `op` ([`Operation::index`]) on order `id`,
    /// a POST with body `{}` if `post`, else a GET (fetch is called before this returns);
    /// returns the promise of the flow's outcome, recorded as the order's claim (as
    /// [`Host::note_claim`] does) if `claim`: one boundary call less on a claim's path.
    ///
    /// [`Operation::index`]: crate::core::rest::Operation::index
    #[wasm_bindgen(method)]
    pub fn request(this: &Host, flow: u32, id: f64, op: u32, post: bool, claim: bool) -> Promise;
    /// Adds a listener; returns its unsubscribe function.
    #[wasm_bindgen(method)]
    pub fn on(this: &Host, name: &str, listener: &Function) -> Function;
    /// Whether `name` has listeners.
    #[wasm_bindgen(method)]
    pub fn has(this: &Host, name: &str) -> bool;
    /// Listener count.
    #[wasm_bindgen(method, getter)]
    pub fn size(this: &Host) -> u32;
    /// Calls the listeners of `name` now.
    #[wasm_bindgen(method)]
    pub fn emit(this: &Host, name: &str, payload: &JsValue);
    /// Queues an event for delivery after the current frame.
    #[wasm_bindgen(method)]
    pub fn queue(this: &Host, name: &str, payload: &JsValue);
    /// Opens socket `id` (closing any other); throws if the platform refuses the URL.
    #[wasm_bindgen(method, catch)]
    pub fn open(this: &Host, id: u32, url: &str) -> Result<(), JsValue>;
    /// Sends a text frame on socket `id` if it is the current one.
    #[wasm_bindgen(method)]
    pub fn send(this: &Host, id: u32, text: &str);
    /// Detaches socket `id`'s handlers, then closes it.
    #[wasm_bindgen(method, js_name = closeSocket)]
    pub fn close_socket(this: &Host, id: u32, code: u16, reason: &str);
    /// Arms the timer for `ms` from now (replacing any); negative disarms.
    #[wasm_bindgen(method)]
    pub fn arm(this: &Host, ms: f64);
    /// Drops listeners, socket and timer.
    #[wasm_bindgen(method)]
    pub fn close(this: &Host);
}

/// f64 slots per record entry (keep in step with host.js).
pub const WIDTH: usize = 14;
const ORDER: f64 = 1.0;
const TAKEN: f64 = 2.0;
const REMOVED: f64 = 3.0;
const QUEUED: f64 = 4.0;
/// Frame "lengths" host.js uses for what is not a text frame.
pub const BINARY: u32 = u32::MAX;
/// A text frame larger than [`MAX_FRAME`].
pub const TOO_LARGE: u32 = u32::MAX - 1;
/// "Lengths" from `SHORT` + 1 up are short frames (`wire::ShortFrame`, by number), not
/// copied in: their integer is in the header's second slot.
pub const SHORT: u32 = u32::MAX - 16;
/// What a handler returns when the client is inside a call: deliver again right after.
pub const BUSY: u32 = u32::MAX;
/// The largest frame accepted (the largest real one, a 20-order `init`, is ~6 KB).
pub const MAX_FRAME: usize = 1 << 20;

/// Where an order's text fields are, for the order of the frame being handled.
struct FrameOrder {
    id: OrderId,
    /// NaN when unreadable (host.js turns it into `null`).
    amount_fiat: f64,
    amount_usd: f64,
    /// (address, length) of currency, crypto_symbol, crypto_chain, status, created_at.
    fields: [(u32, u32); 5],
}

/// The buffers shared with host.js, and the state of the frame being handled.
pub struct Frames {
    /// The frame's UTF-8 bytes, written by JS.
    pub scratch: Vec<u8>,
    /// Text fields that are not plain slices of the frame (they held escapes).
    spill: String,
    record: Vec<f64>,
    /// The record's address (it moves when the record grows), then a short frame's
    /// integer, at an address JS learns once; the entry count is the frame handler's
    /// return value.
    header: Box<[f64; 2]>,
    /// Set while a frame is handled: events go to the record.
    collecting: bool,
    order: Option<FrameOrder>,
}

impl Frames {
    /// Empty buffers.
    pub fn new() -> Self {
        Frames {
            scratch: vec![0; 4096],
            spill: String::new(),
            record: Vec::with_capacity(8 * WIDTH),
            header: Box::new([0.0; 2]),
            collecting: false,
            order: None,
        }
    }

    /// The header's address, for host.js.
    pub fn header_address(&self) -> u32 {
        self.header.as_ptr() as usize as u32
    }

    /// Makes the scratch hold at least `bytes`; its address, or 0 if that is too large.
    pub fn reserve(&mut self, bytes: usize) -> u32 {
        if bytes > MAX_FRAME {
            return 0;
        }
        if self.scratch.len() < bytes {
            self.scratch = vec![0; bytes.next_power_of_two().min(MAX_FRAME)];
        }
        self.scratch.as_ptr() as usize as u32
    }

    /// Starts a frame: events go to the record until [`Frames::finish`].
    pub fn begin(&mut self) {
        self.record.clear();
        self.spill.clear();
        self.order = None;
        self.collecting = true;
    }

    /// Ends the frame; returns the entry count for JS.
    pub fn finish(&mut self) -> u32 {
        self.collecting = false;
        self.order = None;
        let count = self.record.len() / WIDTH;
        self.header[0] = self.record.as_ptr() as usize as f64;
        count as u32
    }

    /// The integer of the short frame being handled.
    pub fn short_value(&self) -> f64 {
        self.header[1]
    }

    /// Whether events go to the record now.
    pub fn collecting(&self) -> bool {
        self.collecting
    }

    /// Decodes the `len`-byte frame in the scratch and hands it to `handle`, having noted
    /// where the fields of its order are (the core takes the message by value).
    pub fn decode<R>(
        &mut self,
        len: usize,
        handle: impl FnOnce(Result<ServerMessage<'_>, DecodeError>) -> R,
    ) -> R {
        let Frames {
            scratch,
            spill,
            order,
            ..
        } = self;
        let bytes = scratch.get(..len).unwrap_or_default();
        // encodeInto writes valid UTF-8; anything else is refused, not trusted.
        let decoded = std::str::from_utf8(bytes)
            .map_err(|_| DecodeError::NotJson("invalid UTF-8".to_owned()))
            .and_then(ServerMessage::decode);
        if let Ok(ServerMessage::NewOrder { order: o }) = &decoded {
            *order = Some(FrameOrder {
                id: o.id,
                amount_fiat: o.amount_fiat.unwrap_or(f64::NAN),
                amount_usd: o.amount_usd.unwrap_or(f64::NAN),
                fields: addresses(spill, o),
            });
        }
        handle(decoded)
    }

    /// Records an `order` event if it is the frame's own order (else the caller builds it).
    pub fn order(&mut self, id: OrderId) -> bool {
        let Some(o) = self.order.take_if(|o| o.id == id) else {
            return false;
        };
        self.record
            .extend_from_slice(&[ORDER, id as f64, o.amount_fiat, o.amount_usd]);
        for (p, n) in o.fields {
            self.record.extend_from_slice(&[f64::from(p), f64::from(n)]);
        }
        true
    }

    /// Records an `order_taken` event.
    pub fn taken(&mut self, id: OrderId) {
        self.push(TAKEN, id, 0.0);
    }

    /// Records an `order_removed` event.
    pub fn removed(&mut self, id: OrderId, reason: RemovalReason) {
        let index = match reason {
            RemovalReason::Taken => 0.0,
            RemovalReason::ClaimedByUs => 1.0,
            RemovalReason::Vanished => 2.0,
            RemovalReason::Evicted => 3.0,
        };
        self.push(REMOVED, id, index);
    }

    /// Records that the next queued event is due.
    pub fn queued(&mut self) {
        self.push(QUEUED, 0, 0.0);
    }

    fn push(&mut self, kind: f64, id: OrderId, a: f64) {
        let mut entry = [0.0; WIDTH];
        entry[0] = kind;
        entry[1] = id as f64;
        entry[2] = a;
        self.record.extend_from_slice(&entry);
    }
}

/// (address, length) of an order's text fields. Escaped fields are copied to `spill`
/// first, then addressed: the spill must not move after an address is taken.
fn addresses(spill: &mut String, o: &OrderView<'_>) -> [(u32, u32); 5] {
    let parts = [
        &o.currency,
        &o.crypto_symbol,
        &o.crypto_chain,
        &o.status,
        &o.created_at,
    ];
    let mut at = [(0usize, 0usize, false); 5];
    for (slot, part) in at.iter_mut().zip(parts) {
        *slot = match part {
            Cow::Borrowed(s) => (s.as_ptr() as usize, s.len(), false),
            Cow::Owned(s) => {
                let offset = spill.len();
                spill.push_str(s);
                (offset, s.len(), true)
            }
        };
    }
    let base = spill.as_ptr() as usize;
    at.map(|(p, n, spilled)| {
        let p = if spilled { base + p } else { p };
        (p as u32, n as u32)
    })
}

//! Rust values to the JS shapes of the public API: orders keep their wire field names,
//! everything else is camelCase.

use js_sys::{Array, Object, Reflect};
use wasm_bindgen::prelude::*;

use crate::core::book::Resync;
use crate::core::{LpError, Order, OrderId, StateChange};

#[wasm_bindgen(module = "/src/js/host.js")]
extern "C" {
    #[wasm_bindgen(js_name = makeLpError)]
    fn make_lp_error(
        kind: &str,
        message: &str,
        status: Option<u16>,
        order_id: Option<f64>,
    ) -> JsValue;
    /// `JSON.stringify(options)` for the core's reader; `None` if not a plain object.
    #[wasm_bindgen(js_name = optionsJson)]
    pub fn options_json(options: &JsValue) -> Option<String>;
}

/// Sets `key` on `obj` (a plain object: the set cannot fail). Off the frame path only:
/// hot events are built by host.js.
pub fn set(obj: &Object, key: &str, value: &JsValue) {
    let _ = Reflect::set(obj, &JsValue::from_str(key), value);
}

/// A plain object from key/value pairs.
pub fn object(pairs: &[(&str, JsValue)]) -> JsValue {
    let o = Object::new();
    for (k, v) in pairs {
        set(&o, k, v);
    }
    o.into()
}

/// An `LpError` (a JS `Error` subclass with `kind`, `status`, `orderId`).
pub fn error(e: &LpError) -> JsValue {
    make_lp_error(
        e.kind.as_str(),
        &e.message,
        e.status,
        e.order_id.map(|i| i as f64),
    )
}

/// Strings as an array.
pub fn strings(v: &[String]) -> Array {
    v.iter().map(|s| JsValue::from_str(s)).collect()
}

/// An order, with the wire's field names.
pub fn order(o: &Order) -> JsValue {
    object(&[
        ("id", id(o.id)),
        ("amount_fiat", amount(o.amount_fiat)),
        ("currency", JsValue::from_str(o.currency())),
        ("amount_usd", amount(o.amount_usd)),
        ("crypto_symbol", JsValue::from_str(o.crypto_symbol())),
        ("crypto_chain", JsValue::from_str(o.crypto_chain())),
        ("status", JsValue::from_str(o.status())),
        ("created_at", JsValue::from_str(o.created_at())),
    ])
}

/// An amount, `null` when the server's was unreadable.
fn amount(a: Option<f64>) -> JsValue {
    a.map_or(JsValue::NULL, JsValue::from_f64)
}

/// Orders as an array.
pub fn orders<'a>(it: impl Iterator<Item = &'a Order>) -> Array {
    it.map(order).collect()
}

/// An order id as a JS number.
pub fn id(i: OrderId) -> JsValue {
    JsValue::from_f64(i as f64)
}

/// Ids as an array.
pub fn ids(v: &[OrderId]) -> Array {
    v.iter().map(|&i| id(i)).collect()
}

/// The payload of the `state` event.
pub fn state_change(s: &StateChange) -> JsValue {
    object(&[
        ("state", s.state.as_str().into()),
        ("attempt", JsValue::from_f64(f64::from(s.attempt))),
        (
            "retryInMs",
            s.retry_in_ms
                .map_or(JsValue::NULL, |m| JsValue::from_f64(m as f64)),
        ),
        ("reason", s.reason.as_ref().map_or(JsValue::NULL, error)),
    ])
}

/// The `resync` part of the `init` event.
pub fn resync(r: &Resync) -> JsValue {
    let appeared: Vec<OrderId> = r.appeared.iter().map(|o| o.id).collect();
    object(&[
        ("appeared", ids(&appeared).into()),
        ("vanished", ids(&r.vanished).into()),
        ("unverified", ids(&r.unverified).into()),
        ("evicted", ids(&r.evicted).into()),
    ])
}

/// Parses a REST body as JSON, keeping every field the server sent.
pub fn json_body(body: &str) -> Result<JsValue, LpError> {
    js_sys::JSON::parse(body).map_err(|_| {
        LpError::new(
            crate::core::ErrorKind::Protocol,
            "the server's answer is not JSON",
        )
    })
}

//! `LpClient` options: read from a JS object strictly (unknown keys, wrong types and bad
//! values are `invalid_argument` errors that name the option, never its value).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use crate::core::{AuthMode, ConfigBuilder, ErrorKind, LpError, OrderId};

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

pub(super) fn invalid(message: &str) -> LpError {
    LpError::new(ErrorKind::InvalidArgument, message)
}

pub(super) fn whole(v: Option<f64>, name: &str, default: u64) -> Result<u64, LpError> {
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
pub(super) struct Reader<'a>(pub &'a JsValue);

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
    pub(super) fn whole(&self, key: &str, default: u64) -> Result<u64, LpError> {
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

pub(super) fn build_config(options: JsValue) -> Result<crate::core::Config, LpError> {
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
            for (i, k) in OPTION_KEYS.iter().enumerate() {
                if i > 0 {
                    m.push_str(", ");
                }
                m.push_str(k);
            }
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

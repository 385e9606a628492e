//! `LpClientOptions`, read from their JSON text (the JS layer passes
//! `JSON.stringify(options)`, non-finite numbers as strings): strict, so unknown keys,
//! wrong types and bad values are `invalid_argument` errors that name the option, never
//! its value. `null` means absent. Platform-free, so every rule is tested natively.

use std::borrow::Cow;

use super::config::{AuthMode, Config, ConfigBuilder};
use super::error::LpError;
use super::filter::OrderFilter;
use super::json::{self, Reader, Value};
use super::text::concat;
use super::wire::{truncate, OrderId};

/// Every key of `LpClientOptions`.
pub const OPTION_KEYS: [&str; 18] = [
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
    "maxBodyBytes",
    "allowInsecure",
    "orderFilter",
    "autoClaim",
    "WebSocket",
];

const FILTER_KEYS: [&str; 4] = [
    "currencies",
    "maxAmountFiat",
    "minAmountUsd",
    "maxAmountUsd",
];

/// The client's configuration from the options' JSON text.
pub fn config_from_json(text: &str) -> Result<Config, LpError> {
    let o = Fields::read(
        text,
        0,
        "options must be an object with apiUrl and lpKey",
        Some(&OPTION_KEYS),
        |key| {
            let mut m = concat(&[
                "unknown LpClient option \"",
                truncate(key, 40),
                "\" (known: ",
            ]);
            for (i, k) in OPTION_KEYS.iter().enumerate() {
                if i > 0 {
                    m.push_str(", ");
                }
                m.push_str(k);
            }
            m.push(')');
            m
        },
    )?;
    let api_url = o
        .string("apiUrl")?
        .ok_or_else(|| LpError::invalid("apiUrl is required"))?;
    let lp_key = o
        .string("lpKey")?
        .ok_or_else(|| LpError::invalid("lpKey is required"))?;
    let mut b = ConfigBuilder::new(&api_url, &lp_key);
    if let Some(u) = o.string("wsUrl")? {
        b = b.ws_url(&u);
    }
    b.auth = match o.string("auth")?.as_deref() {
        None | Some("deferred") => AuthMode::Deferred,
        Some("query") => AuthMode::Query,
        Some(_) => return Err(LpError::invalid("auth must be \"deferred\" or \"query\"")),
    };
    b.currencies = o.strings("currencies")?;
    b.heartbeat_ms = o.whole("heartbeatMs", b.heartbeat_ms)?;
    b.pong_timeout_ms = o.whole("pongTimeoutMs", b.pong_timeout_ms)?;
    b.backoff_initial_ms = o.whole("backoffInitialMs", b.backoff_initial_ms)?;
    b.backoff_max_ms = o.whole("backoffMaxMs", b.backoff_max_ms)?;
    if o.number("stableAfterMs")?.is_some() {
        b.stable_after_ms = Some(o.whole("stableAfterMs", 0)?);
    }
    b.connect_timeout_ms = o.whole("connectTimeoutMs", b.connect_timeout_ms)?;
    b.request_timeout_ms = o.whole("requestTimeoutMs", b.request_timeout_ms)?;
    b.book_capacity = o.whole("bookCapacity", b.book_capacity as u64)? as usize;
    b.max_body_bytes = o.whole("maxBodyBytes", b.max_body_bytes)?;
    b.allow_insecure = o.boolean("allowInsecure")?.unwrap_or(false);
    if let Some(at) = o.at("orderFilter")? {
        b.order_filter = order_filter(text, at)?;
    }
    b.auto_claim = o.boolean("autoClaim")?.unwrap_or(false);
    // The driver takes the class itself; JSON (what the core reads) holds no functions,
    // so a `WebSocket` that made it here is not one.
    if o.at("WebSocket")?.is_some() {
        return Err(LpError::invalid(
            "WebSocket must be a WebSocket class, e.g. the ws package's (or leave it out to use the global one)",
        ));
    }
    b.build()
}

/// `waitForStatus` options: `(intervalMs, timeoutMs)`, defaults 1000 and 120000.
pub fn wait_options_from_json(text: &str) -> Result<(u64, u64), LpError> {
    let o = Fields::read(
        text,
        0,
        "waitForStatus options must be an object",
        Some(&["intervalMs", "timeoutMs"]),
        |_| "waitForStatus takes intervalMs and timeoutMs".to_owned(),
    )?;
    Ok((
        o.whole("intervalMs", 1_000)?.max(10),
        o.whole("timeoutMs", 120_000)?,
    ))
}

/// A JS number that must be an order id.
pub fn order_id(v: f64) -> Result<OrderId, LpError> {
    if v.is_finite() && v >= 0.0 && v.fract() == 0.0 && v <= 9_007_199_254_740_991.0 {
        Ok(v as OrderId)
    } else {
        Err(LpError::invalid(
            "order id must be a whole, non-negative number",
        ))
    }
}

#[inline(never)]
/// `orderFilter: { currencies?, maxAmountFiat?: { KES: 20000 }, minAmountUsd?, maxAmountUsd? }`
fn order_filter(text: &str, at: usize) -> Result<OrderFilter, LpError> {
    let f = Fields::read(
        text,
        at,
        "orderFilter must be an object",
        Some(&FILTER_KEYS),
        |_| "orderFilter takes currencies, maxAmountFiat, minAmountUsd and maxAmountUsd".to_owned(),
    )?;
    let mut max_amount_fiat = Vec::new();
    if let Some(at) = f.at("maxAmountFiat")? {
        let m = Fields::read(
            text,
            at,
            "orderFilter.maxAmountFiat must be an object like { KES: 20000 }",
            None,
            |_| String::new(),
        )?;
        for (code, _) in &m.fields {
            let amount = m.number(code).ok().flatten().ok_or_else(|| {
                LpError::invalid("orderFilter.maxAmountFiat values must be numbers")
            })?;
            max_amount_fiat.push((code.to_string(), amount));
        }
    }
    Ok(OrderFilter {
        currencies: f.strings("currencies")?,
        max_amount_fiat,
        min_amount_usd: f.number("minAmountUsd")?,
        max_amount_usd: f.number("maxAmountUsd")?,
    })
}

/// The keys of one JSON object and where their values start.
struct Fields<'a> {
    text: &'a str,
    fields: Vec<(Cow<'a, str>, usize)>,
}

impl<'a> Fields<'a> {
    /// Reads the object at byte `at` of `text`; `not_object` is the error for anything
    /// else, and `unknown(key)` the error for a key not in `known` (any key goes if `None`).
    #[inline(never)]
    fn read(
        text: &'a str,
        at: usize,
        not_object: &str,
        known: Option<&[&str]>,
        unknown: fn(&str) -> String,
    ) -> Result<Self, LpError> {
        let not_json = || LpError::invalid("options are not plain JSON values");
        let mut r = Reader::new(text.get(at..).unwrap_or_default());
        if r.value().map_err(|_| not_json())? != Value::Object {
            return Err(LpError::invalid(not_object));
        }
        let mut fields = Vec::new();
        while let Some(key) = r.next_key().map_err(|_| not_json())? {
            let key = key.value();
            if known.is_some_and(|k| !k.contains(&&*key)) {
                return Err(LpError::invalid(&unknown(&key)));
            }
            fields.push((key, at + r.offset()));
            let v = r.value().map_err(|_| not_json())?;
            r.skip(v).map_err(|_| not_json())?;
        }
        Ok(Fields { text, fields })
    }

    /// Where the value of `key` starts, unless it is absent or null.
    #[inline(never)]
    fn at(&self, key: &str) -> Result<Option<usize>, LpError> {
        let Some(&(_, at)) = self.fields.iter().rev().find(|(k, _)| k == key) else {
            return Ok(None);
        };
        Ok((self.value(at) != Value::Null).then_some(at))
    }

    fn value(&self, at: usize) -> Value<'a> {
        Reader::new(self.text.get(at..).unwrap_or_default())
            .value()
            .unwrap_or(Value::Null)
    }

    /// The value of `key` unless absent or null.
    #[inline(never)]
    fn get(&self, key: &str) -> Result<Option<Value<'a>>, LpError> {
        Ok(self.at(key)?.map(|at| self.value(at)))
    }

    #[inline(never)]
    fn string(&self, key: &str) -> Result<Option<String>, LpError> {
        match self.get(key)? {
            None => Ok(None),
            Some(Value::Str(s)) => Ok(Some(s.value().into_owned())),
            Some(_) => Err(wrong(key, "a string")),
        }
    }

    #[inline(never)]
    fn number(&self, key: &str) -> Result<Option<f64>, LpError> {
        match self.get(key)? {
            None => Ok(None),
            Some(Value::Number(t)) => json::to_f64(t)
                .map(Some)
                .ok_or_else(|| wrong(key, "a number")),
            Some(_) => Err(wrong(key, "a number")),
        }
    }

    /// A whole-number option (milliseconds, or a count), or `default` when absent.
    #[inline(never)]
    fn whole(&self, key: &str, default: u64) -> Result<u64, LpError> {
        match self.number(key)? {
            None => Ok(default),
            Some(f) if f >= 0.0 && f.fract() == 0.0 && f <= 9.0e15 => Ok(f as u64),
            Some(_) => Err(LpError::invalid(&concat(&[
                key,
                " must be a whole, non-negative number of milliseconds",
            ]))),
        }
    }

    #[inline(never)]
    fn boolean(&self, key: &str) -> Result<Option<bool>, LpError> {
        match self.get(key)? {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(b)),
            Some(_) => Err(wrong(key, "true or false")),
        }
    }

    #[inline(never)]
    fn strings(&self, key: &str) -> Result<Vec<String>, LpError> {
        let Some(at) = self.at(key)? else {
            return Ok(Vec::new());
        };
        let wrong = || wrong(key, "an array of strings");
        let mut r = Reader::new(self.text.get(at..).unwrap_or_default());
        if r.value() != Ok(Value::Array) {
            return Err(wrong());
        }
        let mut out = Vec::new();
        while r.next_item().map_err(|_| wrong())? {
            match r.value().map_err(|_| wrong())? {
                Value::Str(s) => out.push(s.value().into_owned()),
                _ => return Err(wrong()),
            }
        }
        Ok(out)
    }
}

#[inline(never)]
fn wrong(key: &str, what: &str) -> LpError {
    LpError::invalid(&concat(&[key, " must be ", what]))
}

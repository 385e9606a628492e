//! REST over the global `fetch(url, init)` with a timeout, through http.js: one
//! boundary crossing per request. The key travels only in the `Authorization` header.
//!
//! `fetch` is called with a URL and a plain init object, as the provider's examples do:
//! building a `Request` first (what gloo-net does) cost ~0.4 ms per claim in Node's undici,
//! on the path where LPs race (measured with `make bench`).

use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;

use crate::core::rest::{Method, Request};
use crate::core::{ErrorKind, LpError, LpKey};

#[wasm_bindgen(module = "/src/js/http.js")]
extern "C" {
    /// Resolves with `[status, body]`; rejects with `[timedOut, message]`.
    fn exchange(url: &str, post: bool, authorization: &str, timeout_ms: f64) -> js_sys::Promise;
    /// Resolves after `ms`.
    fn sleep(ms: f64) -> js_sys::Promise;
}

/// Status and body of an answer.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body text.
    pub body: String,
}

/// Performs `req`. `Err` only when no answer arrived (network failure or timeout).
pub async fn perform(req: &Request, key: &LpKey, timeout_ms: u64) -> Result<Answer, LpError> {
    let mut bearer = String::from("Bearer ");
    bearer.push_str(key.expose());
    let post = req.method == Method::Post;
    let outcome = JsFuture::from(exchange(&req.url, post, &bearer, timeout_ms as f64)).await;
    let pair = |v: &JsValue| {
        let a: &js_sys::Array = v.unchecked_ref();
        (a.get(0), a.get(1))
    };
    match outcome {
        Ok(v) => {
            let (status, body) = pair(&v);
            Ok(Answer {
                status: status.as_f64().unwrap_or(0.0) as u16,
                body: body.as_string().unwrap_or_default(),
            })
        }
        Err(e) if js_sys::Array::is_array(&e) && pair(&e).0.is_truthy() => {
            let mut m = String::from("no answer within ");
            crate::core::wire::push_u64(&mut m, timeout_ms);
            m.push_str(" ms");
            Err(LpError::new(ErrorKind::Timeout, m))
        }
        Err(e) => {
            // The platform's message for a failed fetch ("Failed to fetch", "fetch failed").
            let text = if js_sys::Array::is_array(&e) {
                pair(&e).1.as_string()
            } else {
                None
            };
            let mut m = String::from("network error: ");
            m.push_str(&key.redact(&text.unwrap_or_else(|| "fetch failed".to_owned())));
            Err(LpError::new(ErrorKind::Network, m))
        }
    }
}

/// Waits `ms` on the platform's timer.
pub async fn pause(ms: u64) {
    let _ = JsFuture::from(sleep(ms as f64)).await;
}

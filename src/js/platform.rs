//! Globals every runtime has (browsers, Node, Cloudflare Workers), bound from the global
//! scope: Workers have no `window`, so nothing here goes through it.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = performance, js_name = now)]
    fn performance_now() -> f64;
}

/// Monotonic milliseconds for the core's clock.
pub fn now_ms() -> u64 {
    let t = performance_now();
    if t.is_finite() && t > 0.0 {
        t as u64
    } else {
        0
    }
}

/// 64 random bits for the backoff jitter seed.
pub fn random_seed() -> u64 {
    let hi = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    let lo = (js_sys::Math::random() * 4_294_967_296.0) as u64;
    (hi << 32) | lo
}

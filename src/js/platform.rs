//! Globals every runtime has (browsers, Node, Cloudflare Workers), bound from the global
//! scope: Workers have no `window`, so nothing here goes through it.

use std::future::Future;
use std::pin::Pin;

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

/// Runs `fut` on the JS microtask queue. (The boxing keeps one copy of the executor glue
/// in the wasm instead of one per future type.)
pub fn spawn(fut: impl Future<Output = ()> + 'static) {
    spawn_boxed(Box::pin(fut));
}

fn spawn_boxed(fut: Pin<Box<dyn Future<Output = ()>>>) {
    wasm_bindgen_futures::spawn_local(fut);
}

//! REST over the global `fetch` (gloo-net), with a timeout. The key travels only in the
//! `Authorization` header. Never `Debug`-print a gloo `Request`: it prints headers.

use gloo_net::http::{Request as GlooRequest, RequestBuilder};
use gloo_timers::callback::Timeout;

use crate::core::rest::{Method, Request};
use crate::core::{ErrorKind, LpError, LpKey};

/// Status and body of an answer.
pub struct Answer {
    /// HTTP status.
    pub status: u16,
    /// Body text.
    pub body: String,
}

/// Performs `req`. `Err` only when no answer arrived (network failure or timeout).
pub async fn perform(req: &Request, key: &LpKey, timeout_ms: u64) -> Result<Answer, LpError> {
    let controller = web_sys::AbortController::new()
        .map_err(|_| LpError::new(ErrorKind::Network, "AbortController is not available"))?;
    let signal = controller.signal();
    let timer = Timeout::new(timeout_ms.min(i32::MAX as u64) as u32, move || {
        controller.abort()
    });
    let mut bearer = String::from("Bearer ");
    bearer.push_str(key.expose());
    let builder: RequestBuilder = match req.method {
        Method::Get => GlooRequest::get(&req.url),
        Method::Post => GlooRequest::post(&req.url).header("Content-Type", "application/json"),
    }
    .header("Authorization", &bearer)
    .abort_signal(Some(&signal));
    let sent = match req.method {
        Method::Get => builder.build(),
        Method::Post => builder.body("{}"),
    };
    let result = match sent {
        Ok(r) => match r.send().await {
            Ok(resp) => {
                let status = resp.status();
                resp.text().await.map(|body| Answer { status, body })
            }
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    let aborted = signal.aborted();
    drop(timer);
    result.map_err(|e| {
        if aborted {
            let mut m = String::from("no answer within ");
            crate::core::wire::push_u64(&mut m, timeout_ms);
            m.push_str(" ms");
            LpError::new(ErrorKind::Timeout, m)
        } else {
            // gloo's message for a failed fetch ("Failed to fetch", "fetch failed"): no headers.
            let mut m = String::from("network error: ");
            m.push_str(&key.redact(&e.to_string()));
            LpError::new(ErrorKind::Network, m)
        }
    })
}

//! Orders as the simulator keeps them, and the JSON views the protocol shows of them.

use serde::Serialize;
use serde_json::{json, Value};

/// Who gets paid, and how (returned by `GET /api/orders/{id}` to the owner).
#[derive(Debug, Clone, Serialize)]
pub struct Payee {
    pub name: String,
    pub account: String,
    pub rail: String,
}

/// One claim attempt as it reached the server.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimArrival {
    pub lp_id: u64,
    /// Server monotonic clock, µs since start.
    pub at_us: u64,
    /// "http" or "ws".
    pub via: &'static str,
    pub won: bool,
}

/// An order with everything the simulator tracks.
#[derive(Debug, Clone)]
pub struct Order {
    pub id: u64,
    pub amount_fiat: f64,
    pub currency: String,
    pub amount_usd: f64,
    pub crypto_symbol: String,
    pub crypto_chain: String,
    pub status: String,
    pub created_at: String,
    pub lp_id: Option<u64>,
    pub lp_receive_address: Option<String>,
    pub payee: Payee,
    /// µs on the server clock when `new_order` went out (None: never broadcast).
    pub broadcast_us: Option<u64>,
    pub claims: Vec<ClaimArrival>,
}

impl Order {
    /// The preview object of `init` / `new_order`: the spec's eight fields, nothing more.
    pub fn preview(&self) -> Value {
        json!({
            "id": self.id,
            "amount_fiat": self.amount_fiat,
            "currency": self.currency,
            "amount_usd": self.amount_usd,
            "crypto_symbol": self.crypto_symbol,
            "crypto_chain": self.crypto_chain,
            "status": self.status,
            "created_at": self.created_at,
        })
    }

    /// The REST view. Payee details only for the LP that claimed the order.
    pub fn rest_view(&self, viewer: u64) -> Value {
        let mut v = self.preview();
        v["lp_id"] = json!(self.lp_id);
        if self.lp_id == Some(viewer) {
            v["payee"] = json!(self.payee);
            v["lp_receive_address"] = json!(self.lp_receive_address);
        } else {
            v["payee"] = Value::Null;
        }
        v
    }

    /// The control view: everything, with server timestamps.
    pub fn control_view(&self) -> Value {
        let mut v = self.preview();
        v["lp_id"] = json!(self.lp_id);
        v["payee"] = json!(self.payee);
        v["lp_receive_address"] = json!(self.lp_receive_address);
        v["broadcast_us"] = json!(self.broadcast_us);
        v["claims"] = json!(self.claims);
        v
    }
}

/// The deposit address an LP receives crypto on (stable per LP and chain).
pub fn receive_address(lp_id: u64, chain: &str) -> String {
    match chain {
        "trx" => format!("TLp{lp_id:0>10}RampwireSimAddr"),
        "xrpl" => format!("rLp{lp_id:0>10}RampwireSim"),
        "sol" => format!("So1LP{lp_id:0>10}RampwireSimAddr1111111"),
        _ => format!("0x{:0>40x}", lp_id.wrapping_mul(0x9E37_79B9)),
    }
}

/// Formats Unix milliseconds as `YYYY-MM-DDTHH:MM:SS.mmmZ`.
pub fn iso8601(unix_ms: u64) -> String {
    let secs = unix_ms / 1000;
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (H. Hinnant).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        unix_ms % 1000
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn iso8601_known_instants() {
        assert_eq!(super::iso8601(0), "1970-01-01T00:00:00.000Z");
        assert_eq!(
            super::iso8601(1_746_275_696_123),
            "2025-05-03T12:34:56.123Z"
        );
    }
}

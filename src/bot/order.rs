//! An order as the driver hands it to the engine (from `init` or `new_order`).
//!
//! Amounts are `Option<f64>`: `None` when the client could not read them (a formatted
//! string, missing, not finite). Such an order is never claimed. From JSON, anything but
//! a finite number (or a numeric string, as the client tolerates) reads as `None` rather
//! than failing the whole input, so the engine can skip and report it.

use serde::{Deserialize, Deserializer, Serialize};

use rampwire_lp_core::wire::{Order, OrderView};

/// An open order seen on the socket, with the time the driver received it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderInfo {
    /// The order id.
    pub id: u64,
    /// ISO currency code.
    #[serde(default)]
    pub currency: String,
    /// Local fiat amount; `None` when unreadable.
    #[serde(default, deserialize_with = "lenient_amount")]
    pub amount_fiat: Option<f64>,
    /// USD notional; `None` when unreadable.
    #[serde(default, deserialize_with = "lenient_amount")]
    pub amount_usd: Option<f64>,
    /// e.g. `usdt`.
    #[serde(default)]
    pub crypto_symbol: String,
    /// e.g. `trx`.
    #[serde(default)]
    pub crypto_chain: String,
    /// Lifecycle word as sent (`open`); empty when not sent.
    #[serde(default)]
    pub status: String,
    /// When the driver received it (wall ms since the epoch).
    pub received_at: u64,
}

impl OrderInfo {
    /// From the client core's order, received at `received_at`.
    pub fn from_order(order: &Order, received_at: u64) -> OrderInfo {
        OrderInfo {
            id: order.id,
            currency: order.currency().to_owned(),
            amount_fiat: order.amount_fiat,
            amount_usd: order.amount_usd,
            crypto_symbol: order.crypto_symbol().to_owned(),
            crypto_chain: order.crypto_chain().to_owned(),
            status: order.status().to_owned(),
            received_at,
        }
    }

    /// From a decoded frame's order, received at `received_at`.
    pub fn from_view(order: &OrderView<'_>, received_at: u64) -> OrderInfo {
        OrderInfo {
            id: order.id,
            currency: order.currency.clone().into_owned(),
            amount_fiat: order.amount_fiat,
            amount_usd: order.amount_usd,
            crypto_symbol: order.crypto_symbol.clone().into_owned(),
            crypto_chain: order.crypto_chain.clone().into_owned(),
            status: order.status.clone().into_owned(),
            received_at,
        }
    }

    /// `amount_fiat` if it is a usable amount (finite, not negative).
    pub fn fiat(&self) -> Option<f64> {
        usable(self.amount_fiat)
    }

    /// `amount_usd` if it is a usable amount (finite, not negative).
    pub fn usd(&self) -> Option<f64> {
        usable(self.amount_usd)
    }
}

/// A finite, non-negative amount, or `None`.
pub fn usable(v: Option<f64>) -> Option<f64> {
    v.filter(|a| a.is_finite() && *a >= 0.0)
}

/// A number, or a numeric string; anything else is `None` (unreadable, fails closed).
fn lenient_amount<'de, D: Deserializer<'de>>(d: D) -> Result<Option<f64>, D::Error> {
    let v = serde_json::Value::deserialize(d)?;
    Ok(match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => {
            let t = s.trim();
            // Plain decimals only: "5,000" or "1e3" stay unreadable.
            let plain = !t.is_empty()
                && t.bytes().all(|b| b.is_ascii_digit() || b == b'.')
                && t.bytes().filter(|b| *b == b'.').count() <= 1;
            if plain {
                t.parse::<f64>().ok()
            } else {
                None
            }
        }
        _ => None,
    }
    .filter(|a| a.is_finite()))
}

//! Synthetic orders: realistic currencies, amounts, payees; deterministic for a seed.

use crate::model::Payee;

/// A small deterministic generator (SplitMix64).
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[(self.next_u64() % items.len() as u64) as usize]
    }
}

/// Local currency per USD, roughly as in 2026, and how that market pays out.
struct Market {
    currency: &'static str,
    per_usd: f64,
    rail: &'static str,
    names: &'static [&'static str],
}

const MARKETS: &[Market] = &[
    Market {
        currency: "KES",
        per_usd: 129.0,
        rail: "mpesa",
        names: &[
            "Wanjiku Kamau",
            "Otieno Odhiambo",
            "Achieng Atieno",
            "Kipchoge Rotich",
        ],
    },
    Market {
        currency: "NGN",
        per_usd: 1540.0,
        rail: "bank_transfer",
        names: &[
            "Chukwuemeka Obi",
            "Aisha Bello",
            "Tunde Adeyemi",
            "Ngozi Okafor",
        ],
    },
    Market {
        currency: "GHS",
        per_usd: 15.4,
        rail: "mobile_money",
        names: &["Kwame Mensah", "Ama Owusu", "Kofi Boateng"],
    },
    Market {
        currency: "UGX",
        per_usd: 3720.0,
        rail: "mobile_money",
        names: &["Nakato Sarah", "Mugisha Brian", "Apio Grace"],
    },
    Market {
        currency: "TZS",
        per_usd: 2650.0,
        rail: "mobile_money",
        names: &["Juma Mwinyi", "Neema Mushi", "Baraka Said"],
    },
    Market {
        currency: "ZAR",
        per_usd: 18.2,
        rail: "bank_transfer",
        names: &["Thabo Nkosi", "Lerato Dlamini", "Pieter van Wyk"],
    },
];

const ASSETS: &[(&str, &str)] = &[
    ("usdt", "trx"),
    ("usdt", "trx"),
    ("usdt", "bsc"),
    ("usdc", "base"),
    ("usdc", "sol"),
    ("xrp", "xrpl"),
];

/// The fields of a new synthetic order.
pub struct Draft {
    pub amount_fiat: f64,
    pub currency: String,
    pub amount_usd: f64,
    pub crypto_symbol: String,
    pub crypto_chain: String,
    pub payee: Payee,
}

/// A realistic order: USD 5–500 (log-uniform), converted and rounded as a person would pay it.
pub fn draft(rng: &mut Rng) -> Draft {
    let m = rng.pick(MARKETS);
    let usd = (5.0f64.ln() + rng.unit() * (500.0f64.ln() - 5.0f64.ln())).exp();
    let fiat = (usd * m.per_usd / 10.0).round() * 10.0;
    let (sym, chain) = *rng.pick(ASSETS);
    draft_for(rng, m.currency, fiat.max(10.0), sym, chain)
}

/// USD value of `fiat` in `currency` (unknown currencies count as USD).
pub fn usd_value(currency: &str, fiat: f64) -> f64 {
    let rate = MARKETS
        .iter()
        .find(|m| m.currency == currency)
        .map_or(1.0, |m| m.per_usd);
    (fiat / rate * 100.0).round() / 100.0
}

/// A payee fitting the currency's market.
pub fn draft_for(rng: &mut Rng, currency: &str, fiat: f64, sym: &str, chain: &str) -> Draft {
    let m = MARKETS
        .iter()
        .find(|m| m.currency == currency)
        .unwrap_or(&MARKETS[0]);
    let digits = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b'0' + (rng.next_u64() % 10) as u8))
            .collect()
    };
    let account = match m.currency {
        "KES" => format!("2547{}", digits(rng, 8)),
        "UGX" => format!("2567{}", digits(rng, 8)),
        "TZS" => format!("2557{}", digits(rng, 8)),
        "GHS" => format!("2332{}", digits(rng, 8)),
        _ => digits(rng, 10),
    };
    Draft {
        amount_fiat: fiat,
        currency: currency.to_owned(),
        amount_usd: usd_value(currency, fiat),
        crypto_symbol: sym.to_owned(),
        crypto_chain: chain.to_owned(),
        payee: Payee {
            name: (*rng.pick(m.names)).to_owned(),
            account,
            rail: m.rail.to_owned(),
        },
    }
}

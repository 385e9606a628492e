//! The bot's settings: one strict parser for every driver. Environment variables, a
//! `KEY=VALUE` policy file and CLI flags all map onto the same keys ([`KNOWN_KEYS`]).
//!
//! Strict on purpose (a bot that spends money must not guess): numbers are plain decimals
//! (`0x10`, `1e3`, `Infinity`, `+5`, `010`, an empty value or trailing junk are refused),
//! ranges are checked, a key given twice or a key nobody knows is refused, and every error
//! names the setting and says why. The error's text is what `/status` and the CLI show.

use std::collections::BTreeMap;

use serde::Serialize;

/// Every setting the parser knows, in the order the error message lists them.
pub const KNOWN_KEYS: [&str; 20] = [
    "API_URL",
    "WS_URL",
    "ALLOWED_CURRENCIES",
    "MAX_AMOUNT",
    "MIN_AMOUNT",
    "CRYPTO",
    "MAX_OPEN_CLAIMS",
    "DAILY_USD_CAP",
    "DRY_RUN",
    "REQUEST_TIMEOUT_MS",
    "HEARTBEAT_MS",
    "BACKOFF_MAX_MS",
    "WATCHDOG_MS",
    "RECONCILE_INTERVAL_MS",
    "JOURNAL_RETENTION_DAYS",
    "JOURNAL_MAX_ENTRIES",
    "MAX_GETS_IN_FLIGHT",
    "MAX_GETS_PER_MINUTE",
    "MAX_CLAIM_ATTEMPTS",
    "DRY_RUN_MAX_CHECKS",
];

/// Secrets that must never be given as settings (the engine never sees the key).
pub const SECRET_KEYS: [&str; 2] = ["LP_KEY", "OPERATOR_TOKEN"];

/// The REST base when `API_URL` is not given: the provider's production API.
pub const DEFAULT_API_URL: &str = "https://api.rampwire.app";

/// Largest amount or cap accepted (a typo guard; no real order comes close).
const MAX_MONEY: f64 = 1e12;
/// Significant digits a number may have (all exact in an `f64`).
const MAX_DIGITS: usize = 15;
/// Longest value echoed in an error message.
const MAX_ECHO: usize = 40;

/// One entry of the `CRYPTO` allow-list: `usdt/trx` (that chain only) or `usdt` (any chain).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CryptoRule {
    /// Crypto symbol, lower case (`usdt`).
    pub symbol: String,
    /// Chain, lower case (`trx`); `None` allows every chain.
    pub chain: Option<String>,
}

impl CryptoRule {
    /// Whether an order paying `symbol` on `chain` matches (case-insensitively).
    pub fn matches(&self, symbol: &str, chain: &str) -> bool {
        self.symbol.eq_ignore_ascii_case(symbol.trim())
            && self
                .chain
                .as_deref()
                .map_or(true, |c| c.eq_ignore_ascii_case(chain.trim()))
    }
}

/// The validated settings. Build with [`Settings::from_pairs`] or [`Settings::from_text`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Settings {
    /// `API_URL`: REST base without a trailing slash (default [`DEFAULT_API_URL`]).
    pub api_url: String,
    /// `WS_URL`: socket URL, when not derived from the API URL.
    pub ws_url: Option<String>,
    /// `ALLOWED_CURRENCIES`: upper-case codes, in the order given.
    pub allowed_currencies: Vec<String>,
    /// `MAX_AMOUNT`: largest `amount_fiat` per currency (every allowed currency has one).
    pub max_amount: BTreeMap<String, f64>,
    /// `MIN_AMOUNT`: smallest `amount_fiat` per currency (optional, per currency).
    pub min_amount: BTreeMap<String, f64>,
    /// `CRYPTO`: allowed symbol/chain pairs; empty allows every crypto.
    pub crypto: Vec<CryptoRule>,
    /// `MAX_OPEN_CLAIMS`: claims holding collateral at once (1..=1000).
    pub max_open_claims: u32,
    /// `DAILY_USD_CAP`: USD value claimed per UTC day, if capped.
    pub daily_usd_cap: Option<f64>,
    /// `DRY_RUN`: the mode of a new journal (default true: watch before spending).
    pub dry_run: bool,
    /// `REQUEST_TIMEOUT_MS`: one HTTP request's limit (10..=120000, default 10000).
    pub request_timeout_ms: u64,
    /// `HEARTBEAT_MS`: ping interval of the socket (100..=600000, default 30000).
    pub heartbeat_ms: u64,
    /// `BACKOFF_MAX_MS`: reconnect delay cap (1000..=600000, default 30000).
    pub backoff_max_ms: u64,
    /// `WATCHDOG_MS`: how often a driver without its own timers wakes the bot
    /// (1000..=3600000, default 30000).
    pub watchdog_ms: u64,
    /// `RECONCILE_INTERVAL_MS`: how often claimed and fiat-sent entries are re-checked
    /// (1000..=3600000, default 30000).
    pub reconcile_interval_ms: u64,
    /// `JOURNAL_RETENTION_DAYS`: final entries are kept at least this long (1..=3650,
    /// default 90).
    pub journal_retention_days: u32,
    /// `JOURNAL_MAX_ENTRIES`: hard cap; beyond it the oldest final entries go first
    /// (1000..=1000000, default 100000). Non-final entries are never dropped.
    pub journal_max_entries: u32,
    /// `MAX_GETS_IN_FLIGHT`: reconciliation lookups under way at once (1..=32, default 4).
    pub max_gets_in_flight: u32,
    /// `MAX_GETS_PER_MINUTE`: reconciliation lookups per minute (1..=600, default 60).
    pub max_gets_per_minute: u32,
    /// `MAX_CLAIM_ATTEMPTS`: claims of one order, counting those after a proven release
    /// (1..=5, default 2).
    pub max_claim_attempts: u32,
    /// `DRY_RUN_MAX_CHECKS`: lookups spent on one dry-run entry's fate (1..=50, default 8).
    pub dry_run_max_checks: u32,
}

/// Why the settings are refused. The message names the setting (and the line of a
/// policy file) and says why; values are echoed cut short, secrets never.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SettingsError {
    /// A policy-file line that is not `KEY=VALUE`.
    #[error("line {line}: expected KEY=VALUE (or a # comment), got \"{text}\"")]
    Syntax {
        /// 1-based line number.
        line: usize,
        /// The start of the line.
        text: String,
    },
    /// A key nobody knows (a typo would otherwise be ignored).
    #[error("{}unknown setting {key}{hint} (known: {known})", at(*.line))]
    Unknown {
        /// The key as given (cut short).
        key: String,
        /// Where, in a policy file.
        line: Option<usize>,
        /// A spelling hint, or empty.
        hint: String,
        /// The known keys.
        known: String,
    },
    /// A secret given as a setting.
    #[error("{}{key} is a secret, not a bot setting: give it to the client only (the bot engine never sees it)", at(*.line))]
    Secret {
        /// The key.
        key: String,
        /// Where, in a policy file.
        line: Option<usize>,
    },
    /// A key given twice.
    #[error("{}{key} is set twice{first}", at(*.line))]
    Duplicate {
        /// The key.
        key: String,
        /// Where the second one is, in a policy file.
        line: Option<usize>,
        /// " (first on line N)", or empty.
        first: String,
    },
    /// A required key is missing.
    #[error("{key} is required: {hint}")]
    Missing {
        /// The key.
        key: String,
        /// What to write.
        hint: String,
    },
    /// A value that is not acceptable.
    #[error("{}{key}: {reason}", at(*.line))]
    Invalid {
        /// The key.
        key: String,
        /// Where, in a policy file.
        line: Option<usize>,
        /// Why.
        reason: String,
    },
}

fn at(line: Option<usize>) -> String {
    line.map_or_else(String::new, |l| format!("line {l}: "))
}

impl SettingsError {
    /// The setting concerned, if one is.
    pub fn setting(&self) -> Option<&str> {
        match self {
            SettingsError::Syntax { .. } => None,
            SettingsError::Unknown { key, .. }
            | SettingsError::Secret { key, .. }
            | SettingsError::Duplicate { key, .. }
            | SettingsError::Missing { key, .. }
            | SettingsError::Invalid { key, .. } => Some(key),
        }
    }

    /// The policy-file line, if the error is about one.
    pub fn line(&self) -> Option<usize> {
        match self {
            SettingsError::Syntax { line, .. } => Some(*line),
            SettingsError::Unknown { line, .. }
            | SettingsError::Secret { line, .. }
            | SettingsError::Duplicate { line, .. }
            | SettingsError::Invalid { line, .. } => *line,
            SettingsError::Missing { .. } => None,
        }
    }

    /// A short name of the kind of error (`syntax`, `unknown`, `secret`, `duplicate`,
    /// `missing`, `invalid`).
    pub fn kind(&self) -> &'static str {
        match self {
            SettingsError::Syntax { .. } => "syntax",
            SettingsError::Unknown { .. } => "unknown",
            SettingsError::Secret { .. } => "secret",
            SettingsError::Duplicate { .. } => "duplicate",
            SettingsError::Missing { .. } => "missing",
            SettingsError::Invalid { .. } => "invalid",
        }
    }

    /// `{"kind", "setting", "line", "message"}` for drivers (what `/status` shows).
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "kind": self.kind(),
            "setting": self.setting(),
            "line": self.line(),
            "message": self.to_string(),
        })
        .to_string()
    }
}

/// The raw value of one key, with the policy-file line it came from.
struct Raw {
    value: String,
    line: Option<usize>,
}

/// The raw values by key, checked for unknown, secret and duplicate keys.
struct RawSettings(BTreeMap<&'static str, Raw>);

impl RawSettings {
    fn insert(&mut self, key: &str, value: &str, line: Option<usize>) -> Result<(), SettingsError> {
        let key = key.trim();
        if let Some(secret) = SECRET_KEYS.iter().find(|s| s.eq_ignore_ascii_case(key)) {
            return Err(SettingsError::Secret {
                key: (*secret).to_owned(),
                line,
            });
        }
        let Some(known) = KNOWN_KEYS.iter().find(|k| **k == key) else {
            let upper = key.to_ascii_uppercase().replace('-', "_");
            let hint = KNOWN_KEYS
                .iter()
                .find(|k| **k == upper)
                .map_or_else(String::new, |k| format!(" (did you mean {k}?)"));
            return Err(SettingsError::Unknown {
                key: echo(key),
                line,
                hint,
                known: KNOWN_KEYS.join(", "),
            });
        };
        if let Some(first) = self.0.get(known) {
            return Err(SettingsError::Duplicate {
                key: (*known).to_owned(),
                line,
                first: first
                    .line
                    .map_or_else(String::new, |l| format!(" (first on line {l})")),
            });
        }
        self.0.insert(
            known,
            Raw {
                value: value.trim().to_owned(),
                line,
            },
        );
        Ok(())
    }

    fn get(&self, key: &'static str) -> Option<&Raw> {
        self.0.get(key)
    }

    fn line(&self, key: &'static str) -> Option<usize> {
        self.0.get(key).and_then(|r| r.line)
    }

    fn invalid(&self, key: &'static str, reason: impl Into<String>) -> SettingsError {
        SettingsError::Invalid {
            key: key.to_owned(),
            line: self.line(key),
            reason: reason.into(),
        }
    }

    /// A whole number in `min..=max`, or `default` when absent.
    fn whole(
        &self,
        key: &'static str,
        min: u64,
        max: u64,
        default: u64,
    ) -> Result<u64, SettingsError> {
        let Some(raw) = self.get(key) else {
            return Ok(default);
        };
        let n = whole(&raw.value).map_err(|why| self.invalid(key, why))?;
        if !(min..=max).contains(&n) {
            return Err(self.invalid(
                key,
                format!("must be a whole number from {min} to {max} (got {n})"),
            ));
        }
        Ok(n)
    }

    fn whole_u32(
        &self,
        key: &'static str,
        min: u32,
        max: u32,
        default: u32,
    ) -> Result<u32, SettingsError> {
        let n = self.whole(key, u64::from(min), u64::from(max), u64::from(default))?;
        u32::try_from(n).map_err(|_| self.invalid(key, "too large"))
    }
}

/// `s` cut short for an error message.
fn echo(s: &str) -> String {
    let cut = rampwire_lp_core::wire::truncate(s, MAX_ECHO);
    if cut.len() < s.len() {
        format!("{cut}…")
    } else {
        cut.to_owned()
    }
}

/// A plain decimal: digits, optionally `.` and more digits. No sign, exponent, hex,
/// leading zeros, spaces inside, or more than 15 significant digits.
pub fn decimal(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let bad = || {
        format!(
            "\"{}\" is not a decimal number (digits with an optional fraction, e.g. 20000 or 38.79)",
            echo(t)
        )
    };
    if t.is_empty() {
        return Err("is empty (expected a decimal number such as 20000)".to_owned());
    }
    let (int, frac) = match t.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (t, None),
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(bad());
    }
    if int.len() > 1 && int.starts_with('0') {
        return Err(format!(
            "\"{}\" has a leading zero (write it without)",
            echo(t)
        ));
    }
    let significant = int.trim_start_matches('0').len() + frac.map_or(0, str::len);
    if significant > MAX_DIGITS {
        return Err(format!("\"{}\" has more than {MAX_DIGITS} digits", echo(t)));
    }
    t.parse::<f64>().map_err(|_| bad())
}

/// A plain whole number: digits only, no leading zero, at most 15 digits.
pub fn whole(text: &str) -> Result<u64, String> {
    let t = text.trim();
    if t.is_empty() {
        return Err("is empty (expected a whole number)".to_owned());
    }
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!(
            "\"{}\" is not a whole number (digits only, e.g. 3)",
            echo(t)
        ));
    }
    if t.len() > 1 && t.starts_with('0') {
        return Err(format!(
            "\"{}\" has a leading zero (write it without)",
            echo(t)
        ));
    }
    if t.len() > MAX_DIGITS {
        return Err(format!("\"{}\" has more than {MAX_DIGITS} digits", echo(t)));
    }
    t.parse::<u64>()
        .map_err(|_| format!("\"{}\" is not a whole number", echo(t)))
}

/// A currency code: 3 to 10 letters or digits, upper-cased.
fn currency_code(text: &str) -> Result<String, String> {
    let c = text.trim().to_ascii_uppercase();
    if (3..=10).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(c)
    } else {
        Err(format!(
            "\"{}\" is not a currency code (3 to 10 letters or digits, e.g. KES)",
            echo(text.trim())
        ))
    }
}

/// A crypto symbol or chain: 1 to 20 of `a-z 0-9 _ - .`, lower-cased.
fn crypto_word(text: &str) -> Option<String> {
    let w = text.trim().to_ascii_lowercase();
    ((1..=20).contains(&w.len())
        && w.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.')))
    .then_some(w)
}

/// The items of a comma list, trimmed; empty items are refused.
fn items(raw: &str) -> Result<Vec<&str>, String> {
    let list: Vec<&str> = raw.split(',').map(str::trim).collect();
    if list.iter().any(|i| i.is_empty()) {
        return Err("has an empty item (a stray comma?)".to_owned());
    }
    Ok(list)
}

/// Checks an absolute URL: `schemes[0]` anywhere, `schemes[1]` (the insecure one) only
/// for loopback hosts; no credentials, query, fragment or spaces.
fn url(text: &str, secure: &str, insecure: &str) -> Result<String, String> {
    let t = text.trim();
    let Some((scheme, rest)) = t.split_once("://") else {
        return Err(format!(
            "\"{}\" is not an absolute URL (expected {secure}://host)",
            echo(t)
        ));
    };
    if scheme != secure && scheme != insecure {
        return Err(format!(
            "must use {secure}:// ({insecure}:// only for a loopback host), got {}://",
            echo(scheme)
        ));
    }
    if t.contains(|c: char| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces".to_owned());
    }
    if t.contains(['?', '#']) {
        return Err("must not have a query or fragment".to_owned());
    }
    let authority = rest.split('/').next().unwrap_or("");
    if authority.contains('@') {
        return Err("must not contain credentials".to_owned());
    }
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        match authority.rsplit_once(':') {
            Some((h, port)) => {
                if port.is_empty() || !port.bytes().all(|b| b.is_ascii_digit()) || port.len() > 5 {
                    return Err("has a bad port".to_owned());
                }
                h
            }
            None => authority,
        }
    };
    if host.is_empty() {
        return Err("has no host".to_owned());
    }
    let loopback = host.eq_ignore_ascii_case("localhost")
        || host == "::1"
        || (host.starts_with("127.")
            && host.split('.').count() == 4
            && host.split('.').all(|p| p.parse::<u8>().is_ok()));
    if scheme == insecure && !loopback {
        return Err(format!(
            "{insecure}:// is allowed only for a loopback host (127.0.0.1, localhost); use {secure}://"
        ));
    }
    Ok(t.trim_end_matches('/').to_owned())
}

impl Settings {
    /// Parses `(key, value)` pairs (environment variables, CLI flags mapped to keys).
    pub fn from_pairs<I, K, V>(pairs: I) -> Result<Settings, SettingsError>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut raw = RawSettings(BTreeMap::new());
        for (k, v) in pairs {
            raw.insert(k.as_ref(), v.as_ref(), None)?;
        }
        Self::build(&raw)
    }

    /// Parses a `KEY=VALUE` policy file: one setting a line, `#` starts a comment (at the
    /// start of a line or after a space), blank lines are skipped, a value may be quoted.
    /// Errors name the line.
    pub fn from_text(text: &str) -> Result<Settings, SettingsError> {
        let mut raw = RawSettings(BTreeMap::new());
        for (i, line) in text.lines().enumerate() {
            let n = i + 1;
            let content = strip_comment(line).trim();
            if content.is_empty() {
                continue;
            }
            let Some((key, value)) = content.split_once('=') else {
                return Err(SettingsError::Syntax {
                    line: n,
                    text: echo(content),
                });
            };
            if key.trim().is_empty() {
                return Err(SettingsError::Syntax {
                    line: n,
                    text: echo(content),
                });
            }
            raw.insert(key, unquote(value.trim()), Some(n))?;
        }
        Self::build(&raw)
    }

    fn build(raw: &RawSettings) -> Result<Settings, SettingsError> {
        let api_url = match raw.get("API_URL") {
            Some(r) => url(&r.value, "https", "http").map_err(|why| raw.invalid("API_URL", why))?,
            None => DEFAULT_API_URL.to_owned(),
        };
        let ws_url = raw
            .get("WS_URL")
            .map(|r| url(&r.value, "wss", "ws").map_err(|why| raw.invalid("WS_URL", why)))
            .transpose()?;

        let allowed_currencies = {
            let r = raw
                .get("ALLOWED_CURRENCIES")
                .ok_or_else(|| SettingsError::Missing {
                    key: "ALLOWED_CURRENCIES".to_owned(),
                    hint: "list the currencies to claim, e.g. KES,NGN".to_owned(),
                })?;
            let inv = |why: String| raw.invalid("ALLOWED_CURRENCIES", why);
            let mut out: Vec<String> = Vec::new();
            for item in items(&r.value).map_err(inv)? {
                let code = currency_code(item).map_err(inv)?;
                if out.contains(&code) {
                    return Err(inv(format!("{code} is listed twice")));
                }
                out.push(code);
            }
            if out.len() > 50 {
                return Err(inv("lists more than 50 currencies".to_owned()));
            }
            out
        };

        let max_amount = {
            let r = raw
                .get("MAX_AMOUNT")
                .ok_or_else(|| SettingsError::Missing {
                    key: "MAX_AMOUNT".to_owned(),
                    hint: format!(
                        "give the largest amount_fiat per currency, e.g. {}",
                        example_amounts(&allowed_currencies)
                    ),
                })?;
            let map = amounts(raw, "MAX_AMOUNT", &r.value, &allowed_currencies, false)?;
            if let Some(c) = allowed_currencies.iter().find(|c| !map.contains_key(*c)) {
                return Err(raw.invalid(
                    "MAX_AMOUNT",
                    format!("has no limit for {c} (every allowed currency needs one)"),
                ));
            }
            map
        };
        let min_amount = match raw.get("MIN_AMOUNT") {
            Some(r) => amounts(raw, "MIN_AMOUNT", &r.value, &allowed_currencies, true)?,
            None => BTreeMap::new(),
        };
        for (c, min) in &min_amount {
            if let Some(max) = max_amount.get(c) {
                if min > max {
                    return Err(raw.invalid(
                        "MIN_AMOUNT",
                        format!("{c}:{min} is above MAX_AMOUNT {c}:{max}"),
                    ));
                }
            }
        }

        let crypto = match raw.get("CRYPTO") {
            None => Vec::new(),
            Some(r) => {
                let inv = |why: String| raw.invalid("CRYPTO", why);
                let mut out: Vec<CryptoRule> = Vec::new();
                for item in items(&r.value).map_err(inv)? {
                    let (sym, chain) = match item.split_once('/') {
                        Some((s, c)) => (s, Some(c)),
                        None => (item, None),
                    };
                    let word = |w: &str| {
                        crypto_word(w).ok_or_else(|| {
                            inv(format!(
                                "\"{}\" is not SYMBOL or SYMBOL/CHAIN (letters, digits, _ - .; e.g. usdt/trx)",
                                echo(item)
                            ))
                        })
                    };
                    let rule = CryptoRule {
                        symbol: word(sym)?,
                        chain: chain.map(word).transpose()?,
                    };
                    if out.contains(&rule) {
                        return Err(inv(format!("\"{}\" is listed twice", echo(item))));
                    }
                    out.push(rule);
                }
                out
            }
        };

        let max_open_claims = match raw.get("MAX_OPEN_CLAIMS") {
            None => {
                return Err(SettingsError::Missing {
                    key: "MAX_OPEN_CLAIMS".to_owned(),
                    hint: "give the most claims holding collateral at once, e.g. 3".to_owned(),
                })
            }
            Some(_) => raw.whole_u32("MAX_OPEN_CLAIMS", 1, 1000, 1)?,
        };
        let daily_usd_cap = raw
            .get("DAILY_USD_CAP")
            .map(|r| {
                let v = decimal(&r.value).map_err(|why| raw.invalid("DAILY_USD_CAP", why))?;
                if v <= 0.0 || v > MAX_MONEY {
                    return Err(
                        raw.invalid("DAILY_USD_CAP", "must be above 0 and at most 1000000000000")
                    );
                }
                Ok(v)
            })
            .transpose()?;
        let dry_run = match raw.get("DRY_RUN") {
            None => true,
            Some(r) => match r.value.to_ascii_lowercase().as_str() {
                "1" | "true" => true,
                "0" | "false" => false,
                _ => {
                    return Err(raw.invalid(
                        "DRY_RUN",
                        format!("must be 1, 0, true or false (got \"{}\")", echo(&r.value)),
                    ))
                }
            },
        };
        Ok(Settings {
            api_url,
            ws_url,
            allowed_currencies,
            max_amount,
            min_amount,
            crypto,
            max_open_claims,
            daily_usd_cap,
            dry_run,
            request_timeout_ms: raw.whole("REQUEST_TIMEOUT_MS", 10, 120_000, 10_000)?,
            heartbeat_ms: raw.whole("HEARTBEAT_MS", 100, 600_000, 30_000)?,
            backoff_max_ms: raw.whole("BACKOFF_MAX_MS", 1_000, 600_000, 30_000)?,
            watchdog_ms: raw.whole("WATCHDOG_MS", 1_000, 3_600_000, 30_000)?,
            reconcile_interval_ms: raw.whole("RECONCILE_INTERVAL_MS", 1_000, 3_600_000, 30_000)?,
            journal_retention_days: raw.whole_u32("JOURNAL_RETENTION_DAYS", 1, 3650, 90)?,
            journal_max_entries: raw.whole_u32("JOURNAL_MAX_ENTRIES", 1_000, 1_000_000, 100_000)?,
            max_gets_in_flight: raw.whole_u32("MAX_GETS_IN_FLIGHT", 1, 32, 4)?,
            max_gets_per_minute: raw.whole_u32("MAX_GETS_PER_MINUTE", 1, 600, 60)?,
            max_claim_attempts: raw.whole_u32("MAX_CLAIM_ATTEMPTS", 1, 5, 2)?,
            dry_run_max_checks: raw.whole_u32("DRY_RUN_MAX_CHECKS", 1, 50, 8)?,
        })
    }

    /// Settings that allow nothing (no currency, dry run): what a stopped engine holds
    /// when the real ones are invalid, so that even a bug could not claim.
    pub(crate) fn refuse_all() -> Settings {
        Settings {
            api_url: DEFAULT_API_URL.to_owned(),
            ws_url: None,
            allowed_currencies: Vec::new(),
            max_amount: BTreeMap::new(),
            min_amount: BTreeMap::new(),
            crypto: Vec::new(),
            max_open_claims: 1,
            daily_usd_cap: Some(0.0),
            dry_run: true,
            request_timeout_ms: 10_000,
            heartbeat_ms: 30_000,
            backoff_max_ms: 30_000,
            watchdog_ms: 30_000,
            reconcile_interval_ms: 30_000,
            journal_retention_days: 90,
            journal_max_entries: 100_000,
            max_gets_in_flight: 1,
            max_gets_per_minute: 1,
            max_claim_attempts: 1,
            dry_run_max_checks: 1,
        }
    }

    /// The settings as JSON (for `/status`; holds no secret, since none is a setting).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The `LpClientOptions` these settings give, as JSON, without `lpKey` (the driver
    /// adds the key): `apiUrl`, `wsUrl`, `currencies`, `heartbeatMs`, `backoffMaxMs`,
    /// `requestTimeoutMs`. The socket is filtered by currency only: every other rule is
    /// the engine's, so that it sees (and reports) each order it refuses.
    pub fn client_options_json(&self) -> String {
        let mut o = serde_json::Map::new();
        o.insert("apiUrl".into(), self.api_url.clone().into());
        if let Some(ws) = &self.ws_url {
            o.insert("wsUrl".into(), ws.clone().into());
        }
        o.insert("currencies".into(), self.allowed_currencies.clone().into());
        o.insert("heartbeatMs".into(), self.heartbeat_ms.into());
        o.insert("backoffMaxMs".into(), self.backoff_max_ms.into());
        o.insert("requestTimeoutMs".into(), self.request_timeout_ms.into());
        serde_json::Value::Object(o).to_string()
    }
}

/// `KES:20000,NGN:150000` checked against the allowed currencies.
fn amounts(
    raw: &RawSettings,
    key: &'static str,
    text: &str,
    allowed: &[String],
    zero_ok: bool,
) -> Result<BTreeMap<String, f64>, SettingsError> {
    let inv = |why: String| raw.invalid(key, why);
    let mut map = BTreeMap::new();
    for item in items(text).map_err(inv)? {
        let Some((cur, amount)) = item.split_once(':') else {
            return Err(inv(format!(
                "\"{}\" is not CURRENCY:AMOUNT (e.g. KES:20000)",
                echo(item)
            )));
        };
        let code = currency_code(cur).map_err(inv)?;
        if !allowed.contains(&code) {
            return Err(inv(format!("{code} is not in ALLOWED_CURRENCIES")));
        }
        let v = decimal(amount).map_err(|why| inv(format!("{code}: {why}")))?;
        if (!zero_ok && v <= 0.0) || v > MAX_MONEY {
            let low = if zero_ok { "at least 0" } else { "above 0" };
            return Err(inv(format!(
                "{code}: must be {low} and at most 1000000000000 (got {})",
                echo(amount.trim())
            )));
        }
        if map.insert(code.clone(), v).is_some() {
            return Err(inv(format!("{code} is given twice")));
        }
    }
    Ok(map)
}

fn example_amounts(currencies: &[String]) -> String {
    currencies
        .iter()
        .map(|c| format!("{c}:20000"))
        .collect::<Vec<_>>()
        .join(",")
}

/// The line without its comment: `#` at the start or after a space or tab.
fn strip_comment(line: &str) -> &str {
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if *b == b'#' && (i == 0 || matches!(bytes.get(i - 1), Some(b' ' | b'\t'))) {
            return line.get(..i).unwrap_or("");
        }
    }
    line
}

/// `"value"` or `'value'` → `value` (one matching pair).
fn unquote(v: &str) -> &str {
    for q in ['"', '\''] {
        if let Some(inner) = v.strip_prefix(q).and_then(|s| s.strip_suffix(q)) {
            return inner;
        }
    }
    v
}

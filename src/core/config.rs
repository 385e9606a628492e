//! Client configuration: validated once, so the state machine never meets a bad value.

use super::error::LpError;
use super::filter::OrderFilter;
use super::secret::LpKey;
use super::text::concat;
use super::wire::push_u64;

/// How the socket authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AuthMode {
    /// Connect without a key, answer `auth_required` with `auth` (the default: no key in any URL).
    #[default]
    Deferred,
    /// `?lp_key=` in the socket URL (explicit opt-in; the key then sits in server and proxy logs).
    Query,
}

/// Everything the core needs to run a connection. Build with [`ConfigBuilder`].
#[derive(Debug, Clone)]
pub struct Config {
    /// REST base, without a trailing slash (e.g. `https://api.rampwire.app`).
    pub api_url: String,
    /// Socket URL without any key (e.g. `wss://api.rampwire.app/ws/orders`).
    pub ws_url: String,
    /// The secret key.
    pub lp_key: LpKey,
    /// Auth mode.
    pub auth: AuthMode,
    /// Currency filter (upper-case codes); empty = everything.
    pub currencies: Vec<String>,
    /// Interval between pings while live.
    pub heartbeat_ms: u64,
    /// Silence after a ping that declares the socket dead.
    pub pong_timeout_ms: u64,
    /// First reconnect delay.
    pub backoff_initial_ms: u64,
    /// Reconnect delay cap (and the delay after "too many connections").
    pub backoff_max_ms: u64,
    /// How long a connection must stay live before the backoff resets.
    pub stable_after_ms: u64,
    /// Limit for the socket to open and for auth to finish.
    pub connect_timeout_ms: u64,
    /// Limit for one HTTP request and for a WebSocket claim's answer.
    pub request_timeout_ms: u64,
    /// Most orders the book holds.
    pub book_capacity: usize,
    /// Largest REST answer body read, in bytes; a larger one is cut off and proves nothing.
    pub max_body_bytes: u64,
    /// Orders the application wants; the rest never enter the book.
    pub order_filter: OrderFilter,
    /// Claim (over HTTP) every order the filter keeps, as its frame is handled: before the
    /// `order` event reaches the application. Only with a non-empty filter.
    pub auto_claim: bool,
}

/// Builder with the spec's defaults.
#[derive(Debug, Clone)]
pub struct ConfigBuilder {
    api_url: String,
    ws_url: Option<String>,
    lp_key: String,
    /// Auth mode.
    pub auth: AuthMode,
    /// Currency filter.
    pub currencies: Vec<String>,
    /// See [`Config::heartbeat_ms`].
    pub heartbeat_ms: u64,
    /// See [`Config::pong_timeout_ms`].
    pub pong_timeout_ms: u64,
    /// See [`Config::backoff_initial_ms`].
    pub backoff_initial_ms: u64,
    /// See [`Config::backoff_max_ms`].
    pub backoff_max_ms: u64,
    /// See [`Config::stable_after_ms`]; `None` = the heartbeat interval.
    pub stable_after_ms: Option<u64>,
    /// See [`Config::connect_timeout_ms`].
    pub connect_timeout_ms: u64,
    /// See [`Config::request_timeout_ms`].
    pub request_timeout_ms: u64,
    /// See [`Config::book_capacity`].
    pub book_capacity: usize,
    /// See [`Config::max_body_bytes`].
    pub max_body_bytes: u64,
    /// See [`Config::order_filter`].
    pub order_filter: OrderFilter,
    /// Permit `ws://`/`http://` to hosts other than loopback.
    pub allow_insecure: bool,
    /// See [`Config::auto_claim`].
    pub auto_claim: bool,
}

/// Default cap on a REST answer body (real ones are well under 2 KB).
pub const DEFAULT_MAX_BODY: u64 = 1 << 20;
/// Largest `maxBodyBytes` accepted.
const MAX_BODY: u64 = 64 << 20;

/// Longest duration option accepted (one day), so time arithmetic never overflows.
const MAX_MS: u64 = 86_400_000;

impl ConfigBuilder {
    /// A builder for `api_url` and `lp_key` with the defaults of the spec.
    pub fn new(api_url: &str, lp_key: &str) -> Self {
        ConfigBuilder {
            api_url: api_url.trim().to_owned(),
            ws_url: None,
            lp_key: lp_key.to_owned(),
            auth: AuthMode::Deferred,
            currencies: Vec::new(),
            heartbeat_ms: 30_000,
            pong_timeout_ms: 10_000,
            backoff_initial_ms: 1_000,
            backoff_max_ms: 30_000,
            stable_after_ms: None,
            connect_timeout_ms: 15_000,
            request_timeout_ms: 10_000,
            book_capacity: 1_000,
            max_body_bytes: DEFAULT_MAX_BODY,
            order_filter: OrderFilter::default(),
            allow_insecure: false,
            auto_claim: false,
        }
    }

    /// Overrides the socket URL (otherwise derived from the API URL).
    pub fn ws_url(mut self, url: &str) -> Self {
        self.ws_url = Some(url.trim().to_owned());
        self
    }

    /// Validates everything.
    pub fn build(self) -> Result<Config, LpError> {
        // Fail closed: without a policy an automatic claim would take any order at all.
        if self.auto_claim && self.order_filter.is_empty() {
            return Err(LpError::invalid(
                "autoClaim needs an orderFilter (which orders to claim)",
            ));
        }
        let lp_key = LpKey::new(&self.lp_key).map_err(|e| LpError::invalid(e.message()))?;

        let api = Endpoint::parse(&self.api_url, &["https", "http"])
            .map_err(|e| LpError::invalid(&concat(&["apiUrl ", &e])))?;
        let api_url = self.api_url.trim_end_matches('/').to_owned();
        let ws_url = match &self.ws_url {
            Some(u) => {
                Endpoint::parse(u, &["wss", "ws"])
                    .map_err(|e| LpError::invalid(&concat(&["wsUrl ", &e])))?;
                u.clone()
            }
            None => {
                let scheme = if api.scheme == "https" { "wss" } else { "ws" };
                let rest = api_url.get(api.scheme.len()..).unwrap_or_default();
                concat(&[scheme, rest, "/ws/orders"])
            }
        };
        for (url, label) in [(&api_url, "apiUrl"), (&ws_url, "wsUrl")] {
            let ep = Endpoint::parse(url, &["https", "http", "wss", "ws"])
                .map_err(|e| LpError::invalid(&concat(&[label, " ", &e])))?;
            if !ep.secure() && !ep.loopback() && !self.allow_insecure {
                return Err(LpError::invalid(&concat(&[
                    label,
                    " uses ",
                    ep.scheme,
                    ":// to a non-loopback host; use https/wss, or set allowInsecure: true",
                ])));
            }
        }

        let mut currencies = Vec::with_capacity(self.currencies.len());
        for c in &self.currencies {
            let c = c.trim().to_ascii_uppercase();
            if c.is_empty() || c.len() > 10 || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
                return Err(LpError::invalid(
                    "currencies must be codes like \"KES\" (letters and digits)",
                ));
            }
            if !currencies.contains(&c) {
                currencies.push(c);
            }
        }

        let heartbeat_ms = ms(self.heartbeat_ms, "heartbeatMs", 10)?;
        let backoff_initial_ms = ms(self.backoff_initial_ms, "backoffInitialMs", 1)?;
        let backoff_max_ms = ms(self.backoff_max_ms, "backoffMaxMs", 1)?;
        if backoff_max_ms < backoff_initial_ms {
            return Err(LpError::invalid(
                "backoffMaxMs must be at least backoffInitialMs",
            ));
        }
        if !(crate::book::INIT_LIMIT..=100_000).contains(&self.book_capacity) {
            return Err(LpError::invalid(
                "bookCapacity must be between 20 and 100000",
            ));
        }
        if !(1_024..=MAX_BODY).contains(&self.max_body_bytes) {
            return Err(LpError::invalid(
                "maxBodyBytes must be between 1024 and 67108864",
            ));
        }
        Ok(Config {
            api_url,
            ws_url,
            lp_key,
            auth: self.auth,
            currencies,
            heartbeat_ms,
            pong_timeout_ms: ms(self.pong_timeout_ms, "pongTimeoutMs", 10)?,
            backoff_initial_ms,
            backoff_max_ms,
            stable_after_ms: ms(
                self.stable_after_ms.unwrap_or(heartbeat_ms),
                "stableAfterMs",
                0,
            )?,
            connect_timeout_ms: ms(self.connect_timeout_ms, "connectTimeoutMs", 10)?,
            request_timeout_ms: ms(self.request_timeout_ms, "requestTimeoutMs", 10)?,
            book_capacity: self.book_capacity,
            max_body_bytes: self.max_body_bytes,
            auto_claim: self.auto_claim,
            order_filter: self.order_filter.normalized()?,
        })
    }
}

impl Config {
    /// The URL the socket opens. Deferred mode: no key, ever. Query mode: `lp_key` added.
    pub fn socket_url(&self) -> String {
        let mut url = self.ws_url.clone();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        if self.auth == AuthMode::Query {
            url.push(sep);
            url.push_str("lp_key=");
            url.push_str(self.lp_key.expose());
            sep = '&';
        }
        if !self.currencies.is_empty() {
            url.push(sep);
            url.push_str("currencies=");
            for (i, c) in self.currencies.iter().enumerate() {
                if i > 0 {
                    url.push(',');
                }
                url.push_str(c);
            }
        }
        url
    }

    /// The REST URL for `path` (which starts with `/`).
    pub fn rest_url(&self, path: &str) -> String {
        let mut s = String::with_capacity(self.api_url.len() + path.len());
        s.push_str(&self.api_url);
        s.push_str(path);
        s
    }
}

/// The parts of a URL this client checks.
struct Endpoint<'a> {
    scheme: &'a str,
    host: &'a str,
}

impl<'a> Endpoint<'a> {
    fn parse(url: &'a str, schemes: &[&str]) -> Result<Self, String> {
        let (scheme, rest) = super::text::find(url, "://")
            .and_then(|i| Some((url.get(..i)?, url.get(i + 3..)?)))
            .ok_or_else(|| "must be an absolute URL such as https://host".to_owned())?;
        if !schemes.contains(&scheme) {
            let mut m = String::from("must use ");
            for (i, s) in schemes.iter().enumerate() {
                if i > 0 {
                    m.push_str(" or ");
                }
                m.push_str(s);
            }
            return Err(m);
        }
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return Err("must not contain credentials".to_owned());
        }
        let host = if let Some(v6) = authority.strip_prefix('[') {
            v6.split(']').next().unwrap_or("")
        } else {
            authority.rsplit_once(':').map_or(authority, |(h, _)| h)
        };
        if host.is_empty() {
            return Err("has no host".to_owned());
        }
        if url.contains(char::is_whitespace) {
            return Err("must not contain spaces".to_owned());
        }
        Ok(Endpoint { scheme, host })
    }

    fn secure(&self) -> bool {
        self.scheme == "https" || self.scheme == "wss"
    }

    fn loopback(&self) -> bool {
        self.host.eq_ignore_ascii_case("localhost")
            || self.host == "::1"
            || (self.host.starts_with("127.")
                && self.host.split('.').count() == 4
                && self.host.split('.').all(|p| p.parse::<u8>().is_ok()))
    }
}

/// A duration option checked against its range.
#[inline(never)]
fn ms(v: u64, name: &str, min: u64) -> Result<u64, LpError> {
    if (min..=MAX_MS).contains(&v) {
        return Ok(v);
    }
    let mut m = concat(&[name, " must be between "]);
    push_u64(&mut m, min);
    m.push_str(" and ");
    push_u64(&mut m, MAX_MS);
    m.push_str(" ms");
    Err(LpError::invalid(&m))
}

//! A client-side order policy: orders it rejects never enter the book and never reach the
//! application (an auto-claim bot's callbacks see only candidates).

/// Which orders the application wants to hear about. Empty parts accept everything.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OrderFilter {
    /// Allowed currencies (upper case).
    pub currencies: Vec<String>,
    /// Largest `amount_fiat` per currency; a currency not listed has no limit.
    pub max_amount_fiat: Vec<(String, f64)>,
    /// Smallest `amount_usd`.
    pub min_amount_usd: Option<f64>,
    /// Largest `amount_usd`.
    pub max_amount_usd: Option<f64>,
}

impl OrderFilter {
    /// True when nothing is filtered.
    pub fn is_empty(&self) -> bool {
        self.currencies.is_empty()
            && self.max_amount_fiat.is_empty()
            && self.min_amount_usd.is_none()
            && self.max_amount_usd.is_none()
    }

    /// Whether an order with these fields passes. Fails closed: an unreadable amount
    /// (`None`) never passes a limit on it.
    pub fn accepts(
        &self,
        currency: &str,
        amount_fiat: Option<f64>,
        amount_usd: Option<f64>,
    ) -> bool {
        if !self.currencies.is_empty() && !self.currencies.iter().any(|c| c == currency) {
            return false;
        }
        if let Some((_, max)) = self.max_amount_fiat.iter().find(|(c, _)| c == currency) {
            if !amount_fiat.is_some_and(|a| a <= *max) {
                return false;
            }
        }
        let usd_limited = self.min_amount_usd.is_some() || self.max_amount_usd.is_some();
        match amount_usd {
            None => !usd_limited,
            Some(usd) => {
                !(self.min_amount_usd.is_some_and(|m| usd < m)
                    || self.max_amount_usd.is_some_and(|m| usd > m))
            }
        }
    }

    /// Texts that let a driver drop a `new_order` frame unread: `"KES"` (quoted) for each
    /// allowed currency (codes are ASCII letters and digits); `None` when the filter
    /// allows every currency.
    ///
    /// The contract: a frame that begins `{"type":"new_order",`, holds no other `"type"`
    /// and no backslash (so every string in it is written literally), and holds none of
    /// these texts, has a currency this filter rejects, so the core would drop it too.
    /// Dropped unread, it is not checked for well-formedness, and the driver must still
    /// report it as traffic ([`crate::Connection::handle_unread_frames`]).
    pub fn quick_reject_needles(&self) -> Option<Vec<String>> {
        // An all-digit code may come as a bare number (the decoder keeps its digits).
        let quotable = |c: &String| !c.bytes().all(|b| b.is_ascii_digit());
        (!self.currencies.is_empty() && self.currencies.iter().all(quotable)).then(|| {
            self.currencies
                .iter()
                .map(|c| super::text::concat(&["\"", c, "\""]))
                .collect()
        })
    }
}

impl OrderFilter {
    /// Upper-cases currencies and checks the numbers.
    pub(crate) fn normalized(self) -> Result<Self, super::LpError> {
        let code = |c: &str| {
            let c = c.trim().to_ascii_uppercase();
            if c.is_empty() || c.len() > 10 || !c.bytes().all(|b| b.is_ascii_alphanumeric()) {
                Err(super::LpError::invalid(
                    "orderFilter currencies must be codes like \"KES\"",
                ))
            } else {
                Ok(c)
            }
        };
        let finite = |v: f64| {
            if v.is_finite() && v >= 0.0 {
                Ok(v)
            } else {
                Err(super::LpError::invalid(
                    "orderFilter amounts must be non-negative numbers",
                ))
            }
        };
        Ok(OrderFilter {
            currencies: self
                .currencies
                .iter()
                .map(|c| code(c))
                .collect::<Result<_, _>>()?,
            max_amount_fiat: self
                .max_amount_fiat
                .iter()
                .map(|(c, v)| Ok((code(c)?, finite(*v)?)))
                .collect::<Result<_, super::LpError>>()?,
            min_amount_usd: self.min_amount_usd.map(finite).transpose()?,
            max_amount_usd: self.max_amount_usd.map(finite).transpose()?,
        })
    }
}

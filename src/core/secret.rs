//! The LP key: a secret that never reaches a URL, a log, `Debug` or an error message.

use std::fmt;

/// Longest key accepted; the provider's keys are short (`lp_a1b2c3d4`).
const MAX_KEY_LEN: usize = 256;

/// An LP key. `Debug` prints `LpKey(<redacted>)`; there is no `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct LpKey(String);

/// Why a key was refused. Never contains the key itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyError {
    /// Empty string.
    Empty,
    /// Longer than the limit.
    TooLong,
    /// A character outside `A-Z a-z 0-9 _ -`.
    BadCharacter,
}

impl KeyError {
    /// The message (`Display` shows the same, without the formatting machinery).
    pub fn message(&self) -> &'static str {
        match self {
            KeyError::Empty => "lpKey is empty",
            KeyError::TooLong => "lpKey is longer than 256 characters",
            KeyError::BadCharacter => "lpKey may only contain letters, digits, '_' and '-'",
        }
    }
}

impl fmt::Display for KeyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.message())
    }
}

impl std::error::Error for KeyError {}

impl LpKey {
    /// Validates a key. The charset keeps it safe in a header, a JSON string and a query.
    pub fn new(key: &str) -> Result<Self, KeyError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(KeyError::Empty);
        }
        if key.len() > MAX_KEY_LEN {
            return Err(KeyError::TooLong);
        }
        if !key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(KeyError::BadCharacter);
        }
        Ok(LpKey(key.to_owned()))
    }

    /// The key itself, for the `auth` frame, the `Authorization` header or an opted-in URL.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Replaces every occurrence of the key in `text` (defence in depth for texts that
    /// came from elsewhere, e.g. a server error message that echoed it).
    pub fn redact(&self, text: &str) -> String {
        super::text::replace(text, &self.0, "<redacted>")
    }
}

impl fmt::Debug for LpKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("LpKey(<redacted>)")
    }
}

//! The kind of a failed request, as the client reports it, and what it proves.
//!
//! Names are the client's error kinds (`rampwire_lp_core::ErrorKind::as_str`); a name this
//! crate does not know reads as [`FailureKind::Other`], which proves nothing (so a newer
//! client's kind can never make a claim look refused).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use rampwire_lp_core::ErrorKind;

/// A client error kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum FailureKind {
    /// 401 / `Invalid lp_key`: the key is refused.
    Unauthorized,
    /// 429 or a local limit.
    RateLimited,
    /// 403.
    NotOwner,
    /// 409.
    Conflict,
    /// 404.
    NotFound,
    /// The transport failed.
    Network,
    /// No answer in time.
    Timeout,
    /// 5xx.
    Server,
    /// An answer that breaks the protocol (a redirect, a body that proves nothing).
    Protocol,
    /// A bad argument.
    InvalidArgument,
    /// The client is closed.
    Closed,
    /// The outcome could not be established: check with a lookup.
    Unknown,
    /// A kind this crate does not know.
    Other,
}

impl FailureKind {
    /// The client's name for it.
    pub fn as_str(self) -> &'static str {
        match self {
            FailureKind::Unauthorized => "unauthorized",
            FailureKind::RateLimited => "rate_limited",
            FailureKind::NotOwner => "not_owner",
            FailureKind::Conflict => "conflict",
            FailureKind::NotFound => "not_found",
            FailureKind::Network => "network",
            FailureKind::Timeout => "timeout",
            FailureKind::Server => "server",
            FailureKind::Protocol => "protocol",
            FailureKind::InvalidArgument => "invalid_argument",
            FailureKind::Closed => "closed",
            FailureKind::Unknown => "unknown",
            FailureKind::Other => "other",
        }
    }

    /// The kind of a client name; unknown names are [`FailureKind::Other`].
    pub fn from_name(name: &str) -> FailureKind {
        const ALL: [FailureKind; 12] = [
            FailureKind::Unauthorized,
            FailureKind::RateLimited,
            FailureKind::NotOwner,
            FailureKind::Conflict,
            FailureKind::NotFound,
            FailureKind::Network,
            FailureKind::Timeout,
            FailureKind::Server,
            FailureKind::Protocol,
            FailureKind::InvalidArgument,
            FailureKind::Closed,
            FailureKind::Unknown,
        ];
        ALL.into_iter()
            .find(|k| k.as_str() == name)
            .unwrap_or(FailureKind::Other)
    }

    /// The server refused the request before doing anything (401, 403, 429). For a
    /// claim this is still no proof by itself: the client may have sent earlier requests
    /// for the same claim (its checked re-claims), so a lookup confirms; it only decides
    /// that an order proven untouched ends `failed` rather than `released`. Every other
    /// kind (timeouts, cuts, 5xx, redirects, `unknown`, `closed`, kinds this crate does not
    /// know) proves nothing at all.
    pub fn refuses_claim(self) -> bool {
        matches!(
            self,
            FailureKind::Unauthorized | FailureKind::RateLimited | FailureKind::NotOwner
        )
    }
}

impl From<ErrorKind> for FailureKind {
    fn from(kind: ErrorKind) -> Self {
        FailureKind::from_name(kind.as_str())
    }
}

impl Serialize for FailureKind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for FailureKind {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Ok(FailureKind::from_name(&name))
    }
}

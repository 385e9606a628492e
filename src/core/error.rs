//! Errors an operator can read. None of them ever holds the LP key.

use super::wire::OrderId;

/// The category of an [`LpError`], as exposed to JS (`error.kind`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The key was refused (401, `Invalid lp_key`). Fatal for a connection.
    Unauthorized,
    /// Too many connections or requests (the 5-socket cap, HTTP 429).
    RateLimited,
    /// 403: the order is not ours.
    NotOwner,
    /// 409: the order is not in the state the request needs.
    Conflict,
    /// 404: no such order.
    NotFound,
    /// The transport failed (refused, cut, DNS...).
    Network,
    /// No answer in time.
    Timeout,
    /// 5xx or an `error` frame the client cannot attribute.
    Server,
    /// A frame or body that does not follow the protocol.
    Protocol,
    /// A bad option or argument from the caller.
    InvalidArgument,
    /// The client is closed, or not live for a socket command.
    Closed,
    /// A claim or fiat-sent whose outcome could not be established (the client was freed
    /// mid-request, or the server could not be asked): check `GET /api/orders/{id}`.
    /// Never a refusal: the server may well have done it.
    Unknown,
}

impl ErrorKind {
    /// The JS-facing name.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::Unauthorized => "unauthorized",
            ErrorKind::RateLimited => "rate_limited",
            ErrorKind::NotOwner => "not_owner",
            ErrorKind::Conflict => "conflict",
            ErrorKind::NotFound => "not_found",
            ErrorKind::Network => "network",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Server => "server",
            ErrorKind::Protocol => "protocol",
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::Closed => "closed",
            ErrorKind::Unknown => "unknown",
        }
    }
}

/// An error with a kind, an HTTP status when one applies, and a message for people.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{message}")]
pub struct LpError {
    /// What class of failure.
    pub kind: ErrorKind,
    /// HTTP status, when the error came from an HTTP answer.
    pub status: Option<u16>,
    /// The order concerned, if any.
    pub order_id: Option<OrderId>,
    /// Operator-readable text; never contains the key.
    pub message: String,
}

impl LpError {
    /// An error of `kind` saying `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        LpError {
            kind,
            status: None,
            order_id: None,
            message: message.into(),
        }
    }

    /// An `invalid_argument` error (options and arguments the caller got wrong).
    #[inline(never)]
    pub fn invalid(message: &str) -> Self {
        LpError::new(ErrorKind::InvalidArgument, message)
    }

    /// With an HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.status = Some(status);
        self
    }

    /// About an order.
    pub fn with_order(mut self, id: OrderId) -> Self {
        self.order_id = Some(id);
        self
    }

    /// True for errors that stop a connection for good (no retry can help).
    pub fn is_fatal(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::Unauthorized | ErrorKind::InvalidArgument
        )
    }
}

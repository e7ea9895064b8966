use crate::bindings::sluice::destination::types as t;

pub type Result<T, E = Error> = std::result::Result<T, E>;

pub use t::ErrorKind;

/// A typed failure of an action. The kind tells the operator what to do next.
#[derive(Debug, Clone)]
pub struct Error {
    pub kind: ErrorKind,
    pub message: String,
    pub status: Option<u16>,
}

impl Error {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), status: None }
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Validation, message)
    }
    pub fn guest(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::Guest, message)
    }

    /// Classifies a non-2xx answer: 401/403 auth, 429 rate-limited, 408 and
    /// 5xx retryable, any other status rejected.
    pub fn from_status(status: u16, reason: &str) -> Self {
        let kind = match status {
            401 | 403 => ErrorKind::Auth,
            429 => ErrorKind::RateLimited,
            408 | 500..=599 => ErrorKind::Retryable,
            _ => ErrorKind::Rejected,
        };
        Error { kind, message: format!("{status} {reason}").trim_end().to_string(), status: Some(status) }
    }

    pub(crate) fn into_wit(self) -> t::Error {
        t::Error { kind: self.kind, message: self.message, status: self.status }
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

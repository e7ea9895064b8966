//! Typed errors. The kind says what the operator should do next; each kind has
//! a stable exit code and a stable `--json` name, because scripts rely on both.

use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The payload, mapping or settings are wrong; fix the input.
    Validation,
    /// The API refused the credentials; check the secret.
    Auth,
    /// Too many requests (the API's 429 or the host's budget); retry later.
    RateLimited,
    /// A timeout, 408 or 5xx; retrying may succeed.
    Retryable,
    /// Any other 4xx; the API rejected the request as sent.
    Rejected,
    /// The host refused to send: undeclared host, private address, secret misuse.
    Egress,
    /// The guest failed: trap, panic, CPU or memory limit, bad output.
    Guest,
    /// sluice itself is misconfigured: module not found, bad config file.
    Config,
}

impl Kind {
    /// Process exit code; documented in the README and stable.
    pub fn exit_code(self) -> i32 {
        match self {
            Kind::Validation => 10,
            Kind::Auth => 11,
            Kind::RateLimited => 12,
            Kind::Retryable => 13,
            Kind::Rejected => 14,
            Kind::Egress => 15,
            Kind::Guest => 16,
            Kind::Config => 17,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Kind::Validation => "validation",
            Kind::Auth => "auth",
            Kind::RateLimited => "rate-limited",
            Kind::Retryable => "retryable",
            Kind::Rejected => "rejected",
            Kind::Egress => "egress",
            Kind::Guest => "guest",
            Kind::Config => "config",
        }
    }
}

/// Serialised as its [`Kind::name`], the one spelling scripts see.
impl Serialize for Kind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(self.name())
    }
}

#[derive(Debug, Clone, thiserror::Error, Serialize)]
#[error("{} error: {message}", kind.name())]
pub struct Error {
    pub kind: Kind,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
}

impl Error {
    pub fn new(kind: Kind, message: impl Into<String>) -> Self {
        Error { kind, message: message.into(), status: None }
    }
    pub fn with_status(mut self, status: Option<u16>) -> Self {
        self.status = status;
        self
    }
    pub fn validation(message: impl Into<String>) -> Self {
        Self::new(Kind::Validation, message)
    }
    pub fn egress(message: impl Into<String>) -> Self {
        Self::new(Kind::Egress, message)
    }
    pub fn guest(message: impl Into<String>) -> Self {
        Self::new(Kind::Guest, message)
    }
    pub fn config(message: impl Into<String>) -> Self {
        Self::new(Kind::Config, message)
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

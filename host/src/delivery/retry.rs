//! What to do after a failed delivery, as the reference platform does:
//! retry timeouts, connection errors, 408, 423, 429 and 5xx except 501 and
//! 505, with exponential backoff and full jitter (honouring `Retry-After`),
//! until the event is older than the age limit; dead-letter everything else
//! (validation, auth, other 4xx, a guest that fails on its own) at once.

use std::time::Duration;

use crate::error::{Error, Kind};

#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    Retry(Duration),
    Dead,
}

#[derive(Debug, Clone, Copy)]
pub struct Policy {
    pub base: Duration,
    pub cap: Duration,
    /// Give up once the event has waited this long (default 4 h).
    pub max_age: Duration,
}

impl Default for Policy {
    fn default() -> Self {
        Policy { base: Duration::from_secs(1), cap: Duration::from_secs(600), max_age: Duration::from_secs(4 * 3600) }
    }
}

/// Whether a failure may go away by itself.
pub fn retryable(e: &Error) -> bool {
    match e.status {
        Some(501 | 505) => false,
        Some(408 | 423 | 429) => true,
        Some(s) if (500..600).contains(&s) => true,
        // Any other 4xx is the API's final word, whatever the guest called it.
        Some(s) if (400..500).contains(&s) => false,
        Some(_) => matches!(e.kind, Kind::Retryable | Kind::RateLimited),
        None => matches!(e.kind, Kind::Retryable | Kind::RateLimited),
    }
}

impl Policy {
    /// `attempts` made so far (this one included), the event's `age`, and the
    /// API's `Retry-After` if it sent one. `jitter` is uniform in [0, 1).
    pub fn verdict(&self, e: &Error, attempts: u32, age: Duration, retry_after: Option<Duration>, jitter: f64) -> Verdict {
        if !retryable(e) {
            return Verdict::Dead;
        }
        let exp = self.base.saturating_mul(1u32 << attempts.saturating_sub(1).min(20)).min(self.cap);
        let wait = exp.mul_f64(jitter.clamp(0.0, 1.0)).max(retry_after.unwrap_or_default());
        if age + wait > self.max_age {
            return Verdict::Dead;
        }
        Verdict::Retry(wait)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(kind: Kind, status: Option<u16>) -> Error {
        Error::new(kind, "x").with_status(status)
    }

    #[test]
    fn which_failures_are_retried() {
        for s in [408, 423, 429, 500, 502, 503, 504, 599] {
            assert!(retryable(&err(Kind::Rejected, Some(s))), "{s}");
        }
        for s in [400, 401, 403, 404, 422, 501, 505] {
            assert!(!retryable(&err(Kind::Retryable, Some(s))), "{s}");
        }
        assert!(retryable(&err(Kind::Retryable, None)), "a timeout or a reset connection");
        assert!(!retryable(&err(Kind::Validation, None)));
        assert!(!retryable(&err(Kind::Guest, None)));
    }

    #[test]
    fn backoff_is_exponential_with_full_jitter_retry_after_and_an_age_limit() {
        let p = Policy::default();
        let e = err(Kind::Retryable, Some(503));
        assert_eq!(p.verdict(&e, 1, Duration::ZERO, None, 0.999), Verdict::Retry(Duration::from_secs(1).mul_f64(0.999)));
        assert_eq!(p.verdict(&e, 4, Duration::ZERO, None, 0.5), Verdict::Retry(Duration::from_secs(4)));
        assert_eq!(p.verdict(&e, 30, Duration::ZERO, None, 1.0), Verdict::Retry(p.cap));
        assert_eq!(p.verdict(&e, 1, Duration::ZERO, Some(Duration::from_secs(7)), 0.1), Verdict::Retry(Duration::from_secs(7)));
        assert_eq!(p.verdict(&e, 1, p.max_age, None, 0.5), Verdict::Dead);
        assert_eq!(p.verdict(&err(Kind::Rejected, Some(400)), 1, Duration::ZERO, None, 0.5), Verdict::Dead);
    }
}

//! Rate budgets: how many requests a client may send to a destination's API.
//!
//! Threat: a guest (or many concurrent calls for one customer) floods the
//! partner's API, gets the customer's key throttled or banned, or breaks the
//! partner's terms (Talon.One allows 60 requests per second per client). The
//! budget is keyed by client (module plus a hash of its secrets), shared by
//! every action and concurrent call, and taken inside `http.send`, before any
//! connection, so no guest retry loop can get around it.
//!
//! Default: the module's declared budget, overridable by the operator. Over
//! budget, a request is held back, never dropped: each request reserves the
//! earliest slot at which no window of the budget's length holds more than its
//! count (a sliding log, exact for every window, unlike a token bucket with a
//! burst). A small guard is added to the window so that jitter between leaving
//! the host and arriving at the API cannot push a window there over budget.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::time::Instant;

/// Added to every window; see the module comment.
pub const GUARD: Duration = Duration::from_millis(20);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rate {
    pub requests: u32,
    pub window: Duration,
}

impl Rate {
    pub fn per_second(requests: u32) -> Self {
        Rate { requests, window: Duration::from_secs(1) }
    }

    /// `N`, `N/s`, `N/1s`, `N/500ms`.
    pub fn parse(s: &str) -> Result<Rate, String> {
        let bad = || format!("'{s}' is not a rate: use N, N/s or N/<millis>ms, e.g. 60/s");
        let (n, w) = s.split_once('/').unwrap_or((s, "s"));
        let requests: u32 = n.trim().parse().map_err(|_| bad())?;
        let window = match w.trim() {
            "s" | "1s" => Duration::from_secs(1),
            w => match w.strip_suffix("ms") {
                Some(ms) => Duration::from_millis(ms.parse().map_err(|_| bad())?),
                None => Duration::from_secs(w.strip_suffix('s').unwrap_or(w).parse().map_err(|_| bad())?),
            },
        };
        if requests == 0 || window.is_zero() {
            return Err(bad());
        }
        Ok(Rate { requests, window })
    }
}

/// One client's budget.
#[derive(Debug)]
pub struct Budget {
    rate: Rate,
    /// Slots reserved for the last `rate.requests` requests, oldest first.
    log: Mutex<VecDeque<Instant>>,
}

impl Budget {
    pub fn new(rate: Rate) -> Self {
        Budget { rate, log: Mutex::new(VecDeque::with_capacity(rate.requests as usize + 1)) }
    }

    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Reserves the next slot and returns it; the caller waits until then.
    pub fn reserve(&self) -> Instant {
        let n = self.rate.requests as usize;
        let now = Instant::now();
        let mut log = self.log.lock().unwrap_or_else(|p| p.into_inner());
        let slot = if log.len() < n { now } else { now.max(log[log.len() - n] + self.rate.window + GUARD) };
        log.push_back(slot);
        while log.len() > n {
            log.pop_front();
        }
        slot
    }

    /// Waits for a slot; returns how long the request was held back.
    pub async fn acquire(&self) -> Duration {
        let slot = self.reserve();
        let now = Instant::now();
        if slot > now {
            tokio::time::sleep_until(slot).await;
        }
        slot.saturating_duration_since(now)
    }
}

/// Every client's budget, created on first use.
#[derive(Debug, Default)]
pub struct Budgets {
    clients: Mutex<HashMap<String, Arc<Budget>>>,
}

impl Budgets {
    pub fn for_client(&self, key: &str, rate: Rate) -> Arc<Budget> {
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(key.to_string())
            .and_modify(|b| {
                if b.rate != rate {
                    *b = Arc::new(Budget::new(rate));
                }
            })
            .or_insert_with(|| Arc::new(Budget::new(rate)))
            .clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!(Rate::parse("60/s").unwrap(), Rate::per_second(60));
        assert_eq!(Rate::parse("60").unwrap(), Rate::per_second(60));
        assert_eq!(Rate::parse("10/500ms").unwrap(), Rate { requests: 10, window: Duration::from_millis(500) });
        assert!(Rate::parse("0/s").is_err());
        assert!(Rate::parse("fast").is_err());
    }

    #[test]
    fn no_window_holds_more_than_the_budget() {
        let budget = Budget::new(Rate::per_second(60));
        let slots: Vec<Instant> = (0..300).map(|_| budget.reserve()).collect();
        for i in 0..slots.len() - 60 {
            assert!(slots[i + 60] - slots[i] >= Duration::from_secs(1), "window at {i} over budget");
        }
        // The first 60 go at once; the pace after that is the budget's.
        assert!(slots[59] - slots[0] < Duration::from_millis(50), "the first 60 are not held back");
        assert!(slots[60] - slots[0] >= Duration::from_secs(1));
        let total = slots[299] - slots[0];
        assert!(total >= Duration::from_secs(4) && total < Duration::from_millis(4200), "{total:?}");
    }

    #[test]
    fn clients_are_separate() {
        let budgets = Budgets::default();
        let a = budgets.for_client("m:a", Rate::per_second(1));
        let b = budgets.for_client("m:b", Rate::per_second(1));
        a.reserve();
        assert!(b.reserve() <= Instant::now());
        assert!(Arc::ptr_eq(&a, &budgets.for_client("m:a", Rate::per_second(1))));
    }
}

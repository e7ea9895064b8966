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
//! budget, a request is held back, never dropped: requests leave in order, each
//! once the request `count` places before it left more than a window ago (a
//! sliding log of departure times, exact for every window, unlike a token
//! bucket with a burst). A small guard is added to the window so that jitter
//! between leaving the host and arriving at the API cannot push a window there
//! over budget.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
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
    /// When each of the last `rate.requests` requests actually left, oldest
    /// first. The async mutex is fair (FIFO), so waiting requests leave in the
    /// order they asked, and the one at the head holds it while it sleeps.
    log: tokio::sync::Mutex<VecDeque<Instant>>,
    waiting: AtomicUsize,
}

impl Budget {
    pub fn new(rate: Rate) -> Self {
        Budget {
            rate,
            log: tokio::sync::Mutex::new(VecDeque::with_capacity(rate.requests as usize)),
            waiting: AtomicUsize::new(0),
        }
    }

    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Roughly how long a request asking now would be held back.
    pub fn expected_wait(&self) -> Duration {
        let queued = self.waiting.load(Ordering::Relaxed) as u32;
        (self.rate.window + GUARD) * (queued / self.rate.requests)
    }

    /// Waits until the request may leave and records when it did. The time
    /// recorded is after the wait, so a late wake-up delays the requests
    /// behind it instead of letting them crowd a window.
    ///
    /// Cancel-safe: a request dropped while waiting leaves the log untouched.
    pub async fn acquire(&self) -> Duration {
        let asked = Instant::now();
        let _waiting = Waiting::enter(&self.waiting);
        let mut log = self.log.lock().await;
        if log.len() >= self.rate.requests as usize {
            if let Some(&oldest) = log.front() {
                tokio::time::sleep_until(oldest + self.rate.window + GUARD).await;
            }
            log.pop_front();
        }
        let left = Instant::now();
        log.push_back(left);
        left - asked
    }
}

/// Counts a waiting request for as long as it waits, even if it is dropped.
struct Waiting<'a>(&'a AtomicUsize);

impl<'a> Waiting<'a> {
    fn enter(count: &'a AtomicUsize) -> Self {
        count.fetch_add(1, Ordering::Relaxed);
        Waiting(count)
    }
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
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

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_budget() {
        let budget = Arc::new(Budget::new(Rate::per_second(60)));
        let tasks: Vec<_> = (0..300)
            .map(|_| {
                let b = budget.clone();
                tokio::spawn(async move {
                    b.acquire().await;
                    Instant::now()
                })
            })
            .collect();
        let mut left = Vec::new();
        for t in tasks {
            left.push(t.await.unwrap());
        }
        left.sort();
        for i in 0..left.len() - 60 {
            assert!(left[i + 60] - left[i] >= Duration::from_secs(1), "window at {i} over budget");
        }
        // The first 60 go at once; after that, the budget's pace.
        assert_eq!(left[59], left[0]);
        let total = left[299] - left[0];
        assert_eq!(total, (Duration::from_secs(1) + GUARD) * 4);
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_leaves_the_budget_intact() {
        let budget = Budget::new(Rate::per_second(2));
        budget.acquire().await;
        budget.acquire().await;
        // The third would wait a second; give up after 10 ms.
        assert!(tokio::time::timeout(Duration::from_millis(10), budget.acquire()).await.is_err());
        assert_eq!(budget.expected_wait(), Duration::ZERO, "no phantom waiter left behind");
        let before = Instant::now();
        budget.acquire().await;
        assert!(Instant::now() - before >= Duration::from_millis(980), "still held back: the window is full");
    }

    #[test]
    fn clients_are_separate() {
        let budgets = Budgets::default();
        let a = budgets.for_client("m:a", Rate::per_second(1));
        let b = budgets.for_client("m:b", Rate::per_second(1));
        assert!(!Arc::ptr_eq(&a, &b));
        assert!(Arc::ptr_eq(&a, &budgets.for_client("m:a", Rate::per_second(1))));
    }
}

//! Rate budgets: how many requests a client may send to a destination's API.
//!
//! Threat: a guest (or many concurrent calls for one customer) floods the
//! partner's API, gets the customer's key throttled or banned, or breaks the
//! partner's terms (Talon.One allows 60 requests per second per client). The
//! budget is keyed by client (module plus a hash of its secrets), shared by
//! every action and concurrent call, and taken inside `http.send`, so no
//! guest retry loop can get around it.
//!
//! Default: the module's declared budget, overridable by the operator. Over
//! budget, a request is held back, never dropped: requests are granted in
//! order, against a sliding log of when requests actually left (exact for
//! every window, unlike a token bucket with a burst). A request counts from
//! its grant but is placed in time when it is written to its connection, so
//! slow connection set-up cannot bunch requests into one window at the server
//! (see [`Budget`]). A small guard is added to the window so that jitter
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

/// A budget log kept outside the process (Postgres), so that every process
/// serving a client shares one budget. The same rule as the local log: a
/// grant needs `departed in the last span + pending < requests`.
pub trait SharedLog: Send + Sync {
    /// A place for `client`, or how long to wait before asking again.
    fn try_grant(&self, client: &str, requests: u32, span: Duration) -> Result<Grant, String>;
    /// The granted request `id` is leaving now.
    fn depart(&self, client: &str, id: i64);
    /// The granted request `id` never left.
    fn cancel(&self, client: &str, id: i64);
}

pub enum Grant {
    Granted(i64),
    Wait(Duration),
}

/// One client's budget.
///
/// A request is counted from when it is granted (it is then *pending*) and
/// placed in time when it actually leaves: when hyper starts writing it, once
/// its connection is ready. Connection set-up (TLS to a far API can take
/// hundreds of milliseconds) therefore cannot bunch requests up at the server:
/// a grant needs `departed in the last window + pending < requests`, and since
/// a pending request that departs stays in that sum, the sum never exceeds the
/// budget at any moment, so no window at the server holds more than `requests`.
#[derive(Debug)]
pub struct Budget {
    rate: Rate,
    state: Mutex<State>,
    /// Wakes the head waiter when a pending request departs or is cancelled.
    freed: tokio::sync::Notify,
    /// Waiters queue here (FIFO): they are granted in the order they asked.
    turn: tokio::sync::Mutex<()>,
    waiting: AtomicUsize,
    /// Kept in a shared log instead (several processes), under this client key.
    shared: Option<(Arc<dyn SharedLog>, String)>,
}

impl std::fmt::Debug for dyn SharedLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SharedLog")
    }
}

#[derive(Debug, Default)]
struct State {
    /// Departure times within the last window (plus guard), oldest first.
    departed: VecDeque<Instant>,
    /// Granted but not yet departed.
    pending: usize,
}

impl State {
    fn forget_before(&mut self, cutoff: Option<Instant>) {
        let Some(cutoff) = cutoff else { return };
        while self.departed.front().is_some_and(|&t| t <= cutoff) {
            self.departed.pop_front();
        }
    }
}

/// A granted request. [`Ticket::depart`] places it in time; dropped before
/// that, it never left and its place is given back.
#[derive(Debug)]
pub struct Ticket {
    budget: Arc<Budget>,
    departed: bool,
    /// The place's id in the shared log, for a shared budget.
    shared_id: Option<i64>,
}

impl Ticket {
    /// Records that the request is leaving now. Idempotent.
    pub fn depart(&mut self) {
        if std::mem::replace(&mut self.departed, true) {
            return;
        }
        if let (Some(id), Some((log, client))) = (self.shared_id, &self.budget.shared) {
            // Off the caller's thread (hyper is polling the body): the place
            // stays counted as pending until the update lands, which only errs
            // on the side of sending less.
            let (log, client) = (log.clone(), client.clone());
            std::thread::spawn(move || log.depart(&client, id));
            return;
        }
        {
            let mut state = self.budget.lock();
            state.pending -= 1;
            state.departed.push_back(Instant::now());
        }
        // A waiter with nothing departed to wait on can now see when to wake.
        self.budget.freed.notify_waiters();
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let (false, Some(id), Some((log, client))) = (self.departed, self.shared_id, &self.budget.shared) {
            let (log, client) = (log.clone(), client.clone());
            std::thread::spawn(move || log.cancel(&client, id));
            return;
        }
        if !self.departed {
            self.budget.lock().pending -= 1;
            self.budget.freed.notify_waiters();
        }
    }
}

impl Budget {
    pub fn new(rate: Rate) -> Self {
        Budget {
            rate,
            state: Mutex::new(State::default()),
            freed: tokio::sync::Notify::new(),
            turn: tokio::sync::Mutex::new(()),
            waiting: AtomicUsize::new(0),
            shared: None,
        }
    }

    /// A budget kept in `log` under `client`, shared with other processes.
    pub fn shared(rate: Rate, log: Arc<dyn SharedLog>, client: String) -> Self {
        Budget { shared: Some((log, client)), ..Budget::new(rate) }
    }

    pub fn rate(&self) -> Rate {
        self.rate
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Requests waiting for the budget now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Relaxed)
    }

    /// Roughly how long a request asking now would be held back.
    pub fn expected_wait(&self) -> Duration {
        let queued = self.waiting.load(Ordering::Relaxed) as u32;
        (self.rate.window + GUARD) * (queued / self.rate.requests)
    }

    /// Waits until the request may be sent. The caller departs the ticket
    /// when the request is written (or drops it if it never is).
    ///
    /// Cancel-safe: a request dropped while waiting leaves the budget untouched.
    pub async fn acquire(self: &Arc<Self>) -> Ticket {
        let _waiting = Waiting::enter(&self.waiting);
        let _turn = self.turn.lock().await;
        let span = self.rate.window + GUARD;
        if let Some((log, client)) = &self.shared {
            loop {
                let (log, client, requests) = (log.clone(), client.clone(), self.rate.requests);
                // If this wait is dropped while the grant is being made, the
                // blocking task finds no one to hand it to and gives it back.
                let (tx, rx) = tokio::sync::oneshot::channel();
                tokio::task::spawn_blocking(move || {
                    if let Err(Ok(Grant::Granted(id))) = tx.send(log.try_grant(&client, requests, span)) {
                        log.cancel(&client, id);
                    }
                });
                let grant = rx.await;
                match grant {
                    Ok(Ok(Grant::Granted(id))) => return Ticket { budget: self.clone(), departed: false, shared_id: Some(id) },
                    Ok(Ok(Grant::Wait(d))) => tokio::time::sleep(d.clamp(Duration::from_millis(5), Duration::from_millis(250))).await,
                    Ok(Err(e)) => {
                        tracing::warn!("the shared rate budget is unavailable ({e}); holding the request");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                    Err(_) => {
                        tracing::warn!("the shared rate budget task failed; holding the request");
                        tokio::time::sleep(Duration::from_millis(500)).await;
                    }
                }
            }
        }
        loop {
            let freed = self.freed.notified();
            let mut freed = std::pin::pin!(freed);
            freed.as_mut().enable();
            let wake = {
                let mut state = self.lock();
                state.forget_before(Instant::now().checked_sub(span));
                if state.departed.len() + state.pending < self.rate.requests as usize {
                    state.pending += 1;
                    return Ticket { budget: self.clone(), departed: false, shared_id: None };
                }
                // Full: wait for the oldest departure to leave the window, or a
                // pending request to depart or be cancelled.
                state.departed.front().map(|&t| t + span)
            };
            match wake {
                Some(at) => {
                    tokio::select! {
                        _ = tokio::time::sleep_until(at) => {}
                        _ = &mut freed => {}
                    }
                }
                None => freed.await,
            }
        }
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
pub struct Budgets {
    clients: Mutex<HashMap<String, Arc<Budget>>>,
    /// Where budgets live when several processes share them.
    shared: Mutex<Option<Arc<dyn SharedLog>>>,
}

impl std::fmt::Debug for Budgets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budgets").finish_non_exhaustive()
    }
}

impl Default for Budgets {
    fn default() -> Self {
        Budgets { clients: Mutex::default(), shared: Mutex::new(None) }
    }
}

impl Budgets {
    /// From now on, budgets are kept in `log`, shared with other processes.
    pub fn share(&self, log: Arc<dyn SharedLog>) {
        *self.shared.lock().unwrap_or_else(|p| p.into_inner()) = Some(log);
        self.clients.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }

    pub fn for_client(&self, key: &str, rate: Rate) -> Arc<Budget> {
        let shared = self.shared.lock().unwrap_or_else(|p| p.into_inner()).clone();
        let make = || match &shared {
            Some(log) => Arc::new(Budget::shared(rate, log.clone(), key.to_string())),
            None => Arc::new(Budget::new(rate)),
        };
        let mut clients = self.clients.lock().unwrap_or_else(|p| p.into_inner());
        clients
            .entry(key.to_string())
            .and_modify(|b| {
                if b.rate != rate {
                    *b = make();
                }
            })
            .or_insert_with(make)
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

    /// No window of `window` holds more than `n` of the (sorted) times.
    fn assert_within(times: &mut [Instant], n: usize, window: Duration) {
        times.sort();
        for i in 0..times.len().saturating_sub(n) {
            assert!(times[i + n] - times[i] >= window, "{} requests within {:?} at {i}", n + 1, times[i + n] - times[i]);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn no_window_holds_more_than_the_budget() {
        let budget = Arc::new(Budget::new(Rate::per_second(60)));
        let tasks: Vec<_> = (0..300)
            .map(|_| {
                let b = budget.clone();
                tokio::spawn(async move {
                    b.acquire().await.depart();
                    Instant::now()
                })
            })
            .collect();
        let mut left = Vec::new();
        for t in tasks {
            left.push(t.await.unwrap());
        }
        assert_within(&mut left, 60, Duration::from_secs(1));
        // The first 60 go at once; after that, the budget's pace.
        assert_eq!(left[59], left[0]);
        let total = left[299] - left[0];
        assert_eq!(total, (Duration::from_secs(1) + GUARD) * 4);
    }

    /// The attack: the first requests spend 400 ms setting up connections
    /// (TLS to a far API) while later ones reuse pooled connections and leave
    /// at once. Counting a request when it was granted put 61 in one window at
    /// the server; placing it when it is written keeps every window at 60.
    #[tokio::test(start_paused = true)]
    async fn slow_connection_set_up_cannot_crowd_a_window() {
        let budget = Arc::new(Budget::new(Rate::per_second(60)));
        let tasks: Vec<_> = (0..130)
            .map(|i| {
                let b = budget.clone();
                tokio::spawn(async move {
                    // Stagger the asks so the first 60 are granted before the rest ask.
                    tokio::time::sleep(Duration::from_millis(i as u64)).await;
                    let mut ticket = b.acquire().await;
                    if i < 60 {
                        tokio::time::sleep(Duration::from_millis(400)).await;
                    }
                    ticket.depart();
                    Instant::now()
                })
            })
            .collect();
        let mut left = Vec::new();
        for t in tasks {
            left.push(t.await.unwrap());
        }
        assert_within(&mut left, 60, Duration::from_secs(1));
    }

    #[tokio::test(start_paused = true)]
    async fn a_request_that_never_leaves_gives_its_place_back() {
        let budget = Arc::new(Budget::new(Rate::per_second(1)));
        let never_sent = budget.acquire().await;
        let b = budget.clone();
        let next = tokio::spawn(async move {
            let asked = Instant::now();
            b.acquire().await.depart();
            Instant::now() - asked
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        drop(never_sent); // the connection failed: nothing reached the API
        assert_eq!(next.await.unwrap(), Duration::from_millis(50));
    }

    #[tokio::test(start_paused = true)]
    async fn a_cancelled_wait_leaves_the_budget_intact() {
        let budget = Arc::new(Budget::new(Rate::per_second(2)));
        budget.acquire().await.depart();
        budget.acquire().await.depart();
        // The third would wait a second; give up after 10 ms.
        assert!(tokio::time::timeout(Duration::from_millis(10), budget.acquire()).await.is_err());
        assert_eq!(budget.expected_wait(), Duration::ZERO, "no phantom waiter left behind");
        let before = Instant::now();
        budget.acquire().await.depart();
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

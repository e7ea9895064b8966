//! Grouping payloads into requests, and keeping one user's events in order.
//! Pure bookkeeping, no engine: the dispatcher in `delivery` drives it.
//!
//! - A [`Batcher`] keeps one open batch per action. A batch closes when it
//!   reaches the action's limits (events, bytes), or when its linger expires.
//!   An action that does not batch closes every batch at one payload.
//! - [`Order`] keeps the order of one user's events to one destination: a
//!   user's event may join the open batch its earlier events are in, but while
//!   a batch with the user's events is in flight, later events wait, and are
//!   released in order when it finishes.

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use tokio::time::Instant;

use sluice_core::BatchLimits;

/// One payload on its way to a destination.
#[derive(Debug)]
pub struct Job<T> {
    pub tag: T,
    pub action: String,
    /// Whose event this is (`userId`, else `anonymousId`); `None` has no order to keep.
    pub user: Option<String>,
    /// The validated payload, serialized.
    pub payload: String,
}

/// Payloads for one action that go out in one request.
#[derive(Debug)]
pub struct Batch<T> {
    pub action: String,
    pub jobs: Vec<Job<T>>,
    pub bytes: usize,
    opened: Instant,
}

#[derive(Debug)]
pub struct Batcher<T> {
    linger: Duration,
    open: HashMap<String, Batch<T>>,
}

impl<T> Batcher<T> {
    pub fn new(linger: Duration) -> Self {
        Batcher { linger, open: HashMap::new() }
    }

    fn limits(limits: Option<BatchLimits>) -> (usize, usize) {
        match limits {
            Some(l) => (l.max_events.max(1) as usize, l.max_bytes as usize),
            None => (1, usize::MAX),
        }
    }

    /// The open batch for `action`, if a payload of `size` bytes would take it
    /// over its byte limit: it must go first. (Checked before the job is
    /// admitted, so a user's later event never rides a batch sent after an
    /// earlier one that is still in flight.)
    pub fn take_if_overflows(&mut self, action: &str, size: usize, limits: Option<BatchLimits>) -> Option<Batch<T>> {
        let (_, max_bytes) = Self::limits(limits);
        let b = self.open.get(action)?;
        (!b.jobs.is_empty() && b.bytes + size > max_bytes).then(|| self.open.remove(action)).flatten()
    }

    /// Adds a job to its action's open batch; returns the batch if the job
    /// filled it.
    pub fn add(&mut self, job: Job<T>, limits: Option<BatchLimits>, now: Instant) -> Option<Batch<T>> {
        let (max_events, max_bytes) = Self::limits(limits);
        let action = job.action.clone();
        let batch = self
            .open
            .entry(action.clone())
            .or_insert_with(|| Batch { action: action.clone(), jobs: Vec::new(), bytes: 0, opened: now });
        batch.bytes += job.payload.len();
        batch.jobs.push(job);
        if batch.jobs.len() >= max_events || batch.bytes >= max_bytes {
            return self.open.remove(&action);
        }
        None
    }

    /// When the oldest open batch's linger ends.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.open.values().map(|b| b.opened + self.linger).min()
    }

    /// Batches whose linger has ended (all of them with `all`).
    pub fn due(&mut self, now: Instant, all: bool) -> Vec<Batch<T>> {
        let linger = self.linger;
        let keys: Vec<String> =
            self.open.iter().filter(|(_, b)| all || b.opened + linger <= now).map(|(k, _)| k.clone()).collect();
        keys.into_iter().filter_map(|k| self.open.remove(&k)).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.open.is_empty()
    }

    /// Whether `action` has an open batch.
    pub fn has_open(&self, action: &str) -> bool {
        self.open.contains_key(action)
    }
}

#[derive(Debug, Default)]
struct UserState<T> {
    /// The action whose open batch holds this user's events, if any.
    open: Option<String>,
    /// Batches with this user's events in flight.
    in_flight: usize,
    waiting: VecDeque<Job<T>>,
}

/// Per-user order; see the module comment.
#[derive(Debug)]
pub struct Order<T> {
    users: HashMap<String, UserState<T>>,
    held: usize,
}

impl<T> Default for Order<T> {
    fn default() -> Self {
        Order { users: HashMap::new(), held: 0 }
    }
}

impl<T> Order<T> {
    /// Jobs held back, waiting for their user's earlier events.
    pub fn held(&self) -> usize {
        self.held
    }

    /// `Some(job)` if it may join its action's open batch now; else it waits.
    /// `open_for` says whether the user's open batch is still open.
    pub fn admit(&mut self, job: Job<T>, still_open: impl Fn(&str) -> bool) -> Option<Job<T>> {
        let Some(user) = job.user.clone() else { return Some(job) };
        let state = self.users.entry(user).or_insert_with(|| UserState { open: None, in_flight: 0, waiting: VecDeque::new() });
        if state.open.as_deref().is_some_and(|a| !still_open(a)) {
            state.open = None;
        }
        let joins = state.waiting.is_empty()
            && state.in_flight == 0
            && state.open.as_deref().is_none_or(|a| a == job.action);
        if joins {
            state.open = Some(job.action.clone());
            Some(job)
        } else {
            state.waiting.push_back(job);
            self.held += 1;
            None
        }
    }

    /// A batch with these users' events is being sent.
    pub fn sent<'a>(&mut self, users: impl IntoIterator<Item = &'a str>) {
        let mut seen = std::collections::HashSet::new();
        for u in users {
            if seen.insert(u) {
                if let Some(s) = self.users.get_mut(u) {
                    s.open = None;
                    s.in_flight += 1;
                }
            }
        }
    }

    /// A batch with these users' events finished: returns the jobs that may
    /// now go, in order (the caller admits them again).
    pub fn finished<'a>(&mut self, users: impl IntoIterator<Item = &'a str>) -> Vec<Job<T>> {
        let mut released = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for u in users {
            if !seen.insert(u) {
                continue;
            }
            let Some(s) = self.users.get_mut(u) else { continue };
            s.in_flight = s.in_flight.saturating_sub(1);
            if s.in_flight == 0 {
                self.held -= s.waiting.len();
                released.extend(s.waiting.drain(..));
                if s.open.is_none() {
                    self.users.remove(u);
                }
            }
        }
        released
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(tag: u32, action: &str, user: &str, bytes: usize) -> Job<u32> {
        Job { tag, action: action.into(), user: Some(user.into()), payload: "x".repeat(bytes) }
    }

    fn tags(b: &Batch<u32>) -> Vec<u32> {
        b.jobs.iter().map(|j| j.tag).collect()
    }

    const LIMITS: Option<BatchLimits> = Some(BatchLimits { max_events: 3, max_bytes: 100 });

    #[test]
    fn batches_close_at_their_event_and_byte_limits() {
        let now = Instant::now();
        let mut b = Batcher::new(Duration::from_millis(50));
        assert!(b.add(job(1, "a", "u1", 10), LIMITS, now).is_none());
        assert!(b.add(job(2, "a", "u2", 10), LIMITS, now).is_none());
        assert_eq!(b.add(job(3, "a", "u3", 10), LIMITS, now).map(|b| tags(&b)), Some(vec![1, 2, 3]));
        // 60 + 60 bytes would overflow 100: the open batch goes first, alone.
        assert!(b.add(job(4, "a", "u4", 60), LIMITS, now).is_none());
        assert!(b.take_if_overflows("a", 30, LIMITS).is_none());
        assert_eq!(b.take_if_overflows("a", 60, LIMITS).map(|b| tags(&b)), Some(vec![4]));
        assert!(b.add(job(5, "a", "u5", 60), LIMITS, now).is_none());
        // An action that does not batch sends each payload alone.
        assert!(b.add(job(6, "b", "u6", 1), None, now).is_some());
    }

    #[test]
    fn a_batch_goes_when_its_linger_ends() {
        let now = Instant::now();
        let mut b = Batcher::new(Duration::from_millis(50));
        b.add(job(1, "a", "u1", 1), LIMITS, now);
        assert_eq!(b.next_deadline(), Some(now + Duration::from_millis(50)));
        assert!(b.due(now + Duration::from_millis(49), false).is_empty());
        assert_eq!(b.due(now + Duration::from_millis(50), false).len(), 1);
        assert!(b.is_empty());
    }

    #[test]
    fn one_users_events_stay_in_order() {
        let mut o: Order<u32> = Order::default();
        let open = |_: &str| true;
        // u1's first two events join one open batch; u2 is independent.
        assert!(o.admit(job(1, "a", "u1", 1), open).is_some());
        assert!(o.admit(job(2, "a", "u1", 1), open).is_some());
        assert!(o.admit(job(3, "a", "u2", 1), open).is_some());
        // A different action for u1 must wait for the first batch to finish.
        assert!(o.admit(job(4, "b", "u1", 1), open).is_none());
        o.sent(["u1", "u1", "u2"]);
        // While u1's batch is in flight, its next event for "a" waits too, behind job 4.
        assert!(o.admit(job(5, "a", "u1", 1), open).is_none());
        assert_eq!(o.held(), 2);
        let released = o.finished(["u1", "u1", "u2"]);
        assert_eq!(released.iter().map(|j| j.tag).collect::<Vec<_>>(), [4, 5]);
        assert_eq!(o.held(), 0);
        // Re-admitted in order: 4 opens a "b" batch, 5 ("a") waits for it.
        let mut again = released.into_iter();
        assert!(o.admit(again.next().unwrap(), open).is_some());
        assert!(o.admit(again.next().unwrap(), open).is_none());
    }
}

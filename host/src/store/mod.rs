//! The durable queue behind `sluice serve`, `replay` and `dlq`.
//!
//! What must hold: an event the tracking API acknowledged is on disk first
//! (committed, fsynced) and stays there until its destination accepted it or
//! it was dead-lettered; a crash at any moment loses nothing acknowledged
//! (delivery is at-least-once: a job delivered but not yet marked done is
//! delivered again after a restart). One user's jobs to one destination are
//! handed out in order, one at a time, so a failing event holds back that
//! user's later events there, and no one else's.
//!
//! The embedded default is SQLite in WAL mode ([`sqlite::Sqlite`]) in the data
//! directory; the [`Store`] trait is what a shared engine (Postgres) will
//! implement for several processes.

pub mod pg;
pub mod sqlite;

use serde::Serialize;

/// An event's work for one destination instance and mapping: a validated payload.
#[derive(Debug, Clone)]
pub struct NewJob {
    pub destination: String,
    pub action: String,
    /// Whose event (userId, else anonymousId); order is kept per user.
    pub user: Option<String>,
    pub payload: String,
    pub lane: Lane,
}

/// A payload that could never be delivered (its mapping or validation failed):
/// straight to the dead letters, with the reason.
#[derive(Debug, Clone)]
pub struct NewDead {
    pub destination: String,
    pub action: String,
    pub payload: String,
    pub kind: String,
    pub error: String,
}

/// One accepted message and what it became.
#[derive(Debug, Clone, Default)]
pub struct NewMessage {
    pub message_id: String,
    pub jobs: Vec<NewJob>,
    pub dead: Vec<NewDead>,
}

/// Live traffic goes first; replayed history fills what is left.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lane {
    Live = 0,
    Replay = 1,
}

#[derive(Debug, Clone)]
pub struct Job {
    pub id: i64,
    pub destination: String,
    pub action: String,
    pub user: Option<String>,
    pub payload: String,
    pub attempts: u32,
    /// When the job was first queued (ms since the epoch): the retry age limit counts from here.
    pub queued_at: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct DeadLetter {
    pub id: i64,
    pub destination: String,
    pub action: String,
    pub payload: String,
    pub attempts: u32,
    pub kind: String,
    pub error: String,
    pub status: Option<u16>,
    /// RFC 3339.
    pub failed_at: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Counts {
    /// Jobs waiting or in flight, per destination.
    pub queued: Vec<(String, u64)>,
    pub dead: u64,
    /// Bytes of the store on disk.
    pub size_bytes: u64,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct Accepted {
    /// Messages stored.
    pub new: usize,
    /// Messages skipped as duplicates (a `messageId` seen within the window).
    pub duplicates: usize,
}

pub type Result<T> = std::result::Result<T, StoreError>;

#[derive(Debug, thiserror::Error)]
#[error("the store failed: {0}")]
pub struct StoreError(pub String);

/// Opens the store `location` names: a `postgres://` URL is the shared
/// engine; none means SQLite in `location.data_dir` (taking the data
/// directory's lock when `exclusive`). Returns the shared rate-budget log too
/// when the store holds one. Blocks: see [`open_for`] from async code.
pub fn open_shared(
    location: &crate::config::StoreLocation,
    exclusive: bool,
) -> Result<(std::sync::Arc<dyn Store>, Option<std::sync::Arc<dyn crate::budget::SharedLog>>)> {
    match location.url.as_deref() {
        Some(u) if u.starts_with("postgres://") || u.starts_with("postgresql://") => {
            let password = location.password.as_ref().map(|p| p.expose());
            let pg = std::sync::Arc::new(pg::Postgres::open(u, password, 4, location.lease)?);
            Ok((pg.clone(), Some(pg)))
        }
        Some(u) => {
            // Never echo a password given in the URL.
            let shown = match u.split_once('@') {
                Some((_, host)) => format!("…@{host}"),
                None => u.to_string(),
            };
            Err(StoreError(format!("'{shown}' is not a store URL: use postgres://USER@HOST:PORT/DB, or leave it out for SQLite")))
        }
        None => Ok((std::sync::Arc::new(sqlite::Sqlite::open(&location.data_dir, exclusive)?), None)),
    }
}

/// [`open_shared`] off the async workers (the Postgres client drives its own
/// runtime), handing a shared budget log to `runtime` so that every client
/// made afterwards shares its budget with the other processes.
pub async fn open_for(
    location: &crate::config::StoreLocation,
    exclusive: bool,
    runtime: &crate::engine::Runtime,
) -> std::result::Result<std::sync::Arc<dyn Store>, crate::error::Error> {
    let location = location.clone();
    let (store, shared) = tokio::task::spawn_blocking(move || open_shared(&location, exclusive))
        .await
        .map_err(|e| crate::error::Error::config(format!("the store task failed: {e}")))?
        .map_err(|e| crate::error::Error::config(e.to_string()))?;
    if let Some(log) = shared {
        runtime.share_budgets(log);
    }
    Ok(store)
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

/// The queue, the dead letters, the dedup window and replay checkpoints.
/// Calls block (a local database or a network round trip): call them off the
/// async runtime's workers (`spawn_blocking`).
pub trait Store: Send + Sync {
    /// Commits messages durably, skipping a `messageId` seen within
    /// `dedup_window_ms`; with `checkpoint`, records it in the same commit.
    fn accept(&self, messages: Vec<NewMessage>, now_ms: i64, dedup_window_ms: i64, checkpoint: Option<(&str, u64)>) -> Result<Accepted>;
    /// Up to `limit` jobs for `destination` that are due and are the oldest
    /// queued job of their user there, leaving out `in_flight`; live before replay.
    fn due(&self, destination: &str, limit: usize, in_flight: &std::collections::HashSet<i64>, now_ms: i64) -> Result<Vec<Job>>;
    /// Delivered: gone from the queue.
    fn done(&self, ids: &[i64]) -> Result<()>;
    /// Try again at `next_at_ms`.
    fn retry(&self, id: i64, next_at_ms: i64, error: &str) -> Result<()>;
    /// Give up: to the dead letters.
    fn bury(&self, id: i64, kind: &str, error: &str, status: Option<u16>, now_ms: i64) -> Result<()>;
    fn dead_letters(&self, destination: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>>;
    fn dead_letter(&self, id: i64) -> Result<Option<DeadLetter>>;
    /// Dead letters back into the queue (all of a destination's, or the given ids).
    fn redrive(&self, destination: Option<&str>, ids: &[i64], now_ms: i64) -> Result<usize>;
    fn checkpoint(&self, name: &str) -> Result<Option<u64>>;
    fn counts(&self) -> Result<Counts>;
    /// Jobs still queued in `lane` (replay waits for its own to drain).
    fn queued_in(&self, lane: Lane) -> Result<u64>;
    /// Forgets `messageId`s first seen before `before_ms` (out of the dedup window).
    fn forget_seen_before(&self, before_ms: i64) -> Result<usize>;
    /// Deletes dead letters that failed before `before_ms` (past their retention).
    fn forget_dead_before(&self, before_ms: i64) -> Result<usize>;
    /// What the store is, for metrics: `sqlite` or `postgres`.
    fn kind(&self) -> &'static str;
    /// Extends the lease on jobs this process still holds (shared stores).
    fn keep(&self, _ids: &[i64], _now_ms: i64) -> Result<()> {
        Ok(())
    }
    /// How long a claim lasts unless kept (shared stores); `None` for a store one process owns.
    fn lease(&self) -> Option<std::time::Duration> {
        None
    }
}

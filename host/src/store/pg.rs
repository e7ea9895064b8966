//! The shared store: Postgres, for several `sluice serve` processes on one
//! or many machines.
//!
//! - The schema is created and migrated by sluice at start, in versioned
//!   steps, under a transaction-scoped advisory lock: two processes starting
//!   at once both come up, and each migration runs once.
//! - Work is shared by claiming: a process takes due jobs with
//!   `FOR UPDATE SKIP LOCKED` and stamps them with a lease. While the lease
//!   runs, no other process takes them; a process that dies (kill -9, a lost
//!   machine) loses its leases when they expire and another delivers that
//!   work. A job is only claimable while it is the oldest queued job of its
//!   user at its destination, so one user's order holds across processes.
//! - Dedup by `messageId` is one table, shared.
//! - Delivered jobs are deleted; the store holds what is queued, the dead
//!   letters and the dedup window.
//! - Rate budgets are shared too: one sliding log per client (`budget_log`),
//!   so N processes together stay within a client's budget.
//!
//! Each call uses one connection from a small mutex-guarded set; calls block
//! and run off the async workers (see [`Store`]).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use postgres::{Client, NoTls};

use super::{Accepted, Counts, DeadLetter, Job, Lane, NewMessage, Result, Store, StoreError};

/// Versioned migrations; each runs once, in order.
const MIGRATIONS: &[&str] = &["
CREATE TABLE jobs (
    id BIGSERIAL PRIMARY KEY,
    destination TEXT NOT NULL,
    action TEXT NOT NULL,
    user_key TEXT,
    payload TEXT NOT NULL,
    lane SMALLINT NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    queued_at BIGINT NOT NULL,
    next_at BIGINT NOT NULL,
    lease_until BIGINT NOT NULL DEFAULT 0,
    owner TEXT,
    last_error TEXT
);
CREATE INDEX jobs_due ON jobs (destination, lane, next_at, id);
CREATE INDEX jobs_user ON jobs (destination, user_key, id);
CREATE TABLE dead (
    id BIGSERIAL PRIMARY KEY,
    destination TEXT NOT NULL,
    action TEXT NOT NULL,
    user_key TEXT,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    error TEXT NOT NULL,
    status INTEGER,
    failed_at BIGINT NOT NULL
);
CREATE TABLE seen (message_id TEXT PRIMARY KEY, at BIGINT NOT NULL);
CREATE INDEX seen_at ON seen (at);
CREATE TABLE checkpoints (name TEXT PRIMARY KEY, position BIGINT NOT NULL);
", "
CREATE TABLE budget_log (
    id BIGSERIAL PRIMARY KEY,
    client TEXT NOT NULL,
    at BIGINT NOT NULL,
    pending BOOLEAN NOT NULL
);
CREATE INDEX budget_log_client ON budget_log (client, at);
"];

/// A granted place that never reported departing is counted as pending this
/// long (a process that died holding it), then as departed at its grant.
const PENDING_LIMIT_MS: i64 = 120_000;

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// The shared rate budget: one sliding log per client in `budget_log`,
/// changed only under the client's advisory lock, so every process sees the
/// same count: departed within the span plus pending must stay under the
/// budget (see `budget`).
impl crate::budget::SharedLog for Postgres {
    fn try_grant(&self, client: &str, requests: u32, span: Duration) -> std::result::Result<crate::budget::Grant, String> {
        use crate::budget::Grant;
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(|e| e.to_string())?;
        tx.execute("SELECT pg_advisory_xact_lock(hashtext($1))", &[&client]).map_err(|e| e.to_string())?;
        let now = now_ms();
        let span_ms = span.as_millis() as i64;
        tx.execute("DELETE FROM budget_log WHERE client = $1 AND at < $2", &[&client, &(now - span_ms - PENDING_LIMIT_MS)])
            .map_err(|e| e.to_string())?;
        let row = tx
            .query_one(
                "SELECT COUNT(*), MIN(at) FILTER (WHERE NOT pending AND at > $2) FROM budget_log
                 WHERE client = $1 AND (at > $2 OR (pending AND at > $3))",
                &[&client, &(now - span_ms), &(now - PENDING_LIMIT_MS)],
            )
            .map_err(|e| e.to_string())?;
        let (count, oldest): (i64, Option<i64>) = (row.get(0), row.get(1));
        let grant = if count < i64::from(requests) {
            let id: i64 = tx
                .query_one("INSERT INTO budget_log (client, at, pending) VALUES ($1, $2, TRUE) RETURNING id", &[&client, &now])
                .map_err(|e| e.to_string())?
                .get(0);
            Grant::Granted(id)
        } else {
            Grant::Wait(Duration::from_millis(oldest.map_or(20, |o| (o + span_ms - now).max(1)) as u64))
        };
        tx.commit().map_err(|e| e.to_string())?;
        Ok(grant)
    }

    fn depart(&self, client: &str, id: i64) {
        let mut c = self.conn();
        if let Err(e) = c.execute("UPDATE budget_log SET at = $3, pending = FALSE WHERE id = $1 AND client = $2", &[&id, &client, &now_ms()]) {
            tracing::warn!("cannot record a departure in the shared budget: {e}");
        }
    }

    fn cancel(&self, client: &str, id: i64) {
        let mut c = self.conn();
        let _ = c.execute("DELETE FROM budget_log WHERE id = $1 AND client = $2", &[&id, &client]);
    }
}

/// An arbitrary constant naming sluice's migration lock.
const MIGRATION_LOCK: i64 = 0x736c_7569_6365;

pub struct Postgres {
    conns: Vec<Mutex<Client>>,
    next: std::sync::atomic::AtomicUsize,
    /// This process, as the owner of its leases.
    owner: String,
    lease: Duration,
}

fn pg(e: postgres::Error) -> StoreError {
    StoreError(e.to_string())
}

impl Postgres {
    /// Connects (`postgres://user@host:port/db`; the password from the URL, or
    /// `PGPASSWORD`, or `password` from the config), migrates, and holds
    /// `connections` connections.
    pub fn open(url: &str, password: Option<&str>, connections: usize, lease: Duration) -> Result<Postgres> {
        let mut conns = Vec::new();
        for _ in 0..connections.max(1) {
            let mut config: postgres::Config = url.parse().map_err(|e: postgres::Error| StoreError(format!("the store URL: {e}")))?;
            if let Some(pw) = password.map(str::to_string).or_else(|| std::env::var("PGPASSWORD").ok()) {
                config.password(pw);
            }
            config.application_name("sluice");
            conns.push(Mutex::new(config.connect(NoTls).map_err(|e| StoreError(format!("cannot connect to Postgres: {e}")))?));
        }
        let store = Postgres {
            conns,
            next: Default::default(),
            owner: format!("{}:{}", hostname(), std::process::id()),
            lease,
        };
        store.migrate()?;
        Ok(store)
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Client> {
        let n = self.next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % self.conns.len();
        self.conns[n].lock().unwrap_or_else(|p| p.into_inner())
    }

    fn migrate(&self) -> Result<()> {
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(pg)?;
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK]).map_err(pg)?;
        tx.batch_execute("CREATE TABLE IF NOT EXISTS sluice_migrations (version INTEGER PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
            .map_err(pg)?;
        let done: i32 = tx.query_one("SELECT COALESCE(MAX(version), 0) FROM sluice_migrations", &[]).map_err(pg)?.get(0);
        for (i, step) in MIGRATIONS.iter().enumerate().skip(done as usize) {
            tx.batch_execute(step).map_err(pg)?;
            tx.execute("INSERT INTO sluice_migrations (version) VALUES ($1)", &[&(i as i32 + 1)]).map_err(pg)?;
        }
        tx.commit().map_err(pg)
    }
}

/// The sync client closes its connection by blocking on its own runtime, which
/// panics on an async worker; close them on a plain thread wherever the store
/// is dropped.
impl Drop for Postgres {
    fn drop(&mut self) {
        let conns = std::mem::take(&mut self.conns);
        let _ = std::thread::spawn(move || drop(conns)).join();
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname").map(|h| h.trim().to_string()).unwrap_or_else(|_| "host".into())
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)).unwrap_or_default()
}

fn dead_row(r: &postgres::Row) -> DeadLetter {
    DeadLetter {
        id: r.get(0),
        destination: r.get(1),
        action: r.get(2),
        payload: r.get(3),
        attempts: r.get::<_, i32>(4) as u32,
        kind: r.get(5),
        error: r.get(6),
        status: r.get::<_, Option<i32>>(7).map(|s| s as u16),
        failed_at: rfc3339(r.get(8)),
    }
}

const DEAD_COLUMNS: &str = "id, destination, action, payload, attempts, kind, error, status, failed_at";

impl Store for Postgres {
    fn accept(&self, messages: Vec<NewMessage>, now_ms: i64, window_ms: i64, checkpoint: Option<(&str, u64)>) -> Result<Accepted> {
        // Whole arrays per statement (unnest), not a round trip per row.
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(pg)?;
        let mut ids: Vec<String> = messages.iter().map(|m| m.message_id.clone()).collect();
        // A message id twice in one request: the first one counts.
        let mut firsts = HashSet::new();
        let unique: Vec<bool> = ids.iter().map(|id| firsts.insert(id.clone())).collect();
        ids.sort();
        ids.dedup();
        // New, or last seen before the window: stored now; else a duplicate.
        let claimed: HashSet<String> = tx
            .query(
                "INSERT INTO seen (message_id, at) SELECT unnest($1::TEXT[]), $2
                 ON CONFLICT (message_id) DO UPDATE SET at = EXCLUDED.at WHERE seen.at < $3
                 RETURNING message_id",
                &[&ids, &now_ms, &(now_ms - window_ms)],
            )
            .map_err(pg)?
            .iter()
            .map(|r| r.get(0))
            .collect();
        let mut accepted = Accepted::default();
        let (mut jd, mut ja, mut ju, mut jp, mut jl) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        let (mut dd, mut da, mut dp, mut dk, mut de) = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for (m, first) in messages.iter().zip(unique) {
            if !first || !claimed.contains(&m.message_id) {
                accepted.duplicates += 1;
                continue;
            }
            accepted.new += 1;
            for j in &m.jobs {
                jd.push(j.destination.clone());
                ja.push(j.action.clone());
                ju.push(j.user.clone());
                jp.push(j.payload.clone());
                jl.push(j.lane as i16);
            }
            for d in &m.dead {
                dd.push(d.destination.clone());
                da.push(d.action.clone());
                dp.push(d.payload.clone());
                dk.push(d.kind.clone());
                de.push(d.error.clone());
            }
        }
        if !jd.is_empty() {
            tx.execute(
                "INSERT INTO jobs (destination, action, user_key, payload, lane, queued_at, next_at)
                 SELECT d, a, u, p, l, $6, $6 FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::SMALLINT[])
                 WITH ORDINALITY AS t(d, a, u, p, l, n) ORDER BY n",
                &[&jd, &ja, &ju, &jp, &jl, &now_ms],
            )
            .map_err(pg)?;
        }
        if !dd.is_empty() {
            tx.execute(
                "INSERT INTO dead (destination, action, payload, attempts, kind, error, failed_at)
                 SELECT d, a, p, 0, k, e, $6 FROM unnest($1::TEXT[], $2::TEXT[], $3::TEXT[], $4::TEXT[], $5::TEXT[]) AS t(d, a, p, k, e)",
                &[&dd, &da, &dp, &dk, &de, &now_ms],
            )
            .map_err(pg)?;
        }
        if let Some((name, pos)) = checkpoint {
            tx.execute(
                "INSERT INTO checkpoints (name, position) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET position = EXCLUDED.position",
                &[&name, &(pos as i64)],
            )
            .map_err(pg)?;
        }
        tx.commit().map_err(pg)?;
        Ok(accepted)
    }

    fn due(&self, destination: &str, limit: usize, in_flight: &HashSet<i64>, now_ms: i64) -> Result<Vec<Job>> {
        // Jobs this process still holds stay out even if their lease lapsed.
        let holding: Vec<i64> = in_flight.iter().copied().collect();
        let mut c = self.conn();
        let lease_until = now_ms + self.lease.as_millis() as i64;
        let rows = c
            .query(
                "UPDATE jobs SET lease_until = $3, owner = $4 WHERE id IN (
                    SELECT id FROM jobs j
                    WHERE destination = $1 AND next_at <= $2 AND lease_until <= $2 AND NOT (id = ANY($6))
                      AND (user_key IS NULL OR NOT EXISTS (
                           SELECT 1 FROM jobs e WHERE e.destination = j.destination AND e.user_key = j.user_key AND e.id < j.id))
                    ORDER BY lane, id LIMIT $5
                    FOR UPDATE SKIP LOCKED)
                 RETURNING id, destination, action, user_key, payload, attempts, queued_at",
                &[&destination, &now_ms, &lease_until, &self.owner, &(limit as i64), &holding],
            )
            .map_err(pg)?;
        let mut jobs: Vec<Job> = rows
            .iter()
            .map(|r| Job {
                id: r.get(0),
                destination: r.get(1),
                action: r.get(2),
                user: r.get(3),
                payload: r.get(4),
                attempts: r.get::<_, i32>(5) as u32,
                queued_at: r.get(6),
            })
            .collect();
        jobs.sort_by_key(|j| j.id);
        Ok(jobs)
    }

    fn done(&self, ids: &[i64]) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        // Only jobs this process still owns: one another process took over
        // after a lapsed lease is its to finish.
        self.conn().execute("DELETE FROM jobs WHERE id = ANY($1) AND owner = $2", &[&ids, &self.owner]).map_err(pg)?;
        Ok(())
    }

    fn retry(&self, id: i64, next_at_ms: i64, error: &str) -> Result<()> {
        self.conn()
            .execute(
                "UPDATE jobs SET attempts = attempts + 1, next_at = $2, last_error = $3, lease_until = 0, owner = NULL
                 WHERE id = $1 AND owner = $4",
                &[&id, &next_at_ms, &error, &self.owner],
            )
            .map_err(pg)?;
        Ok(())
    }

    fn bury(&self, id: i64, kind: &str, error: &str, status: Option<u16>, now_ms: i64) -> Result<()> {
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(pg)?;
        tx.execute(
            "INSERT INTO dead (destination, action, user_key, payload, attempts, kind, error, status, failed_at)
             SELECT destination, action, user_key, payload, attempts + 1, $2, $3, $4, $5 FROM jobs WHERE id = $1 AND owner = $6",
            &[&id, &kind, &error, &status.map(i32::from), &now_ms, &self.owner],
        )
        .map_err(pg)?;
        tx.execute("DELETE FROM jobs WHERE id = $1 AND owner = $2", &[&id, &self.owner]).map_err(pg)?;
        tx.commit().map_err(pg)
    }

    fn dead_letters(&self, destination: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>> {
        let rows = self
            .conn()
            .query(
                &format!("SELECT {DEAD_COLUMNS} FROM dead WHERE $1::TEXT IS NULL OR destination = $1 ORDER BY id LIMIT $2"),
                &[&destination, &(limit as i64)],
            )
            .map_err(pg)?;
        Ok(rows.iter().map(dead_row).collect())
    }

    fn dead_letter(&self, id: i64) -> Result<Option<DeadLetter>> {
        let row = self.conn().query_opt(&format!("SELECT {DEAD_COLUMNS} FROM dead WHERE id = $1"), &[&id]).map_err(pg)?;
        Ok(row.as_ref().map(dead_row))
    }

    fn redrive(&self, destination: Option<&str>, ids: &[i64], now_ms: i64) -> Result<usize> {
        let mut c = self.conn();
        let mut tx = c.transaction().map_err(pg)?;
        let chosen: Vec<i64> = if ids.is_empty() {
            tx.query("SELECT id FROM dead WHERE $1::TEXT IS NULL OR destination = $1 ORDER BY id", &[&destination])
                .map_err(pg)?
                .iter()
                .map(|r| r.get(0))
                .collect()
        } else {
            ids.to_vec()
        };
        let moved = tx
            .execute(
                "INSERT INTO jobs (destination, action, user_key, payload, lane, attempts, queued_at, next_at)
                 SELECT destination, action, user_key, payload, 0, 0, $2, $2 FROM dead WHERE id = ANY($1) ORDER BY id",
                &[&chosen, &now_ms],
            )
            .map_err(pg)?;
        tx.execute("DELETE FROM dead WHERE id = ANY($1)", &[&chosen]).map_err(pg)?;
        tx.commit().map_err(pg)?;
        Ok(moved as usize)
    }

    fn checkpoint(&self, name: &str) -> Result<Option<u64>> {
        let row = self.conn().query_opt("SELECT position FROM checkpoints WHERE name = $1", &[&name]).map_err(pg)?;
        Ok(row.map(|r| r.get::<_, i64>(0) as u64))
    }

    fn counts(&self) -> Result<Counts> {
        let mut c = self.conn();
        let queued = c
            .query("SELECT destination, COUNT(*) FROM jobs GROUP BY destination ORDER BY destination", &[])
            .map_err(pg)?
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
            .collect();
        let dead: i64 = c.query_one("SELECT COUNT(*) FROM dead", &[]).map_err(pg)?.get(0);
        let size: i64 = c
            .query_one(
                "SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::BIGINT FROM pg_class c
                 WHERE c.relname IN ('jobs', 'dead', 'seen', 'checkpoints') AND c.relkind = 'r'",
                &[],
            )
            .map_err(pg)?
            .get(0);
        Ok(Counts { queued, dead: dead as u64, size_bytes: size as u64 })
    }

    fn queued_in(&self, lane: Lane) -> Result<u64> {
        let n: i64 = self.conn().query_one("SELECT COUNT(*) FROM jobs WHERE lane = $1", &[&(lane as i16)]).map_err(pg)?.get(0);
        Ok(n as u64)
    }

    fn kind(&self) -> &'static str {
        "postgres"
    }

    fn keep(&self, ids: &[i64], now_ms: i64) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let until = now_ms + self.lease.as_millis() as i64;
        self.conn()
            .execute("UPDATE jobs SET lease_until = $2 WHERE id = ANY($1) AND owner = $3", &[&ids, &until, &self.owner])
            .map_err(pg)?;
        Ok(())
    }

    fn lease(&self) -> Option<Duration> {
        Some(self.lease)
    }

    fn forget_dead_before(&self, before_ms: i64) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM dead WHERE failed_at < $1", &[&before_ms]).map_err(pg)? as usize)
    }

    fn forget_seen_before(&self, before_ms: i64) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM seen WHERE at < $1", &[&before_ms]).map_err(pg)? as usize)
    }
}

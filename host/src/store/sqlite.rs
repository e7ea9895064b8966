//! The embedded store: SQLite in WAL mode in the data directory.
//!
//! Durability: `synchronous = FULL`, so a commit is on disk when it returns.
//! Many concurrent `accept` calls are committed together (group commit): a
//! writer thread takes every request waiting, writes them in one transaction
//! and answers each, so one fsync covers a burst of requests.
//!
//! Every write transaction is `IMMEDIATE`: it takes the write lock when it
//! begins (waiting up to the busy timeout), so two connections never fail a
//! read-to-write upgrade with "database is locked".
//!
//! One process delivers from a data directory at a time: [`Sqlite::open`]
//! takes an exclusive lock (`flock`) on `data_dir/lock` when asked to.

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Mutex};

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use super::{Accepted, Counts, DeadLetter, Job, Lane, NewMessage, Result, Store, StoreError};

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    action TEXT NOT NULL,
    user_key TEXT,
    payload TEXT NOT NULL,
    lane INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 0,
    queued_at INTEGER NOT NULL,
    next_at INTEGER NOT NULL,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_due ON jobs (destination, lane, next_at, id);
CREATE INDEX IF NOT EXISTS jobs_user ON jobs (destination, user_key, id);
CREATE TABLE IF NOT EXISTS dead (
    id INTEGER PRIMARY KEY,
    destination TEXT NOT NULL,
    action TEXT NOT NULL,
    user_key TEXT,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    kind TEXT NOT NULL,
    error TEXT NOT NULL,
    status INTEGER,
    failed_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (message_id TEXT PRIMARY KEY, at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS seen_at ON seen (at);
CREATE TABLE IF NOT EXISTS checkpoints (name TEXT PRIMARY KEY, position INTEGER NOT NULL);
";

struct Write {
    messages: Vec<NewMessage>,
    now_ms: i64,
    window_ms: i64,
    checkpoint: Option<(String, u64)>,
    reply: mpsc::SyncSender<Result<Accepted>>,
}

pub struct Sqlite {
    path: PathBuf,
    /// Reads and delivery updates.
    conn: Mutex<Connection>,
    writer: Mutex<mpsc::Sender<Write>>,
    _lock: Option<std::fs::File>,
}

fn connect(path: &Path) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    Ok(conn)
}

impl Sqlite {
    /// Opens (creating) `data_dir/sluice.db`. With `exclusive`, also takes the
    /// data directory's lock, failing if another process holds it.
    pub fn open(data_dir: &Path, exclusive: bool) -> Result<Sqlite> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError(format!("cannot create the data directory {}: {e}", data_dir.display())))?;
        let lock = if exclusive { Some(lock(data_dir)?) } else { None };
        let path = data_dir.join("sluice.db");
        let conn = connect(&path)?;
        conn.execute_batch(SCHEMA)?;
        let writer_conn = connect(&path)?;
        let (tx, rx) = mpsc::channel::<Write>();
        std::thread::Builder::new()
            .name("sluice-store-writer".into())
            .spawn(move || group_commit(writer_conn, rx))
            .map_err(|e| StoreError(format!("cannot start the store's writer: {e}")))?;
        Ok(Sqlite { path, conn: Mutex::new(conn), writer: Mutex::new(tx), _lock: lock })
    }

    /// Whether another process holds the data directory's lock (a running `serve`).
    pub fn is_locked(data_dir: &Path) -> bool {
        data_dir.join("lock").exists() && lock(data_dir).is_err()
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn lock(data_dir: &Path) -> Result<std::fs::File> {
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join("lock"))
        .map_err(|e| StoreError(format!("cannot open {}/lock: {e}", data_dir.display())))?;
    rustix::fs::flock(&file, rustix::fs::FlockOperation::NonBlockingLockExclusive).map_err(|_| {
        StoreError(format!(
            "another sluice process is delivering from {} (it holds {}/lock)",
            data_dir.display(),
            data_dir.display()
        ))
    })?;
    Ok(file)
}

/// The writer thread: every waiting request in one transaction.
fn group_commit(mut conn: Connection, rx: mpsc::Receiver<Write>) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while let Ok(more) = rx.try_recv() {
            batch.push(more);
            if batch.len() >= 256 {
                break;
            }
        }
        let result = write_all(&mut conn, &batch);
        match result {
            Ok(counts) => {
                for (w, c) in batch.into_iter().zip(counts) {
                    let _ = w.reply.send(Ok(c));
                }
            }
            Err(e) => {
                for w in batch {
                    let _ = w.reply.send(Err(StoreError(e.to_string())));
                }
            }
        }
    }
}

fn write_all(conn: &mut Connection, batch: &[Write]) -> rusqlite::Result<Vec<Accepted>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(batch.len());
    {
        let mut seen_check = tx.prepare_cached("SELECT at FROM seen WHERE message_id = ?1")?;
        let mut seen_put = tx.prepare_cached("INSERT OR REPLACE INTO seen (message_id, at) VALUES (?1, ?2)")?;
        let mut job = tx.prepare_cached(
            "INSERT INTO jobs (destination, action, user_key, payload, lane, queued_at, next_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)",
        )?;
        let mut dead = tx.prepare_cached(
            "INSERT INTO dead (destination, action, payload, attempts, kind, error, failed_at) VALUES (?1, ?2, ?3, 0, ?4, ?5, ?6)",
        )?;
        let mut checkpoint = tx.prepare_cached("INSERT OR REPLACE INTO checkpoints (name, position) VALUES (?1, ?2)")?;
        for w in batch {
            let mut accepted = Accepted::default();
            for m in &w.messages {
                let at: Option<i64> = seen_check.query_row(params![m.message_id], |r| r.get(0)).optional()?;
                if at.is_some_and(|at| w.now_ms - at < w.window_ms) {
                    accepted.duplicates += 1;
                    continue;
                }
                seen_put.execute(params![m.message_id, w.now_ms])?;
                for j in &m.jobs {
                    job.execute(params![j.destination, j.action, j.user, j.payload, j.lane as i64, w.now_ms])?;
                }
                for d in &m.dead {
                    dead.execute(params![d.destination, d.action, d.payload, d.kind, d.error, w.now_ms])?;
                }
                accepted.new += 1;
            }
            if let Some((name, pos)) = &w.checkpoint {
                checkpoint.execute(params![name, *pos as i64])?;
            }
            out.push(accepted);
        }
    }
    tx.commit()?;
    Ok(out)
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

fn dead_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DeadLetter> {
    Ok(DeadLetter {
        id: r.get(0)?,
        destination: r.get(1)?,
        action: r.get(2)?,
        payload: r.get(3)?,
        attempts: r.get(4)?,
        kind: r.get(5)?,
        error: r.get(6)?,
        status: r.get(7)?,
        failed_at: rfc3339(r.get(8)?),
    })
}

const DEAD_COLUMNS: &str = "id, destination, action, payload, attempts, kind, error, status, failed_at";

impl Store for Sqlite {
    fn accept(&self, messages: Vec<NewMessage>, now_ms: i64, window_ms: i64, checkpoint: Option<(&str, u64)>) -> Result<Accepted> {
        let (reply, answer) = mpsc::sync_channel(1);
        let write = Write { messages, now_ms, window_ms, checkpoint: checkpoint.map(|(n, p)| (n.to_string(), p)), reply };
        self.writer
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .send(write)
            .map_err(|_| StoreError("the store's writer stopped".into()))?;
        answer.recv().map_err(|_| StoreError("the store's writer stopped".into()))?
    }

    fn due(&self, destination: &str, limit: usize, in_flight: &HashSet<i64>, now_ms: i64) -> Result<Vec<Job>> {
        let conn = self.conn();
        // The oldest job of each user (or any job without a user) that is due.
        let mut stmt = conn.prepare_cached(
            "SELECT id, destination, action, user_key, payload, attempts, queued_at FROM jobs j
             WHERE destination = ?1 AND next_at <= ?2
               AND (user_key IS NULL OR NOT EXISTS (
                    SELECT 1 FROM jobs e WHERE e.destination = j.destination AND e.user_key = j.user_key AND e.id < j.id))
             ORDER BY lane, id LIMIT ?3",
        )?;
        let rows = stmt.query_map(params![destination, now_ms, (limit + in_flight.len()) as i64], |r| {
            Ok(Job {
                id: r.get(0)?,
                destination: r.get(1)?,
                action: r.get(2)?,
                user: r.get(3)?,
                payload: r.get(4)?,
                attempts: r.get(5)?,
                queued_at: r.get(6)?,
            })
        })?;
        let mut out = Vec::new();
        for row in rows {
            let job = row?;
            if !in_flight.contains(&job.id) {
                out.push(job);
                if out.len() >= limit {
                    break;
                }
            }
        }
        Ok(out)
    }

    fn done(&self, ids: &[i64]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        {
            let mut stmt = tx.prepare_cached("DELETE FROM jobs WHERE id = ?1")?;
            for id in ids {
                stmt.execute(params![id])?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    fn retry(&self, id: i64, next_at_ms: i64, error: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE jobs SET attempts = attempts + 1, next_at = ?2, last_error = ?3 WHERE id = ?1",
            params![id, next_at_ms, error],
        )?;
        Ok(())
    }

    fn bury(&self, id: i64, kind: &str, error: &str, status: Option<u16>, now_ms: i64) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute(
            "INSERT INTO dead (destination, action, user_key, payload, attempts, kind, error, status, failed_at)
             SELECT destination, action, user_key, payload, attempts + 1, ?2, ?3, ?4, ?5 FROM jobs WHERE id = ?1",
            params![id, kind, error, status, now_ms],
        )?;
        tx.execute("DELETE FROM jobs WHERE id = ?1", params![id])?;
        tx.commit()?;
        Ok(())
    }

    fn dead_letters(&self, destination: Option<&str>, limit: usize) -> Result<Vec<DeadLetter>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {DEAD_COLUMNS} FROM dead WHERE ?1 IS NULL OR destination = ?1 ORDER BY id LIMIT ?2"
        ))?;
        let rows = stmt.query_map(params![destination, limit as i64], dead_row)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    fn dead_letter(&self, id: i64) -> Result<Option<DeadLetter>> {
        let conn = self.conn();
        Ok(conn.query_row(&format!("SELECT {DEAD_COLUMNS} FROM dead WHERE id = ?1"), params![id], dead_row).optional()?)
    }

    fn redrive(&self, destination: Option<&str>, ids: &[i64], now_ms: i64) -> Result<usize> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let chosen: Vec<i64> = if ids.is_empty() {
            let mut stmt = tx.prepare("SELECT id FROM dead WHERE ?1 IS NULL OR destination = ?1 ORDER BY id")?;
            let rows = stmt.query_map(params![destination], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        } else {
            ids.to_vec()
        };
        let mut moved = 0;
        for id in &chosen {
            moved += tx.execute(
                "INSERT INTO jobs (destination, action, user_key, payload, lane, attempts, queued_at, next_at)
                 SELECT destination, action, user_key, payload, 0, 0, ?2, ?2 FROM dead WHERE id = ?1",
                params![id, now_ms],
            )?;
            tx.execute("DELETE FROM dead WHERE id = ?1", params![id])?;
        }
        tx.commit()?;
        Ok(moved)
    }

    fn checkpoint(&self, name: &str) -> Result<Option<u64>> {
        let conn = self.conn();
        let pos: Option<i64> =
            conn.query_row("SELECT position FROM checkpoints WHERE name = ?1", params![name], |r| r.get(0)).optional()?;
        Ok(pos.map(|p| p as u64))
    }

    fn counts(&self) -> Result<Counts> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT destination, COUNT(*) FROM jobs GROUP BY destination ORDER BY destination")?;
        let queued = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64)))?
            .collect::<rusqlite::Result<_>>()?;
        let dead: i64 = conn.query_row("SELECT COUNT(*) FROM dead", [], |r| r.get(0))?;
        let size_bytes = ["", "-wal"]
            .iter()
            .filter_map(|s| std::fs::metadata(format!("{}{s}", self.path.display())).ok())
            .map(|m| m.len())
            .sum();
        Ok(Counts { queued, dead: dead as u64, size_bytes })
    }

    fn forget_seen_before(&self, before_ms: i64) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM seen WHERE at < ?1", params![before_ms])?)
    }

    fn kind(&self) -> &'static str {
        "sqlite"
    }

    fn forget_dead_before(&self, before_ms: i64) -> Result<usize> {
        Ok(self.conn().execute("DELETE FROM dead WHERE failed_at < ?1", params![before_ms])?)
    }

    fn queued_in(&self, lane: Lane) -> Result<u64> {
        let n: i64 = self.conn().query_row("SELECT COUNT(*) FROM jobs WHERE lane = ?1", params![lane as i64], |r| r.get(0))?;
        Ok(n as u64)
    }
}


#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{NewDead, NewJob};

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("sluice-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    }

    fn msg(id: &str, user: &str) -> NewMessage {
        NewMessage {
            message_id: id.into(),
            jobs: vec![NewJob { destination: "d".into(), action: "a".into(), user: Some(user.into()), payload: format!("{{\"m\":\"{id}\"}}"), lane: Lane::Live }],
            dead: vec![],
        }
    }

    #[test]
    fn accepted_messages_survive_a_reopen_and_duplicates_are_skipped() {
        let d = dir("reopen");
        {
            let s = Sqlite::open(&d, true).unwrap();
            let a = s.accept(vec![msg("m1", "u1"), msg("m2", "u2"), msg("m1", "u1")], 1000, 60_000, None).unwrap();
            assert_eq!((a.new, a.duplicates), (2, 1));
            assert_eq!(s.accept(vec![msg("m1", "u1")], 2000, 60_000, None).unwrap().duplicates, 1);
            // Outside the window the same id is new again, and forgotten ids are gone.
            assert_eq!(s.accept(vec![msg("m2", "u2")], 100_000, 60_000, None).unwrap().new, 1);
            assert_eq!(s.forget_seen_before(100_000 - 60_000).unwrap(), 1, "m1 is out of the window");
        }
        let s = Sqlite::open(&d, true).unwrap();
        assert_eq!(s.counts().unwrap().queued, vec![("d".to_string(), 3)]);
    }

    #[test]
    fn one_user_at_a_time_and_a_failure_holds_back_only_that_user() {
        let d = dir("order");
        let s = Sqlite::open(&d, false).unwrap();
        s.accept(vec![msg("1", "u1"), msg("2", "u1"), msg("3", "u2")], 0, 1, None).unwrap();
        let due = s.due("d", 10, &HashSet::new(), 0).unwrap();
        assert_eq!(due.iter().map(|j| j.id).collect::<Vec<_>>(), [1, 3], "u1's second event waits");
        s.retry(1, 5_000, "500").unwrap();
        s.done(&[3]).unwrap();
        assert!(s.due("d", 10, &HashSet::new(), 1_000).unwrap().is_empty(), "u1 waits for its retry");
        let due = s.due("d", 10, &HashSet::new(), 5_000).unwrap();
        assert_eq!((due[0].id, due[0].attempts), (1, 1));
        s.done(&[1]).unwrap();
        assert_eq!(s.due("d", 10, &HashSet::new(), 5_000).unwrap()[0].id, 2);
    }

    #[test]
    fn dead_letters_are_kept_and_redriven() {
        let d = dir("dead");
        let s = Sqlite::open(&d, false).unwrap();
        let mut m = msg("1", "u1");
        m.dead.push(NewDead { destination: "d".into(), action: "b".into(), payload: "{}".into(), kind: "validation".into(), error: "bad".into() });
        s.accept(vec![m], 0, 1, None).unwrap();
        s.bury(1, "rejected", "400 no", Some(400), 10).unwrap();
        let dead = s.dead_letters(Some("d"), 100).unwrap();
        assert_eq!(dead.len(), 2);
        assert_eq!(s.dead_letter(dead[1].id).unwrap().unwrap().status, Some(400));
        assert_eq!(s.forget_dead_before(5).unwrap(), 1, "the validation failure at 0 is past its retention");
        assert_eq!(s.redrive(Some("d"), &[], 20).unwrap(), 1);
        assert_eq!(s.counts().unwrap().dead, 0);
        assert_eq!(s.due("d", 10, &HashSet::new(), 20).unwrap().len(), 1);
    }

    #[test]
    fn one_process_delivers_from_a_data_directory() {
        let d = dir("lock");
        let _first = Sqlite::open(&d, true).unwrap();
        let err = Sqlite::open(&d, true).err().unwrap();
        assert!(err.0.contains("another sluice process"), "{err}");
        assert!(Sqlite::is_locked(&d));
    }
}

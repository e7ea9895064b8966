//! `sluice replay`: historic events through the same mappings, queue and
//! budget as live traffic, in the replay lane (live jobs always go first).
//!
//! Events are read as NDJSON (gzip detected by its magic bytes), filtered by
//! `--since`/`--until` on their `timestamp`, planned exactly as the tracking
//! API plans live events, and committed to the store in chunks, each with a
//! checkpoint (lines consumed) in the same transaction: a killed replay run
//! again with the same arguments resumes after the last committed chunk. If a
//! `sluice serve` holds the data directory, it delivers them; otherwise replay
//! delivers them itself and returns when its lane is empty.

use std::io::{BufRead, Read};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sluice::config::{Config, Live};
use sluice::delivery::{self, retry, service::Service};
use sluice::error::{Error, Result};
use sluice::metrics::Metrics;
use sluice::store::{sqlite::Sqlite, Lane};
use tokio::sync::watch;

use super::{output, Cli, RunFlags};

#[derive(Args)]
pub struct ReplayArgs {
    #[arg(long)]
    config: PathBuf,
    /// NDJSON events (optionally gzip), or - for stdin (not resumable).
    #[arg(long)]
    events: String,
    /// Only events at or after this time (RFC 3339).
    #[arg(long)]
    since: Option<String>,
    /// Only events before this time (RFC 3339).
    #[arg(long)]
    until: Option<String>,
    /// Only this destination instance.
    #[arg(long)]
    destination: Option<String>,
    /// The data directory (default: [server] data_dir, else ./sluice-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    #[command(flatten)]
    flags: RunFlags,
}

const CHUNK: usize = 500;

pub async fn replay(cli: &Cli, args: &ReplayArgs) -> i32 {
    match run(cli, args).await {
        Ok(()) => 0,
        Err(e) => output::error(true, &e),
    }
}

fn time_arg(what: &str, t: &Option<String>) -> Result<Option<chrono::DateTime<chrono::Utc>>> {
    t.as_deref()
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .map(|t| t.with_timezone(&chrono::Utc))
                .map_err(|e| Error::validation(format!("--{what} '{s}' is not an RFC 3339 time such as 2025-01-31T00:00:00Z: {e}")))
        })
        .transpose()
}

fn open(events: &str) -> Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = if events == "-" {
        Box::new(std::io::stdin())
    } else {
        Box::new(sluice::files::open(std::path::Path::new(events)).map_err(|e| Error::config(format!("cannot read {events}: {e}")))?)
    };
    let mut reader = std::io::BufReader::new(raw);
    let gzip = reader.fill_buf().map(|b| b.starts_with(&[0x1f, 0x8b])).unwrap_or(false);
    Ok(if gzip { Box::new(std::io::BufReader::new(flate2::read::MultiGzDecoder::new(reader))) } else { Box::new(reader) })
}

struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    last: Instant,
}

impl Progress {
    fn new(total: Option<u64>) -> Progress {
        let bar = std::io::IsTerminal::is_terminal(&std::io::stderr()).then(|| {
            let bar = total.map_or_else(indicatif::ProgressBar::new_spinner, indicatif::ProgressBar::new);
            bar.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {pos} lines {per_sec} {msg}")
                    .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
            );
            bar
        });
        Progress { bar, started: Instant::now(), last: Instant::now() }
    }

    fn update(&mut self, lines: u64, queued: u64, phase: &str) {
        if let Some(bar) = &self.bar {
            bar.set_position(lines);
            bar.set_message(phase.to_string());
        } else if self.last.elapsed() >= Duration::from_secs(1) {
            self.last = Instant::now();
            let secs = self.started.elapsed().as_secs_f64().max(0.001);
            eprintln!("{}", json!({"phase": phase, "lines": lines, "queued": queued, "lines_per_s": (lines as f64 / secs).round()}));
        }
    }
}

async fn run(cli: &Cli, args: &ReplayArgs) -> Result<()> {
    let since = time_arg("since", &args.since)?;
    let until = time_arg("until", &args.until)?;
    let runtime = Arc::new(cli.runtime(&args.flags, 512)?);
    // The store first: a shared one also holds the rate budgets, so a replay
    // shares each client's budget with every serving process.
    let mut location = sluice::config::store_location(&args.config)?;
    location.data_dir = args.data_dir.clone().unwrap_or(location.data_dir);
    // With SQLite, a running server holds the data directory and delivers what
    // replay queues. With Postgres, replay joins the processes sharing the
    // queue: it claims work like any of them until its own lane is empty.
    let served = location.url.is_none() && Sqlite::is_locked(&location.data_dir);
    let store = sluice::store::open_for(&location, !served, &runtime).await?;
    let live = Arc::new(Live::new(Config::load(&args.config, &runtime, &cli.modules).await?));
    let config = live.get();
    if let Some(d) = &args.destination {
        if !config.instances.iter().any(|i| &i.name == d) {
            let names: Vec<&str> = config.instances.iter().map(|i| i.name.as_str()).collect();
            return Err(Error::validation(format!("no destination '{d}' in the config; it has: {}", names.join(", "))));
        }
    }
    let server = config.server.as_ref();

    // The checkpoint names this replay: its file and filters.
    let mut h = Sha256::new();
    h.update(format!("{}|{:?}|{:?}|{:?}", args.events, args.since, args.until, args.destination));
    let name = format!("replay:{}", &hex::encode(h.finalize())[..16]);
    let resume = if args.events == "-" {
        0
    } else {
        let (s, n) = (store.clone(), name.clone());
        tokio::task::spawn_blocking(move || s.checkpoint(&n))
            .await
            .map_err(|e| Error::config(format!("the store task failed: {e}")))?
            .map_err(|e| Error::config(e.to_string()))?
            .unwrap_or(0)
    };

    // Deliver alongside reading, unless a server does it.
    let (stop_tx, stop_rx) = watch::channel(false);
    let deliverer = (!served).then(|| {
        let service = Arc::new(Service {
            store: store.clone(),
            runtime: runtime.clone(),
            config: live.clone(),
            metrics: Arc::new(Metrics::new()),
            retry: retry::Policy { max_age: server.map_or(retry::Policy::default().max_age, |s| s.max_age), ..Default::default() },
            lanes: delivery::Options { concurrency: server.map_or(64, |s| s.concurrency), ..Default::default() },
            wake: watch::channel(0u64).1,
        });
        tokio::spawn(service.run(stop_rx.clone(), Duration::from_secs(15)))
    });

    let mut progress = Progress::new(None);
    let mut reader = open(&args.events)?;
    let window_ms = server.map_or(24 * 3600 * 1000, |s| s.dedup_window.as_millis() as i64);
    let mut line_no: u64 = 0;
    let mut chunk = Vec::with_capacity(CHUNK);
    let mut buf = String::new();
    let mut queued = 0u64;
    let mut skipped_bad = 0u64;
    let mut duplicates = 0u64;
    loop {
        buf.clear();
        // Reading (stdin, gzip) blocks: let the runtime move its other work off this thread.
        let n = tokio::task::block_in_place(|| reader.read_line(&mut buf))
            .map_err(|e| Error::config(format!("cannot read the events: {e}")))?;
        let eof = n == 0;
        if !eof {
            line_no += 1;
            if line_no > resume && !buf.trim().is_empty() {
                match serde_json::from_str::<Value>(&buf) {
                    Ok(event) if !event.is_object() => skipped_bad += 1,
                    Ok(event) if in_range(&event, since, until) => {
                        let mut planned = sluice::tracking::plan(&config, &event, Lane::Replay);
                        if let Some(d) = &args.destination {
                            planned.jobs.retain(|j| &j.destination == d);
                            planned.dead.retain(|j| &j.destination == d);
                        }
                        if planned.message_id.is_empty() {
                            planned.message_id = format!("replay-{name}-{line_no}");
                        }
                        // A replay for one destination must not mark the
                        // message as seen for the others.
                        if let Some(d) = &args.destination {
                            planned.message_id = format!("{}@{d}", planned.message_id);
                        }
                        queued += planned.jobs.len() as u64;
                        chunk.push(planned);
                    }
                    Ok(_) => {}
                    Err(_) => skipped_bad += 1,
                }
            }
        }
        if chunk.len() >= CHUNK || (eof && (!chunk.is_empty() || line_no > resume)) {
            let (s, list, now) = (store.clone(), std::mem::take(&mut chunk), chrono::Utc::now().timestamp_millis());
            let (cp_name, pos) = (name.clone(), line_no);
            let accepted = tokio::task::spawn_blocking(move || s.accept(list, now, window_ms, Some((&cp_name, pos))))
                .await
                .map_err(|e| Error::config(format!("the store task failed: {e}")))?
                .map_err(|e| Error::config(e.to_string()))?;
            duplicates += accepted.duplicates as u64;
            // Keep the replay lane from running far ahead of delivery.
            while !served && replay_queued(&store).await > 50_000 {
                progress.update(line_no, queued, "waiting for delivery");
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        }
        progress.update(line_no, queued, "reading");
        if eof {
            break;
        }
    }
    if skipped_bad > 0 {
        eprintln!("{skipped_bad} lines were not JSON objects and were skipped");
    }
    if let Some(d) = deliverer {
        loop {
            let left = replay_queued(&store).await;
            progress.update(line_no, left, "delivering");
            if left == 0 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let _ = stop_tx.send(true);
        let _ = d.await;
    }
    let s = store.clone();
    let dead = tokio::task::spawn_blocking(move || s.counts().map(|c| c.dead).unwrap_or(0)).await.unwrap_or(0);
    println!(
        "{}",
        json!({"ok": true, "lines": line_no, "resumed_after": resume, "queued": queued, "duplicates": duplicates, "delivered_by": if served { "serve" } else { "replay" }, "dead_letters_in_store": dead})
    );
    Ok(())
}

/// Jobs still queued in the replay lane (off the async workers: stores block).
async fn replay_queued(store: &Arc<dyn sluice::store::Store>) -> u64 {
    let s = store.clone();
    tokio::task::spawn_blocking(move || s.queued_in(Lane::Replay).unwrap_or(0)).await.unwrap_or(0)
}

fn in_range(event: &Value, since: Option<chrono::DateTime<chrono::Utc>>, until: Option<chrono::DateTime<chrono::Utc>>) -> bool {
    if since.is_none() && until.is_none() {
        return true;
    }
    let Some(t) = event
        .get("timestamp")
        .or_else(|| event.get("receivedAt"))
        .and_then(Value::as_str)
        .and_then(|s| chrono::DateTime::parse_from_rfc3339(s).ok())
    else {
        return false;
    };
    let t = t.with_timezone(&chrono::Utc);
    since.is_none_or(|s| t >= s) && until.is_none_or(|u| t < u)
}

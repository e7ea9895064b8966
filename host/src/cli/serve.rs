//! `sluice serve`: the tracking API in front of the durable queue and the
//! delivery core; and `sluice dlq`, the dead letters of the same data dir.
//! Both are thin: the work is in `tracking`, `store` and `delivery`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use clap::{Args, Subcommand};
use hyper_util::rt::TokioIo;
use serde_json::json;
use sluice::config::{Config, Live, Server};
use sluice::delivery::{self, retry, service::Service};
use sluice::error::{Error, Result};
use sluice::metrics::Metrics;
use sluice::store::Store;
use sluice::tracking::{self, Ingest};
use tokio::sync::watch;

use super::{output, Cli, RunFlags};

#[derive(Args)]
pub struct ServeArgs {
    /// The TOML configuration: `[server]` and the `[[destination]]` tables.
    #[arg(long)]
    config: PathBuf,
    /// Address to listen on (default: [server] listen, else 127.0.0.1:8787).
    #[arg(long)]
    listen: Option<String>,
    /// Where the queue lives (default: [server] data_dir, else ./sluice-data).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// A shared store, postgres://USER@HOST:PORT/DB (default: [server] store, else SQLite in the data dir).
    #[arg(long)]
    store: Option<String>,
    #[command(flatten)]
    flags: RunFlags,
}

pub async fn serve(cli: &Cli, args: &ServeArgs) -> i32 {
    match run(cli, args).await {
        Ok(()) => 0,
        Err(e) => output::error(false, &e),
    }
}

fn server_of(config: &Config) -> Result<&Server> {
    let server = config.server.as_ref().ok_or_else(|| {
        Error::config("sluice serve needs a [server] table with write_keys = [\"...\"] (see README, Run the service)")
    })?;
    if server.write_keys.is_empty() {
        return Err(Error::config("[server] write_keys is empty: give at least one write key the clients will send"));
    }
    Ok(server)
}

async fn run(cli: &Cli, args: &ServeArgs) -> Result<()> {
    let runtime = Arc::new(cli.runtime(&args.flags, 512)?);
    // The store first: a shared one also holds the rate budgets the clients use.
    let mut location = sluice::config::store_location(&args.config)?;
    location.url = args.store.clone().or(location.url);
    location.data_dir = args.data_dir.clone().unwrap_or(location.data_dir);
    let store = sluice::store::open_for(&location, true, &runtime).await?;
    let config = Config::load(&args.config, &runtime, &cli.modules).await?;
    let server = server_of(&config)?;
    let listen = args.listen.clone().unwrap_or_else(|| server.listen.clone());
    let (write_keys, dedup_window, max_age, concurrency, dead_retention) =
        (server.write_keys.clone(), server.dedup_window, server.max_age, server.concurrency, server.dead_letter_retention);
    let config = Arc::new(Live::new(config));
    let metrics = Arc::new(Metrics::new());
    let (wake, woken) = watch::channel(0u64);
    let wake = Arc::new(wake);

    let ingest = Arc::new(Ingest {
        store: store.clone(),
        config: config.clone(),
        write_keys,
        metrics: metrics.clone(),
        dedup_window_ms: dedup_window.as_millis() as i64,
        wake,
    });
    let service = Arc::new(Service {
        store: store.clone(),
        runtime: runtime.clone(),
        config: config.clone(),
        metrics: metrics.clone(),
        retry: retry::Policy { max_age, ..Default::default() },
        lanes: delivery::Options { concurrency, ..Default::default() },
        wake: woken,
    });

    let listener = tokio::net::TcpListener::bind(&listen)
        .await
        .map_err(|e| Error::config(format!("cannot listen on {listen}: {e}")))?;
    let addr = listener.local_addr().map(|a| a.to_string()).unwrap_or(listen);
    let (stop_tx, stop_rx) = watch::channel(false);
    let delivering = tokio::spawn(service.run(stop_rx.clone(), Duration::from_secs(15)));
    let budgets = tokio::spawn(watch_budgets(config.clone(), metrics.clone(), stop_rx.clone()));
    let pruning = tokio::spawn(prune(store.clone(), dedup_window, dead_retention, stop_rx.clone()));
    let reloading = tokio::spawn(sluice::reload::watch(
        runtime.clone(),
        config.clone(),
        args.config.clone(),
        cli.modules.clone(),
        stop_rx.clone(),
    ));
    let accepting = tokio::spawn(accept(listener, ingest, stop_rx));
    let data_dir = &location.data_dir;
    match &location.url {
        Some(_) => eprintln!("sluice serve: listening on http://{addr}, queue in Postgres"),
        None => eprintln!("sluice serve: listening on http://{addr}, data in {}", data_dir.display()),
    }
    println!("{}", json!({"listening": addr, "data_dir": data_dir}));

    shutdown_signal().await;
    eprintln!("sluice serve: stopping: no new requests; finishing deliveries in flight");
    let _ = stop_tx.send(true);
    let _ = accepting.await;
    let _ = delivering.await;
    let _ = budgets.await;
    let _ = pruning.await;
    let _ = reloading.await;
    eprintln!("sluice serve: stopped");
    Ok(())
}

async fn shutdown_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}

/// Accepts connections until `stop`; connections already open finish their requests.
async fn accept(listener: tokio::net::TcpListener, ingest: Arc<Ingest>, mut stop: watch::Receiver<bool>) {
    let mut open = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            conn = listener.accept() => {
                let Ok((stream, _)) = conn else { continue };
                let ingest = ingest.clone();
                let mut stop = stop.clone();
                open.spawn(async move {
                    let service = hyper::service::service_fn(move |req| tracking::handle(ingest.clone(), req));
                    let conn = hyper::server::conn::http1::Builder::new().serve_connection(TokioIo::new(stream), service);
                    let mut conn = std::pin::pin!(conn);
                    tokio::select! {
                        _ = conn.as_mut() => {}
                        _ = stop.changed() => {
                            conn.as_mut().graceful_shutdown();
                            let _ = conn.await;
                        }
                    }
                });
            }
            _ = stop.changed() => break,
        }
    }
    drop(listener);
    while open.join_next().await.is_some() {}
}

/// Keeps the store from growing: every 10 minutes, forget ids older than the
/// dedup window and dead letters past their retention. (Delivered jobs are
/// deleted as they are delivered.)
async fn prune(store: Arc<dyn Store>, window: Duration, dead_retention: Duration, mut stop: watch::Receiver<bool>) {
    loop {
        let now = chrono::Utc::now().timestamp_millis();
        let (seen_before, dead_before) = (now - window.as_millis() as i64, now - dead_retention.as_millis() as i64);
        let s = store.clone();
        let pruned = tokio::task::spawn_blocking(move || -> sluice::store::Result<(usize, usize)> {
            Ok((s.forget_seen_before(seen_before)?, s.forget_dead_before(dead_before)?))
        })
        .await;
        match pruned {
            Ok(Ok((0, 0))) => {}
            Ok(Ok((ids, dead))) => tracing::info!("pruned {ids} message ids and {dead} dead letters past retention"),
            Ok(Err(e)) => tracing::warn!("cannot prune the store: {e}"),
            Err(e) => tracing::warn!("the prune task failed: {e}"),
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(600)) => {}
            _ = stop.changed() => return,
        }
    }
}

/// Budget waits per client, sampled for `/metrics`.
async fn watch_budgets(config: Arc<Live>, metrics: Arc<Metrics>, mut stop: watch::Receiver<bool>) {
    loop {
        for inst in &config.get().instances {
            metrics.budget_waiting.with_label_values(&[inst.name.as_str()]).set(inst.client.budget_waiting() as i64);
        }
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = stop.changed() => return,
        }
    }
}

#[derive(Args)]
pub struct DlqArgs {
    /// The data directory (default: --config's [server] data_dir, else ./sluice-data).
    #[arg(long, global = true)]
    data_dir: Option<PathBuf>,
    /// A configuration to take the data directory (or [server] store) from.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// A shared store, postgres://USER@HOST:PORT/DB.
    #[arg(long, global = true)]
    store: Option<String>,
    #[command(subcommand)]
    command: DlqCommand,
}

#[derive(Subcommand)]
enum DlqCommand {
    /// One JSON line per dead letter.
    List {
        #[arg(long)]
        destination: Option<String>,
        #[arg(long, default_value_t = 1000)]
        limit: usize,
    },
    /// One dead letter in full.
    Show { id: i64 },
    /// Put dead letters back in the queue: the given ids, a destination's, or --all.
    Redrive {
        ids: Vec<i64>,
        #[arg(long)]
        destination: Option<String>,
        #[arg(long)]
        all: bool,
    },
}

/// The store without loading modules: `--store`, else `--data-dir`, else the
/// config's `[server]` (its `store` and `store_password`, else its `data_dir`).
fn store_of(args: &DlqArgs) -> Result<sluice::config::StoreLocation> {
    let mut location = match args.config.as_deref() {
        Some(path) => sluice::config::store_location(path)?,
        None => sluice::config::StoreLocation::default(),
    };
    if let Some(d) = &args.data_dir {
        location.data_dir = d.clone();
        location.url = None;
    }
    location.url = args.store.clone().or(location.url);
    Ok(location)
}

pub async fn dlq(_cli: &Cli, args: &DlqArgs) -> i32 {
    // The stores block (Postgres drives its own runtime): run on a plain thread.
    let result = std::thread::scope(|s| s.spawn(|| run_dlq(args)).join())
        .unwrap_or_else(|_| Err(Error::config("the dead-letter command failed")));
    match result {
        Ok(code) => code,
        Err(e) => output::error(true, &e),
    }
}

fn run_dlq(args: &DlqArgs) -> Result<i32> {
    let location = store_of(args)?;
    if location.url.is_none() && !location.data_dir.join("sluice.db").exists() {
        return Err(Error::config(format!(
            "{} holds no sluice queue (no sluice.db): give --data-dir, --store or --config",
            location.data_dir.display()
        )));
    }
    let store = sluice::store::open_shared(&location, false).map_err(|e| Error::config(e.to_string()))?.0;
    let fail = |e: sluice::store::StoreError| Error::config(e.to_string());
    match &args.command {
        DlqCommand::List { destination, limit } => {
            for d in store.dead_letters(destination.as_deref(), *limit).map_err(fail)? {
                println!("{}", json!(d));
            }
            Ok(0)
        }
        DlqCommand::Show { id } => match store.dead_letter(*id).map_err(fail)? {
            Some(d) => {
                println!("{}", serde_json::to_string_pretty(&d).unwrap_or_default());
                Ok(0)
            }
            None => Err(Error::validation(format!("there is no dead letter {id}"))),
        },
        DlqCommand::Redrive { ids, destination, all } => {
            if ids.is_empty() && destination.is_none() && !all {
                return Err(Error::validation("say which: dead letter ids, --destination NAME, or --all"));
            }
            let now = chrono::Utc::now().timestamp_millis();
            let n = store.redrive(destination.as_deref(), ids, now).map_err(fail)?;
            println!("{}", json!({"ok": true, "redriven": n}));
            Ok(0)
        }
    }
}

//! Delivery from the store: what `serve` runs, and `replay` when no server
//! holds the data directory.
//!
//! Per destination instance, a loop takes due jobs from the store (the oldest
//! of each user, live before replay, up to what its lane can have in flight)
//! and feeds them to the instance's [`Lane`], which batches them and keeps
//! `concurrency` requests in flight within the client's rate budget. Each
//! outcome goes back to the store: delivered jobs leave it, failures are
//! retried with backoff (see `retry`) or dead-lettered. A job leaves the
//! store only after its outcome is known, so a crash means it is delivered
//! again: at-least-once.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rand::Rng;
use tokio::sync::{mpsc, watch, Notify};

use super::retry::{self, Verdict};
use super::{Done, Job as LaneJob, Lane, Options};
use crate::config::Live;
use crate::engine::Runtime;
use crate::metrics::Metrics;
use crate::store::Store;

/// A stored job on its way: what the outcome needs to be recorded.
#[derive(Debug, Clone, Copy)]
pub struct Tag {
    pub id: i64,
    pub attempts: u32,
    pub queued_at: i64,
}

pub struct Service {
    pub store: Arc<dyn Store>,
    pub runtime: Arc<Runtime>,
    /// The configuration in use; a hot reload swaps it.
    pub config: Arc<Live>,
    pub metrics: Arc<Metrics>,
    pub retry: retry::Policy,
    pub lanes: Options,
    /// Notified when new work is stored.
    pub wake: watch::Receiver<u64>,
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

impl Service {
    /// Delivers until `stop` turns true, then lets in-flight deliveries finish
    /// (up to `grace`) and records their outcomes; anything unfinished stays
    /// queued for the next start.
    pub async fn run(self: Arc<Self>, stop: watch::Receiver<bool>, grace: Duration) {
        let mut loops = Vec::new();
        for n in 0..self.config.get().instances.len() {
            loops.push(tokio::spawn(self.clone().destination(n, stop.clone(), grace)));
        }
        for l in loops {
            let _ = l.await;
        }
    }

    /// Runs until the store has no more jobs for any destination in `lane`,
    /// or `stop` (what `replay` uses when it delivers itself).
    pub async fn run_until_empty(self: Arc<Self>, lane: crate::store::Lane, stop: watch::Receiver<bool>) {
        let (tx, rx) = watch::channel(false);
        let runner = tokio::spawn(self.clone().run(rx, Duration::from_secs(30)));
        let mut stop = stop;
        loop {
            let store = self.store.clone();
            let left = tokio::task::spawn_blocking(move || store.queued_in(lane)).await.ok().and_then(Result::ok);
            if left == Some(0) || *stop.borrow() {
                break;
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
                _ = stop.changed() => {}
            }
        }
        let _ = tx.send(true);
        let _ = runner.await;
    }

    async fn destination(self: Arc<Self>, n: usize, mut stop: watch::Receiver<bool>, grace: Duration) {
        let config = self.config.get();
        let inst = &config.instances[n];
        let name = inst.name.clone();
        let (done_tx, done_rx) = mpsc::unbounded_channel::<Done<Tag>>();
        let mut generation = self.config.generation();
        let mut last_kept = std::time::Instant::now();
        let mut wake = self.wake.clone();
        let mut lane = Lane::start(self.runtime.clone(), inst.client.clone(), self.lanes, done_tx.clone());
        let biggest_batch = inst.routes.iter().filter_map(|r| r.action.batch).map(|b| b.max_events as usize).max().unwrap_or(1);
        let capacity = self.lanes.concurrency.max(1) * biggest_batch;
        drop(config);
        let in_flight: Arc<Mutex<HashSet<i64>>> = Arc::default();
        let freed = Arc::new(Notify::new());
        let recorder = tokio::spawn(self.clone().record(name.clone(), done_rx, in_flight.clone(), freed.clone()));

        while !*stop.borrow() {
            if self.config.generation() != generation {
                // A module was reloaded: new work goes through a lane on the new
                // version; the old lane finishes what it holds on the old one.
                // The instance is found by name: the new configuration may list
                // them in another order (and if it dropped this one, the old
                // lane carries on).
                generation = self.config.generation();
                if let Some(inst) = self.config.get().instances.iter().find(|i| i.name == name) {
                    lane = Lane::start(self.runtime.clone(), inst.client.clone(), self.lanes, done_tx.clone());
                }
            }
            // A shared store's claims lapse unless kept: keep what this process holds.
            if let Some(lease) = self.store.lease() {
                if last_kept.elapsed() >= lease / 3 {
                    last_kept = std::time::Instant::now();
                    let held: Vec<i64> = in_flight.lock().unwrap_or_else(|p| p.into_inner()).iter().copied().collect();
                    let store = self.store.clone();
                    if let Ok(Err(e)) = tokio::task::spawn_blocking(move || store.keep(&held, now_ms())).await {
                        tracing::warn!(destination = %name, "cannot extend the claims on jobs in flight: {e}");
                    }
                }
            }
            let taken = in_flight.lock().unwrap_or_else(|p| p.into_inner()).clone();
            let free = capacity.saturating_sub(taken.len());
            let mut got = 0;
            if free > 0 {
                let (store, dest) = (self.store.clone(), name.clone());
                let due = tokio::task::spawn_blocking(move || store.due(&dest, free, &taken, now_ms())).await;
                match due {
                    Ok(Ok(jobs)) => {
                        got = jobs.len();
                        for j in jobs {
                            in_flight.lock().unwrap_or_else(|p| p.into_inner()).insert(j.id);
                            let tag = Tag { id: j.id, attempts: j.attempts, queued_at: j.queued_at };
                            let job = LaneJob { tag, action: j.action, user: j.user, payload: j.payload };
                            if lane.submit(job).await.is_err() {
                                tracing::error!(destination = %name, "the delivery lane stopped");
                                break;
                            }
                        }
                    }
                    Ok(Err(e)) => tracing::error!(destination = %name, "cannot read the queue: {e}"),
                    Err(e) => tracing::error!(destination = %name, "the queue reader failed: {e}"),
                }
            }
            if got > 0 && got == free {
                // At capacity: wait for a delivery to finish.
                tokio::select! {
                    _ = freed.notified() => {}
                    _ = stop.changed() => {}
                    _ = tokio::time::sleep(Duration::from_millis(100)) => {}
                }
            } else if got == 0 {
                // Nothing due: wait for new work, a retry coming due, or the stop.
                tokio::select! {
                    _ = wake.changed() => {}
                    _ = freed.notified() => {}
                    _ = stop.changed() => {}
                    _ = tokio::time::sleep(Duration::from_millis(250)) => {}
                }
            }
        }
        drop(lane);
        drop(done_tx);
        if tokio::time::timeout(grace, recorder).await.is_err() {
            tracing::warn!(destination = %name, "in-flight deliveries did not finish within {grace:?}; they stay queued");
        }
    }

    /// Records outcomes in the store, a burst at a time.
    async fn record(
        self: Arc<Self>,
        name: String,
        mut done_rx: mpsc::UnboundedReceiver<Done<Tag>>,
        in_flight: Arc<Mutex<HashSet<i64>>>,
        freed: Arc<Notify>,
    ) {
        let m = &self.metrics;
        while let Some(first) = done_rx.recv().await {
            let mut burst = vec![first];
            while let Ok(more) = done_rx.try_recv() {
                burst.push(more);
            }
            let now = now_ms();
            let mut delivered = Vec::new();
            let mut retries = Vec::new();
            let mut dead = Vec::new();
            for d in &burst {
                match &d.result {
                    Ok(_) => {
                        delivered.push(d.tag.id);
                        m.latency.with_label_values(&[name.as_str()]).observe((now - d.tag.queued_at).max(0) as f64 / 1000.0);
                    }
                    Err(e) => {
                        let attempts = d.tag.attempts + 1;
                        let age = Duration::from_millis((now - d.tag.queued_at).max(0) as u64);
                        let retry_after = d.exchanges.iter().filter_map(|x| x.retry_after).max().map(Duration::from_secs);
                        let jitter = rand::rng().random::<f64>();
                        match self.retry.verdict(e, attempts, age, retry_after, jitter) {
                            Verdict::Retry(wait) => retries.push((d.tag.id, now + wait.as_millis() as i64, e.message.clone())),
                            Verdict::Dead => dead.push((d.tag.id, e.kind.name().to_string(), e.message.clone(), e.status)),
                        }
                    }
                }
            }
            m.delivered.with_label_values(&[name.as_str()]).inc_by(delivered.len() as u64);
            m.retried.with_label_values(&[name.as_str()]).inc_by(retries.len() as u64);
            m.dead_lettered.with_label_values(&[name.as_str()]).inc_by(dead.len() as u64);
            let store = self.store.clone();
            let ids: Vec<i64> = burst.iter().map(|d| d.tag.id).collect();
            let written = tokio::task::spawn_blocking(move || -> crate::store::Result<()> {
                store.done(&delivered)?;
                for (id, at, error) in &retries {
                    store.retry(*id, *at, error)?;
                }
                for (id, kind, error, status) in &dead {
                    store.bury(*id, kind, error, *status, now)?;
                }
                Ok(())
            })
            .await;
            if let Ok(Err(e)) | Err(e) = written.map_err(|e| crate::store::StoreError(e.to_string())) {
                // The jobs stay queued and go again: at-least-once.
                tracing::error!(destination = %name, "cannot record delivery outcomes: {e}");
            }
            let mut set = in_flight.lock().unwrap_or_else(|p| p.into_inner());
            for id in ids {
                set.remove(&id);
            }
            drop(set);
            freed.notify_waiters();
        }
    }
}

//! The delivery core: how payloads reach a destination instance, shared by
//! `send` (and, built on it, `serve` and `replay`).
//!
//! Each destination instance gets a [`Lane`]: a dispatcher task that groups
//! payloads per action into batches (up to the action's declared limits, or
//! one payload for an action that does not batch, and at most `linger` old),
//! keeps one user's events in order (see [`batch::Order`]), and runs up to
//! `concurrency` requests at once, all within the client's rate budget (which
//! the egress layer enforces per request). Results come back per payload, on
//! one channel for all lanes, tagged with the caller's `T`.
//!
//! Backpressure: submitting waits while the lane's queue is full; the lane
//! stops taking jobs while `concurrency` requests are in flight and while
//! `max_held` jobs wait for their user's earlier events, so memory stays flat
//! however long the input.
//!
//! The lane does not retry: `send` reports each outcome, and the store-backed
//! service decides about retries with what [`Done`] says.

pub mod batch;
pub mod retry;
pub mod service;

use std::sync::Arc;
use std::time::Duration;

use sluice_core::BatchLimits;
use tokio::sync::{mpsc, Semaphore};
use tokio::time::Instant;

pub use batch::Job;
use batch::{Batch, Batcher, Order};

use crate::egress::Exchange;
use crate::engine::{Client, Outcome, Runtime};
use crate::error::Result;

#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Requests in flight at once, per destination instance.
    pub concurrency: usize,
    /// How long a batch may wait for more payloads.
    pub linger: Duration,
    /// Jobs that may wait for their user's earlier events before the lane stops taking more.
    pub max_held: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options { concurrency: 64, linger: Duration::from_millis(50), max_held: 10_000 }
    }
}

/// One payload's outcome.
#[derive(Debug)]
pub struct Done<T> {
    pub tag: T,
    pub result: Result<Outcome>,
    /// The request(s) this payload went out in, shared by its whole batch.
    pub exchanges: Arc<Vec<Exchange>>,
    /// The first payload of its batch (dry-run output shows the request once).
    pub first: bool,
    pub batch_size: usize,
}

/// A destination instance's way in.
pub struct Lane<T> {
    tx: mpsc::Sender<Job<T>>,
}

impl<T> Clone for Lane<T> {
    fn clone(&self) -> Self {
        Lane { tx: self.tx.clone() }
    }
}

impl<T: Send + 'static> Lane<T> {
    /// Starts the lane's dispatcher. It ends, after delivering everything,
    /// once every clone of the lane is dropped.
    pub fn start(runtime: Arc<Runtime>, client: Client, opts: Options, done: mpsc::UnboundedSender<Done<T>>) -> Lane<T> {
        let (tx, rx) = mpsc::channel(opts.concurrency.max(1) * 4);
        let dispatcher = Dispatcher {
            runtime,
            client,
            opts,
            done,
            permits: Arc::new(Semaphore::new(opts.concurrency.max(1))),
            batcher: Batcher::new(opts.linger),
            order: Order::default(),
        };
        tokio::spawn(dispatcher.run(rx));
        Lane { tx }
    }

    /// Queues a payload; waits while the lane is full. `Err` gives the job back
    /// if the lane has stopped.
    pub async fn submit(&self, job: Job<T>) -> std::result::Result<(), Job<T>> {
        self.tx.send(job).await.map_err(|e| e.0)
    }
}

struct Dispatcher<T> {
    runtime: Arc<Runtime>,
    client: Client,
    opts: Options,
    done: mpsc::UnboundedSender<Done<T>>,
    permits: Arc<Semaphore>,
    batcher: Batcher<T>,
    order: Order<T>,
}

/// A finished batch: the users whose order it held.
type Finished = Vec<Option<String>>;

impl<T: Send + 'static> Dispatcher<T> {
    async fn run(mut self, mut rx: mpsc::Receiver<Job<T>>) {
        let (fin_tx, mut fin_rx) = mpsc::unbounded_channel::<Finished>();
        let mut in_flight = 0usize;
        let mut closed = false;
        loop {
            if closed {
                // No more input: nothing is gained by lingering.
                for b in self.batcher.due(Instant::now(), true) {
                    self.send(b, &fin_tx).await;
                    in_flight += 1;
                }
                if in_flight == 0 && self.order.held() == 0 {
                    break;
                }
            }
            let deadline = self.batcher.next_deadline();
            let accepting = !closed && self.order.held() < self.opts.max_held;
            tokio::select! {
                biased;
                Some(users) = fin_rx.recv(), if in_flight > 0 => {
                    in_flight -= 1;
                    let released = self.order.finished(users.iter().flatten().map(String::as_str));
                    for job in released {
                        in_flight += self.place(job, &fin_tx).await;
                    }
                }
                job = rx.recv(), if accepting => match job {
                    Some(job) => in_flight += self.place(job, &fin_tx).await,
                    None => closed = true,
                },
                _ = sleep_until(deadline), if deadline.is_some() => {
                    for b in self.batcher.due(Instant::now(), false) {
                        self.send(b, &fin_tx).await;
                        in_flight += 1;
                    }
                }
            }
        }
    }

    fn limits(&self, action: &str) -> Option<BatchLimits> {
        self.client.module.description.action(action).and_then(|a| a.batch)
    }

    /// Puts a job in its batch (or holds it for its user); returns how many batches went.
    async fn place(&mut self, job: Job<T>, fin: &mpsc::UnboundedSender<Finished>) -> usize {
        let limits = self.limits(&job.action);
        let mut sent = 0;
        if let Some(b) = self.batcher.take_if_overflows(&job.action, job.payload.len(), limits) {
            self.send(b, fin).await;
            sent += 1;
        }
        let batcher = &self.batcher;
        let Some(job) = self.order.admit(job, |a| batcher.has_open(a)) else { return sent };
        if let Some(b) = self.batcher.add(job, limits, Instant::now()) {
            self.send(b, fin).await;
            sent += 1;
        }
        sent
    }

    /// Sends a batch once a request slot is free, on its own task.
    async fn send(&mut self, batch: Batch<T>, fin: &mpsc::UnboundedSender<Finished>) {
        self.order.sent(batch.jobs.iter().filter_map(|j| j.user.as_deref()));
        let permit = self.permits.clone().acquire_owned().await.expect("the semaphore is never closed");
        let (runtime, client, done, fin) = (self.runtime.clone(), self.client.clone(), self.done.clone(), fin.clone());
        tokio::spawn(async move {
            let users: Finished = batch.jobs.iter().map(|j| j.user.clone()).collect();
            deliver(&runtime, &client, batch, &done).await;
            drop(permit);
            let _ = fin.send(users);
        });
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Performs one batch and reports each payload's outcome.
async fn deliver<T>(runtime: &Runtime, client: &Client, batch: Batch<T>, done: &mpsc::UnboundedSender<Done<T>>) {
    let batch_size = batch.jobs.len();
    let batching = client.module.description.action(&batch.action).is_some_and(|a| a.batch.is_some());
    let (tags, payloads): (Vec<T>, Vec<String>) = batch.jobs.into_iter().map(|j| (j.tag, j.payload)).unzip();
    let (results, exchanges): (Vec<Result<Outcome>>, _) = if batching || payloads.len() > 1 {
        let call = runtime.perform_batch_json(client, &batch.action, payloads).await;
        let results = match call.result {
            Ok(list) if list.len() == batch_size => list,
            Ok(list) => {
                let e = crate::error::Error::guest(format!(
                    "{} answered {} results for {batch_size} payloads",
                    client.module.slug,
                    list.len()
                ));
                vec![Err(e); batch_size]
            }
            Err(e) => vec![Err(e); batch_size],
        };
        (results, call.exchanges)
    } else {
        let payload = payloads.into_iter().next().unwrap_or_default();
        let call = runtime.perform_json(client, &batch.action, payload).await;
        (vec![call.result], call.exchanges)
    };
    let exchanges = Arc::new(exchanges);
    for (i, (tag, result)) in tags.into_iter().zip(results).enumerate() {
        let _ = done.send(Done { tag, result, exchanges: exchanges.clone(), first: i == 0, batch_size });
    }
}

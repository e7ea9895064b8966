//! Limits: memory and CPU for each guest call.
//!
//! Threat: a guest that loops forever, allocates without bound or traps would
//! take the host, or every other call, down with it. Each instance runs in its
//! own store with its own caps, and each call starts its CPU clock and
//! deadline afresh (on a warm instance too, see `warm`), so a runaway guest
//! fails alone with a `guest` error and everything else carries on.
//!
//! Defaults: 64 MiB of memory per instance (across the calls a warm one
//! serves), 1 s of guest CPU time per call and 60 s of wall time. The memory
//! cap is for the instance, not for one memory: a component may hold many
//! core instances, each with its own linear memory and
//! tables, so the `ResourceLimiter` sums every memory and table of the store
//! (tables at 8 bytes an element) from the moment each is created, and records
//! which cap was hit.
//! CPU time is the time the guest is actually running: the call's future is
//! metered per poll, minus time in the host's own imports, so waiting (on
//! HTTP, the rate budget, or the guest's own sleep) never counts, and a slow
//! API is not mistaken for a busy loop. It is
//! checked with epoch interruption: one ticker thread advances the engine's
//! epoch every 10 ms and the store's callback stops the call once it is over
//! budget. The callback yields to tokio at every tick, which keeps a busy
//! guest from starving other calls on the same thread.
//!
//! The two time limits are reported apart: over CPU time, "used more than 1s
//! of CPU time"; over the wall-clock deadline (which counts waiting too), "did
//! not finish within 60s", saying whether it was waiting on its API.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use wasmtime::{Engine, ResourceLimiter, UpdateDeadline};

pub const TICK: Duration = Duration::from_millis(10);

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub memory_bytes: usize,
    pub cpu: Duration,
    pub wall: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits { memory_bytes: 64 << 20, cpu: Duration::from_secs(1), wall: Duration::from_secs(60) }
    }
}

/// Why a call was stopped; carried as the trap's error so it can be told apart.
#[derive(Debug, Clone, thiserror::Error)]
pub enum Exceeded {
    #[error("the guest's memory (all its memories and tables) would reach {wanted} bytes, over the limit of {limit} bytes per instance")]
    Memory { wanted: usize, limit: usize },
    #[error("the guest used more than {0:?} of CPU time")]
    Cpu(Duration),
}

/// Bytes a table element is charged against the memory cap.
pub const TABLE_ELEMENT_BYTES: usize = 8;

/// The per-store memory cap: every memory and table of the call, summed.
#[derive(Debug)]
pub struct MemoryCap {
    limit: usize,
    /// Bytes granted so far to all memories and tables of the store.
    used: usize,
    pub exceeded: Option<Exceeded>,
}

impl MemoryCap {
    pub fn new(limit: usize) -> Self {
        MemoryCap { limit, used: 0, exceeded: None }
    }

    pub fn used(&self) -> usize {
        self.used
    }

    /// Grants `more` bytes if the store stays within the cap.
    fn grow(&mut self, more: usize) -> wasmtime::Result<bool> {
        let wanted = self.used.saturating_add(more);
        if wanted > self.limit {
            let e = Exceeded::Memory { wanted, limit: self.limit };
            self.exceeded = Some(e.clone());
            return Err(e.into());
        }
        self.used = wanted;
        Ok(true)
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        self.grow(desired.saturating_sub(current))
    }

    fn table_growing(&mut self, current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        self.grow(desired.saturating_sub(current).saturating_mul(TABLE_ELEMENT_BYTES))
    }
}

/// The CPU time of one call: time the call's future spends being polled
/// while running WebAssembly, summed over its polls. A call waiting (on HTTP,
/// the rate budget, or a guest's own sleep through `wasi:io/poll`) is not being
/// polled, so waiting is never counted: a guest that sleeps runs into the
/// wall-clock deadline, and is told so. Time inside the host's own imports
/// (`http.send`: checking, copying and scanning what the guest sends) is not
/// the guest's either; the egress byte caps bound that work.
#[derive(Debug)]
pub struct CpuClock {
    origin: Instant,
    /// Nanoseconds of guest time in finished segments.
    spent: AtomicU64,
    /// When the current guest segment began, in nanoseconds since `origin`
    /// plus one; 0 when the call is not being polled or is in a host import.
    running_since: AtomicU64,
    in_host: AtomicBool,
    budget: Duration,
}

impl CpuClock {
    pub fn new(budget: Duration) -> Self {
        CpuClock {
            origin: Instant::now(),
            spent: AtomicU64::new(0),
            running_since: AtomicU64::new(0),
            in_host: AtomicBool::new(false),
            budget,
        }
    }

    fn now(&self) -> u64 {
        self.origin.elapsed().as_nanos() as u64 + 1
    }

    fn start_segment(&self) {
        if !self.in_host.load(Ordering::Relaxed) {
            self.running_since.store(self.now(), Ordering::Relaxed);
        }
    }

    fn end_segment(&self) {
        let since = self.running_since.swap(0, Ordering::Relaxed);
        if since != 0 {
            self.spent.fetch_add(self.now().saturating_sub(since), Ordering::Relaxed);
        }
    }

    /// Polls `call` with the clock running only while it is being polled.
    pub async fn meter<F: std::future::Future>(&self, call: F) -> F::Output {
        let mut call = std::pin::pin!(call);
        std::future::poll_fn(|cx| {
            self.start_segment();
            let out = call.as_mut().poll(cx);
            self.end_segment();
            out
        })
        .await
    }

    /// The guest called into the host: stop the clock until [`CpuClock::leave_host`].
    pub fn enter_host(&self) {
        self.end_segment();
        self.in_host.store(true, Ordering::Relaxed);
    }

    pub fn leave_host(&self) {
        self.in_host.store(false, Ordering::Relaxed);
        self.start_segment();
    }

    pub fn cpu_time(&self) -> Duration {
        let since = self.running_since.load(Ordering::Relaxed);
        let current = if since == 0 { 0 } else { self.now().saturating_sub(since) };
        Duration::from_nanos(self.spent.load(Ordering::Relaxed) + current)
    }

    /// The epoch callback's decision.
    pub fn on_tick(&self) -> wasmtime::Result<UpdateDeadline> {
        if self.cpu_time() > self.budget {
            return Err(Exceeded::Cpu(self.budget).into());
        }
        Ok(UpdateDeadline::Yield(1))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn waiting_and_host_imports_are_not_cpu_time() {
        let clock = CpuClock::new(Duration::from_secs(1));
        clock
            .meter(async {
                std::thread::sleep(Duration::from_millis(30)); // "running WebAssembly"
                tokio::time::sleep(Duration::from_millis(100)).await; // waiting: not polled
                clock.enter_host();
                std::thread::sleep(Duration::from_millis(100)); // host work on the guest's behalf
                tokio::time::sleep(Duration::from_millis(50)).await;
                clock.leave_host();
                std::thread::sleep(Duration::from_millis(30));
            })
            .await;
        let t = clock.cpu_time();
        assert!(t >= Duration::from_millis(60) && t < Duration::from_millis(150), "{t:?}");
    }
}

/// Advances the engine's epoch every [`TICK`] until dropped.
pub struct EpochTicker {
    stop: Arc<AtomicBool>,
}

impl EpochTicker {
    pub fn start(engine: &Engine) -> Self {
        let stop = Arc::new(AtomicBool::new(false));
        let (engine, flag) = (engine.weak(), stop.clone());
        std::thread::Builder::new()
            .name("sluice-epoch".into())
            .spawn(move || {
                while !flag.load(Ordering::Relaxed) {
                    std::thread::sleep(TICK);
                    match engine.upgrade() {
                        Some(e) => e.increment_epoch(),
                        None => break,
                    }
                }
            })
            .ok();
        EpochTicker { stop }
    }
}

impl Drop for EpochTicker {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

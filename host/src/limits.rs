//! Limits: memory and CPU for each guest call.
//!
//! Threat: a guest that loops forever, allocates without bound or traps would
//! take the host, or every other call, down with it. Each call runs in its own
//! store with its own caps, so a runaway guest fails alone with a `guest`
//! error and everything else carries on.
//!
//! Defaults: 64 MiB of linear memory per call (a `ResourceLimiter` that records
//! which cap was hit), 1 s of guest CPU time per call and 60 s of wall time.
//! CPU time is measured with epoch interruption: one ticker thread advances the
//! engine's epoch every 10 ms, and at each tick the store's callback charges
//! the time spent in WebAssembly, excluding time spent waiting in host calls
//! (HTTP, the rate budget), so a slow API is not mistaken for a busy loop. The
//! callback yields to tokio at every tick, which keeps a busy guest from
//! starving other calls on the same thread.

use std::sync::atomic::{AtomicBool, Ordering};
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
    #[error("the guest tried to grow its memory to {wanted} bytes, over the limit of {limit} bytes")]
    Memory { wanted: usize, limit: usize },
    #[error("the guest used more than {0:?} of CPU time")]
    Cpu(Duration),
}

/// The per-store memory cap.
#[derive(Debug)]
pub struct MemoryCap {
    limit: usize,
    pub exceeded: Option<Exceeded>,
}

impl MemoryCap {
    pub fn new(limit: usize) -> Self {
        MemoryCap { limit, exceeded: None }
    }
}

impl ResourceLimiter for MemoryCap {
    fn memory_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        if desired > self.limit {
            let e = Exceeded::Memory { wanted: desired, limit: self.limit };
            self.exceeded = Some(e.clone());
            return Err(e.into());
        }
        Ok(true)
    }

    fn table_growing(&mut self, _current: usize, desired: usize, _max: Option<usize>) -> wasmtime::Result<bool> {
        Ok(desired <= 100_000)
    }
}

/// Guest CPU time of one call: wall time minus time spent in host calls.
#[derive(Debug)]
pub struct CpuClock {
    started: Instant,
    in_host: Duration,
    budget: Duration,
}

impl CpuClock {
    pub fn new(budget: Duration) -> Self {
        CpuClock { started: Instant::now(), in_host: Duration::ZERO, budget }
    }

    pub fn charge_host(&mut self, spent: Duration) {
        self.in_host += spent;
    }

    pub fn guest_time(&self) -> Duration {
        self.started.elapsed().saturating_sub(self.in_host)
    }

    /// The epoch callback's decision.
    pub fn on_tick(&self) -> wasmtime::Result<UpdateDeadline> {
        if self.guest_time() > self.budget {
            return Err(Exceeded::Cpu(self.budget).into());
        }
        Ok(UpdateDeadline::Yield(1))
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

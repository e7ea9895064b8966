//! Warm instances: a client's guest instance kept for that client's next call.
//!
//! Threat: what a guest keeps from one call to the next (its heap, its
//! globals, a handle it holds) reaching a call it must not see, or an
//! instance left broken by a trap, a limit or a deadline carrying on.
//!
//! Default: an instance is kept for at most [`DEFAULT_CALLS`] calls of the
//! client it was made for, never another (a client is one module with one
//! set of settings and secrets), and serves one call at a time. An instance
//! belongs to the client whose policy its store holds: one `Arc<Policy>` per
//! `Client`, kept alive by the store, so no other client's policy can share
//! its address. A call that
//! does not return normally (a trap, the memory cap, the CPU limit, the
//! wall-clock deadline) drops its instance; each call starts with a fresh CPU
//! clock, epoch deadline, request ledger, log count and stdio (see
//! `GuestState::begin_call`). The memory cap holds for the instance across
//! its calls, so a guest that leaks is stopped and replaced, not grown. At
//! most as many instances are kept idle as may run at once (the oldest idle
//! one goes first); the pool has a slot for each. `--fresh-instances` (calls
//! = 0) makes every call a fresh instance, as before.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use wasmtime::component::Instance;
use wasmtime::Store;

use crate::egress::Policy;
use crate::state::GuestState;

/// Calls one instance serves before it is replaced by a fresh one.
pub const DEFAULT_CALLS: u32 = 1000;

/// A store and, once instantiated, its instance; how many calls it has served.
pub struct Warm {
    pub store: Store<GuestState>,
    pub instance: Option<Instance>,
    pub calls: u32,
}

/// Idle warm instances, most recently used last.
pub struct Idle {
    max_calls: u32,
    max_idle: usize,
    idle: Mutex<VecDeque<Warm>>,
}

impl Idle {
    /// Keeps up to `max_idle` instances, each for up to `max_calls` calls (0: none).
    pub fn new(max_calls: u32, max_idle: usize) -> Idle {
        Idle { max_calls, max_idle, idle: Mutex::new(VecDeque::new()) }
    }

    /// The most recently used idle instance made with `policy` (its client's), if any.
    pub fn take(&self, policy: &Arc<Policy>) -> Option<Warm> {
        let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
        let at = idle.iter().rposition(|w| Arc::ptr_eq(&w.store.data().policy, policy))?;
        idle.remove(at)
    }

    /// Keeps `warm` for its client's next call, unless it has served its
    /// calls; the oldest idle instance makes room if need be. Whatever is not
    /// kept is dropped outside the lock (dropping a store resets its memory).
    pub fn put(&self, warm: Warm) {
        if warm.calls >= self.max_calls || self.max_idle == 0 {
            return;
        }
        let evicted = {
            let mut idle = self.idle.lock().unwrap_or_else(|p| p.into_inner());
            let evicted = if idle.len() >= self.max_idle { idle.pop_front() } else { None };
            idle.push_back(warm);
            evicted
        };
        drop(evicted);
    }
}

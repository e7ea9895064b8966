//! The per-call store state. The host side of the WIT imports (in `bindings`,
//! one per contract version) hands off to it and to the capability modules
//! (`egress`, `guest_log`).

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::egress::{Egress, EgressError, Exchange, Inbound, Ledger, Outbound, Policy};
use crate::guest_log::{self, CappedPipe, GuestLog};
use crate::limits::{CpuClock, MemoryCap};

pub struct GuestState {
    /// Made on first use: a Rust guest's `perform` touches no WASI, and making
    /// the context (random generators seeded by a system call) was 2% of a
    /// fresh instance's instructions.
    wasi: Option<WasiCtx>,
    table: ResourceTable,
    pub memory: MemoryCap,
    pub cpu: Arc<CpuClock>,
    pub egress: Arc<Egress>,
    pub policy: Arc<Policy>,
    pub exchanges: Vec<Exchange>,
    pub ledger: Ledger,
    pub log: GuestLog,
    pub stdout: CappedPipe,
    pub stderr: CappedPipe,
    /// True while the guest waits in a host call (HTTP, the rate budget).
    pub in_host: bool,
}

impl GuestState {
    pub fn new(egress: Arc<Egress>, policy: Arc<Policy>, limits: &crate::limits::Limits) -> Self {
        GuestState {
            wasi: None,
            table: ResourceTable::new(),
            memory: MemoryCap::new(limits.memory_bytes),
            cpu: Arc::new(CpuClock::new(limits.cpu)),
            egress,
            policy,
            exchanges: Vec::new(),
            ledger: Ledger::default(),
            log: GuestLog::default(),
            stdout: CappedPipe::new(guest_log::STDIO_CAPACITY),
            stderr: CappedPipe::new(guest_log::STDIO_CAPACITY),
            in_host: false,
        }
    }

    /// What each call starts afresh, on a fresh instance or a warm one (see
    /// `warm`): the CPU clock, the request ledger, the log count and the
    /// exchanges (stdio is emptied by `flush_stdio` after every call). The
    /// memory cap and the guest's own state carry over.
    pub fn begin_call(&mut self, limits: &crate::limits::Limits) {
        self.cpu = Arc::new(CpuClock::new(limits.cpu));
        self.exchanges.clear();
        self.ledger = Ledger::default();
        self.log = GuestLog::default();
        self.in_host = false;
    }

    pub fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    pub fn random(&mut self) -> &mut wasmtime_wasi::random::WasiRandomCtx {
        self.ctx().ctx.random()
    }

    /// Forwards captured stdio to the log; returns what the guest said about
    /// a failure (stderr, and a panic it logged), redacted, for error messages.
    pub fn flush_stdio(&mut self) -> String {
        let out = self.stdout.take();
        let err = self.stderr.take();
        self.log.emit_stdio(&self.policy, "stdout", &out);
        self.log.emit_stdio(&self.policy, "stderr", &err);
        self.log.finish(&self.policy);
        let mut said = String::from_utf8_lossy(&err).into_owned();
        if let Some(panic) = self.log.panic.take() {
            said.push('\n');
            said.push_str(&panic);
        }
        self.policy.redact(&said)
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        let ctx = self.wasi.get_or_insert_with(|| wasi_ctx(&self.stdout, &self.stderr));
        WasiCtxView { ctx, table: &mut self.table }
    }
}

/// No preopens, no environment, no arguments, no network: the WASI context
/// only backs what Rust's std and the JavaScript runtimes link (stdio,
/// clocks, randomness).
fn wasi_ctx(stdout: &CappedPipe, stderr: &CappedPipe) -> WasiCtx {
    WasiCtx::builder()
        .stdout(stdout.clone())
        .stderr(stderr.clone())
        .allow_tcp(false)
        .allow_udp(false)
        .allow_ip_name_lookup(false)
        .build()
}

impl GuestState {
    /// `http.send`, whatever the contract version: egress, with the CPU clock
    /// stopped and the exchange's summary kept.
    pub async fn send_outbound(&mut self, outbound: Outbound) -> Result<Inbound, EgressError> {
        self.in_host = true;
        self.cpu.enter_host();
        let (exchange, result) = self.egress.send(&self.policy, outbound, &mut self.ledger).await;
        self.cpu.leave_host();
        self.in_host = false;
        self.exchanges.push(exchange);
        result
    }
}

//! The per-call store state, and the host side of the WIT imports: each import
//! hands off to its capability module (`egress`, `guest_log`).

use std::sync::Arc;

use wasmtime::component::ResourceTable;
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};

use crate::bindings::v0_1_0::{http, log, types};
use crate::egress::{Egress, EgressError, Exchange, Ledger, Outbound, Policy};
use crate::guest_log::{self, CappedPipe, GuestLog, Level};
use crate::limits::{CpuClock, MemoryCap};

pub struct GuestState {
    wasi: WasiCtx,
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
        let stdout = CappedPipe::new(guest_log::STDIO_CAPACITY);
        let stderr = CappedPipe::new(guest_log::STDIO_CAPACITY);
        // No preopens, no environment, no arguments, no network: the WASI
        // context only backs what Rust's std links (stdio, clocks, randomness).
        let wasi = WasiCtx::builder()
            .stdout(stdout.clone())
            .stderr(stderr.clone())
            .allow_tcp(false)
            .allow_udp(false)
            .allow_ip_name_lookup(false)
            .build();
        GuestState {
            wasi,
            table: ResourceTable::new(),
            memory: MemoryCap::new(limits.memory_bytes),
            cpu: Arc::new(CpuClock::new(limits.cpu)),
            egress,
            policy,
            exchanges: Vec::new(),
            ledger: Ledger::default(),
            log: GuestLog::default(),
            stdout,
            stderr,
            in_host: false,
        }
    }

    pub fn table(&mut self) -> &mut ResourceTable {
        &mut self.table
    }

    pub fn random(&mut self) -> &mut wasmtime_wasi::random::WasiRandomCtx {
        self.wasi.random()
    }

    /// Forwards captured stdio to the log; returns stderr for error messages.
    pub fn flush_stdio(&mut self) -> String {
        let out = self.stdout.contents();
        let err = self.stderr.contents();
        self.log.emit_stdio(&self.policy, "stdout", &out);
        self.log.emit_stdio(&self.policy, "stderr", &err);
        self.log.finish(&self.policy);
        self.policy.redact(&String::from_utf8_lossy(&err))
    }
}

impl WasiView for GuestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView { ctx: &mut self.wasi, table: &mut self.table }
    }
}

impl types::Host for GuestState {}

impl http::Host for GuestState {
    async fn send(&mut self, req: http::Request) -> Result<http::Response, http::HttpError> {
        let outbound = Outbound {
            method: match req.method {
                http::Method::Get => ::http::Method::GET,
                http::Method::Head => ::http::Method::HEAD,
                http::Method::Post => ::http::Method::POST,
                http::Method::Put => ::http::Method::PUT,
                http::Method::Patch => ::http::Method::PATCH,
                http::Method::Delete => ::http::Method::DELETE,
            },
            url: req.url,
            headers: req.headers,
            body: req.body,
            auth: req.auth,
        };
        self.in_host = true;
        self.cpu.enter_host();
        let (exchange, result) = self.egress.send(&self.policy, outbound, &mut self.ledger).await;
        self.cpu.leave_host();
        self.in_host = false;
        self.exchanges.push(exchange);
        match result {
            Ok(r) => Ok(http::Response { status: r.status, headers: r.headers, body: r.body }),
            Err(e) => Err(match e {
                EgressError::Denied(m) => http::HttpError::Denied(m),
                EgressError::Invalid(m) => http::HttpError::Invalid(m),
                EgressError::RateLimited(m) => http::HttpError::RateLimited(m),
                EgressError::Timeout(m) => http::HttpError::Timeout(m),
                EgressError::TooLarge(m) => http::HttpError::TooLarge(m),
                EgressError::Transport(m) => http::HttpError::Transport(m),
            }),
        }
    }
}

impl log::Host for GuestState {
    async fn log(&mut self, level: log::Level, message: String) {
        let level = match level {
            log::Level::Trace => Level::Trace,
            log::Level::Debug => Level::Debug,
            log::Level::Info => Level::Info,
            log::Level::Warn => Level::Warn,
            log::Level::Error => Level::Error,
        };
        self.log.emit(&self.policy, level, &message);
    }
}

//! Guest logging: the `log` import and whatever the guest writes to stdout or
//! stderr.
//!
//! Threat: a guest floods the operator's logs, or logs something it learned
//! from an API response that echoes a secret. Default: messages become
//! `tracing` events under the target `sluice::guest`, tagged with the module;
//! each is cut to 2 KiB, a call keeps at most 200, secret values (and their
//! encodings) are replaced with `[redacted]` and control characters escaped
//! (a line break cannot forge a log line) before anything is emitted. stdout and stderr are
//! captured in memory (64 KiB each), never inherited, and emitted the same way
//! after the call; a panic message found there, or logged at error level (a
//! guest without WASI has no stderr: the Rust SDK logs its panics), becomes
//! part of the `guest` error.

use crate::egress::Policy;

pub const MAX_MESSAGE: usize = 2048;
pub const MAX_MESSAGES: usize = 200;
pub const STDIO_CAPACITY: usize = 64 << 10;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Trace,
    Debug,
    Info,
    Warn,
    Error,
}

#[derive(Debug, Default)]
pub struct GuestLog {
    emitted: usize,
    dropped: usize,
    /// The first message logged at error level as std words a panic
    /// ("panicked at <file:line:col>:"), kept for the `guest` error.
    pub panic: Option<String>,
}

impl GuestLog {
    pub fn emit(&mut self, policy: &Policy, level: Level, message: &str) {
        if level == Level::Error && self.panic.is_none() && message.starts_with("panicked at ") {
            self.panic = Some(truncate(message, MAX_MESSAGE));
        }
        if self.emitted >= MAX_MESSAGES {
            self.dropped += 1;
            return;
        }
        self.emitted += 1;
        let text = crate::printable::escape(&truncate(&policy.redact(message), MAX_MESSAGE)).into_owned();
        let module = policy.module.as_str();
        match level {
            Level::Trace => tracing::trace!(target: "sluice::guest", module, "{text}"),
            Level::Debug => tracing::debug!(target: "sluice::guest", module, "{text}"),
            Level::Info => tracing::info!(target: "sluice::guest", module, "{text}"),
            Level::Warn => tracing::warn!(target: "sluice::guest", module, "{text}"),
            Level::Error => tracing::error!(target: "sluice::guest", module, "{text}"),
        }
    }

    /// Emits captured stdout/stderr, one event per line.
    pub fn emit_stdio(&mut self, policy: &Policy, stream: &str, bytes: &[u8]) {
        for line in String::from_utf8_lossy(bytes).lines().filter(|l| !l.trim().is_empty()) {
            self.emit(policy, Level::Info, &format!("[{stream}] {line}"));
        }
    }

    pub fn finish(&self, policy: &Policy) {
        if self.dropped > 0 {
            tracing::warn!(target: "sluice::guest", module = policy.module.as_str(), "{} more log messages dropped", self.dropped);
        }
    }
}

pub fn truncate(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_string();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}… ({} bytes cut)", &s[..end], s.len() - end)
}

/// A guest's stdout or stderr: kept in memory up to a capacity, the rest
/// dropped. Unlike wasmtime's `MemoryOutputPipe`, a full pipe neither traps
/// nor closes, so a chatty guest is not mistaken for a broken one.
#[derive(Debug, Clone)]
pub struct CappedPipe {
    capacity: usize,
    buffer: std::sync::Arc<std::sync::Mutex<Vec<u8>>>,
}

impl CappedPipe {
    pub fn new(capacity: usize) -> Self {
        CappedPipe { capacity, buffer: Default::default() }
    }

    /// What was written since the last take, leaving the pipe empty.
    pub fn take(&self) -> Vec<u8> {
        self.buffer.lock().map(|mut b| std::mem::take(&mut *b)).unwrap_or_default()
    }

    fn keep(&self, bytes: &[u8]) {
        if let Ok(mut buf) = self.buffer.lock() {
            let room = self.capacity.saturating_sub(buf.len());
            buf.extend_from_slice(&bytes[..bytes.len().min(room)]);
        }
    }
}

impl wasmtime_wasi::cli::IsTerminal for CappedPipe {
    fn is_terminal(&self) -> bool {
        false
    }
}

impl wasmtime_wasi::cli::StdoutStream for CappedPipe {
    fn p2_stream(&self) -> Box<dyn wasmtime_wasi::p2::OutputStream> {
        Box::new(self.clone())
    }
    fn async_stream(&self) -> Box<dyn tokio::io::AsyncWrite + Send + Sync> {
        Box::new(self.clone())
    }
}

#[wasmtime_wasi::async_trait]
impl wasmtime_wasi::p2::Pollable for CappedPipe {
    async fn ready(&mut self) {}
}

impl wasmtime_wasi::p2::OutputStream for CappedPipe {
    fn write(&mut self, bytes: bytes::Bytes) -> Result<(), wasmtime_wasi::p2::StreamError> {
        self.keep(&bytes);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), wasmtime_wasi::p2::StreamError> {
        Ok(())
    }
    fn check_write(&mut self) -> Result<usize, wasmtime_wasi::p2::StreamError> {
        Ok(64 << 10)
    }
}

impl tokio::io::AsyncWrite for CappedPipe {
    fn poll_write(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        self.keep(buf);
        std::task::Poll::Ready(Ok(buf.len()))
    }
    fn poll_flush(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: std::pin::Pin<&mut Self>, _: &mut std::task::Context<'_>) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

//! The service's Prometheus metrics (`GET /metrics`).

use prometheus::{Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry, TextEncoder};

pub struct Metrics {
    registry: Registry,
    pub received: IntCounter,
    pub accepted: IntCounter,
    pub duplicates: IntCounter,
    pub rejected: IntCounterVec,
    pub queued: IntGaugeVec,
    pub delivered: IntCounterVec,
    pub retried: IntCounterVec,
    pub dead_lettered: IntCounterVec,
    pub latency: HistogramVec,
    pub budget_waiting: IntGaugeVec,
    pub store_bytes: IntGaugeVec,
}

fn must<T>(r: prometheus::Result<T>) -> T {
    r.expect("metric definitions are static and valid")
}

impl Metrics {
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            let c = must(IntCounter::new(name, help));
            must(registry.register(Box::new(c.clone())));
            c
        };
        let counters = |name: &str, help: &str, labels: &[&str]| {
            let c = must(IntCounterVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(c.clone())));
            c
        };
        let gauges = |name: &str, help: &str, labels: &[&str]| {
            let g = must(IntGaugeVec::new(Opts::new(name, help), labels));
            must(registry.register(Box::new(g.clone())));
            g
        };
        let latency = must(HistogramVec::new(
            HistogramOpts::new("sluice_delivery_seconds", "From acceptance to delivery, per destination")
                .buckets(vec![0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 3600.0]),
            &["destination"],
        ));
        must(registry.register(Box::new(latency.clone())));
        Metrics {
            received: counter("sluice_events_received_total", "Messages received over the tracking API"),
            accepted: counter("sluice_events_accepted_total", "Messages committed to the store"),
            duplicates: counter("sluice_events_duplicate_total", "Messages skipped: messageId seen within the dedup window"),
            rejected: counters("sluice_requests_rejected_total", "Requests refused, by reason", &["reason"]),
            queued: gauges("sluice_queued", "Jobs waiting or in flight, per destination", &["destination"]),
            delivered: counters("sluice_delivered_total", "Payloads the destination accepted", &["destination"]),
            retried: counters("sluice_retried_total", "Deliveries scheduled again", &["destination"]),
            dead_lettered: counters("sluice_dead_lettered_total", "Payloads given up on", &["destination"]),
            latency,
            budget_waiting: gauges("sluice_budget_waiting", "Requests waiting for their client's rate budget", &["destination"]),
            store_bytes: gauges("sluice_store_bytes", "Bytes of the store on disk", &["store"]),
            registry,
        }
    }

    pub fn render(&self) -> String {
        let mut out = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut out);
        String::from_utf8(out).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

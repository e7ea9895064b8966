//! Deliberately hostile guests, the secret rules and the allowlist. Each
//! attempt is contained with the right error, nothing reaches the network,
//! and the host carries on serving other calls.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sluice::secrets::Settings;
use sluice::{Kind, Runtime};
use support::{component, runtime_with, Recorder};

const API: &str = "https://api.hostile.test";
const SECRET: &str = "s3cr3t-key-do-not-leak";

async fn setup() -> (Runtime, Recorder) {
    let server = Recorder::start().await;
    let rt = runtime_with(vec![server.route(API)], |o| {
        o.limits.cpu = Duration::from_millis(200);
        o.limits.memory_bytes = 32 << 20;
    });
    (rt, server)
}

async fn call(rt: &Runtime, action: &str) -> (Result<String, sluice::Error>, Vec<sluice::egress::Exchange>) {
    call_with(rt, action, json!({})).await
}

async fn call_with(rt: &Runtime, action: &str, payload: Value) -> (Result<String, sluice::Error>, Vec<sluice::egress::Exchange>) {
    let module = rt.load_path(&component("sluice-hostile")).await.expect("load hostile");
    let settings = Settings::split(&module.description, &json!({"apiKey": SECRET, "region": "eu"})).unwrap();
    let call = rt.perform(&rt.client(module, &settings), action, &payload).await;
    (call.result.map(|o| o.body), call.exchanges)
}

async fn expect_error(rt: &Runtime, action: &str, kind: Kind, needle: &str) -> sluice::Error {
    let (result, _) = call(rt, action).await;
    let err = result.expect_err(action);
    assert_eq!(err.kind, kind, "{action}: {}", err.message);
    assert!(err.message.contains(needle), "{action}: {:?} lacks {needle:?}", err.message);
    assert!(!err.message.contains(SECRET));
    err
}

#[tokio::test]
async fn an_infinite_loop_hits_the_cpu_deadline() {
    let (rt, _s) = setup().await;
    let started = Instant::now();
    expect_error(&rt, "loop", Kind::Guest, "CPU time").await;
    assert!(started.elapsed() < Duration::from_secs(10));
}

#[tokio::test]
async fn a_memory_hog_hits_the_memory_cap() {
    let (rt, _s) = setup().await;
    expect_error(&rt, "hog", Kind::Guest, "memory").await;
}

#[tokio::test]
async fn a_panic_is_a_guest_error_with_its_message() {
    let (rt, _s) = setup().await;
    expect_error(&rt, "panic", Kind::Guest, "hostile guest gives up").await;
}

#[tokio::test]
async fn the_host_carries_on_after_each_failure() {
    let (rt, server) = setup().await;
    for bad in ["loop", "hog", "panic"] {
        assert!(call(&rt, bad).await.0.is_err());
        let (ok, _) = call(&rt, "ok").await;
        ok.unwrap_or_else(|e| panic!("ok after {bad}: {e}"));
    }
    assert_eq!(server.take().len(), 3);
}

#[tokio::test]
async fn concurrent_calls_survive_a_runaway_neighbour() {
    let (rt, server) = setup().await;
    let rt = std::sync::Arc::new(rt);
    let looping = tokio::spawn({
        let rt = rt.clone();
        async move { call(&rt, "loop").await.0 }
    });
    for _ in 0..5 {
        call(&rt, "ok").await.0.expect("ok while another call loops");
    }
    assert!(looping.await.unwrap().is_err());
    assert_eq!(server.take().len(), 5);
}

#[tokio::test]
async fn undeclared_hosts_are_denied() {
    let (rt, server) = setup().await;
    expect_error(&rt, "undeclared", Kind::Egress, "https://evil.example.com").await;
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn private_and_loopback_addresses_are_denied_even_when_declared() {
    let (rt, _s) = setup().await;
    expect_error(&rt, "private-ip", Kind::Egress, "private").await;
    expect_error(&rt, "loopback", Kind::Egress, "private").await;
}

#[tokio::test]
async fn a_secret_is_only_sent_to_its_bindings_hosts() {
    let (rt, server) = setup().await;
    let err = expect_error(&rt, "exfiltrate", Kind::Egress, "may not send secret 'apiKey'").await;
    assert!(err.message.contains("https://collector.hostile.test"));
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_guest_cannot_set_credential_headers() {
    let (rt, server) = setup().await;
    expect_error(&rt, "forge-auth", Kind::Egress, "'authorization'").await;
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_guest_never_sees_the_secret() {
    let (rt, _s) = setup().await;
    let (result, _) = call(&rt, "snoop").await;
    let seen: Value = serde_json::from_str(&result.expect("snoop")).unwrap();
    assert_eq!(seen["settings"], json!({"region": "eu"}), "only public settings reach the guest");
    assert_eq!(seen["env"], json!([]), "no environment");
    assert_eq!(seen["args"], json!([]), "no arguments");
    assert!(!seen.to_string().contains(SECRET));
}

#[tokio::test]
async fn the_host_adds_the_secret_and_redacts_it_everywhere_else() {
    let (rt, server) = setup().await;
    // The API echoes the key back; the guest must get it redacted.
    server.answer_with(200, &format!(r#"{{"echo":"Bearer {SECRET}"}}"#));
    let (result, exchanges) = call(&rt, "ok").await;
    assert!(!result.expect("ok").contains(SECRET));
    let sent = server.take();
    assert_eq!(sent[0].header("authorization"), Some(format!("Bearer {SECRET}").as_str()));
    let shown = serde_json::to_string(&exchanges).unwrap();
    assert!(!shown.contains(SECRET) && shown.contains("[redacted]"), "{shown}");
}

#[tokio::test]
async fn a_component_that_imports_the_filesystem_is_refused_at_load() {
    // A component whose only import is wasi:filesystem/preopens.
    let wat = r#"(component
        (import "wasi:filesystem/preopens@0.2.0" (instance
            (export "get-directories" (func (result (list u32))))
        ))
    )"#;
    let dir = support::root().join("target/test-modules");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("fs-importer.wasm");
    std::fs::write(&path, wat::parse_str(wat).unwrap()).unwrap();
    let (rt, _s) = setup().await;
    let err = rt.load_path(&path).await.err().expect("refused");
    assert_eq!(err.kind, Kind::Config);
    assert!(err.message.contains("wasi:filesystem/preopens"), "{}", err.message);
}

async fn with_egress_limits(limits: sluice::egress::Limits) -> (Runtime, Recorder) {
    let server = Recorder::start().await;
    let mut opts = sluice::Options::new(sluice::egress::Egress::new(vec![server.route(API)], limits, false));
    opts.cache_dir = Some(support::cache_dir());
    (Runtime::new(opts).unwrap(), server)
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let (rt, server) = setup().await;
    server.answer(support::Answer {
        status: 302,
        body: String::new(),
        headers: vec![("location".into(), "https://evil.example.com/".into())],
        delay: Duration::ZERO,
    });
    let err = expect_error(&rt, "ok", Kind::Rejected, "302").await;
    assert_eq!(err.status, Some(302));
    assert_eq!(server.take().len(), 1, "only the first request was made");
}

#[tokio::test]
async fn a_slow_api_times_out_as_retryable() {
    let limits = sluice::egress::Limits { request_timeout: Duration::from_millis(300), ..Default::default() };
    let (rt, server) = with_egress_limits(limits).await;
    server.answer(support::Answer { status: 200, body: "{}".into(), headers: vec![], delay: Duration::from_secs(5) });
    expect_error(&rt, "ok", Kind::Retryable, "did not answer within").await;
}

#[tokio::test]
async fn an_oversized_response_is_cut_off() {
    let limits = sluice::egress::Limits { max_response_bytes: 1024, ..Default::default() };
    let (rt, server) = with_egress_limits(limits).await;
    server.answer_with(200, &"x".repeat(4096));
    expect_error(&rt, "ok", Kind::Egress, "larger than 1024 bytes").await;
}

#[tokio::test]
async fn url_tricks_do_not_get_around_the_allowlist() {
    let (rt, server) = setup().await;
    for (url, needle) in [
        ("https://api.hostile.test@evil.example.com/", "may not reach https://evil.example.com"),
        ("https://api.hostile.test./x", "may not reach https://api.hostile.test."),
        ("http://api.hostile.test/x", "may not reach http://api.hostile.test"),
        ("https://api.hostile.test:8443/x", "may not reach https://api.hostile.test:8443"),
        ("https://localhost/x", "private address"),
        ("https://[::ffff:127.0.0.1]/x", "private address"),
        ("https://[::1]/x", "private address"),
    ] {
        let (result, _) = call_with(&rt, "fetch", json!({"url": url})).await;
        let err = result.expect_err(url);
        assert_eq!(err.kind, Kind::Egress, "{url}: {}", err.message);
        assert!(err.message.contains(needle), "{url}: {:?} lacks {needle:?}", err.message);
    }
    assert!(server.seen().is_empty());
    // Case and an explicit default port name the same origin, so they are allowed.
    for url in ["https://API.Hostile.TEST/ok", "https://api.hostile.test:443/ok"] {
        call_with(&rt, "fetch", json!({"url": url})).await.0.unwrap_or_else(|e| panic!("{url}: {e}"));
    }
    assert_eq!(server.take().len(), 2);
}

#[tokio::test]
async fn a_chatty_guest_is_not_a_broken_one() {
    let (rt, server) = setup().await;
    call(&rt, "chatty").await.0.expect("200 KiB of stdout is truncated, not fatal");
    assert_eq!(server.take().len(), 1);
}

#[tokio::test]
async fn a_call_may_make_only_so_many_requests() {
    let (rt, _s) = setup().await;
    let (result, exchanges) = call(&rt, "flood").await;
    let err = result.expect_err("flood stops");
    assert_eq!(err.kind, Kind::Egress);
    assert!(err.message.contains("more than 1000 requests in one call"), "{}", err.message);
    assert!(exchanges.len() <= 1001);
}

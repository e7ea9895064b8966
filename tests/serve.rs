//! `sluice serve` as a process, with the official Segment clients as its
//! clients and loopback stand-ins for both APIs: everything acknowledged is
//! delivered, across kill -9, API faults and dead-letter redrives; bad input
//! gets its status and the server stays up; live traffic and a replay share
//! Talon.One's budget.

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, Read, Write};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::{root, Answer, Recorder, Seen};

const KEY: &str = "wk-serve-test";
const TOPLYNE: &str = "https://api.toplyne.io";
const TALON: &str = "https://integration.talon.one";

fn modules_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| support::modules_dir("serve")).clone()
}

struct Server {
    child: Child,
    addr: String,
    name: String,
    config: std::path::PathBuf,
    routes: Vec<String>,
    modules: std::path::PathBuf,
}

impl Server {
    /// Writes a config (`[server]` plus `destinations`) and starts `sluice serve` on a free port.
    fn start(name: &str, destinations: &str, routes: Vec<String>) -> Server {
        Self::start_in(name, destinations, routes, modules_dir())
    }

    /// With its own modules folder (which the test may change under it).
    fn start_in(name: &str, destinations: &str, routes: Vec<String>, modules: std::path::PathBuf) -> Server {
        Self::start_with(name, "", destinations, routes, modules)
    }

    /// With more `[server]` lines (a shared store, say).
    fn start_with(name: &str, server: &str, destinations: &str, routes: Vec<String>, modules: std::path::PathBuf) -> Server {
        let dir = root().join("target/test-serve").join(name);
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("sluice.toml");
        std::fs::write(
            &config,
            format!(
                "[server]\nlisten = \"127.0.0.1:0\"\ndata_dir = \"{}\"\nwrite_keys = [\"{KEY}\"]\nconcurrency = 8\n{server}\n\n{destinations}",
                dir.join("data").display()
            ),
        )
        .unwrap();
        Self::spawn(name, config, routes, modules)
    }

    fn spawn(name: &str, config: std::path::PathBuf, routes: Vec<String>, modules: std::path::PathBuf) -> Server {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
        cmd.args(["serve", "--config", config.to_str().unwrap()]);
        for r in &routes {
            cmd.args(["--route", r]);
        }
        let mut child = cmd
            .env("SLUICE_MODULES", &modules)
            .env("SLUICE_CACHE_DIR", support::cache_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start sluice serve");
        let mut first = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap()).read_line(&mut first).unwrap();
        let line: Value = serde_json::from_str(&first).unwrap_or_else(|e| panic!("serve did not start ({e}): {first:?}"));
        let addr = line["listening"].as_str().unwrap().to_string();
        Server { child, addr, name: name.into(), config, routes, modules }
    }

    fn restart(mut self) -> Server {
        let _ = self.child.kill();
        let _ = self.child.wait();
        Self::spawn(&self.name.clone(), self.config.clone(), self.routes.clone(), self.modules.clone())
    }

    fn data_dir(&self) -> std::path::PathBuf {
        root().join("target/test-serve").join(&self.name).join("data")
    }

    fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
        post(&self.addr, path, headers, body)
    }

    fn batch(&self, messages: &[Value]) -> (u16, Value) {
        let body = json!({"batch": messages}).to_string();
        self.post("/v1/batch", &[("authorization", &basic(&format!("{KEY}:")))], body.as_bytes())
    }

    fn stop(mut self) {
        let _ = Command::new("kill").args(["-TERM", &self.child.id().to_string()]).status();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn basic(userpass: &str) -> String {
    use base64::Engine as _;
    format!("Basic {}", base64::engine::general_purpose::STANDARD.encode(userpass))
}

/// A minimal HTTP/1.1 client: one request per connection.
fn post(addr: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> (u16, Value) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    let mut head = format!("POST {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\ncontent-length: {}\r\n", body.len());
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    let text = String::from_utf8_lossy(&out);
    let status: u16 = text.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    let body = text.split_once("\r\n\r\n").map(|(_, b)| b).unwrap_or("");
    (status, serde_json::from_str(body).unwrap_or(Value::Null))
}

fn get(addr: &str, path: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.write_all(format!("GET {path} HTTP/1.1\r\nhost: {addr}\r\nconnection: close\r\n\r\n").as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let status = out.split(' ').nth(1).and_then(|c| c.parse().ok()).unwrap_or(0);
    (status, out.split_once("\r\n\r\n").map(|(_, b)| b.to_string()).unwrap_or_default())
}

/// A sample from `/metrics` (0 when absent).
fn metric(addr: &str, name: &str) -> f64 {
    let (_, text) = get(addr, "/metrics");
    text.lines().find_map(|l| l.strip_prefix(name).and_then(|v| v.trim().parse().ok())).unwrap_or(0.0)
}

/// The user ids the stand-in saw, each with how many times.
fn users_seen(seen: &[Seen]) -> BTreeMap<String, usize> {
    let mut out = BTreeMap::new();
    for s in seen {
        let body = s.json();
        let list = ["events", "profiles", "accounts"].iter().find_map(|k| body[*k].as_array().cloned());
        match list {
            Some(list) => {
                for r in list {
                    let id = r["userId"].as_str().or(r["anonymousId"].as_str()).or(r["accountId"].as_str()).unwrap_or("?");
                    *out.entry(id.to_string()).or_default() += 1;
                }
            }
            None => *out.entry(body["customerProfileId"].as_str().unwrap_or("?").to_string()).or_default() += 1,
        }
    }
    out
}

/// One server test at a time: the budget's pace and the kill -9 timing are
/// about one process, not about sharing two cores with the other tests.
fn exclusive() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|p| p.into_inner())
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

const TOPLYNE_PRESETS: &str = "[[destination]]\nname = \"toplyne\"\nmodule = \"toplyne\"\npresets = true\nsettings = { apiKey = \"k-toplyne\" }\n";
const TALON_TRACK: &str = "[[destination]]\nname = \"talon\"\nmodule = \"talon-one\"\n\
settings = { apiKey = \"k-talon\", deployment = \"https://acme.europe-west1.talon.one\" }\n\
[[destination.mapping]]\nsubscribe = 'type = \"track\"'\naction = \"trackEventV2\"\n";

fn track(i: usize) -> Value {
    json!({"type": "track", "event": "Order Completed", "userId": format!("u{i}"), "messageId": format!("m{i}"),
           "timestamp": "2023-02-22T15:21:15.449Z", "properties": {"n": i}})
}

#[test]
fn the_official_clients_post_and_every_event_arrives() {
    let _one_at_a_time = exclusive();
    let clients = root().join("tests/clients");
    assert!(
        clients.join("node_modules/@segment/analytics-node").exists(),
        "run `npm ci --prefix tests/clients` (.ci/run does) to install @segment/analytics-node"
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    let server = Server::start(
        "clients",
        &format!("{TOPLYNE_PRESETS}\n{TALON_TRACK}"),
        vec![format!("{TOPLYNE}={}", api.url()), format!("{TALON}={}", api.url())],
    );
    let host = format!("http://{}", server.addr);
    let node = Command::new("node").arg(clients.join("node-client.js")).args([&host, KEY, "node", "25"]).output().unwrap();
    assert!(node.status.success(), "analytics-node: {}", String::from_utf8_lossy(&node.stderr));
    let python = Command::new("python3").arg(clients.join("python-client.py")).args([&host, KEY, "py", "25"]).output().unwrap();
    assert!(
        python.status.success(),
        "analytics-python (pip install segment-analytics-python; .ci/run does): {}",
        String::from_utf8_lossy(&python.stderr)
    );
    // Each client: 25 identify (Toplyne profiles) and 25 track (Toplyne events and Talon.One).
    wait_for("every client event at the stand-in APIs", Duration::from_secs(60), || {
        users_seen(&api.seen()).iter().filter(|(u, _)| u.starts_with("node-") || u.starts_with("py-")).map(|(_, n)| n).sum::<usize>() >= 150
    });
    let seen = api.seen();
    let users = users_seen(&seen);
    for prefix in ["node", "py"] {
        for i in 0..25 {
            assert_eq!(users.get(&format!("{prefix}-{i}")), Some(&3), "{prefix}-{i}: identify, track to Toplyne, track to Talon.One");
        }
    }
    // The client's clock skew correction and its library context arrived.
    let profile = seen.iter().find(|s| s.path == "/v1/upload/users/profiles").unwrap().json();
    assert!(profile["profiles"][0]["userId"].as_str().is_some());
    server.stop();
}

#[test]
fn bad_input_gets_its_status_and_the_server_stays_up() {
    let _one_at_a_time = exclusive();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    let server = Server::start("bad-input", TOPLYNE_PRESETS, vec![format!("{TOPLYNE}={}", api.url())]);
    let auth = basic(&format!("{KEY}:"));
    let a = [("authorization", auth.as_str())];
    let cases: Vec<(&str, Vec<(&str, &str)>, Vec<u8>, u16, &str)> = vec![
        ("/v1/track", vec![], br#"{"event":"E","userId":"u"}"#.to_vec(), 401, "unauthorized"),
        ("/v1/track", vec![("authorization", "Basic bm9wZTo=")], br#"{"event":"E","userId":"u"}"#.to_vec(), 401, "unauthorized"),
        ("/v1/track", a.to_vec(), b"{not json".to_vec(), 400, "invalid_json"),
        ("/v1/track", a.to_vec(), br#"{"userId":"u"}"#.to_vec(), 400, "missing_event"),
        ("/v1/batch", a.to_vec(), br#"{"batch":[{"userId":"u"}]}"#.to_vec(), 400, "missing_type"),
        ("/v1/batch", a.to_vec(), format!(r#"{{"batch":[{{"type":"identify","traits":{{"x":"{}"}}}}]}}"#, "y".repeat(40_000)).into_bytes(), 400, "message_too_large"),
        ("/v1/batch", a.to_vec(), vec![b' '; 600_000], 400, "body_too_large"),
        ("/v1/track", [("authorization", auth.as_str()), ("content-encoding", "gzip")].to_vec(), b"not gzip".to_vec(), 400, "invalid_gzip"),
        ("/v1/nope", a.to_vec(), b"{}".to_vec(), 404, "not_found"),
    ];
    for (path, headers, body, status, code) in cases {
        let (got, answer) = server.post(path, &headers, &body);
        assert_eq!((got, answer["code"].as_str()), (status, Some(code)), "{path}: {answer}");
        assert!(answer["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
    // Still up, and the ways a client may authenticate all work: Basic without
    // the colon, writeKey in the body, analytics.js's short paths as text/plain.
    let no_colon = basic(KEY);
    assert_eq!(server.post("/v1/i", &[("authorization", &no_colon), ("content-type", "text/plain")], br#"{"userId":"a"}"#).0, 200);
    assert_eq!(server.post("/v1/track", &[], format!(r#"{{"event":"E","userId":"b","writeKey":"{KEY}"}}"#).as_bytes()).0, 200);
    assert_eq!(server.post("/v1/import/", &a, br#"{"batch":[{"type":"track","event":"E","userId":"c"}]}"#).0, 200);
    // The same messageId twice is stored once.
    assert_eq!(server.batch(&[track(1), track(1)]).0, 200);
    wait_for("deliveries", Duration::from_secs(20), || users_seen(&api.seen()).len() >= 4);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(users_seen(&api.seen()).get("u1"), Some(&1), "deduplicated by messageId");
    let (status, health) = get(&server.addr, "/healthz");
    assert_eq!(status, 200, "{health}");
    let (_, metrics) = get(&server.addr, "/metrics");
    assert!(metrics.contains("sluice_requests_rejected_total{reason=\"unauthorized\"} 2"), "{metrics}");
    assert!(metrics.contains("sluice_events_duplicate_total 1"), "{metrics}");
    server.stop();
}

#[test]
fn kill_9_mid_delivery_loses_nothing() {
    let _one_at_a_time = exclusive();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    api.answer(Answer { delay: Duration::from_millis(150), ..Answer::default() });
    let server = Server::start("kill-9", TOPLYNE_PRESETS, vec![format!("{TOPLYNE}={}", api.url())]);
    let total = 20_000;
    for chunk in (0..total).collect::<Vec<_>>().chunks(2_500) {
        let batch: Vec<Value> = chunk.iter().map(|&i| track(i)).collect();
        assert_eq!(server.batch(&batch).0, 200);
    }
    // Acknowledged: now kill it hard while it delivers (8 requests of 100 in
    // flight, 150 ms each), and start it again.
    wait_for("the first deliveries", Duration::from_secs(10), || !api.seen().is_empty());
    std::thread::sleep(Duration::from_millis(200));
    let before = users_seen(&api.seen()).len();
    assert!(before < total, "still delivering when killed ({before} delivered)");
    let server = server.restart();
    wait_for("all 20,000 events after the restart", Duration::from_secs(120), || users_seen(&api.seen()).len() >= total);
    let users = users_seen(&api.seen());
    let duplicates: usize = users.values().map(|n| n - 1).sum();
    assert_eq!(users.len(), total, "none missing");
    eprintln!("kill -9: {before} delivered before the kill, {duplicates} delivered twice");
    server.stop();
}

#[test]
fn faults_are_retried_and_permanent_failures_dead_lettered_then_redriven() {
    let _one_at_a_time = exclusive();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    let server = Server::start("faults", TALON_TRACK, vec![format!("{TALON}={}", api.url())]);
    // 429 with Retry-After, then 500, then resets: retried until the API recovers.
    api.answer(Answer { status: 429, body: "{}".into(), headers: vec![("retry-after".into(), "1".into())], ..Answer::default() });
    assert_eq!(server.batch(&(0..20).map(track).collect::<Vec<_>>()).0, 200);
    std::thread::sleep(Duration::from_millis(600));
    api.answer_with(500, "{}");
    std::thread::sleep(Duration::from_millis(1200));
    // Connections reset before any answer.
    api.answer(Answer { reset: true, ..Answer::default() });
    std::thread::sleep(Duration::from_millis(1200));
    api.answer(Answer::default());
    wait_for("the retried events", Duration::from_secs(60), || metric(&server.addr, "sluice_delivered_total{destination=\"talon\"}") >= 20.0);
    assert!(metric(&server.addr, "sluice_retried_total{destination=\"talon\"}") >= 20.0, "each was retried");
    assert_eq!(metric(&server.addr, "sluice_dead_lettered_total{destination=\"talon\"}"), 0.0);
    // A 400 is permanent: straight to the dead letters.
    api.take();
    api.answer_with(400, r#"{"message":"bad attribute"}"#);
    assert_eq!(server.batch(&(100..105).map(track).collect::<Vec<_>>()).0, 200);
    let dlq = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
            .arg("dlq")
            .args(args)
            .args(["--data-dir", server.data_dir().to_str().unwrap()])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    wait_for("five dead letters", Duration::from_secs(30), || dlq(&["list"]).lines().count() == 5);
    let first: Value = serde_json::from_str(dlq(&["list"]).lines().next().unwrap()).unwrap();
    assert_eq!(first["status"], json!(400));
    assert_eq!(first["destination"], json!("talon"));
    // Once the API accepts them, a redrive delivers them.
    api.take();
    api.answer_with(200, "{}");
    assert!(dlq(&["redrive", "--all"]).contains("\"redriven\":5"));
    wait_for("the redriven events", Duration::from_secs(30), || api.seen().len() >= 5);
    assert!(dlq(&["list"]).is_empty());
    server.stop();
}

#[test]
fn live_traffic_and_a_replay_share_talon_ones_budget() {
    let _one_at_a_time = exclusive();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    let server = Server::start("budget", TALON_TRACK, vec![format!("{TALON}={}", api.url())]);
    // History to replay, and live traffic arriving at the same time.
    let history = root().join("target/test-serve/budget/history.ndjson");
    let lines: Vec<String> = (1000..1150).map(|i| track(i).to_string()).collect();
    std::fs::write(&history, lines.join("\n")).unwrap();
    let replay = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["replay", "--config", server.config.to_str().unwrap(), "--events", history.to_str().unwrap()])
        .args(["--route", &format!("{TALON}={}", api.url())])
        .env("SLUICE_MODULES", modules_dir())
        .env("SLUICE_CACHE_DIR", support::cache_dir())
        .output()
        .unwrap();
    assert!(replay.status.success(), "{}", String::from_utf8_lossy(&replay.stderr));
    let report: Value = serde_json::from_str(String::from_utf8_lossy(&replay.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(report["delivered_by"], json!("serve"), "the running server delivers the replay");
    assert_eq!(server.batch(&(0..150).map(track).collect::<Vec<_>>()).0, 200);
    wait_for("300 Talon.One requests", Duration::from_secs(30), || api.seen().len() >= 300);
    let mut at: Vec<Instant> = api.seen().iter().map(|s| s.at).collect();
    at.sort();
    for i in 0..at.len() - 60 {
        assert!(at[i + 60] - at[i] >= Duration::from_secs(1), "61 requests within {:?}", at[i + 60] - at[i]);
    }
    // 300 requests at 60/s: the first 60 at once, then 240 at the budget's pace.
    let span = (at[299] - at[0]).as_secs_f64();
    let pace = 240.0 / span;
    assert!(pace >= 0.95 * 60.0 * (1.0 / 1.02), "{pace:.1} requests/s after the first window");
    // Live events were not stuck behind the replay: the last live one arrived before the last replayed one.
    let seen = api.seen();
    let last = |range: std::ops::Range<usize>| {
        seen.iter().filter(|s| range.contains(&s.json()["customerProfileId"].as_str().unwrap()[1..].parse::<usize>().unwrap())).map(|s| s.at).max().unwrap()
    };
    assert!(last(0..150) <= last(1000..1150), "live traffic goes first");
    server.stop();
}

#[test]
fn a_killed_replay_resumes_and_delivers_everything() {
    let _one_at_a_time = exclusive();
    use std::io::Write as _;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    api.answer(Answer { delay: Duration::from_millis(100), ..Answer::default() });
    let dir = root().join("target/test-serve/replay-resume");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("sluice.toml");
    std::fs::write(
        &config,
        format!("[server]\ndata_dir = \"{}\"\nwrite_keys = [\"{KEY}\"]\nconcurrency = 2\n\n{TOPLYNE_PRESETS}", dir.join("data").display()),
    )
    .unwrap();
    // A year of history, gzipped, some of it outside the window asked for.
    let history = dir.join("history.ndjson.gz");
    let mut gz = flate2::write::GzEncoder::new(std::fs::File::create(&history).unwrap(), flate2::Compression::fast());
    for i in 0..3_000 {
        let mut e = track(i);
        e["timestamp"] = json!(if i < 2_500 { "2025-03-01T00:00:00Z" } else { "2024-01-01T00:00:00Z" });
        writeln!(gz, "{e}").unwrap();
    }
    gz.finish().unwrap();
    let replay = || {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_sluice"));
        cmd.args(["replay", "--config", config.to_str().unwrap(), "--events", history.to_str().unwrap()])
            .args(["--since", "2025-01-01T00:00:00Z", "--until", "2026-01-01T00:00:00Z"])
            .args(["--route", &format!("{TOPLYNE}={}", api.url())])
            .env("SLUICE_MODULES", modules_dir())
            .env("SLUICE_CACHE_DIR", support::cache_dir())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        cmd
    };
    // Killed while it delivers (2 requests of 100 in flight, 100 ms each)...
    let mut first = replay().spawn().unwrap();
    wait_for("the first replayed events", Duration::from_secs(20), || !api.seen().is_empty());
    first.kill().unwrap();
    first.wait().unwrap();
    let before = users_seen(&api.seen()).len();
    assert!(before < 2_500, "killed mid-replay ({before} delivered)");
    // ...and run again: it resumes after what it had committed and finishes.
    let out = replay().output().unwrap();
    assert!(out.status.success());
    let report: Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    // It resumes after the last chunk it committed (the kill may land while it
    // still reads), and reads the rest.
    let resumed = report["resumed_after"].as_u64().unwrap();
    assert!(resumed > 0 && resumed <= 3_000 && report["lines"] == json!(3_000), "{report}");
    assert_eq!(report["delivered_by"], json!("replay"));
    let users = users_seen(&api.seen());
    assert_eq!(users.len(), 2_500, "every event in the window, none outside it");
    assert!(users.keys().all(|u| u[1..].parse::<usize>().unwrap() < 2_500));
}

#[test]
fn an_api_that_times_out_is_retried() {
    let _one_at_a_time = exclusive();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    // Longer than the host's 15 s per exchange: the first attempt times out.
    api.answer(Answer { delay: Duration::from_secs(20), ..Answer::default() });
    let server = Server::start("timeout", TALON_TRACK, vec![format!("{TALON}={}", api.url())]);
    assert_eq!(server.batch(&[track(1)]).0, 200);
    wait_for("the first attempt", Duration::from_secs(10), || !api.seen().is_empty());
    api.answer(Answer::default());
    wait_for("the retried event", Duration::from_secs(60), || metric(&server.addr, "sluice_delivered_total{destination=\"talon\"}") >= 1.0);
    assert!(metric(&server.addr, "sluice_retried_total{destination=\"talon\"}") >= 1.0);
    server.stop();
}

#[test]
fn a_new_module_version_is_swapped_in_and_a_broken_one_refused() {
    let _one_at_a_time = exclusive();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    let modules = support::modules_dir("serve-reload");
    let server = Server::start_in("reload", TOPLYNE_PRESETS, vec![format!("{TOPLYNE}={}", api.url())], modules.clone());
    // Records per request: the shipped Toplyne batches ten users' events into one request.
    let mut next = 0;
    let mut send_ten = || {
        let batch: Vec<Value> = (next..next + 10).map(track).collect();
        next += 10;
        assert_eq!(server.batch(&batch).0, 200);
        wait_for("ten events", Duration::from_secs(20), || users_seen(&api.seen()).len() >= 10);
        let seen = api.take();
        seen.iter().map(|s| s.json()["events"].as_array().map_or(0, Vec::len)).max().unwrap_or(0)
    };
    assert_eq!(send_ten(), 10);
    // A broken file is refused; the loaded version keeps serving.
    let path = modules.join("toplyne.wasm");
    std::fs::write(&path, b"not a component").unwrap();
    std::thread::sleep(sluice::reload::POLL * 2);
    assert_eq!(send_ten(), 10, "still the loaded version");
    // A valid new version (Toplyne built against 0.1.0, which does not batch) is swapped in.
    let tmp = modules.join(".toplyne.new");
    std::fs::copy(root().join("tests/fixtures/toplyne-0.1.0.wasm"), &tmp).unwrap();
    std::fs::rename(&tmp, &path).unwrap();
    let started = Instant::now();
    loop {
        if send_ten() == 1 {
            break;
        }
        assert!(started.elapsed() < Duration::from_secs(30), "the new version was not swapped in");
    }
    server.stop();
}

// ---- Several processes on one Postgres ----

#[test]
fn two_processes_starting_at_once_on_an_empty_database_both_come_up() {
    let _one_at_a_time = exclusive();
    let Some(pg) = support::Pg::start("start") else { return };
    let store = format!("store = \"{}\"", pg.url);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| Server::start_with("pg-start-a", &store, TOPLYNE_PRESETS, vec![], modules_dir()));
        let b = s.spawn(|| Server::start_with("pg-start-b", &store, TOPLYNE_PRESETS, vec![], modules_dir()));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert_eq!(get(&a.addr, "/healthz").0, 200);
    assert_eq!(get(&b.addr, "/healthz").0, 200);
}

#[test]
fn two_processes_share_the_work_and_a_kill_9_loses_nothing() {
    let _one_at_a_time = exclusive();
    let Some(pg) = support::Pg::start("share") else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    api.answer(Answer { delay: Duration::from_millis(100), ..Answer::default() });
    let store = format!("store = \"{}\"\nlease_seconds = 3", pg.url);
    let routes = vec![format!("{TOPLYNE}={}", api.url())];
    let a = Server::start_with("pg-share-a", &store, TOPLYNE_PRESETS, routes.clone(), modules_dir());
    let b = Server::start_with("pg-share-b", &store, TOPLYNE_PRESETS, routes, modules_dir());
    let total = 20_000;
    // Posted to both; each acknowledged batch is in the shared store.
    for (n, chunk) in (0..total).collect::<Vec<_>>().chunks(2_500).enumerate() {
        let batch: Vec<Value> = chunk.iter().map(|&i| track(i)).collect();
        let server = if n % 2 == 0 { &a } else { &b };
        assert_eq!(server.batch(&batch).0, 200);
    }
    // Posted again to the other process: a duplicate there too (shared dedup).
    assert_eq!(b.batch(&[track(0)]).0, 200);
    assert_eq!(metric(&b.addr, "sluice_events_duplicate_total"), 1.0);
    wait_for("the first deliveries", Duration::from_secs(20), || !api.seen().is_empty());
    let mut a = a;
    let _ = a.child.kill();
    let _ = a.child.wait();
    let before = users_seen(&api.seen()).len();
    assert!(before < total, "killed while delivering ({before} delivered)");
    wait_for("all 20,000 events via the surviving process", Duration::from_secs(180), || users_seen(&api.seen()).len() >= total);
    let users = users_seen(&api.seen());
    let duplicates: usize = users.values().map(|n| n - 1).sum();
    assert_eq!(users.len(), total, "none missing");
    assert!(duplicates < total / 10, "{duplicates} delivered twice");
    eprintln!("two processes, one killed: {before} delivered before the kill, {duplicates} twice");
    // The dead letters of the shared store, read by another process.
    let dlq = Command::new(env!("CARGO_BIN_EXE_sluice")).args(["dlq", "list", "--store", &pg.url]).output().unwrap();
    assert!(dlq.status.success(), "{}", String::from_utf8_lossy(&dlq.stderr));
    assert!(dlq.stdout.is_empty());
    b.stop();
}

#[test]
fn two_processes_share_talon_ones_budget() {
    let _one_at_a_time = exclusive();
    let Some(pg) = support::Pg::start("budget") else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    let store = format!("store = \"{}\"", pg.url);
    let routes = vec![format!("{TALON}={}", api.url())];
    let a = Server::start_with("pg-budget-a", &store, TALON_TRACK, routes.clone(), modules_dir());
    let b = Server::start_with("pg-budget-b", &store, TALON_TRACK, routes, modules_dir());
    // 600 events, half to each process: both deliver, one budget.
    for (n, chunk) in (0..600).collect::<Vec<_>>().chunks(100).enumerate() {
        let batch: Vec<Value> = chunk.iter().map(|&i| track(i)).collect();
        assert_eq!(if n % 2 == 0 { &a } else { &b }.batch(&batch).0, 200);
    }
    wait_for("600 Talon.One requests", Duration::from_secs(60), || api.seen().len() >= 600);
    let mut at: Vec<Instant> = api.seen().iter().map(|s| s.at).collect();
    at.sort();
    for i in 0..at.len() - 60 {
        assert!(at[i + 60] - at[i] >= Duration::from_secs(1), "61 requests within {:?} across two processes", at[i + 60] - at[i]);
    }
    // After the first window, the budget's pace: 540 requests in about 9 windows.
    let pace = 540.0 / (at[599] - at[0]).as_secs_f64();
    assert!(pace >= 0.9 * 60.0, "{pace:.1} requests/s");
    a.stop();
    b.stop();
}

#[test]
fn one_users_events_stay_in_order_across_processes() {
    let _one_at_a_time = exclusive();
    let Some(pg) = support::Pg::start("order") else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    api.answer(Answer { delay: Duration::from_millis(30), ..Answer::default() });
    let store = format!("store = \"{}\"", pg.url);
    let routes = vec![format!("{TOPLYNE}={}", api.url())];
    let a = Server::start_with("pg-order-a", &store, TOPLYNE_PRESETS, routes.clone(), modules_dir());
    let b = Server::start_with("pg-order-b", &store, TOPLYNE_PRESETS, routes, modules_dir());
    // 20 users, 10 events each, in order, each event posted to one process or the other.
    for seq in 0..10 {
        let batch: Vec<Value> = (0..20)
            .map(|u| json!({"type": "track", "event": "Step", "userId": format!("user-{u}"), "messageId": format!("m-{u}-{seq}"),
                            "timestamp": "2023-02-22T15:21:15.449Z", "properties": {"seq": seq}}))
            .collect();
        assert_eq!(if seq % 2 == 0 { &a } else { &b }.batch(&batch).0, 200);
    }
    wait_for("200 events", Duration::from_secs(60), || users_seen(&api.seen()).values().sum::<usize>() >= 200);
    let mut seen = api.seen();
    seen.sort_by_key(|s| s.at);
    let mut order: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    for s in &seen {
        for r in s.json()["events"].as_array().unwrap() {
            order.entry(r["userId"].as_str().unwrap().to_string()).or_default().push(r["eventProperties"]["seq"].as_i64().unwrap());
        }
    }
    assert_eq!(order.len(), 20);
    for (user, seqs) in &order {
        assert_eq!(seqs, &(0..10).collect::<Vec<_>>(), "{user}'s events arrived out of order");
    }
    a.stop();
    b.stop();
}

#[test]
fn a_replay_against_the_shared_store_is_delivered() {
    let _one_at_a_time = exclusive();
    let Some(pg) = support::Pg::start("replay") else { return };
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    let dir = root().join("target/test-serve/pg-replay");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("sluice.toml");
    std::fs::write(&config, format!("[server]\nwrite_keys = [\"{KEY}\"]\nstore = \"{}\"\n\n{TOPLYNE_PRESETS}", pg.url)).unwrap();
    let history = dir.join("history.ndjson");
    std::fs::write(&history, (0..500).map(|i| track(i).to_string()).collect::<Vec<_>>().join("\n")).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["replay", "--config", config.to_str().unwrap(), "--events", history.to_str().unwrap()])
        .args(["--route", &format!("{TOPLYNE}={}", api.url())])
        .env("SLUICE_MODULES", modules_dir())
        .env("SLUICE_CACHE_DIR", support::cache_dir())
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_str(String::from_utf8_lossy(&out.stdout).lines().last().unwrap()).unwrap();
    assert_eq!(report["queued"], json!(500), "{report}");
    assert_eq!(users_seen(&api.seen()).len(), 500, "every replayed event delivered before replay returns");
}

#[test]
fn replay_refuses_bad_arguments_and_skips_lines_that_are_not_events() {
    let _one_at_a_time = exclusive();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let api = rt.block_on(Recorder::start());
    let dir = root().join("target/test-serve/replay-bad");
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("sluice.toml");
    std::fs::write(&config, format!("[server]\ndata_dir = \"{}\"\nwrite_keys = [\"{KEY}\"]\n\n{TOPLYNE_PRESETS}", dir.join("data").display())).unwrap();
    let history = dir.join("history.ndjson");
    std::fs::write(&history, format!("{}\nnot json\n\u{1b}[2J{{\n[1,2]\n{}\n", track(1), track(2))).unwrap();
    let replay = |extra: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["replay", "--config", config.to_str().unwrap()])
            .args(extra)
            .args(["--route", &format!("{TOPLYNE}={}", api.url())])
            .env("SLUICE_MODULES", modules_dir())
            .env("SLUICE_CACHE_DIR", support::cache_dir())
            .output()
            .unwrap()
    };
    let h = history.to_str().unwrap();
    for (args, needle) in [
        (vec!["--events", h, "--since", "yesterday"], "is not an RFC 3339 time"),
        (vec!["--events", h, "--destination", "nope"], "no destination 'nope'"),
        (vec!["--events", "/nonexistent/events.ndjson"], "cannot read /nonexistent/events.ndjson"),
    ] {
        let out = replay(&args);
        assert!(!out.status.success(), "{args:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(stdout.contains(needle), "{args:?}: {stdout}");
    }
    // Lines that are not events are skipped and counted; the events go through.
    let out = replay(&["--events", h]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stderr).contains("3 lines were not JSON objects and were skipped"));
    assert_eq!(users_seen(&api.seen()).len(), 2);
}

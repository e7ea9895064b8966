//! The `sluice` command line as operators and scripts use it: exit codes,
//! `--json`, `--dry-run` redaction, describe, modules by slug or path, and the
//! compile cache across process starts.

mod support;

use std::process::{Command, Output};

use serde_json::{json, Value};
use support::{component, root, Recorder};

/// A modules directory holding the freshly built components under their
/// slugs, filled once per test process (and atomically, as other test
/// processes may be reading it).
fn modules_dir() -> std::path::PathBuf {
    static DIR: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    DIR.get_or_init(|| support::modules_dir("cli")).clone()
}

fn sluice(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_MODULES", modules_dir())
        .env("SLUICE_CACHE_DIR", support::cache_dir())
        .output()
        .expect("run sluice")
}

fn last_json(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| panic!("no stdout; stderr: {}", String::from_utf8_lossy(&out.stderr)));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("last line is not JSON ({e}): {line}"))
}

const TRACK: &str = r#"{"type":"track","event":"Order Completed","userId":"u1","timestamp":"2023-02-22T15:21:15.449Z","properties":{"total":5}}"#;

#[test]
fn dry_run_prints_requests_with_secrets_redacted() {
    let out = sluice(&["perform", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"very-secret-key"}"#, "--event", TRACK, "--dry-run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout} {}", String::from_utf8_lossy(&out.stderr));
    assert!(stdout.contains("POST https://api.toplyne.io/v1/upload/events"), "{stdout}");
    assert!(stdout.contains("authorization: Bearer [redacted]"), "{stdout}");
    assert!(stdout.contains("\"eventName\": \"Order Completed\""), "{stdout}");
    assert!(!stdout.contains("very-secret-key") && !String::from_utf8_lossy(&out.stderr).contains("very-secret-key"));
}

#[test]
fn json_output_and_exit_code_for_success() {
    let out = sluice(&["perform", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"k-1234"}"#, "--event", TRACK, "--dry-run", "--json"]);
    assert_eq!(out.status.code(), Some(0));
    let v = last_json(&out);
    assert_eq!(v["ok"], json!(true));
    assert_eq!(v["responses"][0]["status"], json!(200));
}

#[test]
fn validation_errors_have_their_kind_and_exit_code() {
    let out = sluice(&["perform", "talon-one", "createAudience", "--settings", r#"{"apiKey":"k-1234","deployment":"https://x.talon.one"}"#, "--payload", r#"{"audienceId":"a"}"#, "--json"]);
    assert_eq!(out.status.code(), Some(10));
    assert_eq!(
        last_json(&out),
        json!({"ok": false, "error": {"kind": "validation", "message": "The root value is missing the required field 'audienceName'."}})
    );
}

#[test]
fn secrets_come_from_the_environment() {
    let out = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(["perform", "toplyne", "sendEvents", "--settings", r#"{"apiKey":{"env":"SLUICE_TEST_TOPLYNE_KEY"}}"#, "--event", TRACK, "--dry-run", "--json"])
        .env("SLUICE_MODULES", modules_dir())
        .env("SLUICE_TEST_TOPLYNE_KEY", "env-secret-9876")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("env-secret-9876"));
}

#[test]
fn real_http_through_a_route_with_rejected_and_retryable_kinds() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Recorder::start());
    let route = format!("https://api.toplyne.io={}", server.url());
    let args = |extra: &[&str]| {
        let mut a = vec!["perform", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"k-1234"}"#, "--event", TRACK, "--json", "--route", &route];
        a.extend_from_slice(extra);
        a.into_iter().map(String::from).collect::<Vec<_>>()
    };
    let run = |a: Vec<String>| sluice(&a.iter().map(String::as_str).collect::<Vec<_>>());

    let out = run(args(&[]));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(server.take()[0].header("authorization"), Some("Bearer k-1234"));

    for (status, kind, code) in [(400, "rejected", 14), (401, "auth", 11), (429, "rate-limited", 12), (503, "retryable", 13)] {
        server.answer_with(status, "{}");
        let out = run(args(&[]));
        assert_eq!(out.status.code(), Some(code), "status {status}");
        let v = last_json(&out);
        assert_eq!(v["error"]["kind"], json!(kind), "status {status}: {v}");
        assert_eq!(v["error"]["status"], json!(status));
    }
    // What the API said is part of the error, capped, with the key scrubbed.
    server.answer_with(400, &format!(r#"{{"message":"bad attribute","echo":"k-1234","pad":"{}"}}"#, "x".repeat(2000)));
    let v = last_json(&run(args(&[])));
    let message = v["error"]["message"].as_str().unwrap();
    assert!(message.starts_with(r#"400 Bad Request: {"message":"bad attribute","echo":"[redacted]""#), "{message}");
    assert!(message.len() < 700 && message.ends_with('…'), "{} bytes", message.len());
}

#[test]
fn a_module_without_a_credentials_test_says_so() {
    let hostile = component("sluice-hostile");
    let out = sluice(&["test-auth", hostile.to_str().unwrap(), "--settings", r#"{"apiKey":"k-1"}"#, "--json"]);
    assert_eq!(out.status.code(), Some(17));
    let v = last_json(&out);
    assert!(v["error"]["message"].as_str().unwrap().contains("has no test-authentication"), "{v}");
}

#[test]
fn send_takes_a_file_holding_one_pretty_printed_event() {
    let dir = root().join("target/test-modules/configs");
    std::fs::create_dir_all(&dir).unwrap();
    let event = dir.join("one-event.json");
    std::fs::write(&event, serde_json::to_string_pretty(&serde_json::from_str::<Value>(TRACK).unwrap()).unwrap()).unwrap();
    let config = write_config("one-event.toml", "[[destination]]\nname = \"t\"\nmodule = \"toplyne\"\npresets = true\nsettings = { apiKey = \"k\" }\n");
    let at = format!("@{}", event.display());
    let out = sluice(&["send", "--config", config.to_str().unwrap(), "--event", &at, "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0]["action"], json!("sendEvents"));
}

#[test]
fn unknown_modules_and_actions_say_what_exists() {
    let out = sluice(&["perform", "nope", "x", "--settings", "{}", "--payload", "{}", "--json"]);
    assert_eq!(out.status.code(), Some(17));
    let v = last_json(&out);
    assert_eq!(v["error"]["kind"], json!("config"));
    assert!(v["error"]["message"].as_str().unwrap().contains("talon-one"), "{v}");

    let out = sluice(&["perform", "toplyne", "nope", "--settings", r#"{"apiKey":"k"}"#, "--payload", "{}", "--json"]);
    assert_eq!(out.status.code(), Some(10));
    assert!(last_json(&out)["error"]["message"].as_str().unwrap().contains("sendEvents"));
}

#[test]
fn describe_shows_actions_presets_hosts_and_budget() {
    let out = sluice(&["describe", "talon-one", "--json"]);
    assert!(out.status.success());
    let m = &last_json(&out)["module"];
    assert_eq!(m["slug"], json!("talon-one"));
    assert_eq!(m["actions"].as_array().unwrap().len(), 12);
    assert_eq!(m["rate_budget"], json!({"requests": 60, "window_ms": 1000}));

    let out = sluice(&["describe", component("sluice-toplyne").to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("Send Events") && text.contains("type = \"track\"") && text.contains("https://api.toplyne.io"), "{text}");
    assert!(text.contains("apiKey") && text.contains("secret"));
}

#[test]
fn a_second_start_uses_the_compile_cache() {
    let cache = root().join("target/test-cache-cli");
    let _ = std::fs::remove_dir_all(&cache);
    let run = || {
        Command::new(env!("CARGO_BIN_EXE_sluice"))
            .args(["describe", "toplyne", "--json"])
            .env("SLUICE_MODULES", modules_dir())
            .env("SLUICE_CACHE_DIR", &cache)
            .output()
            .unwrap()
    };
    assert!(run().status.success());
    let entries: Vec<_> = std::fs::read_dir(&cache).unwrap().flatten().collect();
    assert_eq!(entries.len(), 1, "one compiled entry");
    let modified = entries[0].metadata().unwrap().modified().unwrap();
    assert!(run().status.success());
    assert_eq!(std::fs::read_dir(&cache).unwrap().count(), 1);
    assert_eq!(std::fs::metadata(entries[0].path()).unwrap().modified().unwrap(), modified, "not compiled again");
}

fn write_config(name: &str, text: &str) -> std::path::PathBuf {
    let dir = root().join("target/test-modules/configs");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

fn send_with_stdin(args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_MODULES", modules_dir())
        .env("SLUICE_CACHE_DIR", support::cache_dir())
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

#[test]
fn send_routes_events_through_presets_and_mappings_over_real_http() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Recorder::start());
    let config = write_config(
        "send.toml",
        r#"
[[destination]]
name = "toplyne"
module = "toplyne"
presets = true
settings = { apiKey = "k-toplyne" }

[[destination]]
name = "t1"
module = "talon-one"
settings = { apiKey = "k-t1", deployment = "https://acme.europe-west1.talon.one" }

[[destination.mapping]]
name = "orders"
subscribe = 'type = "track" and (event = "Order Completed" or event = "Order Refunded")'
action = "trackEventV2"
defaults = true
mapping = { eventType = "order" }
"#,
    );
    let events = [
        r#"{"type":"identify","userId":"u1","timestamp":"2023-02-22T15:21:15.449Z","traits":{"plan":"pro"}}"#,
        r#"{"type":"group","groupId":"g1","timestamp":"2023-02-22T15:21:15.449Z","traits":{"name":"Acme"}}"#,
        r#"{"type":"track","event":"Order Completed","userId":"u1","timestamp":"2023-02-22T15:21:15.449Z","properties":{"attributes":{"total":5}}}"#,
        r#"{"type":"page","name":"Home","userId":"u1"}"#,
        r#"{"type": not json"#,
    ]
    .join("\n");
    let t1 = format!("https://integration.talon.one={}", server.url());
    let top = format!("https://api.toplyne.io={}", server.url());
    let out = send_with_stdin(&["send", "--config", config.to_str().unwrap(), "--event", "-", "--route", &t1, "--route", &top], &events);
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    let summary: Vec<(i64, String, bool)> = lines
        .iter()
        .map(|l| (l["event"].as_i64().unwrap(), l["action"].as_str().unwrap_or("-").to_string(), l["ok"].as_bool().unwrap()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (0, "sendUserProfiles".into(), true),
            (1, "sendAccountProfiles".into(), true),
            (2, "sendEvents".into(), true),
            (2, "trackEventV2".into(), true),
            (3, "-".into(), true),
            (4, "-".into(), false),
        ],
        "{lines:#?}"
    );
    assert_eq!(lines[4]["matched"], json!(0));
    assert_eq!(lines[5]["error"]["kind"], json!("validation"));
    assert_eq!(out.status.code(), Some(10), "a bad event line makes the run fail, after the rest went through");
    let paths: Vec<String> = server.take().iter().map(|s| format!("{} {}", s.method, s.path)).collect();
    let mut sorted = paths.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            "POST /v1/upload/accounts/profiles",
            "POST /v1/upload/events",
            "POST /v1/upload/users/profiles",
            "PUT /segment/v2/events",
        ]
    );
    // Deliveries run concurrently, but one user's events reach a destination in order.
    let at = |p: &str| paths.iter().position(|x| x == p).unwrap();
    assert!(at("POST /v1/upload/users/profiles") < at("POST /v1/upload/events"), "{paths:?}");
}

/// Toplyne's actions batch: many events, few requests, one line per event in
/// input order, and each event's record exactly as a single request carries it.
#[test]
fn send_batches_toplyne_events_and_keeps_one_line_per_event_in_order() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Recorder::start());
    let config = write_config(
        "batch.toml",
        "[[destination]]\nname = \"toplyne\"\nmodule = \"toplyne\"\npresets = true\nsettings = { apiKey = \"k-toplyne\" }\n",
    );
    let events: Vec<String> = (0..250)
        .map(|i| {
            let user = if i == 7 { String::new() } else { format!(r#""userId":"u{i}","#) };
            format!(r#"{{"type":"track","event":"E{i}",{user}"timestamp":"2023-02-22T15:21:15.449Z","properties":{{"n":{i}}}}}"#)
        })
        .collect();
    let top = format!("https://api.toplyne.io={}", server.url());
    let out = send_with_stdin(&["send", "--config", config.to_str().unwrap(), "--event", "-", "--route", &top], &events.join("\n"));
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout).lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 250);
    for (i, l) in lines.iter().enumerate() {
        assert_eq!(l["event"], json!(i));
        // Event 7 has no user: it fails alone, the rest of its batch goes.
        assert_eq!(l["ok"], json!(i != 7), "{l}");
    }
    assert!(lines[7]["error"]["message"].as_str().unwrap().contains("Either 'userId' or 'anonymousId' is required"));
    assert_eq!(out.status.code(), Some(10));
    let seen = server.take();
    assert!(seen.len() >= 3 && seen.len() < 20, "{} requests for 249 events", seen.len());
    let records: Vec<Value> = seen.iter().flat_map(|s| s.json()["events"].as_array().unwrap().clone()).collect();
    assert_eq!(records.len(), 249);
    let mut names: Vec<String> = records.iter().map(|r| r["eventName"].as_str().unwrap().to_string()).collect();
    names.sort();
    assert_eq!(names.len(), names.iter().collect::<std::collections::BTreeSet<_>>().len(), "each event once");
    assert_eq!(
        records.iter().find(|r| r["eventName"] == "E3").unwrap(),
        &json!({"userId": "u3", "eventName": "E3", "timestamp": 1677079275, "eventProperties": {"n": 3}})
    );
}

#[test]
fn send_rejects_a_malformed_trigger_at_load_with_its_column() {
    let config = write_config(
        "bad-trigger.toml",
        "[[destination]]\nname = \"t\"\nmodule = \"toplyne\"\nsettings = { apiKey = \"k\" }\n\
         [[destination.mapping]]\nname = \"m\"\nsubscribe = 'type = \"track\" and (event = \"x\"'\naction = \"sendEvents\"\n",
    );
    let out = sluice(&["send", "--config", config.to_str().unwrap(), "--event", "{}"]);
    assert_eq!(out.status.code(), Some(17));
    let msg = last_json(&out)["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("mapping 'm'") && msg.contains("column"), "{msg}");
}

#[test]
fn send_allows_at_most_50_mappings_per_instance() {
    let mut text = String::from("[[destination]]\nname = \"t\"\nmodule = \"toplyne\"\nsettings = { apiKey = \"k\" }\n");
    for i in 0..51 {
        text += &format!("[[destination.mapping]]\nname = \"m{i}\"\nsubscribe = 'type = \"track\"'\naction = \"sendEvents\"\n");
    }
    let out = sluice(&["send", "--config", write_config("many.toml", &text).to_str().unwrap(), "--event", "{}"]);
    assert_eq!(out.status.code(), Some(17));
    let msg = last_json(&out)["error"]["message"].as_str().unwrap().to_string();
    assert!(msg.contains("51 mappings") && msg.contains("at most 50"), "{msg}");
}

#[test]
fn a_mapping_error_uses_the_reference_message() {
    let out = sluice(&[
        "perform", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"k-1234"}"#, "--event", TRACK,
        "--mapping", r#"{"eventName":{"@if":{"then":{"@oops":1}}}}"#, "--json",
    ]);
    assert_eq!(out.status.code(), Some(10));
    assert_eq!(last_json(&out)["error"]["message"], json!("/eventName/@if/then has an invalid directive: @oops."));
}

/// Guest text cannot rewrite the terminal or forge lines: ESC sequences and
/// line breaks in a URL, an error or a log line are printed escaped.
#[test]
fn guest_text_is_escaped_on_the_terminal() {
    let hostile = component("sluice-hostile");
    let hostile = hostile.to_str().unwrap();
    let settings = r#"{"apiKey":"k-123456"}"#;
    let out = sluice(&["perform", hostile, "fetch", "--settings", settings, "--payload", r#"{"url":"https://api.hostile.test/\u001b[2J\u001b[1A"}"#, "--dry-run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");

    let out = sluice(&["perform", hostile, "say", "--settings", settings, "--payload", r#"{"message":"fine\nERROR forged line\u001b[31m"}"#]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(!stderr.contains('\u{1b}'), "{stderr:?}");
    assert!(stderr.lines().all(|l| !l.starts_with("ERROR forged")), "{stderr}");
    assert!(stderr.contains("fine\\nERROR forged line\\u{1b}[31m"), "{stderr}");
}

/// `sluice validate`: clean modules pass; what the host would refuse, and what
/// partners get wrong, fails with one line per problem and where it is.
#[test]
fn validate_passes_clean_modules_and_names_each_problem() {
    for m in ["toplyne", "talon-one"] {
        let out = sluice(&["validate", m]);
        assert!(out.status.success(), "{m}: {}", String::from_utf8_lossy(&out.stdout));
        assert!(String::from_utf8_lossy(&out.stdout).ends_with(": ok\n"));
    }
    let dup = support::hostile_variant("dup-secret");
    let out = sluice(&["validate", dup.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(10));
    assert!(String::from_utf8_lossy(&out.stdout).contains("settings.apiKey: 'apiKey' is declared more than once"));

    let dir = root().join("target/test-modules/validate");
    std::fs::create_dir_all(&dir).unwrap();
    let fs = dir.join("sockets.wasm");
    let wat = r#"(component (import "wasi:sockets/instance-network@0.2.0" (instance (export "instance-network" (func (result u32))))))"#;
    std::fs::write(&fs, wat::parse_str(wat).unwrap()).unwrap();
    let junk = dir.join("junk.wasm");
    std::fs::write(&junk, b"not wasm").unwrap();
    for (path, needle) in [(&fs, "imports.wasi:sockets/instance-network@0.2.0: sluice does not provide it"), (&junk, "component: not a valid WebAssembly component")] {
        let out = sluice(&["validate", path.to_str().unwrap(), "--json"]);
        assert_eq!(out.status.code(), Some(10));
        let v = last_json(&out);
        assert_eq!(v["ok"], json!(false));
        assert!(v["problems"][0].as_str().unwrap().starts_with(needle), "{v}");
    }
}

/// `sluice docs` renders the catalog page of both shipped destinations.
#[test]
fn docs_render_the_catalog_page() {
    for (m, title, field) in [("toplyne", "### Send Events", "| Event Name | The name of the event to send | `{\"@path\":\"$.event\"}` | Yes | STRING |"),
                              ("talon-one", "### Track event", "| Customer Profile ID |")] {
        let out = sluice(&["docs", m]);
        let page = String::from_utf8_lossy(&out.stdout);
        assert!(out.status.success(), "{m}");
        assert!(page.starts_with("# "), "{page}");
        for needle in ["## Destination Settings", "## Available Actions", title, field] {
            assert!(page.contains(needle), "{m}: {needle} missing in\n{page}");
        }
    }
    assert!(String::from_utf8_lossy(&sluice(&["docs", "toplyne"]).stdout).contains("| Send Events | Event type = \"track\" | Send Events |"));
}

/// A partner's path: `sluice new` in a folder outside this workspace, the
/// documented build, then `validate` and `perform --dry-run` on the result.
#[test]
fn a_new_rust_project_builds_outside_the_workspace_and_runs() {
    let dir = std::env::temp_dir().join(format!("sluice-new-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let out = sluice(&["new", "acme-hooks", "--dir", dir.to_str().unwrap(), "--sdk-path", root().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["Cargo.toml", "src/lib.rs", "src/send_event.rs", "README.md", "settings.example.json", "event.example.json"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    assert!(std::fs::read_to_string(dir.join("README.md")).unwrap().contains("cargo build --release --target wasm32-wasip2"));
    // The documented build (its own target folder, kept warm between runs).
    let target = root().join("target/test-new");
    let build = Command::new(env!("CARGO"))
        .args(["build", "--release", "--target", "wasm32-wasip2"])
        .current_dir(&dir)
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(build.status.success(), "{}", String::from_utf8_lossy(&build.stderr));
    let wasm = target.join("wasm32-wasip2/release/acme_hooks.wasm");
    let out = sluice(&["validate", wasm.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let settings = format!("@{}", dir.join("settings.example.json").display());
    let event = format!("@{}", dir.join("event.example.json").display());
    let out = sluice(&["perform", wasm.to_str().unwrap(), "sendEvent", "--settings", &settings, "--event", &event, "--dry-run"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}");
    assert!(stdout.contains("POST https://api.example.com/events") && stdout.contains("authorization: Bearer [redacted]"), "{stdout}");
    // Refuses to overwrite, and a bad slug.
    assert_eq!(sluice(&["new", "acme-hooks", "--dir", dir.to_str().unwrap()]).status.code(), Some(10));
    assert_eq!(sluice(&["new", "Bad_Slug"]).status.code(), Some(10));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `sluice bench` reports each figure (no timing is asserted: speed claims
/// live in BENCHMARKS.md), with the batch size asked for.
#[test]
fn bench_reports_perform_mapping_and_batched_figures() {
    let out = sluice(&["bench", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"k"}"#, "--event", TRACK, "--calls", "30", "--batch-size", "10"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for needle in ["component:", "core instances", "perform, fresh:", "perform, warm:", "mapping+validation:", "perform-batch of 10"] {
        assert!(stdout.contains(needle), "{needle} missing in {stdout}");
    }
    // One figure alone, for a profiler or an instruction counter.
    let only = sluice(&["bench", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"k"}"#, "--event", TRACK, "--calls", "20", "--only", "batched"]);
    let stdout = String::from_utf8_lossy(&only.stdout);
    assert!(only.status.success() && stdout.contains("batched:"), "{stdout}");
    assert!(!stdout.contains("perform,") && !stdout.contains("mapping+validation:"), "{stdout}");
    let warm = sluice(&["bench", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"k"}"#, "--event", TRACK, "--calls", "20", "--only", "warm"]);
    let stdout = String::from_utf8_lossy(&warm.stdout);
    assert!(warm.status.success() && stdout.contains("perform, warm:") && !stdout.contains("fresh"), "{stdout}");
    let talon = sluice(&["bench", "talon-one", "trackEventV2", "--settings", r#"{"apiKey":"k","deployment":"https://acme.europe-west1.talon.one"}"#, "--event", TRACK, "--calls", "5"]);
    assert!(String::from_utf8_lossy(&talon.stdout).contains("does not batch"), "{}", String::from_utf8_lossy(&talon.stdout));
    // Bad input is refused before anything runs.
    for bad in [["--batch-size", "0"], ["--calls", "0"], ["--only", "everything"]] {
        let out = sluice(&["bench", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"k"}"#, "--event", TRACK, bad[0], bad[1]]);
        assert_eq!(out.status.code(), Some(2), "{bad:?}");
    }
}

//! Destinations written in JavaScript: the JavaScript port of Toplyne
//! (guests/toplyne-js, built by `just guests-js`) sends exactly what the Rust
//! one sends, and a partner's `sluice new --lang js` project builds with npm
//! outside this repository and runs, with typed errors.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::{json, Value};
use support::{root, Answer, Recorder};

fn sluice_in(modules: &Path, args: &[&str], stdin: &str) -> Output {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_sluice"))
        .args(args)
        .env("SLUICE_MODULES", modules)
        .env("SLUICE_CACHE_DIR", support::cache_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run sluice");
    child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
    child.wait_with_output().unwrap()
}

fn last_json(out: &Output) -> Value {
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout.lines().last().unwrap_or_else(|| panic!("no stdout; stderr: {}", String::from_utf8_lossy(&out.stderr)));
    serde_json::from_str(line).unwrap_or_else(|e| panic!("last line is not JSON ({e}): {line}"))
}

/// A modules folder holding one component as `toplyne.wasm`.
fn modules_with_toplyne(name: &str, component: &Path) -> PathBuf {
    assert!(component.exists(), "{} is missing: run `just guests-js` (npm) first", component.display());
    let dir = root().join("target/test-modules").join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let tmp = dir.join(format!(".toplyne.{}.tmp", std::process::id()));
    std::fs::copy(component, &tmp).unwrap();
    std::fs::rename(&tmp, dir.join("toplyne.wasm")).unwrap();
    dir
}

/// Identify, group and track events with every kind of time the reference
/// converts (ISO with Z or an offset, dayjs's own pattern, epoch ms, RFC 2822,
/// loose dates), and users the documentation's rule refuses.
fn events() -> String {
    let times = [
        json!("2023-02-22T15:21:15.449Z"),
        json!("2016-08-17T13:56:10+02:00"),
        json!("2018-03-23T23:52:15.034-05:30"),
        json!("2023-02-22"),
        json!("2023-02-22 15:21:15"),
        json!("2023-13-45T25:61:61"),
        json!("Wed, 22 Feb 2023 15:21:15 GMT"),
        json!("Jan 1 2021"),
        json!(1677079275449u64),
        json!(-1500),
    ];
    let mut lines = Vec::new();
    for (i, t) in times.iter().enumerate() {
        let user = format!("u{i}");
        lines.push(json!({"type": "identify", "userId": user, "timestamp": t, "traits": {"plan": "pro", "n": i}}));
        lines.push(json!({"type": "group", "groupId": format!("g{i}"), "timestamp": t, "traits": {"name": "Acme", "emoji": "🎉"}}));
        lines.push(json!({"type": "track", "event": "Order Completed", "anonymousId": format!("a{i}"), "timestamp": t,
                          "context": {"groupId": "g1"}, "properties": {"total": i as f64 + 0.5, "text": "ünïcødé \u{1F600}"}}));
    }
    // No user at all: the guest refuses it (a validation error for that event only).
    lines.push(json!({"type": "track", "event": "Nobody", "timestamp": "2023-02-22T15:21:15.449Z"}));
    lines.push(json!({"type": "identify", "timestamp": "2023-02-22T15:21:15.449Z", "traits": {}}));
    lines.iter().map(Value::to_string).collect::<Vec<_>>().join("\n")
}

const CONFIG: &str = r#"
[[destination]]
name = "toplyne"
module = "toplyne"
presets = true
settings = { apiKey = "k-toplyne" }
"#;

/// What one run of `send` did: per event its outcome, and per path the
/// records the API received (batches may split differently from run to run).
fn run_send(modules: &Path) -> (Vec<Value>, BTreeMap<String, Vec<String>>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Recorder::start());
    let config = root().join("target/test-modules/js-send.toml");
    std::fs::write(&config, CONFIG).unwrap();
    let route = format!("https://api.toplyne.io={}", server.url());
    let out = sluice_in(modules, &["send", "--config", config.to_str().unwrap(), "--event", "-", "--route", &route], &events());
    let lines: Vec<Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .map(|l| json!({"event": l["event"], "action": l["action"], "ok": l["ok"], "error": l["error"]}))
        .collect();
    let mut records: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for seen in server.take() {
        assert_eq!(seen.header("authorization"), Some("Bearer k-toplyne"));
        let body = seen.json();
        let (_, list) = body.as_object().unwrap().iter().next().unwrap();
        records.entry(seen.path.clone()).or_default().extend(list.as_array().unwrap().iter().map(Value::to_string));
    }
    for list in records.values_mut() {
        list.sort();
    }
    (lines, records)
}

/// The contract is language-neutral: the JavaScript Toplyne describes itself
/// as the Rust one does and sends the same records for the same events.
#[test]
fn the_javascript_toplyne_sends_what_the_rust_toplyne_sends() {
    let js = modules_with_toplyne("js-toplyne-send", &root().join("guests/toplyne-js/dist/toplyne.wasm"));
    let rust = modules_with_toplyne("rust-toplyne", &support::component("sluice-toplyne"));
    let describe = |m: &Path| {
        let out = sluice_in(m, &["describe", "toplyne", "--json"], "");
        assert!(out.status.success() && !out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stderr));
        out.stdout
    };
    assert_eq!(describe(&js), describe(&rust));

    let (js_lines, js_records) = run_send(&js);
    let (rust_lines, rust_records) = run_send(&rust);
    assert_eq!(js_lines.len(), 32, "{js_lines:#?}");
    assert_eq!(js_lines, rust_lines);
    assert_eq!(js_records.values().map(Vec::len).sum::<usize>(), 30);
    assert_eq!(js_records, rust_records);
    let refused: Vec<&Value> = js_lines.iter().filter(|l| l["ok"] == json!(false)).collect();
    assert_eq!(refused.len(), 2, "{refused:#?}");
    assert_eq!(refused[0]["error"]["kind"], json!("validation"));
    assert!(refused[0]["error"]["message"].as_str().unwrap().contains("Either 'userId' or 'anonymousId' is required"));
}

/// An API that says no: the JavaScript SDK makes it a typed error carrying
/// what the API said, as the Rust SDK does.
#[test]
fn a_javascript_guest_reports_the_apis_refusal_as_a_typed_error() {
    let js = modules_with_toplyne("js-toplyne-refusal", &root().join("guests/toplyne-js/dist/toplyne.wasm"));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let server = rt.block_on(Recorder::start());
    server.answer(Answer { status: 400, body: r#"{"error":"eventName is too long"}"#.into(), ..Answer::default() });
    let route = format!("https://api.toplyne.io={}", server.url());
    let event = r#"{"type":"track","event":"E","userId":"u1","timestamp":"2023-02-22T15:21:15.449Z"}"#;
    let out = sluice_in(&js, &["perform", "toplyne", "sendEvents", "--settings", r#"{"apiKey":"k"}"#, "--event", event, "--route", &route, "--json"], "");
    let v = last_json(&out);
    assert_eq!(v["error"]["kind"], json!("rejected"), "{v}");
    assert_eq!(v["error"]["message"], json!(r#"400 Bad Request: {"error":"eventName is too long"}"#), "{v}");
}

fn npm(dir: &Path, args: &[&str]) {
    let out = Command::new("npm").args(args).current_dir(dir).output().expect("npm is installed (Node 18+)");
    assert!(out.status.success(), "npm {args:?}: {}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// A partner's path in JavaScript: `sluice new --lang js` in a folder outside
/// this repository, `npm install && npm run build`, then `validate` and
/// `perform --dry-run`; what an action throws becomes a typed error.
#[test]
fn a_new_javascript_project_builds_outside_the_repository_and_runs() {
    let dir = std::env::temp_dir().join(format!("sluice-new-js-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let modules = root().join("target/test-modules/js-empty");
    std::fs::create_dir_all(&modules).unwrap();
    let run = |args: &[&str]| sluice_in(&modules, args, "");
    let out = run(&["new", "acme-js", "--lang", "js", "--dir", dir.to_str().unwrap(), "--sdk-path", root().to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    for f in ["package.json", ".npmrc", "src/index.js", "src/send_event.js", "README.md", "settings.example.json", "event.example.json"] {
        assert!(dir.join(f).exists(), "{f}");
    }
    assert!(std::fs::read_to_string(dir.join("README.md")).unwrap().contains("npm install && npm run build"));
    // The documented build. --offline: from npm's cache, which `just
    // guests-js` filled with the same packages; a test never goes online.
    npm(&dir, &["install", "--offline", "--no-audit", "--no-fund"]);
    npm(&dir, &["run", "build"]);
    let wasm = dir.join("dist/acme-js.wasm");
    let out = run(&["validate", wasm.to_str().unwrap()]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let settings = format!("@{}", dir.join("settings.example.json").display());
    let event = format!("@{}", dir.join("event.example.json").display());
    let perform = |event: &str| run(&["perform", wasm.to_str().unwrap(), "sendEvent", "--settings", &settings, "--event", event, "--dry-run", "--json"]);
    let out = perform(&event);
    let v = last_json(&out);
    assert_eq!(v["ok"], json!(true), "{v}");
    let first = String::from_utf8_lossy(&out.stdout).lines().next().map(|l| serde_json::from_str::<Value>(l).unwrap()).unwrap();
    let request = &first["dry_run"];
    assert_eq!(request["url"], json!("https://api.example.com/events"));
    assert!(request["headers"].as_array().unwrap().contains(&json!(["authorization", "Bearer [redacted]"])), "{request}");
    assert_eq!(serde_json::from_str::<Value>(request["body"].as_str().unwrap()).unwrap()["event"], json!("Order Completed"));

    // What an action throws: a SluiceError keeps its kind, anything else is a
    // guest error naming what was thrown; neither traps the component.
    let action = dir.join("src/send_event.js");
    let source = std::fs::read_to_string(&action).unwrap().replace(
        "  perform: ({ userId, event, timestamp, properties }) =>\n",
        "  perform: ({ userId, event, timestamp, properties }) =>\n    event === 'invalid' ? (() => { throw SluiceError.validation('event must not be invalid'); })() :\n    event === 'bug' ? null.missing :\n    event === 'elsewhere' ? request.get('https://elsewhere.example.com/x').send() :\n",
    );
    assert!(source.contains("null.missing"), "the template's perform changed: {source}");
    std::fs::write(&action, source.replace("import { Field, request }", "import { Field, request, SluiceError }")).unwrap();
    npm(&dir, &["run", "build"]);
    let with = |name: &str| json!({"type": "track", "event": name, "userId": "u1"}).to_string();
    let v = last_json(&perform(&with("invalid")));
    assert_eq!(v["error"]["kind"], json!("validation"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("event must not be invalid"), "{v}");
    let v = last_json(&perform(&with("bug")));
    assert_eq!(v["error"]["kind"], json!("guest"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("TypeError"), "{v}");
    // The host's refusal keeps its kind through the SDK (not a guest error).
    let v = last_json(&perform(&with("elsewhere")));
    assert_eq!(v["error"]["kind"], json!("egress"), "{v}");
    assert!(v["error"]["message"].as_str().unwrap().contains("elsewhere.example.com"), "{v}");
    assert_eq!(last_json(&perform(&with("fine")))["ok"], json!(true));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The JavaScript SDK ships its own copy of the contract (so a project
/// outside this repository builds against it); it must be the contract.
#[test]
fn the_javascript_sdk_ships_the_contract() {
    let shipped = std::fs::read_to_string(root().join("guests/sdk-js/wit/destination.wit")).unwrap();
    assert_eq!(shipped, std::fs::read_to_string(root().join("wit/v0.2.0/destination.wit")).unwrap());
}

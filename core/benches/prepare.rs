//! Mapping and validation per event, with no Wasm: `cargo bench -p sluice-core`.
//! Toplyne's sendEvents (six fields with `@path` defaults, a datetime) and a
//! mapping with `@if`/`@template`, on the repository's example track event.

use std::time::Instant;

use serde_json::{json, Value};
use sluice_core::destination::Action;
use sluice_core::prepare::{Mapping, MappingChoice};

fn send_events() -> Action {
    serde_json::from_value(json!({
        "key": "sendEvents", "title": "Send Events", "description": "",
        "fields": [
            {"key": "userId", "label": "User ID", "type": "string", "default": {"@path": "$.userId"}},
            {"key": "anonymousId", "label": "Anonymous ID", "type": "string", "default": {"@path": "$.anonymousId"}},
            {"key": "accountId", "label": "Account ID", "type": "string", "default": {"@path": "$.context.groupId"}},
            {"key": "eventName", "label": "Event Name", "type": "string", "required": true, "default": {"@path": "$.event"}},
            {"key": "timestamp", "label": "Timestamp", "type": "datetime", "required": true, "default": {"@path": "$.timestamp"}},
            {"key": "eventProperties", "label": "Event Properties", "type": "object", "default": {"@path": "$.properties"}}
        ]
    }))
    .unwrap()
}

fn time(name: &str, calls: u32, mut f: impl FnMut()) {
    for _ in 0..calls / 10 {
        f();
    }
    let started = Instant::now();
    for _ in 0..calls {
        f();
    }
    println!("{name:<46} {:>6.2} µs per event", started.elapsed().as_secs_f64() * 1e6 / f64::from(calls));
}

fn main() {
    let event: Value = serde_json::from_str(include_str!("../../examples/track.json")).unwrap();
    let action = send_events();
    let calls = 200_000;
    let defaults = Mapping::new(&action, MappingChoice::Defaults).unwrap();
    time("toplyne sendEvents, default mapping", calls, || {
        std::hint::black_box(defaults.payload(&action, &event).unwrap());
    });
    let payload = defaults.payload(&action, &event).unwrap();
    time("the payload serialized (Display)", calls, || {
        std::hint::black_box(payload.to_string());
    });
    time("the payload serialized (serde_json::to_string)", calls, || {
        std::hint::black_box(serde_json::to_string(&payload).unwrap());
    });
    let directives = Mapping::new(
        &action,
        MappingChoice::OverDefaults(json!({
            "eventName": {"@template": "{{event}} ({{properties.currency}})"},
            "accountId": {"@if": {"exists": {"@path": "$.context.groupId"}, "then": {"@path": "$.context.groupId"}, "else": "none"}}
        })),
    )
    .unwrap();
    time("toplyne sendEvents, @template and @if", calls, || {
        std::hint::black_box(directives.payload(&action, &event).unwrap());
    });
}

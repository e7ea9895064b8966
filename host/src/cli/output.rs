//! What the commands print. Human-readable by default; with `--json` the last
//! stdout line is one JSON object: `{"ok":true,…}` or
//! `{"ok":false,"error":{"kind":K,"message":M}}`. Errors go to stderr in
//! human mode. The exit code is the error kind's (see `sluice::error::Kind`).

use serde_json::{json, Value};
use sluice::egress::Exchange;
use sluice::error::{Error, Result};
use sluice::printable::{escape, escape_lines};
use sluice_core::{Description, Field};

pub enum Done {
    Describe(Description),
    Call { exchanges: Vec<Exchange>, result: Result<()>, dry_run: bool },
}

pub fn finish(json: bool, done: Result<Done>) -> i32 {
    match done {
        Ok(Done::Describe(d)) => {
            if json {
                println!("{}", json!({"ok": true, "module": d}));
            } else {
                print_description(&d);
            }
            0
        }
        Ok(Done::Call { exchanges, result, dry_run }) => {
            if dry_run {
                for e in &exchanges {
                    print_request(json, e);
                }
            }
            match result {
                Ok(()) => {
                    if json {
                        let responses: Vec<Value> = exchanges.iter().map(response_json).collect();
                        println!("{}", json!({"ok": true, "responses": responses}));
                    } else {
                        for e in &exchanges {
                            println!("{} {} -> {}", e.method, escape(&e.url), e.status.map_or("-".into(), |s| s.to_string()));
                        }
                        println!("ok");
                    }
                    0
                }
                Err(e) => error(json, &e),
            }
        }
        Err(e) => error(json, &e),
    }
}

pub fn response_json(e: &Exchange) -> Value {
    json!({"status": e.status, "method": e.method, "url": e.url})
}

pub fn error(json: bool, e: &Error) -> i32 {
    if json {
        println!("{}", json!({"ok": false, "error": e}));
    } else {
        eprintln!("error ({}): {}", e.kind.name(), escape(&e.message));
    }
    e.kind.exit_code()
}

pub fn print_request(json: bool, e: &Exchange) {
    if json {
        println!("{}", json!({"dry_run": {"method": e.method, "url": e.url, "headers": e.headers, "body": e.body}}));
        return;
    }
    println!("{} {}", e.method, escape(&e.url));
    for (k, v) in &e.headers {
        println!("{}: {}", escape(k), escape(v));
    }
    if let Some(body) = &e.body {
        let pretty = serde_json::from_str::<Value>(body)
            .ok()
            .and_then(|v| serde_json::to_string_pretty(&v).ok())
            .unwrap_or_else(|| body.clone());
        println!("\n{}", escape_lines(&pretty));
    }
    println!();
}

fn print_description(d: &Description) {
    println!("{} ({})", escape(&d.name), escape(&d.slug));
    if !d.description.is_empty() {
        println!("  {}", escape(&d.description));
    }
    println!("\nsettings:");
    for s in &d.settings {
        let flags = [s.required.then_some("required"), s.secret.then_some("secret")];
        let flags: Vec<&str> = flags.into_iter().flatten().collect();
        println!("  {:<14} {:?} {}  {}", escape(&s.key), s.ty, flags.join(", "), escape(&s.label));
    }
    println!("\nhosts: {}", escape(&d.hosts.join(", ")));
    for b in &d.auth {
        println!("auth: secret '{}' -> header {} for {}", escape(&b.secret), escape(&b.header), escape(&b.hosts.join(", ")));
    }
    match &d.rate_budget {
        Some(r) => println!("rate budget: {} requests per {} ms per client", r.requests, r.window_ms),
        None => println!("rate budget: none declared"),
    }
    if !d.presets.is_empty() {
        println!("\npresets:");
        for p in &d.presets {
            println!("  {:<24} {:<22} -> {}", escape(&p.name), escape(&p.subscribe), escape(&p.action));
        }
    }
    println!("\nactions:");
    for a in &d.actions {
        println!("  {} - {}", escape(&a.key), escape(&a.title));
        if let Some(s) = &a.default_subscription {
            println!("    default trigger: {}", escape(s));
        }
        for f in &a.fields {
            print_field(f, 6);
        }
    }
}

fn print_field(f: &Field, indent: usize) {
    let mut ty = format!("{:?}", f.ty).to_lowercase();
    if f.multiple {
        ty = format!("{ty}[]");
    }
    let req = if f.required { " (required)" } else { "" };
    let default = f.default.as_ref().map(|d| format!("  default {d}")).unwrap_or_default();
    println!("{:indent$}{:<28} {ty}{req}  {}{}", "", escape(&f.key), escape(&f.label), escape(&default));
    if !f.choices.is_empty() {
        println!("{:indent$}  one of: {}", "", escape(&f.choices.join(", ")));
    }
    for p in &f.properties {
        print_field(p, indent + 4);
    }
}

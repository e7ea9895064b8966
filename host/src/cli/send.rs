//! `sluice send`: evaluates every trigger of every configured destination
//! instance against each event and performs what matches. Prints one JSON line
//! per event and matching mapping (and one for an event nothing matched), so
//! nothing is lost silently. The exit code is 0 when every outcome is ok,
//! else the code of the first failure's kind.

use std::io::BufRead;

use clap::Args;
use serde_json::{json, Value};
use sluice::config::Config;
use sluice::error::{Error, Kind, Result};

use super::{output, Cli, RunFlags};

#[derive(Args)]
pub struct SendArgs {
    /// The TOML configuration of destination instances.
    #[arg(long)]
    config: std::path::PathBuf,
    /// One event as JSON, @file of NDJSON events, or - for NDJSON on stdin.
    #[arg(long)]
    event: String,
    #[command(flatten)]
    flags: RunFlags,
}

pub async fn send(cli: &Cli, args: &SendArgs) -> i32 {
    match run(cli, args).await {
        Ok(code) => code,
        Err(e) => output::error(true, &e),
    }
}

type Event = std::result::Result<Value, String>;

/// Events as they arrive, one per NDJSON line (blank lines skipped); a line
/// that is not JSON is reported in its place, not skipped. Reading happens on
/// a thread, so events from stdin are performed as they come, not at EOF.
fn events(arg: &str) -> Result<tokio::sync::mpsc::Receiver<Event>> {
    let parse = |l: &str| serde_json::from_str::<Value>(l).map_err(|e| format!("the event is not valid JSON: {e}"));
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let reader: Box<dyn BufRead + Send> = if arg == "-" {
        Box::new(std::io::BufReader::new(std::io::stdin()))
    } else if let Some(path) = arg.strip_prefix('@') {
        let text = sluice::files::read_to_string(std::path::Path::new(path))
            .map_err(|e| Error::config(format!("cannot read events file {path}: {e}")))?;
        Box::new(std::io::Cursor::new(text.into_bytes()))
    } else {
        let _ = tx.try_send(parse(arg));
        return Ok(rx);
    };
    std::thread::spawn(move || {
        for line in reader.lines() {
            let event = match line {
                Ok(l) if l.trim().is_empty() => continue,
                Ok(l) => parse(&l),
                Err(e) => Err(format!("cannot read the event: {e}")),
            };
            if tx.blocking_send(event).is_err() {
                break;
            }
        }
    });
    Ok(rx)
}

async fn run(cli: &Cli, args: &SendArgs) -> Result<i32> {
    let runtime = cli.runtime(&args.flags, 64)?;
    let config = Config::load(&args.config, &runtime, &cli.modules).await?;
    let mut first_failure: Option<Kind> = None;
    let mut fail = |k: Kind| {
        first_failure.get_or_insert(k);
    };
    let mut events = events(&args.event)?;
    let mut next = 0usize;
    while let Some(event) = events.recv().await {
        let i = next;
        next += 1;
        let event = match event {
            Ok(e) => e,
            Err(m) => {
                fail(Kind::Validation);
                println!("{}", json!({"event": i, "ok": false, "error": Error::validation(m)}));
                continue;
            }
        };
        let mut matched = 0;
        for inst in &config.instances {
            for route in inst.routes.iter().filter(|r| r.subscription.matches(&event)) {
                matched += 1;
                let mut line = json!({"event": i, "destination": inst.name, "mapping": route.name, "action": route.action.key});
                let outcome = match route.mapping.payload(&route.action, &event) {
                    Err(m) => Err((Error::validation(inst.settings.redact(&m)), Vec::new())),
                    Ok(payload) => {
                        let call = runtime.perform(&inst.client, &route.action.key, &payload).await;
                        match call.result {
                            Ok(_) => Ok(call.exchanges),
                            Err(e) => Err((e, call.exchanges)),
                        }
                    }
                };
                let exchanges = match outcome {
                    Ok(ex) => {
                        line["ok"] = json!(true);
                        ex
                    }
                    Err((e, ex)) => {
                        fail(e.kind);
                        line["ok"] = json!(false);
                        line["error"] = json!(e);
                        ex
                    }
                };
                line["responses"] = exchanges.iter().map(output::response_json).collect();
                if args.flags.dry_run {
                    line["requests"] = json!(exchanges);
                }
                println!("{line}");
            }
        }
        if matched == 0 {
            println!("{}", json!({"event": i, "ok": true, "matched": 0}));
        }
    }
    Ok(first_failure.map_or(0, Kind::exit_code))
}

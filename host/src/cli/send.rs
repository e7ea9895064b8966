//! `sluice send`: evaluates every trigger of every configured destination
//! instance against each event and delivers what matches through the delivery
//! core (batches, `--concurrency` requests in flight per instance, one user's
//! events in order). Prints one JSON line per event and matching mapping (and
//! one for an event nothing matched), in input order, so nothing is lost
//! silently; a batched payload's line says how many shared its request
//! (`batch`), and in dry-run the request is shown on the first of them. Input
//! streams: stdin is delivered as it comes, with a bounded window of events in
//! flight. The exit code is 0 when every outcome is ok, else the code of the
//! first failure's kind, in input order.

use std::io::BufRead;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde_json::{json, Value};
use sluice::config::Config;
use sluice::delivery::{self, Done, Job, Lane};
use sluice::error::{Error, Kind, Result};
use tokio::sync::{mpsc, Semaphore};

use super::{output, Cli, RunFlags};

#[derive(Args)]
pub struct SendArgs {
    /// The TOML configuration of destination instances.
    #[arg(long)]
    config: std::path::PathBuf,
    /// One event as JSON, @file of NDJSON events, or - for NDJSON on stdin.
    #[arg(long)]
    event: String,
    /// Requests in flight at once, per destination instance.
    #[arg(long, default_value_t = 64)]
    concurrency: usize,
    /// How long a batch waits for more events, in milliseconds.
    #[arg(long, default_value_t = 50)]
    linger_ms: u64,
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
        let file = sluice::files::open(std::path::Path::new(path))
            .map_err(|e| Error::config(format!("cannot read events file {path}: {e}")))?;
        let mut reader = std::io::BufReader::new(file);
        // One JSON object written over several lines is one event; otherwise NDJSON.
        let mut first = String::new();
        let _ = reader.read_line(&mut first);
        if !first.trim().is_empty() && parse(&first).is_err() {
            let mut rest = String::new();
            let _ = std::io::Read::read_to_string(&mut reader, &mut rest);
            let whole = format!("{first}{rest}");
            match serde_json::from_str::<Value>(&whole) {
                Ok(event) => {
                    let _ = tx.try_send(Ok(event));
                    return Ok(rx);
                }
                Err(_) => Box::new(std::io::Cursor::new(whole.into_bytes())),
            }
        } else {
            Box::new(std::io::BufReader::new(std::io::Read::chain(std::io::Cursor::new(first.into_bytes()), reader)))
        }    } else {
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

/// Which output line a payload's outcome fills: event `event`, line `line`.
#[derive(Debug, Clone, Copy)]
struct Tag {
    event: usize,
    line: usize,
}

/// What the printer learns, in input order for each event.
enum Note {
    /// Event `event` has these lines; pending ones are filled by deliveries.
    Event { event: usize, lines: Vec<Line> },
    Done(Done<Tag>),
}

struct Line {
    json: Value,
    failure: Option<Kind>,
    /// Waiting for its delivery's outcome.
    pending: bool,
}

/// How many events may be in flight (read but not yet printed): the bound on
/// `send`'s memory, however long its input.
const WINDOW: usize = 20_000;

async fn run(cli: &Cli, args: &SendArgs) -> Result<i32> {
    let concurrency = args.concurrency.max(1);
    let max_instances = (concurrency * 2).clamp(64, 1024) as u32;
    let runtime = Arc::new(cli.runtime(&args.flags, max_instances)?);
    let config = Config::load(&args.config, &runtime, &cli.modules).await?;
    let opts = delivery::Options { concurrency, linger: Duration::from_millis(args.linger_ms), ..Default::default() };

    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Done<Tag>>();
    let lanes: Vec<Lane<Tag>> =
        config.instances.iter().map(|i| Lane::start(runtime.clone(), i.client.clone(), opts, done_tx.clone())).collect();
    drop(done_tx);

    // The printer: one line per event and mapping, in input order.
    let (note_tx, mut note_rx) = mpsc::unbounded_channel::<Note>();
    let window = Arc::new(Semaphore::new(WINDOW));
    let dry_run = args.flags.dry_run;
    let printer = {
        let window = window.clone();
        tokio::spawn(async move {
            let mut printer = Printer::new(dry_run, window);
            loop {
                tokio::select! {
                    biased;
                    Some(note) = note_rx.recv() => printer.note(note),
                    Some(done) = done_rx.recv() => printer.note(Note::Done(done)),
                    else => break,
                }
            }
            printer.first_failure
        })
    };

    let mut events = events(&args.event)?;
    let mut next = 0usize;
    while let Some(event) = events.recv().await {
        let i = next;
        next += 1;
        window.acquire().await.expect("the window is never closed").forget();
        let event = match event {
            Ok(e) => e,
            Err(m) => {
                let json = json!({"event": i, "ok": false, "error": Error::validation(m)});
                let _ = note_tx.send(Note::Event { event: i, lines: vec![Line { json, failure: Some(Kind::Validation), pending: false }] });
                continue;
            }
        };
        let user = sluice::config::user_of(&event);
        let mut lines = Vec::new();
        let mut jobs = Vec::new();
        for planned in config.plan(&event) {
            let inst = &config.instances[planned.instance];
            let route = planned.route;
            let line = lines.len();
            let mut json = json!({"event": i, "destination": inst.name, "mapping": route.name, "action": route.action.key});
            match planned.payload {
                Err(e) => {
                    json["ok"] = json!(false);
                    json["error"] = json!(e);
                    json["responses"] = json!([]);
                    lines.push(Line { json, failure: Some(e.kind), pending: false });
                }
                Ok(payload) => {
                    lines.push(Line { json, failure: None, pending: true });
                    let tag = Tag { event: i, line };
                    jobs.push((planned.instance, Job { tag, action: route.action.key.clone(), user: user.clone(), payload }));
                }
            }
        }
        if lines.is_empty() {
            lines.push(Line { json: json!({"event": i, "ok": true, "matched": 0}), failure: None, pending: false });
        }
        let _ = note_tx.send(Note::Event { event: i, lines });
        for (n, job) in jobs {
            if lanes[n].submit(job).await.is_err() {
                return Err(Error::config("a destination's delivery stopped unexpectedly"));
            }
        }
    }
    drop(lanes);
    drop(note_tx);
    let first_failure = printer.await.map_err(|e| Error::config(format!("the output task failed: {e}")))?;
    Ok(first_failure.map_or(0, Kind::exit_code))
}

struct Printer {
    dry_run: bool,
    window: Arc<Semaphore>,
    /// Events not yet printed, by index.
    events: std::collections::BTreeMap<usize, Vec<Line>>,
    /// Deliveries that arrived before their event's note (never, in practice).
    early: Vec<Done<Tag>>,
    next: usize,
    first_failure: Option<Kind>,
    out: std::io::BufWriter<std::io::Stdout>,
}

impl Printer {
    fn new(dry_run: bool, window: Arc<Semaphore>) -> Self {
        Printer {
            dry_run,
            window,
            events: Default::default(),
            early: Vec::new(),
            next: 0,
            first_failure: None,
            out: std::io::BufWriter::new(std::io::stdout()),
        }
    }

    fn note(&mut self, note: Note) {
        match note {
            Note::Event { event, lines } => {
                self.events.insert(event, lines);
                for d in std::mem::take(&mut self.early) {
                    self.fill(d);
                }
            }
            Note::Done(d) => self.fill(d),
        }
        self.print_ready();
    }

    fn fill(&mut self, d: Done<Tag>) {
        let Some(line) = self.events.get_mut(&d.tag.event).and_then(|l| l.get_mut(d.tag.line)) else {
            self.early.push(d);
            return;
        };
        line.pending = false;
        let json = &mut line.json;
        match &d.result {
            Ok(_) => json["ok"] = json!(true),
            Err(e) => {
                json["ok"] = json!(false);
                json["error"] = json!(e);
                line.failure = Some(e.kind);
            }
        }
        json["responses"] = d.exchanges.iter().map(output::response_json).collect();
        if d.batch_size > 1 {
            json["batch"] = json!(d.batch_size);
        }
        if self.dry_run && d.first {
            json["requests"] = json!(*d.exchanges);
        }
    }

    fn print_ready(&mut self) {
        use std::io::Write;
        while let Some(lines) = self.events.get(&self.next) {
            if lines.iter().any(|l| l.pending) {
                break;
            }
            let lines = self.events.remove(&self.next).unwrap_or_default();
            for line in lines {
                if let Some(k) = line.failure {
                    self.first_failure.get_or_insert(k);
                }
                let _ = writeln!(self.out, "{}", line.json);
            }
            self.next += 1;
            self.window.add_permits(1);
        }
        // Flush when caught up, so a slow stdin stream shows its results as they come.
        if self.events.is_empty() {
            let _ = self.out.flush();
        }
    }
}

//! `sluice bench`: the host's cost per perform on one core, on a fresh
//! instance per call and on the client's warm instance (as `send` and `serve`
//! run it), with egress answered in-process (as in `--dry-run`), so the
//! figures are the host and guest alone, not the network.

use std::time::{Duration, Instant};

use clap::Args;
use sluice::error::{Error, Result};
use sluice::files::json_arg;
use sluice::secrets::Settings;
use sluice_core::prepare::{Mapping, MappingChoice};

use super::{output, Cli, RunFlags};

#[derive(Args)]
pub struct BenchArgs {
    module: String,
    action: String,
    #[arg(long)]
    settings: String,
    /// A Segment event, mapped with the action's default mapping.
    #[arg(long)]
    event: String,
    /// How many calls to time (after 100 warm-up calls).
    #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u32).range(1..))]
    calls: u32,
    /// Payloads per perform-batch in the batched figure (default: the
    /// action's own limit); to see how cost per event falls with batch size.
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..))]
    batch_size: Option<u32>,
    /// Time one figure only (under a profiler or an instruction counter, say);
    /// by default all four.
    #[arg(long, value_enum)]
    only: Option<Phase>,
}

#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    Mapping,
    /// perform on a fresh instance per call.
    Perform,
    /// perform on the client's warm instance.
    Warm,
    Batched,
}

pub async fn bench(cli: &Cli, args: &BenchArgs) -> i32 {
    match run(cli, args).await {
        Ok(()) => 0,
        Err(e) => output::error(false, &e),
    }
}

fn stats(mut samples: Vec<Duration>) -> (f64, f64, f64) {
    samples.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6;
    let mean = samples.iter().map(|d| us(*d)).sum::<f64>() / samples.len() as f64;
    (mean, us(samples[samples.len() / 2]), us(samples[samples.len() * 99 / 100]))
}

async fn run(cli: &Cli, args: &BenchArgs) -> Result<()> {
    let mut flags = RunFlags::default_for(false);
    flags.show_bodies = false;
    let runtime = cli.runtime(&flags, 16)?;
    flags.fresh_instances = true;
    let fresh = cli.runtime(&flags, 16)?;
    let module = runtime.load(&args.module, &cli.modules).await?;
    let action = module.description.action(&args.action).ok_or_else(|| Error::validation("no such action"))?;
    let settings = Settings::split(&module.description, &json_arg("settings", &args.settings).map_err(Error::validation)?)?;
    let event = json_arg("event", &args.event).map_err(Error::validation)?;
    let mapping = Mapping::new(action, MappingChoice::Defaults).map_err(Error::validation)?;
    let client = runtime.client(module.clone(), &settings)?;
    let fresh_client = fresh.client(fresh.load(&args.module, &cli.modules).await?, &settings)?;

    let runs = |phase: Phase| args.only.is_none_or(|only| only == phase);
    let payload = mapping.payload(action, &event).map_err(Error::validation)?;
    println!("module {} action {} (contract {}) — {} calls on one core, egress answered in-process", module.slug, args.action, module.contract(), args.calls);
    let f = module.footprint;
    println!("component:          {} core instances, {} memories, {} tables per instance", f.core_instances, f.memories, f.tables);

    for (phase, runtime, client, label) in
        [(Phase::Perform, &fresh, &fresh_client, "perform, fresh:"), (Phase::Warm, &runtime, &client, "perform, warm:")]
    {
        if !runs(phase) {
            continue;
        }
        for _ in 0..100 {
            runtime.perform(client, &args.action, &payload).await.result?;
        }
        let mut samples = Vec::with_capacity(args.calls as usize);
        let started = Instant::now();
        for _ in 0..args.calls {
            let t = Instant::now();
            runtime.perform(client, &args.action, &payload).await.result?;
            samples.push(t.elapsed());
        }
        let total = started.elapsed();
        let (mean, p50, p99) = stats(samples);
        println!("{label:<20}mean {mean:.1} µs   p50 {p50:.1} µs   p99 {p99:.1} µs   {:.0} calls/s", f64::from(args.calls) / total.as_secs_f64());
    }
    if runs(Phase::Mapping) {
        let started = Instant::now();
        for _ in 0..args.calls {
            mapping.payload(action, &event).map_err(Error::validation)?;
        }
        let map_us = started.elapsed().as_secs_f64() * 1e6 / f64::from(args.calls);
        println!("mapping+validation: mean {map_us:.1} µs per event");
    }
    if !runs(Phase::Batched) {
        return Ok(());
    }

    // Batched, as the delivery core sends it: map, validate and serialize each
    // event, then one perform-batch per batch of the action's size, on the
    // client's warm instance.
    if let Some(limits) = action.batch {
        let size = args.batch_size.unwrap_or(limits.max_events).clamp(1, limits.max_events.max(1)) as usize;
        let batches = (args.calls as usize).div_ceil(size).max(1);
        // Each batch timed on its own, so a burst of the machine's noise
        // shows in the mean and the p99, not in the p50.
        let mut samples = Vec::with_capacity(batches);
        let started = Instant::now();
        for _ in 0..batches {
            let t = Instant::now();
            let mut payloads = Vec::with_capacity(size);
            for _ in 0..size {
                payloads.push(sluice::files::to_json(&mapping.payload(action, &event).map_err(Error::validation)?));
            }
            let call = runtime.perform_batch_json(&client, &args.action, payloads).await;
            for r in call.result? {
                r?;
            }
            samples.push(t.elapsed() / size as u32);
        }
        let per_event = started.elapsed().as_secs_f64() * 1e6 / (batches * size) as f64;
        let (_, p50, p99) = stats(samples);
        println!(
            "batched:            mean {per_event:.1} µs   p50 {p50:.1} µs   p99 {p99:.1} µs per event in all (mapping, validation, perform-batch of {size})"
        );
    } else {
        println!("batched:            {} does not batch (one request per event)", args.action);
    }
    Ok(())
}

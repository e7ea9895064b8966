//! Command-line parsing and the commands.

mod bench;
mod output;
mod partner;
mod perform;
mod replay;
mod send;
mod serve;

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use sluice::budget::Rate;
use sluice::egress::{Egress, Limits as EgressLimits, Route};
use sluice::error::{Error, Result};
use sluice::{Options, Runtime};

#[derive(Parser)]
#[command(name = "sluice", version, about = "Runs customer-data destinations as sandboxed WebAssembly components")]
pub struct Cli {
    /// Where modules are found by slug.
    #[arg(long, global = true, env = "SLUICE_MODULES", default_value = sluice::modules::DEFAULT_DIR)]
    modules: PathBuf,
    /// Where compiled components are cached (default: $XDG_CACHE_HOME/sluice or ~/.cache/sluice).
    #[arg(long, global = true, env = "SLUICE_CACHE_DIR")]
    cache_dir: Option<PathBuf>,
    /// Don't read or write the compile cache.
    #[arg(long, global = true)]
    no_cache: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Show a module's actions, fields, presets, hosts and rate budget.
    Describe {
        module: String,
        #[arg(long)]
        json: bool,
    },
    /// List the modules in the modules directory.
    Modules,
    /// Run one action: map an event (or take a payload), validate, perform.
    Perform(perform::PerformArgs),
    /// Check a module's credentials against its API.
    TestAuth(perform::TestAuthArgs),
    /// Route events through every configured destination instance.
    Send(send::SendArgs),
    /// Measure the host's cost per perform on one core.
    Bench(bench::BenchArgs),
    /// Accept events over Segment's tracking API, store them durably and deliver them.
    Serve(serve::ServeArgs),
    /// List, show and redrive the dead letters of a data directory.
    Dlq(serve::DlqArgs),
    /// Send historic events through the mappings and budget, behind live traffic; resumable.
    Replay(replay::ReplayArgs),
    /// Check a component as the host would at load, plus what partners get wrong; exit 0 only when clean.
    Validate(partner::ValidateArgs),
    /// Render a module's catalog page (settings, presets, actions and fields) as Markdown.
    Docs(partner::DocsArgs),
    /// Create a new destination project (outside this repository) from a template.
    New(partner::NewArgs),
}

/// Flags shared by every command that runs a guest.
#[derive(Args, Clone)]
pub struct RunFlags {
    /// Send requests meant for ORIGIN to BASE_URL instead (path and query kept); repeatable.
    #[arg(long = "route", value_name = "ORIGIN=BASE_URL")]
    routes: Vec<String>,
    /// Allow ORIGIN for a setting the module constrains to a pattern (a custom
    /// domain for Talon.One's deployment, say); repeatable.
    #[arg(long = "allow-origin", value_name = "ORIGIN")]
    allow_origins: Vec<String>,
    /// Print each request instead of sending it (secrets redacted) and answer it with 200.
    #[arg(long)]
    dry_run: bool,
    /// Make the last line of stdout one JSON object.
    #[arg(long)]
    json: bool,
    /// Override the module's rate budget: N, N/s or N/<millis>ms.
    #[arg(long, value_name = "RATE")]
    rate: Option<String>,
    /// Memory limit per instance (all its memories and tables), in MiB.
    #[arg(long, default_value_t = 64)]
    memory_mb: usize,
    /// Guest CPU time per call, in milliseconds.
    #[arg(long, default_value_t = 1000)]
    cpu_ms: u64,
    /// Run every call on a fresh instance, instead of on the client's instance
    /// from its last call (kept for up to 1000 calls, never after a failure).
    #[arg(long)]
    fresh_instances: bool,
    /// Keep a redacted copy of each request's body for printing (dry runs).
    #[arg(skip = true)]
    show_bodies: bool,
}

impl Cli {
    fn cache_dir(&self) -> Option<PathBuf> {
        if self.no_cache {
            return None;
        }
        self.cache_dir.clone().or_else(sluice::cache::default_dir)
    }

    fn runtime(&self, flags: &RunFlags, max_instances: u32) -> Result<Runtime> {
        let routes = flags
            .routes
            .iter()
            .map(|r| Route::parse(r).map_err(Error::validation))
            .collect::<Result<Vec<_>>>()?;
        let egress = Egress::new(routes, EgressLimits::default(), flags.dry_run).showing_bodies(flags.show_bodies);
        let mut opts = Options::new(egress);
        opts.cache_dir = self.cache_dir();
        opts.max_instances = max_instances;
        if flags.fresh_instances {
            opts.warm_calls = 0;
        }
        opts.allow_origins = flags.allow_origins.iter().map(|o| allowed_origin(o)).collect::<Result<_>>()?;
        opts.limits.memory_bytes = flags.memory_mb << 20;
        opts.limits.cpu = std::time::Duration::from_millis(flags.cpu_ms);
        opts.rate = flags.rate.as_deref().map(Rate::parse).transpose().map_err(Error::validation)?;
        Runtime::new(opts).map_err(|e| Error::config(format!("cannot start the engine: {e:#}")))
    }
}

/// `--allow-origin`: an https origin, exactly.
fn allowed_origin(text: &str) -> Result<url::Origin> {
    match url::Url::parse(text) {
        Ok(u) if u.scheme() == "https" && u.host().is_some() && u.path() == "/" && u.query().is_none() => Ok(u.origin()),
        _ => Err(Error::validation(format!("--allow-origin '{text}' must be an https origin such as https://api.example.com"))),
    }
}

pub fn main() -> i32 {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("SLUICE_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        // Colour codes only for a terminal: logs piped to a file stay plain text.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    // The benchmark measures one core, so it gets a single-threaded runtime.
    let rt = match &cli.command {
        Command::Bench(_) => tokio::runtime::Builder::new_current_thread().enable_all().build(),
        _ => tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build(),
    };
    let rt = match rt {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return 1;
        }
    };
    rt.block_on(run(cli))
}

async fn run(cli: Cli) -> i32 {
    match &cli.command {
        Command::Describe { module, json } => {
            let flags = RunFlags::default_for(*json);
            output::finish(*json, describe(&cli, &flags, module).await)
        }
        Command::Modules => {
            for m in sluice::modules::list(&cli.modules) {
                println!("{m}");
            }
            0
        }
        Command::Perform(args) => perform::perform(&cli, args).await,
        Command::TestAuth(args) => perform::test_auth(&cli, args).await,
        Command::Send(args) => send::send(&cli, args).await,
        Command::Bench(args) => bench::bench(&cli, args).await,
        Command::Serve(args) => serve::serve(&cli, args).await,
        Command::Dlq(args) => serve::dlq(&cli, args).await,
        Command::Replay(args) => replay::replay(&cli, args).await,
        Command::Validate(args) => partner::validate(&cli, args).await,
        Command::Docs(args) => partner::docs(&cli, args).await,
        Command::New(args) => partner::new(args),
    }
}

impl RunFlags {
    fn default_for(json: bool) -> Self {
        RunFlags {
            routes: Vec::new(),
            allow_origins: Vec::new(),
            dry_run: true,
            json,
            rate: None,
            memory_mb: 64,
            cpu_ms: 1000,
            fresh_instances: false,
            show_bodies: true,
        }
    }
}

async fn describe(cli: &Cli, flags: &RunFlags, name: &str) -> Result<output::Done> {
    let runtime = cli.runtime(flags, 4)?;
    let module = runtime.load(name, &cli.modules).await?;
    Ok(output::Done::Describe(module.description.clone()))
}

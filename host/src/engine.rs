//! The engine: compiling, caching and instantiating components, and running
//! one call in a limited store.
//!
//! A call runs in a `Store` and instance made from the module's `InstancePre`
//! on the pooling allocator (copy-on-write memory images), fresh or kept warm
//! for the same client's next call (see `warm`: never another client's, never
//! after a failure), with its limits started afresh either way. The linker
//! is built once and grants only the contract's
//! imports plus the WASI pieces Rust's std and the JavaScript runtimes link
//! (stdio captured, clocks, randomness, an empty environment, and a filesystem
//! with no directories: nothing can be opened); a component that imports
//! anything else (sockets, wasi:http) is refused at load.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use sluice_core::Description;
use wasmtime::component::{HasData, Linker, ResourceTable};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store};

use crate::bindings::{self, GuestOutcome, Pre, Reply, Request};
use crate::budget::{Budgets, Rate};
use crate::cache;
use crate::egress::{Egress, Exchange, Policy};
use crate::error::{Error, Result};
use crate::footprint::Footprint;
use crate::limits::{EpochTicker, Exceeded, Limits};
use crate::secrets::Settings;
use crate::state::GuestState;
use crate::warm::Warm;

/// Bytes of each pooled linear memory kept mapped between calls.
pub const KEEP_RESIDENT: usize = 1 << 20;

pub struct Options {
    pub egress: Egress,
    pub limits: Limits,
    /// Overrides every module's declared rate budget.
    pub rate: Option<Rate>,
    pub cache_dir: Option<PathBuf>,
    /// How many calls may run at once; the pooling allocator has a slot for
    /// each, and one more for each instance kept warm.
    pub max_instances: u32,
    /// Calls one instance serves for its client before a fresh one (0: a
    /// fresh instance for every call). See `warm`.
    pub warm_calls: u32,
    /// Origins the operator allows for a `{setting}` host beyond the module's
    /// pattern for it (`--allow-origin`, for custom domains).
    pub allow_origins: Vec<url::Origin>,
}

impl Options {
    pub fn new(egress: Egress) -> Self {
        Options { egress, limits: Limits::default(), rate: None, cache_dir: cache::default_dir(), max_instances: 256, warm_calls: crate::warm::DEFAULT_CALLS, allow_origins: Vec::new() }
    }
}

pub struct Runtime {
    engine: Engine,
    linker: Linker<GuestState>,
    egress: Arc<Egress>,
    budgets: Budgets,
    limits: Limits,
    rate: Option<Rate>,
    cache_dir: Option<PathBuf>,
    allow_origins: Vec<url::Origin>,
    /// One permit per pooled instance: a call waits for a free instance
    /// instead of failing when the pool is busy.
    instances: tokio::sync::Semaphore,
    /// Instances kept for their clients' next calls.
    warm: crate::warm::Idle,
    /// Modules already loaded, by path: several instances of one module share it.
    loaded: std::sync::Mutex<std::collections::HashMap<PathBuf, Arc<Module>>>,
    _ticker: EpochTicker,
}

/// A loaded destination: its description and a ready-to-instantiate component.
pub struct Module {
    pub slug: String,
    pub path: PathBuf,
    pub description: Description,
    pub from_cache: bool,
    /// What one instance takes from the pool, counted at load.
    pub footprint: Footprint,
    pre: Pre,
}

impl Module {
    fn new(path: &Path, pre: Pre, from_cache: bool, footprint: Footprint) -> Module {
        let slug = path.file_stem().and_then(|s| s.to_str()).unwrap_or_default().to_string();
        Module { slug, path: path.to_path_buf(), description: Description::default(), from_cache, footprint, pre }
    }

    /// The contract version the component was built against.
    pub fn contract(&self) -> &'static str {
        self.pre.version()
    }
}

/// A module bound to one client's settings. Its egress policy (resolved
/// hosts, auth bindings, rate budget) and the guest's settings JSON are
/// worked out once here, not on every call.
#[derive(Clone)]
pub struct Client {
    pub module: Arc<Module>,
    settings_json: String,
    /// Also what marks the client's warm instances (see `warm`).
    policy: Arc<Policy>,
}

impl Client {
    /// Requests of this client waiting for its rate budget.
    pub fn budget_waiting(&self) -> usize {
        self.policy.budget.as_ref().map_or(0, |b| b.waiting())
    }
}

/// The result of one call plus every HTTP exchange it made.
#[derive(Debug)]
pub struct Call<T> {
    pub result: Result<T>,
    pub exchanges: Vec<Exchange>,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: u16,
    pub body: String,
}

struct HasIo;
impl HasData for HasIo {
    type Data<'a> = &'a mut ResourceTable;
}

fn linker(engine: &Engine) -> wasmtime::Result<Linker<GuestState>> {
    use wasmtime_wasi::p2::bindings::{cli, clocks, filesystem, random};
    use wasmtime_wasi::cli::{WasiCli, WasiCliView};
    use wasmtime_wasi::clocks::{WasiClocks, WasiClocksView};
    use wasmtime_wasi::filesystem::{WasiFilesystem, WasiFilesystemView};
    use wasmtime_wasi::random::WasiRandom;
    let mut l = Linker::new(engine);
    bindings::add_to_linker(&mut l)?;
    let table = GuestState::table;
    wasmtime_wasi_io::bindings::wasi::io::error::add_to_linker::<GuestState, HasIo>(&mut l, table)?;
    wasmtime_wasi_io::bindings::wasi::io::poll::add_to_linker::<GuestState, HasIo>(&mut l, table)?;
    wasmtime_wasi_io::bindings::wasi::io::streams::add_to_linker::<GuestState, HasIo>(&mut l, table)?;
    clocks::wall_clock::add_to_linker::<GuestState, WasiClocks>(&mut l, <GuestState as WasiClocksView>::clocks)?;
    clocks::monotonic_clock::add_to_linker::<GuestState, WasiClocks>(&mut l, <GuestState as WasiClocksView>::clocks)?;
    random::random::add_to_linker::<GuestState, WasiRandom>(&mut l, GuestState::random)?;
    random::insecure::add_to_linker::<GuestState, WasiRandom>(&mut l, GuestState::random)?;
    random::insecure_seed::add_to_linker::<GuestState, WasiRandom>(&mut l, GuestState::random)?;
    cli::exit::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::environment::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::stdin::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::stdout::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::stderr::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::terminal_input::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::terminal_output::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::terminal_stdin::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::terminal_stdout::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    cli::terminal_stderr::add_to_linker::<GuestState, WasiCli>(&mut l, <GuestState as WasiCliView>::cli)?;
    // The WASI context has no preopened directories, so `get-directories` is
    // empty and no descriptor can ever be had: libc and the JavaScript
    // runtimes link the filesystem, but there is nothing in it.
    let fs = <GuestState as WasiFilesystemView>::filesystem;
    filesystem::types::add_to_linker::<GuestState, WasiFilesystem>(&mut l, fs)?;
    filesystem::preopens::add_to_linker::<GuestState, WasiFilesystem>(&mut l, fs)?;
    Ok(l)
}

impl Runtime {
    pub fn new(opts: Options) -> anyhow::Result<Runtime> {
        // Room for `max_instances` of the largest component allowed at once
        // (see footprint.rs); address space is reserved, not memory.
        let per = crate::footprint::PER_COMPONENT;
        let idle = if opts.warm_calls == 0 { 0 } else { opts.max_instances };
        let n = opts.max_instances + idle;
        let mut pool = PoolingAllocationConfig::default();
        pool.total_component_instances(n)
            .max_core_instances_per_component(per.core_instances)
            .max_memories_per_component(per.memories)
            .max_tables_per_component(per.tables)
            .total_core_instances(n * per.core_instances)
            .total_memories(n * per.memories)
            .total_tables(n * per.tables)
            .max_memory_size(opts.limits.memory_bytes)
            // A fresh instance is cheap only if its pages are: keep the
            // first pages of each memory and table mapped and reset them in
            // place, and on kernels with PAGEMAP_SCAN (6.7+) reset only the
            // pages a call dirtied. Without it, the kept pages are zeroed.
            // Slots go back to the pool in batches (one lock and one flush
            // per 16 queued regions, three per call, so about every fifth
            // call; a full pool flushes at once): 3% fewer instructions per
            // fresh perform (BENCHMARKS.md).
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(64 << 10)
            .pagemap_scan(wasmtime::Enabled::Auto)
            .decommit_batch_size(16);
        let mut config = Config::new();
        config
            .epoch_interruption(true)
            .allocation_strategy(InstanceAllocationStrategy::Pooling(pool))
            .memory_reservation(opts.limits.memory_bytes as u64)
            .memory_guard_size(64 << 10);
        let engine = Engine::new(&config).map_err(anyhow::Error::from)?;
        let linker = linker(&engine).map_err(anyhow::Error::from)?;
        let _ticker = EpochTicker::start(&engine);
        Ok(Runtime {
            engine,
            linker,
            egress: Arc::new(opts.egress),
            budgets: Budgets::default(),
            limits: opts.limits,
            rate: opts.rate,
            cache_dir: opts.cache_dir,
            allow_origins: opts.allow_origins,
            instances: tokio::sync::Semaphore::new(opts.max_instances as usize),
            warm: crate::warm::Idle::new(opts.warm_calls, idle as usize),
            loaded: Default::default(),
            _ticker,
        })
    }

    /// Loads a module by slug (from `modules_dir`) or by path.
    /// A module named by slug must declare that slug, so that a file dropped
    /// in under another destination's name cannot borrow its identity (and its
    /// clients' rate budgets).
    pub async fn load(&self, name: &str, modules_dir: &Path) -> Result<Arc<Module>> {
        let path = crate::modules::locate(name, modules_dir)?;
        let module = self.load_path(&path).await?;
        if !crate::modules::is_path(name) && module.slug != name {
            return Err(Error::config(format!(
                "{} declares the slug '{}', not '{name}': rename the file to {}.wasm",
                path.display(),
                module.slug,
                module.slug
            )));
        }
        Ok(module)
    }

    pub async fn load_path(&self, path: &Path) -> Result<Arc<Module>> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(m) = self.loaded.lock().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return Ok(m.clone());
        }
        let module = self.compile_and_describe(path).await?;
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(key, module.clone());
        Ok(module)
    }

    /// Compiles `path` again (a new version of the file) and makes it the
    /// module later loads of that path get; modules already handed out stay
    /// as they are.
    pub async fn reload(&self, path: &Path) -> Result<Arc<Module>> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let module = self.compile_and_describe(path).await?;
        self.loaded.lock().unwrap_or_else(|p| p.into_inner()).insert(key, module.clone());
        Ok(module)
    }

    async fn compile_and_describe(&self, path: &Path) -> Result<Arc<Module>> {
        let shown = path.display();
        let bytes = crate::files::read(path).map_err(|e| Error::config(format!("cannot read module {shown}: {e}")))?;
        // Before compiling, whose own pool check would say less; a file that
        // does not parse is left to the compiler's message.
        let footprint = Footprint::of(&bytes).unwrap_or_default();
        footprint.check().map_err(|e| Error::config(format!("{shown} is not a component the host can run: {e}")))?;
        let (component, source) = cache::load(&self.engine, &bytes, self.cache_dir.as_deref())
            .map_err(|e| Error::config(format!("{shown} is not a valid component: {e}")))?;
        let pre = self.link(&component).map_err(|e| Error::config(format!("{shown} {e}")))?;
        let mut module = Module::new(path, pre, matches!(source, cache::Source::Cached), footprint);
        let description = self.describe(&module).await.map_err(|mut e| {
            e.message = format!("{shown}: {}", e.message);
            e
        })?;
        check_description(&description).map_err(|e| Error::config(format!("{shown}: {e}")))?;
        module.slug = description.slug.clone();
        module.description = description;
        Ok(Arc::new(module))
    }

    /// Links a component against the contract's imports and finds its version.
    fn link(&self, component: &wasmtime::component::Component) -> std::result::Result<Pre, String> {
        let pre = self.linker.instantiate_pre(component).map_err(|e| {
            format!(
                "cannot be linked: {e}. sluice gives a destination only sluice:destination/http and log, \
                 plus stdio, clocks, randomness, an empty environment and an empty filesystem; no sockets or wasi:http"
            )
        })?;
        Pre::new(pre).map_err(|e| format!("is not a sluice destination: {e}"))
    }

    /// Calls `describe` and converts the answer. A guest that fails keeps
    /// its error's kind (a trap, the memory cap); a bad answer is `config`.
    async fn describe(&self, module: &Module) -> Result<Description> {
        let policy = Arc::new(Policy::bare(&module.slug, &module.description));
        match self.invoke(module, policy, false, Request::Describe).await.result? {
            Reply::Describe(d) => d.map_err(Error::config),
            _ => unreachable!("describe answers describe"),
        }
    }

    /// Everything the host checks at load, and what partners get wrong, as one
    /// problem per line (`where: what`); empty when the module is clean.
    /// Returns the description when `describe` could be run.
    pub async fn validate(&self, path: &Path) -> (Option<Description>, Vec<String>) {
        let bytes = match crate::files::read(path) {
            Ok(b) => b,
            Err(e) => return (None, vec![format!("file: cannot read {}: {e}", path.display())]),
        };
        let component = match wasmtime::component::Component::new(&self.engine, &bytes) {
            Ok(c) => c,
            Err(e) => {
                let why = format!("{e:#}").split_whitespace().collect::<Vec<_>>().join(" ");
                return (None, vec![format!("component: not a valid WebAssembly component: {why}")]);
            }
        };
        let unknown: Vec<String> = component
            .component_type()
            .imports(&self.engine)
            .map(|(name, _)| name.to_string())
            .filter(|name| !allowed_import(name))
            .map(|name| {
                format!(
                    "imports.{name}: sluice does not provide it; a destination gets sluice:destination/http and log, \
                     plus stdio, clocks, randomness, an empty environment and an empty filesystem (no sockets or wasi:http)"
                )
            })
            .collect();
        if !unknown.is_empty() {
            return (None, unknown);
        }
        let footprint = Footprint::of(&bytes).unwrap_or_default();
        if let Err(e) = footprint.check() {
            return (None, vec![format!("component: {e}")]);
        }
        let pre = match self.link(&component) {
            Ok(p) => p,
            Err(e) => return (None, vec![format!("component: {e}")]),
        };
        let module = Module::new(path, pre, false, footprint);
        let description = match self.describe(&module).await {
            Ok(d) => d,
            Err(e) => return (None, vec![format!("describe: {}", e.message)]),
        };
        let mut problems: Vec<String> = sluice_core::check::check(&description).iter().map(ToString::to_string).collect();
        problems.extend(sluice_core::check::advise(&description).iter().map(ToString::to_string));
        (Some(description), problems)
    }

    /// Keeps every client's rate budget in `log` from now on, shared with the
    /// other processes using it. Call before making clients.
    pub fn share_budgets(&self, log: Arc<dyn crate::budget::SharedLog>) {
        self.budgets.share(log);
    }

    /// Binds a module to a client's settings; see [`Client`]. Fails when a
    /// setting that decides an origin is not a URL the module allows.
    pub fn client(&self, module: Arc<Module>, settings: &Settings) -> Result<Client> {
        let rate = self.rate.or_else(|| {
            module.description.rate_budget.map(|r| Rate {
                requests: r.requests,
                window: std::time::Duration::from_millis(r.window_ms.into()),
            })
        });
        let budget = rate.map(|r| self.budgets.for_client(&settings.client_key(&module.slug), r));
        let policy = Policy::new(&module.slug, &module.description, settings, budget, &self.allow_origins)
            .map_err(Error::validation)?;
        Ok(Client { settings_json: Value::Object(settings.public.clone()).to_string(), module, policy: Arc::new(policy) })
    }

    pub async fn perform(&self, client: &Client, action: &str, payload: &Value) -> Call<Outcome> {
        self.perform_json(client, action, crate::files::to_json(payload)).await
    }

    /// [`Runtime::perform`] with the payload already serialized.
    pub async fn perform_json(&self, client: &Client, action: &str, payload: String) -> Call<Outcome> {
        let request = Request::Perform { action: action.to_string(), payload, settings: client.settings_json.clone() };
        let call = self.invoke(&client.module, client.policy.clone(), true, request).await;
        let policy = &client.policy;
        Call {
            result: call.result.and_then(|r| match r {
                Reply::Perform(r) => guest_result(policy, r),
                _ => unreachable!("perform answers perform"),
            }),
            exchanges: call.exchanges,
        }
    }

    pub async fn perform_batch(&self, client: &Client, action: &str, payloads: &[Value]) -> Call<Vec<Result<Outcome>>> {
        self.perform_batch_json(client, action, payloads.iter().map(crate::files::to_json).collect()).await
    }

    /// One `perform-batch` call: for an action that batches, one request for
    /// all the payloads. `Err` is a failure of the whole call (a trap).
    pub async fn perform_batch_json(&self, client: &Client, action: &str, payloads: Vec<String>) -> Call<Vec<Result<Outcome>>> {
        let request = Request::Batch { action: action.to_string(), payloads, settings: client.settings_json.clone() };
        let call = self.invoke(&client.module, client.policy.clone(), true, request).await;
        let policy = &client.policy;
        Call {
            result: call.result.map(|r| match r {
                Reply::Batch(list) => list.into_iter().map(|r| guest_result(policy, r)).collect(),
                _ => unreachable!("batch answers batch"),
            }),
            exchanges: call.exchanges,
        }
    }

    pub async fn test_authentication(&self, client: &Client) -> Call<()> {
        let request = Request::TestAuth { settings: client.settings_json.clone() };
        let call = self.invoke(&client.module, client.policy.clone(), true, request).await;
        Call {
            result: call.result.and_then(|r| match r {
                Reply::TestAuth(r) => r.map_err(|e| redacted(&client.policy, e)),
                _ => unreachable!("test-authentication answers test-authentication"),
            }),
            exchanges: call.exchanges,
        }
    }

    /// Runs one export with the call's limits: with `keep`, on the client's
    /// warm instance if it has one idle, else on a fresh one (kept afterwards
    /// for the client if the call returned; see `warm`); without, on a fresh
    /// one, dropped after.
    async fn invoke(&self, module: &Module, policy: Arc<Policy>, keep: bool, request: Request) -> Call<Reply> {
        let Ok(_permit) = self.instances.acquire().await else {
            return Call { result: Err(Error::config("the runtime is shutting down")), exchanges: Vec::new() };
        };
        let kept = if keep { self.warm.take(&policy) } else { None };
        let mut warm = kept.unwrap_or_else(|| {
            let mut store = Store::new(&self.engine, GuestState::new(self.egress.clone(), policy, &self.limits));
            store.limiter(|s| &mut s.memory);
            store.epoch_deadline_callback(|ctx| ctx.data().cpu.on_tick());
            Warm { store, instance: None, calls: 0 }
        });
        warm.store.data_mut().begin_call(&self.limits);
        warm.store.set_epoch_deadline(1);

        let cpu = warm.store.data().cpu.clone();
        // Boxed: the call's future is kilobytes, and moving it through the
        // meter and the timeout by value copied it several times per call.
        let run = Box::pin(async {
            let instance = match warm.instance {
                Some(i) => i,
                None => *warm.instance.insert(module.pre.instantiate(&mut warm.store).await?),
            };
            module.pre.run(&mut warm.store, &instance, &request).await
        });
        let outcome = tokio::time::timeout(self.limits.wall, cpu.meter(run)).await;
        let stderr = warm.store.data_mut().flush_stdio();
        let state = warm.store.data_mut();
        let reusable = matches!(outcome, Ok(Ok(_))) && state.memory.exceeded.is_none();
        let result = match outcome {
            Ok(Ok(reply)) => Ok(reply),
            Ok(Err(trap)) => {
                Err(redacted(&state.policy, guest_failure(&module.slug, &trap, state.memory.exceeded.as_ref(), &stderr)))
            }
            // Out of time while waiting on the API or the rate budget is not the guest's fault.
            Err(_) if state.in_host => Err(Error::new(
                crate::error::Kind::Retryable,
                format!(
                    "{} did not finish within {:?}: it was waiting on its API or its rate budget",
                    module.slug, self.limits.wall
                ),
            )),
            Err(_) => Err(Error::guest(format!(
                "{} did not finish within its wall-clock deadline of {:?} (it used {:?} of its {:?} of CPU time; \
                 the rest it spent waiting)",
                module.slug,
                self.limits.wall,
                cpu.cpu_time(),
                self.limits.cpu
            ))),
        };
        let exchanges = std::mem::take(&mut state.exchanges);
        if keep && reusable {
            warm.calls += 1;
            self.warm.put(warm);
        }
        Call { result, exchanges }
    }
}

/// What a guest returns, with any secret (or encoding of one) it got hold of scrubbed.
fn guest_result(policy: &Policy, r: Result<GuestOutcome>) -> Result<Outcome> {
    match r {
        Ok(o) => Ok(Outcome { status: o.status, body: policy.redact(&o.body) }),
        Err(e) => Err(redacted(policy, e)),
    }
}

/// A guest's error as the operator sees it: secrets scrubbed, then cut to
/// [`MAX_GUEST_TEXT`](crate::printable::MAX_GUEST_TEXT) (escaping happens where it is printed).
fn redacted(policy: &Policy, mut e: Error) -> Error {
    e.message = crate::guest_log::truncate(&policy.redact(&e.message), crate::printable::MAX_GUEST_TEXT);
    e
}

fn guest_failure(module: &str, trap: &wasmtime::Error, memory: Option<&Exceeded>, stderr: &str) -> Error {
    if let Some(e) = trap.downcast_ref::<Exceeded>().or(memory) {
        return Error::guest(format!("{module} was stopped: {e}"));
    }
    let panic = stderr.lines().find(|l| l.contains("panicked at")).map(|l| {
        let rest: Vec<&str> = stderr.lines().skip_while(|x| *x != l).skip(1).take(3).collect();
        format!("{} {}", l.trim(), rest.join(" ").trim())
    });
    let what = match trap.downcast_ref::<wasmtime::Trap>() {
        Some(t) => t.to_string(),
        None => format!("{trap:#}"),
    };
    match panic {
        Some(p) => Error::guest(format!("{module} panicked: {} ({what})", p.trim())),
        None => Error::guest(format!("{module} failed: {what}")),
    }
}

/// The imports the linker provides (any 0.2 WASI patch version).
fn allowed_import(name: &str) -> bool {
    let (iface, _version) = name.split_once('@').unwrap_or((name, ""));
    matches!(
        iface,
        "sluice:destination/http"
            | "sluice:destination/log"
            | "sluice:destination/types"
            | "wasi:io/error"
            | "wasi:io/poll"
            | "wasi:io/streams"
            | "wasi:clocks/wall-clock"
            | "wasi:clocks/monotonic-clock"
            | "wasi:random/random"
            | "wasi:random/insecure"
            | "wasi:random/insecure-seed"
            | "wasi:cli/exit"
            | "wasi:cli/environment"
            | "wasi:cli/stdin"
            | "wasi:cli/stdout"
            | "wasi:cli/stderr"
            | "wasi:cli/terminal-input"
            | "wasi:cli/terminal-output"
            | "wasi:cli/terminal-stdin"
            | "wasi:cli/terminal-stdout"
            | "wasi:cli/terminal-stderr"
            | "wasi:filesystem/types"
            | "wasi:filesystem/preopens"
    )
}

/// The host's refusal of a description with problems (see `sluice_core::check`).
fn check_description(d: &Description) -> std::result::Result<(), String> {
    let problems = sluice_core::check::check(d);
    if problems.is_empty() {
        return Ok(());
    }
    let list: Vec<String> = problems.iter().map(ToString::to_string).collect();
    Err(format!("the module's description has {} problem(s): {}", list.len(), list.join("; ")))
}

//! The `sluice send` configuration: destination instances, each with its
//! module, settings (secrets from the environment or a file) and mappings
//! (trigger, action, mapping) or the module's presets.
//!
//! Everything is checked when the file is loaded, not per event: triggers are
//! parsed (errors point at the column), mappings validated, actions looked up,
//! and an instance may hold at most 50 mappings, as Segment documents.

use std::path::Path;

use serde::Deserialize;
use serde_json::Value;
use sluice_core::prepare::{Mapping, MappingChoice};
use sluice_core::subscription::Subscription;
use sluice_core::Action;

use crate::engine::{Client, Module, Runtime};
use crate::error::{Error, Result};
use crate::secrets::Settings;

pub const MAX_MAPPINGS: usize = 50;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "destination", default)]
    destinations: Vec<InstanceFile>,
    server: Option<ServerFile>,
}

/// `[server]`: what `sluice serve` needs beyond the destinations.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
#[allow(dead_code)] // data_dir, store, store_password, lease_seconds: read by `store_location`
struct ServerFile {
    listen: Option<String>,
    data_dir: Option<std::path::PathBuf>,
    /// Strings, or `{ env = "VAR" }` / `{ file = "path" }` like secrets.
    #[serde(default)]
    write_keys: Vec<toml::Value>,
    dedup_window_hours: Option<f64>,
    max_age_hours: Option<f64>,
    concurrency: Option<usize>,
    /// `postgres://USER@HOST:PORT/DB` to share the queue between processes.
    store: Option<String>,
    /// How long a process may hold claimed work before another takes it (Postgres).
    lease_seconds: Option<u64>,
    /// How long dead letters are kept (default 30 days).
    dead_letter_days: Option<f64>,
    /// The Postgres password.
    store_password: Option<toml::Value>,
}

/// The `[server]` table, resolved.
#[derive(Debug)]
/// (Where the queue lives, `data_dir`, `store`, `store_password` and
/// `lease_seconds`, is read by [`store_location`] before modules load.)
pub struct Server {
    pub listen: String,
    pub write_keys: Vec<crate::secrets::Secret>,
    pub dedup_window: std::time::Duration,
    pub max_age: std::time::Duration,
    pub concurrency: usize,
    pub dead_letter_retention: std::time::Duration,
}

pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";
pub const DEFAULT_DATA_DIR: &str = "./sluice-data";

fn hours(what: &str, h: Option<f64>, default: f64) -> Result<std::time::Duration> {
    let h = h.unwrap_or(default);
    if !(h.is_finite() && h > 0.0) {
        return Err(Error::config(format!("[server] {what} must be a positive number of hours")));
    }
    Ok(std::time::Duration::from_secs_f64(h * 3600.0))
}

impl ServerFile {
    fn resolve(self) -> Result<Server> {
        let write_keys = self
            .write_keys
            .into_iter()
            .enumerate()
            .map(|(i, v)| {
                let key = crate::secrets::resolve_secret(&format!("write_keys[{i}]"), &serde_json::to_value(v).unwrap_or(Value::Null))?;
                Ok(crate::secrets::Secret::new(key))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Server {
            listen: self.listen.unwrap_or_else(|| DEFAULT_LISTEN.into()),
            write_keys,
            dedup_window: hours("dedup_window_hours", self.dedup_window_hours, 24.0)?,
            max_age: hours("max_age_hours", self.max_age_hours, 4.0)?,
            concurrency: self.concurrency.unwrap_or(64).max(1),
            dead_letter_retention: hours("dead_letter_days", self.dead_letter_days.map(|d| d * 24.0), 30.0 * 24.0)?,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct InstanceFile {
    name: String,
    module: String,
    #[serde(default)]
    settings: toml::Table,
    /// Add the module's presets as mappings.
    #[serde(default)]
    presets: bool,
    #[serde(rename = "mapping", default)]
    mappings: Vec<MappingFile>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    name: Option<String>,
    subscribe: String,
    action: String,
    mapping: Option<toml::Table>,
    /// Merge `mapping` over the action's default mapping.
    #[serde(default)]
    defaults: bool,
}

/// One trigger → action → mapping of an instance.
pub struct Route {
    pub name: String,
    pub subscription: Subscription,
    pub action: Action,
    pub mapping: Mapping,
}

pub struct Instance {
    pub name: String,
    pub client: Client,
    pub settings: Settings,
    pub routes: Vec<Route>,
}

pub struct Config {
    pub instances: Vec<Instance>,
    /// `[server]`, if the file has one.
    pub server: Option<Server>,
}

fn to_json(t: toml::Table) -> Value {
    serde_json::to_value(t).unwrap_or(Value::Null)
}

impl Config {
    pub async fn load(path: &Path, runtime: &Runtime, modules_dir: &Path) -> Result<Config> {
        let text = crate::files::read_to_string(path)
            .map_err(|e| Error::config(format!("cannot read config {}: {e}", path.display())))?;
        Self::parse(&text, runtime, modules_dir).await.map_err(|e| Error::config(format!("{}: {}", path.display(), e.message)))
    }

    pub async fn parse(text: &str, runtime: &Runtime, modules_dir: &Path) -> Result<Config> {
        // The error's message only: its Display quotes the source line, which may hold a secret.
        let file: File = toml::from_str(text).map_err(|e| {
            let at = e.span().map(|r| {
                let line = text[..r.start.min(text.len())].matches('\n').count() + 1;
                format!(" (line {line})")
            });
            Error::config(format!("{}{}", e.message(), at.unwrap_or_default()))
        })?;
        let mut instances = Vec::new();
        for inst in file.destinations {
            let ctx = |m: String| Error::config(format!("destination '{}': {m}", inst.name));
            if instances.iter().any(|i: &Instance| i.name == inst.name) {
                return Err(ctx("the name is used twice".into()));
            }
            let module = runtime.load(&inst.module, modules_dir).await.map_err(|e| ctx(e.message))?;
            let settings = Settings::split(&module.description, &to_json(inst.settings)).map_err(|e| ctx(e.message))?;
            let mut routes = Vec::new();
            if inst.presets {
                for p in &module.description.presets {
                    let choice = p.mapping.clone().map_or(MappingChoice::Defaults, MappingChoice::Exactly);
                    routes.push(route(&module, p.name.clone(), &p.subscribe, &p.action, choice).map_err(ctx)?);
                }
            }
            for (i, m) in inst.mappings.into_iter().enumerate() {
                let name = m.name.unwrap_or_else(|| format!("mapping {}", i + 1));
                let choice = match (m.mapping, m.defaults) {
                    (None, _) => MappingChoice::Defaults,
                    (Some(t), false) => MappingChoice::Exactly(to_json(t)),
                    (Some(t), true) => MappingChoice::OverDefaults(to_json(t)),
                };
                routes.push(route(&module, name, &m.subscribe, &m.action, choice).map_err(ctx)?);
            }
            if routes.len() > MAX_MAPPINGS {
                return Err(ctx(format!(
                    "it has {} mappings; a destination instance holds at most {MAX_MAPPINGS}",
                    routes.len()
                )));
            }
            let client = runtime.client(module, &settings).map_err(|e| ctx(e.message))?;
            instances.push(Instance { name: inst.name, client, settings, routes });
        }
        let server = file.server.map(ServerFile::resolve).transpose()?;
        Ok(Config { instances, server })
    }
}

fn route(module: &Module, name: String, subscribe: &str, action: &str, choice: MappingChoice) -> std::result::Result<Route, String> {
    let subscription = Subscription::parse(subscribe).map_err(|e| format!("mapping '{name}': trigger {e}"))?;
    let act = module.description.action(action).ok_or_else(|| {
        format!("mapping '{name}': {} has no action '{action}'", module.slug)
    })?;
    let mapping = Mapping::new(act, choice).map_err(|e| format!("mapping '{name}': {e}"))?;
    Ok(Route { name, subscription, action: act.clone(), mapping })
}

/// What one event becomes for one matching mapping of one instance.
pub struct Planned<'a> {
    pub instance: usize,
    pub route: &'a Route,
    /// The validated payload, serialized; or why the event cannot be delivered.
    pub payload: std::result::Result<String, Error>,
}

impl Config {
    /// Every mapping whose trigger matches `event`, mapped and validated:
    /// what `send`, `serve` and `replay` deliver. Errors are redacted.
    pub fn plan(&self, event: &Value) -> Vec<Planned<'_>> {
        let mut out = Vec::new();
        for (n, inst) in self.instances.iter().enumerate() {
            for route in inst.routes.iter().filter(|r| r.subscription.matches(event)) {
                let payload = route
                    .mapping
                    .payload(&route.action, event)
                    .map(|p| crate::files::to_json(&p))
                    .map_err(|m| Error::validation(inst.settings.redact(&m)));
                out.push(Planned { instance: n, route, payload });
            }
        }
        out
    }
}

/// Whose event this is, for per-user order: `userId`, else `anonymousId`.
pub fn user_of(event: &Value) -> Option<String> {
    ["userId", "anonymousId"].iter().find_map(|k| event.get(*k).and_then(Value::as_str)).map(str::to_string)
}

/// The configuration in use. A module reloaded while serving swaps in a whole
/// new `Config`; readers take the current one per event or per batch, and the
/// generation tells the delivery loops to start new lanes.
pub struct Live {
    current: std::sync::RwLock<std::sync::Arc<Config>>,
    generation: std::sync::atomic::AtomicU64,
}

impl Live {
    pub fn new(config: Config) -> Live {
        Live { current: std::sync::RwLock::new(std::sync::Arc::new(config)), generation: Default::default() }
    }

    pub fn get(&self) -> std::sync::Arc<Config> {
        self.current.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(std::sync::atomic::Ordering::Acquire)
    }

    pub fn swap(&self, config: Config) {
        *self.current.write().unwrap_or_else(|p| p.into_inner()) = std::sync::Arc::new(config);
        self.generation.fetch_add(1, std::sync::atomic::Ordering::AcqRel);
    }
}

/// Where `[server]` keeps the queue, read before any module loads (a shared
/// store also holds the rate budgets, which clients need when they are made).
#[derive(Debug, Clone)]
pub struct StoreLocation {
    pub url: Option<String>,
    /// `[server] store_password`: a string, `{ env = "VAR" }` or `{ file = "path" }`.
    pub password: Option<crate::secrets::Secret>,
    pub data_dir: std::path::PathBuf,
    pub lease: std::time::Duration,
}

impl Default for StoreLocation {
    fn default() -> Self {
        StoreLocation { url: None, password: None, data_dir: DEFAULT_DATA_DIR.into(), lease: std::time::Duration::from_secs(60) }
    }
}

pub fn store_location(path: &Path) -> Result<StoreLocation> {
    let text = crate::files::read_to_string(path).map_err(|e| Error::config(format!("cannot read config {}: {e}", path.display())))?;
    let table: toml::Table =
        toml::from_str(&text).map_err(|e| Error::config(format!("{}: {}", path.display(), e.message())))?;
    let server = table.get("server");
    let field = |k: &str| server.and_then(|s| s.get(k));
    let password = field("store_password")
        .map(|v| crate::secrets::resolve_secret("store_password", &serde_json::to_value(v).unwrap_or(Value::Null)))
        .transpose()?
        .map(crate::secrets::Secret::new);
    Ok(StoreLocation {
        password,
        url: field("store").and_then(|v| v.as_str()).map(str::to_string),
        data_dir: field("data_dir").and_then(|v| v.as_str()).map_or_else(|| DEFAULT_DATA_DIR.into(), std::path::PathBuf::from),
        lease: std::time::Duration::from_secs(field("lease_seconds").and_then(|v| v.as_integer()).unwrap_or(60).max(1) as u64),
    })
}

#[cfg(test)]
mod store_location_tests {
    use super::*;

    #[test]
    fn the_store_and_its_password_come_from_the_server_table() {
        let dir = std::env::temp_dir().join(format!("sluice-config-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("sluice.toml");
        std::fs::write(&dir.join("pw"), "s3cret\n").unwrap();
        std::fs::write(
            &path,
            format!(
                "[server]\nstore = \"postgres://sluice@db:5432/q\"\nstore_password = {{ file = \"{}\" }}\nlease_seconds = 7\n",
                dir.join("pw").display()
            ),
        )
        .unwrap();
        let at = store_location(&path).unwrap();
        assert_eq!(at.url.as_deref(), Some("postgres://sluice@db:5432/q"));
        assert_eq!(at.password.as_ref().map(|p| p.expose()), Some("s3cret"));
        assert_eq!(at.lease, std::time::Duration::from_secs(7));
        assert!(!format!("{at:?}").contains("s3cret"));
        std::fs::write(&path, "[[destination]]\nname = \"x\"\nmodule = \"toplyne\"\n").unwrap();
        let at = store_location(&path).unwrap();
        assert!(at.url.is_none() && at.password.is_none());
        assert_eq!(at.data_dir, std::path::PathBuf::from(DEFAULT_DATA_DIR));
        let _ = std::fs::remove_dir_all(&dir);
    }
}

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
        Ok(Config { instances })
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

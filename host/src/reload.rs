//! Hot reload: `sluice serve` picks up a new version of a module without a
//! restart and without dropping events.
//!
//! Threat: a partner (or an operator's deploy) drops a broken or hostile
//! component into the modules folder of a running server. Default: a changed
//! module file is validated first (everything `sluice validate` checks); a
//! component that fails is refused with a log line and the loaded version
//! keeps serving. One that passes is compiled, the configuration is rebuilt
//! around it (mappings checked again against its fields) and swapped in
//! whole: new events plan against it and new deliveries use it, while calls
//! already in flight finish on the old version. The folder is polled every
//! two seconds (file size and modification time).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use tokio::sync::watch;

use crate::config::{Config, Live};
use crate::engine::Runtime;

pub const POLL: Duration = Duration::from_secs(2);

type Stamp = (u64, Option<SystemTime>);

fn stamp(path: &Path) -> Option<Stamp> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.len(), m.modified().ok()))
}

/// Watches the modules `live` uses until `stop`; see the module comment.
pub async fn watch(runtime: Arc<Runtime>, live: Arc<Live>, config_path: PathBuf, modules_dir: PathBuf, mut stop: watch::Receiver<bool>) {
    let paths = |c: &Config| -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = c.instances.iter().map(|i| i.client.module.path.clone()).collect();
        v.sort();
        v.dedup();
        v
    };
    let mut seen: HashMap<PathBuf, Stamp> =
        paths(&live.get()).into_iter().filter_map(|p| stamp(&p).map(|s| (p, s))).collect();
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => return,
        }
        for path in paths(&live.get()) {
            let Some(now) = stamp(&path) else { continue };
            if seen.get(&path) == Some(&now) {
                continue;
            }
            seen.insert(path.clone(), now);
            let (_, problems) = runtime.validate(&path).await;
            if !problems.is_empty() {
                tracing::error!(
                    module = %path.display(),
                    "refusing the new version: {}; the loaded version keeps serving",
                    problems.join("; ")
                );
                continue;
            }
            let reloaded = async {
                runtime.reload(&path).await?;
                Config::load(&config_path, &runtime, &modules_dir).await
            };
            match reloaded.await {
                Ok(config) => {
                    live.swap(config);
                    tracing::info!(module = %path.display(), "reloaded: new deliveries use the new version");
                    eprintln!("sluice serve: reloaded {}", path.display());
                }
                Err(e) => tracing::error!(
                    module = %path.display(),
                    "cannot use the new version: {}; the loaded version keeps serving",
                    e.message
                ),
            }
        }
    }
}

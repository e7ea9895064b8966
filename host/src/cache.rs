//! The compile cache: a component is compiled once per engine configuration
//! and its machine code kept on disk, so the next process start deserialises
//! it (milliseconds) instead of compiling it again (a second or more).
//!
//! Entries are named by the SHA-256 of the component's bytes and a hash of the
//! engine's compatibility settings, so a changed module or a different wasmtime
//! can never load stale code. Deserialising runs the native code in the file,
//! so the directory must be writable by the operator alone: it is the
//! operator's own (`SLUICE_CACHE_DIR`, else the user cache dir), and sluice
//! creates it readable and writable only by its owner.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

use crate::files;

pub fn default_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os("SLUICE_CACHE_DIR") {
        return Some(dir.into());
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Some(PathBuf::from(dir).join("sluice"));
    }
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache").join("sluice"))
}

pub enum Source {
    Compiled,
    Cached,
}

fn entry_name(engine: &Engine, bytes: &[u8]) -> String {
    let mut h = DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut h);
    format!("{}-{:016x}.cwasm", hex::encode(Sha256::digest(bytes)), h.finish())
}

/// Loads the component from the cache, or compiles it and stores it there.
pub fn load(engine: &Engine, bytes: &[u8], dir: Option<&Path>) -> wasmtime::Result<(Component, Source)> {
    let Some(dir) = dir else {
        return Ok((Component::new(engine, bytes)?, Source::Compiled));
    };
    let name = entry_name(engine, bytes);
    if let Ok(compiled) = files::read(&dir.join(&name)) {
        // SAFETY: the file was written by `serialize` below, under a name that
        // binds it to these exact component bytes and engine settings.
        match unsafe { Component::deserialize(engine, &compiled) } {
            Ok(c) => return Ok((c, Source::Cached)),
            Err(e) => tracing::warn!("ignoring unreadable compile cache entry {name}: {e}"),
        }
    }
    let component = Component::new(engine, bytes)?;
    match component.serialize() {
        Ok(compiled) => {
            if let Err(e) = files::write_atomic(dir, &name, &compiled) {
                tracing::warn!("cannot write the compile cache in {}: {e}", dir.display());
            }
        }
        Err(e) => tracing::warn!("cannot serialise the compiled component: {e}"),
    }
    Ok((component, Source::Compiled))
}

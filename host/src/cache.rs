//! The compile cache: a component is compiled once per engine configuration
//! and its machine code kept on disk, so the next process start deserialises
//! it (milliseconds) instead of compiling it again (a second or more).
//!
//! Threat: deserialising runs the native code in the file. Anyone who can
//! write the folder or an entry in it can run code inside sluice, with the
//! operator's secrets in reach. So the folder and each entry must belong to
//! the user sluice runs as and be writable by nobody else: sluice creates the
//! folder 0700 and entries 0600, and checks owner and mode on the opened
//! folder and on each opened entry (not on the path, which could be swapped
//! between check and use). A folder or entry that fails is not used: sluice
//! warns, compiles, and does not write there.
//!
//! Entries are named by the SHA-256 of the component's bytes and a hash of the
//! engine's compatibility settings, so a changed module or a different wasmtime
//! can never load stale code.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::{Dir, DirBuilder, DirBuilderExt, MetadataExt, OpenOptions, OpenOptionsExt};
use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::Engine;

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
    let cache = match dir.map(open_private) {
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => {
            tracing::warn!("not using the compile cache: {e}; compiling instead");
            None
        }
        None => None,
    };
    let Some(cache) = cache else {
        return Ok((Component::new(engine, bytes)?, Source::Compiled));
    };
    let name = entry_name(engine, bytes);
    match read_private(&cache, &name) {
        Ok(Some(compiled)) => {
            // SAFETY: the entry is ours alone (owner and mode checked on the
            // open file) and was written by `serialize` below, under a name
            // that binds it to these exact component bytes and engine settings.
            match unsafe { Component::deserialize(engine, &compiled) } {
                Ok(c) => return Ok((c, Source::Cached)),
                Err(e) => tracing::warn!("ignoring unreadable compile cache entry {name}: {e}"),
            }
        }
        Ok(None) => {}
        Err(e) => {
            tracing::warn!("not using compile cache entry {name}: {e}; compiling instead");
            return Ok((Component::new(engine, bytes)?, Source::Compiled));
        }
    }
    let component = Component::new(engine, bytes)?;
    match component.serialize() {
        Ok(compiled) => {
            if let Err(e) = write_private(&cache, &name, &compiled) {
                tracing::warn!("cannot write the compile cache: {e}");
            }
        }
        Err(e) => tracing::warn!("cannot serialise the compiled component: {e}"),
    }
    Ok((component, Source::Compiled))
}

/// Opens the cache folder, creating it 0700 if it is missing, and checks
/// that it is the current user's and writable by nobody else.
pub fn open_private(path: &Path) -> io::Result<Dir> {
    if !path.exists() {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let name = path.file_name().ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a folder path"))?;
        let parent = Dir::open_ambient_dir(parent, ambient_authority())?;
        let mut builder = DirBuilder::new();
        builder.mode(0o700);
        match parent.create_dir_with(name, &builder) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(e),
        }
    }
    let dir = Dir::open_ambient_dir(path, ambient_authority())?;
    private(&dir.dir_metadata()?, &format!("folder {}", path.display()))?;
    Ok(dir)
}

/// `Err` unless the metadata says: owned by the current user, writable by no one else.
fn private(meta: &cap_std::fs::Metadata, what: &str) -> io::Result<()> {
    let me = rustix::process::geteuid().as_raw();
    if meta.uid() != me {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{what} belongs to user {}, not to the user sluice runs as ({me})", meta.uid()),
        ));
    }
    if meta.mode() & 0o022 != 0 {
        return Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            format!("{what} is writable by group or others (mode {:o}); chmod go-w it", meta.mode() & 0o7777),
        ));
    }
    Ok(())
}

/// The entry's bytes, `None` if there is none; `Err` if it is not private.
fn read_private(dir: &Dir, name: &str) -> io::Result<Option<Vec<u8>>> {
    let mut file = match dir.open(name) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(io::Error::new(io::ErrorKind::InvalidData, "not a regular file"));
    }
    private(&meta, "the entry")?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Writes atomically and privately: a 0600 temporary file in the folder, then
/// a rename, so a concurrent reader sees the old entry or the new one.
fn write_private(dir: &Dir, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = format!(".{name}.{}.tmp", std::process::id());
    let mut options = OpenOptions::new();
    options.write(true).create_new(true).mode(0o600);
    let _ = dir.remove_file(&tmp);
    let mut file = dir.open_with(&tmp, &options)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    dir.rename(&tmp, dir, name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn temp(name: &str) -> PathBuf {
        let p = std::env::temp_dir().join(format!("sluice-cache-test-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        p
    }

    #[test]
    fn a_new_folder_is_private_and_entries_are_0600() {
        let path = temp("new").join("nested");
        let dir = open_private(&path).unwrap();
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o700);
        write_private(&dir, "e.cwasm", b"code").unwrap();
        assert_eq!(std::fs::metadata(path.join("e.cwasm")).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(read_private(&dir, "e.cwasm").unwrap().unwrap(), b"code");
        assert!(read_private(&dir, "missing").unwrap().is_none());
    }

    #[test]
    fn a_folder_or_entry_others_can_write_is_refused() {
        let path = temp("shared");
        std::fs::create_dir_all(&path).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o777)).unwrap();
        let e = open_private(&path).unwrap_err();
        assert!(e.to_string().contains("writable by group or others"), "{e}");

        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o700)).unwrap();
        let dir = open_private(&path).unwrap();
        std::fs::write(path.join("e.cwasm"), b"patched").unwrap();
        std::fs::set_permissions(path.join("e.cwasm"), std::fs::Permissions::from_mode(0o666)).unwrap();
        let e = read_private(&dir, "e.cwasm").unwrap_err();
        assert!(e.to_string().contains("writable by group or others"), "{e}");
    }
}

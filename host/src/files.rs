//! The few files the host reads (modules, settings, configs), through
//! cap-std: each access opens the one directory it needs and names a file
//! inside it, rather than handing paths to the OS anywhere. The compile cache
//! writes its own, privately (see `cache`).

use std::io;
use std::path::{Path, PathBuf};

use cap_std::ambient_authority;
use cap_std::fs::Dir;

/// Opens the directory holding `path` and names the file in it. The path is
/// resolved first, so a symlink (say `modules/x.wasm -> ../build/x.wasm`)
/// works as it would with `std::fs`.
fn split(path: &Path) -> io::Result<(Dir, PathBuf)> {
    let path = std::fs::canonicalize(path)?;
    let name = path
        .file_name()
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "not a file path"))?;
    let parent = path.parent().unwrap_or(Path::new("/"));
    Ok((Dir::open_ambient_dir(parent, ambient_authority())?, name))
}

pub fn read(path: &Path) -> io::Result<Vec<u8>> {
    let (dir, name) = split(path)?;
    dir.read(&name)
}

pub fn read_to_string(path: &Path) -> io::Result<String> {
    let (dir, name) = split(path)?;
    dir.read_to_string(&name)
}

/// Opens a file for streaming (NDJSON input that may be larger than memory).
pub fn open(path: &Path) -> io::Result<std::fs::File> {
    let (dir, name) = split(path)?;
    Ok(dir.open(&name)?.into_std())
}

pub fn exists(path: &Path) -> bool {
    split(path).is_ok_and(|(dir, name)| dir.is_file(&name))
}

/// A command-line value that is inline JSON, `@path` to a file, or `-` for stdin.
pub fn json_arg(what: &str, arg: &str) -> Result<serde_json::Value, String> {
    let text = if let Some(path) = arg.strip_prefix('@') {
        read_to_string(Path::new(path)).map_err(|e| format!("cannot read {what} file {path}: {e}"))?
    } else if arg == "-" {
        io::read_to_string(io::stdin()).map_err(|e| format!("cannot read {what} from stdin: {e}"))?
    } else {
        arg.to_string()
    };
    serde_json::from_str(&text).map_err(|e| format!("{what} is not valid JSON: {e}"))
}

/// A JSON value as compact text: `serde_json::to_string`, which writes bytes
/// directly (twice as fast as `Value`'s `Display` on a payload).
pub fn to_json(value: &serde_json::Value) -> String {
    serde_json::to_string(value).expect("a JSON value serializes")
}

//! Finding destination modules. A module is named by its slug (`toplyne`,
//! `talon-one`), found as `<slug>.wasm` in the modules directory, or given as
//! a path to a `.wasm` file. The directory is `--modules DIR`, else
//! `$SLUICE_MODULES`, else `modules/` under the current directory, which
//! `just build` fills from the repository root.

use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

pub const DEFAULT_DIR: &str = "modules";

/// Whether a module name is a path to a file rather than a slug.
pub fn is_path(name: &str) -> bool {
    name.ends_with(".wasm") || name.contains(std::path::MAIN_SEPARATOR) || name.contains('/')
}

pub fn locate(name: &str, dir: &Path) -> Result<PathBuf> {
    let path = if is_path(name) { PathBuf::from(name) } else { dir.join(format!("{name}.wasm")) };
    if crate::files::exists(&path) {
        return Ok(path);
    }
    let known = list(dir);
    let hint = if known.is_empty() {
        format!("{} holds no modules; run `just build` from the repository root, or pass --modules DIR", dir.display())
    } else {
        format!("modules in {}: {}", dir.display(), known.join(", "))
    };
    Err(Error::config(format!("no module '{name}' (looked for {}); {hint}", path.display())))
}

/// Slugs of the `.wasm` files in `dir`.
pub fn list(dir: &Path) -> Vec<String> {
    let Ok(d) = cap_std::fs::Dir::open_ambient_dir(dir, cap_std::ambient_authority()) else {
        return Vec::new();
    };
    let mut names: Vec<String> = d
        .entries()
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".wasm").map(str::to_string))
        .collect();
    names.sort();
    names
}

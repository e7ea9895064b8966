//! What partners run on their own component: `sluice validate` (everything
//! the host checks at load and what partners get wrong) and `sluice docs`
//! (the catalog page, in the shape of Segment's destination pages).

use std::fmt::Write as _;

use clap::Args;
use serde_json::json;
use sluice::error::{Error, Kind};
use sluice_core::{Description, Field, FieldType};

use super::{output, Cli, RunFlags};

#[derive(Args)]
pub struct ValidateArgs {
    /// A module path (or a slug in the modules directory).
    module: String,
    /// One JSON object on stdout instead of lines.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct NewArgs {
    /// The destination's slug: lowercase letters, digits and '-'.
    slug: String,
    /// The language of the guest: rust (cargo, sluice-guest crate) or js
    /// (npm, the sluice-guest package, built with QuickJS).
    #[arg(long, value_enum, default_value_t = Lang::Rust)]
    lang: Lang,
    /// Where to create it (default: ./<slug>); must not exist or be empty.
    #[arg(long)]
    dir: Option<std::path::PathBuf>,
    /// A local checkout of sluice to take the SDK from (offline); without it
    /// the project depends on the published sluice-guest.
    #[arg(long)]
    sdk_path: Option<std::path::PathBuf>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Lang {
    Rust,
    Js,
}

/// The templates: (file, contents with `{{…}}` placeholders).
const RUST: &[(&str, &str)] = &[
    ("Cargo.toml", include_str!("../../templates/rust/Cargo.toml.tmpl")),
    ("src/lib.rs", include_str!("../../templates/rust/src/lib.rs.tmpl")),
    ("src/send_event.rs", include_str!("../../templates/rust/src/send_event.rs.tmpl")),
    ("README.md", include_str!("../../templates/rust/README.md.tmpl")),
    SETTINGS_EXAMPLE,
    EVENT_EXAMPLE,
    (".gitignore", "/target\n*.wasm\n"),
];
const JS: &[(&str, &str)] = &[
    ("package.json", include_str!("../../templates/js/package.json.tmpl")),
    (".npmrc", include_str!("../../templates/js/npmrc.tmpl")),
    ("src/index.js", include_str!("../../templates/js/src/index.js.tmpl")),
    ("src/api.js", include_str!("../../templates/js/src/api.js.tmpl")),
    ("src/send_event.js", include_str!("../../templates/js/src/send_event.js.tmpl")),
    ("README.md", include_str!("../../templates/js/README.md.tmpl")),
    SETTINGS_EXAMPLE,
    EVENT_EXAMPLE,
    (".gitignore", "/node_modules\n/dist\n*.wasm\n"),
];
const SETTINGS_EXAMPLE: (&str, &str) = ("settings.example.json", include_str!("../../templates/shared/settings.example.json.tmpl"));
const EVENT_EXAMPLE: (&str, &str) = ("event.example.json", include_str!("../../templates/shared/event.example.json.tmpl"));

/// The JavaScript SDK's package, for the version a new project depends on.
const JS_SDK_PACKAGE: &str = include_str!("../../../guests/sdk-js/package.json");

pub fn new(args: &NewArgs) -> i32 {
    match create(args) {
        Ok(dir) => {
            println!("{}", json!({"ok": true, "created": dir}));
            eprintln!("created {}: see its README.md for the three commands (build, describe, try)", dir.display());
            0
        }
        Err(e) => output::error(false, &e),
    }
}

fn create(args: &NewArgs) -> Result<std::path::PathBuf, Error> {
    let slug = &args.slug;
    if slug.is_empty() || !slug.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-') || slug.starts_with('-') {
        return Err(Error::validation(format!("'{slug}' is not a slug: use lowercase letters, digits and '-', e.g. my-webhook")));
    }
    let dir = args.dir.clone().unwrap_or_else(|| std::path::PathBuf::from(slug));
    if dir.exists() && std::fs::read_dir(&dir).map(|mut d| d.next().is_some()).unwrap_or(true) {
        return Err(Error::validation(format!("{} exists and is not empty: choose another --dir", dir.display())));
    }
    let local_sdk = |folder: &str| -> Result<String, Error> {
        let p = args.sdk_path.as_ref().expect("asked only with --sdk-path");
        let sdk = std::fs::canonicalize(p.join(folder)).map_err(|e| {
            Error::validation(format!("--sdk-path {}: no {folder} there ({e}); give a checkout of sluice", p.display()))
        })?;
        Ok(sdk.display().to_string())
    };
    let (templates, sdk_dep) = match (args.lang, &args.sdk_path) {
        (Lang::Rust, Some(_)) => (RUST, format!("sluice-guest = {{ path = {:?} }}", local_sdk("guests/sdk")?)),
        (Lang::Rust, None) => (RUST, format!("sluice-guest = \"{}\"", env!("CARGO_PKG_VERSION"))),
        // Inside a JSON string: a path with a quote or backslash is escaped.
        (Lang::Js, Some(_)) => (JS, json_inner(&format!("file:{}", local_sdk("guests/sdk-js")?))),
        (Lang::Js, None) => (JS, format!("^{}", js_sdk_version())),
    };
    let name: String = slug
        .split('-')
        .filter(|w| !w.is_empty())
        .map(|w| {
            let mut c = w.chars();
            c.next().map(|f| f.to_ascii_uppercase().to_string() + c.as_str()).unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    let fill = |t: &str| {
        t.replace("{{slug}}", slug)
            .replace("{{crate}}", slug)
            .replace("{{crate_file}}", &slug.replace('-', "_"))
            .replace("{{name}}", &name)
            .replace("{{sdk_dep}}", &sdk_dep)
    };
    for (file, text) in templates {
        let path = dir.join(file);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::config(format!("cannot create {}: {e}", parent.display())))?;
        }
        std::fs::write(&path, fill(text)).map_err(|e| Error::config(format!("cannot write {}: {e}", path.display())))?;
    }
    Ok(dir)
}

/// `s` as the inside of a JSON string literal.
fn json_inner(s: &str) -> String {
    let quoted = serde_json::to_string(s).expect("a string serializes");
    quoted[1..quoted.len() - 1].to_string()
}

fn js_sdk_version() -> String {
    let package: serde_json::Value = serde_json::from_str(JS_SDK_PACKAGE).expect("guests/sdk-js/package.json is JSON");
    package["version"].as_str().expect("the JS SDK has a version").to_string()
}

#[derive(Args)]
pub struct DocsArgs {
    /// A module path (or a slug in the modules directory).
    module: String,
}

pub async fn validate(cli: &Cli, args: &ValidateArgs) -> i32 {
    let run = async {
        let runtime = cli.runtime(&RunFlags::default_for(args.json), 4)?;
        let path = sluice::modules::locate(&args.module, &cli.modules)?;
        Ok::<_, Error>((path.clone(), runtime.validate(&path).await))
    };
    match run.await {
        Err(e) => output::error(args.json, &e),
        Ok((path, (description, problems))) => {
            if args.json {
                println!("{}", json!({"ok": problems.is_empty(), "module": path, "slug": description.map(|d| d.slug), "problems": problems}));
            } else if problems.is_empty() {
                println!("{}: ok", path.display());
            } else {
                for p in &problems {
                    println!("{}: {}", path.display(), sluice::printable::escape(p));
                }
            }
            if problems.is_empty() {
                0
            } else {
                Kind::Validation.exit_code()
            }
        }
    }
}

pub async fn docs(cli: &Cli, args: &DocsArgs) -> i32 {
    let run = async {
        let runtime = cli.runtime(&RunFlags::default_for(false), 4)?;
        let module = runtime.load(&args.module, &cli.modules).await?;
        Ok::<_, Error>(render(&module.description))
    };
    match run.await {
        Ok(page) => {
            print!("{page}");
            0
        }
        Err(e) => output::error(false, &e),
    }
}

/// A table cell: one line, pipes escaped, guest text made printable.
fn cell(text: &str) -> String {
    sluice::printable::escape(text).replace('|', "\\|").replace("\\n", " ")
}

fn type_name(f: &Field) -> String {
    let t = match f.ty {
        FieldType::String => "STRING",
        FieldType::Text => "TEXT",
        FieldType::Password => "PASSWORD",
        FieldType::Number => "NUMBER",
        FieldType::Integer => "INTEGER",
        FieldType::Boolean => "BOOLEAN",
        FieldType::Datetime => "DATETIME",
        FieldType::Object => "OBJECT",
        FieldType::Url => "URL",
    };
    if f.multiple {
        format!("{t} (list)")
    } else {
        t.to_string()
    }
}

/// The catalog page: settings, presets, then each action's fields.
pub fn render(d: &Description) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {} Destination\n", cell(&d.name));
    if !d.description.is_empty() {
        let _ = writeln!(out, "{}\n", cell(&d.description));
    }
    let _ = writeln!(out, "## Destination Settings\n\n| Field | Description | Required | Type |\n| --- | --- | --- | --- |");
    for s in &d.settings {
        let ty = format!("{:?}", s.ty).to_lowercase();
        let _ = writeln!(out, "| {} | {} | {} | {ty} |", cell(&s.label), cell(&s.description), if s.required { "Yes" } else { "No" });
    }
    if !d.presets.is_empty() {
        let _ = writeln!(out, "\n## Available Presets\n\n| Preset Name | Trigger | Default Action |\n| --- | --- | --- |");
        for p in &d.presets {
            let action = d.action(&p.action).map_or(p.action.as_str(), |a| a.title.as_str());
            let _ = writeln!(out, "| {} | Event {} | {} |", cell(&p.name), cell(&p.subscribe), cell(action));
        }
    }
    let _ = writeln!(out, "\n## Available Actions");
    for a in &d.actions {
        let _ = writeln!(out, "\n### {}\n\n{}\n", cell(&a.title), cell(&a.description));
        if let Some(t) = &a.default_subscription {
            let _ = writeln!(out, "Default trigger: `{}`\n", cell(t));
        }
        if let Some(b) = a.batch {
            let _ = writeln!(out, "Batches up to {} events ({} bytes) per request.\n", b.max_events, b.max_bytes);
        }
        let _ = writeln!(out, "| Field | Description | Default | Required | Type |\n| --- | --- | --- | --- | --- |");
        for f in &a.fields {
            field_row(&mut out, f, "");
        }
    }
    out
}

fn field_row(out: &mut String, f: &Field, prefix: &str) {
    let default = f.default.as_ref().map(|d| format!("`{}`", cell(&d.to_string()))).unwrap_or_default();
    let _ = writeln!(
        out,
        "| {prefix}{} | {} | {default} | {} | {} |",
        cell(&f.label),
        cell(&f.description),
        if f.required { "Yes" } else { "No" },
        type_name(f)
    );
    for p in &f.properties {
        field_row(out, p, &format!("{prefix}{} › ", cell(&f.label)));
    }
}

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

//! `@liquid` (`liquid-directive.ts`): a LiquidJS template over the event, rendered with the
//! `liquid` crate under the reference's restrictions.
//!
//! The reference limits templates to 1000 characters, disables the looping, including and
//! array-reshaping tags and filters, and lets LiquidJS cap render time and memory. This port
//! keeps the same tags and filters out (with LiquidJS's messages) and replaces the caps with
//! a bound on every string the template can build: without loops, the only way to grow output
//! is to feed a value back into itself (`assign`, `capture`, `append`, `replace`, `join`), and
//! those are re-implemented here with a size check.
//!
//! The event is seen as LiquidJS sees it: a missing key, index or path reads as nil instead of
//! failing as the `liquid` crate would, arithmetic is JS float arithmetic, and an object prints
//! as `[object Object]`. The last point is also what keeps output deterministic: the crate's own
//! objects are hash maps, so an object is only an object while a path walks through it.

mod filters;
mod scope;
mod tags;

use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use regex::Regex;
use serde_json::Value;

use super::value::{js_length, Js};
use super::MappingError;
use filters::{JsFilter, JS_FILTERS};
use scope::{Scope, ScopeObject};
use tags::{BoundedAssign, BoundedCapture, DisabledTag};

const MAX_TEMPLATE_LENGTH: usize = 1000;
/// The largest string a template may build or output.
const MAX_STRING_BYTES: usize = 1 << 20;
const MEMORY_LIMIT: &str = "memory alloc limit exceeded";

const DISABLED_TAGS: [&str; 6] = ["case", "for", "include", "layout", "render", "tablerow"];
const DISABLED_FILTERS: [&str; 20] = [
    "array_to_sentence_string",
    "concat",
    "find",
    "find_exp",
    "find_index",
    "find_index_exp",
    "group_by",
    "group_by_exp",
    "has",
    "has_exp",
    "map",
    "newline_to_br",
    "reject",
    "reject_exp",
    "reverse",
    "sort",
    "sort_natural",
    "uniq",
    "where_exp",
    "type",
];

/// Renders the template with the event as its globals.
pub(crate) fn evaluate(template: &Value, payload: &Js) -> Result<Js, MappingError> {
    let Value::String(template) = template else {
        return Err(MappingError::new("liquid template value must be a string"));
    };
    if template.is_empty() {
        return Ok(Js::String(String::new()));
    }
    if js_length(template) > MAX_TEMPLATE_LENGTH {
        return Err(MappingError::new(
            "liquid template values are limited to 1000 characters",
        ));
    }
    let parser = parser().map_err(|e| MappingError::new(e.clone()))?;
    let globals = match Scope::from(payload) {
        Scope::Object(globals) => globals,
        _ => ScopeObject::default(),
    };
    let mut output = BoundedBuffer::default();
    // Some of the crate's filters do unchecked integer arithmetic on their arguments
    // (`slice: 1, 9223372036854775807` overflows); a template must not take the host down.
    let rendered = catch_unwind(AssertUnwindSafe(|| {
        parser
            .parse(template)
            .and_then(|parsed| parsed.render_to(&mut output, &globals))
    }));
    match rendered {
        Ok(Ok(())) => Ok(Js::String(
            String::from_utf8_lossy(&output.bytes).into_owned(),
        )),
        Ok(Err(_)) if output.exceeded => Err(MappingError::new(MEMORY_LIMIT)),
        Ok(Err(error)) => Err(MappingError::new(describe(&error, template))),
        Err(_) => Err(MappingError::new("liquid template could not be rendered")),
    }
}

fn parser() -> Result<&'static liquid::Parser, &'static String> {
    static PARSER: OnceLock<Result<liquid::Parser, String>> = OnceLock::new();
    PARSER.get_or_init(build_parser).as_ref()
}

/// The standard library, minus the disabled tags and filters, with the growing pieces bounded.
/// A tag takes precedence over a block of the same name, so the disabled tags also hide the
/// `case`, `for` and `tablerow` blocks.
fn build_parser() -> Result<liquid::Parser, String> {
    let mut builder = liquid::ParserBuilder::with_stdlib()
        .tag(BoundedAssign)
        .block(BoundedCapture);
    for name in DISABLED_TAGS {
        builder = builder.tag(DisabledTag(name));
    }
    for name in DISABLED_FILTERS {
        builder = builder.filter(JsFilter { name, run: None });
    }
    for (name, run) in JS_FILTERS {
        builder = builder.filter(JsFilter {
            name,
            run: Some(run),
        });
    }
    builder.build().map_err(|e| e.to_string())
}

/// One line, in LiquidJS's shape (`<message>, line:<l>, col:<c>`) where a position is known.
/// Only the messages for disabled tags and filters are LiquidJS's own words.
fn describe(error: &liquid_core::Error, template: &str) -> String {
    let text = error.to_string();
    let mut lines = text.lines().map(str::trim);
    let first = lines.next().unwrap_or_default();
    let first = first.strip_prefix("liquid:").map_or(first, str::trim);
    if first == MEMORY_LIMIT {
        return first.to_owned();
    }
    if let Some(position) = first.strip_prefix("--> ") {
        // A syntax error: `--> line:col`, then the source excerpt, then `= <message>`.
        let message = lines
            .find_map(|line| line.strip_prefix("= "))
            .unwrap_or("syntax error")
            .trim_end_matches('.');
        let (line, col) = position.split_once(':').unwrap_or((position, "1"));
        return format!("{message}, line:{line}, col:{col}");
    }
    if let Some(offset) = disabled_token_offset(first, template) {
        let (line, col) = position(template, offset);
        return format!("{first}, line:{line}, col:{col}");
    }
    let details: Vec<&str> = lines
        .skip_while(|line| *line != "with:")
        .skip(1)
        .take_while(|line| line.contains('=') && !line.starts_with("from:"))
        // Inputs and lists of what is available can be long; causes and arguments are short.
        .filter(|line| {
            !line.starts_with("available") && !line.starts_with("input=") && line.len() <= 200
        })
        .collect();
    if details.is_empty() {
        first.to_owned()
    } else {
        format!("{first} ({})", details.join(", "))
    }
}

/// Where the token that uses a disabled tag or filter starts.
fn disabled_token_offset(message: &str, template: &str) -> Option<usize> {
    let name_of = |kind: &str| {
        message
            .strip_prefix(&format!("{kind} \""))?
            .strip_suffix("\" is disabled")
            .map(regex::escape)
    };
    let (tokens, usage) = if let Some(tag) = name_of("tag") {
        (r"\{%-?\s*", format!(r"^{tag}\b"))
    } else {
        let filter = name_of("filter")?;
        (r"\{\{|\{%", format!(r"\|\s*{filter}\b"))
    };
    let starts = Regex::new(tokens).ok()?;
    let usage = Regex::new(&usage).ok()?;
    let offset = starts.find_iter(template).find_map(|start| {
        let rest = &template[start.end()..];
        let token = rest.split(['}', '%']).next().unwrap_or(rest);
        usage.is_match(token).then_some(start.start())
    });
    offset
}

/// 1-based line and column (in UTF-16 units, as JS counts) of a byte offset.
fn position(template: &str, offset: usize) -> (usize, usize) {
    let before = &template[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, js_length(&before[line_start..]) + 1)
}

#[derive(Default)]
struct BoundedBuffer {
    bytes: Vec<u8>,
    exceeded: bool,
}

impl Write for BoundedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_STRING_BYTES {
            self.exceeded = true;
            return Err(io::Error::other(MEMORY_LIMIT));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn memory_limit() -> liquid_core::Error {
    liquid_core::Error::with_msg(MEMORY_LIMIT)
}

//! The directives (`registerDirective` in `index.ts`), each with the reference's runtime checks
//! and messages. Options are the raw mapping; only the parts a directive resolves are resolved.

use std::borrow::Cow;

use regex::RegexBuilder;
use serde_json::{Map, Value};

use super::flatten::flatten_object;
use super::path::{directive_keys, lookup_keys};
use super::resolve::{resolve, transform};
use super::value::{
    expand_replacement, in_js_order, js_length, json_is_truthy, json_stringify, json_type_name,
    utf16_units, Js, ObjectBuilder,
};
use super::{liquid_directive, template, MappingError};

type Outcome = Result<Js, MappingError>;

/// Runs the directive `name`; `None` when there is no such directive.
pub(crate) fn run(name: &str, options: &Value, payload: &Js) -> Option<Outcome> {
    let directive: fn(&Value, &Js) -> Outcome = match name {
        "@if" => if_directive,
        "@case" => case,
        "@replace" => replace,
        "@arrayPath" => array_path,
        "@path" => path,
        "@template" => template_directive,
        "@literal" => resolve,
        "@flatten" => flatten,
        "@json" => json,
        "@merge" => merge,
        "@transform" => transform_directive,
        "@excludeWhenNull" => exclude_when_null,
        "@liquid" => liquid_directive::evaluate,
        _ => return None,
    };
    Some(directive(options, payload))
}

fn fail<T>(message: impl Into<String>) -> Result<T, MappingError> {
    Err(MappingError::new(message))
}

/// A present, truthy option (the reference tests options with `if (opts.x)`).
fn truthy<'a>(options: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    options.get(key).filter(|v| json_is_truthy(Some(v)))
}

/// An `@path`/`@arrayPath` lookup (see [`directive_keys`]).
fn get_path(payload: &Js, path: &str) -> Js {
    lookup_keys(payload, &directive_keys(path)).map_or(Js::Undefined, Cow::into_owned)
}

/// `registerStringDirective`: the option resolves first and must give a string.
fn string_option(name: &str, options: &Value, payload: &Js) -> Result<String, MappingError> {
    match resolve(options, payload)? {
        Js::String(s) => Ok(s),
        other => fail(format!(
            "{name}: expected string, got {}",
            other.type_name()
        )),
    }
}

fn path(options: &Value, payload: &Js) -> Outcome {
    let path = string_option("@path", options, payload)?;
    Ok(get_path(payload, &path))
}

fn template_directive(options: &Value, payload: &Js) -> Outcome {
    let text = string_option("@template", options, payload)?;
    Ok(Js::String(template::render(&text, payload)))
}

fn if_directive(options: &Value, payload: &Js) -> Outcome {
    let Some(opts) = options.as_object() else {
        return fail(r#"@if requires an object with an "exists" key"#);
    };
    let (exists, blank) = (opts.get("exists"), opts.get("blank"));
    if !json_is_truthy(exists) && !json_is_truthy(blank) {
        return fail(r#"@if requires an "exists" key or a "blank" key"#);
    }
    let condition = match (exists, blank) {
        (Some(exists), _) => !resolve(exists, payload)?.is_nullish(),
        (None, Some(blank)) => {
            let value = resolve(blank, payload)?;
            !value.is_nullish() && value.loosely_differs_from_empty_string()
        }
        (None, None) => false,
    };
    match (condition, opts.get("then"), truthy(opts, "else")) {
        (true, Some(then), _) => resolve(then, payload),
        (false, _, Some(otherwise)) => resolve(otherwise, payload),
        _ => Ok(Js::Undefined),
    }
}

fn case(options: &Value, payload: &Js) -> Outcome {
    let Some(opts) = options.as_object() else {
        return fail(r#"@case requires an object with a "operator" key"#);
    };
    let Some(operator) = truthy(opts, "operator") else {
        return fail(r#"@case requires a "operator" key"#);
    };
    let Some(value) = truthy(opts, "value") else {
        return Ok(Js::Undefined);
    };
    match (resolve(value, payload)?, operator.as_str()) {
        (Js::String(s), Some("lower")) => Ok(Js::String(s.to_lowercase())),
        (Js::String(s), Some("upper")) => Ok(Js::String(s.to_uppercase())),
        (Js::String(_), _) => fail(r#"operator key should have a value of "lower" or "upper""#),
        (other, _) => Ok(other),
    }
}

const MAX_PATTERN_LENGTH: usize = 10;
const MAX_REPLACEMENT_LENGTH: usize = 10;
/// `$'` and `` $` `` copy the input once per match, so output can grow quadratically. The
/// reference stops at V8's longest string (2^29 - 24) with a RangeError; this stops earlier,
/// with the same message, at a size no payload field has any use for.
const MAX_STRING_LENGTH: usize = 1 << 26;

fn replace(options: &Value, payload: &Js) -> Outcome {
    let Some(opts) = options.as_object() else {
        return fail(r#"@replace requires an object with a "pattern" key"#);
    };
    let Some(pattern) = truthy(opts, "pattern") else {
        return fail(r#"@replace requires a "pattern" key"#);
    };
    let or_default = |key: &str, default: &'static Value| match opts.get(key) {
        None | Some(Value::Null) => default,
        Some(value) => value,
    };
    let replacement = or_default("replacement", &EMPTY_STRING);
    let ignore_case = or_default("ignorecase", &FALSE);
    let global = or_default("global", &TRUE);
    let Some(value) = truthy(opts, "value") else {
        return Ok(Js::Undefined);
    };
    let value = match resolve(value, payload)? {
        primitive @ (Js::Bool(_) | Js::Number(_)) => Js::String(primitive.to_js_string()),
        other => other,
    };
    let (
        Js::String(text),
        Value::String(pattern),
        Value::String(replacement),
        Value::Bool(ignore_case),
        Value::Bool(global),
    ) = (value, pattern, replacement, ignore_case, global)
    else {
        return Ok(Js::String(String::new()));
    };
    let mut replaced = perform_replace(&text, pattern, replacement, *global, *ignore_case)?;
    if let (Some(Value::String(pattern2)), Value::String(replacement2)) = (
        truthy(opts, "pattern2"),
        or_default("replacement2", &EMPTY_STRING),
    ) {
        replaced = perform_replace(&replaced, pattern2, replacement2, *global, *ignore_case)?;
    }
    Ok(Js::String(replaced))
}

static EMPTY_STRING: Value = Value::String(String::new());
static FALSE: Value = Value::Bool(false);
static TRUE: Value = Value::Bool(true);

/// `value.replace(new RegExp(escaped(pattern), flags), replacement)`: the pattern is literal,
/// the replacement keeps JS's `$$`, `$&`, `` $` `` and `$'`.
fn perform_replace(
    text: &str,
    pattern: &str,
    replacement: &str,
    global: bool,
    ignore_case: bool,
) -> Result<String, MappingError> {
    if js_length(pattern) > MAX_PATTERN_LENGTH {
        return fail(format!(
            r#"@replace requires a "pattern" less than {MAX_PATTERN_LENGTH} characters"#
        ));
    }
    if js_length(replacement) > MAX_REPLACEMENT_LENGTH {
        return fail(format!(
            r#"@replace requires a "replacement" less than {MAX_REPLACEMENT_LENGTH} characters"#
        ));
    }
    let matcher = RegexBuilder::new(&regex::escape(pattern))
        .case_insensitive(ignore_case)
        .build()
        .map_err(|e| MappingError::new(e.to_string()))?;
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for found in matcher.find_iter(text) {
        out.push_str(&text[copied..found.start()]);
        expand_replacement(replacement, text, found.range(), &mut out);
        if out.len() > MAX_STRING_LENGTH {
            return fail("Invalid string length");
        }
        copied = found.end();
        if !global {
            break;
        }
    }
    out.push_str(&text[copied..]);
    Ok(out)
}

fn array_path(options: &Value, payload: &Js) -> Outcome {
    let Value::Array(options) = options else {
        return fail(format!(
            "@arrayPath expected array, got {}",
            json_type_name(Some(options))
        ));
    };
    let root = match options.first() {
        Some(Value::String(path)) => get_path(payload, path),
        Some(directive) => resolve(directive, payload)?,
        None => Js::Undefined,
    };
    let shape = options
        .get(1)
        .filter(|shape| shape.as_object().is_some_and(|s| !s.is_empty()));
    match (root, shape) {
        (root @ (Js::Object(_) | Js::Array(_)), Some(shape)) => {
            let items = match root {
                Js::Array(items) => items,
                object => vec![object],
            };
            items
                .iter()
                .map(|item| resolve(shape, item))
                .collect::<Result<_, _>>()
                .map(Js::Array)
        }
        (root, _) => Ok(root),
    }
}

fn flatten(options: &Value, payload: &Js) -> Outcome {
    let Some(opts) = options.as_object() else {
        return fail(r#"@flatten requires an object with a "separator" key"#);
    };
    let Some(separator) = truthy(opts, "separator") else {
        return fail(r#"@flatten requires a "separator" key"#);
    };
    let Js::String(separator) = resolve(separator, payload)? else {
        return fail("@flatten requires a string separator");
    };
    let value = match opts.get("value") {
        Some(value) => resolve(value, payload)?,
        None => Js::Undefined,
    };
    Ok(flatten_object(
        value,
        &separator,
        json_is_truthy(opts.get("omitArrays")),
    ))
}

fn json(options: &Value, payload: &Js) -> Outcome {
    let Some(opts) = options.as_object() else {
        return fail(r#"@json requires an object with a "value" key"#);
    };
    let Some(mode) = truthy(opts, "mode") else {
        return fail(r#"@json requires a "mode" key"#);
    };
    let Some(value) = truthy(opts, "value") else {
        return fail(r#"@json requires a "value" key"#);
    };
    let value = resolve(value, payload)?;
    // Validation accepts any case; the comparison here is exact, so `ENCODE` gives undefined.
    Ok(match (mode.as_str(), value) {
        (Some("encode"), value) => json_stringify(&value).map_or(Js::Undefined, Js::String),
        (Some("decode"), Js::String(text)) => match serde_json::from_str::<Value>(&text) {
            Ok(parsed) => Js::from(parsed),
            Err(_) => Js::String(text),
        },
        (Some("decode"), other) => other,
        _ => Js::Undefined,
    })
}

fn merge(options: &Value, payload: &Js) -> Outcome {
    let Some(opts) = options.as_object() else {
        return fail(r#"@merge requires an object with an "objects" key and a "direction" key"#);
    };
    let Some(direction) = truthy(opts, "direction") else {
        return fail(r#"@merge requires a "direction" key"#);
    };
    let direction = resolve(direction, payload)?;
    let Some(objects) = truthy(opts, "objects") else {
        return fail(r#"@merge requires a "objects" key"#);
    };
    let Value::Array(objects) = objects else {
        return fail(format!(
            "@merge: expected opts.array, got {}",
            js_typeof(objects)
        ));
    };
    let mut sources = objects
        .iter()
        .map(|o| resolve(o, payload))
        .collect::<Result<Vec<_>, _>>()?;
    if matches!(&direction, Js::String(d) if d == "left") {
        sources.reverse();
    }
    let mut merged = ObjectBuilder::default();
    for source in sources {
        assign(&mut merged, source);
    }
    Ok(merged.build())
}

/// One source of `Object.assign`: its own enumerable keys, `undefined` values included.
fn assign(target: &mut ObjectBuilder, source: Js) {
    match source {
        Js::Object(entries) => in_js_order(entries)
            .into_iter()
            .for_each(|(k, v)| target.set(k, v)),
        Js::Array(items) => items
            .into_iter()
            .enumerate()
            .for_each(|(i, v)| target.set(i.to_string(), v)),
        Js::String(s) => utf16_units(&s)
            .enumerate()
            .for_each(|(i, unit)| target.set(i.to_string(), Js::String(unit))),
        _ => {}
    }
}

/// JS `typeof` of a truthy value.
fn js_typeof(value: &Value) -> &'static str {
    match value {
        Value::String(_) => "string",
        Value::Number(_) => "number",
        Value::Bool(_) => "boolean",
        _ => "object",
    }
}

fn transform_directive(options: &Value, payload: &Js) -> Outcome {
    let Some(opts) = options.as_object() else {
        return fail(r#"@transform requires an object with an "apply" key and a "mapping" key"#);
    };
    let Some(mapping) = truthy(opts, "mapping") else {
        return fail(r#"@transform requires a "mapping" key"#);
    };
    let Some(apply) = truthy(opts, "apply") else {
        return fail(r#"@transform requires a "apply" key"#);
    };
    if !apply.is_object() {
        return fail(r#"@transform "apply" key should be an object"#);
    }
    let applied = transform(apply, payload, true)?;
    resolve(mapping, &applied)
}

fn exclude_when_null(options: &Value, payload: &Js) -> Outcome {
    Ok(match resolve(options, payload)? {
        Js::Null => Js::Undefined,
        other => clean_nulls(other),
    })
}

/// `null` keys become `undefined`, in nested objects too; arrays are left alone.
fn clean_nulls(value: Js) -> Js {
    let Js::Object(entries) = value else {
        return value;
    };
    let cleaned = entries.into_iter().map(|(key, value)| {
        let value = match value {
            Js::Null => Js::Undefined,
            object @ Js::Object(_) => clean_nulls(object),
            other => other,
        };
        (key, value)
    });
    Js::Object(cleaned.collect())
}

//! What ajv's generated code does with these schemas (`coerceTypes: 'array'`,
//! `allErrors`, `removeAdditional: true`), in the same order, so errors come out
//! in the reference's order: the type step first, then `enum`, then the number,
//! string, array and object keywords; for objects `required` (field order),
//! the removal of unknown keys, then each present property (field order).

use serde_json::{Map, Value};

use super::coerce::{coerce, coercible, matches_any};
use super::date_like::is_date_like;
use sluice_js::as_f64;
use super::messages::{type_of, Issue, Problem};
use super::schema::{Format, JsonType, ObjectSchema, Schema};

/// Validates `data` in place (coercing and stripping), appending every failure.
pub(crate) fn validate(schema: &Schema, data: &mut Value, pointer: &Pointer<'_>, issues: &mut Vec<Issue>) {
    match check_type(schema, data, pointer, issues) {
        // ajv goes on with the element of a one-element array it failed to
        // coerce. Validation has already failed, so changes to it don't matter.
        Some(mut element) => keywords(schema, &mut element, pointer, issues),
        None => keywords(schema, data, pointer, issues),
    }
}

/// ajv's `coerceAndCheckDataType`. Returns the unwrapped element when coercion
/// of a one-element array failed.
fn check_type(
    schema: &Schema,
    data: &mut Value,
    pointer: &Pointer<'_>,
    issues: &mut Vec<Issue>,
) -> Option<Value> {
    if !checks_type_first(schema) || matches_any(&schema.types, data) {
        return None;
    }
    let targets = coercible(&schema.types);
    if targets.is_empty() {
        issues.push(type_issue(schema, pointer, data));
        return None;
    }
    match coerce(&targets, data) {
        Ok(coerced) => {
            *data = coerced;
            None
        }
        Err(failed) => {
            issues.push(type_issue(schema, pointer, failed.seen));
            failed.unwrapped.then(|| failed.seen.clone())
        }
    }
}

/// Whether the type is checked before the keywords. A lone `object` type with
/// object keywords is instead checked by the object group (same message).
fn checks_type_first(schema: &Schema) -> bool {
    let object_group_checks = schema.is_only(JsonType::Object) && schema.object.is_some();
    !schema.types.is_empty() && !object_group_checks
}

fn type_issue(schema: &Schema, pointer: &Pointer<'_>, seen: &Value) -> Issue {
    let problem = Problem::Type {
        expected: schema.types.clone(),
        found: type_of(Some(seen)),
    };
    Issue::new(schema, &pointer.render(), problem)
}

fn keywords(schema: &Schema, data: &mut Value, pointer: &Pointer<'_>, issues: &mut Vec<Issue>) {
    check_enum(schema, data, pointer, issues);
    match data {
        Value::Number(n) => check_number(schema, as_f64(n), pointer, issues),
        Value::String(s) => check_string(schema, s, pointer, issues),
        Value::Array(items) => check_items(schema, items, pointer, issues),
        Value::Object(map) => {
            if let Some(object) = &schema.object {
                check_object(schema, object, map, pointer, issues);
            }
        }
        _ => {}
    }
    if schema.object.is_some() && !checks_type_first(schema) && !data.is_object() {
        issues.push(type_issue(schema, pointer, data));
    }
}

fn check_enum(schema: &Schema, data: &Value, pointer: &Pointer<'_>, issues: &mut Vec<Issue>) {
    let Some(choices) = &schema.choices else {
        return;
    };
    let allowed = matches!(data, Value::String(s) if choices.contains(s));
    if !allowed {
        issues.push(Issue::new(schema, &pointer.render(), Problem::Enum(choices.clone())));
    }
}

fn check_number(schema: &Schema, n: f64, pointer: &Pointer<'_>, issues: &mut Vec<Issue>) {
    if let Some(max) = schema.maximum.filter(|max| n > *max) {
        issues.push(Issue::new(schema, &pointer.render(), Problem::Maximum(max)));
    }
    if let Some(min) = schema.minimum.filter(|min| n < *min) {
        issues.push(Issue::new(schema, &pointer.render(), Problem::Minimum(min)));
    }
}

fn check_string(schema: &Schema, s: &str, pointer: &Pointer<'_>, issues: &mut Vec<Issue>) {
    // ajv compares code points; the message reports JS `.length` (UTF-16 units).
    if schema.max_length.is_some() || schema.min_length.is_some() {
        check_length(schema, s, pointer, issues);
    }
    if schema.format == Some(Format::DateLike) && !is_date_like(s) {
        issues.push(Issue::new(
            schema,
            &pointer.render(),
            Problem::Format(Format::DateLike.name()),
        ));
    }
    if schema.format == Some(Format::Uri) && url::Url::parse(s).is_err() {
        issues.push(Issue::new(schema, &pointer.render(), Problem::Format(Format::Uri.name())));
    }
}

fn check_length(schema: &Schema, s: &str, pointer: &Pointer<'_>, issues: &mut Vec<Issue>) {
    let code_points = s.chars().count() as u64;
    let actual = s.encode_utf16().count();
    if let Some(limit) = schema.max_length.filter(|limit| code_points > *limit) {
        issues.push(Issue::new(
            schema,
            &pointer.render(),
            Problem::MaxLength { limit, actual },
        ));
    }
    if let Some(limit) = schema.min_length.filter(|limit| code_points < *limit) {
        issues.push(Issue::new(
            schema,
            &pointer.render(),
            Problem::MinLength { limit, actual },
        ));
    }
}

fn check_items(schema: &Schema, items: &mut [Value], pointer: &Pointer<'_>, issues: &mut Vec<Issue>) {
    let Some(item_schema) = &schema.items else {
        return;
    };
    for (i, item) in items.iter_mut().enumerate() {
        validate(item_schema, item, &Pointer::Index(pointer, i), issues);
    }
}

fn check_object(
    schema: &Schema,
    object: &ObjectSchema,
    map: &mut Map<String, Value>,
    pointer: &Pointer<'_>,
    issues: &mut Vec<Issue>,
) {
    for name in object
        .required
        .iter()
        .filter(|name| !crate::json::contains(map, name))
    {
        issues.push(Issue::new(schema, &pointer.render(), Problem::Required(name.clone())));
    }
    map.retain(|key, _| object.has_property(key));
    for (key, property) in &object.properties {
        if let Some(value) = crate::json::get_mut(map, key) {
            validate(property, value, &Pointer::Key(pointer, key), issues);
        }
    }
}

/// Where in the payload a value is, as ajv's `instancePath`; rendered only
/// when there is something to report.
#[derive(Clone, Copy)]
pub(crate) enum Pointer<'a> {
    Root,
    Key(&'a Pointer<'a>, &'a str),
    Index(&'a Pointer<'a>, usize),
}

impl Pointer<'_> {
    fn render(&self) -> String {
        match self {
            Pointer::Root => String::new(),
            Pointer::Key(parent, key) => format!("{}/{}", parent.render(), escape_pointer(key)),
            Pointer::Index(parent, i) => format!("{}/{i}", parent.render()),
        }
    }
}

/// RFC 6901 escaping, as in ajv's `instancePath`.
fn escape_pointer(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

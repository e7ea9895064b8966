//! Mapping validation (`validate.ts`), run before a mapping is resolved.
//!
//! Messages read `/<keys and directive names> <message>.`, exactly as the reference's. Errors
//! under sibling keys or sibling fields are collected (the reference's `AggregateError`);
//! everything else stops at the first error.

use serde_json::{Map, Value};

use super::value::{in_js_order, js_length, json_type_name};

/// One message per error, in the reference's order.
pub(crate) type Failures = Vec<String>;
type Checked = Result<(), Failures>;

/// Validates a whole mapping.
pub(crate) fn validate_mapping(mapping: &Value) -> Checked {
    validate(mapping, &[])
}

fn validate(mapping: &Value, stack: &[String]) -> Checked {
    match kind(Some(mapping)) {
        "directive" => validate_directive(mapping, stack),
        "object" => validate_object(Some(mapping), stack),
        // Arrays are never looked into, and anything else is a raw value.
        _ => Ok(()),
    }
}

/// `realTypeOrDirective`: an object with any `@` key is a directive here.
fn kind(value: Option<&Value>) -> &'static str {
    match value {
        Some(Value::Object(map)) if map.keys().any(|k| k.starts_with('@')) => "directive",
        other => json_type_name(other),
    }
}

fn fail(stack: &[String], message: impl std::fmt::Display) -> Failures {
    vec![format!("/{} {message}.", stack.join("/"))]
}

/// `a string`, `an object`, `an undefined`.
fn described(type_name: &str) -> String {
    let article = if type_name.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {type_name}")
}

fn push(stack: &[String], key: &str) -> Vec<String> {
    let mut deeper = stack.to_vec();
    deeper.push(key.to_owned());
    deeper
}

fn validate_directive(value: &Value, stack: &[String]) -> Checked {
    let Value::Object(obj) = value else {
        return Err(fail(
            stack,
            format!(
                "should be a directive object but it is {}",
                described(kind(Some(value)))
            ),
        ));
    };
    let keys: Vec<&String> = in_js_order(obj.iter())
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let directive_keys: Vec<&&String> = keys.iter().filter(|k| k.starts_with('@')).collect();
    if directive_keys.len() > 1 {
        return Err(fail(
            stack,
            format!(
                "should only have one @-prefixed key but it has {} keys",
                directive_keys.len()
            ),
        ));
    }
    if keys
        .iter()
        .any(|k| !k.starts_with('@') && k.as_str() != "_metadata")
    {
        return Err(fail(
            stack,
            format!(
                "should only have one @-prefixed key but it has {} keys",
                keys.len()
            ),
        ));
    }
    let Some(name) = directive_keys.first().map(|k| k.as_str()) else {
        return Err(fail(stack, "has an invalid directive: undefined"));
    };
    let options = &obj[name];
    check_directive(name, options, &push(stack, name))
        .unwrap_or_else(|| Err(fail(stack, format!("has an invalid directive: {name}"))))
}

/// What a directive's options must look like; `None` for an unknown directive.
fn check_directive(name: &str, options: &Value, stack: &[String]) -> Option<Checked> {
    use Need::{Optional, Required};
    use Rule::*;
    let options = Some(options);
    let checked = match name {
        "@if" => fields(
            options,
            stack,
            &[
                ("exists", Optional, &[DirectiveOrRaw]),
                ("then", Optional, &[DirectiveOrRaw]),
                ("else", Optional, &[DirectiveOrRaw]),
            ],
        ),
        "@case" => fields(
            options,
            stack,
            &[
                ("operator", Optional, &[String]),
                ("value", Optional, &[DirectiveOrString]),
            ],
        ),
        "@replace" => fields(
            options,
            stack,
            &[
                ("pattern", Required, &[String, Length(1, 10)]),
                ("replacement", Optional, &[String, Length(0, 10)]),
                ("value", Required, &[DirectiveOrString]),
                ("ignorecase", Optional, &[Boolean]),
                ("global", Optional, &[Boolean]),
            ],
        ),
        "@arrayPath" => array_path(options, stack),
        "@path" | "@template" => apply(DirectiveOrString, options, stack),
        "@literal" | "@excludeWhenNull" => apply(DirectiveOrRaw, options, stack),
        "@json" => fields(
            options,
            stack,
            &[
                ("value", Required, &[DirectiveOrRaw]),
                ("mode", Required, &[OneOf(&["encode", "decode"])]),
            ],
        ),
        "@flatten" => fields(
            options,
            stack,
            &[
                ("value", Required, &[DirectiveOrRaw]),
                ("separator", Optional, &[String]),
            ],
        ),
        "@merge" => fields(
            options,
            stack,
            &[
                ("objects", Required, &[ObjectArray]),
                ("direction", Optional, &[OneOf(&["left", "right"])]),
            ],
        ),
        "@transform" => fields(
            options,
            stack,
            &[
                ("apply", Required, &[ObjectOrDirective]),
                ("mapping", Required, &[ObjectOrDirective]),
            ],
        ),
        "@liquid" => apply(String, options, stack),
        _ => return None,
    };
    Some(checked)
}

/// `@arrayPath: [path, shape?]`; these checks stop at the first error.
fn array_path(options: Option<&Value>, stack: &[String]) -> Checked {
    apply(Rule::Array, options, stack)?;
    let items = options
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    apply(Rule::DirectiveOrString, items.first(), stack)?;
    items.get(1).map_or(Ok(()), |shape| validate(shape, stack))
}

#[derive(Clone, Copy)]
enum Need {
    Required,
    Optional,
}

/// The reference's small validators, applied in order until one fails.
#[derive(Clone, Copy)]
enum Rule {
    DirectiveOrRaw,
    DirectiveOrString,
    String,
    Boolean,
    Array,
    /// UTF-16 length bounds, checked only on strings.
    Length(usize, usize),
    /// A string whose lowercase form is one of these.
    OneOf(&'static [&'static str]),
    ObjectOrDirective,
    /// An array of objects or directives.
    ObjectArray,
}

/// `validateObjectWithFields`: the object's own values are validated as mappings first; then
/// each field, collecting errors across fields.
fn fields(value: Option<&Value>, stack: &[String], spec: &[(&str, Need, &[Rule])]) -> Checked {
    validate_object(value, stack)?;
    let obj = value.and_then(Value::as_object);
    let mut failures = Failures::new();
    for (field, need, rules) in spec {
        let found = obj.and_then(|o| o.get(*field));
        let checked = match (found, need) {
            (None, Need::Required) => Err(fail(
                stack,
                format!("should have field \"{field}\" but it doesn't"),
            )),
            (None, Need::Optional) => Ok(()),
            (Some(found), _) => rules
                .iter()
                .try_for_each(|rule| apply(*rule, Some(found), &push(stack, field))),
        };
        failures.extend(checked.err().unwrap_or_default());
    }
    failures.is_empty().then_some(()).ok_or(failures)
}

fn apply(rule: Rule, value: Option<&Value>, stack: &[String]) -> Checked {
    let kind = kind(value);
    let expected = match rule {
        Rule::DirectiveOrRaw => match kind {
            "directive" => return validate_directive_at(value, stack),
            "undefined" => "a mapping directive or a JSON value",
            _ => return Ok(()),
        },
        Rule::DirectiveOrString => match kind {
            "directive" => return validate_directive_at(value, stack),
            "string" => return Ok(()),
            _ => "a string or a mapping directive",
        },
        Rule::ObjectOrDirective => match kind {
            "directive" => return validate_directive_at(value, stack),
            "object" => return validate_object(value, stack),
            _ => "an object or a mapping directive",
        },
        Rule::String | Rule::OneOf(_) if kind != "string" => "a string",
        Rule::String => return Ok(()),
        Rule::OneOf(allowed) => return one_of(allowed, value, stack),
        Rule::Boolean if kind == "boolean" => return Ok(()),
        Rule::Boolean => "a boolean",
        Rule::Array | Rule::ObjectArray => {
            // `validateArray` uses the plain type: a directive is "an object" here.
            let plain = json_type_name(value);
            if plain != "array" {
                return Err(fail(
                    stack,
                    format!("should be an array but it is {}", described(plain)),
                ));
            }
            return match (rule, value) {
                (Rule::ObjectArray, Some(Value::Array(items))) => object_array(items, stack),
                _ => Ok(()),
            };
        }
        Rule::Length(min, max) => return length(min, max, value, stack),
    };
    Err(fail(
        stack,
        format!("should be {expected} but it is {}", described(kind)),
    ))
}

fn validate_directive_at(value: Option<&Value>, stack: &[String]) -> Checked {
    value.map_or(Ok(()), |v| validate_directive(v, stack))
}

fn validate_object(value: Option<&Value>, stack: &[String]) -> Checked {
    let kind = kind(value);
    let Some(Value::Object(obj)) = value.filter(|_| kind == "object") else {
        return Err(fail(
            stack,
            format!("should be an object but it is {}", described(kind)),
        ));
    };
    collect_entries(obj, stack)
}

fn collect_entries(obj: &Map<String, Value>, stack: &[String]) -> Checked {
    let mut failures = Failures::new();
    for (key, value) in in_js_order(obj.iter()) {
        failures.extend(validate(value, &push(stack, key)).err().unwrap_or_default());
    }
    failures.is_empty().then_some(()).ok_or(failures)
}

fn object_array(items: &[Value], stack: &[String]) -> Checked {
    let mut failures = Failures::new();
    for (i, item) in items.iter().enumerate() {
        let checked = apply(
            Rule::ObjectOrDirective,
            Some(item),
            &push(stack, &i.to_string()),
        );
        failures.extend(checked.err().unwrap_or_default());
    }
    failures.is_empty().then_some(()).ok_or(failures)
}

fn one_of(allowed: &[&str], value: Option<&Value>, stack: &[String]) -> Checked {
    let text = value.and_then(Value::as_str).unwrap_or_default();
    if allowed.contains(&text.to_lowercase().as_str()) {
        return Ok(());
    }
    let quoted = serde_json::to_string(text).unwrap_or_default();
    Err(fail(
        stack,
        format!("should be one of {} but it is {quoted}", allowed.join(", ")),
    ))
}

fn length(min: usize, max: usize, value: Option<&Value>, stack: &[String]) -> Checked {
    let Some(text) = value.and_then(Value::as_str) else {
        return Ok(());
    };
    let len = js_length(text);
    if len < min {
        return Err(fail(
            stack,
            format!("should be a string of length {min} or greater"),
        ));
    }
    if len > max {
        return Err(fail(
            stack,
            format!("should be a string of length {max} or less"),
        ));
    }
    Ok(())
}

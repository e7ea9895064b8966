//! Section 3.4: ajv errors in `@segment/ajv-human-errors` wording, with
//! `fieldLabels: 'title'`.

use serde_json::Value;

use sluice_js::number_to_string;
use super::schema::{JsonType, Schema};

/// One failed keyword, with its subject already resolved.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Issue {
    subject: String,
    problem: Problem,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Problem {
    Required(String),
    Type {
        expected: Vec<JsonType>,
        found: &'static str,
    },
    Enum(Vec<String>),
    Format(&'static str),
    MinLength {
        limit: u64,
        actual: usize,
    },
    MaxLength {
        limit: u64,
        actual: usize,
    },
    Minimum(f64),
    Maximum(f64),
}

impl Issue {
    /// `schema` is the one holding the failed keyword, `pointer` the data's JSON pointer.
    pub(crate) fn new(schema: &Schema, pointer: &str, problem: Problem) -> Self {
        Issue {
            subject: subject(schema.title.as_deref(), pointer),
            problem,
        }
    }

    /// The sentence the reference shows: capitalised, ending in '.'.
    pub(crate) fn message(&self) -> String {
        format!("{}.", capitalize(&self.text()))
    }

    fn text(&self) -> String {
        let p = &self.subject;
        match &self.problem {
            Problem::Required(name) => format!("{p} is missing the required field '{name}'"),
            Problem::Type { expected, found } => {
                let names: Vec<String> = expected.iter().map(|t| t.name().to_string()).collect();
                let expected = humanize_list(&names, "or");
                format!(
                    "{p} must be {} {expected} but it was {found}",
                    indefinite_article(&expected)
                )
            }
            Problem::Enum(allowed) => {
                let quoted: Vec<String> = allowed.iter().map(|s| json_string(s)).collect();
                format!("{p} must be one of: {}", humanize_list(&quoted, "or"))
            }
            Problem::Format(name) => {
                format!(
                    "{p} must be a valid {} string but it was not",
                    format_label(name)
                )
            }
            Problem::MinLength { limit, actual } => format!(
                "{p} must be {limit} {} or more but it was {actual} {}",
                characters(*limit as usize),
                characters(*actual)
            ),
            Problem::MaxLength { limit, actual } => format!(
                "{p} must be {limit} {} or fewer but it was {actual} {}",
                characters(*limit as usize),
                characters(*actual)
            ),
            Problem::Minimum(limit) => {
                format!(
                    "{p} must be equal to or greater than {}",
                    number_to_string(*limit)
                )
            }
            Problem::Maximum(limit) => {
                format!(
                    "{p} must be equal to or less than {}",
                    number_to_string(*limit)
                )
            }
        }
    }
}

/// `AggregateAjvError.message`: every message, joined by one space.
pub(crate) fn aggregate(issues: &[Issue]) -> String {
    issues
        .iter()
        .map(Issue::message)
        .collect::<Vec<_>>()
        .join(" ")
}

/// The preamble: the schema's title, else the root, else the JSON pointer.
fn subject(title: Option<&str>, pointer: &str) -> String {
    match title {
        Some(t) if !t.is_empty() => t.to_string(),
        _ if pointer.is_empty() => "the root value".to_string(),
        _ => format!("the value at {pointer}"),
    }
}

/// `humanizeTypeOf`: what the data was, with its article.
pub(crate) fn type_of(value: Option<&Value>) -> &'static str {
    match value {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Array(_)) => "an array",
        Some(Value::Object(_)) => "an object",
        Some(Value::String(_)) => "a string",
        Some(Value::Number(_)) => "a number",
        Some(Value::Bool(_)) => "a boolean",
    }
}

fn indefinite_article(word: &str) -> &'static str {
    match word.chars().next() {
        Some('a' | 'e' | 'i' | 'o' | 'u') => "an",
        _ => "a",
    }
}

/// `a`, `a or b`, `a, b, or c`.
fn humanize_list(items: &[String], conjunction: &str) -> String {
    match items {
        [] => "nothing".to_string(),
        [one] => one.clone(),
        [a, b] => format!("{a} {conjunction} {b}"),
        [init @ .., last] => format!("{}, {conjunction} {last}", init.join(", ")),
    }
}

fn characters(n: usize) -> &'static str {
    if n == 1 {
        "character"
    } else {
        "characters"
    }
}

fn format_label(name: &str) -> &str {
    match name {
        "date-time" => "date and time",
        "time" => "time",
        "date" => "date",
        "email" => "email address",
        "hostname" => "hostname",
        "ipv4" => "IPv4 address",
        "ipv6" => "IPv6 address",
        "uri" => "URI",
        "uri-reference" => "URI Reference",
        "uri-template" => "URI-template",
        "json-pointer" => "JSON Pointer",
        "relative-json-pointer" => "relative JSON Pointer",
        "regex" => "regular expression",
        other => other,
    }
}

/// `JSON.stringify` of a string.
fn json_string(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| format!("\"{s}\""))
}

/// `s.charAt(0).toUpperCase() + s.slice(1)`: `charAt` is one UTF-16 unit, so a
/// character outside the BMP is left alone.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) if first.len_utf16() == 1 => first.to_uppercase().chain(chars).collect(),
        _ => s.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn titled(title: &str) -> Schema {
        Schema {
            title: Some(title.into()),
            ..Schema::default()
        }
    }

    fn msg(schema: &Schema, pointer: &str, problem: Problem) -> String {
        Issue::new(schema, pointer, problem).message()
    }

    #[test]
    fn preamble_prefers_title_then_root_then_pointer() {
        let required = || Problem::Required("x".into());
        assert_eq!(
            msg(&titled("Data"), "/data", required()),
            "Data is missing the required field 'x'."
        );
        assert_eq!(
            msg(&Schema::default(), "", required()),
            "The root value is missing the required field 'x'."
        );
        assert_eq!(
            msg(&Schema::default(), "/data/0", required()),
            "The value at /data/0 is missing the required field 'x'."
        );
        // An empty label is falsy in JS, so the pointer is used.
        assert_eq!(
            msg(&titled(""), "/a", required()),
            "The value at /a is missing the required field 'x'."
        );
    }

    #[test]
    fn type_messages_pick_the_article_from_the_first_type() {
        let t = |expected: Vec<JsonType>, found| Problem::Type { expected, found };
        let s = titled("N");
        assert_eq!(
            msg(&s, "", t(vec![JsonType::Integer], "a string")),
            "N must be an integer but it was a string."
        );
        assert_eq!(
            msg(&s, "", t(vec![JsonType::Object], "an array")),
            "N must be an object but it was an array."
        );
        assert_eq!(
            msg(&s, "", t(vec![JsonType::Boolean], "null")),
            "N must be a boolean but it was null."
        );
        assert_eq!(
            msg(
                &s,
                "",
                t(vec![JsonType::String, JsonType::Number], "an object")
            ),
            "N must be a string or number but it was an object."
        );
        assert_eq!(
            msg(
                &Schema::default(),
                "",
                t(vec![JsonType::Object], type_of(None))
            ),
            "The root value must be an object but it was undefined."
        );
    }

    #[test]
    fn enum_lists_json_encoded_values() {
        let e = |v: &[&str]| Problem::Enum(v.iter().map(|s| s.to_string()).collect());
        let s = titled("State");
        assert_eq!(msg(&s, "", e(&["open"])), "State must be one of: \"open\".");
        assert_eq!(
            msg(&s, "", e(&["a", "b"])),
            "State must be one of: \"a\" or \"b\"."
        );
        assert_eq!(
            msg(&s, "", e(&["a", "b", "c"])),
            "State must be one of: \"a\", \"b\", or \"c\"."
        );
        assert_eq!(
            msg(&s, "", e(&["say \"hi\""])),
            "State must be one of: \"say \\\"hi\\\"\"."
        );
    }

    #[test]
    fn format_length_and_limit_messages() {
        let s = titled("When");
        assert_eq!(
            msg(&s, "", Problem::Format("date-like")),
            "When must be a valid date-like string but it was not."
        );
        assert_eq!(
            msg(&s, "", Problem::Format("date-time")),
            "When must be a valid date and time string but it was not."
        );
        assert_eq!(
            msg(
                &s,
                "",
                Problem::MinLength {
                    limit: 1,
                    actual: 0
                }
            ),
            "When must be 1 character or more but it was 0 characters."
        );
        assert_eq!(
            msg(
                &s,
                "",
                Problem::MaxLength {
                    limit: 3,
                    actual: 1
                }
            ),
            "When must be 3 characters or fewer but it was 1 character."
        );
        assert_eq!(
            msg(&s, "", Problem::Minimum(1.5)),
            "When must be equal to or greater than 1.5."
        );
        assert_eq!(
            msg(&s, "", Problem::Maximum(10.0)),
            "When must be equal to or less than 10."
        );
    }

    #[test]
    fn aggregate_joins_with_one_space_and_capitalises() {
        let issues = [
            Issue::new(
                &Schema::default(),
                "",
                Problem::Required("customerProfileId".into()),
            ),
            Issue::new(
                &titled("attribute-Value pairs"),
                "/attributes",
                Problem::Type {
                    expected: vec![JsonType::Object],
                    found: "an array",
                },
            ),
        ];
        assert_eq!(
            aggregate(&issues),
            "The root value is missing the required field 'customerProfileId'. \
             Attribute-Value pairs must be an object but it was an array."
        );
        assert_eq!(capitalize("ßx"), "SSx");
        assert_eq!(capitalize("𐐨x"), "𐐨x");
        assert_eq!(capitalize(""), "");
    }
}

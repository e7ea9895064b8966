//! Property tests: no mapping and no event, however odd, makes the mapping kit panic, and
//! validating once then resolving gives what `transform` gives.

use proptest::prelude::*;
use serde_json::{Map, Value};

use super::{get, resolve_validated, transform, validate_mapping, CompiledMapping};

const DIRECTIVES: &[&str] = &[
    "@if",
    "@case",
    "@replace",
    "@arrayPath",
    "@path",
    "@template",
    "@literal",
    "@flatten",
    "@json",
    "@merge",
    "@transform",
    "@excludeWhenNull",
    "@liquid",
    "@oops",
];

/// Event keys and every directive option, so that generated options are often meaningful.
const KEYS: &[&str] = &[
    "a",
    "b",
    "0",
    "10",
    "length",
    "properties",
    "a b",
    "",
    "_metadata",
    "exists",
    "blank",
    "then",
    "else",
    "operator",
    "value",
    "pattern",
    "replacement",
    "pattern2",
    "replacement2",
    "ignorecase",
    "global",
    "mode",
    "separator",
    "omitArrays",
    "objects",
    "direction",
    "apply",
    "mapping",
    "__segment_internal_directive",
];

/// Paths, templates and option values the directives react to.
const STRINGS: &[&str] = &[
    "$.a",
    "$.a.b",
    "a[0]",
    "$.properties['a b']",
    "",
    ".",
    "$.",
    "$.a.length",
    "a.$.b",
    "$.b[1].a",
    "{{a}}",
    "{{{ b }}}-{{a.length}}",
    "lower",
    "upper",
    "encode",
    "decode",
    "ENCODE",
    "left",
    "right",
    "$&$'$`",
    "x",
    "{\"a\":[1]}",
    "{{ a | upcase }}",
    "{% if a %}y{% else %}n{% endif %}",
    "{% for x in a %}{% endfor %}",
    "{{ a | sort }}",
    "{% assign c = a | append: b %}{{ c }}",
    "{% capture c %}{{a}}{% endcapture %}{{c}}",
    "{{ a | replace: 'x', b | join: ',' }}",
    "{{ a.b[-1] | plus: 1 }}",
    "{{ a | divided_by: 0 }}",
    "{{ -9223372036854775808 | modulo: -1 }}",
    "{{ 9223372036854775807 | plus: 1 }}",
    "{%",
    "{{",
];

fn arb_string() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(STRINGS).prop_map(String::from),
        2 => "[a-b0-1$.\\[\\]'\"{}|%@ -]{0,12}",
        1 => any::<String>(),
    ]
}

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![4 => prop::sample::select(KEYS).prop_map(String::from), 1 => arb_string()]
}

fn arb_number() -> impl Strategy<Value = Value> {
    prop_oneof![
        prop::sample::select(&[0.0, -0.0, 1.0, 1.5, 1e21, -1e-7, 1e300][..]).prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", |f| serde_json::Number::from_f64(f)
            .map(Value::Number)),
    ]
}

fn arb_leaf() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        arb_number(),
        arb_string().prop_map(Value::String),
    ]
}

fn object(entries: Vec<(String, Value)>) -> Value {
    Value::Object(entries.into_iter().collect::<Map<_, _>>())
}

fn arb_json() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..6).prop_map(object),
        ]
    })
}

/// Raw values, plain objects and arrays, and directives: free-form, or shaped the way each
/// directive expects so that resolution goes deep.
fn arb_mapping() -> impl Strategy<Value = Value> {
    arb_leaf().prop_recursive(5, 64, 6, |inner| {
        let directive_name = prop::sample::select(DIRECTIVES).prop_map(String::from);
        prop_oneof![
            1 => prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            2 => prop::collection::vec((arb_key(), inner.clone()), 0..5).prop_map(object),
            1 => (directive_name.clone(), inner.clone()).prop_map(|(name, value)| object(vec![(name, value)])),
            1 => (directive_name, prop::collection::vec((arb_key(), inner.clone()), 0..6))
                .prop_map(|(name, options)| object(vec![(name, object(options))])),
            4 => shaped_directive(inner),
        ]
    })
}

fn directive(name: &str, options: Value) -> Value {
    object(vec![(name.to_owned(), options)])
}

fn options(entries: Vec<(&str, Option<Value>)>) -> Value {
    object(
        entries
            .into_iter()
            .filter_map(|(k, v)| Some((k.to_owned(), v?)))
            .collect(),
    )
}

fn shaped_directive(inner: BoxedStrategy<Value>) -> impl Strategy<Value = Value> {
    let maybe = || prop::option::of(inner.clone());
    let text = || arb_string().prop_map(Value::String);
    let short = || "[a-b.$ -]{1,3}".prop_map(Value::String);
    let flag = || prop::option::of(any::<bool>().prop_map(Value::Bool));
    let choice =
        |values: &'static [&'static str]| prop::sample::select(values).prop_map(Value::from);
    let plain_object = || prop::collection::vec((arb_key(), inner.clone()), 0..4).prop_map(object);
    prop_oneof![
        text().prop_map(|p| directive("@path", p)),
        text().prop_map(|t| directive("@template", t)),
        text().prop_map(|t| directive("@liquid", t)),
        inner.clone().prop_map(|v| directive("@literal", v)),
        inner.clone().prop_map(|v| directive("@excludeWhenNull", v)),
        (any::<bool>(), inner.clone(), maybe(), maybe()).prop_map(
            |(exists, condition, then, otherwise)| {
                let key = if exists { "exists" } else { "blank" };
                directive(
                    "@if",
                    options(vec![
                        (key, Some(condition)),
                        ("then", then),
                        ("else", otherwise),
                    ]),
                )
            }
        ),
        (choice(&["lower", "upper"]), inner.clone()).prop_map(|(operator, value)| directive(
            "@case",
            options(vec![("operator", Some(operator)), ("value", Some(value))])
        )),
        (
            short(),
            prop::option::of(short()),
            inner.clone(),
            flag(),
            flag(),
            prop::option::of(short()),
            prop::option::of(choice(&["$&", "$'$`", "$$"]))
        )
            .prop_map(
                |(pattern, replacement, value, ignorecase, global, pattern2, replacement2)| {
                    directive(
                        "@replace",
                        options(vec![
                            ("pattern", Some(pattern)),
                            ("replacement", replacement),
                            ("value", Some(value)),
                            ("ignorecase", ignorecase),
                            ("global", global),
                            ("pattern2", pattern2),
                            ("replacement2", replacement2),
                        ]),
                    )
                }
            ),
        (prop_oneof![text(), inner.clone()], inner.clone())
            .prop_map(|(path, shape)| directive("@arrayPath", Value::Array(vec![path, shape]))),
        (choice(&["encode", "decode", "ENCODE"]), inner.clone()).prop_map(|(mode, value)| {
            directive(
                "@json",
                options(vec![("mode", Some(mode)), ("value", Some(value))]),
            )
        }),
        (inner.clone(), choice(&[".", "_", "->"]), flag()).prop_map(|(value, separator, omit)| {
            directive(
                "@flatten",
                options(vec![
                    ("value", Some(value)),
                    ("separator", Some(separator)),
                    ("omitArrays", omit),
                ]),
            )
        }),
        (
            prop::collection::vec(prop_oneof![plain_object(), inner.clone()], 0..4),
            choice(&["left", "right"])
        )
            .prop_map(|(objects, direction)| {
                directive(
                    "@merge",
                    options(vec![
                        ("objects", Some(Value::Array(objects))),
                        ("direction", Some(direction)),
                    ]),
                )
            }),
        (plain_object(), plain_object()).prop_map(|(apply, mapping)| {
            directive(
                "@transform",
                options(vec![("apply", Some(apply)), ("mapping", Some(mapping))]),
            )
        }),
    ]
}

fn arb_event() -> impl Strategy<Value = Value> {
    prop_oneof![
        9 => prop::collection::vec((arb_key(), arb_json()), 0..8).prop_map(object),
        1 => arb_json(),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn mappings_never_panic_and_validation_is_consistent(mapping in arb_mapping(), event in arb_event()) {
        let validated = validate_mapping(&mapping);
        let transformed = transform(&mapping, &event);
        if transformed.is_ok() {
            prop_assert!(validated.is_ok(), "transform accepted a mapping that validation rejects");
        }
        if validated.is_ok() {
            prop_assert_eq!(resolve_validated(&mapping, &event), transformed);
        }
    }

    /// Any mapping, and above all the plain ones (raw values and `@path`s)
    /// that take the shortcut: the compiled mapping gives what the general
    /// resolver gives, JS key order of looked-up objects included.
    #[test]
    fn compiled_equals_general(
        mapping in arb_mapping(),
        plain in prop::collection::vec((arb_key(), prop_oneof![
            3 => arb_string().prop_map(|p| directive("@path", Value::String(p))),
            1 => arb_leaf(),
        ]), 0..6).prop_map(object),
        event in arb_event(),
    ) {
        for m in [mapping, plain] {
            if validate_mapping(&m).is_ok() {
                // As text: JSON objects compare equal whatever their key order.
                let text = |r: Result<Value, _>| r.map(|v| v.to_string());
                prop_assert_eq!(text(CompiledMapping::new(m.clone()).resolve(&event)), text(resolve_validated(&m, &event)));
            }
        }
    }

    #[test]
    fn path_lookups_never_panic(data in arb_json(), path in arb_string()) {
        let _ = get(&data, &path);
    }
}

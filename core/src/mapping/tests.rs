//! Behaviour of the mapping kit, case by case against the reference (spec §1.1–1.4).

use serde_json::{json, Value};

use super::value::Js;
use sluice_js::number_to_string as f64_to_js_string;
use super::{get, resolve_validated, transform, validate_mapping};

fn map(mapping: Value, data: Value) -> Value {
    transform(&mapping, &data).unwrap_or_else(|e| panic!("{mapping} failed: {e}"))
}

fn map_error(mapping: Value, data: Value) -> String {
    match transform(&mapping, &data) {
        Ok(out) => panic!("{mapping} gave {out}, expected an error"),
        Err(e) => e.message,
    }
}

/// Runtime errors that validation would otherwise catch first.
fn runtime_error(mapping: Value, data: Value) -> String {
    match resolve_validated(&mapping, &data) {
        Ok(out) => panic!("{mapping} gave {out}, expected an error"),
        Err(e) => e.message,
    }
}

fn invalid(mapping: Value) -> String {
    validate_mapping(&mapping)
        .expect_err("mapping should be invalid")
        .message
}

mod resolution {
    use super::*;

    #[test]
    fn raw_values_pass_through_and_keep_key_order() {
        let out = map(
            json!({"z": 1, "a": "x", "m": [true, null], "n": {"b": 2, "a": 1}}),
            json!({}),
        );
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"z":1,"a":"x","m":[true,null],"n":{"b":2,"a":1}}"#
        );
    }

    #[test]
    fn integer_like_keys_come_first_as_in_js() {
        let out = map(json!({"b": 1, "10": 2, "a": 3, "2": 4}), json!({}));
        assert_eq!(
            serde_json::to_string(&out).unwrap(),
            r#"{"2":4,"10":2,"b":1,"a":3}"#
        );
    }

    #[test]
    fn undefined_keys_are_dropped_and_null_kept() {
        let out = map(
            json!({"gone": {"@path": "$.missing"}, "kept": {"@path": "$.n"}}),
            json!({"n": null}),
        );
        assert_eq!(out, json!({"kept": null}));
        let nested = map(json!({"x": {"y": {"@path": "$.nope"}, "z": 1}}), json!({}));
        assert_eq!(nested, json!({"x": {"z": 1}}));
    }

    #[test]
    fn undefined_array_elements_become_null() {
        assert_eq!(
            map(json!({"a": [{"@path": "$.missing"}, 1]}), json!({})),
            json!({"a": [null, 1]})
        );
    }

    #[test]
    fn metadata_does_not_stop_a_directive() {
        let mapping = json!({"x": {"@path": "$.a", "_metadata": {"label": "A"}}});
        assert_eq!(map(mapping, json!({"a": 1})), json!({"x": 1}));
    }

    #[test]
    fn data_must_be_an_object() {
        assert_eq!(
            map_error(json!({}), json!([])),
            "data must be an object, got array"
        );
        assert_eq!(
            map_error(json!({}), json!(null)),
            "data must be an object, got null"
        );
        assert_eq!(
            map_error(json!({}), json!("s")),
            "data must be an object, got string"
        );
    }

    #[test]
    fn non_object_mappings_are_spread() {
        assert_eq!(map(json!(["cool"]), json!({})), json!({"0": "cool"}));
        assert_eq!(map(json!("ab"), json!({})), json!({"0": "a", "1": "b"}));
        assert_eq!(map(json!(123), json!({})), json!({}));
    }

    #[test]
    fn a_root_directive_resolving_to_undefined_gives_null() {
        assert_eq!(map(json!({"@path": "$.missing"}), json!({})), Value::Null);
    }

    #[test]
    fn unknown_directives_in_arrays_fail_at_runtime() {
        let mapping = json!({"a": [{"@oops": 1}]});
        assert!(
            validate_mapping(&mapping).is_ok(),
            "array contents are not validated"
        );
        assert_eq!(
            map_error(mapping, json!({})),
            "@oops is not a valid directive, got undefined"
        );
    }

    #[test]
    fn root_internal_directive_wraps_the_other_keys() {
        let mapping = json!({
            "__segment_internal_directive": {
                "@transform": {"apply": {"properties": {"@flatten": {"value": {"@path": "$.properties"}, "separator": "_"}}}}
            },
            "properties": {"@path": "$.properties"},
            "topLevel": {"@path": "$.properties.nested_a"}
        });
        let data = json!({"properties": {"test": "value", "nested": {"a": "special", "b": 2}}, "other": "x"});
        assert_eq!(
            map(mapping, data),
            json!({"properties": {"test": "value", "nested_a": "special", "nested_b": 2}, "topLevel": "special"})
        );
    }

    #[test]
    fn root_internal_directive_errors() {
        let single = "The root mapping must only have a single directive object";
        let not_object = "The root directive must be an object";
        let root = |value: Value| json!({"__segment_internal_directive": value, "a": 1});
        assert_eq!(
            map_error(root(json!({"@path": "$.a", "@if": {}})), json!({})),
            single
        );
        assert_eq!(
            map_error(root(json!({"@transform": "x"})), json!({})),
            not_object
        );
        assert_eq!(
            map_error(root(json!({"@transform": null})), json!({})),
            not_object
        );
        assert_eq!(map_error(root(json!({})), json!({})), not_object);
        assert_eq!(map_error(root(json!(5)), json!({})), not_object);
        assert_eq!(map_error(root(json!("ab")), json!({})), single);
        assert_eq!(invalid(root(json!("x"))), not_object);
    }
}

mod path_lookup {
    use super::*;

    fn path(data: Value, path: &str) -> Option<Value> {
        get(&data, path)
    }

    #[test]
    fn root_paths() {
        assert_eq!(path(json!({"a": 1}), ""), Some(json!({"a": 1})));
        assert_eq!(path(json!({"a": 1}), "."), Some(json!({"a": 1})));
        assert_eq!(
            map(json!({"@path": "$."}), json!({"a": 1})),
            json!({"a": 1})
        );
        assert_eq!(map(json!({"@path": ""}), json!({"a": 1})), json!({"a": 1}));
    }

    #[test]
    fn dots_and_brackets_split() {
        let data = json!({"a": {"b": [{"c": 1}, {"c": 2}]}});
        assert_eq!(path(data.clone(), "a.b[1].c"), Some(json!(2)));
        assert_eq!(path(data.clone(), "a.b.0.c"), Some(json!(1)));
        assert_eq!(path(data, "a[\"b\"][0]['c']"), Some(json!(1)));
    }

    #[test]
    fn quoted_keys_keep_spaces_but_still_split_on_dots() {
        assert_eq!(path(json!({"a": {"b c": 1}}), "a['b c']"), Some(json!(1)));
        assert_eq!(
            path(json!({"a": {"x.y": 1, "x": {"y": 2}}}), "a['x.y']"),
            Some(json!(2))
        );
    }

    #[test]
    fn a_bracket_without_quote_or_digit_is_part_of_the_key() {
        assert_eq!(
            path(json!({"a[b]": 1, "a": {"b": 2}}), "a[b]"),
            Some(json!(1))
        );
    }

    #[test]
    fn spaces_are_part_of_keys() {
        let data = json!({"integrations": {"Actions Amplitude": {"session_id": "s1"}}});
        assert_eq!(
            path(data, "integrations.Actions Amplitude.session_id"),
            Some(json!("s1"))
        );
    }

    #[test]
    fn quotes_are_stripped_everywhere() {
        assert_eq!(path(json!({"its": 1}), "it's"), Some(json!(1)));
    }

    #[test]
    fn falsy_intermediates_are_returned_as_is() {
        assert_eq!(path(json!({"a": null}), "a.b"), Some(Value::Null));
        assert_eq!(path(json!({"a": 0}), "a.b.c"), Some(json!(0)));
        assert_eq!(path(json!({"a": false}), "a.b"), Some(json!(false)));
        assert_eq!(path(json!({"a": ""}), "a.b"), Some(json!("")));
        assert_eq!(
            map(json!({"x": {"@path": "$.a.b"}}), json!({"a": 0})),
            json!({"x": 0})
        );
    }

    #[test]
    fn truthy_primitives_have_no_keys() {
        assert_eq!(path(json!({"a": 5}), "a.b"), None);
        assert_eq!(path(json!({"a": true}), "a.b"), None);
        assert_eq!(path(json!({"a": "bar"}), "a.bar.baz"), None);
    }

    #[test]
    fn strings_are_indexable() {
        assert_eq!(path(json!({"a": "hello"}), "a.length"), Some(json!(5)));
        assert_eq!(path(json!({"a": "hello"}), "a.1"), Some(json!("e")));
        assert_eq!(path(json!({"a": "hello"}), "a[4]"), Some(json!("o")));
        assert_eq!(path(json!({"a": "hello"}), "a.5"), None);
        assert_eq!(path(json!({"a": "héllo"}), "a.length"), Some(json!(5)));
        assert_eq!(
            path(json!({"a": "😀"}), "a.length"),
            Some(json!(2)),
            "UTF-16 units, as in JS"
        );
    }

    #[test]
    fn arrays_have_length_and_canonical_indexes() {
        let data = json!({"a": [10, 20]});
        assert_eq!(path(data.clone(), "a.length"), Some(json!(2)));
        assert_eq!(path(data.clone(), "a.01"), None);
        assert_eq!(path(data.clone(), "a.-1"), None);
        assert_eq!(path(data, "a.2"), None);
    }

    #[test]
    fn missing_paths_are_undefined() {
        assert_eq!(path(json!({"a": {}}), "a.b.c"), None);
        assert_eq!(
            map(json!({"x": {"@path": "$.a.b.c"}}), json!({"a": {}})),
            json!({})
        );
    }

    #[test]
    fn dollar_dot_is_replaced_once_anywhere() {
        let data = json!({"a": {"b": 1, "$": {"c": 2}}, "ab": 3});
        assert_eq!(
            map(json!({"x": {"@path": "a.$.b"}}), data.clone()),
            json!({"x": 1})
        );
        assert_eq!(
            map(json!({"x": {"@path": "$.a.$.c"}}), data.clone()),
            json!({"x": 2})
        );
        assert_eq!(
            map(json!({"x": {"@path": "foo"}}), json!({"foo": 4})),
            json!({"x": 4})
        );
    }
}

mod path_directive {
    use super::*;

    #[test]
    fn the_path_can_come_from_a_directive() {
        assert_eq!(
            map(
                json!({"@path": {"@path": "$.foo"}}),
                json!({"foo": "bar", "bar": "baz"})
            ),
            json!("baz")
        );
    }

    #[test]
    fn the_resolved_path_must_be_a_string() {
        let mapping = json!({"x": {"@path": {"@literal": 5}}});
        assert_eq!(
            map_error(mapping, json!({})),
            "@path: expected string, got number"
        );
        let missing = json!({"x": {"@path": {"@path": "$.nope"}}});
        assert_eq!(
            map_error(missing, json!({})),
            "@path: expected string, got undefined"
        );
    }
}

mod template_directive {
    use super::*;

    fn render(template: &str, data: Value) -> Value {
        map(json!({"@template": template}), data)
    }

    #[test]
    fn placeholders() {
        assert_eq!(
            render("Hello, {{who.name}}!", json!({"who": {"name": "World"}})),
            json!("Hello, World!")
        );
        assert_eq!(
            render("{{ who }} {{{who}}}", json!({"who": "W"})),
            json!("W W")
        );
        assert_eq!(render("{{oops.yo}}", json!({})), json!(""));
    }

    #[test]
    fn no_escaping() {
        let out = render("<blink>{{a}} {{{a}}}</blink>", json!({"a": "<b>Hi</b>"}));
        assert_eq!(out, json!("<blink><b>Hi</b> <b>Hi</b></blink>"));
    }

    #[test]
    fn values_print_as_js_string() {
        let data = json!({"n": null, "o": {"a": 1}, "a": [1, [2, 3], null], "f": 1.5, "i": 1.0, "e": 1e21, "b": false});
        assert_eq!(
            render("{{n}}|{{o}}|{{a}}|{{f}}|{{i}}|{{e}}|{{b}}", data),
            json!("|[object Object]|1,2,3,|1.5|1|1e+21|false")
        );
    }

    #[test]
    fn dollar_dot_is_not_stripped() {
        assert_eq!(render("{{$.a}}", json!({"a": 1})), json!(""));
    }

    #[test]
    fn an_empty_placeholder_is_the_whole_event() {
        assert_eq!(render("{{ }}", json!({"a": 1})), json!("[object Object]"));
    }

    #[test]
    fn the_second_pass_sees_the_first_passs_output() {
        assert_eq!(
            render("{{{a}}}", json!({"a": "{{b}}", "b": "x"})),
            json!("x")
        );
    }

    #[test]
    fn braces_inside_are_not_placeholders() {
        assert_eq!(render("{{a}b}}", json!({"a": 1})), json!("{{a}b}}"));
    }

    #[test]
    fn the_template_can_come_from_a_directive() {
        assert_eq!(
            map(
                json!({"@template": {"@path": "$.t"}}),
                json!({"t": "<{{v}}>", "v": 2})
            ),
            json!("<2>")
        );
        assert_eq!(
            map_error(json!({"@template": {"@path": "$.v"}}), json!({"v": 2})),
            "@template: expected string, got number"
        );
    }
}

mod literal_directive {
    use super::*;

    #[test]
    fn raw_values() {
        assert_eq!(
            map(json!({"x": {"@literal": false}}), json!({})),
            json!({"x": false})
        );
        assert_eq!(
            map(json!({"x": {"@literal": ""}}), json!({})),
            json!({"x": ""})
        );
    }

    #[test]
    fn nested_directives_still_run() {
        let mapping = json!({"n": {"@literal": {"a": {"@path": "$.a"}, "b": {"@path": "$.b"}}}});
        assert_eq!(map(mapping, json!({"a": "v"})), json!({"n": {"a": "v"}}));
    }
}

mod if_directive {
    use super::*;

    fn payload() -> Value {
        json!({"a": 1, "b": true, "c": false, "d": null, "e": "", "z": 0, "arr": [], "arr0": [0], "obj": {}})
    }

    fn exists(path: &str) -> Value {
        map(
            json!({"@if": {"exists": {"@path": path}, "then": 1, "else": 2}}),
            payload(),
        )
    }

    fn blank(path: &str) -> Value {
        map(
            json!({"@if": {"blank": {"@path": path}, "then": 1, "else": 2}}),
            payload(),
        )
    }

    #[test]
    fn exists_means_not_null_or_undefined() {
        assert_eq!(exists("$.a"), json!(1));
        assert_eq!(exists("$.e"), json!(1));
        assert_eq!(exists("$.c"), json!(1));
        assert_eq!(exists("$.d"), json!(2));
        assert_eq!(exists("$.x"), json!(2));
    }

    #[test]
    fn blank_compares_loosely_with_the_empty_string() {
        assert_eq!(blank("$.a"), json!(1));
        assert_eq!(blank("$.b"), json!(1));
        assert_eq!(blank("$.obj"), json!(1));
        assert_eq!(blank("$.arr0"), json!(1));
        for empty_like in ["$.e", "$.z", "$.c", "$.arr", "$.d", "$.x"] {
            assert_eq!(blank(empty_like), json!(2), "{empty_like}");
        }
    }

    #[test]
    fn a_falsy_else_drops_the_key() {
        for otherwise in [json!(false), json!(0), json!(""), json!(null)] {
            let mapping =
                json!({"k": {"@if": {"exists": {"@path": "$.x"}, "then": 1, "else": otherwise}}});
            assert_eq!(map(mapping, json!({})), json!({}));
        }
    }

    #[test]
    fn a_missing_then_drops_the_key() {
        let mapping = json!({"k": {"@if": {"exists": {"@path": "$.a"}, "else": 2}}});
        assert_eq!(map(mapping, json!({"a": 1})), json!({}));
    }

    #[test]
    fn branches_are_resolved() {
        let mapping = json!({"@if": {"exists": true, "then": {"@path": "$.a"}}});
        assert_eq!(map(mapping, json!({"a": "v"})), json!("v"));
    }

    #[test]
    fn exists_wins_over_blank_when_present() {
        let mapping = json!({"@if": {"exists": false, "blank": "x", "then": 1, "else": 2}});
        assert_eq!(map(mapping, json!({})), json!(1));
    }

    #[test]
    fn a_truthy_exists_or_blank_is_required() {
        let message = r#"@if requires an "exists" key or a "blank" key"#;
        assert_eq!(
            map_error(json!({"@if": {"exists": false, "then": 1}}), json!({})),
            message
        );
        assert_eq!(map_error(json!({"@if": {"then": 1}}), json!({})), message);
        assert_eq!(
            runtime_error(json!({"@if": "x"}), json!({})),
            r#"@if requires an object with an "exists" key"#
        );
    }
}

mod case_directive {
    use super::*;

    fn case(operator: &str, value: Value) -> Value {
        map(
            json!({"@case": {"operator": operator, "value": {"@path": "$.v"}}}),
            json!({ "v": value }),
        )
    }

    #[test]
    fn strings_change_case() {
        assert_eq!(case("lower", json!("MiXeD 190wdB")), json!("mixed 190wdb"));
        assert_eq!(case("upper", json!("MiXeD 190wdB")), json!("MIXED 190WDB"));
        assert_eq!(case("upper", json!("straße")), json!("STRASSE"));
        assert_eq!(case("lower", json!("")), json!(""));
    }

    #[test]
    fn other_values_are_unchanged() {
        assert_eq!(case("lower", json!(1)), json!(1));
        assert_eq!(case("lower", json!(null)), Value::Null);
        assert_eq!(
            case("lower", json!({"k": ["A", null]})),
            json!({"k": ["A", null]})
        );
    }

    #[test]
    fn a_falsy_raw_value_is_undefined() {
        assert_eq!(
            map(
                json!({"k": {"@case": {"operator": "lower", "value": ""}}}),
                json!({})
            ),
            json!({})
        );
        assert_eq!(
            map(json!({"k": {"@case": {"operator": "lower"}}}), json!({})),
            json!({})
        );
    }

    #[test]
    fn errors() {
        let wrong = json!({"@case": {"operator": "snake", "value": {"@path": "$.v"}}});
        assert_eq!(
            map_error(wrong, json!({"v": "x"})),
            r#"operator key should have a value of "lower" or "upper""#
        );
        let missing = json!({"@case": {"wrongKey": "lower", "value": {"@path": "$.v"}}});
        assert_eq!(
            map_error(missing, json!({"v": "x"})),
            r#"@case requires a "operator" key"#
        );
        assert_eq!(
            map_error(json!({"@case": "nope"}), json!({})),
            "/@case should be an object but it is a string."
        );
    }
}

mod replace_directive {
    use super::*;

    fn replace(options: Value, value: Value) -> Value {
        let mut options = options;
        options["value"] = json!({"@path": "$.v"});
        map(json!({ "@replace": options }), json!({ "v": value }))
    }

    #[test]
    fn replaces_every_occurrence_by_default() {
        assert_eq!(
            replace(json!({"pattern": "+", "replacement": "_"}), json!("a+b+c")),
            json!("a_b_c")
        );
        assert_eq!(
            replace(
                json!({"pattern": "+", "replacement": "_", "global": false}),
                json!("a+b+c")
            ),
            json!("a_b+c")
        );
    }

    #[test]
    fn the_pattern_is_literal() {
        assert_eq!(
            replace(json!({"pattern": ".", "replacement": "!"}), json!("a.b")),
            json!("a!b")
        );
        assert_eq!(
            replace(
                json!({"pattern": "a|b", "replacement": "x"}),
                json!("a|b ab")
            ),
            json!("x ab")
        );
        assert_eq!(
            replace(json!({"pattern": " ", "replacement": ""}), json!("a b\tc")),
            json!("ab\tc")
        );
    }

    #[test]
    fn case_sensitivity() {
        assert_eq!(
            replace(
                json!({"pattern": "WW", "replacement": "oo"}),
                json!("cWWl-ww")
            ),
            json!("cool-ww")
        );
        let insensitive = json!({"pattern": "AaB", "replacement": "nice", "ignorecase": true});
        assert_eq!(
            replace(insensitive, json!("aab--AaB-aab")),
            json!("nice--nice-nice")
        );
    }

    #[test]
    fn replacement_defaults_to_empty() {
        assert_eq!(
            replace(json!({"pattern": "many+"}), json!("many+things")),
            json!("things")
        );
    }

    #[test]
    fn js_substitution_patterns_apply() {
        assert_eq!(
            replace(json!({"pattern": "b", "replacement": "[$&]"}), json!("abc")),
            json!("a[b]c")
        );
        assert_eq!(
            replace(json!({"pattern": "b", "replacement": "$$"}), json!("abc")),
            json!("a$c")
        );
        assert_eq!(
            replace(json!({"pattern": "b", "replacement": "$`$'"}), json!("abc")),
            json!("aacc")
        );
        assert_eq!(
            replace(json!({"pattern": "b", "replacement": "$1"}), json!("abc")),
            json!("a$1c")
        );
    }

    #[test]
    fn booleans_and_numbers_are_stringified() {
        assert_eq!(
            replace(
                json!({"pattern": "true", "replacement": "granted"}),
                json!(true)
            ),
            json!("granted")
        );
        assert_eq!(
            replace(json!({"pattern": "1", "replacement": "one"}), json!(1.0)),
            json!("one")
        );
    }

    #[test]
    fn a_second_pattern_runs_on_the_first_result() {
        let options = json!({"pattern": "-", "replacement": " ", "pattern2": "great", "replacement2": "awesome"});
        assert_eq!(
            replace(options, json!("something-great!")),
            json!("something awesome!")
        );
        let only_second = json!({"pattern": "true", "replacement": "granted", "pattern2": "false", "replacement2": "denied"});
        assert_eq!(replace(only_second, json!(false)), json!("denied"));
        let no_replacement2 = json!({"pattern": "x", "pattern2": "b"});
        assert_eq!(replace(no_replacement2, json!("abc")), json!("ac"));
    }

    #[test]
    fn non_strings_give_an_empty_string() {
        assert_eq!(replace(json!({"pattern": "_"}), json!(null)), json!(""));
        assert_eq!(replace(json!({"pattern": "_"}), json!({"a": 1})), json!(""));
        assert_eq!(
            map(
                json!({"k": {"@replace": {"pattern": "_", "value": {"@path": "$.missing"}}}}),
                json!({})
            ),
            json!({"k": ""})
        );
    }

    #[test]
    fn a_falsy_raw_value_is_undefined() {
        assert_eq!(
            map(
                json!({"k": {"@replace": {"pattern": "_", "value": ""}}}),
                json!({})
            ),
            json!({})
        );
    }

    #[test]
    fn runtime_length_checks() {
        let long_pattern = json!({"@replace": {"pattern": "12345678901", "value": "x"}});
        assert_eq!(
            runtime_error(long_pattern, json!({})),
            r#"@replace requires a "pattern" less than 10 characters"#
        );
        let long_replacement =
            json!({"@replace": {"pattern": "x", "replacement": "12345678901", "value": "x"}});
        assert_eq!(
            runtime_error(long_replacement, json!({})),
            r#"@replace requires a "replacement" less than 10 characters"#
        );
        let long_pattern2 =
            json!({"@replace": {"pattern": "x", "pattern2": "12345678901", "value": "x"}});
        assert_eq!(
            map_error(long_pattern2, json!({})),
            r#"@replace requires a "pattern" less than 10 characters"#
        );
    }

    #[test]
    fn runtime_option_checks() {
        assert_eq!(
            runtime_error(json!({"@replace": {"value": "x"}}), json!({})),
            r#"@replace requires a "pattern" key"#
        );
        assert_eq!(
            runtime_error(json!({"@replace": 1}), json!({})),
            r#"@replace requires an object with a "pattern" key"#
        );
    }
}

mod array_path_directive {
    use super::*;

    fn products() -> Value {
        json!({"products": [{"productId": "123", "price": 0.5}, {"productId": "456", "price": 0.99}]})
    }

    fn shape() -> Value {
        json!({"product_id": {"@path": "$.productId"}, "monies": {"@path": "$.price"}})
    }

    #[test]
    fn without_a_shape_the_root_is_returned() {
        let out = map(json!({"neat": {"@arrayPath": ["$.products"]}}), products());
        assert_eq!(out["neat"], products()["products"]);
        let empty_shape = map(
            json!({"neat": {"@arrayPath": ["$.products", {}]}}),
            products(),
        );
        assert_eq!(empty_shape["neat"], products()["products"]);
    }

    #[test]
    fn each_item_is_shaped() {
        let out = map(
            json!({"neat": {"@arrayPath": ["$.products", shape()]}}),
            products(),
        );
        assert_eq!(
            out,
            json!({"neat": [{"product_id": "123", "monies": 0.5}, {"product_id": "456", "monies": 0.99}]})
        );
    }

    #[test]
    fn the_path_can_be_a_directive() {
        let path = json!({"@if": {"exists": {"@path": "$.products"}, "then": {"@path": "$.products"}, "else": []}});
        let out = map(json!({"neat": {"@arrayPath": [path, shape()]}}), products());
        assert_eq!(out["neat"][1], json!({"product_id": "456", "monies": 0.99}));
    }

    #[test]
    fn a_single_object_becomes_a_list() {
        let out = map(
            json!({"neat": {"@arrayPath": ["$.p", shape()]}}),
            json!({"p": {"productId": "1"}}),
        );
        assert_eq!(out, json!({"neat": [{"product_id": "1"}]}));
        let other = map(
            json!({"neat": {"@arrayPath": ["$.p", shape()]}}),
            json!({"p": {"notAnArray": true}}),
        );
        assert_eq!(other, json!({"neat": [{}]}));
    }

    #[test]
    fn primitive_items_give_empty_shapes() {
        let mapping = json!({"x": {"@arrayPath": ["$.items", {"v": {"@path": "$.v"}}]}});
        assert_eq!(
            map(mapping.clone(), json!({"items": [1, {"v": 2}]})),
            json!({"x": [{}, {"v": 2}]})
        );
        // `null && null.v` is null: falsy items are their own lookups.
        assert_eq!(
            map(mapping, json!({"items": [null, 0]})),
            json!({"x": [{"v": null}, {"v": 0}]})
        );
    }

    #[test]
    fn a_primitive_root_is_returned_as_is() {
        let mapping = json!({"x": {"@arrayPath": ["$.s", {"v": {"@path": "$.length"}}]}});
        assert_eq!(map(mapping, json!({"s": "abc"})), json!({"x": "abc"}));
    }

    #[test]
    fn the_options_must_be_an_array() {
        assert_eq!(
            runtime_error(json!({"@arrayPath": "$.a"}), json!({})),
            "@arrayPath expected array, got string"
        );
    }
}

mod json_directive {
    use super::*;

    fn json_mode(mode: &str, value: Value) -> Value {
        map(
            json!({"neat": {"@json": {"mode": mode, "value": {"@path": "$.v"}}}}),
            json!({ "v": value }),
        )
    }

    #[test]
    fn encode() {
        assert_eq!(
            json_mode("encode", json!("bar")),
            json!({"neat": "\"bar\""})
        );
        assert_eq!(
            json_mode("encode", json!({"b": "c", "n": 1.0})),
            json!({"neat": r#"{"b":"c","n":1}"#})
        );
        assert_eq!(
            json_mode("encode", json!(["bar", "baz"])),
            json!({"neat": r#"["bar","baz"]"#})
        );
        assert_eq!(json_mode("encode", json!(null)), json!({"neat": "null"}));
        assert_eq!(
            map(
                json!({"neat": {"@json": {"mode": "encode", "value": {"@path": "$.x"}}}}),
                json!({})
            ),
            json!({})
        );
    }

    #[test]
    fn encode_drops_undefined_keys_and_nulls_undefined_elements() {
        let value = json!({"a": {"@path": "$.x"}, "b": [{"@path": "$.x"}]});
        let out = map(
            json!({"neat": {"@json": {"mode": "encode", "value": value}}}),
            json!({}),
        );
        assert_eq!(out, json!({"neat": r#"{"b":[null]}"#}));
    }

    #[test]
    fn decode() {
        assert_eq!(
            json_mode("decode", json!("\"bar\"")),
            json!({"neat": "bar"})
        );
        assert_eq!(
            json_mode("decode", json!(r#"{"bar":"baz"}"#)),
            json!({"neat": {"bar": "baz"}})
        );
        assert_eq!(
            json_mode("decode", json!("not json")),
            json!({"neat": "not json"})
        );
        assert_eq!(json_mode("decode", json!(5)), json!({"neat": 5}));
    }

    #[test]
    fn the_mode_is_compared_exactly_at_runtime() {
        assert!(validate_mapping(&json!({"@json": {"mode": "ENCODE", "value": "x"}})).is_ok());
        assert_eq!(json_mode("ENCODE", json!("x")), json!({}));
    }

    #[test]
    fn mode_and_value_must_be_truthy() {
        let null_value = json!({"@json": {"mode": "encode", "value": null}});
        assert_eq!(
            map_error(null_value, json!({})),
            r#"@json requires a "value" key"#
        );
        assert_eq!(
            runtime_error(json!({"@json": {"value": "x"}}), json!({})),
            r#"@json requires a "mode" key"#
        );
    }
}

mod flatten_directive {
    use super::*;

    fn flatten(value: Value, options: Value) -> Value {
        let mut options = options;
        options["value"] = json!({"@path": "$.v"});
        map(json!({"r": {"@flatten": options}}), json!({ "v": value }))["r"].clone()
    }

    #[test]
    fn nested_keys_are_joined() {
        let value = json!({"bar": "baz", "aces": {"a": 1, "b": 2}});
        assert_eq!(
            flatten(value, json!({"separator": "."})),
            json!({"bar": "baz", "aces.a": 1, "aces.b": 2})
        );
    }

    #[test]
    fn arrays_flatten_by_index_unless_omitted() {
        let value = json!([{"fazz": "bar", "fizz": "baz"}]);
        assert_eq!(
            flatten(value, json!({"separator": "."})),
            json!({"0.fazz": "bar", "0.fizz": "baz"})
        );
        let mixed = json!({"bar": "baz", "aces": [1, 2]});
        assert_eq!(
            flatten(mixed, json!({"separator": "_", "omitArrays": true})),
            json!({"bar": "baz", "aces": [1, 2]})
        );
    }

    #[test]
    fn empty_objects_vanish_and_null_leaves_stay() {
        let value = json!({"a": {}, "b": null, "c": {"d": {}}});
        assert_eq!(
            flatten(value, json!({"separator": "."})),
            json!({"b": null})
        );
    }

    #[test]
    fn primitives_and_undefined() {
        assert_eq!(flatten(json!(5), json!({"separator": "."})), json!({"": 5}));
        let missing = map(
            json!({"r": {"@flatten": {"value": {"@path": "$.x"}, "separator": "."}}}),
            json!({}),
        );
        assert_eq!(missing, json!({"r": {}}));
    }

    #[test]
    fn the_separator_must_be_a_truthy_string() {
        let no_separator = json!({"@flatten": {"value": 1}});
        assert_eq!(
            runtime_error(no_separator, json!({})),
            r#"@flatten requires a "separator" key"#
        );
        let number = json!({"@flatten": {"value": 1, "separator": 5}});
        assert_eq!(
            runtime_error(number, json!({})),
            "@flatten requires a string separator"
        );
        // Validation wants a string, but a computed separator resolves at runtime.
        let computed =
            json!({"@flatten": {"value": {"@path": "$.v"}, "separator": {"@path": "$.s"}}});
        assert!(validate_mapping(&computed).is_err());
        let resolved = resolve_validated(&computed, &json!({"v": {"a": {"b": 1}}, "s": "/"}));
        assert_eq!(resolved, Ok(json!({"a/b": 1})));
    }
}

mod merge_directive {
    use super::*;

    fn merge(direction: &str, objects: Value, data: Value) -> Value {
        map(
            json!({"@merge": {"direction": direction, "objects": objects}}),
            data,
        )
    }

    #[test]
    fn direction_decides_who_wins() {
        let objects = json!([{"cool": true, "hey": "there"}, {"@path": "$.foo"}]);
        let data = json!({"foo": {"bar": "baz", "hey": "you"}});
        assert_eq!(
            merge("right", objects.clone(), data.clone()),
            json!({"cool": true, "hey": "you", "bar": "baz"})
        );
        assert_eq!(
            merge("left", objects, data),
            json!({"bar": "baz", "hey": "there", "cool": true})
        );
        assert_eq!(merge("left", json!([]), json!({})), json!({}));
    }

    #[test]
    fn object_assign_semantics() {
        let objects = json!([{"a": 1}, {"@path": "$.n"}, {"@path": "$.s"}, {"@path": "$.num"}]);
        let data = json!({"n": null, "s": "ab", "num": 5});
        assert_eq!(
            merge("right", objects, data),
            json!({"0": "a", "1": "b", "a": 1})
        );
    }

    #[test]
    fn an_undefined_value_overwrites_then_disappears() {
        let objects = json!([{"a": 1, "b": 2}, {"a": {"@path": "$.missing"}}]);
        assert_eq!(merge("right", objects, json!({})), json!({"b": 2}));
    }

    #[test]
    fn runtime_errors() {
        let no_direction = json!({"@merge": {"objects": [{}]}});
        assert_eq!(
            map_error(no_direction, json!({})),
            r#"@merge requires a "direction" key"#
        );
        let object = json!({"@merge": {"direction": "left", "objects": {"a": 1}}});
        assert_eq!(
            runtime_error(object, json!({})),
            "@merge: expected opts.array, got object"
        );
    }

    #[test]
    fn validation() {
        assert!(validate_mapping(&json!({"@merge": {"direction": "up", "objects": []}})).is_err());
        assert!(validate_mapping(&json!({"oops": {"@merge": [{}, 123]}})).is_err());
        assert_eq!(
            invalid(json!({"@merge": {"direction": "left", "objects": [{}, 1]}})),
            "/@merge/objects/1 should be an object or a mapping directive but it is a number."
        );
    }
}

mod transform_directive {
    use super::*;

    #[test]
    fn the_mapping_resolves_against_the_applied_result() {
        let mapping = json!({"@transform": {"apply": {"foo": {"@path": "$.a"}}, "mapping": {"cool": {"@path": "$.foo"}}}});
        assert_eq!(map(mapping, json!({"a": 1, "b": 2})), json!({"cool": 1}));
    }

    #[test]
    fn apply_removes_undefined() {
        let mapping = json!({"@transform": {
            "apply": {"p": {"@path": "$.missing"}},
            "mapping": {"has": {"@if": {"exists": {"@path": "$.p"}, "then": "yes", "else": "no"}}}
        }});
        assert_eq!(map(mapping, json!({})), json!({"has": "no"}));
    }

    #[test]
    fn errors() {
        assert!(transform(
            &json!({"@transform": {"@path": {}}}),
            &json!({"foo": "bar"})
        )
        .is_err());
        let no_mapping = json!({"@transform": {"apply": {}}});
        assert_eq!(
            runtime_error(no_mapping, json!({})),
            r#"@transform requires a "mapping" key"#
        );
        let apply_string = json!({"@transform": {"apply": "x", "mapping": {}}});
        assert_eq!(
            runtime_error(apply_string, json!({})),
            r#"@transform "apply" key should be an object"#
        );
    }
}

mod exclude_when_null_directive {
    use super::*;

    #[test]
    fn null_drops_the_key() {
        let mapping = json!({"gone": {"@excludeWhenNull": {"@path": "$.foo.bar"}}, "kept": {"@path": "$.foo.aces.a"}});
        assert_eq!(
            map(mapping, json!({"foo": {"bar": null, "aces": {"a": 1}}})),
            json!({"kept": 1})
        );
    }

    #[test]
    fn null_keys_are_removed_recursively_but_arrays_are_untouched() {
        let data = json!({"o": {"a": null, "b": {"c": null, "d": 1}, "e": [null, 1, {"f": null}]}});
        let out = map(json!({"x": {"@excludeWhenNull": {"@path": "$.o"}}}), data);
        assert_eq!(
            out,
            json!({"x": {"b": {"d": 1}, "e": [null, 1, {"f": null}]}})
        );
    }

    #[test]
    fn composed_with_other_directives() {
        let data = json!({"foo": {"bar": null}});
        let mapping = json!({
            "pathNull": {"@excludeWhenNull": {"@path": "$.foo.bar"}},
            "templateEmpty": {"@excludeWhenNull": {"@template": "{{foo.bar}}"}},
            "literalNull": {"@excludeWhenNull": {"@literal": null}},
            "replaceNull": {"@excludeWhenNull": {"@replace": {"pattern": "-", "value": {"@path": "$.foo.bar"}}}},
            "jsonNull": {"@excludeWhenNull": {"@json": {"mode": "decode", "value": {"@path": "$.foo.bar"}}}},
            "jsonNullEncode": {"@excludeWhenNull": {"@json": {"mode": "encode", "value": {"@path": "$.foo.bar"}}}},
            "transformValue": {"@excludeWhenNull": {"@transform": {
                "apply": {"properties": {"@path": "$.foo.bar"}},
                "mapping": {"properties": {"@path": "$.properties"}}
            }}}
        });
        assert_eq!(
            map(mapping, data),
            json!({"templateEmpty": "", "replaceNull": "", "jsonNullEncode": "null", "transformValue": {}})
        );
    }
}

mod liquid_directive {
    use super::*;

    fn liquid(template: &str, data: Value) -> Result<Value, String> {
        transform(&json!({"f": {"@liquid": template}}), &data)
            .map(|out| out["f"].clone())
            .map_err(|e| e.message)
    }

    #[test]
    fn renders_against_the_event() {
        let data = json!({"properties": {"world": "Earth", "planet": {"city": "Bikini Bottom"}}});
        assert_eq!(liquid("test", data.clone()), Ok(json!("test")));
        assert_eq!(
            liquid("Hello, {{ properties.world }} !", data.clone()),
            Ok(json!("Hello, Earth !"))
        );
        assert_eq!(
            liquid("{{ properties.planet.city }}", data.clone()),
            Ok(json!("Bikini Bottom"))
        );
        assert_eq!(
            liquid("HELLO {{ properties.world | upcase }}", data.clone()),
            Ok(json!("HELLO EARTH"))
        );
        let tag = "{% if properties.world == \"Earth\" %}Hello {{ properties.world }} {% else %} Hello World {% endif %}";
        assert_eq!(liquid(tag, data), Ok(json!("Hello Earth ")));
        assert_eq!(liquid("", json!({})), Ok(json!("")));
    }

    #[test]
    fn missing_values_render_empty_as_in_liquidjs() {
        let data = json!({"properties": {"s": "abc", "list": [1, 2]}});
        assert_eq!(
            liquid(
                "[{{ nope }}][{{ properties.nope.deeper }}][{{ properties.list[5] }}]",
                data.clone()
            ),
            Ok(json!("[][][]"))
        );
        assert_eq!(
            liquid("{{ properties.nope | default: 'x' }}", data.clone()),
            Ok(json!("x"))
        );
        assert_eq!(
            liquid("{% if properties.nope %}yes{% else %}no{% endif %}", data),
            Ok(json!("no"))
        );
    }

    #[test]
    fn values_render_as_liquidjs_does() {
        let data = json!({"n": null, "f": 1.5, "i": 2.0, "a": [1, "b", [2]], "t": true});
        assert_eq!(
            liquid(
                "{{n}}|{{f}}|{{i}}|{{a}}|{{t}}|{{a.size}}|{{a.first}}|{{a[-1]}}",
                data
            ),
            Ok(json!("|1.5|2|1b2|true|3|1|2"))
        );
    }

    #[test]
    fn assign_and_capture_work() {
        let template = "{% assign x = properties.a | append: '!' %}{% capture y %}<{{ x }}>{% endcapture %}{{ y }}";
        assert_eq!(
            liquid(template, json!({"properties": {"a": "hi"}})),
            Ok(json!("<hi!>"))
        );
    }

    #[test]
    fn string_filters_follow_liquidjs() {
        let data = json!({"s": "a-b-c", "l": ["x", null, 3]});
        assert_eq!(
            liquid("{{ s | replace: '-', '+' }}", data.clone()),
            Ok(json!("a+b+c"))
        );
        assert_eq!(
            liquid("{{ s | replace_first: '-', '[$&]' }}", data.clone()),
            Ok(json!("a[-]b-c"))
        );
        assert_eq!(
            liquid("{{ s | prepend: '>' }}", data.clone()),
            Ok(json!(">a-b-c"))
        );
        assert_eq!(
            liquid("{{ l | join: '/' }}|{{ l | join }}", data),
            Ok(json!("x//3|x  3"))
        );
    }

    #[test]
    fn the_template_must_be_a_string() {
        for template in [json!(123), json!({}), json!([]), json!(true)] {
            let message = map_error(json!({"f": {"@liquid": template}}), json!({}));
            assert!(
                message.contains("should be a string but it is"),
                "{message}"
            );
        }
        assert_eq!(
            runtime_error(json!({"f": {"@liquid": 1}}), json!({})),
            "liquid template value must be a string"
        );
    }

    #[test]
    fn at_most_1000_characters() {
        let long = format!("{{{{ properties.test }}}}{}", "a".repeat(1001));
        assert_eq!(
            liquid(&long, json!({})),
            Err("liquid template values are limited to 1000 characters".into())
        );
        assert!(liquid(&"a".repeat(1000), json!({})).is_ok());
    }

    #[test]
    fn disabled_tags_fail_with_their_position() {
        for tag in ["case", "for", "include", "layout", "render", "tablerow"] {
            let template = format!("{{% {tag} %}} , {{{{ properties.test }}}}");
            assert_eq!(
                liquid(&template, json!({})),
                Err(format!("tag \"{tag}\" is disabled, line:1, col:1"))
            );
        }
        let later = "ab\n  x{%- for x in y %}{% endfor %}";
        assert_eq!(
            liquid(later, json!({})),
            Err("tag \"for\" is disabled, line:2, col:4".into())
        );
    }

    #[test]
    fn disabled_filters_fail_when_they_run() {
        let disabled = [
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
        for filter in disabled {
            let template = format!("x {{{{ properties.test | {filter} }}}}");
            let data = json!({"properties": {"test": "test"}});
            assert_eq!(
                liquid(&template, data),
                Err(format!("filter \"{filter}\" is disabled, line:1, col:3"))
            );
        }
        let not_run = "{% if false %}{{ a | sort }}{% endif %}ok";
        assert_eq!(liquid(not_run, json!({})), Ok(json!("ok")));
    }

    #[test]
    fn self_feeding_growth_is_bounded() {
        let doubling = "{% assign a = 'xxxxxxxxxxxxxxxx' %}".to_owned()
            + &"{% assign a = a | append: a %}".repeat(17)
            + "{{ a | size }}";
        assert_eq!(
            liquid(&doubling, json!({})),
            Err("memory alloc limit exceeded".into())
        );
        let captured = "{% assign a = 'xxxxxxxxxxxxxxxx' %}".to_owned()
            + &"{% capture a %}{{a}}{{a}}{% endcapture %}".repeat(17);
        assert_eq!(
            liquid(&captured, json!({})),
            Err("memory alloc limit exceeded".into())
        );
        let seed = format!(
            "{{% assign a = '{}' %}}{}",
            "x".repeat(64),
            "{% assign a = a | append: a %}".repeat(5)
        );
        let replaced = seed.clone() + "{{ a | replace: 'x', a }}";
        assert_eq!(
            liquid(&replaced, json!({})),
            Err("memory alloc limit exceeded".into())
        );
        let joined = seed + "{% assign s = a | split: '' %}{{ s | join: a }}";
        assert_eq!(
            liquid(&joined, json!({})),
            Err("memory alloc limit exceeded".into())
        );
    }

    #[test]
    fn arithmetic_is_js_float_arithmetic() {
        let data = json!({"n": "3", "f": 0.1});
        let cases = [
            ("{{ 10 | divided_by: 4 }}", "2.5"),
            ("{{ 10 | divided_by: 4, true }}", "2"),
            ("{{ 1 | divided_by: 0 }}", "Infinity"),
            ("{{ n | plus: 2 }}|{{ n | times: ' 2 ' }}|{{ 'x' | plus: 1 }}|{{ nope | minus: 1 }}", "5|6|1|-1"),
            ("{{ f | plus: 0.2 }}", "0.30000000000000004"),
            ("{{ 2.5 | round }}|{{ -2.5 | round }}|{{ 1.005 | round: 2 }}|{{ 1.26 | round: 1 }}", "3|-2|1|1.3"),
            ("{{ -7 | modulo: 3 }}|{{ -3.5 | abs }}|{{ 1.2 | ceil }}|{{ 5 | at_most: 3 }}", "-1|3.5|2|3"),
            ("{{ -9223372036854775807 | minus: 1 | modulo: -1 }}", "0"),
            ("{{ 9223372036854775807 | plus: 1 }}", "9223372036854776000"),
        ];
        for (template, expected) in cases {
            assert_eq!(
                liquid(template, data.clone()),
                Ok(json!(expected)),
                "{template}"
            );
        }
    }

    #[test]
    fn hostile_filter_arguments_are_errors_not_crashes() {
        for template in [
            "{{ 'abc' | slice: 1, 9223372036854775807 }}",
            "{{ 'abc' | truncate: -1 }}",
            "{{ 'a b' | truncatewords: -9 }}",
        ] {
            let _ = liquid(template, json!({}));
        }
    }

    #[test]
    fn objects_print_as_js_does_and_can_still_be_walked() {
        let data = json!({"o": {"k": 1, "j": {"x": "y"}}, "list": [{"a": 1}]});
        let template = "{{ o }}|{{ o.j.x }}|{{ list }}|{{ list[0].a }}|{{ list.first.a }}|{{ o | append: '!' }}";
        assert_eq!(
            liquid(template, data),
            Ok(json!(
                "[object Object]|y|[object Object]|1|1|[object Object]!"
            ))
        );
    }
}

mod validation {
    use super::*;

    #[test]
    fn reference_fixtures() {
        let cases = [
            (
                json!({"@arrayPath": "x"}),
                "/@arrayPath should be an array but it is a string.",
            ),
            (
                json!({"@if": {"exists": true, "then": {"@oops": {}}}}),
                "/@if/then has an invalid directive: @oops.",
            ),
            (
                json!({"@path": true}),
                "/@path should be a string or a mapping directive but it is a boolean.",
            ),
            (
                json!({"@replace": {"value": "x"}}),
                "/@replace should have field \"pattern\" but it doesn't.",
            ),
            (
                json!({"@replace": {"pattern": "bla"}}),
                "/@replace should have field \"value\" but it doesn't.",
            ),
            (
                json!({"@replace": {"pattern": "12345678901", "value": "x"}}),
                "/@replace/pattern should be a string of length 10 or less.",
            ),
            (
                json!({"@replace": {"pattern": "x", "value": "x", "global": "yes"}}),
                "/@replace/global should be a boolean but it is a string.",
            ),
            (
                json!({"@replace": {"pattern": "+", "replacement": "-", "value": {"@path": "$.a"}, "ignorecase": "bla"}}),
                "/@replace/ignorecase should be a boolean but it is a string.",
            ),
            (
                json!({"@path": "$.a", "bar": 1}),
                "/ should only have one @-prefixed key but it has 2 keys.",
            ),
            (
                json!({"@path": "$.a", "@bar": 1}),
                "/ should only have one @-prefixed key but it has 2 keys.",
            ),
            (json!({"@oops": 1}), "/ has an invalid directive: @oops."),
            (
                json!({"@case": "x"}),
                "/@case should be an object but it is a string.",
            ),
            (
                json!({"@template": 123}),
                "/@template should be a string or a mapping directive but it is a number.",
            ),
        ];
        for (mapping, expected) in cases {
            assert_eq!(invalid(mapping.clone()), expected, "{mapping}");
        }
    }

    #[test]
    fn multiple_errors_are_joined_with_a_space() {
        let mapping = json!({"obj": {"@path": "foo.bar", "oops": true}, "hash": {"@template": {}}});
        assert_eq!(
            invalid(mapping),
            "/obj should only have one @-prefixed key but it has 2 keys. \
             /hash/@template should be a string or a mapping directive but it is an object."
        );
    }

    #[test]
    fn fields_are_checked_together_and_chains_stop_early() {
        let mapping = json!({"a": {"b": {"@replace": {"pattern": 5, "value": 1, "global": "x"}}}});
        assert_eq!(
            invalid(mapping),
            "/a/b/@replace/pattern should be a string but it is a number. \
             /a/b/@replace/value should be a string or a mapping directive but it is a number. \
             /a/b/@replace/global should be a boolean but it is a string."
        );
    }

    #[test]
    fn replace_length_bounds() {
        assert_eq!(
            invalid(json!({"@replace": {"pattern": "", "value": "x"}})),
            "/@replace/pattern should be a string of length 1 or greater."
        );
        let long =
            json!({"@replace": {"pattern": "x", "replacement": "12345678901", "value": "x"}});
        assert_eq!(
            invalid(long),
            "/@replace/replacement should be a string of length 10 or less."
        );
    }

    #[test]
    fn array_path_checks() {
        assert_eq!(
            invalid(json!({"@arrayPath": []})),
            "/@arrayPath should be a string or a mapping directive but it is an undefined."
        );
        assert_eq!(
            invalid(json!({"@arrayPath": ["$.a", {"x": {"@nope": 1}}]})),
            "/@arrayPath/x has an invalid directive: @nope."
        );
        assert_eq!(
            invalid(json!({"@arrayPath": {"@path": "$.a"}})),
            "/@arrayPath should be an array but it is an object."
        );
    }

    #[test]
    fn json_flatten_transform_and_liquid_rules() {
        assert_eq!(
            invalid(json!({"@json": {"mode": "nope", "value": 1}})),
            "/@json/mode should be one of encode, decode but it is \"nope\"."
        );
        assert_eq!(
            invalid(json!({"@json": {"mode": "encode"}})),
            "/@json should have field \"value\" but it doesn't."
        );
        assert_eq!(
            invalid(json!({"@flatten": {"separator": "."}})),
            "/@flatten should have field \"value\" but it doesn't."
        );
        assert_eq!(
            invalid(json!({"@flatten": {"value": 1, "separator": 1}})),
            "/@flatten/separator should be a string but it is a number."
        );
        assert_eq!(
            invalid(json!({"@transform": {"apply": "x", "mapping": {}}})),
            "/@transform/apply should be an object or a mapping directive but it is a string."
        );
        assert_eq!(
            invalid(json!({"@liquid": {"@path": "$.x"}})),
            "/@liquid should be a string but it is a directive."
        );
    }

    #[test]
    fn if_checks_its_branches_and_ignores_blank() {
        assert_eq!(
            invalid(json!({"@if": {"blank": {"@nope": 1}}})),
            "/@if/blank has an invalid directive: @nope."
        );
        assert!(validate_mapping(&json!({"@if": {"blank": 5, "exists": 0}})).is_ok());
        assert!(
            validate_mapping(&json!({"@if": {"exists": [{"@nope": 1}], "then": {"x": 1}}})).is_ok()
        );
    }

    #[test]
    fn literal_and_exclude_when_null_accept_anything() {
        assert!(validate_mapping(&json!({"@literal": {"a": {"@nope": 1}}})).is_ok());
        assert!(validate_mapping(&json!({"@excludeWhenNull": [1, null]})).is_ok());
    }

    #[test]
    fn options_needed_only_at_runtime_pass_validation() {
        assert!(validate_mapping(&json!({"@merge": {"objects": []}})).is_ok());
        assert!(validate_mapping(&json!({"@if": {"then": 1}})).is_ok());
        assert!(validate_mapping(&json!({"@case": {"value": "x"}})).is_ok());
    }

    #[test]
    fn valid_reference_fixtures() {
        let valid = [
            json!({"@arrayPath": ["$.products", {"productId": {"@path": "$.id"}}]}),
            json!({"@if": {"exists": {"@path": "$.a"}, "then": {"@if": {"exists": true, "then": 1}}, "else": 2}}),
            json!({"@if": {"exists": {"@path": "$.a"}}}),
            json!({"@path": {"@template": "$.{{a}}"}}),
            json!({"@replace": {"pattern": "a", "value": "b", "ignorecase": true}}),
            json!({"@template": "Hello {{name}}"}),
            json!({"a": [1, {"@oops": 1}]}),
        ];
        for mapping in valid {
            assert!(validate_mapping(&mapping).is_ok(), "{mapping}");
        }
    }
}

mod js_semantics {
    use super::*;

    #[test]
    fn numbers_print_as_js_does() {
        let cases = [
            (1.0, "1"),
            (-1.5, "-1.5"),
            (0.1, "0.1"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789.125, "123456789.125"),
            (1e-7, "1e-7"),
            (0.000001, "0.000001"),
            (1.5e-10, "1.5e-10"),
            (-0.0, "0"),
            (2.5e300, "2.5e+300"),
        ];
        for (x, expected) in cases {
            assert_eq!(f64_to_js_string(x), expected);
        }
    }

    #[test]
    fn string_conversion_and_truthiness() {
        let array = Js::from(&json!([1, null, [2, "x"], {"a": 1}]));
        assert_eq!(array.to_js_string(), "1,,2,x,[object Object]");
        assert!(Js::from(&json!([])).is_truthy());
        assert!(!Js::from(&json!(0.0)).is_truthy());
        assert!(!Js::from(&json!([[]])).loosely_differs_from_empty_string());
    }
}

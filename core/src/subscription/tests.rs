use serde_json::{json, Value};

use super::parse::Expr;
use super::{ParseError, Subscription, MAX_DEPTH};

fn sub(src: &str) -> Subscription {
    Subscription::parse(src).unwrap_or_else(|e| panic!("{src:?} should parse:\n{e}"))
}

fn ast(src: &str) -> Expr {
    sub(src).expr
}

fn err(src: &str) -> ParseError {
    match Subscription::parse(src) {
        Ok(s) => panic!("{src:?} should not parse, got {:?}", s.expr),
        Err(e) => e,
    }
}

/// Asserts the error's offset and that its message contains `needle`.
#[track_caller]
fn assert_err(src: &str, offset: usize, needle: &str) {
    let e = err(src);
    assert_eq!(e.offset, offset, "offset for {src:?}: {e}");
    assert!(
        e.message.contains(needle),
        "message for {src:?} is {:?}, expected {needle:?}",
        e.message
    );
}

fn event() -> Value {
    json!({
        "type": "track",
        "event": "Order Completed",
        "userId": "u1",
        "anonymousId": "a1",
        "name": "Home",
        "properties": {
            "price": 99,
            "total": 150.5,
            "negative": -3,
            "currency": "USD",
            "text99": "99",
            "flag": true,
            "off": false,
            "nothing": null,
            "zero": 0,
            "tags": ["a", "b"],
            "items": [{"sku": "x-1"}],
            "unit price": 3,
            "a.b": 1,
            "glob": "a*b",
            "empty": ""
        },
        "traits": {"email": "a@example.com", "plan": "pro"},
        "context": {"ip": "1.2.3.4", "library": {"name": "analytics.js"}}
    })
}

/// Asserts whether each subscription matches [`event`].
#[track_caller]
fn check(cases: &[(&str, bool)]) {
    let event = event();
    for &(src, expected) in cases {
        assert_eq!(sub(src).matches(&event), expected, "{src}");
    }
}

#[test]
fn numbers_compare_only_with_numbers() {
    check(&[
        ("properties.price = 99", true),
        ("properties.price = 99.0", true),
        ("properties.price = 98", false),
        ("properties.price != 98", true),
        ("properties.price != 99", false),
        ("properties.price < 100", true),
        ("properties.price < 99", false),
        ("properties.price <= 99", true),
        ("properties.price > 98.5", true),
        ("properties.price > 99", false),
        ("properties.price >= 99", true),
        ("properties.price >= 99.5", false),
        ("properties.negative < -2", true),
        ("properties.negative = -3", true),
        ("properties.total = 1.505e2", true),
        ("properties.total > 1E2", true),
        ("properties.total < 2.5e+2", true),
        ("properties.zero = 0", true),
        ("properties.zero = -0", true),
        // a numeric string is not a number, and a number is not a string
        ("properties.text99 = 99", false),
        ("properties.text99 > 1", false),
        ("properties.text99 = \"99\"", true),
        ("properties.price = \"99\"", false),
        ("properties.price != \"99\"", true),
        // missing
        ("properties.missing < 1", false),
        ("properties.missing >= 0", false),
        ("properties.missing = 0", false),
    ]);
}

#[test]
fn strings_compare_strictly() {
    check(&[
        ("type = \"track\"", true),
        ("type = \"Track\"", false),
        ("type = \"track \"", false),
        ("type != \"identify\"", true),
        ("type != \"track\"", false),
        ("properties.empty = \"\"", true),
        ("properties.missing != \"x\"", true),
        ("properties.missing = \"\"", false),
        ("properties.tags = \"a\"", false),
        ("properties.flag = \"true\"", false),
    ]);
}

#[test]
fn booleans() {
    check(&[
        ("properties.flag = true", true),
        ("properties.flag = false", false),
        ("properties.flag != true", false),
        ("properties.off = false", true),
        ("properties.zero = false", false),
        ("properties.missing = false", false),
        ("properties.missing != true", true),
    ]);
}

#[test]
fn null_means_missing_or_null() {
    check(&[
        ("properties.nothing = null", true),
        ("properties.missing = null", true),
        ("properties.price = null", false),
        ("properties.zero = null", false),
        ("properties.empty = null", false),
        ("properties.nothing != null", false),
        ("properties.missing != null", false),
        ("properties.off != null", true),
        ("userId != null", true),
        ("userId = null", false),
        ("traits.email != null", true),
        ("properties != null", true),
        ("traits.nope.deeper = null", true),
    ]);
    // `event` and `type` are fields like any other: `!= null` is a real existence test.
    let identify = json!({"type": "identify", "userId": "u1"});
    assert!(!sub("event != null").matches(&identify));
    assert!(sub("event = null").matches(&identify));
}

#[test]
fn contains_only_on_strings() {
    check(&[
        ("contains(event, \"Order\")", true),
        ("contains(event, \"der Comp\")", true),
        ("contains(event, \"\")", true),
        ("contains(event, \"order\")", false),
        ("contains(properties.price, \"9\")", false),
        ("contains(properties.tags, \"a\")", false),
        ("contains(properties.missing, \"\")", false),
        ("contains( context.library.name , \"js\" )", true),
    ]);
}

#[test]
fn match_is_an_anchored_glob() {
    check(&[
        ("match(event, \"Order*\")", true),
        ("match(event, \"Refund*\")", false),
        ("match(event, \"*Completed\")", true),
        ("match(event, \"*Complete\")", false),
        ("match(event, \"Order Completed\")", true),
        // the reference drops the first character and tests the suffix
        ("match(event, \"XOrder Completed\")", false),
        ("match(event, \"rder Completed\")", false),
        ("match(event, \"Order\")", false),
        ("match(event, \"*der Com*\")", true),
        ("match(event, \"O*C*d\")", true),
        ("match(event, \"O*C*x\")", false),
        ("match(event, \"Order*Order*\")", false),
        ("match(event, \"*\")", true),
        ("match(event, \"**\")", true),
        ("match(properties.empty, \"\")", true),
        ("match(properties.empty, \"*\")", true),
        ("match(event, \"\")", false),
        ("match(properties.missing, \"*\")", false),
        ("match(properties.price, \"*\")", false),
        ("match(event, \"order*\")", false),
        // `\\*` in the string is `\*` in the pattern: a literal star
        ("match(properties.glob, \"a\\\\*b\")", true),
        ("match(properties.glob, \"a*b\")", true),
        ("match(event, \"Order\\\\*\")", false),
    ]);
}

#[test]
fn and_binds_tighter_than_or() {
    assert_eq!(
        ast("type = \"a\" and event = \"b\" or userId = \"c\""),
        ast("(type = \"a\" and event = \"b\") or userId = \"c\"")
    );
    assert_eq!(
        ast("type = \"a\" or event = \"b\" and userId = \"c\""),
        ast("type = \"a\" or (event = \"b\" and userId = \"c\")")
    );
    assert_ne!(
        ast("type = \"a\" or event = \"b\" and userId = \"c\""),
        ast("(type = \"a\" or event = \"b\") and userId = \"c\"")
    );

    // All eight truth assignments of a, b and c.
    for bits in 0..8u8 {
        let flag = |i: u8| if bits & (1 << i) != 0 { "yes" } else { "no" };
        let event = json!({"type": flag(0), "event": flag(1), "userId": flag(2)});
        let (a, b, c) = (bits & 1 != 0, bits & 2 != 0, bits & 4 != 0);
        let m = |src: &str| sub(src).matches(&event);
        assert_eq!(
            m("type = \"yes\" and event = \"yes\" or userId = \"yes\""),
            (a && b) || c,
            "{bits:03b}"
        );
        assert_eq!(
            m("type = \"yes\" or event = \"yes\" and userId = \"yes\""),
            a || (b && c),
            "{bits:03b}"
        );
        assert_eq!(
            m("(type = \"yes\" or event = \"yes\") and userId = \"yes\""),
            (a || b) && c,
            "{bits:03b}"
        );
    }
}

#[test]
fn chains_are_flat() {
    let Expr::Or(terms) = ast("type = \"a\" or type = \"b\" or type = \"c\"") else {
        panic!("not an or")
    };
    assert_eq!(terms.len(), 3);
}

#[test]
fn nested_parentheses() {
    let src = "(contains(event,\"x\") or (type = \"track\" and not userId = null))";
    let m = |e: Value| sub(src).matches(&e);
    assert!(m(json!({"type": "track", "userId": "u1"})));
    assert!(m(json!({"event": "xyz"})));
    assert!(!m(json!({"type": "track"})));
    assert!(!m(
        json!({"type": "identify", "userId": "u1", "event": "abc"})
    ));

    check(&[
        ("((((type = \"track\"))))", true),
        (
            "((type = \"x\" or (event = \"Order Completed\")) and (userId = \"u1\"))",
            true,
        ),
        (
            "((type = \"x\" or (event = \"Order Completed\")) and (userId = \"u2\"))",
            false,
        ),
    ]);
}

#[test]
fn negation() {
    check(&[
        ("not type = \"track\"", false),
        ("not type = \"identify\"", true),
        ("!type = \"track\"", false),
        ("! type = \"identify\"", true),
        ("!!type = \"track\"", true),
        ("not not type = \"track\"", true),
        ("!(type = \"track\" or type = \"identify\")", false),
        ("not (type = \"identify\" or type = \"group\")", true),
        ("not(type = \"identify\")", true),
        ("!contains(event, \"Order\")", false),
        ("!contains(event, \"Refund\")", true),
        ("not contains(event, \"Refund\")", true),
        ("!match(event, \"Order*\")", false),
        ("!match(event, \"*Refunded\")", true),
        // negation is exact: a missing field fails the test, so its negation holds
        ("!contains(properties.missing, \"x\")", true),
        ("!match(properties.price, \"*\")", true),
        ("properties.missing != 5", true),
        ("not properties.missing > 5", true),
    ]);
    // `not` applies to one term: `not a and b` is `(not a) and b`
    assert_eq!(
        ast("not type = \"a\" and event = \"b\""),
        ast("(not type = \"a\") and event = \"b\"")
    );
    assert_eq!(
        ast("!type = \"a\" or event = \"b\""),
        ast("(!type = \"a\") or event = \"b\"")
    );
}

#[test]
fn negation_of_a_test_is_its_complement() {
    let event = event();
    for src in [
        "properties.price = 99",
        "properties.price < 50",
        "properties.text99 = \"99\"",
        "properties.missing = null",
        "contains(properties.currency, \"US\")",
        "match(properties.missing, \"*\")",
    ] {
        let positive = sub(src).matches(&event);
        assert_eq!(
            sub(&format!("not {src}")).matches(&event),
            !positive,
            "not {src}"
        );
        assert_eq!(
            sub(&format!("!({src})")).matches(&event),
            !positive,
            "!({src})"
        );
    }
}

#[test]
fn quotes_and_escapes() {
    check(&[
        ("event = 'Order Completed'", true),
        ("event = \"Order Completed\"", true),
        ("type='track'", true),
        ("event = 'Order'", false),
    ]);
    let event = json!({"properties": {
        "quote": "say \"hi\"", "apos": "it's", "back": "a\\b", "ws": "a\tb\nc", "mixed": "'\""
    }});
    for src in [
        r#"properties.quote = "say \"hi\"""#,
        r#"properties.quote = 'say "hi"'"#,
        r#"properties.apos = 'it\'s'"#,
        r#"properties.apos = "it's""#,
        r#"properties.back = "a\\b""#,
        r#"properties.ws = "a\tb\nc""#,
        r#"properties.mixed = '\'"'"#,
        r#"contains(properties.back, "\\")"#,
    ] {
        assert!(sub(src).matches(&event), "{src}");
    }
}

#[test]
fn paths() {
    check(&[
        ("properties.items[0].sku = \"x-1\"", true),
        ("properties.items.0.sku = \"x-1\"", true),
        ("properties.items[1].sku = null", true),
        ("properties.tags[1] = \"b\"", true),
        ("properties.tags[01] = \"b\"", true),
        ("properties.tags.01 = \"b\"", false),
        ("properties[\"unit price\"] = 3", true),
        ("properties['unit price'] = 3", true),
        ("properties.unit\\ price = 3", true),
        ("properties[\"a.b\"] = 1", true),
        ("properties.a.b = null", true),
        ("properties.a\\.b = 1", true),
        ("context.library.name = \"analytics.js\"", true),
        ("context.ip = \"1.2.3.4\"", true),
        ("traits.plan = \"pro\"", true),
        ("traits[\"plan\"] = \"pro\"", true),
        // nothing lives inside a scalar (the reference: `{a:0}` gives `a.b` = 0, strings have `.length`)
        ("properties.zero.x = 0", false),
        ("properties.zero.x = null", true),
        ("properties.off.x = false", false),
        ("properties.currency.length = 3", false),
        ("properties.currency[0] = \"U\"", false),
        ("properties.price>98", true),
        ("properties.price<=99 and type=\"track\"", true),
        ("type=\"track\"and(userId='u1')", true),
    ]);
}

#[test]
fn top_level_fields() {
    check(&[
        ("type = \"track\"", true),
        ("event = \"Order Completed\"", true),
        ("name = \"Home\"", true),
        ("userId = \"u1\"", true),
        ("anonymousId = \"a1\"", true),
        ("anonymousId != null", true),
        ("userId = 5", false),
    ]);
    assert!(sub("userId = 5").matches(&json!({"userId": 5})));
    assert!(sub("event = 5").matches(&json!({"event": 5})));
    assert!(!sub("event = \"5\"").matches(&json!({"event": 5})));
}

#[test]
fn events_that_are_not_objects() {
    for event in [
        json!(null),
        json!(5),
        json!("track"),
        json!([1, 2]),
        json!({"properties": [1]}),
    ] {
        assert!(sub("type = null").matches(&event), "{event}");
        assert!(sub("properties.a = null").matches(&event), "{event}");
        assert!(!sub("type = \"track\"").matches(&event), "{event}");
        assert!(!sub("contains(type, \"\")").matches(&event), "{event}");
    }
}

#[test]
fn api() {
    let src = "  type = \"track\"\n  and properties.total > 100 ";
    let parsed: Subscription = src.parse().unwrap();
    assert_eq!(parsed.source(), src);
    assert_eq!(parsed.to_string(), src);
    assert_eq!(parsed, sub(src));
    let error: Box<dyn std::error::Error> = Box::new(err("type ="));
    assert!(error
        .to_string()
        .starts_with("expected a value after '=', found end of input at column 7"));
}

#[test]
fn display_points_at_the_column() {
    let e = err("type = \"track\")");
    assert_eq!(e.offset, 14);
    assert_eq!(
        e.to_string(),
        "unexpected ')' at column 15\ntype = \"track\")\n              ^"
    );

    let e = err("type = \"a\" and\n\tfoo = 1");
    assert_eq!(e.line_column(), (2, 2));
    assert_eq!(e.to_string().lines().next(), Some(
        "unknown field 'foo' (fields are type, event, name, userId, anonymousId, properties.*, \
         traits.* and context.*) at line 2, column 2"
    ));
    assert!(e.to_string().ends_with("\n\tfoo = 1\n\t^"));

    // columns count characters, offsets count bytes
    let e = err("event = \"é\" )");
    assert_eq!((e.offset, e.line_column()), (13, (1, 13)));

    // a carriage return is shown as a blank, not echoed
    let e = err("type = \"a\"\r");
    assert_eq!(
        e.to_string(),
        "unexpected character '\\r' at column 11\ntype = \"a\" \n          ^"
    );
}

#[test]
fn unbalanced_parentheses() {
    assert_err("type = \"track\")", 14, "unexpected ')'");
    assert_err("(type = \"track\"", 0, "unclosed '('");
    assert_err("((type = \"a\") or (event = \"b\")", 0, "unclosed '('");
    assert_err("(type = \"a\" or (event = \"b\")", 0, "unclosed '('");
    assert_err("type = \"a\" or (event = \"b\"", 14, "unclosed '('");
    assert_err("()", 1, "expected a condition, found ')'");
    assert_err(")", 0, "expected a condition, found ')'");
    assert_err(
        "(type = \"a\" type = \"b\")",
        12,
        "expected 'and', 'or' or ')', found 'type'",
    );
    assert_err(
        "contains(event, \"x\"",
        19,
        "expected ')', found end of input",
    );
}

#[test]
fn dangling_conditionals() {
    assert_err(
        "type = \"track\" and",
        18,
        "expected a condition, found end of input",
    );
    assert_err(
        "type = \"track\" or ",
        18,
        "expected a condition, found end of input",
    );
    assert_err(
        "and type = \"track\"",
        0,
        "expected a condition, found 'and'",
    );
    assert_err(
        "type = \"a\" or or type = \"b\"",
        14,
        "expected a condition, found 'or'",
    );
    assert_err(
        "type = \"a\" and (or type = \"b\")",
        16,
        "expected a condition, found 'or'",
    );
    assert_err("not", 3, "expected a condition, found end of input");
    assert_err(
        "type = \"a\" and !",
        16,
        "expected a condition, found end of input",
    );
    assert_err(
        "type = \"a\" type = \"b\"",
        11,
        "expected 'and' or 'or', found 'type'",
    );
}

#[test]
fn missing_or_bad_values() {
    assert_err(
        "type =",
        6,
        "expected a value after '=', found end of input",
    );
    assert_err(
        "type = and event = \"x\"",
        7,
        "expected a value after '=', found 'and'",
    );
    assert_err("type = )", 7, "expected a value after '=', found ')'");
    assert_err(
        "type = track",
        7,
        "found 'track' (quote strings: \"track\")",
    );
    assert_err("type = TRUE", 7, "keywords are lowercase: 'true'");
    assert_err(
        "type = properties.x",
        7,
        "expected a value after '=', found 'properties.x'",
    );
    assert_err(
        "type \"track\"",
        5,
        "expected a comparison operator after 'type', found string \"track\"",
    );
    assert_err(
        "userId",
        6,
        "expected a comparison operator after 'userId', found end of input",
    );
    assert_err("type == \"a\"", 5, "'==' is not an operator");
    assert_err(
        "properties.n > \"5\"",
        15,
        "'>' compares numbers, found string \"5\"",
    );
    assert_err(
        "properties.n <= null",
        16,
        "'<=' compares numbers, found 'null'",
    );
    assert_err("properties.n < true", 15, "'<' compares numbers");
    assert_err(
        "\"track\" = type",
        0,
        "expected a condition, found string \"track\"",
    );
}

#[test]
fn functions() {
    assert_err("lowercase(type) = \"x\"", 0, "unknown function 'lowercase'");
    assert_err(
        "type = \"a\" or length (event) > 3",
        14,
        "unknown function 'length'",
    );
    assert_err("Contains(event, \"x\")", 0, "unknown function 'Contains'");
    assert_err("contains(event)", 14, "expected ',', found ')'");
    assert_err(
        "contains(event, 5)",
        16,
        "expected a quoted string as the second argument of contains(), found number 5",
    );
    assert_err("match(event, null)", 13, "second argument of match()");
    assert_err(
        "contains(\"x\", event)",
        9,
        "expected a field, found string \"x\"",
    );
    assert_err("contains(foo, \"x\")", 9, "unknown field 'foo'");
    assert_err(
        "contains(event, \"x\", \"y\")",
        19,
        "expected ')', found ','",
    );
    assert_err("contains event", 8, "expected '(' after 'contains'");
    assert_err("type = \"a\" or match", 19, "expected '(' after 'match'");
}

#[test]
fn fields() {
    assert_err("foo = 1", 0, "unknown field 'foo'");
    assert_err(
        "type = \"a\" and messageId = \"m\"",
        15,
        "unknown field 'messageId'",
    );
    assert_err(
        "type = \"a\" and integrations.x = 1",
        15,
        "unknown field 'integrations.x'",
    );
    assert_err("Type = \"a\"", 0, "unknown field 'Type'");
    assert_err(
        "type = \"a\" AND event = \"b\"",
        11,
        "'AND' (keywords are lowercase: 'and')",
    );
    assert_err("type.x = \"a\"", 0, "field 'type' has no sub-fields");
    assert_err("userId[0] = \"a\"", 0, "field 'userId' has no sub-fields");
    assert_err("properties. = 1", 11, "expected a name after '.'");
    assert_err("properties.a..b = 1", 13, "expected a name after '.'");
    assert_err(
        "properties[x] = 1",
        11,
        "expected an index or a quoted key after '['",
    );
    assert_err(
        "properties[-1] = 1",
        11,
        "expected an index or a quoted key",
    );
    assert_err("properties[\"a\" = 1", 10, "unclosed '['");
    assert_err(
        "properties[99999999999999999999999] = 1",
        11,
        "index out of range",
    );
    assert_err("properties.a\\", 12, "expected a character after '\\'");
}

#[test]
fn bad_tokens() {
    assert_err("", 0, "empty subscription");
    assert_err(" \n\t", 0, "empty subscription");
    assert_err("type = \"track\" ;", 15, "unexpected character ';'");
    assert_err("type = \"track\"\r\n", 14, "unexpected character '\\r'");
    assert_err("type\r= \"track\"", 4, "unexpected character '\\r'");
    assert_err(
        "type = \"track\" && event = \"x\"",
        15,
        "unexpected character '&'",
    );
    assert_err("$.type = \"track\"", 0, "unexpected character '$'");
    assert_err("type = #", 7, "unexpected character '#'");
    assert_err("type = -", 7, "unexpected character '-'");
    assert_err("type = \"é\" @", 12, "unexpected character '@'");
}

#[test]
fn bad_strings_and_numbers() {
    assert_err("type = \"track", 7, "unterminated string");
    assert_err("type = 'track", 7, "unterminated string");
    assert_err("type = \"track'", 7, "unterminated string");
    assert_err("type = \"tr\\", 7, "unterminated string");
    assert_err("properties[\"a] = 1", 11, "unterminated string");
    assert_err(r#"event = "a\qb""#, 10, "unknown escape '\\q'");
    assert_err(
        "properties.n = 1.",
        17,
        "expected digits after the decimal point",
    );
    assert_err("properties.n = .5", 15, "unexpected character '.'");
    assert_err("properties.n = 1e", 17, "expected digits in the exponent");
    assert_err(
        "properties.n = 5abc",
        16,
        "unexpected character 'a' in number",
    );
    assert_err(
        "properties.n = 5and type = \"a\"",
        16,
        "unexpected character 'a' in number",
    );
    assert_err(
        "properties.n = 1.2.3",
        18,
        "unexpected character '.' in number",
    );
    assert_err("properties.n = 1e999", 15, "number out of range");
    assert_err("properties.n = +5", 15, "unexpected character '+'");
}

#[test]
fn nesting_is_bounded() {
    let ok = format!(
        "{}type = \"track\"{}",
        "(".repeat(MAX_DEPTH),
        ")".repeat(MAX_DEPTH)
    );
    assert!(sub(&ok).matches(&event()));
    let ok = format!("{}type = \"track\"", "!".repeat(MAX_DEPTH));
    assert!(sub(&ok).matches(&event()));

    let deep = format!(
        "{}type = \"track\"{}",
        "(".repeat(MAX_DEPTH + 1),
        ")".repeat(MAX_DEPTH + 1)
    );
    assert_err(&deep, MAX_DEPTH, "nested more than 100 levels deep");
    // far beyond any stack: rejected, not overflowed
    assert_err(&"(".repeat(1_000_000), MAX_DEPTH, "nested more than");
    assert_err(&"not ".repeat(1_000_000), 4 * MAX_DEPTH, "nested more than");
    assert_err(&"!(".repeat(1_000_000), MAX_DEPTH, "nested more than");
}

/// Well-formed, quirk-free subscriptions, with the result the reference gives.
#[test]
fn agrees_with_the_reference() {
    let track = event();
    let identify =
        json!({"type": "identify", "userId": "u2", "traits": {"email": "b@example.com"}});
    let group = json!({"type": "group", "anonymousId": "a9", "traits": {}});
    let cheap = json!({"type": "track", "event": "Order Completed", "properties": {"total": 100, "price": 5}});
    let stringly = json!({"type": "track", "event": "Order Completed", "properties": {"total": "150", "price": "99"}});
    let events = [&track, &identify, &group, &cheap, &stringly];

    let cases: &[(&str, [bool; 5])] = &[
        ("type = \"track\"", [true, false, false, true, true]),
        ("type = \"identify\"", [false, true, false, false, false]),
        (
            "type = \"identify\" or type = \"group\"",
            [false, true, true, false, false],
        ),
        ("type != \"track\"", [false, true, true, false, false]),
        (
            "event = \"Order Completed\"",
            [true, false, false, true, true],
        ),
        (
            "event = \"Order Completed\" and properties.total > 100",
            [true, false, false, false, false],
        ),
        (
            "type = \"track\" and event = \"Order Completed\"",
            [true, false, false, true, true],
        ),
        ("properties.total >= 100", [true, false, false, true, false]),
        ("properties.price > 99", [false, false, false, false, false]),
        ("properties.price < 99", [false, false, false, true, false]),
        ("properties.price = 99", [true, false, false, false, false]),
        (
            "properties.price = \"99\"",
            [false, false, false, false, true],
        ),
        ("properties.flag = true", [true, false, false, false, false]),
        (
            "properties.currency != \"EUR\"",
            [true, true, true, true, true],
        ),
        (
            "contains(event, \"Order\")",
            [true, false, false, true, true],
        ),
        ("match(event, \"Order*\")", [true, false, false, true, true]),
        (
            "match(event, \"*Completed\")",
            [true, false, false, true, true],
        ),
        ("userId != null", [true, true, false, false, false]),
        ("userId = null", [false, false, true, true, true]),
        ("traits.email != null", [true, true, false, false, false]),
        ("properties.nothing = null", [true, true, true, true, true]),
        (
            "context.library.name = \"analytics.js\"",
            [true, false, false, false, false],
        ),
        ("traits.plan = \"pro\"", [true, false, false, false, false]),
    ];
    for (src, expected) in cases {
        let subscription = sub(src);
        let actual = events.map(|e| subscription.matches(e));
        assert_eq!(&actual, expected, "{src}");
    }
}

mod properties {
    use proptest::prelude::*;
    use proptest::sample::select;
    use serde_json::{Map, Value};

    use super::super::Subscription;

    const TOKENS: &[&str] = &[
        "(",
        ")",
        ",",
        "!",
        "=",
        "!=",
        "<",
        "<=",
        ">",
        ">=",
        "==",
        "and",
        "or",
        "not",
        "AND",
        "true",
        "false",
        "null",
        "contains",
        "match",
        "lowercase",
        "type",
        "event",
        "userId",
        "properties.a",
        "properties.a[0]",
        "traits['b c']",
        "context.c.d",
        "foo",
        "\"x\"",
        "'y'",
        "\"a*\"",
        "\"\\\"\"",
        "\"",
        "'",
        "\\",
        "1",
        "-2.5",
        "1e3",
        "1.",
        "[",
        "]",
        ".",
        "\r",
        "é",
        "*",
    ];

    /// Sequences of tokens, joined with or without spaces: mostly near-misses.
    fn token_soup() -> impl Strategy<Value = String> {
        (prop::collection::vec(select(TOKENS), 0..16), any::<bool>())
            .prop_map(|(tokens, spaced)| tokens.join(if spaced { " " } else { "" }))
    }

    fn condition() -> impl Strategy<Value = String> {
        let field = select(
            &[
                "type",
                "event",
                "name",
                "userId",
                "anonymousId",
                "properties",
                "properties.a",
                "properties.a.b",
                "properties.n[0]",
                "properties[\"a\"]",
                "traits.t",
                "context.c",
            ][..],
        );
        let value = select(
            &[
                "\"x\"", "'a'", "\"\"", "1", "-2.5", "0", "true", "false", "null",
            ][..],
        );
        let pattern = select(
            &[
                "\"\"",
                "\"*\"",
                "\"x*\"",
                "\"*x\"",
                "\"a*b\"",
                "\"x\"",
                "\"\\\\*\"",
            ][..],
        );
        prop_oneof![
            (field.clone(), select(&["=", "!="][..]), value)
                .prop_map(|(f, o, v)| format!("{f} {o} {v}")),
            (field.clone(), select(&["<", "<=", ">", ">="][..]), -3i32..3)
                .prop_map(|(f, o, n)| format!("{f}{o}{n}")),
            (
                field,
                select(&["contains", "match", "!contains", "!match"][..]),
                pattern
            )
                .prop_map(|(f, func, p)| format!("{func}({f}, {p})")),
        ]
    }

    fn expression() -> impl Strategy<Value = String> {
        condition().prop_recursive(4, 24, 2, |inner| {
            prop_oneof![
                (inner.clone(), select(&["and", "or"][..]), inner.clone())
                    .prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                inner.clone().prop_map(|e| format!("not {e}")),
                inner.prop_map(|e| format!("({e})")),
            ]
        })
    }

    fn json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-3i64..3).prop_map(Value::from),
            (-3.0f64..3.0).prop_map(Value::from),
            "[xa*b]{0,3}".prop_map(Value::String),
        ];
        leaf.prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..3).prop_map(Value::Array),
                prop::collection::btree_map(
                    select(&["a", "b", "n", "t", "c", "d", "0"][..]),
                    inner,
                    0..4
                )
                .prop_map(|m| Value::Object(
                    m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
                )),
            ]
        })
    }

    fn event() -> impl Strategy<Value = Value> {
        let heads = select(
            &[
                "type",
                "event",
                "name",
                "userId",
                "anonymousId",
                "properties",
                "traits",
                "context",
                "a",
            ][..],
        );
        prop_oneof![
            4 => prop::collection::btree_map(heads, json(), 0..8)
                .prop_map(|m| Value::Object(m.into_iter().map(|(k, v)| (k.to_owned(), v)).collect::<Map<_, _>>())),
            1 => json(),
        ]
    }

    /// Whatever the input, `parse` returns, and an error points inside the input.
    fn parse_never_panics(src: &str) {
        if let Err(e) = Subscription::parse(src) {
            assert!(
                e.offset <= src.len() && src.is_char_boundary(e.offset),
                "{src:?}: {e:?}"
            );
            let _ = e.to_string();
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn arbitrary_strings_never_panic(src in any::<String>()) {
            parse_never_panics(&src);
        }

        #[test]
        fn token_soup_never_panics(src in token_soup()) {
            parse_never_panics(&src);
        }

        #[test]
        fn well_formed_expressions_parse_and_evaluate(src in expression(), event in event()) {
            let subscription = Subscription::parse(&src).map_err(|e| TestCaseError::fail(format!("{e}")))?;
            let matched = subscription.matches(&event);
            let negated = Subscription::parse(&format!("not ({src})")).unwrap();
            prop_assert_eq!(negated.matches(&event), !matched);
        }

        #[test]
        fn and_binds_tighter(a in condition(), b in condition(), c in condition(), event in event()) {
            let m = |src: String| Subscription::parse(&src).unwrap().matches(&event);
            prop_assert_eq!(m(format!("{a} and {b} or {c}")), m(format!("({a} and {b}) or {c}")));
            prop_assert_eq!(m(format!("{a} or {b} and {c}")), m(format!("{a} or ({b} and {c})")));
        }
    }
}

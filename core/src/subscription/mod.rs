//! Subscriptions: the trigger language that decides which events reach an action,
//! e.g. `type = "track" and (event = "Order Completed" or properties.total > 100)`.
//!
//! The language is the FQL subset of Segment's `destination-subscriptions`, implemented
//! as the reference documents it rather than as its parser behaves.
//!
//! # Language
//! - Conditions: `field = value`, `!=`, `<`, `<=`, `>`, `>=`, `contains(field, "s")` and
//!   `match(field, "glob")`, joined by `and` / `or` and grouped with parentheses.
//! - Fields: `type`, `event`, `name`, `userId`, `anonymousId`, and paths under
//!   `properties`, `traits` and `context`: `properties.items[0]["unit price"]`.
//! - Values: `"double"` or `'single'` quoted strings (escapes `\"` `\'` `\\` `\n` `\t`
//!   `\r`), numbers (`-1.5e3`), `true`, `false`, `null`.
//! - Semantics: `=` is strict (same JSON type and value; numbers compare as f64);
//!   `<` `<=` `>` `>=` hold only for numbers; `contains` and `match` hold only for
//!   strings; `= null` holds for null or missing, `!= null` for present and not null.
//!   `!=` is always the negation of `=`, so `!= "s"` holds when the field is missing.
//!   A path through a string, number, boolean or null is missing.
//! - `match` globs are case-sensitive and anchored at both ends: `*` matches any run of
//!   characters, `"Order*"` is a prefix test, `"*Completed"` a suffix test, `"*der*"` a
//!   substring test, and a pattern without `*` an exact match. `\*` in the pattern (written
//!   `"\\*"` inside the string) is a literal star.
//! - Whitespace is space, tab and newline. Parentheses and negations nest at most 100 deep.
//!
//! # Deliberate differences from the reference
//! - `and` binds tighter than `or`: `a and b or c` is `(a and b) or c`. The reference has
//!   no precedence: each group takes the last conditional it saw, so that is `a or b or c`.
//! - Parentheses nest. The reference closes a group at the first `)`, which breaks
//!   `(contains(event, "x") or type = "track")`.
//! - `not` and `!` negate any condition, group or function call. The reference ignores
//!   `not` and drops the `!` of `!(…)`.
//! - Negation is exact: `!=`, `not` and `!` are the logical negation of the positive test
//!   for every type, so `properties.n != 5`, `!contains(…)` and `!match(…)` hold when the
//!   field is missing or of another type. The reference's `number_not_equals`,
//!   `not_contains`, `not_starts_with` and `not_ends_with` are false then.
//! - Single-quoted strings are unquoted like double-quoted ones (the reference keeps the
//!   quotes, so `type = 'track'` never matches), and both support backslash escapes.
//! - `match` without `*` is an exact match (the reference drops the pattern's first
//!   character and tests the suffix), and `*` may appear anywhere, any number of times.
//! - Every field has the same semantics. The reference compares `type` and `event` as
//!   strings against the stringified value, so there `event != null` means
//!   `event != "null"` and `event = 5` means `event = "5"`; and it limits numbers, booleans
//!   and null checks to some fields.
//! - `anonymousId` is a field (the reference cannot filter on it).
//! - Malformed input is an error that gives its position: unknown fields and functions
//!   (`lowercase(…)`), uppercase keywords (`AND`), a dangling `and`/`or`, a missing
//!   value (`type =`), an unquoted value (`type = track`), unbalanced parentheses,
//!   trailing tokens, unterminated strings, unknown escapes and stray characters such as
//!   `\r`. The reference skips unknown identifiers, ignores a dangling `or`, compares
//!   `type =` against `"eos"`, and turns lexer errors into a `TypeError`.
//! - `<`, `<=`, `>` and `>=` need a number: `properties.n > "5"` is a parse error (the
//!   reference compares with JavaScript coercion).
//! - Operators, parentheses and quotes end a token: `properties.price>99` and
//!   `userId = "u1"and …` lex as written (the reference rejects the first and silently
//!   drops the second's `and …`). A number must not run into a word: `5and` is an error.
//! - Numbers may have an exponent (`1e3`; the reference lexes `1` then an identifier
//!   `e2`), may not start with `+`, and must be finite.
//! - Paths: `["a.b"]` is the key `a.b`; `[b]` without quotes is an error (the reference
//!   reads the key `a[b]`); a backslash in a path makes the next character literal. A
//!   path through a non-object is missing, where the reference returns a falsy
//!   intermediate (`{a: 0}`: `properties.a.b = 0` matches) and indexes strings
//!   (`properties.name.length`).
//! - Only `properties`, `traits` and `context` take a path (`type.x` is an error), and
//!   they may stand alone: `traits != null`.

mod error;
mod eval;
mod lex;
mod parse;

#[cfg(test)]
mod tests;

use std::fmt;
use std::str::FromStr;

use serde_json::Value;

pub use error::ParseError;
pub use parse::MAX_DEPTH;

/// A parsed subscription.
#[derive(Debug, Clone, PartialEq)]
pub struct Subscription {
    source: String,
    expr: parse::Expr,
}

impl Subscription {
    /// # Errors
    /// Any malformed input; the error gives the message and the position.
    pub fn parse(src: &str) -> Result<Subscription, ParseError> {
        match parse::parse(src) {
            Ok(expr) => Ok(Subscription {
                source: src.to_owned(),
                expr,
            }),
            Err(e) => Err(e.in_expression(src)),
        }
    }

    /// Whether `event` (a Segment event object) triggers this subscription.
    pub fn matches(&self, event: &Value) -> bool {
        self.expr.eval(event)
    }

    /// The text this was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }
}

impl FromStr for Subscription {
    type Err = ParseError;

    fn from_str(src: &str) -> Result<Self, Self::Err> {
        Subscription::parse(src)
    }
}

impl fmt::Display for Subscription {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

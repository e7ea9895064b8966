//! Evaluating the AST against an event.

use serde_json::Value;

use super::lex::CmpOp;
use super::parse::{Expr, Field, Literal, Test};

impl Expr {
    pub(super) fn eval(&self, event: &Value) -> bool {
        match self {
            Expr::Or(terms) => terms.iter().any(|t| t.eval(event)),
            Expr::And(terms) => terms.iter().all(|t| t.eval(event)),
            Expr::Not(inner) => !inner.eval(event),
            Expr::Test(field, test) => test.eval(field.lookup(event)),
        }
    }
}

impl Field {
    /// `None` when the path is missing, or runs through a non-container.
    fn lookup<'v>(&self, event: &'v Value) -> Option<&'v Value> {
        self.0.iter().try_fold(event, |value, key| match value {
            Value::Object(map) => map.get(key),
            Value::Array(items) => array_index(key).and_then(|i| items.get(i)),
            _ => None,
        })
    }
}

/// Only canonical indices (`0`, `12`; not `01` or `+1`) address array elements.
fn array_index(key: &str) -> Option<usize> {
    let index: usize = key.parse().ok()?;
    (index.to_string() == key).then_some(index)
}

impl Test {
    fn eval(&self, actual: Option<&Value>) -> bool {
        let string = || actual.and_then(Value::as_str);
        match self {
            Test::Eq(literal) => literal.equals(actual),
            Test::Ne(literal) => !literal.equals(actual),
            Test::Order(op, n) => actual
                .and_then(Value::as_f64)
                .is_some_and(|a| compare(*op, a, *n)),
            Test::Contains(needle) => string().is_some_and(|s| s.contains(needle.as_str())),
            Test::Match(glob) => string().is_some_and(|s| glob.matches(s)),
        }
    }
}

fn compare(op: CmpOp, a: f64, b: f64) -> bool {
    match op {
        CmpOp::Eq => a == b,
        CmpOp::Ne => a != b,
        CmpOp::Lt => a < b,
        CmpOp::Le => a <= b,
        CmpOp::Gt => a > b,
        CmpOp::Ge => a >= b,
    }
}

impl Literal {
    /// Strict: a value equals a literal only when both have the same JSON type.
    fn equals(&self, actual: Option<&Value>) -> bool {
        match (self, actual) {
            (Literal::Null, None | Some(Value::Null)) => true,
            (Literal::Str(s), Some(Value::String(a))) => a == s,
            (Literal::Num(n), Some(Value::Number(a))) => a.as_f64() == Some(*n),
            (Literal::Bool(b), Some(Value::Bool(a))) => a == b,
            _ => false,
        }
    }
}

/// A `match()` pattern: `*` matches any run of characters (also none), everything
/// else matches itself, anchored at both ends. A backslash makes the next
/// character literal, so `\*` is a literal star.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Glob {
    /// The literal pieces between stars: one piece means no star.
    pieces: Vec<String>,
}

impl Glob {
    pub(super) fn new(pattern: &str) -> Glob {
        let mut pieces = vec![String::new()];
        let mut chars = pattern.chars();
        while let Some(c) = chars.next() {
            match c {
                '*' => pieces.push(String::new()),
                '\\' => push(&mut pieces, chars.next().unwrap_or('\\')),
                c => push(&mut pieces, c),
            }
        }
        Glob { pieces }
    }

    pub(super) fn matches(&self, s: &str) -> bool {
        let [first, middle @ .., last] = self.pieces.as_slice() else {
            return self.pieces.first().is_some_and(|only| only == s);
        };
        let Some(mut rest) = s.strip_prefix(first.as_str()) else {
            return false;
        };
        // Taking the leftmost occurrence of each middle piece leaves the most room
        // for the rest, so no backtracking is needed.
        for piece in middle {
            match rest.find(piece.as_str()) {
                Some(i) => rest = &rest[i + piece.len()..],
                None => return false,
            }
        }
        rest.ends_with(last.as_str())
    }
}

fn push(pieces: &mut [String], c: char) {
    if let Some(last) = pieces.last_mut() {
        last.push(c);
    }
}

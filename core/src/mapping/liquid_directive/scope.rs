//! The event as LiquidJS sees it, as a view the `liquid` crate can walk.

use std::fmt;

use liquid::model::{KStringCow, ScalarCow, State, Value as LiquidValue};
use liquid_core::model::{ArrayView, DisplayCow, ObjectView, ValueView};
use serde_json::Number;

use sluice_js::number_to_string as f64_to_js_string;
use crate::mapping::value::Js;

/// The event as LiquidJS sees it: JS-like rendering, and a missing key, index or path
/// below a missing value reads as nil.
#[derive(Debug)]
pub(super) enum Scope {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(ScopeArray),
    Object(ScopeObject),
}

#[derive(Debug, Default)]
pub(super) struct ScopeArray(Vec<Scope>);

#[derive(Debug, Default)]
pub(super) struct ScopeObject(Vec<(String, Scope)>);

static NIL: Scope = Scope::Nil;
/// What nil looks like when indexed: an object with nothing in it.
static NOTHING: ScopeObject = ScopeObject(Vec::new());

impl From<&Js> for Scope {
    fn from(value: &Js) -> Self {
        match value {
            Js::Undefined | Js::Null => Scope::Nil,
            Js::Bool(b) => Scope::Bool(*b),
            Js::Number(n) => number_scope(n),
            Js::String(s) => Scope::Str(s.clone()),
            Js::Array(items) => Scope::Array(ScopeArray(items.iter().map(Scope::from).collect())),
            Js::Object(entries) => Scope::Object(ScopeObject(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), Scope::from(v)))
                    .collect(),
            )),
        }
    }
}

/// JS has one number type; whole numbers stay integers so that they print without `.0`.
fn number_scope(n: &Number) -> Scope {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    match n.as_i64() {
        Some(i) if (i as f64).abs() <= SAFE => Scope::Int(i),
        _ => {
            let f = n.as_f64().unwrap_or(f64::NAN);
            if f.fract() == 0.0 && f.abs() <= SAFE {
                Scope::Int(f as i64)
            } else {
                Scope::Float(f)
            }
        }
    }
}

impl Scope {
    fn scalar(&self) -> Option<ScalarCow<'_>> {
        match self {
            Scope::Bool(b) => Some(ScalarCow::new(*b)),
            Scope::Int(i) => Some(ScalarCow::new(*i)),
            Scope::Float(f) => Some(ScalarCow::new(*f)),
            Scope::Str(s) => Some(ScalarCow::new(s.as_str())),
            _ => None,
        }
    }
}

impl ValueView for Scope {
    fn as_debug(&self) -> &dyn fmt::Debug {
        self
    }

    fn render(&self) -> DisplayCow<'_> {
        match self {
            Scope::Nil => DisplayCow::Borrowed(&""),
            Scope::Bool(b) => DisplayCow::Owned(Box::new(*b)),
            Scope::Int(i) => DisplayCow::Owned(Box::new(*i)),
            Scope::Float(f) => DisplayCow::Owned(Box::new(f64_to_js_string(*f))),
            Scope::Str(s) => DisplayCow::Borrowed(s),
            Scope::Array(array) => array.render(),
            Scope::Object(object) => object.render(),
        }
    }

    fn source(&self) -> DisplayCow<'_> {
        self.render()
    }

    fn type_name(&self) -> &'static str {
        match self {
            Scope::Nil => "nil",
            Scope::Bool(_) => "boolean",
            Scope::Int(_) => "whole number",
            Scope::Float(_) => "fractional number",
            Scope::Str(_) => "string",
            Scope::Array(_) => "array",
            Scope::Object(_) => "object",
        }
    }

    fn query_state(&self, state: State) -> bool {
        match self {
            Scope::Nil => state != State::Truthy,
            Scope::Array(array) => array.query_state(state),
            Scope::Object(object) => object.query_state(state),
            scalar => scalar.scalar().is_some_and(|s| s.query_state(state)),
        }
    }

    fn to_kstr(&self) -> KStringCow<'_> {
        match self {
            Scope::Str(s) => KStringCow::from_ref(s),
            other => KStringCow::from_string(other.render().to_string()),
        }
    }

    fn to_value(&self) -> LiquidValue {
        match self {
            Scope::Nil => LiquidValue::Nil,
            Scope::Array(array) => array.to_value(),
            Scope::Object(object) => object.to_value(),
            scalar => scalar
                .scalar()
                .map_or(LiquidValue::Nil, |s| LiquidValue::Scalar(s.into_owned())),
        }
    }

    fn as_scalar(&self) -> Option<ScalarCow<'_>> {
        self.scalar()
    }

    fn as_array(&self) -> Option<&dyn ArrayView> {
        match self {
            Scope::Array(array) => Some(array),
            _ => None,
        }
    }

    fn as_object(&self) -> Option<&dyn ObjectView> {
        match self {
            Scope::Object(object) => Some(object),
            Scope::Nil => Some(&NOTHING),
            _ => None,
        }
    }

    fn is_nil(&self) -> bool {
        matches!(self, Scope::Nil)
    }
}

/// Truthy; default, empty and blank when it has nothing in it.
fn collection_state(is_empty: bool, state: State) -> bool {
    match state {
        State::Truthy => true,
        State::DefaultValue | State::Empty | State::Blank => is_empty,
    }
}

impl ValueView for ScopeArray {
    fn as_debug(&self) -> &dyn fmt::Debug {
        self
    }

    /// LiquidJS prints the elements one after the other.
    fn render(&self) -> DisplayCow<'_> {
        let joined: String = self
            .0
            .iter()
            .map(|item| item.render().to_string())
            .collect();
        DisplayCow::Owned(Box::new(joined))
    }

    fn source(&self) -> DisplayCow<'_> {
        self.render()
    }

    fn type_name(&self) -> &'static str {
        "array"
    }

    fn query_state(&self, state: State) -> bool {
        collection_state(self.0.is_empty(), state)
    }

    fn to_kstr(&self) -> KStringCow<'_> {
        KStringCow::from_string(self.render().to_string())
    }

    fn to_value(&self) -> LiquidValue {
        LiquidValue::Array(self.0.iter().map(ValueView::to_value).collect())
    }

    fn as_array(&self) -> Option<&dyn ArrayView> {
        Some(self)
    }
}

impl ArrayView for ScopeArray {
    fn as_value(&self) -> &dyn ValueView {
        self
    }

    fn size(&self) -> i64 {
        self.0.len() as i64
    }

    fn values<'k>(&'k self) -> Box<dyn Iterator<Item = &'k dyn ValueView> + 'k> {
        Box::new(self.0.iter().map(|item| item as &dyn ValueView))
    }

    fn contains_key(&self, _index: i64) -> bool {
        true
    }

    /// Negative indexes count from the end; out of range is nil.
    fn get(&self, index: i64) -> Option<&dyn ValueView> {
        let index = if index < 0 {
            index.checked_add(self.size())
        } else {
            Some(index)
        };
        let item = index
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.0.as_slice().get(i));
        Some(item.unwrap_or(&NIL))
    }
}

impl ValueView for ScopeObject {
    fn as_debug(&self) -> &dyn fmt::Debug {
        self
    }

    /// JS `String(object)`.
    fn render(&self) -> DisplayCow<'_> {
        DisplayCow::Borrowed(&"[object Object]")
    }

    fn source(&self) -> DisplayCow<'_> {
        self.render()
    }

    fn type_name(&self) -> &'static str {
        "object"
    }

    fn query_state(&self, state: State) -> bool {
        collection_state(self.0.is_empty(), state)
    }

    fn to_kstr(&self) -> KStringCow<'_> {
        KStringCow::from_static("[object Object]")
    }

    /// Owned, an object is what LiquidJS prints for it (see the module comment).
    fn to_value(&self) -> LiquidValue {
        LiquidValue::scalar("[object Object]")
    }

    fn as_object(&self) -> Option<&dyn ObjectView> {
        Some(self)
    }
}

impl ObjectView for ScopeObject {
    fn as_value(&self) -> &dyn ValueView {
        self
    }

    fn size(&self) -> i64 {
        self.0.len() as i64
    }

    fn keys<'k>(&'k self) -> Box<dyn Iterator<Item = KStringCow<'k>> + 'k> {
        Box::new(self.0.iter().map(|(k, _)| KStringCow::from_ref(k)))
    }

    fn values<'k>(&'k self) -> Box<dyn Iterator<Item = &'k dyn ValueView> + 'k> {
        Box::new(self.0.iter().map(|(_, v)| v as &dyn ValueView))
    }

    fn iter<'k>(&'k self) -> Box<dyn Iterator<Item = (KStringCow<'k>, &'k dyn ValueView)> + 'k> {
        Box::new(
            self.0
                .iter()
                .map(|(k, v)| (KStringCow::from_ref(k), v as &dyn ValueView)),
        )
    }

    /// Every key "exists": a missing one reads as nil, as `undefined` does in LiquidJS.
    fn contains_key(&self, _index: &str) -> bool {
        true
    }

    fn get<'s>(&'s self, index: &str) -> Option<&'s dyn ValueView> {
        let found = self.0.iter().find(|(k, _)| k == index).map(|(_, v)| v);
        Some(found.unwrap_or(&NIL))
    }
}

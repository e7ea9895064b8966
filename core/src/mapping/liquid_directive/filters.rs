//! Filters re-implemented with LiquidJS's semantics: strings (bounded in size) and arithmetic.

use std::fmt;

use liquid::model::{State, Value as LiquidValue};
use liquid_core::model::{ValueCow, ValueView};
use liquid_core::parser::{FilterArguments, FilterReflection, ParameterReflection, ParseFilter};
use liquid_core::runtime::Runtime;
use liquid_core::{Expression, Filter};

use super::{memory_limit, MAX_STRING_BYTES};
use sluice_js::number_to_string as f64_to_js_string;
use crate::mapping::value::{expand_replacement, js_trim};

pub(super) type FilterFn = fn(&dyn ValueView, &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue>;

/// Filters re-implemented with LiquidJS's semantics (and, for strings, a size bound).
pub(super) const JS_FILTERS: [(&str, FilterFn); 16] = [
    ("append", append),
    ("prepend", prepend),
    ("replace", replace),
    ("replace_first", replace_first),
    ("join", join),
    ("plus", |v, a| arithmetic(v, a, |x, y| x + y)),
    ("minus", |v, a| arithmetic(v, a, |x, y| x - y)),
    ("times", |v, a| arithmetic(v, a, |x, y| x * y)),
    ("modulo", |v, a| arithmetic(v, a, |x, y| x % y)),
    ("at_least", |v, a| arithmetic(v, a, f64::max)),
    ("at_most", |v, a| arithmetic(v, a, f64::min)),
    ("divided_by", divided_by),
    ("abs", |v, _| Ok(number_value(to_number(v).abs()))),
    ("ceil", |v, _| Ok(number_value(to_number(v).ceil()))),
    ("floor", |v, _| Ok(number_value(to_number(v).floor()))),
    ("round", round),
];

/// A filter with LiquidJS's semantics; `run: None` is a disabled filter, which, as in LiquidJS,
/// only fails when it runs.
#[derive(Clone)]
pub(super) struct JsFilter {
    pub(super) name: &'static str,
    pub(super) run: Option<FilterFn>,
}

impl FilterReflection for JsFilter {
    fn name(&self) -> &str {
        self.name
    }

    fn description(&self) -> &str {
        ""
    }

    fn positional_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }

    fn keyword_parameters(&self) -> &'static [ParameterReflection] {
        &[]
    }
}

impl ParseFilter for JsFilter {
    fn parse(&self, arguments: FilterArguments<'_>) -> liquid_core::Result<Box<dyn Filter>> {
        let arguments = arguments.positional.collect();
        Ok(Box::new(ParsedJsFilter {
            name: self.name,
            run: self.run,
            arguments,
        }))
    }

    fn reflection(&self) -> &dyn FilterReflection {
        self
    }
}

#[derive(Debug)]
struct ParsedJsFilter {
    name: &'static str,
    run: Option<FilterFn>,
    arguments: Vec<Expression>,
}

impl fmt::Display for ParsedJsFilter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let arguments: Vec<String> = self.arguments.iter().map(ToString::to_string).collect();
        write!(f, "{}: {}", self.name, arguments.join(", "))
    }
}

impl Filter for ParsedJsFilter {
    fn evaluate(
        &self,
        input: &dyn ValueView,
        runtime: &dyn Runtime,
    ) -> liquid_core::Result<LiquidValue> {
        let Some(run) = self.run else {
            return Err(liquid_core::Error::with_msg(format!(
                "filter \"{}\" is disabled",
                self.name
            )));
        };
        let arguments = self
            .arguments
            .iter()
            .map(|a| a.evaluate(runtime))
            .collect::<liquid_core::Result<Vec<_>>>()?;
        run(input, &arguments)
    }
}

/// LiquidJS `stringify`: nil is empty, everything else renders.
fn text(value: &dyn ValueView) -> String {
    if value.is_nil() {
        String::new()
    } else {
        value.render().to_string()
    }
}

fn argument(arguments: &[ValueCow<'_>], at: usize) -> String {
    arguments
        .get(at)
        .map(|a| text(a.as_view()))
        .unwrap_or_default()
}

fn bounded(text: String) -> liquid_core::Result<LiquidValue> {
    if text.len() > MAX_STRING_BYTES {
        return Err(memory_limit());
    }
    Ok(LiquidValue::scalar(text))
}

fn append(input: &dyn ValueView, arguments: &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue> {
    bounded(text(input) + &argument(arguments, 0))
}

fn prepend(input: &dyn ValueView, arguments: &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue> {
    bounded(argument(arguments, 0) + &text(input))
}

/// `str.split(pattern).join(replacement)`: every occurrence, literally.
fn replace(input: &dyn ValueView, arguments: &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue> {
    let (input, pattern, replacement) =
        (text(input), argument(arguments, 0), argument(arguments, 1));
    let pieces: Vec<&str> = if pattern.is_empty() {
        input
            .char_indices()
            .map(|(i, c)| &input[i..i + c.len_utf8()])
            .collect()
    } else {
        input.split(pattern.as_str()).collect()
    };
    let size = pieces.iter().map(|p| p.len()).sum::<usize>()
        + pieces.len().saturating_sub(1) * replacement.len();
    if size > MAX_STRING_BYTES {
        return Err(memory_limit());
    }
    Ok(LiquidValue::scalar(pieces.join(&replacement)))
}

/// `str.replace(pattern, replacement)`: the first occurrence, with JS `$` substitutions.
fn replace_first(
    input: &dyn ValueView,
    arguments: &[ValueCow<'_>],
) -> liquid_core::Result<LiquidValue> {
    let (input, pattern, replacement) =
        (text(input), argument(arguments, 0), argument(arguments, 1));
    let Some(start) = input.find(pattern.as_str()) else {
        return Ok(LiquidValue::scalar(input));
    };
    let found = start..start + pattern.len();
    // `$'` and `` $` `` copy the input once per occurrence in the replacement.
    if input.len() + replacement.len() * (input.len() + 1) > MAX_STRING_BYTES {
        return Err(memory_limit());
    }
    let mut out = input[..found.start].to_owned();
    expand_replacement(&replacement, &input, found.clone(), &mut out);
    out.push_str(&input[found.end..]);
    bounded(out)
}

/// `toArray(v).join(separator ?? ' ')`.
fn join(input: &dyn ValueView, arguments: &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue> {
    let items: Vec<String> = match input.as_array() {
        Some(array) => array.values().map(text).collect(),
        None if input.is_nil() => Vec::new(),
        None => vec![text(input)],
    };
    let separator = arguments
        .first()
        .map_or_else(|| " ".to_owned(), |s| text(s.as_view()));
    let size = items.iter().map(String::len).sum::<usize>()
        + items.len().saturating_sub(1) * separator.len();
    if size > MAX_STRING_BYTES {
        return Err(memory_limit());
    }
    Ok(LiquidValue::scalar(items.join(&separator)))
}

/// LiquidJS `toNumber`: JS `Number(value)`, with NaN read as 0.
fn to_number(value: &dyn ValueView) -> f64 {
    let number = if let Some(array) = value.as_array() {
        match array.size() {
            0 => 0.0,
            1 => array
                .first()
                .map_or(f64::NAN, |item| js_number(&text(item))),
            _ => f64::NAN,
        }
    } else if let Some(scalar) = value.as_scalar() {
        match value.type_name() {
            "whole number" | "fractional number" => scalar.to_float().unwrap_or(f64::NAN),
            "boolean" => f64::from(u8::from(scalar.to_bool().unwrap_or(false))),
            _ => js_number(&scalar.to_kstr()),
        }
    } else if value.is_nil() {
        0.0
    } else {
        f64::NAN
    };
    if number.is_nan() {
        0.0
    } else {
        number
    }
}

/// JS `Number(string)`.
fn js_number(text: &str) -> f64 {
    let text = js_trim(text);
    if text.is_empty() {
        return 0.0;
    }
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    if unsigned == "Infinity" {
        return if text.starts_with('-') {
            f64::NEG_INFINITY
        } else {
            f64::INFINITY
        };
    }
    for (prefix, radix) in [
        ("0x", 16),
        ("0X", 16),
        ("0o", 8),
        ("0O", 8),
        ("0b", 2),
        ("0B", 2),
    ] {
        if let Some(digits) = text.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix).map_or(f64::NAN, |n| n as f64);
        }
    }
    let decimal = unsigned
        .bytes()
        .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
    if decimal && unsigned.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
        text.parse().unwrap_or(f64::NAN)
    } else {
        f64::NAN
    }
}

/// A JS number as a liquid value that prints as JS prints it.
fn number_value(number: f64) -> LiquidValue {
    const SAFE: f64 = 9_007_199_254_740_991.0;
    if number.fract() == 0.0 && number.abs() <= SAFE {
        return LiquidValue::scalar(number as i64);
    }
    let printed = f64_to_js_string(number);
    if number.is_finite() && !printed.contains('e') {
        LiquidValue::scalar(number)
    } else {
        LiquidValue::scalar(printed)
    }
}

fn argument_number(arguments: &[ValueCow<'_>], at: usize) -> f64 {
    arguments.get(at).map_or(0.0, |a| to_number(a.as_view()))
}

fn arithmetic(
    input: &dyn ValueView,
    arguments: &[ValueCow<'_>],
    op: fn(f64, f64) -> f64,
) -> liquid_core::Result<LiquidValue> {
    Ok(number_value(op(
        to_number(input),
        argument_number(arguments, 0),
    )))
}

/// Float division, or floored with a truthy third argument (`integerArithmetic`).
fn divided_by(
    input: &dyn ValueView,
    arguments: &[ValueCow<'_>],
) -> liquid_core::Result<LiquidValue> {
    let quotient = to_number(input) / argument_number(arguments, 0);
    let integer = arguments
        .get(1)
        .is_some_and(|a| a.query_state(State::Truthy));
    Ok(number_value(if integer {
        quotient.floor()
    } else {
        quotient
    }))
}

/// `Math.round(v * 10^places) / 10^places`; JS rounds halves up, towards +∞.
fn round(input: &dyn ValueView, arguments: &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue> {
    let scale = 10f64.powf(argument_number(arguments, 0));
    let scaled = to_number(input) * scale;
    let floor = scaled.floor();
    let rounded = if scaled - floor >= 0.5 {
        floor + 1.0
    } else {
        floor
    };
    Ok(number_value(rounded / scale))
}

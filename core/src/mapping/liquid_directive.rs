//! `@liquid` (`liquid-directive.ts`): a LiquidJS template over the event, rendered with the
//! `liquid` crate under the reference's restrictions.
//!
//! The reference limits templates to 1000 characters, disables the looping, including and
//! array-reshaping tags and filters, and lets LiquidJS cap render time and memory. This port
//! keeps the same tags and filters out (with LiquidJS's messages) and replaces the caps with
//! a bound on every string the template can build: without loops, the only way to grow output
//! is to feed a value back into itself (`assign`, `capture`, `append`, `replace`, `join`), and
//! those are re-implemented here with a size check.
//!
//! The event is seen as LiquidJS sees it: a missing key, index or path reads as nil instead of
//! failing as the `liquid` crate would, arithmetic is JS float arithmetic, and an object prints
//! as `[object Object]`. The last point is also what keeps output deterministic: the crate's own
//! objects are hash maps, so an object is only an object while a path walks through it.

use std::fmt;
use std::io::{self, Write};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::OnceLock;

use liquid::model::{KString, KStringCow, ScalarCow, State, Value as LiquidValue};
use liquid_core::model::{ArrayView, DisplayCow, ObjectView, ValueCow, ValueView};
use liquid_core::parser::{FilterArguments, FilterChain, FilterReflection, ParameterReflection, ParseFilter};
use liquid_core::runtime::{Renderable, Runtime};
use liquid_core::{BlockReflection, Expression, Filter, Language, ParseBlock, ParseTag, TagBlock, TagReflection, TagTokenIter, Template};
use regex::Regex;
use serde_json::{Number, Value};

use super::directives::expand_replacement;
use super::value::{f64_to_js_string, js_length, js_trim, Js};
use super::MappingError;

const MAX_TEMPLATE_LENGTH: usize = 1000;
/// The largest string a template may build or output.
const MAX_STRING_BYTES: usize = 1 << 20;
const MEMORY_LIMIT: &str = "memory alloc limit exceeded";

const DISABLED_TAGS: [&str; 6] = ["case", "for", "include", "layout", "render", "tablerow"];
const DISABLED_FILTERS: [&str; 20] = [
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

/// Renders the template with the event as its globals.
pub(crate) fn evaluate(template: &Value, payload: &Js) -> Result<Js, MappingError> {
    let Value::String(template) = template else {
        return Err(MappingError::new("liquid template value must be a string"));
    };
    if template.is_empty() {
        return Ok(Js::String(String::new()));
    }
    if js_length(template) > MAX_TEMPLATE_LENGTH {
        return Err(MappingError::new("liquid template values are limited to 1000 characters"));
    }
    let parser = parser().map_err(|e| MappingError::new(e.clone()))?;
    let globals = match Scope::from(payload) {
        Scope::Object(globals) => globals,
        _ => ScopeObject::default(),
    };
    let mut output = BoundedBuffer::default();
    // The `liquid` crate has arithmetic that panics on extreme integers (`i64::MIN | modulo: -1`);
    // a template must not be able to take the host down.
    let rendered = catch_unwind(AssertUnwindSafe(|| {
        parser.parse(template).and_then(|parsed| parsed.render_to(&mut output, &globals))
    }));
    match rendered {
        Ok(Ok(())) => Ok(Js::String(String::from_utf8_lossy(&output.bytes).into_owned())),
        Ok(Err(_)) if output.exceeded => Err(MappingError::new(MEMORY_LIMIT)),
        Ok(Err(error)) => Err(MappingError::new(describe(&error, template))),
        Err(_) => Err(MappingError::new("liquid template could not be rendered")),
    }
}

fn parser() -> Result<&'static liquid::Parser, &'static String> {
    static PARSER: OnceLock<Result<liquid::Parser, String>> = OnceLock::new();
    PARSER.get_or_init(build_parser).as_ref()
}

/// The standard library, minus the disabled tags and filters, with the growing pieces bounded.
/// A tag takes precedence over a block of the same name, so the disabled tags also hide the
/// `case`, `for` and `tablerow` blocks.
fn build_parser() -> Result<liquid::Parser, String> {
    let mut builder = liquid::ParserBuilder::with_stdlib().tag(BoundedAssign).block(BoundedCapture);
    for name in DISABLED_TAGS {
        builder = builder.tag(DisabledTag(name));
    }
    for name in DISABLED_FILTERS {
        builder = builder.filter(JsFilter { name, run: None });
    }
    for (name, run) in JS_FILTERS {
        builder = builder.filter(JsFilter { name, run: Some(run) });
    }
    builder.build().map_err(|e| e.to_string())
}

/// The reference's message: LiquidJS appends the position of the failing token to its own.
fn describe(error: &liquid_core::Error, template: &str) -> String {
    let text = error.to_string();
    let first_line = text.lines().next().unwrap_or_default();
    let message = first_line.strip_prefix("liquid: ").unwrap_or(first_line);
    match disabled_token_offset(message, template) {
        Some(offset) => {
            let (line, col) = position(template, offset);
            format!("{message}, line:{line}, col:{col}")
        }
        None => message.to_owned(),
    }
}

/// Where the token that uses a disabled tag or filter starts.
fn disabled_token_offset(message: &str, template: &str) -> Option<usize> {
    let name_of = |kind: &str| {
        message.strip_prefix(&format!("{kind} \""))?.strip_suffix("\" is disabled").map(regex::escape)
    };
    let (tokens, usage) = if let Some(tag) = name_of("tag") {
        (r"\{%-?\s*", format!(r"^{tag}\b"))
    } else {
        let filter = name_of("filter")?;
        (r"\{\{|\{%", format!(r"\|\s*{filter}\b"))
    };
    let starts = Regex::new(tokens).ok()?;
    let usage = Regex::new(&usage).ok()?;
    let offset = starts.find_iter(template).find_map(|start| {
        let rest = &template[start.end()..];
        let token = rest.split(['}', '%']).next().unwrap_or(rest);
        usage.is_match(token).then_some(start.start())
    });
    offset
}

/// 1-based line and column (in UTF-16 units, as JS counts) of a byte offset.
fn position(template: &str, offset: usize) -> (usize, usize) {
    let before = &template[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, js_length(&before[line_start..]) + 1)
}

#[derive(Default)]
struct BoundedBuffer {
    bytes: Vec<u8>,
    exceeded: bool,
}

impl Write for BoundedBuffer {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.bytes.len() + buf.len() > MAX_STRING_BYTES {
            self.exceeded = true;
            return Err(io::Error::other(MEMORY_LIMIT));
        }
        self.bytes.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

fn memory_limit() -> liquid_core::Error {
    liquid_core::Error::with_msg(MEMORY_LIMIT)
}

/// A tag that LiquidJS was told to reject while parsing.
#[derive(Clone)]
struct DisabledTag(&'static str);

impl TagReflection for DisabledTag {
    fn tag(&self) -> &str {
        self.0
    }

    fn description(&self) -> &str {
        "disabled"
    }
}

impl ParseTag for DisabledTag {
    fn parse(&self, _arguments: TagTokenIter<'_>, _options: &Language) -> liquid_core::Result<Box<dyn Renderable>> {
        Err(liquid_core::Error::with_msg(format!("tag \"{}\" is disabled", self.0)))
    }

    fn reflection(&self) -> &dyn TagReflection {
        self
    }
}

/// `{% assign name = value | filters %}`, refusing values over the size bound.
#[derive(Clone)]
struct BoundedAssign;

impl TagReflection for BoundedAssign {
    fn tag(&self) -> &str {
        "assign"
    }

    fn description(&self) -> &str {
        "assigns a value to a variable"
    }
}

impl ParseTag for BoundedAssign {
    fn parse(&self, mut arguments: TagTokenIter<'_>, options: &Language) -> liquid_core::Result<Box<dyn Renderable>> {
        let name = arguments.expect_next("Identifier expected.")?.expect_identifier().into_result()?;
        let name = KString::from_ref(name);
        arguments
            .expect_next("Assignment operator \"=\" expected.")?
            .expect_str("=")
            .into_result_custom_msg("Assignment operator \"=\" expected.")?;
        let value = arguments.expect_next("FilterChain expected.")?.expect_filter_chain(options).into_result()?;
        arguments.expect_nothing()?;
        Ok(Box::new(Assign { name, value }))
    }

    fn reflection(&self) -> &dyn TagReflection {
        self
    }
}

#[derive(Debug)]
struct Assign {
    name: KString,
    value: FilterChain,
}

impl Renderable for Assign {
    fn render_to(&self, _writer: &mut dyn Write, runtime: &dyn Runtime) -> liquid_core::Result<()> {
        let value = self.value.evaluate(runtime)?.into_owned();
        if size_of(&value) > MAX_STRING_BYTES {
            return Err(memory_limit());
        }
        runtime.set_global(self.name.clone(), value);
        Ok(())
    }
}

/// Roughly how many bytes a value takes when rendered.
fn size_of(value: &dyn ValueView) -> usize {
    if let Some(array) = value.as_array() {
        array.values().map(size_of).sum()
    } else if let Some(object) = value.as_object() {
        object.iter().map(|(k, v)| k.len() + size_of(v)).sum()
    } else {
        value.to_kstr().len()
    }
}

/// `{% capture name %}…{% endcapture %}`, into a bounded buffer.
#[derive(Clone)]
struct BoundedCapture;

impl BlockReflection for BoundedCapture {
    fn start_tag(&self) -> &str {
        "capture"
    }

    fn end_tag(&self) -> &str {
        "endcapture"
    }

    fn description(&self) -> &str {
        "captures rendered text into a variable"
    }
}

impl ParseBlock for BoundedCapture {
    fn parse(
        &self,
        mut arguments: TagTokenIter<'_>,
        mut block: TagBlock<'_, '_>,
        options: &Language,
    ) -> liquid_core::Result<Box<dyn Renderable>> {
        let name = arguments.expect_next("Identifier expected")?.expect_identifier().into_result()?;
        let name = KString::from_ref(name);
        arguments.expect_nothing()?;
        let body = Template::new(block.parse_all(options)?);
        Ok(Box::new(Capture { name, body }))
    }

    fn reflection(&self) -> &dyn BlockReflection {
        self
    }
}

#[derive(Debug)]
struct Capture {
    name: KString,
    body: Template,
}

impl Renderable for Capture {
    fn render_to(&self, _writer: &mut dyn Write, runtime: &dyn Runtime) -> liquid_core::Result<()> {
        let mut captured = BoundedBuffer::default();
        let rendered = self.body.render_to(&mut captured, runtime);
        if captured.exceeded {
            return Err(memory_limit());
        }
        rendered?;
        let text = String::from_utf8_lossy(&captured.bytes).into_owned();
        runtime.set_global(self.name.clone(), LiquidValue::scalar(text));
        Ok(())
    }
}

type FilterFn = fn(&dyn ValueView, &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue>;

/// Filters re-implemented with LiquidJS's semantics (and, for strings, a size bound).
const JS_FILTERS: [(&str, FilterFn); 16] = [
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
struct JsFilter {
    name: &'static str,
    run: Option<FilterFn>,
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
        Ok(Box::new(ParsedJsFilter { name: self.name, run: self.run, arguments }))
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
    fn evaluate(&self, input: &dyn ValueView, runtime: &dyn Runtime) -> liquid_core::Result<LiquidValue> {
        let Some(run) = self.run else {
            return Err(liquid_core::Error::with_msg(format!("filter \"{}\" is disabled", self.name)));
        };
        let arguments = self.arguments.iter().map(|a| a.evaluate(runtime)).collect::<liquid_core::Result<Vec<_>>>()?;
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
    arguments.get(at).map(|a| text(a.as_view())).unwrap_or_default()
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
    let (input, pattern, replacement) = (text(input), argument(arguments, 0), argument(arguments, 1));
    let pieces: Vec<&str> = if pattern.is_empty() {
        input.char_indices().map(|(i, c)| &input[i..i + c.len_utf8()]).collect()
    } else {
        input.split(pattern.as_str()).collect()
    };
    let size = pieces.iter().map(|p| p.len()).sum::<usize>() + pieces.len().saturating_sub(1) * replacement.len();
    if size > MAX_STRING_BYTES {
        return Err(memory_limit());
    }
    Ok(LiquidValue::scalar(pieces.join(&replacement)))
}

/// `str.replace(pattern, replacement)`: the first occurrence, with JS `$` substitutions.
fn replace_first(input: &dyn ValueView, arguments: &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue> {
    let (input, pattern, replacement) = (text(input), argument(arguments, 0), argument(arguments, 1));
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
    let separator = arguments.first().map_or_else(|| " ".to_owned(), |s| text(s.as_view()));
    let size = items.iter().map(String::len).sum::<usize>() + items.len().saturating_sub(1) * separator.len();
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
            1 => array.first().map_or(f64::NAN, |item| js_number(&text(item))),
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
        return if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY };
    }
    for (prefix, radix) in [("0x", 16), ("0X", 16), ("0o", 8), ("0O", 8), ("0b", 2), ("0B", 2)] {
        if let Some(digits) = text.strip_prefix(prefix) {
            return u64::from_str_radix(digits, radix).map_or(f64::NAN, |n| n as f64);
        }
    }
    let decimal = unsigned.bytes().all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'E' | b'+' | b'-'));
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

fn arithmetic(input: &dyn ValueView, arguments: &[ValueCow<'_>], op: fn(f64, f64) -> f64) -> liquid_core::Result<LiquidValue> {
    Ok(number_value(op(to_number(input), argument_number(arguments, 0))))
}

/// Float division, or floored with a truthy third argument (`integerArithmetic`).
fn divided_by(input: &dyn ValueView, arguments: &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue> {
    let quotient = to_number(input) / argument_number(arguments, 0);
    let integer = arguments.get(1).is_some_and(|a| a.query_state(State::Truthy));
    Ok(number_value(if integer { quotient.floor() } else { quotient }))
}

/// `Math.round(v * 10^places) / 10^places`; JS rounds halves up, towards +∞.
fn round(input: &dyn ValueView, arguments: &[ValueCow<'_>]) -> liquid_core::Result<LiquidValue> {
    let scale = 10f64.powf(argument_number(arguments, 0));
    let scaled = to_number(input) * scale;
    let floor = scaled.floor();
    let rounded = if scaled - floor >= 0.5 { floor + 1.0 } else { floor };
    Ok(number_value(rounded / scale))
}

/// The event as LiquidJS sees it: JS-like rendering, and a missing key, index or path
/// below a missing value reads as nil.
#[derive(Debug)]
enum Scope {
    Nil,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Array(ScopeArray),
    Object(ScopeObject),
}

#[derive(Debug, Default)]
struct ScopeArray(Vec<Scope>);

#[derive(Debug, Default)]
struct ScopeObject(Vec<(String, Scope)>);

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
            Js::Object(entries) => {
                Scope::Object(ScopeObject(entries.iter().map(|(k, v)| (k.clone(), Scope::from(v))).collect()))
            }
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
            scalar => scalar.scalar().map_or(LiquidValue::Nil, |s| LiquidValue::Scalar(s.into_owned())),
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
        let joined: String = self.0.iter().map(|item| item.render().to_string()).collect();
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
        let index = if index < 0 { index.checked_add(self.size()) } else { Some(index) };
        let item = index.and_then(|i| usize::try_from(i).ok()).and_then(|i| self.0.as_slice().get(i));
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
        Box::new(self.0.iter().map(|(k, v)| (KStringCow::from_ref(k), v as &dyn ValueView)))
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

//! The JavaScript semantics the reference relies on, shared by mapping and
//! validation: `Number(string)`, `String(number)` and how `JSON.stringify`
//! writes a number.

use serde_json::{Number, Value};

/// ECMAScript `WhiteSpace` and `LineTerminator`, which `Number()` trims and the
/// date parsers skip. Differs from `char::is_whitespace` (U+0085, U+FEFF).
pub fn is_js_space(c: char) -> bool {
    is_js_white_space(c) || matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}')
}

/// ECMAScript `WhiteSpace` only (no line terminators).
pub fn is_js_white_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{0B}' | '\u{0C}' | ' ' | '\u{A0}' | '\u{FEFF}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// `Number(s)` (StringToNumber): trimmed; empty is 0; `0x`/`0o`/`0b` literals;
/// signed decimals and `Infinity`; anything else is NaN.
pub fn string_to_number(s: &str) -> f64 {
    let t = s.trim_matches(is_js_space);
    if t.is_empty() {
        return 0.0;
    }
    radix_literal(t)
        .or_else(|| decimal_literal(t))
        .unwrap_or(f64::NAN)
}

fn radix_literal(t: &str) -> Option<f64> {
    let bytes = t.as_bytes();
    if bytes.len() < 3 || bytes[0] != b'0' {
        return None;
    }
    let radix = match bytes[1] {
        b'x' | b'X' => 16,
        b'o' | b'O' => 8,
        b'b' | b'B' => 2,
        _ => return None,
    };
    let mut exact: Option<u128> = Some(0);
    let mut approx = 0.0f64;
    for c in t[2..].chars() {
        let d = c.to_digit(radix)?;
        exact = exact.and_then(|v| v.checked_mul(u128::from(radix))?.checked_add(u128::from(d)));
        approx = approx * f64::from(radix) + f64::from(d);
    }
    // u128 -> f64 rounds correctly; beyond 128 bits the running sum is close enough.
    Some(exact.map_or(approx, |v| v as f64))
}

fn decimal_literal(t: &str) -> Option<f64> {
    let (negative, body) = match t.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, t.strip_prefix('+').unwrap_or(t)),
    };
    let magnitude = if body == "Infinity" {
        f64::INFINITY
    } else if is_decimal_digits(body) {
        body.parse::<f64>().ok()?
    } else {
        return None;
    };
    Some(if negative { -magnitude } else { magnitude })
}

/// `StrUnsignedDecimalLiteral` without `Infinity`: `1`, `1.`, `.5`, `1.5e-3`.
fn is_decimal_digits(body: &str) -> bool {
    let (mantissa, exponent) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = all_digits(int) && all_digits(frac) && !(int.is_empty() && frac.is_empty());
    let exponent_ok = exponent.is_none_or(|e| {
        let digits = e.strip_prefix(['+', '-']).unwrap_or(e);
        !digits.is_empty() && all_digits(digits)
    });
    mantissa_ok && exponent_ok
}

/// `String(n)` (Number::toString): shortest round-trip digits, exponent form
/// outside `1e-7 < |n| < 1e21`.
pub fn number_to_string(v: f64) -> String {
    if v.is_nan() {
        return "NaN".into();
    }
    if v == 0.0 {
        return "0".into();
    }
    if v.is_infinite() {
        return if v > 0.0 { "Infinity" } else { "-Infinity" }.into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    // Rust's `{:e}` also prints the shortest round-trip digits: "1.5e-7".
    let sci = format!("{:e}", v.abs());
    let Some((mantissa, exp)) = sci.split_once('e') else {
        return format!("{sign}{sci}");
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    let Ok(exp) = exp.parse::<i32>() else {
        return format!("{sign}{sci}");
    };
    format!("{sign}{}", layout_digits(&digits, exp + 1))
}

/// Number::toString step 6-10, for digits `d1..dk` and value `0.d1..dk × 10^n`.
fn layout_digits(digits: &str, n: i32) -> String {
    let k = digits.len() as i32;
    if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (int, frac) = digits.split_at(n as usize);
        format!("{int}.{frac}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let e = n - 1;
        let exp = if e >= 0 {
            format!("+{e}")
        } else {
            e.to_string()
        };
        let (first, rest) = digits.split_at(1);
        if rest.is_empty() {
            format!("{first}e{exp}")
        } else {
            format!("{first}.{rest}e{exp}")
        }
    }
}

/// A JSON value, where it is an f64, as JS would write it: integral values as
/// integers, non-finite ones as `null` (`JSON.stringify(Infinity)`).
pub fn number_value(v: f64) -> Value {
    if !v.is_finite() {
        return Value::Null;
    }
    // Exact: every integral f64 inside this range fits an i64.
    if v.fract() == 0.0 && v.abs() < 9.0e15 {
        return Value::from(v as i64);
    }
    Number::from_f64(v).map_or(Value::Null, Value::Number)
}

/// A JSON number as the f64 JS would hold.
pub fn as_f64(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_to_number_follows_js() {
        let cases: &[(&str, f64)] = &[
            (" 12 ", 12.0),
            ("12.0", 12.0),
            ("1e3", 1000.0),
            ("0x10", 16.0),
            ("0b101", 5.0),
            ("0o17", 15.0),
            ("-3", -3.0),
            ("+.5", 0.5),
            ("5.", 5.0),
            ("", 0.0),
            ("  \n", 0.0),
            ("-Infinity", f64::NEG_INFINITY),
            ("1E+2", 100.0),
        ];
        for (s, want) in cases {
            assert_eq!(string_to_number(s), *want, "{s:?}");
        }
        for s in [
            "abc", "0x", "-0x10", "1e", ".", "e5", "infinity", "NaN", "1_000", "12px", "\u{85}1",
        ] {
            assert!(string_to_number(s).is_nan(), "{s:?}");
        }
    }

    #[test]
    fn number_to_string_follows_js() {
        let cases: &[(f64, &str)] = &[
            (12.0, "12"),
            (1.5, "1.5"),
            (-0.0, "0"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (123456789012345680000.0, "123456789012345680000"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (1.25e-7, "1.25e-7"),
            (-2.5e30, "-2.5e+30"),
            (0.1 + 0.2, "0.30000000000000004"),
            (f64::INFINITY, "Infinity"),
            (f64::NAN, "NaN"),
        ];
        for (v, want) in cases {
            assert_eq!(number_to_string(*v), *want);
        }
    }

    #[test]
    fn number_value_prints_like_json_stringify() {
        assert_eq!(number_value(12.0), Value::from(12));
        assert_eq!(number_value(-0.0), Value::from(0));
        assert_eq!(number_value(1.5), Value::from(1.5));
        assert_eq!(number_value(f64::INFINITY), Value::Null);
    }
}

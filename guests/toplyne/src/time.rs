//! `dayjs(x).unix()` as the reference computes Toplyne's time fields (dayjs
//! 1.10.7, TZ=UTC): numbers are epoch milliseconds; strings matching dayjs's
//! own pattern (and not ending in `Z`) are wall-clock UTC with overflow; any
//! other string goes to `Date.parse` (V8's, from `sluice-js`, the same parser
//! the host's validation uses), so ISO with `Z` or an offset, RFC 2822 and the
//! rest. Anything unparseable becomes `null`, as `NaN` serialises.

use sluice_guest::Value;

pub fn unix_seconds(v: &Value) -> Value {
    let ms = match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => parse_ms(s),
        Value::Bool(b) => Some(if *b { 1.0 } else { 0.0 }),
        _ => None,
    };
    match ms {
        Some(ms) if ms.is_finite() => Value::from((ms / 1000.0).floor() as i64),
        _ => Value::Null,
    }
}

fn parse_ms(s: &str) -> Option<f64> {
    if !s.ends_with(['Z', 'z']) {
        if let Some(ms) = dayjs_regex(s) {
            return Some(ms);
        }
    }
    sluice_js::js_date_parse(s)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (month 1..=12).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// `Date.UTC(y, month0, d, h, mi, s, ms)`, overflow included.
fn utc_ms(y: i64, month0: i64, d: i64, h: i64, mi: i64, s: i64, ms: i64) -> f64 {
    let y = y + month0.div_euclid(12);
    let m = month0.rem_euclid(12) + 1;
    let days = days_from_civil(y, m, 1) + d - 1;
    ((days * 86_400 + h * 3600 + mi * 60 + s) * 1000 + ms) as f64
}

/// dayjs's REGEX_PARSE branch:
/// `^(\d{4})[-/]?(\d{1,2})?[-/]?(\d{0,2})[Tt\s]*(\d{1,2})?:?(\d{1,2})?:?(\d{1,2})?[.:]?(\d+)?$`
fn dayjs_regex(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let digits = |i: &mut usize, max: usize| -> Option<i64> {
        let start = *i;
        while *i < b.len() && *i - start < max && b[*i].is_ascii_digit() {
            *i += 1;
        }
        (start != *i).then(|| s[start..*i].parse().ok()).flatten()
    };
    let skip = |i: &mut usize, set: &[u8]| {
        if *i < b.len() && set.contains(&b[*i]) {
            *i += 1;
        }
    };
    let year_end = 4;
    if b.len() < 4 || !b[..4].iter().all(u8::is_ascii_digit) {
        return None;
    }
    let year: i64 = s[..year_end].parse().ok()?;
    let mut i = year_end;
    skip(&mut i, b"-/");
    let month = digits(&mut i, 2);
    skip(&mut i, b"-/");
    let day = digits(&mut i, 2);
    while i < b.len() && matches!(b[i], b'T' | b't' | b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    let hour = digits(&mut i, 2);
    skip(&mut i, b":");
    let minute = digits(&mut i, 2);
    skip(&mut i, b":");
    let second = digits(&mut i, 2);
    skip(&mut i, b".:");
    let frac_start = i;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i != b.len() {
        return None;
    }
    let frac = &s[frac_start..i];
    let ms: i64 = if frac.is_empty() { 0 } else { frac[..frac.len().min(3)].parse().ok()? };
    Some(utc_ms(
        year,
        month.unwrap_or(1) - 1,
        day.unwrap_or(1),
        hour.unwrap_or(0),
        minute.unwrap_or(0),
        second.unwrap_or(0),
        ms,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sluice_guest::json;

    #[test]
    fn reference_examples() {
        assert_eq!(unix_seconds(&json!("2023-02-22T15:21:15.449Z")), json!(1677079275));
        assert_eq!(unix_seconds(&json!(1677079275449u64)), json!(1677079275));
        assert_eq!(unix_seconds(&json!(1609459200)), json!(1609459));
        assert_eq!(unix_seconds(&json!(-1500)), json!(-2));
        assert_eq!(unix_seconds(&json!("2023-02-22")), json!(1677024000));
        assert_eq!(unix_seconds(&json!("1677079275")), json!(-9222325200i64));
        assert_eq!(unix_seconds(&json!(null)), json!(null));
        assert_eq!(unix_seconds(&json!("2016-08-17T13:56:10+02:00")), json!(1471434970));
        assert_eq!(unix_seconds(&json!("2018-03-23T23:52:15.034-05:30")), json!(1521868935));
        assert_eq!(unix_seconds(&json!("yesterday")), json!(null));
        // Accepted by validation's date-like check, so it must convert too.
        assert_eq!(unix_seconds(&json!("Wed, 22 Feb 2023 15:21:15 GMT")), json!(1677079275));
        assert_eq!(unix_seconds(&json!("Jan 1 2021")), json!(1609459200));
    }
}

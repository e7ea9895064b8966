//! The `date-like` format (section 3.3): `dayjs(s).isValid()`, or
//! `dayjs.unix(Number(s)).isValid()` when `s` is a canonical number.
//!
//! dayjs parses strings matching its `REGEX_PARSE` itself (always valid: the
//! parts are small enough never to overflow a `Date`) and hands the rest, and
//! anything ending in `Z`, to `new Date(s)`: `sluice_js::js_date_parse`, a port
//! of V8's parser that the Toplyne guest uses too, so what validation accepts
//! the guest can convert.

use std::sync::LazyLock;

use regex::Regex;

pub use sluice_js::js_date_parse;
use sluice_js::{number_to_string, string_to_number, time_clip};

/// Whether the reference's `date-like` format accepts `s`.
pub fn is_date_like(s: &str) -> bool {
    // The common case: V8 and dayjs both accept it (sluice_js tests the shortcut).
    if sluice_js::plain_iso_ms(s).is_some() {
        return true;
    }
    let n = string_to_number(s);
    if number_to_string(n) == s {
        return time_clip(n * 1000.0).is_some();
    }
    dayjs_is_valid(s)
}

fn dayjs_is_valid(s: &str) -> bool {
    let ends_in_z = s.ends_with(['Z', 'z']);
    (!ends_in_z && DAYJS_PARSE.is_match(s)) || js_date_parse(s).is_some()
}

/// The characters of JS's `\s`, for use inside a regex class.
const JS_SPACE: &str = r"\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}";

/// dayjs 1.10.7 `REGEX_PARSE`, with JS's ASCII `\d` and JS's `\s`.
static DAYJS_PARSE: LazyLock<Regex> = LazyLock::new(|| {
    let pattern = format!(
        r"^([0-9]{{4}})[-/]?([0-9]{{1,2}})?[-/]?([0-9]{{0,2}})[Tt{JS_SPACE}]*([0-9]{{1,2}})?:?([0-9]{{1,2}})?:?([0-9]{{1,2}})?[.:]?([0-9]+)?$"
    );
    Regex::new(&pattern).expect("constant pattern")
});

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reference_accepts() {
        for s in [
            "2021-01-01",
            "2021-01-01T00:00:00Z",
            "2021-01-01T00:00:00.000Z",
            "2021-01-01T05:30:00+05:30",
            "2023-10-14T10:41:57-11:00",
            "2024-04-03T01:54:05.258+00:00",
            "Jan 1 2021",
            "Fri, 01 Jan 2021 00:00:00 GMT",
            "2021",
            "20210101",
            "1609459200",
            "1609459200000",
            "1.5",
            "2021-13-45",
        ] {
            assert!(is_date_like(s), "{s:?} should be date-like");
        }
    }

    #[test]
    fn reference_rejects() {
        for s in [
            "yesterday",
            "abc123",
            "12:30",
            "16094592000000000000",
            "",
            "true",
            "NaN",
            "Infinity",
        ] {
            assert!(!is_date_like(s), "{s:?} should not be date-like");
        }
    }

    #[test]
    fn dayjs_regex_branch_is_taken_before_date_parse() {
        // Not a valid ES5 date (month 13) but dayjs builds it with overflow.
        assert!(is_date_like("2021-13-45 10:99"));
        assert!(is_date_like("2021/1/2 3:4:5.678"));
        // The regex's `\s` is JS's: U+3000 counts, U+0085 does not.
        assert!(is_date_like("2021-13-01\u{3000}10"));
        assert!(!is_date_like("2021-13-01\u{85}10"));
        // Ending in Z skips the regex: V8 then rejects month 13.
        assert!(!is_date_like("2021-13-01T00:00:00Z"));
    }

    #[test]
    fn es5_dates_parse_to_epoch_ms() {
        let cases: &[(&str, f64)] = &[
            ("1970-01-01", 0.0),
            ("2021-01-01T00:00:00Z", 1_609_459_200_000.0),
            ("2023-02-22T15:21:15.449Z", 1_677_079_275_449.0),
            ("2021-01-01T05:30:00+05:30", 1_609_459_200_000.0),
            ("2021-01-01T05:30:00+0530", 1_609_459_200_000.0),
            ("2021-01-01T00:00:00.1Z", 1_609_459_200_100.0),
            ("2021-01-01T00:00:00.123456Z", 1_609_459_200_123.0),
            ("2021-01-01T24:00Z", 1_609_545_600_000.0),
            ("+002021-01-01T00:00:00Z", 1_609_459_200_000.0),
            ("-000001-01-01T00:00:00Z", -62_198_755_200_000.0),
            ("2021-01-01t00:00:00z", 1_609_459_200_000.0),
        ];
        for (s, want) in cases {
            assert_eq!(js_date_parse(s), Some(*want), "{s:?}");
        }
        for s in [
            "2021-01-01T24:01Z",
            "2021-01-01T10Z",
            "2021-01-01T00:00:00UTC",
            "2021-01-01T00:00:00+25:00",
            "-000000-01-01T00:00:00Z",
            "+275761-01-01T00:00:00Z",
        ] {
            assert_eq!(js_date_parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn legacy_dates_parse_like_v8() {
        let cases: &[(&str, f64)] = &[
            ("Fri, 01 Jan 2021 00:00:00 GMT", 1_609_459_200_000.0),
            ("Jan 1 2021", 1_609_459_200_000.0),
            ("January 1, 2021 10:00 PM", 1_609_538_400_000.0),
            ("1/2/2021", 1_609_545_600_000.0),
            ("2021-01-01 00:00:00 +0100", 1_609_455_600_000.0),
            (
                "Thu Jan 01 1970 00:00:00 GMT+0000 (Coordinated Universal Time)",
                0.0,
            ),
            ("2021-01-01 10:00", 1_609_495_200_000.0),
            ("1 Jan 21", 1_609_459_200_000.0),
            // One component: V8 pads month and day, and "Jan 15" lands in 2001.
            ("Jan 15", 979_516_800_000.0),
            ("Mon, 1 Jan 2021 00:00:00 UTC+2", 1_609_452_000_000.0),
        ];
        for (s, want) in cases {
            assert_eq!(js_date_parse(s), Some(*want), "{s:?}");
        }
        for s in [
            "yesterday",
            "abc123",
            "12:30",
            "2021-13-45",
            "Jan 2021 garbage",
            "1/2/3/4",
            "13/13/2021",
            "a1",
        ] {
            assert_eq!(js_date_parse(s), None, "{s:?}");
        }
    }

    #[test]
    fn parser_never_panics_on_odd_input() {
        for s in [
            "(",
            ")",
            "((((",
            "-",
            "+999999",
            "99999999999999999999:99",
            "\0",
            "T",
            "Z",
            "+",
            "-1-1-1-1",
            "12345 pm",
            "😀 Jan 1 2021",
            "2021-01-01T00:00:00.😀",
            "2021-01-01T\u{2028}",
        ] {
            let _ = js_date_parse(s);
            let _ = is_date_like(s);
        }
    }
}

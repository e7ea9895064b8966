//! `Date.parse` as V8 does it (Node 20): a port of V8's `DateParser`
//! (`src/date/dateparser*.{h,cc}`): the ES5 ISO form, then the legacy
//! "Safari-compatible" tokenizer. Local time is taken as UTC, which only
//! matters at the edges of the representable range.

use crate::number::{is_js_space, is_js_white_space};

const MS_PER_DAY: f64 = 86_400_000.0;
const MAX_TIME_MS: f64 = 8.64e15;

/// `TimeClip`: `None` for NaN or beyond ±8.64e15 ms.
pub fn time_clip(ms: f64) -> Option<f64> {
    (ms.is_finite() && ms.abs() <= MAX_TIME_MS).then(|| ms.trunc() + 0.0)
}

/// `Date.parse(s)` as V8 does it: milliseconds since the epoch, or `None` for
/// an invalid date.
pub fn js_date_parse(s: &str) -> Option<f64> {
    plain_iso_ms(s).or_else(|| parse_slowly(s))
}

fn parse_slowly(s: &str) -> Option<f64> {
    let parts = DateParser::new(s).parse()?;
    parts.time_value()
}

/// The common case, without the general parser: `YYYY-MM-DDTHH:MM:SS`,
/// optional `.f…`, then `Z` or `±HH:MM`, every part in range (the day within
/// its month). `None` means "not this shape", not "invalid": use
/// [`js_date_parse`], which tries this first.
pub fn plain_iso_ms(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let num = |from: usize, len: usize| -> Option<i64> {
        let part = b.get(from..from + len)?;
        part.iter().all(u8::is_ascii_digit).then(|| part.iter().fold(0, |n, d| n * 10 + i64::from(d - b'0')))
    };
    let at = |i: usize, c: u8| b.get(i) == Some(&c);
    if !(at(4, b'-') && at(7, b'-') && at(10, b'T') && at(13, b':') && at(16, b':')) {
        return None;
    }
    let (year, month, day) = (num(0, 4)?, num(5, 2)?, num(8, 2)?);
    let (hour, minute, second) = (num(11, 2)?, num(14, 2)?, num(17, 2)?);
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let mut i = 19;
    let mut ms = 0;
    if at(i, b'.') {
        let start = i + 1;
        i = start;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        if i == start {
            return None;
        }
        // The first three digits are the milliseconds.
        ms = b[start..i].iter().take(3).chain(std::iter::repeat(&b'0')).take(3).fold(0, |n, d| n * 10 + i64::from(d - b'0'));
    }
    let offset_minutes = match &b[i..] {
        b"Z" => 0,
        [sign @ (b'+' | b'-'), ..] if b.len() == i + 6 && at(i + 3, b':') => {
            let (h, m) = (num(i + 1, 2)?, num(i + 4, 2)?);
            if h > 23 || m > 59 {
                return None;
            }
            if *sign == b'+' { h * 60 + m } else { -(h * 60 + m) }
        }
        _ => return None,
    };
    let days = days_from_civil(year, month) + day - 1;
    let local = ((days * 24 + hour) * 60 + minute - offset_minutes) * 60 + second;
    Some((local * 1000 + ms) as f64)
}

// ---------------------------------------------------------------------------
// V8's DateParser.

const NONE: i32 = i32::MAX;
/// Digits past the ninth are read but ignored.
const MAX_SIGNIFICANT_DIGITS: usize = 9;

fn between(x: i32, lo: i32, hi: i32) -> bool {
    lo <= x && x <= hi
}

fn is_month(x: i32) -> bool {
    between(x, 1, 12)
}
fn is_day(x: i32) -> bool {
    between(x, 1, 31)
}
fn is_hour(x: i32) -> bool {
    between(x, 0, 23)
}
fn is_minute(x: i32) -> bool {
    between(x, 0, 59)
}
fn is_second(x: i32) -> bool {
    between(x, 0, 59)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Keyword {
    Invalid,
    MonthName,
    TimeZoneName,
    TimeSeparator,
    AmPm,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    Invalid,
    Unknown,
    WhiteSpace,
    EndOfInput,
    Number {
        value: i32,
        len: usize,
    },
    Symbol(char),
    /// Any word of characters >= 'A'; `len` counts UTF-16 units.
    Word {
        kind: Keyword,
        value: i32,
        len: usize,
    },
}

impl Token {
    fn is_number(self) -> bool {
        matches!(self, Token::Number { .. })
    }
    fn is_fixed_number(self, n: usize) -> bool {
        matches!(self, Token::Number { len, .. } if len == n)
    }
    fn number(self) -> i32 {
        match self {
            Token::Number { value, .. } => value,
            _ => 0,
        }
    }
    fn is_sign(self) -> bool {
        matches!(self, Token::Symbol('+' | '-'))
    }
    fn sign(self) -> i32 {
        if self == Token::Symbol('-') {
            -1
        } else {
            1
        }
    }
    fn is_keyword(self, kind: Keyword) -> bool {
        matches!(self, Token::Word { kind: k, .. } if k == kind)
    }
    /// A lone `z`/`Z`.
    fn is_keyword_z(self) -> bool {
        matches!(
            self,
            Token::Word {
                kind: Keyword::TimeZoneName,
                value: 0,
                len: 1
            }
        )
    }
}

/// Prefix, kind and value; words longer than the prefix match only month names.
const KEYWORDS: &[(&str, Keyword, i32)] = &[
    ("jan", Keyword::MonthName, 1),
    ("feb", Keyword::MonthName, 2),
    ("mar", Keyword::MonthName, 3),
    ("apr", Keyword::MonthName, 4),
    ("may", Keyword::MonthName, 5),
    ("jun", Keyword::MonthName, 6),
    ("jul", Keyword::MonthName, 7),
    ("aug", Keyword::MonthName, 8),
    ("sep", Keyword::MonthName, 9),
    ("oct", Keyword::MonthName, 10),
    ("nov", Keyword::MonthName, 11),
    ("dec", Keyword::MonthName, 12),
    ("am", Keyword::AmPm, 0),
    ("pm", Keyword::AmPm, 12),
    ("ut", Keyword::TimeZoneName, 0),
    ("utc", Keyword::TimeZoneName, 0),
    ("z", Keyword::TimeZoneName, 0),
    ("gmt", Keyword::TimeZoneName, 0),
    ("cdt", Keyword::TimeZoneName, -5),
    ("cst", Keyword::TimeZoneName, -6),
    ("edt", Keyword::TimeZoneName, -4),
    ("est", Keyword::TimeZoneName, -5),
    ("mdt", Keyword::TimeZoneName, -6),
    ("mst", Keyword::TimeZoneName, -7),
    ("pdt", Keyword::TimeZoneName, -7),
    ("pst", Keyword::TimeZoneName, -8),
    ("t", Keyword::TimeSeparator, 0),
];

/// `KeywordTable::Lookup`: `prefix` is the word's first three units, lowercased
/// with `| 0x20` and zero-padded.
fn lookup_keyword(prefix: [u32; 3], len: usize) -> (Keyword, i32) {
    for &(word, kind, value) in KEYWORDS {
        let mut padded = [0u32; 3];
        for (slot, b) in padded.iter_mut().zip(word.bytes()) {
            *slot = u32::from(b);
        }
        if padded == prefix && (len <= 3 || kind == Keyword::MonthName) {
            return (kind, value);
        }
    }
    (Keyword::Invalid, 0)
}

/// `InputReader` + `DateStringTokenizer`. A NUL character ends the input, as in V8.
struct Scanner<'a> {
    chars: std::str::Chars<'a>,
    ch: char,
    next: Token,
}

impl<'a> Scanner<'a> {
    fn new(s: &'a str) -> Self {
        let mut scanner = Scanner {
            chars: s.chars(),
            ch: '\0',
            next: Token::EndOfInput,
        };
        scanner.advance();
        scanner.next = scanner.scan();
        scanner
    }

    fn advance(&mut self) {
        self.ch = self.chars.next().unwrap_or('\0');
    }

    fn next(&mut self) -> Token {
        let token = self.next;
        self.next = self.scan();
        token
    }

    fn peek(&self) -> Token {
        self.next
    }

    fn skip_symbol(&mut self, c: char) -> bool {
        let found = self.next == Token::Symbol(c);
        if found {
            self.next = self.scan();
        }
        found
    }

    fn scan(&mut self) -> Token {
        let c = self.ch;
        if c == '\0' {
            return Token::EndOfInput;
        }
        if c.is_ascii_digit() {
            return self.read_number();
        }
        if matches!(c, ':' | '-' | '+' | '.' | ')') {
            self.advance();
            return Token::Symbol(c);
        }
        if c >= 'A' && !is_js_white_space(c) {
            return self.read_word();
        }
        if is_js_space(c) {
            self.advance();
            return Token::WhiteSpace;
        }
        if c == '(' {
            self.skip_parentheses();
        } else {
            self.advance();
        }
        Token::Unknown
    }

    fn read_number(&mut self) -> Token {
        let (mut value, mut len, mut significant) = (0i32, 0usize, 0usize);
        while self.ch == '0' {
            len += 1;
            self.advance();
        }
        while let Some(d) = self.ch.to_digit(10) {
            if significant < MAX_SIGNIFICANT_DIGITS {
                value = value * 10 + d as i32;
            }
            significant += 1;
            len += 1;
            self.advance();
        }
        Token::Number { value, len }
    }

    fn read_word(&mut self) -> Token {
        let mut prefix = [0u32; 3];
        let mut len = 0usize;
        while self.ch >= 'A' && !is_js_white_space(self.ch) {
            let mut units = [0u16; 2];
            for unit in self.ch.encode_utf16(&mut units) {
                if let Some(slot) = prefix.get_mut(len) {
                    *slot = u32::from(*unit) | 0x20;
                }
                len += 1;
            }
            self.advance();
        }
        let (kind, value) = lookup_keyword(prefix, len);
        Token::Word { kind, value, len }
    }

    fn skip_parentheses(&mut self) {
        let mut balance = 0i32;
        loop {
            match self.ch {
                ')' => balance -= 1,
                '(' => balance += 1,
                _ => {}
            }
            self.advance();
            if balance <= 0 || self.ch == '\0' {
                break;
            }
        }
    }
}

#[derive(Debug, Default)]
struct DayComposer {
    comp: Vec<i32>,
    named_month: Option<i32>,
    iso: bool,
}

impl DayComposer {
    fn add(&mut self, n: i32) -> bool {
        let room = self.comp.len() < 3;
        if room {
            self.comp.push(n);
        }
        room
    }

    /// Year, 0-based month, day.
    fn write(&self) -> Option<(i32, i32, i32)> {
        if self.comp.is_empty() {
            return None;
        }
        // Missing parts default to 1 (so V8's "one component" cases never apply).
        let c = |i: usize| self.comp.get(i).copied().unwrap_or(1);
        let (mut year, month, day) = match self.named_month {
            None if self.iso || !is_day(c(0)) => (c(0), c(1), c(2)),
            None => (c(2), c(0), c(1)),
            Some(month) if !is_day(c(0)) => (c(0), month, c(1)),
            Some(month) => (c(1), month, c(0)),
        };
        if !self.iso {
            if between(year, 0, 49) {
                year += 2000;
            } else if between(year, 50, 99) {
                year += 1900;
            }
        }
        (is_month(month) && is_day(day)).then_some((year, month - 1, day))
    }
}

#[derive(Debug)]
struct TimeComposer {
    comp: Vec<i32>,
    hour_offset: Option<i32>,
}

impl TimeComposer {
    fn new() -> Self {
        TimeComposer {
            comp: Vec::new(),
            hour_offset: None,
        }
    }

    fn is_empty(&self) -> bool {
        self.comp.is_empty()
    }

    fn is_expecting(&self, n: i32) -> bool {
        match self.comp.len() {
            1 => is_minute(n),
            2 => is_second(n),
            3 => between(n, 0, 999),
            _ => false,
        }
    }

    fn add(&mut self, n: i32) -> bool {
        let room = self.comp.len() < 4;
        if room {
            self.comp.push(n);
        }
        room
    }

    fn add_final(&mut self, n: i32) -> bool {
        if !self.add(n) {
            return false;
        }
        self.comp.resize(4, 0);
        true
    }

    /// Hour, minute, second, millisecond.
    fn write(&self) -> Option<[i32; 4]> {
        let c = |i: usize| self.comp.get(i).copied().unwrap_or(0);
        let (mut hour, minute, second, ms) = (c(0), c(1), c(2), c(3));
        if let Some(offset) = self.hour_offset {
            if !between(hour, 0, 12) {
                return None;
            }
            hour = hour % 12 + offset;
        }
        let in_range =
            is_hour(hour) && is_minute(minute) && is_second(second) && between(ms, 0, 999);
        let midnight = hour == 24 && minute == 0 && second == 0 && ms == 0;
        (in_range || midnight).then_some([hour, minute, second, ms])
    }
}

#[derive(Debug)]
struct TimeZoneComposer {
    sign: i32,
    hour: i32,
    minute: i32,
}

impl TimeZoneComposer {
    fn new() -> Self {
        TimeZoneComposer {
            sign: NONE,
            hour: NONE,
            minute: NONE,
        }
    }

    fn set(&mut self, offset_in_hours: i32) {
        self.sign = if offset_in_hours < 0 { -1 } else { 1 };
        self.hour = offset_in_hours * self.sign;
        self.minute = 0;
    }

    fn is_expecting(&self, n: i32) -> bool {
        self.hour != NONE && self.minute == NONE && is_minute(n)
    }

    fn is_utc(&self) -> bool {
        self.hour == 0 && self.minute == 0
    }

    fn is_empty(&self) -> bool {
        self.hour == NONE
    }

    /// The UTC offset in seconds; `Ok(None)` is local time.
    fn write(&self) -> Result<Option<i32>, ()> {
        if self.sign == NONE {
            return Ok(None);
        }
        let hour = if self.hour == NONE { 0 } else { self.hour };
        let minute = if self.minute == NONE { 0 } else { self.minute };
        // V8 computes this in unsigned 32-bit arithmetic.
        let total = (hour as u32)
            .wrapping_mul(3600)
            .wrapping_add((minute as u32).wrapping_mul(60));
        let total = i32::try_from(total).map_err(|_| ())?;
        Ok(Some(if self.sign < 0 { -total } else { total }))
    }
}

/// `ReadMilliseconds`: the first three significant digits of the numeral.
fn read_milliseconds(token: Token) -> i32 {
    let Token::Number { value, len } = token else {
        return 0;
    };
    match len {
        1 => value * 100,
        2 => value * 10,
        3 => value,
        _ => {
            let len = len.min(MAX_SIGNIFICANT_DIGITS);
            value / 10i32.pow((len - 3) as u32)
        }
    }
}

struct DateParser<'a> {
    scanner: Scanner<'a>,
    day: DayComposer,
    time: TimeComposer,
    tz: TimeZoneComposer,
}

/// What a successful parse yields.
struct DateParts {
    day: (i32, i32, i32),
    time: [i32; 4],
    offset_seconds: Option<i32>,
}

impl<'a> DateParser<'a> {
    fn new(s: &'a str) -> Self {
        DateParser {
            scanner: Scanner::new(s),
            day: DayComposer::default(),
            time: TimeComposer::new(),
            tz: TimeZoneComposer::new(),
        }
    }

    /// `DateParser::Parse`.
    fn parse(mut self) -> Option<DateParts> {
        let first = self.parse_es5();
        if first == Token::Invalid {
            return None;
        }
        let mut has_read_number = !self.day.comp.is_empty();
        let mut token = first;
        while token != Token::EndOfInput {
            if !self.legacy_token(token, &mut has_read_number) {
                return None;
            }
            token = self.scanner.next();
        }
        let day = self.day.write()?;
        let time = self.time.write()?;
        let offset_seconds = self.tz.write().ok()?;
        Some(DateParts {
            day,
            time,
            offset_seconds,
        })
    }

    /// One step of the legacy loop; `false` rejects the string.
    fn legacy_token(&mut self, token: Token, has_read_number: &mut bool) -> bool {
        match token {
            Token::Number { value, .. } => {
                *has_read_number = true;
                self.legacy_number(value)
            }
            Token::Word { kind, value, .. } => self.legacy_word(kind, value, *has_read_number),
            t if t.is_sign() && (self.tz.is_utc() || !self.time.is_empty()) => {
                *has_read_number = true;
                self.legacy_offset(t.sign())
            }
            // An extra sign or ')' is illegal once a number has been read.
            t if (t.is_sign() || t == Token::Symbol(')')) && *has_read_number => false,
            _ => true,
        }
    }

    fn legacy_number(&mut self, n: i32) -> bool {
        let s = &mut self.scanner;
        if s.skip_symbol(':') {
            if s.skip_symbol(':') {
                // n + "::"
                if !self.time.is_empty() {
                    return false;
                }
                self.time.add(n);
                self.time.add(0);
            } else {
                if !self.time.add(n) {
                    return false;
                }
                if s.peek() == Token::Symbol('.') {
                    s.next();
                }
            }
        } else if s.skip_symbol('.') && self.time.is_expecting(n) {
            self.time.add(n);
            if !s.peek().is_number() {
                return false;
            }
            let ms = read_milliseconds(s.next());
            self.time.add_final(ms);
        } else if self.tz.is_expecting(n) {
            self.tz.minute = n;
        } else if self.time.is_expecting(n) {
            self.time.add_final(n);
            // The time must be followed by the end, a space, "Z" or a sign.
            let peek = s.peek();
            if !(peek == Token::EndOfInput
                || peek == Token::WhiteSpace
                || peek.is_keyword_z()
                || peek.is_sign())
            {
                return false;
            }
        } else {
            if !self.day.add(n) {
                return false;
            }
            s.skip_symbol('-');
        }
        true
    }

    fn legacy_word(&mut self, kind: Keyword, value: i32, has_read_number: bool) -> bool {
        match kind {
            Keyword::AmPm if !self.time.is_empty() => self.time.hour_offset = Some(value),
            Keyword::MonthName => {
                self.day.named_month = Some(value);
                self.scanner.skip_symbol('-');
            }
            Keyword::TimeZoneName if has_read_number => self.tz.set(value),
            // Garbage words are fine before the first number, if separated from it.
            _ => return !has_read_number && !self.scanner.peek().is_number(),
        }
        true
    }

    /// `(+|-)(hhmm|hh:|h)` after a time or "UTC".
    fn legacy_offset(&mut self, sign: i32) -> bool {
        self.tz.sign = sign;
        let (mut n, mut len) = (0, 0);
        if let Token::Number { value, len: l } = self.scanner.peek() {
            self.scanner.next();
            (n, len) = (value, l);
        }
        if self.scanner.peek() == Token::Symbol(':') {
            self.tz.hour = n;
            self.tz.minute = NONE;
        } else if len == 1 || len == 2 {
            self.tz.hour = n;
            self.tz.minute = 0;
        } else if len == 3 || len == 4 {
            self.tz.hour = n / 100;
            self.tz.minute = n % 100;
        } else {
            return false;
        }
        true
    }

    /// `ParseES5DateTime`: returns the token the legacy parser continues with,
    /// `EndOfInput` when done, `Invalid` to reject.
    fn parse_es5(&mut self) -> Token {
        if let Some(t) = self.es5_date() {
            return t;
        }
        if !self.scanner.peek().is_keyword(Keyword::TimeSeparator) {
            if self.scanner.peek() != Token::EndOfInput {
                return self.scanner.next();
            }
        } else if let Err(t) = self.es5_time() {
            return t;
        }
        if self.tz.is_empty() && self.time.is_empty() {
            self.tz.set(0);
        }
        self.day.iso = true;
        Token::EndOfInput
    }

    /// `[('-'|'+')yy]yyyy[-MM[-DD]]`; `Some(token)` hands over to the legacy parser.
    fn es5_date(&mut self) -> Option<Token> {
        let s = &mut self.scanner;
        if s.peek().is_sign() {
            let sign_token = s.next();
            if !s.peek().is_fixed_number(6) {
                return Some(sign_token);
            }
            let year = s.next().number();
            if sign_token.sign() < 0 && year == 0 {
                return Some(sign_token);
            }
            self.day.add(sign_token.sign() * year);
        } else if s.peek().is_fixed_number(4) {
            let year = s.next().number();
            self.day.add(year);
        } else {
            return Some(s.next());
        }
        if s.skip_symbol('-') {
            if !s.peek().is_fixed_number(2) || !is_month(s.peek().number()) {
                return Some(s.next());
            }
            self.day.add(s.next().number());
            if s.skip_symbol('-') {
                if !s.peek().is_fixed_number(2) || !is_day(s.peek().number()) {
                    return Some(s.next());
                }
                self.day.add(s.next().number());
            }
        }
        None
    }

    /// `THH:mm[:ss[.sss]][Z|(+|-)hh:mm|(+|-)hhmm]` up to the end of input.
    fn es5_time(&mut self) -> Result<(), Token> {
        let s = &mut self.scanner;
        s.next();
        let hour = s.peek();
        if !hour.is_fixed_number(2) || !between(hour.number(), 0, 24) {
            return Err(Token::Invalid);
        }
        // 24:00[:00[.000]] is the only time starting with 24.
        let hour_is_24 = hour.number() == 24;
        self.time.add(s.next().number());
        if !s.skip_symbol(':') {
            return Err(Token::Invalid);
        }
        let minute = s.peek();
        if !minute.is_fixed_number(2)
            || !is_minute(minute.number())
            || (hour_is_24 && minute.number() > 0)
        {
            return Err(Token::Invalid);
        }
        self.time.add(s.next().number());
        if s.skip_symbol(':') {
            let second = s.peek();
            if !second.is_fixed_number(2)
                || !is_second(second.number())
                || (hour_is_24 && second.number() > 0)
            {
                return Err(Token::Invalid);
            }
            self.time.add(s.next().number());
            if s.skip_symbol('.') {
                let ms = s.peek();
                if !ms.is_number() || (hour_is_24 && ms.number() > 0) {
                    return Err(Token::Invalid);
                }
                self.time.add(read_milliseconds(s.next()));
            }
        }
        self.es5_zone()?;
        if self.scanner.peek() != Token::EndOfInput {
            return Err(Token::Invalid);
        }
        Ok(())
    }

    fn es5_zone(&mut self) -> Result<(), Token> {
        let s = &mut self.scanner;
        if s.peek().is_keyword_z() {
            s.next();
            self.tz.set(0);
        } else if s.peek().is_sign() {
            self.tz.sign = s.next().sign();
            if s.peek().is_fixed_number(4) {
                // hhmm extension.
                let hhmm = s.next().number();
                let (hour, minute) = (hhmm / 100, hhmm % 100);
                if !is_hour(hour) || !is_minute(minute) {
                    return Err(Token::Invalid);
                }
                self.tz.hour = hour;
                self.tz.minute = minute;
            } else {
                if !s.peek().is_fixed_number(2) || !is_hour(s.peek().number()) {
                    return Err(Token::Invalid);
                }
                self.tz.hour = s.next().number();
                if !s.skip_symbol(':') {
                    return Err(Token::Invalid);
                }
                if !s.peek().is_fixed_number(2) || !is_minute(s.peek().number()) {
                    return Err(Token::Invalid);
                }
                self.tz.minute = s.next().number();
            }
        }
        Ok(())
    }
}

impl DateParts {
    /// `MakeDate(MakeDay(..), MakeTime(..))`, shifted to UTC and clipped.
    fn time_value(&self) -> Option<f64> {
        let (year, month, day) = self.day;
        // V8's MakeDay gives NaN outside ±1,000,000 years.
        if !(-1_000_000..=1_000_000).contains(&year) {
            return None;
        }
        let days = days_from_civil(i64::from(year), i64::from(month) + 1) + i64::from(day) - 1;
        let [h, m, s, ms] = self.time.map(i64::from);
        let local = days as f64 * MS_PER_DAY + ((h * 60 + m) * 60 + s) as f64 * 1000.0 + ms as f64;
        match self.offset_seconds {
            Some(offset) => time_clip(local - f64::from(offset) * 1000.0),
            // Local time: V8 first rejects dates more than 10 days past the range.
            None if local.abs() > MAX_TIME_MS + 10.0 * MS_PER_DAY => None,
            None => time_clip(local),
        }
    }
}

/// Days from 1970-01-01 to the first of `month` (1-12) of `year` (proleptic Gregorian).
fn days_from_civil(year: i64, month: i64) -> i64 {
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (month + 9) % 12;
    let doy = (153 * mp + 2) / 5;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod plain_iso_tests {
    use super::*;

    /// The shortcut gives what V8's parser gives, wherever it answers.
    #[test]
    fn plain_iso_agrees_with_the_parser() {
        let mut checked = 0;
        for date in ["1970-01-01", "2000-02-29", "2023-02-22", "2024-12-31", "1900-03-01", "2023-02-29", "2023-13-01", "0000-01-01", "9999-12-31"] {
            for time in ["00:00:00", "15:21:15", "23:59:59", "24:00:00", "12:60:00", "12:00:60"] {
                for frac in ["", ".4", ".449", ".4491", "."] {
                    for zone in ["Z", "+05:30", "-11:00", "+00:00", "+24:00", "+05:60", "z", "", "+0530"] {
                        let s = format!("{date}T{time}{frac}{zone}");
                        if let Some(ms) = plain_iso_ms(&s) {
                            assert_eq!(Some(ms), parse_slowly(&s), "{s}");
                            checked += 1;
                        }
                    }
                }
            }
        }
        assert!(checked > 300, "{checked}");
    }
}

//! Guest text on the operator's terminal and in logs.
//!
//! Threat: a guest controls much of what sluice prints (its description, its
//! error messages and logs, the URLs and bodies it sends). An ESC sequence can
//! rewrite what the terminal shows (hide the real `hosts:` line of `describe`
//! and print a forged one), a line break can forge a log line, and a bidi
//! override can make text read backwards. Default: descriptions with control
//! characters are refused at load (`sluice_core::check`), and every output path
//! passes guest text through [`escape`], which writes C0 and C1 controls, DEL
//! and the bidi controls as `\u{..}` (so `\n` becomes the two characters `\n`
//! unless the caller keeps line breaks). JSON output needs nothing more: JSON
//! escapes control characters itself.
//!
//! Guest error messages are also cut to [`MAX_GUEST_TEXT`] bytes, marked as cut.

use std::borrow::Cow;

/// The most of a guest's error message that is kept.
pub const MAX_GUEST_TEXT: usize = 4096;

fn dangerous(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// `text` with every dangerous character escaped.
pub fn escape(text: &str) -> Cow<'_, str> {
    escape_keeping(text, false)
}

/// Like [`escape`], but line breaks (and tabs) stay: for multi-line bodies.
pub fn escape_lines(text: &str) -> Cow<'_, str> {
    escape_keeping(text, true)
}

fn escape_keeping(text: &str, lines: bool) -> Cow<'_, str> {
    let keep = |c: char| lines && matches!(c, '\n' | '\t');
    if !text.chars().any(|c| dangerous(c) && !keep(c)) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        if dangerous(c) && !keep(c) {
            match c {
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_what_could_forge_output() {
        assert_eq!(escape("plain text, ünïcode"), "plain text, ünïcode");
        assert_eq!(escape("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(escape("ok\nERROR forged"), "ok\\nERROR forged");
        assert_eq!(escape("x\u{9b}31m\u{7f}"), "x\\u{9b}31m\\u{7f}");
        assert_eq!(escape("\u{202e}txt.exe"), "\\u{202e}txt.exe");
        assert_eq!(escape_lines("{\n\t\"a\": \"\u{1b}\"\n}"), "{\n\t\"a\": \"\\u{1b}\"\n}");
    }
}

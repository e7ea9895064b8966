use std::fmt;

/// Why a subscription was rejected, and where.
///
/// `offset` is a 0-based byte offset into `expression`; `Display` turns it into a
/// 1-based column (counted in characters) and draws a caret under it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    pub message: String,
    pub offset: usize,
    /// The rejected source, for the caret line.
    pub expression: String,
}

impl ParseError {
    /// An error whose expression is filled in by [`Subscription::parse`](super::Subscription::parse).
    pub(super) fn at(offset: usize, message: impl Into<String>) -> Self {
        ParseError {
            message: message.into(),
            offset,
            expression: String::new(),
        }
    }

    pub(super) fn in_expression(mut self, src: &str) -> Self {
        self.expression = src.to_owned();
        self
    }

    /// 1-based line and column (in characters) of `offset`.
    pub fn line_column(&self) -> (usize, usize) {
        let before = &self.expression[..self.clamped_offset()];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |i| i + 1);
        (line, before[line_start..].chars().count() + 1)
    }

    fn clamped_offset(&self) -> usize {
        self.expression.floor_char_boundary(self.offset)
    }

    /// The source line holding the error, with controls blanked, and the caret line.
    fn snippet(&self) -> (String, String) {
        let offset = self.clamped_offset();
        let start = self.expression[..offset].rfind('\n').map_or(0, |i| i + 1);
        let end = self.expression[offset..]
            .find('\n')
            .map_or(self.expression.len(), |i| offset + i);
        let blank = |c: char| if c.is_control() && c != '\t' { ' ' } else { c };
        let line = self.expression[start..end].chars().map(blank).collect();
        let mut caret: String = self.expression[start..offset]
            .chars()
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        caret.push('^');
        (line, caret)
    }
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (line, column) = self.line_column();
        write!(f, "{} at ", self.message)?;
        if self.expression.contains('\n') {
            write!(f, "line {line}, ")?;
        }
        write!(f, "column {column}")?;
        if !self.expression.is_empty() {
            let (source, caret) = self.snippet();
            write!(f, "\n{source}\n{caret}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseError {}

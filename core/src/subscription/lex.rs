//! Source text to tokens. A field path (`properties.a[0]["b c"]`) is one token, so
//! paths never contain whitespace and `properties.price>99` needs no spaces.

use std::ops::Range;

use super::error::ParseError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    pub(super) fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "=",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Tok {
    LParen,
    RParen,
    Comma,
    Bang,
    Op(CmpOp),
    And,
    Or,
    Not,
    True,
    False,
    Null,
    Str(String),
    Num(f64),
    /// A bare word or a field path: the decoded segments, never empty.
    Path(Vec<String>),
    End,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Token {
    pub tok: Tok,
    pub span: Range<usize>,
}

/// The token list always ends with exactly one [`Tok::End`].
pub(super) fn tokenize(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut lexer = Lexer { src, pos: 0 };
    let mut tokens = Vec::new();
    loop {
        lexer.skip_whitespace();
        let start = lexer.pos;
        let tok = lexer.token()?;
        let end = tok == Tok::End;
        tokens.push(Token {
            tok,
            span: start..lexer.pos,
        });
        if end {
            return Ok(tokens);
        }
    }
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

// `\r` is deliberately not whitespace (as in the reference lexer).
fn is_whitespace(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n')
}

fn is_word_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || c == '\\'
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || matches!(c, '_' | '-' | '$' | '\\')
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, c: char) -> bool {
        let found = self.peek() == Some(c);
        if found {
            self.pos += c.len_utf8();
        }
        found
    }

    fn skip_whitespace(&mut self) {
        while self.peek().is_some_and(is_whitespace) {
            self.bump();
        }
    }

    fn token(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        let Some(c) = self.bump() else {
            return Ok(Tok::End);
        };
        Ok(match c {
            '(' => Tok::LParen,
            ')' => Tok::RParen,
            ',' => Tok::Comma,
            '!' if self.eat('=') => Tok::Op(CmpOp::Ne),
            '!' => Tok::Bang,
            '=' if self.peek() == Some('=') => {
                return Err(ParseError::at(start, "'==' is not an operator, use '='"));
            }
            '=' => Tok::Op(CmpOp::Eq),
            '<' if self.eat('=') => Tok::Op(CmpOp::Le),
            '<' => Tok::Op(CmpOp::Lt),
            '>' if self.eat('=') => Tok::Op(CmpOp::Ge),
            '>' => Tok::Op(CmpOp::Gt),
            '"' | '\'' => Tok::Str(self.string(start, c)?),
            '-' | '0'..='9' => {
                self.pos = start;
                Tok::Num(self.number()?)
            }
            c if is_word_start(c) => {
                self.pos = start;
                self.path()?
            }
            c => return Err(unexpected_char(start, c)),
        })
    }

    /// The rest of a string whose opening quote (at `start`) was consumed.
    fn string(&mut self, start: usize, quote: char) -> Result<String, ParseError> {
        let mut out = String::new();
        loop {
            let at = self.pos;
            match self.bump() {
                None => return Err(ParseError::at(start, "unterminated string")),
                Some(c) if c == quote => return Ok(out),
                Some('\\') => out.push(match self.bump() {
                    Some(c @ ('"' | '\'' | '\\')) => c,
                    Some('n') => '\n',
                    Some('t') => '\t',
                    Some('r') => '\r',
                    Some(c) => {
                        let message = format!(
                            "unknown escape '\\{}' (use \\\\ for a backslash)",
                            c.escape_debug()
                        );
                        return Err(ParseError::at(at, message));
                    }
                    None => return Err(ParseError::at(start, "unterminated string")),
                }),
                Some(c) => out.push(c),
            }
        }
    }

    fn number(&mut self) -> Result<f64, ParseError> {
        let start = self.pos;
        self.eat('-');
        if !self.peek().is_some_and(|c| c.is_ascii_digit()) {
            return Err(unexpected_char(start, '-'));
        }
        self.digits();
        if self.eat('.') {
            self.require_digits("expected digits after the decimal point")?;
        }
        if self.eat('e') || self.eat('E') {
            let _ = self.eat('+') || self.eat('-');
            self.require_digits("expected digits in the exponent")?;
        }
        if let Some(c) = self.peek().filter(|&c| is_word_char(c) || c == '.') {
            return Err(ParseError::at(
                self.pos,
                format!("unexpected character '{}' in number", c.escape_debug()),
            ));
        }
        match self.src[start..self.pos].parse::<f64>() {
            Ok(n) if n.is_finite() => Ok(n),
            _ => Err(ParseError::at(start, "number out of range")),
        }
    }

    fn digits(&mut self) -> bool {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
        }
        self.pos > start
    }

    fn require_digits(&mut self, message: &str) -> Result<(), ParseError> {
        if self.digits() {
            Ok(())
        } else {
            Err(ParseError::at(self.pos, message))
        }
    }

    /// A keyword, or a word followed by `.word` and `[index]` / `["key"]` segments.
    fn path(&mut self) -> Result<Tok, ParseError> {
        let start = self.pos;
        let mut segments = vec![self.word()?];
        loop {
            let at = self.pos;
            if self.eat('.') {
                if !self.peek().is_some_and(is_word_char) {
                    return Err(ParseError::at(self.pos, "expected a name after '.'"));
                }
                segments.push(self.word()?);
            } else if self.eat('[') {
                segments.push(self.bracket(at)?);
            } else {
                break;
            }
        }
        Ok(match &self.src[start..self.pos] {
            "and" => Tok::And,
            "or" => Tok::Or,
            "not" => Tok::Not,
            "true" => Tok::True,
            "false" => Tok::False,
            "null" => Tok::Null,
            _ => Tok::Path(segments),
        })
    }

    /// Word characters; a backslash takes the next character literally.
    fn word(&mut self) -> Result<String, ParseError> {
        let mut out = String::new();
        while let Some(c) = self.peek().filter(|&c| is_word_char(c)) {
            let at = self.pos;
            self.bump();
            if c == '\\' {
                match self.bump() {
                    Some(escaped) => out.push(escaped),
                    None => return Err(ParseError::at(at, "expected a character after '\\'")),
                }
            } else {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// `[0]`, `["key"]` or `['key']`, with the `[` at `open` already consumed.
    fn bracket(&mut self, open: usize) -> Result<String, ParseError> {
        let at = self.pos;
        let key = match self.bump() {
            Some(quote @ ('"' | '\'')) => self.string(at, quote)?,
            Some(c) if c.is_ascii_digit() => {
                self.pos = at;
                self.digits();
                let index: usize = self.src[at..self.pos]
                    .parse()
                    .map_err(|_| ParseError::at(at, "index out of range"))?;
                index.to_string()
            }
            _ => {
                return Err(ParseError::at(
                    at,
                    "expected an index or a quoted key after '['",
                ))
            }
        };
        if !self.eat(']') {
            return Err(ParseError::at(open, "unclosed '['"));
        }
        Ok(key)
    }
}

fn unexpected_char(offset: usize, c: char) -> ParseError {
    ParseError::at(
        offset,
        format!("unexpected character '{}'", c.escape_debug()),
    )
}

//! Tokens to AST, by recursive descent:
//!
//! ```text
//! or      := and ("or" and)*
//! and     := unary ("and" unary)*
//! unary   := ("not" | "!") unary | primary
//! primary := "(" or ")" | function "(" field "," string ")" | field op value
//! ```

use super::error::ParseError;
use super::eval::Glob;
use super::lex::{tokenize, CmpOp, Tok, Token};

/// Deeper nesting of parentheses and negations is rejected, so that neither parsing
/// nor evaluation can overflow the stack.
pub const MAX_DEPTH: usize = 100;

/// Event keys a field may start with. Only the object-valued ones take a path.
const SCALAR_HEADS: [&str; 5] = ["type", "event", "name", "userId", "anonymousId"];
const OBJECT_HEADS: [&str; 3] = ["properties", "traits", "context"];

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Not(Box<Expr>),
    Test(Field, Test),
}

/// A path from the event's root; the first key is one of the allowed heads.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Field(pub Vec<String>);

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Test {
    Eq(Literal),
    Ne(Literal),
    Order(CmpOp, f64),
    Contains(String),
    Match(Glob),
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Str(String),
    Num(f64),
    Bool(bool),
    Null,
}

pub(super) fn parse(src: &str) -> Result<Expr, ParseError> {
    let mut parser = Parser {
        src,
        tokens: tokenize(src)?,
        pos: 0,
        depth: 0,
    };
    if parser.peek().tok == Tok::End {
        return Err(ParseError::at(0, "empty subscription"));
    }
    let expr = parser.or()?;
    let rest = parser.peek();
    match rest.tok {
        Tok::End => Ok(expr),
        Tok::RParen => Err(ParseError::at(rest.span.start, "unexpected ')'")),
        _ => Err(parser.expected("'and' or 'or'", rest)),
    }
}

struct Parser<'a> {
    src: &'a str,
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
}

impl<'a> Parser<'a> {
    fn peek(&self) -> &Token {
        // `tokenize` guarantees a final `End`, and `next` never moves past it.
        &self.tokens[self.pos.min(self.tokens.len() - 1)]
    }

    fn next(&mut self) -> Token {
        let token = self.peek().clone();
        if token.tok != Tok::End {
            self.pos += 1;
        }
        token
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let found = &self.peek().tok == tok;
        if found {
            self.next();
        }
        found
    }

    fn or(&mut self) -> Result<Expr, ParseError> {
        let mut terms = vec![self.and()?];
        while self.eat(&Tok::Or) {
            terms.push(self.and()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::Or(terms)
        })
    }

    fn and(&mut self) -> Result<Expr, ParseError> {
        let mut terms = vec![self.unary()?];
        while self.eat(&Tok::And) {
            terms.push(self.unary()?);
        }
        Ok(if terms.len() == 1 {
            terms.remove(0)
        } else {
            Expr::And(terms)
        })
    }

    fn unary(&mut self) -> Result<Expr, ParseError> {
        if matches!(self.peek().tok, Tok::Not | Tok::Bang) {
            let at = self.next().span.start;
            let inner = self.nested(at, Self::unary)?;
            return Ok(Expr::Not(Box::new(inner)));
        }
        self.primary()
    }

    fn nested(
        &mut self,
        at: usize,
        f: fn(&mut Self) -> Result<Expr, ParseError>,
    ) -> Result<Expr, ParseError> {
        if self.depth >= MAX_DEPTH {
            return Err(ParseError::at(
                at,
                format!("nested more than {MAX_DEPTH} levels deep"),
            ));
        }
        self.depth += 1;
        let result = f(self);
        self.depth -= 1;
        result
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        let token = self.next();
        match &token.tok {
            Tok::LParen => self.group(token.span.start),
            Tok::Path(_) if self.peek().tok == Tok::LParen => self.call(&token),
            Tok::Path(segments) => self.comparison(&token, segments),
            _ => Err(self.expected("a condition", &token)),
        }
    }

    /// The rest of a parenthesised group opened at `open`.
    fn group(&mut self, open: usize) -> Result<Expr, ParseError> {
        let inner = self.nested(open, Self::or)?;
        let close = self.next();
        match close.tok {
            Tok::RParen => Ok(inner),
            Tok::End => Err(ParseError::at(open, "unclosed '('")),
            _ => Err(self.expected("'and', 'or' or ')'", &close)),
        }
    }

    fn call(&mut self, name: &Token) -> Result<Expr, ParseError> {
        let function = self.text(name);
        if function != "contains" && function != "match" {
            return Err(ParseError::at(
                name.span.start,
                format!("unknown function '{function}' (functions are contains and match)"),
            ));
        }
        self.next(); // '('
        let field = self.field()?;
        self.expect(&Tok::Comma, "','")?;
        let token = self.next();
        let Tok::Str(arg) = token.tok else {
            return Err(self.expected(
                &format!("a quoted string as the second argument of {function}()"),
                &token,
            ));
        };
        self.expect(&Tok::RParen, "')'")?;
        let test = if function == "contains" {
            Test::Contains(arg)
        } else {
            Test::Match(Glob::new(&arg))
        };
        Ok(Expr::Test(field, test))
    }

    fn expect(&mut self, tok: &Tok, what: &str) -> Result<(), ParseError> {
        let token = self.next();
        if &token.tok == tok {
            Ok(())
        } else {
            Err(self.expected(what, &token))
        }
    }

    fn field(&mut self) -> Result<Field, ParseError> {
        let token = self.next();
        match &token.tok {
            Tok::Path(segments) => self.check_field(&token, segments),
            _ => Err(self.expected("a field", &token)),
        }
    }

    fn check_field(&self, token: &Token, segments: &[String]) -> Result<Field, ParseError> {
        let head = segments.first().map_or("", String::as_str);
        let at = token.span.start;
        if SCALAR_HEADS.contains(&head) && segments.len() > 1 {
            return Err(ParseError::at(
                at,
                format!("field '{head}' has no sub-fields"),
            ));
        }
        if SCALAR_HEADS.contains(&head) || OBJECT_HEADS.contains(&head) {
            return Ok(Field(segments.to_vec()));
        }
        if segments.len() == 1 && (head == "contains" || head == "match") {
            return Err(ParseError::at(
                token.span.end,
                format!("expected '(' after '{head}'"),
            ));
        }
        let message = match keyword_in_wrong_case(self.text(token)) {
            Some(keyword) => format!(
                "unknown field '{}' (keywords are lowercase: '{keyword}')",
                self.text(token)
            ),
            None => format!(
                "unknown field '{}' (fields are type, event, name, userId, anonymousId, \
                 properties.*, traits.* and context.*)",
                self.text(token)
            ),
        };
        Err(ParseError::at(at, message))
    }

    fn comparison(&mut self, token: &Token, segments: &[String]) -> Result<Expr, ParseError> {
        let field = self.check_field(token, segments)?;
        let op_token = self.next();
        let Tok::Op(op) = op_token.tok else {
            let what = format!("a comparison operator after '{}'", self.text(token));
            return Err(self.expected(&what, &op_token));
        };
        let value = self.next();
        let literal = self.literal(op, &value)?;
        let test = match (op, literal) {
            (CmpOp::Eq, literal) => Test::Eq(literal),
            (CmpOp::Ne, literal) => Test::Ne(literal),
            (op, Literal::Num(n)) => Test::Order(op, n),
            (op, _) => {
                let message = format!(
                    "'{}' compares numbers, found {}",
                    op.symbol(),
                    self.describe(&value)
                );
                return Err(ParseError::at(value.span.start, message));
            }
        };
        Ok(Expr::Test(field, test))
    }

    fn literal(&self, op: CmpOp, token: &Token) -> Result<Literal, ParseError> {
        Ok(match &token.tok {
            Tok::Str(s) => Literal::Str(s.clone()),
            Tok::Num(n) => Literal::Num(*n),
            Tok::True => Literal::Bool(true),
            Tok::False => Literal::Bool(false),
            Tok::Null => Literal::Null,
            Tok::Path(segments)
                if segments.len() == 1 && keyword_in_wrong_case(self.text(token)).is_none() =>
            {
                let word = self.text(token);
                let message = format!(
                    "expected a value after '{}', found '{word}' (quote strings: \"{word}\")",
                    op.symbol()
                );
                return Err(ParseError::at(token.span.start, message));
            }
            _ => return Err(self.expected(&format!("a value after '{}'", op.symbol()), token)),
        })
    }

    fn text(&self, token: &Token) -> &'a str {
        self.src.get(token.span.clone()).unwrap_or("")
    }

    fn expected(&self, what: &str, found: &Token) -> ParseError {
        ParseError::at(
            found.span.start,
            format!("expected {what}, found {}", self.describe(found)),
        )
    }

    fn describe(&self, token: &Token) -> String {
        let text = self.text(token);
        match &token.tok {
            Tok::End => "end of input".to_owned(),
            Tok::Str(_) => format!("string {}", shorten(text)),
            Tok::Num(_) => format!("number {text}"),
            Tok::Path(_) => match keyword_in_wrong_case(text) {
                Some(keyword) => format!("'{text}' (keywords are lowercase: '{keyword}')"),
                None => format!("'{}'", shorten(text)),
            },
            _ => format!("'{text}'"),
        }
    }
}

fn keyword_in_wrong_case(word: &str) -> Option<&'static str> {
    ["and", "or", "not", "true", "false", "null"]
        .into_iter()
        .find(|k| word.eq_ignore_ascii_case(k) && word != *k)
}

fn shorten(text: &str) -> String {
    const MAX: usize = 40;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

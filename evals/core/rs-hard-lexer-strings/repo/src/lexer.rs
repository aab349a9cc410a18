use std::fmt;

use crate::token::Token;

/// Why the source could not be split into tokens. `pos` is a byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LexError {
    UnexpectedChar { ch: char, pos: usize },
    IntOverflow { pos: usize },
}

impl fmt::Display for LexError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LexError::UnexpectedChar { ch, pos } => write!(f, "unexpected `{ch}` at {pos}"),
            LexError::IntOverflow { pos } => write!(f, "number too large at {pos}"),
        }
    }
}

/// Splits `src` into tokens, skipping whitespace.
pub fn lex(src: &str) -> Result<Vec<Token>, LexError> {
    let mut tokens = Vec::new();
    let mut chars = src.char_indices().peekable();
    while let Some(&(pos, ch)) = chars.peek() {
        if ch.is_whitespace() {
            chars.next();
        } else if ch.is_ascii_digit() {
            let mut value: i64 = 0;
            while let Some(&(_, d)) = chars.peek() {
                let Some(digit) = d.to_digit(10) else { break };
                value = value
                    .checked_mul(10)
                    .and_then(|v| v.checked_add(i64::from(digit)))
                    .ok_or(LexError::IntOverflow { pos })?;
                chars.next();
            }
            tokens.push(Token::Int(value));
        } else if ch.is_alphabetic() || ch == '_' {
            let mut name = String::new();
            while let Some(&(_, c)) = chars.peek() {
                if !(c.is_alphanumeric() || c == '_') {
                    break;
                }
                name.push(c);
                chars.next();
            }
            tokens.push(Token::Ident(name));
        } else {
            chars.next();
            tokens.push(match ch {
                '+' | '-' | '*' | '/' | '=' | '<' | '>' => Token::Op(ch),
                '(' => Token::LParen,
                ')' => Token::RParen,
                _ => return Err(LexError::UnexpectedChar { ch, pos }),
            });
        }
    }
    Ok(tokens)
}

use crate::token::Token;

/// How a token is named in error messages shown to mod authors.
pub fn describe(token: &Token) -> String {
    match token {
        Token::Int(n) => format!("number {n}"),
        Token::Ident(name) => format!("name `{name}`"),
        Token::Op(c) => format!("operator `{c}`"),
        Token::LParen => "`(`".to_string(),
        Token::RParen => "`)`".to_string(),
    }
}

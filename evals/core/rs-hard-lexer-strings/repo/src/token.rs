/// One token of the source text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    Int(i64),
    Ident(String),
    /// One of `+ - * / = < >`.
    Op(char),
    LParen,
    RParen,
}

use tinylang::{lex, LexError, Token};

#[test]
fn assignment() {
    assert_eq!(
        lex("x = (1 + y2)").unwrap(),
        vec![
            Token::Ident("x".into()),
            Token::Op('='),
            Token::LParen,
            Token::Int(1),
            Token::Op('+'),
            Token::Ident("y2".into()),
            Token::RParen,
        ]
    );
}

#[test]
fn bad_char() {
    assert_eq!(
        lex("a $"),
        Err(LexError::UnexpectedChar { ch: '$', pos: 2 })
    );
}

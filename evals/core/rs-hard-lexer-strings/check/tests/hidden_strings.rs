use tinylang::describe::describe;
use tinylang::{lex, LexError, Token};

fn s(text: &str) -> Token {
    Token::Str(text.to_string())
}

#[test]
fn plain_strings() {
    assert_eq!(
        lex(r#"say("hello, world")"#).unwrap(),
        vec![
            Token::Ident("say".into()),
            Token::LParen,
            s("hello, world"),
            Token::RParen
        ]
    );
    assert_eq!(lex(r#""""#).unwrap(), vec![s("")]);
    assert_eq!(
        lex("\"a\nb\" x").unwrap(),
        vec![s("a\nb"), Token::Ident("x".into())]
    );
    assert_eq!(lex("\"héllo 🐉\"").unwrap(), vec![s("héllo 🐉")]);
}

#[test]
fn escapes() {
    assert_eq!(lex(r#""a\nb\tc""#).unwrap(), vec![s("a\nb\tc")]);
    assert_eq!(lex(r#""q\"uote\\""#).unwrap(), vec![s("q\"uote\\")]);
    assert_eq!(lex(r#""\u{e9}\u{1F600}\u{41}""#).unwrap(), vec![s("é😀A")]);
    assert_eq!(lex(r#""\u{10FFFF}""#).unwrap(), vec![s("\u{10FFFF}")]);
}

#[test]
fn comments() {
    assert_eq!(
        lex("x = 4 / 2 // halve it\ny").unwrap(),
        vec![
            Token::Ident("x".into()),
            Token::Op('='),
            Token::Int(4),
            Token::Op('/'),
            Token::Int(2),
            Token::Ident("y".into()),
        ]
    );
    assert_eq!(lex("// only a comment").unwrap(), vec![]);
    assert_eq!(
        lex(r#""not // a comment""#).unwrap(),
        vec![s("not // a comment")]
    );
    assert_eq!(
        lex("a // \"unclosed in comment\n").unwrap(),
        vec![Token::Ident("a".into())]
    );
}

#[test]
fn unterminated() {
    assert_eq!(
        lex(r#"x = "abc"#),
        Err(LexError::UnterminatedString { pos: 4 })
    );
    assert_eq!(
        lex(r#"é "a\""#),
        Err(LexError::UnterminatedString { pos: 3 })
    );
    assert!(matches!(
        lex(r#""abc\"#),
        Err(LexError::UnterminatedString { .. } | LexError::BadEscape { .. })
    ));
}

#[test]
fn bad_escapes() {
    assert_eq!(lex(r#""a\qb""#), Err(LexError::BadEscape { pos: 2 }));
    assert_eq!(lex(r#"x "\u41""#), Err(LexError::BadEscape { pos: 3 }));
    assert_eq!(lex(r#""\u{}""#), Err(LexError::BadEscape { pos: 1 }));
    assert_eq!(lex(r#""\u{1234567}""#), Err(LexError::BadEscape { pos: 1 }));
    assert_eq!(lex(r#""\u{12G}""#), Err(LexError::BadEscape { pos: 1 }));
    assert_eq!(lex(r#""\u{D800}""#), Err(LexError::BadEscape { pos: 1 }));
    assert_eq!(lex(r#""\u{110000}""#), Err(LexError::BadEscape { pos: 1 }));
}

#[test]
fn error_messages_and_describe() {
    assert!(!LexError::UnterminatedString { pos: 0 }
        .to_string()
        .is_empty());
    assert!(!LexError::BadEscape { pos: 0 }.to_string().is_empty());
    assert_eq!(describe(&s("hi")), r#"string "hi""#);
    assert_eq!(describe(&s("a\"b")), r#"string "a\"b""#);
    assert_eq!(describe(&Token::Int(3)), "number 3");
}

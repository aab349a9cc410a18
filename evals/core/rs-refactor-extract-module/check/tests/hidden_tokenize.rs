use textstats::tokenize::{sentences, words};
use textstats::{long_word_ratio, words_per_sentence};

#[test]
fn tokenizer_lives_in_its_module() {
    assert_eq!(
        words("It's 3 o'clock, isn't it?"),
        vec!["It's", "3", "o'clock", "isn't", "it"]
    );
    assert_eq!(
        sentences("Hi. How are you?  Fine!"),
        vec!["Hi.", "How are you?", "Fine!"]
    );
    assert!(sentences(" ... ").is_empty());
}

#[test]
fn statistics_unchanged() {
    assert_eq!(words_per_sentence("One two. Three four five six!"), 3.0);
    assert_eq!(words_per_sentence(""), 0.0);
    assert_eq!(long_word_ratio("a bb ccc dddd", 2), 0.5);
    assert_eq!(long_word_ratio("!!!", 2), 0.0);
}

#[test]
fn lib_rs_no_longer_defines_the_tokenizer() {
    let lib = include_str!("../src/lib.rs");
    for gone in ["fn words(", "fn sentences(", "fn is_word_char(", "pub use"] {
        assert!(!lib.contains(gone), "src/lib.rs still contains `{gone}`");
    }
    let module = include_str!("../src/tokenize.rs");
    for here in [
        "fn is_word_char",
        "pub fn words",
        "pub fn sentences",
        "#[test]",
    ] {
        assert!(module.contains(here), "src/tokenize.rs lacks `{here}`");
    }
    assert!(!module.contains("pub fn is_word_char"));
}

//! Readability statistics for the docs linter.

/// True for characters that belong to a word: letters, digits and the
/// apostrophe (so "don't" is one word).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '\''
}

/// The words of `text`, in order, without punctuation.
pub fn words(text: &str) -> Vec<&str> {
    text.split(|c: char| !is_word_char(c))
        .filter(|w| !w.is_empty())
        .collect()
}

/// The sentences of `text`: split after `.`, `!` or `?`, trimmed, empty
/// ones dropped.
pub fn sentences(text: &str) -> Vec<&str> {
    text.split_inclusive(['.', '!', '?'])
        .map(str::trim)
        .filter(|s| s.chars().any(is_word_char))
        .collect()
}

/// Mean number of words per sentence (0 for no sentences).
pub fn words_per_sentence(text: &str) -> f64 {
    let sentences = sentences(text);
    if sentences.is_empty() {
        return 0.0;
    }
    let total: usize = sentences.iter().map(|s| words(s).len()).sum();
    total as f64 / sentences.len() as f64
}

/// The share of words longer than `long` characters, between 0 and 1.
pub fn long_word_ratio(text: &str, long: usize) -> f64 {
    let words = words(text);
    if words.is_empty() {
        return 0.0;
    }
    let n = words.iter().filter(|w| w.chars().count() > long).count();
    n as f64 / words.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn apostrophes_stay_in_words() {
        assert_eq!(words("Don't panic!"), vec!["Don't", "panic"]);
    }

    #[test]
    fn two_sentences() {
        assert_eq!(words_per_sentence("One two. Three four five six!"), 3.0);
    }
}

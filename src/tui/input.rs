//! The multi-line input box: editing, cursor movement and history.

/// Text being typed, as lines of chars, with a cursor and the history of
/// sent messages.
#[derive(Debug)]
pub struct Input {
    lines: Vec<Vec<char>>,
    row: usize,
    col: usize,
    history: Vec<String>,
    /// Where in the history Up/Down is, and the draft it replaced.
    browsing: Option<(usize, String)>,
}

impl Default for Input {
    fn default() -> Self {
        Self {
            lines: vec![Vec::new()],
            row: 0,
            col: 0,
            history: Vec::new(),
            browsing: None,
        }
    }
}

impl Input {
    pub fn text(&self) -> String {
        self.lines
            .iter()
            .map(|l| l.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("\n")
    }

    pub fn is_empty(&self) -> bool {
        self.lines.len() == 1 && self.lines[0].is_empty()
    }

    pub fn lines(&self) -> impl Iterator<Item = String> + '_ {
        self.lines.iter().map(|l| l.iter().collect())
    }

    /// The cursor as (row, column in chars).
    pub fn cursor(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    pub fn set(&mut self, text: &str) {
        self.lines = text.split('\n').map(|l| l.chars().collect()).collect();
        if self.lines.is_empty() {
            self.lines.push(Vec::new());
        }
        self.row = self.lines.len() - 1;
        self.col = self.lines[self.row].len();
    }

    pub fn clear(&mut self) {
        self.set("");
        self.browsing = None;
    }

    /// Takes the text out (for sending) and remembers it in the history.
    pub fn take(&mut self) -> String {
        let text = self.text();
        if !text.trim().is_empty() && self.history.last() != Some(&text) {
            self.history.push(text.clone());
        }
        self.clear();
        text
    }

    pub fn insert(&mut self, c: char) {
        if c == '\n' {
            return self.newline();
        }
        self.lines[self.row].insert(self.col, c);
        self.col += 1;
    }

    pub fn insert_str(&mut self, s: &str) {
        for c in s.chars() {
            if c != '\r' {
                self.insert(c);
            }
        }
    }

    pub fn newline(&mut self) {
        let rest = self.lines[self.row].split_off(self.col);
        self.row += 1;
        self.lines.insert(self.row, rest);
        self.col = 0;
    }

    pub fn backspace(&mut self) {
        if self.col > 0 {
            self.col -= 1;
            self.lines[self.row].remove(self.col);
        } else if self.row > 0 {
            let line = self.lines.remove(self.row);
            self.row -= 1;
            self.col = self.lines[self.row].len();
            self.lines[self.row].extend(line);
        }
    }

    pub fn delete(&mut self) {
        if self.col < self.lines[self.row].len() {
            self.lines[self.row].remove(self.col);
        } else if self.row + 1 < self.lines.len() {
            let next = self.lines.remove(self.row + 1);
            self.lines[self.row].extend(next);
        }
    }

    pub fn left(&mut self) {
        if self.col > 0 {
            self.col -= 1;
        } else if self.row > 0 {
            self.row -= 1;
            self.col = self.lines[self.row].len();
        }
    }

    pub fn right(&mut self) {
        if self.col < self.lines[self.row].len() {
            self.col += 1;
        } else if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = 0;
        }
    }

    pub fn home(&mut self) {
        self.col = 0;
    }

    pub fn end(&mut self) {
        self.col = self.lines[self.row].len();
    }

    /// Up: the line above, or the previous history entry on the first line.
    pub fn up(&mut self) {
        if self.row > 0 {
            self.row -= 1;
            self.col = self.col.min(self.lines[self.row].len());
            return;
        }
        let at = match &self.browsing {
            Some((i, _)) => i.checked_sub(1),
            None => self.history.len().checked_sub(1),
        };
        if let Some(i) = at {
            let draft = match self.browsing.take() {
                Some((_, d)) => d,
                None => self.text(),
            };
            let entry = self.history[i].clone();
            self.set(&entry);
            self.browsing = Some((i, draft));
        }
    }

    /// Down: the line below, or the next history entry (then the draft).
    pub fn down(&mut self) {
        if self.row + 1 < self.lines.len() {
            self.row += 1;
            self.col = self.col.min(self.lines[self.row].len());
            return;
        }
        if let Some((i, draft)) = self.browsing.take() {
            match self.history.get(i + 1).cloned() {
                Some(next) => {
                    self.set(&next);
                    self.browsing = Some((i + 1, draft));
                }
                None => self.set(&draft),
            }
        }
    }

    /// The word the cursor ends (for completion): its start column and text.
    pub fn current_word(&self) -> (usize, String) {
        let line = &self.lines[self.row];
        let start = line[..self.col]
            .iter()
            .rposition(|c| c.is_whitespace())
            .map(|i| i + 1)
            .unwrap_or(0);
        (start, line[start..self.col].iter().collect())
    }

    /// Replaces the word the cursor ends with `with`.
    pub fn replace_current_word(&mut self, with: &str) {
        let (start, _) = self.current_word();
        let line = &mut self.lines[self.row];
        line.drain(start..self.col);
        let new: Vec<char> = with.chars().collect();
        let n = new.len();
        line.splice(start..start, new);
        self.col = start + n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn editing_and_newlines() {
        let mut i = Input::default();
        i.insert_str("helo");
        i.left();
        i.insert('l');
        i.end();
        i.newline();
        i.insert_str("world");
        assert_eq!(i.text(), "hello\nworld");
        i.home();
        i.backspace();
        assert_eq!(i.text(), "helloworld");
        assert_eq!(i.cursor(), (0, 5));
        i.delete();
        assert_eq!(i.text(), "helloorld");
    }

    #[test]
    fn history_walks_back_and_restores_the_draft() {
        let mut i = Input::default();
        i.insert_str("first");
        assert_eq!(i.take(), "first");
        i.insert_str("second");
        i.take();
        i.insert_str("draft");
        i.up();
        assert_eq!(i.text(), "second");
        i.up();
        assert_eq!(i.text(), "first");
        i.up();
        assert_eq!(i.text(), "first");
        i.down();
        assert_eq!(i.text(), "second");
        i.down();
        assert_eq!(i.text(), "draft");
    }

    #[test]
    fn completion_replaces_the_current_word() {
        let mut i = Input::default();
        i.insert_str("look at @src/ma");
        assert_eq!(i.current_word(), (8, "@src/ma".to_string()));
        i.replace_current_word("@src/main.rs ");
        assert_eq!(i.text(), "look at @src/main.rs ");
    }
}

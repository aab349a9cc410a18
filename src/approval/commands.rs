//! Which shell commands count as read-only for the approval policy.
//!
//! Conservative by construction: a command is read-only only when every
//! part of it is a plain word list (no redirection, substitution,
//! background job or subshell) whose program and arguments are on the
//! documented allow-list, or matches one of the user's `allow_commands`
//! globs. Anything the scanner does not understand needs approval.

/// Programs that only read, whatever their arguments (apart from the
/// argument checks in [`args_allowed`]).
const READ_ONLY: &[&str] = &[
    "basename", "cat", "cmp", "cut", "df", "diff", "dirname", "du", "echo", "false", "file",
    "find", "grep", "egrep", "fgrep", "head", "id", "ls", "nl", "printf", "pwd", "readlink",
    "realpath", "rg", "sed", "sort", "stat", "tail", "tr", "true", "uname", "uniq", "wc", "which",
    "whoami", "git",
];

/// `git` subcommands that only read.
const GIT_READ_ONLY: &[&str] = &[
    "blame",
    "describe",
    "diff",
    "grep",
    "log",
    "ls-files",
    "ls-tree",
    "rev-parse",
    "shortlog",
    "show",
    "status",
];

/// `find` actions that write, delete or run something.
const FIND_ACTIONS: &[&str] = &[
    "-exec", "-execdir", "-ok", "-okdir", "-delete", "-fprint", "-fprint0", "-fprintf", "-fls",
];

/// Whether `command` only reads: each part of a `|`, `&&`, `||` or `;`
/// chain is allowed by the built-in list or by one of `extra` (globs over
/// the part's text, e.g. `cargo test*`).
pub fn is_read_only(command: &str, extra: &globset::GlobSet) -> bool {
    let Some(parts) = split_chain(command) else {
        return false;
    };
    !parts.is_empty()
        && parts.iter().all(|part| {
            let part = part.trim();
            extra.is_match(part) || shlex::split(part).is_some_and(|words| words_allowed(&words))
        })
}

fn words_allowed(words: &[String]) -> bool {
    let Some((program, args)) = words.split_first() else {
        return false;
    };
    // An assignment (`FOO=1 cmd`) can change what a program does.
    if program.contains('=') || !READ_ONLY.contains(&program.as_str()) {
        return false;
    }
    args_allowed(program, args)
}

fn args_allowed(program: &str, args: &[String]) -> bool {
    match program {
        "find" => !args.iter().any(|a| FIND_ACTIONS.contains(&a.as_str())),
        // Only printing: `sed -n '1,20p' file`; `-i` edits in place and a
        // script can write files (`w`), so anything else asks.
        "sed" => sed_prints_only(args),
        "git" => git_reads_only(args),
        // `sort -o FILE` writes.
        "sort" => !args
            .iter()
            .any(|a| a.starts_with("-o") || a.starts_with("--output")),
        // `uniq IN OUT` writes OUT.
        "uniq" => args.iter().filter(|a| !a.starts_with('-')).count() <= 1,
        // `rg --pre CMD` runs CMD on every file.
        "rg" => !args.iter().any(|a| a.starts_with("--pre")),
        _ => true,
    }
}

fn sed_prints_only(args: &[String]) -> bool {
    let mut quiet = false;
    let mut script = None;
    for a in args {
        match a.as_str() {
            "-n" | "--quiet" | "--silent" => quiet = true,
            s if s.starts_with('-') => return false,
            s if script.is_none() => script = Some(s),
            _ => {}
        }
    }
    quiet
        && script.is_some_and(|s| {
            s.split(';').all(|cmd| {
                let cmd = cmd.trim();
                cmd.ends_with('p')
                    && cmd[..cmd.len() - 1]
                        .chars()
                        .all(|c| c.is_ascii_digit() || c == ',' || c == '$')
            })
        })
}

fn git_reads_only(args: &[String]) -> bool {
    // Global options before the subcommand (`-C dir`, `-c k=v`) can point
    // git elsewhere or change what it runs: ask.
    let Some(sub) = args.first() else {
        return false;
    };
    if !GIT_READ_ONLY.contains(&sub.as_str()) {
        return false;
    }
    // `--output=FILE` (diff, log) writes a file; `--ext-diff` and
    // `git grep -O` run a program.
    !args.iter().any(|a| {
        a.starts_with("--output")
            || a == "--ext-diff"
            || a.starts_with("--exec")
            || a.starts_with("-O")
            || a.starts_with("--open-files-in-pager")
    })
}

/// Splits a command on `|`, `||`, `&&` and `;` outside quotes. `None` when
/// it holds anything that is not a plain chain of word lists: redirections,
/// `$(…)`, backticks, `$VAR` expansion, a lone `&`, subshells, newlines or
/// unbalanced quotes.
fn split_chain(command: &str) -> Option<Vec<String>> {
    let mut parts = Vec::new();
    let mut current = String::new();
    let mut chars = command.chars().peekable();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (Some('\''), '\'') | (Some('"'), '"') => {
                quote = None;
                current.push(c);
            }
            (Some('\''), _) => current.push(c),
            (Some(_), '$' | '`') => return None,
            (Some(_), '\\') => {
                current.push(c);
                current.push(chars.next()?);
            }
            (Some(_), _) => current.push(c),
            (None, '\'' | '"') => {
                quote = Some(c);
                current.push(c);
            }
            (None, '\\') => {
                current.push(c);
                current.push(chars.next()?);
            }
            (None, '|') => {
                if chars.peek() == Some(&'|') {
                    chars.next();
                }
                parts.push(std::mem::take(&mut current));
            }
            (None, '&') => {
                if chars.next() != Some('&') {
                    return None;
                }
                parts.push(std::mem::take(&mut current));
            }
            (None, ';') => parts.push(std::mem::take(&mut current)),
            (None, '<' | '>' | '$' | '`' | '(' | ')' | '{' | '}' | '\n' | '\r') => return None,
            (None, _) => current.push(c),
        }
    }
    if quote.is_some() {
        return None;
    }
    parts.push(current);
    // `a ;; b` or a trailing `|`: not a plain chain.
    if parts.iter().any(|p| p.trim().is_empty()) {
        return None;
    }
    Some(parts)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn globs(patterns: &[&str]) -> globset::GlobSet {
        let mut b = globset::GlobSetBuilder::new();
        for p in patterns {
            b.add(globset::Glob::new(p).unwrap());
        }
        b.build().unwrap()
    }

    #[test]
    fn plain_reads_are_read_only() {
        let none = globs(&[]);
        for cmd in [
            "ls -la",
            "cat src/main.rs | head -n 20",
            "grep -rn 'fn main' src && wc -l src/lib.rs",
            "git status; git diff HEAD~1 -- src",
            "sed -n '1,40p' calc.py",
            "find . -name '*.py'",
            "rg \"a|b\" src",
        ] {
            assert!(is_read_only(cmd, &none), "{cmd}");
        }
    }

    #[test]
    fn writes_and_unknown_programs_need_approval() {
        let none = globs(&[]);
        for cmd in [
            "rm -rf build",
            "echo hi > out.txt",
            "cat a >> b",
            "ls $(rm x)",
            "ls `rm x`",
            "echo \"$(rm x)\"",
            "find . -delete",
            "find . -exec rm {} \\;",
            "sed -i 's/a/b/' f",
            "sed -n '1w out' f",
            "git commit -am x",
            "git -C /elsewhere status",
            "git diff --output=x",
            "sort -o f f",
            "uniq a b",
            "rg --pre ./run x",
            "git grep -Ovim x",
            "date -s 2020-01-01",
            "ls & rm x",
            "(rm x)",
            "ls\nrm x",
            "FOO=1 ls",
            "python3 -m unittest",
            "cat 'unterminated",
            "ls ;; ls",
            "ls |",
            "",
        ] {
            assert!(!is_read_only(cmd, &none), "{cmd:?}");
        }
    }

    #[test]
    fn user_globs_extend_the_list_part_by_part() {
        let extra = globs(&["cargo test*", "python3 -m pytest*"]);
        assert!(is_read_only("cargo test --quiet", &extra));
        assert!(is_read_only("cargo test 2", &extra));
        assert!(is_read_only("python3 -m pytest -q | tail -5", &extra));
        // Every part must be allowed, and metacharacters are never hidden
        // inside a glob match.
        assert!(!is_read_only("cargo test; rm -rf /", &extra));
        assert!(!is_read_only("cargo test > log", &extra));
        assert!(is_read_only("cargo test && cargo test -p x", &extra));
        assert!(!is_read_only("cargo build", &extra));
    }
}

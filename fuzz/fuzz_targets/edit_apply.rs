//! Edit application: edit_file's replacement (and its no-match and
//! ambiguity explanations), apply_patch's parser, hunk application and
//! planning against a real workspace, on arbitrary file text and edits
//! built mostly from the file's own lines (so they often match).
//!
//! Properties: no panic; a successful edit_file replacement is the file
//! with old_string replaced by new_string and nothing else changed but the
//! final line break, which stays as it was; a CRLF file stays CRLF and an
//! LF file stays LF; a patch keeps the final line break and the line-break
//! style the same way; planning writes nothing.

#![no_main]

use std::path::PathBuf;
use std::sync::OnceLock;

use arbitrary::Arbitrary;
use kiln::tools::Workspace;
use kiln::tools::apply_patch::fuzz::{apply_to_text, parse_ops, plan};
use kiln::tools::edit_file::replace_for_fuzz;
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct File<'a> {
    lines: Vec<&'a str>,
    /// 0: LF, 1: CRLF, 2: mixed (alternating), 3: CRLF with one LF.
    style: u8,
    final_newline: bool,
}

impl File<'_> {
    fn render(&self) -> String {
        let mut s = String::new();
        let n = self.lines.len();
        for (i, line) in self.lines.iter().enumerate() {
            s.push_str(line);
            if i + 1 == n && !self.final_newline {
                break;
            }
            let crlf = match self.style % 4 {
                0 => false,
                1 => true,
                2 => i % 2 == 0,
                _ => i != 1,
            };
            s.push_str(if crlf { "\r\n" } else { "\n" });
        }
        s
    }
}

/// old_string: mostly a piece of the file, so it matches.
#[derive(Arbitrary, Debug)]
enum Old<'a> {
    Slice { start: u16, len: u16, to_lf: bool },
    Text(&'a str),
}

#[derive(Arbitrary, Debug)]
struct Edit<'a> {
    old: Old<'a>,
    new: &'a str,
    replace_all: bool,
}

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Ws {
    Same,
    Trailing,
    Outer,
}

#[derive(Arbitrary, Debug)]
enum PLine<'a> {
    Context(u16, Ws),
    Remove(u16, Ws),
    Add(&'a str),
    Raw(&'a str),
    Blank,
}

#[derive(Arbitrary, Debug)]
enum Header<'a> {
    FileLine(u16),
    Text(&'a str),
    Unified,
}

#[derive(Arbitrary, Debug)]
struct Hunk<'a> {
    headers: Vec<Header<'a>>,
    lines: Vec<PLine<'a>>,
    eof: bool,
}

#[derive(Arbitrary, Debug)]
struct Section<'a> {
    /// 0: update, 1: add, 2: delete, 3: update and move.
    kind: u8,
    path: u8,
    to: u8,
    hunks: Vec<Hunk<'a>>,
}

#[derive(Arbitrary, Debug)]
enum Patch<'a> {
    Built {
        sections: Vec<Section<'a>>,
        /// 0: Begin/End, 1: bare, 2: in a fence, 3: Begin only, 4: End only.
        wrap: u8,
        crlf: bool,
    },
    Raw(&'a str),
}

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    file: File<'a>,
    edit: Edit<'a>,
    patch: Patch<'a>,
    plan: bool,
}

const PATHS: &[&str] = &[
    "f.txt",
    "g.txt",
    "sub/h.txt",
    "new.txt",
    "f.txt/x",
    "sub",
    "../out.txt",
    "/etc/hosts",
    "./f.txt",
    "",
];

fn uses_crlf(s: &str) -> bool {
    let crlf = s.matches("\r\n").count();
    crlf > 0 && crlf * 2 >= s.matches('\n').count()
}

fn to_crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

fn has_bare_lf(s: &str) -> bool {
    s.match_indices('\n')
        .any(|(i, _)| i == 0 || s.as_bytes()[i - 1] != b'\r')
}

fn trim_eol(s: &str) -> &str {
    s.strip_suffix("\r\n")
        .or_else(|| s.strip_suffix('\n'))
        .unwrap_or(s)
}

fn old_string(content: &str, old: &Old<'_>) -> String {
    match old {
        Old::Text(s) => (*s).to_string(),
        Old::Slice { start, len, to_lf } => {
            if content.is_empty() {
                return String::new();
            }
            let floor = |mut i: usize| {
                while !content.is_char_boundary(i) {
                    i -= 1;
                }
                i
            };
            let a = floor(usize::from(*start) % content.len());
            let b = floor((a + usize::from(*len)).min(content.len()));
            let s = &content[a..b];
            if *to_lf {
                s.replace("\r\n", "\n")
            } else {
                s.to_string()
            }
        }
    }
}

fn check_edit(content: &str, edit: &Edit<'_>) {
    let old = old_string(content, &edit.old);
    let Ok((result, count)) = replace_for_fuzz(content, &old, edit.new, edit.replace_all) else {
        return;
    };
    // The text that matched: in a CRLF file the CRLF form of the model's
    // text is tried first.
    let crlf = uses_crlf(content);
    let (old_m, new_m) = if crlf && content.contains(&to_crlf(&old)) {
        (to_crlf(&old), to_crlf(edit.new))
    } else {
        (old.clone(), edit.new.to_string())
    };
    assert_eq!(count, content.matches(old_m.as_str()).count());
    let expected = if edit.replace_all {
        content.replace(old_m.as_str(), &new_m)
    } else {
        assert_eq!(count, 1, "several matches replaced without replace_all");
        content.replacen(old_m.as_str(), &new_m, 1)
    };
    // Only the final line break may differ from a plain replacement: one
    // is added or removed so that the file ends with a line break exactly
    // when it did before, unless that would undo the whole edit.
    if result != expected {
        let eol = if crlf { "\r\n" } else { "\n" };
        let fixed = if content.ends_with('\n') {
            !expected.ends_with('\n') && result == format!("{expected}{eol}")
        } else {
            expected.ends_with('\n') && result == trim_eol(&expected)
        };
        assert!(
            fixed,
            "{content:?} / {old:?} -> {:?} gave {result:?}",
            edit.new
        );
    } else if !expected.is_empty() && expected.ends_with('\n') != content.ends_with('\n') {
        let adjusted = if content.ends_with('\n') {
            format!("{expected}{}", if crlf { "\r\n" } else { "\n" })
        } else {
            trim_eol(&expected).to_string()
        };
        assert_eq!(
            adjusted, content,
            "final newline changed: {content:?} -> {result:?}"
        );
    }
    let plain = !old.contains('\r') && !edit.new.contains('\r');
    if plain && content.contains("\r\n") && !has_bare_lf(content) {
        assert!(!has_bare_lf(&result), "CRLF file got an LF: {result:?}");
    }
    if plain && !content.contains('\r') {
        assert!(!result.contains('\r'), "LF file got a CR: {result:?}");
    }
}

fn build_patch(patch: &Patch<'_>, content: &str) -> String {
    let (sections, wrap, crlf) = match patch {
        Patch::Raw(s) => return (*s).to_string(),
        Patch::Built {
            sections,
            wrap,
            crlf,
        } => (sections, *wrap, *crlf),
    };
    let file: Vec<&str> = content
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .collect();
    let line = |k: u16, ws: Ws| {
        let text = file[usize::from(k) % file.len()];
        match ws {
            Ws::Same => text.to_string(),
            Ws::Trailing => format!("{text}  "),
            Ws::Outer => format!("\t{} ", text.trim()),
        }
    };
    let mut out: Vec<String> = Vec::new();
    for s in sections {
        let path = PATHS[usize::from(s.path) % PATHS.len()];
        let kind = s.kind % 4;
        match kind {
            1 => out.push(format!("*** Add File: {path}")),
            2 => out.push(format!("*** Delete File: {path}")),
            _ => out.push(format!("*** Update File: {path}")),
        }
        if kind == 3 {
            out.push(format!(
                "*** Move to: {}",
                PATHS[usize::from(s.to) % PATHS.len()]
            ));
        }
        for h in &s.hunks {
            if kind != 1 {
                for header in &h.headers {
                    out.push(match header {
                        Header::FileLine(k) => format!("@@ {}", line(*k, Ws::Same)),
                        Header::Text(t) => format!("@@ {t}"),
                        Header::Unified => "@@ -1,3 +1,4 @@".to_string(),
                    });
                }
                if h.headers.is_empty() {
                    out.push("@@".into());
                }
            }
            for l in &h.lines {
                out.push(match l {
                    PLine::Context(k, ws) => format!(" {}", line(*k, *ws)),
                    PLine::Remove(k, ws) => format!("-{}", line(*k, *ws)),
                    PLine::Add(t) => format!("+{t}"),
                    PLine::Raw(t) => (*t).to_string(),
                    PLine::Blank => String::new(),
                });
            }
            if h.eof {
                out.push("*** End of File".into());
            }
        }
    }
    match wrap % 5 {
        0 => {
            out.insert(0, "*** Begin Patch".into());
            out.push("*** End Patch".into());
        }
        1 => {}
        2 => {
            out.insert(0, "```diff".into());
            out.insert(1, "*** Begin Patch".into());
            out.push("*** End Patch".into());
            out.push("```".into());
        }
        3 => out.insert(0, "*** Begin Patch".into()),
        _ => out.push("*** End Patch".into()),
    }
    out.join(if crlf { "\r\n" } else { "\n" })
}

fn check_patch_text(patch: &str, content: &str) {
    let Ok(results) = apply_to_text(patch, content) else {
        return;
    };
    let ended = content.is_empty() || content.ends_with('\n');
    // Line texts of the patch come from splitting it on `\n` (after CRLF
    // → LF), so only a lone CR can bring a `\r` in.
    let patch_cr = patch.replace("\r\n", "\n").contains('\r');
    for result in results.into_iter().flatten() {
        // The other way round cannot be checked on the bytes: a file that
        // did not end with a line break ends in `\n` when its last line is
        // now empty ("a\n|" minus "|" plus "" is "a\n").
        assert!(
            !ended || result.is_empty() || result.ends_with('\n'),
            "final newline lost: {content:?} -> {result:?}"
        );
        if !patch_cr && content.contains("\r\n") && !has_bare_lf(content) {
            assert!(!has_bare_lf(&result), "CRLF file got an LF: {result:?}");
        }
        if !patch_cr && !content.contains('\r') {
            assert!(!result.contains('\r'), "LF file got a CR: {result:?}");
        }
    }
}

/// One workspace for the whole run: `f.txt` (rewritten with each input),
/// `g.txt` and `sub/`.
fn workspace() -> &'static (tempfile::TempDir, Workspace, PathBuf) {
    static WS: OnceLock<(tempfile::TempDir, Workspace, PathBuf)> = OnceLock::new();
    WS.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("g.txt"), "one\ntwo\nthree\n").unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let ws = Workspace::new(dir.path()).unwrap();
        let f = dir.path().join("f.txt");
        (dir, ws, f)
    })
}

fn listing(dir: &std::path::Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut all = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p.clone());
                all.push((p, Vec::new()));
            } else {
                let bytes = std::fs::read(&p).unwrap();
                all.push((p, bytes));
            }
        }
    }
    all.sort();
    all
}

fn check_plan(patch: &str, content: &str) {
    let (dir, ws, f) = workspace();
    std::fs::write(f, content).unwrap();
    let before = listing(dir.path());
    if let Ok((summary, files)) = plan(patch, ws) {
        let ops = parse_ops(patch).unwrap();
        assert_eq!(summary.len(), ops);
        assert!(!files.is_empty());
    }
    assert_eq!(
        listing(dir.path()),
        before,
        "planning changed the workspace"
    );
}

fuzz_target!(|input: Input<'_>| {
    let content = input.file.render();
    check_edit(&content, &input.edit);
    let patch = build_patch(&input.patch, &content);
    let _ = parse_ops(&patch);
    check_patch_text(&patch, &content);
    if input.plan {
        check_plan(&patch, &content);
    }
});

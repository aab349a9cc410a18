//! Counting the tests a check's output reports, from the summary lines test
//! runners print (pytest, unittest, cargo test / nextest, `go test -v`,
//! jest / vitest). `kiln fix` compares the counts before and after a fix,
//! so a "fix" that deletes or skips tests does not count.
//!
//! Parsing is by plain string matching and deliberately strict: a line
//! counts only if it has exactly the shape of a runner's summary, so stray
//! output seldom passes for one.

use serde::Serialize;

/// Tests a check's output reports.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TestCount {
    /// Tests that ran (passed + failed + errored); skipped/ignored ones are not counted.
    pub ran: u64,
    pub failed: u64,
    pub skipped: u64,
}

impl TestCount {
    fn add(self, other: TestCount) -> TestCount {
        TestCount {
            ran: self.ran.saturating_add(other.ran),
            failed: self.failed.saturating_add(other.failed),
            skipped: self.skipped.saturating_add(other.skipped),
        }
    }
}

/// The runner whose summary was recognised.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Runner {
    Pytest,
    Unittest,
    /// `cargo test` (libtest) or `cargo nextest`.
    Cargo,
    /// `go test -v`.
    Go,
    /// Jest or vitest.
    Jest,
}

/// Parses the summary lines of the check's combined stdout+stderr. None when
/// no known summary appears.
///
/// ANSI escapes are stripped first. Where a runner prints one summary per
/// test binary or package (cargo), or the check runs it several times, its
/// summaries are summed. Where several runners' summaries appear, the one
/// with the most tests that ran wins (the first in [`Runner`] order on a
/// tie).
pub fn count(output: &str) -> Option<(Runner, TestCount)> {
    let text = strip_ansi(output);
    // A lone `\r` (progress redrawn in place) ends a line too.
    let lines: Vec<&str> = text.split(['\n', '\r']).collect();
    let found = [
        (
            Runner::Pytest,
            sum(lines.iter().filter_map(|l| pytest_line(l))),
        ),
        (Runner::Unittest, unittest(&lines)),
        (
            Runner::Cargo,
            sum(lines.iter().filter_map(|l| cargo_line(l))),
        ),
        (Runner::Go, go_verbose(&lines)),
        (Runner::Jest, sum(lines.iter().filter_map(|l| jest_line(l)))),
    ];
    let mut best: Option<(Runner, TestCount)> = None;
    for (runner, counted) in found {
        let Some(counted) = counted else { continue };
        if best.is_none_or(|(_, b)| counted.ran > b.ran) {
            best = Some((runner, counted));
        }
    }
    best
}

/// Removes ANSI escape sequences: CSI (`ESC [ … final`), OSC (`ESC ] … BEL`
/// or `ESC ] … ESC \`), `ESC ( B`-style designations and two-byte escapes.
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '\u{1b}' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('[') => {
                // Parameter and intermediate bytes, then one final byte.
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
            Some(']') => {
                while let Some(c) = chars.next() {
                    if c == '\u{7}' {
                        break;
                    }
                    if c == '\u{1b}' {
                        if chars.peek() == Some(&'\\') {
                            chars.next();
                        }
                        break;
                    }
                }
            }
            // `ESC ( B` and the like: intermediate bytes, then one final byte.
            Some(c) if ('\u{20}'..='\u{2f}').contains(&c) => {
                for c in chars.by_ref() {
                    if !('\u{20}'..='\u{2f}').contains(&c) {
                        break;
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn sum(counts: impl Iterator<Item = TestCount>) -> Option<TestCount> {
    counts.fold(None, |acc, c| Some(acc.unwrap_or_default().add(c)))
}

/// `3 passed` → `(3, "passed")`.
fn num_word(part: &str) -> Option<(u64, &str)> {
    let (n, word) = part.trim().split_once(' ')?;
    Some((n.parse().ok()?, word.trim()))
}

/// A duration as pytest and unittest print it: `0.12s`, `0s`, `125.23s (0:02:05)`.
fn is_duration(text: &str) -> bool {
    text.split_whitespace()
        .next()
        .and_then(|t| t.strip_suffix('s'))
        .is_some_and(|n| n.starts_with(|c: char| c.is_ascii_digit()) && n.parse::<f64>().is_ok())
}

/// pytest's final line: `==== 3 passed, 1 failed, 2 skipped in 0.12s ====`,
/// `1 failed, 3 passed in 0.05s` (`-q`), `no tests ran in 0.01s`.
fn pytest_line(line: &str) -> Option<TestCount> {
    let line = line.trim().trim_matches('=').trim();
    let (counts, duration) = line.rsplit_once(" in ")?;
    if !is_duration(duration) {
        return None;
    }
    let mut c = TestCount::default();
    let mut known = false;
    for part in counts.split(',') {
        if part.trim() == "no tests ran" {
            known = true;
            continue;
        }
        let (n, word) = num_word(part)?;
        match word {
            "passed" | "xfailed" | "xpassed" => c.ran = c.ran.saturating_add(n),
            "failed" | "error" | "errors" => {
                c.ran = c.ran.saturating_add(n);
                c.failed = c.failed.saturating_add(n);
            }
            "skipped" => c.skipped = c.skipped.saturating_add(n),
            "deselected" | "warning" | "warnings" | "rerun" => {}
            // A plugin's own words (`3 subtests passed`): well formed, not counted.
            _ if word.chars().all(|c| c.is_ascii_lowercase() || c == ' ') => continue,
            _ => return None,
        }
        known = true;
    }
    known.then_some(c)
}

/// unittest: `Ran 5 tests in 0.003s`, then (after a blank line) `OK`,
/// `OK (skipped=2)` or `FAILED (failures=1, errors=1, skipped=1)`.
fn unittest(lines: &[&str]) -> Option<TestCount> {
    let mut total: Option<TestCount> = None;
    for (i, line) in lines.iter().enumerate() {
        let Some(ran) = unittest_ran(line) else {
            continue;
        };
        let status = lines[i + 1..]
            .iter()
            .map(|l| l.trim())
            .find(|l| !l.is_empty())
            .unwrap_or("");
        let (failed, skipped) = unittest_status(status);
        let c = TestCount {
            ran: ran.saturating_sub(skipped),
            failed,
            skipped,
        };
        total = Some(total.unwrap_or_default().add(c));
    }
    total
}

/// `Ran 5 tests in 0.003s` → 5.
fn unittest_ran(line: &str) -> Option<u64> {
    let rest = line.trim().strip_prefix("Ran ")?;
    let (n, rest) = rest.split_once(' ')?;
    let duration = rest
        .strip_prefix("tests in ")
        .or_else(|| rest.strip_prefix("test in "))?;
    if !is_duration(duration) {
        return None;
    }
    n.parse().ok()
}

/// `FAILED (failures=1, errors=1, skipped=1)` → (failed 2, skipped 1). A
/// line that is no status line reads as nothing failed or skipped.
fn unittest_status(status: &str) -> (u64, u64) {
    let Some(rest) = ["OK", "FAILED", "NO TESTS RAN"]
        .iter()
        .find_map(|word| status.strip_prefix(word))
    else {
        return (0, 0);
    };
    let details = rest
        .trim()
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .unwrap_or("");
    let (mut failed, mut skipped) = (0u64, 0u64);
    for part in details.split(',') {
        let Some((key, n)) = part.split_once('=') else {
            continue;
        };
        let Ok(n) = n.trim().parse::<u64>() else {
            continue;
        };
        match key.trim() {
            "failures" | "errors" | "unexpected successes" => failed = failed.saturating_add(n),
            "skipped" => skipped = skipped.saturating_add(n),
            _ => {}
        }
    }
    (failed, skipped)
}

/// cargo test: `test result: ok. 5 passed; 0 failed; 1 ignored; 0 measured;
/// 0 filtered out; finished in 0.00s`; cargo nextest: `Summary [ 0.01s] 3
/// tests run: 2 passed, 1 failed, 1 skipped`.
fn cargo_line(line: &str) -> Option<TestCount> {
    let line = line.trim();
    if let Some(rest) = line.strip_prefix("test result: ") {
        let rest = rest
            .strip_prefix("ok.")
            .or_else(|| rest.strip_prefix("FAILED."))?;
        let mut c = TestCount::default();
        let mut known = false;
        for part in rest.split(';') {
            // `finished in 0.00s` is no count.
            let Some((n, word)) = num_word(part) else {
                continue;
            };
            match word {
                "passed" => c.ran = c.ran.saturating_add(n),
                "failed" => {
                    c.ran = c.ran.saturating_add(n);
                    c.failed = c.failed.saturating_add(n);
                }
                "ignored" => c.skipped = c.skipped.saturating_add(n),
                _ => continue,
            }
            known = true;
        }
        return known.then_some(c);
    }
    nextest_line(line)
}

fn nextest_line(line: &str) -> Option<TestCount> {
    let rest = line.strip_prefix("Summary [")?;
    let (_, rest) = rest.split_once(']')?;
    let (head, counts) = rest.split_once(':')?;
    let head = head.trim();
    let run = head
        .strip_suffix(" tests run")
        .or_else(|| head.strip_suffix(" test run"))?;
    // A cancelled run says `3/10 tests run`.
    let run = run.split('/').next().unwrap_or(run);
    let mut c = TestCount {
        ran: run.trim().parse().ok()?,
        ..TestCount::default()
    };
    for part in counts.split(',') {
        let Some((n, word)) = num_word(part) else {
            continue;
        };
        match word {
            "failed" | "timed out" => c.failed = c.failed.saturating_add(n),
            "skipped" => c.skipped = c.skipped.saturating_add(n),
            _ => {}
        }
    }
    Some(c)
}

/// `go test -v`: one `--- PASS:` / `--- FAIL:` / `--- SKIP:` line per test
/// and subtest (subtests indented). Without `-v`, go prints only the failing
/// tests' lines, which would count a failing run and not the passing one; so
/// nothing counts unless the `=== RUN` lines of `-v` are there.
fn go_verbose(lines: &[&str]) -> Option<TestCount> {
    if !lines.iter().any(|l| l.trim_start().starts_with("=== RUN ")) {
        return None;
    }
    let mut c = TestCount::default();
    for line in lines {
        let line = line.trim_start();
        if line.starts_with("--- PASS: ") {
            c.ran += 1;
        } else if line.starts_with("--- FAIL: ") {
            c.ran += 1;
            c.failed += 1;
        } else if line.starts_with("--- SKIP: ") {
            c.skipped += 1;
        }
    }
    Some(c)
}

/// jest: `Tests:       1 failed, 2 skipped, 3 passed, 6 total`; vitest:
/// `Tests  2 failed | 5 passed (7)`. Todo tests count as skipped.
fn jest_line(line: &str) -> Option<TestCount> {
    let rest = line.trim().strip_prefix("Tests")?;
    let (parts, total): (Vec<&str>, Option<u64>) = if let Some(rest) = rest.strip_prefix(':') {
        (rest.split(',').collect(), None)
    } else if rest.starts_with(char::is_whitespace) {
        // vitest: `2 failed | 5 passed (7)`.
        let rest = rest.trim();
        let (counts, total) = match rest.strip_suffix(')').and_then(|r| r.rsplit_once('(')) {
            Some((counts, total)) => (counts, Some(total.trim().parse().ok()?)),
            None => (rest, None),
        };
        (counts.split('|').collect(), total)
    } else {
        return None;
    };
    let (mut passed, mut failed, mut skipped, mut total) = (0u64, 0u64, 0u64, total);
    let mut known = false;
    for part in parts {
        let (n, word) = num_word(part)?;
        match word {
            "passed" => passed = passed.saturating_add(n),
            "failed" => failed = failed.saturating_add(n),
            "skipped" | "todo" => skipped = skipped.saturating_add(n),
            "total" => total = Some(n),
            _ => continue,
        }
        known = true;
    }
    if !known {
        return None;
    }
    let ran = match total {
        Some(total) => total.saturating_sub(skipped),
        None => passed.saturating_add(failed),
    };
    Some(TestCount {
        ran,
        failed,
        skipped,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tc(ran: u64, failed: u64, skipped: u64) -> TestCount {
        TestCount {
            ran,
            failed,
            skipped,
        }
    }

    #[test]
    fn cargo_sums_every_binary_and_doc_tests() {
        let out = "\
   Compiling kiln v0.1.0 (/work/main)
    Finished `test` profile [unoptimized + debuginfo] target(s) in 4.21s
     Running unittests src/lib.rs (target/debug/deps/kiln-1a2b3c)

running 5 tests
test a::one ... ok
test a::two ... ok
test a::three ... FAILED
test a::four ... ignored
test a::five ... ok

failures:

---- a::three stdout ----
thread 'a::three' panicked at src/a.rs:10:5:
assertion `left == right` failed

failures:
    a::three

test result: FAILED. 3 passed; 1 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s

     Running tests/cli.rs (target/debug/deps/cli-4d5e6f)

running 2 tests
test runs ... ok
test help ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 3 filtered out; finished in 0.20s

   Doc-tests kiln

running 1 test
test src/lib.rs - f (line 3) ... ok

test result: ok. 1 passed; 0 failed; 2 ignored; 0 measured; 0 filtered out; finished in 0.30s

error: test failed, to rerun pass `--lib`
";
        assert_eq!(count(out), Some((Runner::Cargo, tc(7, 1, 3))));
    }

    #[test]
    fn cargo_nextest_summary() {
        let out = "\
    Starting 4 tests across 2 binaries (1 test skipped)
        PASS [   0.004s] kiln a::one
        FAIL [   0.005s] kiln a::two
------------
     Summary [   0.012s] 4 tests run: 3 passed, 1 failed, 1 skipped
        FAIL [   0.005s] kiln a::two
error: test run failed
";
        assert_eq!(count(out), Some((Runner::Cargo, tc(4, 1, 1))));
    }

    #[test]
    fn pytest_verbose() {
        let out = "\
============================= test session starts ==============================
platform linux -- Python 3.12.3, pytest-8.2.0, pluggy-1.5.0 -- /usr/bin/python3
rootdir: /work/proj
collected 9 items / 1 deselected / 8 selected

tests/test_calc.py::test_add PASSED                                      [ 12%]
tests/test_calc.py::test_sub PASSED                                      [ 25%]
tests/test_calc.py::test_div FAILED                                      [ 37%]
tests/test_calc.py::test_pow SKIPPED (not yet)                           [ 50%]
tests/test_calc.py::test_mod SKIPPED (not yet)                           [ 62%]
tests/test_calc.py::test_neg XFAIL                                       [ 75%]
tests/test_calc.py::test_abs PASSED                                      [ 87%]
tests/test_calc.py::test_io ERROR                                        [100%]

=================================== FAILURES ===================================
___________________________________ test_div ___________________________________

    def test_div():
>       assert div(1, 0) == 0
E       ZeroDivisionError: division by zero

tests/test_calc.py:12: ZeroDivisionError
=========================== short test summary info ============================
FAILED tests/test_calc.py::test_div - ZeroDivisionError: division by zero
ERROR tests/test_calc.py::test_io - FileNotFoundError
== 1 failed, 3 passed, 2 skipped, 1 deselected, 1 xfailed, 2 warnings, 1 error in 0.12s ==
";
        assert_eq!(count(out), Some((Runner::Pytest, tc(6, 2, 2))));
    }

    #[test]
    fn pytest_quiet() {
        let out = "\
..F.s                                                                    [100%]
=================================== FAILURES ===================================
___________________________________ test_div ___________________________________
E       assert 1 == 2
=========================== short test summary info ============================
FAILED test_calc.py::test_div - assert 1 == 2
1 failed, 3 passed, 1 skipped, 1 xpassed in 0.05s
";
        assert_eq!(count(out), Some((Runner::Pytest, tc(5, 1, 1))));
    }

    #[test]
    fn pytest_coloured_and_long_duration() {
        let out = "\x1b[32m.\x1b[0m\x1b[31mF\x1b[0m\n\
\x1b[31m==== \x1b[31m\x1b[1m2 failed\x1b[0m, \x1b[32m40 passed\x1b[0m, \x1b[33m3 errors\x1b[0m\
\x1b[31m in 125.23s (0:02:05)\x1b[0m\x1b[31m ====\x1b[0m\n";
        assert_eq!(count(out), Some((Runner::Pytest, tc(45, 5, 0))));
    }

    #[test]
    fn pytest_no_tests_and_deselected_only() {
        assert_eq!(
            count("=== no tests ran in 0.01s ===\n"),
            Some((Runner::Pytest, tc(0, 0, 0)))
        );
        assert_eq!(
            count("collected 3 items / 3 deselected\n===== 3 deselected in 0.02s =====\n"),
            Some((Runner::Pytest, tc(0, 0, 0)))
        );
    }

    #[test]
    fn unittest_with_skips() {
        let out = "\
test_add (test_calc.CalcTest.test_add) ... ok
test_pow (test_calc.CalcTest.test_pow) ... skipped 'later'
test_mod (test_calc.CalcTest.test_mod) ... skipped 'later'
test_sub (test_calc.CalcTest.test_sub) ... ok
test_mul (test_calc.CalcTest.test_mul) ... ok

----------------------------------------------------------------------
Ran 5 tests in 0.003s

OK (skipped=2)
";
        assert_eq!(count(out), Some((Runner::Unittest, tc(3, 0, 2))));
    }

    #[test]
    fn unittest_failed() {
        let out = "\
.FEs
======================================================================
ERROR: test_io (test_calc.CalcTest.test_io)
----------------------------------------------------------------------
Traceback (most recent call last):
FileNotFoundError: data.txt
======================================================================
FAIL: test_div (test_calc.CalcTest.test_div)
----------------------------------------------------------------------
AssertionError: 1 != 2

----------------------------------------------------------------------
Ran 4 tests in 0.001s

FAILED (failures=1, errors=1, skipped=1)
";
        assert_eq!(count(out), Some((Runner::Unittest, tc(3, 2, 1))));
    }

    #[test]
    fn unittest_single_and_without_status() {
        assert_eq!(
            count("Ran 1 test in 0.000s\n\nOK\n"),
            Some((Runner::Unittest, tc(1, 0, 0)))
        );
        assert_eq!(
            count("Ran 3 tests in 0s\n"),
            Some((Runner::Unittest, tc(3, 0, 0)))
        );
    }

    #[test]
    fn go_verbose_with_subtests() {
        let out = "\
=== RUN   TestAdd
--- PASS: TestAdd (0.00s)
=== RUN   TestTable
=== RUN   TestTable/zero
=== RUN   TestTable/negative
    calc_test.go:31: got 1, want -1
=== RUN   TestTable/big
    calc_test.go:40: needs -long
--- FAIL: TestTable (0.00s)
    --- PASS: TestTable/zero (0.00s)
    --- FAIL: TestTable/negative (0.00s)
    --- SKIP: TestTable/big (0.00s)
=== RUN   TestLater
    calc_test.go:50: not yet
--- SKIP: TestLater (0.00s)
FAIL
FAIL\texample.com/calc\t0.004s
=== RUN   TestOther
--- PASS: TestOther (0.00s)
PASS
ok  \texample.com/calc/other\t0.003s
FAIL
";
        assert_eq!(count(out), Some((Runner::Go, tc(5, 2, 2))));
    }

    #[test]
    fn go_without_verbose_is_not_counted() {
        let failing = "\
--- FAIL: TestTable (0.00s)
    --- FAIL: TestTable/negative (0.00s)
        calc_test.go:31: got 1, want -1
FAIL
FAIL\texample.com/calc\t0.004s
FAIL
";
        assert_eq!(count(failing), None);
        assert_eq!(count("ok  \texample.com/calc\t0.004s\n"), None);
    }

    #[test]
    fn jest_summary() {
        let out = "\
 FAIL  src/calc.test.js
  ● calc › divides

    expect(received).toBe(expected) // Object.is equality

 PASS  src/util.test.js

Test Suites: 1 failed, 1 passed, 2 total
Tests:       1 failed, 2 skipped, 1 todo, 3 passed, 7 total
Snapshots:   0 total
Time:        0.812 s
Ran all test suites.
";
        assert_eq!(count(out), Some((Runner::Jest, tc(4, 1, 3))));
    }

    #[test]
    fn vitest_summaries() {
        let failing = "\
 ❯ src/calc.test.ts (7 tests | 2 failed) 5ms
   × calc > divides

 Test Files  1 failed | 1 passed (2)
      Tests  2 failed | 5 passed (7)
   Start at  10:12:01
   Duration  412ms (transform 31ms, setup 0ms, collect 40ms, tests 5ms)
";
        assert_eq!(count(failing), Some((Runner::Jest, tc(7, 2, 0))));
        let coloured = " \x1b[2m Test Files \x1b[22m \x1b[1m\x1b[32m2 passed\x1b[39m\x1b[22m\x1b[90m (2)\x1b[39m\n\
\x1b[2m      Tests \x1b[22m \x1b[1m\x1b[32m5 passed\x1b[39m\x1b[22m\x1b[2m | \x1b[22m\x1b[33m1 skipped\x1b[39m\x1b[90m (6)\x1b[39m\n";
        assert_eq!(count(coloured), Some((Runner::Jest, tc(5, 0, 1))));
    }

    #[test]
    fn nothing_recognised() {
        let out = "\
   Compiling kiln v0.1.0 (/work/main)
error[E0425]: cannot find value `x` in this scope
 --> src/lib.rs:3:5
error: could not compile `kiln` (lib test) due to 1 previous error
    Finished `dev` profile [unoptimized + debuginfo] target(s) in 0.50s
Downloaded 3 crates in 2.1s
make: *** [Makefile:4: test] Error 101
Tests: see below
Ran out of memory in 3s
";
        assert_eq!(count(out), None);
        assert_eq!(count(""), None);
    }

    #[test]
    fn largest_runner_wins() {
        // A Makefile running cargo's tests, then a small pytest suite.
        let out = "\
test result: ok. 12 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.10s
test result: ok. 3 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.10s
4 passed in 0.02s
";
        assert_eq!(count(out), Some((Runner::Cargo, tc(16, 1, 0))));
        let out = "\
test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.10s
===== 1 failed, 9 passed in 0.30s =====
";
        assert_eq!(count(out), Some((Runner::Pytest, tc(10, 1, 0))));
    }

    #[test]
    fn carriage_returns_split_lines() {
        let out = "Running tests... 40%\rTests:       3 passed, 3 total\r\n";
        assert_eq!(count(out), Some((Runner::Jest, tc(3, 0, 0))));
    }

    #[test]
    fn strips_ansi_sequences() {
        assert_eq!(
            strip_ansi("\x1b[1;31mred\x1b[0m \x1b]8;;http://x\x07link\x1b]8;;\x1b\\ \x1b(Bend"),
            "red link end"
        );
    }

    #[test]
    fn serializes_snake_case() {
        let json = serde_json::to_string(&(Runner::Unittest, tc(3, 1, 2))).unwrap();
        assert_eq!(json, r#"["unittest",{"ran":3,"failed":1,"skipped":2}]"#);
    }
}

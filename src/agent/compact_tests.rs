use super::*;
use crate::chat::ToolCall;

fn user(s: &str) -> Message {
    Message::User { content: s.into() }
}

fn call(id: &str, args: &str) -> Message {
    Message::Assistant {
        content: String::new(),
        tool_calls: vec![ToolCall {
            id: id.into(),
            name: "read_file".into(),
            arguments: args.into(),
        }],
        reasoning: None,
    }
}

fn result(id: &str, text: &str) -> Message {
    Message::Tool {
        tool_call_id: id.into(),
        name: "read_file".into(),
        content: text.into(),
    }
}

fn conversation() -> Vec<Message> {
    vec![
        Message::System {
            content: "sys".into(),
        },
        user("fix the bug"),
        call("1", "{\"path\":\"a.py\"}"),
        result("1", &"a".repeat(3000)),
        call("2", "{\"path\":\"b.py\"}"),
        result("2", &"b".repeat(3000)),
        call("3", "{\"path\":\"c.py\"}"),
        result("3", "short"),
    ]
}

#[test]
fn split_keeps_what_fits_and_always_the_latest_turn() {
    let m = conversation();
    // Room for nothing: the last turn is kept all the same.
    assert_eq!(split(&m, 0), Some(6));
    // Room for the last two turns (1000 + 5 + the small ones).
    assert_eq!(split(&m, 1100), Some(4));
    // Room for everything: something must still be summarised.
    assert_eq!(split(&m, 1_000_000), None);
    // A conversation with one turn has nothing to summarise.
    assert_eq!(split(&m[..4], 0), None);
    // The cut is always at an assistant message.
    for keep in [0, 10, 500, 1005, 1100, 2100] {
        if let Some(i) = split(&m, keep) {
            assert!(matches!(m[i], Message::Assistant { .. }), "{keep}");
        }
    }
}

#[test]
fn summary_message_carries_tasks_summary_and_every_edited_file() {
    let edited: BTreeSet<PathBuf> = ["src/a.rs", "b.py"].iter().map(PathBuf::from).collect();
    let tasks = vec!["fix the bug in a.rs".to_string()];
    let text = summary_message(&SummaryParts {
        tasks: &tasks,
        summary: "Found it in parse().",
        edited: &edited,
        replaced: 6,
    });
    assert!(text.contains("6 messages were replaced"));
    assert!(text.contains("# The task\nfix the bug in a.rs"));
    assert!(text.contains("Found it in parse()."));
    assert!(text.contains("- b.py\n- src/a.rs\n"));
    let many: Vec<String> = (0..8).map(|i| format!("task {i}")).collect();
    let text = summary_message(&SummaryParts {
        tasks: &many,
        summary: "s",
        edited: &BTreeSet::new(),
        replaced: 2,
    });
    assert!(text.contains("3 earlier tasks left out"));
    assert!(!text.contains("task 2\n") && text.contains("task 3\n") && text.contains("task 7"));
    assert!(text.contains("(none)"));
}

#[test]
fn fallback_summary_lists_calls_and_failures() {
    let m = [
        call("1", "{\"path\":\"a.py\"}"),
        result("1", "Error: not found"),
        call("2", "{\"path\":\"b.py\"}"),
        result("2", "ok"),
    ];
    let s = fallback_summary(&m);
    assert!(
        s.contains("- read_file {\"path\":\"a.py\"} → failed"),
        "{s}"
    );
    assert!(s.contains("- read_file {\"path\":\"b.py\"}\n") || s.ends_with("{\"path\":\"b.py\"}"));
}

use serde_json::json;

use super::*;

const HA: Format = Format::Harmony;

#[test]
fn analysis_then_call() {
    let out = parse(
        HA,
        "<|channel|>analysis<|message|>User wants to see main.rs. Use read_file.<|end|><|start|>assistant<|channel|>commentary to=functions.read_file <|constrain|>json<|message|>{\"path\":\"src/main.rs\"}<|call|>",
    );
    let mut want = vec![reasoning("User wants to see main.rs. Use read_file.")];
    want.extend(both("read_file", json!({"path": "src/main.rs"})));
    assert_eq!(out, want);
}

#[test]
fn analysis_then_final_answer() {
    let out = parse(
        HA,
        "<|channel|>analysis<|message|>Simple question; answer directly.<|end|><|start|>assistant<|channel|>final<|message|>The file defines `main`, which prints \"hi\".<|return|>",
    );
    assert_eq!(
        out,
        vec![
            reasoning("Simple question; answer directly."),
            text("The file defines `main`, which prints \"hi\"."),
        ]
    );
}

#[test]
fn recipient_before_channel_and_missing_call_token() {
    // `<|call|>` ends generation, so the engine may never pass it on.
    let out = parse(
        HA,
        "<|start|>assistant to=functions.grep<|channel|>commentary json<|message|>{\"pattern\": \"TODO\", \"path\": \"src\"}",
    );
    assert_eq!(
        out,
        both("grep", json!({"pattern": "TODO", "path": "src"})).to_vec()
    );
}

#[test]
fn preamble_commentary_is_text_and_unknown_function_is_a_call() {
    let out = parse(
        HA,
        "<|channel|>commentary<|message|>Checking the weather now.<|end|><|start|>assistant<|channel|>commentary to=functions.get_weather <|constrain|>json<|message|>{\"city\":\"Paris\"}<|call|>",
    );
    let mut want = vec![text("Checking the weather now.")];
    want.extend(both("get_weather", json!({"city": "Paris"})));
    assert_eq!(out, want);
}

#[test]
fn bad_json_body_and_cut_off_header() {
    let out = parse(
        HA,
        "<|channel|>commentary to=functions.shell <|constrain|>json<|message|>{\"command\": ls}<|call|>",
    );
    assert_eq!(out[0], started("shell"));
    let (raw, error) = malformed(&out);
    assert!(
        raw.starts_with("<|channel|>commentary to=functions.shell") && raw.ends_with("<|call|>")
    );
    assert!(error.contains("JSON"), "{error}");
    let out = parse(
        HA,
        "<|channel|>analysis<|message|>Thinking.<|end|><|start|>assistant<|channel|>commentary to=functions.shell",
    );
    assert_eq!(out[0], reasoning("Thinking."));
    malformed(&out);
}

#[test]
fn unterminated_analysis_is_reasoning_and_plain_text_passes() {
    let out = parse(HA, "<|channel|>analysis<|message|>Still thinking about it");
    assert_eq!(out, vec![reasoning("Still thinking about it")]);
    assert_eq!(
        parse(HA, "No channels here."),
        vec![text("No channels here.")]
    );
}

#[test]
fn empty_call_body_before_the_next_header() {
    let out = parse(
        HA,
        "<|channel|>commentary to=functions.list_files<|message|><|start|>assistant<|channel|>final<|message|>Done.",
    );
    assert_eq!(out[0], started("list_files"));
    let (_, error) = malformed(&out);
    assert!(error.contains("empty"), "{error}");
    assert_eq!(out.last(), Some(&text("Done.")));
}

#[test]
fn over_long_header_drops_only_its_opener() {
    // Found by fuzzing: with no `<|message|>` in the first 512 bytes the
    // whole pending text was dropped when it arrived in one piece, and
    // parsed when it arrived in smaller ones. Now only the opener goes, so
    // nothing after it is lost, however the text is split.
    let call = "[{\"name\": \"grep\", \"arguments\": {}}]";
    let sample = format!(
        "<|message|><|channel|>{}:{}",
        call.repeat(5),
        call.repeat(12)
    );
    let out = parse(HA, &sample);
    let calls = out
        .iter()
        .filter(|p| matches!(p, Parsed::ToolCall { .. }))
        .count();
    assert_eq!(calls, 17, "{out:?}");

    let long = "x".repeat(600);
    let out = parse(HA, &format!("<|channel|>{long}<|message|>hello"));
    assert_eq!(out, vec![text(&format!("{long}hello"))]);
    // Within the limit it is still a header.
    let out = parse(HA, "<|channel|>final<|message|>hello");
    assert_eq!(out, vec![text("hello")]);
}

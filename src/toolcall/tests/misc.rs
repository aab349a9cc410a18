use serde_json::json;

use super::*;
use crate::toolcall::{Trigger, detect, guess_name, prompt_opens_reasoning, triggers};

#[test]
fn detect_from_template_sources() {
    let qwen3_coder = "{%- if tools %}<tools>{% endfor %}</tools>\nIf you choose to call a function ONLY reply in the following format:\n<tool_call>\n<function=example_function_name>\n<parameter=example_parameter_1>\nvalue_1\n</parameter>\n</function>\n</tool_call>";
    assert_eq!(detect(qwen3_coder), Format::Qwen3CoderXml);
    let qwen25 = "For each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call>";
    assert_eq!(detect(qwen25), Format::Hermes);
    let llama = "{%- if builtin_tools is defined or tools is not none %}{{- \"Environment: ipython\\n\" }}{%- endif %}{{- \"<|python_tag|>\" + tool_call.name }}";
    assert_eq!(detect(llama), Format::Llama3Json);
    let mistral = "{%- for tool_call in message.tool_calls %}{{- \"[TOOL_CALLS]\" + tool_call.function.name + \"[ARGS]\" }}";
    assert_eq!(detect(mistral), Format::Mistral);
    let gpt_oss = "{{- \"<|start|>assistant<|channel|>analysis<|message|>\" + message.thinking + \"<|end|>\" }}";
    assert_eq!(detect(gpt_oss), Format::Harmony);
    let smollm2 = "{% for message in messages %}<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n{% endfor %}";
    assert_eq!(detect(smollm2), Format::GenericJson);
}

#[test]
fn format_names_round_trip() {
    for f in [
        Format::Hermes,
        Format::Qwen3CoderXml,
        Format::Llama3Json,
        Format::Mistral,
        Format::Harmony,
        Format::GenericJson,
    ] {
        let name = serde_json::to_value(f).unwrap();
        let back: Format = name.as_str().unwrap().parse().unwrap();
        assert_eq!(back, f);
    }
    assert_eq!(
        "qwen3_coder_xml".parse::<Format>(),
        Ok(Format::Qwen3CoderXml)
    );
    assert!("xml".parse::<Format>().unwrap_err().contains("hermes"));
}

#[test]
fn triggers_per_format() {
    let names = vec!["read_file".to_string(), "a.b".to_string()];
    let words = |f| -> Vec<String> {
        triggers(f, &names)
            .into_iter()
            .filter(|t| !t.is_regex)
            .map(|t| t.pattern)
            .collect()
    };
    assert_eq!(words(Format::Hermes), ["<tool_call>"]);
    assert_eq!(words(Format::Qwen3CoderXml), ["<tool_call>", "<function="]);
    assert_eq!(words(Format::Llama3Json), ["<|python_tag|>"]);
    assert_eq!(words(Format::Mistral), ["[TOOL_CALLS]"]);
    assert_eq!(words(Format::Harmony), ["to=functions."]);
    let generic = triggers(Format::GenericJson, &names);
    assert_eq!(generic.len(), 3);
    assert!(generic.iter().all(|t| t.is_regex));
    assert!(
        generic[2].pattern.contains(r"(?:read_file|a\.b)"),
        "{generic:?}"
    );
    assert!(generic[0].pattern.starts_with("```"));
    // Hermes gets the generic openings as extras (Qwen2.5 uses them).
    assert_eq!(triggers(Format::Hermes, &names).len(), 4);
    // Without tools nothing names a call.
    assert_eq!(triggers(Format::GenericJson, &[]), Vec::<Trigger>::new());
    assert!(
        triggers(Format::Llama3Json, &names)[1]
            .pattern
            .contains("\"type\"")
    );
    let word = Trigger {
        pattern: "[TOOL_CALLS]".into(),
        is_regex: false,
    };
    assert_eq!(word.as_llama_pattern(), r"^[\s\S]*?(\[TOOL_CALLS\])[\s\S]*");
}

#[test]
fn empty_think_of_a_non_thinking_turn_leaves_only_text() {
    let out = parse(Format::Hermes, "<think>\n\n</think>\n\nHello!");
    assert_eq!(out, vec![text("Hello!")]);
}

#[test]
fn guess_name_from_malformed_markup() {
    assert_eq!(
        guess_name("<tool_call>{\"name\": \"read_file\", \"arguments\": {"),
        Some("read_file".into())
    );
    assert_eq!(
        guess_name("<function=grep>\n<parameter=x>"),
        Some("grep".into())
    );
    assert_eq!(
        guess_name("<|channel|>commentary to=functions.shell <|constrain|>json"),
        Some("shell".into())
    );
    assert_eq!(
        guess_name("[TOOL_CALLS]edit_file[ARGS]{"),
        Some("edit_file".into())
    );
    assert_eq!(guess_name("{\"arguments\": {}}"), None);
}

#[test]
fn prompt_opening_think_is_detected() {
    assert!(prompt_opens_reasoning("<|im_start|>assistant\n<think>\n"));
    assert!(!prompt_opens_reasoning(
        "<|im_start|>assistant\n<think>\n\n</think>\n\n"
    ));
    // start_in_reasoning only works before the first push.
    let mut p = StreamParser::new(Format::Hermes, tools());
    assert_eq!(p.push("Hi"), vec![text("Hi")]);
    p.start_in_reasoning();
    assert_eq!(feed_with(p, &[" there</think>"]), vec![text(" there")]);
}

#[test]
fn stray_end_tokens_and_angle_brackets_in_prose() {
    let out = parse(
        Format::Hermes,
        "Use Vec<T> when a < b; see <https://x.y> and `<tool>`.<|im_end|>",
    );
    assert_eq!(
        out,
        vec![text(
            "Use Vec<T> when a < b; see <https://x.y> and `<tool>`."
        )]
    );
}

#[test]
fn every_format_layers_the_generic_fallback_and_think() {
    for f in [
        Format::Hermes,
        Format::Qwen3CoderXml,
        Format::Llama3Json,
        Format::Mistral,
        Format::Harmony,
        Format::GenericJson,
    ] {
        let out = parse(
            f,
            "<think>plan</think>Calling.\n{\"name\": \"list_files\", \"arguments\": {\"path\": \"src\"}}",
        );
        let mut want = vec![reasoning("plan"), text("Calling.")];
        want.extend(both("list_files", json!({"path": "src"})));
        assert_eq!(out, want, "{f:?}");
    }
}

/// Random mixtures of markup fragments, prose and JSON: never a panic, and
/// the same output however the text is split.
#[test]
fn random_mixtures_are_split_independent() {
    const FRAGMENTS: &[&str] = &[
        "<tool_call>",
        "</tool_call>",
        "<think>",
        "</think>",
        "<function=read_file>",
        "</function>",
        "<parameter=path>",
        "</parameter>",
        "<|python_tag|>",
        "<|eom_id|>",
        "[TOOL_CALLS]",
        "[ARGS]",
        "<|channel|>",
        "analysis",
        "commentary to=functions.grep",
        "<|constrain|>json",
        "<|message|>",
        "<|end|>",
        "<|call|>",
        "<|start|>assistant",
        "```json\n",
        "```\n",
        "{",
        "}",
        "[",
        "]",
        "\"name\"",
        ": ",
        "\"read_file\"",
        ", ",
        "\"arguments\"",
        "{\"path\": \"a\"}",
        "\"",
        "\\",
        "\n",
        " ",
        "héllo ",
        "🌍",
        "<",
        "`",
        "{\"name\": \"grep\", \"arguments\": {\"pattern\": \"x\"}}",
        ";",
        "text ",
    ];
    let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    let formats = [
        Format::Hermes,
        Format::Qwen3CoderXml,
        Format::Llama3Json,
        Format::Mistral,
        Format::Harmony,
        Format::GenericJson,
    ];
    for round in 0..800 {
        let len = 1 + next(30);
        let sample: String = (0..len).map(|_| FRAGMENTS[next(FRAGMENTS.len())]).collect();
        let format = formats[round % formats.len()];
        let reasoning = round % 7 == 0;
        let whole = feed_with(parser(format, reasoning), &[&sample]);
        let cuts: Vec<usize> = (1..sample.len())
            .filter(|&i| sample.is_char_boundary(i))
            .collect();
        for _ in 0..4 {
            if cuts.is_empty() {
                break;
            }
            let mut at: Vec<usize> = (0..1 + next(3)).map(|_| cuts[next(cuts.len())]).collect();
            at.sort();
            at.dedup();
            let mut pieces = Vec::new();
            let mut prev = 0;
            for &c in &at {
                pieces.push(&sample[prev..c]);
                prev = c;
            }
            pieces.push(&sample[prev..]);
            let split = feed_with(parser(format, reasoning), &pieces);
            assert_eq!(split, whole, "{format:?} {sample:?} split {at:?}");
        }
    }
}

/// A large call streamed in small pieces (a long `write_file`) is scanned
/// incrementally, not once per piece.
#[test]
fn large_calls_stream_in_small_pieces() {
    let content: String = (0..3000)
        .map(|i| format!("line {i}: \"quoted\" <tool_call>\n"))
        .collect();
    let json_call = format!(
        "<tool_call>\n{}\n</tool_call>",
        json!({"name": "write_file", "arguments": {"path": "big.txt", "content": content}})
    );
    let xml_call = format!(
        "<tool_call>\n<function=write_file>\n<parameter=path>\nbig.txt\n</parameter>\n<parameter=content>\n{content}\n</parameter>\n</function>\n</tool_call>"
    );
    for (format, sample) in [
        (Format::Hermes, json_call),
        (Format::Qwen3CoderXml, xml_call),
    ] {
        let started_at = std::time::Instant::now();
        let pieces: Vec<&str> = sample
            .as_bytes()
            .chunks(3)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        let out = feed_with(parser(format, false), &pieces);
        assert_eq!(
            out,
            both("write_file", json!({"path": "big.txt", "content": content})).to_vec()
        );
        assert!(started_at.elapsed().as_secs() < 5, "{format:?} too slow");
    }
}

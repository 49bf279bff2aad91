//! Letta (formerly MemGPT) presets and agent files: `system_prompt` (or `system`) is the system
//! prompt, `functions` (or `tools`) the tools, memory blocks (`memory_blocks`, `core_memory`,
//! by `label`) the knowledge. No `name` is needed: the agent is named by its id.

use super::{Format, Mark, Model};
use crate::agent::Section;

pub const LETTA: Format = Format {
    name: "letta",
    title: "Letta / MemGPT",
    sections: &[
        ("system_prompt", Section::Instructions),
        ("system", Section::Instructions),
        ("memory_blocks", Section::KnowledgeSources),
        ("core_memory", Section::KnowledgeSources),
        ("functions", Section::Tools),
        ("tools", Section::Tools),
    ],
    identity: &["name", "id", "label"],
    keyed_lists: &[],
    keyed_at_any_depth: true,
    name_key: Some("name"),
    name_required: false,
    model: Model::MappingOrString,
    strings: &["system_prompt", "system"],
    marks: &[
        Mark::Keys(&["system_prompt", "functions"]),
        Mark::Key("core_memory_type"),
        Mark::Key("persona"),
        Mark::Key("human"),
        Mark::Key("llm_config"),
        Mark::Key("embedding_config"),
        Mark::Key("memory_blocks"),
    ],
    adopt: "a Letta / MemGPT preset has `system_prompt` and `functions`",
    references_identify: true,
    extra: None,
};

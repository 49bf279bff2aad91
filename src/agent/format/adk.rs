//! Google ADK agent configs (`root_agent.yaml`, the `AgentConfig` schema): `model` a string,
//! the system prompt in `instruction` (and `global_instruction`), `sub_agents` by
//! `config_path` or `code`, safety settings by `category`.

use super::{Format, Mark, Model};
use crate::agent::Section;

pub const ADK: Format = Format {
    name: "adk",
    title: "Google ADK",
    sections: &[
        ("instruction", Section::Instructions),
        ("global_instruction", Section::Instructions),
        ("static_instruction", Section::Instructions),
        ("tools", Section::Tools),
    ],
    identity: &["name", "id", "config_path", "code", "category"],
    keyed_lists: &[],
    keyed_at_any_depth: true,
    name_key: Some("name"),
    name_required: true,
    model: Model::MappingOrString,
    strings: &["description", "instruction", "global_instruction"],
    marks: &[
        Mark::Key("instruction"),
        Mark::Key("global_instruction"),
        Mark::Key("agent_class"),
        Mark::Key("sub_agents"),
        Mark::StringAt("model"),
    ],
    adopt: "ADK writes the system prompt as `instruction:` (singular) and `model` as a string",
    references_identify: true,
    extra: None,
};

//! CrewAI agents (`agents.yaml`: one top-level key per agent). An agent has no `name` (it is
//! named by its key); `role`, `goal` and `backstory` together are its system prompt, since
//! CrewAI builds the prompt from all three.

use super::{Format, Mark, Model};
use crate::agent::Section;

pub const CREWAI: Format = Format {
    name: "crewai",
    title: "CrewAI",
    sections: &[
        ("role", Section::Instructions),
        ("goal", Section::Instructions),
        ("backstory", Section::Instructions),
        ("knowledge_sources", Section::KnowledgeSources),
        ("tools", Section::Tools),
        ("guardrail", Section::Guardrails),
    ],
    identity: &["name", "id"],
    keyed_lists: &[],
    keyed_at_any_depth: true,
    name_key: None,
    name_required: false,
    model: Model::MappingOrString,
    strings: &["role", "goal", "backstory"],
    marks: &[
        Mark::Keys(&["role", "goal"]),
        Mark::Keys(&["role", "backstory"]),
        Mark::Keys(&["goal", "backstory"]),
    ],
    adopt: "a CrewAI agent has `role`, `goal` and `backstory`",
    references_identify: true,
    extra: None,
};

//! agentctl's own format (SPEC section 3): `name` required, `instructions`, and three lists
//! keyed by `name` (or `id`).

use super::{Format, KEYED_LISTS};
use crate::agent::Section;

pub const NATIVE: Format = Format {
    name: "native",
    sections: &[
        ("instructions", Section::Instructions),
        ("knowledge_sources", Section::KnowledgeSources),
        ("tools", Section::Tools),
        ("guardrails", Section::Guardrails),
    ],
    identity: &["name", "id"],
    keyed_lists: &KEYED_LISTS,
};

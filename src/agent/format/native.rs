//! agentctl's own format (SPEC section 3): `name` required, `instructions`, `model` a mapping,
//! and three lists keyed by `name` (or `id`). What a document matching no other format is.

use super::{Format, KEYED_LISTS, Model};
use crate::agent::Section;

pub const NATIVE: Format = Format {
    name: "native",
    title: "agentctl",
    sections: &[
        ("instructions", Section::Instructions),
        ("knowledge_sources", Section::KnowledgeSources),
        ("tools", Section::Tools),
        ("guardrails", Section::Guardrails),
    ],
    identity: &["name", "id"],
    keyed_lists: &KEYED_LISTS,
    keyed_at_any_depth: true,
    name_key: Some("name"),
    name_required: true,
    model: Model::Mapping,
    strings: &["description", "instructions"],
    marks: &[],
    adopt: "",
    references_identify: true,
    extra: None,
};

/// The native rules as they were before SPEC 13: only the three top-level lists are keyed.
/// Stores recorded their changes under these rules, so `verify` accepts either.
pub const LEGACY: Format = Format {
    keyed_at_any_depth: false,
    ..NATIVE
};

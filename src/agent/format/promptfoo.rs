//! promptfoo configs (`promptfooconfig.yaml`): `prompts` are the instructions, `providers` the
//! model settings, and `tests`, `defaultTest` and `scenarios` (the assertions every output must
//! pass) are the guardrails. Providers are identified by `id` or `label`; tests have no identity
//! of their own (a `description` is prose, and often missing), so they are a plain list. No
//! `name`: the agent is named by its id.

use super::{Format, Mark, Model};
use crate::agent::Section;

pub const PROMPTFOO: Format = Format {
    name: "promptfoo",
    title: "promptfoo",
    sections: &[
        ("prompts", Section::Instructions),
        ("tests", Section::Guardrails),
        ("defaultTest", Section::Guardrails),
        ("scenarios", Section::Guardrails),
    ],
    identity: &["id", "label"],
    keyed_lists: &[],
    keyed_at_any_depth: true,
    name_key: None,
    name_required: false,
    model: Model::MappingOrString,
    strings: &["description"],
    marks: &[
        Mark::Keys(&["prompts", "providers"]),
        Mark::Keys(&["prompts", "tests"]),
        Mark::Keys(&["providers", "tests"]),
    ],
    adopt: "a promptfoo config has `prompts` and `providers`",
    references_identify: true,
    extra: None,
};

//! Prompty files: YAML front matter (`model: {api, configuration, parameters}`, `inputs`,
//! `sample`, `tools`) and the prompt as the body, read as `instructions`. `name` is optional.

use super::{Format, Mark, Model};
use crate::agent::Section;

pub const PROMPTY: Format = Format {
    name: "prompty",
    title: "Prompty",
    sections: &[
        ("instructions", Section::Instructions),
        ("tools", Section::Tools),
    ],
    identity: &["name", "id"],
    keyed_lists: &[],
    keyed_at_any_depth: true,
    name_key: Some("name"),
    name_required: false,
    model: Model::MappingOrString,
    strings: &["description", "instructions"],
    marks: &[Mark::MappingWith("model", &["api", "configuration"])],
    adopt: "a Prompty file is a `.prompty` file with `model: {api: chat}` in its front matter",
    references_identify: true,
    extra: None,
};

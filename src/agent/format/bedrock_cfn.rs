//! AWS Bedrock agents in CloudFormation: the agent is the `Properties` of an
//! `AWS::Bedrock::Agent` resource. `Instruction` is the system prompt, `ActionGroups` (by
//! `ActionGroupName`, their functions by `Name`) the tools, `KnowledgeBases` (by
//! `KnowledgeBaseId`) the knowledge, `AgentCollaborators` (by `CollaboratorName`) settings, `GuardrailConfiguration` the guardrails. Values may be
//! intrinsic functions (`!Ref`, `!Sub`, …), read as `{"Ref": …}`, `{"Fn::Sub": …}`.

use super::{Format, Mark, Model};
use crate::agent::Section;

pub const BEDROCK_CFN: Format = Format {
    name: "bedrock_cfn",
    title: "AWS Bedrock (CloudFormation)",
    sections: &[
        ("Instruction", Section::Instructions),
        ("KnowledgeBases", Section::KnowledgeSources),
        ("ActionGroups", Section::Tools),
        ("GuardrailConfiguration", Section::Guardrails),
    ],
    identity: &[
        "ActionGroupName",
        "KnowledgeBaseId",
        "CollaboratorName",
        "Name",
        "name",
        "id",
    ],
    keyed_lists: &[],
    keyed_at_any_depth: true,
    name_key: Some("AgentName"),
    name_required: false,
    model: Model::MappingOrString,
    strings: &[],
    marks: &[
        Mark::Key("AgentName"),
        Mark::Key("FoundationModel"),
        Mark::Key("ActionGroups"),
        Mark::Key("AgentResourceRoleArn"),
        Mark::Key("Instruction"),
    ],
    adopt: "a Bedrock agent is the `Properties` of an `AWS::Bedrock::Agent` resource, with \
            `AgentName` and `Instruction`",
    references_identify: true,
    extra: None,
};

/// The Bedrock rules of agentctl before commit cd5ef32 (a store recorded at 290238f, say):
/// `KnowledgeBaseId: !Ref X` did not identify its item, so `KnowledgeBases` written with
/// references were plain lists, compared by position. Stores recorded their changes under
/// these rules, so `verify` accepts them for entries without recorded rules, as it accepts
/// [`super::LEGACY`]'s.
pub const BEDROCK_CFN_290238F: Format = Format {
    references_identify: false,
    ..BEDROCK_CFN
};

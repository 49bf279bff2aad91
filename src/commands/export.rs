use std::path::PathBuf;

use clap::ValueEnum;

use serde_json::{Map, Value};

use super::Context;
use crate::agent::Config;
use crate::agent::format::{self, BEDROCK_AGENT_TYPE, Part};
use crate::edit;
use crate::error::{Error, Result};
use crate::store::{Entry, Store, require_publish};
use crate::survey;
use crate::workspace::{self, Replace, Workspace};

/// Write production configs (or those of --ref) for deployment and integrations
///
/// The stored snapshot in its framework's own file (YAML), or as JSON: no comments, secrets as
/// they are (never masked), and the same snapshot always gives the same bytes. As YAML, a
/// CrewAI agent is written as an agents.yaml keyed by its name, a Bedrock agent as a
/// CloudFormation template with its AWS::Bedrock::Agent resource, a Prompty or Markdown agent
/// as front matter and its instructions; JSON is the bare snapshot. Staging edits not yet
/// published are not exported. With -o, one file per agent (DIR/AGENT.yaml, .prompty, .md or
/// .json; the agents of one CrewAI or CloudFormation file together in DIR/FILE_STEM.yaml),
/// each written atomically; without -o, name exactly one agent and its file goes to stdout.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Agents to export [default: every published agent; needs -o]
    pub agents: Vec<String>,

    /// The publish to export: production, vN or a change_track_id prefix
    #[arg(long = "ref", value_name = "REF", default_value = "production")]
    pub reference: String,

    /// Output format
    #[arg(long, value_name = "FORMAT", default_value = "yaml")]
    pub format: ExportFormat,

    /// Write DIR/AGENT.yaml (or .json) for each agent, creating DIR if missing
    #[arg(short = 'o', long = "output", value_name = "DIR")]
    pub output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Yaml,
    Json,
}

impl ExportFormat {
    fn extension(self) -> &'static str {
        match self {
            ExportFormat::Yaml => "yaml",
            ExportFormat::Json => "json",
        }
    }

    /// The bytes of an export: a function of the snapshot alone, keys in the order of the
    /// file that was published.
    pub fn render(self, config: &Config) -> Result<String> {
        Ok(match self {
            ExportFormat::Yaml => edit::fresh(config),
            ExportFormat::Json => {
                let mut text = serde_json::to_string_pretty(config)
                    .map_err(|e| Error::new(format!("cannot encode JSON: {e}")))?;
                text.push('\n');
                text
            }
        })
    }
}

/// The file shape an agent is exported in as YAML: its framework's own.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Shape {
    /// A YAML file of the agent alone.
    Plain,
    /// Front matter and the instructions as body, in a file with this extension.
    FrontMatter(&'static str),
    /// A CrewAI agents.yaml: the agent under its key.
    Crew { stem: String, key: String },
    /// A CloudFormation template: the agent the `Properties` of the resource `key`.
    Template { stem: String, key: String },
}

impl Shape {
    /// The shape of `agent`'s file: the layout of its staging file when it has one (a Prompty
    /// body, the part of a CrewAI file or template it is), else what its id and configuration
    /// say (`FILE_STEM.KEY` of a CrewAI or Bedrock agent, a Prompty front matter).
    fn of(workspace: &Workspace, agent: &str, config: &Config) -> Shape {
        let part = workspace
            .find_staging(agent)
            .ok()
            .flatten()
            .and_then(|staging| Some((staging.part?, staging.path)));
        let (format, key) = match part {
            Some((
                Part {
                    front_matter: true, ..
                },
                path,
            )) => {
                let md = path.extension().is_some_and(|ext| ext == "md");
                return Shape::FrontMatter(if md { "md" } else { "prompty" });
            }
            Some((part, _)) => (
                part.format.unwrap_or_else(|| format::detect(config)),
                Some(part.key),
            ),
            None => (format::detect(config), None),
        };
        let split = |key: Option<String>| {
            let key = key.or_else(|| Some(agent.rsplit_once('.')?.1.to_owned()))?;
            let stem = agent.strip_suffix(&key)?.strip_suffix('.')?;
            Some((stem.to_owned(), key))
        };
        match split(key) {
            Some((stem, key)) if *format == format::CREWAI => Shape::Crew { stem, key },
            Some((stem, key)) if *format == format::BEDROCK_CFN => Shape::Template { stem, key },
            _ if *format == format::PROMPTY => Shape::FrontMatter("prompty"),
            _ => Shape::Plain,
        }
    }

    /// The file it is written to in the output folder (without -o: what is printed).
    fn file_name(&self, agent: &str) -> String {
        match self {
            Shape::Plain => format!("{agent}.yaml"),
            Shape::FrontMatter(extension) => format!("{agent}.{extension}"),
            Shape::Crew { stem, .. } | Shape::Template { stem, .. } => format!("{stem}.yaml"),
        }
    }
}

/// What one exported YAML file holds.
enum Contents {
    Text(String),
    /// The agents of a CrewAI agents.yaml, by key.
    Crew(Map<String, Value>),
    /// The `AWS::Bedrock::Agent` resources of a template, by logical id.
    Resources(Map<String, Value>),
}

/// The YAML files of the agents exported, in the order they were named: each agent in its
/// framework's shape, the agents of one CrewAI file or template together in one file (in a
/// template, the resource of each agent; nothing else of the original template is an agent).
fn framework_files(exports: &[(Entry, Shape, Config)]) -> Vec<(String, String)> {
    let mut files: Vec<(String, Contents)> = Vec::new();
    for (entry, shape, config) in exports {
        let name = shape.file_name(&entry.agent);
        let text = match shape {
            Shape::Plain => edit::fresh(config),
            Shape::FrontMatter(_) => edit::fresh_front_matter(config),
            Shape::Crew { key, .. } | Shape::Template { key, .. } => {
                let value = match shape {
                    Shape::Template { .. } => {
                        let mut resource = Map::new();
                        resource.insert("Type".into(), BEDROCK_AGENT_TYPE.into());
                        resource.insert("Properties".into(), Value::Object(config.clone()));
                        Value::Object(resource)
                    }
                    _ => Value::Object(config.clone()),
                };
                let shared = files.iter_mut().find_map(|(n, contents)| match contents {
                    Contents::Crew(map) | Contents::Resources(map) if *n == name => Some(map),
                    _ => None,
                });
                match shared {
                    Some(map) => {
                        map.insert(key.clone(), value);
                    }
                    None => {
                        let map = Map::from_iter([(key.clone(), value)]);
                        let contents = match shape {
                            Shape::Template { .. } => Contents::Resources(map),
                            _ => Contents::Crew(map),
                        };
                        files.push((name, contents));
                    }
                }
                continue;
            }
        };
        files.push((name, Contents::Text(text)));
    }
    files
        .into_iter()
        .map(|(name, contents)| {
            let text = match contents {
                Contents::Text(text) => text,
                Contents::Crew(agents) => edit::fresh(&agents),
                Contents::Resources(agents) => edit::fresh(&Map::from_iter([
                    ("AWSTemplateFormatVersion".to_owned(), "2010-09-09".into()),
                    ("Resources".to_owned(), Value::Object(agents)),
                ])),
            };
            (name, text)
        })
        .collect()
}

/// The publish of `agent` that `reference` names, to export: the one lookup of `export` and
/// of the HTTP API's production endpoint (`GET /api/v2/agents/{agent_id}`), which answers
/// `ExportFormat::Json.render` of its snapshot.
pub fn entry(workspace: &Workspace, store: &Store, agent: &str, reference: &str) -> Result<Entry> {
    require_publish(
        reference,
        "`export` writes published configs",
        "the staging file itself is agents/<agent>.yaml; publish it to export it",
    )?;
    survey::require_known(workspace, store, agent)?;
    store.resolve(agent, reference)
}

pub fn cmd_export(ctx: &Context, args: Args) -> Result<u8> {
    if args.output.is_none() && args.agents.len() != 1 {
        return Err(Error::new(
            "without -o, export writes one agent to stdout; name exactly one agent",
        )
        .hint("give -o DIR to write a file per agent, e.g. `agentctl export -o dist`"));
    }
    require_publish(
        &args.reference,
        "`export` writes published configs",
        "the staging file itself is agents/<agent>.yaml; publish it to export it",
    )?;
    let workspace = ctx.workspace()?;
    let store = ctx.open_store(&workspace)?;
    let agents: Vec<String> = if args.agents.is_empty() {
        store.agents()?
    } else {
        super::unique(&args.agents).into_iter().cloned().collect()
    };
    // Everything is looked up and rendered before anything is written.
    let mut exports: Vec<(Entry, Shape, Config)> = Vec::with_capacity(agents.len());
    for agent in &agents {
        let entry = entry(&workspace, &store, agent, &args.reference)?;
        let config = store.snapshot(&entry)?;
        let shape = match args.format {
            ExportFormat::Yaml => Shape::of(&workspace, agent, &config),
            ExportFormat::Json => Shape::Plain,
        };
        exports.push((entry, shape, config));
    }
    let files: Vec<(String, String)> = match args.format {
        ExportFormat::Yaml => framework_files(&exports),
        ExportFormat::Json => exports
            .iter()
            .map(|(entry, _, config)| {
                let name = format!("{}.{}", entry.agent, args.format.extension());
                Ok((name, args.format.render(config)?))
            })
            .collect::<Result<_>>()?,
    };

    let mut names: Vec<&str> = files.iter().map(|(name, _)| name.as_str()).collect();
    names.sort_unstable();
    if let Some(pair) = names.windows(2).find(|pair| pair[0] == pair[1]) {
        return Err(Error::new(format!(
            "two exports would be written to the same file {}: an agent's id is the file stem \
             of a CrewAI file or template with other agents",
            pair[0]
        ))
        .hint("export them separately, each without -o or to its own folder"));
    }
    let Some(dir) = args.output else {
        // One agent, checked above.
        for (_, text) in &files {
            ctx.ui.stdout(text)?;
        }
        return Ok(0);
    };
    if exports.is_empty() {
        ctx.ui
            .note("nothing to export: no agent has been published yet");
        return Ok(0);
    }
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::new(format!("cannot create {}: {e}", dir.display())))?;
    for (name, text) in &files {
        let path = dir.join(name);
        workspace::write_atomically(&path, text.as_bytes(), Replace::Yes)
            .map_err(|e| Error::new(format!("cannot write {}: {e}", path.display())))?;
    }
    for (entry, shape, _) in &exports {
        let path = dir.join(match args.format {
            ExportFormat::Yaml => shape.file_name(&entry.agent),
            ExportFormat::Json => format!("{}.json", entry.agent),
        });
        ctx.ui.status(
            "Exported",
            &format!(
                "{} v{} ({}) to {}",
                entry.agent,
                entry.version,
                entry.short_id(),
                path.display()
            ),
        );
    }
    Ok(0)
}

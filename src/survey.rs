//! Where each agent stands: its staging file beside its production, and the state that
//! follows (`clean`, `modified`, `new`, `missing`, `invalid`).
//!
//! Staging equals production when its configuration's snapshot hash is production's, so the
//! production snapshot itself is not read. For `status`, which needs nothing but the state,
//! the staging index (`.agentctl/staging-index`) remembers which configuration each agent's
//! file held last time, by the SHA-256 of its bytes; a file whose bytes it knows is not parsed
//! again — as git's index spares `git status` from hashing files it has seen.

use std::collections::{BTreeSet, HashMap};

use crate::agent::Config;
use crate::agent::{sha256_hex, snapshot_hash};
use crate::error::{Error, ErrorKind, Result};
use crate::store::{Entry, Store};
use crate::workspace::{STATE_DIR, Staging, Workspace, validate_id};

#[derive(Debug)]
pub enum AgentState {
    Clean,
    Modified,
    New,
    Missing,
    Invalid(Error),
}

impl AgentState {
    pub fn as_str(&self) -> &'static str {
        match self {
            AgentState::Clean => "clean",
            AgentState::Modified => "modified",
            AgentState::New => "new",
            AgentState::Missing => "missing",
            AgentState::Invalid(_) => "invalid",
        }
    }
}

#[derive(Debug)]
pub struct Agent {
    pub agent: String,
    pub state: AgentState,
    pub staging: Option<Staging>,
    /// The parsed staging file, when it is valid.
    pub config: Option<Config>,
    /// The format the staging file is read in (SPEC 13), when it is valid.
    pub format: Option<&'static str>,
    pub production: Option<Entry>,
}

/// Every agent of the workspace and the store, in name order.
pub fn survey(workspace: &Workspace, store: &Store) -> Result<Vec<Agent>> {
    survey_with(workspace, store, None)
}

/// Like [`survey`] for callers that need only the states: an agent whose staging file the
/// staging index knows has no parsed `config`. The index is brought up to date on the way.
pub fn states(workspace: &Workspace, store: &Store) -> Result<Vec<Agent>> {
    let mut index = StagingIndex::load(workspace);
    let agents = survey_with(workspace, store, Some(&mut index))?;
    index.save(workspace);
    Ok(agents)
}

fn survey_with(
    workspace: &Workspace,
    store: &Store,
    mut index: Option<&mut StagingIndex>,
) -> Result<Vec<Agent>> {
    let mut ids: BTreeSet<String> = store.agents()?.into_iter().collect();
    let mut files: HashMap<String, Result<Staging>> =
        workspace.staging_files()?.into_iter().collect();
    ids.extend(files.keys().cloned());
    let mut agents = Vec::with_capacity(ids.len());
    for id in ids {
        let production = match validate_id(&id) {
            Ok(()) => store.head(&id)?,
            Err(_) => None,
        };
        let agent = match files.remove(&id) {
            Some(Err(error)) => Agent {
                agent: id,
                state: AgentState::Invalid(error),
                staging: None,
                config: None,
                format: None,
                production,
            },
            Some(Ok(staging)) => assess(workspace, staging, production, index.as_deref_mut()),
            None => missing(id, production),
        };
        agents.push(agent);
    }
    Ok(agents)
}

/// One agent by id; an id that is neither staged nor published is an error.
pub fn agent(workspace: &Workspace, store: &Store, id: &str) -> Result<Agent> {
    validate_id(id)?;
    let production = store.head(id)?;
    match workspace.find_staging(id)? {
        Some(staging) => Ok(assess(workspace, staging, production, None)),
        None if production.is_some() => Ok(missing(id.to_owned(), production)),
        None => Err(unknown(id)),
    }
}

/// Check that `id` names an agent (staged or published) without reading its staging file.
pub fn require_known(workspace: &Workspace, store: &Store, id: &str) -> Result<()> {
    validate_id(id)?;
    if workspace.has_staging_file(id) || store.head(id)?.is_some() {
        Ok(())
    } else {
        Err(unknown(id))
    }
}

fn unknown(id: &str) -> Error {
    Error::new(format!(
        "unknown agent `{id}`: no agents/{id}.yaml and no publish history"
    ))
    .hint("`agentctl status` lists the agents of this workspace")
    .kind(ErrorKind::NotFound)
}

fn missing(agent: String, production: Option<Entry>) -> Agent {
    Agent {
        agent,
        state: AgentState::Missing,
        staging: None,
        config: None,
        format: None,
        production,
    }
}

fn assess(
    workspace: &Workspace,
    staging: Staging,
    production: Option<Entry>,
    index: Option<&mut StagingIndex>,
) -> Agent {
    let state_of = |hash: &str| match &production {
        None => AgentState::New,
        Some(entry) if entry.snapshot == hash => AgentState::Clean,
        Some(_) => AgentState::Modified,
    };
    let (state, config, format) = match workspace.read_bytes(&staging) {
        Err(error) => (AgentState::Invalid(error), None, None),
        Ok(bytes) => {
            let digest = index.as_ref().map(|_| index_digest(&staging, &bytes));
            let known = index
                .as_deref()
                .zip(digest.as_deref())
                .and_then(|(index, digest)| index.get(&staging.agent, digest));
            match known {
                Some((hash, format)) => (state_of(&hash), None, Some(format)),
                None => match workspace.parse_with_format(&staging, &bytes) {
                    Err(error) => (AgentState::Invalid(error), None, None),
                    Ok((config, format)) => {
                        let hash = snapshot_hash(&config);
                        if let (Some(index), Some(digest)) = (index, digest) {
                            index.put(&staging.agent, digest, hash.clone(), format.name);
                        }
                        (state_of(&hash), Some(config), Some(format.name))
                    }
                },
            }
        }
    };
    Agent {
        agent: staging.agent.clone(),
        state,
        staging: Some(staging),
        config,
        format,
        production,
    }
}

/// What the staging index knows a file's parse by: its bytes' digest, and the format
/// `agentctl.yaml` reads it in when it gives one, so that a changed override is a new parse.
fn index_digest(staging: &Staging, bytes: &[u8]) -> String {
    let digest = sha256_hex(bytes);
    match staging.part.as_ref().and_then(|part| part.format) {
        Some(format) => format!("{digest}-{}", format.name),
        None => digest,
    }
}

/// For each agent, the SHA-256 of its staging file's bytes when last parsed, the snapshot
/// hash of the configuration they held, and the format they were read in. A cache: lost, stale or unreadable, it is rebuilt;
/// written only when it changed, by renaming a new file into place, and never an error.
#[derive(Default)]
struct StagingIndex {
    entries: HashMap<String, (String, String, &'static str)>,
    changed: bool,
}

impl StagingIndex {
    const FILE: &str = "staging-index";

    /// The first line names the version that parsed the files: another version may parse
    /// differently, and starts afresh.
    fn header() -> String {
        format!("agentctl staging index {}", env!("CARGO_PKG_VERSION"))
    }

    fn load(workspace: &Workspace) -> StagingIndex {
        let path = workspace.root.join(STATE_DIR).join(Self::FILE);
        let text = std::fs::read_to_string(path).unwrap_or_default();
        let mut lines = text.lines();
        if lines.next() != Some(Self::header().as_str()) {
            return StagingIndex::default();
        }
        let entries = lines
            .filter_map(|line| {
                let mut fields = line.split(' ');
                let (agent, digest, hash) = (fields.next()?, fields.next()?, fields.next()?);
                // A line without a known format is stale: the file is parsed again.
                let format = crate::agent::format::by_name(fields.next()?)?.name;
                Some((
                    agent.to_owned(),
                    (digest.to_owned(), hash.to_owned(), format),
                ))
            })
            .collect();
        StagingIndex {
            entries,
            changed: false,
        }
    }

    fn get(&self, agent: &str, digest: &str) -> Option<(String, &'static str)> {
        match self.entries.get(agent) {
            Some((known, hash, format)) if known == digest => Some((hash.clone(), format)),
            _ => None,
        }
    }

    fn put(&mut self, agent: &str, digest: String, hash: String, format: &'static str) {
        self.entries
            .insert(agent.to_owned(), (digest, hash, format));
        self.changed = true;
    }

    fn save(&self, workspace: &Workspace) {
        if !self.changed {
            return;
        }
        let mut agents: Vec<&String> = self.entries.keys().collect();
        agents.sort();
        let mut text = Self::header();
        for agent in agents {
            let (digest, hash, format) = &self.entries[agent];
            text.push_str(&format!("\n{agent} {digest} {hash} {format}"));
        }
        text.push('\n');
        let dir = workspace.root.join(STATE_DIR);
        // A read-only workspace or a full disk only costs the next status a parse.
        let _ = tempfile::NamedTempFile::new_in(&dir).and_then(|mut file| {
            std::io::Write::write_all(&mut file, text.as_bytes())?;
            file.persist(dir.join(Self::FILE)).map_err(|e| e.error)?;
            Ok(())
        });
    }
}

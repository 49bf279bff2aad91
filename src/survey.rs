//! Where each agent stands: its staging file beside its production, and the state that
//! follows (`clean`, `modified`, `new`, `missing`, `invalid`).
//!
//! Staging equals production when its configuration's snapshot hash is production's, so the
//! production snapshot itself is not read. The staging index ([`crate::staging_index`])
//! remembers what each file held, found again from its stat data, and the parse cache
//! ([`crate::parse_cache`]) what each file's bytes parse to: a file that has not changed is
//! neither read nor parsed again — as git's index spares `git status` from reading files.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::agent::Config;
use crate::agent::{format, sha256_hex};
use crate::error::{Error, ErrorKind, Result};
use crate::staging_index::{Known, StagingIndex, Stat, StoreStamp};
use crate::store::{Entry, Head, Store};
use crate::workspace::{AgentFile, Staging, Workspace, validate_id};

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
    /// The parsed staging file, when this survey parsed it; otherwise [`config`] reads it
    /// (through the parse cache).
    pub config: Option<Config>,
    /// The snapshot hash of the staging file's configuration, when it is valid.
    pub snapshot: Option<String>,
    /// The format the staging file is read in (SPEC 13), when it is valid.
    pub format: Option<&'static str>,
    pub production: Option<Head>,
}

/// Every agent of the workspace and the store, in name order. A staging file the staging
/// index vouches for is not read; the index is brought up to date on the way.
pub fn survey(workspace: &Workspace, store: &Store) -> Result<Vec<Agent>> {
    surveyed(workspace, |_| store.heads())
}

/// [`survey`] for `status`: with the store file at `store_file` (none for PostgreSQL), each
/// agent's production is taken from the staging index while the store's stat data vouch that
/// nothing was published since it was read ([`StoreStamp`]); the store is opened (`open`)
/// only when they do not, as `git status` reads its index and not the object store.
pub fn status(
    workspace: &Workspace,
    store_file: Option<&std::path::Path>,
    open: impl FnOnce() -> Result<Store>,
) -> Result<Vec<Agent>> {
    surveyed(workspace, |index| {
        // Taken before the store is opened: what is read after it is at least as new.
        let stamp = store_file.and_then(StoreStamp::of);
        if let Some(heads) = stamp.as_ref().and_then(|stamp| index.productions(stamp)) {
            return Ok(heads);
        }
        let heads = open()?.heads()?;
        index.remember_productions(stamp, &heads);
        Ok(heads)
    })
}

/// The survey with every agent's production as `heads` gives it, the staging index loaded
/// before and saved after.
fn surveyed(
    workspace: &Workspace,
    heads: impl FnOnce(&mut StagingIndex) -> Result<Vec<Head>>,
) -> Result<Vec<Agent>> {
    let mut index = StagingIndex::load(workspace);
    let heads = heads(&mut index)?;
    let agents = survey_with(workspace, heads, &mut index)?;
    index.save(workspace);
    Ok(agents)
}

/// The staging configuration of a surveyed agent: the one it parsed, or the file read again
/// (a parse-cache hit unless the file changed since). An agent without a staging file has
/// the empty configuration.
pub fn config(workspace: &Workspace, agent: &mut Agent) -> Result<Config> {
    match (agent.config.take(), &agent.staging) {
        (Some(config), _) => Ok(config),
        (None, Some(staging)) => workspace.read(staging),
        (None, None) => Ok(Config::new()),
    }
}

/// A publish's snapshot, decoded by the store once and then kept in the parse cache by its
/// snapshot hash (content-addressed, so never stale).
pub fn snapshot(workspace: &Workspace, store: &Store, entry: &Entry) -> Result<Config> {
    snapshot_with(workspace, entry, || store.snapshot(entry))
}

/// [`snapshot`] with the store's decoding given (a publish reads inside its transaction).
pub fn snapshot_with(
    workspace: &Workspace,
    entry: &Entry,
    decode: impl FnOnce() -> Result<Config>,
) -> Result<Config> {
    let cache = workspace.parse_cache();
    if let Some(config) = cache.snapshot(&entry.snapshot) {
        return Ok(config);
    }
    let config = decode()?;
    cache.put_snapshot(&entry.snapshot, &config);
    Ok(config)
}

fn survey_with(
    workspace: &Workspace,
    heads: Vec<Head>,
    index: &mut StagingIndex,
) -> Result<Vec<Agent>> {
    let files = workspace.agent_files()?;
    index.keep_only(&files.iter().map(|f| f.name.as_str()).collect::<Vec<_>>());
    let mut found: HashMap<String, Agent> = HashMap::new();
    for file in &files {
        for agent in assess_file(workspace, file, index) {
            found.insert(agent.agent.clone(), agent);
        }
    }
    let mut heads: HashMap<String, Head> = heads
        .into_iter()
        .map(|head| (head.agent.clone(), head))
        .collect();
    let mut ids: BTreeSet<String> = heads.keys().cloned().collect();
    ids.extend(found.keys().cloned());
    let mut agents = Vec::with_capacity(ids.len());
    for id in ids {
        let production = heads.remove(&id);
        let agent = match found.remove(&id) {
            Some(agent) => with_production(agent, production),
            None => missing(id, production),
        };
        agents.push(agent);
    }
    Ok(agents)
}

/// The agents of one file, their states still to be set against production: from the
/// staging index when the file's stat data vouch for it, else read (once) and parsed (unless
/// the parse cache has its bytes), and remembered.
fn assess_file(workspace: &Workspace, file: &AgentFile, index: &mut StagingIndex) -> Vec<Agent> {
    // Stat data first, then the bytes: a write in between leaves stat data that do not match.
    let stat = std::fs::metadata(&file.path).ok().map(|m| Stat::of(&m));
    if let Some(recalled) = stat
        .as_ref()
        .and_then(|stat| index.recall(&file.name, stat))
    {
        return known(workspace, file, recalled.parts, &recalled.agents);
    }
    let bytes = std::fs::symlink_metadata(&file.path)
        .ok()
        .filter(|m| m.is_file() && m.len() <= crate::agent::MAX_FILE_BYTES)
        .and_then(|_| std::fs::read(&file.path).ok());
    let digest = bytes.as_deref().map(sha256_hex);
    if let (Some(stat), Some(digest)) = (&stat, &digest)
        && let Some(recalled) = index.recall_by_digest(&file.name, stat, digest)
    {
        return known(workspace, file, recalled.parts, &recalled.agents);
    }
    let parts = bytes
        .as_deref()
        .and_then(|bytes| workspace.parts_in(bytes, file.format));
    let mut agents = Vec::new();
    let mut remembered = BTreeMap::new();
    let mut complete = true;
    for (id, staging) in workspace.agents_in(file, parts.clone()) {
        let agent = match staging {
            Err(error) => invalid(id, None, error),
            Ok(staging) => {
                let (agent, parsed) = assess_read(workspace, staging);
                // Read again for itself: if the file changed since the first read, what it
                // parsed is not what `digest` names, and the index must not pair them.
                complete &= parsed.is_some() && parsed == digest;
                agent
            }
        };
        match (&agent.snapshot, agent.format) {
            (Some(snapshot), Some(format)) => {
                remembered.insert(
                    agent.agent.clone(),
                    Known {
                        snapshot: snapshot.clone(),
                        format: format.to_owned(),
                    },
                );
            }
            // An invalid agent is read again next time, to report its error.
            _ => complete = false,
        }
        agents.push(agent);
    }
    if let (true, Some(stat), Some(digest)) = (complete, stat, digest) {
        index.remember(&file.name, &stat, digest, parts.as_deref(), remembered);
    }
    agents
}

/// The agents of a file as the staging index remembers them (not read, not parsed).
fn known(
    workspace: &Workspace,
    file: &AgentFile,
    parts: Option<Vec<format::Part>>,
    agents: &BTreeMap<String, Known>,
) -> Vec<Agent> {
    workspace
        .agents_in(file, parts)
        .into_iter()
        .map(|(id, staging)| match (staging, agents.get(&id)) {
            (Ok(staging), Some(known)) => Agent {
                agent: id,
                state: AgentState::New,
                staging: Some(staging),
                config: None,
                snapshot: Some(known.snapshot.clone()),
                format: format::by_name(&known.format).map(|f| f.name),
                production: None,
            },
            (Ok(staging), None) => assess(workspace, staging),
            (Err(error), _) => invalid(id, None, error),
        })
        .collect()
}

/// Set a surveyed agent's state against production: the snapshot hashes decide.
fn with_production(mut agent: Agent, production: Option<Head>) -> Agent {
    if let Some(snapshot) = &agent.snapshot {
        agent.state = match &production {
            None => AgentState::New,
            Some(head) if head.snapshot == *snapshot => AgentState::Clean,
            Some(_) => AgentState::Modified,
        };
    }
    agent.production = production;
    agent
}

/// One agent by id; an id that is neither staged nor published is an error.
pub fn agent(workspace: &Workspace, store: &Store, id: &str) -> Result<Agent> {
    validate_id(id)?;
    let production = store.head(id)?.map(Head::from);
    match workspace.find_staging(id)? {
        Some(staging) => Ok(with_production(assess(workspace, staging), production)),
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

fn missing(agent: String, production: Option<Head>) -> Agent {
    Agent {
        agent,
        state: AgentState::Missing,
        staging: None,
        config: None,
        snapshot: None,
        format: None,
        production,
    }
}

fn invalid(agent: String, staging: Option<Staging>, error: Error) -> Agent {
    Agent {
        agent,
        state: AgentState::Invalid(error),
        staging,
        config: None,
        snapshot: None,
        format: None,
        production: None,
    }
}

/// Read and parse one agent's staging file (through the parse cache). Its state against
/// production is set later.
fn assess(workspace: &Workspace, staging: Staging) -> Agent {
    assess_read(workspace, staging).0
}

/// [`assess`], and the digest of the bytes it read when it could read them. The digest is
/// always of the bytes parsed: a cache entry keyed by other bytes' hash would be stale for
/// ever.
fn assess_read(workspace: &Workspace, staging: Staging) -> (Agent, Option<String>) {
    let bytes = match workspace.read_bytes(&staging) {
        Ok(bytes) => bytes,
        Err(error) => return (invalid(staging.agent.clone(), Some(staging), error), None),
    };
    let digest = sha256_hex(&bytes);
    let agent = match workspace.parse_cached(&staging, &bytes, &digest) {
        Err(error) => invalid(staging.agent.clone(), Some(staging), error),
        Ok(parsed) => Agent {
            agent: staging.agent.clone(),
            state: AgentState::New,
            staging: Some(staging),
            config: Some(parsed.config),
            snapshot: Some(parsed.snapshot),
            format: Some(parsed.format.name),
            production: None,
        },
    };
    (agent, Some(digest))
}

//! Where each agent stands: its staging file beside its production, and the state that
//! follows (`clean`, `modified`, `new`, `missing`, `invalid`).

use std::collections::{BTreeSet, HashMap};

use crate::agent::Config;
use crate::error::{Error, Result};
use crate::store::{Entry, Store};
use crate::workspace::{Staging, Workspace, validate_id};

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
    pub production: Option<Entry>,
}

/// Every agent of the workspace and the store, in name order.
pub fn survey(workspace: &Workspace, store: &Store) -> Result<Vec<Agent>> {
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
                production,
            },
            Some(Ok(staging)) => assess(workspace, store, staging, production)?,
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
        Some(staging) => assess(workspace, store, staging, production),
        None if production.is_some() => Ok(missing(id.to_owned(), production)),
        None => Err(unknown(id)),
    }
}

/// Check that `id` names an agent (staged or published) without reading its staging file.
pub fn require_known(workspace: &Workspace, store: &Store, id: &str) -> Result<()> {
    validate_id(id)?;
    let staged = ["yaml", "yml"]
        .iter()
        .any(|ext| workspace.agents_dir().join(format!("{id}.{ext}")).exists());
    if staged || store.head(id)?.is_some() {
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
}

fn missing(agent: String, production: Option<Entry>) -> Agent {
    Agent {
        agent,
        state: AgentState::Missing,
        staging: None,
        config: None,
        production,
    }
}

fn assess(
    workspace: &Workspace,
    store: &Store,
    staging: Staging,
    production: Option<Entry>,
) -> Result<Agent> {
    let (state, config) = match workspace.read(&staging) {
        Err(error) => (AgentState::Invalid(error), None),
        Ok(config) => {
            let state = match &production {
                None => AgentState::New,
                Some(entry) if store.snapshot(entry)? == config => AgentState::Clean,
                Some(_) => AgentState::Modified,
            };
            (state, Some(config))
        }
    };
    Ok(Agent {
        agent: staging.agent.clone(),
        state,
        staging: Some(staging),
        config,
        production,
    })
}

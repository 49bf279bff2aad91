use super::Context;
use crate::agent::{Config, RecordedRules};
use crate::change::{self, Summary};
use crate::error::{EXIT_ERROR, Error, ErrorKind, Result};
use crate::git;
use crate::render::json;
use crate::store::{Entry, NewEntry, Store, short};
use crate::survey::{self, Agent, AgentState};
use crate::workspace::{Workspace, read_as};

/// Make staging live: record a new production version for each agent that changed
///
/// Every agent is validated first, and all of them are published in one transaction: either
/// every named agent is published or none is. An agent whose staging equals production is
/// left alone (has_changes: false).
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Agents to publish [default: every agent with changes]
    pub agents: Vec<String>,

    /// The message recorded with the publish [default: a summary of the changes]
    #[arg(short, long, value_name = "MSG")]
    pub message: Option<String>,

    /// Who publishes [default: AGENTCTL_AUTHOR, the user config, git's user, the login name]
    #[arg(long, value_name = "WHO")]
    pub author: Option<String>,

    /// Publish only if production is still REF (one agent only); protects against publishing
    /// over a change you have not seen
    #[arg(long, value_name = "REF")]
    pub expect: Option<String>,

    /// Show what would be published without recording anything
    #[arg(long)]
    pub dry_run: bool,

    /// Print JSON: {"has_changes", "results": [{agent, has_changes, version, change_track_id, …}]}
    #[arg(long)]
    pub json: bool,
}

/// What a publish is asked to do: the command line's options, or the API's request body.
#[derive(Debug, Default)]
pub struct Request<'a> {
    /// Agents to publish; none: every agent with changes.
    pub agents: &'a [String],
    pub message: Option<&'a str>,
    /// Who publishes; `None`: AGENTCTL_AUTHOR, the user config, git's user, the login name.
    pub author: Option<&'a str>,
    pub expect: Option<&'a str>,
    pub dry_run: bool,
}

/// What a publish did.
pub enum Outcome {
    /// Recorded (or, in a dry run, what would be): the `publish --json` document.
    Done(json::Publish),
    /// Some agents do not validate (or have no staging file): nothing was published.
    Invalid {
        errors: Vec<Error>,
        /// The valid agents that have something to publish, to name in a hint.
        publishable: Vec<String>,
    },
}

pub fn cmd_publish(ctx: &Context, args: Args) -> Result<u8> {
    let workspace = ctx.workspace()?;
    let mut store = ctx.open_store_for_writing(&workspace)?;
    let request = Request {
        agents: &args.agents,
        message: args.message.as_deref(),
        author: args.author.as_deref(),
        expect: args.expect.as_deref(),
        dry_run: args.dry_run,
    };
    match publish(ctx, &workspace, &mut store, &request)? {
        Outcome::Done(view) => {
            // Messages go to stderr in every mode, "nothing to publish" included.
            report(ctx, &view.results, args.dry_run);
            if args.json {
                ctx.ui.json(&view)?;
            }
            Ok(0)
        }
        Outcome::Invalid {
            errors,
            publishable,
        } => {
            for error in &errors {
                ctx.ui.error(error);
            }
            ctx.ui.note("Nothing was published.");
            if !publishable.is_empty() {
                ctx.ui.hint(&format!(
                    "fix the file above, or publish the valid ones by name: `agentctl publish {}`",
                    publishable.join(" ")
                ));
            }
            if args.json {
                ctx.ui
                    .json(&invalid_error(errors.len()).body(u16::from(EXIT_ERROR)))?;
            }
            Ok(EXIT_ERROR)
        }
    }
}

/// The one error a publish of invalid agents ends with.
pub fn invalid_error(invalid: usize) -> Error {
    Error::new(format!(
        "{} not valid; nothing was published",
        super::agents_count(invalid)
    ))
    .hint("`agentctl validate` shows each error with its file:line:column")
    .kind(ErrorKind::Invalid)
}

/// Publish: validate every agent, then record each one that changed, all in one transaction.
/// The one publish of the command line and of the HTTP API (`POST …/publish`).
pub fn publish(
    ctx: &Context,
    workspace: &Workspace,
    store: &mut Store,
    request: &Request,
) -> Result<Outcome> {
    if request.expect.is_some() && request.agents.len() != 1 {
        return Err(Error::new("--expect needs exactly one agent")
            .hint("name the agent: `agentctl publish AGENT --expect vN`")
            .kind(ErrorKind::Usage));
    }
    if request.message.is_some_and(|m| m.trim().is_empty()) {
        return Err(Error::new("the publish message is empty")
            .hint("say what changed with -m, or leave -m out for a generated message")
            .kind(ErrorKind::Usage));
    }
    if request.author.is_some_and(|a| a.trim().is_empty()) {
        return Err(Error::new("--author is empty")
            .hint("name who publishes, or leave it out")
            .kind(ErrorKind::Usage));
    }
    let agents = if request.agents.is_empty() {
        let mut agents = survey::survey(workspace, store)?;
        agents.retain(|agent| {
            let missing = matches!(agent.state, AgentState::Missing);
            if missing {
                ctx.ui.warn(&format!(
                    "{} has no staging file; production is left as it is (removing an agent is not supported)",
                    agent.agent
                ));
            }
            !missing
        });
        agents
    } else {
        super::unique(request.agents)
            .into_iter()
            .map(|id| survey::agent(workspace, store, id))
            .collect::<Result<Vec<Agent>>>()?
    };

    // Validate everything before writing anything.
    let mut ready: Vec<Ready> = Vec::new();
    let mut errors = Vec::new();
    // The valid agents that have something to publish, to name in the hint.
    let mut publishable = Vec::new();
    for mut agent in agents {
        if matches!(agent.state, AgentState::Modified | AgentState::New) {
            publishable.push(agent.agent.clone());
        }
        if let AgentState::Invalid(error) = agent.state {
            errors.push(error);
            continue;
        }
        let snapshot = match (&agent.state, agent.snapshot.take()) {
            (AgentState::Missing, _) | (_, None) => {
                errors.push(
                    Error::new(format!("{} has no staging file to publish", agent.agent))
                        .hint(format!("recreate agents/{}.yaml first", agent.agent))
                        .kind(ErrorKind::Conflict),
                );
                continue;
            }
            (_, Some(snapshot)) => snapshot,
        };
        // A clean agent's configuration is read only if production moves before the lock.
        let config = match agent.state {
            AgentState::Clean => agent.config.take(),
            _ => match survey::config(workspace, &mut agent) {
                Ok(config) => Some(config),
                Err(error) => {
                    errors.push(error);
                    continue;
                }
            },
        };
        let git_commit = agent
            .staging
            .as_ref()
            .and_then(|staging| git::commit_of(&workspace.root, &staging.path));
        ready.push(Ready {
            agent,
            snapshot,
            config,
            git_commit,
        });
    }
    if !errors.is_empty() {
        return Ok(Outcome::Invalid {
            errors,
            publishable,
        });
    }

    let author = author(ctx, workspace, request.author);
    // Read once, before the lock: an agentctl.yaml that does not read is refused with
    // nothing written.
    let overrides = workspace.overrides()?;
    let mut results = Vec::new();
    let publishing = store.publishing(request.dry_run)?;
    // Taken once the write lock is held, so that publish times follow history order.
    let published_at = ctx.now_recorded()?;
    for ready in &mut ready {
        let agent = ready.agent.agent.clone();
        let agent = agent.as_str();
        let head = publishing.head(agent)?;
        if let Some(expected) = request.expect {
            check_expectation(agent, head.as_ref(), expected)?;
        }
        // Equal snapshot hashes: nothing to publish, and nothing to read or compare.
        if head
            .as_ref()
            .is_some_and(|head| head.snapshot == ready.snapshot)
        {
            results.push(unchanged(agent, head.as_ref()));
            continue;
        }
        let config = match ready.config.take() {
            Some(config) => config,
            None => survey::config(workspace, &mut ready.agent)?,
        };
        let production = match &head {
            Some(entry) => survey::snapshot_with(workspace, entry, || publishing.snapshot(entry))?,
            None => Config::new(),
        };
        // Compared as `diff` shows it (agentctl.yaml's sections and identity, the format the
        // file is read in), and those rules recorded with the entry, so that `log`, `blame`
        // and `verify` read it the same way later, whatever agentctl.yaml then says.
        let staging = ready.agent.staging.as_ref();
        let rules = overrides.extend(read_as(staging, &production, &config));
        let changes = change::diff_as(&rules, &production, &config);
        let recorded_rules = RecordedRules::of(&rules, &production, &config).encode();
        if changes.is_empty() {
            results.push(unchanged(agent, head.as_ref()));
            continue;
        }
        let reverts = publishing.pending_revert(agent)?;
        let message = match (request.message, &reverts) {
            (Some(message), _) => message.to_owned(),
            (None, Some(reverted)) => revert_message(reverted),
            (None, None) if head.is_none() => format!("Create {agent}"),
            (None, None) => change::describe(&changes),
        };
        let summary = Summary::of(&changes);
        let entry = publishing.append(
            head.as_ref(),
            &NewEntry {
                agent,
                author: &author,
                published_at: &published_at,
                message: &message,
                config: &config,
                summary: &summary,
                changes: &changes,
                reverts: reverts.as_ref().map(|r| r.change_track_id.as_str()),
                git_commit: ready.git_commit.as_deref(),
                rules: recorded_rules.as_deref(),
            },
        )?;
        results.push(published(entry, request.dry_run));
    }
    publishing.commit()?;

    Ok(Outcome::Done(json::Publish {
        has_changes: results.iter().any(|r| r.has_changes),
        dry_run: request.dry_run,
        results,
    }))
}

/// An agent that validated, waiting for the write lock.
struct Ready {
    agent: Agent,
    /// The snapshot hash of its staging configuration.
    snapshot: String,
    /// Its configuration, once read (a clean agent's is read only if production moved).
    config: Option<Config>,
    git_commit: Option<String>,
}

fn report(ctx: &Context, results: &[json::PublishResult], dry_run: bool) {
    let verb = if dry_run {
        "Would publish"
    } else {
        "Published"
    };
    let mut unchanged = Vec::new();
    for result in results {
        match (&result.version, &result.change_track_id) {
            (Some(version), id) if result.has_changes => ctx.ui.status(
                verb,
                &format!(
                    "{} v{version}{}: {}",
                    result.agent,
                    id.as_deref()
                        .map(|id| format!(" ({})", short(id)))
                        .unwrap_or_default(),
                    result.message.as_deref().unwrap_or_default()
                ),
            ),
            _ => unchanged.push(result.agent.as_str()),
        }
    }
    if unchanged.len() == results.len() {
        let every = if results.len() == 1 {
            ""
        } else {
            " for every agent"
        };
        ctx.ui.note(&format!(
            "Nothing to publish: staging matches production{every}."
        ));
    } else if !unchanged.is_empty() {
        ctx.ui.note(&format!(
            "Nothing to publish for {}: staging matches production.",
            unchanged.join(", ")
        ));
    }
    if dry_run {
        ctx.ui.note("Dry run: nothing was recorded.");
    }
}

/// A dry run shows no id and no time: the id covers the publish time, so the real publish gets
/// another one (issue 14, item 4).
fn published(entry: Entry, dry_run: bool) -> json::PublishResult {
    json::PublishResult {
        agent: entry.agent,
        has_changes: true,
        version: Some(entry.version),
        change_track_id: (!dry_run).then_some(entry.change_track_id),
        author: Some(entry.author),
        published_at: (!dry_run).then_some(entry.published_at),
        message: Some(entry.message),
        summary: entry.summary,
    }
}

fn unchanged(agent: &str, head: Option<&Entry>) -> json::PublishResult {
    json::PublishResult {
        agent: agent.to_owned(),
        has_changes: false,
        version: head.map(|h| h.version),
        change_track_id: head.map(|h| h.change_track_id.clone()),
        author: None,
        published_at: None,
        message: None,
        summary: Summary::default(),
    }
}

/// `--expect REF`: production must still be what the caller last saw.
fn check_expectation(agent: &str, head: Option<&Entry>, expected: &str) -> Result<()> {
    let matches = head.is_some_and(|head| crate::store::names_head(expected, head));
    if matches {
        return Ok(());
    }
    let actual = match head {
        Some(head) => format!("v{} ({})", head.version, head.short_id()),
        None => "not published yet".to_owned(),
    };
    Err(Error::new(format!(
        "production of {agent} is {actual}, not `{expected}`; nothing was published"
    ))
    .hint(format!(
        "review with `agentctl diff {agent}`, then publish again with the --expect you reviewed"
    ))
    .kind(ErrorKind::Mismatch))
}

/// `--author`, else AGENTCTL_AUTHOR, else the user config, else git's user, else the login.
fn author(ctx: &Context, workspace: &Workspace, flag: Option<&str>) -> String {
    let non_empty = |s: String| (!s.trim().is_empty()).then_some(s);
    flag.map(str::to_owned)
        .and_then(non_empty)
        .or_else(|| std::env::var("AGENTCTL_AUTHOR").ok().and_then(non_empty))
        .or_else(|| ctx.user.author.clone().and_then(non_empty))
        .or_else(|| git::user(&workspace.root))
        .or_else(|| std::env::var("USER").ok().and_then(non_empty))
        .or_else(|| std::env::var("LOGNAME").ok().and_then(non_empty))
        .or_else(login_name)
        .unwrap_or_else(|| "unknown".to_owned())
}

/// The login name from the system when the environment does not say (containers, cron).
fn login_name() -> Option<String> {
    let output = std::process::Command::new("id")
        .arg("-un")
        .stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .output()
        .ok()?;
    let name = String::from_utf8(output.stdout).ok()?.trim().to_owned();
    (output.status.success() && !name.is_empty()).then_some(name)
}

/// Now, as RFC 3339 UTC with second precision.
/// The default message of a publish whose staging came from `agentctl revert`.
fn revert_message(reverted: &Entry) -> String {
    format!("Revert v{}: {}", reverted.version, reverted.message)
}

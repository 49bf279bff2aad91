//! What the benchmarks share: recording a history through the library, the way `publish`
//! records each entry (its changes by path, its summary), without a process per publish.

use agentctl::agent::Config;
use agentctl::change::{Change, Summary};
use agentctl::store::{Entry, NewEntry, Publishing};

/// Record `config` as `agent`'s version after `head`, with `changes` (against `head`'s config).
pub fn append(
    publishing: &Publishing<'_>,
    head: Option<&Entry>,
    agent: &str,
    config: &Config,
    changes: &[Change],
    (author, published_at, message): (&str, &str, &str),
) -> Entry {
    publishing
        .append(
            head,
            &NewEntry {
                agent,
                author,
                published_at,
                message,
                config,
                summary: &Summary::of(changes),
                changes,
                reverts: None,
                git_commit: None,
                rules: None,
            },
        )
        .expect("append")
}

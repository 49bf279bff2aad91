//! agentctl: staging, review, publish history and revert for AI-agent configurations.
//!
//! Each agent has two environments. **Staging** is a YAML file in `agents/` that people edit
//! freely. **Production** is the newest snapshot in the agent's **publish history**, kept in a
//! SQLite store. [`change`] compares two configurations field by field; `publish` appends a
//! snapshot to the history when staging differs from production; [`merge`] takes a past
//! publish's changes back out of staging (revert).
//!
//! The core ([`agent`], [`change`], [`merge`], [`store`], [`workspace`], [`survey`], [`overwrite`]) never prints and never
//! exits; [`commands`] glue it to the [`ui::Ui`].

pub mod agent;
pub mod blame;
pub mod change;
pub mod cli;
pub mod commands;
pub mod config;
pub mod edit;
pub mod error;
pub mod git;
pub mod merge;
pub mod overwrite;
pub mod parse_cache;
pub mod render;
pub mod schema;
#[cfg(feature = "serve")]
pub mod serve;
pub mod staging_index;
pub mod store;
pub mod survey;
pub mod ui;
pub mod workspace;

//! What the workspace's git repository knows: the commit being published and who is publishing.
//! Git is optional: every question answers `None` when git or the repository is absent.

use std::path::Path;
use std::process::{Command, Stdio};

fn git(root: &Path, args: &[&str]) -> Option<String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// The commit checked out in the workspace, if it is a git repository with commits.
pub fn head_commit(root: &Path) -> Option<String> {
    // Not a repository: spare every publish a git process that can only say so.
    let repository = std::env::var_os("GIT_DIR").is_some()
        || root.ancestors().any(|dir| dir.join(".git").exists());
    if !repository {
        return None;
    }
    git(root, &["rev-parse", "--verify", "--quiet", "HEAD"])
}

/// What a publish records as `git_commit` for the agent file at `file`: HEAD, with
/// [`DIRTY`] after it when the file is not committed as it is (modified, staged, untracked or
/// ignored), since HEAD alone does not hold the published config then.
pub fn commit_of(root: &Path, file: &Path) -> Option<String> {
    let head = head_commit(root)?;
    let file = file.to_str()?;
    // Output only when the file differs from HEAD; no output (None) when it is committed.
    let status = Command::new("git")
        .arg("-C")
        .arg(root)
        .args([
            "status",
            "--porcelain",
            "--ignored",
            "--untracked-files=all",
            "--",
        ])
        .arg(file)
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .ok()?;
    let dirty = !status.status.success() || !status.stdout.iter().all(u8::is_ascii_whitespace);
    Some(if dirty {
        format!("{head}{DIRTY}")
    } else {
        head
    })
}

/// After a recorded `git_commit`: the agent file was not committed as published.
pub const DIRTY: &str = "-dirty";

/// A recorded `git_commit` as (commit, dirty).
pub fn split_commit(recorded: &str) -> (&str, bool) {
    match recorded.strip_suffix(DIRTY) {
        Some(commit) => (commit, true),
        None => (recorded, false),
    }
}

/// `user.name <user.email>` as git would record them for a commit in the workspace.
pub fn user(root: &Path) -> Option<String> {
    let name = git(root, &["config", "user.name"])?;
    match git(root, &["config", "user.email"]) {
        Some(email) => Some(format!("{name} <{email}>")),
        None => Some(name),
    }
}

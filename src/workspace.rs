//! The workspace: a folder holding `.agentctl/` (the default store) and `agents/` (staging).
//!
//! Staging is one YAML file per agent, named after the agent's id. This module finds the
//! workspace, lists and reads staging files (with located errors), and knows where the store is.

use std::borrow::Cow;
use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;

use crate::agent::format::Part;
use crate::agent::{self, Config, Format};
use crate::error::{Error, ErrorKind, Location, Result};
use crate::parse_cache::{self, ParseCache, Parsed};

pub const STATE_DIR: &str = ".agentctl";

/// `.agentctl/.gitignore`: what agentctl keeps there for this checkout alone, for a team that
/// commits the folder (the store itself is theirs to commit or not).
const STATE_GITIGNORE: &str = "\
# Written by `agentctl init`: files agentctl keeps for this checkout only.
staging-index
cache/
lock
store.db-wal
store.db-shm
.tmp*
*.agentctl-tmp
";
pub const STORE_FILE: &str = "store.db";
/// Written by `init --store`: where that store is (a URL's password redacted), so a later
/// command without `--store` can say so instead of reporting a lost local store.
pub const STORE_ELSEWHERE_FILE: &str = "store-elsewhere";
pub const AGENTS_DIR: &str = "agents";
/// The extensions of staging files: YAML, and front matter with a body (SPEC 13), in the order
/// a message lists them.
const EXTENSIONS: [&str; 4] = ["yaml", "yml", "prompty", "md"];
/// Taken by commands that rewrite staging files (revert, restore, undo).
pub const LOCK_FILE: &str = "lock";

#[derive(Debug, Clone)]
pub struct Workspace {
    pub root: PathBuf,
}

/// A file of `agents/` that holds one agent or several.
#[derive(Debug, Clone)]
pub struct AgentFile {
    /// The name without `.yaml`/`.yml`: the agent's id, or its id's first part.
    pub stem: String,
    /// The name in `agents/`.
    pub name: String,
    pub path: PathBuf,
    /// Another staging file of `agents/` with the same stem (`bot.yaml` beside `bot.yml`):
    /// the agent is then refused, as [`Workspace::find_staging`] refuses it.
    pub twin: Option<PathBuf>,
    /// The format `agentctl.yaml` gives its name, if it gives one.
    pub format: Option<&'static agent::Format>,
}

/// One agent's staging file as found in `agents/`.
#[derive(Debug, Clone)]
pub struct Staging {
    pub agent: String,
    pub path: PathBuf,
    /// For a file holding several agents (a CrewAI `agents.yaml`, a CloudFormation template):
    /// where in the file this one is. Its id is `FILE_STEM.KEY`.
    pub part: Option<Part>,
}

impl Workspace {
    /// The nearest folder at or above `start` that holds `.agentctl/`.
    pub fn find(start: &Path) -> Result<Workspace> {
        let start = start
            .canonicalize()
            .with_context(|| format!("cannot open the folder {}", start.display()))?;
        for dir in start.ancestors() {
            if dir.join(STATE_DIR).is_dir() {
                return Ok(Workspace {
                    root: dir.to_owned(),
                });
            }
        }
        Err(Error::new(format!(
            "not inside an agentctl workspace (no {STATE_DIR}/ folder in {} or above)",
            start.display()
        ))
        .hint("run `agentctl init` to create one here, or pass -C DIR"))
    }

    /// Create `.agentctl/` (with its store, made by `create_store`) and `agents/` in `dir`;
    /// refuses where a workspace already exists. The state folder is assembled under a
    /// temporary name and renamed into place, so a failure leaves no half-made workspace.
    pub fn init(dir: &Path, create_store: impl FnOnce(&Path) -> Result<()>) -> Result<Workspace> {
        if dir.join(STATE_DIR).exists() {
            return Err(Error::new(format!(
                "{} is already an agentctl workspace",
                dir.display()
            ))
            .hint("use the existing workspace, or pick another folder"));
        }
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
        let staging_dir = tempfile::Builder::new()
            .prefix(".agentctl-init-")
            .tempdir_in(dir)
            .with_context(|| format!("cannot create a folder in {}", dir.display()))?;
        create_store(&staging_dir.path().join(STORE_FILE))?;
        fs::write(staging_dir.path().join(".gitignore"), STATE_GITIGNORE)
            .with_context(|| format!("cannot create a file in {}", dir.display()))?;
        let state = dir.join(STATE_DIR);
        fs::rename(staging_dir.path(), &state)
            .with_context(|| format!("cannot create {}", state.display()))?;
        // The folder now lives on as .agentctl; nothing is left for the guard to remove.
        let _ = staging_dir.keep();
        fs::create_dir_all(dir.join(AGENTS_DIR))
            .with_context(|| format!("cannot create {}", dir.join(AGENTS_DIR).display()))?;
        let root = dir
            .canonicalize()
            .with_context(|| format!("cannot open the folder {}", dir.display()))?;
        Ok(Workspace { root })
    }

    pub fn agents_dir(&self) -> PathBuf {
        self.root.join(AGENTS_DIR)
    }

    pub fn default_store(&self) -> PathBuf {
        self.root.join(STATE_DIR).join(STORE_FILE)
    }

    /// The store `init --store` was given, as shown (see [`STORE_ELSEWHERE_FILE`]).
    pub fn store_elsewhere(&self) -> Option<String> {
        let text = fs::read_to_string(self.root.join(STATE_DIR).join(STORE_ELSEWHERE_FILE)).ok()?;
        let shown = text.lines().find(|l| !l.starts_with('#'))?.trim();
        (!shown.is_empty()).then(|| shown.to_owned())
    }

    /// A path as shown to people: relative to the workspace root when inside it.
    pub fn display(&self, path: &Path) -> String {
        path.strip_prefix(&self.root)
            .unwrap_or(path)
            .display()
            .to_string()
    }

    /// Every `*.yaml`/`*.yml`/`*.prompty` file in `agents/`, and every `*.md` file that starts
    /// with front matter, by agent id. A file whose name is not a valid id, or an agent with two
    /// files, is an error for that agent (`Err` in the list), so that one bad file does not hide
    /// the others.
    pub fn staging_files(&self) -> Result<Vec<(String, Result<Staging>)>> {
        let mut agents = Vec::new();
        for file in self.agent_files()? {
            let parts = self.parts_of(&file.path, file.format);
            agents.extend(self.agents_in(&file, parts));
        }
        agents.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(agents)
    }

    /// The staging files of `agents/` (see [`Self::staging_files`]), in name order, one per
    /// stem (an agent with two files is reported by [`Self::agents_in`]).
    pub fn agent_files(&self) -> Result<Vec<AgentFile>> {
        let dir = self.agents_dir();
        let read = match fs::read_dir(&dir) {
            Ok(read) => read,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("cannot list {}", self.display(&dir)))
                    .into());
            }
        };
        // A bad agentctl.yaml concerns every agent: the command stops at its own location.
        let overrides = self.overrides()?;
        // A name that is not UTF-8 becomes an id that fails validation instead of being
        // skipped without a word.
        let mut files = Vec::new();
        for dirent in read {
            let dirent = dirent.with_context(|| format!("cannot list {}", self.display(&dir)))?;
            let name = dirent.file_name().to_string_lossy().into_owned();
            if let Some((stem, extension)) = name.rsplit_once('.')
                && EXTENSIONS.contains(&extension)
                && !name.starts_with('.')
                && is_staging_file(&dir.join(&name))
            {
                files.push(AgentFile {
                    stem: stem.to_owned(),
                    path: dir.join(&name),
                    twin: None,
                    format: overrides.format_for(&name),
                    name,
                });
            }
        }
        files.sort_by(|a, b| (&a.stem, &a.name).cmp(&(&b.stem, &b.name)));
        files.dedup_by(|later, kept| {
            let twins = later.stem == kept.stem;
            if twins {
                kept.twin.get_or_insert_with(|| later.path.clone());
            }
            twins
        });
        Ok(files)
    }

    /// The agents of one file of `agents/`: one named after it, or with `parts` (a file
    /// holding several, see [`Self::parts_of`]) one per part, `FILE_STEM.KEY`.
    pub fn agents_in(
        &self,
        file: &AgentFile,
        parts: Option<Vec<Part>>,
    ) -> Vec<(String, Result<Staging>)> {
        let shown = format!("{AGENTS_DIR}/{}", file.name);
        let Some(parts) = parts else {
            // The listing already found the file and any twin: no probing of its names again.
            let staging = validate_id(&file.stem)
                .and_then(|()| match &file.twin {
                    Some(twin) => Err(two_staging_files(self, &file.stem, &file.path, twin)),
                    None => Ok(staging_at(&file.stem, file.path.clone(), file.format)),
                })
                .map_err(|error| error.at(Location::file(shown)));
            return vec![(file.stem.clone(), staging)];
        };
        parts
            .into_iter()
            .map(|part| {
                let agent = format!("{}.{}", file.stem, part.key);
                let staging = validate_id(&agent)
                    .map(|()| Staging {
                        agent: agent.clone(),
                        path: file.path.clone(),
                        part: Some(part),
                    })
                    .map_err(|error| error.at(Location::file(shown.clone())));
                (agent, staging)
            })
            .collect()
    }

    /// The agents of a file holding several (SPEC 13), or `None` for a file holding one (or
    /// one that cannot be read: reading it as one agent gives the located error).
    pub fn parts_of(&self, path: &Path, chosen: Option<&Format>) -> Option<Vec<Part>> {
        // Only regular files within the limit: a FIFO would block the read, and a symbolic link
        // (perhaps leading out of the workspace) is read as one agent, where that is checked.
        let metadata = fs::symlink_metadata(path).ok()?;
        if !metadata.is_file() || metadata.len() > agent::MAX_FILE_BYTES {
            return None;
        }
        let bytes = fs::read(path).ok()?;
        self.parts_in(&bytes, chosen)
    }

    /// [`Self::parts_of`] for a file's bytes; the whole file's parse goes through the cache.
    pub fn parts_in(&self, bytes: &[u8], chosen: Option<&Format>) -> Option<Vec<Part>> {
        if chosen.is_some_and(|format| !agent::format::holds_several(format)) {
            return None;
        }
        if !agent::format::may_hold_several(&String::from_utf8_lossy(bytes)) {
            return None;
        }
        let cache = self.parse_cache();
        let key = parse_cache::staging_key(&agent::sha256_hex(bytes), "whole file");
        let file = match cache.get(&key) {
            Some(parsed) => parsed.config,
            None => {
                let file = agent::parse_file(bytes).ok()?;
                cache.put(
                    &key,
                    &Parsed {
                        snapshot: agent::snapshot_hash(&file),
                        config: file.clone(),
                        format: &agent::NATIVE,
                    },
                );
                file
            }
        };
        agent::format::parts(&file)
    }

    /// The staging file of `agent`, which must exist.
    pub fn staging(&self, agent: &str) -> Result<Staging> {
        match self.find_staging(agent)? {
            Some(staging) => Ok(staging),
            None => Err(Error::new(format!(
                "no staging file for agent `{agent}` ({AGENTS_DIR}/{agent}.yaml)"
            ))
            .hint("`agentctl status` lists the agents of this workspace")
            .kind(ErrorKind::NotFound)),
        }
    }

    /// The staging files of `agent` that exist: `agents/<agent>.yaml`, `.yml`, `.prompty`, or
    /// `.md` with front matter (one, or wrongly more). The one lookup of those names.
    fn staging_names(&self, agent: &str) -> Vec<PathBuf> {
        let dir = self.agents_dir();
        EXTENSIONS
            .iter()
            .map(|ext| dir.join(format!("{agent}.{ext}")))
            .filter(|path| path.exists() && is_staging_file(path))
            .collect()
    }

    /// Whether `agent` has a staging file (one or, wrongly, several), without reading it.
    pub fn has_staging_file(&self, agent: &str) -> bool {
        !self.staging_names(agent).is_empty() || self.find_part(agent).is_some()
    }

    /// The staging file of `agent`, or `None` when there is none.
    pub fn find_staging(&self, agent: &str) -> Result<Option<Staging>> {
        validate_id(agent)?;
        let path = match self.staging_names(agent).as_slice() {
            [] => return Ok(self.find_part(agent)),
            [path] => path.clone(),
            [first, second, ..] => return Err(two_staging_files(self, agent, first, second)),
        };
        let name = path.file_name().unwrap_or_default().to_string_lossy();
        let chosen = self.overrides()?.format_for(&name);
        Ok(Some(staging_at(agent, path, chosen)))
    }

    /// The rules to compare and merge versions of an agent by: the format its staging file is
    /// read in when that is given (`agentctl.yaml`'s `format:`, a `.prompty` file), else the
    /// one detected from them ([`format::detect_pair`]); with `agentctl.yaml`'s `sections:` and
    /// `identity:` added. Read afresh each time, so an edit of agentctl.yaml shows at once
    /// (also in `serve`).
    pub fn rules(
        &self,
        staging: Option<&Staging>,
        old: &Config,
        new: &Config,
    ) -> Result<Cow<'static, Format>> {
        Ok(self.overrides()?.extend(read_as(staging, old, new)))
    }

    /// What `agentctl.yaml` at the root says (SPEC 13: the format of files whose detection
    /// should not decide, extra section keys, identifying keys per list path); nothing when
    /// there is none.
    pub fn overrides(&self) -> Result<agent::Overrides> {
        let path = self.root.join(agent::OVERRIDES_FILE);
        let bytes = match fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Default::default()),
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("cannot read {}", agent::OVERRIDES_FILE))
                    .into());
            }
        };
        agent::Overrides::parse(&bytes)
            .map_err(|invalid| located(agent::OVERRIDES_FILE.into(), invalid))
    }

    /// `FILE_STEM.KEY`: the agent `KEY` of the file `agents/FILE_STEM.yaml` holding several.
    fn find_part(&self, agent: &str) -> Option<Staging> {
        agent.match_indices('.').find_map(|(at, _)| {
            let (stem, key) = (&agent[..at], &agent[at + 1..]);
            let path = self
                .staging_names(stem)
                .into_iter()
                .find(|path| path.is_file() && !is_front_matter_file(path))?;
            let name = path.file_name()?.to_string_lossy().into_owned();
            let chosen = self.overrides().ok()?.format_for(&name);
            let part = self
                .parts_of(&path, chosen)?
                .into_iter()
                .find(|p| p.key == key)?;
            Some(Staging {
                agent: agent.to_owned(),
                path,
                part: Some(part),
            })
        })
    }

    /// Read, parse and validate a staging file. Errors point at `file:line:column`.
    pub fn read(&self, staging: &Staging) -> Result<Config> {
        let bytes = self.read_bytes(staging)?;
        self.parse(staging, &bytes)
    }

    /// The raw bytes of a staging file (at most one byte over the size limit).
    pub fn read_bytes(&self, staging: &Staging) -> Result<Vec<u8>> {
        let shown = self.display(&staging.path);
        let real = self.inside(staging)?;
        // Only regular files: a FIFO would block the open, a device would never end.
        let metadata = fs::metadata(&real).with_context(|| format!("cannot read {shown}"))?;
        if !metadata.is_file() {
            return Err(Error::new(format!("{shown} is not a regular file"))
                .at(Location::file(shown))
                .hint("a staging file must be a plain YAML file")
                .kind(ErrorKind::Invalid));
        }
        let mut bytes = Vec::new();
        fs::File::open(&real)
            .and_then(|file| file.take(agent::MAX_FILE_BYTES + 1).read_to_end(&mut bytes))
            .with_context(|| format!("cannot read {shown}"))?;
        Ok(bytes)
    }

    /// Parse and validate the bytes of a staging file, with located errors.
    pub fn parse(&self, staging: &Staging, bytes: &[u8]) -> Result<Config> {
        self.parse_with_format(staging, bytes)
            .map(|(config, _)| config)
    }

    /// [`Self::parse`], and the format the file was read in (SPEC 13: detected from its keys).
    pub fn parse_with_format(
        &self,
        staging: &Staging,
        bytes: &[u8],
    ) -> Result<(Config, &'static Format)> {
        self.parse_cached(staging, bytes, &agent::sha256_hex(bytes))
            .map(|parsed| (parsed.config, parsed.format))
    }

    /// Parse a staging file whose bytes hash to `digest`, through the parse cache: bytes
    /// parsed before (by any command) are not parsed again. Refusals are not kept, so their
    /// errors are always found afresh.
    pub fn parse_cached(&self, staging: &Staging, bytes: &[u8], digest: &str) -> Result<Parsed> {
        let how = match &staging.part {
            Some(part) => format!(
                "{}\0{}\0{}\0{}",
                part.format.map_or("-", |f| f.name),
                part.front_matter,
                part.key,
                part.at.join("\0")
            ),
            None => String::new(),
        };
        let key = parse_cache::staging_key(digest, &how);
        let cache = self.parse_cache();
        if let Some(parsed) = cache.get(&key) {
            return Ok(parsed);
        }
        let (config, format) = self.parse_uncached(staging, bytes)?;
        let parsed = Parsed {
            snapshot: agent::snapshot_hash(&config),
            config,
            format,
        };
        cache.put(&key, &parsed);
        Ok(parsed)
    }

    fn parse_uncached(&self, staging: &Staging, bytes: &[u8]) -> Result<(Config, &'static Format)> {
        let parsed = match &staging.part {
            Some(part) => agent::parse_part(bytes, part),
            None => agent::parse_as(bytes, None),
        };
        parsed.map_err(|invalid| located(self.display(&staging.path), invalid))
    }

    /// What this workspace has already parsed (`.agentctl/cache/`).
    pub fn parse_cache(&self) -> ParseCache {
        ParseCache::new(&self.root.join(STATE_DIR))
    }

    /// Where a new staging file of `agent` goes.
    pub fn new_staging(&self, agent: &str) -> Staging {
        Staging {
            agent: agent.to_owned(),
            path: self.agents_dir().join(format!("{agent}.yaml")),
            part: None,
        }
    }

    /// Replace a staging file's content atomically: a temporary file in `agents/`, flushed to
    /// disk, then renamed over the old one, so a crash leaves the old file or the new one.
    /// A staging file that is a symbolic link inside the workspace is written through (the
    /// link stays); one whose real place is outside the workspace is refused.
    pub fn write(&self, staging: &Staging, bytes: &[u8]) -> Result<()> {
        let real = self.inside(staging)?;
        write_atomically(&real, bytes, Replace::Yes)
            .with_context(|| format!("cannot write {}", self.display(&staging.path)))?;
        Ok(())
    }

    /// Write a staging file that must not exist yet (`new`), as atomically as [`Self::write`];
    /// a file that appeared meanwhile is left alone and the write fails.
    pub fn create(&self, staging: &Staging, bytes: &[u8]) -> Result<()> {
        let real = self.inside(staging)?;
        write_atomically(&real, bytes, Replace::No)
            .with_context(|| format!("cannot write {}", self.display(&staging.path)))?;
        Ok(())
    }

    /// Where a staging file really is, links followed; refused when that is outside the
    /// workspace (a link to /etc/passwd, or `agents/` linked elsewhere), so agentctl never
    /// reads or overwrites a file it was not given. A file that does not exist yet is placed
    /// by its folder.
    fn inside(&self, staging: &Staging) -> Result<PathBuf> {
        let shown = self.display(&staging.path);
        let real = match staging.path.canonicalize() {
            Ok(real) => real,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let dir = staging.path.parent().unwrap_or(Path::new("."));
                let name = staging.path.file_name().unwrap_or_default();
                match dir.canonicalize() {
                    // A dangling link: its target is where a write would land.
                    Ok(dir) if staging.path.is_symlink() => match fs::read_link(&staging.path) {
                        Ok(target) => dir.join(target),
                        Err(_) => dir.join(name),
                    },
                    Ok(dir) => dir.join(name),
                    Err(e) => {
                        return Err(anyhow::Error::from(e)
                            .context(format!("cannot open the folder of {shown}"))
                            .into());
                    }
                }
            }
            Err(e) => {
                return Err(anyhow::Error::from(e)
                    .context(format!("cannot open {shown}"))
                    .into());
            }
        };
        if real.starts_with(&self.root) && !real.components().any(|c| c.as_os_str() == "..") {
            return Ok(real);
        }
        Err(Error::new(format!(
            "{shown} leads outside the workspace, to {}; refused",
            real.display()
        ))
        .at(Location::file(shown))
        .hint("a staging file must be a file inside the workspace, or a link to one")
        .kind(ErrorKind::Invalid))
    }

    /// Delete a staging file (`undo` of a `restore` that created it).
    pub fn remove(&self, staging: &Staging) -> Result<()> {
        fs::remove_file(&staging.path)
            .with_context(|| format!("cannot delete {}", self.display(&staging.path)))?;
        Ok(())
    }

    /// Hold the workspace's lock until the guard is dropped: commands that rewrite staging
    /// files take it, so two of them never write the same file at once. The operating system
    /// releases it when the process ends, however it ends. Waits at most `timeout` for
    /// another holder, so a stuck command cannot make every later one hang.
    pub fn lock(&self, timeout: Duration) -> Result<fs::File> {
        let path = self.root.join(STATE_DIR).join(LOCK_FILE);
        let shown = self.display(&path);
        let file = fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .with_context(|| format!("cannot open the workspace lock {shown}"))?;
        let deadline = Instant::now() + timeout;
        loop {
            match file.try_lock() {
                Ok(()) => return Ok(file),
                Err(fs::TryLockError::WouldBlock) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(fs::TryLockError::WouldBlock) => {
                    return Err(Error::new(format!(
                        "the workspace is locked: another agentctl has been rewriting staging \
                         files (revert, restore or undo) for more than {}",
                        crate::store::show_duration(timeout)
                    ))
                    .hint(format!(
                        "try again when it has finished, or wait longer with --lock-timeout; \
                         the lock is {shown}"
                    ))
                    .kind(ErrorKind::Busy));
                }
                Err(fs::TryLockError::Error(e)) => {
                    return Err(anyhow::Error::from(e)
                        .context(format!("cannot lock the workspace ({shown})"))
                        .into());
                }
            }
        }
    }
}

/// The format versions of an agent compare in: the one its staging file is read in when that
/// is given, else the one detected from them.
pub fn read_as(staging: Option<&Staging>, old: &Config, new: &Config) -> &'static Format {
    staging
        .and_then(|staging| staging.part.as_ref())
        .and_then(|part| part.format)
        .unwrap_or_else(|| agent::format::detect_pair(old, new))
}

/// `agent`'s staging at `path`, a staging file known to exist: its format as `agentctl.yaml`
/// chose it (`chosen`) or its front matter says.
fn staging_at(agent: &str, path: PathBuf, chosen: Option<&'static agent::Format>) -> Staging {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let part = match is_front_matter_file(&path) {
        true => Some(Part {
            format: chosen.or(Part::front_matter(&name).format),
            ..Part::front_matter(&name)
        }),
        false => chosen.map(Part::whole),
    };
    Staging {
        agent: agent.to_owned(),
        path,
        part,
    }
}

/// A refusal of a file's content as the located error the user sees, with its `help:` line.
fn located(file: String, invalid: agent::Invalid) -> Error {
    let error = Error::new(invalid.message)
        .at(Location {
            file,
            line: invalid.line,
            column: invalid.column,
        })
        .kind(ErrorKind::Invalid);
    match invalid.help {
        Some(help) => error.hint(help),
        None => error,
    }
}

fn two_staging_files(workspace: &Workspace, agent: &str, first: &Path, second: &Path) -> Error {
    Error::new(format!(
        "agent `{agent}` has two staging files: {} and {}",
        workspace.display(first),
        workspace.display(second)
    ))
    .hint("keep one of them and delete the other")
    .kind(ErrorKind::Invalid)
}

/// Whether a `.prompty`/`.md` file holds its agent as front matter and a body.
fn is_front_matter_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|ext| agent::front_matter::EXTENSIONS.iter().any(|e| ext == *e))
}

/// Whether a file of agents/ with a staging extension is a staging file: any but a `.md` file
/// that does not start with front matter (a README beside the agents). Its first line is read,
/// only from a regular file (a FIFO would block).
fn is_staging_file(path: &Path) -> bool {
    if path.extension().is_none_or(|ext| ext != "md") {
        return true;
    }
    let mut start = Vec::new();
    fs::metadata(path).is_ok_and(|metadata| metadata.is_file())
        && fs::File::open(path)
            .and_then(|file| file.take(64).read_to_end(&mut start))
            .is_ok()
        && agent::front_matter::starts_with_marker(&String::from_utf8_lossy(&start))
}

/// Whether [`write_atomically`] may replace an existing file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replace {
    Yes,
    No,
}

/// Write a file all or nothing: a temporary file in the same folder, flushed to disk, then
/// renamed into place, so a crash leaves the old file or the new one. A replaced file keeps its
/// permissions; a new one gets the usual 0644 rather than a temporary file's private 0600.
pub fn write_atomically(path: &Path, bytes: &[u8], replace: Replace) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    };
    // Named after the file it becomes, so that one left behind by a killed process says whose
    // it is (`.support-bot.yaml.Xy12Ab.agentctl-tmp`) and can be deleted.
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let mut file = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".agentctl-tmp")
        .tempfile_in(dir)?;
    file.write_all(bytes)?;
    file.as_file().sync_all()?;
    match fs::metadata(path) {
        Ok(metadata) => file.as_file().set_permissions(metadata.permissions())?,
        Err(_) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                file.as_file()
                    .set_permissions(fs::Permissions::from_mode(0o644))?;
            }
        }
    }
    match replace {
        Replace::Yes => file.persist(path).map_err(|e| e.error)?,
        Replace::No => file.persist_noclobber(path).map_err(|e| e.error)?,
    };
    fs::File::open(dir)?.sync_all()
}

/// Agent ids: letters, digits, `-`, `_`, `.`, starting with a letter or digit, at most 128
/// characters. This also keeps ids from naming paths outside `agents/`.
pub fn validate_id(id: &str) -> Result<()> {
    let valid = !id.is_empty()
        && id.len() <= 128
        && id.as_bytes()[0].is_ascii_alphanumeric()
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    if valid {
        Ok(())
    } else {
        let shown: String = id.escape_debug().collect();
        Err(Error::new(format!("`{shown}` is not a valid agent id"))
            .hint(
                "agent ids use letters, digits, `-`, `_` and `.`, start with a letter or digit, \
             and have at most 128 characters",
            )
            .kind(ErrorKind::Usage))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids() {
        for ok in ["a", "support-bot", "A.b_c-1", &"x".repeat(128)] {
            assert!(validate_id(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "../x",
            "/abs",
            "-x",
            ".hidden",
            "a b",
            "a/b",
            "tab\t",
            &"x".repeat(129),
        ] {
            assert!(validate_id(bad).is_err(), "{bad}");
        }
    }
}

//! The staging index (`.agentctl/staging-index`): what each staging file held when agentctl
//! last read it, found again from the file's stat data alone, as git's index spares
//! `git status` from reading files it has seen (issue 17).
//!
//! For each file of `agents/`: its stat data (device, inode, size, modification and change
//! times), the SHA-256 of its bytes, the agents it holds, and for each agent the snapshot hash
//! and format its parse gave. A file whose stat data match is not read at all.
//!
//! Racy files are handled as git does: stat data taken within [`RACY_WINDOW`] of the file's
//! own times cannot tell a later write in the same clock tick (same size, same time) from no
//! write, so such an entry is trusted only after its bytes are read and hashed again. The
//! change time is kept too, which no tool can set back (`touch -d`, `rsync -t` set the
//! modification time only). The index is a cache: lost, stale, unreadable or from another
//! version, it is rebuilt; written only when it changed, by renaming a new file into place,
//! and never an error.

use std::collections::{BTreeMap, HashMap};
use std::fs::Metadata;
use std::time::{Duration, SystemTime};

use serde::{Deserialize, Serialize};

use crate::agent::format::{self, Part};
use crate::store::Head;
use crate::workspace::{STATE_DIR, Workspace};

/// Stat data taken within this long of a file's last change do not vouch for its content.
pub const RACY_WINDOW: Duration = Duration::from_secs(1);

const FILE: &str = "staging-index";

/// What a parse of one agent gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Known {
    pub snapshot: String,
    pub format: String,
}

/// One agent of a file holding several, as [`Part`] has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct KnownPart {
    key: String,
    at: Vec<String>,
    /// `None`: detected from its keys.
    format: Option<String>,
    front_matter: bool,
}

/// A file's stat data: what changes whenever its content may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stat {
    dev: u64,
    ino: u64,
    size: u64,
    /// Modification and change times, in nanoseconds since the epoch.
    mtime: i128,
    ctime: i128,
}

impl Stat {
    pub fn of(metadata: &Metadata) -> Stat {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            let ns = |s: i64, n: i64| i128::from(s) * 1_000_000_000 + i128::from(n);
            Stat {
                dev: metadata.dev(),
                ino: metadata.ino(),
                size: metadata.size(),
                mtime: ns(metadata.mtime(), metadata.mtime_nsec()),
                ctime: ns(metadata.ctime(), metadata.ctime_nsec()),
            }
        }
        #[cfg(not(unix))]
        {
            let ns = |t: std::io::Result<SystemTime>| {
                t.ok()
                    .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
                    .map_or(0, |d| d.as_nanos() as i128)
            };
            Stat {
                dev: 0,
                ino: 0,
                size: metadata.len(),
                mtime: ns(metadata.modified()),
                ctime: ns(metadata.created()),
            }
        }
    }

    /// The file's last change: the later of its modification and change times.
    fn changed(&self) -> i128 {
        self.mtime.max(self.ctime)
    }

    /// Whether these stat data were taken too soon after the file's last change to vouch for
    /// its content later (or the file's times are in the future).
    fn racy(&self, now: SystemTime) -> bool {
        let now = now
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let window = RACY_WINDOW.as_nanos() as i128;
        self.changed() > now - window
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct FileEntry {
    stat: Stat,
    racy: bool,
    digest: String,
    /// `None`: the file holds one agent, named after it.
    parts: Option<Vec<KnownPart>>,
    /// Every agent of the file, by id.
    agents: BTreeMap<String, Known>,
}

/// A file's agents as the index knows them.
pub struct Recalled {
    /// `None`: the file holds one agent.
    pub parts: Option<Vec<Part>>,
    pub agents: BTreeMap<String, Known>,
}

/// Every agent's production as `status` last read it from a store file, with that file's
/// stat data then (see [`StoreStamp`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Productions {
    stamp: StoreStamp,
    heads: Vec<Head>,
}

/// What the file holds: the files of `agents/`, and the productions last read.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Saved {
    files: HashMap<String, FileEntry>,
    productions: Option<Productions>,
}

/// A store file's identity and stat data, taken when they vouch that the file holds every
/// commit (issue 17): no `-wal` file beside it, since agentctl's last connection to a store
/// checkpoints and removes it, so a WAL present means another connection (`serve`, a
/// crashed process) may hold commits the file does not have yet; and a last change outside
/// the racy window, so that a later commit cannot leave the same stat data. Any commit then
/// changes the file's modification and change times (SQLite writes it at the checkpoint),
/// and a file put in its place has another inode or change time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoreStamp {
    path: String,
    stat: Stat,
}

impl StoreStamp {
    /// The stamp of the store file at `path` now, when its stat data can vouch for it.
    pub fn of(path: &std::path::Path) -> Option<StoreStamp> {
        // SQLite opens the file a symbolic link names, and keeps the WAL beside that file.
        let path = std::fs::canonicalize(path).ok()?;
        let mut wal = path.as_os_str().to_owned();
        wal.push("-wal");
        // The WAL first, then the file: whatever was committed before the WAL was seen gone
        // is in the file whose stat data follow. Only a WAL known to be absent vouches.
        match std::fs::symlink_metadata(&wal) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            _ => return None,
        }
        let stat = Stat::of(&std::fs::metadata(&path).ok()?);
        (!stat.racy(SystemTime::now())).then(|| StoreStamp {
            path: path.to_string_lossy().into_owned(),
            stat,
        })
    }
}

#[derive(Debug, Default)]
pub struct StagingIndex {
    saved: Saved,
    /// When the index file was written (its own modification time, in nanoseconds).
    written: Option<i128>,
    changed: bool,
    /// The first line it was loaded under, and is saved with.
    header: String,
}

impl StagingIndex {
    /// The first line names the version that parsed the files and the `agentctl.yaml` they
    /// were read under (its bytes' digest): another version, or other formats given, may parse
    /// differently, and start afresh.
    fn header(workspace: &Workspace) -> String {
        let overrides = std::fs::read(workspace.root.join(crate::agent::OVERRIDES_FILE))
            .map_or_else(|_| "-".to_owned(), |bytes| crate::agent::sha256_hex(&bytes));
        format!(
            "agentctl staging index {} v3 {overrides}\n",
            env!("CARGO_PKG_VERSION")
        )
    }

    pub fn load(workspace: &Workspace) -> StagingIndex {
        let path = workspace.root.join(STATE_DIR).join(FILE);
        let (text, written) = match std::fs::File::open(path) {
            Ok(mut file) => {
                let written = file.metadata().ok().map(|m| Stat::of(&m).mtime);
                let mut text = String::new();
                let _ = std::io::Read::read_to_string(&mut file, &mut text);
                (text, written)
            }
            Err(_) => (String::new(), None),
        };
        let header = Self::header(workspace);
        let saved: Saved = text
            .strip_prefix(&header)
            .and_then(|json| serde_json::from_str(json).ok())
            .unwrap_or_default();
        StagingIndex {
            saved,
            written,
            changed: false,
            header,
        }
    }

    /// Every agent's production as last read from the store with this `stamp`, when it is
    /// the one the store had then.
    ///
    /// The store's last change must also come before the index file's own time, as git
    /// judges raciness by its index file's: the two clocks are then the file system's, and a
    /// file system whose times are coarser than the racy window (FAT's two seconds) or taken
    /// from a server's clock cannot pass a commit made after the stamp for no change.
    pub fn productions(&self, stamp: &StoreStamp) -> Option<Vec<Head>> {
        let productions = self.saved.productions.as_ref()?;
        let before_written = self
            .written
            .is_some_and(|written| stamp.stat.changed() < written);
        (productions.stamp == *stamp && before_written).then(|| productions.heads.clone())
    }

    /// Remember every agent's production as read from the store after its `stamp` was
    /// taken; `None` (stat data that do not vouch) forgets what was remembered.
    pub fn remember_productions(&mut self, stamp: Option<StoreStamp>, heads: &[Head]) {
        let productions = stamp.map(|stamp| Productions {
            stamp,
            heads: heads.to_vec(),
        });
        if productions != self.saved.productions {
            self.saved.productions = productions;
            self.changed = true;
        }
    }

    /// What `file` (a name in `agents/`) holds, when its stat data vouch for it.
    pub fn recall(&self, file: &str, stat: &Stat) -> Option<Recalled> {
        let entry = self.saved.files.get(file)?;
        (entry.stat == *stat && !entry.racy).then(|| recalled(entry))?
    }

    /// What `file` holds when its bytes hash to `digest` (its stat data did not vouch): the
    /// entry's stat data are brought up to date.
    pub fn recall_by_digest(&mut self, file: &str, stat: &Stat, digest: &str) -> Option<Recalled> {
        let entry = self.saved.files.get_mut(file)?;
        if entry.digest != digest {
            return None;
        }
        let racy = stat.racy(SystemTime::now());
        if entry.stat != *stat || entry.racy != racy {
            (entry.stat, entry.racy) = (*stat, racy);
            self.changed = true;
        }
        recalled(&self.saved.files[file])
    }

    /// Remember what `file` held: `stat` must have been taken before its bytes were read, so
    /// that a write during the read leaves stat data that do not match.
    pub fn remember(
        &mut self,
        file: &str,
        stat: &Stat,
        digest: String,
        parts: Option<&[Part]>,
        agents: BTreeMap<String, Known>,
    ) {
        let entry = FileEntry {
            stat: *stat,
            racy: stat.racy(SystemTime::now()),
            digest,
            parts: parts.map(|parts| {
                parts
                    .iter()
                    .map(|part| KnownPart {
                        key: part.key.clone(),
                        at: part.at.clone(),
                        format: part.format.map(|f| f.name.to_owned()),
                        front_matter: part.front_matter,
                    })
                    .collect()
            }),
            agents,
        };
        self.saved.files.insert(file.to_owned(), entry);
        self.changed = true;
    }

    /// Forget files that are gone from `agents/`.
    pub fn keep_only(&mut self, files: &[&str]) {
        let before = self.saved.files.len();
        self.saved
            .files
            .retain(|name, _| files.contains(&name.as_str()));
        self.changed |= self.saved.files.len() != before;
    }

    pub fn save(&self, workspace: &Workspace) {
        if !self.changed {
            return;
        }
        let Ok(json) = serde_json::to_string(&self.saved) else {
            return;
        };
        let dir = workspace.root.join(STATE_DIR);
        // A read-only workspace or a full disk only costs the next command a read.
        let _ = tempfile::NamedTempFile::new_in(&dir).and_then(|mut file| {
            std::io::Write::write_all(&mut file, self.header.as_bytes())?;
            std::io::Write::write_all(&mut file, json.as_bytes())?;
            file.persist(dir.join(FILE)).map_err(|e| e.error)?;
            Ok(())
        });
    }
}

fn recalled(entry: &FileEntry) -> Option<Recalled> {
    let parts = match &entry.parts {
        None => None,
        Some(parts) => Some(
            parts
                .iter()
                .map(|part| {
                    let format = match &part.format {
                        Some(name) => Some(format::by_name(name)?),
                        None => None,
                    };
                    Some(Part {
                        key: part.key.clone(),
                        at: part.at.clone(),
                        format,
                        front_matter: part.front_matter,
                    })
                })
                .collect::<Option<Vec<Part>>>()?,
        ),
    };
    // A format this version does not know makes the entry stale.
    for known in entry.agents.values() {
        format::by_name(&known.format)?;
    }
    Some(Recalled {
        parts,
        agents: entry.agents.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(mtime_s: i128) -> Stat {
        Stat {
            dev: 1,
            ino: 2,
            size: 3,
            mtime: mtime_s * 1_000_000_000,
            ctime: mtime_s * 1_000_000_000,
        }
    }

    /// Remembered productions are given back only for the same stamp, and only when the
    /// store's last change came before the index file was written.
    #[test]
    fn productions_need_the_same_stamp_and_a_store_older_than_the_index() {
        let stamp = |mtime_s| StoreStamp {
            path: "/s/store.db".into(),
            stat: stat(mtime_s),
        };
        let heads = vec![Head {
            agent: "a".into(),
            version: 3,
            change_track_id: "c".into(),
            published_at: "t".into(),
            snapshot: "s".into(),
        }];
        let mut index = StagingIndex::default();
        index.remember_productions(Some(stamp(100)), &heads);
        assert!(index.productions(&stamp(100)).is_none(), "never written");
        index.written = Some(100 * 1_000_000_000);
        assert!(
            index.productions(&stamp(100)).is_none(),
            "written in the same tick"
        );
        index.written = Some(101 * 1_000_000_000);
        assert_eq!(index.productions(&stamp(100)), Some(heads.clone()));
        assert!(index.productions(&stamp(99)).is_none(), "another stamp");
        index.remember_productions(None, &heads);
        assert!(index.productions(&stamp(100)).is_none(), "forgotten");
    }

    #[test]
    fn stat_data_taken_in_the_same_second_as_the_write_do_not_vouch() {
        let now = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i128;
        let mut index = StagingIndex::default();
        let agents = BTreeMap::from([(
            "a".to_owned(),
            Known {
                snapshot: "s".into(),
                format: "native".into(),
            },
        )]);
        index.remember("a.yaml", &stat(now), "d".into(), None, agents.clone());
        assert!(index.recall("a.yaml", &stat(now)).is_none(), "racy");
        assert!(
            index
                .recall_by_digest("a.yaml", &stat(now), "other")
                .is_none()
        );
        index.remember("a.yaml", &stat(now - 10), "d".into(), None, agents);
        assert!(index.recall("a.yaml", &stat(now - 10)).is_some());
        assert!(index.recall("a.yaml", &stat(now - 9)).is_none(), "changed");
        index.keep_only(&[]);
        assert!(index.recall("a.yaml", &stat(now - 10)).is_none(), "gone");
    }
}

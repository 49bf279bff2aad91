//! The parse cache: what agentctl has already parsed, kept by content, so that a staging file
//! is parsed once however many commands read it (issue 17).
//!
//! Parsing a large agent file costs as much as git's whole `commit -a`, and people run `diff`,
//! then `publish`, on the same unchanged file; CI runs `status` and `diff` over whole
//! workspaces. Each entry is keyed by the SHA-256 of what was parsed (a file's bytes, and for
//! one agent of a file holding several, which agent) and holds the configuration, its snapshot
//! hash and the format it was read in. Production snapshots are kept the same way, by their
//! snapshot hash, so a diff does not decode the store's delta chain again.
//!
//! Content addressing makes staleness impossible by construction: an edited file has other
//! bytes, so another key. An entry is a file in `.agentctl/cache/`, written by renaming a
//! finished file into place, so a reader sees a whole entry or none. The cache is never an
//! error: an entry that is missing, unreadable, from another version of agentctl or damaged
//! is a miss, and the caller parses. It is bounded: beyond [`MAX_ENTRIES`] the least recently
//! written entries are removed.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::agent::{Config, Format, format, sha256_hex};

/// How many entries are kept; beyond it the oldest quarter is removed. (An entry is about the
/// size of its file: a workspace of 100 agents of 300 KB keeps about 60 MB.)
pub const MAX_ENTRIES: usize = 512;

/// A parsed configuration and what is known of it.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub config: Config,
    /// The snapshot hash of `config` ([`crate::agent::snapshot_hash`]).
    pub snapshot: String,
    pub format: &'static Format,
}

/// The cache of one workspace (`.agentctl/cache/`).
#[derive(Debug, Clone)]
pub struct ParseCache {
    dir: PathBuf,
}

/// The key of a staging file's parse: its bytes' digest and, for one agent of a file holding
/// several, where that agent is. Other inputs of a parse (the format it is read in) are part of
/// `how`, so that a different reading of the same bytes is another entry.
pub fn staging_key(digest: &str, how: &str) -> String {
    if how.is_empty() {
        format!("f-{digest}")
    } else {
        format!("f-{}", sha256_hex(format!("{digest}\0{how}").as_bytes()))
    }
}

/// The key of a production snapshot: its snapshot hash (the hash of its canonical encoding).
pub fn snapshot_key(snapshot: &str) -> String {
    format!("s-{snapshot}")
}

impl ParseCache {
    pub fn new(state_dir: &Path) -> ParseCache {
        ParseCache {
            dir: state_dir.join("cache"),
        }
    }

    /// The first line of every entry: another version of agentctl may parse differently.
    fn magic() -> String {
        format!("agentctl parse cache {}\n", env!("CARGO_PKG_VERSION"))
    }

    fn path(&self, key: &str) -> Option<PathBuf> {
        // Keys are made by this module: a prefix and hex digits, never a path.
        let valid = key.len() > 2
            && key
                .bytes()
                .all(|b| b.is_ascii_hexdigit() || matches!(b, b'f' | b's' | b'-'));
        valid.then(|| self.dir.join(key))
    }

    /// A staging file's parse, or `None` (a miss) when it is not kept or cannot be read.
    pub fn get(&self, key: &str) -> Option<Parsed> {
        let bytes = fs::read(self.path(key)?).ok()?;
        let (format, snapshot, body) = split_header(&bytes)?;
        Some(Parsed {
            format: format::by_name(format?)?,
            config: decode(body)?,
            snapshot,
        })
    }

    /// A production snapshot the store decoded before, by its snapshot hash.
    pub fn snapshot(&self, snapshot: &str) -> Option<Config> {
        let bytes = fs::read(self.path(&snapshot_key(snapshot))?).ok()?;
        let (_, kept, body) = split_header(&bytes)?;
        (kept == snapshot).then(|| decode(body))?
    }

    /// Keep a staging file's parse under `key`. Failures are ignored: a read-only workspace
    /// or a full disk only costs the next command a parse.
    pub fn put(&self, key: &str, parsed: &Parsed) {
        let header = format!("{} {}\n", parsed.format.name, parsed.snapshot);
        self.put_entry(key, &header, &parsed.config);
    }

    /// Keep a production snapshot the store decoded, by its snapshot hash. (Not a staging
    /// file's parse of the same hash: the store keeps the key order of the file published,
    /// which `show` and `export` print.)
    pub fn put_snapshot(&self, snapshot: &str, config: &Config) {
        self.put_entry(&snapshot_key(snapshot), &format!("- {snapshot}\n"), config);
    }

    fn put_entry(&self, key: &str, header: &str, config: &Config) {
        if self.path(key).is_none_or(|path| path.exists()) {
            return;
        }
        // Plain JSON: the cache is for speed, and decompressing costs a tenth of decoding.
        let mut bytes = header.as_bytes().to_vec();
        if serde_json::to_writer(&mut bytes, config).is_ok() {
            let _ = self.write(key, &bytes);
        }
    }

    /// Write an entry whole: a temporary file renamed into place.
    fn write(&self, key: &str, content: &[u8]) -> Option<()> {
        let path = self.path(key)?;
        fs::create_dir_all(&self.dir).ok()?;
        let mut file = tempfile::NamedTempFile::new_in(&self.dir).ok()?;
        file.write_all(Self::magic().as_bytes()).ok()?;
        file.write_all(content).ok()?;
        file.persist(&path).ok()?;
        self.prune();
        Some(())
    }

    /// Keep the cache within [`MAX_ENTRIES`]: remove the oldest quarter once it is over.
    fn prune(&self) {
        // Counting names is cheap; only a cache over its bound pays for their times.
        let over = fs::read_dir(&self.dir).map(|read| read.count() > MAX_ENTRIES);
        if !over.unwrap_or(false) {
            return;
        }
        let Ok(read) = fs::read_dir(&self.dir) else {
            return;
        };
        let mut entries: Vec<(std::time::SystemTime, PathBuf)> = read
            .filter_map(|entry| {
                let entry = entry.ok()?;
                let modified = entry.metadata().ok()?.modified().ok()?;
                Some((modified, entry.path()))
            })
            .collect();
        entries.sort();
        for (_, path) in entries
            .iter()
            // Another process may have pruned since the count: never below zero.
            .take(entries.len().saturating_sub(MAX_ENTRIES * 3 / 4))
        {
            let _ = fs::remove_file(path);
        }
    }
}

fn decode(body: &[u8]) -> Option<Config> {
    serde_json::from_slice(body).ok()
}

/// An entry's header line (after the magic line): the format (`-` for a snapshot) and the
/// snapshot hash; then what follows it (the configuration as JSON).
fn split_header(bytes: &[u8]) -> Option<(Option<&str>, String, &[u8])> {
    let rest = bytes.strip_prefix(ParseCache::magic().as_bytes())?;
    let end = rest.iter().position(|&b| b == b'\n')?;
    let line = std::str::from_utf8(&rest[..end]).ok()?;
    let (format, snapshot) = line.split_once(' ')?;
    let valid_hash = snapshot.len() == 64 && snapshot.bytes().all(|b| b.is_ascii_hexdigit());
    valid_hash.then(|| {
        (
            (format != "-").then_some(format),
            snapshot.to_owned(),
            &rest[end + 1..],
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::agent::{NATIVE, snapshot_hash};

    fn parsed(yaml: &str) -> Parsed {
        let config = crate::agent::parse(yaml.as_bytes()).unwrap();
        Parsed {
            snapshot: snapshot_hash(&config),
            config,
            format: &NATIVE,
        }
    }

    #[test]
    fn an_entry_comes_back_as_it_was_kept() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ParseCache::new(dir.path());
        let kept = parsed("name: a\nmodel: {temperature: 0.7, b: 1e300}\ntools: [{name: x}]\n");
        let key = staging_key(&sha256_hex(b"bytes"), "");
        assert_eq!(cache.get(&key), None);
        cache.put(&key, &kept);
        assert_eq!(cache.get(&key), Some(kept.clone()));
        assert_eq!(
            cache.snapshot(&kept.snapshot),
            None,
            "a parse is not production"
        );
        cache.put_snapshot(&kept.snapshot, &kept.config);
        assert_eq!(cache.snapshot(&kept.snapshot), Some(kept.config));
    }

    #[test]
    fn a_damaged_or_foreign_entry_is_a_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ParseCache::new(dir.path());
        let kept = parsed("name: a\n");
        let key = staging_key(&sha256_hex(b"a"), "");
        cache.put(&key, &kept);
        cache.put_snapshot(&kept.snapshot, &kept.config);
        let path = dir.path().join("cache").join(&key);
        let whole = fs::read(&path).unwrap();
        fs::write(&path, &whole[..whole.len() - 3]).unwrap();
        assert_eq!(cache.get(&key), None, "a truncated entry");
        let whole = fs::read(dir.path().join("cache").join(snapshot_key(&kept.snapshot))).unwrap();
        let other = snapshot_key(&"a".repeat(64));
        fs::write(dir.path().join("cache").join(&other), &whole).unwrap();
        assert_eq!(
            cache.snapshot(&"a".repeat(64)),
            None,
            "a snapshot under another name"
        );
        let foreign = String::from_utf8_lossy(&whole).replace(env!("CARGO_PKG_VERSION"), "0.0.0");
        fs::write(&path, foreign).unwrap();
        assert_eq!(cache.get(&key), None, "another version's entry");
        assert_eq!(cache.get("../../etc/passwd"), None, "not a key");
    }

    #[test]
    fn the_same_bytes_read_another_way_are_another_key() {
        let digest = sha256_hex(b"x");
        assert_ne!(staging_key(&digest, ""), staging_key(&digest, "crewai\0a"));
        assert_ne!(
            staging_key(&digest, "crewai\0a"),
            staging_key(&digest, "crewai\0b")
        );
    }

    #[test]
    fn the_oldest_entries_go_beyond_the_bound() {
        let dir = tempfile::tempdir().unwrap();
        let cache = ParseCache::new(dir.path());
        let entry = parsed("name: a\n");
        for i in 0..=MAX_ENTRIES {
            cache.put(&staging_key(&format!("{i:064x}"), ""), &entry);
        }
        let left = fs::read_dir(dir.path().join("cache")).unwrap().count();
        assert!(
            (1..=MAX_ENTRIES * 3 / 4 + 1).contains(&left),
            "{left} entries left"
        );
    }
}

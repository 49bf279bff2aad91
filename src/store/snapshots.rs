//! How snapshots are kept: zstd-compressed, most of them as a delta against an earlier snapshot
//! of the same agent (zstd with that snapshot's text as a prefix), so a publish that changes one
//! line of a 300 KB agent adds tens of bytes, not 300 KB.
//!
//! A snapshot's text is the JSON of its configuration in file order; its row points at a zstd
//! frame of that text (in `snapshot_frames`, appended in publish order, so pages stay full
//! although snapshot hashes arrive in random order) and, for a delta, names the `base` whose
//! text the frame was compressed against. Which earlier version is the base follows the version number, like skip-deltas: a
//! full copy at v1 and every 4096th version, a delta against 256 versions back at every 256th,
//! against 16 back at every 16th, and against the parent otherwise. So reading any snapshot
//! decodes at most 46 frames, however long the history, while most deltas span one publish.
//! Rows written before schema version 4 hold their plain JSON text in `content` and no frame;
//! migration 4 re-encodes them (leaving `content` empty), and they stay readable as they are.
//!
//! PostgreSQL stores keep snapshots the same way since their schema version 2, through the same
//! code ([`text`] and [`encode`] read stored forms through [`Frames`]); their plain rows from
//! before are not re-encoded.
//!
//! The snapshot's hash is unchanged by all this: SHA-256 of the canonical JSON of the
//! configuration, checked by whoever reads it (`verify`).

use std::cell::RefCell;
use std::sync::Arc;

use zstd::zstd_safe::{CCtx, CParameter, DCtx};

use crate::error::{Error, Result};

/// Full copies are rare and read often: worth a slower, tighter compression.
const FULL_LEVEL: i32 = 9;
/// Deltas are written at every publish; at level 3 a small edit costs tens of bytes already.
const DELTA_LEVEL: i32 = 3;
/// No chain the version rule makes is this long; a longer one is a damaged (cyclic) store.
pub(super) const MAX_CHAIN: usize = 64;
/// Decoded texts beyond this are refused: a damaged frame header must not allocate gigabytes.
/// (Agent files are at most 16 MiB; their JSON is of the same order.)
const MAX_TEXT: u64 = 256 << 20;

/// The version whose snapshot a new snapshot of `version` is stored against; `None`: a full copy.
pub(super) fn base_version(version: u64) -> Option<u64> {
    if version <= 1 || version.is_multiple_of(4096) {
        return None;
    }
    let back = if version.is_multiple_of(256) {
        256
    } else if version.is_multiple_of(16) {
        16
    } else {
        1
    };
    Some(version.saturating_sub(back).max(1))
}

/// The texts of the last snapshots decoded or written: `show`, `revert` and `publish` read a
/// snapshot and then its parent (or the parent and then write its child), and the parent is
/// usually the base of the child.
#[derive(Default)]
pub(super) struct Recent(RefCell<Vec<(String, Arc<str>)>>);

impl Recent {
    const KEPT: usize = 2;

    fn get(&self, hash: &str) -> Option<Arc<str>> {
        let recent = self.0.borrow();
        recent
            .iter()
            .find(|(h, _)| h == hash)
            .map(|(_, text)| text.clone())
    }

    pub(super) fn put(&self, hash: &str, text: Arc<str>) {
        let mut recent = self.0.borrow_mut();
        recent.retain(|(h, _)| h != hash);
        recent.insert(0, (hash.to_owned(), text));
        recent.truncate(Self::KEPT);
    }
}

/// What a row holds: a zstd frame (against `base`, or alone), or a legacy plain text.
#[derive(Clone)]
pub(super) enum Stored {
    Frame(Vec<u8>, Option<String>),
    Plain(String),
}

/// Where the stored forms of snapshots are read from: SQLite, or PostgreSQL (which fetches a
/// whole chain in one round trip). `None`: no snapshot `hash` is stored.
pub(super) trait Frames {
    fn stored(&self, hash: &str) -> Result<Option<Stored>>;
}

/// The text of the snapshot `hash`: its frames decoded from the nearest full copy (or a
/// recently decoded text) forward.
pub(super) fn text(store: &impl Frames, recent: &Recent, hash: &str) -> Result<Arc<str>> {
    if let Some(text) = recent.get(hash) {
        return Ok(text);
    }
    // Walk back to a text we have, keeping the frames to decode on the way forward.
    let mut frames: Vec<(String, Vec<u8>)> = Vec::new();
    let mut at = hash.to_owned();
    let mut start: Option<Arc<str>> = None;
    while start.is_none() {
        if frames.len() > MAX_CHAIN {
            return Err(damaged(hash, "its chain of deltas does not end"));
        }
        let stored = store.stored(&at)?.ok_or_else(|| match frames.last() {
            None => Error::new(format!("snapshot {hash} is missing from the store")),
            Some((child, _)) => damaged(child, &format!("its base {at} is missing from the store")),
        })?;
        match stored {
            Stored::Plain(text) => start = Some(text.into()),
            Stored::Frame(frame, None) => {
                let text = decompress(&frame, b"").map_err(|e| damaged(&at, &e))?;
                start = Some(text.into());
            }
            Stored::Frame(frame, Some(base)) => {
                frames.push((std::mem::replace(&mut at, base), frame));
                start = recent.get(&at);
            }
        }
    }
    let start = start.unwrap_or_else(|| Arc::from(""));
    let Some(((_, last), between)) = frames.split_first() else {
        recent.put(hash, start.clone());
        return Ok(start);
    };
    // Two buffers in turn, each the prefix of the next frame: a long chain allocates twice.
    let mut base = start.as_bytes().to_vec();
    let mut text = Vec::new();
    let mut base_hash = at;
    for (child, frame) in between.iter().rev() {
        decompress_into(frame, &base, &mut text).map_err(|e| damaged(child, &e))?;
        std::mem::swap(&mut base, &mut text);
        base_hash = child.clone();
    }
    decompress_into(last, &base, &mut text).map_err(|e| damaged(hash, &e))?;
    let text = into_text(text).map_err(|e| damaged(hash, &e))?;
    if let Ok(base) = into_text(base) {
        recent.put(&base_hash, base);
    }
    recent.put(hash, text.clone());
    Ok(text)
}

fn into_text(bytes: Vec<u8>) -> std::result::Result<Arc<str>, String> {
    String::from_utf8(bytes)
        .map(Arc::from)
        .map_err(|_| "its text is not UTF-8".to_owned())
}

/// The frame of `text`, compressed against the snapshot `base` (decoded through its chain).
pub(super) fn encode(
    frames: &impl Frames,
    recent: &Recent,
    text: &str,
    base: Option<&str>,
) -> Result<Vec<u8>> {
    let frame = match base {
        Some(base) => compress(
            text.as_bytes(),
            self::text(frames, recent, base)?.as_bytes(),
            DELTA_LEVEL,
        ),
        None => compress(text.as_bytes(), b"", FULL_LEVEL),
    };
    frame.map_err(|e| Error::new(format!("cannot compress a snapshot: {e}")))
}

pub(super) fn compress(
    text: &[u8],
    prefix: &[u8],
    level: i32,
) -> std::result::Result<Vec<u8>, String> {
    let mut cctx = CCtx::try_create().ok_or("zstd could not allocate a context")?;
    let code = |c: usize| zstd::zstd_safe::get_error_name(c).to_owned();
    cctx.set_parameter(CParameter::CompressionLevel(level))
        .map_err(code)?;
    if !prefix.is_empty() {
        // The window must reach back over the whole prefix for its matches to be found.
        let span = (prefix.len() + text.len()).max(1 << 10);
        let window = usize::BITS - (span - 1).leading_zeros();
        cctx.set_parameter(CParameter::WindowLog(window.min(27)))
            .map_err(code)?;
        cctx.ref_prefix(prefix).map_err(code)?;
    }
    let mut frame = Vec::with_capacity(zstd::zstd_safe::compress_bound(text.len()));
    cctx.compress2(&mut frame, text).map_err(code)?;
    Ok(frame)
}

pub(super) fn decompress(frame: &[u8], prefix: &[u8]) -> std::result::Result<String, String> {
    let mut text = Vec::new();
    decompress_into(frame, prefix, &mut text)?;
    String::from_utf8(text).map_err(|_| "its text is not UTF-8".to_owned())
}

/// Decode `frame` (compressed against `prefix`) into `text`, replacing what it held.
fn decompress_into(
    frame: &[u8],
    prefix: &[u8],
    text: &mut Vec<u8>,
) -> std::result::Result<(), String> {
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= MAX_TEXT => size as usize,
        Ok(Some(size)) => return Err(format!("a frame claims {size} bytes")),
        Ok(None) | Err(_) => return Err("not a zstd frame with a size".to_owned()),
    };
    let mut dctx = DCtx::try_create().ok_or("zstd could not allocate a context")?;
    let code = |c: usize| zstd::zstd_safe::get_error_name(c).to_owned();
    if !prefix.is_empty() {
        dctx.ref_prefix(prefix).map_err(code)?;
    }
    text.clear();
    text.reserve(size);
    dctx.decompress(text, frame).map_err(code)?;
    if text.len() != size {
        return Err(format!("{} bytes where the frame says {size}", text.len()));
    }
    Ok(())
}

pub(super) fn damaged(hash: &str, why: &str) -> Error {
    Error::new(format!("snapshot {hash} in the store is damaged: {why}"))
        .hint("`agentctl verify` checks the whole store; restore it from a backup")
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::params;

    /// How many frames reading the snapshot of `version` decodes.
    fn chain(version: u64) -> usize {
        match base_version(version) {
            None => 1,
            Some(base) => 1 + chain(base),
        }
    }

    #[test]
    fn bases_are_earlier_and_chains_short() {
        assert_eq!(base_version(1), None);
        assert_eq!(base_version(2), Some(1));
        assert_eq!(base_version(16), Some(1));
        assert_eq!(base_version(32), Some(16));
        assert_eq!(base_version(512), Some(256));
        assert_eq!(base_version(4096), None);
        assert_eq!(base_version(4097), Some(4096));
        for version in 2..20_000 {
            assert!(base_version(version).is_none_or(|base| base < version));
        }
        let longest = (1..20_000).map(chain).max().unwrap();
        assert_eq!(longest, 46);
    }

    #[test]
    fn frames_round_trip_with_and_without_a_prefix() {
        let base = "{\"name\":\"a\",\"instructions\":\"one\\ntwo\\n\"}".repeat(100);
        let text = base.replace("two", "three");
        let full = compress(text.as_bytes(), b"", FULL_LEVEL).unwrap();
        assert_eq!(decompress(&full, b"").unwrap(), text);
        let delta = compress(text.as_bytes(), base.as_bytes(), DELTA_LEVEL).unwrap();
        assert!(
            delta.len() < full.len(),
            "{} vs {}",
            delta.len(),
            full.len()
        );
        assert_eq!(decompress(&delta, base.as_bytes()).unwrap(), text);
        // The wrong prefix, or none, never gives the text back silently.
        assert!(
            decompress(&delta, b"").is_err_and(|e| !e.is_empty())
                || decompress(&delta, b"").unwrap() != text
        );
        assert!(decompress(b"not zstd", b"").is_err());
        assert!(decompress(&full[..full.len() / 2], b"").is_err());
    }

    use crate::agent::canonical_json;
    use crate::agent::sha256_hex;
    use crate::store::testing::history;
    use crate::store::{DEFAULT_LOCK_TIMEOUT, Store};
    use serde_json::{Value, json};

    /// Version `i` of an agent: one line of its instructions and one tool change each time.
    fn version(i: usize) -> Value {
        let lines: String = (0..60)
            .map(|l| match l == i % 60 {
                true => format!("Line {l}, rewritten in publish {i}.\n"),
                false => format!("Line {l}: answer politely and check the order first.\n"),
            })
            .collect();
        let tools: Vec<Value> = (0..20)
            .map(|t| json!({"name": format!("t{t}"), "description": format!("Tool {t} ({})", i / 20 * 20 + usize::from(t == i % 20))}))
            .collect();
        json!({"name": "a", "instructions": lines, "tools": tools})
    }

    fn reopen(dir: &tempfile::TempDir) -> Store {
        Store::open(&dir.path().join("s.db"), DEFAULT_LOCK_TIMEOUT).unwrap()
    }

    #[test]
    fn a_long_history_reads_back_exactly_and_mostly_as_small_deltas() {
        let configs: Vec<Value> = (0..300).map(version).collect();
        let (dir, store) = history(&configs);
        drop(store);
        let store = reopen(&dir);
        let entries = store.log(Some("a"), None).unwrap();
        assert_eq!(entries.len(), 300);
        // Newest first, then oldest first: with and without the recent texts to start from.
        for entry in entries.iter().chain(entries.iter().rev()) {
            let config = store.snapshot(entry).unwrap();
            assert_eq!(
                Value::Object(config.clone()),
                configs[entry.version as usize - 1]
            );
            let hash = sha256_hex(canonical_json(&Value::Object(config)).as_bytes());
            assert_eq!(hash, entry.snapshot);
        }
        let (full, deltas, frame_bytes): (i64, i64, i64) = store
            .conn
            .query_row(
                "SELECT count(*) FILTER (WHERE base IS NULL), count(base), sum(length(f.frame))
                 FROM snapshots s JOIN snapshot_frames f ON f.id = s.frame",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((full, deltas), (1, 299));
        let text_bytes: usize = configs.iter().map(|c| c.to_string().len()).sum();
        assert!(
            (frame_bytes as usize) < text_bytes / 30,
            "{frame_bytes} bytes of frames for {text_bytes} of text"
        );
    }

    #[test]
    fn a_damaged_delta_is_an_error_naming_the_snapshot() {
        let configs: Vec<Value> = (0..20).map(version).collect();
        let (dir, store) = history(&configs);
        let entries = store.log(Some("a"), None).unwrap();
        let at = |v: usize| &entries[20 - v];
        let damage = |sql: &str, hash: &str, value: &dyn rusqlite::ToSql| {
            store.conn.execute(sql, params![value, hash]).unwrap();
        };
        // v10's frame replaced by bytes that are no zstd frame, v14's cut in half.
        damage(
            "UPDATE snapshot_frames SET frame = ?1
             WHERE id = (SELECT frame FROM snapshots WHERE hash = ?2)",
            &at(10).snapshot,
            &b"\x28\xb5\x2f\xfd garbage".to_vec(),
        );
        let frame: Vec<u8> = store
            .conn
            .query_row(
                "SELECT f.frame FROM snapshots s JOIN snapshot_frames f ON f.id = s.frame
                 WHERE s.hash = ?1",
                [&at(14).snapshot],
                |r| r.get(0),
            )
            .unwrap();
        damage(
            "UPDATE snapshot_frames SET frame = ?1
             WHERE id = (SELECT frame FROM snapshots WHERE hash = ?2)",
            &at(14).snapshot,
            &frame[..frame.len() / 2].to_vec(),
        );
        // v1, the full copy, made to point back at v2: a chain that never ends.
        damage(
            "UPDATE snapshots SET base = ?1 WHERE hash = ?2",
            &at(1).snapshot,
            &at(2).snapshot,
        );
        let store = reopen(&dir);
        for (version, why) in [
            (10, "damaged"),
            (12, "damaged"),
            (14, "damaged"),
            (5, "does not end"),
        ] {
            let err = store.snapshot(at(version)).unwrap_err();
            assert!(
                err.message.contains("in the store is damaged"),
                "v{version}: {err:?}"
            );
            assert!(err.message.contains(why), "v{version}: {err:?}");
        }
        let err = store.snapshot(at(10)).unwrap_err();
        assert!(err.message.contains(&at(10).snapshot), "{err:?}");
        assert!(!err.hints.is_empty());
    }
}

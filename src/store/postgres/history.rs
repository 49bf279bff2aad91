//! Publishing on the server: one READ COMMITTED transaction that locks the agent's head row.

#[allow(unused_imports)]
use super::*;

/// An open publish transaction on the server.
pub struct PostgresPublishing<'s> {
    pub(super) tx: RefCell<Transaction<'s>>,
    pub(super) shown: &'s Shown,
    pub(super) recent: &'s Recent,
    pub(super) dry_run: bool,
}

impl PostgresPublishing<'_> {
    /// Lock the agent's row (made on its first publish) and read its production: a publisher
    /// of the same agent waits here until this transaction ends, then sees what it recorded.
    pub fn head(&self, agent: &str) -> Result<Option<Entry>> {
        let shown = self.shown;
        let mut tx = self.tx.borrow_mut();
        if !self.dry_run {
            // The agent's row, locked: a publisher holding it is waited for. The agent's first
            // publish makes the row (a concurrent first publisher's insert is waited for by
            // ours, which then does nothing) and locks it then.
            let lock = |tx: &mut Transaction<'_>| {
                tx.rows(
                    "SELECT agent FROM heads WHERE agent = $1 FOR UPDATE",
                    &[(&agent, Type::TEXT)],
                )
                .map(|rows| !rows.is_empty())
                .map_err(|e| failed(shown, e))
            };
            if !lock(&mut tx)? {
                tx.rows(
                    "INSERT INTO heads (agent) VALUES ($1) ON CONFLICT DO NOTHING",
                    &[(&agent, Type::TEXT)],
                )
                .map_err(|e| failed(shown, e))?;
                lock(&mut tx)?;
            }
        }
        head(&mut *tx, agent).map_err(|e| failed(shown, e))?
    }

    pub fn snapshot(&self, entry: &Entry) -> Result<Config> {
        snapshot(
            &Chains::new(&self.tx, self.shown),
            self.recent,
            &entry.snapshot,
        )
    }

    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        pending_revert(&mut *self.tx.borrow_mut(), agent).map_err(|e| failed(self.shown, e))?
    }

    pub fn append(&self, parent: Option<&Entry>, new: &NewEntry<'_>) -> Result<Entry> {
        let entry = new.entry_after(parent);
        if self.dry_run {
            return Ok(entry);
        }
        let lines = self.lines(&entry, new.changes)?;
        let content = Value::Object(new.config.clone()).to_string();
        // A delta against the snapshot of an earlier version, as in SQLite (see `snapshots`):
        // usually the parent's, whose text the publish has just read.
        let chains = Chains::new(&self.tx, self.shown);
        let base = match snapshots::base_version(entry.version) {
            None => None,
            Some(version) => match parent {
                Some(parent) if parent.version == version => Some(parent.snapshot.clone()),
                _ => chains.fetch_at(&entry.agent, version)?,
            },
        };
        let frame = snapshots::encode(&chains, self.recent, &content, base.as_deref())?;
        let summary = crate::store::summary::encode(&entry.summary)
            .map_err(|e| Error::new(format!("cannot encode the summary: {e}")))?;
        let version = entry.version as i64;
        // The recorded changes go as parallel arrays, one element per path.
        let mut paths = Vec::new();
        let mut kinds = Vec::new();
        let mut olds = Vec::new();
        let mut news = Vec::new();
        let mut kept = Vec::new();
        let identity = entry.recorded_rules()?.identity_keys();
        for (path, row) in rows(new.changes, &identity) {
            kept.push(
                lines
                    .iter()
                    .find(|(p, _)| *p == path)
                    .map(|(_, l)| l.clone()),
            );
            paths.push(path);
            kinds.push(row.kind);
            olds.push(row.old);
            news.push(row.new);
        }
        // One statement, one round trip: foreign keys are checked at its end, when the
        // snapshot and history rows it inserts are there.
        self.tx
            .borrow_mut()
            .rows(
                "WITH snapshot AS (
                     INSERT INTO snapshots (hash, content, frame, base)
                     VALUES ($8, '', nextval('snapshot_frames_id_seq'), $18)
                     ON CONFLICT DO NOTHING RETURNING frame
                 ), frame AS (
                     INSERT INTO snapshot_frames (id, frame) SELECT frame, $12 FROM snapshot
                 ), entry AS (
                     INSERT INTO history (agent, version, change_track_id, parent, author,
                         published_at, message, snapshot, summary, reverts, git_commit, rules)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $19)
                 ), pending AS (
                     DELETE FROM pending_reverts WHERE agent = $1
                 )
                 INSERT INTO changes (agent, version, path, kind, old, new, lines)
                 SELECT $1, $2, path, kind, old, new, lines
                 FROM unnest($13::TEXT[], $14::TEXT[], $15::TEXT[], $16::TEXT[], $17::TEXT[])
                     AS c (path, kind, old, new, lines)",
                &[
                    (&entry.agent, Type::TEXT),
                    (&version, Type::INT8),
                    (&entry.change_track_id, Type::TEXT),
                    (&entry.parent, Type::TEXT),
                    (&entry.author, Type::TEXT),
                    (&entry.published_at, Type::TEXT),
                    (&entry.message, Type::TEXT),
                    (&entry.snapshot, Type::TEXT),
                    (&summary, Type::TEXT),
                    (&entry.reverts, Type::TEXT),
                    (&entry.git_commit, Type::TEXT),
                    (&frame, Type::BYTEA),
                    (&paths, Type::TEXT_ARRAY),
                    (&kinds, Type::TEXT_ARRAY),
                    (&olds, Type::TEXT_ARRAY),
                    (&news, Type::TEXT_ARRAY),
                    (&kept, Type::TEXT_ARRAY),
                    (&base, Type::TEXT),
                    (&entry.rules, Type::TEXT),
                ],
            )
            .map_err(|e| failed(self.shown, e))?;
        self.recent.put(&entry.snapshot, content.into());
        Ok(entry)
    }

    /// The per-line versions of every multi-line string the publish sets, as JSON, by path.
    fn lines(&self, entry: &Entry, changes: &[Change]) -> Result<Vec<(String, String)>> {
        let session = Session(&self.tx, self.shown);
        let mut lines = Vec::new();
        for change in changes {
            if let Some(versions) = line_versions(&session, &entry.agent, entry.version, change)? {
                lines.push((change.path.to_string(), Value::from(versions).to_string()));
            }
        }
        Ok(lines)
    }

    pub fn commit(self) -> Result<()> {
        if self.dry_run {
            return Ok(());
        }
        self.tx
            .into_inner()
            .commit()
            .map_err(|e| failed(self.shown, e))
    }
}

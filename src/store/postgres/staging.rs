//! The staging tables on the server: backups `undo` puts back and each agent's pending revert.

#[allow(unused_imports)]
use super::*;

pub(super) fn pending_revert(db: &mut impl Query, agent: &str) -> Pg<Result<Option<Entry>>> {
    let rows = db.rows(
        "SELECT reverts FROM pending_reverts WHERE agent = $1",
        &[(&agent, Type::TEXT)],
    )?;
    match rows.first() {
        Some(row) => by_id(db, row.get(0)),
        None => Ok(Ok(None)),
    }
}

/// An open write transaction over the staging tables on the server.
pub struct PostgresStagingWrite<'s> {
    pub(super) tx: RefCell<Transaction<'s>>,
    pub(super) shown: &'s Shown,
}

impl PostgresStagingWrite<'_> {
    fn rows(&self, sql: &str, params: Params<'_>) -> Result<Vec<Row>> {
        self.tx
            .borrow_mut()
            .rows(sql, params)
            .map_err(|e| failed(self.shown, e))
    }

    pub fn pending_revert(&self, agent: &str) -> Result<Option<Entry>> {
        pending_revert(&mut *self.tx.borrow_mut(), agent).map_err(|e| failed(self.shown, e))?
    }

    pub fn set_pending_revert(&self, agent: &str, reverts: Option<&str>) -> Result<()> {
        match reverts {
            Some(id) => self.rows(
                "INSERT INTO pending_reverts (agent, reverts) VALUES ($1, $2)
                 ON CONFLICT (agent) DO UPDATE SET reverts = excluded.reverts",
                &[(&agent, Type::TEXT), (&id, Type::TEXT)],
            )?,
            None => self.rows(
                "DELETE FROM pending_reverts WHERE agent = $1",
                &[(&agent, Type::TEXT)],
            )?,
        };
        Ok(())
    }

    pub fn keep(&self, backup: &Backup) -> Result<Backup> {
        let rows = self.rows(
            "INSERT INTO staging_backups
                 (agent, operation, file, previous, written, pending_before, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                (&backup.agent, Type::TEXT),
                (&backup.operation, Type::TEXT),
                (&backup.file, Type::TEXT),
                (&backup.previous, Type::BYTEA),
                (&backup.written, Type::TEXT),
                (&backup.pending_before, Type::TEXT),
                (&backup.created_at, Type::TEXT),
            ],
        )?;
        let id: i64 = rows[0].get(0);
        self.rows(
            "DELETE FROM staging_backups WHERE agent = $1 AND id NOT IN
                 (SELECT id FROM staging_backups WHERE agent = $1 ORDER BY id DESC LIMIT $2)",
            &[(&backup.agent, Type::TEXT), (&BACKUPS_KEPT, Type::INT8)],
        )?;
        Ok(Backup {
            id,
            ..backup.clone()
        })
    }

    pub fn last_backup(&self, agent: Option<&str>) -> Result<Option<Backup>> {
        let rows = self.rows(
            "SELECT id, agent, operation, file, previous, written, pending_before, created_at
             FROM staging_backups WHERE $1::TEXT IS NULL OR agent = $1 ORDER BY id DESC LIMIT 1",
            &[(&agent, Type::TEXT)],
        )?;
        Ok(rows.first().map(|row| Backup {
            id: row.get(0),
            agent: row.get(1),
            operation: row.get(2),
            file: row.get(3),
            previous: row.get(4),
            written: row.get(5),
            pending_before: row.get(6),
            created_at: row.get(7),
        }))
    }

    pub fn forget(&self, backup: &Backup) -> Result<()> {
        self.rows(
            "DELETE FROM staging_backups WHERE id = $1",
            &[(&backup.id, Type::INT8)],
        )?;
        Ok(())
    }

    pub fn commit(self) -> Result<()> {
        self.tx
            .into_inner()
            .commit()
            .map_err(|e| failed(self.shown, e))
    }
}

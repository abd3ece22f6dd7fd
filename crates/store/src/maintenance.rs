//! What an operator runs against the database itself: a consistent backup of an SQLite
//! database while the app serves, and `verify`, which checks the whole database the way
//! `git fsck` checks a repository. (PostgreSQL is backed up with its own tools; see README.)

use std::path::Path;

use super::{dispatch, Store, StoreError};

impl Store {
    /// Writes a consistent copy of the SQLite database to `path`, which must not exist yet.
    /// `VACUUM INTO` reads the database in one read transaction: the copy holds exactly what
    /// was committed when it began, and writers carry on meanwhile (WAL). The copy is a plain
    /// database file (no WAL beside it), ready to restore. On PostgreSQL: refused, pointing to
    /// `pg_dump`.
    pub async fn backup_into(&self, path: &Path) -> Result<(), StoreError> {
        let Store::Sqlite(pool) = self else {
            return Err(StoreError::Invalid(
                "PostgreSQL is backed up with pg_dump (see README, \"Backups\")".into(),
            ));
        };
        if path.exists() {
            return Err(StoreError::Invalid(format!(
                "{} already exists: a backup never overwrites a file",
                path.display()
            )));
        }
        let target = path
            .to_str()
            .ok_or_else(|| StoreError::Invalid("the backup path is not valid UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(target)
            .execute(pool)
            .await?;
        Ok(())
    }

    /// Every organisation's id.
    pub async fn organisation_ids(&self) -> Result<Vec<i64>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_scalar("SELECT id FROM organisations ORDER BY id")
                .fetch_all(pool)
                .await?
        }))
    }

    /// How many recoveries the database holds, all organisations together.
    pub async fn recovery_count(&self) -> Result<i64, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_scalar("SELECT CAST(COUNT(*) AS BIGINT) FROM recoveries")
                .fetch_one(pool)
                .await?
        }))
    }

    /// SQLite: moves everything in the write-ahead log into the database file and empties
    /// the log, so that the file alone holds the database (before it is moved). No-op on
    /// PostgreSQL.
    pub async fn checkpoint(&self) -> Result<(), StoreError> {
        if let Store::Sqlite(pool) = self {
            sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(pool)
                .await?;
        }
        Ok(())
    }

    /// Everything that disagrees in the whole database, one line each; empty when all holds:
    /// the database's own integrity (SQLite: `PRAGMA integrity_check` and
    /// `foreign_key_check`), every invariant of [`Store::ledger_violations`] for every
    /// organisation, and that no request was decided twice.
    pub async fn verify(&self) -> Result<Vec<String>, StoreError> {
        let mut out = Vec::new();
        if let Store::Sqlite(pool) = self {
            let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_all(pool)
                .await?;
            out.extend(
                integrity
                    .into_iter()
                    .filter(|line| line != "ok")
                    .map(|line| format!("database integrity: {line}")),
            );
            let dangling: Vec<(String, i64, String)> = sqlx::query_as(
                "SELECT \"table\", COALESCE(rowid, -1), parent FROM pragma_foreign_key_check",
            )
            .fetch_all(pool)
            .await?;
            out.extend(dangling.into_iter().map(|(table, row, parent)| {
                format!("a row of {table} ({row}) names a missing row of {parent}")
            }));
        }
        let twice: Vec<(i64, i64)> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT recovery_id, COUNT(*) FROM approval_decisions
                 GROUP BY recovery_id HAVING COUNT(*) > 1",
            )
            .fetch_all(pool)
            .await?
        });
        out.extend(
            twice
                .into_iter()
                .map(|(id, n)| format!("recovery {id} was decided {n} times")),
        );
        let organisations = self.organisation_ids().await?;
        // In slices: each check reads its organisations' rows through their indexes.
        for chunk in organisations.chunks(200) {
            out.extend(self.ledger_violations(chunk).await?);
        }
        Ok(out)
    }
}

//! `server backup`, `server restore` and `server verify` for the embedded database.
//!
//! * **backup** writes a consistent copy of the SQLite database while the app serves
//!   (`Store::backup_into`, SQLite's `VACUUM INTO`).
//! * **restore** puts a backup in place of the database: it is copied beside the database,
//!   brought to this build's schema, verified, and only then renamed over it; the database it
//!   replaces is kept beside it (`….before-restore-<time>`). Stop the app servers first.
//! * **verify** checks the whole database (`Store::verify`) and fails naming what disagrees.
//!
//! PostgreSQL is backed up and restored with `pg_dump` and `pg_restore`; `verify` works on
//! both (README, "Backups").

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use app::store::{PoolSettings, Store};

/// What a restore did.
#[derive(Debug)]
pub struct Restored {
    pub recoveries: i64,
    pub organisations: usize,
    /// Where the database it replaced was kept, if there was one.
    pub previous: Option<PathBuf>,
}

/// The file an `sqlite:` URL names.
pub fn sqlite_path(database_url: &str) -> anyhow::Result<PathBuf> {
    let Some(rest) = database_url.strip_prefix("sqlite:") else {
        bail!(
            "restore works on SQLite; restore PostgreSQL with pg_restore, then run `server verify`"
        );
    };
    let rest = rest.trim_start_matches("//");
    let path = rest.split('?').next().unwrap_or(rest);
    if path.is_empty() || path == ":memory:" {
        bail!("DATABASE_URL names no file to restore into");
    }
    Ok(PathBuf::from(path))
}

/// `path` with `suffix` added to its file name.
fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// Moves an SQLite database file and its `-wal` and `-shm` companions, if present.
fn move_database(from: &Path, to: &Path) -> anyhow::Result<()> {
    for suffix in ["", "-wal", "-shm"] {
        let (source, target) = (with_suffix(from, suffix), with_suffix(to, suffix));
        if source.exists() {
            std::fs::rename(&source, &target)
                .with_context(|| format!("moving {} to {}", source.display(), target.display()))?;
        }
    }
    Ok(())
}

/// Restores the backup `from` as the database `database_url` names (see the module).
/// Refuses a backup that does not verify, and then changes nothing.
pub async fn restore(from: &Path, database_url: &str, stamp: &str) -> anyhow::Result<Restored> {
    let target = sqlite_path(database_url)?;
    if !from.is_file() {
        bail!("{} is not a file", from.display());
    }
    let staging = with_suffix(&target, ".restoring");
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&staging, suffix));
    }
    std::fs::copy(from, &staging)
        .with_context(|| format!("copying {} to {}", from.display(), staging.display()))?;
    let checked = async {
        let url = format!("sqlite://{}", staging.display());
        let store = Store::connect(&url, &PoolSettings::default()).await?;
        store
            .migrate()
            .await
            .context("bringing the backup to this build's schema")?;
        let problems = store.verify().await?;
        let recoveries = store.recovery_count().await?;
        let organisations = store.organisation_ids().await?.len();
        store.checkpoint().await?;
        store.close().await;
        if !problems.is_empty() {
            bail!(
                "the backup does not verify; nothing was restored:\n  {}",
                problems.join("\n  ")
            );
        }
        Ok::<_, anyhow::Error>((recoveries, organisations))
    }
    .await;
    let (recoveries, organisations) = match checked {
        Ok(counts) => counts,
        Err(error) => {
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(with_suffix(&staging, suffix));
            }
            return Err(error);
        }
    };
    let previous = if target.exists() {
        let kept = with_suffix(&target, &format!(".before-restore-{stamp}"));
        move_database(&target, &kept)?;
        Some(kept)
    } else {
        None
    };
    move_database(&staging, &target)?;
    Ok(Restored {
        recoveries,
        organisations,
        previous,
    })
}

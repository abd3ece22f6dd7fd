//! The database room (server only): one [`Store`] that speaks SQLite or PostgreSQL, chosen by
//! the `DATABASE_URL`, with repositories per aggregate in the submodules.
//!
//! Query bodies are written once with `$1` placeholders and compiled for both drivers by the
//! [`dispatch!`] macro; a dialect branch exists only where the two truly differ (how a write
//! transaction starts). Database failures are classified in one place, [`classify`], by the
//! driver's error kind — never by matching message text.

pub mod accounts;
pub mod check;
pub mod columns;
pub mod console;
pub mod follow_ups;
pub mod learning;
pub mod ledger;
pub mod maintenance;
pub mod organisations;
pub mod privacy;
pub mod queries;
pub mod queue;
pub mod security;
pub mod summary;

use std::{fmt, future::Future, str::FromStr, time::Duration};

use sqlx::{
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
    Database, Transaction,
};

use domain::ledger::LedgerError;

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations/postgres");

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// The application's storage: a connection pool for one database.
///
/// Cloning is cheap (pools are reference counted); one `Store` per process, passed in
/// through application state so tests can run each against its own database.
#[derive(Clone)]
pub enum Store {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

impl fmt::Debug for Store {
    // Never print the URL: it may hold a password.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Store")
            .field("backend", &self.backend().as_str())
            .finish()
    }
}

/// Runs the same body against whichever pool the store holds. The body is compiled once per
/// driver, so it must only use types both drivers encode the same way.
macro_rules! dispatch {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool) => $body,
            $crate::Store::Postgres($pool) => $body,
        }
    };
}
pub(crate) use dispatch;

/// How each driver opens a transaction that will write to a budget.
///
/// SQLite: `BEGIN IMMEDIATE` takes the database's single write lock at the start, so the
/// check-and-write that follows cannot interleave with another writer (others wait up to
/// the busy timeout). PostgreSQL: a plain transaction; writes serialise on the budget-day
/// row lock that the first statement of every budget write takes (see `ledger`).
pub(crate) trait WritePool {
    type Db: Database;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, Self::Db>, sqlx::Error>> + Send;
}

impl WritePool for SqlitePool {
    type Db = sqlx::Sqlite;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, sqlx::Sqlite>, sqlx::Error>> + Send {
        self.begin_with("BEGIN IMMEDIATE")
    }
}

impl WritePool for PgPool {
    type Db = sqlx::Postgres;
    fn begin_write(
        &self,
    ) -> impl Future<Output = Result<Transaction<'static, sqlx::Postgres>, sqlx::Error>> + Send
    {
        self.begin()
    }
}

/// Pool settings; the defaults suit one app server.
#[derive(Clone, Debug)]
pub struct PoolSettings {
    pub max_connections: u32,
    pub acquire_timeout: Duration,
    /// How long a SQLite writer waits for the write lock before giving up.
    pub sqlite_busy_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 10,
            acquire_timeout: Duration::from_secs(5),
            sqlite_busy_timeout: Duration::from_secs(10),
        }
    }
}

/// SQLite's migrations run on one connection with foreign keys off, as SQLite prescribes for
/// a table rebuild (a column's UNIQUE constraint cannot be dropped otherwise: 0012): with them
/// on, dropping the old table would check, and renaming would rewrite, every reference to
/// it. The pragma has no effect inside a transaction, and each migration runs in one, so it
/// is set on the connection first. Afterwards every reference is checked
/// (`foreign_key_check`) and the connection gets foreign keys back — or, if that fails, is
/// closed rather than returned to the pool without them.
async fn migrate_sqlite(
    pool: &sqlx::SqlitePool,
    migrator: &sqlx::migrate::Migrator,
) -> Result<(), StoreError> {
    let mut connection = pool.acquire().await?;
    sqlx::query("PRAGMA foreign_keys = OFF")
        .execute(&mut *connection)
        .await?;
    // run_direct: `run` on a borrowed connection makes a future that is not `Send`.
    let migrated = migrator
        .run_direct(&mut *connection)
        .await
        .map_err(|e| StoreError::Migration(e.to_string()));
    let broken: Result<Vec<(String, i64)>, sqlx::Error> =
        sqlx::query_as(r#"SELECT "table", rowid FROM pragma_foreign_key_check"#)
            .fetch_all(&mut *connection)
            .await;
    let restored = sqlx::query("PRAGMA foreign_keys = ON")
        .execute(&mut *connection)
        .await;
    if restored.is_err() {
        connection.detach();
    }
    migrated?;
    restored?;
    let broken = broken?;
    if let Some((table, row)) = broken.first() {
        return Err(StoreError::Migration(format!(
            "{} rows refer to rows that do not exist, the first in {table} (row {row})",
            broken.len()
        )));
    }
    Ok(())
}

impl Store {
    /// Connects to the database the URL names: `sqlite:…` (the file is created if missing)
    /// or `postgres://…`.
    pub async fn connect(url: &str, settings: &PoolSettings) -> Result<Store, StoreError> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)
                .map_err(|e| {
                    StoreError::Config(format!("DATABASE_URL is not a valid SQLite URL: {e}"))
                })?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(settings.sqlite_busy_timeout);
            let pool = SqlitePoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await
                .map_err(StoreError::from_connect)?;
            Ok(Store::Sqlite(pool))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = PgConnectOptions::from_str(url).map_err(|e| {
                StoreError::Config(format!("DATABASE_URL is not a valid PostgreSQL URL: {e}"))
            })?;
            let pool = PgPoolOptions::new()
                .max_connections(settings.max_connections)
                .acquire_timeout(settings.acquire_timeout)
                .connect_with(options)
                .await
                .map_err(StoreError::from_connect)?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::Config(
                "DATABASE_URL must start with sqlite: or postgres://".to_string(),
            ))
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Store::Sqlite(_) => Backend::Sqlite,
            Store::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations of this store's dialect that have not run yet.
    pub async fn migrate(&self) -> Result<(), StoreError> {
        self.apply(i64::MAX).await
    }

    /// Applies the migrations up to and including `version` only: for tests of a migration
    /// against a database holding rows written under the schema before it.
    #[doc(hidden)]
    pub async fn migrate_until(&self, version: i64) -> Result<(), StoreError> {
        self.apply(version).await
    }

    async fn apply(&self, until: i64) -> Result<(), StoreError> {
        let only = |all: &sqlx::migrate::Migrator| sqlx::migrate::Migrator {
            migrations: std::borrow::Cow::Owned(
                all.iter().filter(|m| m.version <= until).cloned().collect(),
            ),
            ..sqlx::migrate::Migrator::DEFAULT
        };
        let failed = |e: sqlx::migrate::MigrateError| StoreError::Migration(e.to_string());
        match self {
            Store::Sqlite(pool) => migrate_sqlite(pool, &only(&SQLITE_MIGRATIONS)).await?,
            Store::Postgres(pool) => only(&POSTGRES_MIGRATIONS).run(pool).await.map_err(failed)?,
        }
        if until >= 14 {
            self.fill_customer_keys().await?;
        }
        Ok(())
    }

    /// The newest migration applied, for the health check and the status page.
    pub async fn schema_version(&self) -> Result<i64, StoreError> {
        let version: Option<i64> = dispatch!(self, pool => {
            sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations WHERE success = TRUE")
                .fetch_one(pool)
                .await
        })
        .map_err(StoreError::from)?;
        Ok(version.unwrap_or(0))
    }

    /// A round trip to the database.
    pub async fn ping(&self) -> Result<(), StoreError> {
        let one: i64 = dispatch!(self, pool => {
            sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(pool).await
        })
        .map_err(StoreError::from)?;
        debug_assert_eq!(one, 1);
        Ok(())
    }

    /// Proof that the database accepts writes, for the health check: the one row of
    /// `heartbeat` is updated in a write transaction that is then rolled back, so nothing
    /// changes. A read-only file or mount, a hot standby or `default_transaction_read_only`
    /// refuses it ([`StoreError::Unavailable`]).
    pub async fn accepts_writes(&self) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            sqlx::query("UPDATE heartbeat SET beat = beat + 1 WHERE id = 1")
                .execute(&mut *tx)
                .await?;
            tx.rollback().await?;
        });
        Ok(())
    }

    pub async fn close(&self) {
        dispatch!(self, pool => pool.close().await)
    }
}

/// What went wrong in the store, in terms the layers above can act on.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The same idempotency key was sent with a different request body.
    #[error("this request key was already used for a different request")]
    IdempotencyConflict,
    /// A unique value (a username, a name) is already taken.
    #[error("{0}")]
    Duplicate(String),
    /// A ledger rule refused the operation.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// An access rule (scope, separation of duties) refused the operation.
    #[error(transparent)]
    Refused(#[from] domain::access::AccessError),
    /// A pending request was already resolved by someone else.
    #[error("already resolved by {by} at {at}")]
    AlreadyResolved {
        by: String,
        at: chrono::DateTime<chrono::Utc>,
    },
    #[error("{0}")]
    Invalid(String),
    #[error("configuration: {0}")]
    Config(String),
    #[error("migration failed: {0}")]
    Migration(String),
    /// The database could not be reached or timed out; the request can be retried.
    #[error("the database is unavailable")]
    Unavailable(#[source] sqlx::Error),
    #[error("database error")]
    Database(#[source] sqlx::Error),
}

/// The classes of database failure the store reacts to differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    Unique,
    ForeignKey,
    Check,
    NotNull,
    Unavailable,
    Other,
}

/// The one place that turns driver errors into failure classes (by error kind, not text).
pub(crate) fn classify(error: &sqlx::Error) -> Failure {
    match error {
        sqlx::Error::Database(db) => match db.kind() {
            sqlx::error::ErrorKind::UniqueViolation => Failure::Unique,
            sqlx::error::ErrorKind::ForeignKeyViolation => Failure::ForeignKey,
            sqlx::error::ErrorKind::CheckViolation => Failure::Check,
            sqlx::error::ErrorKind::NotNullViolation => Failure::NotNull,
            _ if cannot_serve_now(db.as_ref()) => Failure::Unavailable,
            _ => Failure::Other,
        },
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => Failure::Unavailable,
        _ => Failure::Other,
    }
}

/// The database answered, but only to say it cannot serve now; retrying later can succeed.
/// PostgreSQL: shutting down, restarting or recovering (57P01 `terminating connection due to
/// administrator command`, 57P02 crash shutdown, 57P03 `the database system is starting
/// up`), too many connections (53300), the connection failed (08000, 08001, 08003, 08004,
/// 08006), or the database refuses writes (25006 `read_only_sql_transaction`: a hot standby,
/// or `default_transaction_read_only`). Not protocol violations (08P01) or a dropped
/// database (57P04): those stay errors.
/// SQLite: still locked after the busy timeout (SQLITE_BUSY 5, SQLITE_LOCKED 6), or the
/// database refuses writes (SQLITE_READONLY 8: a read-only file, directory or mount, and its
/// extended codes such as 1032 SQLITE_READONLY_DBMOVED, the file moved or deleted while open).
fn cannot_serve_now(db: &dyn sqlx::error::DatabaseError) -> bool {
    const TRANSIENT: [&str; 10] = [
        "57P01", "57P02", "57P03", "53300", "08000", "08001", "08003", "08004", "08006", "25006",
    ];
    let Some(code) = db.code() else {
        return false;
    };
    if db.try_downcast_ref::<sqlx::sqlite::SqliteError>().is_some() {
        // Primary result codes 5, 6 and 8, with their extended codes.
        return code
            .parse::<i32>()
            .is_ok_and(|code| matches!(code & 0xff, 5 | 6 | 8));
    }
    TRANSIENT.contains(&code.as_ref())
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match classify(&error) {
            Failure::Unavailable => StoreError::Unavailable(error),
            Failure::ForeignKey => {
                StoreError::Invalid("refers to something that does not exist".to_string())
            }
            _ => StoreError::Database(error),
        }
    }
}

impl StoreError {
    fn from_connect(error: sqlx::Error) -> Self {
        match error {
            sqlx::Error::Configuration(e) => StoreError::Config(e.to_string()),
            other => StoreError::Unavailable(other),
        }
    }

    /// Maps a unique violation to a `Duplicate` with a message for the person, anything
    /// else through the general mapping.
    pub(crate) fn duplicate_or(error: sqlx::Error, message: impl FnOnce() -> String) -> Self {
        if classify(&error) == Failure::Unique {
            StoreError::Duplicate(message())
        } else {
            StoreError::from(error)
        }
    }
}

/// A stable fingerprint of a request body, stored next to its idempotency key so a replay
/// with the same key can be told apart from a different request reusing it.
pub fn fingerprint<T: serde::Serialize>(body: &T) -> String {
    use sha2::{Digest, Sha256};
    // serde_json of a struct is deterministic: fields in declaration order.
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let digest = Sha256::digest(&bytes);
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use sqlx::{
        sqlite::{SqliteConnectOptions, SqliteJournalMode},
        ConnectOptions, Connection,
    };

    use super::{classify, Failure};

    /// A database that refuses writes is unavailable (503, try again), not our own failure.
    /// SQLite enforces a read-only open itself, so this holds even for root, whom file
    /// permissions do not stop.
    #[tokio::test]
    async fn an_sqlite_database_that_refuses_writes_is_unavailable() {
        let path = std::env::temp_dir().join(format!(
            "goodwill-store-read-only-{}.db",
            std::process::id()
        ));
        // A rollback journal, so that a read-only open needs nothing written beside the file.
        let writable = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Delete);
        let mut connection = writable.connect().await.unwrap();
        sqlx::query("CREATE TABLE IF NOT EXISTS t (x INTEGER)")
            .execute(&mut connection)
            .await
            .unwrap();
        // PRAGMA query_only: SQLITE_READONLY (8).
        sqlx::query("PRAGMA query_only = ON")
            .execute(&mut connection)
            .await
            .unwrap();
        let refused = sqlx::query("INSERT INTO t (x) VALUES (1)")
            .execute(&mut connection)
            .await
            .unwrap_err();
        assert_eq!(classify(&refused), Failure::Unavailable, "{refused:?}");
        connection.close().await.unwrap();

        // A read-only file: SQLITE_READONLY as well.
        let mut read_only = SqliteConnectOptions::new()
            .filename(&path)
            .journal_mode(SqliteJournalMode::Delete)
            .read_only(true)
            .connect()
            .await
            .unwrap();
        let refused = sqlx::query("INSERT INTO t (x) VALUES (1)")
            .execute(&mut read_only)
            .await
            .unwrap_err();
        assert_eq!(classify(&refused), Failure::Unavailable, "{refused:?}");
        read_only.close().await.unwrap();

        // Other refusals stay what they are.
        let mut memory = SqliteConnectOptions::from_str("sqlite::memory:")
            .unwrap()
            .connect()
            .await
            .unwrap();
        sqlx::query("CREATE TABLE u (x INTEGER UNIQUE)")
            .execute(&mut memory)
            .await
            .unwrap();
        sqlx::query("INSERT INTO u (x) VALUES (1)")
            .execute(&mut memory)
            .await
            .unwrap();
        let duplicate = sqlx::query("INSERT INTO u (x) VALUES (1)")
            .execute(&mut memory)
            .await
            .unwrap_err();
        assert_eq!(classify(&duplicate), Failure::Unique);
        let _ = std::fs::remove_file(&path);
    }
}

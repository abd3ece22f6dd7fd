//! `server backup`, `restore` and `verify`: a backup taken while recoveries are being logged
//! restores to a database that verifies and holds every recovery acknowledged before the
//! backup began; a damaged database is named by `verify` and never restored.

use std::{
    collections::HashSet,
    path::{Path, PathBuf},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use app::store::{PoolSettings, Store};

use crate::helpers::{organisation, spawn_app, Db, TestApp};

/// A fresh directory of its own in the temp directory.
fn scratch(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let dir = std::env::temp_dir().join(format!(
        "goodwill-backup-{tag}-{}-{nanos}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

async fn open(path: &Path) -> Store {
    Store::connect(&url(path), &PoolSettings::default())
        .await
        .expect("open")
}

async fn log(app: &TestApp, client: &reqwest::Client, key: &str, amount: &str) -> u16 {
    app.call(
        client,
        "log-recovery",
        &[
            ("idempotency_key", key),
            ("category", "noise"),
            ("remedy", "fix-or-apology"),
            ("amount", amount),
            ("reaction", "satisfied"),
            ("touchpoint", "front-desk"),
        ],
    )
    .await
    .status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_under_load_restores_to_a_database_that_verifies_and_holds_every_acknowledged_recovery(
) {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let dir = scratch("load");
    let acknowledged: Arc<Mutex<Vec<(String, Instant)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut workers = Vec::new();
    let app = Arc::new(app);
    for (n, user) in ["staff.a", "extra.a", "supervisor.a", "manager.a"]
        .into_iter()
        .enumerate()
    {
        let client = app.signed_in(user).await;
        let (app, acknowledged, stop) = (app.clone(), acknowledged.clone(), stop.clone());
        workers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let key = format!("load-{n}-{i}");
                // Some within budget, some waiting for approval.
                let amount = if i % 3 == 0 { "2" } else { "0" };
                if log(&app, &client, &key, amount).await == 200 {
                    acknowledged.lock().unwrap().push((key, Instant::now()));
                }
                i += 1;
            }
        }));
    }
    tokio::time::sleep(Duration::from_millis(700)).await;
    let backup = dir.join("backup.db");
    let began = Instant::now();
    app.store.backup_into(&backup).await.expect("backup");
    tokio::time::sleep(Duration::from_millis(300)).await;
    stop.store(true, Ordering::SeqCst);
    for worker in workers {
        worker.await.unwrap();
    }
    let before: Vec<String> = acknowledged
        .lock()
        .unwrap()
        .iter()
        .filter(|(_, at)| *at < began)
        .map(|(key, _)| key.clone())
        .collect();
    let total = acknowledged.lock().unwrap().len();
    assert!(
        before.len() >= 10,
        "only {} logged before the backup",
        before.len()
    );
    assert!(
        total > before.len(),
        "nothing was logged during or after the backup"
    );
    // A backup never overwrites a file.
    assert!(app.store.backup_into(&backup).await.is_err());

    // Restored into a new database: it verifies and holds everything acknowledged before.
    let target = dir.join("restored.db");
    let restored = server::backup::restore(&backup, &url(&target), "first")
        .await
        .expect("restore");
    assert!(restored.previous.is_none());
    assert!(restored.recoveries >= before.len() as i64);
    let store = open(&target).await;
    assert_eq!(store.verify().await.unwrap(), Vec::<String>::new());
    let organisations = store.organisation_ids().await.unwrap();
    let keys: HashSet<String> = store
        .recovery_keys(&organisations)
        .await
        .unwrap()
        .into_iter()
        .map(|(_, _, key)| key)
        .collect();
    let missing: Vec<&String> = before.iter().filter(|k| !keys.contains(*k)).collect();
    assert!(
        missing.is_empty(),
        "acknowledged before the backup, missing: {missing:?}"
    );
    store.close().await;
    // The live database verifies too, with everything acknowledged.
    assert_eq!(app.store.verify().await.unwrap(), Vec::<String>::new());
    assert_eq!(app.store.recovery_count().await.unwrap(), total as i64);

    // Restoring over a database keeps the one it replaces, whole.
    let again = server::backup::restore(&backup, &url(&target), "second")
        .await
        .expect("restore again");
    let kept = again.previous.expect("the replaced database is kept");
    assert!(
        kept.ends_with("restored.db.before-restore-second"),
        "{kept:?}"
    );
    let old = open(&kept).await;
    assert_eq!(old.verify().await.unwrap(), Vec::<String>::new());
    old.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

/// Changes a database behind the store's back, as a bug or a hand edit could.
async fn tamper(path: &Path, sql: &str) {
    let pool = sqlx::SqlitePool::connect(&url(path)).await.unwrap();
    sqlx::query(sql).execute(&pool).await.unwrap();
    pool.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_names_what_disagrees_and_a_damaged_backup_is_never_restored() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let staff = app.signed_in("staff.a").await;
    assert_eq!(log(&app, &staff, "one", "5").await, 200);
    let dir = scratch("damaged");
    let backup = dir.join("backup.db");
    app.store.backup_into(&backup).await.unwrap();
    // A good database to restore over.
    let target = dir.join("live.db");
    server::backup::restore(&backup, &url(&target), "first")
        .await
        .unwrap();

    tamper(
        &backup,
        "UPDATE budget_days SET pending_excess_minor = pending_excess_minor + 1",
    )
    .await;
    let damaged = open(&backup).await;
    let problems = damaged.verify().await.unwrap();
    damaged.close().await;
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("pending excess differs")),
        "{problems:?}"
    );
    // The command line says so and fails.
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("verify")
        .env("DATABASE_URL", url(&backup))
        .output()
        .expect("run server verify");
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(String::from_utf8_lossy(&output.stdout).contains("pending excess differs"));
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("verify")
        .env("DATABASE_URL", url(&target))
        .output()
        .expect("run server verify");
    assert_eq!(output.status.code(), Some(0), "{output:?}");

    // A damaged backup is refused and the database stays as it was.
    let refused = server::backup::restore(&backup, &url(&target), "second").await;
    assert!(refused.is_err());
    assert!(format!("{:#}", refused.unwrap_err()).contains("does not verify"));
    assert!(!dir.join("live.db.before-restore-second").exists());
    assert!(!dir.join("live.db.restoring").exists());
    let live = open(&target).await;
    assert_eq!(live.verify().await.unwrap(), Vec::<String>::new());
    assert_eq!(live.recovery_count().await.unwrap(), 1);
    live.close().await;
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn verify_finds_damage_on_postgres_too() {
    let app = spawn_app(Db::Postgres).await;
    organisation(&app.store, "a").await;
    let staff = app.signed_in("staff.a").await;
    assert_eq!(log(&app, &staff, "one", "5").await, 200);
    assert_eq!(app.store.verify().await.unwrap(), Vec::<String>::new());
    // PostgreSQL is backed up with pg_dump.
    assert!(app
        .store
        .backup_into(Path::new("/tmp/never"))
        .await
        .is_err());
    let Store::Postgres(pool) = &app.store else {
        unreachable!()
    };
    sqlx::query("UPDATE budget_days SET pending_excess_minor = pending_excess_minor + 1")
        .execute(pool)
        .await
        .unwrap();
    let problems = app.store.verify().await.unwrap();
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with("pending excess differs")),
        "{problems:?}"
    );
}

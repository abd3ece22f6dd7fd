//! kill -9 in the middle of sustained load: the server process dies while staff are logging
//! recoveries; it is started again on the same database; every recovery the server had
//! acknowledged is there exactly once, the requests that got no answer can be sent again
//! (same key) and land once, and every budget day still agrees with the ledger. The same
//! with two app servers on one PostgreSQL, one of them killed while the other serves on.

use std::{
    collections::HashMap,
    process::{Child, Command, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::Duration,
};

use app::{
    domain::policy::{BudgetPolicy, PolicyScope},
    store::{PoolSettings, Store},
};

use crate::helpers::{browser, organisation, Db, TestDatabase, PASSWORD};

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn start(database_url: &str, port: u16) -> Child {
    Command::new(env!("CARGO_BIN_EXE_server"))
        .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "error")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start the server")
}

async fn wait_until_up(base: &str) {
    for _ in 0..200 {
        if let Ok(r) = reqwest::get(format!("{base}/healthz")).await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the server did not come up at {base}");
}

fn form(key: &str) -> Vec<(&'static str, String)> {
    vec![
        ("idempotency_key", key.to_string()),
        ("category", "noise".into()),
        ("remedy", "discount".into()),
        ("amount", "7".into()),
        ("reaction", "satisfied".into()),
        ("touchpoint", "front-desk".into()),
    ]
}

/// Sends one recovery; Some(id) when the server acknowledged it.
async fn log(client: &reqwest::Client, base: &str, key: &str) -> Result<Option<i64>, ()> {
    let response = client
        .post(format!("{base}/api/log-recovery"))
        .header("origin", base)
        .header("accept", "application/json")
        .form(&form(key))
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|_| ())?;
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.map_err(|_| ())?;
    assert!(status < 500 || status == 503, "{status} {body}");
    Ok(body["recovery_id"].as_i64())
}

/// `servers` app servers on one database; the first is killed, the others keep serving.
async fn killed_mid_load(kind: Db, servers: usize) {
    let database = TestDatabase::create(kind).await;
    let store = Store::connect(&database.url, &PoolSettings::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let org = organisation(&store, "a").await;
    // 100.00 a day: some recoveries post, the rest wait for approval.
    store
        .set_policy(
            org.organisation_id,
            &BudgetPolicy::new(PolicyScope::Organisation, 10_000, None).unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();

    let ports: Vec<u16> = (0..servers).map(|_| free_port()).collect();
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut running: Vec<Child> = ports.iter().map(|p| start(&database.url, *p)).collect();
    for base in &bases {
        wait_until_up(base).await;
    }

    // Four devices, two people, logging as fast as the servers answer; device n talks to
    // server n mod servers.
    let acknowledged: Arc<Mutex<HashMap<String, i64>>> = Arc::default();
    let unanswered: Arc<Mutex<Vec<(usize, String)>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut clients = Vec::new();
    for (n, username) in ["staff.a", "extra.a", "staff.a", "extra.a"]
        .iter()
        .enumerate()
    {
        let base = &bases[n % servers];
        let client = browser();
        let answer = client
            .post(format!("{base}/api/sign-in"))
            .header("origin", base)
            .header("accept", "application/json")
            .form(&[("username", *username), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert!(answer.status().is_success(), "sign-in as {username}");
        clients.push((n, client));
    }
    let mut workers = Vec::new();
    for (n, client) in clients.clone() {
        let (base, acknowledged, unanswered, stop) = (
            bases[n % servers].clone(),
            acknowledged.clone(),
            unanswered.clone(),
            stop.clone(),
        );
        workers.push(tokio::spawn(async move {
            let mut i = 0;
            while !stop.load(Ordering::SeqCst) {
                let key = format!("device-{n}-{i}");
                i += 1;
                match log(&client, &base, &key).await {
                    Ok(Some(id)) => {
                        acknowledged.lock().unwrap().insert(key, id);
                    }
                    Ok(None) => {}
                    Err(()) => {
                        unanswered.lock().unwrap().push((n, key));
                        // The server is gone: wait for it instead of spinning.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            }
        }));
    }
    // Let the load run, then kill the first server's process without warning.
    tokio::time::sleep(Duration::from_millis(1_500)).await;
    running[0].kill().expect("kill -9");
    running[0].wait().unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.await.unwrap();
    }
    let before = acknowledged.lock().unwrap().len();
    assert!(before > 10, "the load ran: {before} acknowledged");

    // Start it again on the same database; the devices send what got no answer again.
    running[0] = start(&database.url, ports[0]);
    wait_until_up(&bases[0]).await;
    let retries: Vec<(usize, String)> = unanswered.lock().unwrap().clone();
    let mut all = acknowledged.lock().unwrap().clone();
    for (n, key) in &retries {
        let client = &clients[*n].1;
        let id = log(client, &bases[*n % servers], key)
            .await
            .expect("the server answers again")
            .expect("the retry is accepted");
        all.insert(key.clone(), id);
    }
    // A retry of an acknowledged one returns the same recovery.
    let first = acknowledged
        .lock()
        .unwrap()
        .iter()
        .next()
        .map(|(k, v)| (k.clone(), *v));
    if let Some((key, id)) = first {
        let n: usize = key.split('-').nth(1).unwrap().parse().unwrap();
        assert_eq!(
            log(&clients[n].1, &bases[n % servers], &key).await.unwrap(),
            Some(id)
        );
    }
    for mut server in running {
        server.kill().unwrap();
        server.wait().unwrap();
    }

    // Every acknowledged (or retried) recovery exactly once; nothing else.
    let rows: Vec<(String, i64)> = match &store {
        Store::Sqlite(pool) => sqlx::query_as("SELECT idempotency_key, id FROM recoveries")
            .fetch_all(pool)
            .await
            .unwrap(),
        Store::Postgres(pool) => sqlx::query_as("SELECT idempotency_key, id FROM recoveries")
            .fetch_all(pool)
            .await
            .unwrap(),
    };
    let stored: HashMap<String, i64> = rows.iter().cloned().collect();
    assert_eq!(stored.len(), rows.len(), "a key stored twice");
    for (key, id) in acknowledged.lock().unwrap().iter() {
        assert_eq!(
            stored.get(key),
            Some(id),
            "acknowledged {key} is missing or changed"
        );
    }
    assert_eq!(
        stored, all,
        "the ledger holds exactly the acknowledged and retried recoveries"
    );

    eprintln!(
        "{kind:?}, {servers} server(s): {before} acknowledged before the kill, {} sent again after it, {} stored",
        retries.len(),
        stored.len()
    );
    // Every budget day agrees with its recoveries and stays within its allowance.
    let check = "SELECT COUNT(*) FROM budget_days b
        WHERE b.spent_minor > b.allowance_minor
           OR b.spent_minor <> (SELECT COALESCE(SUM(r.covered_minor), 0) FROM recoveries r
                                WHERE r.person_id = b.person_id AND r.budget_date = b.budget_date)
           OR b.pending_excess_minor <> (SELECT COALESCE(SUM(r.excess_minor), 0) FROM recoveries r
                                WHERE r.person_id = b.person_id AND r.budget_date = b.budget_date)";
    let broken: i64 = match &store {
        Store::Sqlite(pool) => sqlx::query_scalar(check).fetch_one(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_scalar(check).fetch_one(pool).await.unwrap(),
    };
    assert_eq!(broken, 0, "budget days that disagree with the ledger");
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_load_loses_and_duplicates_nothing_on_sqlite() {
    killed_mid_load(Db::Sqlite, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_server_killed_mid_load_loses_and_duplicates_nothing_on_postgres() {
    killed_mid_load(Db::Postgres, 1).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_of_two_servers_on_postgres_killed_mid_load_loses_and_duplicates_nothing() {
    killed_mid_load(Db::Postgres, 2).await;
}

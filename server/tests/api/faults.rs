//! Faults under sustained load, on loopback, bounded in time.
//!
//! kill -9: the server process dies while staff are logging recoveries; it is started again on
//! the same database; every recovery the server had acknowledged is there exactly once, the
//! requests that got no answer can be sent again (same key) and land once, and every budget
//! day still agrees with the ledger. The same with two app servers on one PostgreSQL, one of
//! them killed while the other serves on.
//!
//! PostgreSQL unreachable: the database server is stopped (immediate shutdown, as in a crash)
//! in the middle of the load and started again a few seconds later, while the app server
//! keeps running. Meanwhile requests are refused with 503 and a message saying to try again,
//! never a 500; afterwards the same app server serves again without being touched, and the
//! ledger holds exactly what was acknowledged plus what the devices sent again. The database
//! is a private PostgreSQL cluster (initdb into a temporary directory, its own port), so
//! stopping it disturbs no other test.

use std::{
    collections::HashMap,
    path::PathBuf,
    process::{Child, Command, Output, Stdio},
    sync::{
        atomic::{AtomicBool, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use app::{
    domain::policy::{BudgetPolicy, PolicyScope},
    store::{PoolSettings, Store},
};

use crate::helpers::{browser, organisation, organisation_of, Db, TestDatabase, PASSWORD};

/// A free port below Linux's ephemeral range (32768 and up), so that the many outgoing
/// loopback connections of tests running alongside cannot take it between its release here
/// and a server binding it again after a restart.
fn quiet_port() -> u16 {
    use rand::Rng;
    loop {
        let port = rand::thread_rng().gen_range(20_000..32_000);
        if std::net::TcpListener::bind(("127.0.0.1", port)).is_ok() {
            return port;
        }
    }
}

/// An app server process, killed (SIGKILL) when dropped, so a failing test leaves none behind.
struct Server(Child);

impl Server {
    fn start(database_url: &str, port: u16) -> Server {
        Server(
            Command::new(env!("CARGO_BIN_EXE_server"))
                .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
                .env("DATABASE_URL", database_url)
                .env("RUST_LOG", "error")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start the server"),
        )
    }

    /// kill -9, and wait until the process is gone.
    fn kill(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
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

/// What became of one request, as the device sees it.
enum Sent {
    /// Recorded (or, for a key sent before, replayed): the recovery's id.
    Acknowledged(i64),
    /// 503 with this body: the database could not be reached; the device may send it again.
    Unavailable(String),
    /// No answer (connection refused or cut): the device cannot know, and sends it again.
    NoAnswer,
}

/// Sends one recovery. Any answer but a receipt or a 503 fails the test; only a failure to
/// send or to read the answer counts as no answer.
async fn log(client: &reqwest::Client, base: &str, key: &str) -> Sent {
    let Ok(response) = client
        .post(format!("{base}/api/log-recovery"))
        .header("origin", base)
        .header("accept", "application/json")
        .form(&form(key))
        .timeout(Duration::from_secs(15))
        .send()
        .await
    else {
        return Sent::NoAnswer;
    };
    let status = response.status().as_u16();
    let Ok(body) = response.text().await else {
        return Sent::NoAnswer;
    };
    match status {
        200 => {
            let receipt: serde_json::Value = serde_json::from_str(&body)
                .unwrap_or_else(|_| panic!("log-recovery {key}: 200 with {body}"));
            Sent::Acknowledged(
                receipt["recovery_id"]
                    .as_i64()
                    .unwrap_or_else(|| panic!("log-recovery {key}: 200 without a receipt: {body}")),
            )
        }
        503 => Sent::Unavailable(body),
        _ => panic!("log-recovery {key} answered {status}: {body}"),
    }
}

/// Devices logging recoveries as fast as the servers answer; device n talks to server
/// n mod servers. Keys are `device-{n}-{i}`.
struct Load {
    devices: Vec<(reqwest::Client, String)>,
    acknowledged: Arc<Mutex<HashMap<String, i64>>>,
    /// Keys that got a 503 or no answer, by device.
    unanswered: Arc<Mutex<Vec<(usize, String)>>>,
    /// The bodies of the 503 answers.
    refusals: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Load {
    async fn start(bases: &[String], people: &[&str]) -> Load {
        let mut devices = Vec::new();
        for (n, username) in people.iter().enumerate() {
            let base = bases[n % bases.len()].clone();
            let client = browser();
            let answer = client
                .post(format!("{base}/api/sign-in"))
                .header("origin", &base)
                .header("accept", "application/json")
                .form(&[
                    ("organisation", organisation_of(username)),
                    ("username", *username),
                    ("password", PASSWORD),
                ])
                .send()
                .await
                .unwrap();
            assert!(answer.status().is_success(), "sign-in as {username}");
            devices.push((client, base));
        }
        let mut load = Load {
            devices,
            acknowledged: Arc::default(),
            unanswered: Arc::default(),
            refusals: Arc::default(),
            stop: Arc::default(),
            workers: Vec::new(),
        };
        for (n, (client, base)) in load.devices.clone().into_iter().enumerate() {
            let (acknowledged, unanswered, refusals, stop) = (
                load.acknowledged.clone(),
                load.unanswered.clone(),
                load.refusals.clone(),
                load.stop.clone(),
            );
            load.workers.push(tokio::spawn(async move {
                let mut i = 0;
                while !stop.load(Ordering::SeqCst) {
                    let key = format!("device-{n}-{i}");
                    i += 1;
                    match log(&client, &base, &key).await {
                        Sent::Acknowledged(id) => {
                            acknowledged.lock().unwrap().insert(key, id);
                        }
                        Sent::Unavailable(body) => {
                            refusals.lock().unwrap().push(body);
                            unanswered.lock().unwrap().push((n, key));
                        }
                        Sent::NoAnswer => {
                            unanswered.lock().unwrap().push((n, key));
                            // The server is gone: wait for it instead of spinning.
                            tokio::time::sleep(Duration::from_millis(20)).await;
                        }
                    }
                }
            }));
        }
        load
    }

    fn acknowledged(&self) -> usize {
        self.acknowledged.lock().unwrap().len()
    }

    /// Waits until `count` recoveries are acknowledged in all; fails after `within`.
    async fn until_acknowledged(&self, count: usize, within: Duration, what: &str) {
        let deadline = Instant::now() + within;
        while self.acknowledged() < count {
            assert!(
                Instant::now() < deadline,
                "{what}: {} of {count} acknowledged after {within:?}",
                self.acknowledged()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    async fn stop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for worker in self.workers.drain(..) {
            worker.await.expect("a device failed");
        }
    }

    /// Sends every unanswered request again (same key); returns every key the ledger must
    /// now hold, with its recovery. A retry of an acknowledged key returns the same recovery.
    async fn send_again(&self) -> HashMap<String, i64> {
        let retries = self.unanswered.lock().unwrap().clone();
        let mut all = self.acknowledged.lock().unwrap().clone();
        for (n, key) in &retries {
            let (client, base) = &self.devices[*n];
            match log(client, base, key).await {
                Sent::Acknowledged(id) => {
                    all.insert(key.clone(), id);
                }
                _ => panic!("the retry of {key} was not accepted"),
            }
        }
        let first = all.iter().next().map(|(k, v)| (k.clone(), *v));
        if let Some((key, id)) = first {
            let n: usize = key.split('-').nth(1).unwrap().parse().unwrap();
            let (client, base) = &self.devices[n];
            match log(client, base, &key).await {
                Sent::Acknowledged(again) => assert_eq!(again, id, "a retry made a new recovery"),
                _ => panic!("the retry of {key} was not accepted"),
            }
        }
        all
    }
}

/// A database with the test organisation, whose budget lets some recoveries post and sends
/// the rest to approval (100.00 a day, 7.00 each).
async fn prepared(url: &str) -> Store {
    let store = Store::connect(url, &PoolSettings::default()).await.unwrap();
    store.migrate().await.unwrap();
    let org = organisation(&store, "a").await;
    store
        .set_policy(
            org.organisation_id,
            &BudgetPolicy::new(PolicyScope::Organisation, 10_000, None).unwrap(),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    store
}

/// The ledger holds exactly `all` (each key once, with the id the device was given), and
/// every budget day agrees with its recoveries and stays within its allowance.
async fn check_ledger(store: &Store, all: &HashMap<String, i64>) -> usize {
    let rows: Vec<(String, i64)> = match store {
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
    for (key, id) in all {
        assert_eq!(stored.get(key), Some(id), "{key} is missing or changed");
    }
    assert_eq!(
        &stored, all,
        "the ledger holds exactly the acknowledged and retried recoveries"
    );
    let check = "SELECT COUNT(*) FROM budget_days b
        WHERE b.spent_minor > b.allowance_minor
           OR b.spent_minor <> (SELECT COALESCE(SUM(r.covered_minor), 0) FROM recoveries r
                                WHERE r.person_id = b.person_id AND r.budget_date = b.budget_date)
           OR b.pending_excess_minor <> (SELECT COALESCE(SUM(r.excess_minor), 0) FROM recoveries r
                                WHERE r.person_id = b.person_id AND r.budget_date = b.budget_date)";
    let broken: i64 = match store {
        Store::Sqlite(pool) => sqlx::query_scalar(check).fetch_one(pool).await.unwrap(),
        Store::Postgres(pool) => sqlx::query_scalar(check).fetch_one(pool).await.unwrap(),
    };
    assert_eq!(broken, 0, "budget days that disagree with the ledger");
    stored.len()
}

/// `servers` app servers on one database; the first is killed, the others keep serving.
async fn killed_mid_load(kind: Db, servers: usize) {
    let database = TestDatabase::create(kind).await;
    let store = prepared(&database.url).await;
    let ports: Vec<u16> = (0..servers).map(|_| quiet_port()).collect();
    let bases: Vec<String> = ports
        .iter()
        .map(|p| format!("http://127.0.0.1:{p}"))
        .collect();
    let mut running: Vec<Server> = ports
        .iter()
        .map(|p| Server::start(&database.url, *p))
        .collect();
    for base in &bases {
        wait_until_up(base).await;
    }
    // Four devices, two people.
    let mut load = Load::start(&bases, &["staff.a", "extra.a", "staff.a", "extra.a"]).await;
    // Let the load run, then kill the first server's process without warning.
    load.until_acknowledged(20, Duration::from_secs(60), "the load before the kill")
        .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    running[0].kill();
    tokio::time::sleep(Duration::from_millis(200)).await;
    load.stop().await;
    let before = load.acknowledged();

    // Start it again on the same database; the devices send what got no answer again.
    running[0] = Server::start(&database.url, ports[0]);
    wait_until_up(&bases[0]).await;
    let all = load.send_again().await;
    drop(running);
    let stored = check_ledger(&store, &all).await;
    eprintln!(
        "{kind:?}, {servers} server(s): {before} acknowledged before the kill, {} sent again after it, {stored} stored",
        load.unanswered.lock().unwrap().len(),
    );
    store.close().await;
}

/// A PostgreSQL server of the test's own: initdb into a temporary directory, its own port.
/// As root, the server runs as the `postgres` user (PostgreSQL refuses to run as root).
struct PrivateCluster {
    dir: PathBuf,
    bin: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// Where initdb and pg_ctl are: GOODWILL_PG_BINDIR, or the newest Debian PostgreSQL.
fn postgres_bin_dir() -> PathBuf {
    if let Ok(dir) = std::env::var("GOODWILL_PG_BINDIR") {
        return PathBuf::from(dir);
    }
    let mut found: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    found.sort();
    found.pop().map(|(_, bin)| bin).expect(
        "PostgreSQL's server programs (initdb, pg_ctl) were not found under \
         /usr/lib/postgresql: install the postgresql package or set GOODWILL_PG_BINDIR",
    )
}

impl PrivateCluster {
    fn create() -> PrivateCluster {
        let bin = postgres_bin_dir();
        let id = Command::new("id").arg("-u").output().expect("id -u");
        let as_postgres = String::from_utf8_lossy(&id.stdout).trim() == "0";
        // /tmp rather than a root-only TMPDIR: the postgres user must reach the directory.
        let parent = if as_postgres {
            PathBuf::from("/tmp")
        } else {
            std::env::temp_dir()
        };
        let port = quiet_port();
        let dir = parent.join(format!("goodwill-pg-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        // From here on, Drop removes the directory whatever happens.
        let cluster = PrivateCluster {
            dir,
            bin,
            port,
            as_postgres,
        };
        if as_postgres {
            let chown = Command::new("chown")
                .arg("postgres:postgres")
                .arg(&cluster.dir)
                .output()
                .expect("chown");
            assert!(chown.status.success(), "chown: {chown:?}");
        }
        let data = cluster.data();
        cluster.must(
            "initdb",
            &[
                "-D",
                &data,
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            ],
        );
        cluster.start();
        cluster
    }

    fn data(&self) -> String {
        self.dir.join("data").display().to_string()
    }

    fn url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    fn run(&self, tool: &str, args: &[&str]) -> Output {
        let program = self.bin.join(tool);
        let mut command = if self.as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program);
            c
        } else {
            Command::new(&program)
        };
        command
            .args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", program.display()))
    }

    fn must(&self, tool: &str, args: &[&str]) {
        let output = self.run(tool, args);
        assert!(
            output.status.success(),
            "{tool} failed: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }

    fn start(&self) {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.display()
        );
        let log = self.dir.join("server.log").display().to_string();
        self.must(
            "pg_ctl",
            &[
                "-D",
                &self.data(),
                "-l",
                &log,
                "-o",
                &options,
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
    }

    /// Stops the server the way a crash would: no checkpoint, every connection cut.
    fn stop(&self) {
        self.must(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = self.run(
            "pg_ctl",
            &["-D", &self.data(), "-m", "immediate", "-w", "stop"],
        );
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

async fn healthz(base: &str) -> u16 {
    reqwest::get(format!("{base}/healthz"))
        .await
        .map(|r| r.status().as_u16())
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_unreachable_mid_load_gives_clear_errors_writes_nothing_half_and_recovers() {
    let cluster = PrivateCluster::create();
    let admin = sqlx::PgPool::connect(&cluster.url("postgres"))
        .await
        .unwrap();
    sqlx::query("CREATE DATABASE goodwill")
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;
    let url = cluster.url("goodwill");
    let store = prepared(&url).await;
    let port = quiet_port();
    let base = format!("http://127.0.0.1:{port}");
    let server = Server::start(&url, port);
    wait_until_up(&base).await;

    let mut load = Load::start(
        std::slice::from_ref(&base),
        &["staff.a", "extra.a", "staff.a", "extra.a"],
    )
    .await;
    load.until_acknowledged(20, Duration::from_secs(60), "the load before the outage")
        .await;
    let before = load.acknowledged();

    // Down for longer than the pool waits for a connection (5 s), so requests are refused.
    cluster.stop();
    tokio::time::sleep(Duration::from_millis(6_000)).await;
    assert_eq!(
        healthz(&base).await,
        503,
        "healthz while the database is down"
    );
    let during = load.acknowledged();
    cluster.start();

    // The same app server serves again by itself.
    load.until_acknowledged(
        during + 20,
        Duration::from_secs(30),
        "the service after the database came back",
    )
    .await;
    assert_eq!(
        healthz(&base).await,
        200,
        "healthz after the database is back"
    );
    load.stop().await;

    let refusals = load.refusals.lock().unwrap().clone();
    assert!(
        !refusals.is_empty(),
        "no request was refused while the database was down"
    );
    for body in &refusals {
        assert!(
            body.contains("Unavailable"),
            "a refusal while the database was down says what happened: {body}"
        );
    }
    // The app server stayed up: every request got an answer, a receipt or a 503.
    assert_eq!(
        load.unanswered.lock().unwrap().len(),
        refusals.len(),
        "requests without an answer while the app server was up"
    );
    let all = load.send_again().await;
    drop(server);
    let stored = check_ledger(&store, &all).await;
    eprintln!(
        "PostgreSQL down for 6 s: {before} acknowledged before, {} refused with 503 and sent again, {stored} stored",
        refusals.len()
    );
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

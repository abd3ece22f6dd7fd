//! `bench load`: staff signed in on their devices log recoveries over HTTP, as the tablet
//! does (a same-origin form post to `/api/log-recovery` with an idempotency key), at a given
//! concurrency, against the real server binary on SQLite and on PostgreSQL. In the same run,
//! the two ceilings the app's figures are divided by:
//!
//! - the database ceiling: the same recoveries written by `Store::record_recovery` in this
//!   process, at the same concurrency, with no HTTP, sessions or page logic;
//! - the HTTP ceiling: the same requests (same form body, a session cookie of the same size)
//!   answered by an empty axum handler in a process of its own (`bench empty-server`).
//!
//! Every target is measured the same way: `concurrency` workers each send one request at a
//! time for `warmup` seconds (not counted), then `seconds` more; a request counts if it
//! started inside the measured window. Latency is from sending the request to having read
//! the whole answer.

use std::{
    future::Future,
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use app::{
    auth::password::{self, Secret},
    domain::{
        budget_day::parse_time_zone,
        money::Currency,
        org::{Industry, Role},
        policy::{BudgetPolicy, PolicyScope},
        recovery::{NewRecovery, RecoveryForm},
    },
    store::{
        ledger::RecordRecovery,
        organisations::{NewOrganisation, NewPerson},
        PoolSettings, Store,
    },
};
use chrono::Utc;
use clap::Args;

use crate::FreshDatabase;

#[derive(Args, Clone, Debug)]
pub struct LoadShape {
    /// Requests in flight at once (devices sending, each waits for its answer).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// Staff signed in; the devices take turns among them.
    #[arg(long, default_value_t = 100)]
    pub staff: usize,
    /// Seconds measured per target.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Seconds of load before measuring (connections, caches, prepared statements).
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// The server binary; default: `server` beside this one.
    #[arg(long)]
    pub server: Option<PathBuf>,
}

pub(crate) const PASSWORD: &str = "bench load password";
const CATEGORIES: [&str; 4] = ["noise", "room-not-ready", "billing-error", "slow-check-in"];
const AMOUNTS: [&str; 5] = ["0", "5", "7.50", "12", "25"];

/// The form of the `n`th recovery: the same for the app and the database ceiling. Amount and
/// category are picked by a hash of `n`, not `n` itself, so that they do not line up with
/// the person (`n` mod staff) and everyone logs the whole mix.
fn fields(key: &str, n: u64) -> Vec<(&'static str, String)> {
    let mix = (n.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 33) as usize;
    vec![
        ("idempotency_key", key.to_string()),
        (
            "category",
            CATEGORIES[(mix / AMOUNTS.len()) % CATEGORIES.len()].into(),
        ),
        ("remedy", "discount".into()),
        ("amount", AMOUNTS[mix % AMOUNTS.len()].into()),
        ("reaction", "satisfied".into()),
        ("touchpoint", "front-desk".into()),
        ("description", "Guest waited; made it right".into()),
    ]
}

/// What one target did in the measured window.
pub struct Figures {
    ok: usize,
    errors: usize,
    first_error: Option<String>,
    window: Duration,
    /// Latencies of the successful requests, sorted.
    latencies: Vec<Duration>,
    /// The recovery ids of the receipts (none for the empty handler).
    receipts: Vec<i64>,
}

impl Figures {
    fn throughput(&self) -> f64 {
        self.ok as f64 / self.window.as_secs_f64()
    }

    /// Nearest-rank percentile.
    fn percentile(&self, p: f64) -> Duration {
        if self.latencies.is_empty() {
            return Duration::ZERO;
        }
        let rank = ((p / 100.0) * self.latencies.len() as f64).ceil() as usize;
        self.latencies[rank.clamp(1, self.latencies.len()) - 1]
    }

    fn row(&self, engine: &str, target: &str) -> String {
        format!(
            "| {engine} | {target} | {} | {} | {:.0} | {} | {} | {} |",
            self.ok,
            self.errors,
            self.throughput(),
            ms(self.percentile(50.0)),
            ms(self.percentile(95.0)),
            ms(self.percentile(99.0)),
        )
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// Runs `op(worker, n)` from `concurrency` workers, one at a time each, for warm-up plus
/// window; `n` numbers the requests of all workers.
async fn drive<F, Fut>(shape: &LoadShape, op: F) -> Figures
where
    F: Fn(usize, u64) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Option<i64>, String>> + Send,
{
    let op = Arc::new(op);
    let counter = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let started = Instant::now();
    let measured_from = started + Duration::from_secs(shape.warmup);
    let until = measured_from + Duration::from_secs(shape.seconds);
    let mut workers = Vec::new();
    for worker in 0..shape.concurrency {
        let (op, counter) = (op.clone(), counter.clone());
        workers.push(tokio::spawn(async move {
            let (mut ok, mut receipts, mut errors, mut first_error) =
                (Vec::new(), Vec::new(), 0, None);
            loop {
                let sent = Instant::now();
                if sent >= until {
                    break;
                }
                let n = counter.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let outcome = op(worker, n).await;
                if sent < measured_from {
                    continue;
                }
                match outcome {
                    Ok(receipt) => {
                        ok.push(sent.elapsed());
                        receipts.extend(receipt);
                    }
                    Err(e) => {
                        errors += 1;
                        first_error.get_or_insert(e);
                    }
                }
            }
            (ok, receipts, errors, first_error)
        }));
    }
    let mut figures = Figures {
        ok: 0,
        errors: 0,
        first_error: None,
        window: Duration::from_secs(shape.seconds),
        latencies: Vec::new(),
        receipts: Vec::new(),
    };
    for worker in workers {
        let (ok, receipts, errors, first_error) = worker.await.expect("a load worker panicked");
        figures.ok += ok.len();
        figures.latencies.extend(ok);
        figures.receipts.extend(receipts);
        figures.errors += errors;
        if figures.first_error.is_none() {
            figures.first_error = first_error;
        }
    }
    figures.latencies.sort_unstable();
    figures
}

/// An organisation with `staff` people who may log recoveries, 1,000.00 a day each with no
/// cap per recovery: at the default shape most recoveries post at once and, as a person's day
/// fills up, the rest wait for approval (the bench prints the shares).
pub(crate) struct LoadOrganisation {
    pub(crate) organisation_id: i64,
    /// Its short name, which sign-in asks for.
    pub(crate) slug: String,
    pub(crate) people: Vec<(String, i64)>,
}

pub(crate) async fn organisation(
    store: &Store,
    staff: usize,
    label: &str,
) -> Result<LoadOrganisation> {
    let now = Utc::now();
    let zone = parse_time_zone("Europe/Lisbon").map_err(|e| anyhow::anyhow!("{e}"))?;
    let eur = Currency::parse("EUR").map_err(|e| anyhow::anyhow!("{e}"))?;
    let slug = format!("load-{label}-{}", std::process::id());
    let org = store
        .create_organisation(
            &NewOrganisation {
                name: "Load Hotels",
                slug: &slug,
                industry: Industry::Hotel,
                currency: eur,
                time_zone: zone,
            },
            now,
        )
        .await?;
    store
        .set_policy(
            org.id,
            &BudgetPolicy::new(PolicyScope::Organisation, 100_000, None)
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            now,
        )
        .await?;
    let location = store
        .create_location(org.id, "Harbour Hotel", zone, eur, now)
        .await?;
    let team = store
        .create_team(org.id, location.id, "Front desk", Some("front-desk"), now)
        .await?;
    // One hash for everybody: hashing is what sign-in measures, not what seeding should.
    let hash = password::hash(Secret::new(PASSWORD))
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let mut people = Vec::with_capacity(staff);
    for n in 0..staff {
        let username = format!("{label}.staff{n}");
        let person = store
            .create_person(
                &NewPerson {
                    organisation_id: org.id,
                    location_id: location.id,
                    team_id: Some(team.id),
                    display_name: &format!("Staff {n}"),
                    username: &username,
                    email: None,
                    password_hash: Some(&hash),
                    pin_hash: None,
                },
                now,
            )
            .await?;
        store
            .grant_role(org.id, person.id, Role::Staff, Some(location.id), now)
            .await?;
        people.push((username, person.id));
    }
    Ok(LoadOrganisation {
        organisation_id: org.id,
        slug,
        people,
    })
}

/// The database ceiling: `record_recovery` straight on the store, same forms, same people.
async fn store_ceiling(
    store: &Store,
    org: &LoadOrganisation,
    shape: &LoadShape,
) -> Result<Figures> {
    let taxonomy = Arc::new(app::store::organisations::form_taxonomy(
        &store.taxonomy(org.organisation_id).await?,
        app::domain::money::DEFAULT_MAX_AMOUNT_MAJOR,
    ));
    let eur = Currency::parse("EUR").map_err(|e| anyhow::anyhow!("{e}"))?;
    let (store, organisation_id) = (store.clone(), org.organisation_id);
    let people: Arc<Vec<i64>> = Arc::new(org.people.iter().map(|(_, id)| *id).collect());
    Ok(drive(shape, move |_, n| {
        let (store, taxonomy, people) = (store.clone(), taxonomy.clone(), people.clone());
        async move {
            let key = format!("store-{n}");
            let mut form = RecoveryForm::default();
            for (name, value) in fields(&key, n) {
                match name {
                    "category" => form.category = value,
                    "remedy" => form.remedy = value,
                    "amount" => form.amount = value,
                    "reaction" => form.reaction = value,
                    "touchpoint" => form.touchpoint = value,
                    "description" => form.description = value,
                    _ => {}
                }
            }
            let now = Utc::now();
            let recovery = NewRecovery::parse(&form, &taxonomy, eur, now)
                .map_err(|e| format!("{:?}", e.errors))?;
            let person_id = people[n as usize % people.len()];
            store
                .record_recovery(
                    &RecordRecovery {
                        organisation_id,
                        person_id,
                        recorded_by: person_id,
                        idempotency_key: key,
                        recovery,
                        fingerprint: None,
                    },
                    now,
                )
                .await
                .map(|receipt| Some(receipt.recovery_id))
                .map_err(|e| e.to_string())
        }
    })
    .await)
}

/// A signed-in device: its session cookie.
#[derive(Clone)]
struct Device {
    cookie: String,
}

async fn sign_in(
    client: &reqwest::Client,
    base: &str,
    organisation: &str,
    username: &str,
) -> Result<Device> {
    let answer = client
        .post(format!("{base}/api/sign-in"))
        .header("origin", base)
        .header("accept", "application/json")
        .form(&[
            ("organisation", organisation),
            ("username", username),
            ("password", PASSWORD),
        ])
        .send()
        .await?;
    if !answer.status().is_success() {
        bail!("sign-in as {username}: {}", answer.status());
    }
    let cookie = answer
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .collect::<Vec<_>>()
        .join("; ");
    if cookie.is_empty() {
        bail!("sign-in as {username} set no session cookie");
    }
    Ok(Device { cookie })
}

/// Logs recoveries over HTTP at `base` from the signed-in devices; the answer must be a
/// receipt (a recovery id). `check_receipt` false: any 2xx will do (the empty handler).
async fn http_load(
    base: &str,
    devices: Arc<Vec<Device>>,
    shape: &LoadShape,
    prefix: &'static str,
    check_receipt: bool,
) -> Figures {
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(shape.concurrency)
        .build()
        .expect("an HTTP client");
    let url = Arc::new(format!("{base}/api/log-recovery"));
    let origin = Arc::new(base.to_string());
    drive(shape, move |_, n| {
        let (client, url, origin, devices) =
            (client.clone(), url.clone(), origin.clone(), devices.clone());
        async move {
            let device = &devices[n as usize % devices.len()];
            let key = format!("{prefix}-{n}");
            let answer = client
                .post(url.as_str())
                .header("origin", origin.as_str())
                .header("accept", "application/json")
                .header("cookie", &device.cookie)
                .form(&fields(&key, n))
                .send()
                .await
                .map_err(|e| e.to_string())?;
            let status = answer.status();
            let body = answer.bytes().await.map_err(|e| e.to_string())?;
            if !status.is_success() {
                return Err(format!("{status}: {}", String::from_utf8_lossy(&body)));
            }
            if !check_receipt {
                return Ok(None);
            }
            let receipt: serde_json::Value =
                serde_json::from_slice(&body).map_err(|e| e.to_string())?;
            match receipt["recovery_id"].as_i64() {
                Some(id) => Ok(Some(id)),
                None => Err(format!("no receipt: {receipt}")),
            }
        }
    })
    .await
}

pub(crate) fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// A child process killed when dropped.
pub(crate) struct Process(pub(crate) Child);

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub(crate) async fn wait_until_up(base: &str, path: &str) -> Result<()> {
    let client = reqwest::Client::new();
    for _ in 0..400 {
        if let Ok(r) = client.get(format!("{base}{path}")).send().await {
            if r.status().is_success() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bail!("nothing answered at {base}{path} within 20 s")
}

pub(crate) fn sibling(name: &str) -> Result<PathBuf> {
    let me = std::env::current_exe()?;
    Ok(me.with_file_name(name))
}

/// The empty axum handler (`bench empty-server`): 200 and no body for any request.
pub async fn empty_server(addr: std::net::SocketAddr) -> Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let router = axum::Router::new().fallback(|| async { axum::http::StatusCode::OK });
    axum::serve(listener, router).await?;
    Ok(())
}

/// The app and the database ceiling on one database; returns their figures.
async fn engine_run(
    engine: &str,
    url: &str,
    shape: &LoadShape,
    server: &PathBuf,
) -> Result<(Figures, Figures)> {
    let store = Store::connect(url, &PoolSettings::default()).await?;
    store.migrate().await?;
    let direct = organisation(&store, shape.staff, "direct").await?;
    let served = organisation(&store, shape.staff, "served").await?;

    eprintln!("{engine}: the database ceiling");
    let ceiling = store_ceiling(&store, &direct, shape).await?;

    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let _server = Process(
        Command::new(server)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "error")
            // What cargo-leptos would set; without it Leptos warns at start.
            .env(
                "LEPTOS_OUTPUT_NAME",
                std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "goodwill".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?,
    );
    wait_until_up(&base, "/healthz").await?;
    eprintln!("{engine}: signing in {} staff", shape.staff);
    let client = reqwest::Client::new();
    let mut devices = Vec::new();
    for (username, _) in &served.people {
        devices.push(sign_in(&client, &base, &served.slug, username).await?);
    }
    eprintln!("{engine}: the app");
    let app = http_load(&base, Arc::new(devices), shape, "app", true).await;

    // The load was real: every receipt names a recovery of its own in the ledger, and every
    // budget day agrees with the ledger.
    for (what, org, figures) in [
        ("app", &served, &app),
        ("database ceiling", &direct, &ceiling),
    ] {
        let check = verify(&store, org.organisation_id, &figures.receipts).await?;
        if !check.ok {
            bail!("{engine}, {what}: {}", check.summary);
        }
        eprintln!("{engine}, {what}: {}", check.summary);
    }
    store.close().await;
    Ok((app, ceiling))
}

struct Verified {
    ok: bool,
    summary: String,
}

/// Every receipt is a distinct recovery of the organisation, and every budget day's spent
/// total equals its posted, unreversed recoveries and stays within its allowance.
async fn verify(store: &Store, organisation_id: i64, receipts: &[i64]) -> Result<Verified> {
    let ids_sql = "SELECT id, excess_minor FROM recoveries WHERE organisation_id = $1";
    let broken_sql = "SELECT COUNT(*) FROM budget_days b WHERE b.organisation_id = $1 AND (
            b.spent_minor > b.allowance_minor
            OR b.spent_minor <> (SELECT COALESCE(SUM(r.covered_minor), 0) FROM recoveries r
                WHERE r.person_id = b.person_id AND r.budget_date = b.budget_date))";
    let (rows, broken): (Vec<(i64, i64)>, i64) = match store {
        Store::Sqlite(pool) => (
            sqlx::query_as(ids_sql)
                .bind(organisation_id)
                .fetch_all(pool)
                .await?,
            sqlx::query_scalar(broken_sql)
                .bind(organisation_id)
                .fetch_one(pool)
                .await?,
        ),
        Store::Postgres(pool) => (
            sqlx::query_as(ids_sql)
                .bind(organisation_id)
                .fetch_all(pool)
                .await?,
            sqlx::query_scalar(broken_sql)
                .bind(organisation_id)
                .fetch_one(pool)
                .await?,
        ),
    };
    let stored: std::collections::HashSet<i64> = rows.iter().map(|(id, _)| *id).collect();
    let distinct: std::collections::HashSet<i64> = receipts.iter().copied().collect();
    let missing = distinct.iter().filter(|id| !stored.contains(id)).count();
    let waiting = rows.iter().filter(|(_, excess)| *excess > 0).count();
    Ok(Verified {
        ok: missing == 0 && distinct.len() == receipts.len() && broken == 0,
        summary: format!(
            "{} receipts, {} distinct, {missing} missing from the {} stored recoveries; \
             {:.0} % posted at once, {:.0} % waiting for approval; {broken} budget days off",
            receipts.len(),
            distinct.len(),
            rows.len(),
            100.0 * (rows.len() - waiting) as f64 / rows.len().max(1) as f64,
            100.0 * waiting as f64 / rows.len().max(1) as f64,
        ),
    })
}

fn ratio_line(engine: &str, app: &Figures, against: &Figures, what: &str) -> String {
    format!(
        "| {engine} | app ÷ {what} | {:.3} | {:.1}× | {:.1}× | {:.1}× |",
        app.throughput() / against.throughput(),
        app.percentile(50.0).as_secs_f64() / against.percentile(50.0).as_secs_f64(),
        app.percentile(95.0).as_secs_f64() / against.percentile(95.0).as_secs_f64(),
        app.percentile(99.0).as_secs_f64() / against.percentile(99.0).as_secs_f64(),
    )
}

pub async fn run(sqlite: bool, postgres: Option<String>, shape: LoadShape) -> Result<()> {
    if !sqlite && postgres.is_none() {
        bail!("say --sqlite, --postgres ADMIN_URL, or both");
    }
    if shape.concurrency == 0 || shape.staff == 0 || shape.seconds == 0 {
        bail!("--concurrency, --staff and --seconds must be at least 1");
    }
    let server = match &shape.server {
        Some(path) => path.clone(),
        None => sibling("server")?,
    };
    if !server.exists() {
        bail!(
            "no server binary at {} (build it: cargo build --release -p server, or say --server PATH)",
            server.display()
        );
    }

    // The HTTP ceiling, once: it does not depend on the database.
    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let empty = {
        let _process = Process(
            Command::new(sibling("bench")?)
                .args(["empty-server", "--addr", &format!("127.0.0.1:{port}")])
                .stdout(Stdio::null())
                .spawn()
                .context("starting the empty server")?,
        );
        wait_until_up(&base, "/").await?;
        let devices = Arc::new(vec![Device {
            cookie: format!("{}={}", app::auth::session::COOKIE_NAME, "x".repeat(43)),
        }]);
        eprintln!("the HTTP ceiling");
        http_load(&base, devices, &shape, "empty", false).await
    };

    let mut results = Vec::new();
    if sqlite {
        let database = FreshDatabase::sqlite("load");
        let outcome = engine_run("SQLite", &database.url, &shape, &server).await;
        database.remove().await?;
        results.push(("SQLite", outcome?));
    }
    if let Some(admin) = postgres {
        let database = FreshDatabase::postgres(&admin, "load").await?;
        let outcome = engine_run("PostgreSQL", &database.url, &shape, &server).await;
        database.remove().await?;
        results.push(("PostgreSQL", outcome?));
    }

    println!(
        "concurrency {}, {} staff, {} s measured after {} s warm-up per target",
        shape.concurrency, shape.staff, shape.seconds, shape.warmup
    );
    println!("| engine | target | ok | errors | per second | p50 | p95 | p99 |");
    println!("|---|---|---|---|---|---|---|---|");
    println!("{}", empty.row("—", "HTTP ceiling: empty axum handler"));
    for (engine, (app, ceiling)) in &results {
        println!(
            "{}",
            ceiling.row(engine, "database ceiling: store.record_recovery")
        );
        println!("{}", app.row(engine, "app: POST /api/log-recovery"));
    }
    println!();
    println!("| engine | ratio | throughput | p50 | p95 | p99 |");
    println!("|---|---|---|---|---|---|");
    for (engine, (app, ceiling)) in &results {
        println!("{}", ratio_line(engine, app, ceiling, "database ceiling"));
        println!("{}", ratio_line(engine, app, &empty, "HTTP ceiling"));
    }
    for (what, figures) in std::iter::once(("HTTP ceiling", &empty)).chain(
        results
            .iter()
            .flat_map(|(_, (app, ceiling))| [("app", app), ("database ceiling", ceiling)]),
    ) {
        if let Some(error) = &figures.first_error {
            eprintln!("{what}: {} errors, the first: {error}", figures.errors);
        }
    }
    Ok(())
}

//! Benchmarks and the large-history seeder (not timed tests; see docs/BENCHMARKS.md).
//!
//!   bench seed    --database URL [--recoveries N --people P --locations L --months M]
//!   bench summary [--sqlite] [--postgres ADMIN_URL] [--recoveries N ...] [--runs R]
//!   bench load    [--sqlite] [--postgres ADMIN_URL] [--concurrency C --staff S --seconds T]
//!   bench sign-ins [--burst N --small N --pairs N]
//!
//! `seed` writes a deterministic history straight into the ledger tables in bulk (budget days
//! first, then recoveries, decisions, reversals and follow-ups, consistent with each other:
//! each budget day's spent total is the sum of its posted, unreversed recoveries). `summary`
//! seeds a fresh database per engine, then times the monthly summary of the last month against
//! a plain aggregate over the same month (the baseline), in the same run. `load` drives the
//! real server over HTTP against its two ceilings (see `load.rs`).

mod load;
mod sign_ins;
mod simulate;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use app::{
    domain::{
        budget_day::parse_time_zone,
        money::Currency,
        org::{Industry, Role},
        policy::{BudgetPolicy, PolicyScope},
        summary::Month,
    },
    store::{
        organisations::{NewOrganisation, NewPerson},
        PoolSettings, Store,
    },
};
use chrono::{DateTime, Duration as Span, NaiveDate, TimeZone, Utc};
use clap::{Args, Parser, Subcommand};
use rand::{rngs::StdRng, Rng, SeedableRng};
use sqlx::QueryBuilder;

#[derive(Parser)]
#[command(about = "Goodwill benchmarks and the large-history seeder")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Seed a history into a database (created and migrated if needed).
    Seed {
        #[arg(long)]
        database: String,
        #[command(flatten)]
        shape: Shape,
    },
    /// Time the monthly summary against a plain aggregate over the same month.
    Summary {
        /// Run on a fresh SQLite file.
        #[arg(long)]
        sqlite: bool,
        /// Run on a database already seeded by `bench seed` (its latest bench organisation).
        #[arg(long)]
        existing: Option<String>,
        /// Run on a fresh database on this PostgreSQL server (dropped afterwards).
        #[arg(long)]
        postgres: Option<String>,
        #[arg(long, default_value_t = 5)]
        runs: usize,
        #[command(flatten)]
        shape: Shape,
    },
    /// Log recoveries over HTTP at a given concurrency; compare with the database and HTTP
    /// ceilings measured in the same run.
    Load {
        /// Run the app on a fresh SQLite file.
        #[arg(long)]
        sqlite: bool,
        /// Run the app on a fresh database on this PostgreSQL server (dropped afterwards).
        #[arg(long)]
        postgres: Option<String>,
        #[command(flatten)]
        shape: load::LoadShape,
    },
    /// A burst of sign-ins: the server's peak memory (hashing is bounded), and known against
    /// unknown usernames (answers and times).
    SignIns {
        #[command(flatten)]
        shape: sign_ins::SignInShape,
    },
    /// Run the simulator for many seeds; exits non-zero on a counterexample.
    Simulate {
        /// On a fresh SQLite file.
        #[arg(long)]
        sqlite: bool,
        /// On a fresh database on this PostgreSQL server (dropped afterwards).
        #[arg(long)]
        postgres: Option<String>,
        #[command(flatten)]
        shape: simulate::SimulateShape,
    },
    /// The HTTP ceiling's empty handler (started by `load`).
    #[command(hide = true)]
    EmptyServer {
        #[arg(long)]
        addr: std::net::SocketAddr,
    },
}

#[derive(Args, Clone, Copy, Debug)]
struct Shape {
    #[arg(long, default_value_t = 1_000_000)]
    recoveries: usize,
    #[arg(long, default_value_t = 2_000)]
    people: usize,
    #[arg(long, default_value_t = 10)]
    locations: usize,
    #[arg(long, default_value_t = 12)]
    months: u32,
    #[arg(long, default_value_t = 7)]
    seed: u64,
}

/// The history ends with October 2026; "now" is early November.
fn last_month() -> Month {
    Month::parse("2026-10").expect("month")
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 5, 12, 0, 0).unwrap()
}

const DAILY: i64 = 5_000;
const CAP: i64 = 3_000;
const CATEGORIES: [&str; 12] = [
    "room-not-ready",
    "noise",
    "housekeeping-miss",
    "billing-error",
    "slow-check-in",
    "maintenance",
    "fnb-order-wrong",
    "fnb-slow-service",
    "reservation-error",
    "amenity-missing",
    "wi-fi",
    "staff-attitude",
];
const TOUCHPOINTS: [&str; 8] = [
    "front-desk",
    "housekeeping",
    "restaurant",
    "bar",
    "room-service",
    "concierge",
    "spa",
    "valet",
];
const CHANNELS: [&str; 4] = ["in-person", "in-person", "phone", "email"];
const SEVERITIES: [&str; 4] = ["low", "medium", "medium", "high"];
const REACTIONS: [&str; 4] = ["delighted", "satisfied", "neutral", "still-unhappy"];

struct Person {
    id: i64,
    location_id: i64,
    team_id: i64,
}

struct Seeded {
    organisation_id: i64,
    location_id: i64,
}

#[tokio::main]
async fn main() -> Result<()> {
    match Cli::parse().command {
        Command::Load {
            sqlite,
            postgres,
            shape,
        } => load::run(sqlite, postgres, shape).await,
        Command::EmptyServer { addr } => load::empty_server(addr).await,
        Command::SignIns { shape } => sign_ins::run(shape).await,
        Command::Simulate {
            sqlite,
            postgres,
            shape,
        } => simulate::run(sqlite, postgres, shape).await,
        Command::Seed { database, shape } => {
            let store = connect(&database).await?;
            let started = Instant::now();
            seed(&store, shape).await?;
            let took = started.elapsed();
            println!(
                "seeded {} recoveries in {:.1} s ({:.0} recoveries/s)",
                shape.recoveries,
                took.as_secs_f64(),
                shape.recoveries as f64 / took.as_secs_f64()
            );
            Ok(())
        }
        Command::Summary {
            sqlite,
            existing,
            postgres,
            runs,
            shape,
        } => {
            if !sqlite && postgres.is_none() && existing.is_none() {
                bail!("say --sqlite, --postgres ADMIN_URL, --existing URL, or several");
            }
            println!(
                "history: {} recoveries, {} people, {} locations, {} months; {runs} runs each, median",
                shape.recoveries, shape.people, shape.locations, shape.months
            );
            println!("| engine | what | baseline: plain aggregate | monthly summary | ratio |");
            println!("|---|---|---|---|---|");
            if let Some(url) = &existing {
                let engine = if url.starts_with("sqlite:") {
                    "SQLite"
                } else {
                    "PostgreSQL"
                };
                let store = connect(url).await?;
                let seeded = latest_bench_organisation(&store).await?;
                time_summary(engine, &store, &seeded, runs).await?;
                store.close().await;
            }
            if sqlite {
                let database = FreshDatabase::sqlite("bench");
                let outcome = summary_bench("SQLite", &database.url, shape, runs).await;
                database.remove().await?;
                outcome?;
            }
            if let Some(admin) = postgres {
                let database = FreshDatabase::postgres(&admin, "bench").await?;
                let outcome = summary_bench("PostgreSQL", &database.url, shape, runs).await;
                database.remove().await?;
                outcome?;
            }
            Ok(())
        }
    }
}

/// A fresh database for one bench run: a new SQLite file in the temp directory, or a new
/// database on a PostgreSQL server. `remove` deletes it.
pub(crate) struct FreshDatabase {
    pub url: String,
    place: Place,
}

enum Place {
    File(std::path::PathBuf),
    Server { admin: sqlx::PgPool, name: String },
}

impl FreshDatabase {
    pub fn sqlite(purpose: &str) -> FreshDatabase {
        let path =
            std::env::temp_dir().join(format!("goodwill-{purpose}-{}.db", std::process::id()));
        FreshDatabase {
            url: format!("sqlite:{}", path.display()),
            place: Place::File(path),
        }
    }

    /// `admin`: a URL of the server's maintenance database (e.g. …/postgres).
    pub async fn postgres(admin: &str, purpose: &str) -> Result<FreshDatabase> {
        let name = format!("goodwill_{purpose}_{}", std::process::id());
        let pool = sqlx::PgPool::connect(admin)
            .await
            .with_context(|| format!("PostgreSQL at {admin}"))?;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&pool)
            .await?;
        let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
        Ok(FreshDatabase {
            url: format!("{base}/{name}"),
            place: Place::Server { admin: pool, name },
        })
    }

    /// A throwaway database need not wait for the disk at each commit: the simulator checks
    /// the rules, not durability, and runs thousands of seeds. (SQLite files are left as
    /// the store opens them.)
    pub async fn without_commit_flush(&self) -> Result<()> {
        if let Place::Server { admin, name } = &self.place {
            sqlx::query(&format!(
                "ALTER DATABASE {name} SET synchronous_commit = off"
            ))
            .execute(admin)
            .await?;
        }
        Ok(())
    }

    pub async fn remove(self) -> Result<()> {
        match self.place {
            Place::File(path) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Place::Server { admin, name } => {
                sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&admin)
                    .await?;
                admin.close().await;
            }
        }
        Ok(())
    }
}

async fn connect(url: &str) -> Result<Store> {
    let store = Store::connect(url, &PoolSettings::default()).await?;
    store.migrate().await?;
    Ok(store)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort_unstable();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

async fn summary_bench(engine: &str, url: &str, shape: Shape, runs: usize) -> Result<()> {
    let store = connect(url).await?;
    let started = Instant::now();
    let seeded = seed(&store, shape).await?;
    eprintln!(
        "{engine}: seeded {} recoveries in {:.1} s",
        shape.recoveries,
        started.elapsed().as_secs_f64()
    );
    time_summary(engine, &store, &seeded, runs).await?;
    store.close().await;
    Ok(())
}

/// The organisation the last `bench seed` made, and its first location.
async fn latest_bench_organisation(store: &Store) -> Result<Seeded> {
    let sql_org = "SELECT id FROM organisations WHERE slug LIKE 'bench-%' ORDER BY id DESC LIMIT 1";
    let sql_location = "SELECT MIN(id) FROM locations WHERE organisation_id = $1";
    let (organisation_id, location_id): (i64, i64) = match store {
        Store::Sqlite(pool) => {
            let org: i64 = sqlx::query_scalar(sql_org).fetch_one(pool).await?;
            (
                org,
                sqlx::query_scalar(sql_location)
                    .bind(org)
                    .fetch_one(pool)
                    .await?,
            )
        }
        Store::Postgres(pool) => {
            let org: i64 = sqlx::query_scalar(sql_org).fetch_one(pool).await?;
            (
                org,
                sqlx::query_scalar(sql_location)
                    .bind(org)
                    .fetch_one(pool)
                    .await?,
            )
        }
    };
    Ok(Seeded {
        organisation_id,
        location_id,
    })
}

async fn time_summary(engine: &str, store: &Store, seeded: &Seeded, runs: usize) -> Result<()> {
    let store = store.clone();
    let month = last_month();
    let org = seeded.organisation_id;
    for (what, location) in [
        ("whole organisation", None),
        ("one location", Some(seeded.location_id)),
    ] {
        // Warm up once (caches, prepared statements), then measure.
        let counted = baseline(&store, org, location, month).await?;
        app::summary::compute(&store, org, location, month, now())
            .await
            .map_err(|e| anyhow::anyhow!("summary: {e}"))?;
        let (mut base, mut full) = (Vec::new(), Vec::new());
        for _ in 0..runs {
            let t = Instant::now();
            baseline(&store, org, location, month).await?;
            base.push(t.elapsed());
            let t = Instant::now();
            let s = app::summary::compute(&store, org, location, month, now())
                .await
                .map_err(|e| anyhow::anyhow!("summary: {e}"))?;
            full.push(t.elapsed());
            assert_eq!(s.headline.recoveries + s.headline.reversed, counted);
        }
        let (b, f) = (median(base), median(full));
        println!(
            "| {engine} | {what}, {} ({counted} recoveries) | {} | {} | {:.1}× |",
            month.label(),
            ms(b),
            ms(f),
            f.as_secs_f64() / b.as_secs_f64()
        );
    }
    Ok(())
}

/// The baseline: count and sum one month's recoveries, nothing else.
async fn baseline(store: &Store, org: i64, location: Option<i64>, month: Month) -> Result<i64> {
    let within = if location.is_some() {
        "location_id = $4"
    } else {
        "CAST($4 AS BIGINT) IS NULL"
    };
    let sql = format!(
        "SELECT COUNT(*), CAST(COALESCE(SUM(amount_minor), 0) AS BIGINT) FROM recoveries
         WHERE organisation_id = $1 AND budget_date >= $2 AND budget_date <= $3 AND {within}"
    );
    let (count, _sum): (i64, i64) = match store {
        Store::Sqlite(pool) => {
            sqlx::query_as(&sql)
                .bind(org)
                .bind(month.first_day())
                .bind(month.last_day())
                .bind(location)
                .fetch_one(pool)
                .await?
        }
        Store::Postgres(pool) => {
            sqlx::query_as(&sql)
                .bind(org)
                .bind(month.first_day())
                .bind(month.last_day())
                .bind(location)
                .fetch_one(pool)
                .await?
        }
    };
    Ok(count)
}

/// One generated recovery, before it has an id.
struct Draft {
    person: usize,
    day: NaiveDate,
    at: DateTime<Utc>,
    amount: i64,
    covered: i64,
    excess: i64,
    category: &'static str,
    touchpoint: &'static str,
    channel: &'static str,
    severity: &'static str,
    reaction: &'static str,
    follow_up: Option<DateTime<Utc>>,
    /// approved amount and outcome, for an excess.
    decision: Option<(&'static str, i64)>,
    reversed: bool,
    completed: Option<DateTime<Utc>>,
}

/// Seeds the organisation, its people and the history. Deterministic for a given shape.
async fn seed(store: &Store, shape: Shape) -> Result<Seeded> {
    let mut rng = StdRng::seed_from_u64(shape.seed);
    let start = now() - Span::days(400);
    let zone = parse_time_zone("Europe/Lisbon").map_err(|e| anyhow::anyhow!("{e}"))?;
    let eur = Currency::parse("EUR").map_err(|e| anyhow::anyhow!("{e}"))?;
    let slug = format!("bench-{}-{}", std::process::id(), rng.gen::<u32>());
    let organisation = store
        .create_organisation(
            &NewOrganisation {
                name: "Bench Hotels",
                slug: &slug,
                industry: Industry::Hotel,
                currency: eur,
                time_zone: zone,
            },
            start,
        )
        .await?;
    let org = organisation.id;
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Organisation, DAILY, Some(CAP))
                .map_err(|e| anyhow::anyhow!("{e}"))?,
            start,
        )
        .await?;
    let mut people = Vec::with_capacity(shape.people);
    let mut first_location = 0;
    let per_location = shape.people.div_ceil(shape.locations.max(1));
    for l in 0..shape.locations.max(1) {
        let location = store
            .create_location(org, &format!("Hotel {}", l + 1), zone, eur, start)
            .await?;
        if l == 0 {
            first_location = location.id;
        }
        let mut teams = Vec::new();
        for t in [
            "Front desk",
            "Housekeeping",
            "Restaurant",
            "Bar",
            "Concierge",
        ] {
            teams.push(
                store
                    .create_team(org, location.id, t, None, start)
                    .await?
                    .id,
            );
        }
        for i in 0..per_location {
            if people.len() == shape.people {
                break;
            }
            let n = people.len();
            let username = format!("p{n}");
            let name = format!("Person {n}");
            let team_id = teams[i % teams.len()];
            let person = store
                .create_person(
                    &NewPerson {
                        organisation_id: org,
                        location_id: location.id,
                        team_id: Some(team_id),
                        display_name: &name,
                        username: &username,
                        email: None,
                        password_hash: None,
                        pin_hash: None,
                    },
                    start,
                )
                .await?;
            store
                .grant_role(org, person.id, Role::Staff, Some(location.id), start)
                .await?;
            people.push(Person {
                id: person.id,
                location_id: location.id,
                team_id,
            });
        }
    }
    let decider = people.first().map(|p| p.id).context("no people")?;

    // Months oldest first, ending with the last month.
    let mut months = vec![last_month()];
    while months.len() < shape.months as usize {
        let earlier = months[months.len() - 1].previous();
        months.push(earlier);
    }
    months.reverse();
    let per_month = shape.recoveries / months.len();
    let mut serial = 0_u64;
    for (index, month) in months.iter().enumerate() {
        let count = if index + 1 == months.len() {
            shape.recoveries - per_month * (months.len() - 1)
        } else {
            per_month
        };
        let days = month.days();
        let mut drafts: Vec<Draft> = (0..count)
            .map(|_| {
                let day = month.first_day() + Span::days(rng.gen_range(0..i64::from(days)));
                // 07:00 to 22:59 local; Lisbon is UTC or UTC+1, so take UTC hours 7 to 21.
                let at = Utc.from_utc_datetime(
                    &day.and_hms_opt(rng.gen_range(7..22), rng.gen_range(0..60), 0)
                        .unwrap(),
                );
                let amount = if rng.gen_bool(0.3) {
                    0
                } else {
                    rng.gen_range(2..=80) * 50
                };
                let follow_up = rng.gen_bool(0.1).then(|| at + Span::hours(24));
                Draft {
                    person: rng.gen_range(0..people.len()),
                    day,
                    at,
                    amount,
                    covered: 0,
                    excess: 0,
                    category: CATEGORIES[rng.gen_range(0..CATEGORIES.len())],
                    touchpoint: TOUCHPOINTS[rng.gen_range(0..TOUCHPOINTS.len())],
                    channel: CHANNELS[rng.gen_range(0..CHANNELS.len())],
                    severity: SEVERITIES[rng.gen_range(0..SEVERITIES.len())],
                    reaction: REACTIONS[rng.gen_range(0..REACTIONS.len())],
                    follow_up,
                    decision: None,
                    reversed: false,
                    completed: follow_up
                        .filter(|_| rng.gen_bool(0.8))
                        .map(|due| due - Span::hours(rng.gen_range(-12..20))),
                }
            })
            .collect();
        drafts.sort_by_key(|d| (d.person, d.day, d.at));
        // The budget rule: a recovery posts up to the cap and what is left of the day's
        // allowance; the excess waits for a supervisor (here always decided).
        let mut budget: HashMap<(usize, NaiveDate), (i64, i64)> = HashMap::new();
        for d in &mut drafts {
            let (spent, approved) = budget.entry((d.person, d.day)).or_insert((0, 0));
            d.covered = d.amount.min(CAP).min(DAILY - *spent);
            d.excess = d.amount - d.covered;
            if d.excess > 0 {
                let roll = rng.gen_range(0..20);
                d.decision = Some(match roll {
                    0..=13 => ("approved", d.excess),
                    14..=16 => ("partly-approved", d.excess / 2),
                    _ => ("denied", 0),
                });
            } else if d.amount > 0 && rng.gen_range(0..100) == 0 {
                d.reversed = true;
            }
            if !d.reversed {
                *spent += d.covered;
                *approved += d.decision.map_or(0, |(_, a)| a);
            }
        }
        // Budget days first (the recoveries refer to them).
        let mut day_rows: Vec<_> = budget.iter().collect();
        day_rows.sort_by_key(|(k, _)| **k);
        for chunk in day_rows.chunks(2_000) {
            macro_rules! insert_days {
                ($pool:expr, $db:ty) => {{
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO budget_days (person_id, budget_date, organisation_id, location_id, currency, allowance_minor, spent_minor, approved_excess_minor) ",
                    );
                    q.push_values(chunk, |mut b, ((person, day), (spent, approved))| {
                        let p = &people[*person];
                        b.push_bind(p.id)
                            .push_bind(*day)
                            .push_bind(org)
                            .push_bind(p.location_id)
                            .push_bind("EUR")
                            .push_bind(DAILY)
                            .push_bind(*spent)
                            .push_bind(*approved);
                    });
                    q.build().execute($pool).await?;
                }};
            }
            match store {
                Store::Sqlite(pool) => insert_days!(pool, sqlx::Sqlite),
                Store::Postgres(pool) => insert_days!(pool, sqlx::Postgres),
            }
        }
        for chunk in drafts.chunks(1_000) {
            let keys: Vec<String> = chunk
                .iter()
                .map(|_| {
                    serial += 1;
                    format!("seed-{serial}")
                })
                .collect();
            macro_rules! insert_chunk {
                ($pool:expr, $db:ty) => {{
                    let mut tx = $pool.begin().await?;
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO recoveries (organisation_id, location_id, team_id, person_id, recorded_by,
                            budget_date, occurred_at, recorded_at, touchpoint, channel, category,
                            severity, remedy, amount_minor, currency, reaction, cause,
                            follow_up_due_at, covered_minor, excess_minor, idempotency_key, request_hash) ",
                    );
                    q.push_values(chunk.iter().zip(&keys), |mut b, (d, key)| {
                        let p = &people[d.person];
                        b.push_bind(org)
                            .push_bind(p.location_id)
                            .push_bind(p.team_id)
                            .push_bind(p.id)
                            .push_bind(p.id)
                            .push_bind(d.day)
                            .push_bind(d.at)
                            .push_bind(d.at + Span::minutes(2))
                            .push_bind(d.touchpoint)
                            .push_bind(d.channel)
                            .push_bind(d.category)
                            .push_bind(d.severity)
                            .push_bind(if d.amount == 0 { "fix-or-apology" } else { "complimentary-item" })
                            .push_bind(d.amount)
                            .push_bind("EUR")
                            .push_bind(d.reaction)
                            .push_bind(if d.amount % 3 == 0 { Some("process") } else { None })
                            .push_bind(d.follow_up)
                            .push_bind(d.covered)
                            .push_bind(d.excess)
                            .push_bind(key.as_str())
                            .push_bind("seed");
                    });
                    q.push(" RETURNING id, idempotency_key");
                    let ids: Vec<(i64, String)> = q.build_query_as().fetch_all(&mut *tx).await?;
                    let ids: HashMap<String, i64> = ids.into_iter().map(|(id, k)| (k, id)).collect();
                    let of = |key: &String| ids[key];
                    // Each recovery's personal fields, as the store writes them.
                    let mut q = QueryBuilder::<$db>::new(
                        "INSERT INTO recovery_personal (recovery_id, organisation_id, location_id, recorded_at,
                            description) ",
                    );
                    q.push_values(chunk.iter().zip(&keys), |mut b, (d, key)| {
                        b.push_bind(of(key))
                            .push_bind(org)
                            .push_bind(people[d.person].location_id)
                            .push_bind(d.at + Span::minutes(2))
                            .push_bind("Seeded recovery for the benchmark");
                    });
                    q.build().execute(&mut *tx).await?;
                    let decided: Vec<(&Draft, &String)> =
                        chunk.iter().zip(&keys).filter(|(d, _)| d.decision.is_some()).collect();
                    if !decided.is_empty() {
                        let mut q = QueryBuilder::<$db>::new(
                            "INSERT INTO approval_decisions (organisation_id, recovery_id, decided_by, outcome,
                                approved_minor, reason, decided_at, idempotency_key, request_hash) ",
                        );
                        q.push_values(&decided, |mut b, (d, key)| {
                            let (outcome, approved) = d.decision.unwrap_or(("denied", 0));
                            b.push_bind(org)
                                .push_bind(of(key))
                                .push_bind(decider)
                                .push_bind(outcome)
                                .push_bind(approved)
                                .push_bind((outcome != "approved").then_some("Over the usual for this"))
                                .push_bind(d.at + Span::minutes(20))
                                .push_bind(format!("{key}-d"))
                                .push_bind("seed");
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                    let reversed: Vec<(&Draft, &String)> =
                        chunk.iter().zip(&keys).filter(|(d, _)| d.reversed).collect();
                    if !reversed.is_empty() {
                        let mut q = QueryBuilder::<$db>::new(
                            "INSERT INTO reversals (organisation_id, recovery_id, reversed_by, reason,
                                reversed_covered_minor, reversed_approved_minor, reversed_at, idempotency_key, request_hash) ",
                        );
                        q.push_values(&reversed, |mut b, (d, key)| {
                            b.push_bind(org)
                                .push_bind(of(key))
                                .push_bind(decider)
                                .push_bind("Entered twice")
                                .push_bind(d.covered)
                                .push_bind(0_i64)
                                .push_bind(d.at + Span::hours(3))
                                .push_bind(format!("{key}-r"))
                                .push_bind("seed");
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                    let completed: Vec<(&Draft, &String)> =
                        chunk.iter().zip(&keys).filter(|(d, _)| d.completed.is_some()).collect();
                    if !completed.is_empty() {
                        let mut q = QueryBuilder::<$db>::new(
                            "INSERT INTO follow_up_completions (organisation_id, recovery_id, completed_by, note, completed_at) ",
                        );
                        q.push_values(&completed, |mut b, (d, key)| {
                            b.push_bind(org)
                                .push_bind(of(key))
                                .push_bind(people[d.person].id)
                                .push_bind("Called back")
                                .push_bind(d.completed);
                        });
                        q.build().execute(&mut *tx).await?;
                    }
                    tx.commit().await?;
                }};
            }
            match store {
                Store::Sqlite(pool) => insert_chunk!(pool, sqlx::Sqlite),
                Store::Postgres(pool) => insert_chunk!(pool, sqlx::Postgres),
            }
        }
        eprintln!("  {}: {count} recoveries", month.label());
    }
    match store {
        Store::Sqlite(pool) => {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
        Store::Postgres(pool) => {
            sqlx::query("ANALYZE").execute(pool).await?;
        }
    }
    Ok(Seeded {
        organisation_id: org,
        location_id: first_location,
    })
}

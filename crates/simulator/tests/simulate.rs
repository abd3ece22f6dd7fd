//! The simulator in the test command: a bounded number of seeds on SQLite and on PostgreSQL
//! (GOODWILL_SIM_SEEDS seeds of GOODWILL_SIM_STEPS steps each; defaults below). Each
//! database is created for the run and dropped afterwards. A failure is shrunk and printed
//! with its seed, so `bench simulate --seed N` replays it.

use std::time::Instant;

use store::{PoolSettings, Store};

#[path = "../../../app/tests/support/database.rs"]
mod database;

use database::{Kind, TestDatabase};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

async fn simulate(kind: Kind) {
    let database = TestDatabase::create(kind).await;
    let store = Store::connect(
        &database.url,
        &PoolSettings {
            max_connections: 4,
            ..Default::default()
        },
    )
    .await
    .expect("connect");
    store.migrate().await.expect("migrate");
    let seeds = setting("GOODWILL_SIM_SEEDS", 24);
    let steps = setting("GOODWILL_SIM_STEPS", 60) as usize;
    let first = setting("GOODWILL_SIM_FIRST_SEED", 1);
    let started = Instant::now();
    let mut total = simulator::Tally::default();
    for seed in first..first + seeds {
        let actions = simulator::generate(seed, steps);
        match simulator::run(&store, seed, &actions, 0).await {
            Ok(tally) => total.add(&tally),
            Err(failure) => {
                let (shrunk, failure) = simulator::shrink(&store, seed, &actions, failure).await;
                let mut report = format!("{failure}\nshrunk to {} actions:\n", shrunk.len());
                for (i, action) in shrunk.iter().enumerate() {
                    report.push_str(&format!("  {i}: {action:?}\n"));
                }
                panic!("{kind:?}: the simulator found a counterexample\n{report}");
            }
        }
    }
    eprintln!(
        "{kind:?}: {seeds} seeds × {steps} steps in {:.1} s: {} succeeded, {} refused, {} recoveries",
        started.elapsed().as_secs_f64(),
        total.succeeded,
        total.refused,
        total.recoveries
    );
    assert!(
        total.succeeded > 0 && total.refused > 0,
        "the run exercised nothing"
    );
    store.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_seed_breaks_a_promise_on_sqlite() {
    simulate(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_seed_breaks_a_promise_on_postgres() {
    simulate(Kind::Postgres).await;
}

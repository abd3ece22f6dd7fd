//! `bench simulate`: the simulator for as many seeds as you like, on a fresh SQLite file
//! and/or a fresh PostgreSQL database (both removed afterwards). The test command runs a
//! few dozen seeds; this is how thousands are run. A counterexample is shrunk and printed
//! with its seed, and the command exits non-zero.

use std::{
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc,
    },
    time::Instant,
};

use anyhow::{bail, Result};
use app::store::Store;

use crate::{connect, FreshDatabase};

#[derive(clap::Args, Clone, Copy, Debug)]
pub struct SimulateShape {
    /// How many seeds.
    #[arg(long, default_value_t = 1_000)]
    pub seeds: u64,
    /// The first seed (seeds run first, first+1, …).
    #[arg(long, default_value_t = 1)]
    pub first: u64,
    /// Actions per seed.
    #[arg(long, default_value_t = 60)]
    pub steps: usize,
    /// Seeds run at once.
    #[arg(long, default_value_t = 2)]
    pub jobs: u64,
}

pub async fn run(sqlite: bool, postgres: Option<String>, shape: SimulateShape) -> Result<()> {
    if !sqlite && postgres.is_none() {
        bail!("say --sqlite, --postgres ADMIN_URL, or both");
    }
    let mut failed = false;
    if sqlite {
        let database = FreshDatabase::sqlite("simulate");
        let outcome = on("SQLite", &database.url, shape).await;
        database.remove().await?;
        failed |= !outcome?;
    }
    if let Some(admin) = postgres {
        let database = FreshDatabase::postgres(&admin, "simulate").await?;
        database.without_commit_flush().await?;
        let outcome = on("PostgreSQL", &database.url, shape).await;
        database.remove().await?;
        failed |= !outcome?;
    }
    if failed {
        bail!("the simulator found a counterexample");
    }
    Ok(())
}

/// Runs the seeds on one database; true when none broke a promise.
async fn on(engine: &str, url: &str, shape: SimulateShape) -> Result<bool> {
    let store = Arc::new(connect(url).await?);
    let started = Instant::now();
    let jobs = shape.jobs.max(1);
    // Seeds finished so far, for a progress line every 500.
    let done = Arc::new(AtomicU64::new(0));
    let engine_name = engine.to_string();
    let mut tasks = Vec::new();
    for job in 0..jobs {
        let store = store.clone();
        let done = done.clone();
        let engine = engine_name.clone();
        tasks.push(tokio::spawn(async move {
            let mut total = simulator::Tally::default();
            let mut seed = shape.first + job;
            while seed < shape.first + shape.seeds {
                let actions = simulator::generate(seed, shape.steps);
                match simulator::run(&store, seed, &actions, 0).await {
                    Ok(tally) => total.add(&tally),
                    Err(failure) => return Err(report(&store, seed, &actions, failure).await),
                }
                let finished = done.fetch_add(1, Ordering::Relaxed) + 1;
                if finished.is_multiple_of(500) {
                    eprintln!(
                        "{engine}: {finished} seeds, no counterexample, {:.0} s",
                        started.elapsed().as_secs_f64()
                    );
                }
                seed += jobs;
            }
            Ok(total)
        }));
    }
    let mut total = simulator::Tally::default();
    let mut ok = true;
    for task in tasks {
        match task.await? {
            Ok(tally) => total.add(&tally),
            Err(report) => {
                eprintln!("{engine}: {report}");
                ok = false;
            }
        }
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{engine}: {} seeds × {} steps from seed {} in {seconds:.1} s ({:.1} seeds/s): {} actions succeeded, {} refused, {} recoveries; {}",
        shape.seeds,
        shape.steps,
        shape.first,
        shape.seeds as f64 / seconds,
        total.succeeded,
        total.refused,
        total.recoveries,
        if ok { "no counterexample" } else { "COUNTEREXAMPLE" }
    );
    store.close().await;
    Ok(ok)
}

async fn report(
    store: &Store,
    seed: u64,
    actions: &[simulator::Action],
    failure: simulator::Failure,
) -> String {
    let (shrunk, failure) = simulator::shrink(store, seed, actions, failure).await;
    let mut out = format!("{failure}\nshrunk to {} actions:\n", shrunk.len());
    for (i, action) in shrunk.iter().enumerate() {
        out.push_str(&format!("  {i}: {action:?}\n"));
    }
    out
}

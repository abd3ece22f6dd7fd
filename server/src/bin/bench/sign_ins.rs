//! `bench sign-ins`: what a burst of sign-ins costs the server, and whether a known and an
//! unknown username can be told apart by their answers.
//!
//! Starts the real server on a fresh SQLite file behind a trusted proxy (so that every request
//! can come from an address of its own, and no throttle stops it before the hash), then:
//!
//! 1. **Memory.** Fires a small burst (the ceiling: what a handful of concurrent hashes take)
//!    and then a large one of wrong sign-ins at once, each for a username of its own from an
//!    address of its own, and reads the server's peak resident memory (`VmHWM`) after each.
//!    With hashing bounded, the large burst's peak stays near the small one's; unbounded, it
//!    would grow with the burst (19 MiB per hash in flight).
//! 2. **Known and unknown usernames.** Alternates wrong passwords for a known username and for
//!    an unknown one (each attempt from an address of its own, fewer than the per-username
//!    limit) and compares the answers' statuses and median times.

use std::{
    collections::BTreeMap,
    path::PathBuf,
    process::{Command, Stdio},
    sync::Arc,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use app::store::{PoolSettings, Store};
use clap::Args;

use crate::{
    load::{free_port, organisation, sibling, wait_until_up, Process},
    FreshDatabase,
};

#[derive(Args, Clone, Debug)]
pub struct SignInShape {
    /// Sign-ins at once in the large burst.
    #[arg(long, default_value_t = 500)]
    pub burst: usize,
    /// Sign-ins at once in the small burst (the ceiling).
    #[arg(long, default_value_t = 8)]
    pub small: usize,
    /// Known and unknown usernames compared, each (below the 50 failures one username may
    /// collect from everywhere in 15 minutes, so that neither is throttled).
    #[arg(long, default_value_t = 40)]
    pub pairs: usize,
    /// The server binary; default: `server` beside this one.
    #[arg(long)]
    pub server: Option<PathBuf>,
}

/// The server's resident memory now and at its peak, in MiB, from /proc.
fn memory(pid: u32) -> Result<(f64, f64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    let field = |name: &str| -> Result<f64> {
        let line = status
            .lines()
            .find(|l| l.starts_with(name))
            .with_context(|| format!("no {name} in /proc/{pid}/status"))?;
        let kib: f64 = line
            .split_whitespace()
            .nth(1)
            .context("a /proc field without a value")?
            .parse()?;
        Ok(kib / 1024.0)
    };
    Ok((field("VmRSS:")?, field("VmHWM:")?))
}

/// One wrong sign-in as a browser sends it, from `address` (through the trusted proxy).
async fn attempt(
    client: &reqwest::Client,
    base: &str,
    organisation: &str,
    username: &str,
    address: &str,
) -> Result<(u16, Duration)> {
    let started = Instant::now();
    let answer = client
        .post(format!("{base}/api/sign-in"))
        .header("origin", base)
        .header("accept", "application/json")
        .header("x-forwarded-for", address)
        .form(&[
            ("organisation", organisation),
            ("username", username),
            ("password", "not the password at all"),
        ])
        .send()
        .await?;
    let status = answer.status().as_u16();
    let _ = answer.bytes().await;
    Ok((status, started.elapsed()))
}

/// `n` wrong sign-ins at once, each for a username and from an address of its own.
async fn burst(
    client: &reqwest::Client,
    base: &str,
    n: usize,
    label: &str,
) -> Result<BTreeMap<u16, usize>> {
    let client = Arc::new(client.clone());
    let tasks: Vec<_> = (0..n)
        .map(|i| {
            let (client, base) = (client.clone(), base.to_string());
            let username = format!("{label}-nobody-{i}");
            let address = format!("10.{}.{}.{}", 1 + i / 65_536, (i / 256) % 256, i % 256);
            tokio::spawn(
                async move { attempt(&client, &base, "signin", &username, &address).await },
            )
        })
        .collect();
    let mut statuses = BTreeMap::new();
    for task in tasks {
        let (status, _) = task.await??;
        *statuses.entry(status).or_insert(0) += 1;
    }
    Ok(statuses)
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub async fn run(shape: SignInShape) -> Result<()> {
    let server = match &shape.server {
        Some(path) => path.clone(),
        None => sibling("server")?,
    };
    if !server.exists() {
        bail!(
            "no server binary at {} (build it: cargo build --release -p server)",
            server.display()
        );
    }
    let database = FreshDatabase::sqlite("sign-ins");
    let outcome = measure(&database.url, &shape, &server).await;
    database.remove().await?;
    outcome
}

async fn measure(url: &str, shape: &SignInShape, server: &PathBuf) -> Result<()> {
    let store = Store::connect(url, &PoolSettings::default()).await?;
    store.migrate().await?;
    let org = organisation(&store, 1, "signin").await?;
    let known = org.people[0].0.clone();
    let slug = org.slug.clone();
    store.close().await;

    let port = free_port()?;
    let base = format!("http://127.0.0.1:{port}");
    let process = Process(
        Command::new(server)
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .env("DATABASE_URL", url)
            .env("RUST_LOG", "error")
            .env("GOODWILL_TRUST_PROXY", "true")
            .env(
                "LEPTOS_OUTPUT_NAME",
                std::env::var("LEPTOS_OUTPUT_NAME").unwrap_or_else(|_| "goodwill".into()),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .with_context(|| format!("starting {}", server.display()))?,
    );
    let pid = process.0.id();
    wait_until_up(&base, "/healthz").await?;
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(shape.burst)
        .timeout(Duration::from_secs(120))
        .build()?;
    // Warm: one sign-in, so the baseline includes a hash's allocations.
    attempt(&client, &base, &slug, "warm-up", "10.255.0.1").await?;
    let (baseline, _) = memory(pid)?;

    let started = Instant::now();
    let small = burst(&client, &base, shape.small, "small").await?;
    let small_time = started.elapsed();
    let (_, small_peak) = memory(pid)?;
    let started = Instant::now();
    let large = burst(&client, &base, shape.burst, "large").await?;
    let large_time = started.elapsed();
    let (after, large_peak) = memory(pid)?;

    let (mut known_times, mut unknown_times) = (Vec::new(), Vec::new());
    let (mut known_statuses, mut unknown_statuses) = (BTreeMap::new(), BTreeMap::new());
    for i in 0..shape.pairs {
        let (status, time) = attempt(
            &client,
            &base,
            &slug,
            &known,
            &format!("10.200.{}.{}", i / 256, i % 256),
        )
        .await?;
        *known_statuses.entry(status).or_insert(0usize) += 1;
        known_times.push(time);
        let unknown = "signin.nobody";
        let (status, time) = attempt(
            &client,
            &base,
            &slug,
            unknown,
            &format!("10.201.{}.{}", i / 256, i % 256),
        )
        .await?;
        *unknown_statuses.entry(status).or_insert(0usize) += 1;
        unknown_times.push(time);
    }
    drop(process);

    println!("server memory, MiB (VmRSS at start {baseline:.1}; after the bursts {after:.1})");
    println!("| burst | answers | time | peak resident memory | growth over the start |");
    println!("|---|---|---|---|---|");
    println!(
        "| {} at once (ceiling) | {small:?} | {} | {small_peak:.1} | {:.1} |",
        shape.small,
        ms(small_time),
        small_peak - baseline
    );
    println!(
        "| {} at once | {large:?} | {} | {large_peak:.1} | {:.1} |",
        shape.burst,
        ms(large_time),
        large_peak - baseline
    );
    println!(
        "ratio: the large burst's peak growth is {:.2}× the ceiling's",
        (large_peak - baseline) / (small_peak - baseline).max(1.0)
    );
    println!();
    let (known_median, unknown_median) = (median(known_times), median(unknown_times));
    println!("| username | answers | median time |");
    println!("|---|---|---|");
    println!(
        "| known ({}) | {known_statuses:?} | {} |",
        shape.pairs,
        ms(known_median)
    );
    println!(
        "| unknown ({}) | {unknown_statuses:?} | {} |",
        shape.pairs,
        ms(unknown_median)
    );
    println!(
        "ratio: unknown ÷ known median time {:.2}",
        unknown_median.as_secs_f64() / known_median.as_secs_f64()
    );
    if known_statuses != unknown_statuses {
        bail!("known and unknown usernames were answered differently");
    }
    Ok(())
}

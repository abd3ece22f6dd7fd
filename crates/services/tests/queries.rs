//! How many statements one use case sends to the database, counted from sqlx's own
//! statement events (target `sqlx::query`), BEGIN, COMMIT, ROLLBACK and a new connection's
//! PRAGMAs left out. One test
//! runs both databases in turn: the counter is process-wide (SQLite runs its statements on a
//! worker thread of its own).

use std::sync::{
    atomic::{AtomicBool, Ordering},
    Mutex, OnceLock,
};

use chrono::{DateTime, TimeZone, Utc};
use domain::{
    budget_day::parse_time_zone,
    money::Currency,
    org::{Industry, Role},
    policy::{BudgetPolicy, PolicyScope},
    recovery::RecoveryForm,
};
use services::{events::LedgerEvents, Actor};
use store::{
    organisations::{NewOrganisation, NewPerson},
    PoolSettings, Store,
};
use tracing_subscriber::{layer::SubscriberExt, Layer};

#[path = "../../../app/tests/support/database.rs"]
mod database;

use database::{Kind, TestDatabase};

static COUNTING: AtomicBool = AtomicBool::new(false);
static STATEMENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Statements;

struct Summary(Option<String>);

impl tracing::field::Visit for Summary {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "summary" {
            self.0 = Some(value.to_string());
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "summary" {
            self.0 = Some(format!("{value:?}"));
        }
    }
}

impl<S: tracing::Subscriber> Layer<S> for Statements {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != "sqlx::query" || !COUNTING.load(Ordering::SeqCst) {
            return;
        }
        let mut summary = Summary(None);
        event.record(&mut summary);
        let summary = summary.0.unwrap_or_default();
        let first = summary
            .trim_matches('"')
            .split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        // PRAGMA: SQLite's set-up of a connection the pool opens (its journal mode, foreign
        // keys), whichever use case happens to need a connection first: not the use case's.
        if !matches!(first.as_str(), "BEGIN" | "COMMIT" | "ROLLBACK" | "PRAGMA") {
            STATEMENTS.lock().unwrap().push(summary);
        }
    }
}

fn install() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let subscriber = tracing_subscriber::registry().with(Statements);
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
    });
}

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 10, 12, 0, 0).unwrap()
}

/// The statements one logged recovery takes, on a database that has seen a few already.
async fn log_one(kind: Kind) -> Vec<String> {
    let database = TestDatabase::create(kind).await;
    let store = Store::connect(&database.url, &PoolSettings::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let zone = parse_time_zone("Europe/Lisbon").unwrap();
    let eur = Currency::parse("EUR").unwrap();
    let org = store
        .create_organisation(
            &NewOrganisation {
                name: "Count",
                slug: "count",
                industry: Industry::Hotel,
                currency: eur,
                time_zone: zone,
            },
            now(),
        )
        .await
        .unwrap()
        .id;
    let location = store
        .create_location(org, "Lisbon", zone, eur, now())
        .await
        .unwrap()
        .id;
    let person = store
        .create_person(
            &NewPerson {
                organisation_id: org,
                location_id: location,
                team_id: None,
                display_name: "Ana",
                username: "ana",
                email: None,
                password_hash: None,
                pin_hash: None,
            },
            now(),
        )
        .await
        .unwrap()
        .id;
    store
        .grant_role(org, person, Role::Staff, Some(location), now())
        .await
        .unwrap();
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Organisation, 5_000, None).unwrap(),
            now(),
        )
        .await
        .unwrap();
    // Low thresholds, so the warm-up proposes an item for the cause and the counted
    // recovery takes the longer path: linking to the open items.
    store
        .set_learning_thresholds(
            org,
            &domain::learning::Thresholds {
                window_days: 28,
                location_occurrences: 2,
                organisation_occurrences: 3,
            },
            now(),
        )
        .await
        .unwrap();
    let actor = Actor::load(&store, org, person).await.unwrap().unwrap();
    let events = LedgerEvents::default();
    let form = |n: i32| RecoveryForm {
        touchpoint: "front-desk".into(),
        category: "room-not-ready".into(),
        remedy: "complimentary-item".into(),
        amount: format!("{n}.00"),
        reaction: "satisfied".into(),
        ..RecoveryForm::default()
    };
    for n in 1..=3 {
        services::ledger::log_recovery(
            &store,
            &events,
            &actor,
            &format!("warm-{n}"),
            &form(n),
            now(),
        )
        .await
        .unwrap();
    }
    STATEMENTS.lock().unwrap().clear();
    COUNTING.store(true, Ordering::SeqCst);
    services::ledger::log_recovery(&store, &events, &actor, "counted", &form(4), now())
        .await
        .unwrap();
    COUNTING.store(false, Ordering::SeqCst);
    let statements = std::mem::take(&mut *STATEMENTS.lock().unwrap());
    let items = store
        .open_item_for(
            org,
            &store::learning::signal_key(Some(location), "room-not-ready", "front-desk"),
        )
        .await
        .unwrap();
    assert!(items.is_some(), "the warm-up should have proposed an item");
    store.close().await;
    statements
}

/// The counter is process-wide: the tests take turns.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_a_recovery_takes_few_statements() {
    let _turn = ONE_AT_A_TIME.lock().await;
    install();
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let statements = log_one(kind).await;
        eprintln!("{kind:?}: {} statements", statements.len());
        for s in &statements {
            eprintln!("  {s}");
        }
        assert!(
            statements.len() <= MAX_STATEMENTS,
            "{kind:?}: logging one recovery took {} statements (at most {MAX_STATEMENTS}):\n{statements:#?}",
            statements.len()
        );
    }
}

/// The budget: see docs/BENCHMARKS.md, "Statements per logged recovery".
const MAX_STATEMENTS: usize = 9;

/// The statements one read of the approval queue takes with `pending` requests waiting, from
/// people spread over 20 staff (some naming a customer).
async fn queue_with(kind: Kind, pending: usize) -> (Vec<String>, usize) {
    let database = TestDatabase::create(kind).await;
    let store = Store::connect(&database.url, &PoolSettings::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let zone = parse_time_zone("Europe/Lisbon").unwrap();
    let eur = Currency::parse("EUR").unwrap();
    let org = store
        .create_organisation(
            &NewOrganisation {
                name: "Queue",
                slug: "queue",
                industry: Industry::Hotel,
                currency: eur,
                time_zone: zone,
            },
            now(),
        )
        .await
        .unwrap()
        .id;
    let location = store
        .create_location(org, "Lisbon", zone, eur, now())
        .await
        .unwrap()
        .id;
    let mut people = Vec::new();
    for n in 0..=20 {
        let username = format!("person{n}");
        let person = store
            .create_person(
                &NewPerson {
                    organisation_id: org,
                    location_id: location,
                    team_id: None,
                    display_name: &username,
                    username: &username,
                    email: None,
                    password_hash: None,
                    pin_hash: None,
                },
                now(),
            )
            .await
            .unwrap()
            .id;
        let role = if n == 0 {
            Role::Supervisor
        } else {
            Role::Staff
        };
        store
            .grant_role(org, person, role, Some(location), now())
            .await
            .unwrap();
        people.push(person);
    }
    // 10.00 a day: every 20.00 recovery leaves an excess waiting.
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Organisation, 1_000, None).unwrap(),
            now(),
        )
        .await
        .unwrap();
    let events = LedgerEvents::default();
    for i in 0..pending {
        let person = people[1 + i % 20];
        let actor = Actor::load(&store, org, person).await.unwrap().unwrap();
        let form = RecoveryForm {
            touchpoint: "front-desk".into(),
            category: "noise".into(),
            remedy: "complimentary-item".into(),
            amount: "20.00".into(),
            reaction: "satisfied".into(),
            customer_ref: if i % 2 == 0 {
                format!("Room {}", i % 7)
            } else {
                String::new()
            },
            ..RecoveryForm::default()
        };
        services::ledger::log_recovery(&store, &events, &actor, &format!("q{i}"), &form, now())
            .await
            .unwrap();
    }
    let supervisor = Actor::load(&store, org, people[0]).await.unwrap().unwrap();
    // Once to warm the pool, then counted.
    services::approvals::pending_requests(&store, &supervisor, now())
        .await
        .unwrap();
    STATEMENTS.lock().unwrap().clear();
    COUNTING.store(true, Ordering::SeqCst);
    let queue = services::approvals::pending_requests(&store, &supervisor, now())
        .await
        .unwrap();
    COUNTING.store(false, Ordering::SeqCst);
    let statements = std::mem::take(&mut *STATEMENTS.lock().unwrap());
    assert_eq!(queue.waiting, pending as i64);
    let shown = queue.requests.len();
    store.close().await;
    (statements, shown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_approval_queue_reads_a_page_in_the_same_statements_whatever_it_holds() {
    let _turn = ONE_AT_A_TIME.lock().await;
    install();
    for kind in [Kind::Sqlite, Kind::Postgres] {
        let (one, shown_one) = queue_with(kind, 1).await;
        let (many, shown_many) = queue_with(kind, 60).await;
        eprintln!(
            "{kind:?}: {} statements for 1 request, {} for a page of {shown_many}",
            one.len(),
            many.len()
        );
        for s in &many {
            eprintln!("  {s}");
        }
        assert_eq!(shown_one, 1);
        assert_eq!(
            shown_many,
            services::approvals::PAGE as usize,
            "a page, of 60 waiting"
        );
        // A full page also counts what waits behind it: one statement more, never one per
        // request.
        assert!(
            many.len() <= one.len() + 1 && many.len() <= MAX_QUEUE_STATEMENTS,
            "{kind:?}: 1 request took {}, a page of {shown_many} took {}:\n{many:#?}",
            one.len(),
            many.len()
        );
    }
}

/// The queue's budget: see docs/BENCHMARKS.md, "Statements per approval-queue page".
const MAX_QUEUE_STATEMENTS: usize = 10;

//! The learning loop's storage, on SQLite and on PostgreSQL: linked recoveries are read within
//! the viewer's locations (in the query itself), hand links outside a manager's locations are
//! refused without changing anything, money is summed per currency, and an absurd amount
//! never makes a learning query fail. Each test gets its own fresh database.

use std::{future::Future, sync::Arc};

use app::{
    domain::{
        budget_day::parse_time_zone,
        learning::{Figures, Occurrence, Total},
        money::Currency,
        org::{Industry, Role},
        recovery::{Channel, NewRecovery, Reaction, RemedyType, Severity},
    },
    store::{
        learning::{LinkedRecovery, NewItem},
        ledger::RecordRecovery,
        organisations::{NewOrganisation, NewPerson},
        PoolSettings, Store, StoreError,
    },
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

#[path = "support/database.rs"]
mod database;

use database::{Kind, TestDatabase};

async fn store_of(db: &TestDatabase) -> Store {
    let store = Store::connect(
        &db.url,
        &PoolSettings {
            max_connections: 4,
            ..Default::default()
        },
    )
    .await
    .expect("connect");
    store.migrate().await.expect("migrate");
    store
}

/// Runs a test body against a fresh database and drops the database afterwards, even when
/// the body panics (the panic is then re-raised).
async fn with_database<F, Fut>(kind: Kind, body: F)
where
    F: FnOnce(Arc<TestDatabase>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let database = Arc::new(TestDatabase::create(kind).await);
    let outcome = tokio::spawn(body(database.clone())).await;
    drop(database);
    if let Err(error) = outcome {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("test task failed: {error}");
    }
}

/// Declares each test once per database.
macro_rules! on_both_databases {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::with_database(super::Kind::Sqlite, |db| super::$name(db)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::with_database(super::Kind::Postgres, |db| super::$name(db)).await;
                }
            )*
        }
    };
}

on_both_databases!(
    linked_recoveries_are_read_within_the_viewers_locations,
    hand_links_outside_the_managers_locations_are_not_found_and_change_nothing,
    costs_are_summed_per_currency_and_never_added_across,
    the_split_sum_is_exact_for_large_amounts,
    an_absurd_amount_never_breaks_the_learning_sums,
);

// ---------------------------------------------------------------------------------------
// Fixture: Lisbon (EUR) and London (GBP), one staff member each

struct Fixture {
    store: Store,
    organisation_id: i64,
    lisbon: i64,
    london: i64,
    ana: i64,
    larry: i64,
}

/// 2026-06-10 at `hour` UTC: the same local date in Lisbon and London.
fn at(hour: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 10, hour, 0, 0).unwrap()
}

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 6, 10).unwrap()
}

async fn fixture(db: &TestDatabase) -> Fixture {
    let store = store_of(db).await;
    let now = at(8);
    let organisation = store
        .create_organisation(
            &NewOrganisation {
                name: "Harbour Test Hotels",
                slug: "harbour-test",
                industry: Industry::Hotel,
                currency: Currency::EUR,
                time_zone: parse_time_zone("Europe/Lisbon").unwrap(),
            },
            now,
        )
        .await
        .unwrap();
    let org = organisation.id;
    let lisbon = store
        .create_location(
            org,
            "Lisbon",
            parse_time_zone("Europe/Lisbon").unwrap(),
            Currency::EUR,
            now,
        )
        .await
        .unwrap()
        .id;
    let london = store
        .create_location(
            org,
            "London",
            parse_time_zone("Europe/London").unwrap(),
            Currency::GBP,
            now,
        )
        .await
        .unwrap()
        .id;
    let mut people = Vec::new();
    for (username, location) in [("ana", lisbon), ("larry", london)] {
        let person = store
            .create_person(
                &NewPerson {
                    organisation_id: org,
                    location_id: location,
                    team_id: None,
                    display_name: &format!("{username} of {location}"),
                    username,
                    email: None,
                    password_hash: None,
                    pin_hash: None,
                },
                now,
            )
            .await
            .unwrap();
        store
            .grant_role(org, person.id, Role::Staff, Some(location), now)
            .await
            .unwrap();
        people.push(person.id);
    }
    Fixture {
        store,
        organisation_id: org,
        lisbon,
        london,
        ana: people[0],
        larry: people[1],
    }
}

impl Fixture {
    /// A recovery of `category` at the front desk, logged through the store (its currency is
    /// the person's location's).
    async fn log(&self, person_id: i64, key: &str, category: &str, amount_minor: i64) -> i64 {
        self.store
            .record_recovery(
                &RecordRecovery {
                    organisation_id: self.organisation_id,
                    person_id,
                    recorded_by: person_id,
                    idempotency_key: key.to_string(),
                    recovery: NewRecovery {
                        occurred_at: at(9),
                        touchpoint: "front-desk".to_string(),
                        channel: Channel::InPerson,
                        customer_ref: None,
                        category: category.to_string(),
                        severity: Severity::Medium,
                        description: "Room not ready at 15:00".to_string(),
                        remedy: if amount_minor == 0 {
                            RemedyType::FixOrApology
                        } else {
                            RemedyType::ComplimentaryItem
                        },
                        amount_minor,
                        reaction: Reaction::Satisfied,
                        cause: None,
                        cause_note: None,
                        follow_up_due: None,
                    },
                    fingerprint: None,
                },
                at(9),
            )
            .await
            .unwrap()
            .recovery_id
    }

    /// A copy of recovery `of` with another amount, written straight into the table: how a
    /// row from before the organisation's maximum amount looks (the store refuses such an
    /// amount now). Same person and budget day as `of`, so the budget day it names exists.
    async fn legacy_copy(&self, of: i64, key: &str, amount_minor: i64) -> i64 {
        let row = self.store.recovery(self.organisation_id, of).await.unwrap();
        let org = self.organisation_id;
        // The ledger row only: the personal fields (recovery_personal) are not needed here.
        let sql = "INSERT INTO recoveries (organisation_id, location_id, team_id, person_id, recorded_by, budget_date,
                 occurred_at, recorded_at, touchpoint, channel, category, severity,
                 remedy, amount_minor, currency, reaction, cause, follow_up_due_at,
                 covered_minor, excess_minor, idempotency_key, request_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                     $20, $21, $22)
             RETURNING id";
        macro_rules! insert {
            ($pool:expr) => {
                sqlx::query_scalar::<_, i64>(sql)
                    .bind(org)
                    .bind(row.location_id)
                    .bind(row.team_id)
                    .bind(row.person_id)
                    .bind(row.person_id)
                    .bind(row.budget_date)
                    .bind(row.occurred_at)
                    .bind(row.occurred_at)
                    .bind(&row.touchpoint)
                    .bind(&row.channel)
                    .bind(&row.category)
                    .bind(&row.severity)
                    .bind(&row.remedy)
                    .bind(amount_minor)
                    .bind(row.currency.code())
                    .bind(&row.reaction)
                    .bind(row.cause.as_deref())
                    .bind(row.follow_up_due_at)
                    .bind(0_i64)
                    .bind(amount_minor)
                    .bind(key)
                    .bind(key)
                    .fetch_one($pool)
                    .await
                    .expect("insert a legacy row")
            };
        }
        match &self.store {
            Store::Sqlite(pool) => insert!(pool),
            Store::Postgres(pool) => insert!(pool),
        }
    }

    /// An organisation-wide item (as an organisation-wide manager or the signal makes it)
    /// with these recoveries linked.
    async fn organisation_item(&self, title: &str, recoveries: &[i64]) -> i64 {
        self.store
            .create_item(
                &NewItem {
                    organisation_id: self.organisation_id,
                    location_id: None,
                    category: None,
                    touchpoint: None,
                    from_signal: false,
                    title: title.to_string(),
                    problem: String::new(),
                    created_by: None,
                },
                recoveries,
                at(10),
            )
            .await
            .unwrap()
    }

    async fn links(&self, item: i64) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .store
            .linked_recoveries(self.organisation_id, Some(item))
            .await
            .unwrap()
            .iter()
            .map(|l| l.recovery_id)
            .collect();
        ids.sort_unstable();
        ids
    }
}

fn hand_item(f: &Fixture, location_id: Option<i64>, title: &str) -> NewItem {
    NewItem {
        organisation_id: f.organisation_id,
        location_id,
        category: None,
        touchpoint: None,
        from_signal: false,
        title: title.to_string(),
        problem: String::new(),
        created_by: Some(f.ana),
    }
}

fn priced(links: &[LinkedRecovery]) -> Vec<(Currency, Occurrence)> {
    links
        .iter()
        .map(|l| {
            (
                l.currency,
                Occurrence {
                    date: l.budget_date,
                    amount_minor: l.amount_minor,
                    severity: Severity::parse(&l.severity).unwrap(),
                    reaction: Reaction::parse(&l.reaction).unwrap(),
                },
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------
// The tests

async fn linked_recoveries_are_read_within_the_viewers_locations(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let here = f.log(f.ana, "lisbon-1", "room-not-ready", 1_000).await;
    let there = f.log(f.larry, "london-1", "room-not-ready", 2_000).await;
    let item = f
        .organisation_item("Rooms not ready everywhere", &[here, there])
        .await;
    let within = |scope: Option<Vec<i64>>| {
        let store = f.store.clone();
        let org = f.organisation_id;
        async move {
            store
                .linked_recoveries_within(org, Some(item), scope.as_deref())
                .await
                .unwrap()
        }
    };

    // A Lisbon viewer gets Lisbon's recovery only; the London row never leaves the database.
    let lisbon = within(Some(vec![f.lisbon])).await;
    assert_eq!(
        lisbon
            .iter()
            .map(|l| (l.recovery_id, l.location_id, l.person_id))
            .collect::<Vec<_>>(),
        vec![(here, f.lisbon, f.ana)]
    );
    let london = within(Some(vec![f.london])).await;
    assert_eq!(
        london.iter().map(|l| l.recovery_id).collect::<Vec<_>>(),
        vec![there]
    );
    // Everywhere: both; nowhere: none.
    assert_eq!(within(None).await.len(), 2);
    assert!(within(Some(Vec::new())).await.is_empty());
    // All items at once, as the queue reads them: the same rule.
    let all = f
        .store
        .linked_recoveries_within(f.organisation_id, None, Some(&[f.lisbon]))
        .await
        .unwrap();
    assert!(all.iter().all(|l| l.location_id == f.lisbon), "{all:?}");

    // The effect's dates are read within the scope too.
    let dates = f
        .store
        .cause_recoveries_within(
            f.organisation_id,
            None,
            "room-not-ready",
            "front-desk",
            day(),
            day(),
            Some(&[f.lisbon]),
        )
        .await
        .unwrap();
    assert_eq!(dates.iter().map(|r| r.id).collect::<Vec<_>>(), vec![here]);
    assert_eq!(
        f.store
            .cause_recoveries(
                f.organisation_id,
                None,
                "room-not-ready",
                "front-desk",
                day(),
                day(),
            )
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn hand_links_outside_the_managers_locations_are_not_found_and_change_nothing(
    db: Arc<TestDatabase>,
) {
    let f = fixture(&db).await;
    let here = f.log(f.ana, "lisbon-1", "noise", 1_000).await;
    let here_too = f.log(f.ana, "lisbon-2", "noise", 500).await;
    let there = f.log(f.larry, "london-1", "noise", 2_000).await;
    let lisbon = [f.lisbon];
    let lisbon_only: Option<&[i64]> = Some(&lisbon);

    // Creating with a London recovery: not found, and no item appears.
    for ids in [vec![there], vec![here, there], vec![here, 999_999_999]] {
        let refused = f
            .store
            .create_item_within(
                &hand_item(&f, Some(f.lisbon), "Noise at night"),
                &ids,
                lisbon_only,
                at(10),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::NotFound("recovery")),
            "{ids:?}: {refused:?}"
        );
    }
    assert!(f.store.items(f.organisation_id).await.unwrap().is_empty());

    // With its own location's recoveries it is created and linked.
    let item = f
        .store
        .create_item_within(
            &hand_item(&f, Some(f.lisbon), "Noise at night"),
            &[here],
            lisbon_only,
            at(10),
        )
        .await
        .unwrap();
    assert_eq!(f.links(item).await, vec![here]);
    let history = f
        .store
        .item_events(f.organisation_id, item)
        .await
        .unwrap()
        .len();

    // Linking a London recovery, alone or among Lisbon ones: not found, nothing linked, no
    // history entry.
    for ids in [vec![there], vec![here_too, there]] {
        let refused = f
            .store
            .link_recoveries_within(
                f.organisation_id,
                item,
                &ids,
                Some(f.ana),
                lisbon_only,
                at(11),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(refused, StoreError::NotFound("recovery")),
            "{refused:?}"
        );
    }
    assert_eq!(f.links(item).await, vec![here]);
    assert_eq!(
        f.store
            .item_events(f.organisation_id, item)
            .await
            .unwrap()
            .len(),
        history
    );

    // Within the scope it links (repeated ids count once); an organisation-wide manager
    // (no scope) may link London's.
    assert_eq!(
        f.store
            .link_recoveries_within(
                f.organisation_id,
                item,
                &[here_too, here_too, here],
                Some(f.ana),
                lisbon_only,
                at(11),
            )
            .await
            .unwrap(),
        1
    );
    let everywhere = f
        .store
        .link_recoveries_within(f.organisation_id, item, &[there], Some(f.ana), None, at(12))
        .await
        .unwrap();
    assert_eq!(everywhere, 1);
    let mut expected = vec![here, here_too, there];
    expected.sort_unstable();
    assert_eq!(f.links(item).await, expected);
}

async fn costs_are_summed_per_currency_and_never_added_across(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let lisbon_a = f.log(f.ana, "lisbon-1", "room-not-ready", 100_000).await;
    let lisbon_b = f.log(f.ana, "lisbon-2", "room-not-ready", 24_000).await;
    let london = f.log(f.larry, "london-1", "room-not-ready", 31_000).await;
    let item = f
        .organisation_item("Rooms not ready everywhere", &[lisbon_a, lisbon_b, london])
        .await;

    // The signal's cost: per location and, across the organisation, per currency.
    let costs = f
        .store
        .signal_costs(f.organisation_id, day(), day())
        .await
        .unwrap();
    let cost = |location: Option<i64>, currency: &str| {
        costs
            .iter()
            .find(|c| {
                c.location_id == location
                    && c.category == "room-not-ready"
                    && c.touchpoint == "front-desk"
                    && c.currency.code() == currency
            })
            .map(|c| c.cost)
    };
    assert_eq!(cost(Some(f.lisbon), "EUR"), Some(Total::of(124_000)));
    assert_eq!(cost(Some(f.london), "GBP"), Some(Total::of(31_000)));
    assert_eq!(cost(None, "EUR"), Some(Total::of(124_000)));
    assert_eq!(cost(None, "GBP"), Some(Total::of(31_000)));
    assert_eq!(costs.iter().filter(|c| c.location_id.is_none()).count(), 2);
    // The signal's occurrences still count every currency.
    let groups = f
        .store
        .signal_groups(f.organisation_id, day(), day())
        .await
        .unwrap();
    let everywhere = groups.iter().find(|g| g.location_id.is_none()).unwrap();
    assert_eq!(everywhere.occurrences, 3);

    // The item's cost: one total per currency; the priority ranks by the organisation's
    // currency (EUR) and never by 1550.00 "EUR".
    let links = f
        .store
        .linked_recoveries(f.organisation_id, Some(item))
        .await
        .unwrap();
    let figures = Figures::in_currency(&priced(&links), Currency::EUR);
    assert_eq!(figures.occurrences, 3);
    assert_eq!(
        figures.costs.format(Currency::EUR),
        "1240.00 EUR + 310.00 GBP"
    );
    assert_eq!(figures.cost_minor, 124_000);
    // (1 + 1240.00) × 3 a week (3 in one day, counted over a week) × medium (2).
    assert_eq!(figures.priority(2), 7_446);
}

async fn the_split_sum_is_exact_for_large_amounts(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let first = f.log(f.ana, "lisbon-1", "noise", 7).await;
    // Around the split point (2^32) and far beyond it.
    let amounts = [
        4_294_967_295_i64,
        4_294_967_296,
        4_294_967_297,
        99_999_999_999_999,
    ];
    for (i, amount) in amounts.into_iter().enumerate() {
        f.legacy_copy(first, &format!("big-{i}"), amount).await;
    }
    let expected = 7 + amounts.iter().sum::<i64>();
    let costs = f
        .store
        .signal_costs(f.organisation_id, day(), day())
        .await
        .unwrap();
    for location in [Some(f.lisbon), None] {
        let cost = costs
            .iter()
            .find(|c| c.location_id == location && c.category == "noise")
            .unwrap()
            .cost;
        assert_eq!(cost, Total::of(expected), "{location:?}");
    }
}

async fn an_absurd_amount_never_breaks_the_learning_sums(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let normal = f.log(f.ana, "lisbon-1", "room-not-ready", 1_000).await;
    // 92233720368547758.07 EUR: i64::MAX minor units, beside an ordinary recovery of the same
    // cause. A plain SUM of the two overflows on both databases.
    let absurd = f.legacy_copy(normal, "absurd", i64::MAX).await;
    let twice = f.legacy_copy(normal, "absurd-again", i64::MAX).await;
    let london = f.log(f.larry, "london-1", "room-not-ready", 500).await;

    let groups = f
        .store
        .signal_groups(f.organisation_id, day(), day())
        .await
        .expect("the signal groups answer");
    let at_lisbon = groups
        .iter()
        .find(|g| g.location_id == Some(f.lisbon) && g.category == "room-not-ready")
        .unwrap();
    assert_eq!(at_lisbon.occurrences, 3);

    let costs = f
        .store
        .signal_costs(f.organisation_id, day(), day())
        .await
        .expect("the signal costs answer");
    let saturated = Total {
        minor: i64::MAX,
        saturated: true,
    };
    for location in [Some(f.lisbon), None] {
        let eur = costs
            .iter()
            .find(|c| c.location_id == location && c.currency.code() == "EUR")
            .unwrap();
        assert_eq!(eur.cost, saturated, "{location:?}");
    }
    // The other currency is untouched by it.
    let gbp = costs
        .iter()
        .find(|c| c.location_id.is_none() && c.currency.code() == "GBP")
        .unwrap();
    assert_eq!(gbp.cost, Total::of(500));

    // The scan (run after history is loaded and when thresholds change) answers too.
    app::learning::scan(&f.store, f.organisation_id, day(), at(12))
        .await
        .expect("the scan answers");
    app::learning::after_recovery(&f.store, f.organisation_id, normal, at(12))
        .await
        .expect("the check after a recovery answers");

    // An item linking them: its figures saturate with a marker, never wrap or panic.
    let item = f
        .organisation_item("Absurd amounts", &[normal, absurd, twice, london])
        .await;
    let links = f
        .store
        .linked_recoveries(f.organisation_id, Some(item))
        .await
        .unwrap();
    assert_eq!(links.len(), 4);
    let figures = Figures::in_currency(&priced(&links), Currency::EUR);
    assert!(figures.cost_saturated);
    assert_eq!(
        figures.costs.format(Currency::EUR),
        "more than 92233720368547758.07 EUR + 5.00 GBP"
    );
    assert!(figures.priority(2) > 0);
}

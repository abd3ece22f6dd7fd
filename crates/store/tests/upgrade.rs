//! Migrations applied to databases that already hold rows: what people saved before an
//! upgrade is all there after it, references intact.

use chrono::{TimeZone, Utc};
use domain::{
    budget_day::parse_time_zone,
    money::Currency,
    org::{Industry, Role},
};
use store::{
    organisations::{NewOrganisation, NewPerson},
    PoolSettings, Store, StoreError,
};

#[path = "../../../app/tests/support/database.rs"]
mod database;

use database::{Kind, TestDatabase};

/// 0012: usernames unique within an organisation only. On SQLite the people table is
/// rebuilt; its rows, ids and every reference to them must survive.
async fn usernames_become_unique_per_organisation(kind: Kind) {
    let database = TestDatabase::create(kind).await;
    let store = Store::connect(&database.url, &PoolSettings::default())
        .await
        .expect("connect");
    store.migrate_until(11).await.expect("migrate to 0011");
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let zone = parse_time_zone("Europe/Lisbon").unwrap();
    let eur = Currency::parse("EUR").unwrap();
    let mut orgs = Vec::new();
    for slug in ["first", "second"] {
        let org = store
            .create_organisation(
                &NewOrganisation {
                    name: slug,
                    slug,
                    industry: Industry::Hotel,
                    currency: eur,
                    time_zone: zone,
                },
                now,
            )
            .await
            .unwrap();
        let location = store
            .create_location(org.id, "Lisbon", zone, eur, now)
            .await
            .unwrap();
        orgs.push((org.id, location.id));
    }
    let person = |organisation_id: i64, location_id: i64| NewPerson {
        organisation_id,
        location_id,
        team_id: None,
        display_name: "Ana",
        username: "ana",
        email: None,
        password_hash: Some("not a real hash"),
        pin_hash: None,
    };
    let ana = store
        .create_person(&person(orgs[0].0, orgs[0].1), now)
        .await
        .unwrap();
    store
        .grant_role(orgs[0].0, ana.id, Role::Supervisor, Some(orgs[0].1), now)
        .await
        .unwrap();
    // Before 0012 the username is taken everywhere.
    assert!(matches!(
        store
            .create_person(&person(orgs[1].0, orgs[1].1), now)
            .await,
        Err(StoreError::Duplicate(_))
    ));

    store.migrate().await.expect("migrate to the latest");
    // Ana, her id and her grant are as they were.
    let found = store
        .credentials_by_username("first", "ana")
        .await
        .unwrap()
        .expect("ana");
    assert_eq!(found.person_id, ana.id);
    let grants = store.grants_of(orgs[0].0, ana.id).await.unwrap();
    assert_eq!(grants.len(), 1, "{grants:?}");
    // The username is free in the other organisation, and still taken in her own.
    let other = store
        .create_person(&person(orgs[1].0, orgs[1].1), now)
        .await
        .expect("the same username in another organisation");
    assert_ne!(other.id, ana.id);
    assert!(matches!(
        store
            .create_person(&person(orgs[0].0, orgs[0].1), now)
            .await,
        Err(StoreError::Duplicate(_))
    ));
    assert_eq!(
        store
            .credentials_by_username("second", "ana")
            .await
            .unwrap()
            .map(|c| c.person_id),
        Some(other.id)
    );
    assert!(store
        .credentials_by_username("third", "ana")
        .await
        .unwrap()
        .is_none());
    if kind == Kind::Sqlite {
        // References still hold, and foreign keys are enforced again afterwards.
        let pool = sqlx::SqlitePool::connect(&database.url).await.unwrap();
        let broken: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&pool)
                .await
                .unwrap();
        assert!(broken.is_empty(), "{broken:?}");
        pool.close().await;
        if let Store::Sqlite(pool) = &store {
            let dangling = sqlx::query(
                "INSERT INTO role_grants (organisation_id, person_id, role, location_id, scope_key, created_at)
                 VALUES ($1, 999999, 'staff', NULL, 'org', $2)",
            )
            .bind(orgs[0].0)
            .bind(now)
            .execute(pool)
            .await;
            assert!(dangling.is_err(), "a grant to nobody was accepted");
        }
    }
    store.close().await;
}

#[tokio::test]
async fn usernames_become_unique_per_organisation_on_sqlite() {
    usernames_become_unique_per_organisation(Kind::Sqlite).await;
}

#[tokio::test]
async fn usernames_become_unique_per_organisation_on_postgres() {
    usernames_become_unique_per_organisation(Kind::Postgres).await;
}

/// 0014: a recovery's customer reference and free text move out of the ledger into
/// `recovery_personal`, the follow-up note with them; references get their comparison key.
/// Everything saved before must read the same after, and be findable by customer.
async fn personal_fields_move_apart_and_stay_readable(kind: Kind) {
    let database = TestDatabase::create(kind).await;
    let store = Store::connect(&database.url, &PoolSettings::default())
        .await
        .expect("connect");
    store.migrate_until(13).await.expect("migrate to 0013");
    let now = Utc.with_ymd_and_hms(2026, 12, 1, 9, 0, 0).unwrap();
    let zone = parse_time_zone("Europe/Lisbon").unwrap();
    let eur = Currency::parse("EUR").unwrap();
    let org = store
        .create_organisation(
            &NewOrganisation {
                name: "Before",
                slug: "before",
                industry: Industry::Hotel,
                currency: eur,
                time_zone: zone,
            },
            now,
        )
        .await
        .unwrap();
    let location = store
        .create_location(org.id, "Lisbon", zone, eur, now)
        .await
        .unwrap();
    let ana = store
        .create_person(
            &NewPerson {
                organisation_id: org.id,
                location_id: location.id,
                team_id: None,
                display_name: "Ana",
                username: "ana",
                email: None,
                password_hash: None,
                pin_hash: None,
            },
            now,
        )
        .await
        .unwrap();
    // Rows as the store wrote them before 0014: the personal fields on the recovery and the
    // note on the completion.
    let day = now.date_naive();
    macro_rules! old_rows {
        ($pool:expr) => {{
            sqlx::query(
                "INSERT INTO budget_days (person_id, budget_date, organisation_id, location_id, currency,
                     allowance_minor, spent_minor)
                 VALUES ($1, $2, $3, $4, 'EUR', 5000, 1200)",
            )
            .bind(ana.id)
            .bind(day)
            .bind(org.id)
            .bind(location.id)
            .execute($pool)
            .await
            .unwrap();
            let mut ids = Vec::new();
            for (key, reference, note) in [
                ("k1", Some(" Room 807 "), Some("Kept the late checkout")),
                ("k2", None, None),
            ] {
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO recoveries (organisation_id, location_id, person_id, recorded_by, budget_date,
                         occurred_at, recorded_at, touchpoint, channel, customer_ref, category, severity,
                         description, remedy, amount_minor, currency, reaction, cause, cause_note,
                         follow_up_due_at, covered_minor, excess_minor, idempotency_key, request_hash)
                     VALUES ($1, $2, $3, $3, $4, $5, $5, 'front-desk', 'in-person', $6, 'noise', 'low',
                         $7, 'complimentary-item', 600, 'EUR', 'satisfied', NULL, $8, $9, 600, 0, $10, 'h')
                     RETURNING id",
                )
                .bind(org.id)
                .bind(location.id)
                .bind(ana.id)
                .bind(day)
                .bind(now)
                .bind(reference)
                .bind(format!("Story {key}"))
                .bind(note.map(|_| "Cause noted"))
                .bind(note.map(|_| now))
                .bind(key)
                .fetch_one($pool)
                .await
                .unwrap();
                if let Some(note) = note {
                    sqlx::query(
                        "INSERT INTO follow_up_completions (organisation_id, recovery_id, completed_by, note, completed_at)
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(org.id)
                    .bind(id)
                    .bind(ana.id)
                    .bind(note)
                    .bind(now)
                    .execute($pool)
                    .await
                    .unwrap();
                }
                ids.push(id);
            }
            ids
        }};
    }
    let ids = match &store {
        Store::Sqlite(pool) => old_rows!(pool),
        Store::Postgres(pool) => old_rows!(pool),
    };

    store.migrate().await.expect("migrate to the latest");
    let first = store.recovery(org.id, ids[0]).await.unwrap();
    assert_eq!(
        (
            first.customer_ref.as_deref(),
            first.description.as_str(),
            first.cause_note.as_deref(),
            first.follow_up_note.as_deref(),
            first.redacted_at,
            first.amount_minor,
        ),
        (
            Some(" Room 807 "),
            "Story k1",
            Some("Cause noted"),
            Some("Kept the late checkout"),
            None,
            600
        )
    );
    let second = store.recovery(org.id, ids[1]).await.unwrap();
    assert_eq!(
        (second.customer_ref, second.description.as_str()),
        (None, "Story k2")
    );
    // The copied reference is found as any reference is.
    let found = store
        .recoveries(
            org.id,
            &store::queries::RecoveryFilter {
                customer_key: Some("room807".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(found.iter().map(|r| r.id).collect::<Vec<_>>(), vec![ids[0]]);
    assert_eq!(store.retention_days(org.id).await.unwrap(), 400);
    store.close().await;
}

#[tokio::test]
async fn personal_fields_move_apart_on_sqlite() {
    personal_fields_move_apart_and_stay_readable(Kind::Sqlite).await;
}

#[tokio::test]
async fn personal_fields_move_apart_on_postgres() {
    personal_fields_move_apart_and_stay_readable(Kind::Postgres).await;
}

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

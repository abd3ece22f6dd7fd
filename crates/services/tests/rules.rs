//! The rules at the services level, each tried the way an insider would: back-dating into
//! closed days, one's own budget, one's own request, a location's admin reaching
//! organisation-wide, an absurd amount. On SQLite and PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{
    budget_day::parse_time_zone,
    money::Currency,
    org::{Industry, Role, RoleGrant},
    policy::{BudgetPolicy, PolicyScope},
    recovery::RecoveryForm,
};
use services::{events::LedgerEvents, Actor, ServiceError};
use store::{
    organisations::{NewOrganisation, NewPerson},
    PoolSettings, Store,
};

#[path = "../../../app/tests/support/database.rs"]
mod database;

use database::{Kind, TestDatabase};

struct World {
    store: Store,
    _database: TestDatabase,
    org: i64,
    lisbon: i64,
    london: i64,
    team: i64,
    staff: Actor,
    supervisor: Actor,
    manager: Actor,
    local_admin: Actor,
}

/// 2026-06-10 18:00 UTC: 19:00 in Lisbon.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 10, 18, 0, 0).unwrap()
}

async fn world(kind: Kind) -> World {
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
                name: "Rules",
                slug: "rules",
                industry: Industry::Hotel,
                currency: eur,
                time_zone: zone,
            },
            now(),
        )
        .await
        .unwrap()
        .id;
    let lisbon = store
        .create_location(org, "Lisbon", zone, eur, now())
        .await
        .unwrap()
        .id;
    let london = store
        .create_location(
            org,
            "London",
            parse_time_zone("Europe/London").unwrap(),
            Currency::parse("GBP").unwrap(),
            now(),
        )
        .await
        .unwrap()
        .id;
    let team = store
        .create_team(org, lisbon, "Front desk", Some("front-desk"), now())
        .await
        .unwrap()
        .id;
    let mut actors = Vec::new();
    for (name, role, team_id) in [
        ("staff", Role::Staff, Some(team)),
        ("supervisor", Role::Supervisor, Some(team)),
        ("manager", Role::Manager, None),
        ("local-admin", Role::Admin, None),
    ] {
        let person = store
            .create_person(
                &NewPerson {
                    organisation_id: org,
                    location_id: lisbon,
                    team_id,
                    display_name: name,
                    username: name,
                    email: None,
                    password_hash: None,
                    pin_hash: None,
                },
                now(),
            )
            .await
            .unwrap();
        store
            .grant_role(org, person.id, role, Some(lisbon), now())
            .await
            .unwrap();
        actors.push(Actor {
            organisation_id: org,
            person_id: person.id,
            home_location_id: lisbon,
            grants: vec![RoleGrant {
                role,
                location_id: Some(lisbon),
            }],
        });
    }
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Organisation, 5_000, None).unwrap(),
            now(),
        )
        .await
        .unwrap();
    let mut actors = actors.into_iter();
    World {
        store,
        _database: database,
        org,
        lisbon,
        london,
        team,
        staff: actors.next().unwrap(),
        supervisor: actors.next().unwrap(),
        manager: actors.next().unwrap(),
        local_admin: actors.next().unwrap(),
    }
}

fn form(amount: &str, occurred_at: DateTime<Utc>) -> RecoveryForm {
    RecoveryForm {
        occurred_at: occurred_at.to_rfc3339(),
        touchpoint: "front-desk".into(),
        category: "room-not-ready".into(),
        remedy: "complimentary-item".into(),
        amount: amount.into(),
        reaction: "satisfied".into(),
        ..RecoveryForm::default()
    }
}

async fn back_dating_posts_nothing_to_closed_days(kind: Kind) {
    let w = world(kind).await;
    let events = LedgerEvents::default();
    for days in 1..=7 {
        let at = now() - Duration::days(days);
        let logged = services::ledger::log_recovery(
            &w.store,
            &events,
            &w.staff,
            &format!("back-{days}"),
            &form("50.00", at),
            now(),
        )
        .await
        .unwrap();
        assert_eq!(logged.receipt.covered_minor, 0, "day -{days}");
        assert_eq!(logged.receipt.excess_minor, 5_000);
    }
    // An entry captured before midnight that arrives after it: also late.
    let just_before_midnight = Utc.with_ymd_and_hms(2026, 6, 10, 22, 55, 0).unwrap();
    let after_midnight = Utc.with_ymd_and_hms(2026, 6, 10, 23, 5, 0).unwrap();
    let late = services::ledger::log_recovery(
        &w.store,
        &events,
        &w.staff,
        "late",
        &form("10.00", just_before_midnight),
        after_midnight,
    )
    .await
    .unwrap();
    assert_eq!(late.receipt.covered_minor, 0);
    // Today (the 11th, in Lisbon) is a whole allowance.
    let today = services::ledger::log_recovery(
        &w.store,
        &events,
        &w.staff,
        "today",
        &form("50.00", after_midnight),
        after_midnight,
    )
    .await
    .unwrap();
    assert_eq!(today.receipt.covered_minor, 5_000);
    assert!(w
        .store
        .ledger_violations(&[w.org])
        .await
        .unwrap()
        .is_empty());
    // The supervisor approves one late entry: it posts, on its own day.
    let first = w.store.pending_queue(w.org, None).await.unwrap()[0].id;
    services::ledger::resolve(
        &w.store,
        &events,
        &w.supervisor,
        services::ledger::Decision {
            recovery_id: first,
            decision: "approve",
            amount: "",
            reason: String::new(),
            idempotency_key: "approve-late",
        },
        after_midnight,
    )
    .await
    .unwrap();
    assert!(w
        .store
        .ledger_violations(&[w.org])
        .await
        .unwrap()
        .is_empty());
}

async fn nobody_decides_or_budgets_for_themselves(kind: Kind) {
    let w = world(kind).await;
    let events = LedgerEvents::default();
    // The supervisor's own request over budget.
    let own = services::ledger::log_recovery(
        &w.store,
        &events,
        &w.supervisor,
        "own",
        &form("80.00", now()),
        now(),
    )
    .await
    .unwrap();
    let id = own.receipt.recovery_id;
    let refused = services::ledger::resolve(
        &w.store,
        &events,
        &w.supervisor,
        services::ledger::Decision {
            recovery_id: id,
            decision: "approve",
            amount: "",
            reason: String::new(),
            idempotency_key: "self-approve",
        },
        now(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(refused, ServiceError::Invalid(ref m) if m.contains("Someone else")),
        "{refused:?}"
    );
    // The store refuses it too, whoever calls it.
    let direct = w
        .store
        .resolve_pending(
            &store::ledger::ResolvePending {
                organisation_id: w.org,
                recovery_id: id,
                decided_by: w.supervisor.person_id,
                idempotency_key: "direct".into(),
                resolution: domain::ledger::Resolution::ApproveAll,
            },
            now(),
        )
        .await;
    assert!(
        matches!(direct, Err(store::StoreError::Refused(_))),
        "{direct:?}"
    );
    // Their own budget, their own team's, a manager's: refused; nothing written.
    let me = format!("person:{}", w.supervisor.person_id);
    let team = format!("team:{}", w.team);
    let manager = format!("person:{}", w.manager.person_id);
    for scope in [&me, &team, &manager] {
        let answer =
            services::budgets::set_policy(&w.store, &w.supervisor, scope, "5000.00", "", now())
                .await;
        assert!(answer.is_err(), "{scope}: {answer:?}");
        let boost = services::budgets::add_boost(
            &w.store,
            &w.supervisor,
            services::budgets::BoostForm {
                scope,
                from: "2026-06-10",
                to: "2026-06-10",
                extra: "1000.00",
                reason: "busy",
            },
            now(),
        )
        .await;
        assert!(boost.is_err(), "{scope}: {boost:?}");
    }
    let direct = w
        .store
        .set_policy_as(
            w.org,
            w.supervisor.person_id,
            &BudgetPolicy::new(PolicyScope::Person(w.supervisor.person_id), 500_000, None).unwrap(),
            now(),
        )
        .await;
    assert!(
        matches!(direct, Err(store::StoreError::Refused(_))),
        "{direct:?}"
    );
    assert_eq!(w.store.policies(w.org).await.unwrap().len(), 1);
    // A staff member's budget is theirs to set.
    let staff = format!("person:{}", w.staff.person_id);
    services::budgets::set_policy(&w.store, &w.supervisor, &staff, "60.00", "", now())
        .await
        .unwrap();
}

async fn a_location_admin_never_acts_organisation_wide(kind: Kind) {
    let w = world(kind).await;
    let me = w.local_admin.person_id;
    let wide =
        services::roles::change_role(&w.store, &w.local_admin, me, "admin", "", true, now()).await;
    assert!(wide.is_err(), "{wide:?}");
    let london = w.london.to_string();
    let elsewhere = services::roles::change_role(
        &w.store,
        &w.local_admin,
        w.staff.person_id,
        "manager",
        &london,
        true,
        now(),
    )
    .await;
    assert!(elsewhere.is_err(), "{elsewhere:?}");
    let grants = w.store.grants_of(w.org, me).await.unwrap();
    assert_eq!(grants.len(), 1);
    // At their own location it works.
    let lisbon = w.lisbon.to_string();
    services::roles::change_role(
        &w.store,
        &w.local_admin,
        w.staff.person_id,
        "supervisor",
        &lisbon,
        true,
        now(),
    )
    .await
    .unwrap();
    // Organisation and role budgets are not theirs.
    let org_policy =
        services::budgets::set_policy(&w.store, &w.local_admin, "organisation", "90.00", "", now())
            .await;
    assert!(
        matches!(org_policy, Err(ServiceError::Forbidden)),
        "{org_policy:?}"
    );
}

async fn an_absurd_amount_is_refused_everywhere(kind: Kind) {
    let w = world(kind).await;
    let events = LedgerEvents::default();
    for amount in ["92233720368547758.07", "10000.01"] {
        let refused = services::ledger::log_recovery(
            &w.store,
            &events,
            &w.staff,
            amount,
            &form(amount, now()),
            now(),
        )
        .await
        .unwrap_err();
        assert!(matches!(refused, ServiceError::Fields(_)), "{refused:?}");
    }
    let staff = format!("person:{}", w.staff.person_id);
    let policy = services::budgets::set_policy(
        &w.store,
        &w.supervisor,
        &staff,
        "92233720368547758.07",
        "",
        now(),
    )
    .await;
    assert!(policy.is_err(), "{policy:?}");
}

async fn an_admin_never_raises_their_own_budget(kind: Kind) {
    let w = world(kind).await;
    let person = w
        .store
        .create_person(
            &NewPerson {
                organisation_id: w.org,
                location_id: w.lisbon,
                team_id: None,
                display_name: "Head office",
                username: "head-office",
                email: None,
                password_hash: None,
                pin_hash: None,
            },
            now(),
        )
        .await
        .unwrap();
    w.store
        .grant_role(w.org, person.id, Role::Admin, None, now())
        .await
        .unwrap();
    let admin = Actor::load(&w.store, w.org, person.id)
        .await
        .unwrap()
        .unwrap();
    // The organisation default and an organisation-wide boost: allowed, and for everyone
    // but the admin who set them.
    services::budgets::set_policy(&w.store, &admin, "organisation", "500.00", "", now())
        .await
        .unwrap();
    services::budgets::add_boost(
        &w.store,
        &admin,
        services::budgets::BoostForm {
            scope: "organisation",
            from: "2026-06-10",
            to: "2099-12-31",
            extra: "1000.00",
            reason: "Everyone",
        },
        now(),
    )
    .await
    .unwrap();
    let theirs = w
        .store
        .budget_view(w.org, person.id, None, now())
        .await
        .unwrap();
    let staff = w
        .store
        .budget_view(w.org, w.staff.person_id, None, now())
        .await
        .unwrap();
    assert_eq!(staff.allowance_minor, 150_000, "{staff:?}");
    assert_eq!(theirs.allowance_minor, 0, "{theirs:?}");
    // Nor through a role: nobody changes their own roles.
    let own = services::roles::change_role(
        &w.store,
        &admin,
        person.id,
        "manager",
        &w.lisbon.to_string(),
        true,
        now(),
    )
    .await;
    assert!(
        matches!(own, Err(ServiceError::Invalid(ref m)) if m.contains("Someone else")),
        "{own:?}"
    );
}

/// An improvement item's owner is one of those the page offers: a manager of the item's
/// location (or of the whole organisation). Not a staff member, not another location's
/// manager, whatever id the request names.
async fn an_item_is_owned_by_a_manager_of_its_location(kind: Kind) {
    let w = world(kind).await;
    let london_manager = w
        .store
        .create_person(
            &NewPerson {
                organisation_id: w.org,
                location_id: w.london,
                team_id: None,
                display_name: "london-manager",
                username: "london-manager",
                email: None,
                password_hash: None,
                pin_hash: None,
            },
            now(),
        )
        .await
        .unwrap();
    w.store
        .grant_role(
            w.org,
            london_manager.id,
            Role::Manager,
            Some(w.london),
            now(),
        )
        .await
        .unwrap();
    let lisbon = w.lisbon.to_string();
    let item = services::improvements::create(
        &w.store,
        &w.manager,
        now(),
        &services::improvements::NewImprovement {
            title: "Slow check-in",
            problem: "Queues at the desk",
            location_id: &lisbon,
            category: "",
            touchpoint: "",
            recovery_ids: "",
        },
    )
    .await
    .unwrap();
    async fn edit(w: &World, item: i64, owner: i64) -> Result<(), ServiceError> {
        services::improvements::edit(
            &w.store,
            &w.manager,
            now(),
            item,
            &services::improvements::ItemEdit {
                owner_id: &owner.to_string(),
                due_on: "",
                countermeasure: "",
                problem: "Queues at the desk",
            },
        )
        .await
    }
    for outsider in [w.staff.person_id, london_manager.id, 987_654] {
        let refused = edit(&w, item, outsider).await;
        assert!(
            matches!(refused, Err(ServiceError::Invalid(ref m)) if m.contains("owner")),
            "owner {outsider}: {refused:?}"
        );
    }
    edit(&w, item, w.manager.person_id).await.unwrap();
    let detail = services::improvements::item(&w.store, &w.manager, now(), item)
        .await
        .unwrap();
    assert_eq!(detail.owner_id, Some(w.manager.person_id));
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Kind::Sqlite).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Kind::Postgres).await; })*
        }
    };
}

both!(
    back_dating_posts_nothing_to_closed_days,
    nobody_decides_or_budgets_for_themselves,
    a_location_admin_never_acts_organisation_wide,
    an_absurd_amount_is_refused_everywhere,
    an_admin_never_raises_their_own_budget,
    an_item_is_owned_by_a_manager_of_its_location,
);

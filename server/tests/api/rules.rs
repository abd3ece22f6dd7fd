//! The promises that broke when tried from outside, each tried again over HTTP: a budget
//! that back-dating multiplied, a supervisor raising their own allowance, a location's admin
//! acting organisation-wide, and one absurd amount.

use app::{
    auth::password::{self, Secret},
    domain::{budget_day::parse_time_zone, money::Currency, org::Role},
    store::organisations::NewPerson,
};
use chrono::{Duration, Utc};

use crate::helpers::{organisation, spawn_app, Db, TestApp, PASSWORD};

fn form<'a>(key: &'a str, amount: &'a str, occurred_at: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("idempotency_key", key),
        ("category", "room-not-ready"),
        ("remedy", "complimentary-item"),
        ("amount", amount),
        ("reaction", "satisfied"),
        ("touchpoint", "front-desk"),
        ("occurred_at", occurred_at),
    ]
}

async fn daily_budget(app: &TestApp, scope: &str, daily: &str) {
    let admin = app.signed_in("admin.a").await;
    let answer = app
        .call(
            &admin,
            "admin/set-policy",
            &[("scope", scope), ("daily", daily), ("cap", "")],
        )
        .await;
    assert_eq!(answer.status, 200, "{answer:?}");
}

async fn back_dating_cannot_spend_earlier_days(kind: Db) {
    let app = spawn_app(kind).await;
    let org = organisation(&app.store, "a").await;
    daily_budget(&app, &format!("team:{}", org.team_id), "50.00").await;
    let staff = app.signed_in("staff.a").await;

    // A full day's allowance against each of the last few days: none of it posts.
    let now = Utc::now();
    for days in 1..=6 {
        let at = (now - Duration::days(days)).to_rfc3339();
        let key = format!("back-{days}");
        let answer = app
            .call(&staff, "log-recovery", &form(&key, "50.00", &at))
            .await;
        assert_eq!(answer.status, 200, "{answer:?}");
        assert_eq!(answer.body["status"], "pending", "{answer:?}");
        let message = answer.body["message"].as_str().unwrap();
        assert!(
            message.contains("that day has closed") && message.contains("approval"),
            "{message}"
        );
    }
    // Today is untouched and is still a whole day's allowance.
    let today = app.call(&staff, "today", &[]).await;
    assert_eq!(today.body["spent"], "0.00", "{today:?}");
    assert_eq!(today.body["remaining"], "50.00");
    let posted = app
        .call(&staff, "log-recovery", &form("today", "50.00", ""))
        .await;
    assert_eq!(posted.body["status"], "posted", "{posted:?}");
    // Nothing was posted to any closed day: the ledger agrees.
    let violations = app
        .store
        .ledger_violations(&[org.organisation_id])
        .await
        .unwrap();
    assert!(violations.is_empty(), "{violations:?}");
    // A supervisor sees the late entries waiting.
    let supervisor = app.signed_in("supervisor.a").await;
    let queue = app.call(&supervisor, "approvals/queue", &[]).await;
    assert_eq!(
        (
            queue.body["requests"].as_array().map(Vec::len),
            queue.body["waiting"].as_i64()
        ),
        (Some(6), Some(6)),
        "{:?}",
        queue.body
    );
}

#[tokio::test]
async fn back_dating_cannot_spend_earlier_days_sqlite() {
    back_dating_cannot_spend_earlier_days(Db::Sqlite).await;
}

#[tokio::test]
async fn back_dating_cannot_spend_earlier_days_postgres() {
    back_dating_cannot_spend_earlier_days(Db::Postgres).await;
}

async fn nobody_raises_their_own_budget(kind: Db) {
    let app = spawn_app(kind).await;
    let org = organisation(&app.store, "a").await;
    let supervisor_id = org.person("supervisor.a");
    let supervisor = app.signed_in("supervisor.a").await;
    let own = format!("person:{supervisor_id}");
    let today = Utc::now().date_naive().to_string();

    let policy = app
        .call(
            &supervisor,
            "admin/set-policy",
            &[("scope", &own), ("daily", "5000.00"), ("cap", "")],
        )
        .await;
    assert_eq!(policy.status, 400, "{policy:?}");
    assert!(
        policy
            .body
            .to_string()
            .contains("Someone else sets your budget"),
        "{policy:?}"
    );
    let boost = app
        .call(
            &supervisor,
            "admin/add-boost",
            &[
                ("scope", &own),
                ("from", &today),
                ("to", &today),
                ("extra", "1000.00"),
                ("reason", "Busy day"),
            ],
        )
        .await;
    assert_eq!(boost.status, 400, "{boost:?}");
    // Their own team includes them (the services test tries that); here, the team of staff
    // they supervise is theirs to budget, the manager is not.
    // A supervisor cannot budget a manager (an equal or higher role) either.
    let manager = app
        .call(
            &supervisor,
            "admin/set-policy",
            &[
                ("scope", &format!("person:{}", org.person("manager.a"))),
                ("daily", "5000.00"),
                ("cap", ""),
            ],
        )
        .await;
    assert_eq!(manager.status, 400, "{manager:?}");
    // Nothing changed.
    assert!(app
        .store
        .policies(org.organisation_id)
        .await
        .unwrap()
        .is_empty());
    // …but they still budget their staff.
    let staff = app
        .call(
            &supervisor,
            "admin/set-policy",
            &[
                ("scope", &format!("person:{}", org.person("staff.a"))),
                ("daily", "60.00"),
                ("cap", ""),
            ],
        )
        .await;
    assert_eq!(staff.status, 200, "{staff:?}");
    // An admin cannot raise their own either.
    let admin = app.signed_in("admin.a").await;
    let admin_self = app
        .call(
            &admin,
            "admin/set-policy",
            &[
                ("scope", &format!("person:{}", org.person("admin.a"))),
                ("daily", "5000.00"),
                ("cap", ""),
            ],
        )
        .await;
    assert_eq!(admin_self.status, 400, "{admin_self:?}");
    let admin_role = app
        .call(
            &admin,
            "admin/set-policy",
            &[("scope", "role:admin"), ("daily", "5000.00"), ("cap", "")],
        )
        .await;
    assert_eq!(admin_role.status, 400, "{admin_role:?}");
}

#[tokio::test]
async fn nobody_raises_their_own_budget_sqlite() {
    nobody_raises_their_own_budget(Db::Sqlite).await;
}

#[tokio::test]
async fn nobody_raises_their_own_budget_postgres() {
    nobody_raises_their_own_budget(Db::Postgres).await;
}

/// A second location, and an admin of the first location only.
async fn location_admin(app: &TestApp, org: &crate::helpers::Org) -> (i64, i64) {
    let now = Utc::now();
    let zone = parse_time_zone("Europe/London").unwrap();
    let london = app
        .store
        .create_location(
            org.organisation_id,
            "London",
            zone,
            Currency::parse("GBP").unwrap(),
            now,
        )
        .await
        .unwrap();
    let hash = password::hash(Secret::new(PASSWORD)).await.unwrap();
    let person = app
        .store
        .create_person(
            &NewPerson {
                organisation_id: org.organisation_id,
                location_id: org.location_id,
                team_id: None,
                display_name: "Main's admin",
                username: "local-admin.a",
                email: None,
                password_hash: Some(&hash),
                pin_hash: None,
            },
            now,
        )
        .await
        .unwrap();
    app.store
        .grant_role(
            org.organisation_id,
            person.id,
            Role::Admin,
            Some(org.location_id),
            now,
        )
        .await
        .unwrap();
    (london.id, person.id)
}

async fn a_location_admin_stays_in_their_location(kind: Db) {
    let app = spawn_app(kind).await;
    let org = organisation(&app.store, "a").await;
    let (london, me) = location_admin(&app, &org).await;
    let local = app.signed_in("local-admin.a").await;

    // Organisation-level administration is not theirs.
    for (endpoint, form) in [
        ("admin/audit", vec![]),
        (
            "admin/update-organisation",
            vec![
                ("name", "Taken over"),
                ("currency", "EUR"),
                ("time_zone", "Europe/Lisbon"),
            ],
        ),
        (
            "admin/add-location",
            vec![
                ("name", "Mine"),
                ("time_zone", "Europe/Lisbon"),
                ("currency", "EUR"),
            ],
        ),
        (
            "admin/add-taxonomy",
            vec![("kind", "category"), ("label", "Mine")],
        ),
    ] {
        let answer = app.call(&local, endpoint, &form).await;
        assert_eq!(answer.status, 403, "{endpoint}: {answer:?}");
    }
    // They cannot make themselves (or anyone) an organisation-wide admin…
    let me_text = me.to_string();
    let wide = app
        .call(
            &local,
            "admin/grant-role",
            &[
                ("person_id", &me_text),
                ("role", "admin"),
                ("location_id", ""),
            ],
        )
        .await;
    assert!(wide.status == 400 || wide.status == 403, "{wide:?}");
    // …nor grant at a location that is not theirs, nor add people there.
    let elsewhere = app
        .call(
            &local,
            "admin/grant-role",
            &[
                ("person_id", &org.person("staff.a").to_string()),
                ("role", "supervisor"),
                ("location_id", &london.to_string()),
            ],
        )
        .await;
    assert!(
        elsewhere.status == 400 || elsewhere.status == 403,
        "{elsewhere:?}"
    );
    let add = app
        .call(
            &local,
            "admin/add-person",
            &[
                ("display_name", "New"),
                ("username", "new.person"),
                ("location_id", &london.to_string()),
                ("team_id", ""),
                ("role", "admin"),
                ("password", "a long enough password"),
                ("pin", ""),
            ],
        )
        .await;
    assert_eq!(add.status, 404, "{add:?}");
    // The organisation-wide leader is not theirs to administer.
    let leader = app
        .call(
            &local,
            "admin/revoke-sessions",
            &[("person_id", &org.person("leader.a").to_string())],
        )
        .await;
    assert_eq!(leader.status, 404, "{leader:?}");
    let grants = app.store.grants_of(org.organisation_id, me).await.unwrap();
    assert_eq!(grants.len(), 1, "{grants:?}");
    assert_eq!(grants[0].location_id, Some(org.location_id));

    // Within their location they work: a person added there, a role granted there.
    let added = app
        .call(
            &local,
            "admin/add-person",
            &[
                ("display_name", "New"),
                ("username", "new.person"),
                ("location_id", &org.location_id.to_string()),
                ("team_id", ""),
                ("role", "staff"),
                ("password", "a long enough password"),
                ("pin", ""),
            ],
        )
        .await;
    assert_eq!(added.status, 200, "{added:?}");
    let granted = app
        .call(
            &local,
            "admin/grant-role",
            &[
                ("person_id", &org.person("staff.a").to_string()),
                ("role", "supervisor"),
                ("location_id", &org.location_id.to_string()),
            ],
        )
        .await;
    assert_eq!(granted.status, 200, "{granted:?}");
    // The overview shows only their location's people.
    let overview = app.call(&local, "admin/overview", &[]).await;
    assert_eq!(overview.status, 200, "{overview:?}");
    let locations = overview.body["locations"].as_array().unwrap();
    assert_eq!(locations.len(), 1, "{locations:?}");
}

#[tokio::test]
async fn a_location_admin_stays_in_their_location_sqlite() {
    a_location_admin_stays_in_their_location(Db::Sqlite).await;
}

#[tokio::test]
async fn a_location_admin_stays_in_their_location_postgres() {
    a_location_admin_stays_in_their_location(Db::Postgres).await;
}

#[tokio::test]
async fn an_absurd_amount_is_refused_with_the_maximum() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;
    daily_budget(&app, &format!("team:{}", org.team_id), "50.00").await;
    let staff = app.signed_in("staff.a").await;
    for amount in ["92233720368547758.07", "10000.01"] {
        let answer = app
            .call(&staff, "log-recovery", &form(amount, amount, ""))
            .await;
        assert_eq!(answer.status, 400, "{answer:?}");
        assert!(
            answer.body.to_string().contains("10000.00 EUR"),
            "{answer:?}"
        );
    }
    let admin = app.signed_in("admin.a").await;
    let policy = app
        .call(
            &admin,
            "admin/set-policy",
            &[
                ("scope", "organisation"),
                ("daily", "92233720368547758.07"),
                ("cap", ""),
            ],
        )
        .await;
    assert_eq!(policy.status, 400, "{policy:?}");
    let queue = app.call(&admin, "improvements/queue", &[]).await;
    assert!(queue.status < 500, "{queue:?}");
}

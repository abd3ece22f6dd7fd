//! The supervisor console over HTTP: review and reversal (shown in both people's logs and the
//! audit log), spend against allowance, the sampled review, budgets, and the supervisor's
//! scope — on both databases.

use app::{
    domain::{
        budget_day::parse_time_zone,
        money::Currency,
        policy::{BudgetPolicy, PolicyScope},
        recovery::{Channel, NewRecovery, Reaction, RemedyType, Severity},
    },
    store::{ledger::RecordRecovery, organisations::NewPerson, Store},
};
use chrono::{DateTime, Utc};

use crate::helpers::{organisation, spawn_app, Db, Org, TestApp};

/// 50.00 a day for everyone in the organisation.
async fn fifty_a_day(store: &Store, org: &Org) {
    store
        .set_policy(
            org.organisation_id,
            &BudgetPolicy::new(PolicyScope::Organisation, 5_000, None).unwrap(),
            Utc::now(),
        )
        .await
        .unwrap();
}

/// A recovery written straight to the ledger (for history the tablet cannot backdate).
async fn recorded(
    store: &Store,
    org: &Org,
    person_id: i64,
    key: &str,
    amount_minor: i64,
    occurred_at: DateTime<Utc>,
) -> i64 {
    store
        .record_recovery(
            &RecordRecovery {
                organisation_id: org.organisation_id,
                person_id,
                recorded_by: person_id,
                idempotency_key: key.into(),
                recovery: NewRecovery {
                    occurred_at,
                    touchpoint: "front-desk".into(),
                    channel: Channel::InPerson,
                    customer_ref: None,
                    category: "noise".into(),
                    severity: Severity::Low,
                    description: "Music from the bar".into(),
                    remedy: RemedyType::ComplimentaryItem,
                    amount_minor,
                    reaction: Reaction::Satisfied,
                    cause: None,
                    cause_note: None,
                    follow_up_due: None,
                },
                fingerprint: None,
            },
            occurred_at,
        )
        .await
        .unwrap()
        .recovery_id
}

async fn log_within_budget(app: &TestApp, client: &reqwest::Client, key: &str) -> i64 {
    let answer = app
        .call(
            client,
            "log-recovery",
            &[
                ("idempotency_key", key),
                ("category", "noise"),
                ("remedy", "complimentary-item"),
                ("amount", "20"),
                ("reaction", "satisfied"),
                ("touchpoint", "front-desk"),
            ],
        )
        .await;
    assert_eq!(answer.body["status"], "posted", "{answer:?}");
    answer.body["recovery_id"].as_i64().unwrap()
}

async fn reversal_shows_in_both_logs_and_the_audit_log(kind: Db) {
    let app = spawn_app(kind).await;
    let org = organisation(&app.store, "a").await;
    fifty_a_day(&app.store, &org).await;
    let staff = app.signed_in("staff.a").await;
    let id = log_within_budget(&app, &staff, "k1").await;

    let supervisor = app.signed_in("supervisor.a").await;
    let review = app
        .call(&supervisor, "console/review", &[("status", "posted")])
        .await;
    assert_eq!(review.status, 200, "{review:?}");
    let row = &review.body["rows"][0];
    assert_eq!(row["recovery_id"], id);
    assert_eq!(row["amount"], "20.00 EUR");
    assert_eq!(row["reversible"], true);
    let key = row["reversal_key"].as_str().unwrap().to_string();
    let id = id.to_string();

    // A reason is required, and says so.
    let blank = app
        .call(
            &supervisor,
            "console/reverse",
            &[
                ("recovery_id", &id),
                ("reason", "  "),
                ("idempotency_key", &key),
            ],
        )
        .await;
    assert_eq!(blank.status, 400, "{blank:?}");
    let reverse = [
        ("recovery_id", id.as_str()),
        ("reason", "Logged against the wrong guest"),
        ("idempotency_key", key.as_str()),
    ];
    let reversed = app.call(&supervisor, "console/reverse", &reverse).await;
    assert_eq!(reversed.status, 200, "{reversed:?}");
    assert!(
        reversed
            .body
            .as_str()
            .unwrap()
            .starts_with("Reversed staff of a's recovery: 20.00 EUR back in the budget of"),
        "{reversed:?}"
    );
    // Pressed twice: the same answer, one reversal, one audit entry.
    assert_eq!(
        app.call(&supervisor, "console/reverse", &reverse)
            .await
            .status,
        200
    );
    // Another supervisor is told it is already reversed.
    let manager = app.signed_in("manager.a").await;
    let again = app
        .call(
            &manager,
            "console/reverse",
            &[
                ("recovery_id", &id),
                ("reason", "Duplicate"),
                ("idempotency_key", "other"),
            ],
        )
        .await;
    assert_eq!(again.status, 409, "{again:?}");

    // The staff member's log shows it reversed, with the reason; the budget is back.
    let log = app.call(&staff, "my-log", &[("days", "1")]).await;
    assert_eq!(log.body[0]["status"], "reversed", "{log:?}");
    assert_eq!(log.body[0]["reason"], "Logged against the wrong guest");
    let today = app.call(&staff, "today", &[]).await;
    assert_eq!(today.body["remaining"], "50.00", "{today:?}");
    // The supervisor's own log shows the reversal they made.
    let actions = app.call(&supervisor, "my-actions", &[]).await;
    assert_eq!(actions.body.as_array().unwrap().len(), 1, "{actions:?}");
    assert_eq!(actions.body[0]["action"], "Reversed");
    assert_eq!(actions.body[0]["person"], "staff of a");
    assert_eq!(actions.body[0]["amount"], "20.00 EUR");
    // And the audit log, once.
    let admin = app.signed_in("admin.a").await;
    let audit = app.call(&admin, "admin/audit", &[]).await;
    let reversals: Vec<&serde_json::Value> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "recovery.reverse")
        .collect();
    assert_eq!(reversals.len(), 1, "{audit:?}");
    assert_eq!(reversals[0]["subject"], format!("recovery:{id}"));
    assert_eq!(reversals[0]["actor"], "supervisor of a");

    // Nobody reverses their own recovery.
    let own = log_within_budget(&app, &supervisor, "own")
        .await
        .to_string();
    let refused = app
        .call(
            &supervisor,
            "console/reverse",
            &[
                ("recovery_id", &own),
                ("reason", "Mine"),
                ("idempotency_key", "own-rev"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
}

#[tokio::test]
async fn a_reversal_shows_in_both_logs_and_the_audit_log_on_sqlite() {
    reversal_shows_in_both_logs_and_the_audit_log(Db::Sqlite).await;
}

#[tokio::test]
async fn a_reversal_shows_in_both_logs_and_the_audit_log_on_postgres() {
    reversal_shows_in_both_logs_and_the_audit_log(Db::Postgres).await;
}

/// A second location ("Annex") with one staff member, outside supervisor.a's scope.
async fn annex(store: &Store, org: &Org) -> (i64, i64) {
    let now = Utc::now();
    let location = store
        .create_location(
            org.organisation_id,
            "Annex",
            parse_time_zone("Europe/Lisbon").unwrap(),
            Currency::parse("EUR").unwrap(),
            now,
        )
        .await
        .unwrap();
    let person = store
        .create_person(
            &NewPerson {
                organisation_id: org.organisation_id,
                location_id: location.id,
                team_id: None,
                display_name: "annex staff",
                username: "annex.staff",
                email: None,
                password_hash: None,
                pin_hash: None,
            },
            now,
        )
        .await
        .unwrap();
    (location.id, person.id)
}

async fn a_supervisor_sees_and_changes_only_their_locations(kind: Db) {
    let app = spawn_app(kind).await;
    let org = organisation(&app.store, "a").await;
    fifty_a_day(&app.store, &org).await;
    let (annex_location, annex_person) = annex(&app.store, &org).await;
    let elsewhere = recorded(&app.store, &org, annex_person, "annex", 1_000, Utc::now()).await;
    let staff = app.signed_in("staff.a").await;
    log_within_budget(&app, &staff, "k1").await;

    let supervisor = app.signed_in("supervisor.a").await;
    let review = app.call(&supervisor, "console/review", &[]).await;
    let people: Vec<&str> = review.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["person"].as_str().unwrap())
        .collect();
    assert_eq!(people, vec!["staff of a"], "{review:?}");
    let locations = review.body["options"]["locations"].to_string();
    assert!(!locations.contains("Annex"), "{locations}");
    let annex_filter = app
        .call(
            &supervisor,
            "console/review",
            &[("location", &annex_location.to_string())],
        )
        .await;
    assert_eq!(annex_filter.status, 404, "{annex_filter:?}");

    let spend = app
        .call(&supervisor, "console/spend", &[("from", ""), ("to", "")])
        .await;
    let names = spend.body["people"].to_string();
    assert!(!names.contains("annex staff"), "{names}");
    let line = spend.body["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "staff of a")
        .unwrap();
    assert_eq!(
        (&line["spent"], &line["allowance"], &line["used_percent"]),
        (&"20.00 EUR".into(), &"50.00 EUR".into(), &40.into()),
        "{line}"
    );
    let team = &spend.body["teams"][0];
    assert_eq!(team["name"], "Front desk");
    assert_eq!(team["recoveries"], 1);

    // Their people's and teams' budgets, yes; another location's or the organisation's, no.
    let elsewhere = elsewhere.to_string();
    let reverse = app
        .call(
            &supervisor,
            "console/reverse",
            &[
                ("recovery_id", &elsewhere),
                ("reason", "No"),
                ("idempotency_key", "x"),
            ],
        )
        .await;
    assert_eq!(reverse.status, 404, "{reverse:?}");
    let check = app
        .call(
            &supervisor,
            "console/spot-check",
            &[
                ("recovery_id", &elsewhere),
                ("verdict", "looks-right"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(check.status, 404, "{check:?}");
    let set = |scope: String| {
        let (app, supervisor) = (&app, &supervisor);
        async move {
            app.call(
                supervisor,
                "admin/set-policy",
                &[("scope", &scope), ("daily", "40"), ("cap", "15")],
            )
            .await
            .status
        }
    };
    // Out of scope reads as not found.
    assert_eq!(set(format!("person:{annex_person}")).await, 404);
    assert_eq!(set("organisation".into()).await, 403);
    assert_eq!(set("role:staff".into()).await, 403);
    assert_eq!(set(format!("person:{}", org.person("staff.a"))).await, 200);
    let boost = app
        .call(
            &supervisor,
            "admin/add-boost",
            &[
                ("scope", &format!("team:{}", org.team_id)),
                ("from", "2099-12-01"),
                ("to", "2099-12-31"),
                ("extra", "10"),
                ("reason", "Winter works"),
            ],
        )
        .await;
    assert_eq!(boost.status, 200, "{boost:?}");
    let budgets = app.call(&supervisor, "console/budgets", &[]).await;
    let staff_line = budgets.body["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "staff of a")
        .unwrap();
    assert_eq!(
        staff_line["own_policy"],
        "40.00 EUR a day, at most 15.00 EUR a recovery"
    );
    assert_eq!(staff_line["today"], "40.00 EUR");
    assert!(!budgets.body.to_string().contains("annex staff"));
    assert_eq!(
        budgets.body["teams"][0]["boosts"][0],
        "+10.00 EUR a day, 01 Dec – 31 Dec"
    );
    // The change is audited with the supervisor's name.
    let admin = app.signed_in("admin.a").await;
    let audit = app.call(&admin, "admin/audit", &[]).await;
    assert!(audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|e| e["action"] == "budget.set-policy" && e["actor"] == "supervisor of a"));
}

#[tokio::test]
async fn a_supervisor_sees_and_changes_only_their_locations_on_sqlite() {
    a_supervisor_sees_and_changes_only_their_locations(Db::Sqlite).await;
}

#[tokio::test]
async fn a_supervisor_sees_and_changes_only_their_locations_on_postgres() {
    a_supervisor_sees_and_changes_only_their_locations(Db::Postgres).await;
}

#[tokio::test]
async fn bad_filters_are_refused_with_a_reason() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let supervisor = app.signed_in("supervisor.a").await;
    for (endpoint, form, words) in [
        (
            "console/review",
            vec![("from", "2026-11-10"), ("to", "2026-11-01")],
            "earlier date first",
        ),
        ("console/review", vec![("from", "10/11/2026")], "2026-11-23"),
        ("console/review", vec![("status", "lost")], "status"),
        ("console/review", vec![("sort", "random")], "order"),
        ("console/review", vec![("min", "ten")], "Smallest amount"),
        (
            "console/review",
            vec![("person", "'; DROP TABLE people")],
            "person",
        ),
        (
            "console/spend",
            vec![("from", "2026-01-01"), ("to", "2026-12-31")],
            "at most 92 days",
        ),
    ] {
        let answer = app.call(&supervisor, endpoint, &form).await;
        assert_eq!(answer.status, 400, "{endpoint} {form:?}: {answer:?}");
        assert!(
            answer.body.to_string().contains(words),
            "{endpoint} {form:?}: {answer:?}"
        );
    }
}

#[tokio::test]
async fn the_daily_sample_offers_within_budget_recoveries_and_records_a_verdict() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;
    fifty_a_day(&app.store, &org).await;
    let yesterday = Utc::now() - chrono::Duration::days(1);
    let staff = org.person("staff.a");
    let posted = recorded(&app.store, &org, staff, "y1", 1_500, yesterday).await;
    // Over budget: goes to approval, not to the sample.
    recorded(&app.store, &org, staff, "y2", 9_000, yesterday).await;
    // Today's are sampled tomorrow.
    recorded(&app.store, &org, staff, "t1", 500, Utc::now()).await;

    let supervisor = app.signed_in("supervisor.a").await;
    let sample = app.call(&supervisor, "console/sample", &[]).await;
    let items = sample.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{sample:?}");
    assert_eq!(items[0]["recovery_id"], posted);
    assert_eq!(items[0]["amount"], "15.00 EUR");
    assert!(items[0]["verdict"].is_null());

    let posted_id = posted;
    let posted = posted.to_string();
    let silent = app
        .call(
            &supervisor,
            "console/spot-check",
            &[
                ("recovery_id", &posted),
                ("verdict", "needs-a-talk"),
                ("note", ""),
            ],
        )
        .await;
    assert_eq!(silent.status, 400, "{silent:?}");
    let talk = app
        .call(
            &supervisor,
            "console/spot-check",
            &[
                ("recovery_id", &posted),
                ("verdict", "needs-a-talk"),
                ("note", "A drink would have done"),
            ],
        )
        .await;
    assert_eq!(talk.status, 200, "{talk:?}");
    let sample = app.call(&supervisor, "console/sample", &[]).await;
    assert_eq!(
        sample.body["items"][0]["verdict"],
        "Needs a talk — supervisor of a"
    );
    assert_eq!(sample.body["items"][0]["note"], "A drink would have done");
    // The review shows the verdict too.
    let review = app
        .call(&supervisor, "console/review", &[("status", "posted")])
        .await;
    let row = review.body["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["recovery_id"] == posted_id)
        .unwrap()
        .clone();
    assert_eq!(
        row["spot_check"],
        "Needs a talk — supervisor of a: A drink would have done"
    );
}

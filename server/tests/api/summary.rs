//! The monthly summary over HTTP: the page's data, leadership's commentary and publication,
//! and the CSV exports — each for the right people only, and never another organisation's.

use app::{
    domain::recovery::{Channel, NewRecovery, Reaction, RemedyType, Severity},
    store::ledger::RecordRecovery,
};
use chrono::{TimeZone, Utc};

use crate::helpers::{organisation, spawn_app, Db};

async fn summary_exports_and_publication(kind: Db) {
    let app = spawn_app(kind).await;
    let a = organisation(&app.store, "a").await;
    organisation(&app.store, "b").await;
    // One recovery in January 2025 whose note would be a formula in a spreadsheet.
    let staff = a.person("staff.a");
    app.store
        .record_recovery(
            &RecordRecovery {
                organisation_id: a.organisation_id,
                person_id: staff,
                recorded_by: staff,
                idempotency_key: "jan".into(),
                recovery: NewRecovery {
                    occurred_at: Utc.with_ymd_and_hms(2025, 1, 15, 10, 0, 0).unwrap(),
                    touchpoint: "front-desk".into(),
                    channel: Channel::InPerson,
                    customer_ref: None,
                    category: "noise".into(),
                    severity: Severity::Medium,
                    description: "=HYPERLINK(\"http://example.invalid\"), said the guest".into(),
                    remedy: RemedyType::FixOrApology,
                    amount_minor: 0,
                    reaction: Reaction::Delighted,
                    cause: None,
                    cause_note: None,
                    follow_up_due: None,
                },
                fingerprint: None,
            },
            Utc.with_ymd_and_hms(2025, 1, 15, 10, 5, 0).unwrap(),
        )
        .await
        .unwrap();

    let leader = app.signed_in("leader.a").await;
    let page = app
        .call(
            &leader,
            "summary/month",
            &[("month", "2025-01"), ("location", "")],
        )
        .await;
    assert_eq!(page.status, 200, "{page:?}");
    assert_eq!(page.body["summary"]["headline"]["recoveries"], 1);
    assert_eq!(page.body["location"], "all");
    assert_eq!(page.body["can_publish"], true);
    let bad = app
        .call(
            &leader,
            "summary/month",
            &[("month", "2025-13"), ("location", "")],
        )
        .await;
    assert_eq!(bad.status, 400, "{bad:?}");

    let csv = app
        .get(
            &leader,
            "/summary/export/recoveries.csv?month=2025-01&location=all",
        )
        .await;
    assert_eq!(csv.status().as_u16(), 200);
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    assert!(csv.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("goodwill-recoveries-2025-01-all-locations.csv"));
    let body = csv.text().await.unwrap();
    let lines: Vec<&str> = body.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 2, "{body}");
    assert!(lines[0].starts_with("recovery,budget_date,"));
    // Quoted, and the formula disarmed.
    assert!(
        lines[1].contains("\"'=HYPERLINK(\"\"http://example.invalid\"\"), said the guest\""),
        "{}",
        lines[1]
    );
    let tables = app
        .get(
            &leader,
            "/summary/export/tables.csv?month=2025-01&location=all",
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(tables.contains("headline,all,recoveries,1\r\n"), "{tables}");
    assert!(tables.contains("summary,"), "{tables}");

    // Commentary, then publication; afterwards the commentary is frozen.
    let saved = app
        .call(
            &leader,
            "summary/commentary",
            &[
                ("month", "2025-01"),
                ("location", ""),
                ("commentary", "Quiet month."),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{saved:?}");
    let future = app
        .call(
            &leader,
            "summary/publish",
            &[("month", "2099-01"), ("location", "")],
        )
        .await;
    assert_eq!(
        future.status, 400,
        "a month not over cannot be published: {future:?}"
    );
    let published = app
        .call(
            &leader,
            "summary/publish",
            &[("month", "2025-01"), ("location", "")],
        )
        .await;
    assert_eq!(published.status, 200, "{published:?}");
    let page = app
        .call(
            &leader,
            "summary/month",
            &[("month", "2025-01"), ("location", "")],
        )
        .await;
    assert_eq!(page.body["published"]["commentary"], "Quiet month.");
    let late = app
        .call(
            &leader,
            "summary/commentary",
            &[
                ("month", "2025-01"),
                ("location", ""),
                ("commentary", "Changed"),
            ],
        )
        .await;
    assert_eq!(late.status, 409, "{late:?}");
    let tables = app
        .get(
            &leader,
            "/summary/export/tables.csv?month=2025-01&location=all",
        )
        .await
        .text()
        .await
        .unwrap();
    assert!(tables.contains(",state,published\r\n"), "{tables}");

    // Staff get nothing; another organisation's admin gets their own organisation's month.
    let staff = app.signed_in("staff.a").await;
    let refused = app
        .get(&staff, "/summary/export/recoveries.csv?month=2025-01")
        .await;
    assert_eq!(refused.status().as_u16(), 403);
    let anonymous = crate::helpers::browser();
    let refused = app
        .get(&anonymous, "/summary/export/tables.csv?month=2025-01")
        .await;
    assert_eq!(refused.status().as_u16(), 401);
    let other = app.signed_in("admin.b").await;
    let theirs = app
        .get(
            &other,
            "/summary/export/recoveries.csv?month=2025-01&location=all",
        )
        .await
        .text()
        .await
        .unwrap();
    assert_eq!(
        theirs.split("\r\n").filter(|l| !l.is_empty()).count(),
        1,
        "{theirs}"
    );
    let location = a.location_id.to_string();
    let foreign = app
        .get(
            &other,
            &format!("/summary/export/recoveries.csv?month=2025-01&location={location}"),
        )
        .await;
    assert!(
        matches!(foreign.status().as_u16(), 403 | 404),
        "{}",
        foreign.status()
    );
    let unknown = app.get(&leader, "/summary/export/secrets.csv").await;
    assert_eq!(unknown.status().as_u16(), 404);
}

#[tokio::test]
async fn summary_exports_and_publication_on_sqlite() {
    summary_exports_and_publication(Db::Sqlite).await;
}

#[tokio::test]
async fn summary_exports_and_publication_on_postgres() {
    summary_exports_and_publication(Db::Postgres).await;
}

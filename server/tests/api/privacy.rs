//! Customers' personal data over HTTP (docs/PRIVACY.md): the history a tablet shows, a
//! customer's export (a same-origin form post, admins only) and erasure — after which the
//! reference is in no answer.

use crate::helpers::{browser, organisation, spawn_app, Db, TestApp};

async fn export(
    app: &TestApp,
    client: &reqwest::Client,
    origin: &str,
    format: &str,
) -> (u16, String, String) {
    let response = client
        .post(format!("{}/admin/privacy/export", app.address))
        .header("origin", origin)
        .form(&[
            ("reference", "ROOM  807"),
            ("from", ""),
            ("to", ""),
            ("format", format),
        ])
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    let kind = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or_default().to_string())
        .unwrap_or_default();
    (status, kind, response.text().await.unwrap_or_default())
}

async fn customer_data_is_shown_handed_over_and_erased(kind: Db) {
    let app = spawn_app(kind).await;
    organisation(&app.store, "a").await;
    organisation(&app.store, "b").await;
    let staff = app.signed_in("staff.a").await;
    for (key, room) in [("p1", "Room 807"), ("p2", "room807"), ("p3", "Room 808")] {
        let logged = app
            .call(
                &staff,
                "log-recovery",
                &[
                    ("idempotency_key", key),
                    ("category", "noise"),
                    ("remedy", "fix-or-apology"),
                    ("amount", "0"),
                    ("reaction", "satisfied"),
                    ("touchpoint", "front-desk"),
                    ("customer_ref", room),
                    (
                        "description",
                        "Guest in the corner room heard the lift all night",
                    ),
                ],
            )
            .await;
        assert_eq!(logged.status, 200, "{logged:?}");
    }
    // The tablet's history: both entries for 807, however typed; not 808's.
    let history = app
        .call(&staff, "customer-history", &[("reference", " room 807")])
        .await;
    assert_eq!(history.status, 200, "{history:?}");
    assert_eq!(
        history.body.as_array().map(Vec::len),
        Some(2),
        "{history:?}"
    );
    // Another organisation's staff see nothing of it.
    let other = app.signed_in("staff.b").await;
    let theirs = app
        .call(&other, "customer-history", &[("reference", "Room 807")])
        .await;
    assert_eq!(theirs.body, serde_json::json!([]));

    // The export: admins only, same origin only.
    let admin = app.signed_in("admin.a").await;
    let (status, kind, csv) = export(&app, &admin, &app.address, "csv").await;
    assert_eq!(status, 200, "{csv}");
    assert!(kind.starts_with("text/csv"), "{kind}");
    assert_eq!(csv.lines().count(), 3, "header and two recoveries: {csv}");
    assert!(csv.contains("Room 807") && csv.contains("room807") && !csv.contains("808"));
    let (status, kind, json) = export(&app, &admin, &app.address, "json").await;
    assert_eq!(status, 200);
    assert!(kind.starts_with("application/json"));
    let parsed: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(parsed["recoveries"].as_array().map(Vec::len), Some(2));
    assert_eq!(export(&app, &admin, &app.address, "xml").await.0, 400);
    assert_eq!(export(&app, &staff, &app.address, "csv").await.0, 403);
    assert_eq!(export(&app, &browser(), &app.address, "csv").await.0, 401);
    let (status, _, body) = export(&app, &admin, "http://evil.example", "csv").await;
    assert!(
        status == 403,
        "a cross-site post was answered {status}: {body}"
    );
    // Another organisation's admin finds none of A's.
    let admin_b = app.signed_in("admin.b").await;
    let (status, _, csv) = export(&app, &admin_b, &app.address, "csv").await;
    assert_eq!((status, csv.lines().count()), (200, 1), "{csv}");

    let review = app
        .call(&admin, "console/review", &[])
        .await
        .body
        .to_string();
    assert!(
        review.contains("807") && review.contains("lift all night"),
        "{review}"
    );

    // Erasure: a reason naming the customer is refused; then both are emptied.
    let refused = app
        .call(
            &admin,
            "admin/privacy/erase",
            &[
                ("reference", "Room 807"),
                ("from", ""),
                ("to", ""),
                ("reason", "Room 807 asked"),
            ],
        )
        .await;
    assert_eq!(refused.status, 400, "{refused:?}");
    let erased = app
        .call(
            &admin,
            "admin/privacy/erase",
            &[
                ("reference", "Room 807"),
                ("from", ""),
                ("to", ""),
                ("reason", "Guest's email of 30 November"),
            ],
        )
        .await;
    assert_eq!(
        (erased.status, erased.body.clone()),
        (200, serde_json::json!(2))
    );
    // In no answer any more: history, export, the person's own log, the review page.
    let history = app
        .call(&staff, "customer-history", &[("reference", "Room 807")])
        .await;
    assert_eq!(history.body, serde_json::json!([]));
    let (_, _, csv) = export(&app, &admin, &app.address, "csv").await;
    assert_eq!(csv.lines().count(), 1, "{csv}");
    let log = app.call(&staff, "my-log", &[("days", "7")]).await;
    let log = log.body.to_string();
    // Room 808's text stays; 807's two are emptied.
    assert_eq!(log.matches("lift all night").count(), 1, "{log}");
    assert_eq!(log.matches("\"recovery_id\"").count(), 3, "{log}");
    let review = app
        .call(&admin, "console/review", &[])
        .await
        .body
        .to_string();
    assert!(!review.contains("807"), "{review}");
    assert!(review.contains("808"), "{review}");
    // The redaction log says who, why and how many; never the reference.
    let page = app.call(&admin, "admin/privacy", &[]).await;
    let page = page.body.to_string();
    assert!(page.contains("Guest's email of 30 November"), "{page}");
    assert!(!page.to_lowercase().contains("807"), "{page}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_data_is_shown_handed_over_and_erased_on_sqlite() {
    customer_data_is_shown_handed_over_and_erased(Db::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn customer_data_is_shown_handed_over_and_erased_on_postgres() {
    customer_data_is_shown_handed_over_and_erased(Db::Postgres).await;
}

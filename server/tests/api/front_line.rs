//! The front line over HTTP: logging against one's own budget, field errors, replays,
//! today's figures and warnings, my log, and follow-ups.

use crate::helpers::{organisation, spawn_app, Db};

fn form<'a>(
    key: &'a str,
    category: &'a str,
    remedy: &'a str,
    amount: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("idempotency_key", key),
        ("category", category),
        ("remedy", remedy),
        ("amount", amount),
        ("reaction", "satisfied"),
        ("touchpoint", "front-desk"),
    ]
}

#[tokio::test]
async fn logging_posts_within_budget_and_sends_the_excess_for_approval() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;
    let admin = app.signed_in("admin.a").await;
    let team = format!("team:{}", org.team_id);
    app.call(
        &admin,
        "admin/set-policy",
        &[("scope", &team), ("daily", "50.00"), ("cap", "")],
    )
    .await;

    let staff = app.signed_in("staff.a").await;
    let posted = app
        .call(
            &staff,
            "log-recovery",
            &form("k1", "room-not-ready", "complimentary-item", "12.50"),
        )
        .await;
    assert_eq!(posted.status, 200, "{posted:?}");
    assert_eq!(posted.body["message"], "Posted — 37.50 EUR left today");
    assert_eq!(posted.body["remaining"], "37.50 EUR");
    assert_eq!(posted.body["status"], "posted");

    let pending = app
        .call(&staff, "log-recovery", &form("k2", "noise", "refund", "40"))
        .await;
    assert_eq!(
        pending.body["message"],
        "Sent for approval: 2.50 EUR over your budget — 0.00 EUR left today"
    );
    assert_eq!(pending.body["status"], "pending");

    // The same key again (a double tap, a retry): one recovery, the original answer.
    let again = app
        .call(
            &staff,
            "log-recovery",
            &form("k1", "room-not-ready", "complimentary-item", "12.50"),
        )
        .await;
    assert_eq!(again.status, 200, "{again:?}");
    assert_eq!(again.body["recovery_id"], posted.body["recovery_id"]);
    assert_eq!(again.body["replayed"], true);
    // The same key with another body is refused, not recorded.
    let conflict = app
        .call(
            &staff,
            "log-recovery",
            &form("k1", "room-not-ready", "complimentary-item", "13"),
        )
        .await;
    assert_eq!(conflict.status, 409);

    let log = app.call(&staff, "my-log", &[("days", "1")]).await;
    let statuses: Vec<&str> = log
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses.len(), 2);
    assert!(
        statuses.contains(&"posted") && statuses.contains(&"pending"),
        "{statuses:?}"
    );

    let today = app.call(&staff, "today", &[]).await;
    assert_eq!(today.body["remaining"], "0.00");
    assert_eq!(today.body["pending"], "2.50");
    assert_eq!(today.body["used_percent"], 100);
    assert!(today.body["warning"]
        .as_str()
        .unwrap()
        .starts_with("Today's budget is used up"));
}

#[tokio::test]
async fn every_bad_field_gets_its_own_message_and_nothing_is_recorded() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let staff = app.signed_in("staff.a").await;
    let answer = app
        .call(
            &staff,
            "log-recovery",
            &[
                ("idempotency_key", "k"),
                ("category", "no-such-thing"),
                ("remedy", "refund"),
                ("amount", "-5"),
                ("reaction", ""),
            ],
        )
        .await;
    assert_eq!(answer.status, 400, "{answer:?}");
    let fields = answer.body["Fields"].as_array().unwrap();
    let message = |name: &str| {
        fields
            .iter()
            .find(|f| f["field"] == name)
            .map(|f| f["message"].as_str().unwrap().to_string())
    };
    assert_eq!(
        message("category").as_deref(),
        Some("Choose a category from the list")
    );
    assert_eq!(
        message("amount").as_deref(),
        Some("Amount can't be negative")
    );
    assert_eq!(
        message("reaction").as_deref(),
        Some("Choose how the customer reacted")
    );
    let log = app.call(&staff, "my-log", &[("days", "1")]).await;
    assert_eq!(log.body, serde_json::json!([]));
}

#[tokio::test]
async fn a_follow_up_shows_its_time_left_and_is_closed_once_by_its_owner() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let staff = app.signed_in("staff.a").await;
    let mut with_follow_up = form("k1", "billing-error", "fix-or-apology", "0");
    with_follow_up.extend([("follow_up_needed", "on"), ("follow_up_hours", "12")]);
    let logged = app.call(&staff, "log-recovery", &with_follow_up).await;
    let id = logged.body["recovery_id"].as_i64().unwrap().to_string();

    let today = app.call(&staff, "today", &[]).await;
    let follow_up = &today.body["follow_ups"][0];
    assert_eq!(follow_up["overdue"], false);
    let left = follow_up["time_left"].as_str().unwrap();
    assert!(left == "12 h left" || left == "11 h 59 min left", "{left}");

    // A colleague cannot close it; the owner can, once.
    let colleague = app.signed_in("extra.a").await;
    assert_eq!(
        app.call(
            &colleague,
            "complete-follow-up",
            &[("recovery_id", &id), ("note", "Called")]
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.call(
            &staff,
            "complete-follow-up",
            &[("recovery_id", &id), ("note", " ")]
        )
        .await
        .status,
        400
    );
    assert_eq!(
        app.call(
            &staff,
            "complete-follow-up",
            &[("recovery_id", &id), ("note", "Refund confirmed by phone")]
        )
        .await
        .status,
        200
    );
    assert_eq!(
        app.call(
            &staff,
            "complete-follow-up",
            &[("recovery_id", &id), ("note", "Again")]
        )
        .await
        .status,
        409
    );
    assert_eq!(
        app.call(&staff, "today", &[]).await.body["follow_ups"],
        serde_json::json!([])
    );
}

//! Hostile input to every server function: form fields replaced by empty, huge, malformed,
//! negative, overflowing, unicode and other organisations' values; fields missing; unknown
//! fields; JSON objects of each function's own fields holding values of every JSON type, JSON
//! of the wrong shape, garbage bytes. Whatever comes in, the answer is never a 5xx and a
//! refusal always says why. Bounded: a fixed seed and a fixed number of requests.

use rand::{rngs::StdRng, seq::SliceRandom, Rng, SeedableRng};

use crate::helpers::{browser, organisation, spawn_app, Db};

/// Every server function with the fields it takes. Left out: the ones that end the caller's
/// own session (sign-out, tablet set-up), which would only stop the run from reaching the rest.
const ENDPOINTS: &[(&str, &[&str])] = &[
    ("status", &[]),
    ("sign-in", &["organisation", "username", "password"]),
    ("today", &[]),
    ("log-form", &[]),
    (
        "log-recovery",
        &[
            "idempotency_key",
            "category",
            "remedy",
            "amount",
            "reaction",
            "touchpoint",
            "channel",
            "severity",
            "description",
            "customer_ref",
            "cause",
            "follow_up_needed",
        ],
    ),
    ("my-log", &["days"]),
    ("logged", &["recovery_id"]),
    ("complete-follow-up", &["recovery_id", "note"]),
    ("approvals/queue", &[]),
    (
        "approvals/resolve",
        &[
            "recovery_id",
            "decision",
            "amount",
            "reason",
            "idempotency_key",
        ],
    ),
    ("console/spend", &["from", "to"]),
    (
        "console/review",
        &[
            "from", "to", "location", "team", "person", "category", "remedy", "status", "min",
            "max", "sort",
        ],
    ),
    ("console/sample", &[]),
    ("console/budgets", &[]),
    ("console/spot-check", &["recovery_id", "verdict", "note"]),
    (
        "console/reverse",
        &["recovery_id", "reason", "idempotency_key"],
    ),
    ("improvements/queue", &["location", "status", "owner"]),
    ("improvements/item", &["id"]),
    ("improvements/similar", &["title"]),
    (
        "improvements/create",
        &[
            "title",
            "problem",
            "location_id",
            "category",
            "touchpoint",
            "recovery_ids",
        ],
    ),
    (
        "improvements/edit",
        &["id", "owner_id", "due_on", "countermeasure", "problem"],
    ),
    ("improvements/comment", &["id", "text"]),
    ("improvements/link", &["id", "recovery_ids"]),
    ("improvements/move", &["id", "from", "to", "reason"]),
    (
        "improvements/thresholds",
        &[
            "window_days",
            "location_occurrences",
            "organisation_occurrences",
        ],
    ),
    ("summary/month", &["month", "location"]),
    ("summary/commentary", &["month", "location", "commentary"]),
    ("summary/publish", &["month", "location"]),
    ("me", &[]),
    ("tablet-roster", &[]),
    ("admin/overview", &[]),
    ("admin/audit", &[]),
    (
        "admin/add-person",
        &[
            "display_name",
            "username",
            "location_id",
            "team_id",
            "role",
            "password",
            "pin",
        ],
    ),
    ("admin/reset-pin", &["person_id", "pin"]),
    ("admin/set-policy", &["scope", "daily", "cap"]),
    (
        "admin/add-boost",
        &["scope", "from", "to", "extra", "reason"],
    ),
    (
        "admin/update-organisation",
        &["name", "currency", "time_zone"],
    ),
    ("admin/add-location", &["name", "time_zone", "currency"]),
    (
        "admin/add-team",
        &["location_id", "name", "default_touchpoint"],
    ),
    ("admin/add-taxonomy", &["kind", "label"]),
    ("admin/set-taxonomy-active", &["kind", "code", "active"]),
    ("admin/grant-role", &["person_id", "role", "location_id"]),
    ("admin/revoke-role", &["person_id", "role", "location_id"]),
    ("admin/set-active", &["person_id", "active"]),
    ("pin-switch", &["person_id", "pin"]),
];

fn hostile_values(other_org: &[String]) -> Vec<String> {
    let mut values: Vec<String> = [
        "",
        " ",
        "0",
        "-1",
        "-0.01",
        "0.001",
        "1.005",
        "12,50",
        "1e309",
        "NaN",
        "inf",
        "0x10",
        "99999999999999999999999999",
        "9223372036854775807",
        "-9223372036854775808",
        "92233720368547758.07",
        "abc",
        "true",
        "null",
        "[]",
        "{}",
        "ü🙂 Ŝ ٣ 漢字",
        "\u{0}",
        "\u{202e}gnp.exe",
        "a\r\nSet-Cookie: x=y",
        "<script>alert(1)</script>",
        "' OR '1'='1' --",
        "../../etc/passwd",
        "%00",
        "2026-02-30",
        "2026-13-01",
        "0000-01-01",
        "9999-12-31",
        "+275760-09-13",
        "2026-10",
        "2026-00",
        "all",
        "team:999999",
        "location:-5",
        "organisation",
        "Europe/Nowhere",
        "XXX",
        "approve",
        "part",
        "deny",
        "admin",
        "leader",
        "verified",
        "1,2,3,-4,abc",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    values.push("x".repeat(100_000));
    values.push("9".repeat(5_000));
    values.push("🙂".repeat(20_000));
    values.extend(other_org.iter().cloned());
    values
}

/// A value of every JSON type, including numbers no amount or id can hold.
fn json_values(other_org: &[String]) -> Vec<serde_json::Value> {
    use serde_json::json;
    let mut values = vec![
        json!(null),
        json!(true),
        json!(0),
        json!(-1),
        json!(0.5),
        json!(-0.01),
        json!(1e308),
        json!(u64::MAX),
        json!(i64::MIN),
        json!("ü🙂 Ŝ ٣ 漢字"),
        json!(""),
        json!([1, 2]),
        json!({"$gt": 0}),
        json!("x".repeat(100_000)),
    ];
    values.extend(
        other_org
            .iter()
            .filter_map(|id| id.parse::<i64>().ok())
            .map(|id| json!(id)),
    );
    values
}

/// The start of an answer, for a failure message.
fn cut(text: &str) -> String {
    text.chars().take(300).collect()
}

async fn hostile_input_never_gets_a_5xx(kind: Db) {
    let app = spawn_app(kind).await;
    organisation(&app.store, "a").await;
    let b = organisation(&app.store, "b").await;
    let other_org: Vec<String> = [b.location_id, b.team_id, b.person("staff.b")]
        .iter()
        .map(|id| id.to_string())
        .collect();
    let values = hostile_values(&other_org);
    let json_values = json_values(&other_org);
    let mut rng = StdRng::seed_from_u64(20261123);
    let mut failures = Vec::new();
    let mut sent = 0;
    for who in ["staff.a", "supervisor.a", "admin.a", ""] {
        let client = if who.is_empty() {
            browser()
        } else {
            app.signed_in(who).await
        };
        for (endpoint, fields) in ENDPOINTS {
            let mut forms: Vec<Vec<(String, String)>> = Vec::new();
            // Every field hostile at once, several times over.
            for _ in 0..6 {
                forms.push(
                    fields
                        .iter()
                        .map(|f| (f.to_string(), values.choose(&mut rng).unwrap().clone()))
                        .collect(),
                );
            }
            // Each field missing in turn; an unknown field; a field given twice.
            for skip in 0..fields.len() {
                forms.push(
                    fields
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| *i != skip)
                        .map(|(_, f)| (f.to_string(), "1".to_string()))
                        .collect(),
                );
            }
            forms.push(vec![("unexpected".into(), "1".into())]);
            if let Some(first) = fields.first() {
                forms.push(vec![
                    (first.to_string(), "1".into()),
                    (first.to_string(), "2".into()),
                ]);
            }
            for form in forms {
                let response = client
                    .post(format!("{}/api/{endpoint}", app.address))
                    .header("origin", &app.address)
                    .header("accept", "application/json")
                    .form(&form)
                    .send()
                    .await
                    .expect("request");
                sent += 1;
                let status = response.status().as_u16();
                let body = response.text().await.unwrap_or_default();
                let shown: String = form
                    .iter()
                    .map(|(k, v)| format!("{k}={}", v.chars().take(40).collect::<String>()))
                    .collect::<Vec<_>>()
                    .join("&");
                if status >= 500 {
                    failures.push(format!("{endpoint} as {who:?} [{shown}]: {status} {body}"));
                } else if status >= 400 && body.trim().is_empty() {
                    failures.push(format!(
                        "{endpoint} as {who:?} [{shown}]: {status} without a reason"
                    ));
                }
            }
            // Bodies of the wrong kind: JSON objects of the endpoint's own fields with values
            // of every JSON type, JSON of the wrong shape, and garbage bytes.
            let typed: Vec<(&str, String)> = (0..3)
                .map(|_| {
                    let object: serde_json::Map<String, serde_json::Value> = fields
                        .iter()
                        .map(|f| (f.to_string(), json_values.choose(&mut rng).unwrap().clone()))
                        .collect();
                    (
                        "application/json",
                        serde_json::Value::Object(object).to_string(),
                    )
                })
                .collect();
            for (content_type, body) in typed.into_iter().chain([
                (
                    "application/json",
                    "{\"amount\": [1, 2], \"recovery_id\": {\"$gt\": 0}}".to_string(),
                ),
                ("application/json", "{".repeat(10_000)),
                (
                    "application/x-www-form-urlencoded",
                    "%%%%=%ZZ&&=&a=%".to_string(),
                ),
                (
                    "application/octet-stream",
                    String::from_utf8_lossy(&[0xff, 0xfe, 0x00, 0x80]).into_owned(),
                ),
            ]) {
                let response = client
                    .post(format!("{}/api/{endpoint}", app.address))
                    .header("origin", &app.address)
                    .header("accept", "application/json")
                    .header("content-type", content_type)
                    .body(body)
                    .send()
                    .await
                    .expect("request");
                sent += 1;
                let status = response.status().as_u16();
                let text = response.text().await.unwrap_or_default();
                if status >= 500 || (status >= 400 && text.trim().is_empty()) {
                    failures.push(format!(
                        "{endpoint} as {who:?} with a {content_type} body: {status} {}",
                        cut(&text)
                    ));
                }
            }
            let _ = rng.gen::<u8>();
        }
    }
    // Still up, and still answering.
    let health = app.get(&browser(), "/healthz").await;
    assert_eq!(health.status().as_u16(), 200);
    assert!(sent > 1_000, "{sent} requests");
    assert!(
        failures.is_empty(),
        "{} of {sent} hostile requests were not refused cleanly:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[tokio::test]
async fn hostile_input_never_gets_a_5xx_on_sqlite() {
    hostile_input_never_gets_a_5xx(Db::Sqlite).await;
}

#[tokio::test]
async fn hostile_input_never_gets_a_5xx_on_postgres() {
    hostile_input_never_gets_a_5xx(Db::Postgres).await;
}

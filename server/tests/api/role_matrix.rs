//! Every server function × every role × own or other organisation: allowed or refused, as a
//! table. Runs on SQLite and on PostgreSQL. A refused call must also change nothing (the
//! audit log of the target organisation stays as the allowed calls left it).

use crate::helpers::{browser, organisation, spawn_app, Db, TestApp, PASSWORD};

/// Who calls: a role in organisation A, the admin of organisation B, or nobody.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    Anonymous,
    Staff,
    Supervisor,
    Manager,
    Leader,
    Admin,
    OtherOrgAdmin,
}

const EVERYONE: [Who; 7] = [
    Who::Anonymous,
    Who::Staff,
    Who::Supervisor,
    Who::Manager,
    Who::Leader,
    Who::Admin,
    Who::OtherOrgAdmin,
];

impl Who {
    fn username(self) -> Option<&'static str> {
        match self {
            Who::Anonymous => None,
            Who::Staff => Some("staff.a"),
            Who::Supervisor => Some("supervisor.a"),
            Who::Manager => Some("manager.a"),
            Who::Leader => Some("leader.a"),
            Who::Admin => Some("admin.a"),
            Who::OtherOrgAdmin => Some("admin.b"),
        }
    }
}

/// The status each caller must get. `OK` = allowed (2xx/3xx).
const OK: u16 = 200;

fn expected(endpoint: &str, who: Who) -> u16 {
    use Who::*;
    match (endpoint, who) {
        // Public: reveals no organisation's data.
        ("status", _) => OK,
        // Answers "nobody" to anonymous callers.
        ("me", _) => OK,
        // Personal sessions are not tablets: the tablet functions refuse them.
        ("tablet-roster" | "end-turn" | "pin-switch", Anonymous) => 401,
        ("tablet-roster" | "end-turn" | "pin-switch", _) => 400,
        // The front line: everyone signed in, on their own budget and records (an entry sent
        // late from a personal device is the signed-in person's own).
        ("today" | "log-form" | "log-recovery" | "my-log" | "log-deferred", Anonymous) => 401,
        ("today" | "log-form" | "log-recovery" | "my-log" | "log-deferred", _) => OK,
        // One's own session and PIN: everyone signed in; step-up is for shared tablets only.
        ("still-here" | "change-pin", Anonymous) => 401,
        ("still-here" | "change-pin", _) => OK,
        ("step-up", Anonymous) => 401,
        ("step-up", _) => 400,
        // A receipt is its owner's only.
        ("logged", Anonymous) => 401,
        ("logged", Staff) => OK,
        ("logged", _) => 404,
        // A follow-up: its owner closes it (first), supervisors of the location may too (by
        // then it is done: 409 shows they got past the check), strangers cannot see it.
        ("complete-follow-up", Anonymous) => 401,
        ("complete-follow-up", Staff) => OK,
        ("complete-follow-up", OtherOrgAdmin) => 404,
        ("complete-follow-up", _) => 409,
        // The approval queue: supervisors and above, their own organisation's.
        ("approvals/queue", Anonymous) => 401,
        ("approvals/queue", Staff) => 403,
        ("approvals/queue", _) => OK,
        // Staff A's request: the first supervisor decides, the next ones are told it is done.
        ("approvals/resolve", Anonymous) => 401,
        ("approvals/resolve", Staff) => 403,
        ("approvals/resolve", Supervisor) => OK,
        ("approvals/resolve", OtherOrgAdmin) => 404,
        ("approvals/resolve", _) => 409,
        // The console's read-outs: supervisors and above, of their own organisation (another
        // organisation's admin sees their own, empty, organisation).
        ("console/spend" | "console/review" | "console/sample" | "console/budgets", Anonymous) => {
            401
        }
        ("console/spend" | "console/review" | "console/sample" | "console/budgets", Staff) => 403,
        ("console/spend" | "console/review" | "console/sample" | "console/budgets", _) => OK,
        // Staff A's posted recovery: the first supervisor checks it, the next are told it is
        // done; strangers cannot see it.
        ("console/spot-check", Anonymous) => 401,
        ("console/spot-check", Staff) => 403,
        ("console/spot-check", Supervisor) => OK,
        ("console/spot-check", OtherOrgAdmin) => 404,
        ("console/spot-check", _) => 409,
        // Staff A's approved request: the first supervisor reverses it, the next are told.
        ("console/reverse", Anonymous) => 401,
        ("console/reverse", Staff) => 403,
        ("console/reverse", Supervisor) => OK,
        ("console/reverse", OtherOrgAdmin) => 404,
        ("console/reverse", _) => 409,
        // The improvement queue: supervisors and above read it and comment; managers
        // (process owners) create, change and move items of their locations.
        ("improvements/queue" | "improvements/item" | "improvements/comment", Anonymous) => 401,
        ("improvements/queue" | "improvements/item" | "improvements/comment", Staff) => 403,
        ("improvements/queue", _) => OK,
        ("improvements/item" | "improvements/comment", OtherOrgAdmin) => 404,
        ("improvements/item" | "improvements/comment", _) => OK,
        (
            "improvements/similar"
            | "improvements/create"
            | "improvements/edit"
            | "improvements/link"
            | "improvements/move",
            Anonymous,
        ) => 401,
        (
            "improvements/similar"
            | "improvements/create"
            | "improvements/edit"
            | "improvements/link"
            | "improvements/move",
            Staff | Supervisor,
        ) => 403,
        ("improvements/similar", _) => OK,
        (
            "improvements/create" | "improvements/edit" | "improvements/link" | "improvements/move",
            OtherOrgAdmin,
        ) => 404,
        // The first manager accepts the proposed item; the next are told it moved meanwhile.
        ("improvements/move", Manager) => OK,
        ("improvements/move", _) => 409,
        ("improvements/create" | "improvements/edit" | "improvements/link", _) => OK,
        // The monthly summary: managers read (their locations); leadership writes the
        // commentary and publishes, once: after the leader, the admin is told it is published.
        // Another organisation's admin reads and publishes their own organisation's.
        ("summary/month" | "summary/commentary" | "summary/publish", Anonymous) => 401,
        ("summary/month" | "summary/commentary" | "summary/publish", Staff | Supervisor) => 403,
        ("summary/month", _) => OK,
        ("summary/commentary" | "summary/publish", Manager) => 403,
        ("summary/commentary" | "summary/publish", Admin) => 409,
        ("summary/commentary" | "summary/publish", _) => OK,
        // A team's budget: supervisors of its location and above; admins for any scope.
        ("admin/set-policy" | "admin/add-boost", Anonymous) => 401,
        ("admin/set-policy" | "admin/add-boost", Staff) => 403,
        ("admin/set-policy" | "admin/add-boost", OtherOrgAdmin) => 404,
        ("admin/set-policy" | "admin/add-boost", _) => OK,
        // Supervisors and above, for a location of their own organisation.
        ("set-up-tablet", Anonymous) => 401,
        ("set-up-tablet", Staff) => 403,
        ("set-up-tablet", OtherOrgAdmin) => 404,
        ("set-up-tablet", _) => OK,
        // A customer's history at one's own location: everyone signed in.
        ("customer-history", Anonymous) => 401,
        ("customer-history", _) => OK,
        // Administration: admins only; organisation A's ids are not found from organisation B.
        (_, Anonymous) => 401,
        (_, Admin) => OK,
        // These act on the caller's own organisation: another organisation's admin changes
        // their own, never A's.
        (
            "admin/overview"
            | "admin/audit"
            | "admin/update-organisation"
            | "admin/add-location"
            | "admin/add-taxonomy"
            | "admin/set-taxonomy-active"
            | "admin/privacy"
            | "admin/privacy/find"
            | "admin/privacy/erase"
            | "admin/privacy/retention"
            | "improvements/thresholds",
            OtherOrgAdmin,
        ) => OK,
        (_, OtherOrgAdmin) => 404,
        (_, _) => 403,
    }
}

async fn matrix(kind: Db) {
    let app: TestApp = spawn_app(kind).await;
    let a = organisation(&app.store, "a").await;
    organisation(&app.store, "b").await;
    let extra = a.person("extra.a").to_string();
    let location = a.location_id.to_string();
    let team_scope = format!("team:{}", a.team_id);
    // One of staff.a's recoveries, with a follow-up.
    let staff_session = app.signed_in("staff.a").await;
    let logged = app
        .call(
            &staff_session,
            "log-recovery",
            &[
                ("idempotency_key", "matrix-setup"),
                ("category", "billing-error"),
                ("remedy", "fix-or-apology"),
                ("amount", "0"),
                ("reaction", "neutral"),
                ("touchpoint", "front-desk"),
                ("follow_up_needed", "on"),
            ],
        )
        .await;
    let recovery = logged.body["recovery_id"]
        .as_i64()
        .expect("set-up recovery")
        .to_string();
    // And one over staff.a's budget (none is set: all of it waits for approval).
    let over = app
        .call(
            &staff_session,
            "log-recovery",
            &[
                ("idempotency_key", "matrix-pending"),
                ("category", "noise"),
                ("remedy", "discount"),
                ("amount", "10"),
                ("reaction", "satisfied"),
                ("touchpoint", "front-desk"),
            ],
        )
        .await;
    assert_eq!(over.body["status"], "pending", "{over:?}");
    let pending = over.body["recovery_id"].as_i64().unwrap().to_string();
    // An improvement item of organisation A's location.
    let item = app
        .store
        .create_item(
            &app::store::learning::NewItem {
                organisation_id: a.organisation_id,
                location_id: Some(a.location_id),
                category: None,
                touchpoint: None,
                from_signal: false,
                title: "Billing errors at check-out".into(),
                problem: "Guests find minibar charges they did not make.".into(),
                created_by: None,
            },
            &[],
            chrono::Utc::now(),
        )
        .await
        .unwrap()
        .to_string();

    let mut failures = Vec::new();
    let mut audited_changes = 0;
    for who in EVERYONE {
        let unique = format!("{who:?}").to_lowercase();
        let username = format!("new.{unique}");
        let key = format!("matrix-{unique}");
        let branch = format!("Branch {unique}");
        let decision_key = format!("decide-{unique}");
        let reversal_key = format!("reverse-{unique}");
        let item_title = format!("Minibar charges wrong {unique}");
        let countermeasure = format!("Check the minibar at check-out ({unique})");
        let deferred_key = format!("deferred-{unique}");
        let captured_at = chrono::Utc::now().to_rfc3339();
        let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
            ("status", vec![]),
            ("today", vec![]),
            ("log-form", vec![]),
            (
                "log-recovery",
                vec![
                    ("idempotency_key", &key),
                    ("category", "noise"),
                    ("remedy", "fix-or-apology"),
                    ("amount", "0"),
                    ("reaction", "satisfied"),
                    ("touchpoint", "front-desk"),
                ],
            ),
            (
                "log-deferred",
                vec![
                    ("turn_token", ""),
                    ("captured_at", &captured_at),
                    ("idempotency_key", &deferred_key),
                    ("category", "noise"),
                    ("remedy", "fix-or-apology"),
                    ("amount", "0"),
                    ("reaction", "satisfied"),
                    ("touchpoint", "front-desk"),
                ],
            ),
            ("still-here", vec![]),
            ("step-up", vec![("password", PASSWORD)]),
            (
                "change-pin",
                vec![("current_password", PASSWORD), ("new_pin", "97531")],
            ),
            ("my-log", vec![("days", "7")]),
            ("logged", vec![("recovery_id", &recovery)]),
            (
                "complete-follow-up",
                vec![
                    ("recovery_id", &recovery),
                    ("note", "Called the guest back"),
                ],
            ),
            ("approvals/queue", vec![]),
            (
                "approvals/resolve",
                vec![
                    ("recovery_id", &pending),
                    ("decision", "approve"),
                    ("amount", ""),
                    ("reason", ""),
                    ("idempotency_key", &decision_key),
                ],
            ),
            ("console/spend", vec![("from", ""), ("to", "")]),
            ("console/review", vec![("status", "posted")]),
            ("console/sample", vec![]),
            ("console/budgets", vec![]),
            (
                "console/spot-check",
                vec![
                    ("recovery_id", &recovery),
                    ("verdict", "looks-right"),
                    ("note", ""),
                ],
            ),
            (
                "console/reverse",
                vec![
                    ("recovery_id", &pending),
                    ("reason", "Logged against the wrong guest"),
                    ("idempotency_key", &reversal_key),
                ],
            ),
            (
                "improvements/queue",
                vec![("location", ""), ("status", ""), ("owner", "")],
            ),
            ("improvements/item", vec![("id", &item)]),
            ("improvements/similar", vec![("title", "Billing errors")]),
            (
                "improvements/create",
                vec![
                    ("title", &item_title),
                    ("problem", ""),
                    ("location_id", &location),
                    ("category", ""),
                    ("touchpoint", ""),
                    ("recovery_ids", ""),
                ],
            ),
            (
                "improvements/edit",
                vec![
                    ("id", &item),
                    ("owner_id", ""),
                    ("due_on", ""),
                    ("countermeasure", &countermeasure),
                    ("problem", "Guests find minibar charges they did not make."),
                ],
            ),
            (
                "improvements/comment",
                vec![("id", &item), ("text", "Seen it too")],
            ),
            (
                "improvements/link",
                vec![("id", &item), ("recovery_ids", &recovery)],
            ),
            (
                "improvements/move",
                vec![
                    ("id", &item),
                    ("from", "proposed"),
                    ("to", "accepted"),
                    ("reason", ""),
                ],
            ),
            (
                "improvements/thresholds",
                vec![
                    ("window_days", "28"),
                    ("location_occurrences", "5"),
                    ("organisation_occurrences", "12"),
                ],
            ),
            ("summary/month", vec![("month", ""), ("location", "")]),
            (
                "summary/commentary",
                vec![
                    ("month", "2025-01"),
                    ("location", ""),
                    ("commentary", "A steady month"),
                ],
            ),
            (
                "summary/publish",
                vec![("month", "2025-01"), ("location", "")],
            ),
            ("me", vec![]),
            ("tablet-roster", vec![]),
            ("end-turn", vec![]),
            ("pin-switch", vec![("person_id", &extra), ("pin", "2468")]),
            ("admin/overview", vec![]),
            ("admin/audit", vec![]),
            ("customer-history", vec![("reference", "Room 1")]),
            ("admin/privacy", vec![]),
            (
                "admin/privacy/find",
                vec![("reference", "Room 1"), ("from", ""), ("to", "")],
            ),
            ("admin/privacy/retention", vec![("days", "400")]),
            (
                "admin/privacy/erase",
                vec![
                    ("reference", "Room nobody"),
                    ("from", ""),
                    ("to", ""),
                    ("reason", "Matrix request"),
                ],
            ),
            (
                "admin/add-person",
                vec![
                    ("display_name", "New Person"),
                    ("username", &username),
                    ("location_id", &location),
                    ("team_id", ""),
                    ("role", "staff"),
                    ("password", "a long enough password"),
                    ("pin", ""),
                ],
            ),
            (
                "admin/reset-pin",
                vec![("person_id", &extra), ("pin", "8642")],
            ),
            (
                "admin/reset-password",
                vec![("person_id", &extra), ("password", "set by an admin of a")],
            ),
            (
                "admin/set-active",
                vec![("person_id", &extra), ("active", "true")],
            ),
            ("admin/revoke-sessions", vec![("person_id", &extra)]),
            (
                "admin/set-policy",
                vec![("scope", &team_scope), ("daily", "40.00"), ("cap", "")],
            ),
            (
                "admin/add-boost",
                vec![
                    ("scope", &team_scope),
                    ("from", "2026-12-01"),
                    ("to", "2026-12-05"),
                    ("extra", "5.00"),
                    ("reason", "Test"),
                ],
            ),
            (
                "admin/update-organisation",
                vec![
                    ("name", "Renamed hotels"),
                    ("currency", "EUR"),
                    ("time_zone", "Europe/Lisbon"),
                ],
            ),
            (
                "admin/add-location",
                vec![
                    ("name", &branch),
                    ("time_zone", "Atlantic/Madeira"),
                    ("currency", "EUR"),
                ],
            ),
            (
                "admin/add-team",
                vec![
                    ("location_id", &location),
                    ("name", &branch),
                    ("default_touchpoint", "front-desk"),
                ],
            ),
            (
                "admin/add-taxonomy",
                vec![("kind", "category"), ("label", &branch)],
            ),
            (
                "admin/set-taxonomy-active",
                vec![("kind", "category"), ("code", "noise"), ("active", "true")],
            ),
            (
                "admin/grant-role",
                vec![
                    ("person_id", &extra),
                    ("role", "supervisor"),
                    ("location_id", ""),
                ],
            ),
            (
                "admin/revoke-role",
                vec![
                    ("person_id", &extra),
                    ("role", "supervisor"),
                    ("location_id", ""),
                ],
            ),
            // Last: it replaces the caller's personal session with a tablet session.
            ("set-up-tablet", vec![("location_id", &location)]),
        ];
        let client = match who.username() {
            Some(username) => app.signed_in(username).await,
            None => browser(),
        };
        for (endpoint, form) in &calls {
            let answer = app.call(&client, endpoint, form).await;
            let want = expected(endpoint, who);
            let allowed = answer.status < 400;
            let ok = if want == OK {
                allowed
            } else {
                answer.status == want
            };
            if !ok {
                failures.push(format!(
                    "{endpoint} as {who:?}: got {} {}, want {want}",
                    answer.status, answer.body
                ));
            }
            // Changes to organisation A that land in its audit log.
            if allowed
                && !matches!(who, Who::Anonymous | Who::OtherOrgAdmin)
                && (endpoint.starts_with("admin/")
                    || matches!(*endpoint, "console/reverse" | "improvements/thresholds"))
                && !matches!(
                    *endpoint,
                    "admin/overview" | "admin/audit" | "admin/privacy" | "admin/privacy/find"
                )
            {
                audited_changes += 1;
            }
            // What an admin of B sees is B's, never A's.
            if *endpoint == "admin/overview" && who == Who::OtherOrgAdmin {
                let name = answer.body["organisation_name"]
                    .as_str()
                    .unwrap_or_default();
                assert!(name == "b hotels" || name == "Renamed hotels", "{name}");
                let locations = answer.body["locations"].to_string();
                assert!(
                    !locations.contains("Branch admin\""),
                    "B sees A's location: {locations}"
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells wrong on {kind:?}:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // Refused calls changed nothing: organisation A's audit log holds exactly the allowed
    // changes (plus the tablet set-ups, which are audited too).
    let admin = app.signed_in("admin.a").await;
    let audit = app.call(&admin, "admin/audit", &[]).await;
    let actions: Vec<&str> = audit
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    let changes = actions.iter().filter(|a| !a.starts_with("tablet.")).count();
    assert_eq!(changes, audited_changes, "{actions:?}");
    assert_eq!(
        actions.iter().filter(|a| a.starts_with("tablet.")).count(),
        4,
        "{actions:?}"
    );
}

#[tokio::test]
async fn every_server_function_checks_the_callers_role_and_organisation_on_sqlite() {
    matrix(Db::Sqlite).await;
}

#[tokio::test]
async fn every_server_function_checks_the_callers_role_and_organisation_on_postgres() {
    matrix(Db::Postgres).await;
}

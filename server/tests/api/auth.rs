//! Sign-in, sessions, throttling, the shared-tablet PIN switch, and cross-site refusal.

use crate::helpers::{browser, organisation, spawn_app, Db, PASSWORD, PIN};

#[tokio::test]
async fn signing_in_sets_an_http_only_same_site_cookie_and_names_the_person() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let client = browser();
    let answer = app
        .call(
            &client,
            "sign-in",
            &[
                ("organisation", "a"),
                ("username", "Staff.A"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(answer.status < 400, "{answer:?}");
    let cookie = answer.headers["set-cookie"].to_str().unwrap();
    assert!(cookie.starts_with("goodwill_session="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    assert!(!cookie.contains("Secure"), "plain http in tests: {cookie}");
    let me = app.call(&client, "me", &[]).await;
    assert_eq!(me.body["display_name"], "staff of a");
    assert_eq!(me.body["roles"], serde_json::json!(["staff"]));
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_user_get_the_same_answer() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let wrong = app
        .call(
            &browser(),
            "sign-in",
            &[
                ("organisation", "a"),
                ("username", "staff.a"),
                ("password", "not it at all"),
            ],
        )
        .await;
    let unknown = app
        .call(
            &browser(),
            "sign-in",
            &[
                ("organisation", "a"),
                ("username", "nobody"),
                ("password", "not it at all"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(unknown.status, 401);
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(
        wrong.body,
        serde_json::json!({ "WrongCredentials": "Wrong username or password." })
    );
    assert!(wrong.headers.get("set-cookie").is_none());
}

#[tokio::test]
async fn five_wrong_passwords_slow_that_address_down_alike_for_known_and_unknown_usernames() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    for username in ["staff.a", "nobody.at.all"] {
        for _ in 0..5 {
            let answer = app
                .call(
                    &browser(),
                    "sign-in",
                    &[
                        ("organisation", "a"),
                        ("username", username),
                        ("password", "guess guess"),
                    ],
                )
                .await;
            assert_eq!(answer.status, 401, "{username}");
            assert_eq!(
                answer.body["WrongCredentials"],
                "Wrong username or password."
            );
        }
        // From this address even the right password waits now, and is told how long.
        let locked = app
            .call(
                &browser(),
                "sign-in",
                &[
                    ("organisation", "a"),
                    ("username", username),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(locked.status, 429, "{username}: {locked:?}");
        let message = locked.body["Throttled"].as_str().unwrap();
        assert!(
            message.starts_with("Too many wrong attempts. Try again in 1 minute"),
            "{message}"
        );
    }
    // Someone else is not affected.
    let other = app
        .call(
            &browser(),
            "sign-in",
            &[
                ("organisation", "a"),
                ("username", "manager.a"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(other.status < 400);
}

#[tokio::test]
async fn signing_out_ends_the_session_and_signing_out_everywhere_ends_them_all() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let laptop = app.signed_in("manager.a").await;
    let phone = app.signed_in("manager.a").await;
    let tablet = app.signed_in("manager.a").await;
    assert!(app.call(&laptop, "sign-out", &[]).await.status < 400);
    assert_eq!(
        app.call(&laptop, "me", &[]).await.body,
        serde_json::Value::Null
    );
    assert!(app.call(&phone, "me", &[]).await.body.is_object());
    assert!(app.call(&phone, "sign-out-everywhere", &[]).await.status < 400);
    assert_eq!(
        app.call(&tablet, "me", &[]).await.body,
        serde_json::Value::Null
    );
    assert_eq!(app.call(&tablet, "admin/overview", &[]).await.status, 401);
}

#[tokio::test]
async fn a_deactivated_person_cannot_sign_in_and_loses_their_sessions() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;
    let staff = app.signed_in("staff.a").await;
    let admin = app.signed_in("admin.a").await;
    let id = org.person("staff.a").to_string();
    let answer = app
        .call(
            &admin,
            "admin/set-active",
            &[("person_id", &id), ("active", "false")],
        )
        .await;
    assert!(answer.status < 400, "{answer:?}");
    assert_eq!(
        app.call(&staff, "me", &[]).await.body,
        serde_json::Value::Null
    );
    let again = app
        .call(
            &browser(),
            "sign-in",
            &[
                ("organisation", "a"),
                ("username", "staff.a"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(again.status, 401);
    // The audit log says who did it, with before and after.
    let audit = app.call(&admin, "admin/audit", &[]).await;
    let entry = &audit.body[0];
    assert_eq!(entry["action"], "person.deactivate");
    assert_eq!(entry["actor"], "admin of a");
    assert_eq!(entry["before"], r#"{"active":true}"#);
    assert_eq!(entry["after"], r#"{"active":false}"#);
}

#[tokio::test]
async fn a_write_from_another_site_is_refused() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let admin = app.signed_in("admin.a").await;
    let endpoint = format!("{}/api/admin/set-policy", app.address);
    let form = [("scope", "organisation"), ("daily", "999.00"), ("cap", "")];
    let forged = admin
        .post(&endpoint)
        .header("origin", "https://evil.example")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let no_origin = admin.post(&endpoint).form(&form).send().await.unwrap();
    assert_eq!(no_origin.status(), 403);
    // Nothing changed.
    let audit = app.call(&admin, "admin/audit", &[]).await;
    assert_eq!(audit.body, serde_json::json!([]));
}

#[tokio::test]
async fn a_supervisor_sets_up_a_tablet_and_staff_take_turns_with_their_pin() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;
    let tablet = app.signed_in("supervisor.a").await;
    let location = org.location_id.to_string();
    let set_up = app
        .call(&tablet, "set-up-tablet", &[("location_id", &location)])
        .await;
    assert!(set_up.status < 400, "{set_up:?}");

    // The picker lists the location's people; nobody is acting yet.
    let roster = app.call(&tablet, "tablet-roster", &[]).await;
    assert_eq!(roster.status, 200);
    assert_eq!(roster.body["acting"], serde_json::Value::Null);
    // Everyone whose home is this location: the six people of organisation A.
    assert_eq!(roster.body["people"].as_array().unwrap().len(), 6);
    // An idle tablet is nobody: person-level actions are refused.
    assert_eq!(app.call(&tablet, "admin/overview", &[]).await.status, 401);

    let staff = org.person("staff.a").to_string();
    let wrong = app
        .call(
            &tablet,
            "pin-switch",
            &[("person_id", &staff), ("pin", "0000")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        wrong.body,
        serde_json::json!({ "WrongCredentials": "Wrong PIN." })
    );
    let right = app
        .call(
            &tablet,
            "pin-switch",
            &[("person_id", &staff), ("pin", PIN)],
        )
        .await;
    assert!(right.status < 400, "{right:?}");
    let me = app.call(&tablet, "me", &[]).await;
    assert_eq!(me.body["display_name"], "staff of a");
    assert_eq!(me.body["tablet_location"], "Main");
    // Staff act with their own rights, not the supervisor's.
    assert_eq!(app.call(&tablet, "admin/overview", &[]).await.status, 403);

    assert!(app.call(&tablet, "end-turn", &[]).await.status < 400);
    assert_eq!(
        app.call(&tablet, "tablet-roster", &[]).await.body["acting"],
        serde_json::Value::Null
    );
}

#[tokio::test]
async fn pin_guessing_is_throttled_per_person() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;
    let tablet = app.signed_in("supervisor.a").await;
    app.call(
        &tablet,
        "set-up-tablet",
        &[("location_id", &org.location_id.to_string())],
    )
    .await;
    let staff = org.person("staff.a").to_string();
    for pin in ["1111", "2222", "3333", "4444", "5555"] {
        assert_eq!(
            app.call(
                &tablet,
                "pin-switch",
                &[("person_id", &staff), ("pin", pin)]
            )
            .await
            .status,
            401
        );
    }
    let locked = app
        .call(
            &tablet,
            "pin-switch",
            &[("person_id", &staff), ("pin", PIN)],
        )
        .await;
    assert_eq!(locked.status, 429);
    // An admin's PIN reset lifts the lock.
    let admin = app.signed_in("admin.a").await;
    assert!(
        app.call(
            &admin,
            "admin/reset-pin",
            &[("person_id", &staff), ("pin", "97531")]
        )
        .await
        .status
            < 400
    );
    let after_reset = app
        .call(
            &tablet,
            "pin-switch",
            &[("person_id", &staff), ("pin", "97531")],
        )
        .await;
    assert!(after_reset.status < 400, "{after_reset:?}");
}

#[tokio::test]
async fn a_tablet_only_offers_its_own_locations_people() {
    let app = spawn_app(Db::Sqlite).await;
    let a = organisation(&app.store, "a").await;
    let b = organisation(&app.store, "b").await;
    let tablet = app.signed_in("supervisor.a").await;
    app.call(
        &tablet,
        "set-up-tablet",
        &[("location_id", &a.location_id.to_string())],
    )
    .await;
    let stranger = b.person("staff.b").to_string();
    let answer = app
        .call(
            &tablet,
            "pin-switch",
            &[("person_id", &stranger), ("pin", PIN)],
        )
        .await;
    // Answered like a wrong PIN, so the tablet tells nothing about who exists elsewhere.
    assert_eq!(answer.status, 401);
    assert_eq!(answer.body["WrongCredentials"], "Wrong PIN.");
}

#[tokio::test]
async fn a_pin_opens_the_front_line_and_approvals_and_the_password_opens_the_rest() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;
    let tablet = app.signed_in("supervisor.a").await;
    app.call(
        &tablet,
        "set-up-tablet",
        &[("location_id", &org.location_id.to_string())],
    )
    .await;
    let supervisor = org.person("supervisor.a").to_string();
    let turn = app
        .call(
            &tablet,
            "pin-switch",
            &[("person_id", &supervisor), ("pin", PIN)],
        )
        .await;
    assert!(turn.status < 400, "{turn:?}");
    assert_eq!(
        app.call(&tablet, "me", &[]).await.body["password_unlocks_more"],
        true
    );
    // Approvals and the front line: the PIN is enough.
    assert_eq!(app.call(&tablet, "approvals/queue", &[]).await.status, 200);
    assert_eq!(app.call(&tablet, "today", &[]).await.status, 200);
    // The console asks for the password first.
    let spend = app
        .call(&tablet, "console/spend", &[("from", ""), ("to", "")])
        .await;
    assert_eq!(spend.status, 403, "{spend:?}");
    assert!(
        spend.body.get("PasswordNeeded").is_some() || spend.body == "PasswordNeeded",
        "{spend:?}"
    );
    // A wrong password unlocks nothing; the right one unlocks the rest of the turn.
    let wrong = app
        .call(&tablet, "step-up", &[("password", "not my password")])
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(
        app.call(&tablet, "console/spend", &[("from", ""), ("to", "")])
            .await
            .status,
        403
    );
    let right = app
        .call(&tablet, "step-up", &[("password", PASSWORD)])
        .await;
    assert!(right.status < 400, "{right:?}");
    assert_eq!(
        app.call(&tablet, "console/spend", &[("from", ""), ("to", "")])
            .await
            .status,
        200
    );
    assert_eq!(
        app.call(&tablet, "me", &[]).await.body["password_unlocks_more"],
        false
    );
    // The next person's turn starts locked again.
    let staff = org.person("staff.a").to_string();
    app.call(
        &tablet,
        "pin-switch",
        &[("person_id", &staff), ("pin", PIN)],
    )
    .await;
    app.call(&tablet, "end-turn", &[]).await;
    app.call(
        &tablet,
        "pin-switch",
        &[("person_id", &supervisor), ("pin", PIN)],
    )
    .await;
    assert_eq!(
        app.call(&tablet, "console/spend", &[("from", ""), ("to", "")])
            .await
            .status,
        403
    );
    // Nobody changes a password from the tablet.
    let change = app
        .call(
            &tablet,
            "change-password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(change.status, 400, "{change:?}");
}

#[tokio::test]
async fn everyone_changes_their_own_password_and_pin_and_an_admin_reset_ends_sessions() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;
    let laptop = app.signed_in("staff.a").await;
    let phone = app.signed_in("staff.a").await;
    // The current password is checked; the new one follows the rules.
    let wrong = app
        .call(
            &laptop,
            "change-password",
            &[
                ("current_password", "not it at all"),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    let short = app
        .call(
            &laptop,
            "change-password",
            &[("current_password", PASSWORD), ("new_password", "short")],
        )
        .await;
    assert_eq!(short.status, 400);
    let changed = app
        .call(
            &laptop,
            "change-password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new password"),
            ],
        )
        .await;
    assert!(changed.status < 400, "{changed:?}");
    // This device stays signed in; the other one does not.
    assert!(app.call(&laptop, "me", &[]).await.body.is_object());
    assert_eq!(
        app.call(&phone, "me", &[]).await.body,
        serde_json::Value::Null
    );
    let old = app
        .call(
            &browser(),
            "sign-in",
            &[
                ("organisation", "a"),
                ("username", "staff.a"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(old.status, 401);
    // A new PIN, confirmed with the (new) password, works on the tablet.
    let pin = app
        .call(
            &laptop,
            "change-pin",
            &[
                ("current_password", "a brand new password"),
                ("new_pin", "86420"),
            ],
        )
        .await;
    assert!(pin.status < 400, "{pin:?}");
    let tablet = app.signed_in("supervisor.a").await;
    app.call(
        &tablet,
        "set-up-tablet",
        &[("location_id", &org.location_id.to_string())],
    )
    .await;
    let staff = org.person("staff.a").to_string();
    let turn = app
        .call(
            &tablet,
            "pin-switch",
            &[("person_id", &staff), ("pin", "86420")],
        )
        .await;
    assert!(turn.status < 400, "{turn:?}");
    // An admin resets the password: every session of the person ends, the new one works.
    let admin = app.signed_in("admin.a").await;
    let reset = app
        .call(
            &admin,
            "admin/reset-password",
            &[
                ("person_id", &staff),
                ("password", "set by the admin today"),
            ],
        )
        .await;
    assert!(reset.status < 400, "{reset:?}");
    assert_eq!(
        app.call(&laptop, "me", &[]).await.body,
        serde_json::Value::Null
    );
    let fresh = app
        .call(
            &browser(),
            "sign-in",
            &[
                ("organisation", "a"),
                ("username", "staff.a"),
                ("password", "set by the admin today"),
            ],
        )
        .await;
    assert!(fresh.status < 400, "{fresh:?}");
}

/// Usernames are unique within an organisation only: one organisation's admin learns nothing
/// about another's usernames, and each person signs in to their own organisation.
#[tokio::test]
async fn usernames_are_unique_within_an_organisation_only() {
    for db in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(db).await;
        let a = organisation(&app.store, "a").await;
        organisation(&app.store, "b").await;
        let admin = app.signed_in("admin.a").await;
        let location = a.location_id.to_string();
        let add = |username: &'static str| {
            let (app, admin, location) = (&app, &admin, &location);
            async move {
                app.call(
                    admin,
                    "admin/add-person",
                    &[
                        ("display_name", "Newcomer of a"),
                        ("username", username),
                        ("location_id", location),
                        ("team_id", ""),
                        ("role", "staff"),
                        ("password", "a long enough password"),
                        ("pin", ""),
                    ],
                )
                .await
            }
        };
        // Taken in b only: a's admin may use it.
        let added = add("staff.b").await;
        assert!(added.status < 400, "{db:?}: {added:?}");
        // Twice within a: refused, and nothing else is said.
        let again = add("staff.b").await;
        assert_eq!(again.status, 409, "{db:?}: {again:?}");
        // Each signs in to their own organisation only.
        let sign_in = |organisation: &'static str, password: &'static str| {
            let app = &app;
            async move {
                let client = browser();
                let answer = app
                    .call(
                        &client,
                        "sign-in",
                        &[
                            ("organisation", organisation),
                            ("username", "staff.b"),
                            ("password", password),
                        ],
                    )
                    .await;
                (answer, client)
            }
        };
        let (answer, newcomer) = sign_in("a", "a long enough password").await;
        assert!(answer.status < 400, "{db:?}: {answer:?}");
        let me = app.call(&newcomer, "me", &[]).await;
        assert_eq!(me.body["display_name"], "Newcomer of a");
        let (answer, original) = sign_in("B", PASSWORD).await;
        assert!(answer.status < 400, "{db:?}: {answer:?}");
        let me = app.call(&original, "me", &[]).await;
        assert_eq!(me.body["display_name"], "staff of b");
        // One's password is not the other's, and an organisation that does not exist
        // answers exactly like a wrong password.
        let (wrong, _) = sign_in("b", "a long enough password").await;
        let (nowhere, _) = sign_in("no-such-organisation", PASSWORD).await;
        for answer in [&wrong, &nowhere] {
            assert_eq!(answer.status, 401, "{db:?}: {answer:?}");
            assert_eq!(answer.body, wrong.body);
        }
        // The device remembers the organisation for the sign-in form.
        let remembered = app.call(&original, "remembered-organisation", &[]).await;
        assert_eq!(remembered.body, "b", "{db:?}");
    }
}

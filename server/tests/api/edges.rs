//! Edges: saved text that looks like markup, an error written into a page's address, a
//! database that refuses writes, and the demo's known passwords in production.

use std::{
    process::{Command, Stdio},
    time::{Duration, Instant},
};

use app::{
    api::error::{ApiError, FieldError},
    store::Store,
};
use leptos::server_fn::{error::ServerFnUrlError, ServerFn};

use crate::helpers::{browser, organisation, spawn_app, Db, TestApp};

/// A saved value that, written into the HTML as it is, would end its `<textarea>` and send
/// whoever opens the page elsewhere.
const MARKUP: &str =
    r#"</textarea><meta http-equiv="refresh" content="0;url=https://example.com">"#;

/// Text as HTML shows it: `&`, `<` and `>` as character references.
fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// What the HTML holds between `<textarea id="{id}" …>` and the next `</textarea>`.
fn textarea<'a>(html: &'a str, id: &str) -> &'a str {
    let start = html
        .find(&format!(r#"<textarea id="{id}""#))
        .unwrap_or_else(|| panic!("no textarea {id} in {html}"));
    let rest = &html[start..];
    let rest = &rest[rest.find('>').unwrap() + 1..];
    &rest[..rest.find("</textarea>").unwrap()]
}

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> String {
    let response = app.get(client, path).await;
    assert_eq!(response.status(), 200, "{path}");
    response.text().await.unwrap()
}

#[tokio::test]
async fn saved_text_that_looks_like_markup_stays_text_in_its_textarea() {
    let app = spawn_app(Db::Sqlite).await;
    let org = organisation(&app.store, "a").await;

    // Leadership's draft commentary on the monthly summary.
    let leader = app.signed_in("leader.a").await;
    let saved = app
        .call(
            &leader,
            "summary/commentary",
            &[
                ("month", "2025-01"),
                ("location", ""),
                ("commentary", MARKUP),
            ],
        )
        .await;
    assert_eq!(saved.status, 200, "{saved:?}");
    let html = page(&app, &leader, "/summary?month=2025-01").await;
    assert!(!html.contains("<meta http-equiv"), "{html}");
    assert_eq!(textarea(&html, "commentary"), escaped(MARKUP));

    // An improvement item's problem, as created and as edited, and its countermeasure.
    let manager = app.signed_in("manager.a").await;
    let location = org.location_id.to_string();
    let created = app
        .call(
            &manager,
            "improvements/create",
            &[
                ("title", "Rooms not ready at check-in"),
                ("problem", MARKUP),
                ("location_id", &location),
                ("category", ""),
                ("touchpoint", ""),
                ("recovery_ids", ""),
            ],
        )
        .await;
    assert_eq!(created.status, 200, "{created:?}");
    let id = created.body.as_i64().unwrap().to_string();
    let html = page(&app, &manager, &format!("/improvements/{id}")).await;
    assert!(!html.contains("<meta http-equiv"), "{html}");
    assert_eq!(textarea(&html, "edit-problem"), escaped(MARKUP));

    let countermeasure = format!("Rooms first, then the lobby & bar. {MARKUP}");
    let problem = format!("{MARKUP}\nSecond line <b>bold</b>");
    let edited = app
        .call(
            &manager,
            "improvements/edit",
            &[
                ("id", &id),
                ("owner_id", ""),
                ("due_on", ""),
                ("countermeasure", &countermeasure),
                ("problem", &problem),
            ],
        )
        .await;
    assert_eq!(edited.status, 200, "{edited:?}");
    let html = page(&app, &manager, &format!("/improvements/{id}")).await;
    assert!(
        !html.contains("<meta http-equiv") && !html.contains("<b>bold</b>"),
        "{html}"
    );
    assert_eq!(
        textarea(&html, "edit-countermeasure"),
        escaped(&countermeasure)
    );
    assert_eq!(textarea(&html, "edit-problem"), escaped(&problem));
}

/// A sentence nobody at Goodwill wrote.
const PHISHING: &str = "Your account is locked. Call +1 555 0100 and give your password";

/// A page's address carrying `error` for the server function at `path`, encoded exactly as
/// a server function's redirect after a failed plain form post encodes it.
fn address_with_error(app: &TestApp, page: &str, path: &str, error: ApiError) -> String {
    ServerFnUrlError::new(path, error)
        .to_url(&format!("{}{page}", app.address))
        .unwrap()
        .to_string()
}

/// Base64 with the URL-safe alphabet and padding, as server functions encode `__err`.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, b)| n | (u32::from(*b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[tokio::test]
async fn an_error_in_the_address_is_shown_only_in_the_apps_own_words() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let sign_in = <app::api::session::SignIn as ServerFn>::PATH;
    let throttled =
        format!("Too many wrong attempts. Try again in 7 minutes (at 12:34 UTC). {PHISHING}");
    let cases = [
        (
            ApiError::Validation(PHISHING.into()),
            "Check the form and try again.",
        ),
        (
            ApiError::WrongCredentials(PHISHING.into()),
            "Wrong username or password.",
        ),
        (
            ApiError::Throttled(throttled),
            "Too many wrong attempts. Try again in 7 minutes (at 12:34 UTC).",
        ),
        (ApiError::NotFound(PHISHING.into()), "item not found"),
        (
            ApiError::Request(PHISHING.into()),
            "Check the form and try again.",
        ),
        (ApiError::Conflict(PHISHING.into()), "reload the page"),
        (
            ApiError::Budget(PHISHING.into()),
            "The budget rules refused",
        ),
    ];
    for (error, shown) in cases {
        let address = address_with_error(&app, "/sign-in", sign_in, error.clone());
        let response = browser().get(&address).send().await.unwrap();
        assert_eq!(response.status(), 200, "{address}");
        let html = response.text().await.unwrap();
        assert!(!html.contains("Call +1 555"), "{error:?}: {html}");
        assert!(
            html.contains(shown),
            "{error:?} should show {shown:?}: {html}"
        );
    }

    // Not even readable as an error: a variant of the forger's own, whose name a decoder
    // would quote back.
    let forged = base64_url(br#"{"Your account is locked. Call +1 555 0100 now":"x"}"#);
    let html = page(
        &app,
        &browser(),
        &format!(
            "/sign-in?__path={}&__err={}",
            sign_in.replace('/', "%2F"),
            forged.replace('=', "%3D")
        ),
    )
    .await;
    assert!(!html.contains("Call +1 555"), "{html}");
    assert!(html.contains("Check the form and try again."), "{html}");

    // The recovery form's field errors: the app's own message for each field it knows,
    // nothing for a field it does not.
    let staff = app.signed_in("staff.a").await;
    let log = <app::api::recoveries::LogRecovery as ServerFn>::PATH;
    let fields = ApiError::Fields(vec![
        FieldError {
            field: "category".into(),
            message: PHISHING.into(),
        },
        FieldError {
            field: PHISHING.into(),
            message: PHISHING.into(),
        },
    ]);
    let address = address_with_error(&app, "/log", log, fields);
    let html = staff
        .get(&address)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!html.contains("Call +1 555"), "{html}");
    assert!(html.contains("Choose a category"), "{html}");

    // A real wrong password, posted as a plain form (no JavaScript), still says so.
    let client = browser();
    let posted = client
        .post(format!("{}/api/sign-in", app.address))
        .header("origin", &app.address)
        .header("referer", format!("{}/sign-in", app.address))
        .header("accept", "text/html,application/xhtml+xml")
        .form(&[
            ("organisation", "a"),
            ("username", "staff.a"),
            ("password", "not the password"),
        ])
        .send()
        .await
        .unwrap();
    assert!(posted.status().is_redirection(), "{posted:?}");
    let location = posted.headers()["location"].to_str().unwrap().to_string();
    assert!(location.contains("__err="), "{location}");
    let location = if location.starts_with('/') {
        format!("{}{location}", app.address)
    } else {
        location
    };
    let html = client
        .get(&location)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Wrong username or password."), "{html}");
}

/// Makes every connection in the app's pool refuse writes, or accept them again.
///
/// Tests run as root, whom file permissions do not stop (a `chmod 0444` database stays
/// writable), and remounting read-only needs privileges a test does not have. So the
/// database itself is told, on each of the pool's connections — all held at once, so every
/// one is switched: SQLite `PRAGMA query_only`, whose refused writes fail with
/// SQLITE_READONLY, the code of a read-only file or mount; PostgreSQL
/// `default_transaction_read_only`, whose refused writes fail with 25006, as on a hot
/// standby or after `ALTER DATABASE … SET default_transaction_read_only = on`.
async fn refuse_writes(store: &Store, refuse: bool) {
    match store {
        Store::Sqlite(pool) => {
            let sql = if refuse {
                "PRAGMA query_only = ON"
            } else {
                "PRAGMA query_only = OFF"
            };
            let mut held = Vec::new();
            for _ in 0..pool.options().get_max_connections() {
                let mut connection = pool.acquire().await.expect("a pooled connection");
                sqlx::query(sql).execute(&mut *connection).await.expect(sql);
                held.push(connection);
            }
        }
        Store::Postgres(pool) => {
            let sql = if refuse {
                "SET default_transaction_read_only = on"
            } else {
                "SET default_transaction_read_only = off"
            };
            let mut held = Vec::new();
            for _ in 0..pool.options().get_max_connections() {
                let mut connection = pool.acquire().await.expect("a pooled connection");
                sqlx::query(sql).execute(&mut *connection).await.expect(sql);
                held.push(connection);
            }
        }
    }
}

fn recovery(key: &str) -> Vec<(&str, &str)> {
    vec![
        ("idempotency_key", key),
        ("category", "room-not-ready"),
        ("remedy", "complimentary-item"),
        ("amount", "12.50"),
        ("reaction", "satisfied"),
        ("touchpoint", "front-desk"),
    ]
}

#[tokio::test]
async fn a_database_that_refuses_writes_is_unavailable_and_fails_the_health_check() {
    for kind in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(kind).await;
        organisation(&app.store, "a").await;
        let staff = app.signed_in("staff.a").await;
        assert_eq!(app.get(&browser(), "/healthz").await.status(), 200);

        refuse_writes(&app.store, true).await;
        let refused = app.call(&staff, "log-recovery", &recovery("k1")).await;
        assert_eq!(refused.status, 503, "{kind:?}: {refused:?}");
        assert_eq!(refused.body, serde_json::json!("Unavailable"), "{kind:?}");
        let health = app.get(&browser(), "/healthz").await;
        assert_eq!(health.status(), 503, "{kind:?}");
        let body: serde_json::Value = health.json().await.unwrap();
        assert_eq!(body["status"], "unavailable");
        assert_eq!(body["reason"], "database refuses writes");
        // It still reads.
        let status = app.call(&browser(), "status", &[]).await;
        assert_eq!(status.status, 200, "{kind:?}: {status:?}");

        // Writable again: healthy, and the same request is taken.
        refuse_writes(&app.store, false).await;
        assert_eq!(app.get(&browser(), "/healthz").await.status(), 200);
        let logged = app.call(&staff, "log-recovery", &recovery("k1")).await;
        assert_eq!(logged.status, 200, "{kind:?}: {logged:?}");
    }
}

#[test]
fn the_demo_is_refused_in_production() {
    let database = std::env::temp_dir().join(format!(
        "goodwill-api-demo-in-production-{}.db",
        std::process::id()
    ));
    let url = format!("sqlite:{}", database.display());
    let runs: [&[&str]; 2] = [
        &["serve", "--demo", "--addr", "127.0.0.1:0"],
        &["seed-demo", "--days", "1"],
    ];
    for args in runs {
        let mut child = Command::new(env!("CARGO_BIN_EXE_server"))
            .args(args)
            .env("LEPTOS_ENV", "PROD")
            .env("DATABASE_URL", &url)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // Refused before anything is opened or bound, so it ends at once; a server that
        // went on to serve would run until it is killed here.
        let deadline = Instant::now() + Duration::from_secs(30);
        let exited = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                break false;
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let output = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(exited, "{args:?} was still running after 30 s: {stderr}");
        assert!(!output.status.success(), "{args:?}: {stderr}");
        assert!(
            stderr.contains("refused in production (LEPTOS_ENV=PROD)"),
            "{args:?}: {stderr}"
        );
        assert!(!database.exists(), "{args:?} opened the database");
    }
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
}

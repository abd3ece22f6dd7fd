//! The basics: health, server-side rendering, a server function, 404s, security headers,
//! and the command line run as the real binary.

use std::path::PathBuf;

use crate::helpers::{browser, spawn_app, Db};

fn fresh_sqlite_path(tag: &str) -> PathBuf {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    std::env::temp_dir().join(format!(
        "goodwill-api-{tag}-{}-{nanos}.db",
        std::process::id()
    ))
}

#[tokio::test]
async fn health_reports_the_database_and_schema() {
    for kind in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(kind).await;
        let response = app.get(&browser(), "/healthz").await;
        assert_eq!(response.status(), 200);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(
            body["database"],
            if kind == Db::Sqlite {
                "sqlite"
            } else {
                "postgres"
            }
        );
        assert!(body["schema_version"].as_i64().unwrap() >= 2);
    }
}

#[tokio::test]
async fn health_is_unavailable_when_the_database_is_gone() {
    let app = spawn_app(Db::Sqlite).await;
    app.store.close().await;
    let response = app.get(&browser(), "/healthz").await;
    assert_eq!(response.status(), 503);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["status"], "unavailable");
}

#[tokio::test]
async fn the_home_page_is_rendered_on_the_server() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app.get(&browser(), "/").await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["x-content-type-options"], "nosniff");
    assert_eq!(response.headers()["x-frame-options"], "DENY");
    let csp = response.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("'wasm-unsafe-eval'"),
        "{csp}"
    );
    // Inline scripts run only with this response's nonce.
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap()
        .to_string();
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    let html = response.text().await.unwrap();
    assert!(html.contains("Make it right, on the spot"), "{html}");
    // The action works as a plain form post too: the form targets the server function.
    assert!(html.contains(r#"action="/api/status""#), "{html}");
    let inline_scripts = html.matches("<script").count();
    let with_nonce = html.matches(&format!("nonce=\"{nonce}\"")).count();
    assert!(inline_scripts > 0 && with_nonce >= 1, "{html}");
}

#[tokio::test]
async fn the_status_server_function_answers_from_the_database() {
    let app = spawn_app(Db::Sqlite).await;
    let answer = app.call(&browser(), "status", &[]).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["database"], "sqlite");
    assert!(answer.body["schema_version"].as_i64().unwrap() >= 2);
}

#[tokio::test]
async fn an_unknown_page_is_a_404() {
    let app = spawn_app(Db::Sqlite).await;
    let response = app.get(&browser(), "/no-such-page").await;
    assert_eq!(response.status(), 404);
}

fn server_command(database_url: &str) -> std::process::Command {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_server"));
    command
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn");
    command
}

#[test]
fn the_command_line_bootstraps_an_organisation_and_its_admin() {
    let database = fresh_sqlite_path("cli");
    let url = format!("sqlite:{}", database.display());

    let migrate = server_command(&url).arg("migrate").output().unwrap();
    assert!(
        migrate.status.success(),
        "{}",
        String::from_utf8_lossy(&migrate.stderr)
    );

    let org = server_command(&url)
        .args([
            "create-org",
            "--name",
            "Café Central",
            "--slug",
            "cafe",
            "--industry",
            "restaurant",
        ])
        .args([
            "--currency",
            "EUR",
            "--time-zone",
            "Europe/Vienna",
            "--location",
            "Herrengasse",
        ])
        .output()
        .unwrap();
    assert!(
        org.status.success(),
        "{}",
        String::from_utf8_lossy(&org.stderr)
    );
    assert!(String::from_utf8_lossy(&org.stdout)
        .contains("Created Café Central (cafe) with location Herrengasse"));

    let user = server_command(&url)
        .args([
            "create-user",
            "--org",
            "cafe",
            "--username",
            "maria",
            "--name",
            "Maria Huber",
            "--role",
            "admin",
        ])
        .env("GOODWILL_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(
        user.status.success(),
        "{}",
        String::from_utf8_lossy(&user.stderr)
    );

    // Bad input: a specific message, nothing created.
    let bad_zone = server_command(&url)
        .args([
            "create-org",
            "--name",
            "X",
            "--slug",
            "x",
            "--currency",
            "EUR",
            "--time-zone",
            "Mars/Olympus",
        ])
        .output()
        .unwrap();
    assert!(!bad_zone.status.success());
    assert!(String::from_utf8_lossy(&bad_zone.stderr).contains("--time-zone"));
    let short_password = server_command(&url)
        .args([
            "create-user",
            "--org",
            "cafe",
            "--username",
            "jo",
            "--name",
            "Jo",
            "--role",
            "staff",
        ])
        .env("GOODWILL_PASSWORD", "short")
        .output()
        .unwrap();
    assert!(!short_password.status.success());
    assert!(String::from_utf8_lossy(&short_password.stderr).contains("at least 10 characters"));
    let taken = server_command(&url)
        .args([
            "create-user",
            "--org",
            "cafe",
            "--username",
            "maria",
            "--name",
            "Another",
            "--role",
            "staff",
        ])
        .env("GOODWILL_PASSWORD", "a long enough password")
        .output()
        .unwrap();
    assert!(!taken.status.success());
    assert!(String::from_utf8_lossy(&taken.stderr).contains("taken"));

    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
}

#[test]
fn the_demo_seed_is_deterministic_and_loads_once() {
    let database = fresh_sqlite_path("demo");
    let url = format!("sqlite:{}", database.display());
    let first = server_command(&url)
        .args(["seed-demo", "--days", "14"])
        .output()
        .unwrap();
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stdout = String::from_utf8_lossy(&first.stdout);
    assert!(
        stdout.contains("Loaded demo organisation Harbour Hotels: 62 people"),
        "{stdout}"
    );
    assert!(stdout.contains("staff.lisbon"));
    let again = server_command(&url)
        .args(["seed-demo", "--days", "14"])
        .output()
        .unwrap();
    assert!(again.status.success());
    assert!(String::from_utf8_lossy(&again.stdout).contains("is loaded (62 people)"));
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", database.display()));
    }
}

#[test]
fn production_mode_refuses_to_start_without_a_database_url() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_server"))
        .arg("migrate")
        .env_remove("DATABASE_URL")
        .env("LEPTOS_ENV", "PROD")
        .output()
        .unwrap();
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("DATABASE_URL must be set"));
}

//! `spawn_app`: the real application on port 0 with its own fresh database (an SQLite file,
//! or a new PostgreSQL database on GOODWILL_TEST_POSTGRES_URL's server), dropped when the
//! `TestApp` goes away — even when the test panics.

use app::{
    auth::password::{self, Secret},
    domain::{
        budget_day::parse_time_zone,
        money::Currency,
        org::{Industry, Role},
    },
    store::{
        organisations::{NewOrganisation, NewPerson},
        PoolSettings, Store,
    },
};
use server::{Application, Config};

#[path = "../../../app/tests/support/database.rs"]
mod database;

pub use database::Kind as Db;
pub use database::TestDatabase;

pub const PASSWORD: &str = "correct horse battery";
pub const PIN: &str = "2468";

pub struct TestApp {
    pub address: String,
    pub store: Store,
    _database: TestDatabase,
}

pub async fn spawn_app(kind: Db) -> TestApp {
    spawn_app_with(kind, |_| {}).await
}

/// [`spawn_app`] with some configuration of the test's own.
pub async fn spawn_app_with(kind: Db, tweak: impl FnOnce(&mut Config)) -> TestApp {
    let database = TestDatabase::create(kind).await;
    let mut config = Config::from_env().expect("configuration");
    tweak(&mut config);
    config.database_url = database.url.clone();
    config.address = "127.0.0.1:0".parse().unwrap();
    config.pool = PoolSettings {
        max_connections: 5,
        ..Default::default()
    };
    let application = Application::build(&config).await.expect("build the app");
    let address = format!("http://127.0.0.1:{}", application.port());
    let store = application.store().clone();
    tokio::spawn(application.run_until_stopped());
    TestApp {
        address,
        store,
        _database: database,
    }
}

/// One browser: its own cookie jar.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The answer of a server function: status and JSON body (Null when empty or not JSON).
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub body: serde_json::Value,
    pub headers: reqwest::header::HeaderMap,
}

impl TestApp {
    pub async fn get(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request")
    }

    /// Calls a server function the way the app's own pages do (same-origin form post).
    pub async fn call(
        &self,
        client: &reqwest::Client,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> Answer {
        let response = client
            .post(format!("{}/api/{endpoint}", self.address))
            .header("origin", &self.address)
            .header("accept", "application/json")
            .form(form)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.unwrap_or_default();
        Answer {
            status,
            body: serde_json::from_str(&text).unwrap_or(serde_json::Value::Null),
            headers,
        }
    }

    /// A browser signed in as `username` (asserts the sign-in worked).
    pub async fn signed_in(&self, username: &str) -> reqwest::Client {
        let client = browser();
        let answer = self
            .call(
                &client,
                "sign-in",
                &[
                    ("organisation", organisation_of(username)),
                    ("username", username),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert!(
            answer.status < 400,
            "sign-in as {username} failed: {answer:?}"
        );
        client
    }
}

/// The organisation of a test username (`<name>.<organisation slug>`, as [`organisation`]
/// names its people).
pub fn organisation_of(username: &str) -> &str {
    username.rsplit('.').next().unwrap_or(username)
}

/// An organisation for the tests: one location and team, one person per role (staff and
/// supervisor scoped to the location), plus `extra`, a staff member nobody signs in as.
pub struct Org {
    pub organisation_id: i64,
    pub location_id: i64,
    pub team_id: i64,
    pub people: Vec<(String, i64)>,
}

impl Org {
    pub fn person(&self, username: &str) -> i64 {
        self.people
            .iter()
            .find(|(u, _)| u == username)
            .map(|(_, id)| *id)
            .unwrap()
    }
}

pub async fn organisation(store: &Store, slug: &str) -> Org {
    let now = chrono::Utc::now();
    // Hash once per run of this function; every test person shares the password and PIN.
    let password_hash = password::hash(Secret::new(PASSWORD)).await.unwrap();
    let pin_hash = password::hash(Secret::new(PIN)).await.unwrap();
    let zone = parse_time_zone("Europe/Lisbon").unwrap();
    let currency = Currency::parse("EUR").unwrap();
    let org = store
        .create_organisation(
            &NewOrganisation {
                name: &format!("{slug} hotels"),
                slug,
                industry: Industry::Hotel,
                currency,
                time_zone: zone,
            },
            now,
        )
        .await
        .unwrap();
    let location = store
        .create_location(org.id, "Main", zone, currency, now)
        .await
        .unwrap();
    let team = store
        .create_team(org.id, location.id, "Front desk", Some("front-desk"), now)
        .await
        .unwrap();
    let mut people = Vec::new();
    for (name, role, scoped) in [
        ("staff", Role::Staff, true),
        ("supervisor", Role::Supervisor, true),
        ("manager", Role::Manager, true),
        ("leader", Role::Leader, false),
        ("admin", Role::Admin, false),
        ("extra", Role::Staff, true),
    ] {
        let username = format!("{name}.{slug}");
        let person = store
            .create_person(
                &NewPerson {
                    organisation_id: org.id,
                    location_id: location.id,
                    // The front-line team: its budget is set by people outside it.
                    team_id: matches!(role, Role::Staff).then_some(team.id),
                    display_name: &format!("{name} of {slug}"),
                    username: &username,
                    email: None,
                    password_hash: Some(&password_hash),
                    pin_hash: Some(&pin_hash),
                },
                now,
            )
            .await
            .unwrap();
        store
            .grant_role(org.id, person.id, role, scoped.then_some(location.id), now)
            .await
            .unwrap();
        people.push((username, person.id));
    }
    Org {
        organisation_id: org.id,
        location_id: location.id,
        team_id: team.id,
        people,
    }
}

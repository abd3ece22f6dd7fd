//! The shared tablet tried the way a busy floor (and a curious insider) would: entries sent
//! long after their turn ended, under somebody else's turn, with another tablet's turn, from a
//! signed-out device; pages that poll forever; a hundred wrong PINs at once; a stranger
//! trying to lock a person out. On SQLite and PostgreSQL.

use chrono::{DateTime, Duration, TimeZone, Utc};
use domain::{
    budget_day::parse_time_zone,
    money::Currency,
    org::{Industry, Role},
    policy::{BudgetPolicy, PolicyScope},
    recovery::RecoveryForm,
};
use services::{
    auth::{
        password::{hash, Secret},
        session::SessionLimits,
    },
    events::LedgerEvents,
    session::{self, Activity, Device, Session, SessionError, Settings},
    ServiceError,
};
use store::{
    organisations::{NewOrganisation, NewPerson},
    PoolSettings, Store,
};

#[path = "../../../app/tests/support/database.rs"]
mod database;

use database::{Kind, TestDatabase};

const PASSWORD: &str = "a long enough password";
const PIN: &str = "4321";

struct World {
    store: Store,
    _database: TestDatabase,
    org: i64,
    /// Ana and Bruno work in Lisbon; Carla in London.
    ana: i64,
    bruno: i64,
    carla: i64,
    /// The Lisbon tablet's session token, and London's.
    lisbon_tablet: String,
    london_tablet: String,
    dummy_hash: String,
}

/// 2026-06-10 09:00 UTC: 10:00 in Lisbon.
fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 10, 9, 0, 0).unwrap()
}

fn limits() -> SessionLimits {
    SessionLimits::default()
}

impl World {
    fn settings(&self) -> Settings<'_> {
        Settings {
            limits: limits(),
            dummy_hash: &self.dummy_hash,
        }
    }

    async fn pin(
        &self,
        tablet: &str,
        person: i64,
        pin: &str,
        at: DateTime<Utc>,
    ) -> Result<(), SessionError> {
        let device = Device {
            token: Some(tablet),
            client: "10.0.0.7",
        };
        session::pin_switch(
            &self.store,
            &self.settings(),
            &device,
            person,
            pin.to_string(),
            at,
        )
        .await
    }

    /// The running turn's token on a tablet, as the log form hands it to the device.
    async fn turn_token(&self, tablet: &str, at: DateTime<Utc>) -> String {
        match session::current(
            &self.store,
            &limits(),
            Some(tablet),
            at,
            Activity::Background,
        )
        .await
        .unwrap()
        {
            Session::TabletActing(row, _) => session::running_turn_token(&row, tablet).unwrap(),
            other => panic!("no turn running: {other:?}"),
        }
    }

    async fn deferred(
        &self,
        tablet: Option<&str>,
        turn_token: &str,
        captured_at: DateTime<Utc>,
        key: &str,
        at: DateTime<Utc>,
    ) -> Result<views::recoveries::LogOutcome, SessionError> {
        services::front_line::log_deferred(
            &self.store,
            &LedgerEvents::default(),
            &limits(),
            tablet,
            turn_token,
            &captured_at.to_rfc3339(),
            key,
            &form("12.50", captured_at),
            at,
        )
        .await
    }

    async fn recorded_for(&self, person: i64) -> Vec<i64> {
        let day = now().date_naive();
        self.store
            .person_log(
                self.org,
                person,
                day - Duration::days(1),
                day + Duration::days(1),
            )
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.id)
            .collect()
    }
}

fn form(amount: &str, occurred_at: DateTime<Utc>) -> RecoveryForm {
    RecoveryForm {
        occurred_at: occurred_at.to_rfc3339(),
        touchpoint: "front-desk".into(),
        category: "room-not-ready".into(),
        remedy: "complimentary-item".into(),
        amount: amount.into(),
        reaction: "satisfied".into(),
        ..RecoveryForm::default()
    }
}

async fn world(kind: Kind) -> World {
    let database = TestDatabase::create(kind).await;
    let store = Store::connect(&database.url, &PoolSettings::default())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let zone = parse_time_zone("Europe/Lisbon").unwrap();
    let eur = Currency::parse("EUR").unwrap();
    let org = store
        .create_organisation(
            &NewOrganisation {
                name: "Tablets",
                slug: "tablets",
                industry: Industry::Hotel,
                currency: eur,
                time_zone: zone,
            },
            now(),
        )
        .await
        .unwrap()
        .id;
    let lisbon = store
        .create_location(org, "Lisbon", zone, eur, now())
        .await
        .unwrap()
        .id;
    let london = store
        .create_location(
            org,
            "London",
            parse_time_zone("Europe/London").unwrap(),
            Currency::parse("GBP").unwrap(),
            now(),
        )
        .await
        .unwrap()
        .id;
    let password_hash = hash(Secret::new(PASSWORD)).await.unwrap();
    let pin_hash = hash(Secret::new(PIN)).await.unwrap();
    let mut ids = Vec::new();
    for (name, location, role) in [
        ("ana", lisbon, Role::Staff),
        ("bruno", lisbon, Role::Staff),
        ("carla", london, Role::Staff),
        ("sofia", lisbon, Role::Supervisor),
        ("sam", london, Role::Supervisor),
    ] {
        let person = store
            .create_person(
                &NewPerson {
                    organisation_id: org,
                    location_id: location,
                    team_id: None,
                    display_name: name,
                    username: name,
                    email: None,
                    password_hash: Some(&password_hash),
                    pin_hash: Some(&pin_hash),
                },
                now(),
            )
            .await
            .unwrap();
        store
            .grant_role(org, person.id, role, Some(location), now())
            .await
            .unwrap();
        ids.push(person.id);
    }
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Organisation, 5_000, None).unwrap(),
            now(),
        )
        .await
        .unwrap();
    let dummy_hash = hash(Secret::new("dummy secret for unknown users"))
        .await
        .unwrap();
    let settings = Settings {
        limits: limits(),
        dummy_hash: &dummy_hash,
    };
    let mut tablets = Vec::new();
    for (supervisor, location, client) in
        [("sofia", lisbon, "10.0.0.1"), ("sam", london, "10.0.0.2")]
    {
        let personal = session::sign_in(
            &store,
            &settings,
            &Device {
                token: None,
                client,
            },
            "tablets",
            supervisor,
            PASSWORD.to_string(),
            now(),
        )
        .await
        .unwrap();
        let tablet = session::set_up_tablet(
            &store,
            &limits(),
            &Device {
                token: Some(&personal.token),
                client,
            },
            location,
            now(),
        )
        .await
        .unwrap();
        tablets.push(tablet.token);
    }
    let mut tablets = tablets.into_iter();
    World {
        store,
        _database: database,
        org,
        ana: ids[0],
        bruno: ids[1],
        carla: ids[2],
        lisbon_tablet: tablets.next().unwrap(),
        london_tablet: tablets.next().unwrap(),
        dummy_hash,
    }
}

fn refused(result: Result<views::recoveries::LogOutcome, SessionError>) -> String {
    match result {
        Err(SessionError::Service(ServiceError::Invalid(why))) => why,
        other => panic!("expected a refusal for good, got {other:?}"),
    }
}

/// Ana logs two entries offline; her turn goes idle; Bruno takes the tablet; the wifi comes
/// back. Both entries are Ana's, once each; Bruno's budget is untouched.
async fn an_offline_entry_is_recorded_for_the_turn_that_captured_it(kind: Kind) {
    let w = world(kind).await;
    let tablet = w.lisbon_tablet.clone();
    w.pin(&tablet, w.ana, PIN, now()).await.unwrap();
    let ana_turn = w.turn_token(&tablet, now()).await;
    let (first, second) = (now() + Duration::seconds(40), now() + Duration::seconds(90));
    // Her turn is long over (idle) and nobody holds the tablet: still hers.
    let later = now() + Duration::minutes(10);
    let idle = session::current(
        &w.store,
        &limits(),
        Some(&tablet),
        later,
        Activity::Background,
    )
    .await
    .unwrap();
    assert!(matches!(idle, Session::TabletIdle(_)), "{idle:?}");
    let one = w
        .deferred(Some(&tablet), &ana_turn, first, "k-1", later)
        .await
        .unwrap();
    // Bruno's turn now; the second entry still goes to Ana.
    w.pin(&tablet, w.bruno, PIN, later).await.unwrap();
    let two = w
        .deferred(
            Some(&tablet),
            &ana_turn,
            second,
            "k-2",
            later + Duration::seconds(5),
        )
        .await
        .unwrap();
    // Sent again (the answer was lost): the same recovery, not a second one.
    let again = w
        .deferred(
            Some(&tablet),
            &ana_turn,
            second,
            "k-2",
            later + Duration::seconds(9),
        )
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.recovery_id, two.recovery_id);
    let mut ana = w.recorded_for(w.ana).await;
    ana.sort();
    assert_eq!(ana, vec![one.recovery_id, two.recovery_id]);
    assert!(
        w.recorded_for(w.bruno).await.is_empty(),
        "Bruno was charged"
    );
}

/// What no turn covers is never recorded for anyone, and says why.
async fn an_entry_no_turn_covers_is_refused_for_good(kind: Kind) {
    let w = world(kind).await;
    let tablet = w.lisbon_tablet.clone();
    w.pin(&tablet, w.ana, PIN, now()).await.unwrap();
    let ana_turn = w.turn_token(&tablet, now()).await;
    w.pin(&tablet, w.bruno, PIN, now() + Duration::minutes(3))
        .await
        .unwrap();
    let at = now() + Duration::minutes(20);
    // Captured (by the device's clock) after Bruno's PIN ended Ana's turn.
    let why = refused(
        w.deferred(
            Some(&tablet),
            &ana_turn,
            now() + Duration::minutes(8),
            "late",
            at,
        )
        .await,
    );
    assert!(why.contains("outside"), "{why}");
    // Before her PIN.
    refused(
        w.deferred(
            Some(&tablet),
            &ana_turn,
            now() - Duration::minutes(10),
            "early",
            at,
        )
        .await,
    );
    // A made-up turn, and Ana's turn sent from London's tablet.
    refused(
        w.deferred(
            Some(&tablet),
            "not a turn",
            now() + Duration::minutes(1),
            "forged",
            at,
        )
        .await,
    );
    refused(
        w.deferred(
            Some(&w.london_tablet),
            &ana_turn,
            now() + Duration::minutes(1),
            "elsewhere",
            at,
        )
        .await,
    );
    // A turn of London's tablet sent from Lisbon's.
    w.pin(&w.london_tablet, w.carla, PIN, now()).await.unwrap();
    let carla_turn = w.turn_token(&w.london_tablet, now()).await;
    refused(
        w.deferred(
            Some(&tablet),
            &carla_turn,
            now() + Duration::minutes(1),
            "carla",
            at,
        )
        .await,
    );
    // A device with no session waits (asked to sign in); nothing is refused for good.
    assert!(matches!(
        w.deferred(
            None,
            &ana_turn,
            now() + Duration::minutes(1),
            "no-session",
            at
        )
        .await,
        Err(SessionError::SignInRequired)
    ));
    for person in [w.ana, w.bruno, w.carla] {
        assert!(w.recorded_for(person).await.is_empty());
    }
}

/// A page that polls (or listens live) does not keep a turn alive; a person's taps do, up to
/// the turn's longest length.
async fn a_turn_ends_when_the_person_leaves_whatever_the_page_does(kind: Kind) {
    let w = world(kind).await;
    let tablet = w.lisbon_tablet.clone();
    let acting = |at: DateTime<Utc>, activity: Activity| {
        let (store, tablet) = (w.store.clone(), tablet.clone());
        async move {
            let session = session::current(&store, &limits(), Some(&tablet), at, activity)
                .await
                .unwrap();
            matches!(session, Session::TabletActing(..))
        }
    };
    w.pin(&tablet, w.ana, PIN, now()).await.unwrap();
    // The approvals page polls every 20 s for three minutes.
    for step in 1..=5 {
        assert!(acting(now() + Duration::seconds(20 * step), Activity::Background).await);
    }
    assert!(
        !acting(now() + Duration::seconds(125), Activity::Background).await,
        "a poll kept the turn"
    );
    // Bruno taps every minute for an hour: his turn still ends at its longest length.
    let start = now() + Duration::minutes(5);
    w.pin(&tablet, w.bruno, PIN, start).await.unwrap();
    let max = limits().tablet_turn_max;
    let mut at = start;
    while at + Duration::minutes(1) < start + max {
        at += Duration::minutes(1);
        assert!(
            acting(at, Activity::Deliberate).await,
            "ended early at {at}"
        );
    }
    assert!(!acting(start + max + Duration::seconds(1), Activity::Deliberate).await);
}

/// A hundred wrong PINs at once for one person: no more of them reach the hash than the
/// limit, and none starts a turn.
async fn concurrent_wrong_pins_are_counted_before_any_is_checked(kind: Kind) {
    let w = std::sync::Arc::new(world(kind).await);
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move {
                let tablet = w.lisbon_tablet.clone();
                w.pin(&tablet, w.ana, &format!("{:04}", 1000 + i), now())
                    .await
            })
        })
        .collect();
    let (mut wrong, mut throttled, mut busy) = (0, 0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Err(SessionError::WrongCredentials(_)) => wrong += 1,
            Err(SessionError::Throttled { .. }) => throttled += 1,
            Err(SessionError::Service(ServiceError::Busy)) => busy += 1,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!((1..=5).contains(&wrong), "{wrong} PINs were checked");
    assert_eq!(wrong + throttled + busy, 100);
    // Even the right PIN waits now.
    assert!(matches!(
        w.pin(&w.lisbon_tablet, w.ana, PIN, now() + Duration::seconds(1))
            .await,
        Err(SessionError::Throttled { .. })
    ));
}

/// Wrong PINs lock the PIN, never the person's password; and a stranger typing a known
/// username is answered exactly like one typing an unknown one.
async fn nobody_can_lock_anyone_out(kind: Kind) {
    let w = world(kind).await;
    for i in 0..8 {
        let _ = w
            .pin(
                &w.lisbon_tablet,
                w.ana,
                "0000",
                now() + Duration::seconds(i),
            )
            .await;
    }
    let sign_in_at = |organisation: &'static str,
                      username: &'static str,
                      password: &'static str,
                      client: &'static str,
                      at: DateTime<Utc>| {
        let w = &w;
        async move {
            session::sign_in(
                &w.store,
                &w.settings(),
                &Device {
                    token: None,
                    client,
                },
                organisation,
                username,
                password.to_string(),
                at,
            )
            .await
        }
    };
    let sign_in =
        |username: &'static str,
         password: &'static str,
         client: &'static str,
         at: DateTime<Utc>| sign_in_at("tablets", username, password, client, at);
    let at = now() + Duration::seconds(30);
    sign_in("ana", PASSWORD, "10.9.9.9", at)
        .await
        .expect("PIN failures locked the password");
    // Seven wrong passwords from one address each, for a known username, an unknown one, and
    // a known username in an organisation that does not exist.
    let answers = |organisation: &'static str, name: &'static str, client: &'static str| async move {
        let mut kinds = Vec::new();
        for i in 0..7 {
            let answer = sign_in_at(
                organisation,
                name,
                "wrong password!!",
                client,
                at + Duration::seconds(i),
            )
            .await;
            kinds.push(match answer {
                Err(SessionError::WrongCredentials(message)) => format!("wrong: {message}"),
                Err(SessionError::Throttled { minutes, .. }) => format!("throttled {minutes} min"),
                other => format!("{:?}", other.map(|_| ())),
            });
        }
        kinds
    };
    let known = answers("tablets", "bruno", "10.6.6.6").await;
    let unknown = answers("tablets", "nobody-by-this-name", "10.6.6.7").await;
    let elsewhere = answers("no-such-organisation", "bruno", "10.6.6.8").await;
    assert_eq!(known, unknown);
    assert_eq!(known, elsewhere);
    assert!(
        known[..5].iter().all(|k| k.starts_with("wrong")),
        "{known:?}"
    );
    assert!(known[5].starts_with("throttled"), "{known:?}");
    // From anywhere else, Bruno signs in at once: a stranger slowed only themselves.
    sign_in("bruno", PASSWORD, "10.0.0.99", at + Duration::seconds(8))
        .await
        .expect("a stranger locked Bruno out");
    // The security log kept every failure, and the success did not erase them.
    let log = w
        .store
        .security_events_for("user:tablets/bruno", 50)
        .await
        .unwrap();
    let failed = log.iter().filter(|e| e.kind == "sign-in-failed").count();
    let refused = log.iter().filter(|e| e.kind == "sign-in-refused").count();
    assert_eq!((failed, refused), (5, 2), "{log:?}");
    assert_eq!(log[0].kind, "sign-in");
    let unknown_log = w
        .store
        .security_events_for("user:tablets/nobody-by-this-name", 50)
        .await
        .unwrap();
    assert_eq!(unknown_log.len(), 7);
    assert!(unknown_log.iter().all(|e| e.organisation_id.is_none()));
    let pins = w.store.security_events(w.org, 100).await.unwrap();
    assert!(pins.iter().any(|e| e.kind == "pin-refused"));
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Kind::Sqlite).await; })*
        }
        mod postgres {
            $(#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() { super::$name(super::Kind::Postgres).await; })*
        }
    };
}

both!(
    an_offline_entry_is_recorded_for_the_turn_that_captured_it,
    an_entry_no_turn_covers_is_refused_for_good,
    a_turn_ends_when_the_person_leaves_whatever_the_page_does,
    concurrent_wrong_pins_are_counted_before_any_is_checked,
    nobody_can_lock_anyone_out,
);

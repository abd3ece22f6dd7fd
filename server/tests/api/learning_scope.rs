//! The improvement queue over HTTP, on both databases: a manager of one location works only
//! with the recoveries of their locations (another location's ids are "not found" and change
//! nothing), an item never shows another location's people, money is shown per currency, and
//! one absurd amount does not take the queue down.

use app::{
    domain::{
        budget_day::parse_time_zone,
        money::Currency,
        org::Role,
        recovery::{Channel, NewRecovery, Reaction, RemedyType, Severity},
    },
    store::{learning::NewItem, ledger::RecordRecovery, organisations::NewPerson, Store},
};
use chrono::Utc;

use crate::helpers::{organisation, spawn_app, Db, Org, TestApp};

/// London's staff member: a name that must never reach a Lisbon manager.
const LONDONER: &str = "Larry Londoner";

/// Organisation A ("Main", in EUR, stands for Lisbon: manager.a and supervisor.a hold their
/// roles there only) plus a London hotel in GBP with one staff member.
struct Harbour {
    app: TestApp,
    org: Org,
    london: i64,
    larry: i64,
}

async fn harbour(kind: Db) -> Harbour {
    let app = spawn_app(kind).await;
    let org = organisation(&app.store, "a").await;
    let now = Utc::now();
    let london = app
        .store
        .create_location(
            org.organisation_id,
            "London Harbour",
            parse_time_zone("Europe/London").unwrap(),
            Currency::GBP,
            now,
        )
        .await
        .unwrap()
        .id;
    let larry = app
        .store
        .create_person(
            &NewPerson {
                organisation_id: org.organisation_id,
                location_id: london,
                team_id: None,
                display_name: LONDONER,
                username: "larry.london",
                email: None,
                password_hash: None,
                pin_hash: None,
            },
            now,
        )
        .await
        .unwrap()
        .id;
    app.store
        .grant_role(org.organisation_id, larry, Role::Staff, Some(london), now)
        .await
        .unwrap();
    Harbour {
        app,
        org,
        london,
        larry,
    }
}

impl Harbour {
    fn store(&self) -> &Store {
        &self.app.store
    }

    /// A recovery of `category` at the front desk, written through the store now (its
    /// currency is the person's location's).
    async fn recorded(&self, person_id: i64, key: &str, category: &str, amount_minor: i64) -> i64 {
        let now = Utc::now();
        self.store()
            .record_recovery(
                &RecordRecovery {
                    organisation_id: self.org.organisation_id,
                    person_id,
                    recorded_by: person_id,
                    idempotency_key: key.into(),
                    recovery: NewRecovery {
                        occurred_at: now,
                        touchpoint: "front-desk".into(),
                        channel: Channel::InPerson,
                        customer_ref: None,
                        category: category.into(),
                        severity: Severity::High,
                        description: "Room not ready at check-in".into(),
                        remedy: RemedyType::ComplimentaryItem,
                        amount_minor,
                        reaction: Reaction::Satisfied,
                        cause: None,
                        cause_note: None,
                        follow_up_due: None,
                    },
                    fingerprint: None,
                },
                now,
            )
            .await
            .unwrap()
            .recovery_id
    }

    /// A copy of recovery `of` with another amount, written straight into the table: a row
    /// from before the organisation's maximum amount existed (the store refuses such an
    /// amount now). Same person and budget day as `of`.
    async fn legacy_copy(&self, of: i64, key: &str, amount_minor: i64) -> i64 {
        let org = self.org.organisation_id;
        let row = self.store().recovery(org, of).await.unwrap();
        // The ledger row only: the personal fields (recovery_personal) are not needed here.
        let sql = "INSERT INTO recoveries (organisation_id, location_id, team_id, person_id, recorded_by, budget_date,
                 occurred_at, recorded_at, touchpoint, channel, category, severity,
                 remedy, amount_minor, currency, reaction, cause, follow_up_due_at,
                 covered_minor, excess_minor, idempotency_key, request_hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                     $20, $21, $22)
             RETURNING id";
        macro_rules! insert {
            ($pool:expr) => {
                sqlx::query_scalar::<_, i64>(sql)
                    .bind(org)
                    .bind(row.location_id)
                    .bind(row.team_id)
                    .bind(row.person_id)
                    .bind(row.person_id)
                    .bind(row.budget_date)
                    .bind(row.occurred_at)
                    .bind(row.occurred_at)
                    .bind(&row.touchpoint)
                    .bind(&row.channel)
                    .bind(&row.category)
                    .bind(&row.severity)
                    .bind(&row.remedy)
                    .bind(amount_minor)
                    .bind(row.currency.code())
                    .bind(&row.reaction)
                    .bind(row.cause.as_deref())
                    .bind(row.follow_up_due_at)
                    .bind(0_i64)
                    .bind(amount_minor)
                    .bind(key)
                    .bind(key)
                    .fetch_one($pool)
                    .await
                    .expect("insert a legacy row")
            };
        }
        match self.store() {
            Store::Sqlite(pool) => insert!(pool),
            Store::Postgres(pool) => insert!(pool),
        }
    }

    /// An item made in the store (as the signal, or an organisation-wide manager, makes it)
    /// with these recoveries linked.
    async fn item(&self, location_id: Option<i64>, title: &str, recoveries: &[i64]) -> i64 {
        self.store()
            .create_item(
                &NewItem {
                    organisation_id: self.org.organisation_id,
                    location_id,
                    category: None,
                    touchpoint: None,
                    from_signal: false,
                    title: title.into(),
                    problem: String::new(),
                    created_by: None,
                },
                recoveries,
                Utc::now(),
            )
            .await
            .unwrap()
    }

    async fn item_count(&self) -> usize {
        self.store()
            .items(self.org.organisation_id)
            .await
            .unwrap()
            .len()
    }

    async fn links(&self, item: i64) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .store()
            .linked_recoveries(self.org.organisation_id, Some(item))
            .await
            .unwrap()
            .iter()
            .map(|l| l.recovery_id)
            .collect();
        ids.sort_unstable();
        ids
    }

    async fn history(&self, item: i64) -> usize {
        self.store()
            .item_events(self.org.organisation_id, item)
            .await
            .unwrap()
            .len()
    }
}

fn sorted(mut ids: Vec<i64>) -> Vec<i64> {
    ids.sort_unstable();
    ids
}

async fn a_lisbon_manager_cannot_create_or_link_with_londons_recoveries(kind: Db) {
    let h = harbour(kind).await;
    let main = h.org.location_id.to_string();
    let staff = h.org.person("staff.a");
    let here = h.recorded(staff, "here", "noise", 1_000).await;
    let here_too = h.recorded(staff, "here-too", "noise", 500).await;
    let there = h.recorded(h.larry, "there", "noise", 2_000).await;
    let manager = h.app.signed_in("manager.a").await;
    let create = |recovery_ids: String| {
        let (h, manager, main) = (&h, &manager, &main);
        async move {
            h.app
                .call(
                    manager,
                    "improvements/create",
                    &[
                        ("title", "Noise at the front desk"),
                        ("problem", ""),
                        ("location_id", main.as_str()),
                        ("category", ""),
                        ("touchpoint", ""),
                        ("recovery_ids", recovery_ids.as_str()),
                    ],
                )
                .await
        }
    };

    // London's recovery, alone or among Lisbon's, or an id that does not exist: 404, and no
    // item is created.
    for ids in [
        there.to_string(),
        format!("{here}, {there}"),
        "999999999".to_string(),
    ] {
        let refused = create(ids.clone()).await;
        assert_eq!(refused.status, 404, "{ids}: {refused:?}");
        assert!(refused.body.to_string().contains("recovery"), "{refused:?}");
    }
    assert_eq!(h.item_count().await, 0);

    // With Lisbon's own recovery it works.
    let created = create(here.to_string()).await;
    assert_eq!(created.status, 200, "{created:?}");
    let item = created.body.as_i64().expect("the new item's id");
    assert_eq!(h.links(item).await, vec![here]);
    let history = h.history(item).await;

    // Linking London's recovery: 404, nothing linked, nothing in the history.
    let item_id = item.to_string();
    for ids in [there.to_string(), format!("{here_too}, {there}")] {
        let refused = h
            .app
            .call(
                &manager,
                "improvements/link",
                &[("id", &item_id), ("recovery_ids", &ids)],
            )
            .await;
        assert_eq!(refused.status, 404, "{ids}: {refused:?}");
    }
    assert_eq!(h.links(item).await, vec![here]);
    assert_eq!(h.history(item).await, history);
    let linked = h
        .app
        .call(
            &manager,
            "improvements/link",
            &[("id", &item_id), ("recovery_ids", &here_too.to_string())],
        )
        .await;
    assert_eq!(linked.status, 200, "{linked:?}");
    assert_eq!(linked.body, 1);

    // An organisation-wide item: the Lisbon manager may neither create one nor change one.
    let everywhere = h.item(None, "Noise everywhere", &[here]).await.to_string();
    let organisation_wide = h
        .app
        .call(
            &manager,
            "improvements/create",
            &[
                ("title", "Noise in every hotel"),
                ("problem", ""),
                ("location_id", ""),
                ("category", ""),
                ("touchpoint", ""),
                ("recovery_ids", ""),
            ],
        )
        .await;
    assert_eq!(organisation_wide.status, 400, "{organisation_wide:?}");
    let link = h
        .app
        .call(
            &manager,
            "improvements/link",
            &[("id", &everywhere), ("recovery_ids", &here_too.to_string())],
        )
        .await;
    assert_eq!(link.status, 403, "{link:?}");
    let edit = h
        .app
        .call(
            &manager,
            "improvements/edit",
            &[
                ("id", &everywhere),
                ("owner_id", ""),
                ("due_on", ""),
                ("countermeasure", "Quiet hours"),
                ("problem", ""),
            ],
        )
        .await;
    assert_eq!(edit.status, 403, "{edit:?}");

    // The leader (organisation-wide) may link London's recovery to it.
    let leader = h.app.signed_in("leader.a").await;
    let theirs = h
        .app
        .call(
            &leader,
            "improvements/link",
            &[("id", &item_id), ("recovery_ids", &there.to_string())],
        )
        .await;
    assert_eq!(theirs.status, 200, "{theirs:?}");
    assert_eq!(h.links(item).await, sorted(vec![here, here_too, there]));
}

async fn an_item_never_shows_londons_staff_to_a_lisbon_manager(kind: Db) {
    let h = harbour(kind).await;
    let staff = h.org.person("staff.a");
    let here = h.recorded(staff, "here", "noise", 1_000).await;
    let there = h.recorded(h.larry, "there", "noise", 2_000).await;
    // An organisation-wide item and a Lisbon item, each with London's recovery linked (by the
    // signal or an organisation-wide manager).
    let everywhere = h.item(None, "Noise everywhere", &[here, there]).await;
    let lisbon = h
        .item(Some(h.org.location_id), "Noise in Lisbon", &[here, there])
        .await;
    let london = h.item(Some(h.london), "Noise in London", &[there]).await;

    for username in ["manager.a", "supervisor.a"] {
        let client = h.app.signed_in(username).await;
        for item in [everywhere, lisbon] {
            let detail = h
                .app
                .call(&client, "improvements/item", &[("id", &item.to_string())])
                .await;
            assert_eq!(detail.status, 200, "{username} {item}: {detail:?}");
            let text = detail.body.to_string();
            assert!(!text.contains(LONDONER), "{username} {item}: {text}");
            assert!(!text.contains("GBP"), "{username} {item}: {text}");
            let recoveries = detail.body["recoveries"].as_array().unwrap();
            assert_eq!(recoveries.len(), 1, "{text}");
            assert!(
                recoveries[0].as_str().unwrap().contains("staff of a"),
                "{text}"
            );
            assert_eq!(detail.body["summary"]["occurrences"], 1, "{text}");
            assert_eq!(detail.body["summary"]["cost"], "10.00 EUR", "{text}");
        }
        // London's own item is not theirs to see at all.
        let hidden = h
            .app
            .call(&client, "improvements/item", &[("id", &london.to_string())])
            .await;
        assert_eq!(hidden.status, 404, "{username}: {hidden:?}");
        // Nor does the queue carry London's people.
        let queue = h
            .app
            .call(
                &client,
                "improvements/queue",
                &[("location", ""), ("status", ""), ("owner", "")],
            )
            .await;
        assert_eq!(queue.status, 200, "{queue:?}");
        let text = queue.body.to_string();
        assert!(!text.contains(LONDONER), "{text}");
        let listed = queue.body["items"].as_array().unwrap();
        assert_eq!(listed.len(), 2, "{text}");
        assert!(listed.iter().all(|i| i["occurrences"] == 1), "{text}");
    }

    // The leader sees London's recovery in the organisation-wide item.
    let leader = h.app.signed_in("leader.a").await;
    let detail = h
        .app
        .call(
            &leader,
            "improvements/item",
            &[("id", &everywhere.to_string())],
        )
        .await;
    assert_eq!(detail.status, 200, "{detail:?}");
    assert!(detail.body.to_string().contains(LONDONER), "{detail:?}");
    assert_eq!(detail.body["summary"]["occurrences"], 2);
}

async fn an_item_shows_each_currency_separately(kind: Db) {
    let h = harbour(kind).await;
    let staff = h.org.person("staff.a");
    let here = h.recorded(staff, "here", "room-not-ready", 124_000).await;
    let there = h.recorded(h.larry, "there", "room-not-ready", 31_000).await;
    let item = h.item(None, "Rooms not ready", &[here, there]).await;

    let leader = h.app.signed_in("leader.a").await;
    let detail = h
        .app
        .call(&leader, "improvements/item", &[("id", &item.to_string())])
        .await;
    assert_eq!(detail.status, 200, "{detail:?}");
    assert_eq!(detail.body["summary"]["cost"], "1240.00 EUR + 310.00 GBP");
    let recoveries = detail.body.to_string();
    assert!(recoveries.contains("1240.00 EUR"), "{recoveries}");
    assert!(recoveries.contains("310.00 GBP"), "{recoveries}");

    let queue = h
        .app
        .call(
            &leader,
            "improvements/queue",
            &[("location", ""), ("status", ""), ("owner", "")],
        )
        .await;
    assert_eq!(queue.status, 200, "{queue:?}");
    assert_eq!(
        queue.body["items"][0]["cost"], "1240.00 EUR + 310.00 GBP",
        "{queue:?}"
    );
    // The signal across the organisation: two recoveries, each currency on its own.
    let signal = queue.body["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["place"] == "All locations")
        .cloned()
        .unwrap_or_else(|| panic!("an organisation-wide signal: {queue:?}"));
    assert_eq!(signal["occurrences"], 2);
    assert_eq!(signal["cost"], "1240.00 EUR + 310.00 GBP");
}

async fn a_huge_recovery_does_not_break_the_queue(kind: Db) {
    let h = harbour(kind).await;
    let staff = h.org.person("staff.a");
    let normal = h.recorded(staff, "normal", "room-not-ready", 1_000).await;
    // 92233720368547758.07 EUR: i64::MAX minor units, from before the maximum existed.
    let huge = h.legacy_copy(normal, "huge", i64::MAX).await;
    let item = h
        .item(Some(h.org.location_id), "Absurd amounts", &[normal, huge])
        .await;

    for username in ["supervisor.a", "manager.a", "leader.a", "admin.a"] {
        let client = h.app.signed_in(username).await;
        let queue = h
            .app
            .call(
                &client,
                "improvements/queue",
                &[("location", ""), ("status", ""), ("owner", "")],
            )
            .await;
        assert_eq!(queue.status, 200, "{username}: {queue:?}");
        let cost = queue.body["items"][0]["cost"].as_str().unwrap().to_string();
        assert_eq!(cost, "more than 92233720368547758.07 EUR", "{username}");
        let signal = queue.body["signals"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["place"] == "Main")
            .cloned()
            .unwrap_or_else(|| panic!("Main's signal: {queue:?}"));
        assert_eq!(signal["cost"], "more than 92233720368547758.07 EUR");
        let detail = h
            .app
            .call(&client, "improvements/item", &[("id", &item.to_string())])
            .await;
        assert_eq!(detail.status, 200, "{username}: {detail:?}");
        assert_eq!(
            detail.body["summary"]["cost"],
            "more than 92233720368547758.07 EUR"
        );
    }
    // Changing the thresholds re-checks the history: that answers too.
    let admin = h.app.signed_in("admin.a").await;
    let thresholds = h
        .app
        .call(
            &admin,
            "improvements/thresholds",
            &[
                ("window_days", "28"),
                ("location_occurrences", "2"),
                ("organisation_occurrences", "12"),
            ],
        )
        .await;
    assert_eq!(thresholds.status, 200, "{thresholds:?}");
}

#[tokio::test]
async fn a_lisbon_manager_cannot_create_or_link_with_londons_recoveries_on_sqlite() {
    a_lisbon_manager_cannot_create_or_link_with_londons_recoveries(Db::Sqlite).await;
}

#[tokio::test]
async fn a_lisbon_manager_cannot_create_or_link_with_londons_recoveries_on_postgres() {
    a_lisbon_manager_cannot_create_or_link_with_londons_recoveries(Db::Postgres).await;
}

#[tokio::test]
async fn an_item_never_shows_londons_staff_to_a_lisbon_manager_on_sqlite() {
    an_item_never_shows_londons_staff_to_a_lisbon_manager(Db::Sqlite).await;
}

#[tokio::test]
async fn an_item_never_shows_londons_staff_to_a_lisbon_manager_on_postgres() {
    an_item_never_shows_londons_staff_to_a_lisbon_manager(Db::Postgres).await;
}

#[tokio::test]
async fn an_item_shows_each_currency_separately_on_sqlite() {
    an_item_shows_each_currency_separately(Db::Sqlite).await;
}

#[tokio::test]
async fn an_item_shows_each_currency_separately_on_postgres() {
    an_item_shows_each_currency_separately(Db::Postgres).await;
}

#[tokio::test]
async fn a_huge_recovery_does_not_break_the_queue_on_sqlite() {
    a_huge_recovery_does_not_break_the_queue(Db::Sqlite).await;
}

#[tokio::test]
async fn a_huge_recovery_does_not_break_the_queue_on_postgres() {
    a_huge_recovery_does_not_break_the_queue(Db::Postgres).await;
}

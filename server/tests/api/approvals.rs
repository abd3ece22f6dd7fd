//! The approval queue over HTTP, and its live event stream.

use std::time::Duration;

use crate::helpers::{browser, organisation, spawn_app, Db};

async fn over_budget(app: &crate::helpers::TestApp, client: &reqwest::Client, key: &str) -> i64 {
    let answer = app
        .call(
            client,
            "log-recovery",
            &[
                ("idempotency_key", key),
                ("category", "noise"),
                ("remedy", "refund"),
                ("amount", "30"),
                ("reaction", "neutral"),
                ("touchpoint", "front-desk"),
            ],
        )
        .await;
    assert_eq!(answer.body["status"], "pending", "{answer:?}");
    answer.body["recovery_id"].as_i64().unwrap()
}

#[tokio::test]
async fn a_supervisor_sees_the_request_and_resolves_it_once() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let staff = app.signed_in("staff.a").await;
    let id = over_budget(&app, &staff, "k1").await.to_string();

    let supervisor = app.signed_in("supervisor.a").await;
    let queue = app.call(&supervisor, "approvals/queue", &[]).await;
    assert_eq!(queue.body["waiting"], 1);
    let request = &queue.body["requests"][0];
    assert_eq!(request["person"], "staff of a");
    assert_eq!(request["excess"], "30.00 EUR");
    let key = request["decision_key"].as_str().unwrap().to_string();

    let part = [
        ("recovery_id", id.as_str()),
        ("decision", "part"),
        ("amount", "12.5"),
        ("reason", ""),
        ("idempotency_key", key.as_str()),
    ];
    let decided = app.call(&supervisor, "approvals/resolve", &part).await;
    assert_eq!(
        decided.body,
        "Approved 12.50 EUR of the request for staff of a."
    );
    // Pressed twice: the same answer, one decision.
    assert_eq!(
        app.call(&supervisor, "approvals/resolve", &part)
            .await
            .status,
        200
    );
    // Another supervisor is told who decided.
    let manager = app.signed_in("manager.a").await;
    let late = app
        .call(
            &manager,
            "approvals/resolve",
            &[
                ("recovery_id", &id),
                ("decision", "deny"),
                ("amount", ""),
                ("reason", "No"),
                ("idempotency_key", "other"),
            ],
        )
        .await;
    assert_eq!(late.status, 409);
    assert!(
        late.body["Conflict"]
            .as_str()
            .unwrap()
            .starts_with("already resolved by supervisor of a at "),
        "{late:?}"
    );
    assert_eq!(
        app.call(&supervisor, "approvals/queue", &[]).await.body,
        serde_json::json!({ "requests": [], "waiting": 0 })
    );

    let log = app.call(&staff, "my-log", &[("days", "1")]).await;
    assert_eq!(log.body[0]["status"], "partly-approved");
}

#[tokio::test]
async fn approving_more_than_was_asked_is_refused_with_the_limit() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let staff = app.signed_in("staff.a").await;
    let id = over_budget(&app, &staff, "k1").await.to_string();
    let supervisor = app.signed_in("supervisor.a").await;
    let answer = app
        .call(
            &supervisor,
            "approvals/resolve",
            &[
                ("recovery_id", &id),
                ("decision", "part"),
                ("amount", "31"),
                ("reason", ""),
                ("idempotency_key", "x"),
            ],
        )
        .await;
    assert_eq!(answer.status, 422, "{answer:?}");
    assert!(
        answer.body["Budget"]
            .as_str()
            .unwrap()
            .contains("30.00 EUR"),
        "{answer:?}"
    );
}

#[tokio::test]
async fn the_event_stream_tells_a_supervisor_when_a_request_arrives() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let url = format!("{}/events/approvals", app.address);
    assert_eq!(browser().get(&url).send().await.unwrap().status(), 401);
    let staff = app.signed_in("staff.a").await;
    assert_eq!(staff.get(&url).send().await.unwrap().status(), 403);

    let supervisor = app.signed_in("supervisor.a").await;
    let mut stream = supervisor.get(&url).send().await.unwrap();
    assert_eq!(stream.status(), 200);
    assert!(stream.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    over_budget(&app, &staff, "k1").await;
    let chunk = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            let bytes = stream.chunk().await.unwrap().expect("stream open");
            let text = String::from_utf8_lossy(&bytes).to_string();
            if text.contains("event: queue") {
                break text;
            }
        }
    })
    .await
    .expect("an event within 5 s");
    assert!(chunk.contains("data: changed"), "{chunk}");
}

#[tokio::test]
async fn a_request_left_from_a_previous_day_stays_pending_and_is_flagged() {
    let app = spawn_app(Db::Sqlite).await;
    organisation(&app.store, "a").await;
    let staff = app.signed_in("staff.a").await;
    let yesterday = (chrono::Utc::now() - chrono::Duration::hours(26)).to_rfc3339();
    let logged = app
        .call(
            &staff,
            "log-recovery",
            &[
                ("idempotency_key", "late"),
                ("occurred_at", &yesterday),
                ("category", "noise"),
                ("remedy", "refund"),
                ("amount", "20"),
                ("reaction", "neutral"),
                ("touchpoint", "front-desk"),
            ],
        )
        .await;
    assert_eq!(logged.body["status"], "pending", "{logged:?}");
    over_budget(&app, &staff, "today").await;
    let supervisor = app.signed_in("supervisor.a").await;
    let queue = app.call(&supervisor, "approvals/queue", &[]).await;
    let flags: Vec<bool> = queue.body["requests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["from_previous_day"].as_bool().unwrap())
        .collect();
    assert_eq!(
        flags,
        vec![true, false],
        "oldest first: yesterday's, then today's"
    );
}

/// A person who leaves with a request still waiting: the queue still opens and shows it (it
/// used to refuse the whole queue, reading a deactivated person's budget), and it can be
/// decided.
#[tokio::test]
async fn a_deactivated_persons_waiting_request_leaves_the_queue_working() {
    for kind in [Db::Sqlite, Db::Postgres] {
        let app = spawn_app(kind).await;
        let a = organisation(&app.store, "a").await;
        let staff = app.signed_in("staff.a").await;
        let id = over_budget(&app, &staff, "leaving").await;
        let admin = app.signed_in("admin.a").await;
        let person = a.person("staff.a").to_string();
        let off = app
            .call(
                &admin,
                "admin/set-active",
                &[("person_id", person.as_str()), ("active", "false")],
            )
            .await;
        assert_eq!(off.status, 200, "{off:?}");
        let supervisor = app.signed_in("supervisor.a").await;
        let queue = app.call(&supervisor, "approvals/queue", &[]).await;
        assert_eq!(queue.status, 200, "{kind:?}: {queue:?}");
        assert_eq!(queue.body["waiting"], 1);
        assert_eq!(queue.body["requests"][0]["recovery_id"], id);
        let key = queue.body["requests"][0]["decision_key"]
            .as_str()
            .unwrap()
            .to_string();
        let id = id.to_string();
        let denied = app
            .call(
                &supervisor,
                "approvals/resolve",
                &[
                    ("recovery_id", id.as_str()),
                    ("decision", "deny"),
                    ("amount", ""),
                    ("reason", "Left before it was looked at"),
                    ("idempotency_key", key.as_str()),
                ],
            )
            .await;
        assert_eq!(denied.status, 200, "{kind:?}: {denied:?}");
    }
}

/// Reads a stream until it ends; true if it ended within `limit`.
async fn ends_within(stream: &mut reqwest::Response, limit: Duration) -> bool {
    tokio::time::timeout(limit, async {
        while let Ok(Some(_)) = stream.chunk().await {}
    })
    .await
    .is_ok()
}

/// A stream lasts only as long as its session: signed out, it ends at the next check (here
/// every second); and one session holds at most four.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_live_stream_ends_with_its_session_and_a_session_holds_only_a_few() {
    for kind in [Db::Sqlite, Db::Postgres] {
        let app = crate::helpers::spawn_app_with(kind, |config| {
            config.live_recheck = Duration::from_secs(1);
        })
        .await;
        organisation(&app.store, "a").await;
        let url = format!("{}/events/approvals", app.address);
        let supervisor = app.signed_in("supervisor.a").await;
        let mut streams = Vec::new();
        for _ in 0..server::LIVE_STREAMS_PER_SESSION {
            let stream = supervisor.get(&url).send().await.unwrap();
            assert_eq!(stream.status(), 200);
            streams.push(stream);
        }
        let refused = supervisor.get(&url).send().await.unwrap();
        assert_eq!(refused.status(), 429, "{kind:?}");
        // Another session of the same person is not held back by this one's.
        let elsewhere = app.signed_in("supervisor.a").await;
        let mut other = elsewhere.get(&url).send().await.unwrap();
        assert_eq!(other.status(), 200);

        // While the session holds, the streams stay open across checks.
        let mut first = streams.remove(0);
        assert!(!ends_within(&mut first, Duration::from_millis(2_500)).await);
        // Signed out: every stream of that session ends at its next check, and the places
        // are given back.
        let out = app.call(&supervisor, "sign-out", &[]).await;
        assert!(out.status < 400, "{out:?}");
        assert!(
            ends_within(&mut first, Duration::from_secs(5)).await,
            "{kind:?}"
        );
        for mut stream in streams {
            assert!(ends_within(&mut stream, Duration::from_secs(5)).await);
        }
        // The other session's stream goes on.
        assert!(!ends_within(&mut other, Duration::from_millis(1_500)).await);
        // Revoked by an admin ("end every session"): it ends too.
        let admin = app.signed_in("admin.a").await;
        let person = app
            .store
            .credentials_by_username("a", "supervisor.a")
            .await
            .unwrap()
            .unwrap()
            .person_id
            .to_string();
        let revoked = app
            .call(
                &admin,
                "admin/revoke-sessions",
                &[("person_id", person.as_str())],
            )
            .await;
        assert!(revoked.status < 400, "{revoked:?}");
        assert!(
            ends_within(&mut other, Duration::from_secs(5)).await,
            "{kind:?}"
        );
    }
}

//! The storage contract: one suite, run against SQLite and against PostgreSQL. Each test gets
//! its own fresh database (an SQLite file in the temp directory, or a new PostgreSQL
//! database on GOODWILL_TEST_POSTGRES_URL's server) which is dropped afterwards, pass or fail.
//! PostgreSQL tests fail, never skip, when the server is unreachable.

use std::{future::Future, sync::Arc};

use app::{
    domain::{
        budget_day::parse_time_zone,
        learning::{effect, Figures, ItemStatus, Occurrence},
        ledger::{RecoveryStatus, Resolution, ResolutionKind},
        money::Currency,
        org::{Industry, Role},
        policy::{Boost, BudgetPolicy, PolicyScope},
        recovery::{CauseKind, Channel, NewRecovery, Reaction, RemedyType, Severity},
        review::Verdict,
    },
    store::{
        learning::{ItemChange, LinkedRecovery},
        ledger::{RecordRecovery, ResolvePending, ReverseRecovery},
        organisations::{NewOrganisation, NewPerson},
        queries::{RecoveryFilter, ReviewSort},
        PoolSettings, Store, StoreError,
    },
};
use chrono::{DateTime, NaiveDate, TimeZone, Utc};

// ---------------------------------------------------------------------------------------
// Fresh databases

#[path = "support/database.rs"]
mod database;

use database::{Kind, TestDatabase};

impl TestDatabase {
    async fn store(&self) -> Store {
        let store = Store::connect(
            &self.url,
            &PoolSettings {
                max_connections: 8,
                ..Default::default()
            },
        )
        .await
        .expect("connect");
        store.migrate().await.expect("migrate");
        store
    }
}

/// Runs a test body against a fresh database and drops the database afterwards, even when
/// the body panics (the panic is then re-raised).
async fn with_database<F, Fut>(kind: Kind, body: F)
where
    F: FnOnce(Arc<TestDatabase>) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    let database = Arc::new(TestDatabase::create(kind).await);
    let outcome = tokio::spawn(body(database.clone())).await;
    // The last reference: dropping it drops the database.
    drop(database);
    if let Err(error) = outcome {
        if error.is_panic() {
            std::panic::resume_unwind(error.into_panic());
        }
        panic!("test task failed: {error}");
    }
}

/// Declares each contract test once per database.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::with_database(super::Kind::Sqlite, |db| super::$name(db)).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $name() {
                    super::with_database(super::Kind::Postgres, |db| super::$name(db)).await;
                }
            )*
        }
    };
}

contract!(
    migrations_apply_and_report_a_schema_version,
    a_recovery_within_budget_is_posted_at_once,
    a_recovery_past_the_budget_posts_what_remains_and_waits_for_the_excess,
    the_per_recovery_cap_sends_the_rest_for_approval,
    a_non_monetary_fix_is_a_posted_recovery_of_zero,
    replaying_a_key_returns_the_original_result_and_records_once,
    reusing_a_key_for_a_different_request_is_a_conflict,
    a_supervisor_can_approve_all_part_or_deny_and_a_request_resolves_once,
    a_denial_needs_a_reason,
    a_reversal_gives_the_budget_back_and_happens_once,
    a_pending_request_must_be_resolved_before_it_can_be_reversed,
    the_ledger_refuses_updates_and_deletes,
    nobody_reaches_another_organisations_people_or_recoveries,
    the_budget_day_is_the_local_date_of_the_location,
    allowance_follows_policy_precedence_and_boosts,
    the_review_queries_see_the_right_recoveries,
    concurrent_submissions_never_overspend_lose_or_duplicate,
    concurrent_decisions_resolve_a_request_exactly_once,
    review_filters_by_status_remedy_amount_and_scope_and_sorts,
    spend_per_person_counts_posted_spend_allowances_and_follow_ups,
    spot_checks_are_sampled_from_within_budget_and_recorded_once,
    decisions_and_reversals_show_in_the_deciders_log,
    a_recurring_cause_proposes_exactly_one_item_with_the_right_figures,
    an_open_item_collects_its_causes_earlier_and_missed_recoveries,
    a_fix_dated_mid_history_shows_the_before_and_after_rates,
    the_queue_ranks_items_by_the_documented_formula,
    the_invariant_check_finds_a_grant_at_another_organisations_location,
    the_monthly_summary_matches_a_hand_computed_month,
    a_published_summary_is_frozen_and_later_corrections_show_beside_it,
    a_database_that_cannot_serve_now_is_unavailable_not_a_failure,
    redaction_keeps_every_total_and_the_summary_identical,
    retention_redacts_exactly_what_is_older_than_n_days,
    an_erased_reference_is_nowhere_in_the_database,
    customer_history_and_requests_stay_within_their_locations,
);

// ---------------------------------------------------------------------------------------
// Fixture: one hotel with a front desk team and three people

struct Fixture {
    store: Store,
    organisation_id: i64,
    location_id: i64,
    team_id: i64,
    staff: i64,
    colleague: i64,
    supervisor: i64,
}

fn at(hour: u32) -> DateTime<Utc> {
    // 2026-06-10, summer time in Lisbon (UTC+1).
    Utc.with_ymd_and_hms(2026, 6, 10, hour, 0, 0).unwrap()
}

async fn fixture(db: &TestDatabase) -> Fixture {
    let store = db.store().await;
    let now = at(8);
    let organisation = store
        .create_organisation(
            &NewOrganisation {
                name: "Test Hotels",
                slug: "test-hotels",
                industry: Industry::Hotel,
                currency: Currency::parse("EUR").unwrap(),
                time_zone: parse_time_zone("Europe/Lisbon").unwrap(),
            },
            now,
        )
        .await
        .unwrap();
    let org = organisation.id;
    let location = store
        .create_location(
            org,
            "Lisbon",
            parse_time_zone("Europe/Lisbon").unwrap(),
            Currency::parse("EUR").unwrap(),
            now,
        )
        .await
        .unwrap();
    let team = store
        .create_team(org, location.id, "Front desk", Some("front-desk"), now)
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (username, role) in [
        ("ana", Role::Staff),
        ("rui", Role::Staff),
        ("sofia", Role::Supervisor),
    ] {
        let person = store
            .create_person(
                &NewPerson {
                    organisation_id: org,
                    location_id: location.id,
                    team_id: Some(team.id),
                    display_name: &username.to_uppercase(),
                    username,
                    email: None,
                    password_hash: None,
                    pin_hash: None,
                },
                now,
            )
            .await
            .unwrap();
        store
            .grant_role(org, person.id, role, Some(location.id), now)
            .await
            .unwrap();
        ids.push(person.id);
    }
    // 50.00 a day, at most 30.00 per recovery.
    store
        .set_policy(
            org,
            &BudgetPolicy::new(PolicyScope::Organisation, 5_000, Some(3_000)).unwrap(),
            now,
        )
        .await
        .unwrap();
    Fixture {
        store,
        organisation_id: org,
        location_id: location.id,
        team_id: team.id,
        staff: ids[0],
        colleague: ids[1],
        supervisor: ids[2],
    }
}

fn recovery(amount_minor: i64, occurred_at: DateTime<Utc>) -> NewRecovery {
    NewRecovery {
        occurred_at,
        touchpoint: "front-desk".to_string(),
        channel: Channel::InPerson,
        customer_ref: Some("Room 412".to_string()),
        category: "room-not-ready".to_string(),
        severity: Severity::Medium,
        description: "Room not ready at 15:00".to_string(),
        remedy: if amount_minor == 0 {
            RemedyType::FixOrApology
        } else {
            RemedyType::ComplimentaryItem
        },
        amount_minor,
        reaction: Reaction::Satisfied,
        cause: Some(CauseKind::Process),
        cause_note: None,
        follow_up_due: None,
    }
}

impl Fixture {
    fn record(&self, person_id: i64, key: &str, amount_minor: i64) -> RecordRecovery {
        RecordRecovery {
            organisation_id: self.organisation_id,
            person_id,
            recorded_by: person_id,
            idempotency_key: key.to_string(),
            recovery: recovery(amount_minor, at(9)),
            fingerprint: None,
        }
    }

    fn decide(&self, recovery_id: i64, key: &str, resolution: Resolution) -> ResolvePending {
        ResolvePending {
            organisation_id: self.organisation_id,
            recovery_id,
            decided_by: self.supervisor,
            idempotency_key: key.to_string(),
            resolution,
        }
    }

    fn reverse(&self, recovery_id: i64, key: &str) -> ReverseRecovery {
        ReverseRecovery {
            organisation_id: self.organisation_id,
            recovery_id,
            reversed_by: self.supervisor,
            idempotency_key: key.to_string(),
            reason: "Entered twice by mistake".to_string(),
        }
    }

    async fn remaining(&self, person_id: i64) -> i64 {
        self.store
            .budget_view(
                self.organisation_id,
                person_id,
                Some(date(2026, 6, 10)),
                at(12),
            )
            .await
            .unwrap()
            .remaining_minor
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

// ---------------------------------------------------------------------------------------
// The contract

async fn migrations_apply_and_report_a_schema_version(db: Arc<TestDatabase>) {
    let store = db.store().await;
    // Running them again is a no-op.
    store.migrate().await.unwrap();
    assert!(store.schema_version().await.unwrap() >= 1);
    store.ping().await.unwrap();
}

async fn a_recovery_within_budget_is_posted_at_once(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let receipt = f
        .store
        .record_recovery(&f.record(f.staff, "k1", 1_500), at(9))
        .await
        .unwrap();
    assert_eq!(receipt.status, RecoveryStatus::Posted);
    assert_eq!((receipt.covered_minor, receipt.excess_minor), (1_500, 0));
    assert_eq!(receipt.remaining_minor, 3_500);
    assert_eq!(receipt.currency.code(), "EUR");
    assert_eq!(receipt.budget_date, date(2026, 6, 10));
    assert!(!receipt.replayed);
    assert_eq!(f.remaining(f.staff).await, 3_500);
    // A colleague's budget is their own.
    assert_eq!(f.remaining(f.colleague).await, 5_000);
}

async fn a_recovery_past_the_budget_posts_what_remains_and_waits_for_the_excess(
    db: Arc<TestDatabase>,
) {
    let f = fixture(&db).await;
    f.store
        .record_recovery(&f.record(f.staff, "k1", 3_000), at(9))
        .await
        .unwrap();
    let receipt = f
        .store
        .record_recovery(&f.record(f.staff, "k2", 2_500), at(9))
        .await
        .unwrap();
    assert_eq!(receipt.status, RecoveryStatus::Pending);
    assert_eq!((receipt.covered_minor, receipt.excess_minor), (2_000, 500));
    assert_eq!(receipt.remaining_minor, 0);
    let view = f
        .store
        .budget_view(f.organisation_id, f.staff, Some(date(2026, 6, 10)), at(12))
        .await
        .unwrap();
    assert_eq!(
        (
            view.spent_minor,
            view.pending_excess_minor,
            view.approved_excess_minor
        ),
        (5_000, 500, 0)
    );
    // With nothing left, a further recovery waits whole.
    let next = f
        .store
        .record_recovery(&f.record(f.staff, "k3", 700), at(9))
        .await
        .unwrap();
    assert_eq!((next.covered_minor, next.excess_minor), (0, 700));
}

async fn the_per_recovery_cap_sends_the_rest_for_approval(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let receipt = f
        .store
        .record_recovery(&f.record(f.staff, "k1", 4_000), at(9))
        .await
        .unwrap();
    assert_eq!(
        (receipt.covered_minor, receipt.excess_minor),
        (3_000, 1_000)
    );
    assert_eq!(receipt.remaining_minor, 2_000);
}

async fn a_non_monetary_fix_is_a_posted_recovery_of_zero(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let receipt = f
        .store
        .record_recovery(&f.record(f.staff, "k1", 0), at(9))
        .await
        .unwrap();
    assert_eq!(receipt.status, RecoveryStatus::Posted);
    assert_eq!(receipt.remaining_minor, 5_000);
    let log = f
        .store
        .person_log(
            f.organisation_id,
            f.staff,
            date(2026, 6, 10),
            date(2026, 6, 10),
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].remedy, "fix-or-apology");
}

async fn replaying_a_key_returns_the_original_result_and_records_once(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let first = f
        .store
        .record_recovery(&f.record(f.staff, "same-key", 1_000), at(9))
        .await
        .unwrap();
    let again = f
        .store
        .record_recovery(&f.record(f.staff, "same-key", 1_000), at(10))
        .await
        .unwrap();
    assert!(again.replayed);
    assert_eq!(again.recovery_id, first.recovery_id);
    assert_eq!((again.covered_minor, again.excess_minor), (1_000, 0));
    assert_eq!(f.remaining(f.staff).await, 4_000);
    let log = f
        .store
        .person_log(
            f.organisation_id,
            f.staff,
            date(2026, 6, 10),
            date(2026, 6, 10),
        )
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
}

async fn reusing_a_key_for_a_different_request_is_a_conflict(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    f.store
        .record_recovery(&f.record(f.staff, "same-key", 1_000), at(9))
        .await
        .unwrap();
    let error = f
        .store
        .record_recovery(&f.record(f.staff, "same-key", 1_100), at(9))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::IdempotencyConflict),
        "{error:?}"
    );
    assert_eq!(f.remaining(f.staff).await, 4_000);
}

async fn a_supervisor_can_approve_all_part_or_deny_and_a_request_resolves_once(
    db: Arc<TestDatabase>,
) {
    let f = fixture(&db).await;
    // Use up the budget, then three requests that wait whole.
    f.store
        .record_recovery(&f.record(f.staff, "base-1", 3_000), at(9))
        .await
        .unwrap();
    f.store
        .record_recovery(&f.record(f.staff, "base-2", 2_000), at(9))
        .await
        .unwrap();
    let a = f
        .store
        .record_recovery(&f.record(f.staff, "a", 1_000), at(9))
        .await
        .unwrap();
    let b = f
        .store
        .record_recovery(&f.record(f.staff, "b", 1_000), at(9))
        .await
        .unwrap();
    let c = f
        .store
        .record_recovery(&f.record(f.staff, "c", 1_000), at(9))
        .await
        .unwrap();
    assert_eq!(
        f.store
            .pending_queue(f.organisation_id, Some(f.location_id))
            .await
            .unwrap()
            .len(),
        3
    );

    let all = f
        .store
        .resolve_pending(
            &f.decide(a.recovery_id, "d-a", Resolution::ApproveAll),
            at(10),
        )
        .await
        .unwrap();
    assert_eq!(
        (all.outcome, all.approved_minor),
        (ResolutionKind::Approved, 1_000)
    );
    let part = f
        .store
        .resolve_pending(
            &f.decide(
                b.recovery_id,
                "d-b",
                Resolution::ApprovePart { amount: 400 },
            ),
            at(10),
        )
        .await
        .unwrap();
    assert_eq!(
        (part.outcome, part.approved_minor),
        (ResolutionKind::PartlyApproved, 400)
    );
    let denied = f
        .store
        .resolve_pending(
            &f.decide(
                c.recovery_id,
                "d-c",
                Resolution::Deny {
                    reason: "Not warranted".into(),
                },
            ),
            at(10),
        )
        .await
        .unwrap();
    assert_eq!(
        (denied.outcome, denied.approved_minor),
        (ResolutionKind::Denied, 0)
    );

    let view = f
        .store
        .budget_view(f.organisation_id, f.staff, Some(date(2026, 6, 10)), at(12))
        .await
        .unwrap();
    assert_eq!(
        (
            view.spent_minor,
            view.approved_excess_minor,
            view.pending_excess_minor
        ),
        (5_000, 1_400, 0)
    );
    assert!(f
        .store
        .pending_queue(f.organisation_id, None)
        .await
        .unwrap()
        .is_empty());

    // A second decision is refused and names the first.
    let again = f
        .store
        .resolve_pending(
            &f.decide(
                a.recovery_id,
                "d-a-2",
                Resolution::Deny {
                    reason: "Changed my mind".into(),
                },
            ),
            at(11),
        )
        .await
        .unwrap_err();
    match again {
        StoreError::AlreadyResolved { by, .. } => assert_eq!(by, "SOFIA"),
        other => panic!("expected AlreadyResolved, got {other:?}"),
    }
    // Replaying the first decision's key answers as before.
    let replay = f
        .store
        .resolve_pending(
            &f.decide(a.recovery_id, "d-a", Resolution::ApproveAll),
            at(11),
        )
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(replay.decision_id, all.decision_id);

    let mut statuses = Vec::new();
    for id in [a.recovery_id, b.recovery_id, c.recovery_id] {
        statuses.push(
            f.store
                .recovery(f.organisation_id, id)
                .await
                .unwrap()
                .status(),
        );
    }
    assert_eq!(
        statuses,
        vec![
            RecoveryStatus::Approved,
            RecoveryStatus::PartlyApproved,
            RecoveryStatus::Denied
        ]
    );
}

async fn a_denial_needs_a_reason(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let r = f
        .store
        .record_recovery(&f.record(f.staff, "k1", 4_000), at(9))
        .await
        .unwrap();
    let error = f
        .store
        .resolve_pending(
            &f.decide(
                r.recovery_id,
                "d1",
                Resolution::Deny {
                    reason: "   ".into(),
                },
            ),
            at(10),
        )
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Ledger(_)), "{error:?}");
    // Nothing was written: the request is still pending and can be approved.
    assert_eq!(
        f.store
            .pending_queue(f.organisation_id, None)
            .await
            .unwrap()
            .len(),
        1
    );
    let too_much = f
        .store
        .resolve_pending(
            &f.decide(
                r.recovery_id,
                "d2",
                Resolution::ApprovePart { amount: 1_001 },
            ),
            at(10),
        )
        .await
        .unwrap_err();
    assert!(matches!(too_much, StoreError::Ledger(_)), "{too_much:?}");
}

async fn a_reversal_gives_the_budget_back_and_happens_once(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let r = f
        .store
        .record_recovery(&f.record(f.staff, "k1", 2_000), at(9))
        .await
        .unwrap();
    assert_eq!(f.remaining(f.staff).await, 3_000);
    let reversal = f
        .store
        .reverse_recovery(&f.reverse(r.recovery_id, "rev-1"), at(10))
        .await
        .unwrap();
    assert_eq!(reversal.reversed_covered_minor, 2_000);
    assert_eq!(f.remaining(f.staff).await, 5_000);
    let row = f
        .store
        .recovery(f.organisation_id, r.recovery_id)
        .await
        .unwrap();
    assert_eq!(row.status(), RecoveryStatus::Reversed);
    assert_eq!(
        row.reversal_reason.as_deref(),
        Some("Entered twice by mistake")
    );
    // The original entry is still there, unchanged.
    assert_eq!((row.amount_minor, row.covered_minor), (2_000, 2_000));

    let twice = f
        .store
        .reverse_recovery(&f.reverse(r.recovery_id, "rev-2"), at(11))
        .await
        .unwrap_err();
    assert!(matches!(twice, StoreError::Ledger(_)), "{twice:?}");
    let replay = f
        .store
        .reverse_recovery(&f.reverse(r.recovery_id, "rev-1"), at(11))
        .await
        .unwrap();
    assert!(replay.replayed);
    assert_eq!(f.remaining(f.staff).await, 5_000);
}

async fn a_pending_request_must_be_resolved_before_it_can_be_reversed(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let r = f
        .store
        .record_recovery(&f.record(f.staff, "k1", 4_000), at(9))
        .await
        .unwrap();
    let error = f
        .store
        .reverse_recovery(&f.reverse(r.recovery_id, "rev"), at(10))
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Ledger(_)), "{error:?}");
    f.store
        .resolve_pending(
            &f.decide(r.recovery_id, "d", Resolution::ApproveAll),
            at(10),
        )
        .await
        .unwrap();
    let reversal = f
        .store
        .reverse_recovery(&f.reverse(r.recovery_id, "rev"), at(11))
        .await
        .unwrap();
    assert_eq!(
        (
            reversal.reversed_covered_minor,
            reversal.reversed_approved_minor
        ),
        (3_000, 1_000)
    );
    let view = f
        .store
        .budget_view(f.organisation_id, f.staff, Some(date(2026, 6, 10)), at(12))
        .await
        .unwrap();
    assert_eq!((view.spent_minor, view.approved_excess_minor), (0, 0));
}

async fn the_ledger_refuses_updates_and_deletes(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let r = f
        .store
        .record_recovery(&f.record(f.staff, "k1", 1_000), at(9))
        .await
        .unwrap();
    let (update, delete) = match &f.store {
        Store::Sqlite(pool) => (
            sqlx::query("UPDATE recoveries SET amount_minor = 1 WHERE id = $1")
                .bind(r.recovery_id)
                .execute(pool)
                .await
                .is_err(),
            sqlx::query("DELETE FROM recoveries WHERE id = $1")
                .bind(r.recovery_id)
                .execute(pool)
                .await
                .is_err(),
        ),
        Store::Postgres(pool) => (
            sqlx::query("UPDATE recoveries SET amount_minor = 1 WHERE id = $1")
                .bind(r.recovery_id)
                .execute(pool)
                .await
                .is_err(),
            sqlx::query("DELETE FROM recoveries WHERE id = $1")
                .bind(r.recovery_id)
                .execute(pool)
                .await
                .is_err(),
        ),
    };
    assert!(update, "an UPDATE of a recovery must fail");
    assert!(delete, "a DELETE of a recovery must fail");
    let row = f
        .store
        .recovery(f.organisation_id, r.recovery_id)
        .await
        .unwrap();
    assert_eq!(row.amount_minor, 1_000);
}

/// The simulator's check of "nothing crosses organisations" finds a grant at a location of
/// another organisation (written behind the store's back: the store refuses it), and says
/// nothing of a grant at the person's own location.
async fn the_invariant_check_finds_a_grant_at_another_organisations_location(
    db: Arc<TestDatabase>,
) {
    let f = fixture(&db).await;
    let other = other_organisation(&f).await;
    let london = f
        .store
        .create_location(
            other.id,
            "London",
            parse_time_zone("Europe/London").unwrap(),
            Currency::parse("GBP").unwrap(),
            at(8),
        )
        .await
        .unwrap();
    let own = f
        .store
        .ledger_violations(&[f.organisation_id])
        .await
        .unwrap();
    assert!(own.is_empty(), "{own:?}");
    execute(
        &f.store,
        &format!(
            "INSERT INTO role_grants (organisation_id, person_id, role, location_id, scope_key, created_at)
             VALUES ({}, {}, 'supervisor', {}, '{}', '2026-06-10T09:00:00Z')",
            f.organisation_id, f.staff, london.id, london.id
        ),
    )
    .await;
    for checked in [vec![f.organisation_id], vec![f.organisation_id, other.id]] {
        let found = f.store.ledger_violations(&checked).await.unwrap();
        assert_eq!(found.len(), 1, "{found:?}");
        assert!(
            found[0].contains(&format!("grant to person {}", f.staff)),
            "{found:?}"
        );
    }
}

/// A second organisation beside the fixture's.
async fn other_organisation(f: &Fixture) -> app::store::organisations::Organisation {
    f.store
        .create_organisation(
            &NewOrganisation {
                name: "Other Group",
                slug: "other",
                industry: Industry::Restaurant,
                currency: Currency::parse("GBP").unwrap(),
                time_zone: parse_time_zone("Europe/London").unwrap(),
            },
            at(8),
        )
        .await
        .unwrap()
}

/// Runs a statement behind the store's back (what a bug or a hand edit could write).
async fn execute(store: &Store, sql: &str) {
    match store {
        Store::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        Store::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
    }
    .unwrap();
}

async fn nobody_reaches_another_organisations_people_or_recoveries(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let other = other_organisation(&f).await;
    let r = f
        .store
        .record_recovery(&f.record(f.staff, "k1", 4_000), at(9))
        .await
        .unwrap();

    // Recording against a person of another organisation: not found, nothing written.
    let mut foreign = f.record(f.staff, "k2", 100);
    foreign.organisation_id = other.id;
    assert!(matches!(
        f.store.record_recovery(&foreign, at(9)).await,
        Err(StoreError::NotFound(_))
    ));
    // Reading, resolving or reversing another organisation's recovery: not found.
    assert!(matches!(
        f.store.recovery(other.id, r.recovery_id).await,
        Err(StoreError::NotFound(_))
    ));
    let mut decide = f.decide(r.recovery_id, "d", Resolution::ApproveAll);
    decide.organisation_id = other.id;
    assert!(matches!(
        f.store.resolve_pending(&decide, at(10)).await,
        Err(StoreError::NotFound(_))
    ));
    let mut reverse = f.reverse(r.recovery_id, "rev");
    reverse.organisation_id = other.id;
    assert!(matches!(
        f.store.reverse_recovery(&reverse, at(10)).await,
        Err(StoreError::NotFound(_))
    ));
    // A location of another organisation cannot host this organisation's team or people.
    assert!(f
        .store
        .create_team(other.id, f.location_id, "Intruders", None, at(8))
        .await
        .is_err());
    assert!(f
        .store
        .pending_queue(other.id, None)
        .await
        .unwrap()
        .is_empty());
    assert!(f
        .store
        .recoveries(other.id, &RecoveryFilter::default())
        .await
        .unwrap()
        .is_empty());
}

async fn the_budget_day_is_the_local_date_of_the_location(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    // 23:30 UTC on 10 June is 00:30 on 11 June in Lisbon (UTC+1): a fresh budget day.
    let late = Utc.with_ymd_and_hms(2026, 6, 10, 23, 30, 0).unwrap();
    let mut request = f.record(f.staff, "late", 5_000);
    request.recovery.occurred_at = late;
    let receipt = f.store.record_recovery(&request, late).await.unwrap();
    assert_eq!(receipt.budget_date, date(2026, 6, 11));
    assert_eq!(receipt.excess_minor, 2_000); // the cap (30.00) still applies
                                             // 10 June's budget is untouched.
    assert_eq!(f.remaining(f.staff).await, 5_000);
}

async fn allowance_follows_policy_precedence_and_boosts(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let now = at(9);
    let view = |person| {
        f.store
            .budget_view(f.organisation_id, person, Some(date(2026, 6, 10)), now)
    };
    assert_eq!(view(f.staff).await.unwrap().allowance_minor, 5_000);
    // Team policy over the organisation default; role policy for supervisors.
    f.store
        .set_policy(
            f.organisation_id,
            &BudgetPolicy::new(PolicyScope::Team(f.team_id), 6_000, None).unwrap(),
            now,
        )
        .await
        .unwrap();
    f.store
        .set_policy(
            f.organisation_id,
            &BudgetPolicy::new(PolicyScope::Role(Role::Supervisor), 9_000, None).unwrap(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(view(f.staff).await.unwrap().allowance_minor, 6_000);
    assert_eq!(view(f.supervisor).await.unwrap().allowance_minor, 9_000);
    // A personal override wins over both.
    f.store
        .set_policy(
            f.organisation_id,
            &BudgetPolicy::new(PolicyScope::Person(f.staff), 2_500, None).unwrap(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(view(f.staff).await.unwrap().allowance_minor, 2_500);
    // Setting a policy again replaces it.
    f.store
        .set_policy(
            f.organisation_id,
            &BudgetPolicy::new(PolicyScope::Person(f.staff), 3_000, None).unwrap(),
            now,
        )
        .await
        .unwrap();
    assert_eq!(view(f.staff).await.unwrap().allowance_minor, 3_000);
    // A boost adds on the dates it covers only.
    f.store
        .add_boost(
            f.organisation_id,
            &Boost::new(
                PolicyScope::Team(f.team_id),
                date(2026, 6, 9),
                date(2026, 6, 10),
                1_000,
            )
            .unwrap(),
            "Renovation",
            now,
        )
        .await
        .unwrap();
    assert_eq!(view(f.staff).await.unwrap().allowance_minor, 4_000);
    let tomorrow = f
        .store
        .budget_view(f.organisation_id, f.staff, Some(date(2026, 6, 11)), now)
        .await
        .unwrap();
    assert_eq!(tomorrow.allowance_minor, 3_000);

    // The approval queue reads several people's budgets at once: the same figures as one by
    // one, across people, dates (a boost on one of them) and spend.
    f.store
        .record_recovery(&f.record(f.staff, "spent", 1_200), now)
        .await
        .unwrap();
    f.store
        .record_recovery(&f.record(f.supervisor, "over", 9_500), now)
        .await
        .unwrap();
    let wanted = [
        (f.staff, date(2026, 6, 10)),
        (f.staff, date(2026, 6, 11)),
        (f.colleague, date(2026, 6, 10)),
        (f.supervisor, date(2026, 6, 10)),
        (f.supervisor, date(2026, 6, 9)),
    ];
    let batch = f
        .store
        .budget_views(f.organisation_id, &wanted)
        .await
        .unwrap();
    assert_eq!(batch.len(), wanted.len());
    for (person, day) in wanted {
        let one = f
            .store
            .budget_view(f.organisation_id, person, Some(day), now)
            .await
            .unwrap();
        assert_eq!(batch[&(person, day)], one, "person {person} on {day}");
    }
    // Another organisation's person is not found through this one.
    let other = other_organisation(&f).await;
    assert!(f
        .store
        .budget_views(other.id, &[(f.staff, date(2026, 6, 10))])
        .await
        .is_err());
}

async fn the_review_queries_see_the_right_recoveries(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    f.store
        .record_recovery(&f.record(f.staff, "a", 1_000), at(9))
        .await
        .unwrap();
    f.store
        .record_recovery(&f.record(f.colleague, "b", 2_000), at(9))
        .await
        .unwrap();
    let mut other_category = f.record(f.colleague, "c", 4_000);
    other_category.recovery.category = "noise".to_string();
    let pending = f
        .store
        .record_recovery(&other_category, at(9))
        .await
        .unwrap();
    assert_eq!(pending.excess_minor, 1_000);

    let day = date(2026, 6, 10);
    let teams = f
        .store
        .spend_by_team(f.organisation_id, Some(f.location_id), day, day)
        .await
        .unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(
        (teams[0].recoveries, teams[0].posted_minor, teams[0].pending),
        (3, 6_000, 1)
    );
    let locations = f
        .store
        .spend_by_location(f.organisation_id, day, day)
        .await
        .unwrap();
    assert_eq!(
        (locations[0].recoveries, locations[0].posted_minor),
        (3, 6_000)
    );

    let noise = f
        .store
        .recoveries(
            f.organisation_id,
            &RecoveryFilter {
                category: Some("noise".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(noise.len(), 1);
    assert_eq!(noise[0].status(), RecoveryStatus::Pending);
    let mine = f
        .store
        .person_log(f.organisation_id, f.staff, day, day)
        .await
        .unwrap();
    assert_eq!(
        mine.iter().map(|r| r.amount_minor).collect::<Vec<_>>(),
        vec![1_000]
    );
    let queue = f
        .store
        .pending_queue(f.organisation_id, Some(f.location_id))
        .await
        .unwrap();
    assert_eq!(
        queue.iter().map(|r| r.id).collect::<Vec<_>>(),
        vec![pending.recovery_id]
    );
    // Another day is empty.
    let next = date(2026, 6, 11);
    assert_eq!(
        f.store
            .spend_by_location(f.organisation_id, next, next)
            .await
            .unwrap()[0]
            .recoveries,
        0
    );
}

/// Many concurrent submissions on the same few budget days, through several pools at once
/// (as several app servers would), some of them replays of the same key.
async fn concurrent_submissions_never_overspend_lose_or_duplicate(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let stores = [f.store.clone(), db.store().await, db.store().await];
    let people = [f.staff, f.colleague];
    let mut tasks = Vec::new();
    for i in 0..60u32 {
        let store = stores[i as usize % stores.len()].clone();
        // Every third request is a retry of the one before it (same key, same body).
        let original = if i % 3 == 2 { i - 1 } else { i };
        let person = people[original as usize % people.len()];
        let key = format!("race-{original}");
        let amount = 700 + i64::from(original % 4) * 300;
        let request = RecordRecovery {
            organisation_id: f.organisation_id,
            person_id: person,
            recorded_by: person,
            idempotency_key: key.clone(),
            recovery: recovery(amount, at(9)),
            fingerprint: None,
        };
        tasks.push(tokio::spawn(async move {
            (key, store.record_recovery(&request, at(9)).await)
        }));
    }
    let mut acknowledged = std::collections::HashMap::new();
    for task in tasks {
        let (key, result) = task.await.unwrap();
        let receipt = result.unwrap_or_else(|e| panic!("request {key} failed: {e:?}"));
        if let Some(previous) = acknowledged.insert(key.clone(), receipt.recovery_id) {
            assert_eq!(
                previous, receipt.recovery_id,
                "a replay of {key} created a second recovery"
            );
        }
    }
    assert_ledger_consistent(&f, &people, &acknowledged).await;
}

async fn concurrent_decisions_resolve_a_request_exactly_once(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let r = f
        .store
        .record_recovery(&f.record(f.staff, "big", 4_000), at(9))
        .await
        .unwrap();
    let stores = [f.store.clone(), db.store().await];
    let mut tasks = Vec::new();
    for i in 0..8usize {
        let store = stores[i % 2].clone();
        let request = f.decide(
            r.recovery_id,
            &format!("decision-{i}"),
            if i % 2 == 0 {
                Resolution::ApproveAll
            } else {
                Resolution::Deny {
                    reason: "No".into(),
                }
            },
        );
        tasks.push(tokio::spawn(async move {
            store.resolve_pending(&request, at(10)).await
        }));
    }
    let mut resolved = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => resolved += 1,
            Err(StoreError::AlreadyResolved { .. }) => {}
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
    assert_eq!(resolved, 1);
    let view = f
        .store
        .budget_view(f.organisation_id, f.staff, Some(date(2026, 6, 10)), at(12))
        .await
        .unwrap();
    assert_eq!(view.pending_excess_minor, 0);
    assert!(view.approved_excess_minor == 1_000 || view.approved_excess_minor == 0);
}

/// After a race: for each person, no overspend and the stored totals equal the ledger's sums;
/// every acknowledged recovery is stored exactly once and nothing else is.
async fn assert_ledger_consistent(
    f: &Fixture,
    people: &[i64],
    acknowledged: &std::collections::HashMap<String, i64>,
) {
    for &person in people {
        let log = f
            .store
            .person_log(
                f.organisation_id,
                person,
                date(2026, 6, 10),
                date(2026, 6, 10),
            )
            .await
            .unwrap();
        let view = f
            .store
            .budget_view(f.organisation_id, person, Some(date(2026, 6, 10)), at(12))
            .await
            .unwrap();
        let covered: i64 = log.iter().map(|r| r.covered_minor).sum();
        let excess: i64 = log.iter().map(|r| r.excess_minor).sum();
        assert!(
            covered <= view.allowance_minor,
            "overspent: {covered} > {}",
            view.allowance_minor
        );
        assert_eq!(
            view.spent_minor, covered,
            "stored totals disagree with the ledger"
        );
        assert_eq!(view.pending_excess_minor, excess);
        // The budget was used up exactly: requests kept coming after it ran out.
        assert_eq!(covered, view.allowance_minor);
    }
    // Every acknowledged recovery is there exactly once.
    let all = f
        .store
        .recoveries(f.organisation_id, &RecoveryFilter::default())
        .await
        .unwrap();
    assert_eq!(all.len(), acknowledged.len());
    let mut ids: Vec<i64> = acknowledged.values().copied().collect();
    ids.sort_unstable();
    let mut stored: Vec<i64> = all.iter().map(|r| r.id).collect();
    stored.sort_unstable();
    assert_eq!(ids, stored);
}

// ---------------------------------------------------------------------------------------
// Two separate processes on one PostgreSQL (as two app servers behind a load balancer)

const WORKER_URL: &str = "GOODWILL_RACE_WORKER_URL";

/// The worker half of `two_processes_never_overspend_lose_or_duplicate`: that test runs this
/// test binary again, twice, filtered to this function, with the database and ids in the
/// environment. Run on its own (without the variables) there is nothing to do.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn race_worker_process_entry_point() {
    let Ok(url) = std::env::var(WORKER_URL) else {
        return;
    };
    let var = |name: &str| -> i64 { std::env::var(name).unwrap().parse().unwrap() };
    let (organisation_id, people) = (
        var("GOODWILL_RACE_ORG"),
        [var("GOODWILL_RACE_PERSON_A"), var("GOODWILL_RACE_PERSON_B")],
    );
    let worker = var("GOODWILL_RACE_WORKER");
    let store = Store::connect(
        &url,
        &PoolSettings {
            max_connections: 6,
            ..Default::default()
        },
    )
    .await
    .unwrap();
    let mut tasks = Vec::new();
    for i in 0..40u32 {
        // Half the keys are shared by both processes: each is a retry of the other's request.
        let key_index = if i % 2 == 0 {
            i
        } else {
            1_000 * (worker as u32 + 1) + i
        };
        let person = people[key_index as usize % 2];
        let request = RecordRecovery {
            organisation_id,
            person_id: person,
            recorded_by: person,
            idempotency_key: format!("proc-{key_index}"),
            recovery: recovery(600 + i64::from(key_index % 5) * 200, at(9)),
            fingerprint: None,
        };
        let store = store.clone();
        tasks.push(tokio::spawn(async move {
            (
                request.idempotency_key.clone(),
                store.record_recovery(&request, at(9)).await,
            )
        }));
    }
    for task in tasks {
        let (key, result) = task.await.unwrap();
        let receipt = result.unwrap_or_else(|e| panic!("worker {worker}: {key} failed: {e:?}"));
        println!("ACK {key} {}", receipt.recovery_id);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_never_overspend_lose_or_duplicate() {
    with_database(Kind::Postgres, |db| async move {
        let f = fixture(&db).await;
        let exe = std::env::current_exe().unwrap();
        let children: Vec<_> = (0..2)
            .map(|worker| {
                std::process::Command::new(&exe)
                    .args([
                        "race_worker_process_entry_point",
                        "--exact",
                        "--nocapture",
                        "--test-threads=1",
                    ])
                    .env(WORKER_URL, &db.url)
                    .env("GOODWILL_RACE_ORG", f.organisation_id.to_string())
                    .env("GOODWILL_RACE_PERSON_A", f.staff.to_string())
                    .env("GOODWILL_RACE_PERSON_B", f.colleague.to_string())
                    .env("GOODWILL_RACE_WORKER", worker.to_string())
                    .stdout(std::process::Stdio::piped())
                    .stderr(std::process::Stdio::piped())
                    .spawn()
                    .expect("start a worker process")
            })
            .collect();
        let mut acknowledged = std::collections::HashMap::new();
        for child in children {
            let output = child.wait_with_output().unwrap();
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                output.status.success(),
                "worker failed:\n{stdout}\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
            let mut acks = 0;
            // libtest may print its "test … ... " prefix on the same line as the first ACK.
            for line in stdout
                .lines()
                .filter_map(|l| l.split_once("ACK ").map(|(_, rest)| rest))
            {
                let (key, id) = line.split_once(' ').unwrap();
                let id: i64 = id.parse().unwrap();
                if let Some(previous) = acknowledged.insert(key.to_string(), id) {
                    assert_eq!(previous, id, "{key} was recorded twice across processes");
                }
                acks += 1;
            }
            assert_eq!(acks, 40, "every request of a worker is acknowledged");
        }
        // 20 keys shared by both workers + 20 own keys each.
        assert_eq!(acknowledged.len(), 60);
        assert_ledger_consistent(&f, &[f.staff, f.colleague], &acknowledged).await;
    })
    .await;
}

// ---------------------------------------------------------------------------------------
// The supervisor console's queries

/// A day of history (budget 50.00, cap 30.00): returns the ids of a posted, a reversed, a
/// denied and a pending recovery.
async fn console_history(f: &Fixture) -> (i64, i64, i64, i64) {
    // Staff: 10.00 within budget (posted), then 20.00 within budget, reversed.
    let posted = f
        .store
        .record_recovery(&f.record(f.staff, "p1", 1_000), at(9))
        .await
        .unwrap();
    let reversed = f
        .store
        .record_recovery(&f.record(f.staff, "p2", 2_000), at(9))
        .await
        .unwrap();
    f.store
        .reverse_recovery(&f.reverse(reversed.recovery_id, "rev"), at(10))
        .await
        .unwrap();
    // Colleague: 40.00 with a 30.00 cap → 30.00 posted, 10.00 waits, then is denied.
    let denied = f
        .store
        .record_recovery(&f.record(f.colleague, "c1", 4_000), at(9))
        .await
        .unwrap();
    f.store
        .resolve_pending(
            &f.decide(
                denied.recovery_id,
                "d1",
                Resolution::Deny {
                    reason: "Too much for a late towel".into(),
                },
            ),
            at(11),
        )
        .await
        .unwrap();
    // Colleague: a free fix (no money), then 25.00 over the remaining 20.00 → 5.00 waits.
    f.store
        .record_recovery(&f.record(f.colleague, "c2", 0), at(9))
        .await
        .unwrap();
    let pending = f
        .store
        .record_recovery(&f.record(f.colleague, "c3", 2_500), at(9))
        .await
        .unwrap();
    assert_eq!(pending.excess_minor, 500);
    (
        posted.recovery_id,
        reversed.recovery_id,
        denied.recovery_id,
        pending.recovery_id,
    )
}

async fn review_filters_by_status_remedy_amount_and_scope_and_sorts(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let (posted, reversed, denied, pending) = console_history(&f).await;
    let find = |filter: RecoveryFilter| {
        let store = f.store.clone();
        let org = f.organisation_id;
        async move {
            store
                .recoveries(org, &filter)
                .await
                .unwrap()
                .into_iter()
                .map(|r| r.id)
                .collect::<Vec<_>>()
        }
    };
    let by_status = |status| RecoveryFilter {
        status: Some(status),
        ..Default::default()
    };
    assert_eq!(
        find(by_status(RecoveryStatus::Reversed)).await,
        vec![reversed]
    );
    assert_eq!(find(by_status(RecoveryStatus::Denied)).await, vec![denied]);
    assert_eq!(
        find(by_status(RecoveryStatus::Pending)).await,
        vec![pending]
    );
    assert_eq!(
        find(by_status(RecoveryStatus::Approved)).await,
        Vec::<i64>::new()
    );
    assert_eq!(
        find(by_status(RecoveryStatus::Posted)).await.len(),
        2,
        "10.00 and the free fix"
    );
    assert!(find(by_status(RecoveryStatus::Posted))
        .await
        .contains(&posted));

    let fixes = find(RecoveryFilter {
        remedy: Some("fix-or-apology".into()),
        ..Default::default()
    })
    .await;
    assert_eq!(fixes.len(), 1);
    let middle = find(RecoveryFilter {
        min_amount: Some(1_000),
        max_amount: Some(2_500),
        sort: ReviewSort::LargestAmount,
        ..Default::default()
    })
    .await;
    assert_eq!(
        middle,
        vec![pending, reversed, posted],
        "25.00, 20.00, 10.00 by amount"
    );
    let smallest = find(RecoveryFilter {
        sort: ReviewSort::SmallestAmount,
        ..Default::default()
    })
    .await;
    assert_eq!(smallest.last(), Some(&denied), "40.00 is the largest");
    assert_eq!(smallest.len(), 5);

    // A supervisor's scope: their location sees all, no location sees nothing.
    let all = find(RecoveryFilter {
        within_locations: Some(vec![f.location_id]),
        ..Default::default()
    })
    .await;
    assert_eq!(all.len(), 5);
    let none = find(RecoveryFilter {
        within_locations: Some(vec![]),
        ..Default::default()
    })
    .await;
    assert!(none.is_empty());
    let elsewhere = find(RecoveryFilter {
        within_locations: Some(vec![f.location_id + 1000]),
        ..Default::default()
    })
    .await;
    assert!(elsewhere.is_empty());
    // Dates bound the range.
    let next_day = find(RecoveryFilter {
        from: Some(date(2026, 6, 11)),
        ..Default::default()
    })
    .await;
    assert!(next_day.is_empty());
}

async fn spend_per_person_counts_posted_spend_allowances_and_follow_ups(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    console_history(&f).await;
    // A follow-up due at 12:00 UTC: open at 11:00, overdue at 13:00; another one done.
    let mut promise = f.record(f.staff, "f1", 0);
    promise.recovery.follow_up_due = Some(at(12));
    f.store.record_recovery(&promise, at(9)).await.unwrap();
    let mut kept = f.record(f.staff, "f2", 0);
    kept.recovery.follow_up_due = Some(at(12));
    let kept = f.store.record_recovery(&kept, at(9)).await.unwrap();
    f.store
        .complete_follow_up(
            f.organisation_id,
            kept.recovery_id,
            f.staff,
            "Called back",
            at(10),
        )
        .await
        .unwrap();

    let day = date(2026, 6, 10);
    let scope = [f.location_id];
    let spend = f
        .store
        .spend_by_person(f.organisation_id, Some(&scope), day, day)
        .await
        .unwrap();
    let line = |id: i64| spend.iter().find(|s| s.person_id == id).cloned().unwrap();
    // Staff: 10.00 posted; the reversed 20.00 counts as a recovery but not as spend.
    assert_eq!(
        (
            line(f.staff).recoveries,
            line(f.staff).posted_minor,
            line(f.staff).pending
        ),
        (4, 1_000, 0)
    );
    // Colleague: 30.00 covered of the denied one + 0 + 20.00 covered of the pending one.
    assert_eq!(
        (
            line(f.colleague).recoveries,
            line(f.colleague).posted_minor,
            line(f.colleague).pending
        ),
        (3, 5_000, 1)
    );
    assert_eq!(
        (
            line(f.supervisor).recoveries,
            line(f.supervisor).posted_minor
        ),
        (0, 0),
        "everyone active is listed"
    );
    assert!(f
        .store
        .spend_by_person(f.organisation_id, Some(&[]), day, day)
        .await
        .unwrap()
        .is_empty());

    let allowances = f
        .store
        .stored_allowances(f.organisation_id, None, day, day)
        .await
        .unwrap();
    assert!(allowances.contains(&(f.staff, day, 5_000)));
    assert!(allowances.contains(&(f.colleague, day, 5_000)));
    assert!(
        !allowances.iter().any(|(p, _, _)| *p == f.supervisor),
        "no budget day without a recovery"
    );

    let counts = |now| {
        let store = f.store.clone();
        let org = f.organisation_id;
        async move { store.follow_up_counts(org, None, now).await.unwrap() }
    };
    let before = counts(at(11)).await;
    assert_eq!(
        before
            .iter()
            .map(|c| (c.person_id, c.open, c.overdue))
            .collect::<Vec<_>>(),
        vec![(f.staff, 1, 0)]
    );
    let after = counts(at(13)).await;
    assert_eq!(
        after
            .iter()
            .map(|c| (c.person_id, c.open, c.overdue))
            .collect::<Vec<_>>(),
        vec![(f.staff, 1, 1)]
    );
}

async fn spot_checks_are_sampled_from_within_budget_and_recorded_once(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let (posted, reversed, denied, pending) = console_history(&f).await;
    let day = date(2026, 6, 10);
    let candidates = f
        .store
        .sample_candidates(
            f.organisation_id,
            Some(&[f.location_id]),
            day,
            day,
            f.supervisor,
        )
        .await
        .unwrap();
    // Within budget and standing: the 10.00 and the free fix; not the reversed one, not the
    // ones that went past the budget.
    assert_eq!(candidates.len(), 2);
    assert!(candidates.contains(&posted));
    for excluded in [reversed, denied, pending] {
        assert!(!candidates.contains(&excluded));
    }
    // Nobody samples their own.
    let own = f
        .store
        .sample_candidates(f.organisation_id, None, day, day, f.staff)
        .await
        .unwrap();
    assert!(!own.contains(&posted));

    f.store
        .record_spot_check(
            f.organisation_id,
            posted,
            f.supervisor,
            Verdict::NeedsATalk,
            "Ask about the minibar",
            at(12),
        )
        .await
        .unwrap();
    let row = f.store.recovery(f.organisation_id, posted).await.unwrap();
    assert_eq!(row.spot_verdict.as_deref(), Some("needs-a-talk"));
    assert_eq!(row.spot_note.as_deref(), Some("Ask about the minibar"));
    assert_eq!(row.spot_checked_by_name.as_deref(), Some("SOFIA"));
    let twice = f
        .store
        .record_spot_check(
            f.organisation_id,
            posted,
            f.supervisor,
            Verdict::LooksRight,
            "",
            at(13),
        )
        .await
        .unwrap_err();
    assert!(matches!(twice, StoreError::Duplicate(_)), "{twice:?}");
    let elsewhere = f
        .store
        .record_spot_check(
            f.organisation_id + 1,
            posted,
            f.supervisor,
            Verdict::LooksRight,
            "",
            at(13),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(elsewhere, StoreError::NotFound(_)),
        "{elsewhere:?}"
    );
    // Append-only.
    let changed = match &f.store {
        Store::Sqlite(pool) => sqlx::query("UPDATE spot_checks SET verdict = 'looks-right'")
            .execute(pool)
            .await
            .is_err(),
        Store::Postgres(pool) => sqlx::query("UPDATE spot_checks SET verdict = 'looks-right'")
            .execute(pool)
            .await
            .is_err(),
    };
    assert!(changed, "an UPDATE of a spot check must fail");
}

async fn decisions_and_reversals_show_in_the_deciders_log(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let (_, reversed, denied, _) = console_history(&f).await;
    let actions = f
        .store
        .actions_by(f.organisation_id, f.supervisor, at(0))
        .await
        .unwrap();
    let seen: Vec<(&str, i64, i64)> = actions
        .iter()
        .map(|a| (a.action.as_str(), a.recovery_id, a.amount_minor))
        .collect();
    // Newest first: the denial at 11:00, the reversal (of 20.00) at 10:00.
    assert_eq!(
        seen,
        vec![("denied", denied, 0), ("reversed", reversed, 2_000)]
    );
    assert_eq!(
        actions[0].reason.as_deref(),
        Some("Too much for a late towel")
    );
    assert_eq!(actions[1].person_name, "ANA");
    assert!(f
        .store
        .actions_by(f.organisation_id, f.staff, at(0))
        .await
        .unwrap()
        .is_empty());
    assert!(
        f.store
            .actions_by(f.organisation_id, f.supervisor, at(12))
            .await
            .unwrap()
            .is_empty(),
        "since bounds it"
    );
}

// ---------------------------------------------------------------------------------------
// The learning loop

/// A recovery of `category` at the front desk on a day of June 2026 (09:00 UTC).
fn on_day(f: &Fixture, key: &str, day: u32, category: &str, amount_minor: i64) -> RecordRecovery {
    let mut r = f.record(f.staff, key, amount_minor);
    r.recovery.occurred_at = Utc.with_ymd_and_hms(2026, 6, day, 9, 0, 0).unwrap();
    r.recovery.category = category.to_string();
    r
}

async fn log_and_learn(f: &Fixture, record: RecordRecovery) -> Vec<i64> {
    let at = record.recovery.occurred_at;
    let receipt = f.store.record_recovery(&record, at).await.unwrap();
    app::learning::after_recovery(&f.store, f.organisation_id, receipt.recovery_id, at)
        .await
        .unwrap()
}

fn figures_of(links: &[LinkedRecovery]) -> Figures {
    Figures::of(
        &links
            .iter()
            .map(|l| Occurrence {
                date: l.budget_date,
                amount_minor: l.amount_minor,
                severity: Severity::parse(&l.severity).unwrap(),
                reaction: Reaction::parse(&l.reaction).unwrap(),
            })
            .collect::<Vec<_>>(),
    )
}

async fn a_recurring_cause_proposes_exactly_one_item_with_the_right_figures(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    // Room not ready on 5 days within four weeks (threshold 5 at one location), noise on 3.
    for (i, day) in [1, 4, 8, 15].into_iter().enumerate() {
        let fed = log_and_learn(
            &f,
            on_day(
                &f,
                &format!("r{i}"),
                day,
                "room-not-ready",
                1_000 * (i as i64 + 1),
            ),
        )
        .await;
        assert!(fed.is_empty(), "no item before the threshold");
    }
    for (i, day) in [2, 9, 16].into_iter().enumerate() {
        log_and_learn(&f, on_day(&f, &format!("n{i}"), day, "noise", 500)).await;
    }
    let fed = log_and_learn(&f, on_day(&f, "r4", 22, "room-not-ready", 2_500)).await;
    assert_eq!(fed.len(), 1, "the fifth proposes an item");
    let item = fed[0];
    // The sixth attaches to it instead of proposing another.
    assert_eq!(
        log_and_learn(&f, on_day(&f, "r5", 25, "room-not-ready", 0)).await,
        vec![item]
    );

    let items = f.store.items(f.organisation_id).await.unwrap();
    assert_eq!(items.len(), 1, "exactly one item");
    let row = &items[0];
    assert_eq!(row.status, "proposed");
    assert!(row.from_signal);
    assert_eq!(row.location_id, Some(f.location_id));
    assert_eq!(
        (row.category.as_deref(), row.touchpoint.as_deref()),
        (Some("room-not-ready"), Some("front-desk"))
    );
    assert!(
        row.title.starts_with("Room not ready at Front desk"),
        "{}",
        row.title
    );

    let links = f
        .store
        .linked_recoveries(f.organisation_id, Some(item))
        .await
        .unwrap();
    let figures = figures_of(&links);
    // 10 + 20 + 30 + 40 + 25 + 0.
    assert_eq!((figures.occurrences, figures.cost_minor), (6, 12_500));
    assert_eq!(figures.first_seen, Some(date(2026, 6, 1)));
    assert_eq!(figures.last_seen, Some(date(2026, 6, 25)));
    assert_eq!(figures.severity_mix, [0, 6, 0, 0]);
    // Priority: (1 + 125.00) × 6 recoveries over 25 days × 7 × medium (2).
    let expected = ((1.0 + 125.0) * (6.0 * 7.0 / 25.0) * 2.0_f64).round() as i64;
    assert_eq!(figures.priority(2), expected);
    assert_eq!(expected, 423);

    // A scan over the same history finds nothing new.
    app::learning::scan(&f.store, f.organisation_id, date(2026, 6, 25), at(12))
        .await
        .unwrap();
    assert_eq!(f.store.items(f.organisation_id).await.unwrap().len(), 1);
    assert_eq!(
        f.store
            .linked_recoveries(f.organisation_id, Some(item))
            .await
            .unwrap()
            .len(),
        6
    );
    // The database refuses a second open item for the same signal.
    let twin = app::store::learning::NewItem {
        organisation_id: f.organisation_id,
        location_id: Some(f.location_id),
        category: Some("room-not-ready".into()),
        touchpoint: Some("front-desk".into()),
        from_signal: true,
        title: "Twin".into(),
        problem: String::new(),
        created_by: None,
    };
    assert!(matches!(
        f.store.create_item(&twin, &[], at(12)).await,
        Err(StoreError::Duplicate(_))
    ));
}

/// A hand-made item naming a cause collects the recoveries of that cause logged before it,
/// and a recovery whose learning check never ran (a crash between the ledger write and the
/// check) is linked at the next one; reversed ones and other causes are not.
async fn an_open_item_collects_its_causes_earlier_and_missed_recoveries(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let june = |day, hour| Utc.with_ymd_and_hms(2026, 6, day, hour, 0, 0).unwrap();
    log_and_learn(&f, on_day(&f, "w1", 2, "room-not-ready", 1_000)).await;
    log_and_learn(&f, on_day(&f, "w2", 3, "room-not-ready", 0)).await;
    log_and_learn(&f, on_day(&f, "other", 3, "noise", 500)).await;
    let reversed = f
        .store
        .record_recovery(&on_day(&f, "gone", 4, "room-not-ready", 700), june(4, 9))
        .await
        .unwrap();
    f.store
        .reverse_recovery(
            &ReverseRecovery {
                organisation_id: f.organisation_id,
                recovery_id: reversed.recovery_id,
                reversed_by: f.supervisor,
                reason: "Entered twice".into(),
                idempotency_key: "gone-r".into(),
            },
            june(4, 10),
        )
        .await
        .unwrap();
    let item = f
        .store
        .create_item(
            &app::store::learning::NewItem {
                organisation_id: f.organisation_id,
                location_id: Some(f.location_id),
                category: Some("room-not-ready".into()),
                touchpoint: Some("front-desk".into()),
                from_signal: false,
                title: "Rooms not ready at check-in".into(),
                problem: String::new(),
                created_by: Some(f.supervisor),
            },
            &[],
            june(4, 11),
        )
        .await
        .unwrap();
    // Written to the ledger, but its check never ran.
    f.store
        .record_recovery(&on_day(&f, "missed", 5, "room-not-ready", 300), june(5, 9))
        .await
        .unwrap();
    assert_eq!(
        log_and_learn(&f, on_day(&f, "w3", 6, "room-not-ready", 200)).await,
        vec![item]
    );
    let mut linked: Vec<i64> = f
        .store
        .linked_recoveries(f.organisation_id, Some(item))
        .await
        .unwrap()
        .iter()
        .map(|l| l.amount_minor)
        .collect();
    linked.sort_unstable();
    // w2, w3, missed, w1 — not the reversed one, not the noise.
    assert_eq!(linked, vec![0, 200, 300, 1_000]);
}

async fn a_fix_dated_mid_history_shows_the_before_and_after_rates(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    // Eight recurrences in the 28 days before 29 May (two a week), two in the 28 days after.
    let before = [2, 5, 9, 12, 16, 19, 23, 26];
    for (i, day) in before.into_iter().enumerate() {
        let mut r = on_day(&f, &format!("b{i}"), 1, "room-not-ready", 1_000);
        r.recovery.occurred_at = Utc.with_ymd_and_hms(2026, 5, day, 9, 0, 0).unwrap();
        log_and_learn(&f, r).await;
    }
    let item = f.store.items(f.organisation_id).await.unwrap()[0].id;
    let done_on = date(2026, 5, 29);
    for (from, to) in [
        (ItemStatus::Proposed, ItemStatus::Accepted),
        (ItemStatus::Accepted, ItemStatus::InProgress),
        (ItemStatus::InProgress, ItemStatus::Done),
    ] {
        f.store
            .change_item(
                f.organisation_id,
                item,
                &ItemChange::Status {
                    from,
                    to,
                    reason: None,
                    on: (to == ItemStatus::Done).then_some(done_on),
                },
                f.supervisor,
                at(12),
            )
            .await
            .unwrap();
    }
    // A stale move (someone else moved it meanwhile) is refused.
    let stale = f
        .store
        .change_item(
            f.organisation_id,
            item,
            &ItemChange::Status {
                from: ItemStatus::Proposed,
                to: ItemStatus::Accepted,
                reason: None,
                on: None,
            },
            f.supervisor,
            at(12),
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, StoreError::Duplicate(_)), "{stale:?}");
    for (i, day) in [3, 17].into_iter().enumerate() {
        log_and_learn(
            &f,
            on_day(&f, &format!("a{i}"), day, "room-not-ready", 1_000),
        )
        .await;
    }
    // Outside both windows: does not count.
    log_and_learn(&f, on_day(&f, "late", 30, "room-not-ready", 1_000)).await;

    let row = f.store.item(f.organisation_id, item).await.unwrap();
    assert_eq!(row.done_on, Some(done_on));
    let window = f
        .store
        .learning_thresholds(f.organisation_id)
        .await
        .unwrap()
        .window_days;
    let dates: Vec<NaiveDate> = f
        .store
        .cause_recoveries(
            f.organisation_id,
            Some(f.location_id),
            "room-not-ready",
            "front-desk",
            date(2026, 5, 1),
            date(2026, 6, 25),
        )
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.budget_date)
        .collect();
    let e = effect(&dates, done_on, window, date(2026, 7, 15));
    assert_eq!((e.before, e.after, e.after_days), (8, 2, 28));
    assert_eq!((e.before_per_week_x100, e.after_per_week_x100), (200, 50));
    assert_eq!(e.change_percent, Some(-75));
    // The history records every move.
    let history = f.store.item_events(f.organisation_id, item).await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, vec!["created", "status", "status", "status"]);
    assert_eq!(history[3].detail, "In progress → Done");
}

async fn the_queue_ranks_items_by_the_documented_formula(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    // Frequent and cheap: 6 noise recoveries of 5.00 in a week (low severity by default: medium).
    for day in 1..=6 {
        log_and_learn(&f, on_day(&f, &format!("n{day}"), day, "noise", 500)).await;
    }
    // Rare and costly: 5 room-not-ready of 30.00 over four weeks.
    for (i, day) in [1, 8, 15, 22, 28].into_iter().enumerate() {
        log_and_learn(
            &f,
            on_day(&f, &format!("r{i}"), day, "room-not-ready", 3_000),
        )
        .await;
    }
    let links = f
        .store
        .linked_recoveries(f.organisation_id, None)
        .await
        .unwrap();
    let mut ranked: Vec<(i64, i64)> = f
        .store
        .items(f.organisation_id)
        .await
        .unwrap()
        .iter()
        .map(|item| {
            let mine: Vec<LinkedRecovery> = links
                .iter()
                .filter(|l| l.item_id == item.id)
                .cloned()
                .collect();
            (figures_of(&mine).priority(2), item.id)
        })
        .collect();
    ranked.sort_by(|a, b| b.cmp(a));
    // Noise: (1 + 30.00) × 6 a week × 2 = 372. Room not ready: (1 + 150.00) × 5 over 28
    // days × 7 = 1.25 a week × 2 = 377.5 → 378.
    assert_eq!(
        ranked.iter().map(|r| r.0).collect::<Vec<_>>(),
        vec![378, 372]
    );
}

// ---------------------------------------------------------------------------------------
// The monthly summary: October 2026 in Lisbon, where summer time ends on the 25th.

struct Entry {
    person: fn(&Fixture) -> i64,
    key: &'static str,
    at: DateTime<Utc>,
    amount_minor: i64,
    category: &'static str,
    touchpoint: &'static str,
    channel: Channel,
    severity: Severity,
    reaction: Reaction,
    named_cause: bool,
    follow_up: Option<DateTime<Utc>>,
}

fn utc(m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, m, d, h, min, 0).unwrap()
}

fn ana(f: &Fixture) -> i64 {
    f.staff
}

fn rui(f: &Fixture) -> i64 {
    f.colleague
}

/// Logs the month's history and returns the recovery ids by key.
async fn october(f: &Fixture) -> std::collections::HashMap<&'static str, i64> {
    let entry =
        |person, key, at, amount_minor, category, touchpoint, channel, severity, reaction| Entry {
            person,
            key,
            at,
            amount_minor,
            category,
            touchpoint,
            channel,
            severity,
            reaction,
            named_cause: true,
            follow_up: None,
        };
    let entries = vec![
        // September: the month before.
        entry(
            ana,
            "s1",
            utc(9, 15, 9, 0),
            1_000,
            "noise",
            "front-desk",
            Channel::InPerson,
            Severity::Low,
            Reaction::Satisfied,
        ),
        // 30 Sep 23:30 UTC is 1 Oct 00:30 in Lisbon (summer time): October.
        entry(
            ana,
            "o1",
            utc(9, 30, 23, 30),
            2_000,
            "room-not-ready",
            "front-desk",
            Channel::InPerson,
            Severity::High,
            Reaction::Delighted,
        ),
        Entry {
            follow_up: Some(utc(10, 2, 9, 0)),
            ..entry(
                ana,
                "o2",
                utc(10, 1, 9, 0),
                500,
                "fnb-slow-service",
                "restaurant",
                Channel::Phone,
                Severity::Medium,
                Reaction::Satisfied,
            )
        },
        // 31 Oct 23:30 UTC is still 31 Oct in Lisbon: winter time (UTC+0) since the 25th.
        Entry {
            named_cause: false,
            ..entry(
                ana,
                "o3",
                utc(10, 31, 23, 30),
                1_000,
                "room-not-ready",
                "front-desk",
                Channel::InPerson,
                Severity::Low,
                Reaction::Satisfied,
            )
        },
        // 45.00 against a 30.00 cap: 30.00 posted, 15.00 waiting.
        Entry {
            follow_up: Some(utc(10, 11, 9, 0)),
            ..entry(
                rui,
                "o4",
                utc(10, 10, 9, 0),
                4_500,
                "billing-error",
                "front-desk",
                Channel::Email,
                Severity::Medium,
                Reaction::StillUnhappy,
            )
        },
        Entry {
            follow_up: Some(utc(10, 13, 9, 0)),
            ..entry(
                rui,
                "o5",
                utc(10, 12, 9, 0),
                0,
                "room-not-ready",
                "housekeeping",
                Channel::InPerson,
                Severity::Low,
                Reaction::Satisfied,
            )
        },
        // Reversed on 2 November: out of October's figures.
        entry(
            ana,
            "o6",
            utc(10, 30, 10, 0),
            2_500,
            "noise",
            "front-desk",
            Channel::InPerson,
            Severity::Medium,
            Reaction::Delighted,
        ),
        // 1 Nov 00:30 UTC is 1 Nov in Lisbon: November.
        entry(
            ana,
            "n1",
            utc(11, 1, 0, 30),
            1_000,
            "noise",
            "front-desk",
            Channel::InPerson,
            Severity::Low,
            Reaction::Satisfied,
        ),
    ];
    let mut ids = std::collections::HashMap::new();
    for e in entries {
        let mut record = f.record((e.person)(f), e.key, e.amount_minor);
        let r = &mut record.recovery;
        r.occurred_at = e.at;
        r.category = e.category.to_string();
        r.touchpoint = e.touchpoint.to_string();
        r.channel = e.channel;
        r.severity = e.severity;
        r.reaction = e.reaction;
        r.description = format!("Story {}", e.key);
        if !e.named_cause {
            r.cause = None;
        }
        r.follow_up_due = e.follow_up;
        let receipt = f.store.record_recovery(&record, e.at).await.unwrap();
        ids.insert(e.key, receipt.recovery_id);
    }
    // Follow-ups: o2 done in 6 hours (on time), o4 two days after logging (a day late),
    // o5 never (overdue).
    f.store
        .complete_follow_up(
            f.organisation_id,
            ids["o2"],
            f.staff,
            "Called back",
            utc(10, 1, 15, 0),
        )
        .await
        .unwrap();
    f.store
        .complete_follow_up(
            f.organisation_id,
            ids["o4"],
            f.colleague,
            "Refunded",
            utc(10, 12, 9, 0),
        )
        .await
        .unwrap();
    f.store
        .reverse_recovery(&f.reverse(ids["o6"], "rev-o6"), utc(11, 2, 10, 0))
        .await
        .unwrap();
    ids
}

fn october_month() -> app::domain::summary::Month {
    app::domain::summary::Month::parse("2026-10").unwrap()
}

fn pareto_rows(rows: &[app::domain::summary::ParetoRow]) -> Vec<(&str, i64, i64)> {
    rows.iter()
        .map(|r| (r.label.as_str(), r.value, r.cumulative_percent))
        .collect()
}

fn share_rows(rows: &[app::domain::summary::Share]) -> Vec<(&str, i64, i64)> {
    rows.iter()
        .map(|r| (r.label.as_str(), r.count, r.percent))
        .collect()
}

async fn the_monthly_summary_matches_a_hand_computed_month(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let ids = october(&f).await;
    let now = utc(11, 5, 12, 0);
    let s = app::summary::compute(&f.store, f.organisation_id, None, october_month(), now)
        .await
        .unwrap();
    let by_location = app::summary::compute(
        &f.store,
        f.organisation_id,
        Some(f.location_id),
        october_month(),
        now,
    )
    .await
    .unwrap();
    assert_eq!(by_location.scope, "Lisbon");
    assert_eq!(
        by_location.headline, s.headline,
        "one location: the same figures"
    );

    let h = &s.headline;
    // o1, o2, o3 (the DST edges), o4, o5; o6 reversed; s1 and n1 in other months.
    assert_eq!(
        (h.recoveries, h.reversed, h.pending, h.non_monetary),
        (5, 1, 1, 1)
    );
    assert_eq!(h.non_monetary_percent(), Some(20));
    assert_eq!((h.previous_recoveries, h.year_ago_recoveries), (1, 0));
    assert_eq!(h.lines.len(), 1);
    let eur = &h.lines[0];
    assert_eq!(eur.currency, "EUR");
    // 20.00 + 5.00 + 10.00 + 30.00 (the part within the cap) + 0.
    assert_eq!(eur.spend_minor, 6_500);
    // Three people × 31 days × 50.00.
    assert_eq!(eur.allowance_minor, 465_000);
    assert_eq!(eur.used_percent(), Some(1));
    assert_eq!(eur.per_recovery_minor(), Some(1_300));
    assert_eq!(
        (eur.previous_spend_minor, eur.year_ago_spend_minor),
        (1_000, 0)
    );
    assert_eq!(
        app::domain::summary::change_label(h.recoveries, h.previous_recoveries),
        "+400 %"
    );
    assert_eq!(
        app::domain::summary::change_label(h.recoveries, h.year_ago_recoveries),
        "new"
    );

    // Ana 35.00 and Rui 30.00 of 1,550.00 each: rarely; Sofia nothing: never.
    let u = &s.utilisation;
    assert_eq!(u.bands, vec![1, 2, 0, 0, 0, 0]);
    assert_eq!(u.never, vec!["SOFIA — Lisbon".to_string()]);
    assert_eq!(
        u.rarely,
        vec!["ANA — Lisbon".to_string(), "RUI — Lisbon".to_string()]
    );
    assert_eq!((u.never_total, u.rarely_total), (1, 2));
    assert_eq!(u.teams.len(), 1);
    let team = &u.teams[0];
    assert_eq!(
        (
            team.name.as_str(),
            team.people,
            team.recoveries,
            team.spend_minor,
            team.allowance_minor
        ),
        ("Front desk", 3, 5, 6_500, 465_000)
    );
    assert!(team.rarely_used());

    assert_eq!(
        pareto_rows(&s.categories_by_count),
        vec![
            ("Room not ready", 3, 60),
            ("Billing error", 1, 80),
            ("F&B slow service", 1, 100)
        ]
    );
    assert_eq!(
        pareto_rows(&s.touchpoints_by_count),
        vec![
            ("Front desk", 3, 60),
            ("Housekeeping", 1, 80),
            ("Restaurant", 1, 100)
        ]
    );
    assert_eq!(s.categories_by_cost.len(), 1);
    assert_eq!(s.categories_by_cost[0].0, "EUR");
    // 30.00 each for billing and room not ready (ties by name), 5.00 for the restaurant.
    assert_eq!(
        pareto_rows(&s.categories_by_cost[0].1),
        vec![
            ("Billing error", 3_000, 46),
            ("Room not ready", 3_000, 92),
            ("F&B slow service", 500, 100)
        ]
    );
    assert_eq!(
        share_rows(&s.channels),
        vec![("In person", 3, 60), ("Email", 1, 20), ("Phone", 1, 20)]
    );
    assert_eq!(
        share_rows(&s.reactions),
        vec![
            ("Delighted", 1, 20),
            ("Satisfied", 3, 60),
            ("Neutral", 0, 0),
            ("Still unhappy", 1, 20)
        ]
    );

    let fu = &s.follow_ups;
    assert_eq!(
        (fu.promised, fu.on_time, fu.late, fu.overdue, fu.not_yet_due),
        (3, 1, 1, 1, 0)
    );
    assert_eq!(fu.on_time_percent, Some(33));
    // 6 h and 48 h: the median of two is their mean.
    assert_eq!(fu.median_minutes, Some((360 + 2_880) / 2));

    // Delighted first, then satisfied by severity, then time.
    let stories: Vec<i64> = s.stories.iter().map(|st| st.recovery_id).collect();
    assert_eq!(stories, vec![ids["o1"], ids["o2"], ids["o5"], ids["o3"]]);
    assert_eq!(s.stories[0].note, "Story o1");
    assert_eq!(s.stories[0].date, date(2026, 10, 1));
    assert_eq!(s.stories[3].date, date(2026, 10, 31));
    assert_eq!(s.stories[2].amount, "no money");

    // Ana: three recoveries, all delighted or satisfied; Rui has two.
    assert_eq!(s.recognition.len(), 1);
    assert_eq!(s.recognition[0].name, "ANA");
    assert_eq!(
        s.recognition[0].reason,
        "3 recoveries: 1 delighted, 2 satisfied customers (100 %); named the cause 2 times"
    );
    assert!(s.improvements.is_empty());

    // September and November see their own entries only.
    let september = app::summary::compute(
        &f.store,
        f.organisation_id,
        None,
        october_month().previous(),
        now,
    )
    .await
    .unwrap();
    assert_eq!(september.headline.recoveries, 1);
    let november = app::summary::compute(
        &f.store,
        f.organisation_id,
        None,
        october_month().next(),
        now,
    )
    .await
    .unwrap();
    assert_eq!(november.headline.recoveries, 1);
    // November so far: five days of allowance for three people.
    assert_eq!(november.headline.lines[0].allowance_minor, 3 * 5 * 5_000);

    // The month's export lists every entry of the month, the reversed one included.
    let rows = f
        .store
        .month_recoveries(
            f.organisation_id,
            None,
            date(2026, 10, 1),
            date(2026, 10, 31),
        )
        .await
        .unwrap();
    let mut listed: Vec<i64> = rows.iter().map(|r| r.id).collect();
    listed.sort_unstable();
    let mut expected: Vec<i64> = ["o1", "o2", "o3", "o4", "o5", "o6"]
        .iter()
        .map(|k| ids[k])
        .collect();
    expected.sort_unstable();
    assert_eq!(listed, expected);
}

async fn a_published_summary_is_frozen_and_later_corrections_show_beside_it(db: Arc<TestDatabase>) {
    use app::domain::summary::{corrections, Summary};
    let f = fixture(&db).await;
    let ids = october(&f).await;
    let org = f.organisation_id;
    let published_at = utc(11, 5, 12, 0);
    let frozen = app::summary::compute(&f.store, org, None, october_month(), published_at)
        .await
        .unwrap();
    f.store
        .save_summary_draft(
            org,
            None,
            "2026-10",
            "A good month.",
            f.supervisor,
            published_at,
        )
        .await
        .unwrap();
    f.store
        .save_summary_draft(
            org,
            None,
            "2026-10",
            "A good month, mostly.",
            f.supervisor,
            published_at,
        )
        .await
        .unwrap();
    assert_eq!(
        f.store
            .summary_draft(org, None, "2026-10")
            .await
            .unwrap()
            .as_deref(),
        Some("A good month, mostly.")
    );
    let snapshot = serde_json::to_string(&frozen).unwrap();
    f.store
        .publish_summary(
            org,
            None,
            "2026-10",
            "A good month, mostly.",
            &snapshot,
            f.supervisor,
            published_at,
        )
        .await
        .unwrap();
    let twice = f
        .store
        .publish_summary(
            org,
            None,
            "2026-10",
            "Again",
            &snapshot,
            f.supervisor,
            published_at,
        )
        .await
        .unwrap_err();
    assert!(matches!(twice, StoreError::Duplicate(_)), "{twice:?}");
    // The location's own summary is a separate publication.
    assert!(f
        .store
        .published_summary(org, Some(f.location_id), "2026-10")
        .await
        .unwrap()
        .is_none());

    // A week later, o3 (31 October) is reversed.
    let later = utc(11, 12, 9, 0);
    f.store
        .reverse_recovery(&f.reverse(ids["o3"], "rev-o3"), later)
        .await
        .unwrap();
    let row = f
        .store
        .published_summary(org, None, "2026-10")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(row.commentary, "A good month, mostly.");
    assert_eq!(row.published_by_name, "SOFIA");
    let stored: Summary = serde_json::from_str(&row.snapshot).unwrap();
    assert_eq!(stored, frozen, "the publication does not move");
    let now = app::summary::compute(&f.store, org, None, october_month(), later)
        .await
        .unwrap();
    assert_eq!(now.headline.recoveries, 4);
    let changed = corrections(&stored, &now);
    assert!(
        changed.contains(&("Recoveries".into(), "5".into(), "4".into())),
        "{changed:?}"
    );
    assert!(
        changed.contains(&("Reversed".into(), "1".into(), "2".into())),
        "{changed:?}"
    );
    assert!(
        changed.contains(&("Spend (EUR)".into(), "65.00 EUR".into(), "55.00 EUR".into())),
        "{changed:?}"
    );
    let late = f
        .store
        .late_entries(
            org,
            None,
            date(2026, 10, 1),
            date(2026, 10, 31),
            row.published_at,
        )
        .await
        .unwrap();
    assert_eq!(late.len(), 1, "{late:?}");
    assert_eq!(
        (
            late[0].kind.as_str(),
            late[0].recovery_id,
            late[0].amount_minor
        ),
        ("reversed", ids["o3"], 1_000)
    );
    assert_eq!(late[0].reason.as_deref(), Some("Entered twice by mistake"));
    // o6's reversal (2 November) came before publication: already in the frozen figures.

    // The publication itself is append-only.
    let refused = match &f.store {
        Store::Sqlite(pool) => sqlx::query("UPDATE published_summaries SET commentary = 'x'")
            .execute(pool)
            .await
            .is_err(),
        Store::Postgres(pool) => sqlx::query("UPDATE published_summaries SET commentary = 'x'")
            .execute(pool)
            .await
            .is_err(),
    };
    assert!(refused, "a published summary must not change");
}

/// "Try again in a moment" (503), not "something went wrong" (500), when the database is
/// there but cannot serve now. SQLite: another writer holds the lock past the busy timeout.
/// PostgreSQL: the connection is terminated mid-query, as in a shutdown or restart
/// (SQLSTATE 57P01).
async fn a_database_that_cannot_serve_now_is_unavailable_not_a_failure(db: Arc<TestDatabase>) {
    use sqlx::Connection;
    let f = fixture(&db).await;
    match db.kind {
        Kind::Sqlite => {
            let store = Store::connect(
                &db.url,
                &PoolSettings {
                    sqlite_busy_timeout: std::time::Duration::from_millis(100),
                    ..Default::default()
                },
            )
            .await
            .unwrap();
            let mut writer = sqlx::SqliteConnection::connect(&db.url).await.unwrap();
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut writer)
                .await
                .unwrap();
            let outcome = store
                .create_team(f.organisation_id, f.location_id, "Bar", None, at(9))
                .await;
            assert!(
                matches!(outcome, Err(StoreError::Unavailable(_))),
                "{outcome:?}"
            );
            sqlx::query("ROLLBACK").execute(&mut writer).await.unwrap();
            // Once the lock is gone, the same write goes through.
            store
                .create_team(f.organisation_id, f.location_id, "Bar", None, at(9))
                .await
                .unwrap();
            store.close().await;
        }
        Kind::Postgres => {
            let Store::Postgres(pool) = &f.store else {
                unreachable!()
            };
            let mut busy = pool.acquire().await.unwrap();
            let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
                .fetch_one(&mut *busy)
                .await
                .unwrap();
            let sleeping = tokio::spawn(async move {
                sqlx::query("SELECT pg_sleep(30)")
                    .execute(&mut *busy)
                    .await
                    .map(|_| ())
            });
            tokio::time::sleep(std::time::Duration::from_millis(300)).await;
            let terminated: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)")
                .bind(pid)
                .fetch_one(pool)
                .await
                .unwrap();
            assert!(terminated);
            let error = sleeping.await.unwrap().expect_err("the query was cut off");
            let mapped = StoreError::from(error);
            assert!(matches!(mapped, StoreError::Unavailable(_)), "{mapped:?}");
            // The pool replaces the dead connection: the store serves on.
            f.store
                .create_team(f.organisation_id, f.location_id, "Bar", None, at(9))
                .await
                .unwrap();
        }
    }
}

// ---------------------------------------------------------------------------------------
// Customers' personal data (docs/PRIVACY.md)

use app::store::privacy::SubjectErasure;

fn erasure<'a>(f: &'a Fixture, key: &'a str, reason: &'a str) -> SubjectErasure<'a> {
    SubjectErasure {
        organisation_id: f.organisation_id,
        requested_by: f.supervisor,
        customer_key: key,
        from: None,
        to: None,
        within_locations: None,
        reason,
    }
}

/// Every recovery of the organisation, with the personal fields blanked: what redaction
/// must leave exactly as it was.
async fn ledger_without_personal_fields(f: &Fixture) -> Vec<app::store::queries::RecoveryRow> {
    let mut rows = f
        .store
        .recoveries(
            f.organisation_id,
            &RecoveryFilter {
                limit: Some(500),
                sort: ReviewSort::Oldest,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    for r in &mut rows {
        r.customer_ref = None;
        r.description = String::new();
        r.cause_note = None;
        r.follow_up_note = None;
        r.redacted_at = None;
    }
    rows
}

async fn redaction_keeps_every_total_and_the_summary_identical(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let ids = october(&f).await;
    let now = utc(11, 5, 12, 0);
    let summaries = || async {
        (
            app::summary::compute(&f.store, f.organisation_id, None, october_month(), now)
                .await
                .unwrap(),
            app::summary::compute(
                &f.store,
                f.organisation_id,
                Some(f.location_id),
                october_month(),
                now,
            )
            .await
            .unwrap(),
        )
    };
    let budgets = || async {
        let mut out = Vec::new();
        for person in [f.staff, f.colleague, f.supervisor] {
            for day in [date(2026, 9, 15), date(2026, 10, 1), date(2026, 10, 31)] {
                out.push(
                    f.store
                        .budget_view(f.organisation_id, person, Some(day), now)
                        .await
                        .unwrap(),
                );
            }
        }
        out
    };
    // The stories quote what went wrong: personal text, which redaction empties. Every
    // figure, and every story itself, stays.
    let without_notes =
        |(mut a, mut b): (app::domain::summary::Summary, app::domain::summary::Summary)| {
            for story in a.stories.iter_mut().chain(b.stories.iter_mut()) {
                story.note = String::new();
            }
            (a, b)
        };
    let (summary, lisbon) = summaries().await;
    assert!(summary.stories.iter().all(|s| s.note.starts_with("Story")));
    let (summary, lisbon) = without_notes((summary, lisbon));
    let spend = budgets().await;
    let ledger = ledger_without_personal_fields(&f).await;
    let before = f
        .store
        .recoveries(f.organisation_id, &RecoveryFilter::default())
        .await
        .unwrap();
    assert!(before
        .iter()
        .all(|r| r.customer_ref.as_deref() == Some("Room 412") && !r.description.is_empty()));
    assert!(before.iter().any(|r| r.follow_up_note.is_some()));

    // Every recovery names Room 412: the guest asks for erasure.
    let erased = f
        .store
        .erase_subject(&erasure(&f, "room412", "Guest's request by email"), now)
        .await
        .unwrap();
    assert_eq!(erased, ids.len() as i64);
    let after = summaries().await;
    assert!(after.0.stories.iter().all(|s| s.note.is_empty()));
    assert_eq!(after, (summary.clone(), lisbon.clone()));
    assert_eq!(budgets().await, spend);
    assert_eq!(ledger_without_personal_fields(&f).await, ledger);
    let after = f
        .store
        .recoveries(f.organisation_id, &RecoveryFilter::default())
        .await
        .unwrap();
    for r in &after {
        assert_eq!(
            (
                r.customer_ref.as_deref(),
                r.description.as_str(),
                r.cause_note.as_deref(),
                r.follow_up_note.as_deref()
            ),
            (None, "", None, None),
            "recovery {} still holds personal text",
            r.id
        );
        assert_eq!(r.redacted_at, Some(now));
    }

    // Erasing again finds nothing more, and is logged all the same; retention later has
    // nothing left to do and logs nothing.
    let again = f
        .store
        .erase_subject(&erasure(&f, "room412", "Second request"), now)
        .await
        .unwrap();
    assert_eq!(again, 0);
    let later = now + chrono::Duration::days(500);
    assert_eq!(
        f.store
            .apply_retention(
                f.organisation_id,
                later - chrono::Duration::days(400),
                later
            )
            .await
            .unwrap(),
        0
    );
    let log = f.store.redactions(f.organisation_id).await.unwrap();
    let counts: Vec<(&str, i64, &str)> = log
        .iter()
        .map(|x| (x.kind.as_str(), x.recoveries, x.reason.as_str()))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("request", 0, "Second request"),
            ("request", ids.len() as i64, "Guest's request by email"),
        ]
    );
    assert_eq!(log[1].requested_by_name.as_deref(), Some("SOFIA"));
    // The figures are still the same after the month is redacted by retention too.
    assert_eq!(without_notes(summaries().await), (summary, lisbon));
}

async fn retention_redacts_exactly_what_is_older_than_n_days(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    let other = other_organisation(&f).await;
    let t = |day: u32| Utc.with_ymd_and_hms(2026, 6, day, 9, 0, 0).unwrap();
    let mut ids = Vec::new();
    for (day, key) in [(1, "r1"), (2, "r2"), (3, "r3")] {
        let mut record = f.record(f.staff, key, 500);
        record.recovery.occurred_at = t(day);
        ids.push(
            f.store
                .record_recovery(&record, t(day))
                .await
                .unwrap()
                .recovery_id,
        );
    }
    let personal = |id: i64| {
        let store = f.store.clone();
        let org = f.organisation_id;
        async move {
            let r = store.recovery(org, id).await.unwrap();
            (r.customer_ref.is_some(), r.redacted_at.is_some())
        }
    };

    // The cutoff is exclusive: recorded exactly N days ago is kept.
    let emptied = f
        .store
        .apply_retention(f.organisation_id, t(2), t(20))
        .await
        .unwrap();
    assert_eq!(emptied, 1);
    assert_eq!(personal(ids[0]).await, (false, true));
    assert_eq!(personal(ids[1]).await, (true, false));
    assert_eq!(personal(ids[2]).await, (true, false));
    // Another organisation's retention never reaches this one.
    assert_eq!(
        f.store
            .apply_retention(other.id, t(30), t(30))
            .await
            .unwrap(),
        0
    );
    assert_eq!(personal(ids[1]).await, (true, false));

    // Through the use case, with the organisation's own period (30 days): at t(3) + 30 days
    // the cutoff is t(3), so r2 goes and r3 stays.
    f.store
        .set_retention_days(f.organisation_id, 30)
        .await
        .unwrap();
    // The database refuses a period out of bounds even if a caller skipped the rule.
    assert!(f
        .store
        .set_retention_days(f.organisation_id, 29)
        .await
        .is_err());
    let done = app::services::privacy::apply_retention(&f.store, t(3) + chrono::Duration::days(30))
        .await
        .unwrap();
    assert_eq!(done, vec![(f.organisation_id, 1)]);
    assert_eq!(personal(ids[1]).await, (false, true));
    assert_eq!(personal(ids[2]).await, (true, false));

    // Two app servers running retention at once: r3 is emptied once and logged once.
    let when = t(4) + chrono::Duration::days(30);
    let (a, b) = tokio::join!(
        app::services::privacy::apply_retention(&f.store, when),
        app::services::privacy::apply_retention(&f.store, when)
    );
    let total: i64 = a
        .unwrap()
        .iter()
        .chain(b.unwrap().iter())
        .map(|(_, n)| n)
        .sum();
    assert_eq!(total, 1);
    assert_eq!(personal(ids[2]).await, (false, true));
    let log = f.store.redactions(f.organisation_id).await.unwrap();
    assert!(log
        .iter()
        .all(|x| x.kind == "retention" && x.requested_by_name.is_none()));
    assert_eq!(log.iter().map(|x| x.recoveries).sum::<i64>(), 3);
    assert_eq!(log.len(), 3);
}

/// Every text value in every table of the database, as (table, column, value).
async fn every_text(store: &Store) -> Vec<(String, String, String)> {
    let columns: Vec<(String, String)> = match store {
        Store::Sqlite(pool) => sqlx::query_as(
            "SELECT m.name, p.name FROM sqlite_master m JOIN pragma_table_info(m.name) p
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Store::Postgres(pool) => sqlx::query_as(
            "SELECT CAST(table_name AS TEXT), CAST(column_name AS TEXT) FROM information_schema.columns
             WHERE table_schema = 'public'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    assert!(columns.len() > 50, "the scan sees the schema");
    let mut out = Vec::new();
    for (table, column) in columns {
        // As bytes on SQLite (a column may hold a blob that is not UTF-8).
        let values: Vec<Option<String>> = match store {
            Store::Sqlite(pool) => {
                let sql = format!("SELECT CAST(\"{column}\" AS BLOB) FROM \"{table}\"");
                let raw: Vec<Option<Vec<u8>>> =
                    sqlx::query_scalar(&sql).fetch_all(pool).await.unwrap();
                raw.into_iter()
                    .map(|v| v.map(|b| String::from_utf8_lossy(&b).into_owned()))
                    .collect()
            }
            Store::Postgres(pool) => {
                let sql = format!("SELECT CAST(\"{column}\" AS TEXT) FROM \"{table}\"");
                sqlx::query_scalar(&sql).fetch_all(pool).await.unwrap()
            }
        };
        for value in values.into_iter().flatten() {
            out.push((table.clone(), column.clone(), value));
        }
    }
    out
}

async fn an_erased_reference_is_nowhere_in_the_database(db: Arc<TestDatabase>) {
    let f = fixture(&db).await;
    // "xylo" cannot occur in a hash, a number or a date: any match is the guest's data.
    let mut named = f.record(f.staff, "x1", 500);
    named.recovery.customer_ref = Some("Suite XYLO".into());
    named.recovery.description = "Xylophone practice next door all night".into();
    named.recovery.cause_note = Some("Xylo suite is next to the music room".into());
    named.recovery.follow_up_due = Some(at(12));
    let named = f.store.record_recovery(&named, at(9)).await.unwrap();
    f.store
        .complete_follow_up(
            f.organisation_id,
            named.recovery_id,
            f.staff,
            "Called Suite Xylo back",
            at(11),
        )
        .await
        .unwrap();
    let mut kept = f.record(f.colleague, "k1", 500);
    kept.recovery.customer_ref = Some("Suite Kept".into());
    f.store.record_recovery(&kept, at(9)).await.unwrap();
    let mentions = |texts: &[(String, String, String)], needle: &str| -> Vec<String> {
        texts
            .iter()
            .filter(|(_, _, v)| v.to_lowercase().contains(needle))
            .map(|(t, c, v)| format!("{t}.{c} = {v}"))
            .collect()
    };
    // June is published by leadership (the stories retell what went wrong).
    f.store
        .grant_role(f.organisation_id, f.supervisor, Role::Leader, None, at(8))
        .await
        .unwrap();
    let leader = app::services::Actor::load(&f.store, f.organisation_id, f.supervisor)
        .await
        .unwrap()
        .unwrap();
    let july = Utc.with_ymd_and_hms(2026, 7, 2, 9, 0, 0).unwrap();
    app::summary::publish(&f.store, &leader, july, "2026-06", "all")
        .await
        .unwrap();
    let june = || async {
        serde_json::to_string(
            &app::summary::view(&f.store, &leader, july, "2026-06", "all")
                .await
                .unwrap(),
        )
        .unwrap()
    };
    assert!(
        june().await.contains("Xylophone practice"),
        "the story is told"
    );
    let texts = every_text(&f.store).await;
    // The reference, its key, the description and both notes — and not the frozen month.
    assert_eq!(
        mentions(&texts, "xylo").len(),
        5,
        "{:?}",
        mentions(&texts, "xylo")
    );

    // A reason that repeats the reference is refused by the use case: the log keeps reasons.
    assert!(app::domain::privacy::erasure_reason("Erase suite xylo", "suitexylo").is_err());
    let erased = f
        .store
        .erase_subject(
            &erasure(&f, "suitexylo", "Guest's request, ticket 118"),
            at(13),
        )
        .await
        .unwrap();
    assert_eq!(erased, 1);
    let texts = every_text(&f.store).await;
    assert_eq!(mentions(&texts, "xylo"), Vec::<String>::new());
    // The scan does see what was not erased.
    assert_eq!(mentions(&texts, "suite kept").len(), 1);
    // The published month still tells the story, without what was erased.
    let page = june().await;
    assert!(!page.to_lowercase().contains("xylo"), "{page}");
    assert!(page.contains("published"), "{page}");
    // The ledger row is whole.
    let row = f
        .store
        .recovery(f.organisation_id, named.recovery_id)
        .await
        .unwrap();
    assert_eq!((row.amount_minor, row.person_id), (500, f.staff));
}

async fn customer_history_and_requests_stay_within_their_locations(db: Arc<TestDatabase>) {
    use app::services::{approvals, privacy, Actor};
    let f = fixture(&db).await;
    let org = f.organisation_id;
    let now = at(12);
    let porto = f
        .store
        .create_location(
            org,
            "Porto",
            parse_time_zone("Europe/Lisbon").unwrap(),
            Currency::parse("EUR").unwrap(),
            at(8),
        )
        .await
        .unwrap()
        .id;
    let mut porto_people = Vec::new();
    for (username, role) in [
        ("pia", Role::Staff),
        ("paulo", Role::Supervisor),
        ("adao", Role::Admin),
    ] {
        let person = f
            .store
            .create_person(
                &NewPerson {
                    organisation_id: org,
                    location_id: porto,
                    team_id: None,
                    display_name: &username.to_uppercase(),
                    username,
                    email: None,
                    password_hash: None,
                    pin_hash: None,
                },
                at(8),
            )
            .await
            .unwrap();
        f.store
            .grant_role(org, person.id, role, Some(porto), at(8))
            .await
            .unwrap();
        porto_people.push(person.id);
    }
    let (pia, paulo, adao) = (porto_people[0], porto_people[1], porto_people[2]);
    let actor = |id: i64| {
        let store = f.store.clone();
        async move { Actor::load(&store, org, id).await.unwrap().unwrap() }
    };
    // The same room number at both hotels: one posted and one over the cap (pending) each.
    let mut ids = std::collections::HashMap::new();
    for (who, key, amount) in [
        (f.staff, "a1", 1_000),
        (f.staff, "a2", 4_000),
        (pia, "p1", 1_000),
        (pia, "p2", 4_000),
    ] {
        let mut record = f.record(who, key, amount);
        record.recovery.customer_ref = Some("Room 807".into());
        record.recovery.description = format!("Story {key}");
        ids.insert(
            key,
            f.store
                .record_recovery(&record, at(9))
                .await
                .unwrap()
                .recovery_id,
        );
    }
    let stories = |entries: &[views::privacy::HistoryEntry]| -> Vec<String> {
        entries
            .iter()
            .map(|e| e.what.rsplit(' ').next().unwrap().to_string())
            .collect()
    };

    // On the tablet: each hotel's staff see their own hotel's history of the room only.
    let ana = actor(f.staff).await;
    let seen = privacy::customer_history(&f.store, &ana, "room 807", now)
        .await
        .unwrap();
    assert_eq!(stories(&seen), vec!["a2", "a1"]);
    let seen = privacy::customer_history(&f.store, &actor(pia).await, "ROOM807", now)
        .await
        .unwrap();
    assert_eq!(stories(&seen), vec!["p2", "p1"]);
    assert!(privacy::customer_history(&f.store, &ana, "Room 808", now)
        .await
        .unwrap()
        .is_empty());

    // In the approval queue: each supervisor sees the request's other recoveries for the
    // customer at that hotel.
    for (supervisor, request, other) in [(f.supervisor, "a2", "a1"), (paulo, "p2", "p1")] {
        let queue = approvals::pending_requests(&f.store, &actor(supervisor).await, now)
            .await
            .unwrap();
        assert_eq!((queue.requests.len(), queue.waiting), (1, 1));
        assert_eq!(queue.requests[0].recovery_id, ids[request]);
        assert_eq!(stories(&queue.requests[0].customer_history), vec![other]);
    }

    // Porto's admin answers a request at Porto: finds and erases Porto's recoveries only.
    let porto_admin = actor(adao).await;
    let found = privacy::find_subject(&f.store, &porto_admin, "Room 807", None, None)
        .await
        .unwrap();
    let mut found: Vec<i64> = found.iter().map(|r| r.recovery_id).collect();
    found.sort();
    let mut porto_ids = vec![ids["p1"], ids["p2"]];
    porto_ids.sort();
    assert_eq!(found, porto_ids);
    // Staff and supervisors cannot search, export or erase.
    for who in [pia, paulo, f.staff] {
        let someone = actor(who).await;
        assert!(
            privacy::find_subject(&f.store, &someone, "Room 807", None, None)
                .await
                .is_err()
        );
        assert!(
            privacy::erase_subject(&f.store, &someone, "Room 807", None, None, "asked", now)
                .await
                .is_err()
        );
    }
    // A location admin cannot change the organisation's retention.
    assert!(privacy::set_retention(&f.store, &porto_admin, 90, now)
        .await
        .is_err());
    // A reason naming the customer is refused and nothing is erased.
    assert!(privacy::erase_subject(
        &f.store,
        &porto_admin,
        "Room 807",
        None,
        None,
        "room 807 asked",
        now
    )
    .await
    .is_err());
    let erased = privacy::erase_subject(
        &f.store,
        &porto_admin,
        "room 807",
        None,
        None,
        "Guest's request at reception",
        now,
    )
    .await
    .unwrap();
    assert_eq!(erased, 2);
    // Lisbon's history of the room is untouched; Porto's is gone.
    assert_eq!(
        stories(
            &privacy::customer_history(&f.store, &ana, "room 807", now)
                .await
                .unwrap()
        ),
        vec!["a2", "a1"]
    );
    assert!(
        privacy::customer_history(&f.store, &actor(pia).await, "room 807", now)
            .await
            .unwrap()
            .is_empty()
    );
    let (_, csv_type, csv) = privacy::export_subject(
        &f.store,
        &porto_admin,
        "room 807",
        None,
        None,
        privacy::SubjectFormat::Csv,
        now,
    )
    .await
    .unwrap();
    assert!(csv_type.starts_with("text/csv"));
    assert_eq!(csv.lines().count(), 1, "only the header: {csv}");
}

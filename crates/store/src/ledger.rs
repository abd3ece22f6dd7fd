//! Ledger writes: recoveries, approval decisions and reversals.
//!
//! Every write that touches a budget is one transaction whose first statement locks the
//! employee's budget-day row (an upsert on PostgreSQL; SQLite's write lock is already held by
//! `BEGIN IMMEDIATE`). The domain rule then runs on the totals read under that lock, the
//! ledger row is appended and the totals updated before commit, so two writes to the same
//! budget day can never check against the same remaining budget — in one process or many.
//!
//! Idempotency: each write carries a client-made key, unique per organisation and kind of
//! write, stored with a fingerprint of the request body. A replay returns the original
//! result; the same key with a different body is `IdempotencyConflict`.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{classify, dispatch, fingerprint, Failure, Store, StoreError, WritePool};
use domain::{
    budget_day::local_date,
    ledger::{self, BudgetDay, RecoveryStatus, Resolution, ResolutionKind},
    policy::{resolve_allowance, Allowance, Holder},
    recovery::NewRecovery,
};

/// The longest idempotency key accepted (clients send UUIDs: 36 characters).
pub const MAX_IDEMPOTENCY_KEY_LEN: usize = 100;

pub struct RecordRecovery {
    pub organisation_id: i64,
    /// Whose budget pays.
    pub person_id: i64,
    /// Who typed it in (the same person on their own tablet session).
    pub recorded_by: i64,
    pub idempotency_key: String,
    pub recovery: NewRecovery,
    /// A fingerprint of the request exactly as the client sent it (see `store::fingerprint`).
    /// Needed when the server filled parts of `recovery` in (e.g. "now" for a missing time),
    /// so that a retry of the same request matches. `None`: fingerprint `recovery` itself.
    pub fingerprint: Option<String>,
}

/// What happened to a logged recovery, as the tablet reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecoveryReceipt {
    pub recovery_id: i64,
    pub status: RecoveryStatus,
    pub amount_minor: i64,
    /// Paid from the employee's own budget, posted at once.
    pub covered_minor: i64,
    /// Waiting for a supervisor.
    pub excess_minor: i64,
    /// What remains of that budget day after this recovery.
    pub remaining_minor: i64,
    pub currency: domain::money::Currency,
    pub budget_date: NaiveDate,
    /// True when this answer is the stored result of an earlier identical request.
    pub replayed: bool,
}

pub struct ResolvePending {
    pub organisation_id: i64,
    pub recovery_id: i64,
    pub decided_by: i64,
    pub idempotency_key: String,
    pub resolution: Resolution,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionReceipt {
    pub decision_id: i64,
    pub recovery_id: i64,
    pub outcome: ResolutionKind,
    pub approved_minor: i64,
    pub replayed: bool,
}

pub struct ReverseRecovery {
    pub organisation_id: i64,
    pub recovery_id: i64,
    pub reversed_by: i64,
    pub idempotency_key: String,
    pub reason: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReversalReceipt {
    pub reversal_id: i64,
    pub recovery_id: i64,
    pub reversed_covered_minor: i64,
    pub reversed_approved_minor: i64,
    pub replayed: bool,
}

/// The recovery request as fingerprinted: who pays and what was recorded.
#[derive(Serialize)]
struct RecoveryBody<'a> {
    person_id: i64,
    recovery: &'a NewRecovery,
}

#[derive(Serialize)]
struct DecisionBody<'a> {
    recovery_id: i64,
    resolution: &'a Resolution,
}

#[derive(Serialize)]
struct ReversalBody<'a> {
    recovery_id: i64,
    reason: &'a str,
}

#[derive(sqlx::FromRow)]
struct BudgetDayRow {
    allowance_minor: i64,
    spent_minor: i64,
    approved_excess_minor: i64,
    pending_excess_minor: i64,
}

impl From<BudgetDayRow> for BudgetDay {
    fn from(row: BudgetDayRow) -> Self {
        BudgetDay {
            allowance: row.allowance_minor,
            spent: row.spent_minor,
            approved_excess: row.approved_excess_minor,
            pending_excess: row.pending_excess_minor,
        }
    }
}

/// The parts of a stored recovery the ledger writes need.
#[derive(sqlx::FromRow)]
struct StoredRecovery {
    id: i64,
    person_id: i64,
    budget_date: NaiveDate,
    amount_minor: i64,
    covered_minor: i64,
    excess_minor: i64,
    #[sqlx(try_from = "String")]
    currency: domain::money::Currency,
    request_hash: String,
}

/// Where a person works and what their organisation allows, read in one statement: what
/// logging a recovery needs before it parses the form.
#[derive(Clone, Debug)]
pub struct LogContext {
    pub location_id: i64,
    pub team_id: Option<i64>,
    pub currency: domain::money::Currency,
    pub time_zone: chrono_tz::Tz,
    pub max_amount_major: i64,
    pub thresholds: domain::learning::Thresholds,
}

/// Which budget day: the one containing an instant, or a local date.
#[derive(Clone, Copy, Debug)]
pub enum BudgetWhen {
    At(DateTime<Utc>),
    On(NaiveDate),
}

/// Where a person's budget lives and what it allows on a date.
pub struct BudgetContext {
    pub location_id: i64,
    pub team_id: Option<i64>,
    pub currency: domain::money::Currency,
    pub allowance: Allowance,
    /// The location's time zone: its budget days end at its local midnight.
    pub time_zone: chrono_tz::Tz,
    /// The organisation's largest single amount, in major units.
    pub max_amount_major: i64,
}

fn check_key(key: &str) -> Result<(), StoreError> {
    if key.trim().is_empty() || key.len() > MAX_IDEMPOTENCY_KEY_LEN {
        return Err(StoreError::Invalid(format!(
            "every write needs a request key of 1 to {MAX_IDEMPOTENCY_KEY_LEN} characters"
        )));
    }
    Ok(())
}

/// Checks a recovery's request key and returns the fingerprint stored with it: the client's
/// as sent when given, else who pays and what was recorded.
fn recovery_hash(request: &RecordRecovery) -> Result<String, StoreError> {
    check_key(&request.idempotency_key)?;
    Ok(request.fingerprint.clone().unwrap_or_else(|| {
        fingerprint(&RecoveryBody {
            person_id: request.person_id,
            recovery: &request.recovery,
        })
    }))
}

const BUDGET_DAY_COLUMNS: &str =
    "allowance_minor, spent_minor, approved_excess_minor, pending_excess_minor";

/// Takes the budget-day row lock (PostgreSQL: row lock until commit) and returns its totals.
/// A macro so it expands inside each driver's branch of `dispatch!`.
macro_rules! lock_budget_day {
    ($tx:expr, $person_id:expr, $date:expr) => {{
        let row: Option<BudgetDayRow> = sqlx::query_as(&format!(
            "UPDATE budget_days SET version = version + 1 WHERE person_id = $1 AND budget_date = $2
             RETURNING {BUDGET_DAY_COLUMNS}"
        ))
        .bind($person_id)
        .bind($date)
        .fetch_optional(&mut *$tx)
        .await?;
        BudgetDay::from(row.ok_or(StoreError::NotFound("budget day"))?)
    }};
}

/// Writes the new totals of a budget day inside the transaction that locked it.
macro_rules! write_budget_day {
    ($tx:expr, $person_id:expr, $date:expr, $day:expr) => {{
        let day: &BudgetDay = $day;
        debug_assert!(ledger::invariant_holds(day));
        sqlx::query(
            "UPDATE budget_days SET allowance_minor = $3, spent_minor = $4, approved_excess_minor = $5,
                    pending_excess_minor = $6
             WHERE person_id = $1 AND budget_date = $2",
        )
        .bind($person_id)
        .bind($date)
        .bind(day.allowance)
        .bind(day.spent)
        .bind(day.approved_excess)
        .bind(day.pending_excess)
        .execute(&mut *$tx)
        .await?;
    }};
}

impl Store {
    /// The person's location, team and allowance on a local date, from the current policies.
    pub async fn budget_context(
        &self,
        organisation_id: i64,
        person_id: i64,
        when: BudgetWhen,
    ) -> Result<(BudgetContext, NaiveDate), StoreError> {
        let context = self.log_context(organisation_id, person_id).await?;
        let date = match when {
            BudgetWhen::At(instant) => local_date(instant, context.time_zone),
            BudgetWhen::On(date) => date,
        };
        let roles = self.roles_of(organisation_id, person_id).await?;
        let holder = Holder {
            person_id,
            team_id: context.team_id,
            roles: roles.into_iter().map(|(role, _)| role).collect(),
        };
        let (policies, boosts) = self.allowance_rules(organisation_id, date).await?;
        Ok((
            BudgetContext {
                location_id: context.location_id,
                team_id: context.team_id,
                allowance: resolve_allowance(&holder, &policies, &boosts, date),
                currency: context.currency,
                time_zone: context.time_zone,
                max_amount_major: context.max_amount_major,
            },
            date,
        ))
    }

    /// The [`LogContext`] of an active person of the organisation.
    pub async fn log_context(
        &self,
        organisation_id: i64,
        person_id: i64,
    ) -> Result<LogContext, StoreError> {
        type Row = (
            i64,
            Option<i64>,
            String,
            String,
            bool,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let row: Option<Row> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT p.location_id, p.team_id, l.currency, l.time_zone, p.active, o.max_amount_major,
                        s.window_days, s.location_occurrences, s.organisation_occurrences
                 FROM people p JOIN locations l ON l.id = p.location_id
                 JOIN organisations o ON o.id = p.organisation_id
                 LEFT JOIN learning_settings s ON s.organisation_id = p.organisation_id
                 WHERE p.id = $1 AND p.organisation_id = $2",
            )
            .bind(person_id)
            .bind(organisation_id)
            .fetch_optional(pool)
            .await?
        });
        let (location_id, team_id, currency, zone, active, max, window, here, everywhere) =
            row.ok_or(StoreError::NotFound("person"))?;
        if !active {
            return Err(StoreError::Invalid(
                "this person is deactivated".to_string(),
            ));
        }
        let defaults = domain::learning::Thresholds::default();
        let count = |value: Option<i64>, default: u32| {
            value.and_then(|v| u32::try_from(v).ok()).unwrap_or(default)
        };
        Ok(LogContext {
            location_id,
            team_id,
            currency: crate::columns::currency(&currency)?,
            time_zone: crate::columns::zone(&zone)?,
            max_amount_major: max,
            thresholds: domain::learning::Thresholds {
                window_days: count(window, defaults.window_days),
                location_occurrences: count(here, defaults.location_occurrences),
                organisation_occurrences: count(everywhere, defaults.organisation_occurrences),
            },
        })
    }

    /// Logs a recovery against the budget of `person_id` on the local date it occurred.
    /// Within the remaining budget and cap it posts at once; beyond, the covered part posts
    /// and the excess waits for a supervisor.
    pub async fn record_recovery(
        &self,
        request: &RecordRecovery,
        now: DateTime<Utc>,
    ) -> Result<RecoveryReceipt, StoreError> {
        let hash = recovery_hash(request)?;
        if let Some(receipt) = self
            .replay_recovery(request.organisation_id, &request.idempotency_key, &hash)
            .await?
        {
            return Ok(receipt);
        }

        // The budget day is the local date in the person's location when the recovery happened.
        let (budget, budget_date) = self
            .budget_context(
                request.organisation_id,
                request.person_id,
                BudgetWhen::At(request.recovery.occurred_at),
            )
            .await?;
        self.write_recovery(request, hash, &budget, budget_date, now)
            .await
    }

    /// [`Store::record_recovery`] for a caller that has already read where the person works
    /// and what they are allowed (`budget`): no statement is spent on reading them again,
    /// and a replayed key is recognised by the ledger's unique key instead of a lookup first.
    /// The rules are the same: the limit, the closed day and the split run here, inside the
    /// transaction that locks the budget day.
    pub async fn record_recovery_in(
        &self,
        request: &RecordRecovery,
        budget: &BudgetContext,
        now: DateTime<Utc>,
    ) -> Result<RecoveryReceipt, StoreError> {
        let hash = recovery_hash(request)?;
        let budget_date = local_date(request.recovery.occurred_at, budget.time_zone);
        self.write_recovery(request, hash, budget, budget_date, now)
            .await
    }

    async fn write_recovery(
        &self,
        request: &RecordRecovery,
        hash: String,
        budget: &BudgetContext,
        budget_date: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<RecoveryReceipt, StoreError> {
        let recovery = &request.recovery;
        // The organisation's maximum holds on every path, not only through the form.
        let currency = budget.currency;
        domain::money::check_within_limit(recovery.amount_minor, budget.max_amount_major, currency)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        // A budget day closes at local midnight: a late entry records when it happened,
        // but nothing posts to a closed day without a supervisor.
        let open = ledger::day_open(budget_date, local_date(now, budget.time_zone));

        let outcome: Result<(i64, BudgetDay, ledger::Split), StoreError> = dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let row: BudgetDayRow = sqlx::query_as(&format!(
                "INSERT INTO budget_days (person_id, budget_date, organisation_id, location_id, currency, allowance_minor)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (person_id, budget_date) DO UPDATE SET version = budget_days.version + 1
                 RETURNING {BUDGET_DAY_COLUMNS}"
            ))
            .bind(request.person_id)
            .bind(budget_date)
            .bind(request.organisation_id)
            .bind(budget.location_id)
            .bind(budget.currency.code())
            .bind(budget.allowance.daily)
            .fetch_one(&mut *tx)
            .await?;
            let day = ledger::refresh_allowance(BudgetDay::from(row), budget.allowance.daily);
            let split = ledger::split_on(&day, &budget.allowance, recovery.amount_minor, open)?;
            let day = ledger::post(day, split);
            let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
                "INSERT INTO recoveries (organisation_id, location_id, team_id, person_id, recorded_by, budget_date,
                     occurred_at, recorded_at, touchpoint, channel, category, severity,
                     remedy, amount_minor, currency, reaction, cause, follow_up_due_at,
                     covered_minor, excess_minor, idempotency_key, request_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19,
                         $20, $21, $22)
                 RETURNING id",
            )
            .bind(request.organisation_id)
            .bind(budget.location_id)
            .bind(budget.team_id)
            .bind(request.person_id)
            .bind(request.recorded_by)
            .bind(budget_date)
            .bind(recovery.occurred_at)
            .bind(now)
            .bind(&recovery.touchpoint)
            .bind(recovery.channel.as_str())
            .bind(&recovery.category)
            .bind(recovery.severity.as_str())
            .bind(recovery.remedy.as_str())
            .bind(recovery.amount_minor)
            .bind(budget.currency.code())
            .bind(recovery.reaction.as_str())
            .bind(recovery.cause.map(|c| c.as_str()))
            .bind(recovery.follow_up_due)
            .bind(split.covered)
            .bind(split.excess)
            .bind(&request.idempotency_key)
            .bind(&hash)
            .fetch_one(&mut *tx)
            .await;
            match inserted {
                Ok(id) => {
                    // The personal fields, apart from the ledger (docs/PRIVACY.md).
                    sqlx::query(
                        "INSERT INTO recovery_personal (recovery_id, organisation_id, location_id, recorded_at,
                             customer_ref, customer_key, description, cause_note)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(id)
                    .bind(request.organisation_id)
                    .bind(budget.location_id)
                    .bind(now)
                    .bind(recovery.customer_ref.as_deref())
                    .bind(recovery.customer_ref.as_deref().and_then(domain::privacy::customer_key))
                    .bind(&recovery.description)
                    .bind(recovery.cause_note.as_deref())
                    .execute(&mut *tx)
                    .await?;
                    write_budget_day!(tx, request.person_id, budget_date, &day);
                    tx.commit().await?;
                    Ok((id, day, split))
                }
                Err(e) => Err(e.into_store_error_or_unique()),
            }
        });

        match outcome {
            Ok((recovery_id, day, split)) => Ok(RecoveryReceipt {
                recovery_id,
                status: ledger::status(split.excess, None, false),
                amount_minor: recovery.amount_minor,
                covered_minor: split.covered,
                excess_minor: split.excess,
                remaining_minor: day.remaining(),
                currency: budget.currency,
                budget_date,
                replayed: false,
            }),
            // A concurrent request with the same key won the race: answer as a replay.
            Err(StoreError::Duplicate(_)) => self
                .replay_recovery(request.organisation_id, &request.idempotency_key, &hash)
                .await?
                .ok_or_else(|| StoreError::Invalid("the recovery could not be stored".to_string())),
            Err(other) => Err(other),
        }
    }

    async fn replay_recovery(
        &self,
        organisation_id: i64,
        key: &str,
        hash: &str,
    ) -> Result<Option<RecoveryReceipt>, StoreError> {
        let Some(stored) = self.stored_recovery_by_key(organisation_id, key).await? else {
            return Ok(None);
        };
        if stored.request_hash != hash {
            return Err(StoreError::IdempotencyConflict);
        }
        let day = self
            .budget_day(stored.person_id, stored.budget_date)
            .await?
            .unwrap_or_default();
        Ok(Some(RecoveryReceipt {
            recovery_id: stored.id,
            status: ledger::status(stored.excess_minor, None, false),
            amount_minor: stored.amount_minor,
            covered_minor: stored.covered_minor,
            excess_minor: stored.excess_minor,
            remaining_minor: day.remaining(),
            currency: stored.currency,
            budget_date: stored.budget_date,
            replayed: true,
        }))
    }

    async fn stored_recovery_by_key(
        &self,
        organisation_id: i64,
        key: &str,
    ) -> Result<Option<StoredRecovery>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, person_id, budget_date, amount_minor, covered_minor, excess_minor, currency, request_hash
                 FROM recoveries WHERE organisation_id = $1 AND idempotency_key = $2",
            )
            .bind(organisation_id)
            .bind(key)
            .fetch_optional(pool)
            .await?
        }))
    }

    async fn stored_recovery(
        &self,
        organisation_id: i64,
        recovery_id: i64,
    ) -> Result<StoredRecovery, StoreError> {
        dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, person_id, budget_date, amount_minor, covered_minor, excess_minor, currency, request_hash
                 FROM recoveries WHERE organisation_id = $1 AND id = $2",
            )
            .bind(organisation_id)
            .bind(recovery_id)
            .fetch_optional(pool)
            .await?
            .ok_or(StoreError::NotFound("recovery"))
        })
    }

    /// The stored totals of one budget day, if anything was logged on it.
    pub async fn budget_day(
        &self,
        person_id: i64,
        date: NaiveDate,
    ) -> Result<Option<BudgetDay>, StoreError> {
        let row: Option<BudgetDayRow> = dispatch!(self, pool => {
            sqlx::query_as(&format!(
                "SELECT {BUDGET_DAY_COLUMNS} FROM budget_days WHERE person_id = $1 AND budget_date = $2"
            ))
            .bind(person_id)
            .bind(date)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.map(BudgetDay::from))
    }

    /// Resolves a pending request: approve all, approve part, or deny with a reason.
    /// It resolves exactly once; a second decision gets `AlreadyResolved` naming the first.
    pub async fn resolve_pending(
        &self,
        request: &ResolvePending,
        now: DateTime<Utc>,
    ) -> Result<DecisionReceipt, StoreError> {
        check_key(&request.idempotency_key)?;
        let hash = fingerprint(&DecisionBody {
            recovery_id: request.recovery_id,
            resolution: &request.resolution,
        });
        if let Some(receipt) = self
            .replay_decision(request.organisation_id, &request.idempotency_key, &hash)
            .await?
        {
            return Ok(receipt);
        }
        let recovery = self
            .stored_recovery(request.organisation_id, request.recovery_id)
            .await?;
        domain::access::may_decide(request.decided_by, recovery.person_id)?;
        if recovery.excess_minor == 0 {
            return Err(ledger::LedgerError::NotPending.into());
        }
        let resolved = ledger::resolve(recovery.excess_minor, request.resolution.clone())?;

        let outcome: Result<i64, StoreError> = dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let day: BudgetDay = lock_budget_day!(tx, recovery.person_id, recovery.budget_date);
            // Decisions on one recovery all lock the same budget day first, so this read
            // sees any decision that committed before us.
            let existing: Option<(String, DateTime<Utc>)> = sqlx::query_as(
                "SELECT p.display_name, d.decided_at FROM approval_decisions d JOIN people p ON p.id = d.decided_by
                 WHERE d.recovery_id = $1",
            )
            .bind(recovery.id)
            .fetch_optional(&mut *tx)
            .await?;
            if let Some((by, at)) = existing {
                return Err(StoreError::AlreadyResolved { by, at });
            }
            let day = ledger::apply_resolution(day, recovery.excess_minor, &resolved);
            let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
                "INSERT INTO approval_decisions (organisation_id, recovery_id, decided_by, outcome, approved_minor,
                     reason, decided_at, idempotency_key, request_hash)
                 SELECT $1, $2, p.id, $4, $5, $6, $7, $8, $9 FROM people p WHERE p.id = $3 AND p.organisation_id = $1
                 RETURNING id",
            )
            .bind(request.organisation_id)
            .bind(recovery.id)
            .bind(request.decided_by)
            .bind(resolved.kind.as_str())
            .bind(resolved.approved)
            .bind(resolved.reason.as_deref())
            .bind(now)
            .bind(&request.idempotency_key)
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await
            .and_then(|id| id.ok_or(sqlx::Error::RowNotFound));
            match inserted {
                Ok(id) => {
                    write_budget_day!(tx, recovery.person_id, recovery.budget_date, &day);
                    tx.commit().await?;
                    Ok(id)
                }
                Err(sqlx::Error::RowNotFound) => Err(StoreError::NotFound("supervisor")),
                Err(e) => Err(e.into_store_error_or_unique()),
            }
        });

        match outcome {
            Ok(decision_id) => Ok(DecisionReceipt {
                decision_id,
                recovery_id: recovery.id,
                outcome: resolved.kind,
                approved_minor: resolved.approved,
                replayed: false,
            }),
            Err(StoreError::Duplicate(_)) => self
                .replay_decision(request.organisation_id, &request.idempotency_key, &hash)
                .await?
                .ok_or_else(|| StoreError::Invalid("the decision could not be stored".to_string())),
            Err(other) => Err(other),
        }
    }

    async fn replay_decision(
        &self,
        organisation_id: i64,
        key: &str,
        hash: &str,
    ) -> Result<Option<DecisionReceipt>, StoreError> {
        let row: Option<(i64, i64, String, i64, String)> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, recovery_id, outcome, approved_minor, request_hash FROM approval_decisions
                 WHERE organisation_id = $1 AND idempotency_key = $2",
            )
            .bind(organisation_id)
            .bind(key)
            .fetch_optional(pool)
            .await?
        });
        let Some((decision_id, recovery_id, outcome, approved_minor, stored_hash)) = row else {
            return Ok(None);
        };
        if stored_hash != hash {
            return Err(StoreError::IdempotencyConflict);
        }
        let outcome =
            ResolutionKind::parse(&outcome).map_err(|e| StoreError::Invalid(e.to_string()))?;
        Ok(Some(DecisionReceipt {
            decision_id,
            recovery_id,
            outcome,
            approved_minor,
            replayed: true,
        }))
    }

    /// Reverses a posted or resolved recovery with a reason: a new ledger entry that names
    /// the original and gives its budget back. The original is never changed.
    pub async fn reverse_recovery(
        &self,
        request: &ReverseRecovery,
        now: DateTime<Utc>,
    ) -> Result<ReversalReceipt, StoreError> {
        check_key(&request.idempotency_key)?;
        let reason = ledger::reversal_reason(&request.reason)?;
        let hash = fingerprint(&ReversalBody {
            recovery_id: request.recovery_id,
            reason: &reason,
        });
        if let Some(receipt) = self
            .replay_reversal(request.organisation_id, &request.idempotency_key, &hash)
            .await?
        {
            return Ok(receipt);
        }
        let recovery = self
            .stored_recovery(request.organisation_id, request.recovery_id)
            .await?;
        domain::access::may_reverse(request.reversed_by, recovery.person_id)?;

        let outcome: Result<(i64, i64), StoreError> = dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let day: BudgetDay = lock_budget_day!(tx, recovery.person_id, recovery.budget_date);
            let already: Option<i64> = sqlx::query_scalar("SELECT id FROM reversals WHERE recovery_id = $1")
                .bind(recovery.id)
                .fetch_optional(&mut *tx)
                .await?;
            if already.is_some() {
                return Err(ledger::LedgerError::AlreadyReversed.into());
            }
            let decision: Option<i64> = sqlx::query_scalar("SELECT approved_minor FROM approval_decisions WHERE recovery_id = $1")
                .bind(recovery.id)
                .fetch_optional(&mut *tx)
                .await?;
            if recovery.excess_minor > 0 && decision.is_none() {
                return Err(ledger::LedgerError::StillPending.into());
            }
            let approved = decision.unwrap_or(0);
            let day = ledger::reverse(day, recovery.covered_minor, approved);
            let inserted: Result<i64, sqlx::Error> = sqlx::query_scalar(
                "INSERT INTO reversals (organisation_id, recovery_id, reversed_by, reason, reversed_covered_minor,
                     reversed_approved_minor, reversed_at, idempotency_key, request_hash)
                 SELECT $1, $2, p.id, $4, $5, $6, $7, $8, $9 FROM people p WHERE p.id = $3 AND p.organisation_id = $1
                 RETURNING id",
            )
            .bind(request.organisation_id)
            .bind(recovery.id)
            .bind(request.reversed_by)
            .bind(&reason)
            .bind(recovery.covered_minor)
            .bind(approved)
            .bind(now)
            .bind(&request.idempotency_key)
            .bind(&hash)
            .fetch_optional(&mut *tx)
            .await
            .and_then(|id| id.ok_or(sqlx::Error::RowNotFound));
            match inserted {
                Ok(id) => {
                    write_budget_day!(tx, recovery.person_id, recovery.budget_date, &day);
                    tx.commit().await?;
                    Ok((id, approved))
                }
                Err(sqlx::Error::RowNotFound) => Err(StoreError::NotFound("supervisor")),
                Err(e) => Err(e.into_store_error_or_unique()),
            }
        });

        match outcome {
            Ok((reversal_id, approved)) => Ok(ReversalReceipt {
                reversal_id,
                recovery_id: recovery.id,
                reversed_covered_minor: recovery.covered_minor,
                reversed_approved_minor: approved,
                replayed: false,
            }),
            Err(StoreError::Duplicate(_)) => self
                .replay_reversal(request.organisation_id, &request.idempotency_key, &hash)
                .await?
                .ok_or_else(|| StoreError::Invalid("the reversal could not be stored".to_string())),
            Err(other) => Err(other),
        }
    }

    async fn replay_reversal(
        &self,
        organisation_id: i64,
        key: &str,
        hash: &str,
    ) -> Result<Option<ReversalReceipt>, StoreError> {
        let row: Option<(i64, i64, i64, i64, String)> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT id, recovery_id, reversed_covered_minor, reversed_approved_minor, request_hash FROM reversals
                 WHERE organisation_id = $1 AND idempotency_key = $2",
            )
            .bind(organisation_id)
            .bind(key)
            .fetch_optional(pool)
            .await?
        });
        let Some((reversal_id, recovery_id, covered, approved, stored_hash)) = row else {
            return Ok(None);
        };
        if stored_hash != hash {
            return Err(StoreError::IdempotencyConflict);
        }
        Ok(Some(ReversalReceipt {
            reversal_id,
            recovery_id,
            reversed_covered_minor: covered,
            reversed_approved_minor: approved,
            replayed: true,
        }))
    }
}

trait IntoStoreError {
    /// A unique violation becomes `Duplicate` (the caller then answers as a replay).
    fn into_store_error_or_unique(self) -> StoreError;
}

impl IntoStoreError for sqlx::Error {
    fn into_store_error_or_unique(self) -> StoreError {
        if classify(&self) == Failure::Unique {
            StoreError::Duplicate("request key already used".to_string())
        } else {
            StoreError::from(self)
        }
    }
}

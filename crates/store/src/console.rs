//! Read models and writes of the supervisor console beyond the approval queue: spend per
//! person over a date range, follow-up counts, the stored allowances of past budget days,
//! the sampled review (spot checks) and what a supervisor decided.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use domain::{money::Currency, review::Verdict};

use super::{
    classify, dispatch,
    queries::{location_scope_sql, POSTED_SQL},
    Failure, Store, StoreError,
};

/// One person's recoveries and posted spend over a date range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PersonSpend {
    pub person_id: i64,
    pub person_name: String,
    pub location_id: i64,
    pub team_id: Option<i64>,
    pub recoveries: i64,
    /// Posted spend net of reversals: covered parts plus approved excess.
    pub posted_minor: i64,
    /// Requests still waiting for a supervisor.
    pub pending: i64,
}

/// A person's follow-ups not yet done, and how many of them are past due.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct FollowUpCounts {
    pub person_id: i64,
    pub open: i64,
    pub overdue: i64,
}

/// A decision or reversal someone made, for their own log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct ActionTaken {
    /// "approved", "partly-approved", "denied" or "reversed".
    pub action: String,
    pub recovery_id: i64,
    pub person_name: String,
    pub amount_minor: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

impl Store {
    /// Spend per person between two local dates (inclusive) within a location scope: every
    /// active person, and anyone (active or not) who logged a recovery in the range.
    pub async fn spend_by_person(
        &self,
        organisation_id: i64,
        within_locations: Option<&[i64]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PersonSpend>, StoreError> {
        let scope = location_scope_sql("p.location_id", within_locations);
        let sql = format!(
            "SELECT p.id AS person_id, p.display_name AS person_name, p.location_id, p.team_id,
                    COUNT(r.id) AS recoveries,
                    CAST(COALESCE(SUM({POSTED_SQL}), 0) AS BIGINT) AS posted_minor,
                    CAST(COALESCE(SUM(CASE WHEN r.excess_minor > 0 AND d.id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending
             FROM people p
             LEFT JOIN recoveries r ON r.person_id = p.id AND r.budget_date >= $2 AND r.budget_date <= $3
             LEFT JOIN approval_decisions d ON d.recovery_id = r.id
             LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE p.organisation_id = $1{scope}
               AND (p.active = TRUE OR EXISTS (SELECT 1 FROM recoveries x WHERE x.person_id = p.id
                                                AND x.budget_date >= $2 AND x.budget_date <= $3))
             GROUP BY p.id, p.display_name, p.location_id, p.team_id
             ORDER BY p.display_name, p.id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).fetch_all(pool).await?
        }))
    }

    /// The allowance stored with each budget day that exists in the range: a day's allowance
    /// is fixed by the budget evaluations that happened on it.
    pub async fn stored_allowances(
        &self,
        organisation_id: i64,
        within_locations: Option<&[i64]>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<(i64, NaiveDate, i64)>, StoreError> {
        let scope = location_scope_sql("location_id", within_locations);
        let sql = format!(
            "SELECT person_id, budget_date, allowance_minor FROM budget_days
             WHERE organisation_id = $1 AND budget_date >= $2 AND budget_date <= $3{scope}"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).fetch_all(pool).await?
        }))
    }

    /// Open and overdue follow-ups per person (reversed recoveries owe nothing).
    pub async fn follow_up_counts(
        &self,
        organisation_id: i64,
        within_locations: Option<&[i64]>,
        now: DateTime<Utc>,
    ) -> Result<Vec<FollowUpCounts>, StoreError> {
        let scope = location_scope_sql("r.location_id", within_locations);
        let sql = format!(
            "SELECT r.person_id, COUNT(*) AS open,
                    CAST(SUM(CASE WHEN r.follow_up_due_at < $2 THEN 1 ELSE 0 END) AS BIGINT) AS overdue
             FROM recoveries r
             LEFT JOIN follow_up_completions c ON c.recovery_id = r.id
             LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE r.organisation_id = $1 AND r.follow_up_due_at IS NOT NULL
               AND c.id IS NULL AND v.id IS NULL{scope}
             GROUP BY r.person_id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(now).fetch_all(pool).await?
        }))
    }

    /// Recoveries the sampled review draws from: posted within budget (no excess), not
    /// reversed, between two local dates, not logged by `excluding_person`.
    pub async fn sample_candidates(
        &self,
        organisation_id: i64,
        within_locations: Option<&[i64]>,
        from: NaiveDate,
        to: NaiveDate,
        excluding_person: i64,
    ) -> Result<Vec<i64>, StoreError> {
        let scope = location_scope_sql("r.location_id", within_locations);
        let sql = format!(
            "SELECT r.id FROM recoveries r
             LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3
               AND r.excess_minor = 0 AND v.id IS NULL AND r.person_id <> $4{scope}
             ORDER BY r.id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_scalar(&sql)
                .bind(organisation_id)
                .bind(from)
                .bind(to)
                .bind(excluding_person)
                .fetch_all(pool)
                .await?
        }))
    }

    /// Records a sampled review's verdict on a recovery, once. The note comes checked by
    /// [`domain::review::spot_check`].
    pub async fn record_spot_check(
        &self,
        organisation_id: i64,
        recovery_id: i64,
        checked_by: i64,
        verdict: Verdict,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        let owner: Option<i64> = dispatch!(self, pool => {
            sqlx::query_scalar("SELECT person_id FROM recoveries WHERE id = $1 AND organisation_id = $2")
                .bind(recovery_id)
                .bind(organisation_id)
                .fetch_optional(pool)
                .await?
        });
        let owner = owner.ok_or(StoreError::NotFound("recovery"))?;
        domain::access::may_check(checked_by, owner)?;
        let inserted = dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO spot_checks (organisation_id, recovery_id, checked_by, verdict, note, checked_at)
                 SELECT $1, r.id, p.id, $4, $5, $6 FROM recoveries r JOIN people p ON p.id = $3 AND p.organisation_id = $1
                 WHERE r.id = $2 AND r.organisation_id = $1 AND r.person_id <> p.id",
            )
            .bind(organisation_id)
            .bind(recovery_id)
            .bind(checked_by)
            .bind(verdict.as_str())
            .bind(note)
            .bind(now)
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
        });
        match inserted {
            Ok(1) => Ok(()),
            Ok(_) => Err(StoreError::NotFound("recovery")),
            Err(e) if classify(&e) == Failure::Unique => Err(StoreError::Duplicate(
                "this recovery has already been checked".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Decisions and reversals a person made since an instant, newest first (at most 100).
    pub async fn actions_by(
        &self,
        organisation_id: i64,
        person_id: i64,
        since: DateTime<Utc>,
    ) -> Result<Vec<ActionTaken>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT d.outcome AS action, d.recovery_id, p.display_name AS person_name,
                        d.approved_minor AS amount_minor, r.currency, d.reason, d.decided_at AS at
                 FROM approval_decisions d
                 JOIN recoveries r ON r.id = d.recovery_id
                 JOIN people p ON p.id = r.person_id
                 WHERE d.organisation_id = $1 AND d.decided_by = $2 AND d.decided_at >= $3
                 UNION ALL
                 SELECT 'reversed' AS action, v.recovery_id, p.display_name AS person_name,
                        v.reversed_covered_minor + v.reversed_approved_minor AS amount_minor, r.currency,
                        v.reason, v.reversed_at AS at
                 FROM reversals v
                 JOIN recoveries r ON r.id = v.recovery_id
                 JOIN people p ON p.id = r.person_id
                 WHERE v.organisation_id = $1 AND v.reversed_by = $2 AND v.reversed_at >= $3
                 ORDER BY at DESC, recovery_id DESC
                 LIMIT 100",
            )
            .bind(organisation_id)
            .bind(person_id)
            .bind(since)
            .fetch_all(pool)
            .await?
        }))
    }
}

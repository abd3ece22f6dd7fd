//! Read models for the screens: a person's budget today and log, spend per team and per
//! location, the pending queue, and recoveries filtered by cause. Every query is scoped to
//! one organisation and served by an index from the migrations.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{dispatch, ledger::BudgetWhen, Store, StoreError};
use domain::{
    ledger::{self, BudgetDay, RecoveryStatus, ResolutionKind},
    money::Currency,
};

/// A person's budget on one local date.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetView {
    pub person_id: i64,
    pub date: NaiveDate,
    pub currency: Currency,
    pub allowance_minor: i64,
    pub per_recovery_cap_minor: Option<i64>,
    pub spent_minor: i64,
    pub approved_excess_minor: i64,
    pub pending_excess_minor: i64,
    pub remaining_minor: i64,
}

/// One recovery with its current standing (decision and reversal joined in).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RecoveryRow {
    pub id: i64,
    pub person_id: i64,
    pub person_name: String,
    pub location_id: i64,
    pub team_id: Option<i64>,
    pub budget_date: NaiveDate,
    pub occurred_at: DateTime<Utc>,
    pub touchpoint: String,
    pub channel: String,
    pub customer_ref: Option<String>,
    pub category: String,
    pub severity: String,
    pub description: String,
    pub remedy: String,
    pub amount_minor: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub reaction: String,
    pub cause: Option<String>,
    pub cause_note: Option<String>,
    /// The note written when the follow-up was done (personal text, like the description).
    pub follow_up_note: Option<String>,
    /// When the personal fields (customer reference, description, cause note) were emptied
    /// by retention or a data subject's erasure; `description` is then "".
    pub redacted_at: Option<DateTime<Utc>>,
    pub follow_up_due_at: Option<DateTime<Utc>>,
    pub covered_minor: i64,
    pub excess_minor: i64,
    pub outcome: Option<String>,
    pub approved_minor: Option<i64>,
    pub decision_reason: Option<String>,
    pub decided_by_name: Option<String>,
    pub reversal_reason: Option<String>,
    pub reversed_by_name: Option<String>,
    /// The sampled review's verdict ("looks-right" or "needs-a-talk"), if checked.
    pub spot_verdict: Option<String>,
    pub spot_note: Option<String>,
    pub spot_checked_by_name: Option<String>,
}

impl RecoveryRow {
    pub fn status(&self) -> RecoveryStatus {
        let resolution = self
            .outcome
            .as_deref()
            .and_then(|o| ResolutionKind::parse(o).ok());
        ledger::status(
            self.excess_minor,
            resolution,
            self.reversal_reason.is_some(),
        )
    }

    /// What this recovery currently draws from budgets (0 once reversed).
    pub fn posted_minor(&self) -> i64 {
        if self.reversal_reason.is_some() {
            0
        } else {
            self.covered_minor + self.approved_minor.unwrap_or(0)
        }
    }
}

pub(crate) const RECOVERY_SELECT: &str = "SELECT r.id, r.person_id, p.display_name AS person_name, r.location_id, r.team_id,
        r.budget_date, r.occurred_at, r.touchpoint, r.channel, rp.customer_ref, r.category, r.severity,
        COALESCE(rp.description, '') AS description, r.remedy, r.amount_minor, r.currency, r.reaction,
        r.cause, rp.cause_note, rp.follow_up_note, rp.redacted_at,
        r.follow_up_due_at, r.covered_minor, r.excess_minor,
        d.outcome, d.approved_minor, d.reason AS decision_reason, dp.display_name AS decided_by_name,
        v.reason AS reversal_reason, vp.display_name AS reversed_by_name,
        s.verdict AS spot_verdict, s.note AS spot_note, sp.display_name AS spot_checked_by_name
    FROM recoveries r
    JOIN people p ON p.id = r.person_id
    LEFT JOIN recovery_personal rp ON rp.recovery_id = r.id
    LEFT JOIN approval_decisions d ON d.recovery_id = r.id
    LEFT JOIN people dp ON dp.id = d.decided_by
    LEFT JOIN reversals v ON v.recovery_id = r.id
    LEFT JOIN people vp ON vp.id = v.reversed_by
    LEFT JOIN spot_checks s ON s.recovery_id = r.id
    LEFT JOIN people sp ON sp.id = s.checked_by";

/// The status of a recovery row in SQL, the same rule as [`ledger::status`].
const STATUS_SQL: &str =
    "CASE WHEN v.id IS NOT NULL THEN 'reversed' WHEN r.excess_minor <= 0 THEN 'posted'
        WHEN d.id IS NULL THEN 'pending' ELSE d.outcome END";

/// Spend of one group (a team or a location) over a date range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct SpendRow {
    pub group_id: i64,
    pub group_name: String,
    pub recoveries: i64,
    /// Posted spend net of reversals: covered parts plus approved excess.
    pub posted_minor: i64,
    pub pending: i64,
}

/// Filters for reviewing recoveries; `None` means any.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct RecoveryFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub location_id: Option<i64>,
    /// Only these locations (a supervisor's scope); `None` = the whole organisation.
    pub within_locations: Option<Vec<i64>>,
    pub team_id: Option<i64>,
    pub person_id: Option<i64>,
    pub category: Option<String>,
    pub touchpoint: Option<String>,
    pub remedy: Option<String>,
    pub status: Option<RecoveryStatus>,
    /// Inclusive bounds on the recovery's full amount, in minor units.
    pub min_amount: Option<i64>,
    pub max_amount: Option<i64>,
    /// Only recoveries naming this customer (a `domain::privacy::customer_key`).
    pub customer_key: Option<String>,
    pub sort: ReviewSort,
    pub limit: Option<i64>,
}

/// The order of a review list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReviewSort {
    #[default]
    Newest,
    Oldest,
    LargestAmount,
    SmallestAmount,
}

impl ReviewSort {
    pub const ALL: [ReviewSort; 4] = [
        ReviewSort::Newest,
        ReviewSort::Oldest,
        ReviewSort::LargestAmount,
        ReviewSort::SmallestAmount,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReviewSort::Newest => "newest",
            ReviewSort::Oldest => "oldest",
            ReviewSort::LargestAmount => "largest",
            ReviewSort::SmallestAmount => "smallest",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            ReviewSort::Newest => "Newest first",
            ReviewSort::Oldest => "Oldest first",
            ReviewSort::LargestAmount => "Largest amount first",
            ReviewSort::SmallestAmount => "Smallest amount first",
        }
    }

    pub fn parse(text: &str) -> Option<ReviewSort> {
        ReviewSort::ALL.into_iter().find(|s| s.as_str() == text)
    }

    fn order_by(self) -> &'static str {
        match self {
            ReviewSort::Newest => "r.occurred_at DESC, r.id DESC",
            ReviewSort::Oldest => "r.occurred_at, r.id",
            ReviewSort::LargestAmount => "r.amount_minor DESC, r.id DESC",
            ReviewSort::SmallestAmount => "r.amount_minor, r.id",
        }
    }
}

/// `AND r.location_id IN (…)` for a scope of location ids (integers, so safe to inline);
/// an empty scope matches nothing.
pub(crate) fn location_scope_sql(column: &str, scope: Option<&[i64]>) -> String {
    match scope {
        None => String::new(),
        Some([]) => " AND 1 = 0".to_string(),
        Some(ids) => {
            let list: Vec<String> = ids.iter().map(i64::to_string).collect();
            format!(" AND {column} IN ({})", list.join(", "))
        }
    }
}

/// Posted amount of a recovery row in SQL, net of reversal.
pub(crate) const POSTED_SQL: &str =
    "CASE WHEN v.id IS NULL THEN r.covered_minor + COALESCE(d.approved_minor, 0) ELSE 0 END";

impl Store {
    /// A person's budget on a local date (today when `date` is None), from stored totals and
    /// the current policies.
    pub async fn budget_view(
        &self,
        organisation_id: i64,
        person_id: i64,
        date: Option<NaiveDate>,
        now: DateTime<Utc>,
    ) -> Result<BudgetView, StoreError> {
        let when = date.map_or(BudgetWhen::At(now), BudgetWhen::On);
        let (context, date) = self
            .budget_context(organisation_id, person_id, when)
            .await?;
        let stored = self
            .budget_day(person_id, date)
            .await?
            .unwrap_or(BudgetDay {
                allowance: context.allowance.daily,
                ..BudgetDay::default()
            });
        // The next write re-evaluates the allowance; show what it would see.
        let day = ledger::refresh_allowance(stored, context.allowance.daily);
        Ok(BudgetView {
            person_id,
            date,
            currency: context.currency,
            allowance_minor: day.allowance,
            per_recovery_cap_minor: context.allowance.per_recovery_cap,
            spent_minor: day.spent,
            approved_excess_minor: day.approved_excess,
            pending_excess_minor: day.pending_excess,
            remaining_minor: day.remaining(),
        })
    }

    /// Recoveries matching a filter, newest first (at most 500).
    pub async fn recoveries(
        &self,
        organisation_id: i64,
        filter: &RecoveryFilter,
    ) -> Result<Vec<RecoveryRow>, StoreError> {
        let limit = filter.limit.unwrap_or(200).clamp(1, 500);
        let scope = location_scope_sql("r.location_id", filter.within_locations.as_deref());
        let order = filter.sort.order_by();
        let sql = format!(
            "{RECOVERY_SELECT}
             WHERE r.organisation_id = $1
               AND ($2 IS NULL OR r.budget_date >= $2)
               AND ($3 IS NULL OR r.budget_date <= $3)
               AND ($4 IS NULL OR r.location_id = $4)
               AND ($5 IS NULL OR r.team_id = $5)
               AND ($6 IS NULL OR r.person_id = $6)
               AND ($7 IS NULL OR r.category = $7)
               AND ($8 IS NULL OR r.touchpoint = $8)
               AND ($10 IS NULL OR r.remedy = $10)
               AND ($11 IS NULL OR {STATUS_SQL} = $11)
               AND ($12 IS NULL OR r.amount_minor >= $12)
               AND ($13 IS NULL OR r.amount_minor <= $13)
               AND ($14 IS NULL OR rp.customer_key = $14){scope}
             ORDER BY {order}
             LIMIT $9"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql)
                .bind(organisation_id)
                .bind(filter.from)
                .bind(filter.to)
                .bind(filter.location_id)
                .bind(filter.team_id)
                .bind(filter.person_id)
                .bind(filter.category.as_deref())
                .bind(filter.touchpoint.as_deref())
                .bind(limit)
                .bind(filter.remedy.as_deref())
                .bind(filter.status.map(|s| s.as_str()))
                .bind(filter.min_amount)
                .bind(filter.max_amount)
                .bind(filter.customer_key.as_deref())
                .fetch_all(pool)
                .await?
        }))
    }

    /// A person's own log between two local dates, newest first.
    pub async fn person_log(
        &self,
        organisation_id: i64,
        person_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RecoveryRow>, StoreError> {
        self.recoveries(
            organisation_id,
            &RecoveryFilter {
                from: Some(from),
                to: Some(to),
                person_id: Some(person_id),
                limit: Some(500),
                ..Default::default()
            },
        )
        .await
    }

    pub async fn recovery(
        &self,
        organisation_id: i64,
        recovery_id: i64,
    ) -> Result<RecoveryRow, StoreError> {
        self.recovery_in_scope(organisation_id, recovery_id, None)
            .await
    }

    /// One recovery of the organisation, only if it is at a location of `scope` (`None`: any
    /// location). The scope is part of the query: out of scope reads as not found.
    pub async fn recovery_in_scope(
        &self,
        organisation_id: i64,
        recovery_id: i64,
        scope: Option<&[i64]>,
    ) -> Result<RecoveryRow, StoreError> {
        let sql = format!(
            "{RECOVERY_SELECT} WHERE r.organisation_id = $1 AND r.id = $2{}",
            location_scope_sql("r.location_id", scope)
        );
        dispatch!(self, pool => {
            sqlx::query_as(&sql)
                .bind(organisation_id)
                .bind(recovery_id)
                .fetch_optional(pool)
                .await?
                .ok_or(StoreError::NotFound("recovery"))
        })
    }

    /// Requests waiting for a supervisor at the locations of `scope` (`None`: every
    /// location), oldest first. The scope is a condition of the query.
    pub async fn pending_in_scope(
        &self,
        organisation_id: i64,
        scope: Option<&[i64]>,
    ) -> Result<Vec<RecoveryRow>, StoreError> {
        let sql = format!(
            "{RECOVERY_SELECT}
             WHERE r.organisation_id = $1 AND r.excess_minor > 0 AND d.id IS NULL{}
             ORDER BY r.recorded_at, r.id",
            location_scope_sql("r.location_id", scope)
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).fetch_all(pool).await?
        }))
    }

    /// Requests waiting for a supervisor, oldest first; `location_id` None = the whole organisation.
    pub async fn pending_queue(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
    ) -> Result<Vec<RecoveryRow>, StoreError> {
        let one = location_id.map(|id| [id]);
        self.pending_in_scope(organisation_id, one.as_ref().map(|ids| &ids[..]))
            .await
    }

    /// Spend per team between two local dates (inclusive), optionally for one location.
    pub async fn spend_by_team(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SpendRow>, StoreError> {
        let sql = format!(
            "SELECT t.id AS group_id, t.name AS group_name, COUNT(r.id) AS recoveries,
                    CAST(COALESCE(SUM({POSTED_SQL}), 0) AS BIGINT) AS posted_minor,
                    CAST(COALESCE(SUM(CASE WHEN r.excess_minor > 0 AND d.id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending
             FROM teams t
             LEFT JOIN recoveries r ON r.team_id = t.id AND r.budget_date >= $3 AND r.budget_date <= $4
             LEFT JOIN approval_decisions d ON d.recovery_id = r.id
             LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE t.organisation_id = $1 AND ($2 IS NULL OR t.location_id = $2)
             GROUP BY t.id, t.name
             ORDER BY t.name, t.id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(location_id).bind(from).bind(to).fetch_all(pool).await?
        }))
    }

    /// Spend per location between two local dates (inclusive).
    pub async fn spend_by_location(
        &self,
        organisation_id: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<SpendRow>, StoreError> {
        let sql = format!(
            "SELECT l.id AS group_id, l.name AS group_name, COUNT(r.id) AS recoveries,
                    CAST(COALESCE(SUM({POSTED_SQL}), 0) AS BIGINT) AS posted_minor,
                    CAST(COALESCE(SUM(CASE WHEN r.excess_minor > 0 AND d.id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending
             FROM locations l
             LEFT JOIN recoveries r ON r.location_id = l.id AND r.budget_date >= $2 AND r.budget_date <= $3
             LEFT JOIN approval_decisions d ON d.recovery_id = r.id
             LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE l.organisation_id = $1
             GROUP BY l.id, l.name
             ORDER BY l.name, l.id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).fetch_all(pool).await?
        }))
    }
}

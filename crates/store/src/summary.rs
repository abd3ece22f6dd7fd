//! The monthly summary's queries and its publication. Every query reads one month (or one
//! comparison month) of one organisation through the date indexes, so the summary's cost
//! follows the size of a month, not of the whole history. Published summaries are frozen:
//! the table is append-only.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use domain::money::Currency;

use super::{
    dispatch,
    queries::{RecoveryRow, POSTED_SQL, RECOVERY_SELECT},
    Store, StoreError,
};

/// Recoveries of one cause at one location in one currency over a date range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CauseTotal {
    pub location_id: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub category: String,
    pub touchpoint: String,
    /// Not reversed.
    pub recoveries: i64,
    pub reversed: i64,
    /// Waiting for a supervisor.
    pub pending: i64,
    /// Not reversed and put right without money.
    pub non_monetary: i64,
    /// Posted spend net of reversals: covered parts plus approved excess.
    pub posted_minor: i64,
}

/// Recoveries (not reversed) by channel and customer reaction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OutcomeTotal {
    pub channel: String,
    pub reaction: String,
    pub recoveries: i64,
}

/// Recoveries (not reversed) and posted spend per currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct CurrencyTotal {
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub recoveries: i64,
    pub posted_minor: i64,
}

/// One person's recoveries by reaction, for the recognition rule.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PersonReactions {
    pub person_id: i64,
    pub person_name: String,
    pub location_id: i64,
    pub recoveries: i64,
    pub delighted: i64,
    pub satisfied: i64,
    pub with_cause: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct FollowUpRow {
    pub recorded_at: DateTime<Utc>,
    pub due_at: DateTime<Utc>,
    pub completed_at: Option<DateTime<Utc>>,
}

/// A ledger entry made after a summary was published that changes its month.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct LateEntry {
    /// "reversed", "approved", "partly-approved", "denied" or "logged".
    pub kind: String,
    pub recovery_id: i64,
    pub person_name: String,
    pub budget_date: NaiveDate,
    pub amount_minor: i64,
    #[sqlx(try_from = "String")]
    pub currency: Currency,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// A published summary: the frozen snapshot (JSON of `domain::summary::Summary`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct PublishedRow {
    pub id: i64,
    pub location_id: Option<i64>,
    pub month: String,
    pub commentary: String,
    pub snapshot: String,
    pub published_by_name: String,
    pub published_at: DateTime<Utc>,
}

/// "organisation" or "location:<id>": the key a summary's draft and publication are under.
pub fn scope_key(location_id: Option<i64>) -> String {
    location_id.map_or_else(|| "organisation".to_string(), |id| format!("location:{id}"))
}

/// The scope condition on `r` for parameter `$4`: written out per scope so that the planner
/// can use the location's index (a generic `$4 IS NULL OR …` plan cannot).
fn within(location_id: Option<i64>) -> &'static str {
    if location_id.is_some() {
        "r.location_id = $4"
    } else {
        "CAST($4 AS BIGINT) IS NULL"
    }
}

/// Recoveries in the month, not reversed, put right with no money at all.
const NOT_REVERSED: &str = "CASE WHEN v.id IS NULL THEN 1 ELSE 0 END";

impl Store {
    /// Recoveries, reversals, pending requests and posted spend per cause, location and
    /// currency between two local dates; `location_id` None = the whole organisation.
    pub async fn cause_totals(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CauseTotal>, StoreError> {
        let w = within(location_id);
        let sql = format!(
            "SELECT r.location_id, r.currency, r.category, r.touchpoint,
                    CAST(SUM({NOT_REVERSED}) AS BIGINT) AS recoveries,
                    CAST(SUM(CASE WHEN v.id IS NULL THEN 0 ELSE 1 END) AS BIGINT) AS reversed,
                    CAST(SUM(CASE WHEN v.id IS NULL AND r.excess_minor > 0 AND d.id IS NULL THEN 1 ELSE 0 END) AS BIGINT) AS pending,
                    CAST(SUM(CASE WHEN v.id IS NULL AND r.amount_minor = 0 THEN 1 ELSE 0 END) AS BIGINT) AS non_monetary,
                    CAST(SUM({POSTED_SQL}) AS BIGINT) AS posted_minor
             FROM recoveries r
             LEFT JOIN approval_decisions d ON d.recovery_id = r.id
             LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3
               AND {w}
             GROUP BY r.location_id, r.currency, r.category, r.touchpoint"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).bind(location_id).fetch_all(pool).await?
        }))
    }

    /// Recoveries (not reversed) by channel and reaction between two local dates.
    pub async fn outcome_totals(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<OutcomeTotal>, StoreError> {
        let w = within(location_id);
        let sql = format!(
            "SELECT r.channel, r.reaction, COUNT(*) AS recoveries
             FROM recoveries r
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3
               AND {w} AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)
             GROUP BY r.channel, r.reaction"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).bind(location_id).fetch_all(pool).await?
        }))
    }

    /// Recoveries (not reversed) and posted spend per currency between two local dates: the
    /// comparison months' figures.
    pub async fn currency_totals(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CurrencyTotal>, StoreError> {
        let w = within(location_id);
        let sql = format!(
            "SELECT r.currency, CAST(SUM({NOT_REVERSED}) AS BIGINT) AS recoveries,
                    CAST(SUM({POSTED_SQL}) AS BIGINT) AS posted_minor
             FROM recoveries r
             LEFT JOIN approval_decisions d ON d.recovery_id = r.id
             LEFT JOIN reversals v ON v.recovery_id = r.id
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3
               AND {w}
             GROUP BY r.currency
             ORDER BY r.currency"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).bind(location_id).fetch_all(pool).await?
        }))
    }

    /// Per person: recoveries (not reversed), delighted and satisfied customers, and causes
    /// named, between two local dates.
    pub async fn person_reactions(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<PersonReactions>, StoreError> {
        let w = within(location_id);
        let sql = format!(
            "SELECT r.person_id, p.display_name AS person_name, p.location_id,
                    COUNT(*) AS recoveries,
                    CAST(SUM(CASE WHEN r.reaction = 'delighted' THEN 1 ELSE 0 END) AS BIGINT) AS delighted,
                    CAST(SUM(CASE WHEN r.reaction = 'satisfied' THEN 1 ELSE 0 END) AS BIGINT) AS satisfied,
                    CAST(SUM(CASE WHEN r.cause IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS with_cause
             FROM recoveries r
             JOIN people p ON p.id = r.person_id
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3
               AND {w} AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)
             GROUP BY r.person_id, p.display_name, p.location_id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).bind(location_id).fetch_all(pool).await?
        }))
    }

    /// The follow-ups promised by recoveries (not reversed) between two local dates.
    pub async fn follow_up_rows(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<FollowUpRow>, StoreError> {
        let w = within(location_id);
        let sql = format!(
            "SELECT r.recorded_at, r.follow_up_due_at AS due_at, c.completed_at
             FROM recoveries r
             LEFT JOIN follow_up_completions c ON c.recovery_id = r.id
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3
               AND {w}
               AND r.follow_up_due_at IS NOT NULL AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).bind(location_id).fetch_all(pool).await?
        }))
    }

    /// The stories worth retelling: recoveries (not reversed) with the best customer
    /// reaction first, then the most severe failure, then the earliest.
    pub async fn notable_recoveries(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
        limit: i64,
    ) -> Result<Vec<RecoveryRow>, StoreError> {
        // First the few ids (a plain scan of the month, which plans well), then their rows:
        // the display joins on the whole month misled the planner into nested loops.
        let order = "CASE r.reaction WHEN 'delighted' THEN 0 ELSE 1 END,
                     CASE r.severity WHEN 'critical' THEN 0 WHEN 'high' THEN 1 WHEN 'medium' THEN 2 ELSE 3 END,
                     r.occurred_at, r.id";
        let w = within(location_id);
        let sql = format!(
            "SELECT r.id FROM recoveries r
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3
               AND {w} AND NOT EXISTS (SELECT 1 FROM reversals v WHERE v.recovery_id = r.id)
               AND r.reaction IN ('delighted', 'satisfied')
             ORDER BY {order}
             LIMIT $5"
        );
        let ids: Vec<i64> = dispatch!(self, pool => {
            sqlx::query_scalar(&sql).bind(organisation_id).bind(from).bind(to).bind(location_id).bind(limit).fetch_all(pool).await?
        });
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list: Vec<String> = ids.iter().map(i64::to_string).collect();
        let sql = format!(
            "{RECOVERY_SELECT}
             WHERE r.organisation_id = $1 AND r.id IN ({})
             ORDER BY {order}",
            list.join(", ")
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).fetch_all(pool).await?
        }))
    }

    /// Every recovery between two local dates, by date, for export.
    pub async fn month_recoveries(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<RecoveryRow>, StoreError> {
        let w = within(location_id);
        let sql = format!(
            "{RECOVERY_SELECT}
             WHERE r.organisation_id = $1 AND r.budget_date >= $2 AND r.budget_date <= $3
               AND {w}
             ORDER BY r.budget_date, r.id"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).bind(location_id).fetch_all(pool).await?
        }))
    }

    /// Ledger entries made after `since` that change recoveries between two local dates:
    /// reversals, decisions, and recoveries logged late for the month.
    pub async fn late_entries(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        from: NaiveDate,
        to: NaiveDate,
        since: DateTime<Utc>,
    ) -> Result<Vec<LateEntry>, StoreError> {
        let w = within(location_id);
        let sql = format!(
            "SELECT 'reversed' AS kind, r.id AS recovery_id, p.display_name AS person_name, r.budget_date,
                    v.reversed_covered_minor + v.reversed_approved_minor AS amount_minor, r.currency,
                    v.reason AS reason, v.reversed_at AS at
             FROM reversals v JOIN recoveries r ON r.id = v.recovery_id JOIN people p ON p.id = r.person_id
             WHERE v.organisation_id = $1 AND v.reversed_at > $5
               AND r.budget_date >= $2 AND r.budget_date <= $3 AND {w}
             UNION ALL
             SELECT d.outcome, r.id, p.display_name, r.budget_date, d.approved_minor, r.currency, d.reason, d.decided_at
             FROM approval_decisions d JOIN recoveries r ON r.id = d.recovery_id JOIN people p ON p.id = r.person_id
             WHERE d.organisation_id = $1 AND d.decided_at > $5
               AND r.budget_date >= $2 AND r.budget_date <= $3 AND {w}
             UNION ALL
             SELECT 'logged', r.id, p.display_name, r.budget_date, r.amount_minor, r.currency, NULL, r.recorded_at
             FROM recoveries r JOIN people p ON p.id = r.person_id
             WHERE r.organisation_id = $1 AND r.recorded_at > $5
               AND r.budget_date >= $2 AND r.budget_date <= $3 AND {w}
             ORDER BY 8, 2"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql).bind(organisation_id).bind(from).bind(to).bind(location_id).bind(since).fetch_all(pool).await?
        }))
    }

    /// The draft commentary of a month, if leadership has written one.
    pub async fn summary_draft(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        month: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_scalar(
                "SELECT commentary FROM summary_drafts WHERE organisation_id = $1 AND scope_key = $2 AND month = $3",
            )
            .bind(organisation_id)
            .bind(scope_key(location_id))
            .bind(month)
            .fetch_optional(pool)
            .await?
        }))
    }

    pub async fn save_summary_draft(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        month: &str,
        commentary: &str,
        by: i64,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        dispatch!(self, pool => {
            sqlx::query(
                "INSERT INTO summary_drafts (organisation_id, scope_key, month, commentary, updated_by, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (organisation_id, scope_key, month)
                 DO UPDATE SET commentary = excluded.commentary, updated_by = excluded.updated_by,
                               updated_at = excluded.updated_at",
            )
            .bind(organisation_id)
            .bind(scope_key(location_id))
            .bind(month)
            .bind(commentary)
            .bind(by)
            .bind(now)
            .execute(pool)
            .await?;
        });
        Ok(())
    }

    /// Freezes a month: once, per organisation, scope and month.
    #[allow(clippy::too_many_arguments)]
    pub async fn publish_summary(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        month: &str,
        commentary: &str,
        snapshot: &str,
        by: i64,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let inserted: Result<i64, sqlx::Error> = dispatch!(self, pool => {
            sqlx::query_scalar(
                "INSERT INTO published_summaries (organisation_id, location_id, scope_key, month, commentary,
                     snapshot, published_by, published_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(organisation_id)
            .bind(location_id)
            .bind(scope_key(location_id))
            .bind(month)
            .bind(commentary)
            .bind(snapshot)
            .bind(by)
            .bind(now)
            .fetch_one(pool)
            .await
        });
        inserted
            .map_err(|e| StoreError::duplicate_or(e, || format!("{month} is already published")))
    }

    pub async fn published_summary(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
        month: &str,
    ) -> Result<Option<PublishedRow>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT s.id, s.location_id, s.month, s.commentary, s.snapshot,
                        p.display_name AS published_by_name, s.published_at
                 FROM published_summaries s JOIN people p ON p.id = s.published_by
                 WHERE s.organisation_id = $1 AND s.scope_key = $2 AND s.month = $3",
            )
            .bind(organisation_id)
            .bind(scope_key(location_id))
            .bind(month)
            .fetch_optional(pool)
            .await?
        }))
    }

    /// The months published for a scope, newest first.
    pub async fn published_months(
        &self,
        organisation_id: i64,
        location_id: Option<i64>,
    ) -> Result<Vec<String>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_scalar(
                "SELECT month FROM published_summaries WHERE organisation_id = $1 AND scope_key = $2
                 ORDER BY month DESC",
            )
            .bind(organisation_id)
            .bind(scope_key(location_id))
            .fetch_all(pool)
            .await?
        }))
    }
}

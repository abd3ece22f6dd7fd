//! Customers' personal data apart from the ledger: a recovery's customer reference and free
//! text live in `recovery_personal` (migration 0014), which retention and a data subject's
//! erasure redact. Redacting empties the fields and marks the row; amounts, dates, people and
//! statuses are in the ledger's own rows and never change. See docs/PRIVACY.md.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{dispatch, queries::location_scope_sql, Store, StoreError, WritePool};

/// Why personal fields were emptied.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RedactionKind {
    /// Past the organisation's retention period.
    Retention,
    /// A data subject's request, by an admin.
    Request,
}

impl RedactionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            RedactionKind::Retention => "retention",
            RedactionKind::Request => "request",
        }
    }
}

/// Which recoveries' personal fields a data subject's erasure empties.
#[derive(Clone, Debug)]
pub struct SubjectErasure<'a> {
    pub organisation_id: i64,
    pub requested_by: i64,
    /// The customer reference as references are compared (`domain::privacy::customer_key`).
    pub customer_key: &'a str,
    /// Days the recoveries were logged for (inclusive); `None`: unbounded.
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// Only recoveries at these locations (the admin's scope); `None`: every location.
    pub within_locations: Option<&'a [i64]>,
    pub reason: &'a str,
}

/// One entry of the redaction log: never what was erased.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct RedactionRow {
    pub id: i64,
    pub kind: String,
    pub requested_by_name: Option<String>,
    pub reason: String,
    pub from_date: Option<NaiveDate>,
    pub to_date: Option<NaiveDate>,
    pub recoveries: i64,
    pub redacted_at: DateTime<Utc>,
}

/// What redaction sets: every personal field empty, the row marked.
const EMPTIED: &str = "customer_ref = NULL, customer_key = NULL, description = NULL,
    cause_note = NULL, follow_up_note = NULL, redacted_at = $1, redaction = $2";

impl Store {
    /// Fills `customer_key` for rows whose reference was copied by migration 0014 (SQL cannot
    /// normalise a reference the same way in both databases). Runs after every migration; a
    /// no-op once done.
    pub(crate) async fn fill_customer_keys(&self) -> Result<(), StoreError> {
        let rows: Vec<(i64, String)> = dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT recovery_id, customer_ref FROM recovery_personal
                 WHERE customer_key IS NULL AND customer_ref IS NOT NULL AND redacted_at IS NULL",
            )
            .fetch_all(pool)
            .await?
        });
        for (id, reference) in rows {
            let Some(key) = domain::privacy::customer_key(&reference) else {
                continue;
            };
            dispatch!(self, pool => {
                sqlx::query("UPDATE recovery_personal SET customer_key = $1 WHERE recovery_id = $2")
                    .bind(&key)
                    .bind(id)
                    .execute(pool)
                    .await?;
            });
        }
        Ok(())
    }

    /// Empties the personal fields of the recoveries naming one customer (within the dates
    /// and locations given) and logs the erasure — who, when, why, how many — in the same
    /// transaction. Answers how many recoveries it emptied; already-redacted ones are not
    /// counted again. The erasure is logged even when it finds nothing.
    pub async fn erase_subject(
        &self,
        erasure: &SubjectErasure<'_>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let scope = location_scope_sql("location_id", erasure.within_locations);
        let sql = format!(
            "UPDATE recovery_personal SET {EMPTIED}
             WHERE organisation_id = $3 AND customer_key = $4 AND redacted_at IS NULL
               AND recovery_id IN (SELECT r.id FROM recoveries r WHERE r.organisation_id = $3
                   AND ($5 IS NULL OR r.budget_date >= $5) AND ($6 IS NULL OR r.budget_date <= $6)){scope}"
        );
        dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let emptied = sqlx::query(&sql)
                .bind(now)
                .bind(RedactionKind::Request.as_str())
                .bind(erasure.organisation_id)
                .bind(erasure.customer_key)
                .bind(erasure.from)
                .bind(erasure.to)
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64;
            sqlx::query(
                "INSERT INTO redactions (organisation_id, kind, requested_by, reason, from_date, to_date,
                     recoveries, redacted_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(erasure.organisation_id)
            .bind(RedactionKind::Request.as_str())
            .bind(erasure.requested_by)
            .bind(erasure.reason)
            .bind(erasure.from)
            .bind(erasure.to)
            .bind(emptied)
            .bind(now)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(emptied)
        })
    }

    /// Empties the personal fields of an organisation's recoveries recorded before `cutoff`,
    /// and logs the run when it emptied anything. Safe to run on several app servers at once:
    /// a row is emptied by whichever run reaches it first (`redacted_at IS NULL` is checked
    /// again under the row's lock), and each run logs only what it emptied itself.
    pub async fn apply_retention(
        &self,
        organisation_id: i64,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "UPDATE recovery_personal SET {EMPTIED}
             WHERE organisation_id = $3 AND recorded_at < $4 AND redacted_at IS NULL"
        );
        dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let emptied = sqlx::query(&sql)
                .bind(now)
                .bind(RedactionKind::Retention.as_str())
                .bind(organisation_id)
                .bind(cutoff)
                .execute(&mut *tx)
                .await?
                .rows_affected() as i64;
            if emptied > 0 {
                sqlx::query(
                    "INSERT INTO redactions (organisation_id, kind, requested_by, reason, recoveries, redacted_at)
                     VALUES ($1, $2, NULL, $3, $4, $5)",
                )
                .bind(organisation_id)
                .bind(RedactionKind::Retention.as_str())
                .bind(format!("Recorded before {}: past the retention period.", cutoff.format("%Y-%m-%d %H:%M UTC")))
                .bind(emptied)
                .bind(now)
                .execute(&mut *tx)
                .await?;
            }
            tx.commit().await?;
            Ok(emptied)
        })
    }

    /// Every organisation with its retention period in days.
    pub async fn retention_periods(&self) -> Result<Vec<(i64, i64)>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as("SELECT id, personal_retention_days FROM organisations ORDER BY id")
                .fetch_all(pool)
                .await?
        }))
    }

    /// One organisation's retention period in days.
    pub async fn retention_days(&self, organisation_id: i64) -> Result<i64, StoreError> {
        let days: Option<i64> = dispatch!(self, pool => {
            sqlx::query_scalar("SELECT personal_retention_days FROM organisations WHERE id = $1")
                .bind(organisation_id)
                .fetch_optional(pool)
                .await?
        });
        days.ok_or(StoreError::NotFound("organisation"))
    }

    /// Sets an organisation's retention period (checked by `domain::privacy::retention_days`).
    pub async fn set_retention_days(
        &self,
        organisation_id: i64,
        days: i64,
    ) -> Result<(), StoreError> {
        let updated = dispatch!(self, pool => {
            sqlx::query("UPDATE organisations SET personal_retention_days = $1 WHERE id = $2")
                .bind(days)
                .bind(organisation_id)
                .execute(pool)
                .await?
                .rows_affected()
        });
        if updated == 1 {
            Ok(())
        } else {
            Err(StoreError::NotFound("organisation"))
        }
    }

    /// The organisation's redaction log, newest first (at most 200).
    pub async fn redactions(&self, organisation_id: i64) -> Result<Vec<RedactionRow>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT x.id, x.kind, p.display_name AS requested_by_name, x.reason, x.from_date, x.to_date,
                        x.recoveries, x.redacted_at
                 FROM redactions x LEFT JOIN people p ON p.id = x.requested_by
                 WHERE x.organisation_id = $1
                 ORDER BY x.redacted_at DESC, x.id DESC
                 LIMIT 200",
            )
            .bind(organisation_id)
            .fetch_all(pool)
            .await?
        }))
    }
}

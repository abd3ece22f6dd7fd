//! Follow-ups: recoveries that promised the customer something more by a time, and their
//! completion (append-only, once per recovery).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{classify, dispatch, Failure, Store, StoreError, WritePool};

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, sqlx::FromRow)]
pub struct OpenFollowUp {
    pub recovery_id: i64,
    pub category: String,
    pub description: String,
    pub customer_ref: Option<String>,
    pub due_at: DateTime<Utc>,
}

impl Store {
    /// A person's follow-ups not yet done (and whose recovery was not reversed), soonest first.
    pub async fn open_follow_ups(
        &self,
        organisation_id: i64,
        person_id: i64,
    ) -> Result<Vec<OpenFollowUp>, StoreError> {
        Ok(dispatch!(self, pool => {
            sqlx::query_as(
                "SELECT r.id AS recovery_id, r.category, COALESCE(rp.description, '') AS description, rp.customer_ref,
                        r.follow_up_due_at AS due_at
                 FROM recoveries r
                 LEFT JOIN recovery_personal rp ON rp.recovery_id = r.id
                 LEFT JOIN follow_up_completions c ON c.recovery_id = r.id
                 LEFT JOIN reversals v ON v.recovery_id = r.id
                 WHERE r.organisation_id = $1 AND r.person_id = $2 AND r.follow_up_due_at IS NOT NULL
                   AND c.id IS NULL AND v.id IS NULL
                 ORDER BY r.follow_up_due_at, r.id
                 LIMIT 100",
            )
            .bind(organisation_id)
            .bind(person_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// Marks a follow-up done. Only the recovery's own person (checked by the caller) closes
    /// it; a second completion is a conflict.
    pub async fn complete_follow_up(
        &self,
        organisation_id: i64,
        recovery_id: i64,
        completed_by: i64,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        // The completion joins the ledger; its note is personal text and goes beside the
        // recovery's other personal fields (docs/PRIVACY.md). Both or neither.
        let inserted: Result<u64, sqlx::Error> = dispatch!(self, pool => {
            let mut tx = pool.begin_write().await?;
            let done = sqlx::query(
                "INSERT INTO follow_up_completions (organisation_id, recovery_id, completed_by, completed_at)
                 SELECT $1, r.id, $3, $4 FROM recoveries r
                 WHERE r.id = $2 AND r.organisation_id = $1 AND r.follow_up_due_at IS NOT NULL",
            )
            .bind(organisation_id)
            .bind(recovery_id)
            .bind(completed_by)
            .bind(now)
            .execute(&mut *tx)
            .await
            .map(|done| done.rows_affected());
            if let Ok(1) = done {
                sqlx::query(
                    "UPDATE recovery_personal SET follow_up_note = $1
                     WHERE recovery_id = $2 AND organisation_id = $3 AND redacted_at IS NULL",
                )
                .bind(note)
                .bind(recovery_id)
                .bind(organisation_id)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
            }
            done
        });
        match inserted {
            Ok(1) => Ok(()),
            Ok(_) => Err(StoreError::NotFound("follow-up")),
            Err(e) if classify(&e) == Failure::Unique => Err(StoreError::Duplicate(
                "this follow-up is already done".into(),
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// How often each category (or remedy) was used at a location since a date: the tablet
    /// orders its tiles by this, most used first.
    pub async fn usage(
        &self,
        organisation_id: i64,
        location_id: i64,
        since: chrono::NaiveDate,
        of: UsageOf,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let column = match of {
            UsageOf::Category => "category",
            UsageOf::Remedy => "remedy",
        };
        let sql = format!(
            "SELECT {column}, COUNT(*) FROM recoveries
             WHERE organisation_id = $1 AND location_id = $2 AND budget_date >= $3
             GROUP BY {column} ORDER BY COUNT(*) DESC, {column}"
        );
        Ok(dispatch!(self, pool => {
            sqlx::query_as(&sql)
                .bind(organisation_id)
                .bind(location_id)
                .bind(since)
                .fetch_all(pool)
                .await?
        }))
    }
}

/// What a usage count is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UsageOf {
    Category,
    Remedy,
}

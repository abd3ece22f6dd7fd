//! The approval queue: what waits for the actor's decision, in the locations they supervise
//! (the scope is a condition of the query), with what a supervisor needs beside each
//! request — the person's budget today and their last few recoveries.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    budget_day::{local_date, parse_time_zone},
    money::Currency,
    org::Role,
};
use store::{
    queries::{BudgetView, RecoveryFilter, RecoveryRow},
    Store, StoreError,
};

use crate::{Actor, ServiceError};

/// One request waiting for a decision.
#[derive(Clone, Debug)]
pub struct Waiting {
    pub row: RecoveryRow,
    pub currency: Currency,
    pub time_zone: chrono_tz::Tz,
    /// The local date at the request's location now.
    pub today: NaiveDate,
    /// The person's budget today.
    pub budget: BudgetView,
    /// The person's last few recoveries besides this one, newest first.
    pub recent: Vec<RecoveryRow>,
}

/// Requests waiting in the actor's supervision, oldest first.
#[tracing::instrument(name = "approvals::queue", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn queue(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<Waiting>, ServiceError> {
    let org = actor.organisation_id;
    let scope = actor.scope(Role::Supervisor)?;
    let rows = store.pending_in_scope(org, scope.as_deref()).await?;
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let locations = store.locations(org).await?;
    let invalid = |e: String| ServiceError::Store(StoreError::Invalid(e));
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let location = locations
            .iter()
            .find(|l| l.id == row.location_id)
            .ok_or(ServiceError::NotFound("location"))?;
        let time_zone = parse_time_zone(&location.time_zone).map_err(|e| invalid(e.to_string()))?;
        let currency = Currency::parse(&row.currency).map_err(|e| invalid(e.to_string()))?;
        let today = local_date(now, time_zone);
        let budget = store
            .budget_view(org, row.person_id, Some(today), now)
            .await?;
        let recent = store
            .recoveries(
                org,
                &RecoveryFilter {
                    person_id: Some(row.person_id),
                    limit: Some(6),
                    ..Default::default()
                },
            )
            .await?
            .into_iter()
            .filter(|r| r.id != row.id)
            .take(5)
            .collect();
        out.push(Waiting {
            row,
            currency,
            time_zone,
            today,
            budget,
            recent,
        });
    }
    Ok(out)
}

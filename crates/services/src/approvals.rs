//! The approval queue: what waits for the actor's decision, in the locations they supervise
//! (the scope is a condition of the query), with what a supervisor needs beside each
//! request — the person's budget today and their last few recoveries.

use chrono::{DateTime, NaiveDate, Utc};
use domain::{
    budget_day::local_date,
    ledger::ResolutionKind,
    money::{format_minor, format_with_code, Currency},
    org::Role,
};
use store::{
    queries::{BudgetView, RecoveryFilter, RecoveryRow},
    Store,
};
use views::approvals::PendingRequest;

use crate::{
    events::LedgerEvents,
    ledger::{resolve, Decision},
    Actor, ServiceError,
};

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
    /// The customer's other recent recoveries at this location (docs/PRIVACY.md), newest
    /// first; empty without a customer reference.
    pub customer_history: Vec<RecoveryRow>,
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
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let location = locations
            .iter()
            .find(|l| l.id == row.location_id)
            .ok_or(ServiceError::NotFound("location"))?;
        let time_zone = location.time_zone;
        let currency = row.currency;
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
        // The actor supervises this location (the queue's scope), so they may see its
        // customer history.
        let customer_history = match row
            .customer_ref
            .as_deref()
            .and_then(domain::privacy::customer_key)
        {
            Some(key) => {
                crate::privacy::history_at(store, org, row.location_id, &key, today, Some(row.id))
                    .await?
            }
            None => Vec::new(),
        };
        out.push(Waiting {
            customer_history,
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

/// Requests waiting in the actor's supervision, oldest first, as the queue page shows them:
/// each with its context, the person's budget today, their last few recoveries and a fresh
/// idempotency key for deciding on it. The role and scope are checked by [`queue`].
#[tracing::instrument(name = "approvals::pending_requests", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn pending_requests(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Vec<PendingRequest>, ServiceError> {
    let waiting = queue(store, actor, now).await?;
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let taxonomy = store.taxonomy(actor.organisation_id).await?;
    let label = |kind: &str, code: &str| {
        taxonomy
            .iter()
            .find(|t| t.kind == kind && t.code == code)
            .map_or_else(|| code.to_string(), |t| t.label.clone())
    };
    Ok(waiting
        .into_iter()
        .map(|w| {
            let (row, currency, zone) = (&w.row, w.currency, w.time_zone);
            let money = |minor| format_with_code(minor, currency);
            let recent = w
                .recent
                .iter()
                .map(|r| {
                    let own = r.currency;
                    format!(
                        "{} · {} · {} · {}",
                        r.budget_date.format("%a %d %b"),
                        label("category", &r.category),
                        format_with_code(r.amount_minor, own),
                        r.status().label()
                    )
                })
                .collect();
            PendingRequest {
                recovery_id: row.id,
                person: row.person_name.clone(),
                when: row
                    .occurred_at
                    .with_timezone(&zone)
                    .format("%a %d %b %H:%M")
                    .to_string(),
                what: match row.description.as_str() {
                    "" => label("category", &row.category),
                    text => format!("{} — {text}", label("category", &row.category)),
                },
                done: label("remedy", &row.remedy),
                amount: money(row.amount_minor),
                covered: money(row.covered_minor),
                excess: money(row.excess_minor),
                excess_plain: format_minor(row.excess_minor, currency),
                reaction: row.reaction.clone(),
                touchpoint: label("touchpoint", &row.touchpoint),
                customer_ref: row.customer_ref.clone(),
                cause: row.cause.as_deref().map(|c| label("cause", c)),
                budget_today: format!(
                    "{} left of {} today",
                    money(w.budget.remaining_minor),
                    money(w.budget.allowance_minor)
                ),
                from_previous_day: row.budget_date < w.today,
                recent,
                customer_history: w
                    .customer_history
                    .iter()
                    .map(|h| crate::privacy::history_entry(h, zone, |c| label("category", c)))
                    .collect(),
                decision_key: crate::auth::session::new_token()[..32].to_string(),
            }
        })
        .collect())
}

/// Decides on a request (see [`crate::ledger::resolve`], which checks the role and scope)
/// and says what was done, e.g. "Approved 12.00 EUR for Ana.".
#[tracing::instrument(name = "approvals::decide", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn decide(
    store: &Store,
    events: &LedgerEvents,
    actor: &Actor,
    now: DateTime<Utc>,
    decision: Decision<'_>,
) -> Result<String, ServiceError> {
    let (receipt, row, currency) = resolve(store, events, actor, decision, now).await?;
    let approved = format_with_code(receipt.approved_minor, currency);
    Ok(match receipt.outcome {
        ResolutionKind::Approved => format!("Approved {approved} for {}.", row.person_name),
        ResolutionKind::PartlyApproved => format!(
            "Approved {approved} of the request for {}.",
            row.person_name
        ),
        ResolutionKind::Denied => format!("Denied {}'s request.", row.person_name),
    })
}

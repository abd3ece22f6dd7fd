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
    queries::{BudgetView, RecoveryRow},
    Store,
};
use views::approvals::{PendingRequest, QueuePage};

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

/// How many requests one page of the queue shows: the oldest first, so the page is worked
/// from the top and the next ones move up as these are decided.
pub const PAGE: i64 = 50;

/// One page of the queue and how many wait in all.
#[derive(Clone, Debug)]
pub struct Queue {
    pub waiting: Vec<Waiting>,
    pub total: i64,
}

/// The oldest [`PAGE`] requests waiting in the actor's supervision, each with its context. A
/// fixed number of statements whatever the page holds (see `store::queue`): nothing is read
/// per request.
#[tracing::instrument(name = "approvals::queue", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn queue(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Queue, ServiceError> {
    let org = actor.organisation_id;
    let scope = actor.scope(Role::Supervisor)?;
    let (rows, total) = store.pending_page(org, scope.as_deref(), PAGE).await?;
    if rows.is_empty() {
        return Ok(Queue {
            waiting: Vec::new(),
            total,
        });
    }
    let locations = store.locations(org).await?;
    // Each request's location: its time zone and today's date there.
    let mut places = Vec::with_capacity(rows.len());
    for row in &rows {
        let location = locations
            .iter()
            .find(|l| l.id == row.location_id)
            .ok_or(ServiceError::NotFound("location"))?;
        places.push((location.time_zone, local_date(now, location.time_zone)));
    }
    let wanted: Vec<(i64, NaiveDate)> = rows
        .iter()
        .zip(&places)
        .map(|(row, (_, today))| (row.person_id, *today))
        .collect();
    let budgets = store.budget_views(org, &wanted).await?;
    let mut people: Vec<i64> = rows.iter().map(|r| r.person_id).collect();
    people.sort_unstable();
    people.dedup();
    let mut recent = store.recent_by_person(org, &people, 6).await?;
    // The actor supervises these locations (the queue's scope), so they may see their
    // customers' history.
    let customers: Vec<(i64, String)> = rows
        .iter()
        .filter_map(|r| {
            let key = r
                .customer_ref
                .as_deref()
                .and_then(domain::privacy::customer_key)?;
            Some((r.location_id, key))
        })
        .collect();
    let earliest = places
        .iter()
        .map(|(_, today)| *today)
        .min()
        .unwrap_or_default();
    let histories = store
        .customer_histories(
            org,
            &customers,
            earliest - chrono::Duration::days(domain::privacy::HISTORY_DAYS),
        )
        .await?;
    let mut waiting = Vec::with_capacity(rows.len());
    for (row, (time_zone, today)) in rows.into_iter().zip(places) {
        let budget = budgets
            .get(&(row.person_id, today))
            .cloned()
            .ok_or(ServiceError::NotFound("budget"))?;
        let recent = recent
            .get_mut(&row.person_id)
            .map(|rows| rows.clone())
            .unwrap_or_default()
            .into_iter()
            .filter(|r| r.id != row.id)
            .take(5)
            .collect();
        let key = row
            .customer_ref
            .as_deref()
            .and_then(domain::privacy::customer_key);
        let since = today - chrono::Duration::days(domain::privacy::HISTORY_DAYS);
        let customer_history = match key {
            Some(key) => histories
                .iter()
                .filter(|h| {
                    h.id != row.id
                        && h.location_id == row.location_id
                        && h.budget_date >= since
                        && h.customer_ref
                            .as_deref()
                            .and_then(domain::privacy::customer_key)
                            .as_deref()
                            == Some(key.as_str())
                })
                .take(domain::privacy::HISTORY_LIMIT as usize)
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        waiting.push(Waiting {
            currency: row.currency,
            customer_history,
            row,
            time_zone,
            today,
            budget,
            recent,
        });
    }
    Ok(Queue { waiting, total })
}

/// Requests waiting in the actor's supervision, oldest first, as the queue page shows them:
/// each with its context, the person's budget today, their last few recoveries and a fresh
/// idempotency key for deciding on it. The role and scope are checked by [`queue`].
#[tracing::instrument(name = "approvals::pending_requests", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn pending_requests(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<QueuePage, ServiceError> {
    let Queue { waiting, total } = queue(store, actor, now).await?;
    if waiting.is_empty() {
        return Ok(QueuePage {
            requests: Vec::new(),
            waiting: total,
        });
    }
    let taxonomy = store.taxonomy(actor.organisation_id).await?;
    let label = |kind: &str, code: &str| {
        taxonomy
            .iter()
            .find(|t| t.kind == kind && t.code == code)
            .map_or_else(|| code.to_string(), |t| t.label.clone())
    };
    let requests = waiting
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
        .collect();
    Ok(QueuePage {
        requests,
        waiting: total,
    })
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

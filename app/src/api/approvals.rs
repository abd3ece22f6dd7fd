//! The supervisor's approval queue: requests over budget in the supervisor's locations, each
//! with its full context and the person's budget today; approve all, approve part, or deny
//! with a reason. A request resolves once; a second supervisor is told who resolved it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    pub recovery_id: i64,
    pub person: String,
    pub when: String,
    pub what: String,
    pub done: String,
    pub amount: String,
    pub covered: String,
    pub excess: String,
    /// The excess as a plain number, for the "approve part" field.
    pub excess_plain: String,
    pub reaction: String,
    pub touchpoint: String,
    pub customer_ref: Option<String>,
    pub cause: Option<String>,
    pub budget_today: String,
    /// The request belongs to an earlier local day of the person: it stays pending until
    /// someone decides, and is flagged.
    pub from_previous_day: bool,
    /// The person's last few recoveries: "Tue 17 Nov · Noise · 10.00 · posted".
    pub recent: Vec<String>,
    /// A fresh idempotency key for deciding on this request from this page.
    pub decision_key: String,
}

/// Requests waiting for a decision in the caller's locations, oldest first.
#[server(endpoint = "approvals/queue")]
pub async fn approval_queue() -> Result<Vec<PendingRequest>, ApiError> {
    use crate::domain::money::{format_minor, format_with_code};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let store = &request.state.store;
    let waiting = crate::services::approvals::queue(store, &caller.actor, request.now).await?;
    if waiting.is_empty() {
        return Ok(Vec::new());
    }
    let taxonomy = store.taxonomy(caller.organisation_id).await?;
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
                    let own =
                        crate::domain::money::Currency::parse(&r.currency).unwrap_or(currency);
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
                decision_key: crate::auth::session::new_token()[..32].to_string(),
            }
        })
        .collect())
}

/// Decides on a request: `decision` is "approve" (all), "part" (with `amount`) or "deny"
/// (with a `reason`).
#[server(endpoint = "approvals/resolve")]
pub async fn resolve_request(
    recovery_id: i64,
    decision: String,
    amount: String,
    reason: String,
    idempotency_key: String,
) -> Result<String, ApiError> {
    use crate::domain::{ledger::ResolutionKind, money::format_with_code};
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let (receipt, row, currency) = crate::services::ledger::resolve(
        &request.state.store,
        &request.state.events,
        &caller.actor,
        crate::services::ledger::Decision {
            recovery_id,
            decision: &decision,
            amount: &amount,
            reason,
            idempotency_key: &idempotency_key,
        },
        request.now,
    )
    .await?;
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

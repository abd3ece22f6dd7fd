//! The supervisor's approval queue: requests over budget in the supervisor's locations, each
//! with its full context and the person's budget today; approve all, approve part, or deny
//! with a reason. A request resolves once; a second supervisor is told who resolved it. The
//! use cases are `services::approvals`.

use leptos::prelude::*;

use super::error::ApiError;

pub use views::approvals::{PendingRequest, QueuePage};

/// The oldest requests waiting for a decision in the caller's locations (a page of them) and
/// how many wait in all. `refresh`: the
/// page asks by itself (a poll or a live nudge), which does not keep a tablet turn alive.
#[server(endpoint = "approvals/queue")]
pub async fn approval_queue(#[server(default)] refresh: bool) -> Result<QueuePage, ApiError> {
    let (request, caller) = crate::api::caller::caller_for_approvals(refresh).await?;
    Ok(crate::services::approvals::pending_requests(
        &request.state.store,
        &caller.actor,
        request.now,
    )
    .await?)
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
    let (request, caller) = crate::api::caller::caller_for_approvals(false).await?;
    Ok(crate::services::approvals::decide(
        &request.state.store,
        &request.state.events,
        &caller.actor,
        request.now,
        crate::services::ledger::Decision {
            recovery_id,
            decision: &decision,
            amount: &amount,
            reason,
            idempotency_key: &idempotency_key,
        },
    )
    .await?)
}

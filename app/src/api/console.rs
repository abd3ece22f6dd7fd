//! The supervisor console beyond the approval queue: spend per person and team against
//! allowance over a day or a range, the review of recoveries with filters and reversal, the
//! daily sampled review, and the decisions a supervisor made (their own log). Every function
//! sees only the locations where the caller supervises. The use cases are
//! `services::console`; what they answer with is `views::console`.

use leptos::prelude::*;

pub use views::console::{
    ActionView, BudgetLine, BudgetsView, ReviewOptions, ReviewPage, ReviewQuery, ReviewRow,
    SampleItem, SampleView, SpendLine, SpendReport, MAX_RANGE_DAYS, REVIEW_LIMIT,
};

use super::error::ApiError;

/// Spend per person and per team against allowance over a day or a range (default today),
/// with pending requests and open and overdue follow-ups.
#[server(endpoint = "console/spend")]
pub async fn spend_overview(from: String, to: String) -> Result<SpendReport, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    Ok(crate::services::console::spend(
        &request.state.store,
        &caller.actor,
        request.now,
        &from,
        &to,
    )
    .await?)
}

/// Recoveries in the caller's locations matching the filters (default: the last 7 days),
/// each with its history and whether the caller may reverse it.
#[server(endpoint = "console/review")]
pub async fn review_recoveries(
    #[server(flatten)] query: ReviewQuery,
) -> Result<ReviewPage, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    Ok(
        crate::services::console::review(&request.state.store, &caller.actor, request.now, query)
            .await?,
    )
}

/// Reverses a posted or decided recovery with a reason: a reversing entry gives its budget
/// back, shows in the person's log and the supervisor's, and is audited.
#[server(endpoint = "console/reverse")]
pub async fn reverse_entry(
    recovery_id: i64,
    reason: String,
    idempotency_key: String,
) -> Result<String, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    Ok(crate::services::console::reverse(
        &request.state.store,
        &request.state.events,
        &caller.actor,
        request.now,
        recovery_id,
        &reason,
        &idempotency_key,
    )
    .await?)
}

/// Today's sample of within-budget recoveries from the last seven days, for a quick
/// "looks right / needs a talk" check.
#[server(endpoint = "console/sample")]
pub async fn daily_sample() -> Result<SampleView, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    Ok(crate::services::console::sample(&request.state.store, &caller.actor, request.now).await?)
}

/// Records the sampled review's verdict on a recovery: "looks-right" or "needs-a-talk"
/// (which needs a note).
#[server(endpoint = "console/spot-check")]
pub async fn spot_check(recovery_id: i64, verdict: String, note: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    crate::services::ledger::spot_check(
        &request.state.store,
        &caller.actor,
        recovery_id,
        &verdict,
        &note,
        request.now,
    )
    .await?;
    Ok(())
}

/// The decisions and reversals I made in the last 30 days, newest first.
#[server(endpoint = "my-actions")]
pub async fn my_actions() -> Result<Vec<ActionView>, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    Ok(
        crate::services::console::my_actions(&request.state.store, &caller.actor, request.now)
            .await?,
    )
}

/// The budgets of the people and teams in the caller's locations: today's allowance, their
/// own policy and running boosts. Changes go through `admin/set-policy` and `admin/add-boost`.
#[server(endpoint = "console/budgets")]
pub async fn budgets_overview() -> Result<BudgetsView, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    Ok(crate::services::console::budgets(&request.state.store, &caller.actor, request.now).await?)
}

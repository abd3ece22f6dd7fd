//! The front line: today's budget, logging a recovery, my log, and follow-ups. The caller is
//! always the person acting (signed in on their own device, or their turn on a shared tablet);
//! they see and change only their own records. The use cases are `services::front_line`.

use leptos::prelude::*;

use super::error::ApiError;
use crate::domain::recovery::RecoveryForm;

pub use views::privacy::HistoryEntry;
pub use views::recoveries::{FollowUpView, LogEntry, LogFormData, LogOutcome, TodayView};
// A choice in a list of tiles or a select; pages and components import it from here.
pub use views::Choice;

/// Today at a glance: what is left, what was spent, and my open follow-ups.
#[server(endpoint = "today")]
pub async fn today() -> Result<TodayView, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    Ok(crate::services::front_line::today(
        &request.state.store,
        &caller.actor,
        request.now,
        &caller.display_name,
    )
    .await?)
}

/// Everything the log form needs, tiles ordered by this location's use.
#[server(endpoint = "log-form")]
pub async fn log_form() -> Result<LogFormData, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let turn = caller.turn_stamp();
    let store = &request.state.store;
    Ok(crate::services::front_line::log_form(store, &caller.actor, request.now, turn).await?)
}

/// Logs a recovery against the caller's own budget. Within budget it posts at once; beyond,
/// the excess goes to a supervisor. The same key twice records one recovery.
#[server(endpoint = "log-recovery")]
pub async fn log_recovery(
    idempotency_key: String,
    #[server(flatten)] form: RecoveryForm,
) -> Result<LogOutcome, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    let outcome = crate::services::front_line::log_recovery(
        &request.state.store,
        &request.state.events,
        &caller.actor,
        request.now,
        &idempotency_key,
        &form,
    )
    .await?;
    // A plain form post (no JavaScript) lands on the form again, showing this receipt.
    if request.plain_form_post() {
        leptos_axum::redirect(&format!("/log?logged={}", outcome.recovery_id));
    }
    Ok(outcome)
}

/// Sends an entry the device captured while offline: recorded for the person whose turn on
/// this tablet captured it (`turn_token`, `captured_at`), whoever holds the tablet now; from a
/// personal device, for the signed-in person. The same key twice records one recovery.
#[server(endpoint = "log-deferred")]
pub async fn log_deferred(
    turn_token: String,
    captured_at: String,
    idempotency_key: String,
    #[server(flatten)] form: RecoveryForm,
) -> Result<LogOutcome, ApiError> {
    let request = crate::api::caller::request().await?;
    let state = &request.state;
    Ok(crate::services::front_line::log_deferred(
        &state.store,
        &state.events,
        &state.session_limits,
        request.session_token(),
        &turn_token,
        &captured_at,
        &idempotency_key,
        &form,
        request.now,
    )
    .await?)
}

/// The receipt of one of my recoveries (what a plain form post shows after logging).
#[server(endpoint = "logged")]
pub async fn logged_outcome(recovery_id: i64) -> Result<LogOutcome, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    Ok(crate::services::front_line::logged(
        &request.state.store,
        &caller.actor,
        request.now,
        recovery_id,
    )
    .await?)
}

/// My recoveries of the last `days` days (1–60), newest first.
#[server(endpoint = "my-log")]
pub async fn my_log(days: i64) -> Result<Vec<LogEntry>, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    Ok(
        crate::services::front_line::my_log(&request.state.store, &caller.actor, request.now, days)
            .await?,
    )
}

/// Marks one of my follow-ups done, with a note of what was done.
#[server(endpoint = "complete-follow-up")]
pub async fn complete_follow_up(recovery_id: i64, note: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    crate::services::front_line::complete_follow_up(
        &request.state.store,
        &caller.actor,
        request.now,
        recovery_id,
        &note,
    )
    .await?;
    Ok(())
}

/// The customer's earlier recoveries at the caller's location in the last 14 days, shown
/// while logging (docs/PRIVACY.md): anyone of the location may see them. The rule is
/// `services::privacy::customer_history`.
#[server(endpoint = "customer-history")]
pub async fn customer_history(reference: String) -> Result<Vec<HistoryEntry>, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Staff).await?;
    Ok(crate::services::privacy::customer_history(
        &request.state.store,
        &caller.actor,
        &reference,
        request.now,
    )
    .await?)
}

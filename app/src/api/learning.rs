//! The improvement queue: recurring-cause signals, improvement items ranked by priority, and
//! each item's figures (computed from the ledger), workflow, comments and history.
//! Supervisors and above read the queue of their locations (and the organisation-wide
//! items); managers (process owners) create, change and verify items. The use cases are
//! `services::improvements`.

use leptos::prelude::*;
use views::Choice;

use super::error::ApiError;

pub use views::improvements::{EffectView, ItemDetail, ItemSummary, QueueView, SignalView};

/// The queue, ranked by priority (highest first), filtered by location, status and owner
/// ("" = any); and the signals of the current window.
#[server(endpoint = "improvements/queue")]
pub async fn improvement_queue(
    location: String,
    status: String,
    owner: String,
) -> Result<QueueView, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    Ok(crate::services::improvements::queue(
        &request.state.store,
        &caller.actor,
        request.now,
        &location,
        &status,
        &owner,
    )
    .await?)
}

/// One item with its figures, effect, workflow and history.
#[server(endpoint = "improvements/item")]
pub async fn improvement_item(id: i64) -> Result<ItemDetail, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    let store = &request.state.store;
    Ok(crate::services::improvements::item(store, &caller.actor, request.now, id).await?)
}

/// Open items whose titles resemble `title` (shown while a manager types a new one).
#[server(endpoint = "improvements/similar")]
pub async fn similar_items(title: String) -> Result<Vec<Choice>, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    Ok(crate::services::improvements::similar(&request.state.store, &caller.actor, &title).await?)
}

/// A manager's own item: a title, a problem statement, optionally the cause it tracks (a
/// category at a touchpoint, at a location or everywhere) and recoveries to link ("12, 15").
#[server(endpoint = "improvements/create")]
pub async fn create_improvement(
    title: String,
    problem: String,
    location_id: String,
    category: String,
    touchpoint: String,
    recovery_ids: String,
) -> Result<i64, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    let form = crate::services::improvements::NewImprovement {
        title: &title,
        problem: &problem,
        location_id: &location_id,
        category: &category,
        touchpoint: &touchpoint,
        recovery_ids: &recovery_ids,
    };
    let store = &request.state.store;
    Ok(crate::services::improvements::create(store, &caller.actor, request.now, &form).await?)
}

/// Moves an item along its workflow: `from` is the status the page showed (a change made
/// meanwhile by someone else is refused); declining needs a reason.
#[server(endpoint = "improvements/move")]
pub async fn move_improvement(
    id: i64,
    from: String,
    to: String,
    reason: String,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    Ok(crate::services::improvements::move_item(
        &request.state.store,
        &caller.actor,
        request.now,
        id,
        &from,
        &to,
        &reason,
    )
    .await?)
}

/// Changes an item's owner, due date, countermeasure or problem statement; only what differs
/// is changed (and recorded in its history).
#[server(endpoint = "improvements/edit")]
pub async fn edit_improvement(
    id: i64,
    owner_id: String,
    due_on: String,
    countermeasure: String,
    problem: String,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    let form = crate::services::improvements::ItemEdit {
        owner_id: &owner_id,
        due_on: &due_on,
        countermeasure: &countermeasure,
        problem: &problem,
    };
    let store = &request.state.store;
    Ok(crate::services::improvements::edit(store, &caller.actor, request.now, id, &form).await?)
}

/// Adds a comment to an item's history (supervisors of its location and above).
#[server(endpoint = "improvements/comment")]
pub async fn comment_improvement(id: i64, text: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Supervisor).await?;
    Ok(crate::services::improvements::comment(
        &request.state.store,
        &caller.actor,
        request.now,
        id,
        &text,
    )
    .await?)
}

/// Links recoveries ("12, 15, 31") to an item by hand: only recoveries at locations where the
/// caller is a manager (any, for an organisation-wide manager). Any other id answers
/// "recovery not found" and nothing is linked.
#[server(endpoint = "improvements/link")]
pub async fn link_to_improvement(id: i64, recovery_ids: String) -> Result<u64, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Manager).await?;
    Ok(crate::services::improvements::link(
        &request.state.store,
        &caller.actor,
        request.now,
        id,
        &recovery_ids,
    )
    .await?)
}

/// Sets when recurring recoveries become a signal (admins): the window in days and the
/// thresholds per location and across the organisation. Existing history is re-checked.
#[server(endpoint = "improvements/thresholds")]
pub async fn set_thresholds(
    window_days: u32,
    location_occurrences: u32,
    organisation_occurrences: u32,
) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_org_wide(crate::domain::org::Role::Admin).await?;
    Ok(crate::services::improvements::set_thresholds(
        &request.state.store,
        &caller.actor,
        request.now,
        window_days,
        location_occurrences,
        organisation_occurrences,
    )
    .await?)
}

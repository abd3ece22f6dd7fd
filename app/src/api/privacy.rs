//! Customers' personal data for admins: the retention period, a data subject's request
//! (find, erase; the export is `POST /admin/privacy/export`) and the redaction log. The use
//! cases, with their role and scope checks, are `services::privacy`.

use leptos::prelude::*;

use super::error::ApiError;

pub use views::privacy::{PrivacyView, RedactionView, SubjectRecovery};

/// The privacy page: the retention period, and the redaction log for organisation-wide admins.
#[server(endpoint = "admin/privacy")]
pub async fn privacy_overview() -> Result<PrivacyView, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    Ok(crate::services::privacy::privacy_page(&request.state.store, &caller.actor).await?)
}

/// Sets how many days customer references and free text are kept.
#[server(endpoint = "admin/privacy/retention")]
pub async fn set_retention(days: String) -> Result<(), ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let days = days.trim().parse::<i64>().map_err(|_| {
        ApiError::Validation(format!(
            "Enter the number of days, not \"{}\".",
            crate::domain::text::shown(&days)
        ))
    })?;
    let store = &request.state.store;
    crate::services::privacy::set_retention(store, &caller.actor, days, request.now).await?;
    Ok(())
}

/// The recoveries naming a customer reference, within the caller's locations.
#[server(endpoint = "admin/privacy/find")]
pub async fn find_customer(
    reference: String,
    from: String,
    to: String,
) -> Result<Vec<SubjectRecovery>, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let (from, to) = crate::services::privacy::dates(&from, &to)?;
    let store = &request.state.store;
    Ok(crate::services::privacy::find_subject(store, &caller.actor, &reference, from, to).await?)
}

/// Erases the personal fields of every recovery naming a customer reference (within the
/// caller's locations and the dates given), with a reason. Answers how many were erased.
#[server(endpoint = "admin/privacy/erase")]
pub async fn erase_customer(
    reference: String,
    from: String,
    to: String,
    reason: String,
) -> Result<i64, ApiError> {
    let (request, caller) =
        crate::api::caller::caller_with(crate::domain::org::Role::Admin).await?;
    let (from, to) = crate::services::privacy::dates(&from, &to)?;
    let (store, now) = (&request.state.store, request.now);
    Ok(crate::services::privacy::erase_subject(
        store,
        &caller.actor,
        &reference,
        from,
        to,
        &reason,
        now,
    )
    .await?)
}

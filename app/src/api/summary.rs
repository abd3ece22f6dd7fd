//! The monthly learning summary for leadership: the month as the ledger stands, or as
//! published (frozen, with any later corrections beside it); commentary and publication.
//! Reading needs a manager (their locations) or an organisation-wide grant for the whole
//! organisation; writing the commentary and publishing need leadership for that scope.
//! The use cases are `services::summary`.

use leptos::prelude::*;

use super::error::ApiError;
pub use views::summary::{Publication, SummaryView};

#[cfg(feature = "ssr")]
pub(crate) mod server {
    use crate::{api::caller::Request, services::summary::MonthScope};

    /// A plain form post (no JavaScript) lands on the month's page again.
    pub fn back_to_page(request: &Request, page: MonthScope) {
        if request.plain_form_post() {
            leptos_axum::redirect(&format!(
                "/summary?month={}&location={}",
                page.month.key(),
                page.location_id
                    .map_or_else(|| "all".to_string(), |id| id.to_string())
            ));
        }
    }
}

/// The month's summary (default: the last complete month; default scope: the whole
/// organisation, or the caller's first location).
#[server(endpoint = "summary/month")]
pub async fn monthly_summary(month: String, location: String) -> Result<SummaryView, ApiError> {
    use crate::{domain::org::Role, services::summary};
    let (request, caller) = crate::api::caller::caller_with(Role::Manager).await?;
    Ok(summary::view(
        &request.state.store,
        &caller.actor,
        request.now,
        &month,
        &location,
    )
    .await?)
}

/// Saves leadership's draft commentary for a month not yet published.
#[server(endpoint = "summary/commentary")]
pub async fn save_commentary(
    month: String,
    location: String,
    commentary: String,
) -> Result<(), ApiError> {
    use crate::{domain::org::Role, services::summary};
    let (request, caller) = crate::api::caller::caller_with(Role::Leader).await?;
    let saved = summary::save_commentary(
        &request.state.store,
        &caller.actor,
        request.now,
        &month,
        &location,
        &commentary,
    )
    .await?;
    server::back_to_page(&request, saved);
    Ok(())
}

/// Publishes a complete month: the summary as the ledger stands now is frozen with the
/// saved commentary; later corrections show beside it, never in it.
#[server(endpoint = "summary/publish")]
pub async fn publish_month(month: String, location: String) -> Result<(), ApiError> {
    use crate::{domain::org::Role, services::summary};
    let (request, caller) = crate::api::caller::caller_with(Role::Leader).await?;
    let store = &request.state.store;
    let published = summary::publish(store, &caller.actor, request.now, &month, &location).await?;
    server::back_to_page(&request, published);
    Ok(())
}

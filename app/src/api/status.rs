//! Service status: public on purpose (like `/healthz`), it reveals no organisation's data,
//! only that the database answers and which schema it runs.

use leptos::prelude::*;

use super::error::ApiError;

pub use views::status::LedgerStatus;

#[server(endpoint = "status")]
pub async fn service_status() -> Result<LedgerStatus, ApiError> {
    use crate::state::AppState;
    let state = use_context::<AppState>().ok_or(ApiError::Internal)?;
    Ok(crate::services::status::check(&state.store, chrono::Utc::now()).await?)
}

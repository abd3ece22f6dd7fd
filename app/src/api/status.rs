//! Service status: public on purpose (like `/healthz`), it reveals no organisation's data,
//! only that the database answers and which schema it runs.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerStatus {
    pub database: String,
    pub schema_version: i64,
    pub checked_at: String,
}

#[server(endpoint = "status")]
pub async fn service_status() -> Result<LedgerStatus, ApiError> {
    use crate::state::AppState;
    let state = use_context::<AppState>().ok_or(ApiError::Internal)?;
    state.store.ping().await?;
    let schema_version = state.store.schema_version().await?;
    Ok(LedgerStatus {
        database: state.store.backend().as_str().to_string(),
        schema_version,
        checked_at: chrono::Utc::now()
            .format("%Y-%m-%d %H:%M:%S UTC")
            .to_string(),
    })
}

//! Service status: that the database answers, and which schema it runs.

use chrono::{DateTime, Utc};
use store::Store;
use views::status::LedgerStatus;

use crate::ServiceError;

/// Pings the database and reads its schema version. Public: no actor, no organisation's
/// data.
pub async fn check(store: &Store, now: DateTime<Utc>) -> Result<LedgerStatus, ServiceError> {
    store.ping().await?;
    let schema_version = store.schema_version().await?;
    Ok(LedgerStatus {
        database: store.backend().as_str().to_string(),
        schema_version,
        checked_at: now.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
    })
}

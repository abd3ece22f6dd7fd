//! The organisation's audit log, as the use cases write it: who (the actor), what, on which
//! subject, before and after.

use chrono::{DateTime, Utc};
use store::{accounts::NewAuditEntry, Store};

use crate::{Actor, ServiceError};

pub async fn record(
    store: &Store,
    actor: &Actor,
    action: &str,
    subject: &str,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    store
        .audit(
            &NewAuditEntry {
                organisation_id: actor.organisation_id,
                actor_id: Some(actor.person_id),
                action,
                subject,
                before,
                after,
            },
            now,
        )
        .await?;
    Ok(())
}

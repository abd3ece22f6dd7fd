//! Service status: that the database answers and which schema it runs, nothing about any
//! organisation.

use serde::{Deserialize, Serialize};

/// The service's status: the database backend, its schema version and when it was checked.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LedgerStatus {
    pub database: String,
    pub schema_version: i64,
    pub checked_at: String,
}

//! The supervisor's approval queue: each request waiting for a decision, with its context.

use serde::{Deserialize, Serialize};

/// A request waiting for a supervisor's decision, with what they need beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRequest {
    pub recovery_id: i64,
    pub person: String,
    pub when: String,
    pub what: String,
    pub done: String,
    pub amount: String,
    pub covered: String,
    pub excess: String,
    /// The excess as a plain number, for the "approve part" field.
    pub excess_plain: String,
    pub reaction: String,
    pub touchpoint: String,
    pub customer_ref: Option<String>,
    pub cause: Option<String>,
    pub budget_today: String,
    /// The request belongs to an earlier local day of the person: it stays pending until
    /// someone decides, and is flagged.
    pub from_previous_day: bool,
    /// The person's last few recoveries: "Tue 17 Nov · Noise · 10.00 · posted".
    pub recent: Vec<String>,
    /// The customer's other recent recoveries at this location, newest first.
    pub customer_history: Vec<crate::privacy::HistoryEntry>,
    /// A fresh idempotency key for deciding on this request from this page.
    pub decision_key: String,
}

/// The approval queue as the page shows it: the oldest requests (a page of them) and how many
/// wait in all.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueuePage {
    pub requests: Vec<PendingRequest>,
    pub waiting: i64,
}

//! Customers' personal data as the screens show it: a customer's recent recoveries (the
//! tablet and the approval queue), a data subject's recoveries (admin), the retention period
//! and the redaction log.

use serde::{Deserialize, Serialize};

/// One earlier recovery for the same customer at this location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// "Mon 30 Nov 21:40", local to the location.
    pub when: String,
    /// The category, and what went wrong.
    pub what: String,
    /// What was done: remedy and amount ("Complimentary item · 12.00 EUR").
    pub done: String,
    /// How the customer took it.
    pub reaction: String,
    /// The recovery's standing ("posted", "pending", …).
    pub status: String,
}

/// A data subject's recovery, as an admin answering their request sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubjectRecovery {
    pub recovery_id: i64,
    pub budget_date: String,
    pub location: String,
    pub person: String,
    pub customer_ref: String,
    pub category: String,
    pub description: String,
    pub cause_note: String,
    pub follow_up_note: String,
    pub amount: String,
    pub status: String,
}

/// One entry of the redaction log (never what was erased).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RedactionView {
    pub when: String,
    /// "Retention" or "Customer's request".
    pub kind: String,
    /// Who asked (empty for retention).
    pub by: String,
    pub reason: String,
    /// The days searched ("1 Nov 2026 – 30 Nov 2026", "any date").
    pub dates: String,
    pub recoveries: i64,
}

/// The privacy page for admins.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PrivacyView {
    /// Days personal fields are kept.
    pub retention_days: i64,
    /// An organisation-wide admin may change the period and read the log.
    pub may_change_retention: bool,
    pub redactions: Vec<RedactionView>,
}

//! The front line's screens: today's budget, the log form and its receipt, my log, and my
//! follow-ups.

use serde::{Deserialize, Serialize};

use crate::Choice;

/// The front line's today page: the budget at a glance and my open follow-ups.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodayView {
    pub display_name: String,
    pub location_name: String,
    pub date: String,
    pub currency: String,
    pub allowance: String,
    pub spent: String,
    pub remaining: String,
    pub pending: String,
    pub approved: String,
    /// Share of today's allowance used, in percent (0 when there is no allowance).
    pub used_percent: i64,
    /// At 75 %, 90 % and 100 %: what to tell the person.
    pub warning: Option<String>,
    pub follow_ups: Vec<FollowUpView>,
}

/// One of my open follow-ups, with when it is due in the location's local time.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FollowUpView {
    pub recovery_id: i64,
    pub what: String,
    pub customer_ref: Option<String>,
    pub due: String,
    pub overdue: bool,
    pub time_left: String,
}

/// Everything the log form needs, in the location's currency and lists.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogFormData {
    /// A fresh idempotency key for a form rendered without JavaScript; the browser makes
    /// its own for each submission once the page is live.
    pub idempotency_key: String,
    pub currency: String,
    pub remaining: String,
    /// Ordered by how often this location uses them, most used first.
    pub categories: Vec<Choice>,
    pub remedies: Vec<Choice>,
    pub reactions: Vec<Choice>,
    pub touchpoints: Vec<Choice>,
    pub default_touchpoint: String,
    pub channels: Vec<Choice>,
    pub severities: Vec<Choice>,
    pub causes: Vec<Choice>,
    /// Amounts offered as one-tap chips, in the location's currency.
    pub quick_amounts: Vec<String>,
    /// On a shared tablet, the running turn: what an entry queued offline is stamped with.
    pub turn: Option<TurnStamp>,
}

/// Who is logging on a shared tablet, as an entry queued offline carries it: the turn's token
/// (the server records the entry for that turn's person and nobody else) and the name the
/// tablet shows beside it while it waits.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnStamp {
    pub token: String,
    pub person_id: i64,
    pub display_name: String,
}

/// What happened to a logged recovery, in the words the tablet shows.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogOutcome {
    pub recovery_id: i64,
    pub status: String,
    pub message: String,
    /// What is left of that budget day now, e.g. "45.00 EUR".
    pub remaining: String,
    pub replayed: bool,
}

/// One of my recoveries, as my log lists it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntry {
    pub recovery_id: i64,
    pub date: String,
    pub time: String,
    pub category: String,
    pub remedy: String,
    pub description: String,
    pub amount: String,
    pub status: String,
    pub status_label: String,
    /// The supervisor's reason (denial) or the reversal's reason.
    pub reason: Option<String>,
    pub reaction: String,
    /// The improvement items this recovery fed: "Room not ready at Front desk (In progress)".
    pub fed: Vec<(i64, String)>,
}

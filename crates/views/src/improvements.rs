//! The improvement queue: recurring-cause signals, improvement items ranked by priority, and
//! each item's figures (computed from the ledger), workflow, comments and history.

use serde::{Deserialize, Serialize};

use crate::Choice;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemSummary {
    pub id: i64,
    pub title: String,
    /// The location's name, or "All locations".
    pub place: String,
    pub status: String,
    pub status_label: String,
    pub owner: Option<String>,
    pub due: Option<String>,
    pub occurrences: u32,
    /// Cost of failure: the linked recoveries' amounts, per currency and never added across
    /// currencies ("1240.00 EUR + 310.00 GBP").
    pub cost: String,
    pub severity: String,
    pub priority: i64,
    /// After "done": "2.00 → 0.50 a week (−75 %)".
    pub effect: Option<String>,
    pub from_signal: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignalView {
    pub place: String,
    pub cause: String,
    pub occurrences: i64,
    pub threshold: u32,
    /// Per currency, as [`ItemSummary::cost`].
    pub cost: String,
    pub first_seen: String,
    pub last_seen: String,
    /// Against the window before: new, rising, steady or falling.
    pub trend: String,
    pub previous: i64,
    pub severity_mix: String,
    pub reactions: String,
    /// The open item tracking it, if any.
    pub item_id: Option<i64>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueView {
    pub items: Vec<ItemSummary>,
    pub signals: Vec<SignalView>,
    pub window_days: u32,
    pub locations: Vec<Choice>,
    pub owners: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub touchpoints: Vec<Choice>,
    pub can_edit: bool,
    pub is_admin: bool,
    pub thresholds: (u32, u32, u32),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EffectView {
    pub window_days: u32,
    pub before: u32,
    pub after: u32,
    pub after_days: u32,
    pub before_per_week: String,
    pub after_per_week: String,
    pub change: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ItemDetail {
    pub summary: ItemSummary,
    pub problem: String,
    pub countermeasure: String,
    pub declined_reason: Option<String>,
    pub done_on: Option<String>,
    pub due_on: String,
    pub owner_id: Option<i64>,
    pub effect: Option<EffectView>,
    /// Where it may go next: (status slug, button words).
    pub next: Vec<Choice>,
    pub history: Vec<String>,
    pub recoveries: Vec<String>,
    /// The caller sees some locations only: the figures, effect and recoveries above count
    /// the recoveries at those locations alone.
    pub within_own_locations: bool,
    pub people: Vec<Choice>,
    pub can_edit: bool,
}

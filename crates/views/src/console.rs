//! The supervisor console beyond the approval queue: spend per person and team against
//! allowance, the review of recoveries with its filters, the daily sampled review, the
//! decisions a supervisor made, and the budgets of the people and teams they supervise.

use serde::{Deserialize, Serialize};

use crate::Choice;

/// Longest range the spend and review screens cover, in days.
pub const MAX_RANGE_DAYS: i64 = 92;

/// One person's or team's spend against allowance.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendLine {
    pub id: i64,
    pub name: String,
    pub location: String,
    /// The person's team (empty for a team's own line).
    pub team: String,
    pub recoveries: i64,
    pub spent: String,
    pub allowance: String,
    /// Posted spend as a share of the allowance over the range, in percent.
    pub used_percent: i64,
    pub pending: i64,
    pub open_follow_ups: i64,
    pub overdue_follow_ups: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpendReport {
    /// The range shown, as ISO dates for the picker.
    pub from: String,
    pub to: String,
    /// "Mon 23 Nov 2026" or "16 Nov – 22 Nov 2026".
    pub title: String,
    pub people: Vec<SpendLine>,
    pub teams: Vec<SpendLine>,
    pub pending: i64,
    pub open_follow_ups: i64,
    pub overdue_follow_ups: i64,
}

/// The review screen's filters, as the page's address carries them ("" or absent = any).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ReviewQuery {
    pub from: String,
    pub to: String,
    pub location: String,
    pub team: String,
    pub person: String,
    pub category: String,
    pub remedy: String,
    pub status: String,
    pub min: String,
    pub max: String,
    pub sort: String,
}

impl ReviewQuery {
    /// Builds the query from the address's parameters.
    pub fn from_pairs(get: impl Fn(&str) -> Option<String>) -> ReviewQuery {
        let field = |name: &str| get(name).unwrap_or_default();
        ReviewQuery {
            from: field("from"),
            to: field("to"),
            location: field("location"),
            team: field("team"),
            person: field("person"),
            category: field("category"),
            remedy: field("remedy"),
            status: field("status"),
            min: field("min"),
            max: field("max"),
            sort: field("sort"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewRow {
    pub recovery_id: i64,
    pub person: String,
    pub location: String,
    pub when: String,
    pub category: String,
    pub remedy: String,
    pub description: String,
    pub touchpoint: String,
    pub reaction: String,
    pub customer_ref: Option<String>,
    pub amount: String,
    pub covered: String,
    pub status: String,
    pub status_label: String,
    /// Who decided or reversed it, and why.
    pub history: Vec<String>,
    /// The sampled review's verdict, if checked.
    pub spot_check: Option<String>,
    /// The caller may reverse it (posted or decided, not reversed, not their own).
    pub reversible: bool,
    /// A fresh idempotency key for reversing from this page.
    pub reversal_key: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewOptions {
    pub locations: Vec<Choice>,
    pub teams: Vec<Choice>,
    pub people: Vec<Choice>,
    pub categories: Vec<Choice>,
    pub remedies: Vec<Choice>,
    pub statuses: Vec<Choice>,
    pub sorts: Vec<Choice>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReviewPage {
    /// The filters as applied (dates filled in).
    pub query: ReviewQuery,
    pub options: ReviewOptions,
    pub rows: Vec<ReviewRow>,
    /// More recoveries match than are listed.
    pub truncated: bool,
}

/// Rows listed at most on one review page.
pub const REVIEW_LIMIT: i64 = 200;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleItem {
    pub recovery_id: i64,
    pub person: String,
    pub location: String,
    pub when: String,
    pub what: String,
    pub done: String,
    pub amount: String,
    pub reaction: String,
    /// "Looks right — Ana Costa" once checked.
    pub verdict: Option<String>,
    pub note: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SampleView {
    /// "Recoveries within budget from 16 Nov to 22 Nov".
    pub window: String,
    pub items: Vec<SampleItem>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActionView {
    pub at: String,
    pub action: String,
    pub person: String,
    pub amount: String,
    pub reason: Option<String>,
}

/// A person's or team's budget as the console shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetLine {
    /// "person:12" or "team:3": what the budget forms send.
    pub scope: String,
    pub name: String,
    pub location: String,
    /// What the person may spend today, boosts included (empty for a team).
    pub today: String,
    /// Their own policy, if one is set: "40.00 EUR a day, at most 25.00 EUR a recovery".
    pub own_policy: Option<String>,
    /// Boosts running today or later: "+20.00 EUR a day, 24 Nov – 30 Nov".
    pub boosts: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BudgetsView {
    pub today: String,
    pub people: Vec<BudgetLine>,
    pub teams: Vec<BudgetLine>,
}

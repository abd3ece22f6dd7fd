//! Administration: the `/admin` overview (organisation settings, lists, locations, teams,
//! people, budget policies and boosts) and the audit log.

use serde::{Deserialize, Serialize};

/// What `/admin` shows: the organisation's settings and lists, and the people, teams and
/// budgets the admin administers.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminSnapshot {
    pub organisation_name: String,
    /// The organisation's short name, which everyone types at sign-in with their username.
    pub organisation_slug: String,
    pub currency: String,
    pub time_zone: String,
    /// Every list entry: (kind, code, label, active).
    pub taxonomy: Vec<(String, String, String, bool)>,
    pub locations: Vec<(i64, String)>,
    pub teams: Vec<TeamView>,
    pub people: Vec<PersonView>,
    pub policies: Vec<PolicyView>,
    pub boosts: Vec<BoostView>,
}

/// A team and the name of its location.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TeamView {
    pub id: i64,
    pub name: String,
    pub location: String,
}

/// A person, where they work and the roles they hold.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonView {
    pub id: i64,
    pub display_name: String,
    pub username: String,
    pub location: String,
    pub team: Option<String>,
    pub roles: Vec<String>,
    pub active: bool,
}

/// A budget policy, its amounts formatted for reading.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PolicyView {
    /// "organisation", "role:supervisor", "team:3", "person:12"
    pub scope: String,
    pub scope_label: String,
    pub daily: String,
    pub cap: Option<String>,
}

/// A temporary boost to a budget, for a date range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BoostView {
    pub scope_label: String,
    pub from: String,
    pub to: String,
    pub extra_per_day: String,
}

/// One entry of the audit log.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditView {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub before: Option<String>,
    pub after: Option<String>,
}

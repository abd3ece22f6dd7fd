//! The session as the header, the home page and the shared tablet show it.

use serde::{Deserialize, Serialize};

/// What the header and home page show about the current session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub display_name: String,
    pub organisation_name: String,
    pub roles: Vec<String>,
    pub tablet_location: Option<String>,
    /// Locations where this person may set up a shared tablet.
    pub tablet_locations: Vec<(i64, String)>,
    pub is_admin: bool,
    /// Supervisors and above see the approval queue.
    pub can_approve: bool,
    /// Managers and leadership read the improvement queue and the monthly summary.
    pub can_read_summary: bool,
    /// On a shared tablet with someone's turn running: seconds without a tap or a key after
    /// which any page returns to the picker. 0 otherwise.
    pub turn_idle_seconds: i64,
    /// On a shared tablet: the acting person holds roles beyond the front line that their
    /// password would unlock for this turn (step-up).
    pub password_unlocks_more: bool,
}

/// A shared tablet's picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub location_name: String,
    pub people: Vec<RosterEntry>,
    pub acting: Option<RosterEntry>,
}

/// One person on a shared tablet's picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub person_id: i64,
    pub display_name: String,
    pub team: Option<String>,
}

/// The one answer to a failed password sign-in, whatever was wrong.
pub const WRONG_CREDENTIALS: &str = "Wrong username or password.";
/// The one answer to a failed PIN switch on a shared tablet.
pub const WRONG_PIN: &str = "Wrong PIN.";

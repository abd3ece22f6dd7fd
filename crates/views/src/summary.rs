//! The monthly learning summary's page: the month as the ledger stands, or as published
//! (frozen, with any later corrections beside it), with the choices of scope and month.

use domain::summary::Summary;
use serde::{Deserialize, Serialize};

use crate::Choice;

/// The summary page's data.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SummaryView {
    pub summary: Summary,
    /// "2026-10".
    pub month: String,
    /// "" for the whole organisation, else the location's id.
    pub location: String,
    pub published: Option<Publication>,
    /// The draft commentary (before publication).
    pub draft: String,
    /// Figures that moved since publication: (figure, published, now).
    pub corrections: Vec<(String, String, String)>,
    /// Ledger entries made after publication that touch the month.
    pub late_entries: Vec<String>,
    pub can_publish: bool,
    /// The month is over (a month can be published from its last day on).
    pub complete: bool,
    pub scopes: Vec<Choice>,
    pub months: Vec<Choice>,
}

/// Who published the month, when, and with which commentary.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Publication {
    pub by: String,
    pub at: String,
    pub commentary: String,
}

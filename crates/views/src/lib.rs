//! What each screen shows, as the server functions send it and the pages read it. The
//! services build these (after the role and scope checks); the pages only render them. No I/O,
//! no rules beyond formatting: the rules live in `domain`, the use cases in `services`.

pub mod admin;
pub mod approvals;
pub mod console;
pub mod improvements;
pub mod privacy;
pub mod recoveries;
pub mod session;
pub mod status;
pub mod summary;

use serde::{Deserialize, Serialize};

/// A choice in a list of tiles or a select: the stored code and the label people read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Choice {
    pub code: String,
    pub label: String,
}

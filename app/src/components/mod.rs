//! Reusable pieces of UI.

pub mod charts;
pub mod choices;
pub mod feedback;
pub mod header;
pub mod history;
pub mod offline;
pub mod outbox;
pub mod textarea;

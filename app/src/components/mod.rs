//! Reusable pieces of UI.

pub mod feedback;
pub mod header;
pub mod outbox;

//! Reusable pieces of UI.

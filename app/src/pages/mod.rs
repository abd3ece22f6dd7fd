//! The pages, one per file.

pub mod home;
pub mod not_found;

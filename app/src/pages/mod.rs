//! The pages, one per file.

pub mod account;
pub mod admin;
pub mod approvals;
pub mod console;
pub mod home;
pub mod improvements;
pub mod log;
pub mod my_log;
pub mod not_found;
pub mod privacy;
pub mod sign_in;
pub mod summary;
pub mod tablet;
pub mod today;

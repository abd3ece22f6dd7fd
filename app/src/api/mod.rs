//! Server functions, one area per file. Each is a thin shell: who is calling → parse the
//! input into domain types → domain rule → store. Every one is a public HTTP endpoint and
//! checks the caller's role itself.

pub mod admin;
pub mod approvals;
#[cfg(feature = "ssr")]
pub mod caller;
pub mod console;
pub mod error;
pub mod learning;
pub mod privacy;
pub mod recoveries;
pub mod session;
pub mod status;
pub mod summary;

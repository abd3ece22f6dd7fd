//! Server functions, one area per file. Each is a thin shell: who is calling → parse the
//! input into domain types → domain rule → store. Every one is a public HTTP endpoint.

pub mod error;
pub mod status;

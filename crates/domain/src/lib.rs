//! The pure rules of Goodwill: money, organisation vocabulary, budget policy,
//! budget days, recoveries and the ledger's authorisation rule.
//!
//! Nothing in here does I/O or reads a clock: `now` and all data come in as
//! arguments, so the same rules run on the server, in tests and in the browser
//! (the crate must also build for wasm32).

pub mod access;
pub mod budget_day;
pub mod learning;
pub mod ledger;
pub mod money;
pub mod org;
pub mod policy;
pub mod privacy;
pub mod recovery;
pub mod review;
pub mod summary;
pub mod text;
pub mod turns;

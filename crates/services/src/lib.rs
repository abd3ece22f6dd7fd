//! Goodwill's use cases, below the UI: who is acting (`Actor`) and what they may do
//! (`domain::access`), the ledger's use cases (`ledger`), budgets (`budgets`), roles
//! (`roles`), credentials and sessions (`auth`), the learning loop (`learning`) and live
//! ledger events (`events`). Server functions, the command line, the demo seed, the bench
//! and the simulator call these; none of it knows about leptos or axum.

pub mod actor;
pub mod admin;
pub mod approvals;
pub mod audit;
pub mod auth;
pub mod budgets;
pub mod console;
pub mod demo;
pub mod error;
pub mod events;
pub mod export;
pub mod front_line;
pub mod improvements;
pub mod learning;
pub mod ledger;
pub mod privacy;
pub mod provisioning;
pub mod roles;
pub mod scope;
pub mod session;
pub mod status;
pub mod summary;

pub use actor::Actor;
pub use error::ServiceError;

//! API tests: the real application on port 0 with a fresh database, spoken to over HTTP the
//! way the browser does.

mod approvals;
mod auth;
mod backup;
mod basics;
mod console;
mod edges;
mod faults;
mod front_line;
mod fuzz;
mod helpers;
mod learning_scope;
mod privacy;
mod role_matrix;
mod rules;
mod summary;

//! API tests: the real application on port 0 with a fresh database, spoken to over HTTP the
//! way the browser does.

mod auth;
mod basics;
mod helpers;
mod role_matrix;

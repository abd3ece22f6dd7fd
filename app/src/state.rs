//! The server's shared state, handed to every route and server function.

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::store::Store;

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
}

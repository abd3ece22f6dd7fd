//! The server's shared state, handed to every route and server function.

use std::sync::Arc;

use axum::extract::FromRef;
use leptos::prelude::LeptosOptions;

use crate::{auth::session::SessionLimits, events::LedgerEvents, store::Store};

#[derive(Clone, Debug, FromRef)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub store: Store,
    #[from_ref(skip)]
    pub session_limits: SessionLimits,
    /// Mark cookies `Secure` (the app is served over https).
    #[from_ref(skip)]
    pub secure_cookies: bool,
    /// Believe `X-Forwarded-For` / `X-Forwarded-Proto` (the app runs behind a proxy).
    #[from_ref(skip)]
    pub trust_proxy: bool,
    /// Proxies in front of the app, by address (`GOODWILL_TRUSTED_PROXIES`): their
    /// `X-Forwarded-*` headers are believed, and their addresses skipped in
    /// `X-Forwarded-For` when looking for the client's.
    #[from_ref(skip)]
    pub trusted_proxies: Arc<[std::net::IpAddr]>,
    /// Where people reach the app (`GOODWILL_PUBLIC_URL`, e.g. `https://goodwill.example`):
    /// when set, a write's `Origin` must be exactly this scheme, host and port.
    #[from_ref(skip)]
    pub public_origin: Option<Arc<str>>,
    /// An argon2id hash of a random secret, verified against when a username is unknown so
    /// that a failed sign-in takes the same time either way.
    #[from_ref(skip)]
    pub dummy_hash: Arc<str>,
    /// Approval-queue changes, for live queues on this server.
    #[from_ref(skip)]
    pub events: LedgerEvents,
}

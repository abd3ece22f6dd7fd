//! The server's shared state, handed to every route and server function.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
    time::Duration,
};

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
    /// The live event streams open on this server (`GET /events/approvals`).
    #[from_ref(skip)]
    pub live: LiveStreams,
}

/// The live event streams of this server: how often each checks that its session still
/// holds (signed in, not revoked, the same person acting, still a supervisor), and how many
/// one session may hold open at once.
#[derive(Clone, Debug)]
pub struct LiveStreams {
    pub recheck: Duration,
    pub per_session: usize,
    open: Arc<Mutex<HashMap<i64, usize>>>,
}

impl Default for LiveStreams {
    fn default() -> Self {
        Self::new(Duration::from_secs(60), 4)
    }
}

impl LiveStreams {
    pub fn new(recheck: Duration, per_session: usize) -> Self {
        Self {
            recheck,
            per_session,
            open: Arc::default(),
        }
    }

    /// A place for one more stream of a session, or `None` when it holds its limit. The
    /// place is given back when the returned slot is dropped (the stream ended).
    pub fn open(&self, session_id: i64) -> Option<StreamSlot> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        let count = open.entry(session_id).or_insert(0);
        if *count >= self.per_session {
            return None;
        }
        *count += 1;
        Some(StreamSlot {
            open: self.open.clone(),
            session_id,
        })
    }

    /// How many streams a session holds open now.
    pub fn held_by(&self, session_id: i64) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(&session_id).copied().unwrap_or(0)
    }
}

/// One open stream's place; dropping it gives the place back.
#[derive(Debug)]
pub struct StreamSlot {
    open: Arc<Mutex<HashMap<i64, usize>>>,
    session_id: i64,
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.session_id) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.session_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::LiveStreams;
    use std::time::Duration;

    #[test]
    fn a_session_holds_at_most_its_streams_and_gets_places_back() {
        let live = LiveStreams::new(Duration::from_secs(60), 2);
        let first = live.open(7).expect("first");
        let second = live.open(7).expect("second");
        assert!(live.open(7).is_none(), "a third is refused");
        // Other sessions are not affected.
        let other = live.open(8).expect("another session");
        drop(first);
        assert_eq!(live.held_by(7), 1);
        let again = live.open(7).expect("a place was given back");
        drop((second, again, other));
        assert_eq!((live.held_by(7), live.held_by(8)), (0, 0));
    }
}

//! Who is calling (server only). Every server function starts here: the session cookie is
//! looked up in the database, checked against its limits, and turned into a [`Caller`] with
//! the person's role grants. On a shared tablet the caller is the person whose PIN was
//! entered, until their turn goes idle.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::error::ApiError;
use crate::{
    auth::session::{self, is_live},
    domain::org::{Role, RoleGrant},
    services::Actor,
    state::AppState,
    store::accounts::SessionRow,
};

/// The person on whose behalf a request runs: the use cases' [`Actor`] (who, where, which
/// grants) plus what only the web session knows.
#[derive(Clone, Debug)]
pub struct Caller {
    pub session_id: i64,
    pub display_name: String,
    /// Set when the request comes from a shared tablet.
    pub tablet_location_id: Option<i64>,
    pub actor: Actor,
}

impl std::ops::Deref for Caller {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.actor
    }
}

impl Caller {
    /// Holds `role` (or a higher one) somewhere in the organisation.
    pub fn has(&self, role: Role) -> bool {
        self.access().anywhere(role)
    }

    /// Holds `role` (or higher) for this location, or organisation-wide.
    pub fn require_at(&self, role: Role, location_id: i64) -> Result<(), ApiError> {
        if self
            .grants
            .iter()
            .any(|grant| grant.allows(role, location_id))
        {
            Ok(())
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// The locations where the caller holds `role`; `None` means every location.
    pub fn scope_of(&self, role: Role) -> Option<Vec<i64>> {
        self.access().scope_of(role)
    }
}

/// The request as a server function sees it.
pub struct Request {
    pub state: AppState,
    pub headers: HeaderMap,
    /// The client's address, for throttling.
    pub client: String,
    pub now: DateTime<Utc>,
}

/// What the session cookie amounts to.
pub enum SessionState {
    None,
    Personal(SessionRow, Caller),
    /// A shared tablet with nobody's turn running: only the picker is available.
    TabletIdle(SessionRow),
    TabletActing(SessionRow, Caller),
}

pub async fn request() -> Result<Request, ApiError> {
    let state = use_context::<AppState>().ok_or(ApiError::Internal)?;
    let headers: HeaderMap = leptos_axum::extract()
        .await
        .map_err(|_| ApiError::Internal)?;
    let peer = leptos_axum::extract::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .await
        .map(|info| info.0.ip().to_string())
        .unwrap_or_else(|_| "unknown".to_string());
    let client = if state.trust_proxy {
        headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or(peer)
    } else {
        peer
    };
    Ok(Request {
        state,
        headers,
        client,
        now: Utc::now(),
    })
}

impl Request {
    pub fn session_token(&self) -> Option<&str> {
        self.headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(session::token_from_cookie_header)
    }

    pub async fn session(&self) -> Result<SessionState, ApiError> {
        let Some(token) = self.session_token() else {
            return Ok(SessionState::None);
        };
        let store = &self.state.store;
        let Some(row) = store
            .session_by_token_hash(&session::token_hash(token))
            .await?
        else {
            return Ok(SessionState::None);
        };
        let limits = &self.state.session_limits;
        let tablet = row.tablet_location_id.is_some();
        if !is_live(
            limits,
            tablet,
            row.last_seen_at,
            row.expires_at,
            row.revoked_at.is_some(),
            self.now,
        ) {
            return Ok(SessionState::None);
        }
        // Writing last_seen on every request would make every read a write; once a minute is
        // precise enough for an idle limit measured in hours.
        if self.now - row.last_seen_at > chrono::Duration::minutes(1) {
            store.touch_session(row.id, self.now).await?;
        }
        if tablet {
            let acting = match (row.acting_person_id, row.acting_until) {
                (Some(person_id), Some(until)) if until > self.now => Some(person_id),
                _ => None,
            };
            return match acting {
                Some(person_id) => {
                    // Each action keeps the turn alive.
                    let until = self.now + limits.tablet_turn_idle;
                    store
                        .set_acting_person(row.id, Some((person_id, until)))
                        .await?;
                    match self.caller_for(&row, person_id).await? {
                        Some(caller) => Ok(SessionState::TabletActing(row, caller)),
                        None => Ok(SessionState::TabletIdle(row)),
                    }
                }
                None => Ok(SessionState::TabletIdle(row)),
            };
        }
        match self.caller_for(&row, row.person_id).await? {
            Some(caller) => Ok(SessionState::Personal(row, caller)),
            None => Ok(SessionState::None),
        }
    }

    /// The caller for a person of the session's organisation, or None if deactivated.
    async fn caller_for(
        &self,
        row: &SessionRow,
        person_id: i64,
    ) -> Result<Option<Caller>, ApiError> {
        let store = &self.state.store;
        let person = store.person(row.organisation_id, person_id).await?;
        if !person.active {
            return Ok(None);
        }
        let grants = store
            .roles_of(row.organisation_id, person_id)
            .await?
            .into_iter()
            .map(|(role, location_id)| RoleGrant { role, location_id })
            .collect();
        Ok(Some(Caller {
            session_id: row.id,
            display_name: person.display_name,
            tablet_location_id: row.tablet_location_id,
            actor: Actor {
                organisation_id: row.organisation_id,
                person_id,
                home_location_id: person.location_id,
                grants,
            },
        }))
    }

    /// The signed-in caller, or `Unauthenticated`.
    pub async fn caller(&self) -> Result<Caller, ApiError> {
        match self.session().await? {
            SessionState::Personal(_, caller) | SessionState::TabletActing(_, caller) => Ok(caller),
            SessionState::TabletIdle(_) | SessionState::None => Err(ApiError::SignInRequired),
        }
    }

    /// A plain HTML form post (no JavaScript): the answer should be a page, not JSON.
    pub fn plain_form_post(&self) -> bool {
        self.headers
            .get(axum::http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    }

    /// Was this request served over https (directly or behind a proxy that says so)?
    pub fn secure(&self) -> bool {
        self.state.secure_cookies
            || (self.state.trust_proxy
                && self
                    .headers
                    .get("x-forwarded-proto")
                    .and_then(|v| v.to_str().ok())
                    == Some("https"))
    }
}

/// The request and its signed-in caller, who must hold `role` (or a higher one) somewhere
/// in the organisation: how every role-gated server function starts.
pub async fn caller_with(role: Role) -> Result<(Request, Caller), ApiError> {
    let request = request().await?;
    let caller = request.caller().await?;
    caller.actor.require(role)?;
    Ok((request, caller))
}

/// The request and its caller, who must hold `role` (or higher) organisation-wide: how the
/// organisation-level functions (settings, locations, lists, the audit log) start.
pub async fn caller_org_wide(role: Role) -> Result<(Request, Caller), ApiError> {
    let request = request().await?;
    let caller = request.caller().await?;
    caller.actor.require_org_wide(role)?;
    Ok((request, caller))
}

//! Who is calling (server only). Every server function starts here: the session cookie is
//! looked up in the database, checked against its limits, and turned into a [`Caller`] with
//! the person's role grants. On a shared tablet the caller is the person whose PIN was
//! entered, until their turn goes idle.

use axum::http::HeaderMap;
use chrono::{DateTime, Utc};
use leptos::prelude::*;

use super::error::ApiError;
use crate::{auth::session, domain::org::Role, services::Actor, state::AppState};

/// The person on whose behalf a request runs: the use cases' [`Actor`] (who, where, which
/// grants) plus what only the web session knows.
#[derive(Clone, Debug)]
pub struct Caller {
    pub session_id: i64,
    pub display_name: String,
    /// Set when the request comes from a shared tablet.
    pub tablet_location_id: Option<i64>,
    /// On a shared tablet, the running turn's token (what entries queued offline carry).
    pub turn_token: Option<String>,
    /// On a shared tablet, the person entered their password during this turn (step-up).
    pub stepped_up: bool,
    pub actor: Actor,
}

impl std::ops::Deref for Caller {
    type Target = Actor;

    fn deref(&self) -> &Actor {
        &self.actor
    }
}

impl Caller {
    /// What an entry queued offline on this device is stamped with, on a shared tablet.
    pub fn turn_stamp(&self) -> Option<views::recoveries::TurnStamp> {
        self.turn_token
            .clone()
            .map(|token| views::recoveries::TurnStamp {
                token,
                person_id: self.actor.person_id,
                display_name: self.display_name.clone(),
            })
    }

    /// On a shared tablet, a PIN reaches the front line and approvals; anything beyond asks
    /// for the password first (`services::session::needs_password`).
    pub fn reaches(&self, reach: crate::services::session::Reach) -> Result<(), ApiError> {
        let on_tablet = self.tablet_location_id.is_some();
        if crate::services::session::needs_password(on_tablet, self.stepped_up, reach) {
            Err(ApiError::PasswordNeeded)
        } else {
            Ok(())
        }
    }

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
    /// Polling and live streams say so: they do not keep a tablet turn alive.
    pub activity: crate::services::session::Activity,
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
        activity: crate::services::session::Activity::Deliberate,
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

    /// The signed-in caller (the person acting, on a shared tablet), if any.
    pub async fn signed_in(&self) -> Result<Option<Caller>, ApiError> {
        use crate::services::session::{self, Session};
        let token = self.session_token();
        let session = session::current(
            &self.state.store,
            &self.state.session_limits,
            token,
            self.now,
            self.activity,
        )
        .await?;
        Ok(match session {
            Session::Personal(row, signed) | Session::TabletActing(row, signed) => Some(Caller {
                session_id: row.id,
                display_name: signed.display_name,
                tablet_location_id: row.tablet_location_id,
                turn_token: token.and_then(|t| session::running_turn_token(&row, t)),
                stepped_up: row.turn_stepped_up_at.is_some(),
                actor: signed.actor,
            }),
            Session::TabletIdle(_) | Session::None => None,
        })
    }

    /// The signed-in caller, or `Unauthenticated`.
    pub async fn caller(&self) -> Result<Caller, ApiError> {
        self.signed_in().await?.ok_or(ApiError::SignInRequired)
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
    caller.reaches(reach_of(role))?;
    Ok((request, caller))
}

/// What a function gated at `role` reaches: the front line for staff, beyond for the rest.
fn reach_of(role: Role) -> crate::services::session::Reach {
    use crate::services::session::Reach;
    if role == Role::Staff {
        Reach::FrontLine
    } else {
        Reach::Beyond
    }
}

/// The approval queue's and decisions' caller: a supervisor (or above), which a PIN turn on
/// a shared tablet reaches. `background`: the page asks by itself (a poll), which does not
/// keep a tablet turn alive.
pub async fn caller_for_approvals(background: bool) -> Result<(Request, Caller), ApiError> {
    let mut request = request().await?;
    if background {
        request.activity = crate::services::session::Activity::Background;
    }
    let caller = request.caller().await?;
    caller.actor.require(Role::Supervisor)?;
    caller.reaches(crate::services::session::Reach::Approvals)?;
    Ok((request, caller))
}

/// The request and its caller, who must hold `role` (or higher) organisation-wide: how the
/// organisation-level functions (settings, locations, lists, the audit log) start.
pub async fn caller_org_wide(role: Role) -> Result<(Request, Caller), ApiError> {
    let request = request().await?;
    let caller = request.caller().await?;
    caller.actor.require_org_wide(role)?;
    caller.reaches(reach_of(role))?;
    Ok((request, caller))
}

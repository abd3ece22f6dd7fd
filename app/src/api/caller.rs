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
        .map(|info| info.0.ip())
        .ok();
    let client = client_address(&state, &headers, peer);
    Ok(Request {
        state,
        headers,
        client,
        now: Utc::now(),
        activity: crate::services::session::Activity::Deliberate,
    })
}

/// The client's address, for throttling. Directly connected: the peer. Behind proxies
/// (`GOODWILL_TRUST_PROXY`, or the peer named in `GOODWILL_TRUSTED_PROXIES`): the right-most
/// `X-Forwarded-For` address that is not one of the trusted proxies — each proxy appends the
/// address it received from, so everything left of that was written by the client itself
/// and proves nothing.
pub fn client_address(
    state: &AppState,
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> String {
    forwarded_client(state.trust_proxy, &state.trusted_proxies, headers, peer)
}

fn forwarded_client(
    trust_peer: bool,
    proxies: &[std::net::IpAddr],
    headers: &HeaderMap,
    peer: Option<std::net::IpAddr>,
) -> String {
    let Some(peer) = peer else {
        return "unknown".to_string();
    };
    let trusted = |ip: &std::net::IpAddr| proxies.contains(ip);
    if !trust_peer && !trusted(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<&str> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .collect();
    for entry in forwarded.iter().rev() {
        match entry.parse::<std::net::IpAddr>() {
            Ok(ip) if trusted(&ip) => continue,
            Ok(ip) => return ip.to_string(),
            // Not an address: the chain is broken here; count it as the client.
            Err(_) => return entry.to_string(),
        }
    }
    peer.to_string()
}

impl Request {
    /// The organisation this device last signed in to (a cookie), if any.
    pub fn remembered_organisation(&self) -> Option<&str> {
        self.headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(session::organisation_from_cookie_header)
    }

    pub fn session_token(&self) -> Option<&str> {
        self.headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .find_map(|header| session::token_from_cookie_header(header, self.secure()))
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

#[cfg(test)]
mod tests {
    use super::forwarded_client;
    use axum::http::{HeaderMap, HeaderValue};
    use std::net::IpAddr;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_str(value).unwrap());
        }
        headers
    }

    #[test]
    fn a_direct_client_is_its_peer_whatever_it_claims() {
        let headers = forwarded(&["1.2.3.4"]);
        assert_eq!(
            forwarded_client(false, &[], &headers, Some(ip("9.9.9.9"))),
            "9.9.9.9"
        );
    }

    #[test]
    fn behind_a_proxy_the_right_most_untrusted_address_is_the_client() {
        // The client wrote "6.6.6.6" itself; the proxy appended the address it saw.
        let headers = forwarded(&["6.6.6.6, 203.0.113.7"]);
        let proxy = ip("10.0.0.2");
        assert_eq!(
            forwarded_client(true, &[], &headers, Some(proxy)),
            "203.0.113.7"
        );
        // Two proxies, both named: skipped from the right.
        let headers = forwarded(&["6.6.6.6", "203.0.113.7, 10.0.0.1"]);
        let proxies = [ip("10.0.0.1"), ip("10.0.0.2")];
        assert_eq!(
            forwarded_client(false, &proxies, &headers, Some(proxy)),
            "203.0.113.7"
        );
        // A peer that is not a named proxy is not believed.
        assert_eq!(
            forwarded_client(false, &proxies, &headers, Some(ip("8.8.8.8"))),
            "8.8.8.8"
        );
        // Nothing forwarded: the peer.
        assert_eq!(
            forwarded_client(true, &[], &HeaderMap::new(), Some(proxy)),
            "10.0.0.2"
        );
    }
}

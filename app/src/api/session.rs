//! Signing in and out, and the shared-tablet quick switch.
//!
//! Password sign-in: one generic "wrong username or password" for every failure, the same
//! argon2 work for unknown usernames (a dummy hash), throttling per person and per client.
//! Shared tablet: a supervisor signs a device in for a location; staff then tap their name
//! and enter their PIN to act as themselves until their turn goes idle.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use super::error::ApiError;
#[cfg(feature = "ssr")]
use crate::store::accounts::NewAuditEntry;

/// What the header and home page show about the current session.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Me {
    pub display_name: String,
    pub organisation_name: String,
    pub roles: Vec<String>,
    pub tablet_location: Option<String>,
    /// Locations where this person may set up a shared tablet.
    pub tablet_locations: Vec<(i64, String)>,
    pub is_admin: bool,
    /// Supervisors and above see the approval queue.
    pub can_approve: bool,
    /// Managers and leadership read the improvement queue and the monthly summary.
    pub can_read_summary: bool,
}

/// A shared tablet's picker.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Roster {
    pub location_name: String,
    pub people: Vec<RosterEntry>,
    pub acting: Option<RosterEntry>,
    /// Seconds of inactivity after which the tablet returns to the picker.
    pub turn_idle_seconds: i64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RosterEntry {
    pub person_id: i64,
    pub display_name: String,
    pub team: Option<String>,
}

pub const WRONG_CREDENTIALS: &str = "Wrong username or password.";
pub const WRONG_PIN: &str = "Wrong PIN.";

#[cfg(feature = "ssr")]
mod server {
    use axum::http::{header::SET_COOKIE, HeaderValue};
    use chrono::{DateTime, Utc};

    use super::*;
    use crate::{
        api::caller::{Request, SessionState},
        auth::{
            password::{self, Secret},
            session,
            throttle::{ThrottleRule, PER_CLIENT, PER_PERSON},
        },
        store::accounts::{AttemptKind, NewSession},
    };

    pub fn set_cookie(value: String) -> Result<(), ApiError> {
        let response = use_context::<leptos_axum::ResponseOptions>().ok_or(ApiError::Internal)?;
        response.append_header(
            SET_COOKIE,
            HeaderValue::from_str(&value).map_err(|_| ApiError::Internal)?,
        );
        Ok(())
    }

    /// Refuses an attempt while the person or the client is locked out.
    pub async fn check_throttle(request: &Request, person_id: Option<i64>) -> Result<(), ApiError> {
        let since = request.now - PER_PERSON.window.max(PER_CLIENT.window);
        let (person, client) = request
            .state
            .store
            .sign_in_failures_since(person_id, &request.client, since)
            .await?;
        let locked = |rule: &ThrottleRule, failures: &[DateTime<Utc>]| {
            rule.check(failures, request.now).err()
        };
        if let Some(until) = locked(&PER_PERSON, &person).max(locked(&PER_CLIENT, &client)) {
            let minutes = ((until - request.now).num_seconds() + 59).max(60) / 60;
            let at = until.format("%H:%M").to_string();
            return Err(ApiError::throttled(minutes, Some(&at)));
        }
        Ok(())
    }

    /// Starts a new session (a fresh token: sign-in always rotates) and sets its cookie.
    pub async fn start_session(
        request: &Request,
        organisation_id: i64,
        person_id: i64,
        tablet_location_id: Option<i64>,
    ) -> Result<(), ApiError> {
        let limits = &request.state.session_limits;
        let token = session::new_token();
        let lifetime = if tablet_location_id.is_some() {
            limits.tablet_absolute
        } else {
            limits.absolute
        };
        request
            .state
            .store
            .create_session(
                &NewSession {
                    token_hash: &session::token_hash(&token),
                    organisation_id,
                    person_id,
                    tablet_location_id,
                    client: &request.client,
                    expires_at: request.now + lifetime,
                },
                request.now,
            )
            .await?;
        set_cookie(session::cookie(&token, lifetime, request.secure()))
    }

    pub async fn sign_in(username: String, password: String) -> Result<(), ApiError> {
        let request = crate::api::caller::request().await?;
        let store = &request.state.store;
        if username.trim().is_empty() || password.is_empty() {
            return Err(ApiError::Validation(
                "Enter your username and password.".into(),
            ));
        }
        let credentials = store.credentials_by_username(&username).await?;
        check_throttle(&request, credentials.as_ref().map(|c| c.person_id)).await?;
        // Unknown users cost the same argon2 work as known ones, so timing says nothing.
        let stored = credentials
            .as_ref()
            .and_then(|c| c.password_hash.clone())
            .unwrap_or_else(|| request.state.dummy_hash.to_string());
        let verified = password::verify(Secret::new(password), stored).await;
        let person = match credentials {
            Some(c) if verified && c.active && c.password_hash.is_some() => c,
            other => {
                store
                    .record_sign_in_failure(
                        AttemptKind::Password,
                        other.map(|c| c.person_id),
                        &request.client,
                        request.now,
                    )
                    .await?;
                return Err(ApiError::WrongCredentials(WRONG_CREDENTIALS.into()));
            }
        };
        store.clear_sign_in_failures(person.person_id).await?;
        // Rotate: the session a previous cookie named (if any) ends here.
        if let SessionState::Personal(row, _)
        | SessionState::TabletActing(row, _)
        | SessionState::TabletIdle(row) = request.session().await?
        {
            store.revoke_session(row.id, request.now).await?;
        }
        start_session(&request, person.organisation_id, person.person_id, None).await?;
        tracing::info!(person_id = person.person_id, "signed in");
        leptos_axum::redirect("/");
        Ok(())
    }
}

#[server(endpoint = "sign-in")]
pub async fn sign_in(username: String, password: String) -> Result<(), ApiError> {
    server::sign_in(username, password).await
}

#[server(endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ApiError> {
    use crate::api::caller::SessionState;
    let request = crate::api::caller::request().await?;
    match request.session().await? {
        SessionState::Personal(row, _)
        | SessionState::TabletActing(row, _)
        | SessionState::TabletIdle(row) => {
            request
                .state
                .store
                .revoke_session(row.id, request.now)
                .await?;
        }
        SessionState::None => {}
    }
    server::set_cookie(crate::auth::session::clearing_cookie(request.secure()))?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Ends every session the caller signed in with, on every device.
#[server(endpoint = "sign-out-everywhere")]
pub async fn sign_out_everywhere() -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let caller = request.caller().await?;
    request
        .state
        .store
        .revoke_sessions_of(caller.organisation_id, caller.person_id, request.now)
        .await?;
    server::set_cookie(crate::auth::session::clearing_cookie(request.secure()))?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// The current session, for the header; `None` when nobody is signed in.
#[server(endpoint = "me")]
pub async fn who_am_i() -> Result<Option<Me>, ApiError> {
    use crate::{api::caller::SessionState, domain::org::Role};
    let request = crate::api::caller::request().await?;
    let store = &request.state.store;
    let (row, caller) = match request.session().await? {
        SessionState::None => return Ok(None),
        SessionState::TabletIdle(row) => (row, None),
        SessionState::Personal(row, caller) | SessionState::TabletActing(row, caller) => {
            (row, Some(caller))
        }
    };
    let organisation = store.organisation(row.organisation_id).await?;
    let locations = store.locations(row.organisation_id).await?;
    let location_name = |id: i64| {
        locations
            .iter()
            .find(|l| l.id == id)
            .map(|l| l.name.clone())
    };
    let tablet_location = row.tablet_location_id.and_then(location_name);
    Ok(Some(match caller {
        None => Me {
            display_name: String::new(),
            organisation_name: organisation.name,
            roles: Vec::new(),
            tablet_location,
            tablet_locations: Vec::new(),
            is_admin: false,
            can_approve: false,
            can_read_summary: false,
        },
        Some(caller) => Me {
            tablet_locations: if row.tablet_location_id.is_some() {
                Vec::new()
            } else {
                locations
                    .iter()
                    .filter(|l| caller.require_at(Role::Supervisor, l.id).is_ok())
                    .map(|l| (l.id, l.name.clone()))
                    .collect()
            },
            is_admin: caller.has(Role::Admin),
            can_approve: caller.has(Role::Supervisor),
            can_read_summary: caller.has(Role::Manager),
            roles: caller
                .grants
                .iter()
                .map(|g| g.role.as_str().to_string())
                .collect(),
            display_name: caller.display_name,
            organisation_name: organisation.name,
            tablet_location,
        },
    }))
}

/// Turns this device into the shared tablet of a location. Supervisors of that location
/// (and anyone above) may; the device's personal session ends and a tablet session starts.
#[server(endpoint = "set-up-tablet")]
pub async fn set_up_tablet(location_id: i64) -> Result<(), ApiError> {
    use crate::domain::org::Role;
    let request = crate::api::caller::request().await?;
    let caller = request.caller().await?;
    if caller.tablet_location_id.is_some() {
        return Err(ApiError::Validation(
            "This device is already a shared tablet.".into(),
        ));
    }
    let locations = request
        .state
        .store
        .locations(caller.organisation_id)
        .await?;
    if !locations.iter().any(|l| l.id == location_id) {
        return Err(ApiError::NotFound("location".into()));
    }
    caller.require_at(Role::Supervisor, location_id)?;
    request
        .state
        .store
        .revoke_session(caller.session_id, request.now)
        .await?;
    server::start_session(
        &request,
        caller.organisation_id,
        caller.person_id,
        Some(location_id),
    )
    .await?;
    request
        .state
        .store
        .audit(
            &NewAuditEntry {
                organisation_id: caller.organisation_id,
                actor_id: Some(caller.person_id),
                action: "tablet.set-up",
                subject: &format!("location:{location_id}"),
                before: None,
                after: None,
            },
            request.now,
        )
        .await?;
    leptos_axum::redirect("/tablet");
    Ok(())
}

/// The people who can take a turn on this tablet: the location's active staff.
#[server(endpoint = "tablet-roster")]
pub async fn tablet_roster() -> Result<Roster, ApiError> {
    use crate::api::caller::SessionState;
    let request = crate::api::caller::request().await?;
    let (row, acting) = match request.session().await? {
        SessionState::TabletIdle(row) => (row, None),
        SessionState::TabletActing(row, caller) => (row, Some(caller.person_id)),
        SessionState::Personal(..) => {
            return Err(ApiError::Validation(
                "This device is not a shared tablet.".into(),
            ))
        }
        SessionState::None => return Err(ApiError::SignInRequired),
    };
    let location_id = row.tablet_location_id.ok_or(ApiError::Internal)?;
    let store = &request.state.store;
    let locations = store.locations(row.organisation_id).await?;
    let teams = store.teams(row.organisation_id).await?;
    let people: Vec<RosterEntry> = store
        .people(row.organisation_id)
        .await?
        .into_iter()
        .filter(|p| p.active && p.location_id == location_id)
        .map(|p| RosterEntry {
            person_id: p.id,
            team: p.team_id.and_then(|t| {
                teams
                    .iter()
                    .find(|team| team.id == t)
                    .map(|team| team.name.clone())
            }),
            display_name: p.display_name,
        })
        .collect();
    Ok(Roster {
        location_name: locations
            .into_iter()
            .find(|l| l.id == location_id)
            .map(|l| l.name)
            .unwrap_or_default(),
        acting: acting.and_then(|id| people.iter().find(|p| p.person_id == id).cloned()),
        people,
        turn_idle_seconds: request.state.session_limits.tablet_turn_idle.num_seconds(),
    })
}

/// Starts a person's turn on the shared tablet after their PIN.
#[server(endpoint = "pin-switch")]
pub async fn pin_switch(person_id: i64, pin: String) -> Result<(), ApiError> {
    use crate::{
        api::caller::SessionState,
        auth::password::{self, Secret},
        store::accounts::AttemptKind,
    };
    let request = crate::api::caller::request().await?;
    let row = match request.session().await? {
        SessionState::TabletIdle(row) | SessionState::TabletActing(row, _) => row,
        SessionState::Personal(..) => {
            return Err(ApiError::Validation(
                "This device is not a shared tablet.".into(),
            ))
        }
        SessionState::None => return Err(ApiError::SignInRequired),
    };
    let store = &request.state.store;
    let credentials = store
        .credentials_of(row.organisation_id, person_id)
        .await?
        .filter(|c| c.active && Some(c.location_id) == row.tablet_location_id)
        .ok_or_else(|| ApiError::NotFound("person".into()))?;
    server::check_throttle(&request, Some(person_id)).await?;
    let stored = credentials
        .pin_hash
        .clone()
        .unwrap_or_else(|| request.state.dummy_hash.to_string());
    if !password::verify(Secret::new(pin), stored).await || credentials.pin_hash.is_none() {
        store
            .record_sign_in_failure(
                AttemptKind::Pin,
                Some(person_id),
                &request.client,
                request.now,
            )
            .await?;
        return Err(ApiError::WrongCredentials(WRONG_PIN.into()));
    }
    store.clear_sign_in_failures(person_id).await?;
    let until = request.now + request.state.session_limits.tablet_turn_idle;
    store
        .set_acting_person(row.id, Some((person_id, until)))
        .await?;
    leptos_axum::redirect("/tablet");
    Ok(())
}

/// Ends the current turn on the tablet: back to the picker.
#[server(endpoint = "end-turn")]
pub async fn end_turn() -> Result<(), ApiError> {
    use crate::api::caller::SessionState;
    let request = crate::api::caller::request().await?;
    match request.session().await? {
        SessionState::TabletIdle(row) | SessionState::TabletActing(row, _) => {
            request.state.store.set_acting_person(row.id, None).await?;
        }
        SessionState::Personal(..) => {
            return Err(ApiError::Validation(
                "This device is not a shared tablet.".into(),
            ))
        }
        SessionState::None => return Err(ApiError::SignInRequired),
    }
    leptos_axum::redirect("/tablet");
    Ok(())
}

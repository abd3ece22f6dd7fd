//! Signing in and out, and the shared-tablet quick switch.
//!
//! Password sign-in: one generic "wrong username or password" for every failure, the same
//! argon2 work for unknown usernames (a dummy hash), throttling per person and per client.
//! Shared tablet: a supervisor signs a device in for a location; staff then tap their name
//! and enter their PIN to act as themselves until their turn goes idle.
//!
//! The use cases are `services::session`; these server functions read the cookie and the
//! client's address, set or clear the cookie, and redirect.

use leptos::prelude::*;

use super::error::ApiError;
pub use views::session::{Me, Roster, RosterEntry, WRONG_CREDENTIALS, WRONG_PIN};

#[cfg(feature = "ssr")]
mod server {
    use axum::http::{header::SET_COOKIE, HeaderValue};
    use leptos::prelude::*;

    use super::ApiError;
    use crate::{
        api::caller::Request,
        auth::session::cookie,
        services::session::{Device, Settings, Started},
    };

    pub fn set_cookie(value: String) -> Result<(), ApiError> {
        let response = use_context::<leptos_axum::ResponseOptions>().ok_or(ApiError::Internal)?;
        response.append_header(
            SET_COOKIE,
            HeaderValue::from_str(&value).map_err(|_| ApiError::Internal)?,
        );
        Ok(())
    }

    /// Sets the cookie of a session just started.
    pub fn set_session_cookie(request: &Request, started: &Started) -> Result<(), ApiError> {
        set_cookie(cookie(&started.token, started.max_age, request.secure()))
    }

    /// The device the request comes from: the token its cookie carries and its address.
    pub fn device(request: &Request) -> Device<'_> {
        Device {
            token: request.session_token(),
            client: &request.client,
        }
    }

    /// The server's session lifetimes and dummy hash.
    pub fn settings(request: &Request) -> Settings<'_> {
        Settings {
            limits: request.state.session_limits,
            dummy_hash: &request.state.dummy_hash,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<crate::services::session::SessionError> for ApiError {
    fn from(error: crate::services::session::SessionError) -> Self {
        use crate::services::session::SessionError as S;
        match error {
            S::SignInRequired => ApiError::SignInRequired,
            S::WrongCredentials(message) => ApiError::WrongCredentials(message.to_string()),
            S::Throttled { minutes, at } => ApiError::throttled(minutes, Some(at.as_str())),
            S::Service(error) => error.into(),
        }
    }
}

/// Signs in with the organisation's short name, a username and a password (usernames are
/// unique within an organisation only). The device remembers the organisation.
#[server(endpoint = "sign-in")]
pub async fn sign_in(
    organisation: String,
    username: String,
    password: String,
) -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let started = crate::services::session::sign_in(
        &request.state.store,
        &server::settings(&request),
        &server::device(&request),
        &organisation,
        &username,
        password,
        request.now,
    )
    .await?;
    server::set_session_cookie(&request, &started)?;
    if let Some(remember) =
        crate::auth::session::organisation_cookie(&organisation, request.secure())
    {
        server::set_cookie(remember)?;
    }
    leptos_axum::redirect("/");
    Ok(())
}

/// The organisation this device last signed in to, to fill in the sign-in form.
#[server(endpoint = "remembered-organisation")]
pub async fn remembered_organisation() -> Result<String, ApiError> {
    let request = crate::api::caller::request().await?;
    Ok(request
        .remembered_organisation()
        .unwrap_or_default()
        .to_string())
}

#[server(endpoint = "sign-out")]
pub async fn sign_out() -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let (store, limits) = (&request.state.store, &request.state.session_limits);
    crate::services::session::sign_out(store, limits, request.session_token(), request.now).await?;
    server::set_cookie(crate::auth::session::clearing_cookie(request.secure()))?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// Ends every session the caller signed in with, on every device.
#[server(endpoint = "sign-out-everywhere")]
pub async fn sign_out_everywhere() -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let caller = request.caller().await?;
    crate::services::session::sign_out_everywhere(&request.state.store, &caller.actor, request.now)
        .await?;
    server::set_cookie(crate::auth::session::clearing_cookie(request.secure()))?;
    leptos_axum::redirect("/sign-in");
    Ok(())
}

/// The current session, for the header; `None` when nobody is signed in.
#[server(endpoint = "me")]
pub async fn who_am_i() -> Result<Option<Me>, ApiError> {
    let request = crate::api::caller::request().await?;
    let (store, limits) = (&request.state.store, &request.state.session_limits);
    Ok(crate::services::session::me(store, limits, request.session_token(), request.now).await?)
}

/// Turns this device into the shared tablet of a location. Supervisors of that location
/// (and anyone above) may; the device's personal session ends and a tablet session starts.
#[server(endpoint = "set-up-tablet")]
pub async fn set_up_tablet(location_id: i64) -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let started = crate::services::session::set_up_tablet(
        &request.state.store,
        &request.state.session_limits,
        &server::device(&request),
        location_id,
        request.now,
    )
    .await?;
    server::set_session_cookie(&request, &started)?;
    leptos_axum::redirect("/tablet");
    Ok(())
}

/// The people who can take a turn on this tablet: the location's active staff.
#[server(endpoint = "tablet-roster")]
pub async fn tablet_roster() -> Result<Roster, ApiError> {
    let request = crate::api::caller::request().await?;
    let (store, limits) = (&request.state.store, &request.state.session_limits);
    let token = request.session_token();
    Ok(crate::services::session::tablet_roster(store, limits, token, request.now).await?)
}

/// Starts a person's turn on the shared tablet after their PIN.
#[server(endpoint = "pin-switch")]
pub async fn pin_switch(person_id: i64, pin: String) -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    crate::services::session::pin_switch(
        &request.state.store,
        &server::settings(&request),
        &server::device(&request),
        person_id,
        pin,
        request.now,
    )
    .await?;
    leptos_axum::redirect("/tablet");
    Ok(())
}

/// The person at the tablet is still at it (tapping, typing) though the page has not asked
/// the server anything for a while: keeps their turn alive, as any deliberate request does.
#[server(endpoint = "still-here")]
pub async fn still_here() -> Result<(), ApiError> {
    crate::api::caller::request().await?.caller().await?;
    Ok(())
}

/// On a shared tablet, the acting person enters their password: the functions beyond the
/// front line and approvals open for the rest of their turn.
#[server(endpoint = "step-up")]
pub async fn step_up(password: String) -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let (settings, device) = (server::settings(&request), server::device(&request));
    crate::services::session::step_up(
        &request.state.store,
        &settings,
        &device,
        password,
        request.now,
    )
    .await?;
    Ok(())
}

/// Changes the caller's own password (signed in on their own device); their other sessions end.
#[server(endpoint = "change-password")]
pub async fn change_password(
    current_password: String,
    new_password: String,
) -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let (settings, device) = (server::settings(&request), server::device(&request));
    let store = &request.state.store;
    crate::services::session::change_password(
        store,
        &settings,
        &device,
        current_password,
        new_password,
        request.now,
    )
    .await?;
    Ok(())
}

/// Sets the caller's own tablet PIN, confirmed with their password.
#[server(endpoint = "change-pin")]
pub async fn change_pin(current_password: String, new_pin: String) -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let (settings, device) = (server::settings(&request), server::device(&request));
    let store = &request.state.store;
    crate::services::session::change_pin(
        store,
        &settings,
        &device,
        current_password,
        new_pin,
        request.now,
    )
    .await?;
    Ok(())
}

/// Ends the current turn on the tablet: back to the picker.
#[server(endpoint = "end-turn")]
pub async fn end_turn() -> Result<(), ApiError> {
    let request = crate::api::caller::request().await?;
    let (store, limits) = (&request.state.store, &request.state.session_limits);
    let device = server::device(&request);
    crate::services::session::end_turn(store, limits, &device, request.now).await?;
    leptos_axum::redirect("/tablet");
    Ok(())
}

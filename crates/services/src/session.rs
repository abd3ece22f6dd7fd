//! Signing in and out, and the shared-tablet quick switch.
//!
//! Password sign-in: one generic "wrong username or password" for every failure, the same
//! argon2 work for unknown usernames (a dummy hash), throttling per person and per client.
//! Shared tablet: a supervisor signs a device in for a location; staff then tap their name
//! and enter their PIN to act as themselves until their turn goes idle.
//!
//! The web layer reads the cookie and the client's address and hands them in as a
//! [`Device`]; it sets or clears the cookie with what these use cases answer ([`Started`]).
//! What a session token amounts to is [`current`].

use chrono::{DateTime, Duration, Utc};
use domain::org::Role;
use store::{
    accounts::{AttemptKind, NewSession, SessionRow},
    Store, StoreError,
};
use views::session::{Me, Roster, RosterEntry, WRONG_CREDENTIALS, WRONG_PIN};

use crate::{
    auth::{
        password::{self, Secret},
        session::{is_live, new_token, token_hash, SessionLimits},
        throttle::{ThrottleRule, PER_CLIENT, PER_PERSON},
    },
    Actor, ServiceError,
};

/// Why a session use case did not succeed: what only signing in can answer, or a use-case
/// error like any other.
#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    /// Nobody is signed in on this device (or only an idle shared tablet).
    #[error("Please sign in.")]
    SignInRequired,
    /// Wrong username/password or PIN: one message whatever was wrong
    /// ([`WRONG_CREDENTIALS`] or [`WRONG_PIN`]).
    #[error("{0}")]
    WrongCredentials(&'static str),
    /// Too many wrong attempts: try again in `minutes`, at `at` (a UTC clock time `HH:MM`).
    #[error("too many wrong attempts; try again in {minutes} minutes (at {at} UTC)")]
    Throttled { minutes: i64, at: String },
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<StoreError> for SessionError {
    fn from(error: StoreError) -> Self {
        SessionError::Service(error.into())
    }
}

/// The device a request comes from, as the web layer reads it.
#[derive(Clone, Copy)]
pub struct Device<'a> {
    /// The session token the device's cookie carries, if any.
    pub token: Option<&'a str>,
    /// The client's address, for throttling and the session row.
    pub client: &'a str,
}

/// The server's session settings.
#[derive(Clone, Copy)]
pub struct Settings<'a> {
    pub limits: SessionLimits,
    /// An argon2id hash of a random secret, verified against when a username (or a PIN) is
    /// unknown so that a failed attempt takes the same time either way.
    pub dummy_hash: &'a str,
}

/// A session just started: the token for the cookie and how long the cookie lives.
pub struct Started {
    pub token: String,
    pub max_age: Duration,
}

/// A person acting in a session.
#[derive(Clone, Debug)]
pub struct Signed {
    pub display_name: String,
    pub actor: Actor,
}

/// What a session token amounts to.
#[derive(Clone, Debug)]
pub enum Session {
    None,
    Personal(SessionRow, Signed),
    /// A shared tablet with nobody's turn running: only the picker is available.
    TabletIdle(SessionRow),
    TabletActing(SessionRow, Signed),
}

/// The session a token names at `now`: looked up by the token's hash and checked against
/// its limits. Keeps the session (and a tablet turn) alive. On a shared tablet the person
/// is the one whose PIN was entered, until their turn goes idle.
pub async fn current(
    store: &Store,
    limits: &SessionLimits,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Session, ServiceError> {
    let Some(token) = token else {
        return Ok(Session::None);
    };
    let Some(row) = store.session_by_token_hash(&token_hash(token)).await? else {
        return Ok(Session::None);
    };
    let tablet = row.tablet_location_id.is_some();
    if !is_live(
        limits,
        tablet,
        row.last_seen_at,
        row.expires_at,
        row.revoked_at.is_some(),
        now,
    ) {
        return Ok(Session::None);
    }
    // Writing last_seen on every request would make every read a write; once a minute is
    // precise enough for an idle limit measured in hours.
    if now - row.last_seen_at > Duration::minutes(1) {
        store.touch_session(row.id, now).await?;
    }
    if tablet {
        let acting = match (row.acting_person_id, row.acting_until) {
            (Some(person_id), Some(until)) if until > now => Some(person_id),
            _ => None,
        };
        return match acting {
            Some(person_id) => {
                // Each action keeps the turn alive.
                let until = now + limits.tablet_turn_idle;
                store
                    .set_acting_person(row.id, Some((person_id, until)))
                    .await?;
                match signed(store, &row, person_id).await? {
                    Some(signed) => Ok(Session::TabletActing(row, signed)),
                    None => Ok(Session::TabletIdle(row)),
                }
            }
            None => Ok(Session::TabletIdle(row)),
        };
    }
    match signed(store, &row, row.person_id).await? {
        Some(signed) => Ok(Session::Personal(row, signed)),
        None => Ok(Session::None),
    }
}

/// A person of the session's organisation with their grants, or None if deactivated.
async fn signed(
    store: &Store,
    row: &SessionRow,
    person_id: i64,
) -> Result<Option<Signed>, ServiceError> {
    let person = store.person(row.organisation_id, person_id).await?;
    if !person.active {
        return Ok(None);
    }
    let grants = store.grants_of(row.organisation_id, person_id).await?;
    Ok(Some(Signed {
        display_name: person.display_name,
        actor: Actor {
            organisation_id: row.organisation_id,
            person_id,
            home_location_id: person.location_id,
            grants,
        },
    }))
}

/// Refuses an attempt while the person or the client is locked out.
async fn check_throttle(
    store: &Store,
    client: &str,
    person_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let since = now - PER_PERSON.window.max(PER_CLIENT.window);
    let (of_person, of_client) = store
        .sign_in_failures_since(person_id, client, since)
        .await?;
    let locked = |rule: &ThrottleRule, failures: &[DateTime<Utc>]| rule.check(failures, now).err();
    if let Some(until) = locked(&PER_PERSON, &of_person).max(locked(&PER_CLIENT, &of_client)) {
        let minutes = ((until - now).num_seconds() + 59).max(60) / 60;
        let at = until.format("%H:%M").to_string();
        return Err(SessionError::Throttled { minutes, at });
    }
    Ok(())
}

/// Starts a new session (a fresh token: sign-in always rotates); the caller sets its cookie.
async fn start(
    store: &Store,
    limits: &SessionLimits,
    client: &str,
    organisation_id: i64,
    person_id: i64,
    tablet_location_id: Option<i64>,
    now: DateTime<Utc>,
) -> Result<Started, ServiceError> {
    let token = new_token();
    let lifetime = if tablet_location_id.is_some() {
        limits.tablet_absolute
    } else {
        limits.absolute
    };
    store
        .create_session(
            &NewSession {
                token_hash: &token_hash(&token),
                organisation_id,
                person_id,
                tablet_location_id,
                client,
                expires_at: now + lifetime,
            },
            now,
        )
        .await?;
    Ok(Started {
        token,
        max_age: lifetime,
    })
}

/// The session state of a shared tablet: refuses a personal session and a signed-out device.
fn tablet(session: Session) -> Result<(SessionRow, Option<Signed>), SessionError> {
    match session {
        Session::TabletIdle(row) => Ok((row, None)),
        Session::TabletActing(row, signed) => Ok((row, Some(signed))),
        Session::Personal(..) => {
            Err(ServiceError::Invalid("This device is not a shared tablet.".into()).into())
        }
        Session::None => Err(SessionError::SignInRequired),
    }
}

/// Signs a person in with their username and password and starts a personal session; the
/// session the device's cookie named before (if any) ends.
#[tracing::instrument(name = "session::sign_in", skip_all)]
pub async fn sign_in(
    store: &Store,
    settings: &Settings<'_>,
    device: &Device<'_>,
    username: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<Started, SessionError> {
    if username.trim().is_empty() || password.is_empty() {
        return Err(ServiceError::Invalid("Enter your username and password.".into()).into());
    }
    let credentials = store.credentials_by_username(username).await?;
    check_throttle(
        store,
        device.client,
        credentials.as_ref().map(|c| c.person_id),
        now,
    )
    .await?;
    // Unknown users cost the same argon2 work as known ones, so timing says nothing.
    let stored = credentials
        .as_ref()
        .and_then(|c| c.password_hash.clone())
        .unwrap_or_else(|| settings.dummy_hash.to_string());
    let verified = password::verify(Secret::new(password), stored).await;
    let person = match credentials {
        Some(c) if verified && c.active && c.password_hash.is_some() => c,
        other => {
            store
                .record_sign_in_failure(
                    AttemptKind::Password,
                    other.map(|c| c.person_id),
                    device.client,
                    now,
                )
                .await?;
            return Err(SessionError::WrongCredentials(WRONG_CREDENTIALS));
        }
    };
    store.clear_sign_in_failures(person.person_id).await?;
    // Rotate: the session a previous cookie named (if any) ends here.
    if let Session::Personal(row, _) | Session::TabletActing(row, _) | Session::TabletIdle(row) =
        current(store, &settings.limits, device.token, now).await?
    {
        store.revoke_session(row.id, now).await?;
    }
    let started = start(
        store,
        &settings.limits,
        device.client,
        person.organisation_id,
        person.person_id,
        None,
        now,
    )
    .await?;
    tracing::info!(person_id = person.person_id, "signed in");
    Ok(started)
}

/// Ends the session the device's cookie names, if it is still running.
#[tracing::instrument(name = "session::sign_out", skip_all)]
pub async fn sign_out(
    store: &Store,
    limits: &SessionLimits,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    if let Session::Personal(row, _) | Session::TabletActing(row, _) | Session::TabletIdle(row) =
        current(store, limits, token, now).await?
    {
        store.revoke_session(row.id, now).await?;
    }
    Ok(())
}

/// Ends every session the actor signed in with, on every device.
#[tracing::instrument(name = "session::sign_out_everywhere", skip_all, fields(organisation = actor.organisation_id, actor = actor.person_id))]
pub async fn sign_out_everywhere(
    store: &Store,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<(), ServiceError> {
    store
        .revoke_sessions_of(actor.organisation_id, actor.person_id, now)
        .await?;
    Ok(())
}

/// The current session, for the header; `None` when nobody is signed in.
#[tracing::instrument(name = "session::me", skip_all)]
pub async fn me(
    store: &Store,
    limits: &SessionLimits,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Option<Me>, ServiceError> {
    let (row, signed) = match current(store, limits, token, now).await? {
        Session::None => return Ok(None),
        Session::TabletIdle(row) => (row, None),
        Session::Personal(row, signed) | Session::TabletActing(row, signed) => (row, Some(signed)),
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
    Ok(Some(match signed {
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
        Some(signed) => {
            let access = signed.actor.access();
            Me {
                tablet_locations: if row.tablet_location_id.is_some() {
                    Vec::new()
                } else {
                    locations
                        .iter()
                        .filter(|l| access.at(Role::Supervisor, l.id))
                        .map(|l| (l.id, l.name.clone()))
                        .collect()
                },
                is_admin: access.anywhere(Role::Admin),
                can_approve: access.anywhere(Role::Supervisor),
                can_read_summary: access.anywhere(Role::Manager),
                roles: signed
                    .actor
                    .grants
                    .iter()
                    .map(|g| g.role.as_str().to_string())
                    .collect(),
                display_name: signed.display_name,
                organisation_name: organisation.name,
                tablet_location,
            }
        }
    }))
}

/// Turns the device into the shared tablet of a location. Supervisors of that location
/// (and anyone above) may; the device's personal session ends and a tablet session starts.
#[tracing::instrument(name = "session::set_up_tablet", skip_all, fields(location = location_id))]
pub async fn set_up_tablet(
    store: &Store,
    limits: &SessionLimits,
    device: &Device<'_>,
    location_id: i64,
    now: DateTime<Utc>,
) -> Result<Started, SessionError> {
    let (row, signed) = match current(store, limits, device.token, now).await? {
        Session::Personal(row, signed) | Session::TabletActing(row, signed) => (row, signed),
        Session::TabletIdle(_) | Session::None => return Err(SessionError::SignInRequired),
    };
    let actor = &signed.actor;
    if row.tablet_location_id.is_some() {
        return Err(ServiceError::Invalid("This device is already a shared tablet.".into()).into());
    }
    let locations = store.locations(actor.organisation_id).await?;
    if !locations.iter().any(|l| l.id == location_id) {
        return Err(ServiceError::NotFound("location").into());
    }
    if !actor.access().at(Role::Supervisor, location_id) {
        return Err(ServiceError::Forbidden.into());
    }
    store.revoke_session(row.id, now).await?;
    let started = start(
        store,
        limits,
        device.client,
        actor.organisation_id,
        actor.person_id,
        Some(location_id),
        now,
    )
    .await?;
    crate::audit::record(
        store,
        actor,
        "tablet.set-up",
        &format!("location:{location_id}"),
        None,
        None,
        now,
    )
    .await?;
    Ok(started)
}

/// The people who can take a turn on this tablet: the location's active staff.
#[tracing::instrument(name = "session::tablet_roster", skip_all)]
pub async fn tablet_roster(
    store: &Store,
    limits: &SessionLimits,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<Roster, SessionError> {
    let (row, acting) = tablet(current(store, limits, token, now).await?)?;
    let acting = acting.map(|signed| signed.actor.person_id);
    let location_id = row
        .tablet_location_id
        .ok_or_else(|| ServiceError::Internal("a tablet session without a location".into()))?;
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
        turn_idle_seconds: limits.tablet_turn_idle.num_seconds(),
    })
}

/// Starts a person's turn on the shared tablet after their PIN. Only the tablet location's
/// active people may take a turn; anyone else reads as not found.
#[tracing::instrument(name = "session::pin_switch", skip_all, fields(person = person_id))]
pub async fn pin_switch(
    store: &Store,
    settings: &Settings<'_>,
    device: &Device<'_>,
    person_id: i64,
    pin: String,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let (row, _) = tablet(current(store, &settings.limits, device.token, now).await?)?;
    let credentials = store
        .credentials_of(row.organisation_id, person_id)
        .await?
        .filter(|c| c.active && Some(c.location_id) == row.tablet_location_id)
        .ok_or(ServiceError::NotFound("person"))?;
    check_throttle(store, device.client, Some(person_id), now).await?;
    let stored = credentials
        .pin_hash
        .clone()
        .unwrap_or_else(|| settings.dummy_hash.to_string());
    if !password::verify(Secret::new(pin), stored).await || credentials.pin_hash.is_none() {
        store
            .record_sign_in_failure(AttemptKind::Pin, Some(person_id), device.client, now)
            .await?;
        return Err(SessionError::WrongCredentials(WRONG_PIN));
    }
    store.clear_sign_in_failures(person_id).await?;
    let until = now + settings.limits.tablet_turn_idle;
    store
        .set_acting_person(row.id, Some((person_id, until)))
        .await?;
    Ok(())
}

/// Ends the current turn on the tablet: back to the picker.
#[tracing::instrument(name = "session::end_turn", skip_all)]
pub async fn end_turn(
    store: &Store,
    limits: &SessionLimits,
    token: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let (row, _) = tablet(current(store, limits, token, now).await?)?;
    store.set_acting_person(row.id, None).await?;
    Ok(())
}

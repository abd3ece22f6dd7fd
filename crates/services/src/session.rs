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
    accounts::{AttemptKind, NewSession, NewTurn, SessionRow},
    security::{AttemptKeys, Reservation, SecurityEvent},
    Store, StoreError,
};
use views::session::{Me, Roster, RosterEntry, WRONG_CREDENTIALS, WRONG_PIN};

use crate::{
    auth::{
        password::{self, Secret},
        session::{is_live, new_token, token_hash, turn_token, SessionLimits},
        throttle::{password_keys, pin_keys, Rules, LONGEST_WINDOW},
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

/// Whether a request is something the person did (a page, a form, a tap) or something the
/// page does by itself (polling, a live stream, a background refresh). Only deliberate
/// requests keep a tablet turn alive.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Activity {
    Deliberate,
    Background,
}

/// A turn's idle end is written again only when it moves by more than this: a tap every
/// second would otherwise write every second.
const TURN_EXTENSION_STEP: Duration = Duration::seconds(10);

/// The session a token names at `now`: looked up by the token's hash and checked against
/// its limits. Keeps the session alive; a deliberate request also keeps a tablet turn alive
/// (never past the turn's longest end). On a shared tablet the person is the one whose PIN
/// was entered, until their turn goes idle, reaches its longest end, or is ended.
pub async fn current(
    store: &Store,
    limits: &SessionLimits,
    token: Option<&str>,
    now: DateTime<Utc>,
    activity: Activity,
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
        let turn = match (
            row.turn_id,
            row.acting_person_id,
            row.acting_until,
            row.turn_ends_at,
        ) {
            (Some(turn), Some(person), Some(until), Some(ends)) if until > now && ends > now => {
                Some((turn, person, until, ends))
            }
            _ => None,
        };
        let Some((turn_id, person_id, until, ends)) = turn else {
            return Ok(Session::TabletIdle(row));
        };
        let extended = (now + limits.tablet_turn_idle).min(ends);
        if activity == Activity::Deliberate && extended - until > TURN_EXTENSION_STEP {
            store.extend_turn(turn_id, extended).await?;
        }
        return match signed(store, &row, person_id).await? {
            Some(signed) => Ok(Session::TabletActing(row, signed)),
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
    signed_by_id(store, row.organisation_id, person_id).await
}

/// A person of an organisation with their grants, or None if deactivated.
async fn signed_by_id(
    store: &Store,
    organisation_id: i64,
    person_id: i64,
) -> Result<Option<Signed>, ServiceError> {
    let person = store.person(organisation_id, person_id).await?;
    if !person.active {
        return Ok(None);
    }
    let grants = store.grants_of(organisation_id, person_id).await?;
    Ok(Some(Signed {
        display_name: person.display_name,
        actor: Actor {
            organisation_id,
            person_id,
            home_location_id: person.location_id,
            grants,
        },
    }))
}

/// Reserves an attempt (see `store::security`), or refuses it while its subject or device
/// is throttled; a refusal goes to the security log.
async fn reserve(
    store: &Store,
    kind: AttemptKind,
    keys: &AttemptKeys,
    who: (Option<i64>, Option<i64>),
    client: &str,
    now: DateTime<Utc>,
) -> Result<i64, SessionError> {
    let rules = match kind {
        AttemptKind::Password => Rules::Password,
        AttemptKind::Pin => Rules::Pin,
    };
    let reservation = store
        .reserve_attempt(kind, keys, now - LONGEST_WINDOW, now, |history| {
            rules.decide(history, now)
        })
        .await?;
    match reservation {
        Reservation::Reserved(id) => Ok(id),
        Reservation::Refused(until) => {
            let kind = match kind {
                AttemptKind::Password => "sign-in-refused",
                AttemptKind::Pin => "pin-refused",
            };
            log_event(store, who, kind, &keys.subject, client, now).await?;
            let minutes = ((until - now).num_seconds() + 59).max(60) / 60;
            let at = until.format("%H:%M").to_string();
            Err(SessionError::Throttled { minutes, at })
        }
    }
}

/// One attempt at a password or PIN, as it appears to the throttle.
struct Attempt<'a> {
    kind: AttemptKind,
    keys: &'a AttemptKeys,
    /// The organisation and person, where known (for the security log).
    who: (Option<i64>, Option<i64>),
    client: &'a str,
}

/// Evaluates one attempt: reserves it (refused while its subject or device is throttled),
/// runs argon2 on `secret` against `stored`, and records the outcome. Where nothing is stored
/// (an unknown person, no PIN set) the dummy hash is verified instead, so a failure takes the
/// same time either way, and the answer is false. A busy hashing pool cancels the
/// reservation: an attempt never evaluated counts neither way.
async fn evaluate(
    store: &Store,
    dummy_hash: &str,
    attempt: &Attempt<'_>,
    secret: String,
    stored: Option<String>,
    now: DateTime<Utc>,
) -> Result<bool, SessionError> {
    let id = reserve(
        store,
        attempt.kind,
        attempt.keys,
        attempt.who,
        attempt.client,
        now,
    )
    .await?;
    let known = stored.is_some();
    let hash = stored.unwrap_or_else(|| dummy_hash.to_string());
    let verified = match password::verify(Secret::new(secret), hash).await {
        Ok(verified) => verified && known,
        Err(busy) => {
            store.cancel_attempt(id).await?;
            return Err(ServiceError::from(busy).into());
        }
    };
    store.finish_attempt(id, verified).await?;
    Ok(verified)
}

/// Appends to the security log. `who`: the organisation and person, where known.
async fn log_event(
    store: &Store,
    (organisation_id, person_id): (Option<i64>, Option<i64>),
    kind: &str,
    subject: &str,
    client: &str,
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    store
        .record_security_event(&SecurityEvent {
            organisation_id,
            person_id,
            kind,
            subject,
            client,
            at,
        })
        .await
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
    organisation: &str,
    username: &str,
    password: String,
    now: DateTime<Utc>,
) -> Result<Started, SessionError> {
    if organisation.trim().is_empty() || username.trim().is_empty() || password.is_empty() {
        return Err(ServiceError::Invalid(
            "Enter your organisation, username and password.".into(),
        )
        .into());
    }
    // The attempt is counted against what was typed, known or not: an unknown organisation
    // or username is throttled, timed and answered exactly like a known one.
    let keys = password_keys(organisation, username, device.client);
    let credentials = store
        .credentials_by_username(organisation, username)
        .await?;
    let who = credentials.as_ref().map_or((None, None), |c| {
        (Some(c.organisation_id), Some(c.person_id))
    });
    // Unknown users cost the same argon2 work as known ones, so timing says nothing.
    let attempt = Attempt {
        kind: AttemptKind::Password,
        keys: &keys,
        who,
        client: device.client,
    };
    let stored = credentials.as_ref().and_then(|c| c.password_hash.clone());
    let verified = evaluate(store, settings.dummy_hash, &attempt, password, stored, now).await?;
    let person = match credentials {
        Some(c) if verified && c.active => c,
        _ => {
            log_event(
                store,
                who,
                "sign-in-failed",
                &keys.subject,
                device.client,
                now,
            )
            .await?;
            return Err(SessionError::WrongCredentials(WRONG_CREDENTIALS));
        }
    };
    log_event(store, who, "sign-in", &keys.subject, device.client, now).await?;
    // Rotate: the session a previous cookie named (if any) ends here.
    if let Session::Personal(row, _) | Session::TabletActing(row, _) | Session::TabletIdle(row) =
        current(
            store,
            &settings.limits,
            device.token,
            now,
            Activity::Background,
        )
        .await?
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
        current(store, limits, token, now, Activity::Background).await?
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
    let (row, signed) = match current(store, limits, token, now, Activity::Background).await? {
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
            turn_idle_seconds: 0,
            password_unlocks_more: false,
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
                password_unlocks_more: tablet_location.is_some()
                    && row.turn_stepped_up_at.is_none()
                    && signed.actor.grants.iter().any(|g| g.role > Role::Staff),
                turn_idle_seconds: if tablet_location.is_some() {
                    limits.tablet_turn_idle.num_seconds()
                } else {
                    0
                },
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
    let (row, signed) =
        match current(store, limits, device.token, now, Activity::Deliberate).await? {
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
    let (row, acting) = tablet(current(store, limits, token, now, Activity::Background).await?)?;
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
    })
}

/// Starts a person's turn on the shared tablet after their PIN; the turn running before it
/// ends. Only the tablet location's active people with a PIN may take a turn; any other id
/// is answered exactly like a wrong PIN (and counted like one), so the tablet cannot be
/// used to probe who exists elsewhere.
#[tracing::instrument(name = "session::pin_switch", skip_all, fields(person = person_id))]
pub async fn pin_switch(
    store: &Store,
    settings: &Settings<'_>,
    device: &Device<'_>,
    person_id: i64,
    pin: String,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let session = current(
        store,
        &settings.limits,
        device.token,
        now,
        Activity::Deliberate,
    )
    .await?;
    let (row, _) = tablet(session)?;
    let location_id = row
        .tablet_location_id
        .ok_or_else(|| ServiceError::Internal("a tablet session without a location".into()))?;
    let keys = pin_keys(person_id, &format!("tablet:{}", row.id));
    let credentials = store
        .credentials_of(row.organisation_id, person_id)
        .await?
        .filter(|c| c.active && c.location_id == location_id && c.pin_hash.is_some());
    let who = (
        Some(row.organisation_id),
        credentials.as_ref().map(|c| c.person_id),
    );
    let attempt = Attempt {
        kind: AttemptKind::Pin,
        keys: &keys,
        who,
        client: device.client,
    };
    let stored = credentials.as_ref().and_then(|c| c.pin_hash.clone());
    let verified = evaluate(store, settings.dummy_hash, &attempt, pin, stored, now).await?;
    if !verified {
        log_event(store, who, "pin-failed", &keys.subject, device.client, now).await?;
        return Err(SessionError::WrongCredentials(WRONG_PIN));
    }
    let token = device.token.ok_or(SessionError::SignInRequired)?;
    let salt = new_token();
    store
        .start_turn(
            &NewTurn {
                session_id: row.id,
                organisation_id: row.organisation_id,
                location_id,
                person_id,
                token_hash: &token_hash(&turn_token(token, &salt)),
                salt: &salt,
                active_until: now + settings.limits.tablet_turn_idle,
                ends_at: now + settings.limits.tablet_turn_max,
            },
            now,
        )
        .await?;
    log_event(store, who, "pin-turn", &keys.subject, device.client, now).await?;
    Ok(())
}

/// The running turn's token on a tablet session, for stamping what the person logs while
/// offline (see [`crate::front_line::log_deferred`]).
pub fn running_turn_token(row: &SessionRow, session_token: &str) -> Option<String> {
    row.turn_salt
        .as_deref()
        .map(|salt| turn_token(session_token, salt))
}

/// Ends the current turn on the tablet: back to the picker.
#[tracing::instrument(name = "session::end_turn", skip_all)]
pub async fn end_turn(
    store: &Store,
    limits: &SessionLimits,
    device: &Device<'_>,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let (row, acting) =
        tablet(current(store, limits, device.token, now, Activity::Background).await?)?;
    store.end_turn(row.id, now).await?;
    if let Some(signed) = acting {
        let subject = format!("person:{}", signed.actor.person_id);
        let who = (Some(row.organisation_id), Some(signed.actor.person_id));
        log_event(store, who, "turn-ended", &subject, device.client, now).await?;
    }
    Ok(())
}

/// Who a deferred entry (captured while the device was offline, sent later) is recorded for.
///
/// From a shared tablet: the person whose turn the entry's `turn_token` names, if that turn
/// was on a tablet of this device's organisation and location and covered `captured_at`
/// (see [`domain::turns`]) — whether that person, someone else or nobody holds the tablet
/// now. From a personal device: the signed-in person, and only for entries without a turn.
/// Anything else is refused for good (it will never be recorded for anyone); a device with
/// no live session is asked to sign in, and the entry waits.
pub async fn deferred_actor(
    store: &Store,
    limits: &SessionLimits,
    token: Option<&str>,
    turn_token: &str,
    captured_at: &str,
    now: DateTime<Utc>,
) -> Result<Signed, SessionError> {
    let refused = |why: &str| SessionError::Service(ServiceError::Invalid(why.to_string()));
    let (row, signed) = match current(store, limits, token, now, Activity::Background).await? {
        Session::None => return Err(SessionError::SignInRequired),
        Session::Personal(row, signed) => (row, Some(signed)),
        Session::TabletIdle(row) | Session::TabletActing(row, _) => (row, None),
    };
    let turn_token = turn_token.trim();
    let Some(location_id) = row.tablet_location_id else {
        // A personal device: its entries are the signed-in person's own.
        return match (signed, turn_token.is_empty()) {
            (Some(signed), true) => Ok(signed),
            _ => Err(refused(
                "This entry was captured on a shared tablet; send it from there.",
            )),
        };
    };
    let captured_at = DateTime::parse_from_rfc3339(captured_at.trim())
        .map_err(|_| refused("This entry's capture time cannot be read."))?
        .with_timezone(&Utc);
    let turn = match store.turn_by_token_hash(&token_hash(turn_token)).await? {
        Some(turn)
            if turn.organisation_id == row.organisation_id && turn.location_id == location_id =>
        {
            turn
        }
        _ => return Err(refused("This entry belongs to no turn on this tablet.")),
    };
    let span = domain::turns::TurnSpan {
        started_at: turn.started_at,
        ends_at: turn.ends_at,
        ended_at: turn.ended_at,
    };
    if !span.covers(captured_at) {
        return Err(refused(
            "This entry was captured outside its person's turn on this tablet.",
        ));
    }
    signed_by_id(store, row.organisation_id, turn.person_id)
        .await?
        .ok_or_else(|| refused("The person who captured this entry is no longer active."))
}

/// How far a request reaches, as far as a shared tablet is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reach {
    /// Logging, today, my log, follow-ups.
    FrontLine,
    /// A supervisor's approval queue and decisions.
    Approvals,
    /// Everything else a role allows: the console, budgets, improvement items, the summary,
    /// administration, one's own password.
    Beyond,
}

/// A 4-digit PIN on a shared device opens the front line and a supervisor's approvals;
/// anything beyond asks for the person's password first (step-up, for the rest of the turn).
pub fn needs_password(on_tablet: bool, stepped_up: bool, reach: Reach) -> bool {
    on_tablet && !stepped_up && reach == Reach::Beyond
}

/// Checks the acting person's password for `purpose` (throttled like a sign-in, counted per
/// person and device) and answers their credentials.
async fn confirm_password(
    store: &Store,
    dummy_hash: &str,
    device: &Device<'_>,
    device_key: String,
    signed: &Signed,
    password: String,
    now: DateTime<Utc>,
) -> Result<store::accounts::Credentials, SessionError> {
    let actor = &signed.actor;
    let credentials = store
        .credentials_of(actor.organisation_id, actor.person_id)
        .await?
        .ok_or(ServiceError::NotFound("person"))?;
    let keys = AttemptKeys {
        subject: crate::auth::throttle::password_subject(
            &credentials.organisation_slug,
            &credentials.username,
        ),
        device: device_key,
    };
    let who = (Some(actor.organisation_id), Some(actor.person_id));
    let attempt = Attempt {
        kind: AttemptKind::Password,
        keys: &keys,
        who,
        client: device.client,
    };
    let stored = credentials.password_hash.clone();
    let verified = evaluate(store, dummy_hash, &attempt, password, stored, now).await?;
    if !verified {
        log_event(
            store,
            who,
            "password-failed",
            &keys.subject,
            device.client,
            now,
        )
        .await?;
        return Err(SessionError::WrongCredentials(WRONG_CREDENTIALS));
    }
    Ok(credentials)
}

/// On a shared tablet, the acting person enters their password: for the rest of their turn
/// the functions beyond the front line and approvals open (see [`needs_password`]).
#[tracing::instrument(name = "session::step_up", skip_all)]
pub async fn step_up(
    store: &Store,
    settings: &Settings<'_>,
    device: &Device<'_>,
    password: String,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let session = current(
        store,
        &settings.limits,
        device.token,
        now,
        Activity::Deliberate,
    )
    .await?;
    let (row, signed) = match session {
        Session::TabletActing(row, signed) => (row, signed),
        Session::Personal(..) => {
            return Err(ServiceError::Invalid("Only a shared tablet asks for this.".into()).into())
        }
        Session::TabletIdle(_) | Session::None => return Err(SessionError::SignInRequired),
    };
    let turn_id = row
        .turn_id
        .ok_or_else(|| ServiceError::Internal("an acting tablet without a turn".into()))?;
    let credentials = confirm_password(
        store,
        settings.dummy_hash,
        device,
        format!("tablet:{}", row.id),
        &signed,
        password,
        now,
    )
    .await?;
    store.step_up_turn(turn_id, now).await?;
    let who = (Some(row.organisation_id), Some(signed.actor.person_id));
    let subject = crate::auth::throttle::password_subject(
        &credentials.organisation_slug,
        &credentials.username,
    );
    log_event(store, who, "stepped-up", &subject, device.client, now).await?;
    Ok(())
}

/// The person signed in on their own device changes their password: the current one first,
/// then the new one (the same rules as ever). Every other session of theirs ends.
#[tracing::instrument(name = "session::change_password", skip_all)]
pub async fn change_password(
    store: &Store,
    settings: &Settings<'_>,
    device: &Device<'_>,
    current_password: String,
    new_password: String,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let new_password = Secret::new(new_password);
    password::check_password_rules(&new_password)
        .map_err(|e| ServiceError::Invalid(format!("The new password: {e}.")))?;
    let (row, actor) = change_own(
        store,
        settings,
        device,
        current_password,
        new_password,
        OwnSecret::Password,
        now,
    )
    .await?;
    store
        .revoke_other_sessions(actor.organisation_id, actor.person_id, row.id, now)
        .await?;
    Ok(())
}

/// The person signed in on their own device sets a new tablet PIN, confirmed with their
/// password. The run of wrong PINs before it ends.
#[tracing::instrument(name = "session::change_pin", skip_all)]
pub async fn change_pin(
    store: &Store,
    settings: &Settings<'_>,
    device: &Device<'_>,
    current_password: String,
    new_pin: String,
    now: DateTime<Utc>,
) -> Result<(), SessionError> {
    let pin = Secret::new(new_pin.trim());
    password::check_pin_rules(&pin)
        .map_err(|e| ServiceError::Invalid(format!("The new PIN: {e}.")))?;
    let (_row, actor) = change_own(
        store,
        settings,
        device,
        current_password,
        pin,
        OwnSecret::Pin,
        now,
    )
    .await?;
    let keys = pin_keys(actor.person_id, &format!("client:{}", device.client));
    store.forgive_attempts(AttemptKind::Pin, &keys, now).await?;
    Ok(())
}

#[derive(Clone, Copy)]
enum OwnSecret {
    Password,
    Pin,
}

/// On a personal session, confirms the current password, hashes and stores the new secret
/// (already checked against its rules) and logs the change.
async fn change_own(
    store: &Store,
    settings: &Settings<'_>,
    device: &Device<'_>,
    current_password: String,
    new_secret: Secret,
    which: OwnSecret,
    now: DateTime<Utc>,
) -> Result<(SessionRow, Actor), SessionError> {
    let (row, signed) = personal(store, settings, device, now).await?;
    let device_key = format!("client:{}", device.client);
    let credentials = confirm_password(
        store,
        settings.dummy_hash,
        device,
        device_key,
        &signed,
        current_password,
        now,
    )
    .await?;
    let hash = password::hash(new_secret)
        .await
        .map_err(ServiceError::from)?;
    let actor = signed.actor;
    let (org, person) = (actor.organisation_id, actor.person_id);
    let kind = match which {
        OwnSecret::Password => {
            store.set_password_hash(org, person, &hash).await?;
            "password-changed"
        }
        OwnSecret::Pin => {
            store.set_pin_hash(org, person, &hash).await?;
            "pin-changed"
        }
    };
    let subject = crate::auth::throttle::password_subject(
        &credentials.organisation_slug,
        &credentials.username,
    );
    log_event(
        store,
        (Some(org), Some(person)),
        kind,
        &subject,
        device.client,
        now,
    )
    .await?;
    Ok((row, actor))
}

/// A personal session (a password sign-in on the person's own device): what changing one's
/// own credentials needs. A shared tablet is refused.
async fn personal(
    store: &Store,
    settings: &Settings<'_>,
    device: &Device<'_>,
    now: DateTime<Utc>,
) -> Result<(SessionRow, Signed), SessionError> {
    match current(
        store,
        &settings.limits,
        device.token,
        now,
        Activity::Deliberate,
    )
    .await?
    {
        Session::Personal(row, signed) => Ok((row, signed)),
        Session::TabletActing(..) | Session::TabletIdle(_) => Err(ServiceError::Invalid(
            "Change your password or PIN on your own device, signed in with your password.".into(),
        )
        .into()),
        Session::None => Err(SessionError::SignInRequired),
    }
}

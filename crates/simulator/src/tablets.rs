//! Shared tablets in the simulation: turns taken and ended, and entries captured offline and
//! sent later — from the tablet that captured them, another location's or another
//! organisation's tablet, or a device with no session; long after the turn, before it, under
//! somebody else's turn.
//!
//! The promise checked: a deferred entry is recorded only for the person whose turn on a
//! tablet of the same location covered its capture time, exactly once per key; anything else
//! is refused (and nothing is stored). The model below keeps its own history of turns; the
//! PIN check itself is tested in `services/tests/tablet.rs` (turns start at the store here,
//! so that seeds stay fast without argon2).

use chrono::{DateTime, Duration, Utc};
use domain::recovery::RecoveryForm;
use services::{
    auth::session::{token_hash, turn_token, SessionLimits},
    events::LedgerEvents,
    session::SessionError,
};
use store::{
    accounts::{NewSession, NewTurn},
    Store,
};

use super::{pick, service_refusal, Acknowledged, Pick, World, REMEDIES};

/// A shared tablet of one location, set up for the whole simulation.
#[derive(Clone, Debug)]
pub(crate) struct Tablet {
    organisation_id: i64,
    location_id: i64,
    token: String,
}

/// A turn as the model remembers it.
#[derive(Clone, Debug)]
pub(crate) struct Turn {
    tablet: usize,
    /// Index in `World::people`.
    person: usize,
    token: String,
    started_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    ended_at: Option<DateTime<Utc>>,
}

/// An entry sent from the outbox, kept for replays.
#[derive(Clone, Debug)]
pub(crate) struct Sent {
    turn: usize,
    key: String,
    form: RecoveryForm,
    captured_at: DateTime<Utc>,
}

/// Sets up one tablet per location (signed in by someone of that organisation).
pub(crate) async fn set_up(store: &Store, world: &mut World) -> Result<(), String> {
    for &(organisation_id, location_id) in &world.locations.clone() {
        let Some(owner) = world
            .people
            .iter()
            .find(|p| p.organisation_id == organisation_id)
        else {
            continue;
        };
        let token = format!(
            "tablet-{organisation_id}-{location_id}-{}",
            world.now.timestamp()
        );
        store
            .create_session(
                &NewSession {
                    token_hash: &token_hash(&token),
                    organisation_id,
                    person_id: owner.person_id,
                    tablet_location_id: Some(location_id),
                    client: "simulated tablet",
                    expires_at: world.now + Duration::days(365),
                },
                world.now,
            )
            .await
            .map_err(|e| format!("setting up a tablet: {e}"))?;
        world.tablets.push(Tablet {
            organisation_id,
            location_id,
            token,
        });
    }
    Ok(())
}

/// Someone of the tablet's location starts a turn; the tablet's running turn ends.
pub(crate) async fn take_turn(
    store: &Store,
    world: &mut World,
    tablet: Pick,
    person: Pick,
) -> Result<Option<bool>, String> {
    let Some(t) = pick(&world.tablets, tablet).cloned() else {
        return Ok(None);
    };
    let index = (tablet % world.tablets.len() as u64) as usize;
    let here: Vec<usize> = (0..world.people.len())
        .filter(|&i| world.people[i].location_id == t.location_id)
        .collect();
    let Some(&who) = pick(&here, person) else {
        return Ok(None);
    };
    let limits = SessionLimits::default();
    let now = world.now;
    let person_id = world.people[who].person_id;
    // A salt of its own per turn, as the PIN switch makes one.
    let salt = format!("simulated-turn-{}", world.turns.len());
    let token = turn_token(&t.token, &salt);
    let session_id = session_of(store, &t).await?;
    store
        .start_turn(
            &NewTurn {
                session_id,
                organisation_id: t.organisation_id,
                location_id: t.location_id,
                person_id,
                token_hash: &token_hash(&token),
                salt: &salt,
                active_until: now + limits.tablet_turn_idle,
                ends_at: now + limits.tablet_turn_max,
            },
            now,
        )
        .await
        .map_err(|e| format!("internal error starting a turn: {e}"))?;
    end_running(world, index, now);
    world.turns.push(Turn {
        tablet: index,
        person: who,
        token,
        started_at: now,
        ends_at: now + limits.tablet_turn_max,
        ended_at: None,
    });
    Ok(Some(true))
}

/// The tablet's session row id.
async fn session_of(store: &Store, tablet: &Tablet) -> Result<i64, String> {
    Ok(store
        .session_by_token_hash(&token_hash(&tablet.token))
        .await
        .map_err(|e| format!("internal error reading a tablet: {e}"))?
        .ok_or("a tablet's session vanished")?
        .id)
}

fn end_running(world: &mut World, tablet: usize, now: DateTime<Utc>) {
    for turn in world.turns.iter_mut() {
        if turn.tablet == tablet && turn.ended_at.is_none() {
            turn.ended_at = Some(now);
        }
    }
}

/// "Done — back to the picker".
pub(crate) async fn end_turn(
    store: &Store,
    world: &mut World,
    tablet: Pick,
) -> Result<Option<bool>, String> {
    let Some(t) = pick(&world.tablets, tablet).cloned() else {
        return Ok(None);
    };
    let index = (tablet % world.tablets.len() as u64) as usize;
    let session_id = session_of(store, &t).await?;
    store
        .end_turn(session_id, world.now)
        .await
        .map_err(|e| format!("internal error ending a turn: {e}"))?;
    end_running(world, index, world.now);
    Ok(Some(true))
}

/// What the model says: would this turn's person be charged for an entry captured at
/// `captured_at`, sent from `from`? Stated here independently of `domain::turns`.
fn model_accepts(
    world: &World,
    turn: &Turn,
    from: Option<usize>,
    captured_at: DateTime<Utc>,
) -> bool {
    let Some(from) = from else {
        return false;
    };
    let (sender, owner) = (&world.tablets[from], &world.tablets[turn.tablet]);
    let skew = Duration::minutes(2);
    let last = match turn.ended_at {
        Some(ended) if ended < turn.ends_at => ended,
        _ => turn.ends_at,
    };
    sender.organisation_id == owner.organisation_id
        && sender.location_id == owner.location_id
        && captured_at >= turn.started_at - skew
        && captured_at <= last + skew
}

/// An entry captured `offset_minutes` after a turn began (of either organisation), sent now
/// from a tablet of either organisation or from a device with no session; or an entry sent
/// before, sent again.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn send_deferred(
    store: &Store,
    events: &LedgerEvents,
    world: &mut World,
    turn: Pick,
    from: Option<Pick>,
    offset_minutes: i64,
    amount: &str,
    category: Pick,
    again: bool,
) -> Result<Option<bool>, String> {
    let sent = match (again, pick(&world.sent, turn).cloned()) {
        (true, Some(sent)) => sent,
        _ => {
            let Some(t) = pick(&world.turns, turn).cloned() else {
                return Ok(None);
            };
            let index = (turn % world.turns.len() as u64) as usize;
            let org = world.tablets[t.tablet].organisation_id;
            let captured_at = t.started_at + Duration::minutes(offset_minutes);
            world.keys += 1;
            let key = format!("t{}-{}", world.keys, world.people[t.person].person_id);
            let form = RecoveryForm {
                occurred_at: captured_at.to_rfc3339(),
                touchpoint: pick(&world.touchpoints[&org], category)
                    .cloned()
                    .unwrap_or_default(),
                category: pick(&world.categories[&org], category)
                    .cloned()
                    .unwrap_or_default(),
                remedy: pick(&REMEDIES, category)
                    .map(|r| r.to_string())
                    .unwrap_or_default(),
                amount: amount.to_string(),
                reaction: "satisfied".into(),
                description: format!("captured offline at {captured_at} [{key}]"),
                ..RecoveryForm::default()
            };
            Sent {
                turn: index,
                key,
                form,
                captured_at,
            }
        }
    };
    let t = world.turns[sent.turn].clone();
    let from_index = from.and_then(|f| {
        (!world.tablets.is_empty()).then(|| (f % world.tablets.len() as u64) as usize)
    });
    let token = from_index.map(|i| world.tablets[i].token.clone());
    let accepts = model_accepts(world, &t, from_index, sent.captured_at);
    let result = services::front_line::log_deferred(
        store,
        events,
        &SessionLimits::default(),
        token.as_deref(),
        &t.token,
        &sent.captured_at.to_rfc3339(),
        &sent.key,
        &sent.form,
        world.now,
    )
    .await;
    if !again {
        world.sent.push(sent.clone());
    }
    let org = world.tablets[t.tablet].organisation_id;
    match result {
        Ok(outcome) => {
            if !accepts {
                return Err(format!(
                    "a deferred entry no turn covers was recorded (recovery {}, turn {:?}, from tablet {from_index:?}, captured {})",
                    outcome.recovery_id, t, sent.captured_at
                ));
            }
            let row = store
                .recovery(org, outcome.recovery_id)
                .await
                .map_err(|e| format!("internal error reading a recovery: {e}"))?;
            let owner = world.people[t.person].person_id;
            if row.person_id != owner {
                return Err(format!(
                    "a deferred entry of person {owner} was charged to person {}",
                    row.person_id
                ));
            }
            match world.by_key.get(&(org, sent.key.clone())) {
                Some(&index) => {
                    if !outcome.replayed
                        || world.acknowledged[index].recovery_id != outcome.recovery_id
                    {
                        return Err(format!(
                            "a deferred entry sent twice was recorded twice (key {})",
                            sent.key
                        ));
                    }
                }
                None => {
                    if outcome.replayed {
                        return Err(format!(
                            "a new deferred key {} was answered as a replay",
                            sent.key
                        ));
                    }
                    world
                        .by_key
                        .insert((org, sent.key.clone()), world.acknowledged.len());
                    world.acknowledged.push(Acknowledged {
                        organisation_id: org,
                        recovery_id: outcome.recovery_id,
                        person: t.person,
                        key: sent.key,
                        form: sent.form,
                    });
                }
            }
            Ok(Some(true))
        }
        Err(SessionError::SignInRequired) if from_index.is_none() => Ok(Some(false)),
        Err(SessionError::Service(error)) => {
            let about_the_turn = matches!(&error, services::ServiceError::Invalid(why)
                if why.contains("belongs to no turn") || why.contains("outside its person's turn")
                    || why.contains("capture time cannot be read"));
            if accepts && about_the_turn {
                return Err(format!(
                    "a deferred entry its turn covers was refused: {error} (turn {t:?}, captured {})",
                    sent.captured_at
                ));
            }
            service_refusal(&error).map(|()| Some(false))
        }
        Err(other) => Err(format!("a deferred entry got {other:?}")),
    }
}

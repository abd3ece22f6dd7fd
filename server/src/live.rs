//! Live updates for supervisors: `GET /events/approvals` is a server-sent event stream that
//! says "queue" whenever a request starts waiting or is resolved in one of the caller's
//! locations (on this app server; the page also polls, for writes on other servers).
//!
//! A stream lasts only as long as what opened it: every `LiveStreams::recheck` (a minute by
//! default) it reads its session again and ends when the session was signed out, revoked or
//! expired, when someone else now acts on the tablet, or when the person is no longer a
//! supervisor; a change of their locations applies from then on. One session holds at most
//! `LIVE_STREAMS_PER_SESSION` streams (429 beyond).

use std::{convert::Infallible, net::SocketAddr};

use app::{
    api::caller::Request,
    domain::org::Role,
    state::{AppState, StreamSlot},
};
use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use tokio::{
    sync::broadcast::{error::RecvError, Receiver},
    time::{interval_at, Instant, Interval},
};

use app::events::LedgerEvent;

/// What one open stream keeps between events.
struct Listening {
    receiver: Receiver<LedgerEvent>,
    ticks: Interval,
    /// The request that opened the stream: its cookie is read again at each check.
    state: AppState,
    headers: HeaderMap,
    client: String,
    session_id: i64,
    person_id: i64,
    organisation_id: i64,
    scope: Option<Vec<i64>>,
    /// Held while the stream lives; dropping it gives the session's place back.
    _slot: StreamSlot,
}

impl Listening {
    /// Does the session that opened the stream still hold, for the same person, as a
    /// supervisor? Updates the locations it covers.
    async fn still_allowed(&mut self) -> bool {
        let request = Request {
            state: self.state.clone(),
            headers: self.headers.clone(),
            client: self.client.clone(),
            now: chrono::Utc::now(),
            activity: app::services::session::Activity::Background,
        };
        match request.caller().await {
            Ok(caller)
                if caller.session_id == self.session_id
                    && caller.actor.person_id == self.person_id
                    && caller.require(Role::Supervisor).is_ok() =>
            {
                self.scope = caller.scope_of(Role::Supervisor);
                true
            }
            _ => false,
        }
    }

    fn concerns(&self, event: &LedgerEvent) -> bool {
        event.organisation_id == self.organisation_id
            && self
                .scope
                .as_ref()
                .is_none_or(|ids| ids.contains(&event.location_id))
    }
}

fn changed() -> Result<Event, Infallible> {
    Ok(Event::default().event("queue").data("changed"))
}

pub async fn approval_events(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let client = app::api::caller::client_address(&state, &headers, Some(peer.ip()));
    let request = Request {
        state: state.clone(),
        headers: headers.clone(),
        client: client.clone(),
        now: chrono::Utc::now(),
        // A live stream is the page listening, not the person acting.
        activity: app::services::session::Activity::Background,
    };
    let caller = match request.caller().await {
        Ok(caller) => caller,
        Err(error) => {
            let status =
                StatusCode::from_u16(error.status_code()).unwrap_or(StatusCode::UNAUTHORIZED);
            return (status, error.to_string()).into_response();
        }
    };
    if caller.require(Role::Supervisor).is_err() {
        return (StatusCode::FORBIDDEN, "you are not allowed to do that").into_response();
    }
    let Some(slot) = state.live.open(caller.session_id) else {
        return (
            StatusCode::TOO_MANY_REQUESTS,
            "Too many live approval queues are open for this session: close one of them.",
        )
            .into_response();
    };
    let recheck = state.live.recheck;
    let listening = Listening {
        receiver: state.events.subscribe(),
        ticks: interval_at(Instant::now() + recheck, recheck),
        state,
        headers,
        client,
        session_id: caller.session_id,
        person_id: caller.actor.person_id,
        organisation_id: caller.organisation_id,
        scope: caller.scope_of(Role::Supervisor),
        _slot: slot,
    };
    let events = futures::stream::unfold(listening, |mut l| async move {
        loop {
            tokio::select! {
                _ = l.ticks.tick() => {
                    if !l.still_allowed().await {
                        break None;
                    }
                }
                received = l.receiver.recv() => match received {
                    Ok(event) if l.concerns(&event) => break Some((changed(), l)),
                    Ok(_) => continue,
                    // Missed some: the page refreshes anyway.
                    Err(RecvError::Lagged(_)) => break Some((changed(), l)),
                    Err(RecvError::Closed) => break None,
                },
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

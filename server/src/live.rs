//! Live updates for supervisors: `GET /events/approvals` is a server-sent event stream that
//! says "queue" whenever a request starts waiting or is resolved in one of the caller's
//! locations (on this app server; the page also polls, for writes on other servers).

use std::{convert::Infallible, net::SocketAddr};

use app::{api::caller::Request, domain::org::Role, state::AppState};
use axum::{
    extract::{ConnectInfo, State},
    http::{HeaderMap, StatusCode},
    response::{
        sse::{Event, KeepAlive, Sse},
        IntoResponse, Response,
    },
};
use tokio::sync::broadcast::error::RecvError;

pub async fn approval_events(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let client = app::api::caller::client_address(&state, &headers, Some(peer.ip()));
    let request = Request {
        state: state.clone(),
        headers,
        client,
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
    let organisation_id = caller.organisation_id;
    let scope = caller.scope_of(Role::Supervisor);
    let events = futures::stream::unfold(state.events.subscribe(), move |mut receiver| {
        let scope = scope.clone();
        async move {
            loop {
                match receiver.recv().await {
                    Ok(event)
                        if event.organisation_id == organisation_id
                            && scope
                                .as_ref()
                                .is_none_or(|ids| ids.contains(&event.location_id)) =>
                    {
                        break Some((
                            Ok::<_, Infallible>(Event::default().event("queue").data("changed")),
                            receiver,
                        ));
                    }
                    Ok(_) => continue,
                    // Missed some: the page refreshes anyway.
                    Err(RecvError::Lagged(_)) => {
                        break Some((
                            Ok(Event::default().event("queue").data("changed")),
                            receiver,
                        ));
                    }
                    Err(RecvError::Closed) => break None,
                }
            }
        }
    });
    Sse::new(events)
        .keep_alive(KeepAlive::default())
        .into_response()
}

//! `GET /summary/export/{recoveries.csv|tables.csv}?month=2026-10&location=all`: the monthly
//! summary's CSV exports, for managers (their scope) and leadership. The export, with its
//! role and scope checks, is `services::export::summary_export`.

use std::{collections::HashMap, net::SocketAddr};

use app::{
    api::{caller::Request, error::ApiError},
    services::export::{summary_export, Export},
    state::AppState,
};
use axum::{
    extract::{ConnectInfo, Path, Query, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
};

pub async fn summary_csv(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Path(name): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let Some(what) = Export::parse(&name) else {
        return (StatusCode::NOT_FOUND, "No such export.").into_response();
    };
    let client = app::api::caller::client_address(&state, &headers, Some(peer.ip()));
    let request = Request {
        state,
        headers,
        client,
        now: chrono::Utc::now(),
        activity: app::services::session::Activity::Deliberate,
    };
    let field = |key: &str| query.get(key).map_or("", String::as_str);
    let export = async {
        let caller = request.caller().await?;
        caller.reaches(app::services::session::Reach::Beyond)?;
        let (month, location) = (field("month"), field("location"));
        let store = &request.state.store;
        Ok::<_, ApiError>(
            summary_export(store, &caller.actor, request.now, what, month, location).await?,
        )
    };
    match export.await {
        Ok((file_name, body)) => {
            let disposition = format!("attachment; filename=\"{file_name}\"");
            (
                [
                    (
                        header::CONTENT_TYPE,
                        HeaderValue::from_static("text/csv; charset=utf-8"),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        HeaderValue::from_str(&disposition)
                            .unwrap_or(HeaderValue::from_static("attachment")),
                    ),
                    (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                ],
                body,
            )
                .into_response()
        }
        Err(error) => {
            let status = StatusCode::from_u16(error.status_code())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            (status, error.to_string()).into_response()
        }
    }
}

//! Customers' personal data on the server: `POST /admin/privacy/export` (a data subject's
//! recoveries as CSV or JSON, for admins within their scope; a form post, so the reference
//! never appears in an address or an access log) and the retention schedule. The use cases
//! are `services::privacy`.

use std::{net::SocketAddr, time::Duration};

use app::{
    api::{caller::Request, error::ApiError},
    services::privacy::{dates, export_subject, SubjectFormat},
    state::AppState,
    store::Store,
};
use axum::{
    extract::{ConnectInfo, State},
    http::{header, HeaderMap, HeaderValue, StatusCode},
    response::{IntoResponse, Response},
    Form,
};
use serde::Deserialize;

#[derive(Deserialize)]
pub struct ExportForm {
    reference: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    format: String,
}

pub async fn export(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(form): Form<ExportForm>,
) -> Response {
    let client = app::api::caller::client_address(&state, &headers, Some(peer.ip()));
    let request = Request {
        state,
        headers,
        client,
        now: chrono::Utc::now(),
        activity: app::services::session::Activity::Deliberate,
    };
    let export = async {
        let caller = request.caller().await?;
        caller.reaches(app::services::session::Reach::Beyond)?;
        let format = match form.format.as_str() {
            "csv" => SubjectFormat::Csv,
            "json" => SubjectFormat::Json,
            _ => return Err(ApiError::Validation("Choose CSV or JSON.".into())),
        };
        let (from, to) = dates(&form.from, &form.to)?;
        let store = &request.state.store;
        Ok::<_, ApiError>(
            export_subject(
                store,
                &caller.actor,
                &form.reference,
                from,
                to,
                format,
                request.now,
            )
            .await?,
        )
    };
    match export.await {
        Ok((file_name, content_type, body)) => {
            let disposition = format!("attachment; filename=\"{file_name}\"");
            (
                [
                    (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
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

/// How often retention runs. Hourly: personal data is never kept more than an hour past its
/// period, and a run that finds nothing costs one indexed query per organisation.
pub const RETENTION_EVERY: Duration = Duration::from_secs(60 * 60);

/// Runs retention now and then every `every`, until the process ends. Every app server runs
/// it; that is safe (see `Store::apply_retention`), and catches up after any downtime because
/// each run redacts everything past the period, however old. A failed run is logged and
/// retried at the next tick.
pub fn spawn_retention(store: Store, every: Duration) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(error) =
                app::services::privacy::apply_retention(&store, chrono::Utc::now()).await
            {
                tracing::warn!(%error, "retention run failed; retrying at the next tick");
            }
        }
    })
}

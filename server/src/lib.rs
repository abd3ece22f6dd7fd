//! The Goodwill server: configuration, router, telemetry and the command-line operations.
//! `Application::build` binds the listener (port 0 in tests) and returns the bound port.

pub mod backup;
pub mod config;
pub mod demo;
pub mod export;
pub mod memory;
pub mod offline;
pub mod ops;
pub mod privacy;
pub mod telemetry;

pub mod live;
pub mod security;

use std::{net::SocketAddr, sync::Arc, time::Duration};

use app::{
    auth::password::{self, Secret},
    shell,
    state::AppState,
    store::Store,
    App,
};
use axum::{
    extract::State,
    http::{header, HeaderValue, StatusCode},
    middleware,
    response::{IntoResponse, Json},
    routing::{get, post},
    Router,
};
use leptos_axum::{generate_route_list, LeptosRoutes};
use tower_http::{set_header::SetResponseHeaderLayer, trace::TraceLayer};

pub use config::Config;

pub struct Application {
    port: u16,
    address: SocketAddr,
    listener: tokio::net::TcpListener,
    router: Router,
    store: Store,
}

impl Application {
    /// Connects to the database, applies pending migrations and binds the listener.
    pub async fn build(config: &Config) -> anyhow::Result<Application> {
        let store = Store::connect(&config.database_url, &config.pool).await?;
        store.migrate().await?;
        Self::build_with_store(config, store).await
    }

    pub async fn build_with_store(config: &Config, store: Store) -> anyhow::Result<Application> {
        let listener = tokio::net::TcpListener::bind(config.address).await?;
        let address = listener.local_addr()?;
        let mut leptos_options = config.leptos_options.clone();
        leptos_options.site_addr = address;
        // The secret is thrown away: this hash only ever fails to verify, at full cost.
        let dummy_hash: Arc<str> = password::hash(Secret::new(app::auth::session::new_token()))
            .await?
            .into();
        let state = AppState {
            leptos_options,
            store: store.clone(),
            session_limits: config.session_limits,
            secure_cookies: config.secure_cookies,
            trust_proxy: config.trust_proxy,
            trusted_proxies: config.trusted_proxies.clone().into(),
            public_origin: config.public_origin.as_deref().map(Into::into),
            dummy_hash,
            events: Default::default(),
            live: app::state::LiveStreams::new(config.live_recheck, LIVE_STREAMS_PER_SESSION),
        };
        Ok(Application {
            port: address.port(),
            address,
            listener,
            router: router(state),
            store,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn address(&self) -> SocketAddr {
        self.address
    }

    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Serves until Ctrl-C or SIGTERM, then finishes in-flight requests and closes the pool.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let store = self.store.clone();
        let retention = privacy::spawn_retention(store.clone(), privacy::RETENTION_EVERY);
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown_signal())
        .await?;
        retention.abort();
        store.close().await;
        Ok(())
    }
}

/// Live event streams one session may hold open at once: a supervisor's tabs of the queue.
pub const LIVE_STREAMS_PER_SESSION: usize = 4;

fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let options = state.leptos_options.clone();
    let service_worker: Option<Arc<str>> =
        offline::Build::current(&options).map(|build| build.script().into());
    let hsts = state
        .secure_cookies
        .then(|| HeaderValue::from_static("max-age=63072000; includeSubDomains"));
    Router::new()
        .route("/healthz", get(health))
        .route(
            "/sw.js",
            get(move || async move { offline::response(service_worker.as_deref()) }),
        )
        .route("/events/approvals", get(live::approval_events))
        .route("/summary/export/{name}", get(export::summary_csv))
        .route("/admin/privacy/export", post(privacy::export))
        // A fresh CSP nonce per page; the shell puts it in the header and on inline scripts.
        .leptos_routes_with_context(&state, routes, leptos::nonce::provide_nonce, move || {
            shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler::<AppState, _>(shell))
        .layer(middleware::from_fn(security::api_error_status))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            security::same_origin_writes,
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Served over https (secure cookies): browsers keep to https for two years.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            move |_: &axum::response::Response| hsts.clone(),
        ))
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}

/// `/healthz`: 200 when the database answers and accepts writes, 503 otherwise. Used by
/// load balancers. Writes are proved by an update of the one heartbeat row in a transaction
/// that is rolled back: a database that only reads (a read-only file or mount, a hot standby)
/// would otherwise pass while every recovery is refused.
async fn health(State(state): State<AppState>) -> impl IntoResponse {
    let checked = tokio::time::timeout(Duration::from_secs(3), async {
        let unavailable = |error| ("database unavailable", error);
        state.store.ping().await.map_err(unavailable)?;
        let version = state.store.schema_version().await.map_err(unavailable)?;
        state
            .store
            .accepts_writes()
            .await
            .map_err(|error| ("database refuses writes", error))?;
        Ok::<i64, (&str, app::store::StoreError)>(version)
    })
    .await;
    match checked {
        Ok(Ok(version)) => (
            StatusCode::OK,
            Json(serde_json::json!({
                "status": "ok",
                "database": state.store.backend().as_str(),
                "schema_version": version,
            })),
        ),
        Ok(Err((reason, error))) => {
            tracing::warn!(%error, reason, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "reason": reason })),
            )
        }
        Err(_) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(serde_json::json!({ "status": "unavailable", "reason": "database timed out" })),
        ),
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}

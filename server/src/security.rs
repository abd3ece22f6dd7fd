//! Request-level protections that apply to every route.
//!
//! CSRF: a state-changing request (anything but GET/HEAD/OPTIONS) must come from this site's
//! own pages: its `Origin` (or, failing that, `Referer`) must name the host the request was
//! sent to. Browsers always send `Origin` on cross-site POSTs, including plain HTML form posts
//! made without JavaScript, and pages cannot forge it; together with `SameSite=Lax` session
//! cookies this is OWASP's "verifying origin with standard headers" defence. Server functions
//! and plain form posts are covered alike, with no token to thread through every form.

use app::state::AppState;
use axum::{
    body::Body,
    extract::State,
    http::{header, Method, Request, StatusCode},
    middleware::Next,
    response::{IntoResponse, Response},
};

pub async fn same_origin_writes(
    State(state): State<AppState>,
    request: Request<Body>,
    next: Next,
) -> Response {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let text = |name: header::HeaderName| headers.get(name).and_then(|v| v.to_str().ok());
    let host = if state.trust_proxy {
        text(header::HeaderName::from_static("x-forwarded-host")).or_else(|| text(header::HOST))
    } else {
        text(header::HOST)
    };
    let source = text(header::ORIGIN).or_else(|| text(header::REFERER));
    let same = match state.public_origin.as_deref() {
        // The whole origin, scheme included, against where people reach the app.
        Some(public) => source
            .and_then(origin)
            .is_some_and(|o| o.eq_ignore_ascii_case(public)),
        None => matches!((host, source.and_then(authority)),
            (Some(host), Some(source)) if source.eq_ignore_ascii_case(host)),
    };
    match same {
        true => next.run(request).await,
        _ => {
            tracing::warn!(method = %request.method(), uri = %request.uri(), "cross-site write refused");
            (
                StatusCode::FORBIDDEN,
                "Cross-site request refused: send it from Goodwill's own pages.",
            )
                .into_response()
        }
    }
}

/// `scheme://host[:port]` of an absolute URL such as `https://example.com:8443/path`.
fn origin(url: &str) -> Option<&str> {
    let scheme_end = url.find("://")?;
    let authority = authority(url)?;
    Some(&url[..scheme_end + 3 + authority.len()])
}

/// `host[:port]` of an absolute URL such as `https://example.com:8443/path`.
fn authority(url: &str) -> Option<&str> {
    let rest = url.split_once("://")?.1;
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Some(&rest[..end]).filter(|a| !a.is_empty())
}

/// Server functions answer every error with 500 unless told otherwise. This gives each
/// error the status its variant calls for (`ApiError::status_code`): a refusal is a 4xx
/// with the same JSON body, only the app's own failures stay 5xx.
pub async fn api_error_status(request: Request<Body>, next: Next) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    if !is_api || response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    // Error bodies are a few hundred bytes; anything larger is not ours to reinterpret.
    let Ok(bytes) = axum::body::to_bytes(body, 64 * 1024).await else {
        return (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response();
    };
    if let Ok(error) = serde_json::from_slice::<app::api::error::ApiError>(&bytes) {
        if let Ok(status) = StatusCode::from_u16(error.status_code()) {
            parts.status = status;
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

#[cfg(test)]
mod tests {
    use super::{authority, origin};

    #[test]
    fn the_origin_is_the_scheme_host_and_port_of_a_url() {
        assert_eq!(
            origin("https://example.com:8443/path?x"),
            Some("https://example.com:8443")
        );
        assert_eq!(origin("http://example.com"), Some("http://example.com"));
        assert_eq!(origin("example.com"), None);
    }

    #[test]
    fn the_authority_is_the_host_and_port_of_a_url() {
        assert_eq!(authority("http://127.0.0.1:3000"), Some("127.0.0.1:3000"));
        assert_eq!(
            authority("https://goodwill.example/sign-in?next=/"),
            Some("goodwill.example")
        );
        assert_eq!(authority("null"), None);
        assert_eq!(authority("https://"), None);
    }
}

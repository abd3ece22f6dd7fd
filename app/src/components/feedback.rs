//! How an action's outcome is shown: an error next to the form, announced to screen readers.

use leptos::{prelude::*, server::ServerActionError, server_fn::error::ServerFnUrlError};
use leptos_router::hooks::use_query_map;

use crate::api::error::ApiError;

/// The message of a failed action's last result; empty when it succeeded or has not run.
pub fn error_message<T>(value: &Option<Result<T, ApiError>>) -> String {
    match value {
        Some(Err(error)) => error.to_string(),
        _ => String::new(),
    }
}

/// Shows an action's error next to its form.
#[component]
pub fn ActionError(#[prop(into)] message: Signal<String>) -> impl IntoView {
    view! { <p class="error" role="alert">{move || message.get()}</p> }
}

/// A route's page, built after [`provide_address_error`]: every route of the app goes
/// through this, so no page shows an error from its address in the address's own words.
pub fn page<V: 'static>(build: fn() -> V) -> impl Fn() -> V + Clone + Send + Sync + 'static {
    move || {
        provide_address_error();
        build()
    }
}

/// A plain form post (no JavaScript) that fails is sent back to its page with the error in
/// the address (`?__path=/api/…&__err=<base64 JSON>`), and every `ServerAction` of the page
/// starts out with that error. Anyone can write such an address, so the error the page's
/// actions see (a context that shadows the router's) is replaced here by the same kind of
/// error in the app's own words ([`ApiError::in_own_words`]): never text from the address.
pub fn provide_address_error() {
    let (path, error) = use_query_map().with_untracked(|q| (q.get("__path"), q.get("__err")));
    let safe = path.zip(error).and_then(|(path, error)| {
        let error = ServerFnUrlError::<ApiError>::decode_err(&error).in_own_words();
        // Encoded exactly as a server function's redirect encodes it.
        let url = ServerFnUrlError::new(&path, error)
            .to_url("http://localhost/")
            .ok()?;
        let encoded = url
            .query_pairs()
            .find(|(key, _)| *key == "__err")?
            .1
            .into_owned();
        Some(ServerActionError::new(&path, &encoded))
    });
    // No path matches the empty one: with no error in the address, no action starts with one.
    provide_context(safe.unwrap_or_else(|| ServerActionError::new("", "")));
}

//! How an action's outcome is shown: an error next to the form, announced to screen readers.

use leptos::prelude::*;

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

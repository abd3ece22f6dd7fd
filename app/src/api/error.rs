//! The error every server function returns: a safe variant with a message a person can act
//! on. The whole cause chain is logged on the server, never sent to the browser.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// One field's problem, shown next to that field.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldError {
    /// The form field's name.
    pub field: String,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    Validation(String),
    /// Several fields of a form need fixing; each message belongs next to its field.
    #[error("{}", .0.iter().map(|f| f.message.as_str()).collect::<Vec<_>>().join(" · "))]
    Fields(Vec<FieldError>),
    #[error("{0}")]
    Budget(String),
    #[error("you are not allowed to do that")]
    Forbidden,
    #[error("Please sign in.")]
    SignInRequired,
    /// Wrong username/password or PIN: one message whatever was wrong.
    #[error("{0}")]
    WrongCredentials(String),
    /// Too many wrong attempts; says when to try again.
    #[error("{0}")]
    Throttled(String),
    #[error("{0} not found")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("the service is busy or unavailable; try again in a moment")]
    Unavailable,
    #[error("something went wrong on our side; it has been logged")]
    Internal,
    #[error("the request could not be read: {0}")]
    Request(String),
}

impl ApiError {
    /// The HTTP status this error is answered with: refusals are 4xx, only our own
    /// failures are 5xx.
    pub fn status_code(&self) -> u16 {
        match self {
            ApiError::Validation(_) | ApiError::Fields(_) | ApiError::Request(_) => 400,
            ApiError::SignInRequired | ApiError::WrongCredentials(_) => 401,
            ApiError::Forbidden => 403,
            ApiError::NotFound(_) => 404,
            ApiError::Conflict(_) => 409,
            ApiError::Budget(_) => 422,
            ApiError::Throttled(_) => 429,
            ApiError::Internal => 500,
            ApiError::Unavailable => 503,
        }
    }
}

impl ApiError {
    /// The message for one field, if this error names it.
    pub fn for_field(&self, field: &str) -> Option<String> {
        match self {
            ApiError::Fields(fields) => fields
                .iter()
                .find(|f| f.field == field)
                .map(|f| f.message.clone()),
            _ => None,
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        // The decoder's message can quote the request: keep a readable start of it only.
        ApiError::Request(crate::domain::text::cut(&value.to_string(), 300))
    }
}

#[cfg(feature = "ssr")]
impl From<crate::store::StoreError> for ApiError {
    fn from(error: crate::store::StoreError) -> Self {
        use crate::store::StoreError as E;
        match error {
            E::NotFound(what) => ApiError::NotFound(what.to_string()),
            E::IdempotencyConflict => ApiError::Conflict(error.to_string()),
            E::Duplicate(message) => ApiError::Conflict(message),
            E::AlreadyResolved { .. } => ApiError::Conflict(error.to_string()),
            E::Ledger(rule) => ApiError::Budget(rule.to_string()),
            E::Invalid(message) => ApiError::Validation(message),
            E::Unavailable(ref cause) => {
                tracing::warn!(error = %cause, "database unavailable");
                ApiError::Unavailable
            }
            other => {
                tracing::error!(error = ?other, "store failure");
                ApiError::Internal
            }
        }
    }
}

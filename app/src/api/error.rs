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
    /// On a shared tablet: this needs the person's password, not only their PIN.
    #[error(
        "On a shared tablet this needs your password: choose \"Unlock with password\" at the top."
    )]
    PasswordNeeded,
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
            ApiError::Forbidden | ApiError::PasswordNeeded => 403,
            ApiError::NotFound(_) => 404,
            ApiError::Conflict(_) => 409,
            ApiError::Budget(_) => 422,
            ApiError::Throttled(_) => 429,
            ApiError::Internal => 500,
            ApiError::Unavailable => 503,
        }
    }
}

/// What an error that came in a page's address says about a form, whatever the address said.
pub const CHECK_THE_FORM: &str = "Check the form and try again.";

impl ApiError {
    /// A refused sign-in or PIN switch: when to try again, in minutes and (if known) as a
    /// UTC clock time `HH:MM`.
    pub fn throttled(minutes: i64, at_utc: Option<&str>) -> ApiError {
        let plural = if minutes == 1 { "" } else { "s" };
        ApiError::Throttled(match at_utc {
            Some(at) => format!(
                "Too many wrong attempts. Try again in {minutes} minute{plural} (at {at} UTC)."
            ),
            None => format!("Too many wrong attempts. Try again in {minutes} minute{plural}."),
        })
    }

    /// The same kind of error in the app's own words only. A plain form post (no
    /// JavaScript) gets its error back in the address it is sent back to
    /// (`?__path=…&__err=…`); anyone can write such an address and send it round, so a page
    /// believes only the error's variant and a retry time as a number, never its text.
    pub fn in_own_words(&self) -> ApiError {
        use super::session::{WRONG_CREDENTIALS, WRONG_PIN};
        match self {
            ApiError::Validation(_) | ApiError::Request(_) => {
                ApiError::Validation(CHECK_THE_FORM.to_string())
            }
            ApiError::Fields(fields) => {
                let mut known: Vec<FieldError> = Vec::new();
                for field in fields {
                    let Some(field) = crate::domain::recovery::Field::from_slug(&field.field)
                        .filter(|f| f.as_str() == field.field)
                    else {
                        continue;
                    };
                    if known.iter().all(|k| k.field != field.as_str()) {
                        known.push(FieldError {
                            field: field.as_str().to_string(),
                            message: field_message(field).to_string(),
                        });
                    }
                }
                if known.is_empty() {
                    ApiError::Validation(CHECK_THE_FORM.to_string())
                } else {
                    ApiError::Fields(known)
                }
            }
            ApiError::Budget(_) => ApiError::Budget(
                "The budget rules refused this; check the amount against today's budget.".into(),
            ),
            ApiError::Forbidden => ApiError::Forbidden,
            ApiError::SignInRequired => ApiError::SignInRequired,
            ApiError::PasswordNeeded => ApiError::PasswordNeeded,
            ApiError::WrongCredentials(message) => ApiError::WrongCredentials(
                if message == WRONG_PIN {
                    WRONG_PIN
                } else {
                    WRONG_CREDENTIALS
                }
                .to_string(),
            ),
            ApiError::Throttled(message) => match retry_minutes(message) {
                Some(minutes) => ApiError::throttled(minutes, retry_at(message).as_deref()),
                None => ApiError::Throttled("Too many wrong attempts. Try again later.".into()),
            },
            ApiError::NotFound(what) if KNOWN_NOT_FOUND.contains(&what.as_str()) => {
                ApiError::NotFound(what.clone())
            }
            ApiError::NotFound(_) => ApiError::NotFound("item".into()),
            ApiError::Conflict(_) => ApiError::Conflict(
                "That clashes with what is already recorded; reload the page and check.".into(),
            ),
            ApiError::Unavailable => ApiError::Unavailable,
            ApiError::Internal => ApiError::Internal,
        }
    }
}

/// What the store and the server functions say is missing (`NotFound`).
const KNOWN_NOT_FOUND: [&str; 12] = [
    "budget day",
    "follow-up",
    "improvement item",
    "list entry",
    "location",
    "location or team",
    "organisation",
    "person",
    "recovery",
    "role grant",
    "supervisor",
    "team",
];

/// The app's own words for a problem with one field of the recovery form.
fn field_message(field: crate::domain::recovery::Field) -> &'static str {
    use crate::domain::recovery::Field;
    match field {
        Field::OccurredAt => "Check the date and time",
        Field::Touchpoint => "Choose a touchpoint",
        Field::Channel => "Choose a channel",
        Field::CustomerRef => "Check the customer reference",
        Field::Category => "Choose a category",
        Field::Severity => "Choose a severity",
        Field::Description => "Check the description",
        Field::Remedy => "Choose what was done",
        Field::Amount => "Check the amount",
        Field::Reaction => "Choose how the customer reacted",
        Field::Cause => "Choose a cause",
        Field::CauseNote => "Check the cause note",
        Field::FollowUp => "Follow up within 1 to 720 hours (30 days)",
    }
}

/// The minutes of "… Try again in 15 minutes …", if they are a plausible number (1 to a day).
fn retry_minutes(message: &str) -> Option<i64> {
    let rest = message.split_once("Try again in ")?.1;
    let digits: String = rest
        .chars()
        .take_while(char::is_ascii_digit)
        .take(5)
        .collect();
    digits
        .parse::<i64>()
        .ok()
        .filter(|minutes| (1..=24 * 60).contains(minutes))
}

/// The clock time of "… (at 14:05 UTC)", if it is one.
fn retry_at(message: &str) -> Option<String> {
    let rest = message.split_once("(at ")?.1;
    let (hours, rest) = rest.split_at_checked(2)?;
    let minutes = rest.strip_prefix(':')?.get(..2)?;
    let number = |text: &str| -> Option<u32> {
        if text.len() == 2 && text.bytes().all(|b| b.is_ascii_digit()) {
            text.parse().ok()
        } else {
            None
        }
    };
    let (hours, minutes) = (number(hours)?, number(minutes)?);
    (hours < 24 && minutes < 60).then(|| format!("{hours:02}:{minutes:02}"))
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
impl From<crate::services::ServiceError> for ApiError {
    fn from(error: crate::services::ServiceError) -> Self {
        use crate::services::ServiceError as S;
        match error {
            S::NotFound(what) => ApiError::NotFound(what.to_string()),
            S::Forbidden => ApiError::Forbidden,
            S::Invalid(message) => ApiError::Validation(message),
            S::Fields(fields) => ApiError::Fields(
                fields
                    .into_iter()
                    .map(|(field, message)| FieldError { field, message })
                    .collect(),
            ),
            S::Rule(message) => ApiError::Budget(message),
            S::Conflict(message) => ApiError::Conflict(message),
            S::Busy => ApiError::Unavailable,
            S::Internal(what) => {
                tracing::error!(error = %what, "inconsistent data");
                ApiError::Internal
            }
            S::Store(error) => error.into(),
        }
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
            // One mapping of access rules, the services' (a plain lack of role is 403; a
            // rule that explains itself is shown as it is).
            E::Refused(rule) => crate::services::ServiceError::from(rule).into(),
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

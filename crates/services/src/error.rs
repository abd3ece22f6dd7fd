//! What a use case answers when it does not succeed. Each variant says how the person should
//! read it; the server maps them to HTTP statuses in one place (`app::api::error`).

use domain::{access::AccessError, ledger::LedgerError, money::Currency};
use store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Not there, or not in the caller's scope: the two read the same.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller's role does not allow this at all.
    #[error("you are not allowed to do that")]
    Forbidden,
    /// Input to fix, with the reason.
    #[error("{0}")]
    Invalid(String),
    /// Several fields of a form to fix: (field, message).
    #[error("{}", .0.iter().map(|(_, m)| m.as_str()).collect::<Vec<_>>().join(" · "))]
    Fields(Vec<(String, String)>),
    /// A budget or ledger rule refused it; the message is formatted for the person.
    #[error("{0}")]
    Rule(String),
    /// Done already, or done differently before.
    #[error("{0}")]
    Conflict(String),
    /// Too much at once (every password-hashing slot taken): try again in a moment.
    #[error("busy; try again in a moment")]
    Busy,
    /// Stored data the rules cannot read (a bug or a hand-edited database): ours to fix.
    #[error("inconsistent data: {0}")]
    Internal(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for ServiceError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => ServiceError::NotFound(what),
            StoreError::Refused(rule) => rule.into(),
            other => ServiceError::Store(other),
        }
    }
}

impl From<crate::auth::password::PasswordError> for ServiceError {
    fn from(error: crate::auth::password::PasswordError) -> Self {
        use crate::auth::password::PasswordError as P;
        match error {
            P::Busy => ServiceError::Busy,
            other => ServiceError::Internal(format!("hashing a credential: {other}")),
        }
    }
}

impl From<AccessError> for ServiceError {
    fn from(rule: AccessError) -> Self {
        match rule {
            AccessError::Forbidden => ServiceError::Forbidden,
            rule => ServiceError::Invalid(rule.to_string()),
        }
    }
}

impl ServiceError {
    /// A store error whose ledger rule is formatted in `currency`.
    pub fn in_currency(error: StoreError, currency: Currency) -> Self {
        match error {
            StoreError::Ledger(
                rule @ (LedgerError::AlreadyReversed | LedgerError::AlreadyResolved),
            ) => ServiceError::Conflict(rule.message(currency)),
            StoreError::Ledger(rule) => ServiceError::Rule(rule.message(currency)),
            other => other.into(),
        }
    }

    /// True for the failures that are ours (a bug or a broken database), not the caller's.
    pub fn is_internal(&self) -> bool {
        matches!(
            self,
            ServiceError::Internal(_)
                | ServiceError::Store(
                    StoreError::Database(_) | StoreError::Config(_) | StoreError::Migration(_)
                )
        )
    }
}

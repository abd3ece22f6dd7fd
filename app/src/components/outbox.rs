//! The tablet's outbox: recoveries submitted while the network is down wait here, in the
//! browser's local storage, with their idempotency keys, and are sent when the connection
//! returns. The server's idempotency makes every replay safe: a recovery that did arrive
//! before the connection dropped is answered from the ledger, never recorded twice.

use crate::api::recoveries::LogRecovery;

const KEY: &str = "goodwill.outbox";

/// Everything waiting to be sent, oldest first.
pub fn waiting() -> Vec<LogRecovery> {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

pub fn push(entry: LogRecovery) {
    let mut all = waiting();
    if !all
        .iter()
        .any(|e| e.idempotency_key == entry.idempotency_key)
    {
        all.push(entry);
    }
    save(&all);
}

/// Removes one entry (sent, or refused for good).
pub fn remove(idempotency_key: &str) {
    let mut all = waiting();
    all.retain(|e| e.idempotency_key != idempotency_key);
    save(&all);
}

fn save(all: &[LogRecovery]) {
    if let (Some(storage), Ok(json)) = (storage(), serde_json::to_string(all)) {
        let _ = storage.set_item(KEY, &json);
    }
}

#[cfg(feature = "hydrate")]
fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

#[cfg(not(feature = "hydrate"))]
fn storage() -> Option<NoStorage> {
    None
}

/// On the server there is no outbox.
#[cfg(not(feature = "hydrate"))]
struct NoStorage;

#[cfg(not(feature = "hydrate"))]
impl NoStorage {
    fn get_item(&self, _: &str) -> Result<Option<String>, ()> {
        Ok(None)
    }
    fn set_item(&self, _: &str, _: &str) -> Result<(), ()> {
        Ok(())
    }
}

/// Is the browser online? (Always "yes" on the server.)
pub fn online() -> bool {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .map(|w| w.navigator().on_line())
            .unwrap_or(true)
    }
    #[cfg(not(feature = "hydrate"))]
    {
        true
    }
}

/// A fresh idempotency key made in the browser.
pub fn new_key() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::window()
            .and_then(|w| w.crypto().ok())
            .map(|c| c.random_uuid())
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

/// The browser's clock as RFC 3339: a recovery records when it was submitted, even if it is
/// sent later from the outbox.
pub fn now_rfc3339() -> String {
    #[cfg(feature = "hydrate")]
    {
        web_sys::js_sys::Date::new_0()
            .to_iso_string()
            .as_string()
            .unwrap_or_default()
    }
    #[cfg(not(feature = "hydrate"))]
    {
        String::new()
    }
}

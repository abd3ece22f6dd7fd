//! The device's outbox: recoveries captured while the network is down (or while the answer
//! never came) wait here with their idempotency keys, the time they were captured and, on a
//! shared tablet, the turn they were captured in — and leave the device only when the server
//! has recorded them.
//!
//! - Sent with `log_deferred`: the server records each entry for the person whose turn
//!   captured it, whoever holds the tablet when the connection returns (or nobody).
//! - Replays are safe: the server's idempotency answers a key it already recorded from the
//!   ledger, never recording it twice.
//! - No answer, a busy server or "Please sign in" (the tablet itself was signed out): the
//!   entry stays and is tried again later.
//! - A refusal that will never succeed (a validation error, a turn that did not cover it)
//!   stays on the device as "needs attention", with the reason and the person's name, until
//!   someone deals with it and dismisses it.
//!
//! Kept in the browser's IndexedDB (one record per entry, keyed by its idempotency key), so
//! entries outlive reloads, closed tabs and pages loaded offline from the service worker;
//! drained from any page by the header ([`OutboxStatus`]). See [`device`] for what happens
//! where IndexedDB cannot be opened, and to entries kept by earlier builds.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::{
    api::{
        error::ApiError,
        recoveries::{log_deferred, LogOutcome},
    },
    domain::recovery::RecoveryForm,
};
pub use views::recoveries::TurnStamp;

/// One entry waiting on the device. Entries written by earlier builds (without a capture time
/// or a turn) still read: they are sent, and if the server cannot place them they show as
/// needing attention rather than vanish.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Queued {
    pub idempotency_key: String,
    pub form: RecoveryForm,
    /// When the person submitted it, by the device's clock (RFC 3339).
    #[serde(default)]
    pub captured_at: String,
    /// The turn it was captured in, on a shared tablet.
    #[serde(default)]
    pub turn: Option<TurnStamp>,
    /// Why the server refused it for good, once it has.
    #[serde(default)]
    pub problem: Option<String>,
}

impl Queued {
    /// Whose entry this is, as the tablet shows it.
    pub fn person(&self) -> String {
        self.turn
            .as_ref()
            .map(|t| t.display_name.clone())
            .unwrap_or_else(|| "this device's person".to_string())
    }
}

/// How many entries wait and how many need attention: shared by the header and the log page.
#[derive(Clone, Copy)]
pub struct OutboxCounts {
    pub waiting: RwSignal<usize>,
    pub attention: RwSignal<usize>,
    /// The entries that need attention, oldest first.
    pub needing_attention: RwSignal<Vec<Queued>>,
    /// The receipt of the latest entry the outbox sent.
    pub last_sent: RwSignal<Option<LogOutcome>>,
    sending: RwSignal<bool>,
}

impl OutboxCounts {
    pub fn new() -> Self {
        Self {
            waiting: RwSignal::new(0),
            attention: RwSignal::new(0),
            needing_attention: RwSignal::new(Vec::new()),
            last_sent: RwSignal::new(None),
            sending: RwSignal::new(false),
        }
    }

    /// Reads the counts from the device again.
    pub async fn refresh(&self) {
        let all = device::all().await;
        let attention: Vec<Queued> = all
            .iter()
            .filter(|e| e.problem.is_some())
            .cloned()
            .collect();
        self.waiting.set(all.len() - attention.len());
        self.attention.set(attention.len());
        self.needing_attention.set(attention);
    }

    /// Keeps an entry on the device; only once this has succeeded may the person be told it
    /// waits to be sent.
    pub async fn push(&self, entry: Queued) -> Result<(), String> {
        let kept = device::put(&entry).await;
        self.refresh().await;
        kept
    }

    /// Removes an entry someone dealt with after it needed attention.
    pub async fn dismiss(&self, idempotency_key: &str) {
        device::remove(idempotency_key).await;
        self.refresh().await;
    }

    /// Sends what waits, oldest first; stops at the first entry that gets no answer.
    pub fn drain(&self) {
        let counts = *self;
        if counts.sending.get_untracked() || !online() {
            return;
        }
        counts.sending.set(true);
        leptos::task::spawn_local(async move {
            let waiting = device::all()
                .await
                .into_iter()
                .filter(|e| e.problem.is_none());
            for entry in waiting {
                let turn_token = entry
                    .turn
                    .as_ref()
                    .map(|t| t.token.clone())
                    .unwrap_or_default();
                let result = log_deferred(
                    turn_token,
                    entry.captured_at.clone(),
                    entry.idempotency_key.clone(),
                    entry.form.clone(),
                )
                .await;
                match result {
                    Ok(outcome) => {
                        device::remove(&entry.idempotency_key).await;
                        counts.last_sent.set(Some(outcome));
                    }
                    Err(error) if will_never_succeed(&error) => {
                        let _ = device::put(&Queued {
                            problem: Some(error.to_string()),
                            ..entry
                        })
                        .await;
                    }
                    // No answer, busy, or the device itself must sign in again: keep it.
                    Err(_) => break,
                }
            }
            counts.refresh().await;
            counts.sending.set(false);
        });
    }
}

impl Default for OutboxCounts {
    fn default() -> Self {
        Self::new()
    }
}

/// A refusal the same request will get again however often it is sent.
fn will_never_succeed(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::Validation(_)
            | ApiError::Fields(_)
            | ApiError::Budget(_)
            | ApiError::Forbidden
            | ApiError::NotFound(_)
            | ApiError::Conflict(_)
    )
}

/// Where the entries are kept.
///
/// - IndexedDB (database `goodwill`, store `outbox`): one record per entry, its JSON under its
///   idempotency key. Writes are awaited to their commit before anyone is told an entry waits.
/// - Local storage, as one JSON list under `goodwill.outbox`, only where IndexedDB cannot be
///   opened (some private modes). Earlier builds kept every entry there: those are moved into
///   IndexedDB the first time it opens, written there before they are removed here, so a
///   failure in between leaves them in both places (harmless: the key is the same, and the
///   server records a key once).
/// - Reads take both, so an entry is never hidden by where it happens to be.
///
/// On the server there is no device: nothing is kept and nothing is read.
mod device {
    use super::Queued;

    #[cfg(feature = "hydrate")]
    mod browser {
        use super::Queued;
        use idb::{builder::ObjectStoreBuilder, Database, TransactionMode};
        use leptos::wasm_bindgen::JsValue;

        const DATABASE: &str = "goodwill";
        const STORE: &str = "outbox";
        const LEGACY_KEY: &str = "goodwill.outbox";

        async fn open() -> Result<Database, String> {
            Database::builder(DATABASE)
                .version(1)
                .add_object_store(ObjectStoreBuilder::new(STORE))
                .build()
                .await
                .map_err(|e| e.to_string())
        }

        /// Runs `write` in one read-write transaction and waits for its commit.
        async fn write(
            database: &Database,
            write: impl FnOnce(&idb::ObjectStore) -> Result<(), idb::Error>,
        ) -> Result<(), String> {
            let transaction = database
                .transaction(&[STORE], TransactionMode::ReadWrite)
                .map_err(|e| e.to_string())?;
            let store = transaction.object_store(STORE).map_err(|e| e.to_string())?;
            write(&store).map_err(|e| e.to_string())?;
            let result = transaction
                .commit()
                .map_err(|e| e.to_string())?
                .await
                .map_err(|e| e.to_string())?;
            if result.is_committed() {
                Ok(())
            } else {
                Err("the device's storage refused the write".to_string())
            }
        }

        fn json(entry: &Queued) -> Result<String, String> {
            serde_json::to_string(entry).map_err(|e| e.to_string())
        }

        async fn indexed_all(database: &Database) -> Result<Vec<Queued>, String> {
            let transaction = database
                .transaction(&[STORE], TransactionMode::ReadOnly)
                .map_err(|e| e.to_string())?;
            let store = transaction.object_store(STORE).map_err(|e| e.to_string())?;
            let values = store
                .get_all(None, None)
                .map_err(|e| e.to_string())?
                .await
                .map_err(|e| e.to_string())?;
            Ok(values
                .into_iter()
                .filter_map(|v| v.as_string())
                .filter_map(|json| serde_json::from_str(&json).ok())
                .collect())
        }

        fn local_storage() -> Option<web_sys::Storage> {
            web_sys::window()?.local_storage().ok().flatten()
        }

        fn legacy_all() -> Vec<Queued> {
            local_storage()
                .and_then(|s| s.get_item(LEGACY_KEY).ok().flatten())
                .and_then(|json| serde_json::from_str(&json).ok())
                .unwrap_or_default()
        }

        fn legacy_save(all: &[Queued]) -> Result<(), String> {
            let storage = local_storage().ok_or("this browser keeps nothing on the device")?;
            if all.is_empty() {
                return storage
                    .remove_item(LEGACY_KEY)
                    .map_err(|_| "the device's storage refused the write".to_string());
            }
            let json = serde_json::to_string(all).map_err(|e| e.to_string())?;
            storage
                .set_item(LEGACY_KEY, &json)
                .map_err(|_| "the device's storage is full".to_string())
        }

        /// Moves entries kept in local storage into IndexedDB: written there first.
        async fn adopt_legacy(database: &Database) {
            let legacy = legacy_all();
            if legacy.is_empty() {
                return;
            }
            let moved = write(database, |store| {
                for entry in &legacy {
                    let value = JsValue::from_str(&json(entry).unwrap_or_default());
                    store.put(&value, Some(&JsValue::from_str(&entry.idempotency_key)))?;
                }
                Ok(())
            })
            .await;
            if moved.is_ok() {
                let _ = legacy_save(&[]);
            }
        }

        pub async fn all() -> Vec<Queued> {
            let mut all = match open().await {
                Ok(database) => {
                    adopt_legacy(&database).await;
                    let found = indexed_all(&database).await.unwrap_or_default();
                    database.close();
                    found
                }
                Err(_) => Vec::new(),
            };
            for entry in legacy_all() {
                if !all
                    .iter()
                    .any(|e| e.idempotency_key == entry.idempotency_key)
                {
                    all.push(entry);
                }
            }
            // Oldest first (capture times are the device's own clock, RFC 3339 in UTC).
            all.sort_by(|a, b| {
                (&a.captured_at, &a.idempotency_key).cmp(&(&b.captured_at, &b.idempotency_key))
            });
            all
        }

        pub async fn put(entry: &Queued) -> Result<(), String> {
            let value = json(entry)?;
            let indexed = match open().await {
                Ok(database) => {
                    let kept = write(&database, |store| {
                        store
                            .put(
                                &JsValue::from_str(&value),
                                Some(&JsValue::from_str(&entry.idempotency_key)),
                            )
                            .map(|_| ())
                    })
                    .await;
                    database.close();
                    kept
                }
                Err(error) => Err(error),
            };
            match indexed {
                Ok(()) => Ok(()),
                // Not kept in IndexedDB: local storage instead, or tell the person.
                Err(indexed_error) => {
                    let mut legacy = legacy_all();
                    legacy.retain(|e| e.idempotency_key != entry.idempotency_key);
                    legacy.push(entry.clone());
                    legacy_save(&legacy).map_err(|e| format!("{indexed_error}; {e}"))
                }
            }
        }

        pub async fn remove(idempotency_key: &str) {
            if let Ok(database) = open().await {
                let _ = write(&database, |store| {
                    store.delete(JsValue::from_str(idempotency_key)).map(|_| ())
                })
                .await;
                database.close();
            }
            let mut legacy = legacy_all();
            let before = legacy.len();
            legacy.retain(|e| e.idempotency_key != idempotency_key);
            if legacy.len() != before {
                let _ = legacy_save(&legacy);
            }
        }
    }

    #[cfg(feature = "hydrate")]
    pub use browser::{all, put, remove};

    #[cfg(not(feature = "hydrate"))]
    pub async fn all() -> Vec<Queued> {
        Vec::new()
    }

    #[cfg(not(feature = "hydrate"))]
    pub async fn put(_: &Queued) -> Result<(), String> {
        Err("there is no device on the server".to_string())
    }

    #[cfg(not(feature = "hydrate"))]
    pub async fn remove(_: &str) {}
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

/// The header's line about the outbox, on every page: how many entries wait and how many
/// need attention. It drains the outbox when the page loads, when the browser comes back
/// online, and every 30 seconds while anything waits.
#[component]
pub fn OutboxStatus() -> impl IntoView {
    let counts = expect_context::<OutboxCounts>();
    Effect::new(move |_| {
        // Counted first, so the header shows what waits even while nothing answers.
        leptos::task::spawn_local(async move {
            counts.refresh().await;
            counts.drain();
        });
        let online = window_event_listener(leptos::ev::online, move |_| counts.drain());
        let retry = set_interval_with_handle(
            move || {
                if counts.waiting.get_untracked() > 0 {
                    counts.drain();
                }
            },
            std::time::Duration::from_secs(30),
        )
        .ok();
        on_cleanup(move || {
            online.remove();
            if let Some(retry) = retry {
                retry.clear();
            }
        });
    });
    view! {
        <span class="outbox-status" data-testid="outbox-status">
            {move || {
                let n = counts.waiting.get();
                (n > 0).then(|| view! { <span class="waiting-count">{format!("{n} waiting to send")}</span> })
            }}
            {move || (counts.attention.get() > 0).then(|| view! {
                <a class="attention-count" href="/log#needs-attention">
                    {format!("{} need attention", counts.attention.get())}
                </a>
            })}
        </span>
    }
}

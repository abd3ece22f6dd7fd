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
//! Kept in the browser's local storage (one JSON list), drained from any page by the header
//! ([`OutboxStatus`]).

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

const KEY: &str = "goodwill.outbox";

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
    /// The receipt of the latest entry the outbox sent.
    pub last_sent: RwSignal<Option<LogOutcome>>,
    sending: RwSignal<bool>,
}

impl OutboxCounts {
    pub fn new() -> Self {
        Self {
            waiting: RwSignal::new(0),
            attention: RwSignal::new(0),
            last_sent: RwSignal::new(None),
            sending: RwSignal::new(false),
        }
    }

    /// Reads the counts from storage again.
    pub fn refresh(&self) {
        let all = all();
        self.waiting
            .set(all.iter().filter(|e| e.problem.is_none()).count());
        self.attention
            .set(all.iter().filter(|e| e.problem.is_some()).count());
    }

    /// Queues an entry and updates the counts.
    pub fn push(&self, entry: Queued) {
        push(entry);
        self.refresh();
    }

    /// Sends what waits, oldest first; stops at the first entry that gets no answer.
    pub fn drain(&self) {
        let counts = *self;
        if counts.sending.get_untracked() || !online() {
            return;
        }
        let waiting: Vec<Queued> = all().into_iter().filter(|e| e.problem.is_none()).collect();
        if waiting.is_empty() {
            return;
        }
        counts.sending.set(true);
        leptos::task::spawn_local(async move {
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
                        remove(&entry.idempotency_key);
                        counts.last_sent.set(Some(outcome));
                    }
                    Err(error) if will_never_succeed(&error) => {
                        set_problem(&entry.idempotency_key, &error.to_string());
                    }
                    // No answer, busy, or the device itself must sign in again: keep it.
                    Err(_) => break,
                }
            }
            counts.refresh();
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

/// Everything on the device, oldest first.
pub fn all() -> Vec<Queued> {
    storage()
        .and_then(|s| s.get_item(KEY).ok().flatten())
        .and_then(|json| serde_json::from_str(&json).ok())
        .unwrap_or_default()
}

fn push(entry: Queued) {
    let mut all = all();
    if !all
        .iter()
        .any(|e| e.idempotency_key == entry.idempotency_key)
    {
        all.push(entry);
    }
    save(&all);
}

/// Removes one entry: recorded, or dealt with by someone after it needed attention.
pub fn remove(idempotency_key: &str) {
    let mut all = all();
    all.retain(|e| e.idempotency_key != idempotency_key);
    save(&all);
}

fn set_problem(idempotency_key: &str, problem: &str) {
    let mut all = all();
    for entry in all.iter_mut() {
        if entry.idempotency_key == idempotency_key {
            entry.problem = Some(problem.to_string());
        }
    }
    save(&all);
}

fn save(all: &[Queued]) {
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

/// The header's line about the outbox, on every page: how many entries wait and how many
/// need attention. It drains the outbox when the page loads, when the browser comes back
/// online, and every 30 seconds while anything waits.
#[component]
pub fn OutboxStatus() -> impl IntoView {
    let counts = expect_context::<OutboxCounts>();
    Effect::new(move |_| {
        counts.refresh();
        counts.drain();
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

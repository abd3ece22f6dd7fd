//! Log a recovery: the fastest path first — what went wrong, what was done, the amount and
//! the customer's reaction as big tiles (four taps plus the amount); everything else one tap
//! away under "More details", with defaults from the person's team.
//!
//! It is a plain HTML form posting to the server function, so it works without JavaScript.
//! Once the page is live, submissions go through the outbox: if the network is down (or
//! drops mid-request) the recovery waits on the device with its idempotency key and is sent
//! when the connection returns.

use leptos::{form::FromFormData, prelude::*};
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::{
        error::ApiError,
        recoveries::{
            customer_history, log_form, log_recovery, logged_outcome, Choice, LogFormData,
            LogOutcome, LogRecovery,
        },
    },
    components::{history::CustomerHistory, outbox},
};

/// A face for each reaction, drawn (not an emoji: tablets' fonts differ).
#[component]
fn Face(code: String) -> impl IntoView {
    // The mouth: a smile, a small smile, a straight line, a frown.
    let mouth = match code.as_str() {
        "delighted" => "M9 15 Q16 24 23 15 Z",
        "satisfied" => "M10 19 Q16 23 22 19",
        "neutral" => "M10 20 L22 20",
        _ => "M10 22 Q16 17 22 22",
    };
    view! {
        <svg class="face" viewBox="0 0 32 32" width="40" height="40" aria-hidden="true" focusable="false">
            <circle cx="16" cy="16" r="14" class="face-head"/>
            <circle cx="11" cy="12" r="2" class="face-feature"/>
            <circle cx="21" cy="12" r="2" class="face-feature"/>
            <path d=mouth class="face-mouth"/>
        </svg>
    }
}

#[component]
pub fn LogPage() -> impl IntoView {
    let query = use_query_map();
    let logged = move || query.with(|q| q.get("logged").and_then(|id| id.parse::<i64>().ok()));
    let receipt = Resource::new(logged, |id| async move {
        match id {
            Some(id) => logged_outcome(id).await.map(Some),
            None => Ok(None),
        }
    });
    let data = Resource::new(|| (), |_| log_form());
    // A failed plain form post comes back with its error in the address; the action reads it.
    let plain_post = ServerAction::<LogRecovery>::new();
    let outcome: RwSignal<Option<Result<LogOutcome, ApiError>>> = RwSignal::new(None);
    let counts = expect_context::<outbox::OutboxCounts>();
    let waiting = counts.waiting;
    // What the outbox sent (from this page or another) shows as this page's receipt.
    Effect::new(move |_| {
        if let Some(sent) = counts.last_sent.get() {
            outcome.set(Some(Ok(sent)));
        }
    });

    let field_error = move |field: &'static str| {
        move || {
            outcome
                .get()
                .or_else(|| plain_post.value().get())
                .and_then(|r| r.err())
                .and_then(|e| e.for_field(field))
                .unwrap_or_default()
        }
    };

    view! {
        <Title text="Log a recovery · Goodwill"/>
        <section class="card" aria-labelledby="log-heading">
            <h1 id="log-heading">"Log a recovery"</h1>
            <p class="outcome" role="status" aria-live="polite" data-testid="outcome">
                // Inside Suspense so that a plain form post's receipt is rendered on the server.
                <Suspense fallback=|| ()>
                    {move || {
                        let current = outcome.get().or_else(|| plain_post.value().get());
                        Suspend::new(async move {
                            let message = match current {
                                Some(Ok(o)) => Some((true, o.message)),
                                Some(Err(e)) => Some((false, e.to_string())),
                                None => receipt.await.ok().flatten().map(|o| (true, o.message)),
                            };
                            message.map(|(ok, text)| view! { <span class=if ok { "ok" } else { "error" }>{text}</span> })
                        })
                    }}
                </Suspense>
            </p>
            <p class="waiting" class:visible=move || { waiting.get() > 0 } role="status" data-testid="waiting">
                {move || match waiting.get() {
                    0 => String::new(),
                    1 => "1 recovery waiting to send — it goes out as soon as the tablet is back online.".to_string(),
                    n => format!("{n} recoveries waiting to send — they go out as soon as the tablet is back online."),
                }}
            </p>
            // Type-erased: the page's view type is otherwise too deep for the wasm build.
            {view! { <NeedsAttention counts/> }.into_any()}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match data.await {
                        Ok(data) => view! { <LogForm data outcome counts field_error/> }.into_any(),
                        Err(error) => view! {
                            <p class="error" role="alert">{error.to_string()}</p>
                            <p><a href="/sign-in">"Sign in"</a>" or use a shared tablet."</p>
                        }.into_any(),
                    }
                })}
            </Suspense>
            <p class="links"><a href="/today" rel="external">"Today"</a>" · "<a href="/my-log" rel="external">"My log"</a></p>
        </section>
    }
}

#[component]
fn LogForm<F, G>(
    data: LogFormData,
    outcome: RwSignal<Option<Result<LogOutcome, ApiError>>>,
    counts: outbox::OutboxCounts,
    field_error: F,
) -> impl IntoView
where
    F: Fn(&'static str) -> G + Copy + Send + Sync + 'static,
    G: Fn() -> String + Send + Sync + 'static,
{
    let key = RwSignal::new(data.idempotency_key.clone());
    let turn = data.turn.clone();
    let form_ref = NodeRef::<leptos::html::Form>::new();
    let amount_ref = NodeRef::<leptos::html::Input>::new();
    let reference = RwSignal::new(String::new());

    let on_submit = move |ev: leptos::ev::SubmitEvent| {
        let mut args = match LogRecovery::from_event(&ev) {
            Ok(args) => args,
            // Let the browser post the form itself.
            Err(_) => return,
        };
        ev.prevent_default();
        let captured_at = outbox::now_rfc3339();
        args.form.occurred_at = captured_at.clone();
        // The next recovery gets a key of its own; this one keeps the key it was sent with.
        if let Some(form) = form_ref.get() {
            form.reset();
            reference.set(String::new());
        }
        key.set(outbox::new_key());
        // Queued, it carries who captured it and when: it is recorded for this turn's person
        // whoever holds the tablet when it is sent.
        let queued = outbox::Queued {
            idempotency_key: args.idempotency_key.clone(),
            form: args.form.clone(),
            captured_at,
            turn: turn.clone(),
            problem: None,
        };
        leptos::task::spawn_local(async move {
            if !outbox::online() {
                keep(counts, outcome, queued).await;
                return;
            }
            match log_recovery(args.idempotency_key.clone(), args.form.clone()).await {
                // No answer, a busy server, or the turn ended on the server while the person
                // was still at it: keep it on the device and send it for them.
                Err(ApiError::Request(_) | ApiError::Unavailable | ApiError::SignInRequired) => {
                    if keep(counts, outcome, queued).await {
                        counts.drain();
                    }
                }
                result => outcome.set(Some(result)),
            }
        });
    };

    let tiles = |name: &'static str, choices: Vec<Choice>, with_face: bool| {
        choices
            .into_iter()
            .map(|c| {
                let id = format!("{name}-{}", c.code);
                view! {
                    <label class="choice">
                        <input type="radio" id=id name=name value=c.code.clone() required=true/>
                        {with_face.then(|| view! { <Face code=c.code.clone()/> })}
                        <span>{c.label}</span>
                    </label>
                }
            })
            .collect_view()
    };
    let options = |choices: Vec<Choice>, selected: String| {
        choices
            .into_iter()
            .map(|c| {
                let is_selected = c.code == selected;
                view! { <option value=c.code selected=is_selected>{c.label}</option> }
            })
            .collect_view()
    };
    let currency = data.currency.clone();
    let (initial_remaining, initial_currency) = (data.remaining.clone(), data.currency.clone());

    view! {
        <p class="remaining" data-testid="remaining">
            {move || {
                outcome
                    .get()
                    .and_then(|o| o.ok())
                    .map(|o| o.remaining)
                    .unwrap_or_else(|| format!("{} {}", initial_remaining, initial_currency))
            }}
            " left today"
        </p>
        <form action="/api/log-recovery" method="post" node_ref=form_ref on:submit=on_submit class="log-form" novalidate>
            <input type="hidden" name="idempotency_key" value=move || key.get()/>
            <fieldset class="tiles-field">
                <legend>"What went wrong"</legend>
                <div class="choices">{tiles("category", data.categories, false)}</div>
                <p class="error field-error">{field_error("category")}</p>
            </fieldset>
            <fieldset class="tiles-field">
                <legend>"What was done"</legend>
                <div class="choices">{tiles("remedy", data.remedies, false)}</div>
                <p class="error field-error">{field_error("remedy")}</p>
            </fieldset>
            <div class="amount-field">
                <label for="amount">{format!("Amount ({currency}) — 0 for a fix without cost")}</label>
                <input id="amount" name="amount" node_ref=amount_ref inputmode="decimal" autocomplete="off" placeholder="0.00"/>
                <div class="chips" role="group" aria-label="Quick amounts">
                    {data.quick_amounts.into_iter().map(|amount| {
                        let value = amount.clone();
                        view! {
                            <button type="button" class="chip" on:click=move |_| {
                                if let Some(input) = amount_ref.get() {
                                    input.set_value(&value);
                                }
                            }>{amount}</button>
                        }
                    }).collect_view()}
                </div>
                <p class="error field-error">{field_error("amount")}</p>
            </div>
            <fieldset class="tiles-field">
                <legend>"Customer's reaction"</legend>
                <div class="choices faces">{tiles("reaction", data.reactions, true)}</div>
                <p class="error field-error">{field_error("reaction")}</p>
            </fieldset>
            <details class="more">
                <summary>"More details"</summary>
                <div class="grid-form">
                    <label for="touchpoint">"Touchpoint"</label>
                    <select id="touchpoint" name="touchpoint">{options(data.touchpoints, data.default_touchpoint)}</select>
                    <label for="channel">"Channel"</label>
                    <select id="channel" name="channel">{options(data.channels, "in-person".to_string())}</select>
                    <label for="customer_ref">"Customer reference (room, table, order)"</label>
                    <input id="customer_ref" name="customer_ref" maxlength="40" autocomplete="off"
                        on:change=move |ev| reference.set(event_target_value(&ev))/>
                    {view! { <ReferenceHistory reference/> }.into_any()}
                    <label for="severity">"Severity"</label>
                    <select id="severity" name="severity">{options(data.severities, "medium".to_string())}</select>
                    <label for="description">"What happened (optional)"</label>
                    <textarea id="description" name="description" maxlength="280" rows="2"></textarea>
                    <label for="cause">"Suspected cause"</label>
                    <select id="cause" name="cause">
                        <option value="">"Not sure yet"</option>
                        {options(data.causes, String::new())}
                    </select>
                    <label for="cause_note">"Cause note"</label>
                    <input id="cause_note" name="cause_note" maxlength="500"/>
                    <label for="follow_up_needed">"Follow-up needed"</label>
                    <input id="follow_up_needed" name="follow_up_needed" type="checkbox" class="checkbox"/>
                    <label for="follow_up_hours">"Follow up within (hours)"</label>
                    <input id="follow_up_hours" name="follow_up_hours" inputmode="numeric" placeholder="24"/>
                </div>
                <p class="error field-error">{field_error("touchpoint")}{field_error("customer_ref")}{field_error("follow_up_hours")}</p>
            </details>
            <button type="submit" class="button primary big">"Log recovery"</button>
        </form>
    }
}

/// Keeps an entry on the device to be sent later. Says so only once it is kept; if the device
/// cannot keep it, says that instead (the form was already cleared: the person must know).
async fn keep(
    counts: outbox::OutboxCounts,
    outcome: RwSignal<Option<Result<LogOutcome, ApiError>>>,
    queued: outbox::Queued,
) -> bool {
    match counts.push(queued).await {
        Ok(()) => {
            outcome.set(None);
            true
        }
        Err(reason) => {
            outcome.set(Some(Err(ApiError::Request(format!(
                "Not sent, and this tablet could not keep it to send later ({reason}). Please log it again when the connection returns."
            )))));
            false
        }
    }
}

/// Entries the server refused for good: each with the person's name, what it was and why,
/// until someone deals with it (logs it again correctly, or tells a supervisor) and dismisses
/// it here. Nothing leaves the device unseen.
#[component]
fn NeedsAttention(counts: outbox::OutboxCounts) -> impl IntoView {
    let entries = move || counts.needing_attention.get();
    view! {
        <Show when=move || { counts.attention.get() > 0 }>
            <section id="needs-attention" class="needs-attention" aria-labelledby="attention-heading" data-testid="needs-attention">
                <h2 id="attention-heading">"Needs attention"</h2>
                <p class="muted">"These could not be recorded. Log them again with the details fixed, or tell a supervisor, then dismiss them."</p>
                <ul>
                    {move || entries().into_iter().map(|entry| {
                        let key = entry.idempotency_key.clone();
                        let what = format!(
                            "{} — {} · {} · {}",
                            entry.person(),
                            entry.form.category,
                            entry.form.remedy,
                            if entry.form.amount.is_empty() { "0" } else { entry.form.amount.as_str() },
                        );
                        view! {
                            <li>
                                <p><strong>{what}</strong>" "<span class="muted">{entry.captured_at.clone()}</span></p>
                                <p class="error">{entry.problem.clone().unwrap_or_default()}</p>
                                <button type="button" class="button small" on:click=move |_| {
                                    let key = key.clone();
                                    leptos::task::spawn_local(async move { counts.dismiss(&key).await });
                                }>"Dismiss"</button>
                            </li>
                        }
                    }).collect_view()}
                </ul>
            </section>
        </Show>
    }
}

/// The customer's earlier recoveries here, once a reference is entered (asked when the field
/// is left). Nothing while offline or when there are none.
#[component]
fn ReferenceHistory(reference: RwSignal<String>) -> impl IntoView {
    let history = Resource::new(
        move || reference.get(),
        |reference| async move {
            if reference.trim().is_empty() {
                return Vec::new();
            }
            customer_history(reference).await.unwrap_or_default()
        },
    );
    view! {
        <div class="history-slot" aria-live="polite">
            {move || history.get().map(|entries| view! { <CustomerHistory entries/> })}
        </div>
    }
}

//! The approval queue: requests over budget in my locations, each with its full context and
//! the person's budget today; approve all, approve part, or deny with a reason — one click
//! each. The queue updates live (server-sent events) and polls every 20 s as a fallback.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::approvals::{approval_queue, PendingRequest, ResolveRequest},
    components::{
        feedback::{error_message, ActionError},
        history::CustomerHistory,
    },
};

#[component]
pub fn ApprovalsPage() -> impl IntoView {
    let resolve = ServerAction::<ResolveRequest>::new();
    let tick = RwSignal::new(0u32);
    let live = RwSignal::new(false);
    // The first load and a decision are the person's doing; the ticks (poll, live nudge) are
    // the page's own and do not keep a tablet turn alive.
    let queue = Resource::new(
        move || (resolve.version().get(), tick.get()),
        |(_, tick)| approval_queue(tick > 0),
    );
    Effect::new(move |_| {
        listen_for_changes(tick, live);
        let poll = set_interval_with_handle(
            move || {
                tick.try_update(|t| *t += 1);
            },
            std::time::Duration::from_secs(20),
        )
        .ok();
        on_cleanup(move || {
            if let Some(poll) = poll {
                poll.clear();
            }
        });
    });
    let done = move || resolve.value().get().and_then(|r| r.ok());

    view! {
        <Title text="Approvals · Goodwill"/>
        <crate::pages::console::ConsoleNav current="/approvals"/>
        <section class="card" aria-labelledby="approvals-heading">
            <h1 id="approvals-heading">"Approval queue"</h1>
            <p class="muted" data-testid="live">
                {move || if live.get() { "Live: new requests appear here as they arrive." } else { "Refreshes every 20 seconds." }}
            </p>
            <p class="outcome" role="status">{move || done().map(|text| view! { <span class="ok">{text}</span> })}</p>
            <ActionError message=Signal::derive(move || resolve.value().with(error_message))/>
        </section>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match queue.await {
                    Err(error) => view! { <section class="card"><p class="error" role="alert" data-testid="refused">{error.to_string()}</p></section> }.into_any(),
                    Ok(queue) if queue.requests.is_empty() => view! { <section class="card"><p data-testid="queue-empty">"Nothing waiting."</p></section> }.into_any(),
                    Ok(queue) => {
                        let shown = queue.requests.len() as i64;
                        let more = (queue.waiting > shown).then(|| view! {
                            <p class="muted" data-testid="queue-more">
                                {format!("The {shown} oldest of {} waiting: as these are decided, the next ones move up.", queue.waiting)}
                            </p>
                        });
                        view! {
                            {more}
                            {queue.requests.into_iter().map(|r| view! { <Request r resolve/> }).collect_view()}
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

#[component]
fn Request(r: PendingRequest, resolve: ServerAction<ResolveRequest>) -> impl IntoView {
    let id = r.recovery_id.to_string();
    let (part_input, reason_input) = (format!("part-{id}"), format!("reason-{id}"));
    let hidden = move |decision: &'static str,
                       with_amount: bool,
                       with_reason: bool,
                       id: String,
                       key: String| {
        view! {
            <input type="hidden" name="recovery_id" value=id/>
            <input type="hidden" name="decision" value=decision/>
            <input type="hidden" name="idempotency_key" value=key/>
            {(!with_amount).then(|| view! { <input type="hidden" name="amount" value=""/> })}
            {(!with_reason).then(|| view! { <input type="hidden" name="reason" value=""/> })}
        }
    };
    let (approve_fields, part_fields, deny_fields) = (
        hidden("approve", false, false, id.clone(), r.decision_key.clone()),
        hidden("part", true, false, id.clone(), r.decision_key.clone()),
        hidden("deny", false, true, id.clone(), r.decision_key.clone()),
    );
    view! {
        <article class="card request" data-testid="request" aria-label=format!("Request from {}", r.person)>
            <h2>{format!("{} · {} over budget", r.person, r.excess)}</h2>
            <p class="muted">{format!("{} · {}", r.when, r.touchpoint)}{r.customer_ref.map(|c| format!(" · {c}"))}</p>
            <p><strong>{r.what}</strong>{format!(" → {}: {} ({} from the budget, {} waiting)", r.done, r.amount, r.covered, r.excess)}</p>
            <p>{format!("Customer: {}", r.reaction)}{r.cause.map(|c| format!(" · suspected cause: {c}"))}</p>
            <p>{format!("Budget: {}", r.budget_today)}</p>
            {r.from_previous_day.then(|| view! {
                <p class="warning">"From a previous day: still waiting. It stays pending until someone decides; the day's budget is not reopened."</p>
            })}
            <CustomerHistory entries=r.customer_history/>
            {(!r.recent.is_empty()).then(|| view! {
                <details>
                    <summary>"Recent recoveries"</summary>
                    <ul>{r.recent.into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                </details>
            })}
            <div class="decide">
                <ActionForm action=resolve attr:class="inline">
                    {approve_fields}
                    <button type="submit" class="button primary">{format!("Approve all {}", r.excess)}</button>
                </ActionForm>
                <ActionForm action=resolve attr:class="inline">
                    {part_fields}
                    <label for=part_input.clone()>"Approve part"</label>
                    <input id=part_input name="amount" inputmode="decimal" required placeholder=r.excess_plain/>
                    <button type="submit" class="button">"Approve part"</button>
                </ActionForm>
                <ActionForm action=resolve attr:class="inline">
                    {deny_fields}
                    <label for=reason_input.clone()>"Reason"</label>
                    <input id=reason_input name="reason" required maxlength="500"/>
                    <button type="submit" class="button">"Deny"</button>
                </ActionForm>
            </div>
        </article>
    }
}

/// Subscribes to the server's approval events; each one refreshes the queue.
fn listen_for_changes(tick: RwSignal<u32>, live: RwSignal<bool>) {
    #[cfg(feature = "hydrate")]
    {
        use web_sys::wasm_bindgen::{closure::Closure, JsCast};
        let Ok(source) = web_sys::EventSource::new("/events/approvals") else {
            return;
        };
        let on_change = Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
            tick.try_update(|t| *t += 1);
        });
        let on_open = Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
            live.try_set(true);
        });
        let on_error = Closure::<dyn Fn(web_sys::Event)>::new(move |_| {
            live.try_set(false);
        });
        let _ =
            source.add_event_listener_with_callback("queue", on_change.as_ref().unchecked_ref());
        source.set_onopen(Some(on_open.as_ref().unchecked_ref()));
        source.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        // The handlers live as long as the stream; the browser reconnects it by itself.
        on_change.forget();
        on_open.forget();
        on_error.forget();
        let source = StoredValue::new_local(source);
        on_cleanup(move || {
            source.try_with_value(|s| s.close());
        });
    }
    #[cfg(not(feature = "hydrate"))]
    {
        let _ = (tick, live);
    }
}

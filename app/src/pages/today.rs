//! Today: what is left of my budget (large and first), what I spent, warnings as the budget
//! runs low, and my open follow-ups with the time left on each.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::recoveries::{today, CompleteFollowUp, FollowUpView},
    components::feedback::{error_message, ActionError},
};

#[component]
pub fn TodayPage() -> impl IntoView {
    let complete = ServerAction::<CompleteFollowUp>::new();
    let data = Resource::new(move || complete.version().get(), |_| today());
    view! {
        <Title text="Today · Goodwill"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match data.await {
                    Err(error) => view! {
                        <section class="card">
                            <p class="error" role="alert">{error.to_string()}</p>
                            <p><a href="/sign-in">"Sign in"</a></p>
                        </section>
                    }.into_any(),
                    Ok(today) => view! {
                        <section class="card budget" aria-labelledby="budget-heading">
                            <h1 id="budget-heading" class="visually-hidden">"Today's budget"</h1>
                            <p class="muted">{format!("{} · {} · {}", today.display_name, today.location_name, today.date)}</p>
                            <p class="big-number" data-testid="remaining">{format!("{} {}", today.remaining, today.currency)}</p>
                            <p class="big-label">"left today"</p>
                            <label class="visually-hidden" for="budget-used">"Share of today's budget used"</label>
                            <meter id="budget-used" class="meter" min="0" max="100" low="75" high="90" optimum="0"
                                value=today.used_percent.clamp(0, 100).to_string()>
                                {format!("{} %", today.used_percent)}
                            </meter>
                            <p>{format!("Spent {} of {} {}", today.spent, today.allowance, today.currency)}
                                {(today.pending != "0.00" && !today.pending.is_empty()).then(|| format!(" · {} waiting for approval", today.pending))}
                                {(today.approved != "0.00" && !today.approved.is_empty()).then(|| format!(" · {} approved beyond budget", today.approved))}
                            </p>
                            {today.warning.map(|w| view! { <p class="warning" role="alert">{w}</p> })}
                            <p class="actions">
                                <a class="button primary big" href="/log" rel="external">"Log a recovery"</a>
                                <a class="button" href="/my-log" rel="external">"My log"</a>
                            </p>
                        </section>
                        <section class="card" aria-labelledby="follow-ups-heading">
                            <h2 id="follow-ups-heading">"My open follow-ups"</h2>
                            {if today.follow_ups.is_empty() {
                                view! { <p>"Nothing open."</p> }.into_any()
                            } else {
                                view! {
                                    <ul class="follow-ups" role="list">
                                        {today.follow_ups.into_iter().map(|f| view! { <FollowUp f complete/> }).collect_view()}
                                    </ul>
                                }.into_any()
                            }}
                            <ActionError message=Signal::derive(move || complete.value().with(error_message))/>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn FollowUp(f: FollowUpView, complete: ServerAction<CompleteFollowUp>) -> impl IntoView {
    let note_id = format!("note-{}", f.recovery_id);
    view! {
        <li class=if f.overdue { "follow-up overdue" } else { "follow-up" }>
            <p>
                <strong>{f.what}</strong>
                {f.customer_ref.map(|r| format!(" · {r}"))}
            </p>
            <p class="due">{format!("Due {} · {}", f.due, f.time_left)}</p>
            <ActionForm action=complete attr:class="inline">
                <input type="hidden" name="recovery_id" value=f.recovery_id.to_string()/>
                <label class="visually-hidden" for=note_id.clone()>"What was done"</label>
                <input id=note_id name="note" placeholder="What was done" required maxlength="500"/>
                <button type="submit" class="button small">"Mark done"</button>
            </ActionForm>
        </li>
    }
}

//! The improvement queue (`/improvements`): items ranked by priority with their computed
//! figures, the recurring-cause signals of the current window, and a form for a manager's
//! own item that shows similar open items while the title is typed. One item
//! (`/improvements/:id`): its figures, the before/after effect once done, the workflow,
//! owner, due date, countermeasure, comments, linked recoveries and history.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

use crate::{
    api::learning::{
        improvement_item, improvement_queue, similar_items, CommentImprovement, CreateImprovement,
        EditImprovement, ItemDetail, ItemSummary, LinkToImprovement, MoveImprovement,
        SetThresholds,
    },
    components::{
        choices::options,
        feedback::{error_message, ActionError},
    },
    pages::console::ConsoleNav,
};

#[component]
pub fn ImprovementsPage() -> impl IntoView {
    let query = use_query_map();
    let create = ServerAction::<CreateImprovement>::new();
    let thresholds = ServerAction::<SetThresholds>::new();
    let filters = move || {
        query.with(|q| {
            (
                q.get("location").unwrap_or_default(),
                q.get("status").unwrap_or_default(),
                q.get("owner").unwrap_or_default(),
            )
        })
    };
    let queue = Resource::new(
        move || {
            (
                filters(),
                create.version().get(),
                thresholds.version().get(),
            )
        },
        |((location, status, owner), _, _)| improvement_queue(location, status, owner),
    );
    let typed = RwSignal::new(String::new());
    let similar = Resource::new(move || typed.get(), similar_items);
    let created = move || create.value().get().and_then(|r| r.ok());

    view! {
        <Title text="Improvements · Goodwill"/>
        <ConsoleNav current="/improvements"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let q = match queue.await {
                    Err(error) => return view! { <section class="card"><p class="error" role="alert" data-testid="refused">{error.to_string()}</p></section> }.into_any(),
                    Ok(q) => q,
                };
                let (location, status, owner) = filters();
                view! {
                    <section class="card" aria-labelledby="queue-heading">
                        <h1 id="queue-heading">"Improvement queue"</h1>
                        <p>"Ranked by priority = (1 + cost of failure in the item's own currency) × recurrences per week × mean severity, all computed from the linked recoveries. Costs are shown per currency: amounts in different currencies are never converted or added together."</p>
                        <form method="get" action="/improvements" class="filters">
                            <label>"Location" <select name="location"><option value="">"Any location"</option>{options(&q.locations, &location)}</select></label>
                            <label>"Status" <select name="status"><option value="">"Any status"</option>{options(&q.statuses, &status)}</select></label>
                            <label>"Owner" <select name="owner"><option value="">"Anyone"</option>{options(&q.owners, &owner)}</select></label>
                            <button type="submit" class="button">"Show"</button>
                        </form>
                        {if q.items.is_empty() {
                            view! { <p data-testid="queue-empty">"No improvement items match."</p> }.into_any()
                        } else {
                            view! { <ItemTable items=q.items.clone()/> }.into_any()
                        }}
                    </section>
                    <section class="card" aria-labelledby="signals-heading">
                        <h2 id="signals-heading">{format!("Recurring causes, last {} days", q.window_days)}</h2>
                        <div class="scroll">
                            <table class="table" data-testid="signals">
                                <thead><tr><th scope="col">"Cause"</th><th scope="col">"Where"</th><th scope="col">"Recoveries (threshold)"</th><th scope="col">"Trend"</th><th scope="col">"Cost"</th><th scope="col">"Severity"</th><th scope="col">"Customers"</th><th scope="col">"Seen"</th><th scope="col">"Item"</th></tr></thead>
                                <tbody>
                                    {q.signals.iter().map(|s| view! {
                                        <tr>
                                            <th scope="row">{s.cause.clone()}</th>
                                            <td>{s.place.clone()}</td>
                                            <td>{format!("{} ({})", s.occurrences, s.threshold)}</td>
                                            <td>{format!("{} (was {})", s.trend, s.previous)}</td>
                                            <td>{s.cost.clone()}</td>
                                            <td>{s.severity_mix.clone()}</td>
                                            <td>{s.reactions.clone()}</td>
                                            <td>{format!("{} – {}", s.first_seen, s.last_seen)}</td>
                                            <td>{s.item_id.map(|id| view! { <a href=format!("/improvements/{id}")>{format!("#{id}")}</a> })}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </div>
                    </section>
                    {q.can_edit.then(|| view! {
                        <section class="card" aria-labelledby="new-item-heading">
                            <h2 id="new-item-heading">"New item"</h2>
                            <ActionForm action=create attr:class="grid-form">
                                <label for="item-title">"Title"</label>
                                <input id="item-title" name="title" required maxlength="120" autocomplete="off"
                                    on:input=move |ev| typed.set(event_target_value(&ev))/>
                                <span></span>
                                <Suspense fallback=|| ()>
                                    {move || Suspend::new(async move {
                                        match similar.await {
                                            Ok(items) if !items.is_empty() => view! {
                                                <div class="similar" data-testid="similar">
                                                    "Similar open items: "
                                                    {items.into_iter().map(|c| view! { <a href=format!("/improvements/{}", c.code)>{c.label}</a>" " }).collect_view()}
                                                </div>
                                            }.into_any(),
                                            _ => view! { <span></span> }.into_any(),
                                        }
                                    })}
                                </Suspense>
                                <label for="item-problem">"Problem"</label>
                                <textarea id="item-problem" name="problem" rows="3" maxlength="2000"></textarea>
                                <label for="item-location">"Where"</label>
                                <select id="item-location" name="location_id"><option value="">"All locations"</option>{options(&q.locations, "")}</select>
                                <label for="item-category">"Cause: what went wrong (optional)"</label>
                                <select id="item-category" name="category"><option value="">"—"</option>{options(&q.categories, "")}</select>
                                <label for="item-touchpoint">"Cause: where (optional)"</label>
                                <select id="item-touchpoint" name="touchpoint"><option value="">"—"</option>{options(&q.touchpoints, "")}</select>
                                <label for="item-recoveries">"Recoveries to link (numbers)"</label>
                                <input id="item-recoveries" name="recovery_ids" placeholder="12, 15"/>
                                <button type="submit" class="button primary">"Create item"</button>
                            </ActionForm>
                            <ActionError message=Signal::derive(move || create.value().with(error_message))/>
                            {move || created().map(|id| view! { <p class="outcome" role="status"><span class="ok">"Created "<a href=format!("/improvements/{id}")>{format!("item #{id}")}</a>"."</span></p> })}
                        </section>
                    })}
                    {q.is_admin.then(|| view! {
                        <section class="card" aria-labelledby="thresholds-heading">
                            <h2 id="thresholds-heading">"When a cause becomes a signal"</h2>
                            <ActionForm action=thresholds attr:class="grid-form">
                                <label for="t-window">"Window (days)"</label>
                                <input id="t-window" name="window_days" type="number" min="7" max="365" value=q.thresholds.0.to_string()/>
                                <label for="t-location">"Recoveries at one location"</label>
                                <input id="t-location" name="location_occurrences" type="number" min="2" value=q.thresholds.1.to_string()/>
                                <label for="t-organisation">"Recoveries across the organisation"</label>
                                <input id="t-organisation" name="organisation_occurrences" type="number" min="2" value=q.thresholds.2.to_string()/>
                                <button type="submit" class="button">"Save thresholds"</button>
                            </ActionForm>
                            <ActionError message=Signal::derive(move || thresholds.value().with(error_message))/>
                        </section>
                    })}
                }.into_any()
            })}
        </Suspense>
    }
}

#[component]
fn ItemTable(items: Vec<ItemSummary>) -> impl IntoView {
    view! {
        <div class="scroll">
            <table class="table" data-testid="items">
                <thead><tr><th scope="col">"Priority"</th><th scope="col">"Item"</th><th scope="col">"Where"</th><th scope="col">"Status"</th><th scope="col">"Owner"</th><th scope="col">"Recoveries"</th><th scope="col">"Cost of failure"</th><th scope="col">"Severity"</th><th scope="col">"Effect"</th></tr></thead>
                <tbody>
                    {items.into_iter().map(|i| view! {
                        <tr>
                            <td>{i.priority}</td>
                            <th scope="row"><a href=format!("/improvements/{}", i.id)>{i.title}</a></th>
                            <td>{i.place}</td>
                            <td><span class=format!("status status-{}", i.status)>{i.status_label}</span></td>
                            <td>{i.owner.unwrap_or_default()}</td>
                            <td>{i.occurrences}</td>
                            <td>{i.cost}</td>
                            <td>{i.severity}</td>
                            <td>{i.effect.unwrap_or_default()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        </div>
    }
}

#[component]
pub fn ImprovementPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || {
        params.with(|p| {
            p.get("id")
                .and_then(|id| id.parse::<i64>().ok())
                .unwrap_or(0)
        })
    };
    let step = ServerAction::<MoveImprovement>::new();
    let edit = ServerAction::<EditImprovement>::new();
    let comment = ServerAction::<CommentImprovement>::new();
    let link = ServerAction::<LinkToImprovement>::new();
    let item = Resource::new(
        move || {
            (
                id(),
                step.version().get(),
                edit.version().get(),
                comment.version().get(),
                link.version().get(),
            )
        },
        |(id, ..)| improvement_item(id),
    );
    view! {
        <Title text="Improvement · Goodwill"/>
        <ConsoleNav current="/improvements"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match item.await {
                    Err(error) => view! { <section class="card"><p class="error" role="alert" data-testid="refused">{error.to_string()}</p></section> }.into_any(),
                    Ok(detail) => view! { <Detail detail step edit comment link/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Detail(
    detail: ItemDetail,
    step: ServerAction<MoveImprovement>,
    edit: ServerAction<EditImprovement>,
    comment: ServerAction<CommentImprovement>,
    link: ServerAction<LinkToImprovement>,
) -> impl IntoView {
    let s = detail.summary.clone();
    let id = s.id.to_string();
    let status = s.status.clone();
    let workflow = (detail.can_edit && !detail.next.is_empty()).then(|| {
        let buttons = detail
            .next
            .clone()
            .into_iter()
            .map(|n| {
                let (id, status) = (id.clone(), status.clone());
                let declining = n.code == "declined";
                view! {
                    <ActionForm action=step attr:class="inline">
                        <input type="hidden" name="id" value=id/>
                        <input type="hidden" name="from" value=status/>
                        <input type="hidden" name="to" value=n.code.clone()/>
                        {if declining {
                            view! { <label for="decline-reason">"Why decline"</label><input id="decline-reason" name="reason" required maxlength="2000"/> }.into_any()
                        } else {
                            view! { <input type="hidden" name="reason" value=""/> }.into_any()
                        }}
                        <button type="submit" class=if declining { "button" } else { "button primary" }>{n.label.clone()}</button>
                    </ActionForm>
                }
            })
            .collect_view();
        view! { <div class="decide" data-testid="workflow">{buttons}</div> }
    });
    view! {
        <section class="card" aria-labelledby="item-heading">
            <p class="muted">{format!("Item #{} · {}{}", s.id, s.place, if s.from_signal { " · proposed by a signal" } else { "" })}</p>
            <h1 id="item-heading">{s.title.clone()}</h1>
            <p>"Status: "<span class=format!("status status-{}", s.status) data-testid="item-status">{s.status_label.clone()}</span>
                {detail.declined_reason.clone().map(|r| format!(" — {r}"))}</p>
            <dl class="facts" data-testid="figures">
                <dt>"Priority"</dt><dd>{s.priority}</dd>
                <dt>"Recoveries"</dt><dd>{s.occurrences}</dd>
                <dt>"Cost of failure"</dt><dd>{s.cost.clone()}</dd>
                <dt>"Typical severity"</dt><dd>{s.severity.clone()}</dd>
                <dt>"Owner"</dt><dd>{s.owner.clone().unwrap_or_else(|| "nobody yet".into())}</dd>
                <dt>"Due"</dt><dd>{s.due.clone().unwrap_or_else(|| "—".into())}</dd>
                {detail.done_on.clone().map(|d| view! { <dt>"Done on"</dt><dd>{d}</dd> })}
            </dl>
            {detail.effect.clone().map(|e| view! {
                <div class="effect" data-testid="effect">
                    <h2>"Did it work?"</h2>
                    <p>{format!(
                        "Recurrences per week: {} in the {} days before the fix ({} recoveries), {} in the {} days since ({} recoveries): {}.",
                        e.before_per_week, e.window_days, e.before, e.after_per_week, e.after_days, e.after, e.change
                    )}</p>
                    {(e.after_days < e.window_days).then(|| view! { <p class="muted">{format!("The after-window is {} of {} days so far; the figure settles as it fills.", e.after_days, e.window_days)}</p> })}
                </div>
            })}
            <h2>"Problem"</h2>
            <p class="prewrap">{detail.problem.clone()}</p>
            <h2>"Countermeasure"</h2>
            <p class="prewrap" data-testid="countermeasure">{if detail.countermeasure.is_empty() { "Not decided yet.".to_string() } else { detail.countermeasure.clone() }}</p>
            {workflow}
            <ActionError message=Signal::derive(move || step.value().with(error_message))/>
        </section>
        {detail.can_edit.then(|| {
            let owner = detail.owner_id.map(|o| o.to_string()).unwrap_or_default();
            view! {
                <section class="card" aria-labelledby="edit-heading">
                    <h2 id="edit-heading">"Owner, due date and countermeasure"</h2>
                    <ActionForm action=edit attr:class="grid-form">
                        <input type="hidden" name="id" value=s.id.to_string()/>
                        <label for="edit-owner">"Owner"</label>
                        <select id="edit-owner" name="owner_id"><option value="">"Nobody yet"</option>{options(&detail.people, &owner)}</select>
                        <label for="edit-due">"Due"</label>
                        <input id="edit-due" type="date" name="due_on" value=detail.due_on.clone()/>
                        <label for="edit-countermeasure">"Countermeasure (what changes in the process)"</label>
                        <textarea id="edit-countermeasure" name="countermeasure" rows="3" maxlength="2000" inner_html=crate::components::textarea::textarea_html(&detail.countermeasure)></textarea>
                        <label for="edit-problem">"Problem"</label>
                        <textarea id="edit-problem" name="problem" rows="3" maxlength="2000" inner_html=crate::components::textarea::textarea_html(&detail.problem)></textarea>
                        <button type="submit" class="button primary">"Save"</button>
                    </ActionForm>
                    <ActionError message=Signal::derive(move || edit.value().with(error_message))/>
                    <ActionForm action=link attr:class="inline">
                        <input type="hidden" name="id" value=s.id.to_string()/>
                        <label for="link-ids">"Link recoveries (numbers)"</label>
                        <input id="link-ids" name="recovery_ids" placeholder="12, 15"/>
                        <button type="submit" class="button">"Link"</button>
                    </ActionForm>
                    <ActionError message=Signal::derive(move || link.value().with(error_message))/>
                </section>
            }
        })}
        <section class="card" aria-labelledby="history-heading">
            <h2 id="history-heading">"Comments and history"</h2>
            <ol class="history" data-testid="history">{detail.history.iter().map(|h| view! { <li>{h.clone()}</li> }).collect_view()}</ol>
            <ActionForm action=comment attr:class="inline">
                <input type="hidden" name="id" value=s.id.to_string()/>
                <label for="comment-text">"Comment"</label>
                <input id="comment-text" name="text" required maxlength="2000"/>
                <button type="submit" class="button">"Add comment"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || comment.value().with(error_message))/>
        </section>
        <section class="card" aria-labelledby="linked-heading">
            <h2 id="linked-heading">{format!("Linked recoveries ({})", s.occurrences)}</h2>
            {detail.within_own_locations.then(|| view! { <p class="muted" data-testid="own-locations">"The figures and recoveries count your locations only."</p> })}
            <ul>{detail.recoveries.iter().map(|r| view! { <li>{r.clone()}</li> }).collect_view()}</ul>
        </section>
    }
}

//! My log: my recoveries of recent days with their status and, where there is one, the
//! supervisor's reason; and, for supervisors, the decisions and reversals they made.

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::{console::my_actions, recoveries::my_log};

#[component]
pub fn MyLogPage() -> impl IntoView {
    let query = use_query_map();
    let days = move || {
        query.with(|q| {
            q.get("days")
                .and_then(|d| d.parse::<i64>().ok())
                .unwrap_or(7)
        })
    };
    let entries = Resource::new(days, my_log);
    let actions = Resource::new(|| (), |_| my_actions());
    view! {
        <Title text="My log · Goodwill"/>
        <section class="card" aria-labelledby="my-log-heading">
            <h1 id="my-log-heading">"My log"</h1>
            <p class="actions">
                <a class="button small" href="/my-log?days=1">"Today"</a>
                <a class="button small" href="/my-log?days=7">"7 days"</a>
                <a class="button small" href="/my-log?days=30">"30 days"</a>
                <a class="button primary" href="/log" rel="external">"Log a recovery"</a>
            </p>
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match entries.await {
                        Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                        Ok(entries) if entries.is_empty() => view! { <p>"Nothing logged in this period."</p> }.into_any(),
                        Ok(entries) => view! {
                            <table class="table" data-testid="my-log">
                                <thead><tr><th>"When"</th><th>"What went wrong"</th><th>"What was done"</th><th>"Amount"</th><th>"Status"</th></tr></thead>
                                <tbody>
                                    {entries.into_iter().map(|e| view! {
                                        <tr>
                                            <td>{format!("{} {}", e.date, e.time)}</td>
                                            <td>{e.category}{(!e.description.is_empty()).then(|| view! { <br/><small>{e.description.clone()}</small> })}</td>
                                            <td>{e.remedy}</td>
                                            <td>{e.amount}</td>
                                            <td>
                                                <span class=format!("status status-{}", e.status)>{e.status_label}</span>
                                                {e.reason.map(|r| view! { <br/><small>{r}</small> })}
                                                {e.fed.into_iter().map(|(_, item)| view! { <br/><small class="fed">{format!("Fed an improvement: {item}")}</small> }).collect_view()}
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <Suspense fallback=|| ()>
            {move || Suspend::new(async move {
                match actions.await {
                    Ok(actions) if !actions.is_empty() => view! {
                        <section class="card" aria-labelledby="my-actions-heading">
                            <h2 id="my-actions-heading">"My decisions and reversals (30 days)"</h2>
                            <table class="table" data-testid="my-actions">
                                <thead><tr><th>"When"</th><th>"What"</th><th>"Whose"</th><th>"Amount"</th><th>"Reason"</th></tr></thead>
                                <tbody>
                                    {actions.into_iter().map(|a| view! {
                                        <tr><td>{a.at}</td><td>{a.action}</td><td>{a.person}</td><td>{a.amount}</td><td>{a.reason.unwrap_or_default()}</td></tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        </section>
                    }.into_any(),
                    _ => ().into_any(),
                }
            })}
        </Suspense>
    }
}

//! The start page: what Goodwill is, and a live check that the whole chain answers
//! (browser → server function → database).

use leptos::prelude::*;

use crate::api::{
    session::{who_am_i, SignOutEverywhere},
    status::{LedgerStatus, ServiceStatus},
};

#[component]
pub fn HomePage() -> impl IntoView {
    let check = ServerAction::<ServiceStatus>::new();
    let sign_out_everywhere = ServerAction::<SignOutEverywhere>::new();
    let me = Resource::new(|| (), |_| who_am_i());

    view! {
        <section class="card intro">
            <h1>"Make it right, on the spot — and learn from it."</h1>
            <p>
                "Every front-line employee has a daily recovery budget to spend on a customer's bad "
                "moment without asking permission. Each comp or fix is logged in seconds; supervisors "
                "approve what goes past a budget; every recovery feeds the improvement queue and the "
                "monthly learning summary."
            </p>
        </section>
        <section class="card" aria-labelledby="start-heading">
            <h2 id="start-heading">"Start"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    match me.await {
                        Ok(Some(me)) if me.tablet_location.is_some() => view! {
                            <p>{format!("This device is the shared tablet of {}.", me.tablet_location.clone().unwrap_or_default())}</p>
                            <p><a class="button primary" href="/tablet" rel="external">"Open the tablet"</a></p>
                        }.into_any(),
                        Ok(Some(me)) => view! {
                            <p>{format!("Signed in as {} · {} ({})", me.display_name, me.organisation_name, me.roles.join(", "))}</p>
                            <p class="actions">
                                {(!me.tablet_locations.is_empty()).then(|| view! { <a class="button" href="/tablet" rel="external">"Set up a shared tablet"</a> })}
                                {me.can_approve.then(|| view! {
                                    <a class="button" href="/approvals">"Approvals"</a>
                                    <a class="button" href="/spend">"Spend"</a>
                                    <a class="button" href="/review">"Review"</a>
                                })}
                                {me.can_read_summary.then(|| view! {
                                    <a class="button" href="/improvements">"Improvements"</a>
                                    <a class="button" href="/summary">"Monthly summary"</a>
                                })}
                                {me.is_admin.then(|| view! { <a class="button" href="/admin">"Administration"</a> })}
                            </p>
                            <ActionForm action=sign_out_everywhere>
                                <button type="submit" class="button small">"Sign out on every device"</button>
                            </ActionForm>
                        }.into_any(),
                        _ => view! {
                            <p>"Sign in with your username and password; on a shared tablet, tap your name and enter your PIN."</p>
                            <p><a class="button primary" href="/sign-in">"Sign in"</a></p>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <section class="card" aria-labelledby="status-heading">
            <h2 id="status-heading">"Service status"</h2>
            <ActionForm action=check>
                <button type="submit" class="button primary">"Check the ledger"</button>
            </ActionForm>
            <p class="status-result" role="status" aria-live="polite">
                {move || match check.value().get() {
                    None if check.pending().get() => "Checking…".to_string(),
                    None => "Not checked yet.".to_string(),
                    Some(Ok(LedgerStatus { database, schema_version, checked_at })) => format!(
                        "Ledger reachable: {database} database, schema {schema_version}, checked {checked_at}."
                    ),
                    Some(Err(error)) => format!("Ledger check failed: {error}"),
                }}
            </p>
        </section>
    }
}

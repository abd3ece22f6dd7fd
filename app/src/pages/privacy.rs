//! `/admin/privacy`: customers' personal data. How long customer references and free text
//! are kept; a customer's request — find every recovery that names them, export, erase; and
//! the redaction log. Admins only (a location's admin within their locations).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::privacy::{
        privacy_overview, EraseCustomer, FindCustomer, PrivacyView, SetRetention, SubjectRecovery,
    },
    components::feedback::{error_message, ActionError},
};

#[component]
pub fn PrivacyPage() -> impl IntoView {
    let set_retention = ServerAction::<SetRetention>::new();
    let find = ServerAction::<FindCustomer>::new();
    let erase = ServerAction::<EraseCustomer>::new();
    let overview = Resource::new(
        move || (set_retention.version().get(), erase.version().get()),
        |_| privacy_overview(),
    );
    view! {
        <Title text="Customers' data · Goodwill"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! {
                        <section class="card">
                            <h1>"Customers' data"</h1>
                            <p class="error" role="alert" data-testid="refused">{error.to_string()}</p>
                        </section>
                    }.into_any(),
                    Ok(view) => view! { <Privacy view set_retention find erase/> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn Privacy(
    view: PrivacyView,
    set_retention: ServerAction<SetRetention>,
    find: ServerAction<FindCustomer>,
    erase: ServerAction<EraseCustomer>,
) -> impl IntoView {
    let days = view.retention_days;
    view! {
        <section class="card">
            <h1>"Customers' data"</h1>
            <p>
                "Customer references and what staff write about a recovery (what went wrong, cause and follow-up notes) are kept "
                <strong data-testid="retention-days">{format!("{days} days")}</strong>
                ", then removed automatically. Amounts, dates, people and statuses stay: every total stays correct."
            </p>
            {view.may_change_retention.then(|| view! {
                <ActionForm action=set_retention attr:class="grid-form">
                    <label for="retention-days">"Keep for (days)"</label>
                    <input id="retention-days" name="days" inputmode="numeric" value=days.to_string() required/>
                    <button type="submit" class="button">"Save"</button>
                </ActionForm>
                <ActionError message=Signal::derive(move || set_retention.value().with(error_message))/>
            })}
        </section>
        {view! { <Request find erase/> }.into_any()}
        {(!view.redactions.is_empty()).then(|| view! {
            <section class="card">
                <h2>"Redaction log"</h2>
                <p class="muted">"What was removed, when, by whom and why — never what it said."</p>
                <table data-testid="redactions">
                    <thead><tr><th>"When"</th><th>"Why"</th><th>"By"</th><th>"Reason"</th><th>"Dates"</th><th>"Recoveries"</th></tr></thead>
                    <tbody>
                        {view.redactions.into_iter().map(|x| view! {
                            <tr>
                                <td>{x.when}</td><td>{x.kind}</td><td>{x.by}</td><td>{x.reason}</td>
                                <td>{x.dates}</td><td>{x.recoveries}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            </section>
        })}
    }
}

/// A customer's request: find, export, erase.
#[component]
fn Request(find: ServerAction<FindCustomer>, erase: ServerAction<EraseCustomer>) -> impl IntoView {
    // What the last search was for: the export and the erasure act on exactly that.
    let reference = RwSignal::new(String::new());
    let from = RwSignal::new(String::new());
    let to = RwSignal::new(String::new());
    let found = move || find.value().get().and_then(Result::ok);
    let erased = move || match erase.value().get() {
        Some(Ok(n)) => format!(
            "Erased the personal data of {n} {}.",
            if n == 1 { "recovery" } else { "recoveries" }
        ),
        _ => String::new(),
    };
    // After an erasure the list found before is out of date: search again to see it.
    Effect::new(move |_| {
        if matches!(erase.value().get(), Some(Ok(_))) {
            find.value().set(None);
        }
    });
    let hidden = move || {
        view! {
            <input type="hidden" name="reference" prop:value=move || reference.get()/>
            <input type="hidden" name="from" prop:value=move || from.get()/>
            <input type="hidden" name="to" prop:value=move || to.get()/>
        }
    };
    view! {
        <section class="card">
            <h2>"A customer's request"</h2>
            <p class="muted">"Find every recovery that names a customer reference (spacing and capitals do not matter), hand the customer a copy, or erase it."</p>
            <ActionForm action=find attr:class="grid-form">
                <label for="subject-reference">"Customer reference"</label>
                <input id="subject-reference" name="reference" required maxlength="40" autocomplete="off"
                    on:input=move |ev| reference.set(event_target_value(&ev))/>
                <label for="subject-from">"From (optional)"</label>
                <input id="subject-from" name="from" type="date" on:input=move |ev| from.set(event_target_value(&ev))/>
                <label for="subject-to">"To (optional)"</label>
                <input id="subject-to" name="to" type="date" on:input=move |ev| to.set(event_target_value(&ev))/>
                <button type="submit" class="button primary">"Find"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || find.value().with(error_message))/>
            {move || found().map(|rows| view! { <Found rows=rows.clone()/> })}
            {move || found().filter(|rows| !rows.is_empty()).map(|rows| view! {
                <form method="post" action="/admin/privacy/export" class="inline">
                    {hidden()}
                    <button type="submit" name="format" value="csv" class="button">"Download CSV"</button>
                    " "
                    <button type="submit" name="format" value="json" class="button">"Download JSON"</button>
                </form>
                <ActionForm action=erase attr:class="grid-form">
                    {hidden()}
                    <label for="erase-reason">"Why (kept in the log; not the reference)"</label>
                    <input id="erase-reason" name="reason" required maxlength="500" autocomplete="off"/>
                    <button type="submit" class="button danger">
                        {format!("Erase the personal data of {} {}", rows.len(), if rows.len() == 1 { "recovery" } else { "recoveries" })}
                    </button>
                </ActionForm>
            })}
            <p class="notice" role="status" data-testid="erased">{erased}</p>
            <ActionError message=Signal::derive(move || erase.value().with(error_message))/>
        </section>
    }
}

#[component]
fn Found(rows: Vec<SubjectRecovery>) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p data-testid="found">"No recovery names this customer."</p> }.into_any();
    }
    view! {
        <table data-testid="found">
            <thead><tr><th>"Date"</th><th>"Location"</th><th>"Logged by"</th><th>"Reference"</th><th>"What went wrong"</th><th>"Notes"</th><th>"Amount"</th><th>"Status"</th></tr></thead>
            <tbody>
                {rows.into_iter().map(|r| view! {
                    <tr>
                        <td>{r.budget_date}</td><td>{r.location}</td><td>{r.person}</td><td>{r.customer_ref}</td>
                        <td>{format!("{} {}", r.category, r.description)}</td>
                        <td>{[r.cause_note, r.follow_up_note].into_iter().filter(|n| !n.is_empty()).collect::<Vec<_>>().join(" · ")}</td>
                        <td>{r.amount}</td><td>{r.status}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }.into_any()
}

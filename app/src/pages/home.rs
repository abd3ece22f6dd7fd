//! The start page: what Goodwill is, and a live check that the whole chain answers
//! (browser → server function → database).

use leptos::prelude::*;

use crate::api::status::{LedgerStatus, ServiceStatus};

#[component]
pub fn HomePage() -> impl IntoView {
    let check = ServerAction::<ServiceStatus>::new();
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    view! {
        <section class="card intro" data-hydrated=move || hydrated.get().to_string()>
            <h1>"Make it right, on the spot — and learn from it."</h1>
            <p>
                "Every front-line employee has a daily recovery budget to spend on a customer's bad "
                "moment without asking permission. Each comp or fix is logged in seconds; supervisors "
                "approve what goes past a budget; every recovery feeds the improvement queue and the "
                "monthly learning summary."
            </p>
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

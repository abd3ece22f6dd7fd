//! A customer's earlier recoveries at this location (docs/PRIVACY.md): shown on the tablet
//! after a customer reference is entered, and beside each request in the approval queue.

use leptos::prelude::*;
use views::privacy::HistoryEntry;

/// The list, or nothing when there is no history.
#[component]
pub fn CustomerHistory(entries: Vec<HistoryEntry>) -> impl IntoView {
    (!entries.is_empty()).then(|| {
        let heading = match entries.len() {
            1 => "1 earlier recovery for this customer here in the last 14 days".to_string(),
            n => format!("{n} earlier recoveries for this customer here in the last 14 days"),
        };
        view! {
            <section class="customer-history" data-testid="customer-history" aria-label="Customer history">
                <p><strong>{heading}</strong></p>
                <ul>
                    {entries.into_iter().map(|e| view! {
                        <li>{format!("{} · {} · {} · {} · {}", e.when, e.what, e.done, e.reaction, e.status)}</li>
                    }).collect_view()}
                </ul>
            </section>
        }
    })
}

//! The site header: the brand, who is signed in (or which tablet this is), and sign-out.

use leptos::prelude::*;

use crate::api::session::{who_am_i, SignOut};

#[component]
pub fn SiteHeader() -> impl IntoView {
    let sign_out = ServerAction::<SignOut>::new();
    let me = Resource::new(move || sign_out.version().get(), |_| who_am_i());
    view! {
        <header class="site-header">
            <a class="brand" href="/">"Goodwill"</a>
            <span class="tagline">"the service-recovery ledger"</span>
            <nav class="session" aria-label="Session">
                <Suspense fallback=|| ()>
                    {move || Suspend::new(async move {
                        match me.await {
                            Ok(Some(me)) => {
                                let who = match (&me.tablet_location, me.display_name.is_empty()) {
                                    (Some(location), true) => format!("Shared tablet · {location}"),
                                    (Some(location), false) => format!("{} · tablet {location}", me.display_name),
                                    (None, _) => me.display_name.clone(),
                                };
                                view! {
                                    <span class="who" data-testid="signed-in-as">{who}</span>
                                    {me.is_admin.then(|| view! { <a href="/admin">"Admin"</a> })}
                                    <ActionForm action=sign_out>
                                        <button type="submit" class="button small">"Sign out"</button>
                                    </ActionForm>
                                }
                                    .into_any()
                            }
                            _ => view! { <a href="/sign-in">"Sign in"</a> }.into_any(),
                        }
                    })}
                </Suspense>
            </nav>
        </header>
    }
}

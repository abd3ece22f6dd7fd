//! Sign in with the organisation's short name, a username and a password. Usernames are
//! unique within an organisation only; the device remembers the organisation, and an
//! address may name it (`/sign-in?organisation=harbour`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::{
    api::session::{remembered_organisation, SignIn},
    components::feedback::{error_message, ActionError},
};

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    let query = use_query_map();
    let remembered = Resource::new(|| (), |_| remembered_organisation());
    let organisation = move || {
        query
            .with(|q| q.get("organisation"))
            .filter(|o| !o.trim().is_empty())
    };
    view! {
        <Title text="Sign in · Goodwill"/>
        <section class="card narrow" aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">"Sign in"</h1>
            <ActionForm action=sign_in attr:class="stack">
                <label for="organisation">"Organisation"</label>
                <Suspense fallback=|| view! { <OrganisationInput value=String::new()/> }>
                    {move || Suspend::new(async move {
                        let value = match organisation() {
                            Some(named) => named,
                            None => remembered.await.unwrap_or_default(),
                        };
                        view! { <OrganisationInput value/> }
                    })}
                </Suspense>
                <label for="username">"Username"</label>
                <input id="username" name="username" type="text" autocomplete="username" required
                    autocapitalize="none" spellcheck="false"/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required/>
                <button type="submit" class="button primary">"Sign in"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || sign_in.value().with(error_message))/>
        </section>
    }
}

/// The organisation's short name (the demo's is `harbour`).
#[component]
fn OrganisationInput(value: String) -> impl IntoView {
    view! {
        <input id="organisation" name="organisation" type="text" autocomplete="organization" required
            autocapitalize="none" spellcheck="false" value=value aria-describedby="organisation-hint"/>
        <p id="organisation-hint" class="muted">"Your organisation's short name: your administrator can tell you."</p>
    }
}

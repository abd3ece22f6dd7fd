//! Sign in with a username (or email) and password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::session::SignIn,
    components::feedback::{error_message, ActionError},
};

#[component]
pub fn SignInPage() -> impl IntoView {
    let sign_in = ServerAction::<SignIn>::new();
    view! {
        <Title text="Sign in · Goodwill"/>
        <section class="card narrow" aria-labelledby="sign-in-heading">
            <h1 id="sign-in-heading">"Sign in"</h1>
            <ActionForm action=sign_in attr:class="stack">
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

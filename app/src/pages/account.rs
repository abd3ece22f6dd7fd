//! My account: change my password, set my tablet PIN (on my own device, signed in with my
//! password), and — on a shared tablet — unlock the functions beyond the front line for the
//! rest of my turn with my password.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::session::{ChangePassword, ChangePin, StepUp},
    components::{
        feedback::{error_message, ActionError},
        header::bump_session_on,
    },
};

/// `/account`: my password and my tablet PIN.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change_password = ServerAction::<ChangePassword>::new();
    let change_pin = ServerAction::<ChangePin>::new();
    let password_done = move || change_password.value().with(|v| matches!(v, Some(Ok(()))));
    let pin_done = move || change_pin.value().with(|v| matches!(v, Some(Ok(()))));
    view! {
        <Title text="My account · Goodwill"/>
        <section class="card narrow" aria-labelledby="password-heading">
            <h1 id="password-heading">"Change my password"</h1>
            <ActionForm action=change_password attr:class="stack">
                <label for="current-password">"Current password"</label>
                <input id="current-password" name="current_password" type="password" autocomplete="current-password" required/>
                <label for="new-password">"New password (at least 10 characters)"</label>
                <input id="new-password" name="new_password" type="password" autocomplete="new-password" minlength="10" required/>
                <button type="submit" class="button primary">"Change my password"</button>
            </ActionForm>
            {move || password_done().then(|| view! { <p class="ok" role="status">"Password changed. Your other sessions have ended."</p> })}
            <ActionError message=Signal::derive(move || change_password.value().with(error_message))/>
        </section>
        <section class="card narrow" aria-labelledby="pin-heading">
            <h2 id="pin-heading">"Set my tablet PIN"</h2>
            <ActionForm action=change_pin attr:class="stack">
                <label for="pin-password">"Current password"</label>
                <input id="pin-password" name="current_password" type="password" autocomplete="current-password" required/>
                <label for="new-pin">"New PIN (4 to 8 digits)"</label>
                <input id="new-pin" name="new_pin" type="password" inputmode="numeric" pattern="[0-9]*"
                    autocomplete="off" minlength="4" maxlength="8" required/>
                <button type="submit" class="button">"Set my PIN"</button>
            </ActionForm>
            {move || pin_done().then(|| view! { <p class="ok" role="status">"PIN set."</p> })}
            <ActionError message=Signal::derive(move || change_pin.value().with(error_message))/>
        </section>
    }
}

/// `/unlock`: on a shared tablet, my password opens what my roles allow beyond the front
/// line and approvals, for the rest of my turn.
#[component]
pub fn UnlockPage() -> impl IntoView {
    let step_up = ServerAction::<StepUp>::new();
    bump_session_on(move || step_up.version().get());
    let unlocked = move || step_up.value().with(|v| matches!(v, Some(Ok(()))));
    view! {
        <Title text="Unlock with password · Goodwill"/>
        <section class="card narrow" aria-labelledby="unlock-heading">
            <h1 id="unlock-heading">"Unlock with password"</h1>
            <p>"On a shared tablet your PIN opens logging and approvals. Your password opens the rest of what your role allows, until your turn ends."</p>
            <Show when=unlocked fallback=move || view! {
                <ActionForm action=step_up attr:class="stack">
                    <label for="step-up-password">"Your password"</label>
                    <input id="step-up-password" name="password" type="password" autocomplete="current-password" required/>
                    <button type="submit" class="button primary">"Unlock"</button>
                </ActionForm>
            }>
                <p class="ok" role="status">"Unlocked until your turn ends."</p>
            </Show>
            <ActionError message=Signal::derive(move || step_up.value().with(error_message))/>
        </section>
    }
}

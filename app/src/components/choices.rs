//! The `<option>`s of a select, from a list of choices, with the current one selected.

use leptos::prelude::*;

use crate::api::recoveries::Choice;

pub fn options(choices: &[Choice], selected: &str) -> impl IntoView {
    choices
        .iter()
        .map(|c| {
            let chosen = c.code == selected;
            view! { <option value=c.code.clone() selected=chosen>{c.label.clone()}</option> }
        })
        .collect_view()
}

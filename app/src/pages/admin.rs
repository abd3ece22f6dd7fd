//! Administration: people, roles, PINs, deactivation, sessions, budget policies and boosts,
//! and the audit log. Admins only — anyone else sees why they cannot act.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::{
    api::admin::{
        admin_overview, audit_entries, AddBudgetBoost, AddLocation, AddPerson, AddTaxonomyEntry,
        AddTeam, AdminSnapshot, GrantPersonRole, ResetPassword, ResetPin, RevokePersonRole,
        RevokeSessions, SetBudgetPolicy, SetPersonActive, SetTaxonomyEntryActive,
        UpdateOrganisation,
    },
    components::feedback::{error_message, ActionError},
    domain::org::Role,
};

#[component]
pub fn AdminPage() -> impl IntoView {
    let add_person = ServerAction::<AddPerson>::new();
    let reset_pin = ServerAction::<ResetPin>::new();
    let reset_password = ServerAction::<ResetPassword>::new();
    let set_active = ServerAction::<SetPersonActive>::new();
    let revoke = ServerAction::<RevokeSessions>::new();
    let set_policy = ServerAction::<SetBudgetPolicy>::new();
    let add_boost = ServerAction::<AddBudgetBoost>::new();
    let structure = StructureActions {
        update_organisation: ServerAction::<UpdateOrganisation>::new(),
        add_location: ServerAction::<AddLocation>::new(),
        add_team: ServerAction::<AddTeam>::new(),
        add_entry: ServerAction::<AddTaxonomyEntry>::new(),
        set_entry_active: ServerAction::<SetTaxonomyEntryActive>::new(),
        grant_role: ServerAction::<GrantPersonRole>::new(),
        revoke_role: ServerAction::<RevokePersonRole>::new(),
    };
    let changes = move || {
        (
            add_person.version().get(),
            reset_pin.version().get(),
            reset_password.version().get(),
            set_active.version().get(),
            revoke.version().get(),
            set_policy.version().get(),
            add_boost.version().get(),
            structure.version(),
        )
    };
    let overview = Resource::new(changes, |_| admin_overview());
    let audit = Resource::new(changes, |_| audit_entries());

    view! {
        <Title text="Administration · Goodwill"/>
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match overview.await {
                    Err(error) => view! {
                        <section class="card">
                            <h1>"Administration"</h1>
                            <p class="error" role="alert" data-testid="refused">{error.to_string()}</p>
                        </section>
                    }.into_any(),
                    Ok(snapshot) => view! {
                        <h1>{format!("Administration · {}", snapshot.organisation_name)}</h1>
                        <p data-testid="organisation-short-name">
                            "People sign in with the organisation's short name "
                            <strong>{snapshot.organisation_slug.clone()}</strong>
                            " and their username."
                        </p>
                        <p><a href="/admin/privacy">"Customers' data: retention and customers' requests"</a></p>
                        <People snapshot=snapshot.clone() add_person reset_pin reset_password set_active revoke/>
                        <Budgets snapshot=snapshot.clone() set_policy add_boost/>
                        <Structure snapshot actions=structure/>
                    }.into_any(),
                }
            })}
        </Suspense>
        <section class="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading">"Audit log"</h2>
            <Suspense fallback=|| ()>
                {move || Suspend::new(async move {
                    let entries = audit.await.unwrap_or_default();
                    view! {
                        <table class="table">
                            <thead><tr><th>"When"</th><th>"Who"</th><th>"What"</th><th>"Subject"</th><th>"Before"</th><th>"After"</th></tr></thead>
                            <tbody>
                                {entries.into_iter().map(|e| view! {
                                    <tr>
                                        <td>{e.at}</td><td>{e.actor}</td><td>{e.action}</td><td>{e.subject}</td>
                                        <td><code>{e.before.unwrap_or_default()}</code></td>
                                        <td><code>{e.after.unwrap_or_default()}</code></td>
                                    </tr>
                                }).collect_view()}
                            </tbody>
                        </table>
                    }
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn People(
    snapshot: AdminSnapshot,
    add_person: ServerAction<AddPerson>,
    reset_pin: ServerAction<ResetPin>,
    reset_password: ServerAction<ResetPassword>,
    set_active: ServerAction<SetPersonActive>,
    revoke: ServerAction<RevokeSessions>,
) -> impl IntoView {
    let (locations, teams) = (snapshot.locations.clone(), snapshot.teams.clone());
    view! {
        <section class="card" aria-labelledby="people-heading">
            <h2 id="people-heading">"People"</h2>
            <table class="table">
                <thead><tr><th>"Name"</th><th>"Username"</th><th>"Location · team"</th><th>"Roles"</th><th>"Status"</th><th>"Actions"</th></tr></thead>
                <tbody>
                    {snapshot.people.into_iter().map(|p| {
                        let id = p.id;
                        let pin_input = format!("pin-{id}");
                        let pin_label = format!("New PIN for {}", p.display_name);
                        let password_input = format!("password-{id}");
                        let password_label = format!("New password for {}", p.display_name);
                        let toggle = if p.active { "Deactivate" } else { "Reactivate" };
                        let make_active = (!p.active).to_string();
                        view! {
                            <tr>
                                <td>{p.display_name}</td>
                                <td>{p.username}</td>
                                <td>{format!("{} · {}", p.location, p.team.unwrap_or_else(|| "—".into()))}</td>
                                <td>{p.roles.join(", ")}</td>
                                <td>{if p.active { "active" } else { "deactivated" }}</td>
                                <td class="row-actions">
                                    <ActionForm action=reset_pin attr:class="inline">
                                        <input type="hidden" name="person_id" value=id.to_string()/>
                                        <label class="visually-hidden" for=pin_input.clone()>{pin_label}</label>
                                        <input id=pin_input name="pin" type="password" inputmode="numeric"
                                            placeholder="New PIN" minlength="4" maxlength="8" required/>
                                        <button type="submit" class="button small">"Reset PIN"</button>
                                    </ActionForm>
                                    <ActionForm action=reset_password attr:class="inline">
                                        <input type="hidden" name="person_id" value=id.to_string()/>
                                        <label class="visually-hidden" for=password_input.clone()>{password_label}</label>
                                        <input id=password_input name="password" type="password" autocomplete="new-password"
                                            placeholder="New password" minlength="10" required/>
                                        <button type="submit" class="button small">"Reset password"</button>
                                    </ActionForm>
                                    <ActionForm action=set_active attr:class="inline">
                                        <input type="hidden" name="person_id" value=id.to_string()/>
                                        <input type="hidden" name="active" value=make_active/>
                                        <button type="submit" class="button small">{toggle}</button>
                                    </ActionForm>
                                    <ActionForm action=revoke attr:class="inline">
                                        <input type="hidden" name="person_id" value=id.to_string()/>
                                        <button type="submit" class="button small">"Sign out everywhere"</button>
                                    </ActionForm>
                                </td>
                            </tr>
                        }
                    }).collect_view()}
                </tbody>
            </table>
            <ActionError message=Signal::derive(move || reset_pin.value().with(error_message))/>
            <ActionError message=Signal::derive(move || reset_password.value().with(error_message))/>
            <ActionError message=Signal::derive(move || set_active.value().with(error_message))/>

            <h3>"Add a person"</h3>
            <ActionForm action=add_person attr:class="grid-form">
                <label for="new-name">"Name"</label>
                <input id="new-name" name="display_name" required maxlength="80"/>
                <label for="new-username">"Username"</label>
                <input id="new-username" name="username" required autocapitalize="none"/>
                <label for="new-location">"Location"</label>
                <select id="new-location" name="location_id">
                    {locations.iter().map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> }).collect_view()}
                </select>
                <label for="new-team">"Team"</label>
                <select id="new-team" name="team_id">
                    <option value="">"No team"</option>
                    {teams.iter().map(|t| view! { <option value=t.id.to_string()>{format!("{} · {}", t.location, t.name)}</option> }).collect_view()}
                </select>
                <label for="new-role">"Role"</label>
                <select id="new-role" name="role">
                    {Role::ALL.iter().map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> }).collect_view()}
                </select>
                <label for="new-password">"Password (10+ characters)"</label>
                <input id="new-password" name="password" type="password" autocomplete="new-password" required minlength="10"/>
                <label for="new-pin">"Tablet PIN (4–8 digits, optional)"</label>
                <input id="new-pin" name="pin" type="password" inputmode="numeric" maxlength="8"/>
                <button type="submit" class="button primary">"Add person"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || add_person.value().with(error_message))/>
        </section>
    }
}

#[component]
fn Budgets(
    snapshot: AdminSnapshot,
    set_policy: ServerAction<SetBudgetPolicy>,
    add_boost: ServerAction<AddBudgetBoost>,
) -> impl IntoView {
    let scopes: Vec<(String, String)> = std::iter::once((
        "organisation".to_string(),
        "Everyone (organisation default)".to_string(),
    ))
    .chain(Role::ALL.iter().map(|r| {
        (
            format!("role:{}", r.as_str()),
            format!("Role: {}", r.as_str()),
        )
    }))
    .chain(snapshot.teams.iter().map(|t| {
        (
            format!("team:{}", t.id),
            format!("Team: {} · {}", t.location, t.name),
        )
    }))
    .chain(snapshot.people.iter().map(|p| {
        (
            format!("person:{}", p.id),
            format!("Person: {}", p.display_name),
        )
    }))
    .collect();
    let (policy_scopes, boost_scopes) = (scopes.clone(), scopes);
    let currency = snapshot.currency.clone();
    view! {
        <section class="card" aria-labelledby="budgets-heading">
            <h2 id="budgets-heading">"Budgets"</h2>
            <p>"Organisation default < team or role < personal override; boosts add on the dates they cover. Changes apply from the next recovery."</p>
            <table class="table">
                <thead><tr><th>"For"</th><th>{format!("Daily ({currency})")}</th><th>"Per-recovery cap"</th></tr></thead>
                <tbody>
                    {snapshot.policies.iter().map(|p| view! {
                        <tr><td>{p.scope_label.clone()}</td><td>{p.daily.clone()}</td><td>{p.cap.clone().unwrap_or_else(|| "none".into())}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <h3>"Set a daily budget"</h3>
            <ActionForm action=set_policy attr:class="grid-form">
                <label for="policy-scope">"For"</label>
                <select id="policy-scope" name="scope">{scope_options(&policy_scopes)}</select>
                <label for="policy-daily">"Daily budget"</label>
                <input id="policy-daily" name="daily" inputmode="decimal" required placeholder="50.00"/>
                <label for="policy-cap">"Per-recovery cap (optional)"</label>
                <input id="policy-cap" name="cap" inputmode="decimal" placeholder="100.00"/>
                <button type="submit" class="button primary">"Save budget"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || set_policy.value().with(error_message))/>

            <h3>"Temporary boosts"</h3>
            <table class="table">
                <thead><tr><th>"For"</th><th>"From"</th><th>"To"</th><th>"Extra per day"</th></tr></thead>
                <tbody>
                    {snapshot.boosts.iter().map(|b| view! {
                        <tr><td>{b.scope_label.clone()}</td><td>{b.from.clone()}</td><td>{b.to.clone()}</td><td>{b.extra_per_day.clone()}</td></tr>
                    }).collect_view()}
                </tbody>
            </table>
            <ActionForm action=add_boost attr:class="grid-form">
                <label for="boost-scope">"For"</label>
                <select id="boost-scope" name="scope">{scope_options(&boost_scopes)}</select>
                <label for="boost-from">"From"</label>
                <input id="boost-from" name="from" type="date" required/>
                <label for="boost-to">"To"</label>
                <input id="boost-to" name="to" type="date" required/>
                <label for="boost-extra">"Extra per day"</label>
                <input id="boost-extra" name="extra" inputmode="decimal" required/>
                <label for="boost-reason">"Reason"</label>
                <input id="boost-reason" name="reason" required maxlength="200"/>
                <button type="submit" class="button primary">"Add boost"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || add_boost.value().with(error_message))/>
        </section>
    }
}

fn scope_options(scopes: &[(String, String)]) -> impl IntoView {
    scopes
        .iter()
        .map(|(value, label)| view! { <option value=value.clone()>{label.clone()}</option> })
        .collect_view()
}

/// The actions of the organisation, structure, lists and roles sections.
#[derive(Clone, Copy)]
struct StructureActions {
    update_organisation: ServerAction<UpdateOrganisation>,
    add_location: ServerAction<AddLocation>,
    add_team: ServerAction<AddTeam>,
    add_entry: ServerAction<AddTaxonomyEntry>,
    set_entry_active: ServerAction<SetTaxonomyEntryActive>,
    grant_role: ServerAction<GrantPersonRole>,
    revoke_role: ServerAction<RevokePersonRole>,
}

impl StructureActions {
    /// Changes whenever any of them ran, so the page reloads its data.
    fn version(&self) -> usize {
        self.update_organisation.version().get()
            + self.add_location.version().get()
            + self.add_team.version().get()
            + self.add_entry.version().get()
            + self.set_entry_active.version().get()
            + self.grant_role.version().get()
            + self.revoke_role.version().get()
    }
}

#[component]
fn Structure(snapshot: AdminSnapshot, actions: StructureActions) -> impl IntoView {
    let StructureActions {
        update_organisation,
        add_location,
        add_team,
        add_entry,
        set_entry_active,
        grant_role,
        revoke_role,
    } = actions;
    let location_options = |locations: &[(i64, String)]| {
        locations
            .iter()
            .map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> })
            .collect_view()
    };
    let touchpoints: Vec<(String, String)> = snapshot
        .taxonomy
        .iter()
        .filter(|(kind, _, _, active)| kind == "touchpoint" && *active)
        .map(|(_, code, label, _)| (code.clone(), label.clone()))
        .collect();
    let people: Vec<(i64, String)> = snapshot
        .people
        .iter()
        .map(|p| (p.id, p.display_name.clone()))
        .collect();
    let (team_locations, role_locations, revoke_locations) = (
        snapshot.locations.clone(),
        snapshot.locations.clone(),
        snapshot.locations.clone(),
    );
    let (grant_people, revoke_people) = (people.clone(), people);
    let person_options = |people: &[(i64, String)]| {
        people
            .iter()
            .map(|(id, name)| view! { <option value=id.to_string()>{name.clone()}</option> })
            .collect_view()
    };
    // Each form's children are their own closure: give each its own copies.
    let (org_name, org_currency, org_zone) = (
        snapshot.organisation_name.clone(),
        snapshot.currency.clone(),
        snapshot.time_zone.clone(),
    );
    let (new_location_currency, new_location_zone) =
        (snapshot.currency.clone(), snapshot.time_zone.clone());
    let role_options = || {
        Role::ALL
            .iter()
            .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
            .collect_view()
    };
    view! {
        <section class="card" aria-labelledby="organisation-heading">
            <h2 id="organisation-heading">"Organisation"</h2>
            <ActionForm action=update_organisation attr:class="grid-form">
                <label for="org-name">"Name"</label>
                <input id="org-name" name="name" value=org_name required maxlength="80"/>
                <label for="org-currency">"Default currency (ISO code)"</label>
                <input id="org-currency" name="currency" value=org_currency required maxlength="3"/>
                <label for="org-zone">"Default time zone (IANA)"</label>
                <input id="org-zone" name="time_zone" value=org_zone required/>
                <button type="submit" class="button primary">"Save organisation"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || update_organisation.value().with(error_message))/>

            <h3>"Locations and teams"</h3>
            <ul>
                {snapshot.locations.iter().map(|(id, name)| {
                    let teams: Vec<String> = snapshot.teams.iter().filter(|t| t.location == *name).map(|t| t.name.clone()).collect();
                    view! { <li data-location=id.to_string()><strong>{name.clone()}</strong>{format!(": {}", teams.join(", "))}</li> }
                }).collect_view()}
            </ul>
            <ActionForm action=add_location attr:class="grid-form">
                <label for="location-name">"New location"</label>
                <input id="location-name" name="name" required maxlength="80"/>
                <label for="location-zone">"Time zone (IANA)"</label>
                <input id="location-zone" name="time_zone" value=new_location_zone required/>
                <label for="location-currency">"Currency (ISO code)"</label>
                <input id="location-currency" name="currency" value=new_location_currency required maxlength="3"/>
                <button type="submit" class="button">"Add location"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || add_location.value().with(error_message))/>
            <ActionForm action=add_team attr:class="grid-form">
                <label for="team-location">"Location"</label>
                <select id="team-location" name="location_id">{location_options(&team_locations)}</select>
                <label for="team-name">"New team"</label>
                <input id="team-name" name="name" required maxlength="80"/>
                <label for="team-touchpoint">"Default touchpoint"</label>
                <select id="team-touchpoint" name="default_touchpoint">
                    <option value="">"None"</option>
                    {touchpoints.into_iter().map(|(code, label)| view! { <option value=code>{label}</option> }).collect_view()}
                </select>
                <button type="submit" class="button">"Add team"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || add_team.value().with(error_message))/>
        </section>

        <section class="card" aria-labelledby="lists-heading">
            <h2 id="lists-heading">"Lists"</h2>
            <p>"Categories and touchpoints are the organisation's own; remedies, causes and channels are fixed. A retired entry disappears from the tablet but stays on past recoveries."</p>
            <table class="table">
                <thead><tr><th>"List"</th><th>"Entry"</th><th>"Status"</th><th>"Action"</th></tr></thead>
                <tbody>
                    {snapshot.taxonomy.into_iter().filter(|(kind, _, _, _)| kind == "category" || kind == "touchpoint").map(|(kind, code, label, active)| view! {
                        <tr>
                            <td>{kind.clone()}</td>
                            <td>{label}</td>
                            <td>{if active { "in use" } else { "retired" }}</td>
                            <td>
                                <ActionForm action=set_entry_active attr:class="inline">
                                    <input type="hidden" name="kind" value=kind/>
                                    <input type="hidden" name="code" value=code/>
                                    <input type="hidden" name="active" value=(!active).to_string()/>
                                    <button type="submit" class="button small">{if active { "Retire" } else { "Restore" }}</button>
                                </ActionForm>
                            </td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
            <ActionError message=Signal::derive(move || set_entry_active.value().with(error_message))/>
            <ActionForm action=add_entry attr:class="grid-form">
                <label for="entry-kind">"List"</label>
                <select id="entry-kind" name="kind">
                    <option value="category">"Categories"</option>
                    <option value="touchpoint">"Touchpoints"</option>
                </select>
                <label for="entry-label">"New entry"</label>
                <input id="entry-label" name="label" required maxlength="60"/>
                <button type="submit" class="button">"Add to list"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || add_entry.value().with(error_message))/>
        </section>

        <section class="card" aria-labelledby="roles-heading">
            <h2 id="roles-heading">"Roles"</h2>
            <ActionForm action=grant_role attr:class="grid-form">
                <label for="grant-person">"Person"</label>
                <select id="grant-person" name="person_id">{person_options(&grant_people)}</select>
                <label for="grant-role">"Role"</label>
                <select id="grant-role" name="role">{role_options()}</select>
                <label for="grant-location">"Where"</label>
                <select id="grant-location" name="location_id">
                    <option value="">"Everywhere in the organisation"</option>
                    {location_options(&role_locations)}
                </select>
                <button type="submit" class="button">"Grant role"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || grant_role.value().with(error_message))/>
            <ActionForm action=revoke_role attr:class="grid-form">
                <label for="revoke-person">"Person"</label>
                <select id="revoke-person" name="person_id">{person_options(&revoke_people)}</select>
                <label for="revoke-role">"Role"</label>
                <select id="revoke-role" name="role">{role_options()}</select>
                <label for="revoke-location">"Where"</label>
                <select id="revoke-location" name="location_id">
                    <option value="">"Everywhere in the organisation"</option>
                    {location_options(&revoke_locations)}
                </select>
                <button type="submit" class="button">"Take role away"</button>
            </ActionForm>
            <ActionError message=Signal::derive(move || revoke_role.value().with(error_message))/>
        </section>
    }
}

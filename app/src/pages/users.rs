//! The user admin page (admins only): invite a user with a one-time
//! password, change roles, disable and enable. The server keeps at least
//! one enabled admin, whatever is clicked here.

use crate::access::Role;
use crate::components::Loaded;
use crate::controls::forms::{CallButton, CallForm};
use crate::error::AppError;
use crate::ids::UserName;
use crate::model::{Invited, UserSummary};
use leptos::prelude::*;

#[server(endpoint = "users")]
pub async fn get_users() -> Result<Vec<UserSummary>, AppError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.users(&who).await
    })
    .await
}

#[server(endpoint = "invite_user")]
pub async fn invite_user(name: UserName, role: Role) -> Result<Invited, AppError> {
    crate::console::answer(async move {
        crate::console::act(crate::action::Action::InviteUser { name, role })
            .await?
            .invited()
    })
    .await
}

/// The last enabled admin cannot be demoted.
#[server(endpoint = "set_user_role")]
pub async fn set_user_role(name: UserName, role: Role) -> Result<UserSummary, AppError> {
    crate::console::answer(async move {
        crate::console::act(crate::action::Action::SetRole { name, role })
            .await?
            .user()
    })
    .await
}

/// The last enabled admin cannot be disabled, nor can the caller.
#[server(endpoint = "set_user_disabled")]
pub async fn set_user_disabled(name: UserName, disabled: bool) -> Result<UserSummary, AppError> {
    crate::console::answer(async move {
        crate::console::act(crate::action::Action::SetDisabled { name, disabled })
            .await?
            .user()
    })
    .await
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = Resource::new(|| (), |_| get_users());
    view! {
        <h1>"Users"</h1>
        <section class="panel invite">
            <h2>"Invite a user"</h2>
            <CallForm
                function="invite_user"
                notice="invited"
                secret="password"
                secret_note="They choose their own password at first sign-in."
            >
                <InviteFields />
            </CallForm>
        </section>
        <Loaded
            data=users
            fallback="Loading users…"
            view=move |list| {
                view! {
                    <div data-live="users" data-quiet="">
                        <UserTable list />
                    </div>
                }
            }
        />
        <section class="panel roles">
            <h2>"What each role can do"</h2>
            <ul>
                <li><b>"viewer"</b>": sees spaces, peerings, PrivateLinks and the audit history."</li>
                <li><b>"operator"</b>": also accepts peerings, creates PrivateLinks and adds allowed accounts."</li>
                <li><b>"admin"</b>": also destroys peerings and PrivateLinks, removes allowed accounts, reveals connection URLs and manages users."</li>
            </ul>
        </section>
    }
}

/// The invite form's fields: the name is checked as it is typed, with the
/// server's own rule. An island: it runs in the browser.
#[island]
fn InviteFields() -> impl IntoView {
    let name = RwSignal::new(String::new());
    let problem = move || {
        let n = name.get();
        (!n.trim().is_empty())
            .then(|| crate::validate::user_name(&n).err())
            .flatten()
    };
    view! {
        <label>
            "User name "
            <input name="name" autocomplete="off" bind:value=name required />
        </label>
        <label>
            " Role "
            <select name="role">
                {Role::ALL
                    .iter()
                    .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
                    .collect_view()}
            </select>
        </label>
        <button type="submit" class="primary" disabled=move || problem().is_some()>
            "Invite"
        </button>
        {move || problem().map(|p| view! { <p class="error">{p}</p> })}
    }
}

#[component]
fn UserTable(list: Vec<UserSummary>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|u| {
            let current = u.role;
            let disabled = u.disabled;
            let status = if u.disabled {
                "disabled"
            } else if u.must_change_password {
                "invited"
            } else {
                "active"
            };
            let toggle = if disabled { "Enable" } else { "Disable" };
            let label = format!("Role of {}", u.name);
            view! {
                <tr class="user" data-key=u.name.clone() data-user=u.name.clone() data-role=u.role.as_str()>
                    <td>
                        <code>{u.name.clone()}</code>
                        {u.demo.then(|| view! { <span class="badge badge-other">"demo"</span> })}
                    </td>
                    <td>
                        <CallForm function="set_user_role" class="call" fields=vec![("name", u.name.clone())]>
                            <select
                                class="role"
                                name="role"
                                data-submit=""
                                aria-label=label
                            >
                                {Role::ALL
                                    .iter()
                                    .map(|r| {
                                        view! {
                                            <option value=r.as_str() selected=*r == current>
                                                {r.as_str()}
                                            </option>
                                        }
                                    })
                                    .collect_view()}
                            </select>
                        </CallForm>
                    </td>
                    <td>{status}</td>
                    <td>{u.last_sign_in.clone().unwrap_or_else(|| "never".into())}</td>
                    <td>
                        <CallButton
                            function="set_user_disabled"
                            fields=vec![("name", u.name.clone()), ("disabled", (!disabled).to_string())]
                            class=if disabled { "enable" } else { "disable danger" }
                            label=toggle
                        />
                    </td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="users">
            <thead>
                <tr>
                    <th>"User"</th>
                    <th>"Role"</th>
                    <th>"Status"</th>
                    <th>"Last sign-in"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

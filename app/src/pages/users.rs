//! The user admin page (admins only): invite a user with a one-time
//! password, change roles, disable and enable. The server keeps at least
//! one enabled admin, whatever is clicked here.

use crate::access::Role;
use crate::answer_of;
use crate::components::{ErrorMessage, Loaded, latest_answer};
use crate::error::AppError;
use crate::ids::{UserName, parse};
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
    let invite = ServerAction::<InviteUser>::new();
    let role = ServerAction::<SetUserRole>::new();
    let disable = ServerAction::<SetUserDisabled>::new();
    // Reload the list after any change, whether it worked or not.
    let users = Resource::new(
        move || {
            (
                invite.version().get(),
                role.version().get(),
                disable.version().get(),
            )
        },
        |_| get_users(),
    );
    // The latest answer of the two speaks, if it was a refusal.
    let latest = latest_answer(vec![answer_of!(role), answer_of!(disable)]);
    let last_error = move || latest.get().and_then(Result::err);
    view! {
        <h1>"Users"</h1>
        <InviteForm invite />
        {move || last_error().map(|error| view! { <ErrorMessage error /> })}
        <Loaded
            data=users
            fallback="Loading users…"
            view=move |list| view! { <UserTable list role disable /> }
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

#[component]
fn InviteForm(invite: ServerAction<InviteUser>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let role = RwSignal::new("viewer".to_string());
    let problem = move || {
        let n = name.get();
        (!n.trim().is_empty())
            .then(|| crate::validate::user_name(&n).err())
            .flatten()
    };
    view! {
        <section class="panel invite">
            <h2>"Invite a user"</h2>
            <form on:submit=move |ev| {
                ev.prevent_default();
                if problem().is_none()
                    && let (Ok(name), Ok(chosen)) = (parse(&name.get()), parse(&role.get()))
                {
                    invite.dispatch(InviteUser { name, role: chosen });
                }
            }>
                <label>
                    "User name "
                    <input name="name" bind:value=name required />
                </label>
                <label>
                    " Role "
                    <select name="role" on:change=move |ev| role.set(event_target_value(&ev))>
                        {Role::ALL
                            .iter()
                            .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
                            .collect_view()}
                    </select>
                </label>
                <button type="submit" class="primary" disabled=move || problem().is_some()>
                    "Invite"
                </button>
            </form>
            {move || problem().map(|p| view! { <p class="error">{p}</p> })}
            {move || {
                invite
                    .value()
                    .get()
                    .map(|r| match r {
                        Ok(i) => {
                            view! {
                                <div class="invited" role="status">
                                    <p>
                                        {format!("Invited {} as {}. Their one-time password, shown only now:", i.name, i.role)}
                                    </p>
                                    <crate::components::Copyable value=i.password />
                                    <p class="hint">"They choose their own password at first sign-in."</p>
                                </div>
                            }
                                .into_any()
                        }
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                    })
            }}
        </section>
    }
}

#[component]
fn UserTable(
    list: Vec<UserSummary>,
    role: ServerAction<SetUserRole>,
    disable: ServerAction<SetUserDisabled>,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|u| {
            let name = u.name.clone();
            let name2 = u.name.clone();
            let current = u.role;
            let disabled = u.disabled;
            let status = if u.disabled {
                "disabled"
            } else if u.must_change_password {
                "invited"
            } else {
                "active"
            };
            view! {
                <tr class="user" data-user=u.name.clone() data-role=u.role.as_str()>
                    <td>
                        <code>{u.name.clone()}</code>
                        {u.demo.then(|| view! { <span class="badge badge-other">"demo"</span> })}
                    </td>
                    <td>
                        <select
                            class="role"
                            aria-label=format!("Role of {}", u.name)
                            on:change=move |ev| {
                                if let (Ok(name), Ok(new_role)) =
                                    (parse(&name), parse(&event_target_value(&ev)))
                                {
                                    role.dispatch(SetUserRole { name, role: new_role });
                                }
                            }
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
                    </td>
                    <td>{status}</td>
                    <td>{u.last_sign_in.clone().unwrap_or_else(|| "never".into())}</td>
                    <td>
                        <button
                            class=if disabled { "enable" } else { "disable danger" }
                            on:click=move |_| {
                                if let Ok(name) = parse(&name2) {
                                    disable.dispatch(SetUserDisabled {
                                        name,
                                        disabled: !disabled,
                                    });
                                }
                            }
                        >
                            {if disabled { "Enable" } else { "Disable" }}
                        </button>
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

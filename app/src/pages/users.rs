//! The user admin page (admins only): invite a user with a one-time
//! password, change roles, disable and enable. The server keeps at least
//! one enabled admin, whatever is clicked here. Where the policy holds
//! anything back, making someone able to decide it (inviting them, raising
//! them, enabling them) waits for another admin: the invite form asks for a
//! reason, and a row's Request a change… opens a dialog of its own
//! (`/users/{name}`) that does.

use crate::components::no_such;
use crate::components::{Loaded, page_data};
use crate::controls::forms::{CallButton, CallForm, CloseButton};
use crate::error::FnError;
use domain::access::Role;
use domain::approval::Decided;
use domain::ids::UserName;
use domain::policy::Gate;
use domain::views::UsersView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_params_map;

#[server(endpoint = "users")]
pub async fn get_users() -> Result<UsersView, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.users(&who).await
    })
    .await
}

/// What a change of users answers: what happened (or that approval was
/// asked for), and an invited user's one-time password, shown this once.
#[cfg(feature = "ssr")]
fn decided(done: domain::action::Done) -> Decided {
    match done {
        domain::action::Done::Invited(i) => Decided {
            message: i.message,
            password: Some(i.password),
        },
        other => Decided {
            message: other.said(),
            password: None,
        },
    }
}

/// Invites a user; where the policy holds inviting that role back (it
/// could decide what the policy holds), asks another admin with `reason`.
#[server(endpoint = "invite_user")]
pub async fn invite_user(
    name: UserName,
    role: Role,
    reason: Option<String>,
) -> Result<Decided, FnError> {
    crate::console::answer(async move {
        let invite = domain::action::UserAction::InviteUser { name, role };
        Ok(decided(crate::console::act_or_ask(invite, reason).await?))
    })
    .await
}

/// The last enabled admin cannot be demoted. A raise the policy holds
/// back is asked for with `reason`.
#[server(endpoint = "set_user_role")]
pub async fn set_user_role(
    name: UserName,
    role: Role,
    reason: Option<String>,
) -> Result<Decided, FnError> {
    crate::console::answer(async move {
        let change = domain::action::UserAction::SetRole { name, role };
        Ok(decided(crate::console::act_or_ask(change, reason).await?))
    })
    .await
}

/// The last enabled admin cannot be disabled, nor can the caller. An
/// enable the policy holds back is asked for with `reason`.
#[server(endpoint = "set_user_disabled")]
pub async fn set_user_disabled(
    name: UserName,
    disabled: bool,
    reason: Option<String>,
) -> Result<Decided, FnError> {
    crate::console::answer(async move {
        let change = domain::action::UserAction::SetDisabled { name, disabled };
        Ok(decided(crate::console::act_or_ask(change, reason).await?))
    })
    .await
}

/// Makes a token for automation and the service user it acts as; the
/// token is in the answer this once, and kept only as a hash.
#[server(endpoint = "create_token")]
pub async fn create_token(
    name: UserName,
    role: Role,
    days: u32,
) -> Result<domain::model::NewToken, FnError> {
    crate::console::answer(async move {
        let make = domain::action::UserAction::CreateToken { name, role, days };
        crate::console::act(make).await?.token()
    })
    .await
}

/// Stops a token at once.
#[server(endpoint = "revoke_token")]
pub async fn revoke_token(name: UserName) -> Result<String, FnError> {
    crate::console::answer(async move {
        let revoke = domain::action::UserAction::RevokeToken { name };
        Ok(crate::console::act(revoke).await?.said())
    })
    .await
}

/// "operator or admin": roles, in words.
fn roles_words(roles: &[Role]) -> String {
    let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
    match names.split_last() {
        None => String::new(),
        Some((last, [])) => (*last).to_string(),
        Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
    }
}

#[component]
pub fn UsersPage() -> impl IntoView {
    let users = page_data(|| (), |_| get_users());
    let render = move |view: UsersView| {
        let held = view.held.clone();
        let gate = view.gate;
        view! {
            <section class="panel invite">
                <h2>"Invite a user"</h2>
                <CallForm
                    function=InviteUser::PATH
                    notice="invited"
                    secret="password"
                    secret_note="They choose their own password at first sign-in."
                    clear=true
                >
                    <InviteFields held gate />
                </CallForm>
            </section>
            <section class="panel user-list">
                <h2>"Everyone"</h2>
                <div data-live="users" data-quiet="">
                    <UserTable view=view.clone() />
                </div>
            </section>
            <section class="panel tokens">
                <h2>"Tokens for automation"</h2>
                <p class="muted">
                    "A token acts as a service user of its own, named in the history for what it \
                     does, through the same roles and approval policy as a person. It may ask for \
                     approval but never decide one, and never manages users. It is shown once, \
                     kept only as a hash, and stops working when it expires or is revoked. Send \
                     it as "<code>"Authorization: Bearer …"</code>" to the server functions."
                </p>
                <CallForm
                    function=CreateToken::PATH
                    class="token-create"
                    notice="token-made"
                    secret="token"
                    secret_note="Store it in your CI's secrets now: it is not shown again."
                    clear=true
                >
                    <label>
                        "Name "
                        <input name="name" autocomplete="off" placeholder="ci-peers" required />
                    </label>
                    <label>
                        " Role "
                        <select name="role">
                            <option value="viewer">"viewer"</option>
                            <option value="operator" selected>"operator"</option>
                            <option value="admin">"admin"</option>
                        </select>
                    </label>
                    <label>
                        " Expires in "
                        <select name="days">
                            <option value="7">"7 days"</option>
                            <option value="30">"30 days"</option>
                            <option value="90" selected>"90 days"</option>
                            <option value="180">"180 days"</option>
                            <option value="366">"a year"</option>
                        </select>
                    </label>
                    <button type="submit" class="primary">"Make a token"</button>
                </CallForm>
                <div data-live="tokens" data-quiet="">
                    <TokenTable tokens=view.tokens />
                </div>
            </section>
        }
    };
    view! {
        <h1>"Users"</h1>
        <Loaded data=users fallback="Loading users…" view=render />
        <section class="panel roles">
            <h2>"What each role can do"</h2>
            <ul>
                <li><b>"viewer"</b>": sees spaces, peerings, PrivateLinks and the audit history."</li>
                <li><b>"operator"</b>": also accepts peerings, creates PrivateLinks and adds allowed accounts."</li>
                <li><b>"admin"</b>": also destroys peerings and PrivateLinks, removes allowed accounts, reveals connection URLs and manages users."</li>
            </ul>
            <p class="muted">
                "An approval counts only from someone who held a role that may decide it when it \
                 was asked for, and whom its requester did not invite, raise or enable in the \
                 policy's window before it (or since)."
            </p>
        </section>
    }
}

/// The invite form's fields: the name is checked as it is typed, with the
/// server's own rule, and a role the policy holds back asks for a reason.
/// An island: it runs in the browser.
#[island]
fn InviteFields(held: Vec<Role>, gate: Gate) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let role = RwSignal::new(Role::Viewer);
    let problem = move || {
        let n = name.get();
        (!n.trim().is_empty())
            .then(|| domain::validate::new_user_name(&n).err())
            .flatten()
    };
    let needs_reason = {
        let held = held.clone();
        move || held.contains(&role.get())
    };
    let deadlock = gate.deadlock("making someone able to decide");
    let words = format!(
        "Inviting an {} waits for another admin's approval under this policy: say why.",
        roles_words(&held)
    );
    let asks = needs_reason.clone();
    view! {
        <label>
            "User name "
            <input name="name" autocomplete="off" bind:value=name required />
        </label>
        <label>
            " Role "
            <select
                name="role"
                on:change=move |ev| {
                    if let Ok(r) = event_target_value(&ev).parse() {
                        role.set(r);
                    }
                }
            >
                {Role::ALL
                    .iter()
                    .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
                    .collect_view()}
            </select>
        </label>
        <div class="invite-reason" class:hidden=move || !needs_reason()>
            <p class="muted">{words}</p>
            {deadlock.map(|d| view! { <p class="error deadlock" role="alert">{d}</p> })}
            <textarea
                class="reason"
                name="reason"
                placeholder="Why (a ticket, who asked)"
                prop:disabled=move || !asks()
            ></textarea>
        </div>
        <button type="submit" class="primary" disabled=move || problem().is_some()>
            {move || if needs_reason_label(&held, role.get()) { "Request approval" } else { "Invite" }}
        </button>
        {move || problem().map(|p| view! { <p class="error">{p}</p> })}
    }
}

fn needs_reason_label(held: &[Role], role: Role) -> bool {
    held.contains(&role)
}

#[component]
fn UserTable(view: UsersView) -> impl IntoView {
    let rows = view
        .users
        .iter()
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
            let label = format!("Role of {}", u.name);
            // The quick controls do what needs nobody; what waits for
            // another admin is asked for in the row's dialog.
            let options = Role::ALL
                .into_iter()
                .filter(|r| *r == current || !view.role_held(u, *r))
                .map(|r| {
                    view! {
                        <option value=r.as_str() selected=r == current>
                            {r.as_str()}
                        </option>
                    }
                })
                .collect_view();
            let toggle = if disabled && view.enable_held(u) {
                None
            } else {
                Some(view! {
                    <CallButton
                        function=SetUserDisabled::PATH
                        fields=vec![("name", u.name.clone()), ("disabled", (!disabled).to_string())]
                        class=if disabled { "enable" } else { "disable danger" }
                        label=if disabled { "Enable" } else { "Disable" }
                    />
                })
            };
            let ask = view.any_held(u).then(|| {
                view! {
                    <button type="button" class="request-change" data-dialog=format!("/users/{}", u.name)>
                        "Request a change…"
                    </button>
                }
            });
            view! {
                <tr class="user" data-key=u.name.clone() data-user=u.name.clone() data-role=u.role.as_str()>
                    <td>
                        <code>{u.name.clone()}</code>
                        {u.demo.then(|| view! { <span class="badge badge-other">"demo"</span> })}
                        {match u.kind {
                            domain::model::UserKind::Service => Some(view! { <span class="badge badge-other" title="automation, acting through its token">"token"</span> }),
                            domain::model::UserKind::Provider => Some(view! { <span class="badge badge-other" title="signs in through the identity provider">"SSO"</span> }),
                            domain::model::UserKind::Local => None,
                        }}
                    </td>
                    <td>
                        <CallForm function=SetUserRole::PATH class="call" fields=vec![("name", u.name.clone())]>
                            <select class="role" name="role" data-submit="" aria-label=label>
                                {options}
                            </select>
                        </CallForm>
                    </td>
                    <td>{status}</td>
                    <td>{u.last_sign_in.clone().unwrap_or_else(|| "never".into())}</td>
                    <td class="user-actions">{toggle} {ask}</td>
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

#[component]
fn TokenTable(tokens: Vec<domain::model::TokenSummary>) -> impl IntoView {
    if tokens.is_empty() {
        return view! { <p class="muted">"No tokens yet."</p> }.into_any();
    }
    let rows = tokens
        .into_iter()
        .map(|t| {
            let state = match (&t.revoked_at, t.expired) {
                (Some(at), _) => format!(
                    "revoked {at}{}",
                    t.revoked_by
                        .as_ref()
                        .map(|b| format!(" by {b}"))
                        .unwrap_or_default()
                ),
                (None, true) => "expired".to_string(),
                (None, false) => "active".to_string(),
            };
            let revoke = t.active().then(|| {
                view! {
                    <CallButton
                        function=RevokeToken::PATH
                        fields=vec![("name", t.name.clone())]
                        class="danger revoke"
                        label="Revoke"
                    />
                }
            });
            view! {
                <tr class="token" data-key=t.name.clone() data-token=t.name.clone()>
                    <td><code>{t.name.clone()}</code></td>
                    <td>{t.role.as_str()}</td>
                    <td><code>{format!("spt_…{}", t.hint)}</code></td>
                    <td class="token-state">{state}</td>
                    <td>{t.expires_at.clone()}</td>
                    <td>{t.last_used_at.clone().unwrap_or_else(|| "never".into())}</td>
                    <td>{t.created_by.clone()}</td>
                    <td>{revoke}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="tokens">
            <thead>
                <tr>
                    <th>"Service user"</th>
                    <th>"Role"</th>
                    <th>"Token"</th>
                    <th>"State"</th>
                    <th>"Expires"</th>
                    <th>"Last used"</th>
                    <th>"Made by"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
    .into_any()
}

/// `/users/{name}`: the changes of one user that wait for another admin
/// under the policy, each asked for with a reason.
#[component]
pub fn UserChangeDialogPage() -> impl IntoView {
    let params = use_params_map();
    let data = page_data(|| (), |_| get_users());
    let render = move |view: UsersView| {
        let name = params.read_untracked().get("name").unwrap_or_default();
        let Some(u) = view.users.iter().find(|u| u.name == name).cloned() else {
            return no_such(format!("There is no user {name}."));
        };
        let raises: Vec<Role> = Role::ALL
            .into_iter()
            .filter(|r| view.role_held(&u, *r))
            .collect();
        let deadlock = view
            .gate
            .deadlock(&format!("a change that lets {} decide", u.name));
        let blocked = deadlock.is_some();
        let (raise_name, enable_name) = (u.name.clone(), u.name.clone());
        // One Cancel, on the last form's row.
        let enable_held = view.enable_held(&u);
        let raise = (!raises.is_empty()).then(|| {
            view! {
                <CallForm
                    function=SetUserRole::PATH
                    class="request-role"
                    notice="decision"
                    fields=vec![("name", raise_name.clone())]
                >
                    <label>
                        {format!("Make {raise_name} ")}
                        <select name="role">
                            {raises
                                .iter()
                                .map(|r| view! { <option value=r.as_str()>{r.as_str()}</option> })
                                .collect_view()}
                        </select>
                    </label>
                    <AskButton blocked cancel=!enable_held />
                </CallForm>
            }
        });
        let enable = enable_held.then(|| {
            view! {
                <CallForm
                    function=SetUserDisabled::PATH
                    class="request-enable"
                    notice="decision"
                    fields=vec![("name", enable_name.clone()), ("disabled", "false".into())]
                >
                    <p>{format!("Enable {enable_name} again ({}).", u.role)}</p>
                    <AskButton blocked cancel=true />
                </CallForm>
            }
        });
        let nothing = (raise.is_none() && enable.is_none()).then(|| {
            view! {
                <p>"Nothing about this user waits for approval: change it on the Users page."</p>
                <div class="buttons">
                    <CloseButton label="Close" />
                </div>
            }
        });
        view! {
            <div class="dialog" role="dialog" aria-label="Request a change">
                <h2>{format!("Change {}?", u.name)}</h2>
                <p class="muted">
                    {format!(
                        "{} is {}{}. Making someone able to decide what the policy holds waits \
                         for the approval of another admin: one you have not invited, raised or \
                         enabled lately.",
                        u.name,
                        u.role,
                        if u.disabled { ", disabled" } else { "" },
                    )}
                </p>
                {deadlock.map(|d| view! { <p class="error deadlock" role="alert">{d}</p> })}
                {raise}
                {enable}
                {nothing}
            </div>
        }
        .into_any()
    };
    view! { <Loaded data fallback="Loading users…" view=render /> }
}

/// A dialog form's reason and its Request approval, which works once a
/// reason is written (never while nobody could approve), with the
/// dialog's Cancel beside it when `cancel`.
#[component]
fn AskButton(blocked: bool, cancel: bool) -> impl IntoView {
    view! {
        <textarea class="reason" name="reason" placeholder="Why (a ticket, who asked)"></textarea>
        <div class="buttons">
            <button
                type="submit"
                class="request-approval"
                disabled
                data-needs=(!blocked).then_some("reason")
            >
                "Request approval"
            </button>
            {cancel.then(|| view! { <CloseButton /> })}
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_are_named_in_words() {
        assert_eq!(roles_words(&[Role::Admin]), "admin");
        assert_eq!(
            roles_words(&[Role::Operator, Role::Admin]),
            "operator or admin"
        );
    }
}

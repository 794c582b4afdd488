//! The AWS accounts a PrivateLink allows: the server functions that name
//! them (create, add, remove), the table of them, and the field that takes
//! new ones (checked as they are typed, with the server's own
//! parser, the one part of the add-on page that runs in the browser). The
//! Remove button opens the confirmation in `addon_dialogs`.

use crate::controls::forms::CallForm;
use crate::error::FnError;
use crate::me::i_can;
use crate::pages::approvals::ReasonFields;
use domain::access::Permission;
use domain::action::Answer;
use domain::ids::{AddonName, Principals, SpaceRef};
use domain::model::{DataActionResult, PrivateLink};
use domain::policy::Gate;
use domain::validate::aws_principals;
use domain::views::PrivateLinkView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

/// Where the policy holds the change back, asks for approval with `reason`.
#[server(endpoint = "create_privatelink")]
pub async fn create_privatelink(
    space: SpaceRef,
    addon: AddonName,
    accounts: Principals,
    reason: Option<String>,
) -> Result<Answer<DataActionResult>, FnError> {
    let change = domain::action::ProviderAction::CreatePrivateLink {
        space,
        addon,
        accounts,
    };
    crate::console::change(change, reason, domain::action::Done::privatelink).await
}

/// Where the policy holds the change back, asks for approval with `reason`.
#[server(endpoint = "add_allowed_accounts")]
pub async fn add_allowed_accounts(
    space: SpaceRef,
    addon: AddonName,
    accounts: Principals,
    reason: Option<String>,
) -> Result<Answer<DataActionResult>, FnError> {
    let change = domain::action::ProviderAction::AddAccounts {
        space,
        addon,
        accounts,
    };
    crate::console::change(change, reason, domain::action::Done::privatelink).await
}

/// Where the policy holds the change back, asks for approval with `reason`.
#[server(endpoint = "remove_allowed_account")]
pub async fn remove_allowed_account(
    space: SpaceRef,
    addon: AddonName,
    account: Principals,
    reason: Option<String>,
) -> Result<Answer<DataActionResult>, FnError> {
    let change = domain::action::ProviderAction::RemoveAccounts {
        space,
        addon,
        accounts: account,
    };
    crate::console::change(change, reason, domain::action::Done::privatelink).await
}

/// What typed accounts are for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AccountsUse {
    /// The accounts of a new PrivateLink.
    Create,
    /// More accounts for one that exists.
    Add,
}

impl AccountsUse {
    fn function(self) -> &'static str {
        match self {
            Self::Create => CreatePrivatelink::PATH,
            Self::Add => AddAllowedAccounts::PATH,
        }
    }

    /// What asking for it is called, in a reason form.
    fn what(self) -> &'static str {
        match self {
            Self::Create => "creating a PrivateLink",
            Self::Add => "allowing accounts",
        }
    }
}

#[component]
pub fn Accounts(view: PrivateLinkView, link: PrivateLink) -> impl IntoView {
    let can_remove = i_can(Permission::RemoveAccount);
    let rows = link
        .allowed_accounts
        .iter()
        .map(|a| {
            let mut query = form_urlencoded::Serializer::new(String::new());
            query.append_pair("arn", &a.arn);
            let confirm = format!(
                "/spaces/{}/addons/{}/remove?{}",
                view.space,
                view.addon,
                query.finish()
            );
            view! {
                <tr class="account" data-key=a.arn.clone() data-arn=a.arn.clone()>
                    <td>
                        <code>{a.arn.clone()}</code>
                    </td>
                    <td>{a.status.clone()}</td>
                    <td>
                        {can_remove
                            .then(|| {
                                view! {
                                    <button type="button" class="danger remove" data-dialog=confirm>
                                        "Remove"
                                    </button>
                                }
                            })}
                    </td>
                </tr>
            }
        })
        .collect_view();
    // Viewers see the form greyed out, so they know it exists and who can use it.
    let gate = view.gates.add;
    view! {
        <section class="panel accounts">
            <h2>"Allowed accounts"</h2>
            <table>
                <thead>
                    <tr>
                        <th>"ARN"</th>
                        <th>"Status"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
            <AccountsForm view purpose=AccountsUse::Add gate can=i_can(Permission::AddAccounts) />
        </section>
    }
}

/// The form that takes accounts: it calls the action itself, or, where
/// the policy holds the action back, asks for approval of it.
#[component]
pub fn AccountsForm(
    view: PrivateLinkView,
    purpose: AccountsUse,
    gate: Gate,
    can: bool,
) -> impl IntoView {
    // Held back by the policy, the same call with a reason asks for
    // approval instead.
    let held = can && gate.needs > 0;
    let notice = if held { "decision" } else { "" };
    let fields = vec![("space", view.space), ("addon", view.addon)];
    view! {
        <CallForm function=purpose.function() notice fields clear=true>
            <AccountsField
                purpose
                held=held.then_some(gate)
                can
            />
        </CallForm>
    }
}

/// Validates accounts as they are typed, with the same parser as the server.
fn account_feedback(text: &str) -> Option<Result<String, String>> {
    if text.trim().is_empty() {
        return None;
    }
    Some(aws_principals(text).map(|ps| {
        let arns: Vec<String> = ps.iter().map(|p| p.arn()).collect();
        format!("Will allow: {}", arns.join(", "))
    }))
}

/// The accounts field, what it will allow or what is wrong with it, and
/// the button, enabled once what is typed parses. Where the action is
/// `held` back, the reason field and its button instead.
/// An island, which the page's reads leave alone (`data-own`): it
/// renders itself.
#[island]
fn AccountsField(purpose: AccountsUse, held: Option<Gate>, can: bool) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let valid = move || matches!(account_feedback(&text.get()), Some(Ok(_)));
    let field = match purpose {
        AccountsUse::Create => {
            view! { <textarea name="accounts" rows="3" bind:value=text></textarea> }.into_any()
        }
        AccountsUse::Add => view! {
            <label class="add-accounts">
                "Add accounts "
                <input
                    name="accounts"
                    autocomplete="off"
                    placeholder="123456789012:user/NAME"
                    disabled=!can
                    title=(!can).then_some("An operator or admin can add accounts.")
                    bind:value=text
                />
            </label>
        }
        .into_any(),
    };
    let submit = match held {
        Some(gate) => view! {
            <ReasonFields gate what=purpose.what().to_string() in_page=true also_needs="accounts" />
        }
        .into_any(),
        None => {
            let (class, label) = match purpose {
                AccountsUse::Create => ("create", "Create PrivateLink"),
                AccountsUse::Add => ("add", "Add"),
            };
            view! {
                <button type="submit" class=class disabled=move || !can || !valid()>
                    {label}
                </button>
            }
            .into_any()
        }
    };
    view! {
        <div class="accounts-field" data-own="">
            {field}
            {move || {
                account_feedback(&text.get())
                    .map(|r| match r {
                        Ok(ok) => view! { <p class="hint ok">{ok}</p> }.into_any(),
                        Err(e) => view! { <p class="error account-error" role="alert">{e}</p> }.into_any(),
                    })
            }}
            {submit}
        </div>
    }
}

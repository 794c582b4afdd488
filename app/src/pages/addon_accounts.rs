//! The AWS accounts a PrivateLink allows: the table of them, and the field
//! that takes new ones (checked as they are typed, with the server's own
//! parser, the one part of the add-on page that runs in the browser). The
//! Remove button opens the confirmation in `addon_dialogs`.

use crate::controls::forms::CallForm;
use crate::me::i_can;
use crate::pages::approvals::ReasonFields;
use domain::access::Permission;
use domain::ids::{Principals, parse};
use domain::model::PrivateLink;
use domain::policy::Gate;
use domain::validate::aws_principals;
use domain::views::PrivateLinkView;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

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
            Self::Create => "create_privatelink",
            Self::Add => "add_allowed_accounts",
        }
    }

    /// What asking for it is called, in a reason form.
    fn what(self) -> &'static str {
        match self {
            Self::Create => "creating a PrivateLink",
            Self::Add => "allowing accounts",
        }
    }

    /// The action asked for, as `request_approval` reads it: built as
    /// JSON here, since serialising an `Action` in the browser would
    /// carry every action's serialiser into the wasm. The server parses
    /// it as an `Action` again; a test holds the two equal.
    fn action_json(self, space: &str, addon: &str, typed: &str) -> Option<String> {
        let accounts: Principals = parse(typed).ok()?;
        let kind = match self {
            Self::Create => "create_private_link",
            Self::Add => "add_accounts",
        };
        let json = serde_json::json!({
            "kind": kind,
            "space": space,
            "addon": addon,
            "accounts": accounts.to_string(),
        });
        Some(json.to_string())
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
    let held = can && gate.needs > 0;
    let (function, notice, fields) = if held {
        ("request_approval", "decision", vec![])
    } else {
        (
            purpose.function(),
            "",
            vec![("space", view.space.clone()), ("addon", view.addon.clone())],
        )
    };
    view! {
        <CallForm function notice fields clear=true>
            <AccountsField
                space=view.space
                addon=view.addon
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
/// `held` back, what is typed fills in the approval request's `action`.
/// An island, which the page's reads leave alone (`data-own`): it
/// renders itself.
#[island]
fn AccountsField(
    space: String,
    addon: String,
    purpose: AccountsUse,
    held: Option<Gate>,
    can: bool,
) -> impl IntoView {
    let text = RwSignal::new(String::new());
    let valid = move || matches!(account_feedback(&text.get()), Some(Ok(_)));
    let draft = held.is_some().then_some("");
    let field = match purpose {
        AccountsUse::Create => {
            view! { <textarea name="accounts" rows="3" data-draft=draft bind:value=text></textarea> }
                .into_any()
        }
        AccountsUse::Add => view! {
            <label class="add-accounts">
                "Add accounts "
                <input
                    name="accounts"
                    autocomplete="off"
                    placeholder="123456789012:user/NAME"
                    data-draft=draft
                    disabled=!can
                    title=(!can).then_some("An operator or admin can add accounts.")
                    bind:value=text
                />
            </label>
        }
        .into_any(),
    };
    let submit = match held {
        Some(gate) => {
            let action = move || {
                purpose
                    .action_json(&space, &addon, &text.get())
                    .unwrap_or_default()
            };
            view! {
                <input type="hidden" name="action" prop:value=action />
                <ReasonFields gate what=purpose.what().to_string() in_page=true also_needs="action" />
            }
            .into_any()
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use domain::action::{Action, ProviderAction};

    #[test]
    fn the_browser_s_action_is_the_action_the_server_reads() {
        let typed = "123456789012:user/ops, 210987654321";
        let (space, addon) = ("acme-prod", "postgresql-curved-12345");
        let (s, a, accounts) = (
            parse::<domain::ids::SpaceRef>(space).unwrap(),
            parse::<domain::ids::AddonName>(addon).unwrap(),
            parse::<Principals>(typed).unwrap(),
        );
        for (purpose, action) in [
            (
                AccountsUse::Create,
                ProviderAction::CreatePrivateLink {
                    space: s.clone(),
                    addon: a.clone(),
                    accounts: accounts.clone(),
                },
            ),
            (
                AccountsUse::Add,
                ProviderAction::AddAccounts {
                    space: s,
                    addon: a,
                    accounts,
                },
            ),
        ] {
            let json = purpose.action_json(space, addon, typed).unwrap();
            assert_eq!(
                serde_json::from_str::<Action>(&json).unwrap(),
                action.into()
            );
        }
        assert_eq!(AccountsUse::Add.action_json(space, addon, "12345"), None);
    }
}

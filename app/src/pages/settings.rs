//! The approval policy, for admins: how many other people must approve
//! each kind of action, whether only expected peers may be accepted, and
//! how long a request waits. Saving is itself an action (recorded, and
//! held back for approval when the policy says so).

use crate::action::AuditName;
use crate::approval::{GATED, MAX_APPROVALS, PolicyView};
use crate::components::Loaded;
use crate::controls::forms::{CallForm, ReasonFields};
use crate::error::AppError;
use leptos::prelude::*;

#[server(endpoint = "policy")]
pub async fn get_policy() -> Result<PolicyView, AppError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.policy(&who).await
    })
    .await
}

/// `policy` is the whole new policy as JSON.
#[server(endpoint = "set_policy")]
pub async fn set_policy(policy: String) -> Result<String, AppError> {
    crate::console::answer(async move {
        let policy: crate::approval::Policy = serde_json::from_str(&policy)
            .map_err(|e| AppError::Invalid(format!("That is not a policy: {e}.")))?;
        Ok(
            crate::console::act(crate::action::Action::SetPolicy { policy })
                .await?
                .said(),
        )
    })
    .await
}

/// What each kind is, in words.
fn describe(kind: AuditName) -> &'static str {
    match kind {
        AuditName::PeeringAccept => "Accept a peering request",
        AuditName::PeeringDestroy => "Destroy a peering",
        AuditName::PrivateLinkCreate => "Create a PrivateLink",
        AuditName::PrivateLinkDestroy => "Destroy a PrivateLink",
        AuditName::PrivateLinkAccountAdd => "Allow accounts on a PrivateLink",
        AuditName::PrivateLinkAccountRemove => "Remove an allowed account",
        AuditName::PeerExpect => "Register an expected peer",
        AuditName::PeerForget => "Forget an expected peer",
        AuditName::PolicySet => "Change this policy",
        _ => "",
    }
}

#[component]
pub fn SettingsPage() -> impl IntoView {
    let data = Resource::new(|| (), |_| get_policy());
    let render = move |view: PolicyView| {
        view! {
            <div data-live="policy" data-quiet="">
                <PolicyForm view />
            </div>
        }
    };
    view! {
        <h1>"Settings"</h1>
        <Loaded data fallback="Loading the policy…" view=render />
    }
}

/// `Action::SetPolicy` of `policy`, as `request_approval` reads it: built
/// as JSON here, since serialising an `Action` in the browser would carry
/// every action's serialiser into the wasm. A test holds the two equal.
fn asked_for(policy: &crate::approval::Policy) -> String {
    serde_json::json!({ "kind": "set_policy", "policy": policy }).to_string()
}

/// The policy as a form: the choices are kept as a draft (its fields are
/// `data-draft`, never sent themselves), which the form sends whole (as
/// JSON), or asks approval for where the policy holds its own change
/// back. An island: it runs in the browser.
#[island]
fn PolicyForm(view: PolicyView) -> impl IntoView {
    let draft = RwSignal::new(view.policy.clone());
    let gate = view.gate;
    let rows = GATED
        .into_iter()
        .map(|kind| {
            let options = (0..=MAX_APPROVALS)
                .map(|n| view! { <option value=n.to_string()>{n.to_string()}</option> })
                .collect_view();
            view! {
                <tr data-kind=kind.as_str()>
                    <td>{describe(kind)}</td>
                    <td><code>{kind.as_str()}</code></td>
                    <td>
                        <select
                            prop:value=move || draft.with(|p| p.needs(kind).to_string())
                            on:change=move |ev| {
                                let n = event_target_value(&ev).parse().unwrap_or(0);
                                draft.update(|p| { p.approvals.insert(kind, n); });
                            }
                        >
                            {options}
                        </select>
                    </td>
                </tr>
            }
        })
        .collect_view();
    let held = gate.needs > 0;
    // What the form sends: the policy, or the change to ask approval for.
    let (function, field, notice) = if held {
        ("request_approval", "action", "decision")
    } else {
        ("set_policy", "policy", "")
    };
    let sent = move || {
        let policy = draft.get();
        if held {
            asked_for(&policy)
        } else {
            serde_json::to_string(&policy).unwrap_or_default()
        }
    };
    view! {
        <section class="panel policy">
            <h2>"Approvals"</h2>
            <p class="muted">
                "How many people other than the one who asks must approve each kind of action. \
                 Nobody approves their own request; an approver needs the role for the action."
            </p>
            <CallForm function class="policy-form" notice>
                <input type="hidden" name=field value=sent />
                <table class="policy">
                    <thead>
                        <tr>
                            <th>"Action"</th>
                            <th>"Kind"</th>
                            <th>"Approvals"</th>
                        </tr>
                    </thead>
                    <tbody>{rows}</tbody>
                </table>
                <label class="require-expected">
                    <input
                        type="checkbox"
                        name="require_expected_peer"
                        data-draft=""
                        prop:checked=move || draft.with(|p| p.require_expected_peer)
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            draft.update(|p| p.require_expected_peer = on);
                        }
                    />
                    " Accept only peering requests that match an expected peer"
                </label>
                <label class="lifetime">
                    "A request expires after "
                    <input
                        type="number"
                        name="lifetime_hours"
                        data-draft=""
                        min="1"
                        max=crate::approval::MAX_LIFETIME_HOURS.to_string()
                        prop:value=move || draft.with(|p| p.lifetime_hours.to_string())
                        on:input=move |ev| {
                            if let Ok(h) = event_target_value(&ev).parse() {
                                draft.update(|p| p.lifetime_hours = h);
                            }
                        }
                    />
                    " hours (or when the peering request itself expires, if sooner)"
                </label>
                {if held {
                    view! { <ReasonFields gate what="a policy change".to_string() in_page=true /> }.into_any()
                } else {
                    view! {
                        <div class="buttons">
                            <button type="submit" class="save-policy">
                                "Save"
                            </button>
                        </div>
                    }
                        .into_any()
                }}
            </CallForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::action::Action;

    #[test]
    fn the_browser_s_policy_change_is_the_action_the_server_reads() {
        let mut policy = crate::approval::Policy::default();
        policy.approvals.insert(AuditName::PeeringAccept, 2);
        let action: Action = serde_json::from_str(&asked_for(&policy)).unwrap();
        assert_eq!(action, Action::SetPolicy { policy });
    }
}

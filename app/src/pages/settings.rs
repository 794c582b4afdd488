//! The approval policy, for admins: how many other people must approve
//! each kind of action, whether only expected peers may be accepted, and
//! how long a request waits. Saving is itself an action (recorded, and
//! held back for approval when the policy says so).

use crate::components::{Loaded, page_data};
use crate::controls::forms::CallForm;
use crate::error::FnError;
use crate::pages::approvals::ReasonFields;
use domain::kind::AuditName;
use domain::policy::{GATED, Gate, MAX_APPROVALS};
use domain::views::PolicyView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[server(endpoint = "policy")]
pub async fn get_policy() -> Result<PolicyView, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.policy(&who).await
    })
    .await
}

/// `policy` is the whole new policy as JSON. A change the policy holds
/// back (one that loosens it, say) is asked for with `reason`.
#[server(endpoint = "set_policy")]
pub async fn set_policy(policy: String, reason: Option<String>) -> Result<String, FnError> {
    crate::console::answer(async move {
        let policy: domain::policy::Policy = serde_json::from_str(&policy)
            .map_err(|e| domain::error::AppError::Invalid(format!("That is not a policy: {e}.")))?;
        let change = domain::action::ApprovalAction::SetPolicy { policy };
        Ok(crate::console::act_or_ask(change, reason).await?.said())
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
    let data = page_data(|| (), |_| get_policy());
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

/// The policy as a form: the choices are kept as a draft (its fields are
/// `data-draft`, never sent themselves), which the form sends whole, as
/// JSON. A change that loosens four eyes (a count lowered, expected peers
/// no longer required, a shorter independence window) waits for another
/// admin whenever anything is held, and asks for a reason; one that only
/// tightens is saved at once. The server decides either way. An island:
/// it runs in the browser.
#[island]
fn PolicyForm(view: PolicyView) -> impl IntoView {
    let current = view.policy.clone();
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
                            data-draft=""
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
    let needs = move || draft.with(|d| current.change_needs(d));
    let sent = move || serde_json::to_string(&draft.get()).unwrap_or_default();
    view! {
        <section class="panel policy">
            <h2>"Approvals"</h2>
            <p class="muted">
                "How many people other than the one who asks must approve each kind of action. \
                 Nobody approves their own request; an approver needs the role for the action, \
                 and must have held it when the request was made."
            </p>
            <CallForm function=SetPolicy::PATH class="policy-form" notice="decision">
                <input type="hidden" name="policy" value=sent />
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
                        max=domain::policy::MAX_LIFETIME_HOURS.to_string()
                        prop:value=move || draft.with(|p| p.lifetime_hours.to_string())
                        on:input=move |ev| {
                            if let Ok(h) = event_target_value(&ev).parse() {
                                draft.update(|p| p.lifetime_hours = h);
                            }
                        }
                    />
                    " hours (or when the peering request itself expires, if sooner)"
                </label>
                <label class="independence">
                    "An approver must not have been invited, raised or enabled by the requester in the "
                    <input
                        type="number"
                        name="independence_days"
                        data-draft=""
                        min="0"
                        max=domain::policy::MAX_INDEPENDENCE_DAYS.to_string()
                        prop:value=move || draft.with(|p| p.independence_days.to_string())
                        on:input=move |ev| {
                            if let Ok(d) = event_target_value(&ev).parse() {
                                draft.update(|p| p.independence_days = d);
                            }
                        }
                    />
                    " days before the request (or since)"
                </label>
                {move || {
                    let needs = needs();
                    if needs > 0 {
                        let gate = Gate { needs, ..gate };
                        view! { <ReasonFields gate what="this policy change".to_string() in_page=true /> }
                            .into_any()
                    } else {
                        view! {
                            <div class="buttons">
                                <button type="submit" class="save-policy">
                                    "Save"
                                </button>
                            </div>
                        }
                            .into_any()
                    }
                }}
            </CallForm>
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use domain::policy::Policy;

    #[test]
    fn a_change_that_loosens_waits_and_one_that_tightens_does_not() {
        let now = Policy::default();
        let mut lower = now.clone();
        lower.approvals.insert(AuditName::PeeringAccept, 0);
        assert_eq!(now.change_needs(&lower), 1);
        let mut raise = now.clone();
        raise.approvals.insert(AuditName::PrivateLinkCreate, 1);
        raise.require_expected_peer = true;
        raise.independence_days += 1;
        assert_eq!(now.change_needs(&raise), 0);
        let mut shorter = now.clone();
        shorter.independence_days = 0;
        assert_eq!(now.change_needs(&shorter), 1);
        // With nothing held, nothing about the policy is held either.
        let mut open = now.clone();
        open.approvals.clear();
        assert_eq!(
            open.change_needs(&Policy {
                lifetime_hours: 8,
                ..open.clone()
            }),
            0
        );
        let mut off = open.clone();
        off.independence_days = 0;
        assert_eq!(open.change_needs(&off), 0);
    }
}

//! The approval policy, for admins: how many other people must approve
//! each kind of action, whether only expected peers may be accepted, and
//! how long a request waits. Saving is itself an action (recorded, and
//! held back for approval when the policy says so).

use super::approvals::{DecisionMessage, Decisions, ReasonForm};
use crate::action::{Action, AuditName};
use crate::answer_of;
use crate::approval::{GATED, MAX_APPROVALS, PolicyView};
use crate::components::{ErrorMessage, Loaded, latest_answer};
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
        Ok(crate::console::act(Action::SetPolicy { policy })
            .await?
            .said())
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
    let save = ServerAction::<SetPolicy>::new();
    let decisions = Decisions::new();
    Effect::new(move |_| {
        if save.version().get() + decisions.version() > 0 {
            data.refetch();
        }
    });
    let message = latest_answer(vec![answer_of!(save)]);
    let render = move |view: PolicyView| view! { <PolicyForm view save decisions /> };
    view! {
        <h1>"Settings"</h1>
        {move || {
            message
                .get()
                .map(|r| match r {
                    Ok(said) => view! { <p class="notice" role="status">{said}</p> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                })
        }}
        <DecisionMessage decisions />
        <Loaded data fallback="Loading the policy…" view=render />
    }
}

#[component]
fn PolicyForm(
    view: PolicyView,
    save: ServerAction<SetPolicy>,
    decisions: Decisions,
) -> impl IntoView {
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
                            name=kind.as_str()
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
    let submit = move || {
        let policy = draft.get_untracked();
        serde_json::to_string(&policy).unwrap_or_default()
    };
    let held = gate.needs > 0;
    view! {
        <section class="panel policy">
            <h2>"Approvals"</h2>
            <p class="muted">
                "How many people other than the one who asks must approve each kind of action. \
                 Nobody approves their own request; an approver needs the role for the action."
            </p>
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
                view! {
                    <ReasonForm
                        gate
                        what="a policy change".to_string()
                        on_ask=Callback::new(move |reason: String| {
                            decisions.ask(&Action::SetPolicy { policy: draft.get_untracked() }, reason);
                        })
                    />
                }
                    .into_any()
            } else {
                view! {
                    <div class="buttons">
                        <button
                            class="save-policy"
                            on:click=move |_| {
                                save.dispatch(SetPolicy { policy: submit() });
                            }
                        >
                            "Save"
                        </button>
                    </div>
                }
                    .into_any()
            }}
        </section>
    }
}

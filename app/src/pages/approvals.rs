//! Four eyes on the page: the server functions that ask for, decide and
//! withdraw approvals, the forms that call them, and a request's card.

use crate::controls::forms::{CallButton, CallForm, CloseButton, Countdown};
use crate::error::FnError;
use domain::approval::ApprovalState;
use domain::kind::AuditName;
use domain::policy::Gate;
use domain::views::ApprovalView;
use leptos::prelude::*;
use leptos::server_fn::ServerFn;

#[server(endpoint = "request_approval")]
pub async fn request_approval(action: String, reason: String) -> Result<String, FnError> {
    crate::console::answer(async move {
        // Parsed like any input: every id in it is validated again.
        let action: domain::action::Action = serde_json::from_str(&action).map_err(|e| {
            domain::error::AppError::Invalid(format!("That is not an action: {e}."))
        })?;
        let asked = domain::action::ApprovalAction::RequestApproval {
            action: Box::new(action),
            reason,
        };
        Ok(crate::console::act(asked).await?.said())
    })
    .await
}

#[server(endpoint = "approve")]
pub async fn approve(request: i64, comment: String) -> Result<domain::approval::Decided, FnError> {
    crate::console::answer(async move {
        let done =
            crate::console::act(domain::action::ApprovalAction::Approve { request, comment })
                .await?;
        Ok(match done {
            domain::action::Done::Invited(i) => domain::approval::Decided {
                message: i.message,
                password: Some(i.password),
            },
            other => domain::approval::Decided {
                message: other.said(),
                password: None,
            },
        })
    })
    .await
}

#[server(endpoint = "reject")]
pub async fn reject(request: i64, reason: String) -> Result<String, FnError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(domain::action::ApprovalAction::Reject { request, reason })
                .await?
                .said(),
        )
    })
    .await
}

#[server(endpoint = "withdraw")]
pub async fn withdraw(request: i64) -> Result<String, FnError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(domain::action::ApprovalAction::Withdraw { request })
                .await?
                .said(),
        )
    })
    .await
}

/// Takes back one's own request for approval.
#[component]
pub fn WithdrawButton(request: i64) -> impl IntoView {
    view! {
        <CallButton
            function=Withdraw::PATH
            fields=vec![("request", request.to_string())]
            class="withdraw"
            label="Withdraw"
            notice="decision"
        />
    }
}

/// Why this needs approval, and a reason to give: the form that replaces
/// an action's own button where the policy holds it back. It calls the
/// action's own server function with its own fields and the reason; the
/// server makes the request for approval of it.
#[component]
pub fn ReasonForm(
    gate: Gate,
    /// The server function of the change itself, and its fields.
    function: &'static str,
    fields: Vec<(&'static str, String)>,
    /// What is asked for.
    what: AuditName,
    #[prop(optional)] in_page: bool,
) -> impl IntoView {
    view! {
        <CallForm function class="reason-form" notice="decision" fields>
            <ReasonFields gate what=what.to_string() in_page />
        </CallForm>
    }
}

/// The reason form's words, field and buttons, inside a form that calls
/// a change's own server function.
#[component]
pub fn ReasonFields(
    gate: Gate,
    what: String,
    /// On the page itself, not in a dialog: nothing to cancel.
    #[prop(optional)]
    in_page: bool,
    /// Fields besides the reason that must be filled (accounts typed in
    /// a live field).
    #[prop(optional)]
    also_needs: &'static str,
) -> impl IntoView {
    let deadlock = gate.deadlock(&what);
    let blocked = deadlock.is_some();
    let needs = format!("reason {also_needs}").trim().to_string();
    view! {
        <p class="muted">
            {format!(
                "The policy says {} other person must approve this. Say why it should be done:",
                gate.needs,
            )}
        </p>
        {deadlock.map(|d| view! { <p class="error deadlock" role="alert">{d}</p> })}
        <textarea
            class="reason"
            name="reason"
            placeholder="Why (a ticket, a change, who asked)"
        ></textarea>
        <div class="buttons">
            <button
                type="submit"
                class="request-approval"
                disabled
                data-needs=(!blocked).then_some(needs)
            >
                "Request approval"
            </button>
            {(!in_page).then(|| view! { <CloseButton /> })}
        </div>
    }
}

/// One request: what it asks, who asked and why, what they saw, its
/// deadline or how it ended, and the decisions open to the viewer.
#[component]
pub fn ApprovalCard(
    request: ApprovalView,
    as_of: String,
    /// A marker about the peering it is for (expected or not), if any.
    #[prop(optional_no_strip)]
    marker: Option<AnyView>,
) -> impl IntoView {
    let id = request.id;
    let state = request.state;
    let status = match state {
        ApprovalState::Pending => view! {
            "waits for approval, expires in "
            <Countdown until=request.expires_at.clone() as_of=as_of.clone() />
        }
        .into_any(),
        ApprovalState::Rejected => view! {
            <span class="rejected">
                {format!(
                    "rejected by {}: {}",
                    request.decided_by.clone().unwrap_or_default(),
                    request.comment.clone().unwrap_or_default(),
                )}
            </span>
        }
        .into_any(),
        ApprovalState::Executed | ApprovalState::Failed | ApprovalState::Executing => view! {
            <span class="executed">
                {format!(
                    "approved by {}{}: {}",
                    request.decided_by.clone().unwrap_or_default(),
                    request.comment.clone().map(|c| format!(" ({c})")).unwrap_or_default(),
                    request.outcome.clone().unwrap_or_else(|| "being carried out".into()),
                )}
            </span>
        }
        .into_any(),
        ApprovalState::Withdrawn | ApprovalState::Expired => {
            view! { <span class="closed">{state.as_str()}</span> }.into_any()
        }
    };
    let pending = state == ApprovalState::Pending;
    let decide = (pending && request.can_decide).then(|| {
        view! {
            <CallForm
                function=Approve::PATH
                class="decide"
                notice="decision"
                fields=vec![("request", id.to_string())]
                secret="password"
                secret_note="Their one-time password: give it to them; they choose their own at first sign-in."
            >
                <input
                    class="comment"
                    name="comment"
                    autocomplete="off"
                    placeholder="Comment (required to reject)"
                />
                <button type="submit" class="approve">
                    "Approve"
                </button>
                <button
                    type="submit"
                    class="danger reject"
                    formaction=Reject::PATH
                    data-rename="comment=reason"
                    data-needs="comment"
                    disabled
                >
                    "Reject"
                </button>
            </CallForm>
        }
    });
    let withdraw = (pending && request.mine).then(|| view! { <WithdrawButton request=id /> });
    let why_not = (pending && !request.can_decide && !request.mine)
        .then(|| request.why_not.clone())
        .flatten()
        .map(|w| view! { <p class="muted why-not">{w}</p> });
    view! {
        <div
            class="approval"
            data-key=id
            data-approval=id
            data-state=state.as_str()
            data-target=request.target.clone()
        >
            <p class="asked">
                <strong>{format!("#{id} {} {}", request.kind, request.target)}</strong>
                {format!(" asked for by {}: ", request.requester)}
                <q class="reason">{request.reason.clone()}</q>
            </p>
            {marker}
            <dl class="snapshot">
                {request
                    .snapshot
                    .facts
                    .iter()
                    .map(|(label, value)| view! {
                        <dt>{label.clone()}</dt>
                        <dd>{value.clone()}</dd>
                    })
                    .collect_view()}
            </dl>
            <ul class="findings">
                {request
                    .snapshot
                    .findings
                    .iter()
                    .map(|f| view! { <li class="finding">{f.clone()}</li> })
                    .collect_view()}
            </ul>
            <p class="state">{status}</p>
            {decide}
            {withdraw}
            {why_not}
        </div>
    }
}

//! Four eyes on the page: the server functions that ask for, decide and
//! withdraw approvals, and the pieces the space,
//! add-on, inbox and settings pages share to show them (a request as a
//! card, the reason form, a live countdown).

use crate::action::Action;
use crate::answer_of;
use crate::approval::{ApprovalState, ApprovalView, Gate};
use crate::components::{CancelButton, ErrorMessage, latest_answer};
use crate::error::AppError;
use leptos::prelude::*;
use std::time::Duration;

#[server(endpoint = "request_approval")]
pub async fn request_approval(action: String, reason: String) -> Result<String, AppError> {
    crate::console::answer(async move {
        // Parsed like any input: every id in it is validated again.
        let action: Action = serde_json::from_str(&action)
            .map_err(|e| AppError::Invalid(format!("That is not an action: {e}.")))?;
        let asked = Action::RequestApproval {
            action: Box::new(action),
            reason,
        };
        Ok(crate::console::act(asked).await?.said())
    })
    .await
}

#[server(endpoint = "approve")]
pub async fn approve(request: i64, comment: String) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(crate::console::act(Action::Approve { request, comment })
            .await?
            .said())
    })
    .await
}

#[server(endpoint = "reject")]
pub async fn reject(request: i64, reason: String) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(crate::console::act(Action::Reject { request, reason })
            .await?
            .said())
    })
    .await
}

#[server(endpoint = "withdraw")]
pub async fn withdraw(request: i64) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(crate::console::act(Action::Withdraw { request })
            .await?
            .said())
    })
    .await
}

/// The actions a page offers on approval requests, made once per page.
#[derive(Clone, Copy)]
pub struct Decisions {
    pub request: ServerAction<RequestApproval>,
    pub approve: ServerAction<Approve>,
    pub reject: ServerAction<Reject>,
    pub withdraw: ServerAction<Withdraw>,
    /// The comment being written on each request, kept here so that a
    /// page reading its data again does not lose it.
    pub comments: RwSignal<std::collections::HashMap<i64, String>>,
}

impl Decisions {
    pub fn new() -> Self {
        Self {
            request: ServerAction::new(),
            approve: ServerAction::new(),
            reject: ServerAction::new(),
            withdraw: ServerAction::new(),
            comments: RwSignal::new(Default::default()),
        }
    }

    /// Whether someone is writing a comment: pages hold their refresh.
    pub fn writing(&self) -> bool {
        self.comments
            .with_untracked(|m| m.values().any(|c| !c.trim().is_empty()))
    }

    fn comment(&self, id: i64) -> String {
        self.comments
            .with(|m| m.get(&id).cloned().unwrap_or_default())
    }

    /// The comment on `id`, taken for a decision (and cleared).
    fn take_comment(&self, id: i64) -> String {
        let mut taken = String::new();
        self.comments
            .update(|m| taken = m.remove(&id).unwrap_or_default());
        taken
    }

    /// Moves on whenever any of them answers: what pages refetch on.
    pub fn version(&self) -> usize {
        self.request.version().get()
            + self.approve.version().get()
            + self.reject.version().get()
            + self.withdraw.version().get()
    }

    /// Asks for approval of `action`, saying `reason`.
    pub fn ask(&self, action: &Action, reason: String) {
        match serde_json::to_string(action) {
            Ok(action) => {
                self.request.dispatch(RequestApproval { action, reason });
            }
            Err(e) => leptos::logging::error!("an action did not serialise: {e}"),
        }
    }
}

impl Default for Decisions {
    fn default() -> Self {
        Self::new()
    }
}

/// What the last of a page's decisions said.
#[component]
pub fn DecisionMessage(decisions: Decisions) -> impl IntoView {
    let latest = latest_answer(vec![
        answer_of!(decisions.request),
        answer_of!(decisions.approve),
        answer_of!(decisions.reject),
        answer_of!(decisions.withdraw),
    ]);
    move || {
        latest.get().map(|r| match r {
            Ok(said) => view! { <p class="notice decision" role="status">{said}</p> }.into_any(),
            Err(error) => view! { <ErrorMessage error /> }.into_any(),
        })
    }
}

/// Calls `tick` every `every` in the browser, for as long as the
/// component that asked lives: how pages read their data again.
pub fn every(every: Duration, tick: impl Fn() + 'static) {
    let tick = std::rc::Rc::new(tick);
    Effect::new(move |_| {
        let tick = tick.clone();
        if let Ok(h) = set_interval_with_handle(move || tick(), every) {
            on_cleanup(move || h.clear());
        }
    });
}

/// "2d 03h", "5h 03m 12s", "expired": a deadline counting down each
/// second in the browser, urgent under a day.
#[component]
pub fn Countdown(until: String, as_of: String) -> impl IntoView {
    let start = crate::validate::seconds_until(&until, &as_of);
    let elapsed = RwSignal::new(0i64);
    Effect::new(move |_| {
        if let Ok(h) =
            set_interval_with_handle(move || elapsed.update(|e| *e += 1), Duration::from_secs(1))
        {
            on_cleanup(move || h.clear());
        }
    });
    let left = move || start.map(|s| s - elapsed.get());
    let class = move || crate::controls::forms::countdown(left()).0;
    let text = move || crate::controls::forms::countdown(left()).1;
    view! {
        <time class=class datetime=until.clone() title=until>
            {text}
        </time>
    }
}

/// Why this needs approval, and a reason to give: the form that replaces
/// an action's own button where the policy holds it back.
#[component]
pub fn ReasonForm(
    gate: Gate,
    /// What is being asked for, for the deadlock message.
    what: String,
    on_ask: Callback<String>,
    #[prop(optional)] on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let reason = RwSignal::new(String::new());
    let deadlock = gate.deadlock(&what);
    let blocked = deadlock.is_some();
    view! {
        <div class="reason-form">
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
                prop:value=move || reason.get()
                on:input=move |ev| reason.set(event_target_value(&ev))
            ></textarea>
            <div class="buttons">
                <button
                    class="request-approval"
                    disabled=move || blocked || reason.get().trim().is_empty()
                    on:click=move |_| {
                        on_ask.run(reason.get_untracked());
                        reason.set(String::new());
                    }
                >
                    "Request approval"
                </button>
                {on_cancel.map(|on_cancel| view! { <CancelButton on_cancel /> })}
            </div>
        </div>
    }
}

/// One request: what it asks, who asked and why, what they saw, its
/// deadline or how it ended, and the decisions open to the viewer.
#[component]
pub fn ApprovalCard(
    request: ApprovalView,
    as_of: String,
    decisions: Decisions,
    /// A marker about the peering it is for (expected or not), if any.
    #[prop(optional_no_strip)]
    marker: Option<AnyView>,
) -> impl IntoView {
    let id = request.id;
    let comment = move || decisions.comment(id);
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
            <div class="decide">
                <input
                    class="comment"
                    name="comment"
                    placeholder="Comment (required to reject)"
                    prop:value=comment
                    on:input=move |ev| {
                        let text = event_target_value(&ev);
                        decisions.comments.update(|m| { m.insert(id, text); });
                    }
                />
                <button
                    class="approve"
                    on:click=move |_| {
                        let comment = decisions.take_comment(id);
                        decisions.approve.dispatch(Approve { request: id, comment });
                    }
                >
                    "Approve"
                </button>
                <button
                    class="danger reject"
                    disabled=move || comment().trim().is_empty()
                    on:click=move |_| {
                        let reason = decisions.take_comment(id);
                        decisions.reject.dispatch(Reject { request: id, reason });
                    }
                >
                    "Reject"
                </button>
            </div>
        }
    });
    let withdraw = (pending && request.mine).then(|| {
        view! {
            <button class="withdraw" on:click=move |_| { decisions.withdraw.dispatch(Withdraw { request: id }); }>
                "Withdraw"
            </button>
        }
    });
    let why_not = (pending && !request.can_decide && !request.mine)
        .then(|| request.why_not.clone())
        .flatten()
        .map(|w| view! { <p class="muted why-not">{w}</p> });
    view! {
        <div
            class="approval"
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

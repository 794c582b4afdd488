//! The forms and live pieces the server renders for `PageControls` to
//! drive (the attributes they carry are listed in `controls`). Each works
//! as a plain HTML form too: without the browser's half, the server
//! function answers the post and sends the browser back to the page.

use domain::action::Action;
use domain::approval::ApprovalState;
use domain::policy::Gate;
use domain::views::ApprovalView;
use leptos::prelude::*;

/// Where a server function is called.
pub fn api(function: &str) -> String {
    format!("/api/{function}")
}

/// A deadline's class and words, `left` seconds ahead: "2d 03h",
/// "5h 03m 12s", "expired"; urgent under a day. The server writes the
/// first; the browser counts on from it each second.
pub fn countdown(left: Option<i64>) -> (&'static str, String) {
    match left {
        None => ("countdown", "—".to_string()),
        Some(s) if s <= 0 => ("countdown expired", "expired".to_string()),
        Some(s) if s >= 86_400 => (
            "countdown",
            format!("{}d {:02}h", s / 86_400, (s % 86_400) / 3600),
        ),
        Some(s) => (
            "countdown urgent",
            format!("{}h {:02}m {:02}s", s / 3600, (s % 3600) / 60, s % 60),
        ),
    }
}

/// A deadline counting down.
#[component]
pub fn Countdown(until: String, as_of: String) -> impl IntoView {
    let left = domain::validate::seconds_until(&until, &as_of);
    let (class, text) = countdown(left);
    view! {
        <time class=class data-left=left.map(|s| s.to_string()) datetime=until.clone() title=until>
            {text}
        </time>
    }
}

/// A form that calls `function` with hidden `fields` and whatever the
/// children add; its answer is a notice with the classes in `notice`.
#[component]
pub fn CallForm(
    function: &'static str,
    #[prop(optional)] class: &'static str,
    #[prop(optional)] notice: &'static str,
    #[prop(optional)] fields: Vec<(&'static str, String)>,
    /// The field of the answer to show once, to copy, and what to say under it.
    #[prop(optional)]
    secret: Option<&'static str>,
    #[prop(optional)] secret_note: Option<&'static str>,
    /// Its typed fields are emptied once the call is done.
    #[prop(optional)]
    clear: bool,
    /// The answer is shown in place of the form (and of what stands
    /// before it), not said at the top.
    #[prop(optional)]
    in_place: bool,
    children: Children,
) -> impl IntoView {
    view! {
        <form
            class=class
            method="post"
            action=api(function)
            data-call=""
            data-notice=notice
            data-secret=secret
            data-secret-note=secret_note
            data-clear=clear.then_some("")
            data-in-place=in_place.then_some("")
        >
            {fields
                .into_iter()
                .map(|(name, value)| view! { <input type="hidden" name=name value=value /> })
                .collect_view()}
            {children()}
        </form>
    }
}

/// One button that calls `function` with `fields`.
#[component]
pub fn CallButton(
    function: &'static str,
    fields: Vec<(&'static str, String)>,
    /// The button's class and words.
    class: &'static str,
    label: &'static str,
    #[prop(optional)] notice: &'static str,
) -> impl IntoView {
    view! {
        <CallForm function class="call" notice fields>
            <button type="submit" class=class>
                {label}
            </button>
        </CallForm>
    }
}

/// Takes back one's own request for approval.
#[component]
pub fn WithdrawButton(request: i64) -> impl IntoView {
    view! {
        <CallButton
            function="withdraw"
            fields=vec![("request", request.to_string())]
            class="withdraw"
            label="Withdraw"
            notice="decision"
        />
    }
}

/// A dialog's Cancel (or Close).
#[component]
pub fn CloseButton(#[prop(default = "Cancel")] label: &'static str) -> impl IntoView {
    view! {
        <button type="button" class="cancel" data-close="">
            {label}
        </button>
    }
}

/// A destroy's confirmation: the person types the name of what goes (a
/// PCX ID, an add-on) into the field `confirm`, a mismatch is said at
/// once, and the button works only on a match. The server checks the
/// typed text again; the button only saves a round trip.
#[component]
pub fn TypedConfirm(
    function: &'static str,
    fields: Vec<(&'static str, String)>,
    /// What must be typed.
    expected: String,
    /// The button's words and class.
    button: &'static str,
    button_class: &'static str,
    /// On the page itself, not in a dialog: nothing to cancel.
    #[prop(optional)]
    in_page: bool,
) -> impl IntoView {
    let mismatch = format!("That is not {expected}; nothing will be destroyed.");
    view! {
        <CallForm function class="typed-confirm" fields>
            <input
                class="confirm-text"
                name="confirm"
                autocomplete="off"
                placeholder=expected.clone()
                data-expected=expected
                data-mismatch=mismatch
            />
            <div class="buttons">
                <button type="submit" class=button_class disabled data-needs="confirm">
                    {button}
                </button>
                {(!in_page).then(|| view! { <CloseButton /> })}
            </div>
        </CallForm>
    }
}

/// Why this needs approval, and a reason to give: the form that replaces
/// an action's own button where the policy holds it back.
#[component]
pub fn ReasonForm(
    gate: Gate,
    /// What is asked for.
    #[prop(into)]
    action: Action,
    #[prop(optional)] in_page: bool,
) -> impl IntoView {
    let what = action.name().to_string();
    let action = serde_json::to_string(&action).unwrap_or_default();
    view! {
        <CallForm
            function="request_approval"
            class="reason-form"
            notice="decision"
            fields=vec![("action", action)]
        >
            <ReasonFields gate what in_page />
        </CallForm>
    }
}

/// The reason form's words, field and buttons, for a form of
/// `request_approval` that says what it asks for in its `action` field.
#[component]
pub fn ReasonFields(
    gate: Gate,
    what: String,
    /// On the page itself, not in a dialog: nothing to cancel.
    #[prop(optional)]
    in_page: bool,
    /// Fields besides the reason that must be filled (an `action` that
    /// a live field fills in).
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
                function="approve"
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
                    formaction=api("reject")
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

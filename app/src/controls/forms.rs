//! The forms and live pieces the server renders for `PageControls` to
//! drive (the attributes they carry are listed in `controls`). Each works
//! as a plain HTML form too: without the browser's half, the server
//! function answers the post and sends the browser back to the page.

use leptos::prelude::*;

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
/// `function` is a server function's path, named by its type:
/// `function=AcceptPeering::PATH`, so a renamed function is a compile error.
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
            action=function
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

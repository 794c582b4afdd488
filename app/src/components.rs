//! Small pieces shared by the pages.

use crate::error::AppError;
use crate::model::{Freshness, PeeringStatus};
use crate::validate::relative_time;
use leptos::prelude::*;

/// A status as a coloured badge; unknown statuses get a neutral one.
#[component]
pub fn StatusBadge(status: PeeringStatus) -> impl IntoView {
    let class = match &status {
        PeeringStatus::Other(_) => "badge badge-other".to_string(),
        known => format!("badge badge-{}", known.as_str()),
    };
    view! { <span class=class data-status=status.to_string()>{status.to_string()}</span> }
}

/// Several values, each with its own copy button.
#[component]
pub fn CopyableList(values: Vec<String>) -> impl IntoView {
    values
        .into_iter()
        .map(|value| view! { <Copyable value /> })
        .collect_view()
}

/// A value with a button that copies it. The button says so by changing
/// its own text: a page carries a dozen of these, and a signal and an
/// effect for each, built on the server for every page and again in the
/// browser, would cost more than the one word they change.
#[component]
pub fn Copyable(value: String) -> impl IntoView {
    let text = value.clone();
    view! {
        <span class="copyable">
            <code>{value}</code>
            <button
                class="copy"
                type="button"
                title="Copy"
                on:click=move |ev| {
                    copy_to_clipboard(&text);
                    say_copied(&ev);
                }
            >
                "Copy"
            </button>
        </span>
    }
}

/// Sets the clicked button's text to "Copied".
fn say_copied(ev: &leptos::ev::MouseEvent) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if let Some(button) = ev
            .current_target()
            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
        {
            button.set_text_content(Some("Copied"));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = ev;
}

/// Writes to the clipboard through `navigator.clipboard`, looked up at run
/// time so the page works (without copying) where the API is missing.
pub(crate) fn copy_to_clipboard(text: &str) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::{JsCast, JsValue};
        let Some(window) = web_sys::window() else {
            return;
        };
        let navigator: JsValue = window.navigator().into();
        let Ok(clipboard) = js_sys::Reflect::get(&navigator, &"clipboard".into()) else {
            return;
        };
        if let Ok(write) = js_sys::Reflect::get(&clipboard, &"writeText".into())
            && let Some(write) = write.dyn_ref::<js_sys::Function>()
        {
            let _ = write.call1(&clipboard, &JsValue::from_str(text));
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = text;
}

/// A time as "in 6 days", with the exact time on hover.
#[component]
pub fn RelativeTime(at: Option<String>, as_of: String) -> impl IntoView {
    match at.filter(|s| !s.is_empty()) {
        None => view! { <span class="muted">"—"</span> }.into_any(),
        Some(at) => {
            let text = relative_time(&at, &as_of).unwrap_or_else(|| at.clone());
            view! { <time datetime=at.clone() title=at>{text}</time> }.into_any()
        }
    }
}

/// The age of the data, and the provider's error when older data is shown.
#[component]
pub fn FreshnessNote(freshness: Freshness) -> impl IntoView {
    let age = relative_time(&freshness.fetched_at, &freshness.as_of).unwrap_or_default();
    view! {
        <p class="freshness">
            "Read from the provider " <span title=freshness.fetched_at.clone()>{age}</span> "."
        </p>
        {freshness
            .stale_error
            .map(|e| {
                view! {
                    <p class="error stale" role="alert">
                        "Showing the last good data: the latest read failed. " {e}
                    </p>
                }
            })}
    }
}

/// An error from a server function, as a message on the page.
#[component]
pub fn ErrorMessage(error: AppError) -> impl IntoView {
    view! {
        <p class="error" role="alert">
            {error.to_string()}
        </p>
    }
}

/// The answer of whichever of several actions answered last, for the one
/// message a page shows about them. Each action's version moves on when
/// it answers; the action that moved last speaks (a fixed order would let
/// an earlier removal's message hide a later addition's).
pub fn latest_answer<T>(actions: Vec<ServerActionAnswer<T>>) -> Signal<Option<Result<T, AppError>>>
where
    T: Clone + Send + Sync + 'static,
{
    let last = RwSignal::new(None::<usize>);
    for (i, (version, _)) in actions.iter().enumerate() {
        let version = *version;
        Effect::new(move |seen: Option<usize>| {
            let now = version.get();
            if seen.is_some_and(|seen| seen != now) {
                last.set(Some(i));
            }
            now
        });
    }
    Signal::derive(move || last.get().and_then(|i| actions[i].1.get()))
}

/// An action's version and answer, as `latest_answer` reads them.
pub type ServerActionAnswer<T> = (RwSignal<usize>, Signal<Option<Result<T, AppError>>>);

/// `ServerAction`'s version and answer.
#[macro_export]
macro_rules! answer_of {
    ($action:expr) => {
        ($action.version(), {
            let value = $action.value();
            Signal::derive(move || value.get())
        })
    };
}

/// A resource once it has loaded: `fallback` while it loads, then the
/// page's view of its value, or its error said plainly. Every page reads
/// its data through this one wrapper.
#[component]
pub fn Loaded<T, V, F>(
    data: Resource<Result<T, AppError>>,
    fallback: &'static str,
    view: F,
) -> impl IntoView
where
    T: Clone + Send + Sync + serde::Serialize + serde::de::DeserializeOwned + 'static,
    V: IntoView + 'static,
    F: Fn(T) -> V + Clone + Send + Sync + 'static,
{
    view! {
        <Transition fallback=move || view! { <p>{fallback}</p> }>
            {move || {
                let view = view.clone();
                data.get()
                    .map(move |result| match result {
                        Err(error) => view! { <ErrorMessage error /> }.into_any(),
                        Ok(value) => view(value).into_any(),
                    })
            }}
        </Transition>
    }
}

/// A destroy's confirmation: the person types the name of what goes (a
/// PCX ID, an add-on), a mismatch is said at once, and the button works
/// only on a match. The server checks the typed text again; the button
/// only saves a round trip.
#[component]
pub fn TypeToConfirm(
    /// What must be typed.
    expected: String,
    /// The button's words and class.
    button: &'static str,
    button_class: &'static str,
    /// Called with what was typed.
    on_confirm: Callback<String>,
    /// A Cancel button, when the confirmation is a dialog.
    #[prop(optional)]
    on_cancel: Option<Callback<()>>,
) -> impl IntoView {
    let typed = RwSignal::new(String::new());
    let matches = {
        let expected = expected.clone();
        move || typed.get().trim() == expected
    };
    let mismatch = {
        let expected = expected.clone();
        move || {
            let t = typed.get();
            (!t.trim().is_empty() && t.trim() != expected).then(|| {
                view! {
                    <p class="error mismatch" role="alert">
                        {format!("That is not {expected}; nothing will be destroyed.")}
                    </p>
                }
            })
        }
    };
    view! {
        <input
            class="confirm-text"
            name="confirm"
            autocomplete="off"
            placeholder=expected
            prop:value=move || typed.get()
            on:input=move |ev| typed.set(event_target_value(&ev))
        />
        {mismatch}
        <div class="buttons">
            <button
                class=button_class
                disabled=move || !matches()
                on:click=move |_| {
                    on_confirm.run(typed.get_untracked());
                    typed.set(String::new());
                }
            >
                {button}
            </button>
            {on_cancel.map(|on_cancel| view! { <CancelButton on_cancel /> })}
        </div>
    }
}

/// A dialog's Cancel.
#[component]
pub fn CancelButton(on_cancel: Callback<()>) -> impl IntoView {
    view! {
        <button class="cancel" on:click=move |_| on_cancel.run(())>
            "Cancel"
        </button>
    }
}

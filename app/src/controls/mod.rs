//! How a page the server rendered is driven in the browser. The server
//! renders everything a person sees, data and dialogs alike; the one piece
//! of the page that runs in the browser, `PageControls`, turns clicks and
//! form submissions into requests and keeps the page's data current. So
//! the browser needs no copy of a page's views, and the code it downloads
//! does not grow with the pages.
//!
//! What the server writes for it, inside `PageControls` (each attribute
//! is named once in `protocol.rs`, with the parsers of what they carry,
//! and a page test holds the pages to that list):
//!
//! - `[data-live="name"]`: a part read again from the page's own address,
//!   every few seconds, and at once after an action; with `data-busy`
//!   while something changes by itself, every tick, else every fourth.
//!   With `data-quiet` it is read only after an action; with
//!   `data-give-up="seconds"` the page stops reading once it has been
//!   busy that long (since it was opened or last acted on) and says the
//!   part's `data-gave-up` words, hiding its `[data-waiting]` notes.
//!   A `[data-waiting] .elapsed` says how long it has waited so far.
//!   Only what changed is touched (see `browser::morph`): an open
//!   `<details>`, a focused field and what is typed in it stay, and a
//!   part marked `data-own` (one that renders itself in the browser, or
//!   was filled in there) is left as it is, and so is an island (one
//!   whose component or props changed is replaced, and the new one
//!   hydrated).
//! - `button[data-dialog="/address"]`: opens the `[role=dialog]` of the
//!   page at that address over this one; `[data-close]` closes it.
//! - `form[data-call]` (`method=post`, `action=/api/<server function>`):
//!   submitted in the background; its answer is said at the top of the
//!   page, as a notice (with the classes in `data-notice`) or an error.
//!   A submit button's `formaction` picks another function, and its
//!   `data-rename="from=to"` renames a field on the way. `data-secret`
//!   names a field of the answer shown once, to copy (with the words in
//!   `data-secret-note` under it); with `data-in-place` the answer is
//!   shown, to copy, in place of the form and of what stands before it
//!   (a masked URL); with `data-clear` its typed fields are emptied once
//!   the call is done. `select[data-submit]` submits its form when it
//!   changes. A field marked `data-draft` is not sent (a form
//!   that sends its draft whole, as JSON, in a hidden field).
//! - a submit button with `data-needs="field another"`: enabled once those
//!   fields are filled; a field with `data-expected` must say exactly
//!   that, and says `data-mismatch` while it does not.
//! - `button.copy` copies the text of the `<code>` before it.
//! - a field with `data-query="name"` puts its choice into the page's
//!   address as `?name=`, and the page is read again: the server applies
//!   it (the peerings' status filter).
//! - `time[data-left="seconds"]` counts down each second.

#[cfg(feature = "hydrate")]
mod browser;
pub mod forms;
pub mod protocol;

/// On the server the page is only rendered: its controls do nothing.
#[cfg(not(feature = "hydrate"))]
mod browser {
    use super::Notice;
    use leptos::prelude::*;

    #[derive(Clone, Copy)]
    pub struct Controls;

    impl Controls {
        pub fn start(
            _: NodeRef<leptos::html::Div>,
            _: RwSignal<Option<Notice>>,
            _: RwSignal<Option<String>>,
        ) -> Self {
            Self
        }
        pub fn click(self, _: leptos::ev::MouseEvent) {}
        pub fn submit(self, _: leptos::ev::SubmitEvent) {}
        pub fn input(self, _: leptos::ev::Event) {}
        pub fn change(self, _: leptos::ev::Event) {}
    }
}

use crate::components::{Copyable, ErrorMessage};
use domain::error::AppError;
use leptos::prelude::*;

/// What the last action on the page answered.
#[derive(Clone, Debug, PartialEq)]
pub enum Notice {
    /// Done: what it said, and the notice's classes; with a value shown
    /// only now (a one-time password), to copy, and a word under it.
    Said {
        class: String,
        text: String,
        secret: Option<(String, String)>,
    },
    Failed(AppError),
}

/// The page's controls: the notice of the last action, the page itself,
/// and the dialog open over it. An island: its children (the page) are
/// the server's, and only what it does itself runs in the browser.
#[island]
pub fn PageControls(children: Children) -> impl IntoView {
    let notice = RwSignal::new(None::<Notice>);
    let dialog = RwSignal::new(None::<String>);
    let root = NodeRef::<leptos::html::Div>::new();
    let on = browser::Controls::start(root, notice, dialog);
    view! {
        <div
            class="page-controls"
            node_ref=root
            on:click=move |ev| on.click(ev)
            on:submit=move |ev| on.submit(ev)
            on:input=move |ev| on.input(ev)
            on:change=move |ev| on.change(ev)
        >
            <div class="notices">
                {move || {
                    notice
                        .get()
                        .map(|n| match n {
                            Notice::Said { class, text, secret: None } => {
                                view! {
                                    <p class=format!("notice {class}") role="status">
                                        {text}
                                    </p>
                                }
                                    .into_any()
                            }
                            Notice::Said { class, text, secret: Some((secret, note)) } => {
                                view! {
                                    <div class=format!("notice {class}") role="status">
                                        <p>{text}</p>
                                        <Copyable value=secret />
                                        <p class="hint">{note}</p>
                                    </div>
                                }
                                    .into_any()
                            }
                            Notice::Failed(error) => view! { <ErrorMessage error /> }.into_any(),
                        })
                }}
            </div>
            {children()}
            <div class="dialog-slot" inner_html=move || dialog.get().unwrap_or_default()></div>
        </div>
    }
}

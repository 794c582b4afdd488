//! Small pieces shared by the pages.

use domain::error::AppError;
use domain::model::{Freshness, PeeringStatus};
use domain::validate::relative_time;
use leptos::prelude::*;
use std::time::Duration;

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

/// A value with a button that copies it (the page's controls do the
/// copying, and say so on the button).
#[component]
pub fn Copyable(value: String) -> impl IntoView {
    view! {
        <span class="copyable">
            <code>{value}</code>
            <button class="copy" type="button" title="Copy">
                "Copy"
            </button>
        </span>
    }
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

/// A page's data: read on the server while the page is rendered, and not
/// written into the page a second time. Leptos would also write each
/// resource's value into the page as JSON for the browser, but only
/// islands run there, and none of them reads a page's data (the
/// controls read the page again instead): that copy was work on every
/// read of every page for nobody (BENCHMARKS.md).
pub fn page_data<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: serde::Serialize + serde::de::DeserializeOwned + Send + Sync + 'static,
    Fut: std::future::Future<Output = T> + Send + 'static,
{
    Owner::with_no_hydration(move || Resource::new(source, fetcher))
}

/// A resource once it has loaded: `fallback` while it loads, then the
/// page's view of its value, or its error said plainly. Every page reads
/// its data through this one wrapper.
#[component]
pub fn Loaded<T, V, F>(
    data: Resource<Result<T, crate::error::FnError>>,
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
                        Err(error) => view! { <ErrorMessage error=error.0 /> }.into_any(),
                        Ok(value) => view(value).into_any(),
                    })
            }}
        </Transition>
    }
}

/// What the address names is not there (or not for this person): said,
/// with a 404.
pub fn no_such(said: String) -> AnyView {
    #[cfg(feature = "ssr")]
    crate::error::set_status(&domain::error::AppError::NotFound(said.clone()));
    view! { <p class="error">{said}</p> }.into_any()
}

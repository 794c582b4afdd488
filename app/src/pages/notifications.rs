//! Where notifications go (admins only): webhook destinations, each with
//! the kinds of event it wants and a format (signed JSON, or a Slack
//! message), a test button, and every recent delivery with its attempts;
//! and the latest events the watcher recorded. The page reads itself
//! again every few seconds, so a test's attempts appear without a reload.

use super::approvals::every;
use crate::answer_of;
use crate::components::{Copyable, ErrorMessage, Loaded, latest_answer};
use crate::error::AppError;
use crate::notify::{
    DestinationView, EventKind, EventView, NewDestination, NotificationsView, WebhookAdded,
    WebhookFormat,
};
use leptos::prelude::*;
use leptos_router::components::A;
use std::time::Duration;

const POLL: Duration = Duration::from_secs(3);

#[server(endpoint = "notifications")]
pub async fn get_notifications() -> Result<NotificationsView, AppError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.notifications(&who).await
    })
    .await
}

/// `kinds` is a comma-separated list of event kinds.
#[server(endpoint = "add_webhook")]
pub async fn add_webhook(
    name: String,
    url: String,
    format: String,
    kinds: String,
) -> Result<WebhookAdded, AppError> {
    crate::console::answer(async move {
        let destination = new_destination(&name, &url, &format, &kinds)?;
        crate::console::act(crate::action::Action::AddWebhook { destination })
            .await?
            .webhook_added()
    })
    .await
}

#[server(endpoint = "remove_webhook")]
pub async fn remove_webhook(id: i64) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(crate::action::Action::RemoveWebhook { id })
                .await?
                .said(),
        )
    })
    .await
}

#[server(endpoint = "test_webhook")]
pub async fn test_webhook(id: i64) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(crate::action::Action::TestWebhook { id })
                .await?
                .said(),
        )
    })
    .await
}

/// The form's fields as a destination, or what is wrong with them: the
/// same parse in the browser (to say it at once) and on the server.
pub fn new_destination(
    name: &str,
    url: &str,
    format: &str,
    kinds: &str,
) -> Result<NewDestination, AppError> {
    let format: WebhookFormat = crate::ids::parse(format)?;
    let kinds = kinds
        .split(',')
        .filter(|k| !k.trim().is_empty())
        .map(crate::ids::parse)
        .collect::<Result<Vec<EventKind>, _>>()?;
    NewDestination::new(name, url, format, kinds).map_err(AppError::Invalid)
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let add = ServerAction::<AddWebhook>::new();
    let remove = ServerAction::<RemoveWebhook>::new();
    let test = ServerAction::<TestWebhook>::new();
    let data = Resource::new(
        move || {
            (
                add.version().get(),
                remove.version().get(),
                test.version().get(),
            )
        },
        |_| get_notifications(),
    );
    every(POLL, move || data.refetch());
    let message = latest_answer(vec![answer_of!(remove), answer_of!(test)]);
    let render = move |view: NotificationsView| view! { <Destinations view remove test /> };
    view! {
        <h1>"Notifications"</h1>
        <AddForm add />
        {move || {
            message
                .get()
                .map(|r| match r {
                    Ok(said) => view! { <p class="notice" role="status">{said}</p> }.into_any(),
                    Err(error) => view! { <ErrorMessage error /> }.into_any(),
                })
        }}
        <Loaded data fallback="Loading notifications…" view=render />
    }
}

#[component]
fn AddForm(add: ServerAction<AddWebhook>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let url = RwSignal::new(String::new());
    let format = RwSignal::new("json".to_string());
    let kinds = RwSignal::new(EventKind::SUBSCRIBABLE.to_vec());
    let kinds_text = move || {
        kinds
            .get()
            .iter()
            .map(|k| k.as_str())
            .collect::<Vec<_>>()
            .join(",")
    };
    let problem = move || {
        let (n, u) = (name.get(), url.get());
        if n.trim().is_empty() && u.trim().is_empty() {
            return None;
        }
        new_destination(&n, &u, &format.get(), &kinds_text())
            .err()
            .map(|e| e.to_string())
    };
    let boxes = EventKind::SUBSCRIBABLE
        .into_iter()
        .map(|k| {
            view! {
                <label class="kind">
                    <input
                        type="checkbox"
                        name="kind"
                        value=k.as_str()
                        prop:checked=move || kinds.with(|ks| ks.contains(&k))
                        on:change=move |ev| {
                            let on = event_target_checked(&ev);
                            kinds.update(|ks| {
                                ks.retain(|x| *x != k);
                                if on {
                                    ks.push(k);
                                }
                            });
                        }
                    />
                    " " {k.describe()} " " <code>{k.as_str()}</code>
                </label>
            }
        })
        .collect_view();
    view! {
        <section class="panel add-webhook">
            <h2>"Add a webhook"</h2>
            <form on:submit=move |ev| {
                ev.prevent_default();
                if problem().is_none() {
                    add.dispatch(AddWebhook {
                        name: name.get(),
                        url: url.get(),
                        format: format.get(),
                        kinds: kinds_text(),
                    });
                }
            }>
                <label>"Name " <input name="name" bind:value=name required /></label>
                <label>
                    " URL "
                    <input name="url" type="url" size="48" bind:value=url required />
                </label>
                <label>
                    " Format "
                    <select name="format" on:change=move |ev| format.set(event_target_value(&ev))>
                        <option value="json">"JSON, signed (HMAC-SHA256)"</option>
                        <option value="slack">"Slack incoming webhook"</option>
                    </select>
                </label>
                <fieldset class="kinds">
                    <legend>"Send"</legend>
                    {boxes}
                </fieldset>
                <button type="submit" class="primary" disabled=move || problem().is_some()>
                    "Add"
                </button>
            </form>
            {move || problem().map(|p| view! { <p class="error">{p}</p> })}
            {move || add.value().get().map(|r| match r {
                Ok(added) => view! { <Added added /> }.into_any(),
                Err(error) => view! { <ErrorMessage error /> }.into_any(),
            })}
        </section>
    }
}

/// A destination just added, with its secret shown this once.
#[component]
fn Added(added: WebhookAdded) -> impl IntoView {
    view! {
        <div class="invited added" role="status">
            <p>{format!("Added the webhook \"{}\".", added.name)}</p>
            {added.secret.map(|secret| view! {
                <p>"Its signing secret, shown only now:"</p>
                <Copyable value=secret />
                <p class="hint">
                    "Each delivery carries Spaceport-Signature: t=<seconds>,v1=<hex>, the \
                     HMAC-SHA256 of \"<t>.<body>\" under this secret."
                </p>
            })}
        </div>
    }
}

#[component]
fn Destinations(
    view: NotificationsView,
    remove: ServerAction<RemoveWebhook>,
    test: ServerAction<TestWebhook>,
) -> impl IntoView {
    let empty = view.destinations.is_empty();
    let destinations = view
        .destinations
        .into_iter()
        .map(|d| view! { <Destination d remove test /> })
        .collect_view();
    let watch = match view.watch {
        None => view! {
            <p class="muted watch">
                "The watcher is off (--watch-calls-per-hour 0): no events are noticed, and only tests are sent."
            </p>
        }
            .into_any(),
        Some(w) => view! {
            <p class="muted watch">
                {format!(
                    "The watcher looked {} in the last hour, with {} of its {} provider calls an hour{}.",
                    match w.looks_last_hour {
                        1 => "once".to_string(),
                        n => format!("{n} times"),
                    },
                    w.calls_last_hour,
                    w.budget,
                    w.last_check.map(|t| format!("; last at {t}")).unwrap_or_default(),
                )}
                {w.error.map(|e| view! { <span class="error">{format!(" Its last look failed: {e}")}</span> })}
            </p>
        }
            .into_any(),
    };
    view! {
        {watch}
        <section class="panel destinations">
            <h2>"Destinations"</h2>
            {empty.then(|| view! { <p class="muted">"No webhooks yet: events are recorded, and sent nowhere."</p> })}
            {destinations}
        </section>
        <Events events=view.events />
    }
}

#[component]
fn Destination(
    d: DestinationView,
    remove: ServerAction<RemoveWebhook>,
    test: ServerAction<TestWebhook>,
) -> impl IntoView {
    let id = d.id;
    let kinds = d
        .kinds
        .iter()
        .map(|k| k.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let deliveries = d
        .deliveries
        .into_iter()
        .map(|del| {
            let attempts = del
                .attempts
                .into_iter()
                .map(|a| {
                    let said = match (a.status, a.error) {
                        (Some(s), None) => s.to_string(),
                        (Some(s), Some(e)) => format!("{s}: {e}"),
                        (None, e) => e.unwrap_or_else(|| "no answer".into()),
                    };
                    view! {
                        <li class="attempt" data-status=a.status.map(|s| s.to_string()).unwrap_or_default()>
                            {format!("{} · {said} · {} ms", a.at, a.millis)}
                        </li>
                    }
                })
                .collect_view();
            view! {
                <tr class="delivery" data-state=del.state.clone() data-event=del.event>
                    <td><code>{del.kind.as_str()}</code></td>
                    <td>{del.title}</td>
                    <td>
                        {del.state.replace('_', " ")}
                        {del.next_at.map(|t| format!(" (next try {t})"))}
                    </td>
                    <td><ul class="attempts">{attempts}</ul></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="destination" data-webhook=id>
            <h3>{d.name} " " <code>{d.url}</code></h3>
            <p class="muted">
                {format!("{} · sends {kinds} · added by {} at {}", d.format.as_str(), d.created_by, d.created_at)}
            </p>
            <div class="buttons">
                <button class="test-webhook" on:click=move |_| { test.dispatch(TestWebhook { id }); }>
                    "Send a test"
                </button>
                <button class="remove-webhook danger" on:click=move |_| { remove.dispatch(RemoveWebhook { id }); }>
                    "Remove"
                </button>
            </div>
            <table class="deliveries">
                <thead>
                    <tr>
                        <th>"Event"</th>
                        <th>"What"</th>
                        <th>"State"</th>
                        <th>"Attempts (newest first)"</th>
                    </tr>
                </thead>
                <tbody>{deliveries}</tbody>
            </table>
        </div>
    }
}

#[component]
fn Events(events: Vec<EventView>) -> impl IntoView {
    let rows = events
        .into_iter()
        .map(|e| {
            view! {
                <tr class="event" data-kind=e.kind.as_str()>
                    <td>{e.at}</td>
                    <td><code>{e.kind.as_str()}</code></td>
                    <td><A href=e.link>{e.title}</A></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel events">
            <h2>"Latest events"</h2>
            <table class="events">
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

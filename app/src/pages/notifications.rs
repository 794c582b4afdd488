//! Where notifications go (admins only): webhook destinations, each with
//! the kinds of event it wants and a format (signed JSON, or a Slack
//! message), a test button, and every recent delivery with its attempts;
//! and the latest events the watcher recorded. The page reads itself
//! again while a delivery is still to be tried, and after each action, so
//! a test's attempts appear without a reload.

use crate::components::{Loaded, page_data};
use crate::controls::forms::{CallButton, CallForm};
use crate::error::FnError;
use domain::notify::{
    DestinationView, EventKind, EventView, NewDestination, NotificationsView, WebhookAdded,
    WebhookFormat,
};
use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::components::A;

#[server(endpoint = "notifications")]
pub async fn get_notifications() -> Result<NotificationsView, FnError> {
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
) -> Result<WebhookAdded, FnError> {
    crate::console::answer(async move {
        let destination = new_destination(&name, &url, &format, &kinds)?;
        crate::console::act(domain::action::NotifyAction::AddWebhook { destination })
            .await?
            .webhook_added()
    })
    .await
}

#[server(endpoint = "remove_webhook")]
pub async fn remove_webhook(id: i64) -> Result<String, FnError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(domain::action::NotifyAction::RemoveWebhook { id })
                .await?
                .said(),
        )
    })
    .await
}

#[server(endpoint = "test_webhook")]
pub async fn test_webhook(id: i64) -> Result<String, FnError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(domain::action::NotifyAction::TestWebhook { id })
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
) -> Result<NewDestination, domain::error::AppError> {
    let format: WebhookFormat = domain::ids::parse(format)?;
    let kinds = kinds
        .split(',')
        .filter(|k| !k.trim().is_empty())
        .map(domain::ids::parse)
        .collect::<Result<Vec<EventKind>, _>>()?;
    NewDestination::new(name, url, format, kinds).map_err(domain::error::AppError::Invalid)
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let data = page_data(|| (), |_| get_notifications());
    let render = move |view: NotificationsView| {
        // Deliveries still to be tried are followed until they settle.
        let busy = view
            .destinations
            .iter()
            .any(|d| d.deliveries.iter().any(|del| del.state == "pending"));
        view! {
            <div data-live="notifications" data-busy=busy.then_some("")>
                <Destinations view />
            </div>
        }
    };
    view! {
        <h1>"Notifications"</h1>
        <section class="panel add-webhook">
            <h2>"Add a webhook"</h2>
            <CallForm
                function=AddWebhook::PATH
                notice="invited added"
                secret="secret"
                secret_note="Each delivery carries Spaceport-Signature: t=<seconds>,v1=<hex>, the \
                             HMAC-SHA256 of \"<t>.<body>\" under this secret."
            >
                <AddFields />
            </CallForm>
        </section>
        <Loaded data fallback="Loading notifications…" view=render />
    }
}

/// The new webhook's fields, checked as they are typed with the server's
/// own parse; the kinds ticked are sent as one field. An island: it runs
/// in the browser.
#[island]
fn AddFields() -> impl IntoView {
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
                        data-draft=""
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
        <input type="hidden" name="kinds" value=kinds_text />
        <label>"Name " <input name="name" autocomplete="off" bind:value=name required /></label>
        <label>
            " URL "
            <input name="url" type="url" size="48" autocomplete="off" bind:value=url required />
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
        {move || problem().map(|p| view! { <p class="error">{p}</p> })}
    }
}

#[component]
fn Destinations(view: NotificationsView) -> impl IntoView {
    let empty = view.destinations.is_empty();
    let destinations = view
        .destinations
        .into_iter()
        .map(|d| view! { <Destination d /> })
        .collect_view();
    let watch = match view.watch {
        None => view! {
            <p class="muted watch">
                "The watcher is off (--watch-calls-per-hour 0): no events are noticed, and only tests are sent."
            </p>
        }
            .into_any(),
        Some(w) if w.elsewhere => view! {
            <p class="muted watch">
                "Another console sharing this database watches the provider; this one takes over if that one stops."
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
fn Destination(d: DestinationView) -> impl IntoView {
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
                <tr class="delivery" data-key=del.event data-state=del.state.clone() data-event=del.event>
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
        <div class="destination" data-key=id data-webhook=id>
            <h3>{d.name} " " <code>{d.url}</code></h3>
            <p class="muted">
                {format!("{} · sends {kinds} · added by {} at {}", d.format.as_str(), d.created_by, d.created_at)}
            </p>
            <div class="buttons">
                <CallButton
                    function=TestWebhook::PATH
                    fields=vec![("id", id.to_string())]
                    class="test-webhook"
                    label="Send a test"
                />
                <CallButton
                    function=RemoveWebhook::PATH
                    fields=vec![("id", id.to_string())]
                    class="remove-webhook danger"
                    label="Remove"
                />
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

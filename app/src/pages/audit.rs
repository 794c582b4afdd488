//! The audit history: every action with who asked, what the provider said
//! and its Request-Id, newest first; filters by space, actor, action,
//! outcome, time range and free text; pages by cursor; and how far the
//! console has verified the keyed chain that makes quiet edits visible.

// The server function takes each filter as its own argument, so the page's
// URL and a curl call both read `?actor=alice&outcome=error`.
#![allow(clippy::too_many_arguments)]

use crate::components::{Loaded, page_data};
use crate::error::FnError;
use domain::kind::AuditName;
use domain::model::{AuditEntry, AuditPage as Page, AuditQuery, ChainStatus};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[server(endpoint = "audit")]
pub async fn get_audit(
    space: Option<String>,
    actor: Option<String>,
    action: Option<String>,
    outcome: Option<String>,
    since: Option<String>,
    until: Option<String>,
    text: Option<String>,
    before: Option<i64>,
    after: Option<i64>,
) -> Result<Page, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        let query = AuditQuery {
            space,
            actor,
            action,
            outcome,
            since,
            until,
            text,
            before,
            after,
        };
        console.audit(&who, query).await
    })
    .await
}

/// The page's query from its URL: empty fields are no filter.
fn query_from_url() -> impl Fn() -> AuditQuery + Copy {
    let q = use_query_map();
    move || {
        let q = q.read();
        let text = |k: &str| q.get(k).filter(|v| !v.trim().is_empty());
        let id = |k: &str| q.get(k).and_then(|v| v.parse::<i64>().ok());
        AuditQuery {
            space: text("space"),
            actor: text("actor"),
            action: text("action"),
            outcome: text("outcome"),
            since: text("since"),
            until: text("until"),
            text: text("text"),
            before: id("before"),
            after: id("after"),
        }
    }
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = query_from_url();
    let data = page_data(query, |q| {
        get_audit(
            q.space, q.actor, q.action, q.outcome, q.since, q.until, q.text, q.before, q.after,
        )
    });
    view! {
        <h1>"Audit history"</h1>
        <Loaded data fallback="Loading the history…" view=|page| view! { <History page /> } />
    }
}

/// How far the history is verified, or what is wrong with it.
#[component]
fn Chain(chain: ChainStatus) -> impl IntoView {
    let checkpoint = chain.checkpoint.clone().map(|(seq, last, at)| {
        format!(
            " Newest signed checkpoint: #{seq}, through record {last}, at {}.",
            short_time(&at)
        )
    });
    match (&chain.problem, &chain.verified_at) {
        (Some(problem), _) => view! {
            <p class="chain broken error" role="alert">
                {format!("The audit history does not verify: {problem}")}
            </p>
        }
        .into_any(),
        (None, None) => view! {
            <p class="chain verifying">
                {format!(
                    "Verifying the history: {} of {} records so far.",
                    chain.verified_through,
                    chain.records,
                )}
            </p>
        }
        .into_any(),
        (None, Some(at)) => view! {
            <p class="chain ok">
                {format!(
                    "Hash chain verified through record {} of {}, at {}: none altered or removed.",
                    chain.verified_through,
                    chain.records,
                    short_time(at),
                )}
                {checkpoint}
            </p>
        }
        .into_any(),
    }
}

/// A `<select>` of `options` (value, label) with `current` chosen; the
/// first option, "all", is no filter.
fn select(
    name: &'static str,
    current: Option<String>,
    options: Vec<(String, String)>,
) -> impl IntoView {
    let current = current.unwrap_or_default();
    view! {
        <select name=name>
            <option value="" selected=current.is_empty()>"all"</option>
            {options
                .into_iter()
                .map(|(value, label)| {
                    let selected = value == current;
                    view! { <option value=value selected=selected>{label}</option> }
                })
                .collect_view()}
        </select>
    }
}

fn same(values: Vec<String>) -> Vec<(String, String)> {
    values.into_iter().map(|v| (v.clone(), v)).collect()
}

#[component]
fn Filters(query: AuditQuery, spaces: Vec<String>, actors: Vec<String>) -> impl IntoView {
    let actions = AuditName::ALL
        .iter()
        .map(|a| (a.as_str().to_string(), a.as_str().to_string()))
        .collect();
    let outcomes = same(
        ["ok", "error", "unknown", "pending"]
            .map(String::from)
            .to_vec(),
    );
    view! {
        <form method="get" action="/audit" class="filter">
            <label>"Space " {select("space", query.space, same(spaces))}</label>
            <label>"Who " {select("actor", query.actor, same(actors))}</label>
            <label>"Action " {select("action", query.action, actions)}</label>
            <label>"Outcome " {select("outcome", query.outcome, outcomes)}</label>
            <label>
                "From " <input type="date" name="since" value=query.since.unwrap_or_default() />
            </label>
            <label>
                "To " <input type="date" name="until" value=query.until.unwrap_or_default() />
            </label>
            <label>
                "Text "
                <input
                    type="search"
                    name="text"
                    minlength="3"
                    maxlength="200"
                    placeholder="PCX ID, add-on, message…"
                    value=query.text.unwrap_or_default()
                />
            </label>
            <button type="submit">"Filter"</button>
            <a href="/audit">"Clear"</a>
        </form>
    }
}

#[component]
fn History(page: Page) -> impl IntoView {
    let q = page.query.clone();
    let newer = page.newer.map(|n| q.link(None, Some(n)));
    let older = page.older.map(|o| q.link(Some(o), None));
    let newest = (q.before.is_some() || q.after.is_some()).then(|| q.link(None, None));
    view! {
        <Chain chain=page.chain />
        <Filters query=page.query spaces=page.spaces actors=page.actors />
        {(page.entries.is_empty() && page.searched_to.is_none())
            .then(|| view! { <p>"Nothing recorded here."</p> })}
        {page
            .searched_to
            .map(|n| {
                let way = if q.after.is_some() { "Newer" } else { "Older" };
                view! {
                    <p class="muted searched-to">
                        {format!(
                            "To answer quickly, this search stopped at record {n}; {way} goes on \
                             from there.",
                        )}
                    </p>
                }
            })}
        <table class="audit">
            <thead>
                <tr>
                    <th>"When"</th>
                    <th>"Who"</th>
                    <th>"Action"</th>
                    <th>"Space"</th>
                    <th>"Target"</th>
                    <th>"Outcome"</th>
                    <th>"Provider status"</th>
                    <th>"Message"</th>
                    <th>"Request-Id"</th>
                </tr>
            </thead>
            <tbody>{page.entries.into_iter().map(|e| view! { <Row entry=e /> }).collect_view()}</tbody>
        </table>
        <nav class="pager">
            {newest.map(|href| view! { <a href=href>"Newest"</a> })}
            {newer.map(|href| view! { <a href=href rel="prev">"Newer"</a> })}
            {older.map(|href| view! { <a href=href rel="next">"Older"</a> })}
        </nav>
    }
}

#[component]
fn Row(entry: AuditEntry) -> impl IntoView {
    let outcome = entry.outcome.clone().unwrap_or_else(|| "pending".into());
    let (action, target) = (entry.action.clone(), entry.target.clone());
    view! {
        <tr class="audit-entry" data-action=action data-target=target>
            <td>
                <time datetime=entry.at.clone() title=entry.at.clone()>
                    {short_time(&entry.at)}
                </time>
            </td>
            <td>{entry.actor}</td>
            <td>{entry.action}</td>
            <td>{entry.space}</td>
            <td>
                <code>{entry.target}</code>
                {entry.detail.map(|d| view! { <div class="detail muted">{d}</div> })}
            </td>
            <td class=format!("outcome outcome-{outcome}")>{outcome.clone()}</td>
            <td>{entry.provider_status.unwrap_or_default()}</td>
            <td>{entry.message.unwrap_or_default()}</td>
            <td class="request-id">
                <code>{entry.request_id.unwrap_or_default()}</code>
            </td>
        </tr>
    }
}

/// `2026-11-22T23:06:39.140470992Z` as `2026-11-22 23:06:39 UTC`; the
/// exact time stays in the element's title.
fn short_time(at: &str) -> String {
    match (at.get(..10), at.get(11..19)) {
        (Some(day), Some(clock)) if at.ends_with('Z') => format!("{day} {clock} UTC"),
        _ => at.to_string(),
    }
}

//! The audit history: every action with who asked, what the provider said
//! and its Request-Id, newest first, with paging, a filter by space, and the
//! result of verifying the hash chain that makes quiet edits visible.

use crate::components::Loaded;
use crate::error::AppError;
use crate::model::{AuditEntry, AuditPage as Page};
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[server(endpoint = "audit")]
pub async fn get_audit(space: Option<String>, page: Option<u32>) -> Result<Page, AppError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console
            .audit(&who, space.filter(|s| !s.is_empty()), page.unwrap_or(1))
            .await
    })
    .await
}

#[component]
pub fn AuditPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let q = query.read();
        let space = q.get("space").filter(|s| !s.is_empty());
        let page = q.get("page").and_then(|p| p.parse::<u32>().ok());
        (space, page)
    };
    let data = Resource::new(params, |(space, page)| get_audit(space, page));
    view! {
        <h1>"Audit history"</h1>
        <Loaded data fallback="Loading the history…" view=|page| view! { <History page /> } />
    }
}

#[component]
fn History(page: Page) -> impl IntoView {
    let space = use_query_map()
        .read_untracked()
        .get("space")
        .unwrap_or_default();
    let link = {
        let space = space.clone();
        move |n: u32| {
            if space.is_empty() {
                format!("/audit?page={n}")
            } else {
                format!("/audit?space={space}&page={n}")
            }
        }
    };
    let last_page = ((page.total.max(1) as u32) - 1) / page.page_size.max(1) + 1;
    let chain = match page.chain.broken_at {
        None => view! {
            <p class="chain ok">
                {format!("Hash chain verified: {} records, none altered or removed.", page.chain.records)}
            </p>
        }
        .into_any(),
        Some(id) => view! {
            <p class="chain broken error" role="alert">
                {format!("The hash chain breaks at record {id}: the history was edited outside Spaceport.")}
            </p>
        }
        .into_any(),
    };
    view! {
        {chain}
        <form method="get" action="/audit" class="filter">
            <label>
                "Space "
                <select name="space">
                    <option value="" selected=space.is_empty()>"all"</option>
                    {page
                        .spaces
                        .iter()
                        .map(|s| {
                            view! {
                                <option value=s.clone() selected=*s == space>{s.clone()}</option>
                            }
                        })
                        .collect_view()}
                </select>
            </label>
            <button type="submit">"Filter"</button>
        </form>
        {(page.entries.is_empty()).then(|| view! { <p>"Nothing recorded yet."</p> })}
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
            {(page.page > 1).then(|| view! { <a href=link(page.page - 1) rel="prev">"Newer"</a> })}
            <span>{format!("Page {} of {last_page}", page.page)}</span>
            {(page.page < last_page).then(|| view! { <a href=link(page.page + 1) rel="next">"Older"</a> })}
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

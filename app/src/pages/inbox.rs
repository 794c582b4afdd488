//! What waits for the person signed in: approval requests they may decide,
//! pending peering requests (soonest expiry first, counting down), and
//! their own requests. The page, and the count in the navigation, read it
//! again every few seconds, so nobody reloads to see a decision.

use crate::components::every;
use crate::components::{Loaded, page_data};
use crate::controls::forms::Countdown;
use crate::error::FnError;
use crate::pages::approvals::ApprovalCard;
use domain::policy::Expectation;
use domain::views::{Inbox, PendingRequest};
use leptos::prelude::*;
use leptos_router::components::A;
use std::time::Duration;

/// How often the inbox and its count are read again.
pub const INBOX_POLL: Duration = Duration::from_secs(3);

#[server(endpoint = "inbox")]
pub async fn get_inbox() -> Result<Inbox, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        console.inbox(&who).await
    })
    .await
}

/// The number the navigation shows: what this person could act on. Its
/// own function, so the browser reads (and carries code to read) one
/// number, not the whole inbox.
#[server(endpoint = "inbox_count")]
pub async fn inbox_count() -> Result<usize, FnError> {
    crate::console::answer(async move {
        let (console, who) = crate::console::console()?;
        let can_accept = who.can(domain::access::Permission::AcceptPeering);
        Ok(console.inbox(&who).await?.count(can_accept))
    })
    .await
}

/// "expected: JIRA-1" or "unexpected requester", for a pending request.
#[component]
pub fn ExpectationMarker(expectation: Option<Expectation>) -> impl IntoView {
    expectation.map(|e| match e {
        Expectation::Expected(note) => view! {
            <span class="marker expected" title="It matches a peering the team registered.">
                {format!("expected: {note}")}
            </span>
        }
        .into_any(),
        Expectation::Unexpected => view! {
            <span
                class="marker unexpected"
                title="No expected peer matches this account, VPC and CIDR: make sure someone asked for it."
            >
                "unexpected requester"
            </span>
        }
        .into_any(),
    })
}

/// The count in the navigation: read in the browser only, so no page
/// waits for it on the server. An island: it runs in the browser.
#[island]
pub fn InboxCount() -> impl IntoView {
    let data = LocalResource::new(inbox_count);
    every(INBOX_POLL, move || data.refetch());
    let count = move || data.get().and_then(Result::ok).filter(|n| *n > 0);
    view! {
        <a href="/inbox" class="inbox-link">
            "Inbox"
            {move || count().map(|n| view! { <span class="count" data-count=n>{n}</span> })}
        </a>
    }
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let data = page_data(|| (), |_| get_inbox());
    let render = move |inbox: Inbox| {
        // Others decide and ask: read often while anything is open.
        let busy = !inbox.to_decide.is_empty() || !inbox.pending.is_empty();
        view! {
            <div data-live="inbox" data-busy=busy.then_some("")>
                <InboxView inbox />
            </div>
        }
    };
    view! {
        <h1>"Inbox"</h1>
        <Loaded data fallback="Loading your inbox…" view=render />
    }
}

#[component]
fn InboxView(inbox: Inbox) -> impl IntoView {
    let as_of = inbox.as_of.clone();
    // A request to accept a peering carries that request's marker.
    let pending = inbox.pending.clone();
    let marker = move |r: &domain::views::ApprovalView| {
        pending.iter().find(|p| p.approval == Some(r.id)).map(|p| {
            let expectation = p.expectation.clone();
            view! { <p class="expectation"><ExpectationMarker expectation /></p> }.into_any()
        })
    };
    let cards = |list: Vec<domain::views::ApprovalView>, empty: &'static str| {
        let as_of = as_of.clone();
        if list.is_empty() {
            return view! { <p class="muted">{empty}</p> }.into_any();
        }
        list.into_iter()
            .map(|request| {
                let marker = marker(&request);
                view! { <ApprovalCard request as_of=as_of.clone() marker=marker /> }
            })
            .collect_view()
            .into_any()
    };
    view! {
        <section class="panel to-decide">
            <h2>"To decide"</h2>
            {cards(inbox.to_decide, "Nothing waits for your decision.")}
        </section>
        {(!inbox.cannot_decide.is_empty())
            .then(|| {
                view! {
                    <section class="panel cannot-decide">
                        <h2>"Waiting for someone else"</h2>
                        <p class="muted">
                            "Your role could decide these, but your approval would not count; \
                             each says why."
                        </p>
                        {cards(inbox.cannot_decide, "")}
                    </section>
                }
            })}
        <section class="panel pending-requests">
            <h2>"Pending peering requests"</h2>
            <PendingTable pending=inbox.pending as_of=inbox.as_of.clone() />
        </section>
        <section class="panel mine">
            <h2>"Your requests"</h2>
            {cards(inbox.mine, "You have asked for nothing lately.")}
        </section>
    }
}

#[component]
fn PendingTable(pending: Vec<PendingRequest>, as_of: String) -> impl IntoView {
    if pending.is_empty() {
        return view! { <p class="muted">"No peering request is waiting."</p> }.into_any();
    }
    view! {
        <table class="pending">
            <thead>
                <tr>
                    <th>"Space"</th>
                    <th>"PCX ID"</th>
                    <th>"AWS account"</th>
                    <th>"CIDR blocks"</th>
                    <th>"Expires in"</th>
                    <th></th>
                </tr>
            </thead>
            <tbody>
                {pending
                    .into_iter()
                    .map(|p| {
                        let href = format!("/spaces/{}", p.space);
                        view! {
                            <tr class="pending-request" data-key=p.peering.pcx_id.clone() data-pcx=p.peering.pcx_id.clone()>
                                <td><A href=href>{p.space.clone()}</A></td>
                                <td><code>{p.peering.pcx_id.clone()}</code></td>
                                <td>{p.peering.aws_account_id.clone().unwrap_or_default()}</td>
                                <td>{p.peering.all_cidrs().join(", ")}</td>
                                <td>
                                    <Countdown
                                        until=p.peering.expires.clone().unwrap_or_default()
                                        as_of=as_of.clone()
                                    />
                                </td>
                                <td>
                                    <ExpectationMarker expectation=p.expectation.clone() />
                                    {p.approval.map(|id| view! { <span class="muted">{format!(" approval #{id} asked")}</span> })}
                                </td>
                            </tr>
                        }
                    })
                    .collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

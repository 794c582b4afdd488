//! The peerings a team expects, on the space's page: who registered
//! which account, VPC and CIDR, until when and why, with a form to add one
//! and a button to forget one. A pending request that matches none is
//! marked "unexpected requester" wherever it is shown.

use crate::access::{Permission, i_can};
use crate::answer_of;
use crate::components::{ErrorMessage, latest_answer};
use crate::error::AppError;
use crate::ids::{SpaceRef, parse};
use crate::model::SpaceView;
use leptos::prelude::*;

#[allow(clippy::too_many_arguments)]
#[server(endpoint = "expect_peer")]
pub async fn expect_peer(
    space: SpaceRef,
    aws_account_id: String,
    vpc_id: String,
    cidr: String,
    region: String,
    note: String,
    valid_until: String,
) -> Result<String, AppError> {
    crate::console::answer(async move {
        let peer = crate::approval::NewExpectedPeer {
            aws_account_id,
            vpc_id,
            cidr,
            region: Some(region),
            note,
            valid_until,
        };
        Ok(
            crate::console::act(crate::action::Action::ExpectPeer { space, peer })
                .await?
                .said(),
        )
    })
    .await
}

#[server(endpoint = "forget_peer")]
pub async fn forget_peer(id: i64) -> Result<String, AppError> {
    crate::console::answer(async move {
        Ok(
            crate::console::act(crate::action::Action::ForgetPeer { id })
                .await?
                .said(),
        )
    })
    .await
}

/// What the last registration or removal said.
#[component]
pub fn ExpectMessage(
    expect: ServerAction<ExpectPeer>,
    forget: ServerAction<ForgetPeer>,
) -> impl IntoView {
    let latest = latest_answer(vec![answer_of!(expect), answer_of!(forget)]);
    move || {
        latest.get().map(|r| match r {
            Ok(said) => {
                view! { <p class="notice expected-said" role="status">{said}</p> }.into_any()
            }
            Err(error) => view! { <ErrorMessage error /> }.into_any(),
        })
    }
}

#[component]
pub fn ExpectedPeers(view: SpaceView, forget: ServerAction<ForgetPeer>) -> impl IntoView {
    let may = i_can(Permission::ExpectPeers);
    let require = view.approvals.require_expected_peer;
    let rows = view
        .approvals
        .expected
        .iter()
        .map(|e| {
            let id = e.id;
            let remove = may.then(|| {
                view! {
                    <button class="forget" on:click=move |_| { forget.dispatch(ForgetPeer { id }); }>
                        "Forget"
                    </button>
                }
            });
            view! {
                <tr class="expected-peer" data-id=id>
                    <td>{e.aws_account_id.clone()}</td>
                    <td>{e.vpc_id.clone()}</td>
                    <td>{e.cidr.clone()}</td>
                    <td>{e.region.clone().unwrap_or_else(|| "any".into())}</td>
                    <td>{e.note.clone()}</td>
                    <td><time datetime=e.valid_until.clone()>{e.valid_until.clone()}</time></td>
                    <td>{e.created_by.clone()}</td>
                    <td>{remove}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <section class="panel expected-peers">
            <h2>"Expected peers"</h2>
            <p class="muted">
                {if require {
                    "The policy accepts only requests that match one of these."
                } else {
                    "A pending request that matches none of these is marked \"unexpected requester\"."
                }}
            </p>
            <table class="expected">
                <thead>
                    <tr>
                        <th>"AWS account"</th>
                        <th>"VPC ID"</th>
                        <th>"CIDR"</th>
                        <th>"Region"</th>
                        <th>"Note"</th>
                        <th>"Valid until"</th>
                        <th>"Registered by"</th>
                        <th></th>
                    </tr>
                </thead>
                <tbody>{rows}</tbody>
            </table>
        </section>
    }
}

/// Registers an expected peer in `space`.
#[component]
pub fn ExpectForm(space: String, expect: ServerAction<ExpectPeer>) -> impl IntoView {
    let field = |name: &'static str, label: &'static str, placeholder: &'static str| {
        let value = RwSignal::new(String::new());
        let input = view! {
            <label>
                {label}
                <input
                    name=name
                    placeholder=placeholder
                    autocomplete="off"
                    prop:value=move || value.get()
                    on:input=move |ev| value.set(event_target_value(&ev))
                />
            </label>
        };
        (value, input)
    };
    let (account, account_input) = field("aws_account_id", "AWS account ", "123456789012");
    let (vpc, vpc_input) = field("vpc_id", "VPC ID ", "vpc-0a1b2c3d");
    let (cidr, cidr_input) = field("cidr", "CIDR ", "10.100.0.0/16");
    let (region, region_input) = field("region", "Region (optional) ", "us-east-1");
    let (note, note_input) = field("note", "Note or ticket ", "NET-1234: payments VPC");
    let (until, until_input) = field("valid_until", "Valid until ", "YYYY-MM-DD");
    view! {
        <form
            class="expect"
            on:submit=move |ev| {
                ev.prevent_default();
                let Ok(space) = parse::<SpaceRef>(&space) else { return };
                expect.dispatch(ExpectPeer {
                    space,
                    aws_account_id: account.get_untracked(),
                    vpc_id: vpc.get_untracked(),
                    cidr: cidr.get_untracked(),
                    region: region.get_untracked(),
                    note: note.get_untracked(),
                    valid_until: until.get_untracked(),
                });
            }
        >
            {account_input}
            {vpc_input}
            {cidr_input}
            {region_input}
            {note_input}
            {until_input}
            <button type="submit" class="expect-peer">"Expect this peer"</button>
        </form>
    }
}
